import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { step } from '../../model/step.js'
import { R_CONTROL, R_EXECUTE, R_READ, R_WRITE } from '../../spec/rights.js'
import {
  DISK_SLOT, INIT, ROOT, bootWith, expectOk, failsWith, must, mustCapAt, proc, sc, succeeds, usageOf, world,
} from './fixtures.js'

// ---- mem_alloc --------------------------------------------------------------------------

const alloc = suite('mem_alloc')

alloc('success (data): a region charged to the caller\'s container; the original has read, write, control', () => {
  const before = bootWith()
  const { state, reply } = succeeds(before, sc.alloc(INIT, 100, 5))
  assert.equal(reply, { kind: 'unit' })
  const cap = mustCapAt(state, INIT, 5)
  assert.equal([cap.rights, cap.parent, cap.badge], [R_READ | R_WRITE | R_CONTROL, null, 0])
  assert.equal(state.ksObjects.get(cap.object), { kind: 'region', id: before.ksObjectNext, owner: ROOT, sizeBytes: 100, executable: false })
  assert.equal(usageOf(state, ROOT), { memoryBytes: 100, processes: 1, endpoints: 0, cpuBudget: 1, ioBytes: 0 })
})
alloc('success (executable): read, execute, control; never write with execute', () => {
  const state = must(bootWith(), sc.alloc(INIT, 64, 5, true))
  const cap = mustCapAt(state, INIT, 5)
  assert.is(cap.rights, R_READ | R_EXECUTE | R_CONTROL)
  assert.equal(state.ksObjects.get(cap.object), { kind: 'region', id: cap.object, owner: ROOT, sizeBytes: 64, executable: true })
})
alloc('success: a process in a child container charges the child', () => {
  const w = world()
  const state = must(w.state, sc.alloc(w.child, 1000, 0))
  assert.equal(usageOf(state, w.container), { memoryBytes: 4096 + 1000, processes: 1, endpoints: 0, cpuBudget: 1, ioBytes: 0 })
  assert.is(usageOf(state, ROOT).memoryBytes, 0)
})
alloc('InvalidArgument: size 0, negative, fractional, huge, a string; executable missing or not a boolean', () => {
  const b = bootWith()
  for (const bad of [
    sc.alloc(INIT, 0, 5), sc.alloc(INIT, -1, 5), sc.alloc(INIT, 1.5, 5), sc.alloc(INIT, 2 ** 40 + 1, 5), sc.alloc(INIT, Infinity, 5),
    { ...sc.alloc(INIT, 1, 5), sizeBytes: '100' }, { kind: 'mem_alloc', caller: INIT, sizeBytes: 1, dst: 5 }, { ...sc.alloc(INIT, 1, 5), executable: 'yes' },
  ]) failsWith(b, bad, 'InvalidArgument')
})
alloc('InvalidSlot dst', () => { failsWith(bootWith(), sc.alloc(INIT, 1, 16), 'InvalidSlot') })
alloc('SlotOccupied dst', () => { failsWith(bootWith(), sc.alloc(INIT, 1, DISK_SLOT), 'SlotOccupied') })
alloc('QuotaExceeded(memoryBytes): beyond what the container has left; exactly what is left is fine', () => {
  const w = world() // C: 2^20 bytes, the image uses 4096
  failsWith(w.state, sc.alloc(w.child, (1 << 20) - 4096 + 1, 0), 'QuotaExceeded', 'memoryBytes')
  expectOk(step(w.state, sc.alloc(w.child, (1 << 20) - 4096, 0)).outcome)
  // the root's own memory is what is not reserved to its children
  failsWith(w.state, sc.alloc(INIT, 2 ** 30 - (1 << 20) + 1, 5), 'QuotaExceeded', 'memoryBytes')
})
alloc('precedence: occupied dst AND over quota → SlotOccupied; malformed AND occupied → InvalidArgument', () => {
  const w = world()
  failsWith(w.state, sc.alloc(INIT, 2 ** 40, DISK_SLOT), 'SlotOccupied')
  failsWith(w.state, sc.alloc(INIT, 0, DISK_SLOT), 'InvalidArgument')
})
alloc.run()

// ---- mem_map ------------------------------------------------------------------------------

const map = suite('mem_map')

