/**
 * UPD-1 (kernel.md §9, pipeline.md §4), checked after every step of a run:
 *
 * - **The name resolves to exactly one live server.** The `counter` entry of the
 *   service directory names an endpoint whose receive cap (a cap with `read`) is
 *   held in a slot by exactly one live instance — or, while it moves, is held by
 *   none and sits in exactly one message on an endpoint that exactly one live
 *   instance reads (it is in transit to that instance). No process other than the
 *   instances and the ModuleManager (which keeps the original and never
 *   receives) holds a receive cap to it.
 * - **Every accepted request gets exactly one reply.** Each accepted request is in
 *   exactly one place: queued on an endpoint that has a live server, held by a live
 *   instance, its reply queued at the client, or its reply received. Nowhere is a
 *   loss (a request left on an endpoint nobody serves is lost too); twice is a
 *   duplicate. After the run settles, every accepted request has been answered
 *   exactly once.
 * - **State carries over.** Values continue: each applied request gives the last
 *   value plus its `n` (a lost update or a stale snapshot breaks this), and each
 *   reply carries the value its request produced. The new instance ingests exactly
 *   the old one's state at hand-off, migrated; when the old one is killed its final
 *   state is that state (V2's state = migrate(V1's final state)); after a rollback
 *   the old instance's state is intact.
 * @module
 */
import { R_READ } from '../../spec/rights.js'
import type { ObjectId } from '../../spec/ids.js'
import { type Cap, type KernelState, getContainer, getNamespace } from '../../model/state.js'
import { type CounterModule, type CounterV1State, type CounterV2State, migrate, sameState, valueOf } from './counter.js'
import { type Reply, type Request, ReplyCodec, RequestCodec, decode } from './messages.js'
import type { InstanceInfo, UpdateObserver, UpdateResult } from './observer.js'
import { SERVICE_NAME } from './system.js'

/** The three clauses of UPD-1 (all are checked unless a run says otherwise). */
export type Upd1Clause = 'name' | 'requests' | 'state'
export const UPD1_CLAUSES: ReadonlyArray<Upd1Clause> = ['name', 'requests', 'state']

/** A violation of UPD-1: what, and the evidence. */
export interface Upd1Violation {
  readonly clause: Upd1Clause
  readonly message: string
  /** Index of the executed syscall after which it was found. */
  readonly step: number
  readonly witness: Readonly<Record<string, unknown>>
}

/** Counts of a run, for coverage reports. */
export interface UpdateStats {
  accepted: number
  answered: number
  updatesStarted: number
  committed: number
  rolledBack: number
  refusedAtSpawn: number
  /** Requests accepted while an update was under way. */
  queuedDuringUpdate: number
  /** Requests accepted while the service endpoint's receive cap was in a message. */
  queuedInTransit: number
  /** Largest number of requests waiting on the service endpoint at once during an update. */
  waitingDuringUpdateMax: number
  /** Requests waiting on the service endpoint when its receive cap left the old instance (summed over hand-offs). */
  waitingAtHandoff: number
}

/** What happened in one update, for reports. */
export interface UpdateRecord {
  readonly module: CounterModule
  result: UpdateResult | null
  /** The old instance's state in its snapshot. */
  snapshot: CounterV1State | null
  /** The new instance's state right after ingesting. */
  ingested: CounterV2State | null
  /** The old instance's state when it was killed (after a commit). */
  finalOld: CounterV1State | null
  /** The old instance's state when it resumed (after a rollback). */
  resumed: CounterV1State | null
}

/** What the monitor reads of the harness. */
export interface MonitoredWorld {
  readonly instances: ReadonlyArray<InstanceInfo>
  readonly managerRef: number | null
  readonly updating: boolean
  /** Index of the syscall being executed (or last executed). */
  readonly step: number
  note(text: string): void
}

/** Who serves an endpoint in a state. */
interface Custody {
  readonly server: InstanceInfo | null
  readonly inTransit: boolean
  readonly problem: string | null
}

type Decoded = { kind: 'request'; request: Request } | { kind: 'reply'; reply: Reply } | { kind: 'other' }

