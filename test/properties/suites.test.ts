import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runSuite } from '../../properties/run.js'
import { SUITE_NAMES } from '../../properties/suite.js'
import { DEEP_CASES } from '../../properties/coverage.js'
import { loadTarget } from '../../checker/targets.js'
import { minimize } from '../../properties/minimize.js'
import { SUITES } from '../../properties/registry.js'

const impl = await loadTarget('impl')
const options = { suites: SUITE_NAMES, runs: 120, seed: 2026, maxSteps: 40, target: impl }

for (const suite of SUITE_NAMES) {
  test(`${suite}: the impl passes, and the generator reaches what the suite is about`, () => {
    const result = runSuite(suite, options)
    assert.is(result.counterexample, null, JSON.stringify(result.counterexample?.failure))
    assert.is(result.runs, 120)
    const steps = result.coverage.steps
    assert.ok(steps > 120 * 5, `${suite}: ${steps} steps in 120 runs`)
    if (suite === 'robustness') assert.ok((result.coverage.errors['InvalidArgument'] ?? 0) > 60, 'garbage is refused as InvalidArgument in most runs')
    // What the systems suite reaches is held in test/properties/systems.
    else if (suite === 'systems') assert.ok((result.coverage.kindOk['container_destroy'] ?? 0) > 0 && (result.coverage.kindOk['process_spawn'] ?? 0) > 0, 'declared containers destroyed, processes spawned')
    else if (suite === 'noninterference') assert.ok((result.coverage.kindOk['ep_send'] ?? 0) > 0 && (result.coverage.kindOk['process_spawn'] ?? 0) > 0, 'A and B act')
    else for (const deep of DEEP_CASES) if (deep.aimedBy === undefined ? suite !== 'update' || deep.generated !== true : deep.aimedBy.includes(suite)) assert.ok((result.coverage.cases[deep.name] ?? 0) > 0, `${suite}: never reached "${deep.name}"`)
  })
}

test('a seeded bug is found, shrunk to a short counterexample, and the shrunk one still fails', async () => {
  const mutant = await loadTarget('mutant:copy-amplifies-rights')
  const result = runSuite('refinement', { ...options, target: mutant })
  const example = result.counterexample
  assert.ok(example !== null)
  assert.is(example!.failure.invariant, 'REF-1')
  // B7 (tooling.md §8): a seeded bug's shrunk counterexample is at most 8 steps.
  assert.ok(example!.scenario.length <= 8, `shrunk to ${example!.scenario.length} steps`)
  assert.ok(SUITES.refinement.check(example!.scenario, { target: mutant, coverage: null }) !== null)
  const again = minimize(SUITES.refinement, example!.scenario, example!.failure, { target: mutant, coverage: null })
  assert.is(again.scenario.length, example!.scenario.length, 'minimization is at a fixpoint')
})

test('the same seed gives the same run', () => {
  const a = runSuite('quota', { ...options, runs: 40 })
  const b = runSuite('quota', { ...options, runs: 40 })
  assert.equal(a.coverage, b.coverage)
})

test.run()
