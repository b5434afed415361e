/**
 * Isolation invariants (kernel.md §1, §4, §6, §9; docs/decisions.md): authority
 * only crosses containers through recorded channels (ISO-1), lookups see only the
 * caller's own namespaces (ISO-2), only uid 0 of the owning user namespace
 * changes a table, and only host uid 0 an ancestor's (ISO-3), and every
 * mapping is backed by a held cap (ISO-4).
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { NamespaceId } from '../ids.js'
import { R_ALL, R_EXECUTE, R_WRITE, type RightsMask, hasRights, isSubset, rightsNames } from '../rights.js'
import type { SyscallKind } from '../syscalls.js'
import { type KernelState, type Mapping, type ProcessObject, flowKey, hostUid, uidIn } from '../../model/state.js'
import type { StateInvariant, StepContext, StepInvariant, Violation } from './types.js'
import {
  type SyscallFields, callerProcess, firstOf, firstViolation, natField, ownerOf, processesOf, successfulSyscall, violation,
} from './_shared.js'

// ---- ISO-1 -----------------------------------------------------------------

/**
 * One slot cap of a process in container X naming an object owned by Y ≠ X:
 * a flow of that object to X must be recorded, with rights ⊇ the cap's.
 */
function checkSlotCapFlow(state: KernelState, process: ProcessObject, slot: number): O.Option<Violation> {
  const cap = state.ksCaps.get(process.slots[slot] ?? -1)
  const object = cap === undefined ? undefined : state.ksObjects.get(cap.object)
  if (cap === undefined || object === undefined) return O.none // dangling or empty: CAP-4's business
  const container = process.owner!
  const objectOwner = ownerOf(object)
  if (objectOwner === container) return O.none
  const flow = state.gsFlows.get(flowKey(object.id, container))
  if (flow !== undefined && isSubset(cap.rights, flow)) return O.none
  return violation('ISO-1', `process ${process.id} in container ${container} holds cap ${cap.id} to ${object.kind} ${object.id} of container ${objectOwner} beyond any recorded flow`, {
    process: process.id, container, slot, cap: cap.id, object: object.id, objectOwner,
    rights: rightsNames(cap.rights), flowRights: flow === undefined ? null : rightsNames(flow),
  })
}

/**
 * ISO-1: authority confinement. Every cap in a process slot of container X that
 * names an object owned by Y ≠ X is covered by a recorded flow to X (`gsFlows`)
 * with rights ⊇ the cap's. The root container owns itself.
 */
export function checkIso1(state: KernelState): O.Option<Violation> {
  return firstViolation(processesOf(state), (process) =>
    firstViolation(process.slots.keys(), (slot) => checkSlotCapFlow(state, process, slot)))
}

// ---- ISO-2 -----------------------------------------------------------------

/** Namespace lookups and the table kind each reads. */
const LOOKUP_TABLES = { resolve: 'mount', net_connect: 'net', svc_lookup: 'ipc' } as const satisfies Partial<Record<SyscallKind, 'mount' | 'net' | 'ipc'>>

/**
 * The most of an entry's rights each lookup hands out (kernel.md §6): `resolve`
 * a child with the mounted cap's rights, `net_connect` and `svc_lookup` a
 * send-only child.
 */
const LOOKUP_KEEPS = { resolve: R_ALL, net_connect: R_WRITE, svc_lookup: R_WRITE } as const satisfies Record<keyof typeof LOOKUP_TABLES, RightsMask>

/** The caller's container's namespace of `kind` in `state`, if the caller and its container are present. */
function callerNamespace(state: KernelState, process: ProcessObject | undefined, kind: 'pid' | 'mount' | 'net' | 'ipc' | 'user'): NamespaceId | undefined {
  const container = process?.owner === null || process === undefined ? undefined : state.ksObjects.get(process.owner)
  return container?.kind === 'container' ? container.namespaces[kind] : undefined
}

/** `process_list` answers only local pids, in the caller's pid namespace, of running processes. */
function checkProcessList(step: StepContext, fields: SyscallFields, pids: ReadonlyArray<number>): O.Option<Violation> {
  const process = callerProcess(step.before, fields)
  const namespace = callerNamespace(step.before, process, 'pid')
  if (namespace === undefined) return O.none
  const visible = new Set<number>()
  for (const other of processesOf(step.before)) {
    const pid = other.status === 'running' ? other.pids.get(namespace) : undefined
    if (pid !== undefined) visible.add(pid)
  }
  const stray = pids.filter((pid) => !visible.has(pid))
  if (stray.length === 0) return O.none
  return violation('ISO-2', `process_list answered pids ${stray.join(', ')} that are not running processes in pid namespace ${namespace}`, {
    caller: natField(fields, 'caller'), process: process!.id, container: process!.owner, namespace, pids: stray,
  })
}