const stateText = (state: CounterV1State | CounterV2State): string => JSON.stringify(state)

export class Upd1Monitor implements UpdateObserver {
  violation: Upd1Violation | null = null
  readonly updates: UpdateRecord[] = []
  readonly stats: UpdateStats = { accepted: 0, answered: 0, updatesStarted: 0, committed: 0, rolledBack: 0, refusedAtSpawn: 0, queuedDuringUpdate: 0, queuedInTransit: 0, waitingDuringUpdateMax: 0, waitingAtHandoff: 0 }
  /** Accepted requests by id. */
  private readonly acceptedAt = new Map<string, { client: number; request: Request; step: number }>()
  /** Accepted and not yet answered. */
  private readonly open = new Set<string>()
  private readonly replies = new Map<string, number>()
  /** The value each applied request produced, and the last value. */
  private readonly appliedValue = new Map<string, { value: number; by: string }>()
  private lastValue = 0
  private handoff: { instance: InstanceInfo; state: CounterV1State } | null = null
  private ingest: { instance: InstanceInfo; state: CounterV2State } | null = null
  private justAccepted: string[] = []
  /** Set by a hand-off that moved the receive cap: the next check counts the requests left waiting. */
  private countWaiting = false
  private started = false
  private readonly decoded = new Map<string, Decoded>()

  private readonly clauses: ReadonlySet<Upd1Clause>

  constructor(private readonly world: MonitoredWorld, clauses: ReadonlyArray<Upd1Clause> = UPD1_CLAUSES) {
    this.clauses = new Set(clauses)
  }

  /** Per-step checks begin (after setup: the service is registered and clients are connected). */
  start(): void {
    this.started = true
  }

  /** The value of the counter after the last applied request. */
  get value(): number {
    return this.lastValue
  }

  private fail(clause: Upd1Clause, message: string, witness: Record<string, unknown> = {}): void {
    if (this.violation === null && this.clauses.has(clause)) this.violation = { clause, message, step: this.world.step, witness }
  }

  note(text: string): void {
    this.world.note(text)
  }

  accepted(client: number, request: Request): void {
    if (this.acceptedAt.has(request.requestId)) return this.fail('requests', `request ${request.requestId} was accepted twice`, { requestId: request.requestId })
    this.acceptedAt.set(request.requestId, { client, request, step: this.world.step })
    this.open.add(request.requestId)
    this.justAccepted.push(request.requestId)
    this.stats.accepted++
  }

  replyReceived(client: number, reply: Reply): void {
    const count = (this.replies.get(reply.requestId) ?? 0) + 1
    this.replies.set(reply.requestId, count)
    this.open.delete(reply.requestId)
    if (count === 1) this.stats.answered++
    const accepted = this.acceptedAt.get(reply.requestId)
    if (accepted === undefined) return this.fail('requests', `client ${client} received a reply to ${reply.requestId}, which was never accepted`, { reply })
    if (accepted.client !== client) return this.fail('requests', `client ${client} received the reply to client ${accepted.client}'s request ${reply.requestId}`, { reply })
    if (count > 1) return this.fail('requests', `request ${reply.requestId} was answered ${count} times`, { requestId: reply.requestId, client })
    const applied = this.appliedValue.get(reply.requestId)
    if (applied?.value !== reply.count) this.fail('state', `the reply to ${reply.requestId} says ${reply.count}, but applying it gave ${applied?.value ?? 'nothing'}`, { reply, applied: applied ?? null })
  }

  applied(instance: InstanceInfo, request: Request, value: number): void {
    if (this.appliedValue.has(request.requestId)) return this.fail('requests', `request ${request.requestId} was applied twice (by ${this.appliedValue.get(request.requestId)!.by} and ${instance.name})`, { requestId: request.requestId })
    this.appliedValue.set(request.requestId, { value, by: instance.name })
    const expected = this.lastValue + request.n
    this.lastValue = value
    if (value !== expected) {
      this.fail('state', `${instance.name} applied ${request.requestId} (+${request.n}) and got ${value}, but the counter stood at ${expected - request.n}: an update of the counter was lost (its state did not carry over)`, { instance: instance.name, requestId: request.requestId, value, expected })
    }
  }

