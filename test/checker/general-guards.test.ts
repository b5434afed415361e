/**
 * The general engine's fast checks against the reference: the step guards
 * (checker/explore/step-guards.ts) and the fast state checks
 * (checker/explore/state-checks.ts) may only let a transition or a state pass
 * when the model's own invariant functions, on the abstraction, find nothing.
 * With `verifyGuards` the engine runs the reference on every transition and
 * every new state and throws where a fast check vouched wrongly; here it does
 * so on the presets, on generated declared systems, and on every impl mutant of
 * the catalogue (whose violations the fast checks must not let pass). The
 * prefilter (checker/explore/prefilter.ts) is checked the same way: every
 * action it skips is stepped and must be refused.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { exploreGeneral, type SearchTarget } from '../../checker/explore/general.js'
import { ALL_SYSCALLS, CAP_CORE, CAP_CORE_3, NESTED } from '../../spec/presets.js'
import { bootConfigOf, eachDeclaredSystem, generatedPreset, systemArb } from './systems.js'
import { MUTANTS } from '../../mutants/catalogue.js'
import { cleanMutants, loadMutant } from '../../mutants/materialize.js'

test('presets: the fast checks vouch only where the reference finds nothing, and they do vouch', () => {
  for (const [preset, depthMax] of [[CAP_CORE, 6], [CAP_CORE_3, 3], [NESTED, 3], [ALL_SYSCALLS, 3]] as const) {
    const checked = exploreGeneral({ preset, depthMax, verifyGuards: true })
    const plain = exploreGeneral({ preset, depthMax })
    assert.is(checked.distinct, plain.distinct, `${preset.name}: the same states`)
    assert.is(checked.violation?.invariant, plain.violation?.invariant, `${preset.name}: the same violation`)
    console.log(`  ${preset.name}: ${checked.distinct.toLocaleString('en')} states, ${checked.generated.toLocaleString('en')} transitions to depth ${depthMax} checked both ways`)
  }
})

test('generated declared systems: the fast checks agree with the reference', () => {
  let systems = 0
  let states = 0
  fc.assert(fc.property(systemArb, (shape) => {
    const config = bootConfigOf(shape)
    if (typeof config === 'string') return
    const preset = generatedPreset(config, `generated system ${systems}`)
    states += exploreGeneral({ preset, depthMax: 3, verifyGuards: true }).distinct
    systems++
  }), { numRuns: 30, seed: 20_261_202 })
  console.log(`  ${systems} generated systems, ${states.toLocaleString('en')} states to depth 3 checked both ways`)
  assert.ok(systems >= 20)
})

test('generated declared systems, as --boot explores them (services, spawns, kills): the fast checks agree with the reference', () => {
  let states = 0
  const systems = eachDeclaredSystem(20, 20_261_202, (preset) => { states += exploreGeneral({ preset, depthMax: 3, verifyGuards: true }).distinct })
  console.log(`  ${systems} generated declared systems, ${states.toLocaleString('en')} states to depth 3 checked both ways`)
  assert.ok(systems >= 15)
})

test('impl mutants: every violation the reference finds, the fast checks let through to it', async () => {
  const found = new Map<string, number>()
  let runs = 0
  try {
    // A mutant of the abstraction (refinement/abstraction.js) reads the tables otherwise: the engine runs the reference alone on it.
    for (const mutant of MUTANTS.filter((candidate) => candidate.file !== 'refinement/abstraction.js')) {
      const target = (await loadMutant(mutant)) as unknown as SearchTarget
      for (const [preset, depthMax] of [[CAP_CORE, 4], [NESTED, 3], [ALL_SYSCALLS, 2]] as const) {
        // Throws (a KernelBug) if a fast check vouched for what the reference breaks.
        let invariant: string
        try {
          invariant = exploreGeneral({ preset, depthMax, kernel: target, fastChecks: true, verifyGuards: true, statesMax: 20_000 }).violation?.invariant ?? 'none'
        } catch (error) {
          const message = String((error as Error).message)
          if (/step guard|fast state checks/.test(message)) throw new Error(`${mutant.name} on ${preset.name}: ${message}`)
          invariant = 'the mutant throws' // its own assertion: the engine reports it as a kernel error elsewhere
        }
        runs++
        found.set(invariant, (found.get(invariant) ?? 0) + 1)
      }
    }
  } finally {
    cleanMutants()
  }
  const summary = [...found].map(([invariant, count]) => `${invariant} ${count}`).join(', ')
  console.log(`  ${runs / 3} mutants × 3 presets (${runs} searches); violations found through the fast checks: ${summary}`)
  found.delete('none')
  found.delete('the mutant throws')
  assert.ok(found.size >= 8, `the mutants break only ${found.size} distinct invariants here: ${summary}`)
})

test.run()
