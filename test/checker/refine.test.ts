import { test } from 'uvu'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { explore, type ExploreResult } from '../../checker/explore/search.js'
import { exploreGeneral } from '../../checker/explore/general.js'
import { exploreGeneralParallel } from '../../checker/explore/general-parallel.js'
import { MUTANTS } from '../../mutants/catalogue.js'
import { cleanMutants, loadMutant } from '../../mutants/materialize.js'
import { exploreTrace } from '../../checker/explore/run.js'
import { CAP_CORE, NESTED } from '../../spec/presets.js'
import { step as modelStep } from '../../model/step.js'
import { boot } from '../../model/boot.js'
import { implTarget } from '../../refinement/abstraction.js'
import { modelTarget } from '../../refinement/model-target.js'
import type { RefinementTarget } from '../../refinement/target.js'
import { TraceCodec } from '../../spec/trace.js'
import { capNowhereAfterEpCreate, refusedSendAdvancesSequence, unreadableAfterEpCreate } from '../fixtures/kernels.js'

const asTarget = (target: unknown) => target as RefinementTarget

/**
 * Whether StrykerJS instrumented this build's impl or refinement code (`npm run
 * mutate`: each mutant behind a `stryMutAct_9fa48` switch). The seeded impl
 * mutants are laid over the compiled code's text (mutants/materialize.ts), which
 * an instrumented file does not hold: the tests that load them compare the
 * engines and have nothing to say of a Stryker mutant, so they are skipped there
 * rather than failing with no mutant active (which made every mutant of
 * refinement/ a runtime error).
 */
const instrumented = ['impl', 'refinement'].some((tree) => {
  const dir = fileURLToPath(new URL(`../../${tree}/`, import.meta.url))
  return readdirSync(dir, { recursive: true }).some((entry) => String(entry).endsWith('.js') && readFileSync(join(dir, String(entry)), 'utf8').includes('stryMutAct_9fa48'))
})

test('explore --refine: the impl agrees on every action tried, refused ones included (outcome and state)', () => {
  const result = explore({ preset: CAP_CORE, depthMax: 3, refine: asTarget(implTarget) })
  assert.is(result.violation, null, JSON.stringify(result.violation))
  assert.ok(result.distinct > 100)
})

test('explore --refine: a refusal with a side effect is a REF-1 violation after one step (it was invisible at any depth)', () => {
  const result = explore({ preset: CAP_CORE, depthMax: 3, refine: asTarget(refusedSendAdvancesSequence) })
  const violation = result.violation
  assert.ok(violation !== null, 'found')
  assert.is(violation!.invariant, 'REF-1')
  assert.match(violation!.message, /abstract states differ after the action at ksMessageSeqNext/)
  assert.is(violation!.path.length, 1)
  const action = violation!.path[0]!
  assert.is(action['kind'], 'ep_send')
  assert.ok(E.isLeft(modelStep(boot(CAP_CORE.boot, CAP_CORE.images), action).outcome), 'the model refuses it')
})

test('explore --refine: a model whose refusal changes more than the CPU charge is reported (the reference for the kernel\'s refusals)', () => {
  const leaky = (state: Parameters<typeof modelStep>[0], syscall: unknown) => {
    const result = modelStep(state, syscall)
    const kind = (syscall as { kind?: unknown }).kind
    return kind === 'cap_delete' && E.isLeft(result.outcome) ? { ...result, state: { ...result.state, ksCapNext: result.state.ksCapNext + 1 } } : result
  }
  const result = explore({ preset: CAP_CORE, depthMax: 2, step: leaky, refine: asTarget(modelTarget) })
  assert.ok(result.violation !== null)
  assert.is(result.violation!.invariant, 'ROBUST')
  assert.match(result.violation!.message, /refusal \(\w+\) changed ksCapNext/)
  assert.is(result.violation!.path[result.violation!.path.length - 1]!['kind'], 'cap_delete')
})

test('explore --refine: a cap in no place is a REF-1 violation naming the cap and its place', () => {
  const violation = explore({ preset: CAP_CORE, depthMax: 3, refine: asTarget(capNowhereAfterEpCreate) }).violation
  assert.ok(violation !== null, 'found, not thrown')
  assert.is(violation!.invariant, 'REF-1')
  assert.match((violation!.witness as { unreadable: string }).unreadable, /^cap handle \d+ is in no place \(place 77\)$/)
})

