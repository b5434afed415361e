import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { step } from '../../model/step.js'
import { R_ALL, R_READ, R_WRITE, R_GRANT, R_CONTROL } from '../../spec/rights.js'
import {
  ALL, DISK_SLOT, INIT, NET_SLOT, ROOT, ROOT_SLOT, DISK0, assertOnlyCpuCharged, bootWith, capAt, capsTo, descendantsOf, expectOk, expectUnit,
  failsWith, mask, must, mustCapAt, proc, run, sc, succeeds, usageOf,
} from './fixtures.js'

// ---- cap_copy ---------------------------------------------------------------

const copy = suite('cap_copy')

copy('success: a child of src with the requested rights, in dst, same badge', () => {
  const before = bootWith()
  const { state, reply } = succeeds(before, sc.copy(INIT, ROOT_SLOT, 5, ['read', 'control']))
  assert.equal(reply, { kind: 'unit' })
  const source = mustCapAt(state, INIT, ROOT_SLOT)
  const child = mustCapAt(state, INIT, 5)
  assert.is(child.object, ROOT)
  assert.is(child.rights, R_READ | R_CONTROL)
  assert.is(child.parent, source.id)
  assert.is(child.badge, 0)
  assert.equal(child.at, { place: 'slot', process: proc(state, INIT).id, slot: 5 })
  assert.is(state.ksCaps.size, before.ksCaps.size + 1)
  // the source is untouched
  assert.equal(source, mustCapAt(before, INIT, ROOT_SLOT))
  assert.is(usageOf(state, ROOT).cpuBudget, 1)
})

copy('success: a copy with no rights is legal', () => {
  const { state } = succeeds(bootWith(), sc.copy(INIT, DISK_SLOT, 5, []))
  assert.is(mustCapAt(state, INIT, 5).rights, 0)
  assert.is(mustCapAt(state, INIT, 5).object, DISK0)
})

copy('success: a badge on an unbadged endpoint cap; without badge the child keeps the source badge', () => {
  let state = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['write'], 7))
  assert.is(mustCapAt(state, INIT, 6).badge, 7)
  assert.is(mustCapAt(state, INIT, 6).rights, R_WRITE)
  state = must(state, sc.copy(INIT, 6, 7, ['write']))
  assert.is(mustCapAt(state, INIT, 7).badge, 7)
  assert.is(mustCapAt(state, INIT, 7).parent, mustCapAt(state, INIT, 6).id)
})

