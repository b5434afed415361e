/**
 * The ModuleManager (pipeline.md §4): a process in `apps` holding control caps —
 * its container, the service's containers and instances, the originals of the
 * service endpoint `S` and of the endpoints it makes for instances. It never
 * receives on `S`: like a socket-activation manager it keeps the original so that
 * the endpoint outlives every instance.
 *
 * At boot it builds the service: the `counter` container (own pid namespace),
 * `counter-v1`, `S`, `C1`, and spawns V1, sending it `S` (receive cap) and a send
 * cap to `U` over `C1`; V1 registers the name.
 *
 * An update (protocol `move-endpoint`), each step one syscall:
 *  1. `container_create counter-v2`, `ep_create C2`, `process_spawn` V2 (idle,
 *     granted `C2` to read). A refused spawn ends the update here: V1 never knew.
 *  2. `ep_create H` (hand-off) and `ep_create R` (return). Over `C2`: H to read,
 *     R to send with a cap, U to send. V2 reads them and reports `standby`.
 *  3. On `standby`: over `C1`, R to read, then `prepare-for-update`, carrying H
 *     to send with a cap. V1 finishes the requests it holds,
 *     sends its snapshot with `S`'s receive cap to H, deletes its own, reports
 *     `handed-off` (server.ts).
 *  4. On `handed-off`: `take-over` to V2 over `C2`; V2 reads H: snapshot and cap.
 *  5. On `healthy`: `process_kill` V1, `container_destroy counter-v1`, delete
 *     C1, H, R. On `ingest-failed` (V2 has sent the cap to R and deleted its
 *     own): `resume` to V1 over `C1` (V1 reads R), `process_kill` V2,
 *     `container_destroy counter-v2`, delete C2, H, R.
 *
 * Two broken protocols show that the UPD-1 check can fail: `repoint-name` (the
 * seed's first iteration: make a new endpoint for V2, re-point the name to it
 * before V1 drains, hand over state only, kill V1 — requests left in `S`, and those
 * clients keep sending there, are dropped) and `skip-drain` (V1 is told to hand
 * off without finishing the requests it holds).
 * @module
 */
import type { Outcome } from '../../spec/results.js'
import type { RightName } from '../../spec/rights.js'
import { SHARE_ALL } from '../../spec/limits.js'
import type { CounterModule } from './counter.js'
import { type BootstrapRole, type Control, ControlCodec, decode, encode } from './messages.js'
import type { UpdateObserver, UpdateResult } from './observer.js'
import { Plan, type Planned } from './plan.js'
import { type Action, type Actor, type KernelView, Slots, received } from './runtime.js'
import type { CounterInstance } from './server.js'
import { COUNTER_LIMITS, COUNTER_NAMESPACES, DEPTH, INSTANCE_LIMITS, SERVICE_NAME, SLOTS } from './system.js'

/** The update protocol the ModuleManager follows. @public */
export type UpdateProtocol = 'move-endpoint' | 'repoint-name' | 'skip-drain'
export const UPDATE_PROTOCOLS: ReadonlyArray<UpdateProtocol> = ['move-endpoint', 'repoint-name', 'skip-drain']

/** Binds a counter handler to the process just spawned. */
export type InstanceLoader = (module: CounterModule) => CounterInstance

const CONTAINER = 0
const STATUS = 1

/** An instance and the caps the ModuleManager holds for it. */
interface Placement {
  instance: CounterInstance | null
  container: number | null
  control: number | null
  process: number | null
}

const EMPTY: Placement = { instance: null, container: null, control: null, process: null }

export type ManagerPhase = 'booting' | 'idle' | 'updating' | 'waiting' | 'finishing'

/** The same items, the last one also running `after` when it succeeds. */
function andThen(items: Array<() => Planned>, after: () => void): Array<() => Planned> {
  const last = items[items.length - 1]
  if (last === undefined) return items
  return [...items.slice(0, -1), () => {
    const planned = last()
    return { ...planned, ok: (outcome: Outcome) => { planned.ok?.(outcome); after() } }
  }]
}

