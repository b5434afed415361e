/**
 * IPC syscalls (kernel.md §5): endpoints with bounded FIFO queues, badges, cap
 * transfer, and seL4's rule that a cap with nowhere to land is dropped.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { SyscallOf } from '../../spec/syscalls.js'
import { R_GRANT, R_READ, R_WRITE } from '../../spec/rights.js'
import { quotaExceeded, syscallError } from '../../spec/errors.js'
import { UNIT } from '../../spec/results.js'
import { type Cap, type KernelState, type ProcessObject, getContainer } from '../state.js'
import { type Check, type Done, ensure, ensureEmptySlot, ensureWithin, fail, lookupCapTo, lookupSlot, slotOf } from '../checks.js'
import { draft, freeze, newObjectId, updateObject } from '../draft.js'
import { deleteCap, deriveCap, insertCap, moveCap, recordFlow } from '../cdt.js'
import { collectGarbage } from '../destroy.js'
import { available, charge } from '../accounting.js'

/** `ep_create`: an endpoint of `depth` charged to the caller's container; the original has read, write, grant. */
export function epCreate(state: KernelState, caller: ProcessObject, call: SyscallOf<'ep_create'>): Check<Done> {
  const container = getContainer(state, caller.owner!)
  return pipe(
    ensureEmptySlot(caller, call.dst),
    E.chainFirst(() => ensureWithin('endpoints quota', 1, available(state, container, 'endpoints'), quotaExceeded('endpoints'))),
    E.map(() => {
      const work = draft(state)
      const id = newObjectId(work)
      work.ksObjects.set(id, { kind: 'endpoint', id, owner: container.id, depth: call.depth, queue: [] })
      charge(work, container.id, 'endpoints', 1)
      insertCap(work, { object: id, rights: R_READ | R_WRITE | R_GRANT, badge: 0, parent: null, at: slotOf(caller, call.dst) })
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/**
 * `ep_send`: needs `write` (and `grant` to transfer). Non-blocking: a full queue is
 * `QueueFull`. The message carries the sender cap's badge; a transferred cap is made
 * now, as a child of the cap in `xfer` with the same rights, and waits in the message.
 */
export function epSend(state: KernelState, caller: ProcessObject, call: SyscallOf<'ep_send'>): Check<Done> {
  const needed = R_WRITE | (call.xfer === undefined ? 0 : R_GRANT)
  return pipe(
    E.Do,
    E.bind('target', () => lookupCapTo(state, caller, call.slot, 'endpoint', needed)),
    E.bind('carried', () => (call.xfer === undefined ? E.right<never, Cap | null>(null) : lookupSlot(state, caller, call.xfer, 'xfer'))),
    E.chainFirst(({ target }) => ensureWithin('queue has room', target.object.queue.length + 1, target.object.depth, syscallError('QueueFull'))),
    E.map(({ target, carried }) => {
      const work = draft(state)
      const seq = work.ksMessageSeqNext++
      updateObject(work, target.object, (e) => ({ ...e, queue: [...e.queue, { seq, payload: call.payload, badge: target.cap.badge, cap: null }] }))
      if (carried !== null) deriveCap(work, carried, carried.rights, { place: 'message', endpoint: target.object.id, seq })
      work.gsMessages = { ...work.gsMessages, sent: work.gsMessages.sent + 1 }
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/**
 * `ep_recv`: needs `read`; `QueueEmpty` on an empty queue. A carried cap moves to
 * `dst` keeping its CDT place; if `dst` is absent or occupied it is deleted (with
 * the destruction rule) and the message is still received.
 */
export function epRecv(state: KernelState, caller: ProcessObject, call: SyscallOf<'ep_recv'>): Check<Done> {
  return pipe(
    lookupCapTo(state, caller, call.slot, 'endpoint', R_READ),
    E.chainFirst(() => (call.dst === undefined ? E.right(undefined) : ensureWithin('dst in CSpace', call.dst, caller.slots.length - 1, syscallError('InvalidSlot')))),
    E.chainFirst(({ object }) => ensure(object.queue.length > 0, 'QueueEmpty', 'queue not empty')),
    E.map(({ object }) => {
      const work = draft(state)
      const message = object.queue[0]!
      let carried: 'none' | 'received' | 'dropped' = 'none'
      if (message.cap !== null) {
        if (call.dst !== undefined && caller.slots[call.dst] === null) {
          moveCap(work, message.cap, slotOf(caller, call.dst))
          recordFlow(work, message.cap, caller.owner!)
          carried = 'received'
        } else {
          deleteCap(work, message.cap)
          carried = 'dropped'
        }
      }
      updateObject(work, object, (e) => ({ ...e, queue: e.queue.slice(1) }))
      work.gsLastReceived.set(object.id, message.seq)
      work.gsMessages = { ...work.gsMessages, received: work.gsMessages.received + 1 }
      collectGarbage(work)
      return { state: freeze(work), reply: { kind: 'message' as const, payload: message.payload, badge: message.badge, cap: carried } }
    }),
  )
}
