/**
 * A state with every kind of object in every state it can be in, and a cap in
 * every kind of place, for the invariant tests that go over all of them
 * (places.test.ts, kinds.test.ts). `everyKindState()` is `richState()` plus: a
 * cap carried by the queued message (a read child of the region's cap), a
 * zombie (a killed process still named by a cap), an executable region and an
 * endpoint of A's own (held by P), and A's own net and ipc tables with one
 * entry each, so that every kind of namespace has a table owned by A's user
 * namespace. Every invariant holds in it (the tests check that first).
 * @module
 */
import { R_CONTROL, R_EXECUTE, R_GRANT, R_READ, R_WRITE } from '../../spec/rights.js'
import { type Cap, type KernelObject, type KernelState, type Namespace, flowKey } from '../../model/state.js'
import { A, CAP_REGION, EP, INIT, NS_USER_A, ROOT, edit, patchObject, richState, slotAt, tableAt } from './_fixtures.js'

type Container = Extract<KernelObject, { kind: 'container' }>
type Process = Extract<KernelObject, { kind: 'process' }>
type Endpoint = Extract<KernelObject, { kind: 'endpoint' }>

/** A killed process of A (object 8, process 2), named by init's cap in slot 7. */
export const ZOMBIE = 8
/** An executable region of A (object 9), 64 bytes, its original cap in P's slot 1. */
export const CODE = 9
/** An endpoint of A (object 10), depth 1, empty, its original cap in P's slot 2. */
export const EP_A = 10

/** The cap carried by EP's queued message (seq 1): a read child of init's region cap. */
export const CAP_MESSAGE = 10
/** Init's cap to the zombie (slot 7). */
export const CAP_ZOMBIE = 11
/** P's original cap to CODE (slot 1). */
export const CAP_CODE = 12
/** P's original cap to EP_A (slot 2). */
export const CAP_EP_A = 13
/** A write child of CAP_EP_A at port 7 in A's own net table. */
export const CAP_NET_A = 14
/** A write child of CAP_EP_A under `svc` in A's own service directory. */
export const CAP_IPC_A = 15

/** A's own net table, owned by A's user namespace. */
export const NS_NET_A = 8
/** A's own service directory, owned by A's user namespace. */
export const NS_IPC_A = 9

/** Bytes of CODE. */
export const CODE_BYTES = 64

function addObjects(work: Parameters<Parameters<typeof edit>[1]>[0]): void {
  work.ksObjects.set(ZOMBIE, {
    kind: 'process', id: ZOMBIE, owner: A, ref: 2, uid: 0, status: 'dead', slots: [null, null], mappings: [], pids: new Map(), image: null, imageBytes: 0,
  })
  work.ksObjects.set(CODE, { kind: 'region', id: CODE, owner: A, sizeBytes: CODE_BYTES, executable: true })
  work.ksObjects.set(EP_A, { kind: 'endpoint', id: EP_A, owner: A, depth: 1, queue: [] })
  patchObject<Container>(work, A, (a) => ({
    ...a, usage: { ...a.usage, memoryBytes: a.usage.memoryBytes + CODE_BYTES, endpoints: a.usage.endpoints + 1 },
    namespaces: { ...a.namespaces, net: NS_NET_A, ipc: NS_IPC_A },
  }))
  patchObject<Process>(work, INIT, (init) => ({ ...init, slots: init.slots.map((cap, slot) => (slot === 7 ? CAP_ZOMBIE : cap)) }))
  patchObject<Process>(work, 7, (p) => ({ ...p, slots: [p.slots[0]!, CAP_CODE, CAP_EP_A, null] }))
  patchObject<Endpoint>(work, EP, (e) => ({ ...e, queue: e.queue.map((m) => ({ ...m, cap: CAP_MESSAGE })) }))
}

function addCaps(work: Parameters<Parameters<typeof edit>[1]>[0]): void {
  const caps: Cap[] = [
    { id: CAP_MESSAGE, object: 6, rights: R_READ, badge: 0, parent: CAP_REGION, at: { place: 'message', endpoint: EP, seq: 1 } },
    { id: CAP_ZOMBIE, object: ZOMBIE, rights: R_READ | R_CONTROL, badge: 0, parent: null, at: slotAt(INIT, 7) },
    { id: CAP_CODE, object: CODE, rights: R_READ | R_EXECUTE | R_CONTROL, badge: 0, parent: null, at: slotAt(7, 1) },
    { id: CAP_EP_A, object: EP_A, rights: R_READ | R_WRITE | R_GRANT, badge: 0, parent: null, at: slotAt(7, 2) },
    { id: CAP_NET_A, object: EP_A, rights: R_WRITE, badge: 0, parent: CAP_EP_A, at: tableAt(NS_NET_A, '7') },
    { id: CAP_IPC_A, object: EP_A, rights: R_WRITE, badge: 0, parent: CAP_EP_A, at: tableAt(NS_IPC_A, 'svc') },
  ]
  for (const cap of caps) work.ksCaps.set(cap.id, cap)
}

function addNamespaces(work: Parameters<Parameters<typeof edit>[1]>[0]): void {
  const base = { creator: A, parent: null, userNamespace: NS_USER_A, uidMap: { base: 0, count: 0 }, pidNext: 1 }
  const tables: Namespace[] = [
    { ...base, id: NS_NET_A, kind: 'net', entries: new Map([['7', CAP_NET_A]]) },
    { ...base, id: NS_IPC_A, kind: 'ipc', entries: new Map([['svc', CAP_IPC_A]]) },
  ]
  for (const table of tables) work.ksNamespaces.set(table.id, table)
}

/** The rich state plus a message cap, a zombie, an executable region, an endpoint of A, and A's own net and ipc tables. */
export function everyKindState(): KernelState {
  return edit(richState(), (work) => {
    addObjects(work)
    addCaps(work)
    addNamespaces(work)
    work.ksProcessRefs = [...work.ksProcessRefs, ZOMBIE]
    work.ksObjectNext = 11
    work.ksCapNext = 16
    work.ksNamespaceNext = 10
    // Init (in the root) holds a cap to A's zombie: a flow to the root, as spawn records one.
    work.gsFlows = new Map([...work.gsFlows, [flowKey(ZOMBIE, ROOT), R_READ | R_CONTROL]])
  })
}
