/**
 * Step-level minimization after fast-check's shrinking: removes chunks, then single
 * steps, while the scenario still fails the same way (same invariant). Every
 * subsequence of a scenario is executable, so what remains is a meaningful, short
 * counterexample. Then it tries to hand each remaining step to init (caller 0):
 * a step that needed a deep preamble only for its caller often fails as well from
 * init, and then the preamble goes on the next removal pass. Bounded by `checksMax`
 * re-runs.
 * @module
 */
import type { Suite, SuiteContext, SuiteFailure } from './suite.js'

/** The step with its caller replaced by init's (0), or null when it has no other caller. */
export function toInit(step: unknown): unknown | null {
  if (typeof step !== 'object' || step === null || Array.isArray(step)) return null
  const record = step as Record<string, unknown>
  if (typeof record['caller'] === 'number' && record['caller'] !== 0) return { ...record, caller: 0 }
  // Robustness steps wrap their syscall: { garbage, syscall }.
  const inner = record['syscall']
  if ('garbage' in record && inner !== undefined) {
    const simpler = toInit(inner)
    return simpler === null ? null : { ...record, syscall: simpler }
  }
  return null
}

export function minimize(suite: Suite, scenario: ReadonlyArray<unknown>, failure: SuiteFailure, context: SuiteContext, checksMax = 2000): { scenario: unknown[]; failure: SuiteFailure } {
  let current = [...scenario]
  let currentFailure = failure
  let checks = 0
  const stillFails = (candidate: unknown[]): SuiteFailure | null => {
    checks++
    const found = suite.check(candidate, { ...context, coverage: null })
    return found !== null && found.invariant === failure.invariant ? found : null
  }
  const removeSteps = (): void => {
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
  }
  /** Hands steps to init, from the last; true if any was. */
  const simplifyCallers = (): boolean => {
    let simplified = false
    for (let index = current.length - 1; index >= 0 && checks < checksMax; index--) {
      const step = toInit(current[index])
      if (step === null) continue
      const candidate = [...current.slice(0, index), step, ...current.slice(index + 1)]
      const found = stillFails(candidate)
      if (found !== null) {
        current = candidate
        currentFailure = found
        simplified = true
      }
    }
    return simplified
  }
  removeSteps()
  while (checks < checksMax && current.length > 1 && simplifyCallers()) {
    const length = current.length
    removeSteps()
    if (current.length === length) break
  }
  // Everything after the failing step is irrelevant.
  if (currentFailure.step >= 0 && currentFailure.step < current.length - 1) {
    const cut = current.slice(0, currentFailure.step + 1)
    const found = stillFails(cut)
    if (found !== null) return { scenario: cut, failure: found }
  }
  return { scenario: current, failure: currentFailure }
}