export class ModuleManager implements Actor {
  readonly name = 'MM'
  ref: number | null = null
  phase: ManagerPhase = 'booting'
  private readonly slots = new Slots(SLOTS.manager, [CONTAINER, STATUS])
  private readonly plan = new Plan()
  private readonly deferred: Array<Extract<Control, { type: 'update' }>> = []
  private counter: number | null = null
  private service: number | null = null
  readonly current: Placement = { ...EMPTY }
  private next: Placement = { ...EMPTY }
  /** The hand-off and return endpoints of the update under way (originals). */
  private handoff: number | null = null
  private ret: number | null = null

  constructor(private readonly v1Image: string, private readonly protocol: UpdateProtocol, private readonly load: InstanceLoader, private readonly observer: UpdateObserver) {
    this.plan.then(
      this.make('container_create', (dst) => ({ parent: CONTAINER, dst, limits: COUNTER_LIMITS, namespaces: COUNTER_NAMESPACES }), (slot) => { this.counter = slot }),
      this.make('container_create', (dst) => ({ parent: this.counter!, dst, limits: INSTANCE_LIMITS, namespaces: SHARE_ALL }), (slot) => { this.current.container = slot }),
      this.make('ep_create', (dst) => ({ depth: DEPTH.service, dst }), (slot) => { this.service = slot }),
      this.make('ep_create', (dst) => ({ depth: DEPTH.control, dst }), (slot) => { this.current.control = slot }),
      this.make('process_spawn', (dst) => ({ container: this.current.container!, image: this.v1Image, uid: 0, slots: SLOTS.instance, grants: this.grants(this.current), dst }), (slot) => {
        this.current.process = slot
        this.current.instance = this.load('counter-v1')
      }),
      () => ({ syscall: { kind: 'ep_send', slot: this.current.control!, payload: encode({ type: 'bootstrap', role: 'service' }), xfer: this.service! } }),
      ...andThen(this.sendCopy(() => this.current.control!, () => STATUS, ['write'], 'status'), () => { this.phase = 'idle' }),
    )
  }

  /** Whether an update is under way (from taking the request to its last clean-up). */
  get updating(): boolean {
    return this.phase === 'updating' || this.phase === 'waiting' || this.phase === 'finishing'
  }

  runnable(view: KernelView): boolean {
    return this.plan.length > 0 || view.queueLength(this.ref, STATUS) > 0 || (this.phase === 'idle' && this.deferred.length > 0)
  }

  act(): Action | null {
    if (this.plan.length === 0 && this.phase === 'idle' && this.deferred.length > 0) this.start(this.deferred.shift()!)
    const planned = this.plan.next((syscall, code) => this.observer.note(`MM: ${syscall.kind} refused (${code})`))
    return planned ?? this.receiveStatus()
  }

  /** A syscall whose `dst` is the lowest free slot, claimed when it succeeds. */
  private make(kind: string, args: (dst: number) => Record<string, unknown>, claimed: (slot: number) => void, fail?: (code: string) => void): () => Planned {
    return () => {
      const dst = this.slots.peek()
      return { syscall: { kind, ...args(dst) }, ok: () => claimed(this.slots.claim(dst)), ...(fail === undefined ? {} : { fail }) }
    }
  }

  /** Copies the cap in `source` with `rights` to a scratch slot, sends it over `via` as bootstrap `role`, deletes the copy. */
  private sendCopy(via: () => number, source: () => number, rights: RightName[], role: BootstrapRole): Array<() => Planned> {
    let scratch = -1
    return [
      this.make('cap_copy', (dst) => ({ src: source(), dst, rights }), (slot) => { scratch = slot }),
      () => ({ syscall: { kind: 'ep_send', slot: via(), payload: encode({ type: 'bootstrap', role }), xfer: scratch } }),
      () => ({ syscall: { kind: 'cap_delete', slot: scratch }, ok: () => this.slots.free(scratch) }),
    ]
  }

  /** An original this process holds, deleted. */
  private deleteOriginal(slot: () => number | null, forget: () => void): () => Planned {
    return () => ({ syscall: { kind: 'cap_delete', slot: slot()! }, ok: () => { this.slots.free(slot()); forget() } })
  }

