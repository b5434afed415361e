import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { step } from '../../model/step.js'
import { R_ALL } from '../../spec/rights.js'
import { DEFAULT_BOOT } from '../../spec/boot.js'
import {
  CHILD_LIMITS, DISK_SLOT, IMAGES, INIT, NEW_ALL, ROOT, ROOT_SLOT, SHARE_ALL, assertOnlyCpuCharged, bootWith, capAt, capsTo,
  expectError, expectOk, failsWith, limits, must, small, mustCapAt, proc, run, sc, succeeds, usageOf, world,
} from './fixtures.js'

const GENEROUS = DEFAULT_BOOT.root.limits
const ZERO = { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0 }
const RESERVED_CHILD = { memoryBytes: 1 << 20, processes: 4, endpoints: 4, cpuBudget: 1000, ioBytes: 4096 }

// ---- container_create ----------------------------------------------------------------

const create = suite('container_create')

create('success (share all): a child of the parent, limits reserved, original cap with all rights, the parent\'s namespaces', () => {
  const before = bootWith()
  const { state, reply } = succeeds(before, sc.create(INIT, ROOT_SLOT, 5))
  assert.equal(reply, { kind: 'unit' })
  const cap = mustCapAt(state, INIT, 5)
  assert.is(cap.rights, R_ALL)
  assert.is(cap.parent, null)
  assert.is(cap.badge, 0)
  assert.is(cap.object, before.ksObjectNext)
  const child = state.ksObjects.get(cap.object)
  assert.equal(child, {
    kind: 'container', id: cap.object, owner: ROOT, parent: ROOT, limits: CHILD_LIMITS, usage: ZERO,
    namespaces: { pid: 0, mount: 1, net: 2, ipc: 3, user: 4 },
  })
  assert.is(state.ksNamespaces.size, before.ksNamespaces.size)
  // init is charged to the root at boot (one process, no image memory)
  assert.equal(usageOf(state, ROOT), { ...ZERO, processes: 1, cpuBudget: 1 })
  const stats = expectOk(step(state, sc.stats(INIT, ROOT_SLOT)).outcome)
  assert.equal(stats.kind === 'stats' && stats.reserved, RESERVED_CHILD)
})

create('success (all new, own user namespace): new namespaces owned by the new user namespace', () => {
  const before = bootWith()
  const state = must(before, sc.create(INIT, ROOT_SLOT, 5, CHILD_LIMITS, NEW_ALL))
  const child = state.ksObjects.get(mustCapAt(state, INIT, 5).object)!
  assert.ok(child.kind === 'container')
  if (child.kind !== 'container') return
  assert.equal(child.namespaces, { user: 5, pid: 6, mount: 7, net: 8, ipc: 9 })
  const user = state.ksNamespaces.get(5)!
  assert.equal([user.kind, user.parent, user.userNamespace, user.uidMap, user.creator], ['user', 4, 5, { base: 100000, count: 65536 }, child.id])
  const pid = state.ksNamespaces.get(6)!
  assert.equal([pid.kind, pid.parent, pid.userNamespace, pid.pidNext], ['pid', 0, 5, 1])
  for (const [id, kind] of [[7, 'mount'], [8, 'net'], [9, 'ipc']] as const) {
    const ns = state.ksNamespaces.get(id)!
    assert.equal([ns.kind, ns.parent, ns.userNamespace, ns.entries.size], [kind, null, 5, 0])
  }
  assert.is(state.ksNamespaceNext, 10)
})

create('success (new pid, shared user): the new namespace is owned by the shared user namespace', () => {
  const state = must(bootWith(), sc.create(INIT, ROOT_SLOT, 5, CHILD_LIMITS, { ...SHARE_ALL, pid: 'new', mount: 'new' }))
  const child = state.ksObjects.get(mustCapAt(state, INIT, 5).object)!
  if (child.kind !== 'container') return assert.unreachable('not a container')
  assert.equal(child.namespaces, { user: 4, pid: 5, mount: 6, net: 2, ipc: 3 })
  assert.is(state.ksNamespaces.get(5)!.userNamespace, 4)
  assert.is(state.ksNamespaces.get(6)!.userNamespace, 4)
})

