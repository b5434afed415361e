/**
 * Suites over one syscall sequence: `refinement` (REF-1), `invariants` (the whole
 * catalogue, on the model and on the abstracted kernel), `isolation` (ISO-1..4) and
 * `quota` (QUO-*, CPU-1, IO-1, SCHED-1). They differ in what they check and in the
 * generator's mix.
 * @module
 */
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import { checkState, checkStep } from '../../spec/invariants/index.js'
import { Lockstep } from '../../refinement/lockstep.js'
import { BALANCED, type MixWeights, flatten, syscallSequence } from '../generators.js'
import { IMAGE_POOL, PROPERTY_BOOT } from '../pool.js'
import { type Suite, type SuiteContext, type SuiteFailure, violationFailure } from '../suite.js'

/**
 * The kernel's own invariants: the kernel and the model run side by side (the model
 * only supplies the ghost fields, which are not kernel state), and the given
 * invariants are checked on the kernel's abstracted state after every step. A
 * kernel that diverges from the model shows here as the invariant it breaks.
 */
function checkKernelInvariants(scenario: ReadonlyArray<unknown>, context: SuiteContext, only: ReadonlyArray<string>): SuiteFailure | null {
  const kernel = context.target.create(PROPERTY_BOOT, IMAGE_POOL)
  let model = boot(PROPERTY_BOOT, IMAGE_POOL)
  const abstractNow = () => ({ ...context.target.abstraction.abstract(kernel), gsMessages: model.gsMessages, gsFlows: model.gsFlows, gsLastReceived: model.gsLastReceived })
  let before
  try {
    before = abstractNow()
  } catch (error) {
    return threw(-1, 'the abstraction', error)
  }
  const atBoot = violationFailure(-1, checkState(before), only)
  if (atBoot !== null) return atBoot
  for (let index = 0; index < scenario.length; index++) {
    const syscall = scenario[index]
    const result = modelStep(model, syscall)
    model = result.state
    let outcome
    try {
      outcome = kernel.step(syscall)
    } catch (error) {
      return { step: index, message: `kernel threw: ${String(error)}`, invariant: 'REF-1' }
    }
    context.coverage?.observe(syscall, result.outcome, model)
    let after
    let failure
    try {
      after = abstractNow()
    } catch (error) {
      return threw(index, 'the abstraction', error)
    }
    try {
      failure = violationFailure(index, checkStep({ before, syscall, outcome, after }), only)
    } catch (error) {
      return threw(index, 'checking the invariants on the kernel\'s state', error)
    }
    if (failure !== null) return { ...failure, model: result.outcome, kernel: outcome }
    before = after
  }
  return null
}

/**
 * Model and kernel in lockstep: outcomes and abstract states must agree (REF-1),
 * and, with `invariants`, the catalogue must hold after every step. Since the
 * kernel's abstract state is compared equal to the model's at every step, the
 * invariants checked on the model hold on the abstracted kernel too; once per run
 * they are also evaluated on the kernel's own abstraction (with the model's ghost
 * fields, which are not kernel state).
 */
