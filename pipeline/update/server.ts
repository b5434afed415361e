/**
 * A counter instance: a process running module `counter-v1`, `counter-v2` or
 * `counter-v2-rejecting`, and its handler. Slot 0 holds a cap to its container
 * (granted with no rights: the manifest asks for a container first), slot 1 its
 * control endpoint (read). Everything else arrives by IPC.
 *
 * Serving: take a request from the service endpoint (`ep_recv`), later look up the
 * client's reply endpoint by the name in the request (`svc_lookup`, cached) and
 * send the reply (`ep_send`); the request is applied in the step whose send
 * succeeds. At a checkpoint (a poll of the control endpoint) it may find
 * `prepare-for-update`: from then on it takes no new request, finishes those it
 * holds, sends its snapshot with the service endpoint's receive cap to the
 * hand-off endpoint, deletes its own receive cap, reports `handed-off`, and
 * waits: it is killed, or it is told to `resume` and reads the receive cap back
 * from its return endpoint.
 *
 * A cap sent by IPC is a copy until the sender deletes its own (kernel.md §5), so
 * a receiver that took it at once could hold it together with the sender. Hence
 * the gates: the new instance reads the hand-off endpoint only when the
 * ModuleManager says `take-over`, which it says after the old one reported that
 * it let go; the same for the way back with `resume`.
 *
 * Standby (a new instance): read bootstrap caps, report `standby` (only then does
 * the ModuleManager tell the old instance to prepare: before, the hand-off
 * endpoint's receive cap could still sit in a message); on `take-over` read the snapshot
 * and the receive cap from the hand-off endpoint; ingest (migrating V1's format to
 * V2's) and report `healthy` — or, the rejecting build, send the receive cap to the
 * return endpoint, delete its own, and report `ingest-failed`.
 * @module
 */
import type { Outcome } from '../../spec/results.js'
import { type CounterModule, type CounterV1State, type CounterV2State, V1_INITIAL, applyV1, applyV2, migrate, valueOf } from './counter.js'
import { type Control, type Handoff, type Request, ControlCodec, RequestCodec, decode, encode } from './messages.js'
import type { InstanceInfo, UpdateObserver } from './observer.js'
import { type Action, type Actor, type KernelView, Slots, errorCode, ok, received } from './runtime.js'
import { HEAP_BYTES, SERVICE_NAME, SLOTS } from './system.js'

/** What the instance is doing. */
export type InstanceMode = 'booting' | 'standby' | 'taking-over' | 'serving' | 'draining' | 'handed-off' | 'resuming' | 'failed'

/** Requests an instance takes before it must answer the oldest. */
const BATCH = 2
const CONTROL = 1

interface Chore {
  readonly action: Action['syscall']
  readonly then?: () => void
}

export class CounterInstance implements Actor, InstanceInfo {
  ref: number | null = null
  mode: InstanceMode
  state: CounterV1State | CounterV2State
  /** Requests taken from the service endpoint and not yet answered. */
  readonly inFlight: Request[] = []
  /** Slots, as this process knows them. */
  private service: number | null = null
  private status: number | null = null
  /** Old instance: send cap to the hand-off endpoint. New instance: receive cap to it. */
  private handoffSlot: number | null = null
  /** Old instance: receive cap to the return endpoint. New instance: send cap to it. */
  private returnSlot: number | null = null
  private heap: number | null = null
  private mapped = false
  private readonly slots = new Slots(SLOTS.instance, [0, CONTROL])
  private readonly replyCaps = new Map<string, number>()
  /** Syscalls that must happen next, in order (reports, clean-up). */
  private readonly chores: Chore[] = []
  private handoff: Handoff = 'endpoint'
  private drain = true

  constructor(readonly name: string, readonly module: CounterModule, private readonly observer: UpdateObserver) {
    this.mode = module === 'counter-v1' ? 'booting' : 'standby'
    this.state = module === 'counter-v1' ? V1_INITIAL : { total: 0, ops: 0 }
  }

  /** Serving (or draining what it took before a hand-off). */
  get isServing(): boolean {
    return this.mode === 'serving' || this.mode === 'draining'
  }

  runnable(view: KernelView): boolean {
    if (this.chores.length > 0 || this.heap === null || !this.mapped || this.inFlight.length > 0) return true
    if (this.mode === 'booting' && this.service !== null && this.status !== null) return true
    if (this.mode === 'draining' || this.mode === 'taking-over' || this.mode === 'resuming') return true
    if (view.queueLength(this.ref, CONTROL) > 0) return this.mode !== 'failed'
    return this.mode === 'serving' && view.queueLength(this.ref, this.service) > 0
  }

