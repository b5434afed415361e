/**
 * An endpoint's message queue: a ring buffer preallocated to the endpoint's depth
 * at `ep_create`, so sending and receiving allocate nothing.
 * @module
 * @internal
 */
import type { Payload } from '../../spec/numbers.js'
import { assert } from '../assert.js'

/** Ring storage; the head index and the count live in the object table. */
export interface Ring {
  /** Global send order of each message. */
  readonly seq: Float64Array
  readonly badge: Float64Array
  /** Cap handle carried by the message, or -1. */
  readonly cap: Int32Array
  readonly payload: Payload[]
}

export function newRing(depth: number): Ring {
  assert(depth >= 1, 'ring.depth')
  return { seq: new Float64Array(depth), badge: new Float64Array(depth), cap: new Int32Array(depth).fill(-1), payload: new Array<Payload>(depth).fill(0) }
}

export function copyRing(ring: Ring): Ring {
  return { seq: ring.seq.slice(), badge: ring.badge.slice(), cap: ring.cap.slice(), payload: ring.payload.slice() }
}

/** Copies `from` into `into`, a ring of the same depth (no allocation). */
export function copyRingInto(from: Ring, into: Ring): void {
  into.seq.set(from.seq)
  into.badge.set(from.badge)
  into.cap.set(from.cap)
  for (let index = 0; index < from.payload.length; index++) into.payload[index] = from.payload[index]!
}
