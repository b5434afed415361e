import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { step } from '../../model/step.js'
import { R_READ, R_WRITE, R_GRANT } from '../../spec/rights.js'
import type { KernelState } from '../../model/state.js'
import {
  DISK_SLOT, IMAGES, INIT, ROOT, bootWith, capAt, expectOk, failsWith, must, mustCapAt, sc, succeeds, usageOf,
} from './fixtures.js'

/** Boot namespaces: pid 0, mount 1, net 2, ipc 3, user 4. */
const MOUNT = 1
const NET = 2
const IPC = 3

/** Init holds an endpoint E in slot 5; process 1 runs in the root container as uid 5 holding E (read, write, grant) in slot 0. */
function unprivileged(): KernelState {
  return must(bootWith(), sc.epCreate(INIT, 5), sc.spawn(INIT, 0, 6, { image: IMAGES.server.digest, uid: 5, grants: [{ slot: 5, rights: ['read', 'write', 'grant'] }] }))
}
const USER = 1

function entry(state: KernelState, namespace: number, key: string) {
  const id = state.ksNamespaces.get(namespace)!.entries.get(key)
  return id === undefined ? undefined : state.ksCaps.get(id)
}

// ---- mount / unmount / resolve -------------------------------------------------------------------

const mount = suite('mount')

mount('success: a child of the slot\'s cap with the given rights at the path', () => {
  const before = must(bootWith(), sc.epCreate(INIT, 5))
  const { state, reply } = succeeds(before, sc.mount(INIT, '/svc/echo', 5, ['write']))
  assert.equal(reply, { kind: 'unit' })
  const cap = entry(state, MOUNT, '/svc/echo')!
  assert.equal(cap, {
    id: before.ksCapNext, object: mustCapAt(state, INIT, 5).object, rights: R_WRITE, badge: 0,
    parent: mustCapAt(state, INIT, 5).id, at: { place: 'table', namespace: MOUNT, key: '/svc/echo' },
  })
  assert.equal([...state.ksNamespaces.get(MOUNT)!.entries.keys()], ['/svc/echo'])
  // any kind of cap can be mounted; `/` is a path
  expectOk(step(state, sc.mount(INIT, '/', DISK_SLOT, ['write'])).outcome)
})
mount('InvalidArgument: malformed paths and rights', () => {
  const b = must(bootWith(), sc.epCreate(INIT, 5))
  for (const path of ['a', '', '/a/', '//', '/..', '/a/../b', '/./a', '/a/.', '/a b', '/' + 'a'.repeat(256), 42, null]) {
    failsWith(b, { ...sc.mount(INIT, '/x', 5, ['write']), path }, 'InvalidArgument')
  }
  failsWith(b, { ...sc.mount(INIT, '/x', 5, ['write']), rights: ['sudo'] }, 'InvalidArgument')
  expectOk(step(b, sc.mount(INIT, '/' + 'a'.repeat(255), 5, ['write'])).outcome)
  expectOk(step(b, sc.mount(INIT, '/a/..b/.c', 5, ['write'])).outcome)
})
mount('InvalidSlot', () => { failsWith(bootWith(), sc.mount(INIT, '/x', 16, []), 'InvalidSlot') })
mount('EmptySlot', () => { failsWith(bootWith(), sc.mount(INIT, '/x', 5, []), 'EmptySlot') })
mount('InsufficientRights: rights beyond the cap', () => { failsWith(bootWith(), sc.mount(INIT, '/dev/disk0', DISK_SLOT, ['read']), 'InsufficientRights') })
mount('AlreadyExists', () => {
  failsWith(must(bootWith(), sc.mount(INIT, '/d', DISK_SLOT, ['write'])), sc.mount(INIT, '/d', DISK_SLOT, []), 'AlreadyExists')
})
mount('PermissionDenied: a uid other than 0 in the owning user namespace', () => {
  failsWith(unprivileged(), sc.mount(USER, '/x', 0, ['write']), 'PermissionDenied')
})
mount('precedence: EmptySlot before AlreadyExists; InsufficientRights before PermissionDenied; AlreadyExists before PermissionDenied', () => {
  failsWith(must(bootWith(), sc.mount(INIT, '/d', DISK_SLOT, ['write'])), sc.mount(INIT, '/d', 9, []), 'EmptySlot')
  const b = unprivileged()
  failsWith(b, sc.mount(USER, '/x', 0, ['control']), 'InsufficientRights')
  failsWith(must(b, sc.mount(INIT, '/x', 5, [])), sc.mount(USER, '/x', 0, ['write']), 'AlreadyExists')
})
mount.run()

const unmount = suite('unmount')

