/**
 * The slot checks every handler is built from, mirroring model/checks.ts. They
 * return a cap handle (≥ 0) or a negative error code `E_*`, so nothing is
 * allocated on the way.
 * @module
 * @internal
 */
import type { Kernel } from './kernel.js'
import { assert } from './assert.js'
import { E_EMPTY_SLOT, E_INSUFFICIENT_RIGHTS, E_INVALID_SLOT, E_SLOT_OCCUPIED, E_WRONG_KIND } from './outcomes.js'
import { KIND_FREE, NONE } from './tables/objects.js'

/** The cap in a slot: `InvalidSlot` past the CSpace, `EmptySlot` if none. */
export function lookupSlot(k: Kernel, process: number, slot: number): number {
  if (slot >= k.objects.slotCount[process]) return E_INVALID_SLOT
  const cap = k.objects.cspace[process]![slot]!
  if (cap === NONE) return E_EMPTY_SLOT
  assert(k.caps.where[cap] === process, 'checks.slot.where')
  return cap
}

/** A cap to an object of `kind` with `needed` rights: then `WrongKind`, `InsufficientRights`. */
export function lookupCapTo(k: Kernel, process: number, slot: number, kind: number, needed: number): number {
  const cap = lookupSlot(k, process, slot)
  if (cap < 0) return cap
  const object = k.caps.object[cap]
  assert(k.objects.kind[object] !== KIND_FREE, 'checks.cap.dangling')
  if (k.objects.kind[object] !== kind) return E_WRONG_KIND
  return (k.caps.rights[cap] & needed) === needed ? cap : E_INSUFFICIENT_RIGHTS
}

/** A destination slot: `InvalidSlot` past the CSpace, `SlotOccupied` if it holds a cap; 0 if usable. */
export function ensureEmptySlot(k: Kernel, process: number, slot: number): number {
  if (slot >= k.objects.slotCount[process]) return E_INVALID_SLOT
  return k.objects.cspace[process]![slot] === NONE ? 0 : E_SLOT_OCCUPIED
}

/** `InsufficientRights` unless `requested ⊆ held`; else 0. */
export function ensureRightsWithin(requested: number, held: number): number {
  return (requested & ~held) === 0 ? 0 : E_INSUFFICIENT_RIGHTS
}
