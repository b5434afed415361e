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
import { CHECK_CATALOGUE, NEVER_FAILING } from '../../model/check-catalogue.js'
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

test.run()