  private get record(): UpdateRecord | undefined {
    return this.updates[this.updates.length - 1]
  }

  handedOff(instance: InstanceInfo, state: CounterV1State, endpointMoved: boolean): void {
    this.handoff = { instance, state: { ...state } }
    this.countWaiting = endpointMoved
    if (this.record !== undefined) this.record.snapshot = { ...state }
    this.note(`${instance.name} sends its snapshot ${stateText(state)}${endpointMoved ? ' with the service endpoint\'s receive cap' : ' (state only: it keeps its receive cap)'}`)
  }

  ingested(instance: InstanceInfo, snapshot: CounterV1State, state: CounterV2State, endpointReceived: boolean): void {
    const old = this.handoff?.instance
    if (endpointReceived) this.note(`endpoint receive cap moved ${old?.name ?? '?'} → ${instance.name}`)
    this.note(`${instance.name} ingests the snapshot ${stateText(snapshot)} → ${stateText(state)} (migrated to V2's format)`)
    if (!sameState(state, migrate(snapshot))) this.fail('state', `${instance.name}'s state after ingesting is ${stateText(state)}, not migrate(${stateText(snapshot)})`)
    if (old !== undefined && !sameState(old.state, snapshot)) {
      this.fail('state', `${instance.name} ingested ${stateText(snapshot)} but ${old.name}'s state is now ${stateText(old.state)}: it changed after its snapshot`, { snapshot, old: old.state })
    }
    this.ingest = { instance, state: { ...state } }
    if (this.record !== undefined) this.record.ingested = { ...state }
  }

  rejected(instance: InstanceInfo, reason: string): void {
    this.note(`${instance.name} rejects the snapshot: ${reason}`)
  }

  resumed(instance: InstanceInfo): void {
    if (this.record !== undefined && 'count' in instance.state) this.record.resumed = { ...instance.state }
    if (this.handoff !== null && !sameState(instance.state, this.handoff.state)) {
      this.fail('state', `after the rollback ${instance.name}'s state is ${stateText(instance.state)}, not its state at hand-off ${stateText(this.handoff.state)}`)
    }
    this.handoff = null
  }

  updateStarted(module: CounterModule): void {
    this.stats.updatesStarted++
    this.updates.push({ module, result: null, snapshot: null, ingested: null, finalOld: null, resumed: null })
    this.handoff = null
    this.ingest = null
    this.note(`update to ${module} begins`)
  }

  killed(instance: InstanceInfo): void {
    this.note(`MM kills ${instance.name}${instance.inFlight.length > 0 ? ` (it still held ${instance.inFlight.map((r) => r.requestId).join(', ')})` : ''}`)
    if (this.handoff?.instance === instance && this.ingest !== null && 'count' in instance.state) {
      if (this.record !== undefined) this.record.finalOld = { ...instance.state }
      const final = migrate(instance.state)
      if (!sameState(final, this.ingest.state)) {
        this.fail('state', `${this.ingest.instance.name} took over with ${stateText(this.ingest.state)}, but migrate(${instance.name}'s final state ${stateText(instance.state)}) = ${stateText(final)}`, { final: instance.state, ingested: this.ingest.state })
      }
    }
  }

  updateFinished(result: UpdateResult): void {
    if (this.record !== undefined) this.record.result = result
    if (result === 'committed') this.stats.committed++
    else if (result === 'rolled-back') this.stats.rolledBack++
    else this.stats.refusedAtSpawn++
    this.note(`update ${result === 'committed' ? 'committed' : result === 'rolled-back' ? 'rolled back: the old instance serves on' : 'abandoned: the new version failed to start'}`)
  }

