/**
 * Memory syscalls (kernel.md §4), mirroring model/objects/memory.ts: regions, W^X,
 * and mappings that live only with the cap that allowed them (ISO-4). A mapping is
 * stored on its cap (one per cap) and on the process's mapping list, in order.
 * @module
 * @internal
 */
import type { Outcome } from '../../spec/results.js'
import { R_CONTROL, R_EXECUTE, R_READ, R_WRITE } from '../../spec/rights.js'
import type { Kernel } from '../kernel.js'
import { type Fields, isMemAlloc, isMemMap, isSlotCall, rightsMaskOf } from '../validate.js'
import { ensureEmptySlot, lookupCapTo } from '../checks.js'
import { insertCap, mapCap, unmapCap } from '../cdt.js'
import { available, charge } from '../accounting.js'
import { E_ALREADY_EXISTS, E_INVALID_ARGUMENT, E_NOT_FOUND, OK, failure, quotaCode } from '../outcomes.js'
import { KIND_REGION, NONE, RES_MEMORY } from '../tables/objects.js'
import { PLACE_SLOT } from '../tables/caps.js'

/** `mem_alloc`: a region charged to the caller's container; never both write and execute. */
export function memAlloc(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isMemAlloc(call)) return failure(E_INVALID_ARGUMENT)
  const container = k.objects.owner[caller]
  const dst = call['dst'] as number
  const sizeBytes = call['sizeBytes'] as number
  const empty = ensureEmptySlot(k, caller, dst)
  if (empty < 0) return failure(empty)
  if (available(k, container, RES_MEMORY) < sizeBytes) return failure(quotaCode(RES_MEMORY))
  const executable = call['executable'] === true
  const region = newRegion(k, container, sizeBytes, executable)
  insertCap(k, region, R_READ | R_CONTROL | (executable ? R_EXECUTE : R_WRITE), 0, NONE, PLACE_SLOT, caller, dst, null)
  return OK
}

/** A region object owned by (and charged to) `container`. */
export function newRegion(k: Kernel, container: number, sizeBytes: number, executable: boolean): number {
  const objects = k.objects
  const region = objects.alloc(KIND_REGION, k.objectNext++, container)
  objects.bytes[region] = sizeBytes
  objects.executable[region] = executable ? 1 : 0
  charge(k, container, RES_MEMORY, sizeBytes)
  return region
}

/** Mapping perms: non-empty, within read/write/execute, never write with execute. */
function isWellFormedPerms(perms: number): boolean {
  return perms !== 0 && (perms & ~(R_READ | R_WRITE | R_EXECUTE)) === 0 && (perms & (R_WRITE | R_EXECUTE)) !== (R_WRITE | R_EXECUTE)
}

/** `mem_map`: perms ⊆ the cap's rights; one mapping per cap. */
export function memMap(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isMemMap(call)) return failure(E_INVALID_ARGUMENT)
  const perms = rightsMaskOf(call['perms'])
  if (!isWellFormedPerms(perms)) return failure(E_INVALID_ARGUMENT)
  const cap = lookupCapTo(k, caller, call['slot'] as number, KIND_REGION, perms)
  if (cap < 0) return failure(cap)
  if (k.caps.mapPerms[cap] !== 0) return failure(E_ALREADY_EXISTS)
  mapCap(k, caller, cap, perms)
  return OK
}

/** `mem_unmap`: removes the mapping made through the cap in `slot`. */
export function memUnmap(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isSlotCall(call)) return failure(E_INVALID_ARGUMENT)
  const cap = lookupCapTo(k, caller, call['slot'] as number, KIND_REGION, 0)
  if (cap < 0) return failure(cap)
  if (k.caps.mapPerms[cap] === 0) return failure(E_NOT_FOUND)
  unmapCap(k, cap)
  return OK
}
