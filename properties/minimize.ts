/**
 * Step-level minimization after fast-check's shrinking: removes chunks, then single
 * steps, while the scenario still fails the same way (same invariant). Every
 * subsequence of a scenario is executable, so what remains is a meaningful, short
 * counterexample. Bounded by `checksMax` re-runs.
 * @module
 */
import type { Suite, SuiteContext, SuiteFailure } from './suite.js'

export function minimize(suite: Suite, scenario: ReadonlyArray<unknown>, failure: SuiteFailure, context: SuiteContext, checksMax = 2000): { scenario: unknown[]; failure: SuiteFailure } {
  let current = [...scenario]
  let currentFailure = failure
  let checks = 0
  const stillFails = (candidate: unknown[]): SuiteFailure | null => {
    checks++
    const found = suite.check(candidate, { ...context, coverage: null })
    return found !== null && found.invariant === failure.invariant ? found : null
  }
  for (let chunk = Math.max(1, Math.floor(current.length / 2)); chunk >= 1 && checks < checksMax; chunk = Math.floor(chunk / 2)) {
    let removed = true
    while (removed && checks < checksMax) {
      removed = false
      for (let start = current.length - chunk; start >= 0 && checks < checksMax; start -= chunk) {
        const candidate = [...current.slice(0, start), ...current.slice(start + chunk)]
        const found = stillFails(candidate)
        if (found !== null) {
          current = candidate
          currentFailure = found
          removed = true
        }
      }
    }
  }
  // Everything after the failing step is irrelevant.
  if (currentFailure.step >= 0 && currentFailure.step < current.length - 1) {
    const cut = current.slice(0, currentFailure.step + 1)
    const found = stillFails(cut)
    if (found !== null) return { scenario: cut, failure: found }
  }
  return { scenario: current, failure: currentFailure }
}
