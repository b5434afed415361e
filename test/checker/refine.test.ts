import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { explore } from '../../checker/explore/search.js'
import { exploreTrace } from '../../checker/explore/run.js'
import { CAP_CORE } from '../../spec/presets.js'
import { step as modelStep } from '../../model/step.js'
import { boot } from '../../model/boot.js'
import { implTarget } from '../../refinement/abstraction.js'
import { modelTarget } from '../../refinement/model-target.js'
import type { RefinementTarget } from '../../refinement/target.js'
import { TraceCodec } from '../../spec/trace.js'
import { capNowhereAfterEpCreate, refusedSendAdvancesSequence, unreadableAfterEpCreate } from '../fixtures/kernels.js'

const asTarget = (target: unknown) => target as RefinementTarget

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

test.run()