create('success: a grandchild reserves out of its parent, not the root', () => {
  const w = world()
  const state = must(w.state, sc.create(INIT, w.containerSlot, 5, limits({ memoryBytes: 1000, processes: 1, endpoints: 1, cpuBudget: 10, ioBytes: 0 }), SHARE_ALL))
  const r = run(state, sc.stats(INIT, w.containerSlot), sc.stats(INIT, ROOT_SLOT))
  const c = expectOk(r.outcomes[0]!)
  assert.equal(c.kind === 'stats' && c.reserved, { memoryBytes: 1000, processes: 1, endpoints: 1, cpuBudget: 10, ioBytes: 0 })
  const root = expectOk(r.outcomes[1]!)
  assert.equal(root.kind === 'stats' && root.reserved, RESERVED_CHILD)
  const grandchild = state.ksObjects.get(mustCapAt(state, INIT, 5).object)!
  assert.equal([grandchild.owner, grandchild.kind === 'container' && grandchild.parent], [w.container, w.container])
})

create('success: reserving exactly what is available (cpuBudget counts this call\'s charge)', () => {
  // root: 10000 cpu, this call is charged first, so 9999 remain
  const ok = step(bootWith(), sc.create(INIT, ROOT_SLOT, 5, limits({ cpuBudget: 9999 })))
  expectOk(ok.outcome)
  failsWith(bootWith(), sc.create(INIT, ROOT_SLOT, 5, limits({ cpuBudget: 10000 })), 'QuotaExceeded', 'cpuBudget')
})

create('InvalidSlot parent', () => { failsWith(bootWith(), sc.create(INIT, 16, 5), 'InvalidSlot') })
create('EmptySlot parent', () => { failsWith(bootWith(), sc.create(INIT, 9, 5), 'EmptySlot') })
create('WrongKind parent', () => { failsWith(bootWith(), sc.create(INIT, DISK_SLOT, 5), 'WrongKind') })
create('InsufficientRights: parent cap without control', () => {
  const state = must(bootWith(), sc.copy(INIT, ROOT_SLOT, 5, ['read', 'write', 'execute', 'grant']))
  failsWith(state, sc.create(INIT, 5, 6), 'InsufficientRights')
})
create('InvalidSlot dst', () => { failsWith(bootWith(), sc.create(INIT, ROOT_SLOT, 16), 'InvalidSlot') })
create('SlotOccupied dst; dst equal to parent', () => {
  failsWith(bootWith(), sc.create(INIT, ROOT_SLOT, DISK_SLOT), 'SlotOccupied')
  failsWith(bootWith(), sc.create(INIT, ROOT_SLOT, ROOT_SLOT), 'SlotOccupied')
})
create('PermissionDenied: uid map outside the parent\'s uid range', () => {
  failsWith(bootWith(), sc.create(INIT, ROOT_SLOT, 5, CHILD_LIMITS, { ...SHARE_ALL, user: { base: 2 ** 32 - 1, count: 2 } }), 'PermissionDenied')
  const w = world()
  // C's user namespace has 65536 uids: 60000 + 10000 does not fit, 60000 + 5536 does
  failsWith(w.state, sc.create(INIT, w.containerSlot, 5, small(), { ...SHARE_ALL, user: { base: 60000, count: 10000 } }), 'PermissionDenied')
  expectOk(step(w.state, sc.create(INIT, w.containerSlot, 5, small(), { ...SHARE_ALL, user: { base: 60000, count: 5536 } })).outcome)
})
create('QuotaExceeded for each reserved resource, and devices', () => {
  const b = bootWith()
  failsWith(b, sc.create(INIT, ROOT_SLOT, 5, limits({ memoryBytes: 2 ** 30 + 1 })), 'QuotaExceeded', 'memoryBytes')
  // init already uses one of the root's 64 processes
  failsWith(b, sc.create(INIT, ROOT_SLOT, 5, limits({ processes: 64 })), 'QuotaExceeded', 'processes')
  expectOk(step(b, sc.create(INIT, ROOT_SLOT, 5, limits({ processes: 63 }))).outcome)
  failsWith(b, sc.create(INIT, ROOT_SLOT, 5, limits({ endpoints: 65 })), 'QuotaExceeded', 'endpoints')
  failsWith(b, sc.create(INIT, ROOT_SLOT, 5, limits({ cpuBudget: 20000 })), 'QuotaExceeded', 'cpuBudget')
  failsWith(b, sc.create(INIT, ROOT_SLOT, 5, limits({ ioBytes: 2 ** 20 + 1 })), 'QuotaExceeded', 'ioBytes')
  failsWith(b, sc.create(INIT, ROOT_SLOT, 5, limits({ devices: ['disk0', 'tape0'] })), 'QuotaExceeded', 'devices')
})
create('QuotaExceeded: a sibling cannot take what another was promised', () => {
  const state = must(bootWith(), sc.create(INIT, ROOT_SLOT, 5, limits({ memoryBytes: 2 ** 29 })))
  expectOk(step(state, sc.create(INIT, ROOT_SLOT, 6, limits({ memoryBytes: 2 ** 29 }))).outcome)
  failsWith(state, sc.create(INIT, ROOT_SLOT, 6, limits({ memoryBytes: 2 ** 29 + 1 })), 'QuotaExceeded', 'memoryBytes')
  // a grandchild's devices must be within its parent's (C has only disk0)
  const w = world()
  failsWith(w.state, sc.create(INIT, w.containerSlot, 5, small({ devices: ['net0'] })), 'QuotaExceeded', 'devices')
})
create('InvalidArgument: malformed limits and namespaces', () => {
  const b = bootWith()
  const base = sc.create(INIT, ROOT_SLOT, 5)
  for (const bad of [
    { ...base, limits: limits({ cpuWeight: 0 }) },
    { ...base, limits: limits({ cpuWeight: 10001 }) },
    { ...base, limits: limits({ memoryBytes: -1 }) },
    { ...base, limits: limits({ memoryBytes: 2.5 }) },
    { ...base, limits: limits({ processes: 2 ** 41 }) },
    { ...base, limits: limits({ devices: ['bad name'] }) },
    { ...base, limits: null },
    { ...base, namespaces: undefined },
    { ...base, namespaces: { ...SHARE_ALL, pid: 'maybe' } },
    { ...base, namespaces: { ...SHARE_ALL, user: { base: 0, count: 0 } } },
    { ...base, namespaces: { ...SHARE_ALL, user: 'new' } },
  ]) failsWith(b, bad, 'InvalidArgument')
})
create('precedence: wrong-kind parent AND occupied dst → WrongKind', () => { failsWith(bootWith(), sc.create(INIT, DISK_SLOT, ROOT_SLOT), 'WrongKind') })
create('precedence: occupied dst AND bad uid map AND over quota → SlotOccupied', () => {
  failsWith(bootWith(), sc.create(INIT, ROOT_SLOT, DISK_SLOT, limits({ memoryBytes: 2 ** 40 }), { ...SHARE_ALL, user: { base: 2 ** 32 - 1, count: 2 } }), 'SlotOccupied')
})
create('precedence: PermissionDenied before QuotaExceeded', () => {
  failsWith(bootWith(), sc.create(INIT, ROOT_SLOT, 5, limits({ memoryBytes: 2 ** 40 }), { ...SHARE_ALL, user: { base: 2 ** 32 - 1, count: 2 } }), 'PermissionDenied')
})
create.run()

