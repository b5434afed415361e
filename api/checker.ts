/**
 * `sila-kernel/checker`: the engines behind `sila check`, `sila explore`,
 * `sila replay`, `sila export` and `sila mutants`, as functions returning data
 * (no printing): the property suites ({@link runCheck}), the explicit-state model
 * checker ({@link explore}), trace replay ({@link replayTrace}), counterexample
 * export ({@link exportTrace}) and the seeded bugs ({@link MUTANTS}).
 *
 * ```ts
 * import { explore, runCheck } from 'sila-kernel/checker'
 * import { implTarget } from 'sila-kernel/refinement'
 * import { CAP_CORE } from 'sila-kernel/spec'
 *
 * const [result] = runCheck({ suites: ['refinement'], runs: 20, seed: 1, maxSteps: 20, target: implTarget })
 * const search = explore({ preset: CAP_CORE, depthMax: 3, refine: implTarget })
 * console.log(result?.counterexample ?? 'no counterexample', search.violation ?? `${search.distinct} states`)
 * ```
 * @module sila-kernel/checker
 */
export { SUITE_NAMES } from '../properties/suite.js'
export type { Suite, SuiteName, SuiteFailure, SuiteContext, SuiteEnvironment, UserHook } from '../properties/suite.js'
export type { UserPropertyTally } from '../properties/user/watch.js'
export { SUITES } from '../properties/registry.js'
export { runSuite, runCheck } from '../properties/run.js'
export type { CheckOptions, CounterExample, SuiteResult } from '../properties/run.js'
export { Coverage } from '../properties/coverage.js'
export type { CoverageJson } from '../properties/coverage.js'
export { counterexampleTrace } from '../checker/counterexample.js'
export { explore } from '../checker/explore/search.js'
export type { ExploreOptions, ExploreProgress, ExploreResult, ExploreViolation } from '../checker/explore/search.js'
export type { Action } from '../checker/explore/actions.js'
export { exploreCapCore } from '../checker/explore/capcore.js'
export { exploreTrace, witnessTrace } from '../checker/explore/run.js'
export { loadChecked } from '../checker/explore/props.js'
export type { Checked, CheckedSource, PropertyVerdict } from '../checker/explore/props.js'
export { replayTrace, traceKernelTarget, BOOT_STEP } from '../checker/replay.js'
export type { ReplayProperty, ReplayResult, ReplayRow, ReplayDivergence, ReplayViolation, ReplayMismatch, ReplayCrash } from '../checker/replay.js'
export { EXPORT_FORMATS, exportTrace } from '../checker/export/index.js'
export type { ExportFormat, ExportOptions, ExportResult } from '../checker/export/index.js'
export { kernelText, loadTarget } from '../checker/targets.js'
export { cleanMutants } from '../mutants/materialize.js'
export { callerText, syscallText } from '../checker/stepText.js'
export { formatJson } from '../cli/output.js'
export { MUTANTS } from '../mutants/catalogue.js'
export type { Mutant, MutantFamily } from '../mutants/catalogue.js'
export type { CheckCounts } from '../properties/coverage.js'
export type { PropertyStall, ReplayOptions, Unanswered } from '../checker/replay.js'
export { watchReplay, watchReplayStalls, type ReplayStalls, type WatchedProps } from '../checker/replay-watch.js'
export { exploreGeneral } from '../checker/explore/general.js'
export type { GeneralOptions, SearchKernel, SearchTarget } from '../checker/explore/general.js'
