/**
 * The checks every syscall is built from, each returning `Either`: the first
 * failure is the syscall's error (kernel.md §8 precedence is the order in which a
 * handler chains them). `lookup*` find things, `ensure*` check a condition. Each
 * check has a name (the role of the slot it reads, or what it checks), which
 * check-level coverage counts (./check-log.ts, the names in ./check-catalogue.ts).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { ObjectKind, SlotIndex } from '../spec/ids.js'
import { hasRights, isSubset, type RightsMask } from '../spec/rights.js'
import { type SyscallError, syscallError } from '../spec/errors.js'
import { type Cap, type KernelState, type ObjectOfKind, type ProcessObject, getCap, getObject } from './state.js'
import { noteBound, noteCheck } from './check-log.js'

export type Check<T> = E.Either<SyscallError, T>

export const fail = <T = never>(code: Parameters<typeof syscallError>[0]): Check<T> => E.left(syscallError(code))

/** The cap in a slot: `InvalidSlot` past the CSpace, `EmptySlot` if none. `role` names the slot in check coverage. */
export function lookupSlot(state: KernelState, process: ProcessObject, slot: SlotIndex, role = 'slot'): Check<Cap> {
  if (!noteBound(`${role} in CSpace`, slot, process.slots.length - 1)) return fail('InvalidSlot')
  const id = process.slots[slot]
  const present = id !== null && id !== undefined
  noteCheck(`${role} holds a cap`, present)
  return present ? E.right(getCap(state, id)) : fail('EmptySlot')
}

/** A cap and its object, of the given kind (`WrongKind`) with the given rights (`InsufficientRights`). */
export function lookupCapTo<K extends ObjectKind>(
  state: KernelState, process: ProcessObject, slot: SlotIndex, kind: K, needed: RightsMask, role = 'slot',
): Check<{ cap: Cap; object: ObjectOfKind<K> }> {
  return E.chain((cap: Cap) => {
    const object = getObject(state, cap.object)
    if (!ensureNoted(`${role} is a ${kind} cap`, object !== undefined && object.kind === kind)) return fail('WrongKind')
    if (!ensureNoted(`${role} rights`, hasRights(cap.rights, needed))) return fail('InsufficientRights')
    return E.right({ cap, object: object as ObjectOfKind<K> })
  })(lookupSlot(state, process, slot, role))
}

/** `InsufficientRights` unless `requested ⊆ held`. */
export function ensureRightsWithin(requested: RightsMask, held: RightsMask, name = 'rights within the source\'s'): Check<void> {
  return ensure(isSubset(requested, held), 'InsufficientRights', name)
}

/** A destination slot: `InvalidSlot` past the CSpace, `SlotOccupied` if it holds a cap. */
export function ensureEmptySlot(process: ProcessObject, slot: SlotIndex, role = 'dst'): Check<SlotIndex> {
  if (!noteBound(`${role} in CSpace`, slot, process.slots.length - 1)) return fail('InvalidSlot')
  return E.map(() => slot)(ensure(process.slots[slot] === null, 'SlotOccupied', `${role} empty`))
}

/** A condition that must hold, else `code`; `name` says what it checks. */
export function ensure(condition: boolean, code: Parameters<typeof syscallError>[0], name: string): Check<void> {
  noteCheck(name, condition)
  return condition ? E.right(undefined) : fail(code)
}

/** A condition that must hold, else `error` (for errors with a detail, like `QuotaExceeded(resource)`). */
export function ensureThat(name: string, condition: boolean, error: SyscallError): Check<void> {
  noteCheck(name, condition)
  return condition ? E.right(undefined) : E.left(error)
}

/** `value ≤ bound`, else `error`: a bounded check, whose edges (at the bound, one past) are counted. */
export function ensureWithin(name: string, value: number, bound: number, error: SyscallError): Check<void> {
  return noteBound(name, value, bound) ? E.right(undefined) : E.left(error)
}

function ensureNoted(name: string, condition: boolean): boolean {
  noteCheck(name, condition)
  return condition
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
