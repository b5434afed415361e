/**
 * The catalogue's invariants over every kind of thing they read, with the
 * expected outcome written from kernel.md, not read from the code under test:
 * - OBJ-1 for every object of `everyKindState()` (every kind, a zombie included),
 * - QUO-2 for an uncharged object of every kind and state, resource by resource
 *   (§3's costs: a region its size, executable or not; a running process one
 *   `processes` and its image; an endpoint one `endpoints`; nothing else),
 * - QUO-3 for every limit (each reserved resource, cpuWeight, devices),
 * - ISO-1 for a foreign cap to an object of every kind,
 * - ISO-3 for every table-changing syscall, hence every table kind,
 * - ISO-4 for every mapping perm against every set of cap rights,
 * - LIFE-1 for every kind of object, every namespace kind and every reserved
 *   resource a destroyed container could leave behind.
 * The first round of planted bugs left tests that tried one kind each; the
 * second found more of the same: a zombie, an executable region, a device cap,
 * the ipc table kind, the execute perm, cpuWeight, the ipc namespace and
 * cpuBudget's reservation were each skipped by a planted check that passed them.
 * @module
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as O from 'fp-ts/lib/Option.js'
import { checkObj1 } from '../../spec/invariants/caps.js'
import { checkQuo2, checkQuo3 } from '../../spec/invariants/quota.js'
import { checkIso1, checkIso3, checkIso4 } from '../../spec/invariants/isolation.js'
import { checkLife1 } from '../../spec/invariants/lifecycle.js'
import { checkState } from '../../spec/invariants/index.js'
import { R_ALL, R_CONTROL, R_EXECUTE, R_READ, R_WRITE, rightsNames } from '../../spec/rights.js'
import type { Limits } from '../../spec/limits.js'
import { type KernelObject, type KernelState, type Namespace, flowKey } from '../../model/state.js'
import type { Draft } from '../../model/draft.js'
import { A, INIT, afterDestroyingA, LIMITS_A, NS_MOUNT_A, NS_USER_A, P, REGION, ROOT, UNIT_OK, edit, found, patchObject, slotAt, stepOf, tableAt } from './_fixtures.js'
import { CAP_EP_A, CODE, EP_A, NS_IPC_A, NS_NET_A, ZOMBIE, everyKindState } from './_world.js'

type Container = Extract<KernelObject, { kind: 'container' }>
type Process = Extract<KernelObject, { kind: 'process' }>

const started = Date.now()
const met = new Map<string, number>()
const count = (what: string) => met.set(what, (met.get(what) ?? 0) + 1)

/** An object's kind, with a process's status and a region's flavour (the states kernel.md tells apart). */
function variant(object: KernelObject): string {
  if (object.kind === 'process') return object.status === 'running' ? 'process' : 'zombie'
  if (object.kind === 'region') return object.executable ? 'code region' : 'data region'
  return object.kind
}

test('every invariant holds in the every-kind state, which has every kind of object and a zombie', () => {
  const state = everyKindState()
  assert.equal(checkState(state), [])
  const variants = new Set([...state.ksObjects.values()].map(variant))
  assert.equal([...variants].sort(), ['code region', 'container', 'data region', 'device', 'endpoint', 'process', 'zombie'])
})

// ---- OBJ-1 -----------------------------------------------------------------

test('OBJ-1, every object: with every cap naming it gone, any object but the root container and init is reported, a zombie included', () => {
  const state = everyKindState()
  for (const object of state.ksObjects.values()) {
    const unnamed = edit(state, (work) => {
      for (const cap of [...work.ksCaps.values()]) if (cap.object === object.id) work.ksCaps.delete(cap.id)
    })
    const result = checkObj1(unnamed)
    // kernel.md §2 and docs/decisions.md: the root container and init are the kernel's; every other object lives only while named.
    if (object.id === ROOT || object.id === INIT) {
      assert.ok(O.isNone(result), `pinned ${object.id}`)
      continue
    }
    assert.is(found(result, 'OBJ-1').witness['object'], object.id, `${variant(object)} ${object.id}`)
    count(`OBJ-1 ${variant(object)}`)
  }
})

