/**
 * Namespace syscalls (kernel.md §6), mirroring model/objects/namespaces.ts: the
 * mount table, the net table and the service directory of the caller's container.
 * Entries are caps in the CDT; a lookup hands out a child, never the entry.
 * Changing a table needs uid 0 in the user namespace that owns it, and host uid 0
 * when that is an ancestor of the caller's (ISO-3); lookups only ever see the
 * caller's own tables (ISO-2).
 * @module
 * @internal
 */
import type { Outcome } from '../../spec/results.js'
import { R_ALL, R_READ, R_WRITE } from '../../spec/rights.js'
import type { Kernel } from '../kernel.js'
import {
  type Fields, isMount, isNameCall, isNetBind, isNetConnect, isPathCall, isPortCall, isResolve, isSvcLookup, isSvcRegister, rightsMaskOf,
} from '../validate.js'
import { ensureEmptySlot, ensureRightsWithin, lookupCapTo, lookupSlot } from '../checks.js'
import { deleteCap, deriveCap } from '../cdt.js'
import { E_ALREADY_EXISTS, E_INVALID_ARGUMENT, E_NOT_FOUND, E_PERMISSION_DENIED, OK, failure } from '../outcomes.js'
import { KIND_ENDPOINT, NS_IPC, NS_MOUNT, NS_NET, NS_USER } from '../tables/objects.js'
import { PLACE_SLOT, PLACE_TABLE } from '../tables/caps.js'

/** A process's uid as seen in user namespace `target`, or null if `target` is not an ancestor of its own. */
export function uidIn(k: Kernel, process: number, target: number): number | null {
  let uid = k.objects.uid[process]
  for (let at: number | null = k.namespaceOf(k.objects.owner[process], NS_USER); at !== null; ) {
    if (at === target) return uid
    const namespace = k.namespaces.get(at)
    uid += namespace.uidMap.base
    at = namespace.parent
  }
  return null
}

/** How many uids a user namespace maps. */
export function uidMapCount(k: Kernel, userNamespace: number): number {
  return k.namespaces.get(userNamespace).uidMap.count
}

/** The caller may change a table only as uid 0 of the user namespace that owns it, and as host uid 0 when that is an ancestor's (ISO-3). */
function isTableAdmin(k: Kernel, caller: number, table: number): boolean {
  const owner = k.namespaces.get(table).userNamespace
  return uidIn(k, caller, owner) === 0 && (owner === k.namespaceOf(k.objects.owner[caller], NS_USER) || uidIn(k, caller, k.namespaceOf(k.root, NS_USER)) === 0)
}

/** Adds an entry under `key`: a child of `source` with `rights`. `source` may be an error code. */
function bindEntry(k: Kernel, caller: number, column: number, key: string, source: number, rights: number): Outcome {
  if (source < 0) return failure(source)
  const table = k.namespaceOf(k.objects.owner[caller], column)
  if (k.namespaces.get(table).entries.has(key)) return failure(E_ALREADY_EXISTS)
  if (!isTableAdmin(k, caller, table)) return failure(E_PERMISSION_DENIED)
  deriveCap(k, source, rights, k.caps.badge[source], PLACE_TABLE, table, 0, key)
  return OK
}

/** Removes an entry: its cap is deleted with the destruction rule. */
function unbindEntry(k: Kernel, caller: number, column: number, key: string): Outcome {
  const table = k.namespaceOf(k.objects.owner[caller], column)
  const entry = k.namespaces.get(table).entries.get(key)
  if (entry === undefined) return failure(E_NOT_FOUND)
  if (!isTableAdmin(k, caller, table)) return failure(E_PERMISSION_DENIED)
  deleteCap(k, entry)
  return OK
}

/** Looks `key` up in the caller's own table and puts a child of the entry, with `keep` of its rights, in `dst`. */
function lookupEntry(k: Kernel, caller: number, column: number, key: string, dst: number, keep: number): Outcome {
  const empty = ensureEmptySlot(k, caller, dst)
  if (empty < 0) return failure(empty)
  const entry = k.namespaces.get(k.namespaceOf(k.objects.owner[caller], column)).entries.get(key)
  if (entry === undefined) return failure(E_NOT_FOUND)
  deriveCap(k, entry, k.caps.rights[entry] & keep, k.caps.badge[entry], PLACE_SLOT, caller, dst, null)
  return OK
}

/** An endpoint cap with `read` (the binder serves): the cap handle or an error code. */
function servingEndpoint(k: Kernel, caller: number, slot: number): number {
  return lookupCapTo(k, caller, slot, KIND_ENDPOINT, R_READ)
}

/** `mount`: a child of the slot's cap with `rights` (⊆ the cap's) at `path`. */
export function mount(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isMount(call)) return failure(E_INVALID_ARGUMENT)
  const rights = rightsMaskOf(call['rights'])
  let source = lookupSlot(k, caller, call['slot'] as number)
  if (source >= 0) {
    const within = ensureRightsWithin(rights, k.caps.rights[source])
    if (within < 0) source = within
  }
  return bindEntry(k, caller, NS_MOUNT, call['path'] as string, source, rights)
}

export function unmount(k: Kernel, caller: number, call: Fields): Outcome {
  return isPathCall(call) ? unbindEntry(k, caller, NS_MOUNT, call['path'] as string) : failure(E_INVALID_ARGUMENT)
}

/** `resolve`: a child of the mounted cap with its rights. */
export function resolve(k: Kernel, caller: number, call: Fields): Outcome {
  return isResolve(call) ? lookupEntry(k, caller, NS_MOUNT, call['path'] as string, call['dst'] as number, R_ALL) : failure(E_INVALID_ARGUMENT)
}

/** `net_bind`: needs `read` on an endpoint (the binder serves). */
export function netBind(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isNetBind(call)) return failure(E_INVALID_ARGUMENT)
  const source = servingEndpoint(k, caller, call['slot'] as number)
  return bindEntry(k, caller, NS_NET, String(call['port']), source, source < 0 ? 0 : k.caps.rights[source])
}

export function netUnbind(k: Kernel, caller: number, call: Fields): Outcome {
  return isPortCall(call) ? unbindEntry(k, caller, NS_NET, String(call['port'])) : failure(E_INVALID_ARGUMENT)
}

/** `net_connect`: a send-only child of the bound endpoint cap. */
export function netConnect(k: Kernel, caller: number, call: Fields): Outcome {
  return isNetConnect(call) ? lookupEntry(k, caller, NS_NET, String(call['port']), call['dst'] as number, R_WRITE) : failure(E_INVALID_ARGUMENT)
}

/** `svc_register`: needs `read` on an endpoint, like `net_bind`. */
export function svcRegister(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isSvcRegister(call)) return failure(E_INVALID_ARGUMENT)
  const source = servingEndpoint(k, caller, call['slot'] as number)
  return bindEntry(k, caller, NS_IPC, call['name'] as string, source, source < 0 ? 0 : k.caps.rights[source])
}

export function svcUnregister(k: Kernel, caller: number, call: Fields): Outcome {
  return isNameCall(call) ? unbindEntry(k, caller, NS_IPC, call['name'] as string) : failure(E_INVALID_ARGUMENT)
}

/** `svc_lookup`: a send-only child of the registered endpoint cap. */
export function svcLookup(k: Kernel, caller: number, call: Fields): Outcome {
  return isSvcLookup(call) ? lookupEntry(k, caller, NS_IPC, call['name'] as string, call['dst'] as number, R_WRITE) : failure(E_INVALID_ARGUMENT)
}