// ---- container_destroy -------------------------------------------------------------------

const destroy = suite('container_destroy')

destroy('success: the container, its process and namespaces go, every cap to them goes, the reservation returns', () => {
  const w = world()
  const before = w.state
  assert.is(before.ksNamespaces.size, 10)
  const { state, reply } = succeeds(before, sc.destroy(INIT, w.containerSlot))
  assert.equal(reply, { kind: 'unit' })
  assert.not.ok(state.ksObjects.has(w.container))
  assert.not.ok(state.ksObjects.has(w.process))
  assert.is(capAt(state, INIT, w.containerSlot), undefined)
  assert.is(capAt(state, INIT, w.processSlot), undefined)
  assert.equal(capsTo(state, w.container), [])
  assert.equal(capsTo(state, w.process), [])
  assert.equal([...state.ksNamespaces.keys()], [0, 1, 2, 3, 4])
  assert.equal([...state.ksObjects.keys()].sort(), [0, 1, 2, 3])
  assert.equal([...state.ksCaps.keys()], [0, 1, 2])
  const stats = expectOk(step(state, sc.stats(INIT, ROOT_SLOT)).outcome)
  assert.equal(stats.kind === 'stats' && stats.reserved, ZERO)
  // the destroyed process can no longer make syscalls
  expectError(step(state, sc.list(w.child)).outcome, 'NotRunning')
})
destroy('success: destroying one\'s own container; the caller dies with it', () => {
  const w = world({ image: IMAGES.manager.digest, grants: [{ slot: 3, rights: ['read', 'control'] }] })
  assert.is(mustCapAt(w.state, w.child, 0).object, w.container)
  const { state, reply } = succeeds(w.state, sc.destroy(w.child, 0))
  assert.equal(reply, { kind: 'unit' })
  assert.not.ok(state.ksObjects.has(w.container))
  assert.is(capAt(state, INIT, w.containerSlot), undefined)
  expectError(step(state, sc.list(w.child)).outcome, 'NotRunning')
})
destroy('InvalidSlot', () => { failsWith(world().state, sc.destroy(INIT, 16), 'InvalidSlot') })
destroy('EmptySlot', () => { failsWith(world().state, sc.destroy(INIT, 9), 'EmptySlot') })
destroy('WrongKind', () => { failsWith(world().state, sc.destroy(INIT, 4), 'WrongKind') })
destroy('InsufficientRights: a cap without control', () => {
  const w = world()
  failsWith(must(w.state, sc.copy(INIT, 3, 5, ['read'])), sc.destroy(INIT, 5), 'InsufficientRights')
})
destroy('PermissionDenied: the root container', () => { failsWith(bootWith(), sc.destroy(INIT, ROOT_SLOT), 'PermissionDenied') })
destroy('InvalidArgument: slot huge', () => { failsWith(bootWith(), { kind: 'container_destroy', caller: INIT, slot: 2 ** 60 }, 'InvalidArgument') })
destroy('precedence: root cap without control → InsufficientRights before PermissionDenied', () => {
  failsWith(must(bootWith(), sc.copy(INIT, ROOT_SLOT, 5, ['read'])), sc.destroy(INIT, 5), 'InsufficientRights')
})
destroy.run()