/**
 * A lookup's new cap is a child of an entry of the caller container's own table
 * of that kind, with no rights beyond what the lookup hands out of that entry
 * (its rights for `resolve`, `write` of them for `net_connect` and `svc_lookup`).
 */
function checkLookup(step: StepContext, fields: SyscallFields, kind: keyof typeof LOOKUP_TABLES): O.Option<Violation> {
  const table = LOOKUP_TABLES[kind]
  const before = callerProcess(step.before, fields)
  const namespace = callerNamespace(step.before, before, table)
  const dst = natField(fields, 'dst')
  const capId = dst === undefined ? undefined : callerProcess(step.after, fields)?.slots[dst]
  const cap = capId === undefined || capId === null ? undefined : step.after.ksCaps.get(capId)
  const parent = cap?.parent === null || cap === undefined ? undefined : step.before.ksCaps.get(cap.parent)
  const witness = {
    caller: natField(fields, 'caller') ?? null, process: before?.id ?? null, container: before?.owner ?? null, dst: dst ?? null,
    cap: cap?.id ?? null, parent: cap?.parent ?? null, parentAt: parent?.at ?? null, namespace: namespace ?? null,
  }
  if (namespace === undefined || parent?.at.place !== 'table' || parent.at.namespace !== namespace) {
    return violation('ISO-2', `${kind} gave a cap that is not a child of an entry in the caller's own ${table} table`, witness)
  }
  const allowed = parent.rights & LOOKUP_KEEPS[kind]
  if (isSubset(cap!.rights, allowed)) return O.none
  return violation('ISO-2', `${kind} gave cap ${cap!.id} rights beyond what it hands out of entry ${parent.id}`, {
    ...witness, rights: rightsNames(cap!.rights), allowed: rightsNames(allowed),
  })
}

/**
 * ISO-2 (step): lookups see only the caller's own namespaces. A successful
 * `process_list` answers only local pids of running processes in the caller's pid
 * namespace; a successful `resolve`, `net_connect` or `svc_lookup` puts in `dst` a
 * child of an entry of the caller container's own mount, net or ipc table, with
 * the entry's rights at most (`resolve`) or `write` of them at most (the other two:
 * kernel.md §6, "gives a send-only child").
 */
export function checkIso2(step: StepContext): O.Option<Violation> {
  const call = successfulSyscall(step, ['process_list', 'resolve', 'net_connect', 'svc_lookup'])
  if (call === undefined) return O.none
  const kind = call.fields['kind'] as 'process_list' | keyof typeof LOOKUP_TABLES
  if (kind === 'process_list') return call.reply.kind === 'pids' ? checkProcessList(step, call.fields, call.reply.pids) : O.none
  return checkLookup(step, call.fields, kind)
}

// ---- ISO-3 -----------------------------------------------------------------

/** Table-changing syscalls and the table kind each changes. */
const CHANGING_TABLES = {
  mount: 'mount', unmount: 'mount', net_bind: 'net', net_unbind: 'net', svc_register: 'ipc', svc_unregister: 'ipc',
} as const satisfies Partial<Record<SyscallKind, 'mount' | 'net' | 'ipc'>>

/**
 * Tables (namespaces present before and after) whose entries changed: an entry
 * added, replaced, or removed while the object its cap named is still live. An
 * entry removed because its object was destroyed is the destruction rule's doing.
 */
export function changedTables(step: StepContext): NamespaceId[] {
  const changed: NamespaceId[] = []
  for (const before of step.before.ksNamespaces.values()) {
    const after = step.after.ksNamespaces.get(before.id)
    if (after === undefined) continue
    const added = [...after.entries].some(([key, cap]) => before.entries.get(key) !== cap)
    const removed = [...before.entries].some(([key, cap]) => !after.entries.has(key) && isLiveCapObject(step, cap))
    if (added || removed) changed.push(before.id)
  }
  return changed
}

/** The object a cap of `before` named is still live `after`. */
function isLiveCapObject(step: StepContext, cap: number): boolean {
  const object = step.before.ksCaps.get(cap)?.object
  return object !== undefined && step.after.ksObjects.has(object)
}

/**
 * The caller's uid maps to 0 in the user namespace that owns `table` (kernel.md
 * §6), and, when that namespace is an ancestor of the caller's own, its host uid
 * is 0 (ISO-3 as the catalogue states it).
 */