test('explore --refine: a kernel state the abstraction cannot read is a REF-1 violation naming what, with a counterexample trace', () => {
  const result = explore({ preset: CAP_CORE, depthMax: 3, refine: asTarget(unreadableAfterEpCreate) })
  const violation = result.violation
  assert.ok(violation !== null, 'found, not thrown')
  assert.is(violation!.invariant, 'REF-1')
  assert.match(violation!.message, /the abstraction cannot read the kernel's state after the action: object handle \d+ holds kind 200/)
  assert.match((violation!.witness as { unreadable: string }).unreadable, /^object handle \d+ holds kind 200, no kind of live object$/)
  assert.equal(violation!.path.map((action) => action['kind']), ['ep_create'])
  const trace = exploreTrace(CAP_CORE, result)
  assert.ok(TraceCodec.is(trace))
  assert.is(trace.failure!.invariant, 'REF-1')
  assert.is(trace.steps.length, 1)
})

// ---- the general engine with --refine ---------------------------------------------

/** What two searches found, to compare: sizes, and the violation with its path. */
function found(result: ExploreResult): unknown {
  const violation = result.violation
  return violation === null
    ? { distinct: result.distinct, generated: result.generated, depth: result.depth }
    : { invariant: violation.invariant, message: violation.message, path: violation.path }
}

test('general engine --refine: the impl agrees with the model on every action tried; the same states and transitions as without', () => {
  for (const [preset, depthMax] of [[CAP_CORE, 3], [NESTED, 2]] as const) {
    const refined = exploreGeneral({ preset, depthMax, refine: asTarget(implTarget) })
    assert.is(refined.violation, null, `${preset.name}: ${JSON.stringify(refined.violation)}`)
    const plain = exploreGeneral({ preset, depthMax })
    assert.equal(found(refined), found(plain), preset.name)
    assert.equal(found(refined), found(explore({ preset, depthMax, refine: asTarget(implTarget) })), `${preset.name}: the model engine with --refine`)
  }
})

test('general engine --refine on every impl mutant: the same first divergence as the model engine (at boot too), at the same shortest path', async () => {
  if (instrumented) return
  // Both engines meet the states of a level in the same order, so the first failing action is the same one.
  let diverged = 0
  const kinds = new Set<string>()
  try {
    for (const mutant of MUTANTS) {
      const target = await loadMutant(mutant)
      const general = exploreGeneral({ preset: CAP_CORE, depthMax: 2, refine: target })
      const model = explore({ preset: CAP_CORE, depthMax: 2, refine: target })
      assert.equal(found(general), found(model), mutant.name)
      if (general.violation === null) continue
      diverged++
      kinds.add(general.violation.path.length === 0 ? 'boot' : String(general.violation.path[general.violation.path.length - 1]!['kind']))
    }
  } finally {
    cleanMutants()
  }
  // Coverage: the comparison is only worth something where the mutants do diverge.
  console.log(`  ${diverged} of ${MUTANTS.length} impl mutants diverge on cap-core within 2 steps (last actions: ${[...kinds].sort().join(', ')}); both engines agree on all ${MUTANTS.length}`)
  assert.ok(diverged >= 5, `only ${diverged} mutants diverge within 2 steps`)
})

test('general engine --refine on two workers: the same divergence as on one', async () => {
  if (instrumented) return
  const mutant = MUTANTS.find((candidate) => candidate.name === 'copy-amplifies-rights')!
  try {
    const target = await loadMutant(mutant)
    const sequential = exploreGeneral({ preset: CAP_CORE, depthMax: 4, refine: target })
    assert.is(sequential.violation?.invariant, 'REF-1')
    const parallel = await exploreGeneralParallel({ preset: CAP_CORE, depthMax: 4, workers: 2, refine: target })
    assert.equal(found(parallel), found(sequential))
    const plain = await exploreGeneralParallel({ preset: CAP_CORE, depthMax: 3, workers: 2, refine: asTarget(implTarget) })
    assert.equal(found(plain), found(exploreGeneral({ preset: CAP_CORE, depthMax: 3 })))
  } finally {
    cleanMutants()
  }
})

test('general engine --refine: a kernel it cannot step (a wrapper, a user\'s) is refused, naming the model engine', () => {
  assert.throws(() => exploreGeneral({ preset: CAP_CORE, depthMax: 1, refine: asTarget(refusedSendAdvancesSequence) }), /use --engine model/)
})

test.run()