  /** The per-step checks, on the state after the step. */
  afterStep(state: KernelState): void {
    if (!this.started || this.violation !== null) return
    const live = this.liveInstances(state)
    const readers = readCaps(state)
    const custodyCache = new Map<ObjectId, Custody>()
    const custody = (endpoint: ObjectId) => {
      let found = custodyCache.get(endpoint)
      if (found === undefined) custodyCache.set(endpoint, (found = this.custodyOf(state, endpoint, live, readers)))
      return found
    }
    const entry = getNamespace(state, getContainer(state, state.ksRoot).namespaces.ipc).entries.get(SERVICE_NAME)
    if (entry === undefined) this.fail('name', `the name "${SERVICE_NAME}" resolves to nothing`)
    else {
      const named = state.ksCaps.get(entry)!.object
      if (this.countWaiting) this.noteWaiting(state, named)
      const served = custody(named)
      if (served.problem !== null) this.fail('name', `the name "${SERVICE_NAME}" does not resolve to exactly one live server: ${served.problem}`, { endpoint: named })
    }
    this.conservation(state, live, custody)
  }

  private liveInstances(state: KernelState): Map<ObjectId, InstanceInfo> {
    const live = new Map<ObjectId, InstanceInfo>()
    for (const instance of this.world.instances) {
      if (instance.ref === null) continue
      const id = state.ksProcessRefs[instance.ref]
      const object = id === undefined ? undefined : state.ksObjects.get(id)
      if (object?.kind === 'process' && object.status === 'running') live.set(id!, instance)
    }
    return live
  }

  private custodyOf(state: KernelState, endpoint: ObjectId, live: ReadonlyMap<ObjectId, InstanceInfo>, readers: ReadonlyMap<ObjectId, Cap[]>): Custody {
    const caps = readers.get(endpoint) ?? []
    const holders = new Set<InstanceInfo>()
    for (const cap of caps) {
      if (cap.at.place !== 'slot') continue
      const instance = live.get(cap.at.process)
      if (instance !== undefined) holders.add(instance)
      else if (!this.mayHold(state, cap.at.process)) return { server: null, inTransit: false, problem: `process object ${cap.at.process}, not a server, holds a receive cap to it` }
    }
    if (holders.size > 1) return { server: null, inTransit: false, problem: `${[...holders].map((h) => h.name).join(' and ')} both hold its receive cap` }
    if (holders.size === 1) return { server: [...holders][0]!, inTransit: false, problem: null }
    const moving = caps.filter((cap) => cap.at.place === 'message')
    if (moving.length !== 1) return { server: null, inTransit: false, problem: moving.length === 0 ? 'no live instance holds its receive cap' : `${moving.length} receive caps to it are in messages` }
    const via = (moving[0]!.at as { endpoint: ObjectId }).endpoint
    const custodians = new Set<InstanceInfo>()
    for (const cap of readers.get(via) ?? []) if (cap.at.place === 'slot' && live.has(cap.at.process)) custodians.add(live.get(cap.at.process)!)
    if (custodians.size !== 1) return { server: null, inTransit: false, problem: `its receive cap is in a message that ${custodians.size === 0 ? 'no live instance' : 'several instances'} can receive` }
    return { server: [...custodians][0]!, inTransit: true, problem: null }
  }

  /** The ModuleManager keeps the endpoints' originals; it never receives on the service endpoint (conservation shows it if it did). */
  private mayHold(state: KernelState, process: ObjectId): boolean {
    return this.world.managerRef !== null && state.ksProcessRefs[this.world.managerRef] === process
  }

  private decode(payload: unknown): Decoded {
    if (typeof payload !== 'string') return { kind: 'other' }
    let found = this.decoded.get(payload)
    if (found === undefined) {
      const request = decode(RequestCodec, payload)
      const reply = request === null ? decode(ReplyCodec, payload) : null
      found = request !== null ? { kind: 'request', request } : reply !== null ? { kind: 'reply', reply } : { kind: 'other' }
      this.decoded.set(payload, found)
    }
    return found
  }