copy('InvalidSlot: src past the CSpace', () => {
  failsWith(bootWith(), sc.copy(INIT, 16, 5), 'InvalidSlot')
  failsWith(bootWith(), sc.copy(INIT, 1_000_000, 5), 'InvalidSlot')
})
copy('EmptySlot: src empty', () => { failsWith(bootWith(), sc.copy(INIT, 9, 5), 'EmptySlot') })
copy('WrongKind: a badge on a non-endpoint cap', () => { failsWith(bootWith(), sc.copy(INIT, DISK_SLOT, 5, ['write'], 3), 'WrongKind') })
copy('InsufficientRights: rights beyond the source', () => { failsWith(bootWith(), sc.copy(INIT, DISK_SLOT, 5, ['read']), 'InsufficientRights') })
copy('InsufficientRights: re-badging a badged cap', () => {
  const state = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['write'], 7))
  failsWith(state, sc.copy(INIT, 6, 7, ['write'], 8), 'InsufficientRights')
  failsWith(state, sc.copy(INIT, 6, 7, ['write'], 7), 'InsufficientRights')
})
copy('InvalidSlot: dst past the CSpace', () => { failsWith(bootWith(), sc.copy(INIT, ROOT_SLOT, 16), 'InvalidSlot') })
copy('SlotOccupied: dst occupied; dst equal to src', () => {
  failsWith(bootWith(), sc.copy(INIT, ROOT_SLOT, DISK_SLOT), 'SlotOccupied')
  failsWith(bootWith(), sc.copy(INIT, ROOT_SLOT, ROOT_SLOT, ['read']), 'SlotOccupied')
})
copy('badge 0 is none (kernel.md §2): an unbadged endpoint or another kind copies with it, unbadged; a badged cap refuses it', () => {
  let state = must(bootWith(), sc.copy(INIT, DISK_SLOT, 5, ['write'], 0), sc.epCreate(INIT, 6), sc.copy(INIT, 6, 7, ['write'], 0))
  assert.is(mustCapAt(state, INIT, 5).badge, 0)
  assert.is(mustCapAt(state, INIT, 7).badge, 0)
  state = must(state, sc.copy(INIT, 6, 8, ['write'], 4))
  failsWith(state, sc.copy(INIT, 8, 9, ['write'], 0), 'InsufficientRights')
  failsWith(bootWith(), { ...sc.copy(INIT, ROOT_SLOT, 5), badge: -1 }, 'InvalidArgument')
})
copy('InvalidArgument: badge out of range, unknown right, rights not a list', () => {
  failsWith(bootWith(), { ...sc.copy(INIT, ROOT_SLOT, 5), rights: ['own'] }, 'InvalidArgument')
  failsWith(bootWith(), { ...sc.copy(INIT, ROOT_SLOT, 5), rights: 'read' }, 'InvalidArgument')
  failsWith(bootWith(), { ...sc.copy(INIT, ROOT_SLOT, 5), badge: 2 ** 32 }, 'InvalidArgument')
})
copy('precedence: src empty AND dst occupied → EmptySlot', () => { failsWith(bootWith(), sc.copy(INIT, 9, DISK_SLOT), 'EmptySlot') })
copy('precedence: src invalid AND dst invalid → InvalidSlot (of src, before anything about dst)', () => {
  failsWith(bootWith(), sc.copy(INIT, 99, 98), 'InvalidSlot')
})
copy('precedence: wrong kind (badge on a device) AND dst occupied → WrongKind', () => {
  failsWith(bootWith(), sc.copy(INIT, DISK_SLOT, NET_SLOT, ['write'], 1), 'WrongKind')
})
copy('precedence: wrong kind AND rights beyond → WrongKind', () => {
  failsWith(bootWith(), sc.copy(INIT, DISK_SLOT, 5, ALL, 1), 'WrongKind')
})
copy('precedence: rights beyond AND dst occupied → InsufficientRights', () => {
  failsWith(bootWith(), sc.copy(INIT, DISK_SLOT, NET_SLOT, ['read']), 'InsufficientRights')
})
copy('precedence: re-badge AND dst invalid → InsufficientRights', () => {
  const state = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['write'], 7))
  failsWith(state, sc.copy(INIT, 6, 400, ['write'], 8), 'InsufficientRights')
})

copy.run()

// ---- cap_move ---------------------------------------------------------------

const move = suite('cap_move')

move('success: the same cap (id, rights, parent) in another slot; src empties', () => {
  const before = must(bootWith(), sc.copy(INIT, ROOT_SLOT, 5, ['read']))
  const original = mustCapAt(before, INIT, 5)
  const { state, reply } = succeeds(before, sc.move(INIT, 5, 9))
  assert.equal(reply, { kind: 'unit' })
  assert.is(capAt(state, INIT, 5), undefined)
  const moved = mustCapAt(state, INIT, 9)
  assert.is(moved.id, original.id)
  assert.is(moved.parent, original.parent)
  assert.is(moved.rights, R_READ)
  assert.equal(moved.at, { place: 'slot', process: proc(state, INIT).id, slot: 9 })
  assert.is(state.ksCaps.size, before.ksCaps.size)
})
move('success: moving an original keeps its children attached', () => {
  const before = must(bootWith(), sc.copy(INIT, ROOT_SLOT, 5, ['read']))
  const state = must(before, sc.move(INIT, ROOT_SLOT, 10))
  assert.is(mustCapAt(state, INIT, 5).parent, mustCapAt(state, INIT, 10).id)
})
move('InvalidSlot src', () => { failsWith(bootWith(), sc.move(INIT, 16, 5), 'InvalidSlot') })
move('EmptySlot src', () => { failsWith(bootWith(), sc.move(INIT, 7, 5), 'EmptySlot') })
move('InvalidSlot dst', () => { failsWith(bootWith(), sc.move(INIT, ROOT_SLOT, 16), 'InvalidSlot') })
move('SlotOccupied dst; dst equal to src', () => {
  failsWith(bootWith(), sc.move(INIT, ROOT_SLOT, DISK_SLOT), 'SlotOccupied')
  failsWith(bootWith(), sc.move(INIT, ROOT_SLOT, ROOT_SLOT), 'SlotOccupied')
})
move('precedence: src empty AND dst occupied → EmptySlot', () => { failsWith(bootWith(), sc.move(INIT, 7, ROOT_SLOT), 'EmptySlot') })
move('InvalidArgument: negative / fractional slots', () => {
  failsWith(bootWith(), { kind: 'cap_move', caller: INIT, src: -1, dst: 5 }, 'InvalidArgument')
  failsWith(bootWith(), { kind: 'cap_move', caller: INIT, src: 0, dst: 5.5 }, 'InvalidArgument')
})
move.run()

