/**
 * `sila check --fail-fast` without the printing or the watch: the suites in
 * rounds, stopping at the first failing run.
 * @module
 */
import { SUITE_NAMES, type SuiteName } from '../properties/suite.js'
import { type CheckOptions, runSuite, type SuiteResult } from '../properties/run.js'
import type { RefinementTarget } from '../refinement/target.js'

/** The first failure of a fail-fast check: which suite, at which round's run count, and its result. */
export interface FailFastFailure { readonly suite: SuiteName; readonly roundRuns: number; readonly result: SuiteResult }

/** What a fail-fast check may ask besides the plain run: `--invariant`'s catalogue, `--props`' properties, and a hook told of each run (the watchdog's). */
export type FailFastExtras = Pick<CheckOptions, 'catalogue' | 'properties' | 'onRun'>

/**
 * Rounds of 1 %, 10 % and all of `runs` over the suites in order, stopping at
 * the first counterexample (unshrunk), or null when every suite passes. The
 * mutation runner calls it in process, once per mutant
 * (tools/mutation/sila-runner-worker.mjs); `sila check --fail-fast` on a watched
 * worker thread (cli/commands/fail-fast-worker.ts).
 */
export function firstFailure(target: RefinementTarget, suites: ReadonlyArray<SuiteName>, runs: number, seed: number, maxSteps: number, extras: FailFastExtras = {}): FailFastFailure | null {
  const rounds = [...new Set([Math.ceil(runs / 100), Math.ceil(runs / 10), runs])]
  for (const roundRuns of rounds) {
    for (const suite of suites) {
      const result = runSuite(suite, { suites: SUITE_NAMES, runs: roundRuns, seed, maxSteps, target, failFast: true, ...extras })
      if (result.counterexample !== null) return { suite, roundRuns, result }
    }
  }
  return null
}