unmount('success: the entry and its cap go; the object stays while other caps name it', () => {
  const before = must(bootWith(), sc.epCreate(INIT, 5), sc.mount(INIT, '/e', 5, ['write']))
  const id = entry(before, MOUNT, '/e')!.id
  const { state, reply } = succeeds(before, sc.unmount(INIT, '/e'))
  assert.equal(reply, { kind: 'unit' })
  assert.is(state.ksNamespaces.get(MOUNT)!.entries.size, 0)
  assert.not.ok(state.ksCaps.has(id))
  assert.is(usageOf(state, ROOT).endpoints, 1)
})
unmount('success: unmounting the last cap destroys the object and uncharges it', () => {
  const before = must(bootWith(), sc.alloc(INIT, 100, 5), sc.mount(INIT, '/r', 5, ['read']), sc.del(INIT, 5))
  const region = entry(before, MOUNT, '/r')!.object
  assert.is(entry(before, MOUNT, '/r')!.parent, null)
  assert.is(usageOf(before, ROOT).memoryBytes, 100)
  const state = must(before, sc.unmount(INIT, '/r'))
  assert.not.ok(state.ksObjects.has(region))
  assert.is(usageOf(state, ROOT).memoryBytes, 0)
})
unmount('InvalidArgument: malformed path', () => { failsWith(bootWith(), sc.unmount(INIT, 'relative'), 'InvalidArgument') })
unmount('NotFound', () => { failsWith(bootWith(), sc.unmount(INIT, '/nothing'), 'NotFound') })
unmount('PermissionDenied', () => {
  failsWith(must(unprivileged(), sc.mount(INIT, '/e', 5, ['write'])), sc.unmount(USER, '/e'), 'PermissionDenied')
})
unmount('precedence: NotFound before PermissionDenied', () => { failsWith(unprivileged(), sc.unmount(USER, '/nothing'), 'NotFound') })
unmount.run()

const resolve = suite('resolve')

resolve('success: a child of the entry with the entry\'s rights; no admin needed', () => {
  const before = must(unprivileged(), sc.mount(INIT, '/e', 5, ['write', 'grant']))
  const { state, reply } = succeeds(before, sc.resolve(USER, '/e', 1))
  assert.equal(reply, { kind: 'unit' })
  const cap = mustCapAt(state, USER, 1)
  assert.equal([cap.object, cap.rights, cap.parent, cap.badge], [mustCapAt(state, INIT, 5).object, R_WRITE | R_GRANT, entry(state, MOUNT, '/e')!.id, 0])
  assert.ok(entry(state, MOUNT, '/e') !== undefined, 'the entry stays')
})
resolve('InvalidSlot dst', () => { failsWith(must(bootWith(), sc.mount(INIT, '/d', 1, [])), sc.resolve(INIT, '/d', 16), 'InvalidSlot') })
resolve('SlotOccupied dst', () => { failsWith(must(bootWith(), sc.mount(INIT, '/d', 1, [])), sc.resolve(INIT, '/d', 2), 'SlotOccupied') })
resolve('NotFound', () => { failsWith(bootWith(), sc.resolve(INIT, '/d', 5), 'NotFound') })
resolve('InvalidArgument: path with ..', () => { failsWith(bootWith(), sc.resolve(INIT, '/a/..', 5), 'InvalidArgument') })
resolve('precedence: occupied dst AND missing name → SlotOccupied', () => { failsWith(bootWith(), sc.resolve(INIT, '/missing', DISK_SLOT), 'SlotOccupied') })
resolve.run()

// ---- net_bind / net_unbind / net_connect -----------------------------------------------------------

const bind = suite('net_bind')