// ---- cap_delete ----------------------------------------------------------------

const del = suite('cap_delete')

del('success: removes the cap; its children move up to its parent', () => {
  const before = must(bootWith(), sc.copy(INIT, ROOT_SLOT, 5, ['read', 'control']), sc.copy(INIT, 5, 6, ['read']), sc.copy(INIT, 5, 7, ['control']))
  const mid = mustCapAt(before, INIT, 5)
  const { state, reply } = succeeds(before, sc.del(INIT, 5))
  assert.equal(reply, { kind: 'unit' })
  assert.is(capAt(state, INIT, 5), undefined)
  assert.not.ok(state.ksCaps.has(mid.id))
  assert.is(mustCapAt(state, INIT, 6).parent, mustCapAt(state, INIT, ROOT_SLOT).id)
  assert.is(mustCapAt(state, INIT, 7).parent, mustCapAt(state, INIT, ROOT_SLOT).id)
  assert.is(mustCapAt(state, INIT, 6).rights, R_READ)
  assert.is(state.ksCaps.size, before.ksCaps.size - 1)
})
del('success: children of a deleted original become roots; the object stays while they name it', () => {
  const before = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['write']))
  const endpoint = mustCapAt(before, INIT, 5).object
  const state = must(before, sc.del(INIT, 5))
  assert.is(mustCapAt(state, INIT, 6).parent, null)
  assert.ok(state.ksObjects.has(endpoint))
  assert.is(usageOf(state, ROOT).endpoints, 1)
})
del('success: deleting the last cap destroys the object and uncharges its owner', () => {
  const before = must(bootWith(), sc.alloc(INIT, 100, 5))
  const region = mustCapAt(before, INIT, 5).object
  assert.is(usageOf(before, ROOT).memoryBytes, 100)
  const state = must(before, sc.del(INIT, 5))
  assert.not.ok(state.ksObjects.has(region))
  assert.is(usageOf(state, ROOT).memoryBytes, 0)
})
del('InvalidSlot', () => { failsWith(bootWith(), sc.del(INIT, 16), 'InvalidSlot') })
del('EmptySlot', () => { failsWith(bootWith(), sc.del(INIT, 5), 'EmptySlot') })
del('InvalidArgument: slot as a string', () => { failsWith(bootWith(), { kind: 'cap_delete', caller: INIT, slot: '1' }, 'InvalidArgument') })
del.run()

// ---- cap_revoke ---------------------------------------------------------------------

const revoke = suite('cap_revoke')