// ---- QUO-2 -----------------------------------------------------------------

/** kernel.md §3: what a live object costs its owner, written out here for each kind and state. */
function expectedCost(object: KernelObject): Record<string, number> {
  switch (variant(object)) {
    case 'data region': case 'code region': return { memoryBytes: (object as { sizeBytes: number }).sizeBytes }
    case 'process': return { processes: 1, memoryBytes: (object as Process).imageBytes }
    case 'endpoint': return { endpoints: 1 }
    default: return {}
  }
}

/** A new object of each kind and state for `owner`, at id 50. */
function newObjects(owner: number): KernelObject[] {
  const process: Process = { kind: 'process', id: 50, owner, ref: 9, uid: 0, status: 'running', slots: [], mappings: [], pids: new Map(), image: null, imageBytes: 300 }
  return [
    { kind: 'region', id: 50, owner, sizeBytes: 70, executable: false },
    { kind: 'region', id: 50, owner, sizeBytes: 70, executable: true },
    process,
    { ...process, status: 'dead' },
    { kind: 'endpoint', id: 50, owner, depth: 2, queue: [] },
  ]
}

function charge(work: Draft, container: number, cost: Record<string, number>): void {
  patchObject<Container>(work, container, (c) => {
    const usage = { ...c.usage }
    for (const [resource, amount] of Object.entries(cost)) usage[resource as keyof typeof usage] += amount
    return { ...c, usage }
  })
}

test('QUO-2, every kind and resource: an object charged for all its costs but one is reported on that one; charged for all, on none', () => {
  const state = everyKindState()
  for (const container of [ROOT, A]) {
    for (const object of newObjects(container)) {
      const cost = expectedCost(object)
      const withObject = (charged: Record<string, number>) => edit(state, (work) => {
        work.ksObjects.set(object.id, object)
        charge(work, container, charged)
      })
      assert.ok(O.isNone(checkQuo2(withObject(cost))), `${variant(object)} charged in full`)
      for (const resource of Object.keys(cost)) {
        if (cost[resource] === 0) continue
        const rest = Object.fromEntries(Object.entries(cost).filter(([other]) => other !== resource))
        const v = found(checkQuo2(withObject(rest)), 'QUO-2')
        assert.equal([v.witness['container'], v.witness['resource']], [container, resource], `${variant(object)} uncharged ${resource}`)
        assert.is((v.witness['expected'] as number) - (v.witness['usage'] as number), cost[resource])
        count(`QUO-2 ${variant(object)} ${resource}`)
      }
      if (Object.keys(cost).length === 0) count(`QUO-2 ${variant(object)} free`)
    }
  }
})

// ---- QUO-3 -----------------------------------------------------------------

/** Each limit of a container changed: every reserved resource, cpuWeight and the device set (kernel.md §3). */
function changedLimits(limits: Limits): Array<[string, Limits]> {
  const numeric = ['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes', 'cpuWeight'] as const
  return [
    ...numeric.flatMap((field): Array<[string, Limits]> => [[`${field} up`, { ...limits, [field]: limits[field] + 1 }], [`${field} down`, { ...limits, [field]: limits[field] - 1 }]]),
    ['devices fewer', { ...limits, devices: limits.devices.slice(1) }],
    ['devices other', { ...limits, devices: [...limits.devices.slice(1), 'tape0'] }],
  ]
}

test("QUO-3, every limit: any limit of a container outside the caller's subtree changed by a syscall is reported", () => {
  const state = everyKindState()
  const inspect = { kind: 'cap_inspect', caller: 1, slot: 0 }
  const root = state.ksObjects.get(ROOT) as Container
  for (const [what, limits] of changedLimits(root.limits)) {
    const after = edit(state, (work) => patchObject<Container>(work, ROOT, (c) => ({ ...c, limits })))
    const v = found(checkQuo3(stepOf(state, inspect, UNIT_OK, after)), 'QUO-3')
    assert.is(v.witness['container'], ROOT, what)
    // The same change made by init, in the root, is inside its own subtree.
    assert.ok(O.isNone(checkQuo3(stepOf(state, { ...inspect, caller: 0 }, UNIT_OK, after))), `${what} by init`)
    count(`QUO-3 ${what.split(' ')[0]}`)
  }
})