// ---- container_set_limits -------------------------------------------------------------------

const setLimits = suite('container_set_limits')

setLimits('success: new limits, and the parent\'s reservations follow', () => {
  const w = world()
  const newLimits = limits({ memoryBytes: 2 << 20, processes: 1, cpuWeight: 7, devices: ['disk0', 'net0'] })
  const { state, reply } = succeeds(w.state, sc.setLimits(INIT, w.containerSlot, newLimits))
  assert.equal(reply, { kind: 'unit' })
  const c = state.ksObjects.get(w.container)
  assert.equal(c?.kind === 'container' && c.limits, newLimits)
  assert.equal(c?.kind === 'container' && c.usage, { memoryBytes: 4096, processes: 1, endpoints: 0, cpuBudget: 0, ioBytes: 0 })
  const root = expectOk(step(state, sc.stats(INIT, ROOT_SLOT)).outcome)
  assert.equal(root.kind === 'stats' && root.reserved, { ...RESERVED_CHILD, memoryBytes: 2 << 20, processes: 1 })
})
setLimits('success: growing by exactly what the parent has left', () => {
  const w = world()
  // root has 2^30 − 2^20 left; C may grow from 2^20 to 2^30
  expectOk(step(w.state, sc.setLimits(INIT, w.containerSlot, limits({ memoryBytes: 2 ** 30 }))).outcome)
  failsWith(w.state, sc.setLimits(INIT, w.containerSlot, limits({ memoryBytes: 2 ** 30 + 1 })), 'QuotaExceeded', 'memoryBytes')
})
setLimits('QuotaExceeded: below usage', () => {
  const w = world()
  failsWith(w.state, sc.setLimits(INIT, w.containerSlot, limits({ processes: 0 })), 'QuotaExceeded', 'processes')
  failsWith(w.state, sc.setLimits(INIT, w.containerSlot, limits({ memoryBytes: 4095 })), 'QuotaExceeded', 'memoryBytes')
  expectOk(step(w.state, sc.setLimits(INIT, w.containerSlot, limits({ memoryBytes: 4096, processes: 1 }))).outcome)
})
setLimits('QuotaExceeded: below usage plus the children\'s reservations', () => {
  const w = world()
  const state = must(w.state, sc.create(INIT, w.containerSlot, 5, small({ memoryBytes: 1000, processes: 1 })))
  failsWith(state, sc.setLimits(INIT, w.containerSlot, limits({ memoryBytes: 4096 + 999 })), 'QuotaExceeded', 'memoryBytes')
  failsWith(state, sc.setLimits(INIT, w.containerSlot, limits({ processes: 1 })), 'QuotaExceeded', 'processes')
  expectOk(step(state, sc.setLimits(INIT, w.containerSlot, limits({ memoryBytes: 4096 + 1000, processes: 2 }))).outcome)
})
setLimits('QuotaExceeded(devices): outside the parent\'s set, or not covering a child\'s', () => {
  const w = world()
  failsWith(w.state, sc.setLimits(INIT, w.containerSlot, limits({ devices: ['disk0', 'tape0'] })), 'QuotaExceeded', 'devices')
  const state = must(w.state, sc.create(INIT, w.containerSlot, 5, small({ devices: ['disk0'] })))
  failsWith(state, sc.setLimits(INIT, w.containerSlot, limits({ devices: [] })), 'QuotaExceeded', 'devices')
  expectOk(step(w.state, sc.setLimits(INIT, w.containerSlot, limits({ devices: [] }))).outcome)
})
setLimits('InvalidSlot', () => { failsWith(world().state, sc.setLimits(INIT, 16, CHILD_LIMITS), 'InvalidSlot') })
setLimits('EmptySlot', () => { failsWith(world().state, sc.setLimits(INIT, 9, CHILD_LIMITS), 'EmptySlot') })
setLimits('WrongKind', () => { failsWith(world().state, sc.setLimits(INIT, 4, CHILD_LIMITS), 'WrongKind') })
setLimits('InsufficientRights: a cap without control', () => {
  const w = world()
  failsWith(must(w.state, sc.copy(INIT, 3, 5, ['read'])), sc.setLimits(INIT, 5, CHILD_LIMITS), 'InsufficientRights')
})
setLimits('PermissionDenied: the root container', () => { failsWith(bootWith(), sc.setLimits(INIT, ROOT_SLOT, GENEROUS), 'PermissionDenied') })
setLimits('precedence: root AND limits below usage → PermissionDenied', () => {
  failsWith(bootWith(), sc.setLimits(INIT, ROOT_SLOT, limits({ cpuBudget: 0, processes: 0 })), 'PermissionDenied')
})
setLimits('InvalidArgument: a limit missing, a weight of 0', () => {
  const { devices: _, ...noDevices } = CHILD_LIMITS
  failsWith(world().state, { kind: 'container_set_limits', caller: INIT, slot: 3, limits: noDevices }, 'InvalidArgument')
  failsWith(world().state, sc.setLimits(INIT, 3, limits({ cpuWeight: 0 })), 'InvalidArgument')
})
setLimits.run()