revoke('success: every descendant goes (grandchildren included), the cap and unrelated caps stay', () => {
  const before = must(bootWith(),
    sc.copy(INIT, ROOT_SLOT, 5, ['read', 'control']), sc.copy(INIT, 5, 6, ['read']), sc.copy(INIT, 6, 7, []),
    sc.copy(INIT, DISK_SLOT, 8, ['write']))
  const root = mustCapAt(before, INIT, ROOT_SLOT)
  assert.is(descendantsOf(before, root.id).length, 3)
  const { state, reply } = succeeds(before, sc.revoke(INIT, ROOT_SLOT))
  assert.equal(reply, { kind: 'unit' })
  assert.equal(mustCapAt(state, INIT, ROOT_SLOT), root)
  for (const slot of [5, 6, 7]) assert.is(capAt(state, INIT, slot), undefined)
  assert.is(descendantsOf(state, root.id).length, 0)
  assert.is(mustCapAt(state, INIT, 8).rights, R_WRITE)
  assert.is(state.ksCaps.size, before.ksCaps.size - 3)
  assert.ok(state.ksObjects.has(ROOT))
})
revoke('success: revoking a middle cap leaves its ancestors and siblings', () => {
  const before = must(bootWith(), sc.copy(INIT, ROOT_SLOT, 5, ['read']), sc.copy(INIT, 5, 6, ['read']), sc.copy(INIT, ROOT_SLOT, 7, ['control']))
  const state = must(before, sc.revoke(INIT, 5))
  assert.ok(capAt(state, INIT, 5) !== undefined)
  assert.is(capAt(state, INIT, 6), undefined)
  assert.is(mustCapAt(state, INIT, 7).rights, R_CONTROL)
})
revoke('success with no descendants: only the CPU charge changes', () => {
  const before = bootWith()
  const { state } = succeeds(before, sc.revoke(INIT, DISK_SLOT))
  assertOnlyCpuCharged(before, state, ROOT)
})
revoke('InvalidSlot', () => { failsWith(bootWith(), sc.revoke(INIT, 16), 'InvalidSlot') })
revoke('EmptySlot', () => { failsWith(bootWith(), sc.revoke(INIT, 5), 'EmptySlot') })
revoke('InvalidArgument: slot NaN', () => { failsWith(bootWith(), { kind: 'cap_revoke', caller: INIT, slot: NaN }, 'InvalidArgument') })
revoke.run()

// ---- cap_inspect --------------------------------------------------------------------

const inspect = suite('cap_inspect')

inspect('success: kind, rights and badge, and nothing changes but the CPU charge', () => {
  const before = bootWith()
  const { state, reply } = succeeds(before, sc.inspect(INIT, ROOT_SLOT))
  assert.equal(reply, { kind: 'cap', objectKind: 'container', rights: ['read', 'write', 'execute', 'grant', 'control'], badge: 0 })
  assertOnlyCpuCharged(before, state, ROOT)
  assert.equal(expectOk(step(bootWith(), sc.inspect(INIT, NET_SLOT)).outcome), { kind: 'cap', objectKind: 'device', rights: ['write'], badge: 0 })
})
inspect('success: an endpoint cap with a badge; a region; a process', () => {
  const state = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['grant', 'write'], 42), sc.alloc(INIT, 64, 7, true),
    sc.spawn(INIT, ROOT_SLOT, 8))
  const r = run(state, sc.inspect(INIT, 5), sc.inspect(INIT, 6), sc.inspect(INIT, 7), sc.inspect(INIT, 8))
  assert.equal(expectOk(r.outcomes[0]!), { kind: 'cap', objectKind: 'endpoint', rights: ['read', 'write', 'grant'], badge: 0 })
  assert.equal(expectOk(r.outcomes[1]!), { kind: 'cap', objectKind: 'endpoint', rights: ['write', 'grant'], badge: 42 })
  assert.equal(expectOk(r.outcomes[2]!), { kind: 'cap', objectKind: 'region', rights: ['read', 'execute', 'control'], badge: 0 })
  assert.equal(expectOk(r.outcomes[3]!), { kind: 'cap', objectKind: 'process', rights: ['read', 'write', 'execute', 'grant', 'control'], badge: 0 })
  assert.is(mask('read', 'write', 'grant'), R_READ | R_WRITE | R_GRANT)
  assert.is(mustCapAt(state, INIT, 8).rights, R_ALL)
})
inspect('InvalidSlot', () => { failsWith(bootWith(), sc.inspect(INIT, 16), 'InvalidSlot') })
inspect('EmptySlot', () => { failsWith(bootWith(), sc.inspect(INIT, 15), 'EmptySlot') })
inspect('InvalidArgument: missing slot', () => { failsWith(bootWith(), { kind: 'cap_inspect', caller: INIT }, 'InvalidArgument') })
inspect.run()

// a sanity check of the fixture itself
const fixture = suite('fixtures')
fixture('boot: init holds the root container and the devices; caps to each', () => {
  const state = bootWith()
  assert.is(mustCapAt(state, INIT, ROOT_SLOT).rights, R_ALL)
  assert.is(capsTo(state, ROOT).length, 1)
  assert.is(capsTo(state, DISK0).length, 1)
  assert.is(proc(state, INIT).slots.length, 16)
  expectUnit(step(state, sc.revoke(INIT, 0)).outcome)
})
fixture.run()