  /** Grants of a new instance: its container (no rights: the manifest's first request), its control endpoint to read. */
  private grants(placement: Placement): Array<{ slot: number; rights: RightName[] }> {
    return [{ slot: placement.container!, rights: [] }, { slot: placement.control!, rights: ['read'] }]
  }

  /** Polls `U`: update requests from the operator, reports from the instances. */
  private receiveStatus(): Action {
    return {
      syscall: { kind: 'ep_recv', slot: STATUS },
      done: (outcome: Outcome) => {
        const message = received(outcome)
        if (message === null) return
        const control = decode(ControlCodec, message.payload)
        if (control !== null) this.onStatus(control)
      },
    }
  }

  private onStatus(control: Control): void {
    const fromCandidate = 'instance' in control && this.phase === 'waiting' && control.instance === this.next.instance?.name
    switch (control.type) {
      case 'update':
        if (this.phase === 'idle') this.start(control)
        else this.deferred.push(control)
        return
      case 'standby':
        if (fromCandidate) this.prepare()
        return
      case 'handed-off':
        if (this.phase !== 'waiting' || control.instance !== this.current.instance?.name) return
        this.observer.note(`MM: ${control.instance} reports handed-off; tells ${this.next.instance!.name} to take over`)
        this.plan.then(() => ({ syscall: { kind: 'ep_send', slot: this.next.control!, payload: encode({ type: 'take-over' }) } }))
        return
      case 'healthy':
        if (fromCandidate) this.commit()
        return
      case 'ingest-failed':
        if (fromCandidate) this.rollBack(control.reason)
        return
      default:
        return
    }
  }

  /** Steps 1–2 of the protocol, planned. */
  private start(request: Extract<Control, { type: 'update' }>): void {
    const module = request.module as CounterModule
    if (this.current.instance?.module !== 'counter-v1' || (module !== 'counter-v2' && module !== 'counter-v2-rejecting')) {
      this.observer.note(`MM: nothing to do for an update to ${request.module} (the service runs ${this.current.instance?.module ?? 'nothing'})`)
      return
    }
    this.phase = 'updating'
    this.next = { ...EMPTY }
    this.observer.updateStarted(module)
    const abort = (code: string) => {
      this.observer.note(`MM: could not start the new instance (${code}); V1 was not touched`)
      this.plan.clear()
      const discard = this.discardNext()
      if (discard.length === 0) this.finish('refused-at-spawn')
      else this.plan.then(...andThen(discard, () => this.finish('refused-at-spawn')))
    }
    this.plan.then(
      this.make('container_create', (dst) => ({ parent: this.counter!, dst, limits: INSTANCE_LIMITS, namespaces: SHARE_ALL }), (slot) => { this.next.container = slot }, abort),
      this.make('ep_create', (dst) => ({ depth: DEPTH.control, dst }), (slot) => { this.next.control = slot }, abort),
      this.make('process_spawn', (dst) => ({ container: this.next.container!, image: request.image, uid: 0, slots: SLOTS.instance, grants: this.grants(this.next), dst }), (slot) => {
        this.next.process = slot
        this.next.instance = this.load(module)
        this.observer.note(`MM spawned ${this.next.instance.name} (${module}), idle`)
      }, abort),
      this.make('ep_create', (dst) => ({ depth: DEPTH.control, dst }), (slot) => { this.handoff = slot }, abort),
      this.make('ep_create', (dst) => ({ depth: DEPTH.control, dst }), (slot) => { this.ret = slot }, abort),
      ...this.sendCopy(() => this.next.control!, () => this.handoff!, ['read'], 'handoff'),
      ...this.sendCopy(() => this.next.control!, () => this.ret!, ['write', 'grant'], 'rollback'),
      ...andThen(this.sendCopy(() => this.next.control!, () => STATUS, ['write'], 'status'), () => { this.phase = 'waiting' }),
    )
  }