bind('success: an entry keyed by the port, a child with the same rights', () => {
  const before = must(bootWith(), sc.epCreate(INIT, 5))
  const { state, reply } = succeeds(before, sc.bind(INIT, 80, 5))
  assert.equal(reply, { kind: 'unit' })
  const cap = entry(state, NET, '80')!
  assert.equal([cap.object, cap.rights, cap.parent, cap.at], [mustCapAt(state, INIT, 5).object, R_READ | R_WRITE | R_GRANT, mustCapAt(state, INIT, 5).id, { place: 'table', namespace: NET, key: '80' }])
})
bind('InvalidArgument: port 0, 65536, negative, a string', () => {
  const b = must(bootWith(), sc.epCreate(INIT, 5))
  for (const port of [0, 65536, -80, '80', 80.5]) failsWith(b, { ...sc.bind(INIT, 80, 5), port }, 'InvalidArgument')
  expectOk(step(b, sc.bind(INIT, 65535, 5)).outcome)
})
bind('InvalidSlot', () => { failsWith(bootWith(), sc.bind(INIT, 80, 16), 'InvalidSlot') })
bind('EmptySlot', () => { failsWith(bootWith(), sc.bind(INIT, 80, 5), 'EmptySlot') })
bind('WrongKind: not an endpoint', () => { failsWith(bootWith(), sc.bind(INIT, 80, DISK_SLOT), 'WrongKind') })
bind('InsufficientRights: no read (the binder serves)', () => {
  failsWith(must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['write'])), sc.bind(INIT, 80, 6), 'InsufficientRights')
})
bind('AlreadyExists', () => { failsWith(must(bootWith(), sc.epCreate(INIT, 5), sc.bind(INIT, 80, 5)), sc.bind(INIT, 80, 5), 'AlreadyExists') })
bind('PermissionDenied', () => { failsWith(unprivileged(), sc.bind(USER, 80, 0), 'PermissionDenied') })
bind('precedence: InsufficientRights before AlreadyExists; AlreadyExists before PermissionDenied', () => {
  const b = must(unprivileged(), sc.copy(INIT, 5, 7, ['write']), sc.bind(INIT, 80, 5))
  failsWith(b, sc.bind(INIT, 80, 7), 'InsufficientRights')
  failsWith(b, sc.bind(USER, 80, 0), 'AlreadyExists')
})
bind.run()

const unbind = suite('net_unbind')

unbind('success: the entry and its cap go', () => {
  const before = must(bootWith(), sc.epCreate(INIT, 5), sc.bind(INIT, 80, 5), sc.bind(INIT, 81, 5))
  const id = entry(before, NET, '80')!.id
  const { state, reply } = succeeds(before, sc.unbind(INIT, 80))
  assert.equal(reply, { kind: 'unit' })
  assert.equal([...state.ksNamespaces.get(NET)!.entries.keys()], ['81'])
  assert.not.ok(state.ksCaps.has(id))
})
unbind('InvalidArgument', () => { failsWith(bootWith(), sc.unbind(INIT, 0), 'InvalidArgument') })
unbind('NotFound', () => { failsWith(bootWith(), sc.unbind(INIT, 80), 'NotFound') })
unbind('PermissionDenied', () => { failsWith(must(unprivileged(), sc.bind(INIT, 80, 5)), sc.unbind(USER, 80), 'PermissionDenied') })
unbind('precedence: NotFound before PermissionDenied', () => { failsWith(unprivileged(), sc.unbind(USER, 80), 'NotFound') })
unbind.run()

const connect = suite('net_connect')

connect('success: a send-only child of the entry with its badge', () => {
  const before = must(unprivileged(), sc.copy(INIT, 5, 7, ['read', 'write', 'grant'], 11), sc.bind(INIT, 443, 7))
  const { state, reply } = succeeds(before, sc.connect(USER, 443, 1))
  assert.equal(reply, { kind: 'unit' })
  const cap = mustCapAt(state, USER, 1)
  assert.equal([cap.object, cap.rights, cap.badge, cap.parent], [mustCapAt(state, INIT, 5).object, R_WRITE, 11, entry(state, NET, '443')!.id])
})
connect('InvalidSlot dst', () => { failsWith(must(bootWith(), sc.epCreate(INIT, 5), sc.bind(INIT, 80, 5)), sc.connect(INIT, 80, 16), 'InvalidSlot') })
connect('SlotOccupied dst', () => { failsWith(must(bootWith(), sc.epCreate(INIT, 5), sc.bind(INIT, 80, 5)), sc.connect(INIT, 80, 5), 'SlotOccupied') })
connect('NotFound', () => { failsWith(bootWith(), sc.connect(INIT, 80, 5), 'NotFound') })
connect('InvalidArgument', () => { failsWith(bootWith(), sc.connect(INIT, 70000, 5), 'InvalidArgument') })
connect('precedence: occupied dst AND unbound port → SlotOccupied', () => { failsWith(bootWith(), sc.connect(INIT, 80, DISK_SLOT), 'SlotOccupied') })
connect.run()

// ---- svc_register / svc_unregister / svc_lookup -------------------------------------------------------

const register = suite('svc_register')

