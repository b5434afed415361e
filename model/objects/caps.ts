/**
 * Capability syscalls (kernel.md §2): copy, move, delete, revoke, inspect.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { SyscallOf } from '../../spec/syscalls.js'
import { rightsMask, rightsNames } from '../../spec/rights.js'
import { UNIT } from '../../spec/results.js'
import { type KernelState, type ProcessObject, getObject } from '../state.js'
import { type Check, type Done, ensure, ensureEmptySlot, ensureRightsWithin, lookupSlot, slotOf } from '../checks.js'
import { draft, freeze } from '../draft.js'
import { deleteCap, deriveCap, moveCap, revokeCap } from '../cdt.js'
import { collectGarbage } from '../destroy.js'

/**
 * `cap_copy`: a child of `src` with rights ⊆ rights(src) (CAP-2). A badge may be set
 * only on an unbadged endpoint cap: a non-endpoint is `WrongKind`, a badged one
 * `InsufficientRights`. Badge 0 is none (kernel.md §2): any unbadged cap may be
 * copied with it, and a badged one may not (its badge would change).
 */
export function capCopy(state: KernelState, caller: ProcessObject, call: SyscallOf<'cap_copy'>): Check<Done> {
  const requested = rightsMask(call.rights)
  return pipe(
    lookupSlot(state, caller, call.src, 'src'),
    E.chainFirst((source) => (call.badge === undefined || call.badge === 0 ? E.right(undefined) : ensure(getObject(state, source.object)?.kind === 'endpoint', 'WrongKind', 'a badge goes on an endpoint cap'))),
    E.chainFirst((source) => ensureRightsWithin(requested, source.rights)),
    E.chainFirst((source) => (call.badge === undefined ? E.right(undefined) : ensure(source.badge === 0, 'InsufficientRights', 'a badge is set once'))),
    E.chainFirst(() => ensureEmptySlot(caller, call.dst)),
    E.map((source) => {
      const work = draft(state)
      deriveCap(work, source, requested, slotOf(caller, call.dst), call.badge ?? source.badge)
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/** `cap_move`: the same cap, same tree position, another slot (mappings follow it). */
export function capMove(state: KernelState, caller: ProcessObject, call: SyscallOf<'cap_move'>): Check<Done> {
  return pipe(
    lookupSlot(state, caller, call.src, 'src'),
    E.chainFirst(() => ensureEmptySlot(caller, call.dst)),
    E.map((source) => {
      const work = draft(state)
      moveCap(work, source.id, slotOf(caller, call.dst))
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/** `cap_delete`: removes the cap, re-parents its children; the last cap's deletion destroys its object. */
export function capDelete(state: KernelState, caller: ProcessObject, call: SyscallOf<'cap_delete'>): Check<Done> {
  return pipe(
    lookupSlot(state, caller, call.slot),
    E.map((cap) => {
      const work = draft(state)
      deleteCap(work, cap.id)
      collectGarbage(work)
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/** `cap_revoke`: removes every descendant wherever it is (slots, tables, messages), not the cap (CAP-3). */
export function capRevoke(state: KernelState, caller: ProcessObject, call: SyscallOf<'cap_revoke'>): Check<Done> {
  return pipe(
    lookupSlot(state, caller, call.slot),
    E.map((cap) => {
      const work = draft(state)
      revokeCap(work, cap.id)
      collectGarbage(work)
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/** `cap_inspect`: the kind, rights and badge of a cap; never the object's identity. */
export function capInspect(state: KernelState, caller: ProcessObject, call: SyscallOf<'cap_inspect'>): Check<Done> {
  return pipe(
    lookupSlot(state, caller, call.slot),
    E.map((cap) => ({
      state,
      reply: { kind: 'cap' as const, objectKind: getObject(state, cap.object)!.kind, rights: rightsNames(cap.rights), badge: cap.badge },
    })),
  )
}