  /** Step 3, once the new instance reported `standby` (it holds the hand-off endpoint's receive cap). */
  private prepare(): void {
    this.phase = 'updating'
    this.plan.then(...this.sendCopy(() => this.current.control!, () => this.ret!, ['read'], 'return'))
    if (this.protocol === 'repoint-name') this.plan.then(...this.repoint())
    let scratch = -1
    this.plan.then(
      this.make('cap_copy', (dst) => ({ src: this.handoff!, dst, rights: ['write', 'grant'] }), (slot) => { scratch = slot }),
      () => ({
        syscall: { kind: 'ep_send', slot: this.current.control!, payload: encode({ type: 'prepare-for-update', handoff: this.protocol === 'repoint-name' ? 'state-only' : 'endpoint', drain: this.protocol !== 'skip-drain' }), xfer: scratch },
        ok: () => this.observer.note(`MM sends prepare-for-update to ${this.current.instance!.name}`),
      }),
      () => ({ syscall: { kind: 'cap_delete', slot: scratch }, ok: () => { this.slots.free(scratch); this.phase = 'waiting' } }),
    )
  }

  /** The broken protocol's extra steps: a new endpoint for V2, and the name re-pointed to it. */
  private repoint(): Array<() => Planned> {
    let endpoint = -1
    return [
      this.make('ep_create', (dst) => ({ depth: DEPTH.service, dst }), (slot) => { endpoint = slot }),
      () => ({ syscall: { kind: 'ep_send', slot: this.next.control!, payload: encode({ type: 'bootstrap', role: 'service' }), xfer: endpoint } }),
      () => ({ syscall: { kind: 'svc_unregister', name: SERVICE_NAME } }),
      () => ({ syscall: { kind: 'svc_register', name: SERVICE_NAME, slot: endpoint }, ok: () => this.observer.note(`MM re-points "${SERVICE_NAME}" to a new endpoint for ${this.next.instance!.name}`) }),
    ]
  }

  /** V2 is healthy: kill V1, destroy its container, delete the endpoints only V1 and the update used. */
  private commit(): void {
    this.phase = 'finishing'
    const old = { ...this.current }
    this.plan.then(
      () => ({ syscall: { kind: 'process_kill', slot: old.process! }, ok: () => { this.observer.killed(old.instance!) } }),
      () => ({ syscall: { kind: 'container_destroy', slot: old.container! }, ok: () => { this.slots.free(old.container); this.slots.free(old.process) } }),
      () => ({ syscall: { kind: 'cap_delete', slot: old.control! }, ok: () => this.slots.free(old.control) }),
      ...andThen(this.deleteUpdateEndpoints(), () => {
        Object.assign(this.current, this.next)
        this.finish('committed')
      }),
    )
  }

  /** V2 refused the snapshot and sent the receive cap to the return endpoint: V1 resumes, V2 goes. */
  private rollBack(reason: string): void {
    this.phase = 'finishing'
    const next = { ...this.next }
    this.observer.note(`MM: ${next.instance!.name} failed to ingest (${reason}); rolling back`)
    this.plan.then(
      () => ({ syscall: { kind: 'ep_send', slot: this.current.control!, payload: encode({ type: 'resume', reason: `${next.instance!.name} failed: ${reason}` }) } }),
      () => ({ syscall: { kind: 'process_kill', slot: next.process! }, ok: () => { this.observer.killed(next.instance!) } }),
      ...andThen(this.discardNext(), () => this.finish('rolled-back')),
    )
  }

  private deleteUpdateEndpoints(): Array<() => Planned> {
    return [this.deleteOriginal(() => this.handoff, () => { this.handoff = null }), this.deleteOriginal(() => this.ret, () => { this.ret = null })]
  }

  /** Destroys what was made for the new instance: its container (with the process in it), its control endpoint, the update's endpoints. */
  private discardNext(): Array<() => Planned> {
    const next = this.next
    const items: Array<() => Planned> = []
    if (next.container !== null) items.push(() => ({ syscall: { kind: 'container_destroy', slot: next.container! }, ok: () => { this.slots.free(next.container); this.slots.free(next.process) } }))
    if (next.control !== null) items.push(this.deleteOriginal(() => next.control, () => { next.control = null }))
    if (this.handoff !== null) items.push(this.deleteOriginal(() => this.handoff, () => { this.handoff = null }))
    if (this.ret !== null) items.push(this.deleteOriginal(() => this.ret, () => { this.ret = null }))
    return items
  }

  private finish(result: UpdateResult): void {
    this.phase = 'idle'
    this.next = { ...EMPTY }
    this.observer.updateFinished(result)
  }
}