  act(hint: number): Action | null {
    const chore = this.chores[0]
    if (chore !== undefined) return this.choreAction(chore)
    if (this.heap === null) return this.allocateHeap()
    if (!this.mapped) return { syscall: { kind: 'mem_map', slot: this.heap, perms: ['read', 'write'] }, done: (o) => { this.mapped = ok(o) } }
    switch (this.mode) {
      case 'booting':
        return this.service !== null && this.status !== null ? this.register() : this.receiveControl()
      case 'standby':
        return this.receiveControl()
      case 'taking-over':
        return this.receiveHandoff()
      case 'serving':
        if (hint % 3 === 0) return this.receiveControl()
        if (this.inFlight.length >= BATCH || (this.inFlight.length > 0 && hint % 3 === 1)) return this.answer()
        return this.takeRequest()
      case 'draining':
        return this.inFlight.length > 0 && this.drain ? this.answer() : this.sendSnapshot()
      case 'handed-off':
        // A correct instance drained before handing off; one told not to drain still answers what it holds.
        return this.inFlight.length > 0 && hint % 2 === 0 ? this.answer() : this.receiveControl()
      case 'resuming':
        return this.receiveReturn()
      case 'failed':
        return null
    }
  }

  /** A syscall that must succeed: retried while the queue is full or the budget spent, abandoned on any other refusal. */
  private choreAction(chore: Chore): Action {
    return {
      syscall: chore.action,
      done: (outcome) => {
        const code = errorCode(outcome)
        if (code === 'QueueFull' || code === 'BudgetExhausted') return
        this.chores.shift()
        if (code !== null) this.observer.note(`${this.name}: ${chore.action.kind} refused (${code})`)
        else chore.then?.()
      },
    }
  }

  private must(action: Action['syscall'], then?: () => void): void {
    this.chores.push(then === undefined ? { action } : { action, then })
  }

  /** Deletes the cap in `slot` (a chore) and forgets the slot. */
  private drop(slot: number | null, then?: () => void): void {
    if (slot === null) return
    this.must({ kind: 'cap_delete', slot }, () => { this.slots.free(slot); then?.() })
  }

  private allocateHeap(): Action {
    const dst = this.slots.peek()
    return { syscall: { kind: 'mem_alloc', sizeBytes: HEAP_BYTES, executable: false, dst }, done: (o) => { if (ok(o)) this.heap = this.slots.claim(dst) } }
  }

  private register(): Action {
    return {
      syscall: { kind: 'svc_register', name: SERVICE_NAME, slot: this.service! },
      done: (o) => {
        if (!ok(o)) return
        this.mode = 'serving'
        this.observer.note(`${this.name} registered "${SERVICE_NAME}" and serves`)
      },
    }
  }

  /** `ep_recv` on `slot` into the lowest free slot; the decoded message and where a carried cap landed. */
  private receiveOn(slot: number, then: (control: Control, capSlot: number | null) => void): Action {
    const dst = this.slots.peek()
    return {
      syscall: { kind: 'ep_recv', slot, dst },
      done: (outcome) => {
        const message = received(outcome)
        if (message === null) return
        const capSlot = message.cap === 'received' ? this.slots.claim(dst) : null
        const control = decode(ControlCodec, message.payload)
        if (control !== null) return then(control, capSlot)
        this.observer.note(`${this.name}: ignored an unreadable message`)
        this.drop(capSlot)
      },
    }
  }

  /** Polls the control endpoint (a checkpoint when serving). */
  private receiveControl(): Action {
    return this.receiveOn(CONTROL, (control, capSlot) => this.onControl(control, capSlot))
  }

  private onControl(control: Control, capSlot: number | null): void {
    switch (control.type) {
      case 'bootstrap':
        if (control.role === 'service') this.service = capSlot
        else if (control.role === 'status') this.status = capSlot
        else if (control.role === 'handoff') this.handoffSlot = capSlot
        else this.returnSlot = capSlot
        if (this.mode === 'standby' && control.role === 'status') {
          // The ModuleManager sends the status cap last: the new instance is ready to take over.
          this.must({ kind: 'ep_send', slot: this.status!, payload: encode({ type: 'standby', instance: this.name }) })
        }
        return
      case 'prepare-for-update':
        if (this.mode !== 'serving') return this.drop(capSlot)
        this.handoffSlot = capSlot
        this.handoff = control.handoff
        this.drain = control.drain
        this.mode = 'draining'
        this.observer.note(`${this.name} checkpoint: prepare-for-update; takes no new request, ${control.drain ? `finishes the ${this.inFlight.length} it holds` : 'does not drain (told not to)'}`)
        return
      case 'take-over':
        if (this.mode === 'standby') this.mode = 'taking-over'
        return
      case 'resume':
        if (this.mode !== 'handed-off') return
        this.mode = 'resuming'
        this.observer.note(`${this.name} is told to resume (${control.reason})`)
        return
      default:
        this.drop(capSlot)
    }
  }

  /** The new instance reads the snapshot (and the receive cap) from the hand-off endpoint. */
  private receiveHandoff(): Action | null {
    if (this.handoffSlot === null) {
      this.observer.note(`${this.name}: told to take over, but it holds no hand-off endpoint`)
      this.mode = 'failed'
      return null
    }
    return this.receiveOn(this.handoffSlot, (control, capSlot) => {
      if (control.type === 'snapshot') this.ingest(control.state, capSlot)
      else this.drop(capSlot)
    })
  }

