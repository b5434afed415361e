/**
 * The check catalogue against the checks the model really runs: every name a
 * generated step records is in the catalogue (so the catalogue cannot fall behind
 * the handlers), and coverage counts a refusal for the check that made it.
 * @module
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { boot } from '../../model/boot.js'
import { step } from '../../model/step.js'
import { lastStepChecks, logChecks } from '../../model/check-log.js'
import { CHECK_CATALOGUE, CHECK_PAIRS, NEVER_FAILING, checkError } from '../../model/check-catalogue.js'
import { ERROR_CODES } from '../../spec/errors.js'
import { BALANCED, flatten, syscallSequence } from '../../properties/generators.js'
import { IMAGE_POOL, PROPERTY_BOOT } from '../../properties/pool.js'
import { Coverage } from '../../properties/coverage.js'

const NAMES = new Set(CHECK_CATALOGUE.map((c) => c.name))

test('every check a generated step records is in the catalogue, in the handler\'s order', () => {
  logChecks(true)
  const recorded = new Set<string>()
  fc.assert(fc.property(syscallSequence(BALANCED, 12), (fragments) => {
    let state = boot(PROPERTY_BOOT, IMAGE_POOL)
    for (const syscall of flatten(fragments, 60)) {
      state = step(state, syscall).state
      const events = lastStepChecks()
      for (const event of events) {
        if (event.check.startsWith('malformed: ') || NEVER_FAILING.has(event.check)) continue
        recorded.add(event.check)
        assert.ok(NAMES.has(event.check), `${event.check} is recorded by the model but missing from the catalogue`)
      }
      // A refusal ends at the check that refused; nothing runs after it.
      const failedAt = events.findIndex((e) => !e.passed)
      assert.ok(failedAt === -1 || failedAt === events.length - 1, `checks ran after a failed one: ${events.map((e) => e.check).join(', ')}`)
    }
  }), { numRuns: 150, seed: 7 })
  logChecks(false)
  // The generators reach most of the catalogue even in this short run.
  assert.ok(recorded.size > CHECK_CATALOGUE.length * 0.8, `recorded ${recorded.size} of ${CHECK_CATALOGUE.length} checks`)
})

test('coverage counts a refusal for the check that decided it, a success for every check on its path, and bound edges', () => {
  const coverage = new Coverage()
  let state = boot(PROPERTY_BOOT, IMAGE_POOL)
  const run = (syscall: Record<string, unknown>) => {
    const result = step(state, syscall)
    state = result.state
    coverage.observe(syscall, result.outcome, null)
  }
  run({ kind: 'cap_copy', caller: 0, src: 0, dst: 15, rights: ['read'] })
  run({ kind: 'cap_copy', caller: 0, src: 0, dst: 15, rights: ['read'] })
  run({ kind: 'cap_copy', caller: 0, src: 0, dst: 16, rights: ['read'] })
  const checks = coverage.toJson().checks!
  assert.equal(checks['cap_copy: dst empty'], { ok: 1, fail: 1, atBound: 0, onePast: 0 })
  assert.equal(checks['cap_copy: dst in CSpace'], { ok: 1, fail: 1, atBound: 2, onePast: 1 })
  assert.equal(checks['cap_copy: src holds a cap']?.fail, 0)
})

test('every check answers a known error, each check of a pair another than its partner', () => {
  const known = new Set<string>(ERROR_CODES.filter((code) => code !== 'QuotaExceeded'))
  for (const check of CHECK_CATALOGUE) {
    const error = checkError(check.name)
    assert.ok(known.has(error) || /^QuotaExceeded\((memoryBytes|processes|endpoints|cpuBudget|ioBytes|devices)\)$/.test(error), `${check.name}: ${error}`)
  }
  // Two checks that end alike: an empty queue is not an occupied slot.
  assert.is(checkError('ep_recv: queue not empty'), 'QueueEmpty')
  assert.is(checkError('ep_recv: dst empty'), 'SlotOccupied')
  for (const pair of CHECK_PAIRS) assert.is.not(checkError(pair.earlier), checkError(pair.later), pair.key)
})

test('the pairs that can never fail together are few, by family, each with its reason', () => {
  const unreachable = CHECK_PAIRS.filter((pair) => pair.unreachable !== undefined)
  assert.equal(unreachable.map((pair) => pair.key), [
    'cap_copy: a badge goes on an endpoint cap » a badge is set once',
    ...['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes'].map((r) => `container_set_limits: not the root container » ${r} within what the parent has available`),
    'container_set_limits: not the root container » devices within the parent\'s',
  ])
  for (const pair of unreachable) assert.ok(pair.unreachable!.length > 20, pair.key)
  // The root's own limits: refused as the root's before anything reads its (missing) parent.
  logChecks(true)
  step(boot(PROPERTY_BOOT, IMAGE_POOL), { kind: 'container_set_limits', caller: 0, slot: 0, limits: { memoryBytes: 2 ** 40, processes: 2 ** 40, endpoints: 2 ** 40, cpuBudget: 2 ** 40, ioBytes: 2 ** 40, cpuWeight: 1, devices: ['disk0', 'net0'] } })
  assert.equal(lastStepChecks().at(-1), { check: 'container_set_limits: not the root container', passed: false, edge: null })
  logChecks(false)
})

test.run()
