import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { step } from '../../model/step.js'
import {
  DISK_SLOT, IMAGES, INIT, ROOT, ROOT_SLOT, assertOnlyCpuCharged, assertUnchanged, bootWith, expectError, expectOk, limits, must, sc, succeeds, usageOf, world,
} from './fixtures.js'

const tick = suite('tick')

tick('success: every container\'s per-period counters (cpu, io) go back to zero; nothing else changes', () => {
  const w = world({ image: IMAGES.wantsDevice.digest, grants: [{ slot: DISK_SLOT, rights: ['write'] }] })
  const before = must(w.state, sc.io(INIT, DISK_SLOT, 100), sc.io(w.child, 0, 10), sc.alloc(w.child, 50, 1))
  assert.equal(usageOf(before, ROOT), { memoryBytes: 0, processes: 1, endpoints: 0, cpuBudget: 3, ioBytes: 100 })
  assert.equal(usageOf(before, w.container), { memoryBytes: 2048 + 50, processes: 1, endpoints: 0, cpuBudget: 2, ioBytes: 10 })
  const { state, reply } = succeeds(before, sc.tick())
  assert.equal(reply, { kind: 'unit' })
  assert.equal(usageOf(state, ROOT), { memoryBytes: 0, processes: 1, endpoints: 0, cpuBudget: 0, ioBytes: 0 })
  assert.equal(usageOf(state, w.container), { memoryBytes: 2048 + 50, processes: 1, endpoints: 0, cpuBudget: 0, ioBytes: 0 })
  // the rest of the state is as before
  const expected = new Map(before.ksObjects)
  for (const id of [ROOT, w.container]) {
    const c = before.ksObjects.get(id)!
    if (c.kind === 'container') expected.set(id, { ...c, usage: { ...c.usage, cpuBudget: 0, ioBytes: 0 } })
  }
  assertUnchanged({ ...before, ksObjects: expected }, state)
})
tick('success at boot: no change at all (the clock is never charged)', () => {
  const before = bootWith()
  assertUnchanged(before, succeeds(before, sc.tick()).state)
})
// kernel.md §8: a field its kind does not have is a malformed argument, the clock's syscalls' too.
tick('a field the clock\'s syscall does not have: InvalidArgument, nothing changes (no caller, no charge)', () => {
  const before = must(bootWith(), sc.list(INIT))
  for (const syscall of [{ kind: 'tick', note: 'x' }, { kind: 'sched_run', quanta: 3, qanta: 3 }, { kind: 'tick', caller: undefined }]) {
    const result = step(before, syscall)
    expectError(result.outcome, 'InvalidArgument')
    assertUnchanged(before, result.state)
  }
})
// kernel.md §3: `tick` is issued by the clock, not by a process. A `tick` or `sched_run` naming a caller is a
// process's syscall, and a malformed one: InvalidArgument, charged; an exhausted caller gets BudgetExhausted.
tick('a process cannot issue the clock\'s syscalls (tick or sched_run with a caller)', () => {
  const before = must(bootWith(), sc.list(INIT))
  for (const syscall of [{ kind: 'tick', caller: INIT }, { kind: 'sched_run', caller: INIT, quanta: 3 }]) {
    const result = step(before, syscall)
    expectError(result.outcome, 'InvalidArgument')
    assertOnlyCpuCharged(before, result.state, ROOT)
  }
  const exhausted = must(bootWith(), sc.create(INIT, ROOT_SLOT, 5, limits({ cpuBudget: 9999 })))
  const result = step(exhausted, { kind: 'tick', caller: INIT })
  expectError(result.outcome, 'BudgetExhausted')
  assertUnchanged(exhausted, result.state)
})

tick.run()

const sched = suite('sched_run')

sched('success: init alone runs every quantum; the state does not change', () => {
  const before = bootWith()
  const { state, reply } = succeeds(before, sc.sched(3))
  assert.equal(reply, { kind: 'ran', processes: [0, 0, 0] })
  assertUnchanged(before, state)
})
sched('inside a container, the process with the fewest quanta runs (ties: lower creation index)', () => {
  const state = must(bootWith(), sc.spawn(INIT, ROOT_SLOT, 5), sc.spawn(INIT, ROOT_SLOT, 6))
  assert.equal(expectOk(step(state, sc.sched(7)).outcome), { kind: 'ran', processes: [0, 1, 2, 0, 1, 2, 0] })
})
sched('equal weights alternate between containers (ties: lower container id)', () => {
  const w = world()
  assert.equal(expectOk(step(w.state, sc.sched(6)).outcome), { kind: 'ran', processes: [0, 1, 0, 1, 0, 1] })
})
sched('weights 1:3 (root 100, C 300): 8 quanta → 2:6, exact sequence', () => {
  const w = world({ limits: limits({ cpuWeight: 300 }) })
  const reply = expectOk(step(w.state, sc.sched(8)).outcome)
  // C: (0+1)/300 < (0+1)/100 → C, C; then C (3/300) ties root (1/100) → root (lower id); ...
  assert.equal(reply, { kind: 'ran', processes: [1, 1, 0, 1, 1, 1, 0, 1] })
})
sched('dead processes and containers without running processes do not compete', () => {
  const w = world()
  const state = must(w.state, sc.kill(INIT, w.processSlot))
  assert.equal(expectOk(step(state, sc.sched(4)).outcome), { kind: 'ran', processes: [0, 0, 0, 0] })
})
sched('stateless: two runs give the same answer', () => {
  const w = world({ limits: limits({ cpuWeight: 7 }) })
  const a = step(w.state, sc.sched(50))
  const b = step(a.state, sc.sched(50))
  assert.equal(expectOk(a.outcome), expectOk(b.outcome))
})
sched('InvalidArgument: quanta 0, negative, fractional, too many, a string, missing; no charge at all', () => {
  const before = bootWith()
  for (const quanta of [0, -1, 1.5, 100001, '3', undefined, null, NaN]) {
    const result = step(before, { kind: 'sched_run', quanta })
    expectError(result.outcome, 'InvalidArgument')
    assertUnchanged(before, result.state)
  }
  expectOk(step(before, sc.sched(100000)).outcome)
})
sched.run()