function checkLockstep(scenario: ReadonlyArray<unknown>, context: SuiteContext, invariants: boolean): SuiteFailure | null {
  const lockstep = new Lockstep(context.target, PROPERTY_BOOT, IMAGE_POOL)
  let atBoot
  try {
    atBoot = lockstep.compareStates(-1)
  } catch (error) {
    return threw(-1, 'the abstraction', error)
  }
  if (atBoot !== null && atBoot.kind === 'state') return { step: -1, message: `abstract state differs at boot: ${atBoot.difference.path}`, invariant: 'REF-1', difference: atBoot.difference }
  if (atBoot !== null) return divergenceFailure(atBoot)
  for (let index = 0; index < scenario.length; index++) {
    const before = lockstep.model
    let stepped
    try {
      stepped = lockstep.step(scenario[index])
    } catch (error) {
      // The kernel's own exceptions are divergences already; this is the abstraction failing on the kernel's state.
      return threw(index, 'the abstraction', error)
    }
    const { step, divergence } = stepped
    if (divergence !== null) return divergenceFailure(divergence, step?.model, step?.kernel)
    context.coverage?.observe(scenario[index], step!.model, lockstep.model)
    if (invariants) {
      const failure = violationFailure(index, checkStep({ before, syscall: scenario[index], outcome: step!.model, after: lockstep.model }))
      if (failure !== null) return failure
    }
  }
  if (invariants) {
    let kernelState
    try {
      kernelState = context.target.abstraction.abstract(lockstep.kernel)
    } catch (error) {
      return threw(scenario.length - 1, 'the abstraction', error)
    }
    const abstracted = { ...kernelState, gsMessages: lockstep.model.gsMessages, gsFlows: lockstep.model.gsFlows, gsLastReceived: lockstep.model.gsLastReceived }
    const failure = violationFailure(scenario.length - 1, checkState(abstracted))
    if (failure !== null) return { ...failure, message: `on the abstracted kernel: ${failure.message}` }
  }
  return null
}

/** The kernel, or the abstraction reading its state, threw: a refinement failure (the model never throws). */
function threw(step: number, side: string, error: unknown): SuiteFailure {
  return { step, message: `${side} threw: ${String(error)}`, invariant: 'REF-1' }
}

function divergenceFailure(divergence: NonNullable<ReturnType<Lockstep<never>['step']>['divergence']>, model?: SuiteFailure['model'], kernel?: SuiteFailure['kernel']): SuiteFailure {
  switch (divergence.kind) {
    case 'exception':
      return { step: divergence.step, message: `${divergence.side} threw: ${divergence.message}`, invariant: 'REF-1' }
    case 'outcome':
      return { step: divergence.step, message: `outcomes differ at ${divergence.difference.path}`, invariant: 'REF-1', difference: divergence.difference, model, kernel }
    case 'state':
      return { step: divergence.step, message: `abstract states differ at ${divergence.difference.path}`, invariant: 'REF-1', difference: divergence.difference, model, kernel }
  }
}

function sequenceSuite(name: Suite['name'], description: string, covers: string[], weights: MixWeights, check: Suite['check']): Suite {
  return {
    name, description, covers,
    scenario: (maxSteps) => syscallSequence(weights, Math.max(1, Math.ceil(maxSteps / 1.6))).map((fragments) => flatten(fragments, maxSteps)),
    check,
    executed: (scenario) => [...scenario],
  }
}

export const refinementSuite = sequenceSuite('refinement', 'impl refines the model: same outcomes, abstract(impl) = model state after every step', ['REF-1'], BALANCED,
  (scenario, context) => checkLockstep(scenario, context, false))

export const invariantsSuite = sequenceSuite('invariants', 'every catalogue invariant after every step, on the model and the abstracted impl', ['CAP-1..4', 'OBJ-1', 'QUO-1..3', 'ISO-1..4', 'IPC-1..2', 'LIFE-1', 'IMG-1..2', 'CPU-1', 'IO-1', 'SCHED-1'], BALANCED,
  (scenario, context) => checkLockstep(scenario, context, true))

const ISOLATION = ['ISO-1', 'ISO-2', 'ISO-3', 'ISO-4']
export const isolationSuite = sequenceSuite('isolation', 'authority confinement, namespace-local lookups, user namespaces, mappings', ISOLATION,
  { single: 30, nest: 20, hop: 20, fill: 3, namespace: 25, quota: 2, clock: 2 },
  (scenario, context) => checkKernelInvariants(scenario, context, ISOLATION))

const QUOTA = ['QUO-1', 'QUO-2', 'QUO-3', 'CPU-1', 'IO-1', 'SCHED-1', 'LIFE-1']
export const quotaSuite = sequenceSuite('quota', 'reservations, accounting, per-period budgets, stride fairness', QUOTA,
  { single: 30, nest: 20, hop: 5, fill: 5, namespace: 3, quota: 25, clock: 15 },
  (scenario, context) => checkKernelInvariants(scenario, context, QUOTA))
