import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runSuite } from '../../properties/run.js'
import { SUITE_NAMES, type SuiteName } from '../../properties/suite.js'
import { SUITES } from '../../properties/registry.js'
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
    assert.ok(example!.scenario.length <= example!.lengthBefore, suite)
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
  const example = runSuite('isolation', { ...options, runs: 400, target: mutant }).counterexample
  assert.ok(example !== null)
  assert.is(example!.failure.invariant, 'ISO-1')
  assert.match(example!.failure.message, /^on the kernel \(which diverges from the model\): /)
  assert.ok(example!.failure.difference !== undefined, 'the divergence is attached')
})

test.run()
