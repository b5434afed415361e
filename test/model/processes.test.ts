import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { step } from '../../model/step.js'
import { R_ALL, R_GRANT, R_READ, R_WRITE } from '../../spec/rights.js'
import { matchesRequests } from '../../model/objects/processes.js'
import {
  CHILD_LIMITS, DISK_SLOT, IMAGES, INIT, INIT_ID, NET_SLOT, NEW_ALL, POOL, ROOT, ROOT_SLOT, SHARE_ALL,
  assertOnlyCpuCharged, bootWith, capAt, capsTo, digest, expectError, expectOk, failsWith, image, limits, must, mustCapAt,
  proc, run, sc, signed, small, succeeds, usageOf, world,
} from './fixtures.js'

// ---- process_spawn --------------------------------------------------------------------

const spawn = suite('process_spawn')

spawn('success: a running process in the container, charged, with a pid in each pid namespace up to the root', () => {
  const before = must(bootWith(), sc.create(INIT, ROOT_SLOT, 3, CHILD_LIMITS, NEW_ALL))
  const container = mustCapAt(before, INIT, 3).object
  const { state, reply } = succeeds(before, sc.spawn(INIT, 3, 4, { uid: 7, slots: 5 }))
  // init sees the new process in the root pid namespace: init is pid 1, this is pid 2
  assert.equal(reply, { kind: 'spawned', pid: 2 })
  const cap = mustCapAt(state, INIT, 4)
  assert.is(cap.rights, R_ALL)
  assert.is(cap.parent, null)
  assert.equal(state.ksObjects.get(cap.object), {
    kind: 'process', id: cap.object, owner: container, ref: 1, uid: 7, status: 'running',
    slots: [null, null, null, null, null], mappings: [], pids: new Map([[0, 2], [6, 1]]),
    image: IMAGES.echo.digest, imageBytes: 4096,
  })
  assert.equal(state.ksProcessRefs, [INIT_ID, cap.object])
  assert.equal(usageOf(state, container), { memoryBytes: 4096, processes: 1, endpoints: 0, cpuBudget: 0, ioBytes: 0 })
  assert.equal(usageOf(state, ROOT), { memoryBytes: 0, processes: 1, endpoints: 0, cpuBudget: 2, ioBytes: 0 })
  assert.is(state.ksNamespaces.get(0)!.pidNext, 3)
  assert.is(state.ksNamespaces.get(6)!.pidNext, 2)
})

spawn('success: grants land in slots 0..k-1 as children of the caller\'s caps with the granted rights', () => {
  const before = must(bootWith(), sc.epCreate(INIT, 5))
  const { state, reply } = succeeds(before, sc.spawn(INIT, ROOT_SLOT, 6, { image: IMAGES.wantsEndpoint.digest, slots: 3, grants: [{ slot: 5, rights: ['write'] }] }))
  assert.equal(reply, { kind: 'spawned', pid: 2 })
  const granted = mustCapAt(state, 1, 0)
  assert.is(granted.object, mustCapAt(state, INIT, 5).object)
  assert.is(granted.rights, R_WRITE)
  assert.is(granted.parent, mustCapAt(state, INIT, 5).id)
  assert.equal([capAt(state, 1, 1), capAt(state, 1, 2)], [undefined, undefined])
  assert.equal(usageOf(state, ROOT), { memoryBytes: 1024, processes: 2, endpoints: 1, cpuBudget: 2, ioBytes: 0 })
})

spawn('success: a device grant within the container\'s devices', () => {
  const w = world({ image: IMAGES.wantsDevice.digest, grants: [{ slot: DISK_SLOT, rights: ['write'] }] })
  assert.is(mustCapAt(w.state, w.child, 0).parent, mustCapAt(w.state, INIT, DISK_SLOT).id)
})

spawn('success: the reply is null when the caller cannot see the new process', () => {
  const w = world({ image: IMAGES.manager.digest, grants: [{ slot: ROOT_SLOT, rights: ['read', 'control'] }] })
  const { state, reply } = succeeds(w.state, sc.spawn(w.child, 0, 1))
  assert.equal(reply, { kind: 'spawned', pid: null })
  // it runs in the root container, charged there, with pid 3 in the root namespace only
  const spawned = state.ksObjects.get(mustCapAt(state, w.child, 1).object)!
  assert.equal(spawned.kind === 'process' && [spawned.owner, spawned.pids], [ROOT, new Map([[0, 3]])])
  // and the spawner in its own pid namespace sees from inside only itself
  assert.equal(expectOk(step(state, sc.list(w.child)).outcome), { kind: 'pids', pids: [1] })
})

