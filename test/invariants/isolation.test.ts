import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { R_EXECUTE, R_READ, R_WRITE, R_CONTROL } from '../../spec/rights.js'
import type { Reply } from '../../spec/results.js'
import type { SyscallError } from '../../spec/errors.js'
import { changedTables, checkIso1, checkIso2, checkIso3, checkIso4 } from '../../spec/invariants/isolation.js'
import { type KernelObject, type KernelState, flowKey } from '../../model/state.js'
import type { Draft } from '../../model/draft.js'
import {
  A, CAP_EP, CAP_MOUNT_ENTRY, CAP_P, CAP_P_EP, CAP_PORT_ENTRY, CAP_REGION, EP, FAILED, INIT, NS_IPC_ROOT, NS_MOUNT_A, NS_NET_ROOT,
  NS_PID_A, NS_PID_ROOT, NS_USER_A, NS_USER_ROOT, P, REGION, ROOT, UNIT_OK,
  bootState, edit, found, patchCap, patchObject, richState, slotAt, stepOf, tableAt,
} from './_fixtures.js'

type Process = Extract<KernelObject, { kind: 'process' }>

const pids = (list: number[]) => E.right<SyscallError, Reply>({ kind: 'pids', pids: list })
const capReply = E.right<SyscallError, Reply>({ kind: 'cap', objectKind: 'endpoint', rights: ['write'], badge: 0 })

/** The rich state with a new cap 10 in P's slot 1, a child of `parent`, with `rights`. */
function withLookupResult(parent: number, object: number, rights = R_WRITE): KernelState {
  return edit(richState(), (work) => {
    work.ksCaps.set(10, { id: 10, object, rights, badge: 0, parent, at: slotAt(P, 1) })
    patchObject<Process>(work, P, (p) => ({ ...p, slots: [CAP_P_EP, 10, null, null] }))
  })
}

/** The rich state with a new table entry `key` → cap 10 (a child of `parent`) in `namespace`. */
function withEntry(namespace: number, key: string, parent: number, object: number): KernelState {
  return edit(richState(), (work) => addEntry(work, namespace, key, parent, object))
}

function addEntry(work: Draft, namespace: number, key: string, parent: number, object: number): void {
  work.ksCaps.set(10, { id: 10, object, rights: R_WRITE, badge: 0, parent, at: tableAt(namespace, key) })
  const table = work.ksNamespaces.get(namespace)!
  work.ksNamespaces.set(namespace, { ...table, entries: new Map([...table.entries, [key, 10]]) })
}

// ---- ISO-1 -----------------------------------------------------------------

test('ISO-1 holds in the boot state and the rich state', () => {
  assert.ok(O.isNone(checkIso1(bootState())))
  assert.ok(O.isNone(checkIso1(richState())))
})

test('ISO-1 reports a foreign cap with rights beyond the recorded flow', () => {
  const state = edit(richState(), (work) => patchCap(work, CAP_P_EP, (cap) => ({ ...cap, rights: R_READ | R_WRITE })))
  const v = found(checkIso1(state), 'ISO-1')
  assert.equal(v.witness, {
    process: P, container: A, slot: 0, cap: CAP_P_EP, object: EP, objectOwner: ROOT, rights: ['read', 'write'], flowRights: ['write'],
  })
})

test('ISO-1 reports a foreign cap with no recorded flow', () => {
  const state = edit(richState(), (work) => work.gsFlows.delete(flowKey(P, ROOT)))
  const v = found(checkIso1(state), 'ISO-1')
  assert.equal(v.witness, {
    process: INIT, container: ROOT, slot: 6, cap: CAP_P, object: P, objectOwner: A, rights: ['read', 'write', 'execute', 'grant', 'control'], flowRights: null,
  })
})