register('success: an entry in the ipc namespace, a child with the same rights', () => {
  const before = must(bootWith(), sc.epCreate(INIT, 5))
  const { state, reply } = succeeds(before, sc.register(INIT, 'echo', 5))
  assert.equal(reply, { kind: 'unit' })
  const cap = entry(state, IPC, 'echo')!
  assert.equal([cap.rights, cap.parent, cap.at], [R_READ | R_WRITE | R_GRANT, mustCapAt(state, INIT, 5).id, { place: 'table', namespace: IPC, key: 'echo' }])
})
register('InvalidArgument: names empty, with a space or a slash, too long', () => {
  const b = must(bootWith(), sc.epCreate(INIT, 5))
  for (const name of ['', 'a b', 'a/b', 'x'.repeat(65), 7]) failsWith(b, { ...sc.register(INIT, 'x', 5), name }, 'InvalidArgument')
  expectOk(step(b, sc.register(INIT, 'x'.repeat(64), 5)).outcome)
})
register('InvalidSlot', () => { failsWith(bootWith(), sc.register(INIT, 'echo', 16), 'InvalidSlot') })
register('EmptySlot', () => { failsWith(bootWith(), sc.register(INIT, 'echo', 5), 'EmptySlot') })
register('WrongKind', () => { failsWith(bootWith(), sc.register(INIT, 'echo', DISK_SLOT), 'WrongKind') })
register('InsufficientRights: no read', () => {
  failsWith(must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['write', 'grant'])), sc.register(INIT, 'echo', 6), 'InsufficientRights')
})
register('AlreadyExists', () => { failsWith(must(bootWith(), sc.epCreate(INIT, 5), sc.register(INIT, 'echo', 5)), sc.register(INIT, 'echo', 5), 'AlreadyExists') })
register('PermissionDenied', () => { failsWith(unprivileged(), sc.register(USER, 'echo', 0), 'PermissionDenied') })
register('precedence: AlreadyExists before PermissionDenied', () => {
  failsWith(must(unprivileged(), sc.register(INIT, 'echo', 5)), sc.register(USER, 'echo', 0), 'AlreadyExists')
})
register.run()

const unregister = suite('svc_unregister')

unregister('success: the entry and its cap go', () => {
  const before = must(bootWith(), sc.epCreate(INIT, 5), sc.register(INIT, 'echo', 5))
  const id = entry(before, IPC, 'echo')!.id
  const { state, reply } = succeeds(before, sc.unregister(INIT, 'echo'))
  assert.equal(reply, { kind: 'unit' })
  assert.is(state.ksNamespaces.get(IPC)!.entries.size, 0)
  assert.not.ok(state.ksCaps.has(id))
})
unregister('InvalidArgument', () => { failsWith(bootWith(), sc.unregister(INIT, ''), 'InvalidArgument') })
unregister('NotFound', () => { failsWith(bootWith(), sc.unregister(INIT, 'echo'), 'NotFound') })
unregister('PermissionDenied', () => { failsWith(must(unprivileged(), sc.register(INIT, 'echo', 5)), sc.unregister(USER, 'echo'), 'PermissionDenied') })
unregister('precedence: NotFound before PermissionDenied', () => { failsWith(unprivileged(), sc.unregister(USER, 'echo'), 'NotFound') })
unregister.run()

const lookup = suite('svc_lookup')

lookup('success: a send-only child of the entry, its badge kept, no admin needed', () => {
  const before = must(unprivileged(), sc.copy(INIT, 5, 7, ['read', 'write'], 5), sc.register(INIT, 'echo', 7))
  const { state, reply } = succeeds(before, sc.lookup(USER, 'echo', 2))
  assert.equal(reply, { kind: 'unit' })
  const cap = mustCapAt(state, USER, 2)
  assert.equal([cap.rights, cap.badge, cap.parent], [R_WRITE, 5, entry(state, IPC, 'echo')!.id])
  // the entry had no write: the lookup gives a cap with no rights
  const readOnly = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['read']), sc.register(INIT, 'ro', 6), sc.lookup(INIT, 'ro', 7))
  assert.is(mustCapAt(readOnly, INIT, 7).rights, 0)
})
lookup('InvalidSlot dst', () => { failsWith(must(bootWith(), sc.epCreate(INIT, 5), sc.register(INIT, 'e', 5)), sc.lookup(INIT, 'e', 16), 'InvalidSlot') })
lookup('SlotOccupied dst', () => { failsWith(must(bootWith(), sc.epCreate(INIT, 5), sc.register(INIT, 'e', 5)), sc.lookup(INIT, 'e', 5), 'SlotOccupied') })
lookup('NotFound', () => { failsWith(bootWith(), sc.lookup(INIT, 'e', 5), 'NotFound') })
lookup('InvalidArgument', () => { failsWith(bootWith(), sc.lookup(INIT, 'no way', 5), 'InvalidArgument') })
lookup('precedence: occupied dst AND missing name → SlotOccupied', () => { failsWith(bootWith(), sc.lookup(INIT, 'missing', DISK_SLOT), 'SlotOccupied') })
lookup('a lookup leaves nothing behind in the caller\'s slot on failure', () => {
  const state = step(bootWith(), sc.lookup(INIT, 'missing', 5)).state
  assert.is(capAt(state, INIT, 5), undefined)
})
lookup.run()
