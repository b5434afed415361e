/**
 * Memory syscalls (kernel.md §4): regions, W^X, and mappings that live only with
 * the cap that allowed them (ISO-4).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { SyscallOf } from '../../spec/syscalls.js'
import { R_CONTROL, R_EXECUTE, R_READ, R_WRITE, isSubset, rightsMask } from '../../spec/rights.js'
import { quotaExceeded, syscallError } from '../../spec/errors.js'
import { UNIT } from '../../spec/results.js'
import { type KernelState, type ProcessObject, getContainer } from '../state.js'
import { type Check, type Done, ensure, ensureEmptySlot, ensureWithin, fail, lookupCapTo, slotOf } from '../checks.js'
import { draft, freeze, newObjectId, updateObject } from '../draft.js'
import { insertCap } from '../cdt.js'
import { available, charge } from '../accounting.js'

/** `mem_alloc`: a region charged to the caller's container; never both write and execute. */
export function memAlloc(state: KernelState, caller: ProcessObject, call: SyscallOf<'mem_alloc'>): Check<Done> {
  const container = getContainer(state, caller.owner!)
  return pipe(
    ensureEmptySlot(caller, call.dst),
    E.chainFirst(() => ensureWithin('memoryBytes quota', call.sizeBytes, available(state, container, 'memoryBytes'), quotaExceeded('memoryBytes'))),
    E.map(() => {
      const work = draft(state)
      const id = newObjectId(work)
      work.ksObjects.set(id, { kind: 'region', id, owner: container.id, sizeBytes: call.sizeBytes, executable: call.executable })
      charge(work, container.id, 'memoryBytes', call.sizeBytes)
      const rights = R_READ | R_CONTROL | (call.executable ? R_EXECUTE : R_WRITE)
      insertCap(work, { object: id, rights, badge: 0, parent: null, at: slotOf(caller, call.dst) })
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/** Mapping perms: non-empty, within read/write/execute, never write with execute. */
function isWellFormedPerms(perms: number): boolean {
  return perms !== 0 && isSubset(perms, R_READ | R_WRITE | R_EXECUTE) && (perms & (R_WRITE | R_EXECUTE)) !== (R_WRITE | R_EXECUTE)
}

/** `mem_map`: perms ⊆ the cap's rights; one mapping per cap. */
export function memMap(state: KernelState, caller: ProcessObject, call: SyscallOf<'mem_map'>): Check<Done> {
  const perms = rightsMask(call.perms)
  if (E.isLeft(ensure(isWellFormedPerms(perms), 'InvalidArgument', 'perms well formed (W^X)'))) return fail('InvalidArgument')
  return pipe(
    lookupCapTo(state, caller, call.slot, 'region', perms),
    E.chainFirst(({ cap }) => ensure(!caller.mappings.some((m) => m.cap === cap.id), 'AlreadyExists', 'no mapping through this cap yet')),
    E.map(({ cap, object }) => {
      const work = draft(state)
      updateObject(work, caller, (p) => ({ ...p, mappings: [...p.mappings, { cap: cap.id, region: object.id, perms }] }))
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/** `mem_unmap`: removes the mapping made through the cap in `slot`. */
export function memUnmap(state: KernelState, caller: ProcessObject, call: SyscallOf<'mem_unmap'>): Check<Done> {
  return pipe(
    lookupCapTo(state, caller, call.slot, 'region', 0),
    E.chainFirst(({ cap }) => ensure(caller.mappings.some((m) => m.cap === cap.id), 'NotFound', 'a mapping through this cap')),
    E.map(({ cap }) => {
      const work = draft(state)
      updateObject(work, caller, (p) => ({ ...p, mappings: p.mappings.filter((m) => m.cap !== cap.id) }))
      return { state: freeze(work), reply: UNIT }
    }),
  )
}
