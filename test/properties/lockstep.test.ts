import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { exampleSteps, runSuite } from '../../properties/run.js'
import { SUITE_NAMES, type SuiteName } from '../../properties/suite.js'
import { SUITES } from '../../properties/registry.js'
import { IMAGE_POOL } from '../../properties/pool.js'
import { loadTarget } from '../../checker/targets.js'
import type { RefinementTarget } from '../../refinement/target.js'
import { emptySlotAsInvalid, refusedSendAdvancesSequence, unreadableAfterEpCreate } from '../fixtures/kernels.js'

const options = { suites: SUITE_NAMES, runs: 120, seed: 2026, maxSteps: 40 }
const asTarget = (target: unknown) => target as RefinementTarget

test('every suite reports a kernel state the abstraction cannot read as REF-1, shrunk, naming what it could not read', () => {
  for (const suite of SUITE_NAMES) {
    const result = runSuite(suite, { ...options, target: asTarget(unreadableAfterEpCreate) })
    const example = result.counterexample
    assert.ok(example !== null, `${suite}: not found`)
    assert.is(example!.failure.invariant, 'REF-1', suite)
    assert.match(example!.failure.message, /the abstraction cannot read the kernel's state/, suite)
    const witness = JSON.stringify(example!.failure.witness)
    assert.match(witness, /object handle \d+ holds kind 200, no kind of live object/, suite)
    assert.ok(exampleSteps(example!) <= example!.lengthBefore, suite)
    assert.ok(SUITES[suite].check(example!.scenario, { target: asTarget(unreadableAfterEpCreate), coverage: null }) !== null, `${suite}: the shrunk scenario still fails`)
  }
})

/** Suites that checked their own invariants without comparing the kernel with the model. */
const FORMERLY_UNCOMPARED: ReadonlyArray<SuiteName> = ['isolation', 'quota', 'robustness', 'noninterference']

test('a kernel that answers one kind of refusal differently is killed by isolation, quota, robustness and noninterference (REF-1)', () => {
  for (const suite of FORMERLY_UNCOMPARED) {
    const example = runSuite(suite, { ...options, target: asTarget(emptySlotAsInvalid) }).counterexample
    assert.ok(example !== null, `${suite}: survived`)
    assert.is(example!.failure.invariant, 'REF-1', suite)
    assert.match(example!.failure.message, /outcomes differ/, suite)
  }
})

test('a kernel whose refusal has a side effect is killed by the same suites (the abstract states are compared after refusals)', () => {
  for (const suite of FORMERLY_UNCOMPARED) {
    const example = runSuite(suite, { ...options, target: asTarget(refusedSendAdvancesSequence) }).counterexample
    assert.ok(example !== null, `${suite}: survived`)
    assert.is(example!.failure.invariant, 'REF-1', suite)
    assert.match(example!.failure.message, /ksMessageSeqNext/, suite)
  }
})

test('a seeded bug the isolation and quota suites did not kill (rebadge-allowed) is killed by both now', async () => {
  const mutant = await loadTarget('mutant:rebadge-allowed')
  for (const suite of ['isolation', 'quota'] as const) {
    const example = runSuite(suite, { ...options, target: mutant }).counterexample
    assert.ok(example !== null, `${suite}: survived`)
    assert.is(example!.failure.invariant, 'REF-1', suite)
  }
})

test('a kernel that breaks an invariant a suite is about is reported as that invariant, not only as a divergence', async () => {
  const mutant = await loadTarget('mutant:spawn-uid-unmapped')
  // The suite finds the mutant; its shortest failing run may be a refusal with another error (two checks failing,
  // the uid map's first on the model), which is a divergence and nothing else.
  const found = runSuite('isolation', { ...options, runs: 400, target: mutant }).counterexample
  assert.ok(found !== null, 'isolation kills spawn-uid-unmapped')
  assert.ok(['ISO-1', 'REF-1'].includes(String(found!.failure.invariant)), String(found!.failure.invariant))
  // Where the kernel spawns what the model refuses (uid 1500 in a map of 1000), the kernel's state breaks ISO-1: that is the report.
  const scenario = [
    { kind: 'container_create', caller: 0, parent: 0, dst: 4, limits: { memoryBytes: 16384, processes: 3, endpoints: 3, cpuBudget: 400, ioBytes: 512, cpuWeight: 2, devices: [] },
      namespaces: { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base: 1000, count: 1000 } } },
    { kind: 'process_spawn', caller: 0, container: 4, image: IMAGE_POOL[0]!.digest, uid: 1500, slots: 2, grants: [], dst: 5 },
  ]
  const failure = SUITES.isolation.check(scenario, { target: mutant, coverage: null })
  assert.ok(failure !== null, 'the scenario fails on the mutant')
  assert.is(failure!.invariant, 'ISO-1', failure!.message)
  assert.match(failure!.message, /^on the kernel \(which diverges from the model\): /)
  assert.ok(failure!.difference !== undefined, 'the divergence is attached')
  assert.is(SUITES.isolation.check(scenario, { target: await loadTarget('impl'), coverage: null }), null, 'the impl refuses it as the model does')
})

test.run()