test("ISO-1 reads a container's own cap as foreign (its owner is its parent)", () => {
  const state = edit(richState(), (work) => {
    work.ksCaps.set(10, { id: 10, object: A, rights: R_CONTROL, badge: 0, parent: 3, at: slotAt(P, 1) })
    patchObject<Process>(work, P, (p) => ({ ...p, slots: [CAP_P_EP, 10, null, null] }))
  })
  const v = found(checkIso1(state), 'ISO-1')
  assert.equal([v.witness['cap'], v.witness['object'], v.witness['objectOwner']], [10, A, ROOT])
  assert.ok(O.isNone(checkIso1(edit(state, (work) => work.gsFlows.set(flowKey(A, A), R_CONTROL)))))
})

// ---- ISO-2 -----------------------------------------------------------------

const listBy = (caller: number) => ({ kind: 'process_list', caller })

test('ISO-2 holds for process_list in the boot state and for lookups in the own tables', () => {
  assert.ok(O.isNone(checkIso2(stepOf(bootState(), listBy(0), pids([1]), bootState()))))
  assert.ok(O.isNone(checkIso2(stepOf(richState(), listBy(0), pids([1, 2]), richState()))))
  assert.ok(O.isNone(checkIso2(stepOf(richState(), listBy(1), pids([1]), richState()))))
  // The mount entry is read-only: resolve hands out read (kernel.md §6), as the model does.
  const resolved = withLookupResult(CAP_MOUNT_ENTRY, REGION, R_READ)
  assert.ok(O.isNone(checkIso2(stepOf(richState(), { kind: 'resolve', caller: 1, path: '/data', dst: 1 }, capReply, resolved))))
  const connected = withLookupResult(CAP_PORT_ENTRY, EP)
  assert.ok(O.isNone(checkIso2(stepOf(richState(), { kind: 'net_connect', caller: 1, port: 80, dst: 1 }, capReply, connected))))
})

test("ISO-2 reports a pid outside the caller's pid namespace", () => {
  const v = found(checkIso2(stepOf(richState(), listBy(1), pids([1, 2]), richState())), 'ISO-2')
  assert.equal(v.witness, { caller: 1, process: P, container: A, namespace: NS_PID_A, pids: [2] })
})

test('ISO-2 reports the pid of a process that is not running', () => {
  const state = edit(richState(), (work) => patchObject<Process>(work, P, (p) => ({ ...p, status: 'dead' })))
  const v = found(checkIso2(stepOf(state, listBy(0), pids([1, 2]), state)), 'ISO-2')
  assert.equal(v.witness, { caller: 0, process: INIT, container: ROOT, namespace: NS_PID_ROOT, pids: [2] })
})

test("ISO-2 reports a lookup that hands out a child of another table's entry", () => {
  const resolved = withLookupResult(CAP_PORT_ENTRY, EP)
  const v = found(checkIso2(stepOf(richState(), { kind: 'resolve', caller: 1, path: '/data', dst: 1 }, capReply, resolved)), 'ISO-2')
  assert.equal(v.witness, {
    caller: 1, process: P, container: A, dst: 1, cap: 10, parent: CAP_PORT_ENTRY, parentAt: tableAt(NS_NET_ROOT, '80'), namespace: NS_MOUNT_A,
  })
  const looked = found(checkIso2(stepOf(richState(), { kind: 'svc_lookup', caller: 1, name: 'echo', dst: 1 }, capReply, resolved)), 'ISO-2')
  assert.is(looked.witness['namespace'], NS_IPC_ROOT)
})

test('ISO-2 reports a lookup whose cap is a child of a slot cap', () => {
  const resolved = withLookupResult(CAP_EP, EP)
  const v = found(checkIso2(stepOf(richState(), { kind: 'net_connect', caller: 1, port: 80, dst: 1 }, capReply, resolved)), 'ISO-2')
  assert.equal([v.witness['parent'], v.witness['parentAt']], [CAP_EP, slotAt(INIT, 4)])
})

test('ISO-2 skips failed lookups', () => {
  assert.ok(O.isNone(checkIso2(stepOf(richState(), { kind: 'resolve', caller: 1, path: '/x', dst: 1 }, FAILED, richState()))))
})

// ---- ISO-3 -----------------------------------------------------------------

