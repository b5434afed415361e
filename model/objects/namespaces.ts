/**
 * Namespace syscalls (kernel.md §6): the mount table, the net table and the service
 * directory of the caller's container. Entries are caps in the CDT; a lookup hands
 * out a child, never the entry. Changing a table needs uid 0 in the user namespace
 * that owns it, and host uid 0 when that is an ancestor of the caller's (ISO-3);
 * lookups only ever see the caller's own tables (ISO-2).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { SyscallOf } from '../../spec/syscalls.js'
import type { NamespaceId, SlotIndex } from '../../spec/ids.js'
import { R_ALL, R_READ, R_WRITE, rightsMask, type RightsMask } from '../../spec/rights.js'
import { UNIT } from '../../spec/results.js'
import { type Cap, type KernelState, type ProcessObject, getCap, getContainer, getNamespace, mayChangeTable } from '../state.js'
import { type Check, type Done, ensure, ensureEmptySlot, ensureRightsWithin, lookupCapTo, lookupSlot, slotOf } from '../checks.js'
import { draft, freeze } from '../draft.js'
import { deleteCap, deriveCap, recordFlow } from '../cdt.js'
import { collectGarbage } from '../destroy.js'

type TableKind = 'mount' | 'net' | 'ipc'

function tableOf(state: KernelState, caller: ProcessObject, table: TableKind): NamespaceId {
  return getContainer(state, caller.owner!).namespaces[table]
}

/** The caller may change a table only as uid 0 of the user namespace that owns it, and as host uid 0 when that is an ancestor's (ISO-3). */
function ensureTableAdmin(state: KernelState, caller: ProcessObject, table: NamespaceId): Check<void> {
  return ensure(mayChangeTable(state, caller, getNamespace(state, table).userNamespace), 'PermissionDenied', 'caller is uid 0 of the table\'s owner')
}

/** Adds an entry: a child of `source` with `rights` under `key`. */
function bindEntry(state: KernelState, caller: ProcessObject, table: TableKind, key: string, source: Check<Cap>, rights: (cap: Cap) => RightsMask): Check<Done> {
  const namespace = tableOf(state, caller, table)
  return pipe(
    source,
    E.chainFirst(() => ensure(!getNamespace(state, namespace).entries.has(key), 'AlreadyExists', 'name free')),
    E.chainFirst(() => ensureTableAdmin(state, caller, namespace)),
    E.map((cap) => {
      const work = draft(state)
      deriveCap(work, cap, rights(cap), { place: 'table', namespace, key })
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/** Removes an entry: its cap is deleted with the destruction rule. */
function unbindEntry(state: KernelState, caller: ProcessObject, table: TableKind, key: string): Check<Done> {
  const namespace = tableOf(state, caller, table)
  const entry = getNamespace(state, namespace).entries.get(key)
  return pipe(
    ensure(entry !== undefined, 'NotFound', 'name bound'),
    E.chainFirst(() => ensureTableAdmin(state, caller, namespace)),
    E.map(() => {
      const work = draft(state)
      deleteCap(work, entry!)
      collectGarbage(work)
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/** Looks `key` up in the caller's own table and puts a child of the entry, with `keep` of its rights, in `dst`. */
function lookupEntry(state: KernelState, caller: ProcessObject, table: TableKind, key: string, dst: SlotIndex, keep: RightsMask): Check<Done> {
  const entry = getNamespace(state, tableOf(state, caller, table)).entries.get(key)
  return pipe(
    ensureEmptySlot(caller, dst),
    E.chainFirst(() => ensure(entry !== undefined, 'NotFound', 'name bound')),
    E.map(() => {
      const work = draft(state)
      const source = getCap(work, entry!)
      recordFlow(work, deriveCap(work, source, source.rights & keep, slotOf(caller, dst)), caller.owner!)
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/** `mount`: a child of the slot's cap with `rights` (⊆ the cap's) at `path`. */
export function mount(state: KernelState, caller: ProcessObject, call: SyscallOf<'mount'>): Check<Done> {
  const rights = rightsMask(call.rights)
  const source = pipe(lookupSlot(state, caller, call.slot), E.chainFirst((cap) => ensureRightsWithin(rights, cap.rights)))
  return bindEntry(state, caller, 'mount', call.path, source, () => rights)
}
export function unmount(state: KernelState, caller: ProcessObject, call: SyscallOf<'unmount'>): Check<Done> {
  return unbindEntry(state, caller, 'mount', call.path)
}
/** `resolve`: a child of the mounted cap with its rights. */
export function resolve(state: KernelState, caller: ProcessObject, call: SyscallOf<'resolve'>): Check<Done> {
  return lookupEntry(state, caller, 'mount', call.path, call.dst, R_ALL)
}

/** `net_bind`: needs `read` on an endpoint (the binder serves). */
export function netBind(state: KernelState, caller: ProcessObject, call: SyscallOf<'net_bind'>): Check<Done> {
  const source = E.map(({ cap }: { cap: Cap }) => cap)(lookupCapTo(state, caller, call.slot, 'endpoint', R_READ))
  return bindEntry(state, caller, 'net', String(call.port), source, (cap) => cap.rights)
}
export function netUnbind(state: KernelState, caller: ProcessObject, call: SyscallOf<'net_unbind'>): Check<Done> {
  return unbindEntry(state, caller, 'net', String(call.port))
}
/** `net_connect`: a send-only child of the bound endpoint cap. */
export function netConnect(state: KernelState, caller: ProcessObject, call: SyscallOf<'net_connect'>): Check<Done> {
  return lookupEntry(state, caller, 'net', String(call.port), call.dst, R_WRITE)
}

/** `svc_register`: needs `read` on an endpoint, like `net_bind`. */
export function svcRegister(state: KernelState, caller: ProcessObject, call: SyscallOf<'svc_register'>): Check<Done> {
  const source = E.map(({ cap }: { cap: Cap }) => cap)(lookupCapTo(state, caller, call.slot, 'endpoint', R_READ))
  return bindEntry(state, caller, 'ipc', call.name, source, (cap) => cap.rights)
}
export function svcUnregister(state: KernelState, caller: ProcessObject, call: SyscallOf<'svc_unregister'>): Check<Done> {
  return unbindEntry(state, caller, 'ipc', call.name)
}
/** `svc_lookup`: a send-only child of the registered endpoint cap. */
export function svcLookup(state: KernelState, caller: ProcessObject, call: SyscallOf<'svc_lookup'>): Check<Done> {
  return lookupEntry(state, caller, 'ipc', call.name, call.dst, R_WRITE)
}
