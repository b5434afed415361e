/**
 * `sila-kernel` as a library: the model, the impl, the refinement checker, the
 * property suites and the model checker, as the CLI uses them.
 * @module
 */
export type { KernelState, KernelObject, Cap, Namespace } from './model/state.js'
export type { StepResult } from './model/step.js'
export type { KernelUnderTest, RefinementTarget, Abstraction, StateDifference } from './refinement/target.js'
export type { Violation, InvariantId, StepContext } from './spec/invariants/types.js'
export type { Suite, SuiteName, SuiteFailure } from './properties/suite.js'
export type { ExploreOptions, ExploreResult } from './checker/explore/search.js'
export type { Mutant } from './mutants/catalogue.js'
export * from './spec/index.js'
export { boot } from './model/boot.js'
export { step } from './model/step.js'
export { INVARIANTS, checkState, checkStep, invariantById } from './spec/invariants/index.js'
export { Kernel } from './impl/kernel.js'
export { implTarget, abstractState } from './refinement/abstraction.js'
export { modelTarget, ModelKernel } from './refinement/model-target.js'
export { Lockstep, runLockstep } from './refinement/lockstep.js'
export { diffStates, firstDifference } from './refinement/diff.js'
export { SUITES } from './properties/registry.js'
export { runSuite, runCheck } from './properties/run.js'
export { explore } from './checker/explore/search.js'
export { exploreCapCore } from './checker/explore/capcore.js'
export { exploreGeneral } from './checker/explore/general.js'
export { PRESETS, CAP_CORE, CAP_CORE_3, NESTED } from './spec/presets.js'
export { replayTrace } from './checker/replay.js'
export { MUTANTS } from './mutants/catalogue.js'