  /** The old instance reads the receive cap back from the return endpoint and serves again. */
  private receiveReturn(): Action {
    return this.receiveOn(this.returnSlot!, (control, capSlot) => {
      if (control.type !== 'return') return this.drop(capSlot)
      if (capSlot !== null) this.service = capSlot
      this.mode = 'serving'
      this.observer.note(`${this.name} resumes${capSlot !== null ? ': endpoint receive cap moved back to it' : ''}`)
      this.observer.resumed(this)
      const handoffSlot = this.handoffSlot
      this.handoffSlot = null
      this.drop(handoffSlot)
    })
  }

  /** Takes the snapshot: migrate and report healthy, or (the rejecting build) hand the receive cap back. */
  private ingest(snapshot: CounterV1State, capSlot: number | null): void {
    if (capSlot !== null) this.service = capSlot
    const handoffSlot = this.handoffSlot
    this.handoffSlot = null
    if (this.module === 'counter-v2-rejecting') {
      const reason = 'snapshot format counter/1 not supported by this build'
      this.mode = 'failed'
      this.observer.rejected(this, reason)
      if (capSlot !== null && this.returnSlot !== null) {
        this.must({ kind: 'ep_send', slot: this.returnSlot, payload: encode({ type: 'return', reason }), xfer: capSlot })
        this.drop(capSlot, () => {
          this.service = null
          this.observer.note(`${this.name} deletes its receive cap: it is in transit back to the old instance`)
        })
      }
      if (this.status !== null) this.must({ kind: 'ep_send', slot: this.status, payload: encode({ type: 'ingest-failed', instance: this.name, reason }) })
      return
    }
    const state = migrate(snapshot)
    this.state = state
    this.mode = 'serving'
    this.observer.ingested(this, snapshot, state, capSlot !== null)
    if (this.status !== null) this.must({ kind: 'ep_send', slot: this.status, payload: encode({ type: 'healthy', instance: this.name }) })
    const returnSlot = this.returnSlot
    this.returnSlot = null
    this.drop(returnSlot)
    this.drop(handoffSlot)
  }

  private takeRequest(): Action {
    return {
      syscall: { kind: 'ep_recv', slot: this.service! },
      done: (outcome) => {
        const message = received(outcome)
        if (message === null) return
        const request = decode(RequestCodec, message.payload)
        if (request === null) this.observer.note(`${this.name}: ignored an unreadable request`)
        else this.inFlight.push(request)
      },
    }
  }

  /** Works on the oldest request: look up the client's reply endpoint, or send the reply (applying the request). */
  private answer(): Action {
    const request = this.inFlight[0]!
    const replySlot = this.replyCaps.get(request.replyTo)
    if (replySlot === undefined && this.slots.full && this.replyCaps.size > 0) {
      // No room to look the client up: forget the reply cap cached first.
      const [name, slot] = this.replyCaps.entries().next().value as [string, number]
      return { syscall: { kind: 'cap_delete', slot }, done: (o) => { if (ok(o)) { this.replyCaps.delete(name); this.slots.free(slot) } } }
    }
    if (replySlot === undefined) {
      const dst = this.slots.peek()
      return {
        syscall: { kind: 'svc_lookup', name: request.replyTo, dst },
        done: (outcome) => {
          if (ok(outcome)) this.replyCaps.set(request.replyTo, this.slots.claim(dst))
          else if (errorCode(outcome) === 'NotFound') {
            this.inFlight.shift()
            this.observer.note(`${this.name}: no endpoint "${request.replyTo}"; request ${request.requestId} cannot be answered`)
          }
        },
      }
    }
    const next = 'count' in this.state ? applyV1(this.state, request.n) : applyV2(this.state, request.n)
    const value = valueOf(next)
    return {
      syscall: { kind: 'ep_send', slot: replySlot, payload: encode({ type: 'reply', requestId: request.requestId, count: value, served: this.name }) },
      done: (outcome: Outcome) => {
        if (!ok(outcome)) return
        this.state = next
        this.inFlight.shift()
        this.observer.applied(this, request, value)
      },
    }
  }

  /** Sends the snapshot to the hand-off endpoint, with the receive cap when the endpoint moves. */
  private sendSnapshot(): Action {
    const state = this.state as CounterV1State
    const moves = this.handoff === 'endpoint' && this.service !== null
    const payload = encode({ type: 'snapshot', format: 'counter/1', state })
    return {
      syscall: { kind: 'ep_send', slot: this.handoffSlot!, payload, ...(moves ? { xfer: this.service! } : {}) },
      done: (outcome) => {
        if (!ok(outcome)) return
        this.mode = 'handed-off'
        this.observer.handedOff(this, state, moves)
        if (moves) {
          this.drop(this.service, () => {
            this.service = null
            this.observer.note(`${this.name} deletes its receive cap: the endpoint's receive cap is in transit to the new instance`)
          })
        }
        if (this.status !== null) this.must({ kind: 'ep_send', slot: this.status, payload: encode({ type: 'handed-off', instance: this.name }) })
      },
    }
  }
}