spawn('InvalidArgument: malformed spawns', () => {
  const b = bootWith()
  const base = sc.spawn(INIT, ROOT_SLOT, 5)
  for (const bad of [
    { ...base, slots: 1, grants: [{ slot: 1, rights: ['write'] }, { slot: 2, rights: ['write'] }] }, // more grants than slots
    { ...base, slots: 0 },
    { ...base, slots: 4097 },
    { ...base, uid: -1 },
    { ...base, uid: 2 ** 32 },
    { ...base, uid: 0.5 },
    { ...base, image: 'sha256:xyz' },
    { ...base, image: 42 },
    { ...base, grants: [{ slot: 1, rights: ['fly'] }] },
    { ...base, grants: [{ slot: -1, rights: [] }] },
    { ...base, grants: Array.from({ length: 65 }, () => ({ slot: 1, rights: [] })), slots: 100 },
    { ...base, grants: undefined },
  ]) failsWith(b, bad, 'InvalidArgument')
})
spawn('InvalidSlot container', () => { failsWith(bootWith(), sc.spawn(INIT, 16, 5), 'InvalidSlot') })
spawn('EmptySlot container', () => { failsWith(bootWith(), sc.spawn(INIT, 9, 5), 'EmptySlot') })
spawn('WrongKind container', () => { failsWith(bootWith(), sc.spawn(INIT, DISK_SLOT, 5), 'WrongKind') })
spawn('InsufficientRights: container cap without control', () => {
  failsWith(must(bootWith(), sc.copy(INIT, ROOT_SLOT, 5, ['read'])), sc.spawn(INIT, 5, 6), 'InsufficientRights')
})
spawn('grant slot: InvalidSlot, EmptySlot, InsufficientRights (asks more than the caller holds)', () => {
  const b = bootWith()
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 5, { image: IMAGES.wantsDevice.digest, grants: [{ slot: 16, rights: ['write'] }] }), 'InvalidSlot')
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 5, { image: IMAGES.wantsDevice.digest, grants: [{ slot: 9, rights: ['write'] }] }), 'EmptySlot')
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 5, { image: IMAGES.wantsDevice.digest, grants: [{ slot: DISK_SLOT, rights: ['write', 'read'] }] }), 'InsufficientRights')
})
spawn('InvalidSlot dst', () => { failsWith(bootWith(), sc.spawn(INIT, ROOT_SLOT, 16), 'InvalidSlot') })
spawn('SlotOccupied dst; dst equal to the container slot or a grant slot', () => {
  failsWith(bootWith(), sc.spawn(INIT, ROOT_SLOT, NET_SLOT), 'SlotOccupied')
  failsWith(bootWith(), sc.spawn(INIT, ROOT_SLOT, ROOT_SLOT), 'SlotOccupied')
  failsWith(bootWith(), sc.spawn(INIT, ROOT_SLOT, DISK_SLOT, { image: IMAGES.wantsDevice.digest, grants: [{ slot: DISK_SLOT, rights: ['write'] }] }), 'SlotOccupied')
})
spawn('NotFound: unknown image', () => { failsWith(bootWith(), sc.spawn(INIT, ROOT_SLOT, 5, { image: digest(99) }), 'NotFound') })
spawn('PermissionDenied: uid not mapped in the container\'s user namespace', () => {
  const w = world()
  failsWith(w.state, sc.spawn(INIT, w.containerSlot, 5, { uid: 65536 }), 'PermissionDenied')
  expectOk(step(w.state, sc.spawn(INIT, w.containerSlot, 5, { uid: 65535 })).outcome)
})
spawn('SignatureInvalid: signature does not verify; signer not in the keyring', () => {
  failsWith(bootWith(), sc.spawn(INIT, ROOT_SLOT, 5, { image: IMAGES.badSignature.digest }), 'SignatureInvalid')
  failsWith(bootWith(), sc.spawn(INIT, ROOT_SLOT, 5, { image: IMAGES.untrusted.digest }), 'SignatureInvalid')
})
spawn('RollbackDenied: below the floor; at the floor is fine; other names have no floor', () => {
  failsWith(bootWith(), sc.spawn(INIT, ROOT_SLOT, 5, { image: IMAGES.rollback.digest }), 'RollbackDenied')
  const atFloor = image(30, { version: '1.9.2' })
  const otherName = image(31, { name: 'other', version: '0.0.1' })
  const b = bootWith([...POOL, atFloor, otherName])
  expectOk(step(b, sc.spawn(INIT, ROOT_SLOT, 5, { image: atFloor.digest })).outcome)
  expectOk(step(b, sc.spawn(INIT, ROOT_SLOT, 5, { image: otherName.digest })).outcome)
})
spawn('PolicyDenied: a grant the manifest does not ask for, of the wrong kind, with more rights, or a device the container may not use', () => {
  const b = must(bootWith(), sc.epCreate(INIT, 5), sc.alloc(INIT, 10, 6))
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 7, { grants: [{ slot: 5, rights: ['write'] }] }), 'PolicyDenied')
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: IMAGES.wantsEndpoint.digest, grants: [{ slot: 6, rights: ['write'] }] }), 'PolicyDenied')
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: IMAGES.wantsEndpoint.digest, grants: [{ slot: 5, rights: ['write', 'read'] }] }), 'PolicyDenied')
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: IMAGES.wantsEndpoint.digest, grants: [{ slot: 5, rights: ['write'] }, { slot: 5, rights: ['write'] }] }), 'PolicyDenied')
  const w = world()
  failsWith(w.state, sc.spawn(INIT, w.containerSlot, 5, { image: IMAGES.wantsDevice.digest, grants: [{ slot: NET_SLOT, rights: ['write'] }] }), 'PolicyDenied')
  expectOk(step(w.state, sc.spawn(INIT, w.containerSlot, 5, { image: IMAGES.wantsDevice.digest, grants: [{ slot: DISK_SLOT, rights: ['write'] }] })).outcome)
})
// Grants are matched to requests by what they grant, not by position (kernel.md §4).
const multi = image(40, { name: 'multi', version: '1.0.0', memoryBytes: 64, requests: [
  { kind: 'endpoint', rights: ['read', 'write'] }, { kind: 'region', rights: ['read', 'write'] },
  { kind: 'device', rights: ['write'], device: 'disk0' }, { kind: 'container', rights: ['read', 'control'] },
] })
const pair = image(41, { name: 'pair', version: '1.0.0', memoryBytes: 64, requests: [{ kind: 'endpoint', rights: ['read', 'write'] }, { kind: 'endpoint', rights: ['read'] }] })
const anyDevice = image(42, { name: 'any-device', version: '1.0.0', memoryBytes: 64, requests: [{ kind: 'device', rights: ['write'], device: 'net0' }, { kind: 'device', rights: ['write'] }] })
/** init with an endpoint in 5 and a region in 6. */
const matching = () => must(bootWith([...POOL, multi, pair, anyDevice]), sc.epCreate(INIT, 5), sc.alloc(INIT, 10, 6))
const disk = { slot: DISK_SLOT, rights: ['write' as const] }
const endpoint = { slot: 5, rights: ['read' as const, 'write' as const] }
const region = { slot: 6, rights: ['read' as const] }
const container = { slot: ROOT_SLOT, rights: ['control' as const] }

