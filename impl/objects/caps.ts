/**
 * Capability syscalls (kernel.md §2), mirroring model/objects/caps.ts: copy, move,
 * delete, revoke, inspect. The hot path: no allocation but `cap_inspect`'s reply.
 * @module
 * @internal
 */
import type { Outcome } from '../../spec/results.js'
import { RIGHT_NAMES, type RightName } from '../../spec/rights.js'
import type { Kernel } from '../kernel.js'
import { type Fields, isCapCopy, isCapMove, isSlotCall, rightsMaskOf } from '../validate.js'
import { ensureEmptySlot, ensureRightsWithin, lookupSlot } from '../checks.js'
import { deleteCap, deriveCap, moveCapToSlot, revokeCap } from '../cdt.js'
import { E_INSUFFICIENT_RIGHTS, E_INVALID_ARGUMENT, E_WRONG_KIND, OK, failure, success } from '../outcomes.js'
import { KIND_ENDPOINT, KIND_NAMES } from '../tables/objects.js'
import { PLACE_SLOT } from '../tables/caps.js'

/** Right names of every mask, frozen: `cap_inspect` replies share them. */
const RIGHTS_NAMES: ReadonlyArray<ReadonlyArray<RightName>> = Array.from({ length: 32 }, (_, mask) =>
  Object.freeze(RIGHT_NAMES.filter((_, bit) => (mask & (1 << bit)) !== 0)))

/**
 * `cap_copy`: a child of `src` with rights ⊆ rights(src) (CAP-2). A badge only on an
 * unbadged endpoint cap: a non-endpoint is `WrongKind`, a badged one `InsufficientRights`.
 * Badge 0 is none: any unbadged cap takes it, a badged one refuses it.
 */
export function capCopy(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isCapCopy(call)) return failure(E_INVALID_ARGUMENT)
  const requested = rightsMaskOf(call['rights'])
  const badge = call['badge'] as number | undefined
  const source = lookupSlot(k, caller, call['src'] as number)
  if (source < 0) return failure(source)
  if (badge !== undefined && badge !== 0 && k.objects.kind[k.caps.object[source]] !== KIND_ENDPOINT) return failure(E_WRONG_KIND)
  const within = ensureRightsWithin(requested, k.caps.rights[source])
  if (within < 0) return failure(within)
  if (badge !== undefined && k.caps.badge[source] !== 0) return failure(E_INSUFFICIENT_RIGHTS)
  const dst = call['dst'] as number
  const empty = ensureEmptySlot(k, caller, dst)
  if (empty < 0) return failure(empty)
  deriveCap(k, source, requested, badge ?? k.caps.badge[source], PLACE_SLOT, caller, dst, null)
  return OK
}

/** `cap_move`: the same cap, same tree position, another slot (mappings follow it). */
export function capMove(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isCapMove(call)) return failure(E_INVALID_ARGUMENT)
  const source = lookupSlot(k, caller, call['src'] as number)
  if (source < 0) return failure(source)
  const dst = call['dst'] as number
  const empty = ensureEmptySlot(k, caller, dst)
  if (empty < 0) return failure(empty)
  moveCapToSlot(k, source, caller, dst)
  return OK
}

/** `cap_delete`: removes the cap, re-parents its children; the last cap's deletion destroys its object. */
export function capDelete(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isSlotCall(call)) return failure(E_INVALID_ARGUMENT)
  const cap = lookupSlot(k, caller, call['slot'] as number)
  if (cap < 0) return failure(cap)
  deleteCap(k, cap)
  return OK
}

/** `cap_revoke`: removes every descendant wherever it is (slots, tables, messages), not the cap (CAP-3). */
export function capRevoke(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isSlotCall(call)) return failure(E_INVALID_ARGUMENT)
  const cap = lookupSlot(k, caller, call['slot'] as number)
  if (cap < 0) return failure(cap)
  revokeCap(k, cap)
  return OK
}

/** `cap_inspect`: the kind, rights and badge of a cap; never the object's identity. */
export function capInspect(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isSlotCall(call)) return failure(E_INVALID_ARGUMENT)
  const cap = lookupSlot(k, caller, call['slot'] as number)
  if (cap < 0) return failure(cap)
  const objectKind = KIND_NAMES[k.objects.kind[k.caps.object[cap]]]!
  return success({ kind: 'cap', objectKind, rights: RIGHTS_NAMES[k.caps.rights[cap]] as RightName[], badge: k.caps.badge[cap] })
}
