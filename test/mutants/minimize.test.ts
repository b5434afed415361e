import { test } from 'uvu'
import * as assert from 'node:assert/strict'
import { toInit, minimize } from '../../properties/minimize.js'
import { SUITES } from '../../properties/registry.js'
import { loadTarget } from '../../checker/targets.js'
import { DEEP_PREAMBLE } from '../../properties/generators.js'

test('toInit hands a step to init, inside robustness steps too, and leaves init\'s and the clock\'s steps alone', () => {
  assert.deepEqual(toInit({ kind: 'cap_delete', caller: 3, slot: 1 }), { kind: 'cap_delete', caller: 0, slot: 1 })
  assert.deepEqual(toInit({ garbage: true, syscall: { kind: 'cap_delete', caller: 2, slot: -1 } }), { garbage: true, syscall: { kind: 'cap_delete', caller: 0, slot: -1 } })
  assert.equal(toInit({ kind: 'cap_delete', caller: 0, slot: 1 }), null)
  assert.equal(toInit({ kind: 'tick' }), null)
  assert.equal(toInit(null), null)
  assert.equal(toInit({ lane: 'A', local: 1, syscall: { kind: 'tick' } }), null)
})

test('a failure that needed the deep preamble only for its caller shrinks to the one step, from init', async () => {
  const mutant = await loadTarget('mutant:copy-amplifies-rights')
  const context = { target: mutant, coverage: null }
  // The deepest process copies its region cap with more rights than it has.
  const scenario = [...DEEP_PREAMBLE, { kind: 'cap_copy', caller: 2, src: 2, dst: 6, rights: ['read', 'write', 'execute'] }]
  const failure = SUITES.refinement.check(scenario, context)
  assert.ok(failure !== null)
  const shrunk = minimize(SUITES.refinement, scenario, failure!, context)
  assert.ok(shrunk.scenario.length <= 2, JSON.stringify(shrunk.scenario))
  assert.ok(shrunk.scenario.every((step) => (step as { caller?: number }).caller === 0))
  assert.equal(shrunk.failure.invariant, 'REF-1')
})

test.run()