spawn('grants match requests by what they grant: a subset of the requests, in any order, is legal', () => {
  const b = matching()
  // Before: grant i had to match request i, so disk0 alone (request 2) was PolicyDenied.
  for (const grants of [[disk], [], [container, disk], [region, endpoint], [disk, container, region, endpoint], [container, region, disk, endpoint]]) {
    const { state } = succeeds(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: multi.digest, grants }))
    // The caps land in the order of the grants, whatever request each matched.
    grants.forEach((grant, slot) => assert.is(mustCapAt(state, 1, slot).parent, mustCapAt(state, INIT, grant.slot).id))
  }
})

spawn('grants match requests: each request at most once, kinds and rights respected', () => {
  const b = matching()
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: multi.digest, grants: [disk, disk] }), 'PolicyDenied')
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: multi.digest, grants: [endpoint, { slot: 5, rights: ['read'] }] }), 'PolicyDenied')
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: multi.digest, grants: [{ slot: 6, rights: ['read', 'control'] }] }), 'PolicyDenied')
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: multi.digest, grants: [disk, endpoint, region, container, { slot: 5, rights: [] }] }), 'PolicyDenied')
})

spawn('grants match requests: a matching is found where taking the first fitting request would not be', () => {
  const b = matching()
  // read fits both requests; taken greedily it would take [read, write] and leave write nothing.
  const read = { slot: 5, rights: ['read' as const] }
  const write = { slot: 5, rights: ['write' as const] }
  expectOk(step(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: pair.digest, grants: [read, write] })).outcome)
  expectOk(step(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: pair.digest, grants: [write, read] })).outcome)
  // No matching: write fits only the first request.
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: pair.digest, grants: [write, write] }), 'PolicyDenied')
})