map('success: a mapping through the cap with the given perms', () => {
  const before = must(bootWith(), sc.alloc(INIT, 100, 5))
  const cap = mustCapAt(before, INIT, 5)
  const { state, reply } = succeeds(before, sc.map(INIT, 5, ['read', 'write']))
  assert.equal(reply, { kind: 'unit' })
  assert.equal(proc(state, INIT).mappings, [{ cap: cap.id, region: cap.object, perms: R_READ | R_WRITE }])
  assert.equal(usageOf(state, ROOT).memoryBytes, 100)
})
map('success: read+execute of an executable region; a second cap to the same region maps separately', () => {
  const state = must(bootWith(), sc.alloc(INIT, 100, 5, true), sc.map(INIT, 5, ['execute', 'read']), sc.copy(INIT, 5, 6, ['read']), sc.map(INIT, 6, ['read']))
  const [a, b] = [mustCapAt(state, INIT, 5), mustCapAt(state, INIT, 6)]
  assert.equal(proc(state, INIT).mappings, [
    { cap: a.id, region: a.object, perms: R_READ | R_EXECUTE },
    { cap: b.id, region: a.object, perms: R_READ },
  ])
})
map('InvalidArgument: perms empty, write+execute, or beyond read/write/execute', () => {
  const b = must(bootWith(), sc.alloc(INIT, 100, 5))
  for (const perms of [[], ['write', 'execute'], ['read', 'write', 'execute'], ['grant'], ['control'], ['read', 'control']] as const) {
    failsWith(b, sc.map(INIT, 5, [...perms]), 'InvalidArgument')
  }
  failsWith(b, { ...sc.map(INIT, 5, ['read']), perms: 'read' }, 'InvalidArgument')
})
map('InvalidSlot', () => { failsWith(bootWith(), sc.map(INIT, 16, ['read']), 'InvalidSlot') })
map('EmptySlot', () => { failsWith(bootWith(), sc.map(INIT, 5, ['read']), 'EmptySlot') })
map('WrongKind', () => { failsWith(bootWith(), sc.map(INIT, DISK_SLOT, ['write']), 'WrongKind') })
map('InsufficientRights: perms beyond the cap', () => {
  const b = must(bootWith(), sc.alloc(INIT, 100, 5, true), sc.alloc(INIT, 100, 6), sc.copy(INIT, 6, 7, ['read']))
  failsWith(b, sc.map(INIT, 5, ['write']), 'InsufficientRights')
  failsWith(b, sc.map(INIT, 6, ['execute']), 'InsufficientRights')
  failsWith(b, sc.map(INIT, 7, ['read', 'write']), 'InsufficientRights')
})
map('AlreadyExists: the same cap mapped twice', () => {
  const b = must(bootWith(), sc.alloc(INIT, 100, 5), sc.map(INIT, 5, ['read']))
  failsWith(b, sc.map(INIT, 5, ['read']), 'AlreadyExists')
  failsWith(b, sc.map(INIT, 5, ['write']), 'AlreadyExists')
})
map('precedence: write+execute AND empty slot → InvalidArgument; insufficient rights AND already mapped → InsufficientRights', () => {
  failsWith(bootWith(), sc.map(INIT, 9, ['write', 'execute']), 'InvalidArgument')
  const b = must(bootWith(), sc.alloc(INIT, 100, 5), sc.map(INIT, 5, ['read']))
  failsWith(b, sc.map(INIT, 5, ['execute']), 'InsufficientRights')
})
map.run()

// ---- mem_unmap ------------------------------------------------------------------------------

const unmap = suite('mem_unmap')

unmap('success: the mapping made through that cap goes; others stay; the region stays', () => {
  const before = must(bootWith(), sc.alloc(INIT, 100, 5), sc.map(INIT, 5, ['read']), sc.copy(INIT, 5, 6, ['read']), sc.map(INIT, 6, ['read']))
  const { state, reply } = succeeds(before, sc.unmap(INIT, 5))
  assert.equal(reply, { kind: 'unit' })
  const b = mustCapAt(state, INIT, 6)
  assert.equal(proc(state, INIT).mappings, [{ cap: b.id, region: b.object, perms: R_READ }])
  assert.ok(state.ksObjects.has(b.object))
  assert.is(usageOf(state, ROOT).memoryBytes, 100)
})
unmap('InvalidSlot', () => { failsWith(bootWith(), sc.unmap(INIT, 16), 'InvalidSlot') })
unmap('EmptySlot', () => { failsWith(bootWith(), sc.unmap(INIT, 5), 'EmptySlot') })
unmap('WrongKind', () => { failsWith(bootWith(), sc.unmap(INIT, DISK_SLOT), 'WrongKind') })
unmap('NotFound: no mapping through this cap', () => {
  failsWith(must(bootWith(), sc.alloc(INIT, 100, 5)), sc.unmap(INIT, 5), 'NotFound')
  failsWith(must(bootWith(), sc.alloc(INIT, 100, 5), sc.map(INIT, 5, ['read']), sc.unmap(INIT, 5)), sc.unmap(INIT, 5), 'NotFound')
})
unmap.run()
