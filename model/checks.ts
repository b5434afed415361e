/**
 * The checks every syscall is built from, each returning `Either`: the first
 * failure is the syscall's error (kernel.md §8 precedence is the order in which a
 * handler chains them). `lookup*` find things, `ensure*` check a condition.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { ObjectKind, SlotIndex } from '../spec/ids.js'
import { hasRights, isSubset, type RightsMask } from '../spec/rights.js'
import { type SyscallError, syscallError } from '../spec/errors.js'
import { type Cap, type KernelState, type ObjectOfKind, type ProcessObject, getCap, getObject } from './state.js'

export type Check<T> = E.Either<SyscallError, T>

export const fail = <T = never>(code: Parameters<typeof syscallError>[0]): Check<T> => E.left(syscallError(code))

/** The cap in a slot: `InvalidSlot` past the CSpace, `EmptySlot` if none. */
export function lookupSlot(state: KernelState, process: ProcessObject, slot: SlotIndex): Check<Cap> {
  if (slot >= process.slots.length) return fail('InvalidSlot')
  const id = process.slots[slot]
  return id === null || id === undefined ? fail('EmptySlot') : E.right(getCap(state, id))
}

/** A cap and its object, of the given kind (`WrongKind`) with the given rights (`InsufficientRights`). */
export function lookupCapTo<K extends ObjectKind>(
  state: KernelState, process: ProcessObject, slot: SlotIndex, kind: K, needed: RightsMask,
): Check<{ cap: Cap; object: ObjectOfKind<K> }> {
  return E.chain((cap: Cap) => {
    const object = getObject(state, cap.object)
    if (object === undefined || object.kind !== kind) return fail('WrongKind')
    if (!hasRights(cap.rights, needed)) return fail('InsufficientRights')
    return E.right({ cap, object: object as ObjectOfKind<K> })
  })(lookupSlot(state, process, slot))
}

/** `InsufficientRights` unless `requested ⊆ held`. */
export function ensureRightsWithin(requested: RightsMask, held: RightsMask): Check<void> {
  return isSubset(requested, held) ? E.right(undefined) : fail('InsufficientRights')
}

/** A destination slot: `InvalidSlot` past the CSpace, `SlotOccupied` if it holds a cap. */
export function ensureEmptySlot(process: ProcessObject, slot: SlotIndex): Check<SlotIndex> {
  if (slot >= process.slots.length) return fail('InvalidSlot')
  return process.slots[slot] === null ? E.right(slot) : fail('SlotOccupied')
}

/** A condition that must hold, else `code`. */
export function ensure(condition: boolean, code: Parameters<typeof syscallError>[0]): Check<void> {
  return condition ? E.right(undefined) : fail(code)
}

/** A successful syscall: the new state and the reply. */
export interface Done {
  readonly state: KernelState
  readonly reply: import('../spec/results.js').Reply
}

/** Where slot `slot` of `process` is, as a cap location. */
export function slotOf(process: ProcessObject, slot: SlotIndex) {
  return { place: 'slot', process: process.id, slot } as const
}