spawn('grants match requests: a device request that names a device takes only that device; one that names none takes any', () => {
  const b = matching()
  const net = { slot: NET_SLOT, rights: ['write' as const] }
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: multi.digest, grants: [net] }), 'PolicyDenied')
  expectOk(step(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: anyDevice.digest, grants: [disk] })).outcome)
  // disk0 first would take the unnamed request if greedy; net0 then fits only the named one, which is free.
  expectOk(step(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: anyDevice.digest, grants: [disk, net] })).outcome)
  failsWith(b, sc.spawn(INIT, ROOT_SLOT, 7, { image: anyDevice.digest, grants: [disk, disk] }), 'PolicyDenied')
})

spawn('matchesRequests, the matching alone: subsets, orders, a greedy trap, and none', () => {
  const offer = (kind: 'endpoint' | 'device', rights: number, device: string | null = null) => ({ kind, rights, device })
  const requests = pair.manifest.requests
  assert.ok(matchesRequests([], requests))
  assert.ok(matchesRequests([offer('endpoint', R_READ), offer('endpoint', R_WRITE)], requests))
  assert.ok(matchesRequests([offer('endpoint', R_WRITE), offer('endpoint', R_READ)], requests))
  assert.not.ok(matchesRequests([offer('endpoint', R_WRITE), offer('endpoint', R_WRITE)], requests))
  assert.not.ok(matchesRequests([offer('endpoint', R_READ), offer('endpoint', R_READ), offer('endpoint', R_READ)], requests))
  assert.not.ok(matchesRequests([offer('device', R_WRITE, 'disk0')], requests))
  // A longer chain: each later grant pushes the earlier ones along.
  const chain = [{ kind: 'endpoint' as const, rights: ['read' as const, 'write' as const, 'grant' as const] }, { kind: 'endpoint' as const, rights: ['read' as const, 'write' as const] }, { kind: 'endpoint' as const, rights: ['read' as const] }]
  assert.ok(matchesRequests([offer('endpoint', R_READ), offer('endpoint', R_READ | R_WRITE), offer('endpoint', R_READ | R_WRITE | R_GRANT)], chain))
  assert.not.ok(matchesRequests([offer('endpoint', R_READ | R_WRITE), offer('endpoint', R_READ | R_WRITE), offer('endpoint', R_READ | R_WRITE)], chain))
})

spawn('QuotaExceeded(processes) and QuotaExceeded(memoryBytes)', () => {
  const w1 = world({ limits: limits({ processes: 1 }) })
  failsWith(w1.state, sc.spawn(INIT, w1.containerSlot, 5, { image: IMAGES.tiny.digest }), 'QuotaExceeded', 'processes')
  const w2 = world({ limits: limits({ memoryBytes: 4096 + 4095 }) })
  failsWith(w2.state, sc.spawn(INIT, w2.containerSlot, 5), 'QuotaExceeded', 'memoryBytes')
  expectOk(step(w2.state, sc.spawn(INIT, w2.containerSlot, 5, { image: IMAGES.wantsEndpoint.digest })).outcome)
})

// spawn's checks in order: SignatureInvalid → RollbackDenied → PolicyDenied → QuotaExceeded(processes) → QuotaExceeded(memoryBytes)
const badAll = image(20, { signatures: [signed('release', false)], version: '0.9.0' })
const oldOnly = image(21, { version: '0.9.0' })
const fine = image(22, { version: '1.10.0', memoryBytes: 1 })
const chain = () => must(bootWith([...POOL, badAll, oldOnly, fine]),
  sc.create(INIT, ROOT_SLOT, 3, small()), // no processes, no memory
  sc.create(INIT, ROOT_SLOT, 4, small({ processes: 1 }))) // a process, no memory
const policyBreach = [{ slot: DISK_SLOT, rights: ['write' as const] }]

