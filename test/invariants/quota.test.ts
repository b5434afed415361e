import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as O from 'fp-ts/lib/Option.js'
import { checkCpu1, checkIo1, checkQuo1, checkQuo2, checkQuo3, sameLimits } from '../../spec/invariants/quota.js'
import type { KernelObject } from '../../model/state.js'
import type { Draft } from '../../model/draft.js'
import { A, FAILED, LIMITS_A, P, REGION, ROOT, UNIT_OK, bootState, edit, found, patchObject, richState, stepOf } from './_fixtures.js'

type Container = Extract<KernelObject, { kind: 'container' }>
type Process = Extract<KernelObject, { kind: 'process' }>

const patchContainer = (work: Draft, id: number, change: (c: Container) => Container) => patchObject<Container>(work, id, change)

// ---- QUO-1 -----------------------------------------------------------------

test('QUO-1 holds in the boot state and the rich state', () => {
  assert.ok(O.isNone(checkQuo1(bootState())))
  assert.ok(O.isNone(checkQuo1(richState())))
})

test("QUO-1 reports usage plus children's reservations above the limit", () => {
  const state = edit(richState(), (work) => patchContainer(work, ROOT, (c) => ({ ...c, limits: { ...c.limits, processes: 4 } })))
  const v = found(checkQuo1(state), 'QUO-1')
  assert.equal(v.witness, { container: ROOT, resource: 'processes', usage: 1, reserved: LIMITS_A.processes, limit: 4 })
})

test('QUO-1 reports negative usage', () => {
  const state = edit(richState(), (work) => patchContainer(work, A, (c) => ({ ...c, usage: { ...c.usage, endpoints: -1 } })))
  const v = found(checkQuo1(state), 'QUO-1')
  assert.equal(v.witness, { container: A, resource: 'endpoints', usage: -1, reserved: 0, limit: LIMITS_A.endpoints })
})

test("QUO-1 reports a child allowed a device its parent is not", () => {
  const state = edit(richState(), (work) => patchContainer(work, A, (c) => ({ ...c, limits: { ...c.limits, devices: ['disk0', 'tape0'] } })))
  const v = found(checkQuo1(state), 'QUO-1')
  assert.equal(v.witness, { container: A, parent: ROOT, devices: ['tape0'] })
})

// ---- QUO-2 -----------------------------------------------------------------

// Init is a running process: the root is charged one `processes` for it at boot.
test('QUO-2 holds in the boot state', () => {
  const result = checkQuo2(bootState())
  assert.ok(O.isNone(result), JSON.stringify(O.toUndefined(result)))
})

test('QUO-2 holds in the rich state', () => {
  assert.ok(O.isNone(checkQuo2(richState())))
})

test('QUO-2 reports usage that differs from the live objects owned', () => {
  const state = edit(richState(), (work) => patchContainer(work, A, (c) => ({ ...c, usage: { ...c.usage, memoryBytes: 4097 } })))
  const v = found(checkQuo2(state), 'QUO-2')
  assert.equal(v.witness, { container: A, resource: 'memoryBytes', usage: 4097, expected: 4096, objects: [P] })
})

test('QUO-2, every cost: memory, processes and endpoints, one off either way in any container, are reported; per-period counters are not costs', () => {
  const state = richState()
  let cases = 0
  for (const container of state.ksObjects.values()) {
    if (container.kind !== 'container') continue
    for (const resource of ['memoryBytes', 'processes', 'endpoints'] as const) {
      for (const delta of [1, -1]) {
        const v = found(checkQuo2(edit(state, (work) => patchContainer(work, container.id, (c) => ({ ...c, usage: { ...c.usage, [resource]: c.usage[resource] + delta } })))), 'QUO-2')
        assert.equal([v.witness['container'], v.witness['resource']], [container.id, resource])
        cases++
      }
    }
    for (const resource of ['cpuBudget', 'ioBytes'] as const) {
      assert.ok(O.isNone(checkQuo2(edit(state, (work) => patchContainer(work, container.id, (c) => ({ ...c, usage: { ...c.usage, [resource]: c.usage[resource] + 1 } }))))), resource)
    }
  }
  assert.ok(cases >= 12, `${cases} cases`)
})

test('QUO-2 counts a dead process as costing nothing', () => {
  const state = edit(richState(), (work) => patchObject<Process>(work, P, (p) => ({ ...p, status: 'dead' })))
  const v = found(checkQuo2(state), 'QUO-2')
  assert.equal(v.witness, { container: A, resource: 'memoryBytes', usage: 4096, expected: 0, objects: [] })
})

// ---- QUO-3 -----------------------------------------------------------------

const byP = { kind: 'mem_alloc', caller: 1, sizeBytes: 50, executable: false, dst: 1 }
const byInit = { kind: 'mem_alloc', caller: 0, sizeBytes: 50, executable: false, dst: 7 }

test('QUO-3 holds for a syscall in the boot state and within the caller subtree', () => {
  const charged = edit(bootState(), (work) => patchContainer(work, ROOT, (c) => ({ ...c, usage: { ...c.usage, cpuBudget: 1 } })))
  assert.ok(O.isNone(checkQuo3(stepOf(bootState(), { kind: 'cap_inspect', caller: 0, slot: 0 }, UNIT_OK, charged))))
  const afterInit = edit(richState(), (work) => patchContainer(work, A, (c) => ({ ...c, limits: { ...c.limits, cpuWeight: 7 }, usage: { ...c.usage, cpuBudget: 0 } })))
  assert.ok(O.isNone(checkQuo3(stepOf(richState(), byInit, UNIT_OK, afterInit))))
})