test("ISO-3 holds for table changes by uid 0 of the table's user namespace", () => {
  const mountedByInit = withEntry(1, '/x', CAP_REGION, REGION)
  assert.ok(O.isNone(checkIso3(stepOf(bootState(), { kind: 'mount', caller: 0, path: '/', slot: 0, rights: [] }, UNIT_OK, bootState()))))
  assert.ok(O.isNone(checkIso3(stepOf(richState(), { kind: 'mount', caller: 0, path: '/x', slot: 5, rights: ['write'] }, UNIT_OK, mountedByInit))))
  const mountedByP = withEntry(NS_MOUNT_A, '/x', CAP_P_EP, EP)
  assert.ok(O.isNone(checkIso3(stepOf(richState(), { kind: 'mount', caller: 1, path: '/x', slot: 0, rights: ['write'] }, UNIT_OK, mountedByP))))
})

test("ISO-3 reports a container's uid 0 changing a table of an ancestor user namespace", () => {
  const bound = withEntry(NS_NET_ROOT, '81', CAP_P_EP, EP)
  const v = found(checkIso3(stepOf(richState(), { kind: 'net_bind', caller: 1, port: 81, slot: 0 }, UNIT_OK, bound)), 'ISO-3')
  assert.equal(v.witness, { caller: 1, process: P, container: A, namespace: NS_NET_ROOT, userNamespace: NS_USER_ROOT, uid: 1000, processUid: 0 })
})

test('ISO-3 reports a non-zero uid changing its own table', () => {
  const before = edit(richState(), (work) => patchObject<Process>(work, P, (p) => ({ ...p, uid: 5 })))
  const after = edit(before, (work) => addEntry(work, NS_MOUNT_A, '/x', CAP_P_EP, EP))
  const v = found(checkIso3(stepOf(before, { kind: 'mount', caller: 1, path: '/x', slot: 0, rights: ['write'] }, UNIT_OK, after)), 'ISO-3')
  assert.equal([v.witness['namespace'], v.witness['userNamespace'], v.witness['uid']], [NS_MOUNT_A, NS_USER_A, 5])
})

test('ISO-3 reports uid 0 of a base-0 map changing a table of an ancestor whose uid 0 is not host uid 0, and not when it is', () => {
  type Container = Extract<KernelObject, { kind: 'container' }>
  // A moves into a user namespace of its own (map {base 0, count 1}) under NS_USER_A (base `base`); its mount table stays NS_USER_A's.
  const nested = (base: number): KernelState => edit(richState(), (work) => {
    const id = work.ksNamespaceNext++
    const userA = work.ksNamespaces.get(NS_USER_A)!
    work.ksNamespaces.set(NS_USER_A, { ...userA, uidMap: { ...userA.uidMap, base } })
    work.ksNamespaces.set(id, { ...userA, id, parent: NS_USER_A, userNamespace: id, uidMap: { base: 0, count: 1 } })
    patchObject<Container>(work, A, (a) => ({ ...a, namespaces: { ...a.namespaces, user: id } }))
  })
  const mount = { kind: 'mount', caller: 1, path: '/x', slot: 0, rights: ['write'] }
  const before = nested(1000)
  const v = found(checkIso3(stepOf(before, mount, UNIT_OK, edit(before, (work) => addEntry(work, NS_MOUNT_A, '/x', CAP_P_EP, EP)))), 'ISO-3')
  assert.equal([v.witness['namespace'], v.witness['userNamespace'], v.witness['uid'], v.witness['hostUid']], [NS_MOUNT_A, NS_USER_A, 0, 1000])
  assert.match(v.message, /an ancestor of the caller's \(\d+\), where the caller's host uid is 1000/)
  const rooted = nested(0)
  assert.ok(O.isNone(checkIso3(stepOf(rooted, mount, UNIT_OK, edit(rooted, (work) => addEntry(work, NS_MOUNT_A, '/x', CAP_P_EP, EP))))))
})