spawn('precedence: signature, rollback, policy and both quotas wrong → SignatureInvalid', () => {
  failsWith(chain(), sc.spawn(INIT, 3, 5, { image: badAll.digest, grants: policyBreach }), 'SignatureInvalid')
})
spawn('precedence: rollback, policy and quotas wrong → RollbackDenied', () => {
  failsWith(chain(), sc.spawn(INIT, 3, 5, { image: oldOnly.digest, grants: policyBreach }), 'RollbackDenied')
})
spawn('precedence: policy and quotas wrong → PolicyDenied', () => {
  failsWith(chain(), sc.spawn(INIT, 3, 5, { image: fine.digest, grants: policyBreach }), 'PolicyDenied')
})
spawn('precedence: both quotas wrong → QuotaExceeded(processes); then memory', () => {
  failsWith(chain(), sc.spawn(INIT, 3, 5, { image: fine.digest }), 'QuotaExceeded', 'processes')
  failsWith(chain(), sc.spawn(INIT, 4, 5, { image: fine.digest }), 'QuotaExceeded', 'memoryBytes')
})
spawn('precedence: NotFound (image) before PermissionDenied (uid); PermissionDenied before SignatureInvalid and QuotaExceeded', () => {
  const w = world({ limits: limits({ processes: 1 }) })
  failsWith(w.state, sc.spawn(INIT, w.containerSlot, 5, { image: digest(99), uid: 70000 }), 'NotFound')
  failsWith(w.state, sc.spawn(INIT, w.containerSlot, 5, { image: IMAGES.badSignature.digest, uid: 70000 }), 'PermissionDenied')
  failsWith(w.state, sc.spawn(INIT, w.containerSlot, 5, { uid: 70000 }), 'PermissionDenied')
})
spawn('precedence: slots before names: occupied dst AND unknown image → SlotOccupied; empty grant slot AND occupied dst → EmptySlot', () => {
  failsWith(bootWith(), sc.spawn(INIT, ROOT_SLOT, DISK_SLOT, { image: digest(99) }), 'SlotOccupied')
  failsWith(bootWith(), sc.spawn(INIT, ROOT_SLOT, DISK_SLOT, { grants: [{ slot: 9, rights: [] }] }), 'EmptySlot')
})
spawn('precedence: wrong-kind container AND invalid grant slot → WrongKind; too many grants AND empty container slot → InvalidArgument', () => {
  failsWith(bootWith(), sc.spawn(INIT, DISK_SLOT, 5, { grants: [{ slot: 99, rights: [] }] }), 'WrongKind')
  failsWith(bootWith(), sc.spawn(INIT, 9, 5, { slots: 1, grants: [{ slot: 1, rights: [] }, { slot: 2, rights: [] }] }), 'InvalidArgument')
})
spawn.run()

// ---- process_kill -------------------------------------------------------------------------

const kill = suite('process_kill')

