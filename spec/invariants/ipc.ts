/**
 * IPC invariants (kernel.md §5, §9): queues stay within their depth (IPC-1), and
 * every message sent is received, still queued or discarded, in FIFO order per
 * endpoint (IPC-2).
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { EndpointObject, KernelState } from '../../model/state.js'
import type { StateInvariant, Violation } from './types.js'
import { firstOf, firstViolation, violation } from './_shared.js'

/** Endpoints present in `state`. */
function endpointsOf(state: KernelState): EndpointObject[] {
  return [...state.ksObjects.values()].flatMap((object) => (object.kind === 'endpoint' ? [object] : []))
}

// ---- IPC-1 -----------------------------------------------------------------

/** IPC-1: no endpoint queue holds more messages than its depth. */
export function checkIpc1(state: KernelState): O.Option<Violation> {
  return firstViolation(endpointsOf(state), (endpoint) => endpoint.queue.length <= endpoint.depth
    ? O.none
    : violation('IPC-1', `endpoint ${endpoint.id} holds ${endpoint.queue.length} messages, depth ${endpoint.depth}`, {
      endpoint: endpoint.id, owner: endpoint.owner, length: endpoint.queue.length, depth: endpoint.depth,
    }))
}

// ---- IPC-2 -----------------------------------------------------------------

/** The ledger balances: sent = received + discarded + Σ queue lengths (none lost, none duplicated). */
function checkLedger(state: KernelState): O.Option<Violation> {
  const { sent, received, discarded } = state.gsMessages
  const queued = endpointsOf(state).reduce((sum, endpoint) => sum + endpoint.queue.length, 0)
  if (sent === received + discarded + queued) return O.none
  return violation('IPC-2', `sent ${sent} ≠ received ${received} + discarded ${discarded} + queued ${queued}`, { sent, received, discarded, queued })
}

/** One queue is FIFO: sequence numbers strictly increase, and the head comes after the last message received. */
function checkQueueOrder(state: KernelState, endpoint: EndpointObject): O.Option<Violation> {
  const lastReceived = state.gsLastReceived.get(endpoint.id)
  const head = endpoint.queue[0]
  return firstOf(
    () => firstViolation(endpoint.queue.keys(), (index) => {
      const previous = endpoint.queue[index - 1]
      const message = endpoint.queue[index]!
      return previous === undefined || previous.seq < message.seq ? O.none
        : violation('IPC-2', `endpoint ${endpoint.id}: message ${index} has seq ${message.seq}, not after ${previous.seq}`, {
          endpoint: endpoint.id, index, seq: message.seq, previousSeq: previous.seq,
        })
    }),
    () => head === undefined || lastReceived === undefined || head.seq > lastReceived ? O.none
      : violation('IPC-2', `endpoint ${endpoint.id}: queued seq ${head.seq} is not after the last received ${lastReceived}`, {
        endpoint: endpoint.id, seq: head.seq, lastReceived,
      }),
  )
}

/**
 * IPC-2: every sent message is received, still queued, or discarded by a
 * destroy (the ghost ledger balances), and each endpoint's queue is FIFO.
 */
export function checkIpc2(state: KernelState): O.Option<Violation> {
  return firstOf(
    () => checkLedger(state),
    () => firstViolation(endpointsOf(state), (endpoint) => checkQueueOrder(state, endpoint)),
  )
}

// ---- registry entries ------------------------------------------------------

/** IPC-1 as a registry entry. */
export const IPC_1: StateInvariant = {
  id: 'IPC-1', scope: 'state', check: checkIpc1,
  statement: 'a queue never holds more than its depth',
}
/** IPC-2 as a registry entry. */
export const IPC_2: StateInvariant = {
  id: 'IPC-2', scope: 'state', check: checkIpc2,
  statement: 'every sent message is received, still queued, or discarded by a destroy: none lost, none duplicated; FIFO per endpoint',
}