  /** Every accepted, unanswered request is in exactly one place where it will be answered. */
  private conservation(state: KernelState, live: ReadonlyMap<ObjectId, InstanceInfo>, custody: (endpoint: ObjectId) => Custody): void {
    const places = new Map<string, string[]>()
    const stranded = new Map<string, string>()
    const add = (id: string, place: string) => { const list = places.get(id); if (list === undefined) places.set(id, [place]); else list.push(place) }
    for (const object of state.ksObjects.values()) {
      if (object.kind !== 'endpoint' || object.queue.length === 0) continue
      let requestsHere = 0
      for (const message of object.queue) {
        const decoded = this.decode(message.payload)
        if (decoded.kind === 'request') {
          requestsHere++
          const served = custody(object.id)
          if (served.problem === null) add(decoded.request.requestId, `queued on endpoint ${object.id} (served by ${served.server!.name}${served.inTransit ? ', receive cap in transit' : ''})`)
          else stranded.set(decoded.request.requestId, `queued on endpoint ${object.id}, which ${served.problem}`)
        } else if (decoded.kind === 'reply') {
          if (!this.open.has(decoded.reply.requestId)) return this.fail('requests', `a second reply to ${decoded.reply.requestId} is queued`, { requestId: decoded.reply.requestId })
          add(decoded.reply.requestId, `reply queued on endpoint ${object.id}`)
        }
      }
      if (this.world.updating && requestsHere > this.stats.waitingDuringUpdateMax) this.stats.waitingDuringUpdateMax = requestsHere
    }
    for (const instance of live.values()) for (const request of instance.inFlight) add(request.requestId, `held by ${instance.name}`)
    for (const id of this.justAccepted) this.noteAccepted(id, places.get(id)?.[0] ?? '')
    this.justAccepted = []
    for (const id of this.open) {
      const where = places.get(id) ?? []
      if (where.length === 1) continue
      const accepted = this.acceptedAt.get(id)!
      if (where.length === 0) {
        const dead = this.world.instances.find((instance) => instance.inFlight.some((r) => r.requestId === id))
        const lostAt = stranded.get(id) ?? (dead !== undefined ? `held by ${dead.name}, which is dead` : 'nowhere')
        return this.fail('requests', `request ${id} (client ${accepted.client}, accepted at step ${accepted.step}) is lost: ${lostAt}`, { requestId: id, lostAt })
      }
      return this.fail('requests', `request ${id} is in ${where.length} places: ${where.join('; ')}`, { requestId: id, places: where })
    }
  }

  /** After a hand-off: the requests that wait in the endpoint while its receive cap moves. */
  private noteWaiting(state: KernelState, endpoint: ObjectId): void {
    this.countWaiting = false
    const object = state.ksObjects.get(endpoint)
    const waiting = object?.kind === 'endpoint' ? object.queue.filter((message) => this.decode(message.payload).kind === 'request').length : 0
    this.stats.waitingAtHandoff += waiting
    if (waiting > 0) this.note(`${waiting} request${waiting === 1 ? '' : 's'} wait${waiting === 1 ? 's' : ''} in the service endpoint while its receive cap moves`)
  }

  private noteAccepted(id: string, where: string): void {
    if (!this.world.updating) return
    this.stats.queuedDuringUpdate++
    const inTransit = where.includes('in transit')
    if (inTransit) this.stats.queuedInTransit++
    this.note(`request ${id} queued during the update${inTransit ? ' (the receive cap is in transit)' : ''}`)
  }

  /** After the run settled: every accepted request answered, the serving instance holds the last value. */
  finish(serving: InstanceInfo | null, managerIdle: boolean): void {
    if (this.violation !== null) return
    if (this.open.size > 0) {
      const ids = [...this.open].slice(0, 8)
      return this.fail('requests', `${this.open.size} accepted request(s) never answered: ${ids.join(', ')}${this.open.size > ids.length ? ', ...' : ''}`, { unanswered: ids })
    }
    if (!managerIdle) return this.fail('state', 'the update never finished')
    if (serving !== null && valueOf(serving.state) !== this.lastValue) {
      this.fail('state', `${serving.name} serves with ${stateText(serving.state)}, but the requests answered add up to ${this.lastValue}`, { state: serving.state, value: this.lastValue })
    }
  }
}

/** Caps with `read`, by the object they name. */
function readCaps(state: KernelState): Map<ObjectId, Cap[]> {
  const found = new Map<ObjectId, Cap[]>()
  for (const cap of state.ksCaps.values()) {
    if ((cap.rights & R_READ) === 0) continue
    const list = found.get(cap.object)
    if (list === undefined) found.set(cap.object, [cap])
    else list.push(cap)
  }
  return found
}