test("QUO-3 reports usage rising outside the caller's subtree", () => {
  const after = edit(richState(), (work) => patchContainer(work, ROOT, (c) => ({ ...c, usage: { ...c.usage, memoryBytes: 150 } })))
  const v = found(checkQuo3(stepOf(richState(), byP, UNIT_OK, after)), 'QUO-3')
  assert.equal(v.witness, { caller: 1, callerContainer: A, container: ROOT, resource: 'memoryBytes', usageBefore: 100, usageAfter: 150 })
})

test("QUO-3 reports a per-period counter moving outside the caller's subtree", () => {
  const after = edit(richState(), (work) => patchContainer(work, ROOT, (c) => ({ ...c, usage: { ...c.usage, cpuBudget: 0 } })))
  const v = found(checkQuo3(stepOf(richState(), byP, UNIT_OK, after)), 'QUO-3')
  assert.equal(v.witness, { caller: 1, callerContainer: A, container: ROOT, resource: 'cpuBudget', usageBefore: 20, usageAfter: 0 })
})

test("QUO-3, every counter: any usage rising outside the caller's subtree is reported, a per-period counter (CPU, I/O) falling too; a cost falling is left to destruction", () => {
  for (const resource of ['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes'] as const) {
    const rise = edit(richState(), (work) => patchContainer(work, ROOT, (c) => ({ ...c, usage: { ...c.usage, [resource]: c.usage[resource] + 1 } })))
    const v = found(checkQuo3(stepOf(richState(), byP, UNIT_OK, rise)), 'QUO-3')
    assert.equal([v.witness['container'], v.witness['resource']], [ROOT, resource], `${resource} rising`)
    const fall = edit(richState(), (work) => patchContainer(work, ROOT, (c) => ({ ...c, usage: { ...c.usage, [resource]: c.usage[resource] - 1 } })))
    const fell = checkQuo3(stepOf(richState(), byP, UNIT_OK, fall))
    if (resource === 'cpuBudget' || resource === 'ioBytes') assert.equal(found(fell, 'QUO-3').witness['resource'], resource, `${resource} falling`)
    else assert.ok(O.isNone(fell), `${resource} falling`)
  }
})

test("QUO-3 reports a limit changed outside the caller's subtree", () => {
  const after = edit(richState(), (work) => patchContainer(work, ROOT, (c) => ({ ...c, limits: { ...c.limits, devices: ['disk0'] } })))
  const v = found(checkQuo3(stepOf(richState(), byP, UNIT_OK, after)), 'QUO-3')
  assert.is(v.witness['container'], ROOT)
  assert.equal((v.witness['limitsAfter'] as { devices: string[] }).devices, ['disk0'])
})

test("QUO-3 allows usage outside the subtree to fall by destruction", () => {
  const after = edit(richState(), (work) => {
    work.ksObjects.delete(REGION)
    patchContainer(work, ROOT, (c) => ({ ...c, usage: { ...c.usage, memoryBytes: 0 } }))
  })
  assert.ok(O.isNone(checkQuo3(stepOf(richState(), { kind: 'cap_delete', caller: 1, slot: 0 }, UNIT_OK, after))))
})

test('QUO-3 skips failed syscalls and the clock', () => {
  const after = edit(richState(), (work) => patchContainer(work, ROOT, (c) => ({ ...c, usage: { ...c.usage, cpuBudget: 0 } })))
  assert.ok(O.isNone(checkQuo3(stepOf(richState(), byP, FAILED, after))))
  assert.ok(O.isNone(checkQuo3(stepOf(richState(), { kind: 'tick' }, UNIT_OK, after))))
})

test('sameLimits compares devices as a set', () => {
  assert.ok(sameLimits(LIMITS_A, { ...LIMITS_A, devices: [...LIMITS_A.devices].reverse() }))
  assert.not.ok(sameLimits(LIMITS_A, { ...LIMITS_A, ioBytes: LIMITS_A.ioBytes + 1 }))
})

// ---- CPU-1 and IO-1 ---------------------------------------------------------

test('CPU-1 holds in the boot state and the rich state', () => {
  assert.ok(O.isNone(checkCpu1(bootState())))
  assert.ok(O.isNone(checkCpu1(richState())))
})

test('CPU-1 reports a container past its cpuBudget this period', () => {
  const state = edit(richState(), (work) => patchContainer(work, A, (c) => ({ ...c, usage: { ...c.usage, cpuBudget: 101 } })))
  const v = found(checkCpu1(state), 'CPU-1')
  assert.equal(v.witness, { container: A, resource: 'cpuBudget', usage: 101, limit: 100 })
  assert.ok(O.isNone(checkCpu1(edit(state, (work) => { work.ksCpuAccounting = false }))))
})

test('IO-1 holds in the boot state and the rich state', () => {
  assert.ok(O.isNone(checkIo1(bootState())))
  assert.ok(O.isNone(checkIo1(richState())))
})

test('IO-1 reports a container past its ioBytes this period', () => {
  const state = edit(richState(), (work) => patchContainer(work, A, (c) => ({ ...c, usage: { ...c.usage, ioBytes: 1001 } })))
  const v = found(checkIo1(state), 'IO-1')
  assert.equal(v.witness, { container: A, resource: 'ioBytes', usage: 1001, limit: 1000 })
})

test.run()