// ---- container_stats ------------------------------------------------------------------------

const stats = suite('container_stats')

stats('success: limits, usage (this call\'s charge included for the caller\'s own container) and reservations', () => {
  const w = world()
  const { state, reply } = succeeds(w.state, sc.stats(INIT, w.containerSlot))
  assert.equal(reply, {
    kind: 'stats', limits: CHILD_LIMITS,
    usage: { memoryBytes: 4096, processes: 1, endpoints: 0, cpuBudget: 0, ioBytes: 0 }, reserved: ZERO,
  })
  assertOnlyCpuCharged(w.state, state, ROOT)
  const root = expectOk(step(w.state, sc.stats(INIT, ROOT_SLOT)).outcome)
  assert.equal(root, { kind: 'stats', limits: GENEROUS, usage: { ...ZERO, processes: 1, cpuBudget: 3 }, reserved: RESERVED_CHILD })
})
stats('success with read only', () => {
  const w = world()
  const r = run(w.state, sc.copy(INIT, 3, 5, ['read']), sc.stats(INIT, 5))
  assert.is(expectOk(r.outcomes[1]!).kind, 'stats')
})
stats('InvalidSlot', () => { failsWith(bootWith(), sc.stats(INIT, 16), 'InvalidSlot') })
stats('EmptySlot', () => { failsWith(bootWith(), sc.stats(INIT, 5), 'EmptySlot') })
stats('WrongKind', () => { failsWith(bootWith(), sc.stats(INIT, DISK_SLOT), 'WrongKind') })
stats('InsufficientRights: no read', () => {
  failsWith(must(bootWith(), sc.copy(INIT, ROOT_SLOT, 5, ['control'])), sc.stats(INIT, 5), 'InsufficientRights')
})
stats('the process in the child sees its own container only through a cap', () => {
  const w = world({ image: IMAGES.manager.digest, grants: [{ slot: 3, rights: ['read'] }] })
  const reply = expectOk(step(w.state, sc.stats(w.child, 0)).outcome)
  assert.equal(reply.kind === 'stats' && reply.usage, { memoryBytes: 512, processes: 1, endpoints: 0, cpuBudget: 1, ioBytes: 0 })
  assert.is(proc(w.state, w.child).owner, w.container)
})
stats.run()
