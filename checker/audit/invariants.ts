/**
 * Every invariant of the catalogue (spec/invariants) against a state or a trace,
 * one result per invariant: pass, fail with its witness (for a trace, the first
 * violating step and how many steps violated it), or not applicable (an invariant
 * of transitions, for a lone state).
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import { boot } from '../../model/boot.js'
import { step } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { INVARIANTS, type Invariant, type InvariantId, type StepContext, type Violation } from '../../spec/invariants/index.js'
import type { Trace } from '../../spec/trace.js'

/** The step index that stands for the boot state (as in `sila replay`). @public */
export const BOOT_STEP = -1

/** A violation and where it was found. @public */
export interface FoundViolation {
  readonly message: string
  readonly witness: Readonly<Record<string, unknown>>
  /** The step after which it was found ({@link BOOT_STEP} for the boot state); null for a lone state. */
  readonly step: number | null
}

/** One invariant's verdict. @public */
export interface InvariantResult {
  readonly id: InvariantId
  readonly statement: string
  readonly scope: 'state' | 'step'
  readonly status: 'pass' | 'fail' | 'not-applicable'
  /** The first violation; null unless it failed. */
  readonly violation: FoundViolation | null
  /** How many states or steps violated it. */
  readonly count: number
}

/**
 * Runs one check, turning an exception into a violation: a state the invariant
 * cannot even read (a process whose container is missing) is a broken state.
 */
function runCheck<C>(invariant: Invariant, check: (context: C) => O.Option<Violation>, context: C): Violation | null {
  try {
    const found = check(context)
    return O.isSome(found) ? found.value : null
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return { invariant: invariant.id, message: `the check cannot read this state: ${message}`, witness: { error: message } }
  }
}

/** Collects verdicts invariant by invariant, keeping each one's first violation. */
class Verdicts {
  private readonly first = new Map<InvariantId, FoundViolation>()
  private readonly counts = new Map<InvariantId, number>()

  record(violation: Violation | null, step: number | null): void {
    if (violation === null) return
    if (!this.first.has(violation.invariant)) this.first.set(violation.invariant, { message: violation.message, witness: violation.witness, step })
    this.counts.set(violation.invariant, (this.counts.get(violation.invariant) ?? 0) + 1)
  }

  results(applicable: (invariant: Invariant) => boolean): InvariantResult[] {
    return INVARIANTS.map((invariant) => {
      const violation = this.first.get(invariant.id) ?? null
      const status = !applicable(invariant) ? 'not-applicable' : violation === null ? 'pass' : 'fail'
      return { id: invariant.id, statement: invariant.statement, scope: invariant.scope, status, violation, count: this.counts.get(invariant.id) ?? 0 }
    })
  }
}

function checkStateInto(verdicts: Verdicts, state: KernelState, at: number | null): void {
  for (const invariant of INVARIANTS) {
    if (invariant.scope === 'state') verdicts.record(runCheck(invariant, invariant.check, state), at)
  }
}

function checkStepInto(verdicts: Verdicts, context: StepContext, at: number): void {
  checkStateInto(verdicts, context.after, at)
  for (const invariant of INVARIANTS) {
    if (invariant.scope === 'step') verdicts.record(runCheck(invariant, invariant.check, context), at)
  }
}

/** Every invariant on a lone state; invariants of transitions are not applicable. @public */
export function auditStateInvariants(state: KernelState): InvariantResult[] {
  const verdicts = new Verdicts()
  checkStateInto(verdicts, state, null)
  return verdicts.results((invariant) => invariant.scope === 'state')
}

/** A trace replayed for an audit. @public */
export interface TraceRun {
  readonly invariants: ReadonlyArray<InvariantResult>
  /** The state after the last step run (the boot state when none ran). */
  readonly state: KernelState
  /** The boot state. */
  readonly bootState: KernelState
  /** Steps run (the boot not counted). */
  readonly steps: number
}

/**
 * Replays `trace` on the model, its first `stepCount` steps (all by default),
 * checking every state invariant in the boot state and after each step and every
 * step invariant on each transition. An exception of the model itself propagates:
 * that is a bug in the model, not a finding about the trace. `stepWith`: the
 * step function to replay with (the model's; a copy of it, such as a model
 * mutant's, to audit what it does).
 * @public
 */
export function auditTraceInvariants(trace: Trace, stepCount = trace.steps.length, stepWith: typeof step = step): TraceRun {
  const verdicts = new Verdicts()
  const bootState = boot(trace.boot, trace.images)
  checkStateInto(verdicts, bootState, BOOT_STEP)
  let state = bootState
  for (const [index, traceStep] of trace.steps.slice(0, stepCount).entries()) {
    const next = stepWith(state, traceStep.syscall)
    checkStepInto(verdicts, { before: state, syscall: traceStep.syscall, outcome: next.outcome, after: next.state }, index)
    state = next.state
  }
  return { invariants: verdicts.results(() => true), state, bootState, steps: Math.min(stepCount, trace.steps.length) }
}

/** The state after the first `stepCount` steps of `trace` (0: the boot state), without checking anything. @public */
export function traceStateAt(trace: Trace, stepCount: number): KernelState {
  let state = boot(trace.boot, trace.images)
  for (const traceStep of trace.steps.slice(0, stepCount)) state = step(state, traceStep.syscall).state
  return state
}
