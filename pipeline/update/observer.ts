/**
 * What the processes of the example tell the harness as they go: the ghost
 * events UPD-1 is stated over (a request accepted, applied, answered; a snapshot
 * handed off, ingested; an instance resumed or killed) and notes for timelines.
 * Handlers call these from their own point of view; the monitor checks them
 * against the kernel's state.
 * @module
 */
import type { CounterModule, CounterV1State, CounterV2State } from './counter.js'
import type { Reply, Request } from './messages.js'

/** How an update ended. */
export type UpdateResult = 'committed' | 'rolled-back' | 'refused-at-spawn'

/** A counter instance as the monitor sees it. */
export interface InstanceInfo {
  readonly name: string
  readonly module: CounterModule
  readonly ref: number | null
  readonly state: CounterV1State | CounterV2State
  readonly inFlight: ReadonlyArray<Request>
}

export interface UpdateObserver {
  note(text: string): void
  /** A client's `ep_send` of a request succeeded. */
  accepted(client: number, request: Request): void
  /** A client received a reply. */
  replyReceived(client: number, reply: Reply): void
  /** An instance applied a request (its reply was sent in the same step) and the counter is now `value`. */
  applied(instance: InstanceInfo, request: Request, value: number): void
  /** The old instance sent its snapshot; `endpointMoved` when the receive cap went with it. */
  handedOff(instance: InstanceInfo, state: CounterV1State, endpointMoved: boolean): void
  /** The new instance ingested a snapshot. */
  ingested(instance: InstanceInfo, snapshot: CounterV1State, state: CounterV2State, endpointReceived: boolean): void
  /** The new instance refused the snapshot (and gave the receive cap back). */
  rejected(instance: InstanceInfo, reason: string): void
  /** The old instance got its receive cap back and serves again. */
  resumed(instance: InstanceInfo): void
  /** The ModuleManager started an update to `module`. */
  updateStarted(module: CounterModule): void
  /** The ModuleManager killed an instance. */
  killed(instance: InstanceInfo): void
  /** The update finished. */
  updateFinished(result: UpdateResult): void
}
