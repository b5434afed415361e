/**
 * IPC syscalls (kernel.md §5), mirroring model/objects/ipc.ts: endpoints with
 * bounded FIFO queues (ring buffers preallocated to their depth), badges, cap
 * transfer, and seL4's rule that a cap with nowhere to land is dropped.
 * @module
 * @internal
 */
import type { Outcome } from '../../spec/results.js'
import type { Payload } from '../../spec/numbers.js'
import { R_GRANT, R_READ, R_WRITE } from '../../spec/rights.js'
import type { Kernel } from '../kernel.js'
import { assert } from '../assert.js'
import { type Fields, isEpCreate, isEpRecv, isEpSend } from '../validate.js'
import { ensureEmptySlot, lookupCapTo, lookupSlot } from '../checks.js'
import { deleteCap, deriveCap, insertCap, moveCapToSlot } from '../cdt.js'
import { available, charge } from '../accounting.js'
import { E_INVALID_ARGUMENT, E_INVALID_SLOT, E_QUEUE_EMPTY, E_QUEUE_FULL, OK, failure, quotaCode, success } from '../outcomes.js'
import { KIND_ENDPOINT, NONE, RES_ENDPOINTS } from '../tables/objects.js'
import { PLACE_MESSAGE, PLACE_SLOT } from '../tables/caps.js'
import { newRing } from '../tables/ring.js'

/** `ep_create`: an endpoint of `depth` charged to the caller's container; the original has read, write, grant. */
export function epCreate(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isEpCreate(call)) return failure(E_INVALID_ARGUMENT)
  const objects = k.objects
  const container = objects.owner[caller]
  const dst = call['dst'] as number
  const empty = ensureEmptySlot(k, caller, dst)
  if (empty < 0) return failure(empty)
  if (available(k, container, RES_ENDPOINTS) < 1) return failure(quotaCode(RES_ENDPOINTS))
  const endpoint = newEndpoint(k, container, call['depth'] as number)
  insertCap(k, endpoint, R_READ | R_WRITE | R_GRANT, 0, NONE, PLACE_SLOT, caller, dst, null)
  return OK
}

/** An endpoint object owned (and charged to) `container`, its ring preallocated to `depth`. */
export function newEndpoint(k: Kernel, container: number, depth: number): number {
  const objects = k.objects
  const endpoint = objects.alloc(KIND_ENDPOINT, k.objectNext++, container)
  objects.depth[endpoint] = depth
  objects.queueHead[endpoint] = 0
  objects.queueCount[endpoint] = 0
  objects.lastReceived[endpoint] = -1
  objects.ring[endpoint] = newRing(depth)
  charge(k, container, RES_ENDPOINTS, 1)
  return endpoint
}

/**
 * `ep_send`: needs `write` (and `grant` to transfer). Non-blocking: a full queue is
 * `QueueFull`. The message carries the sender cap's badge; a transferred cap is made
 * now, as a child of the cap in `xfer` with the same rights, and waits in the message.
 */
export function epSend(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isEpSend(call)) return failure(E_INVALID_ARGUMENT)
  const xfer = call['xfer'] as number | undefined
  const target = lookupCapTo(k, caller, call['slot'] as number, KIND_ENDPOINT, R_WRITE | (xfer === undefined ? 0 : R_GRANT))
  if (target < 0) return failure(target)
  let carried = NONE
  if (xfer !== undefined) {
    carried = lookupSlot(k, caller, xfer)
    if (carried < 0) return failure(carried)
  }
  const objects = k.objects
  const endpoint = k.caps.object[target]
  const depth = objects.depth[endpoint]
  const count = objects.queueCount[endpoint]
  if (count >= depth) return failure(E_QUEUE_FULL)
  const ring = objects.ring[endpoint]!
  let at = objects.queueHead[endpoint] + count
  if (at >= depth) at -= depth
  ring.seq[at] = k.messageSeqNext++
  ring.payload[at] = call['payload'] as Payload
  ring.badge[at] = k.caps.badge[target]
  assert(ring.cap[at] === NONE, 'ipc.send.slot')
  objects.queueCount[endpoint] = count + 1
  objects.touch(endpoint)
  if (carried !== NONE) deriveCap(k, carried, k.caps.rights[carried], k.caps.badge[carried], PLACE_MESSAGE, endpoint, at, null)
  k.ledgerSent++
  return OK
}

/**
 * `ep_recv`: needs `read`; `QueueEmpty` on an empty queue. A carried cap moves to
 * `dst` keeping its CDT place; if `dst` is absent or occupied it is deleted (the
 * destruction rule runs at the end of the syscall, after the message is gone).
 */
export function epRecv(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isEpRecv(call)) return failure(E_INVALID_ARGUMENT)
  const cap = lookupCapTo(k, caller, call['slot'] as number, KIND_ENDPOINT, R_READ)
  if (cap < 0) return failure(cap)
  const objects = k.objects
  const dst = call['dst'] as number | undefined
  if (dst !== undefined && dst >= objects.slotCount[caller]) return failure(E_INVALID_SLOT)
  const endpoint = k.caps.object[cap]
  const count = objects.queueCount[endpoint]
  if (count === 0) return failure(E_QUEUE_EMPTY)
  const ring = objects.ring[endpoint]!
  const at = objects.queueHead[endpoint]
  const carried = ring.cap[at]
  let disposition: 'none' | 'received' | 'dropped' = 'none'
  if (carried !== NONE) {
    disposition = dst !== undefined && ensureEmptySlot(k, caller, dst) === 0 ? 'received' : 'dropped'
    if (disposition === 'received') moveCapToSlot(k, carried, caller, dst!)
    else deleteCap(k, carried)
  }
  const payload = ring.payload[at]!
  ring.payload[at] = 0
  objects.queueHead[endpoint] = at + 1 === objects.depth[endpoint] ? 0 : at + 1
  objects.queueCount[endpoint] = count - 1
  objects.lastReceived[endpoint] = ring.seq[at]
  objects.touch(endpoint)
  k.ledgerReceived++
  return success({ kind: 'message', payload, badge: ring.badge[at], cap: disposition })
}
