/**
 * REF-1 on one action, as both exhaustive engines check it with `--refine`: the
 * kernel's answer must be the model's, and its abstracted state after the
 * action the model's next state (after a refusal too). The model engine
 * (search.ts) steps the model and a kernel cursor side by side; the general
 * engine (general.ts) steps the kernel it searches and the model from the
 * abstraction of the state it expands — the commuting square of a forward
 * simulation, one transition at a time.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { KernelState } from '../../model/state.js'
import type { Outcome } from '../../spec/results.js'
import { diffStates, firstDifference, refusalChange } from '../../refinement/diff.js'
import { type KernelUnderTest, type RefinementTarget, unreadablePart } from '../../refinement/target.js'
import type { Action } from './actions.js'

/** A refinement failure: REF-1 (or ROBUST, the model's own refusal changing state), without its path. */
export interface RefineFailure {
  readonly invariant: string
  readonly message: string
  readonly witness: unknown
}

/** The kernel's answer to `action`, or the failure its throwing is (a kernel never throws). */
export function stepKernel(kernel: KernelUnderTest, action: Action): { outcome: Outcome } | { failure: RefineFailure } {
  try {
    return { outcome: kernel.step(action) }
  } catch (error) {
    return { failure: kernelThrew(action, error) }
  }
}

/** REF-1 for a kernel that threw `error` stepping `action`. */
export function kernelThrew(action: Action, error: unknown): RefineFailure {
  return { invariant: 'REF-1', message: `the kernel threw: ${String(error)}`, witness: { action } }
}

/**
 * REF-1 for one action from `before`: the kernel answered `kernelOutcome` and
 * is now in the state after it; the model answered `outcome` and went to
 * `after`. Outcomes first, then (for a model refusal) that the refusal changed
 * nothing but the CPU charge, then the abstract states.
 */
export function compareStep(
  target: RefinementTarget, kernel: KernelUnderTest, action: Action,
  before: KernelState, outcome: Outcome, after: KernelState, kernelOutcome: Outcome,
): RefineFailure | null {
  const outcomeDifference = firstDifference('outcome', outcome, kernelOutcome)
  if (outcomeDifference !== null) return { invariant: 'REF-1', message: `outcomes differ at ${outcomeDifference.path}`, witness: outcomeDifference }
  if (E.isLeft(outcome)) {
    // The model's refusal is the reference the kernel's is compared with: it must change nothing but the charge.
    const changed = refusalChange(before, after)
    if (changed !== null) return { invariant: 'ROBUST', message: `the model's refusal (${outcome.left.code}) changed ${changed}, not only the CPU charge`, witness: { action, path: changed } }
  }
  return compareState(target, kernel, after, action)
}

/** REF-1 for a state: the kernel's abstracted state is `model` (`action`: the one that led there, null at boot). */
export function compareState(target: RefinementTarget, kernel: KernelUnderTest, model: KernelState, action: Action | null): RefineFailure | null {
  const when = action === null ? 'at boot' : 'after the action'
  let abstracted: KernelState
  try {
    abstracted = target.abstraction.abstract(kernel)
  } catch (error) {
    const what = unreadablePart(error)
    return { invariant: 'REF-1', message: `the abstraction cannot read the kernel's state ${when}: ${what}`, witness: { ...(action === null ? {} : { action }), unreadable: what } }
  }
  const difference = diffStates(model, abstracted, target.abstraction.ghosts)
  return difference === null ? null : { invariant: 'REF-1', message: `abstract states differ ${when} at ${difference.path}`, witness: difference }
}