test('ISO-3 (general form) reports any other table the syscall changed', () => {
  const after = edit(withEntry(NS_MOUNT_A, '/x', CAP_P_EP, EP), (work) => {
    const net = work.ksNamespaces.get(NS_NET_ROOT)!
    work.ksNamespaces.set(NS_NET_ROOT, { ...net, entries: new Map() })
    work.ksCaps.delete(CAP_PORT_ENTRY)
  })
  const v = found(checkIso3(stepOf(richState(), { kind: 'mount', caller: 1, path: '/x', slot: 0, rights: ['write'] }, UNIT_OK, after)), 'ISO-3')
  assert.equal([v.witness['namespace'], v.witness['uid']], [NS_NET_ROOT, 1000])
})

test('ISO-3 does not count an entry removed because its object was destroyed', () => {
  const after = edit(richState(), (work) => {
    const table = work.ksNamespaces.get(NS_MOUNT_A)!
    work.ksNamespaces.set(NS_MOUNT_A, { ...table, entries: new Map() })
    work.ksCaps.delete(CAP_MOUNT_ENTRY)
  })
  const step = stepOf(richState(), { kind: 'unmount', caller: 1, path: '/data' }, UNIT_OK, after)
  assert.equal(changedTables(step), [NS_MOUNT_A])
  const destroyed = edit(after, (work) => work.ksObjects.delete(REGION))
  assert.equal(changedTables(stepOf(richState(), { kind: 'unmount', caller: 1, path: '/data' }, UNIT_OK, destroyed)), [])
})

test('ISO-3 skips failed syscalls and non-table syscalls', () => {
  const bound = withEntry(NS_NET_ROOT, '81', CAP_P_EP, EP)
  assert.ok(O.isNone(checkIso3(stepOf(richState(), { kind: 'net_bind', caller: 1, port: 81, slot: 0 }, FAILED, bound))))
  assert.ok(O.isNone(checkIso3(stepOf(richState(), { kind: 'cap_copy', caller: 1, src: 0, dst: 1, rights: [] }, UNIT_OK, bound))))
})

// ---- ISO-4 -----------------------------------------------------------------

type Mapped = { cap: number; region: number; perms: number }
const withMapping = (mapping: Partial<Mapped>) => edit(richState(), (work) => patchObject<Process>(work, INIT, (init) => ({
  ...init, mappings: [{ cap: CAP_REGION, region: REGION, perms: R_READ, ...mapping }],
})))

test('ISO-4 holds in the boot state and the rich state', () => {
  assert.ok(O.isNone(checkIso4(bootState())))
  assert.ok(O.isNone(checkIso4(richState())))
})

test('ISO-4 reports a mapping both writable and executable', () => {
  const v = found(checkIso4(withMapping({ perms: R_WRITE | R_EXECUTE })), 'ISO-4')
  assert.equal(v.witness, { process: INIT, cap: CAP_REGION, region: REGION, perms: ['write', 'execute'], capRights: ['read', 'write', 'control'] })
})

test('ISO-4 reports a mapping through a cap the process no longer holds', () => {
  const state = edit(richState(), (work) => patchObject<Process>(work, INIT, (init) => ({ ...init, slots: init.slots.map((c) => (c === CAP_REGION ? null : c)) })))
  const v = found(checkIso4(state), 'ISO-4')
  assert.equal([v.witness['process'], v.witness['cap'], v.witness['region']], [INIT, CAP_REGION, REGION])
  const other = found(checkIso4(withMapping({ cap: CAP_P_EP, region: EP })), 'ISO-4')
  assert.equal([other.witness['cap'], other.witness['region']], [CAP_P_EP, EP])
})

test('ISO-4 reports a mapping through a cap to another object', () => {
  const v = found(checkIso4(withMapping({ cap: CAP_EP, region: REGION })), 'ISO-4')
  assert.equal([v.witness['cap'], v.witness['region'], v.witness['capObject']], [CAP_EP, REGION, EP])
})

test("ISO-4 reports perms beyond the cap's rights", () => {
  const state = edit(withMapping({ perms: R_READ | R_WRITE }), (work) => patchCap(work, CAP_REGION, (cap) => ({ ...cap, rights: R_READ | R_CONTROL })))
  const v = found(checkIso4(state), 'ISO-4')
  assert.equal(v.witness, { process: INIT, cap: CAP_REGION, region: REGION, perms: ['read', 'write'], capRights: ['read', 'control'] })
})

test.run()