// ---- ISO-1 -----------------------------------------------------------------

test('ISO-1, every kind: a cap in a slot of P (in A) to an object of any kind that another container owns, with no flow to A recorded, is reported', () => {
  const state = everyKindState()
  for (const object of state.ksObjects.values()) {
    // The root container owns itself; every other object is owned by its `owner` (kernel.md §1).
    const owner = object.owner ?? object.id
    const withCap = edit(state, (work) => {
      work.gsFlows.delete(flowKey(object.id, A))
      work.ksCaps.set(60, { id: 60, object: object.id, rights: 0, badge: 0, parent: null, at: slotAt(P, 3) })
      patchObject<Process>(work, P, (p) => ({ ...p, slots: p.slots.map((cap, slot) => (slot === 3 ? 60 : cap)) }))
    })
    const result = checkIso1(withCap)
    if (owner === A) {
      assert.ok(O.isNone(result), `${variant(object)} ${object.id} of A itself`)
      continue
    }
    // (For EP, P's slot 0 also holds a cap to it, now without its flow: the same object either way.)
    assert.is(found(result, 'ISO-1').witness['object'], object.id, `${variant(object)} ${object.id}`)
    count(`ISO-1 ${variant(object)}`)
  }
})

// ---- ISO-3 -----------------------------------------------------------------

/**
 * The every-kind state with A's user namespace moved one level down: a new user
 * namespace with a base-0 map under NS_USER_A (whose base is `base`), so that P's
 * uid 0 is uid 0 of NS_USER_A, which owns all of A's tables, and host uid `base`.
 */
function nestedUser(base: number): KernelState {
  return edit(everyKindState(), (work) => {
    const id = work.ksNamespaceNext++
    const userA = work.ksNamespaces.get(NS_USER_A)!
    work.ksNamespaces.set(NS_USER_A, { ...userA, uidMap: { ...userA.uidMap, base } })
    work.ksNamespaces.set(id, { ...userA, id, parent: NS_USER_A, userNamespace: id, uidMap: { base: 0, count: 1 } })
    patchObject<Container>(work, A, (a) => ({ ...a, namespaces: { ...a.namespaces, user: id } }))
  })
}

/** Each table-changing syscall by P on A's own table of its kind, and the table as it is after. */
const TABLE_CHANGES: ReadonlyArray<{ syscall: Record<string, unknown>; table: number; change: (work: Draft) => void }> = [
  { syscall: { kind: 'mount', caller: 1, path: '/x', slot: 2, rights: ['write'] }, table: NS_MOUNT_A, change: (work) => addEntry(work, NS_MOUNT_A, '/x') },
  { syscall: { kind: 'unmount', caller: 1, path: '/data' }, table: NS_MOUNT_A, change: (work) => removeEntry(work, NS_MOUNT_A, '/data') },
  { syscall: { kind: 'net_bind', caller: 1, port: 8, slot: 2 }, table: NS_NET_A, change: (work) => addEntry(work, NS_NET_A, '8') },
  { syscall: { kind: 'net_unbind', caller: 1, port: 7 }, table: NS_NET_A, change: (work) => removeEntry(work, NS_NET_A, '7') },
  { syscall: { kind: 'svc_register', caller: 1, name: 'two', slot: 2 }, table: NS_IPC_A, change: (work) => addEntry(work, NS_IPC_A, 'two') },
  { syscall: { kind: 'svc_unregister', caller: 1, name: 'svc' }, table: NS_IPC_A, change: (work) => removeEntry(work, NS_IPC_A, 'svc') },
]

function addEntry(work: Draft, namespace: number, key: string): void {
  work.ksCaps.set(70, { id: 70, object: EP_A, rights: R_WRITE, badge: 0, parent: CAP_EP_A, at: tableAt(namespace, key) })
  const table = work.ksNamespaces.get(namespace)!
  work.ksNamespaces.set(namespace, { ...table, entries: new Map([...table.entries, [key, 70]]) })
}

