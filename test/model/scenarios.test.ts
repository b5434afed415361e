/**
 * Scenarios of the tricky semantics: revocation everywhere a cap can live,
 * recursive destruction, mappings bound to caps, namespaces and user namespaces,
 * the destruction fixpoint, badges, spawn grants, reservations, scheduling, periods.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { step } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { R_READ, R_WRITE } from '../../spec/rights.js'
import type { Reply } from '../../spec/results.js'
import {
  DISK_SLOT, IMAGES, INIT, NEW_ALL, ROOT, ROOT_SLOT, SHARE_ALL, assertUnchanged, bootWith, capAt, capsTo, descendantsOf,
  expectError, expectOk, failsWith, limits, must, mustCapAt, proc, run, sc, small, succeeds, usageOf, world,
} from './fixtures.js'

const scenario = suite('scenarios')

function endpoint(state: KernelState, id: number) {
  const object = state.ksObjects.get(id)
  if (object?.kind !== 'endpoint') throw new Error(`test: ${id} is not an endpoint`)
  return object
}
function entries(state: KernelState, namespace: number): string[] {
  return [...state.ksNamespaces.get(namespace)!.entries.keys()]
}
function statsOf(state: KernelState, ref: number, slot: number): Extract<Reply, { kind: 'stats' }> {
  const reply = expectOk(step(state, sc.stats(ref, slot)).outcome)
  if (reply.kind !== 'stats') throw new Error('test: not stats')
  return reply
}

scenario('revoke reaches caps inside queued messages (the message stays queued, its cap goes) and in the mount, net and service tables', () => {
  const before = must(bootWith(),
    sc.alloc(INIT, 100, 5), sc.epCreate(INIT, 6), sc.epCreate(INIT, 7),
    sc.send(INIT, 6, 'carrier', 5), sc.send(INIT, 6, 'plain'), sc.mount(INIT, '/r', 5, ['read']),
    sc.bind(INIT, 80, 7), sc.register(INIT, 'svc', 7), sc.mount(INIT, '/e', 7, ['write']))
  const region = mustCapAt(before, INIT, 5).object
  const queue = mustCapAt(before, INIT, 6).object
  assert.is(endpoint(before, queue).queue[0]!.cap !== null, true)
  assert.equal(entries(before, 1), ['/r', '/e'])
  const r = run(before, sc.revoke(INIT, 5))
  expectOk(r.outcomes[0]!)
  // the message is still there, in order, without its cap
  assert.equal(endpoint(r.state, queue).queue.map((m) => [m.payload, m.cap]), [['carrier', null], ['plain', null]])
  assert.equal(entries(r.state, 1), ['/e'])
  assert.equal(capsTo(r.state, region).map((c) => c.id), [mustCapAt(r.state, INIT, 5).id])
  assert.equal(r.state.gsMessages, before.gsMessages)
  assert.is(usageOf(r.state, ROOT).memoryBytes, 100)
  // receiving the message now brings no cap
  assert.equal(expectOk(step(r.state, sc.recv(INIT, 6, 9)).outcome), { kind: 'message', payload: 'carrier', badge: 0, cap: 'none' })
  // revoking the other endpoint's cap empties the net and service tables and the mount entry
  const s2 = must(r.state, sc.revoke(INIT, 7))
  assert.equal([entries(s2, 1), entries(s2, 2), entries(s2, 3)], [[], [], []])
  expectError(step(s2, sc.lookup(INIT, 'svc', 9)).outcome, 'NotFound')
  expectError(step(s2, sc.connect(INIT, 80, 9)).outcome, 'NotFound')
})

scenario('destroying a 3-level nested container returns every reservation and removes every object, cap and namespace of the subtree', () => {
  const A = limits({ memoryBytes: 1 << 20, processes: 8, endpoints: 8, cpuBudget: 1000, ioBytes: 4096 })
  const B = limits({ memoryBytes: 1 << 19, processes: 4, endpoints: 4, cpuBudget: 500, ioBytes: 2048 })
  const C = limits({ memoryBytes: 1 << 18, processes: 2, endpoints: 2, cpuBudget: 250, ioBytes: 1024 })
  const start = must(bootWith(), sc.epCreate(INIT, 9)) // E: outside the subtree
  const E = mustCapAt(start, INIT, 9).object
  const statsBefore = statsOf(start, INIT, ROOT_SLOT)
  const built = must(start,
    sc.create(INIT, ROOT_SLOT, 3, A, NEW_ALL),
    sc.create(INIT, 3, 4, B, { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: 'share' }),
    sc.create(INIT, 4, 5, C, { ...NEW_ALL, user: { base: 1000, count: 1000 } }),
    sc.spawn(INIT, 3, 6, { image: IMAGES.server.digest, grants: [{ slot: 9, rights: ['read', 'write', 'grant'] }] }), // ref 1 in A
    sc.spawn(INIT, 4, 7, { image: IMAGES.tiny.digest }), // ref 2 in B
    sc.spawn(INIT, 5, 8, { image: IMAGES.wantsEndpoint.digest, grants: [{ slot: 9, rights: ['write'] }] }), // ref 3 in C
    sc.alloc(1, 100, 1), sc.epCreate(1, 2), sc.send(1, 0, 'from A', 1), // A's region cap waits in E's queue, outside
    sc.alloc(2, 100, 0), sc.epCreate(2, 1), sc.register(2, 'b', 1),
    sc.alloc(3, 100, 1), sc.epCreate(3, 2), sc.register(3, 'c', 2), sc.send(3, 0, 'from C'))
  const aId = mustCapAt(built, INIT, 3).object
  assert.equal(statsOf(built, INIT, 3).reserved, { memoryBytes: 1 << 19, processes: 4, endpoints: 4, cpuBudget: 500, ioBytes: 2048 })
  assert.equal(statsOf(built, INIT, 4).usage, { memoryBytes: 100, processes: 1, endpoints: 1, cpuBudget: 3, ioBytes: 0 })
  assert.is(built.ksNamespaces.size, 5 + 5 + 4 + 5)
  assert.is(capsTo(built, E).length, 3)

  const { state } = succeeds(built, sc.destroy(INIT, 3))
  // only the boot objects and E are left
  assert.equal([...state.ksObjects.keys()].sort((a, b) => a - b), [0, 1, 2, 3, E])
  assert.equal([...state.ksNamespaces.keys()], [0, 1, 2, 3, 4])
  assert.not.ok(state.ksObjects.has(aId))
  // every cap left names a live object; E keeps only init's cap; init's caps to the subtree are gone
  for (const cap of state.ksCaps.values()) assert.ok(state.ksObjects.has(cap.object), `cap ${cap.id} dangles`)
  assert.equal(capsTo(state, E).map((c) => c.id), [mustCapAt(state, INIT, 9).id])
  for (const slot of [3, 4, 5, 6, 7, 8]) assert.is(capAt(state, INIT, slot), undefined)
  assert.is(state.ksCaps.size, 4)
  // the messages sent from inside stay queued on E, the cap from A is gone from its message
  assert.equal(endpoint(state, E).queue.map((m) => [m.payload, m.cap]), [['from A', null], ['from C', null]])
  // the processes of the subtree can do nothing any more
  for (const ref of [1, 2, 3]) expectError(step(state, sc.list(ref)).outcome, 'NotRunning')
  // the root's stats are as before the subtree existed, except the CPU spent
  const statsAfter = statsOf(state, INIT, ROOT_SLOT)
  assert.equal(statsAfter.limits, statsBefore.limits)
  assert.equal(statsAfter.reserved, statsBefore.reserved)
  assert.equal({ ...statsAfter.usage, cpuBudget: 0 }, { ...statsBefore.usage, cpuBudget: 0 })
  assert.equal(statsAfter.usage, { memoryBytes: 0, processes: 1, endpoints: 1, cpuBudget: statsAfter.usage.cpuBudget, ioBytes: 0 })
})

scenario('a mapping lives with the cap that allowed it: delete, revoke, and it follows cap_move', () => {
  const s0 = must(bootWith(), sc.alloc(INIT, 100, 5), sc.copy(INIT, 5, 6, ['read']), sc.map(INIT, 5, ['read', 'write']), sc.map(INIT, 6, ['read']))
  const [a, b] = [mustCapAt(s0, INIT, 5), mustCapAt(s0, INIT, 6)]
  assert.equal(proc(s0, INIT).mappings.map((m) => m.cap), [a.id, b.id])
  // delete: only the mapping through the deleted cap goes
  const deleted = must(s0, sc.del(INIT, 6))
  assert.equal(proc(deleted, INIT).mappings, [{ cap: a.id, region: a.object, perms: R_READ | R_WRITE }])
  // revoke: the child's mapping goes with it, the revoked cap's own stays
  const revoked = must(s0, sc.revoke(INIT, 5))
  assert.equal(proc(revoked, INIT).mappings.map((m) => m.cap), [a.id])
  // move: the mapping follows the cap; deleting it at its new place removes it
  const moved = must(s0, sc.move(INIT, 6, 12))
  assert.equal(proc(moved, INIT).mappings.map((m) => m.cap), [a.id, b.id])
  expectOk(step(moved, sc.unmap(INIT, 12)).outcome)
  const movedThenDeleted = must(moved, sc.del(INIT, 12))
  assert.equal(proc(movedThenDeleted, INIT).mappings.map((m) => m.cap), [a.id])
  // and in another process: the parent's revoke unmaps the child process's region (ISO-4)
  const w = must(bootWith(), sc.alloc(INIT, 100, 5), sc.spawn(INIT, ROOT_SLOT, 6, { image: IMAGES.wantsRegion.digest, grants: [{ slot: 5, rights: ['read', 'write'] }] }),
    sc.map(1, 0, ['read', 'write']))
  assert.is(proc(w, 1).mappings.length, 1)
  const after = must(w, sc.revoke(INIT, 5))
  assert.equal(proc(after, 1).mappings, [])
  assert.is(capAt(after, 1, 0), undefined)
})

scenario('uid 0 in a container with its own user namespace cannot change the parent\'s shared mount table; uid 0 sharing the host user namespace can', () => {
  const ownUsers = world({ namespaces: { pid: 'new', mount: 'share', net: 'new', ipc: 'new', user: { base: 100000, count: 65536 } } })
  const s1 = must(ownUsers.state, sc.epCreate(ownUsers.child, 0))
  failsWith(s1, sc.mount(ownUsers.child, '/mine', 0, ['write']), 'PermissionDenied')
  failsWith(must(s1, sc.mount(INIT, '/host', DISK_SLOT, [])), sc.unmount(ownUsers.child, '/host'), 'PermissionDenied')
  // its own (new) tables are owned by its user namespace: uid 0 there may change them
  const own = must(s1, sc.bind(ownUsers.child, 80, 0), sc.register(ownUsers.child, 'svc', 0))
  assert.equal(entries(own, 1), [])
  const hostUsers = world({ namespaces: { ...SHARE_ALL, pid: 'new' } })
  const s2 = must(hostUsers.state, sc.epCreate(hostUsers.child, 0), sc.mount(hostUsers.child, '/mine', 0, ['write']))
  assert.equal(entries(s2, 1), ['/mine'])
  // a non-zero uid sharing the host user namespace cannot
  const uid5 = world({ namespaces: SHARE_ALL, uid: 5 })
  failsWith(must(uid5.state, sc.epCreate(uid5.child, 0)), sc.mount(uid5.child, '/mine', 0, ['write']), 'PermissionDenied')
})

scenario('a lookup never crosses namespaces: service, port and path of the root are invisible from new namespaces and visible when shared', () => {
  const setup = (namespaces = NEW_ALL) => {
    const w = world({ namespaces })
    return { ...w, state: must(w.state, sc.epCreate(INIT, 5), sc.register(INIT, 'svc', 5), sc.bind(INIT, 80, 5), sc.mount(INIT, '/srv', 5, ['write'])) }
  }
  const isolated = setup()
  failsWith(isolated.state, sc.lookup(isolated.child, 'svc', 0), 'NotFound')
  failsWith(isolated.state, sc.connect(isolated.child, 80, 0), 'NotFound')
  failsWith(isolated.state, sc.resolve(isolated.child, '/srv', 0), 'NotFound')
  // the child's own directory is separate: registering the same name does not collide
  const own = must(isolated.state, sc.epCreate(isolated.child, 1), sc.register(isolated.child, 'svc', 1), sc.lookup(isolated.child, 'svc', 2), sc.lookup(INIT, 'svc', 6))
  assert.is(mustCapAt(own, isolated.child, 2).object, mustCapAt(own, isolated.child, 1).object)
  assert.is(mustCapAt(own, INIT, 6).object, mustCapAt(own, INIT, 5).object)
  const shared = setup({ ...NEW_ALL, ipc: 'share', net: 'share', mount: 'share' })
  const found = must(shared.state, sc.lookup(shared.child, 'svc', 0), sc.connect(shared.child, 80, 1), sc.resolve(shared.child, '/srv', 2))
  for (const slot of [0, 1, 2]) {
    const cap = mustCapAt(found, shared.child, slot)
    assert.equal([cap.object, cap.rights], [mustCapAt(found, INIT, 5).object, R_WRITE])
  }
})

scenario('process_list: from inside nested pid namespaces only local pids; from the root all', () => {
  const state = must(bootWith(),
    sc.create(INIT, ROOT_SLOT, 3, limits({ processes: 8 }), { ...SHARE_ALL, pid: 'new' }),
    sc.create(INIT, 3, 4, small({ processes: 2, memoryBytes: 1 << 16, cpuBudget: 10 }), { ...SHARE_ALL, pid: 'new' }),
    sc.spawn(INIT, 3, 5), sc.spawn(INIT, 4, 6), sc.spawn(INIT, 3, 7), sc.spawn(INIT, ROOT_SLOT, 8))
  // root: init 1, then refs 1..4 got root pids 2..5
  assert.equal(expectOk(step(state, sc.list(INIT)).outcome), { kind: 'pids', pids: [1, 2, 3, 4, 5] })
  // ref 1 in A: A's namespace has ref 1 (1), ref 2 (2, from B below), ref 3 (3)
  assert.equal(expectOk(step(state, sc.list(1)).outcome), { kind: 'pids', pids: [1, 2, 3] })
  // ref 2 in B: only itself
  assert.equal(expectOk(step(state, sc.list(2)).outcome), { kind: 'pids', pids: [1] })
  assert.equal(proc(state, 2).pids, new Map([[0, 3], [5, 2], [6, 1]]))
  // killing ref 3 removes it from every view
  const killed = must(state, sc.kill(INIT, 7))
  assert.equal(expectOk(step(killed, sc.list(1)).outcome), { kind: 'pids', pids: [1, 2] })
  assert.equal(expectOk(step(killed, sc.list(INIT)).outcome), { kind: 'pids', pids: [1, 2, 3, 5] })
})

scenario('the last cap\'s deletion destroys and uncharges: an endpoint; a process (killed, uncharged, its caps deleted)', () => {
  const s0 = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['write']))
  const e = mustCapAt(s0, INIT, 5).object
  const s1 = must(s0, sc.del(INIT, 5))
  assert.ok(s1.ksObjects.has(e))
  assert.is(usageOf(s1, ROOT).endpoints, 1)
  const s2 = must(s1, sc.del(INIT, 6))
  assert.not.ok(s2.ksObjects.has(e))
  assert.is(usageOf(s2, ROOT).endpoints, 0)

  const w = world({ image: IMAGES.manager.digest, grants: [{ slot: 3, rights: ['read'] }] })
  assert.equal(usageOf(w.state, w.container), { memoryBytes: 512, processes: 1, endpoints: 0, cpuBudget: 0, ioBytes: 0 })
  const withEp = must(w.state, sc.epCreate(w.child, 1))
  const childEp = mustCapAt(withEp, w.child, 1).object
  const { state } = succeeds(withEp, sc.del(INIT, w.processSlot))
  assert.not.ok(state.ksObjects.has(w.process))
  assert.not.ok(state.ksObjects.has(childEp), 'its endpoint lost its only cap with it')
  assert.equal(usageOf(state, w.container), { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 1, ioBytes: 0 })
  assert.equal(capsTo(state, w.container).length, 1, 'the grant it held is deleted')
  assert.equal(expectOk(step(state, sc.list(INIT)).outcome), { kind: 'pids', pids: [1] })
})

scenario('BudgetExhausted changes nothing: not the cap a delete would remove, not the charge', () => {
  const w = world({ limits: limits({ cpuBudget: 2 }) })
  const spent = must(w.state, sc.alloc(w.child, 100, 0), sc.list(w.child))
  const region = mustCapAt(spent, w.child, 0).object
  for (const syscall of [sc.del(w.child, 0), sc.epCreate(w.child, 1), sc.destroy(w.child, 0), sc.kill(w.child, 9)]) {
    const result = step(spent, syscall)
    expectError(result.outcome, 'BudgetExhausted')
    assertUnchanged(spent, result.state)
  }
  assert.ok(spent.ksObjects.has(region))
  const ticked = must(spent, sc.tick(), sc.del(w.child, 0))
  assert.not.ok(ticked.ksObjects.has(region))
})

scenario('ep_recv into an occupied or absent dst drops the cap; the last cap\'s drop destroys its object, in a fixpoint', () => {
  // R (100 bytes) lives only in a message on E
  const s0 = must(bootWith(), sc.alloc(INIT, 100, 5), sc.epCreate(INIT, 6), sc.send(INIT, 6, 1, 5), sc.del(INIT, 5))
  assert.is(usageOf(s0, ROOT).memoryBytes, 100)
  const occupied = succeeds(s0, sc.recv(INIT, 6, DISK_SLOT))
  assert.equal(occupied.reply, { kind: 'message', payload: 1, badge: 0, cap: 'dropped' })
  assert.is(usageOf(occupied.state, ROOT).memoryBytes, 0)
  assert.equal([...occupied.state.ksObjects.values()].filter((o) => o.kind === 'region'), [])
  // E2 lives only in a message on E; E2's own queue carries the only cap to R2: dropping E2 destroys both
  const s1 = must(bootWith(), sc.epCreate(INIT, 5), sc.epCreate(INIT, 6), sc.alloc(INIT, 7, 7),
    sc.send(INIT, 6, 'inner', 7), sc.del(INIT, 7), sc.send(INIT, 5, 'outer', 6), sc.del(INIT, 6))
  assert.equal([usageOf(s1, ROOT).endpoints, usageOf(s1, ROOT).memoryBytes], [2, 7])
  const absent = succeeds(s1, sc.recv(INIT, 5))
  assert.equal(absent.reply, { kind: 'message', payload: 'outer', badge: 0, cap: 'dropped' })
  assert.equal([usageOf(absent.state, ROOT).endpoints, usageOf(absent.state, ROOT).memoryBytes], [1, 0])
  assert.equal(absent.state.gsMessages, { sent: 2, received: 1, discarded: 1 })
  assert.equal([...absent.state.ksObjects.values()].map((o) => o.kind).sort(), ['container', 'device', 'device', 'endpoint', 'process'])
})

scenario('an endpoint whose only cap is queued on itself stays live and charged', () => {
  const s0 = must(bootWith(), sc.epCreate(INIT, 5), sc.send(INIT, 5, 'self', 5))
  const e = mustCapAt(s0, INIT, 5).object
  const { state } = succeeds(s0, sc.del(INIT, 5))
  assert.ok(state.ksObjects.has(e))
  assert.is(usageOf(state, ROOT).endpoints, 1)
  const [message] = endpoint(state, e).queue
  assert.equal(state.ksCaps.get(message!.cap!)!.object, e)
  assert.is(state.ksCaps.get(message!.cap!)!.parent, null, 'its parent was deleted: it is a root now')
  assert.equal(capsTo(state, e).length, 1)
})

scenario('deleting a cap re-parents its children; revoking the grandparent still reaches them, in another process and in a message', () => {
  const s0 = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['read', 'write', 'grant']),
    sc.spawn(INIT, ROOT_SLOT, 7, { image: IMAGES.wantsEndpoint.digest, grants: [{ slot: 6, rights: ['write'] }] }),
    sc.epCreate(INIT, 8), sc.send(INIT, 8, 'carrier', 6))
  const [grandparent, parent] = [mustCapAt(s0, INIT, 5), mustCapAt(s0, INIT, 6)]
  assert.is(mustCapAt(s0, 1, 0).parent, parent.id)
  const carried = endpoint(s0, mustCapAt(s0, INIT, 8).object).queue[0]!.cap!
  assert.is(s0.ksCaps.get(carried)!.parent, parent.id)
  const s1 = must(s0, sc.del(INIT, 6))
  assert.is(mustCapAt(s1, 1, 0).parent, grandparent.id)
  assert.is(s1.ksCaps.get(carried)!.parent, grandparent.id)
  assert.equal(descendantsOf(s1, grandparent.id).map((c) => c.id).sort(), [mustCapAt(s1, 1, 0).id, carried].sort())
  const s2 = must(s1, sc.revoke(INIT, 5))
  assert.is(capAt(s2, 1, 0), undefined)
  assert.is(endpoint(s2, mustCapAt(s2, INIT, 8).object).queue[0]!.cap, null)
  assert.equal(descendantsOf(s2, grandparent.id), [])
  failsWith(s2, sc.send(1, 0), 'EmptySlot')
})

scenario('a badge is set once (re-badge refused) and is carried by messages, copies and lookups', () => {
  const s0 = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['write', 'read'], 7))
  failsWith(s0, sc.copy(INIT, 6, 7, ['write'], 8), 'InsufficientRights')
  const s1 = must(s0, sc.copy(INIT, 6, 7, ['write']), sc.register(INIT, 'b', 6), sc.lookup(INIT, 'b', 8))
  assert.equal([7, 8].map((slot) => mustCapAt(s1, INIT, slot).badge), [7, 7])
  failsWith(s1, sc.copy(INIT, 8, 9, ['write'], 1), 'InsufficientRights')
  const r = run(s1, sc.send(INIT, 7, 'via copy'), sc.send(INIT, 8, 'via lookup'), sc.send(INIT, 5, 'unbadged'),
    sc.recv(INIT, 5), sc.recv(INIT, 5), sc.recv(INIT, 5))
  assert.equal(r.outcomes.slice(3).map(expectOk), [
    { kind: 'message', payload: 'via copy', badge: 7, cap: 'none' },
    { kind: 'message', payload: 'via lookup', badge: 7, cap: 'none' },
    { kind: 'message', payload: 'unbadged', badge: 0, cap: 'none' },
  ])
})

scenario('spawn grants are children of the caller\'s caps: revoking the caller\'s cap removes the grant from the child process', () => {
  const s0 = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['write']),
    sc.spawn(INIT, ROOT_SLOT, 7, { image: IMAGES.wantsEndpoint.digest, grants: [{ slot: 6, rights: ['write'] }] }))
  const grant = mustCapAt(s0, 1, 0)
  assert.equal([grant.parent, grant.rights], [mustCapAt(s0, INIT, 6).id, R_WRITE])
  expectOk(step(s0, sc.send(1, 0, 'hello')).outcome)
  const s1 = must(s0, sc.revoke(INIT, 6))
  assert.is(capAt(s1, 1, 0), undefined)
  assert.not.ok(s1.ksCaps.has(grant.id))
  assert.ok(capAt(s1, INIT, 6) !== undefined)
  failsWith(s1, sc.send(1, 0, 'hello'), 'EmptySlot')
  // revoking further up (the endpoint's original) also reaches it
  const s2 = must(s0, sc.revoke(INIT, 5))
  assert.equal([capAt(s2, INIT, 6), capAt(s2, 1, 0)], [undefined, undefined])
})

scenario('container_set_limits can go neither below usage plus reservations nor above what the parent has left', () => {
  const w = world({ image: IMAGES.tiny.digest, limits: limits({ memoryBytes: 10000 }) })
  const s0 = must(w.state, sc.alloc(w.child, 3000, 0), sc.create(INIT, w.containerSlot, 5, small({ memoryBytes: 2000 })))
  assert.equal(statsOf(s0, INIT, w.containerSlot).usage.memoryBytes, 3000)
  failsWith(s0, sc.setLimits(INIT, w.containerSlot, limits({ memoryBytes: 4999 })), 'QuotaExceeded', 'memoryBytes')
  expectOk(step(s0, sc.setLimits(INIT, w.containerSlot, limits({ memoryBytes: 5000 }))).outcome)
  // the root has 2^30 − 10000 left, so C can grow to 2^30 exactly and no further
  failsWith(s0, sc.setLimits(INIT, w.containerSlot, limits({ memoryBytes: 2 ** 30 + 1 })), 'QuotaExceeded', 'memoryBytes')
  const grown = must(s0, sc.setLimits(INIT, w.containerSlot, limits({ memoryBytes: 2 ** 30 })))
  assert.equal(statsOf(grown, INIT, ROOT_SLOT).reserved.memoryBytes, 2 ** 30)
  // and then the root itself has nothing left
  failsWith(grown, sc.alloc(INIT, 1, 6), 'QuotaExceeded', 'memoryBytes')
  failsWith(grown, sc.create(INIT, ROOT_SLOT, 7, small({ memoryBytes: 1 })), 'QuotaExceeded', 'memoryBytes')
  // shrinking returns it
  expectOk(step(must(grown, sc.setLimits(INIT, w.containerSlot, limits({ memoryBytes: 5000 }))), sc.alloc(INIT, 1, 6)).outcome)
})

scenario('sched_run shares quanta in proportion to cpuWeight (A:B = 1:3 → 10:30 next to the root\'s 10) and lists creation indices', () => {
  const state = must(bootWith(),
    sc.create(INIT, ROOT_SLOT, 3, limits({ cpuWeight: 100 })), sc.create(INIT, ROOT_SLOT, 4, limits({ cpuWeight: 300 })),
    sc.spawn(INIT, 3, 5), sc.spawn(INIT, 4, 6), sc.spawn(INIT, 4, 7)) // ref 1 in A; refs 2 and 3 in B
  const reply = expectOk(step(state, sc.sched(50)).outcome)
  if (reply.kind !== 'ran') return assert.unreachable('not ran')
  assert.is(reply.processes.length, 50)
  const count = (refs: number[]) => reply.processes.filter((p) => refs.includes(p)).length
  assert.equal([count([0]), count([1]), count([2, 3])], [10, 10, 30])
  assert.equal([count([2]), count([3])], [15, 15])
  assert.equal(reply.processes.slice(0, 8), [2, 3, 0, 1, 2, 3, 2, 0])
  // SCHED-1: over every prefix, each container is within one quantum of its exact share
  const weights = new Map([[[0], 100], [[1], 100], [[2, 3], 300]] as [number[], number][])
  for (let n = 1; n <= 50; n++) {
    const prefix = reply.processes.slice(0, n)
    for (const [refs, weight] of weights) {
      const got = prefix.filter((p) => refs.includes(p)).length
      assert.ok(Math.abs(got - (n * weight) / 500) <= 1, `prefix ${n}: ${refs} got ${got}`)
    }
  }
})

scenario('io_submit\'s per-period quota is reset by tick', () => {
  const w = world({ image: IMAGES.wantsDevice.digest, grants: [{ slot: DISK_SLOT, rights: ['write'] }] })
  const s0 = must(w.state, sc.io(w.child, 0, 4096))
  failsWith(s0, sc.io(w.child, 0, 1), 'QuotaExceeded', 'ioBytes')
  const s1 = must(s0, sc.tick())
  assert.is(usageOf(s1, w.container).ioBytes, 0)
  const s2 = must(s1, sc.io(w.child, 0, 4096))
  assert.is(usageOf(s2, w.container).ioBytes, 4096)
  failsWith(s2, sc.io(w.child, 0, 1), 'QuotaExceeded', 'ioBytes')
})

scenario('killing a process removes its mappings and returns its image memory; the region it mapped stays with its other caps', () => {
  const s0 = must(bootWith(), sc.create(INIT, ROOT_SLOT, 3, limits()), sc.alloc(INIT, 100, 5),
    sc.spawn(INIT, 3, 4, { image: IMAGES.wantsRegion.digest, grants: [{ slot: 5, rights: ['read', 'write'] }] }),
    sc.map(1, 0, ['read', 'write']))
  const c = mustCapAt(s0, INIT, 3).object
  assert.equal(proc(s0, 1).mappings.length, 1)
  assert.equal(usageOf(s0, c), { memoryBytes: 256, processes: 1, endpoints: 0, cpuBudget: 1, ioBytes: 0 })
  const { state } = succeeds(s0, sc.kill(INIT, 4))
  assert.equal(proc(state, 1).mappings, [])
  assert.equal(usageOf(state, c), { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 1, ioBytes: 0 })
  assert.ok(state.ksObjects.has(mustCapAt(state, INIT, 5).object))
  assert.is(usageOf(state, ROOT).memoryBytes, 100)
})

scenario('a cap transferred across containers by IPC is a child of the sender\'s: the sender can take it back', () => {
  // init sends a region cap to the child through an endpoint the child serves
  const s0 = must(bootWith(), sc.epCreate(INIT, 5), sc.create(INIT, ROOT_SLOT, 3, limits(), NEW_ALL),
    sc.spawn(INIT, 3, 4, { image: IMAGES.server.digest, grants: [{ slot: 5, rights: ['read', 'write', 'grant'] }] }),
    sc.alloc(INIT, 100, 6), sc.send(INIT, 5, 'take this', 6))
  const got = succeeds(s0, sc.recv(1, 0, 1))
  assert.equal(got.reply, { kind: 'message', payload: 'take this', badge: 0, cap: 'received' })
  assert.equal([mustCapAt(got.state, 1, 1).object, mustCapAt(got.state, 1, 1).parent], [mustCapAt(got.state, INIT, 6).object, mustCapAt(got.state, INIT, 6).id])
  const s1 = must(got.state, sc.map(1, 1, ['read']), sc.revoke(INIT, 6))
  assert.is(capAt(s1, 1, 1), undefined)
  assert.equal(proc(s1, 1).mappings, [])
})

scenario('destroying a container while its process is mid-conversation: queued messages it sent stay, caps it received go', () => {
  const s0 = must(bootWith(), sc.epCreate(INIT, 5), sc.create(INIT, ROOT_SLOT, 3, limits()),
    sc.spawn(INIT, 3, 4, { image: IMAGES.server.digest, grants: [{ slot: 5, rights: ['read', 'write', 'grant'] }] }),
    sc.alloc(1, 10, 1), sc.send(1, 0, 'with region', 1), sc.send(INIT, 5, 'to child'))
  const e = mustCapAt(s0, INIT, 5).object
  const { state } = succeeds(s0, sc.destroy(INIT, 3))
  assert.equal(endpoint(state, e).queue.map((m) => [m.payload, m.cap]), [['with region', null], ['to child', null]])
  assert.equal(capsTo(state, e).map((c) => c.id), [mustCapAt(state, INIT, 5).id])
  assert.equal(state.gsMessages, { sent: 2, received: 0, discarded: 0 })
  const r = run(state, sc.recv(INIT, 5, 6), sc.recv(INIT, 5, 6))
  assert.equal(r.outcomes.map((o) => { const m = expectOk(o); return m.kind === 'message' && m.cap }), ['none', 'none'])
})

scenario.run()

const more = suite('scenarios (destruction reaching out)')

more('deleting the last cap to a container destroys its whole subtree and returns the reservation', () => {
  const s0 = must(bootWith(), sc.create(INIT, ROOT_SLOT, 3, limits(), NEW_ALL), sc.create(INIT, 3, 4, small({ processes: 1, memoryBytes: 4096, cpuBudget: 5 })),
    sc.spawn(INIT, 4, 5), sc.copy(INIT, 3, 6, ['read']))
  const [c, g] = [mustCapAt(s0, INIT, 3).object, mustCapAt(s0, INIT, 4).object]
  const s1 = must(s0, sc.del(INIT, 3))
  assert.ok(s1.ksObjects.has(c), 'a read-only copy still names it')
  const { state } = succeeds(s1, sc.del(INIT, 6))
  for (const id of [c, g]) assert.not.ok(state.ksObjects.has(id))
  assert.equal([capAt(state, INIT, 4), capAt(state, INIT, 5)], [undefined, undefined])
  assert.equal([...state.ksNamespaces.keys()], [0, 1, 2, 3, 4])
  assert.equal(statsOf(state, INIT, ROOT_SLOT).reserved, { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0 })
  expectError(step(state, sc.list(1)).outcome, 'NotRunning')
})

more('destroying a container deletes the caps its processes held: an outside object whose only cap they held is destroyed and uncharged', () => {
  // P in C holds the root container (manager grant) and spawns Q into the root: P holds Q's only cap
  const w = world({ image: IMAGES.manager.digest, grants: [{ slot: ROOT_SLOT, rights: ['read', 'control'] }] })
  const s0 = must(w.state, sc.spawn(w.child, 0, 1, { image: IMAGES.echo.digest }))
  const q = mustCapAt(s0, w.child, 1).object
  assert.equal(usageOf(s0, ROOT), { memoryBytes: 4096, processes: 2, endpoints: 0, cpuBudget: 2, ioBytes: 0 })
  const { state } = succeeds(s0, sc.destroy(INIT, w.containerSlot))
  assert.not.ok(state.ksObjects.has(q))
  assert.equal(usageOf(state, ROOT), { memoryBytes: 0, processes: 1, endpoints: 0, cpuBudget: 3, ioBytes: 0 })
  expectError(step(state, sc.list(2)).outcome, 'NotRunning')
  // the root container's cap P held (a child of init's) is gone; init's original stays
  assert.equal(capsTo(state, ROOT).map((cap) => cap.id), [mustCapAt(state, INIT, ROOT_SLOT).id])
})

more('a container sharing the root\'s tables: its entries naming its own objects go with it, entries naming outside objects stay (re-parented)', () => {
  const s0 = must(bootWith(), sc.epCreate(INIT, 5), sc.create(INIT, ROOT_SLOT, 3, limits()),
    sc.spawn(INIT, 3, 4, { image: IMAGES.server.digest, grants: [{ slot: 5, rights: ['read', 'write', 'grant'] }] }),
    sc.alloc(1, 10, 1), sc.mount(1, '/inside', 1, ['read']), sc.mount(1, '/outside', 0, ['write']), sc.register(1, 'svc', 0))
  assert.equal(entries(s0, 1), ['/inside', '/outside'])
  const { state } = succeeds(s0, sc.destroy(INIT, 3))
  assert.equal(entries(state, 1), ['/outside'])
  assert.equal(entries(state, 3), ['svc'])
  const init5 = mustCapAt(state, INIT, 5)
  for (const [ns, key] of [[1, '/outside'], [3, 'svc']] as const) {
    const cap = state.ksCaps.get(state.ksNamespaces.get(ns)!.entries.get(key)!)!
    assert.equal([cap.object, cap.parent], [init5.object, init5.id])
  }
  expectOk(step(state, sc.resolve(INIT, '/outside', 6)).outcome)
})

more('a process may kill itself through a cap to itself it received; it becomes a zombie while init\'s cap names it', () => {
  const s0 = must(bootWith(), sc.epCreate(INIT, 5),
    sc.spawn(INIT, ROOT_SLOT, 6, { image: IMAGES.server.digest, grants: [{ slot: 5, rights: ['read', 'write', 'grant'] }] }),
    sc.send(INIT, 5, 'yourself', 6), sc.recv(1, 0, 1))
  const p = mustCapAt(s0, INIT, 6).object
  assert.is(mustCapAt(s0, 1, 1).object, p)
  const { state } = succeeds(s0, sc.kill(1, 1))
  const zombie = state.ksObjects.get(p)!
  assert.equal(zombie.kind === 'process' && [zombie.status, zombie.slots.every((s) => s === null)], ['dead', true])
  assert.equal(usageOf(state, ROOT).processes, 1)
  expectError(step(state, sc.list(1)).outcome, 'NotRunning')
  failsWith(state, sc.kill(INIT, 6), 'NotRunning')
  assert.not.ok(must(state, sc.del(INIT, 6)).ksObjects.has(p))
})

more('deleting the last cap to a device destroys it (only the root container and init are pinned)', () => {
  const s0 = must(bootWith(), sc.copy(INIT, DISK_SLOT, 5, ['write']), sc.del(INIT, DISK_SLOT))
  assert.ok(s0.ksObjects.has(1))
  expectOk(step(s0, sc.io(INIT, 5, 10)).outcome)
  const s1 = must(s0, sc.del(INIT, 5))
  assert.not.ok(s1.ksObjects.has(1))
  assert.ok(s1.ksObjects.has(ROOT) && s1.ksObjects.has(3))
})

more.run()