kill('success: stops, deletes its caps, drops its mappings, uncharges; a zombie remains while a cap names it', () => {
  const w = world({ image: IMAGES.manager.digest, grants: [{ slot: 3, rights: ['read', 'control'] }] })
  const before = must(w.state, sc.alloc(w.child, 100, 1), sc.map(w.child, 1, ['read']))
  assert.equal(usageOf(before, w.container), { memoryBytes: 512 + 100, processes: 1, endpoints: 0, cpuBudget: 2, ioBytes: 0 })
  const region = mustCapAt(before, w.child, 1).object
  const { state, reply } = succeeds(before, sc.kill(INIT, w.processSlot))
  assert.equal(reply, { kind: 'unit' })
  const zombie = state.ksObjects.get(w.process)!
  assert.ok(zombie.kind === 'process')
  if (zombie.kind !== 'process') return
  assert.is(zombie.status, 'dead')
  assert.equal(zombie.mappings, [])
  assert.ok(zombie.slots.every((s) => s === null))
  // its region lost its only cap and went; its charges are back
  assert.not.ok(state.ksObjects.has(region))
  assert.equal(usageOf(state, w.container), { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 2, ioBytes: 0 })
  // the cap it held to C is gone, init's stays
  assert.equal(capsTo(state, w.container).map((c) => c.id), [mustCapAt(state, INIT, 3).id])
  assert.equal(expectOk(step(state, sc.list(INIT)).outcome), { kind: 'pids', pids: [1] })
  expectError(step(state, sc.list(w.child)).outcome, 'NotRunning')
  assert.equal(expectOk(step(state, sc.inspect(INIT, w.processSlot)).outcome), { kind: 'cap', objectKind: 'process', rights: ['read', 'write', 'execute', 'grant', 'control'], badge: 0 })
})
kill('InvalidSlot', () => { failsWith(world().state, sc.kill(INIT, 16), 'InvalidSlot') })
kill('EmptySlot', () => { failsWith(world().state, sc.kill(INIT, 5), 'EmptySlot') })
kill('WrongKind', () => { failsWith(world().state, sc.kill(INIT, 3), 'WrongKind') })
kill('InsufficientRights: a cap without control', () => {
  failsWith(must(world().state, sc.copy(INIT, 4, 5, ['read'])), sc.kill(INIT, 5), 'InsufficientRights')
})
kill('NotRunning: an already dead process', () => {
  failsWith(must(world().state, sc.kill(INIT, 4)), sc.kill(INIT, 4), 'NotRunning')
})
kill('precedence: a dead process through a cap without control → InsufficientRights', () => {
  failsWith(must(world().state, sc.copy(INIT, 4, 5, ['read']), sc.kill(INIT, 4)), sc.kill(INIT, 5), 'InsufficientRights')
})
kill('success through a granted cap: one process kills another; then the zombie goes with its last cap', () => {
  const selfCap = image(40, { name: 'self', requests: [{ kind: 'process', rights: ['control'] }] })
  // init spawns A, then spawns B holding a cap to A; B kills A
  const state = must(bootWith([...POOL, selfCap]), sc.spawn(INIT, ROOT_SLOT, 5), sc.spawn(INIT, ROOT_SLOT, 6, { image: selfCap.digest, grants: [{ slot: 5, rights: ['control'] }] }))
  const a = mustCapAt(state, INIT, 5).object
  const r = run(state, sc.kill(2, 0), sc.list(INIT), sc.kill(INIT, 6), sc.list(INIT))
  expectOk(r.outcomes[0]!)
  assert.equal(expectOk(r.outcomes[1]!), { kind: 'pids', pids: [1, 3] })
  expectOk(r.outcomes[2]!)
  assert.equal(expectOk(r.outcomes[3]!), { kind: 'pids', pids: [1] })
  assert.is(r.state.ksObjects.get(a)?.kind === 'process' && (r.state.ksObjects.get(a) as { status: string }).status, 'dead')
  assert.equal(usageOf(r.state, ROOT).processes, 1)
  const gone = must(r.state, sc.del(INIT, 5))
  assert.not.ok(gone.ksObjects.has(a))
  assert.equal(usageOf(gone, ROOT).processes, 1)
})
kill.run()

// ---- process_list -------------------------------------------------------------------------

const list = suite('process_list')

list('success: from the root all pids, from a new pid namespace only local ones, ascending', () => {
  const w = world()
  const state = must(w.state, sc.spawn(INIT, ROOT_SLOT, 5), sc.spawn(INIT, w.containerSlot, 6))
  const { state: after, reply } = succeeds(state, sc.list(INIT))
  assert.equal(reply, { kind: 'pids', pids: [1, 2, 3, 4] })
  assertOnlyCpuCharged(state, after, ROOT)
  assert.equal(expectOk(step(state, sc.list(w.child)).outcome), { kind: 'pids', pids: [1, 2] })
  const inC = expectOk(step(state, sc.list(3)).outcome)
  assert.equal(inC, { kind: 'pids', pids: [1, 2] })
})
list('success: a container sharing the pid namespace sees everything in it', () => {
  const w = world({ namespaces: SHARE_ALL })
  assert.equal(expectOk(step(w.state, sc.list(w.child)).outcome), { kind: 'pids', pids: [1, 2] })
})
list('caller-state errors only: NotRunning (no such process), InvalidArgument (caller not a natural number)', () => {
  const b = bootWith()
  expectError(step(b, sc.list(7)).outcome, 'NotRunning')
  expectError(step(b, { kind: 'process_list', caller: -1 }).outcome, 'InvalidArgument')
  expectError(step(b, { kind: 'process_list' }).outcome, 'InvalidArgument')
  assert.is(proc(b, INIT).status, 'running')
  assert.is(usageOf(step(b, sc.list(7)).state, ROOT).cpuBudget, 0)
})
list.run()