function removeEntry(work: Draft, namespace: number, key: string): void {
  const table = work.ksNamespaces.get(namespace)!
  const entries = new Map(table.entries)
  work.ksCaps.delete(entries.get(key)!)
  entries.delete(key)
  work.ksNamespaces.set(namespace, { ...table, entries })
}

test('ISO-3, every table kind: uid 0 of a nested base-0 map changing a table of its ancestor user namespace is reported unless its host uid is 0', () => {
  for (const { syscall, table, change } of TABLE_CHANGES) {
    const before = nestedUser(1000)
    const v = found(checkIso3(stepOf(before, syscall, UNIT_OK, edit(before, change))), 'ISO-3')
    assert.equal([v.witness['namespace'], v.witness['userNamespace'], v.witness['uid'], v.witness['hostUid']], [table, NS_USER_A, 0, 1000], String(syscall['kind']))
    const rooted = nestedUser(0)
    assert.ok(O.isNone(checkIso3(stepOf(rooted, syscall, UNIT_OK, edit(rooted, change)))), `${String(syscall['kind'])} by host uid 0`)
    // Without the nesting P is uid 0 of the user namespace that owns the table: allowed.
    const own = everyKindState()
    assert.ok(O.isNone(checkIso3(stepOf(own, syscall, UNIT_OK, edit(own, change)))), `${String(syscall['kind'])} in its own user namespace`)
    count(`ISO-3 ${(before.ksNamespaces.get(table) as Namespace).kind} ${String(syscall['kind'])}`)
  }
})

// ---- ISO-4 -----------------------------------------------------------------

test("ISO-4, every perm and every set of rights: a mapping is reported exactly when its perms are not within the cap's rights (or are write with execute)", () => {
  const state = everyKindState()
  const rightsSets = Array.from({ length: 16 }, (_, bits) => [R_READ, R_WRITE, R_EXECUTE, R_CONTROL].filter((_, index) => (bits >> index) & 1).reduce((a, b) => a | b, 0))
  const permsSets = [R_READ, R_WRITE, R_EXECUTE, R_READ | R_WRITE, R_READ | R_EXECUTE, R_WRITE | R_EXECUTE]
  for (const region of [REGION, CODE]) {
    for (const rights of rightsSets) {
      for (const perms of permsSets) {
        const mapped = edit(state, (work) => {
          work.ksCaps.set(61, { id: 61, object: region, rights, badge: 0, parent: null, at: slotAt(P, 3) })
          patchObject<Process>(work, P, (p) => ({ ...p, slots: p.slots.map((cap, slot) => (slot === 3 ? 61 : cap)), mappings: [{ cap: 61, region, perms }] }))
        })
        // kernel.md §4: perms ⊆ rights, never write with execute.
        const allowed = (perms & ~rights) === 0 && (perms & (R_WRITE | R_EXECUTE)) !== (R_WRITE | R_EXECUTE)
        const result = checkIso4(mapped)
        const what = `perms ${rightsNames(perms)} through rights ${rightsNames(rights)}`
        if (allowed) assert.ok(O.isNone(result), what)
        else assert.is(found(result, 'ISO-4').witness['cap'], 61, what)
        for (const right of rightsNames(perms & ~rights)) count(`ISO-4 ${right} beyond`)
      }
    }
  }
})

// ---- LIFE-1 ----------------------------------------------------------------

const destroyA = { kind: 'container_destroy', caller: 0, slot: 3 }

/** The every-kind state after init destroys A. */
const afterDestroyA = (): KernelState => afterDestroyingA(everyKindState())

test('LIFE-1, every kind: an object of any kind and state owned by the destroyed container that remains is reported', () => {
  const before = everyKindState()
  const after = afterDestroyA()
  assert.ok(O.isNone(checkLife1(stepOf(before, destroyA, UNIT_OK, after))), 'a real destroy')
  const child: Container = { ...(before.ksObjects.get(A) as Container), id: 50, owner: A, parent: A }
  for (const object of [...newObjects(A), child, ...[P, ZOMBIE, CODE, EP_A].map((id) => before.ksObjects.get(id)!)]) {
    const v = found(checkLife1(stepOf(before, destroyA, UNIT_OK, edit(after, (work) => work.ksObjects.set(object.id, object)))), 'LIFE-1')
    assert.equal([v.witness['container'], v.witness['object']], [A, object.id], `${variant(object)} ${object.id}`)
    count(`LIFE-1 ${variant(object)}`)
  }
})