function checkTableOwner(step: StepContext, fields: SyscallFields, process: ProcessObject, table: NamespaceId): O.Option<Violation> {
  const namespace = step.before.ksNamespaces.get(table)
  if (namespace === undefined) return O.none // created by this step: no ancestor owns it
  const uid = uidIn(step.before, process, namespace.userNamespace)
  const witness = {
    caller: natField(fields, 'caller'), process: process.id, container: process.owner, namespace: table,
    userNamespace: namespace.userNamespace, uid, processUid: process.uid,
  }
  if (uid !== 0) return violation('ISO-3', `${String(fields['kind'])} changed ${namespace.kind} table ${table}, owned by user namespace ${namespace.userNamespace}, where the caller's uid is ${uid ?? 'unmapped'}`, witness)
  const own = step.before.ksObjects.get(process.owner!)
  if (own?.kind !== 'container' || own.namespaces.user === namespace.userNamespace) return O.none
  const host = hostUid(step.before, process)
  if (host === 0) return O.none
  return violation('ISO-3', `${String(fields['kind'])} changed ${namespace.kind} table ${table}, owned by user namespace ${namespace.userNamespace}, an ancestor of the caller's (${own.namespaces.user}), where the caller's host uid is ${host}`, { ...witness, hostUid: host })
}

/**
 * ISO-3 (step): a successful mount, unmount, net_bind, net_unbind, svc_register
 * or svc_unregister changes only tables owned by a user namespace in which the
 * caller's uid is 0: the caller's own table of that kind, and any other table
 * whose entries the step changed.
 */
export function checkIso3(step: StepContext): O.Option<Violation> {
  const call = successfulSyscall(step, Object.keys(CHANGING_TABLES) as SyscallKind[])
  if (call === undefined) return O.none
  const process = callerProcess(step.before, call.fields)
  const own = callerNamespace(step.before, process, CHANGING_TABLES[call.fields['kind'] as keyof typeof CHANGING_TABLES])
  if (process === undefined || own === undefined) return O.none
  const tables = new Set([own, ...changedTables(step)])
  return firstViolation(tables, (table) => checkTableOwner(step, call.fields, process, table))
}

// ---- ISO-4 -----------------------------------------------------------------

/** One mapping: made through a cap the process holds, naming the region, with rights ⊇ perms, never write with execute. */
function checkMapping(state: KernelState, process: ProcessObject, mapping: Mapping): O.Option<Violation> {
  const cap = state.ksCaps.get(mapping.cap)
  const witness = { process: process.id, cap: mapping.cap, region: mapping.region, perms: rightsNames(mapping.perms), capRights: cap === undefined ? null : rightsNames(cap.rights) }
  return firstOf(
    () => hasRights(mapping.perms, R_WRITE | R_EXECUTE) ? violation('ISO-4', `process ${process.id} maps region ${mapping.region} writable and executable`, witness) : O.none,
    () => cap !== undefined && process.slots.includes(cap.id) ? O.none
      : violation('ISO-4', `process ${process.id} maps region ${mapping.region} through cap ${mapping.cap}, which it does not hold`, witness),
    () => cap!.object === mapping.region ? O.none
      : violation('ISO-4', `process ${process.id} maps region ${mapping.region} through cap ${mapping.cap} to object ${cap!.object}`, { ...witness, capObject: cap!.object }),
    () => isSubset(mapping.perms, cap!.rights) ? O.none
      : violation('ISO-4', `process ${process.id} maps region ${mapping.region} with perms beyond cap ${mapping.cap}`, witness),
  )
}

/** ISO-4: every mapping is allowed by a cap the process holds now (in its slots, naming the region, rights ⊇ perms); never write with execute. */
export function checkIso4(state: KernelState): O.Option<Violation> {
  return firstViolation(processesOf(state), (process) => firstViolation(process.mappings, (mapping) => checkMapping(state, process, mapping)))
}

// ---- registry entries ------------------------------------------------------

/** ISO-1 as a registry entry. */
export const ISO_1: StateInvariant = {
  id: 'ISO-1', scope: 'state', check: checkIso1,
  statement: "authority confinement: a slot cap to another container's object is covered by a recorded flow with rights ⊇ the cap's",
}
/** ISO-2 as a registry entry. */
export const ISO_2: StepInvariant = {
  id: 'ISO-2', scope: 'step', check: checkIso2,
  statement: "lookups (process_list, resolve, net_connect, svc_lookup) see only the caller's own namespaces",
}
/** ISO-3 as a registry entry. */
export const ISO_3: StepInvariant = {
  id: 'ISO-3', scope: 'step', check: checkIso3,
  statement: "a table changes only by a caller whose uid is 0 in the user namespace that owns it, and whose host uid is 0 when that namespace is an ancestor of its own",
}
/** ISO-4 as a registry entry. */
export const ISO_4: StateInvariant = {
  id: 'ISO-4', scope: 'state', check: checkIso4,
  statement: 'every mapping is allowed by a cap the process holds now; never write with execute',
}
