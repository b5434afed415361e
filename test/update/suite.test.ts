import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { runSuite } from '../../properties/run.js'
import { minimize } from '../../properties/minimize.js'
import { SUITE_NAMES } from '../../properties/suite.js'
import { SUITES } from '../../properties/registry.js'
import { UPDATE_CASES, UPD_1, updateSuite, updateSuiteFor } from '../../properties/suites/update.js'
import { loadTarget } from '../../checker/targets.js'
import { demoSchedule } from '../../pipeline/update/demo.js'
import { runScenario } from '../../pipeline/update/scenario.js'
import { DEMO_SYSTEM } from '../../pipeline/update/system.js'
import type { UpdateProtocol } from '../../pipeline/update/manager.js'

const impl = await loadTarget('impl')
const context = { target: impl, coverage: null }

test('the update suite is registered and passes on the impl, reaching committed updates, rollbacks and requests queued during updates', () => {
  assert.ok((SUITE_NAMES as ReadonlyArray<string>).includes('update'))
  assert.is(SUITES.update, updateSuite)
  const result = runSuite('update', { suites: ['update'], runs: 120, seed: 2026, maxSteps: 60, target: impl })
  assert.is(result.counterexample, null, JSON.stringify(result.counterexample?.failure))
  assert.is(result.runs, 120)
  const cases = result.coverage.cases
  for (const name of [UPDATE_CASES.committed, UPDATE_CASES.rolledBack, UPDATE_CASES.refused, UPDATE_CASES.queued, UPDATE_CASES.waiting, UPDATE_CASES.full]) {
    assert.ok((cases[name] ?? 0) > 0, `never reached "${name}"`)
  }
  assert.ok((cases[UPDATE_CASES.committed] ?? 0) > 30, 'most runs commit an update')
  assert.ok((result.coverage.kindOk['process_kill'] ?? 0) > 0 && (result.coverage.errors['SignatureInvalid'] ?? 0) > 0)
})

test('requests queued while the receive cap is in transit are reached over longer runs', () => {
  const result = runSuite('update', { suites: ['update'], runs: 200, seed: 11, maxSteps: 60, target: impl })
  assert.is(result.counterexample, null, JSON.stringify(result.counterexample?.failure))
  assert.ok((result.coverage.cases[UPDATE_CASES.inTransit] ?? 0) > 0)
})

/** The first failing scenario fast-check finds for a protocol, shrunk. */
function brokenFound(protocol: UpdateProtocol) {
  const suite = updateSuiteFor(protocol)
  const details = fc.check(fc.property(suite.scenario(40), (scenario) => suite.check(scenario, context) === null), { numRuns: 50, seed: 4 })
  assert.ok(details.failed, `${protocol}: no failure in ${details.numRuns} runs`)
  const scenario = details.counterexample![0] as unknown[]
  const failure = suite.check(scenario, context)!
  return minimize(suite, scenario, failure, context)
}

test("a broken protocol is caught: re-pointing the name to a new endpoint before V1 drains (the seed's first iteration)", () => {
  const { scenario, failure } = brokenFound('repoint-name')
  assert.is(failure.invariant, UPD_1)
  assert.match(failure.message, /the name "counter" resolves to nothing/)
  assert.is(scenario.length, 1, 'an update request alone shows it')
  // The gap in the name is the first thing UPD-1 sees; with that clause set aside, the dropped requests.
  const run = runScenario(demoSchedule(5, 3, 'ok'), { system: DEMO_SYSTEM, target: impl, protocol: 'repoint-name', clauses: ['requests'] })
  assert.is(run.failure?.clause, 'requests')
  assert.match(run.failure!.message, /request c\d+-\d+ .* is lost: queued on endpoint \d+, which no live instance holds its receive cap/)
  // The correct protocol passes the very same runs.
  assert.is(updateSuite.check(scenario, context), null)
  assert.is(runScenario(demoSchedule(5, 3, 'ok'), { system: DEMO_SYSTEM, target: impl }).failure, null)
})

test('a broken protocol is caught: V1 hands off without finishing the requests it holds', () => {
  const { failure } = brokenFound('skip-drain')
  assert.is(failure.invariant, UPD_1)
  assert.match(failure.message, /changed after its snapshot|is lost: held by V1, which is dead|state did not carry over/)
})

test('each clause of UPD-1 can fail on its own', () => {
  const schedule = demoSchedule(5, 3, 'ok')
  const clause = (protocol: UpdateProtocol, clauses: Array<'name' | 'requests' | 'state'>) => runScenario(schedule, { system: DEMO_SYSTEM, target: impl, protocol, clauses }).failure?.clause ?? null
  assert.is(clause('repoint-name', ['name']), 'name')
  assert.is(clause('repoint-name', ['requests']), 'requests')
  assert.is(clause('skip-drain', ['state']), 'state')
  assert.is(clause('move-endpoint', ['name', 'requests', 'state']), null)
})

test('a kernel that drops messages on a full queue: REF-1 in lockstep, lost requests (UPD-1) when it runs alone', async () => {
  const mutant = await loadTarget('mutant:queue-full-drops-message')
  const schedule = demoSchedule(5, 3, 'ok')
  const lockstep = runScenario(schedule, { system: DEMO_SYSTEM, target: mutant })
  assert.is(lockstep.failure?.kind, 'REF-1')
  const alone = runScenario(schedule, { system: DEMO_SYSTEM, target: mutant, lockstep: false })
  assert.is(alone.failure?.kind, 'UPD-1')
  assert.is(alone.failure?.clause, 'requests')
  assert.match(alone.failure!.message, /is lost/)
  const result = runSuite('update', { suites: ['update'], runs: 20, seed: 3, maxSteps: 40, target: mutant })
  assert.is(result.counterexample?.failure.invariant, 'REF-1')
})

test('a stored scenario that does not decode is skipped, not thrown on', () => {
  assert.is(updateSuite.check([null, 7, { kind: 'client' }, { kind: 'operator', variant: 'nope' }], context), null)
  assert.ok(updateSuite.executed([{ kind: 'operator', variant: 'ok' }]).length > 30)
})

test.run()