test('LIFE-1, every namespace kind: a namespace the destroyed container created that remains is reported', () => {
  const before = everyKindState()
  const after = afterDestroyA()
  for (const kind of ['pid', 'mount', 'net', 'ipc', 'user'] as const) {
    const namespace: Namespace = { id: 80, kind, creator: A, parent: null, userNamespace: 80, entries: new Map(), uidMap: { base: 0, count: 0 }, pidNext: 1 }
    const v = found(checkLife1(stepOf(before, destroyA, UNIT_OK, edit(after, (work) => work.ksNamespaces.set(80, namespace)))), 'LIFE-1')
    assert.equal(v.witness, { container: A, namespace: 80 }, kind)
    count(`LIFE-1 ${kind} namespace`)
  }
  // And each of A's own namespaces (pid, user, mount, net, ipc) kept as it was.
  for (const namespace of before.ksNamespaces.values()) {
    if (namespace.creator !== A) continue
    const v = found(checkLife1(stepOf(before, destroyA, UNIT_OK, edit(after, (work) => work.ksNamespaces.set(namespace.id, { ...namespace, entries: new Map() })))), 'LIFE-1')
    assert.equal(v.witness, { container: A, namespace: namespace.id }, namespace.kind)
  }
})

test("LIFE-1, every reserved resource: a parent still reserving any one resource for the destroyed child is reported on it", () => {
  const before = everyKindState()
  const after = afterDestroyA()
  for (const resource of ['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes'] as const) {
    // A leftover child of the root that reserves exactly A's amount of this one resource.
    const zero = { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0 }
    const ghost: Container = { ...(before.ksObjects.get(A) as Container), id: 50, limits: { ...LIMITS_A, ...zero, [resource]: LIMITS_A[resource] }, usage: zero }
    const v = found(checkLife1(stepOf(before, destroyA, UNIT_OK, edit(after, (work) => {
      work.ksObjects.set(50, ghost)
      work.ksCaps.set(50, { id: 50, object: 50, rights: R_ALL, badge: 0, parent: null, at: slotAt(INIT, 3) })
    }))), 'LIFE-1')
    assert.equal([v.witness['parent'], v.witness['resource']], [ROOT, resource])
    count(`LIFE-1 ${resource}`)
  }
})

test('coverage: every kind, state, resource, limit and table kind was met (floors asserted)', () => {
  const seconds = (Date.now() - started) / 1000
  console.log(`  kinds (${seconds.toFixed(1)} s): ${[...met].sort().map(([what, n]) => `${what} ${n}`).join(', ')}`)
  const floors = [
    ...['container', 'device', 'process', 'zombie', 'data region', 'code region', 'endpoint'].map((v) => `OBJ-1 ${v}`),
    'QUO-2 data region memoryBytes', 'QUO-2 code region memoryBytes', 'QUO-2 process processes', 'QUO-2 process memoryBytes', 'QUO-2 endpoint endpoints', 'QUO-2 zombie free',
    ...['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes', 'cpuWeight', 'devices'].map((r) => `QUO-3 ${r}`),
    ...['container', 'device', 'process', 'data region', 'endpoint'].map((v) => `ISO-1 ${v}`),
    'ISO-3 mount mount', 'ISO-3 mount unmount', 'ISO-3 net net_bind', 'ISO-3 net net_unbind', 'ISO-3 ipc svc_register', 'ISO-3 ipc svc_unregister',
    'ISO-4 read beyond', 'ISO-4 write beyond', 'ISO-4 execute beyond',
    ...['container', 'process', 'zombie', 'data region', 'code region', 'endpoint'].map((v) => `LIFE-1 ${v}`),
    ...['pid', 'mount', 'net', 'ipc', 'user'].map((kind) => `LIFE-1 ${kind} namespace`),
    ...['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes'].map((r) => `LIFE-1 ${r}`),
  ]
  for (const floor of floors) assert.ok((met.get(floor) ?? 0) >= 1, `never met: ${floor}`)
})

test.run()
