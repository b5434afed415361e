/**
 * The data of a counterexample's step timeline: each step run on the model (or on a
 * seeded-bug copy of it), with the kernel under test stepped in lockstep when one is
 * given, the invariants violated, the outcome a trace recorded, and what the step
 * changed in the model state. No markup here: `page.ts` renders it.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { boot as modelBoot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import type { BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import { checkState, checkStep } from '../../spec/invariants/index.js'
import { type Outcome, type OutcomeJson, outcomeText, outcomeToJson } from '../../spec/results.js'
import { errorText } from '../../spec/errors.js'
import type { KernelUnderTest, RefinementTarget } from '../../refinement/target.js'
import { diffStates, firstDifference } from '../../refinement/diff.js'
import { abstractOrUnreadable } from '../../refinement/lockstep.js'
import { callerText, syscallText } from '../stepText.js'
import { canonicalJson, NOT_STEPPED, type Unanswered } from '../replay.js'
import { stateChanges, valueText, type StateChange } from './diff.js'

/** A transition function: the model's `step`, or a seeded-bug copy of it. */
export type StepFunction = (state: KernelState, syscall: unknown) => { state: KernelState; outcome: Outcome }

/** One step of the timeline. */
export interface TimelineStep {
  readonly index: number
  readonly caller: string
  readonly syscall: string
  /** The syscall's kind (`malformed` when it has none). */
  readonly kind: string
  readonly malformed: boolean
  /** The model's answer, as text, and whether it succeeded. */
  readonly model: string
  readonly modelOk: boolean
  /** The model's error code (with the resource for QuotaExceeded), when it refused. */
  readonly error: string | null
  /** The kernel's answer in lockstep, or null without a kernel. */
  readonly kernel: string | null
  /** Whether the kernel answered exactly as the model did (null without a kernel). */
  readonly kernelAgrees: boolean | null
  /** The outcome the trace recorded, when it differs from the model's. */
  readonly mismatch: string | null
  /** The first difference of the kernel's abstract state from the model's, at the first step it appears. */
  readonly divergence: { readonly path: string; readonly model: string; readonly kernel: string } | null
  readonly violated: ReadonlyArray<string>
  readonly changes: ReadonlyArray<StateChange>
  /** Changes past the list's limit. */
  readonly moreChanges: number
  /** This is the step the failure is reported at. */
  readonly failing: boolean
}

export interface Timeline {
  readonly steps: ReadonlyArray<TimelineStep>
  /** Invariants violated in the boot state. */
  readonly bootViolated: ReadonlyArray<string>
  /** Index of the failing step, or null. */
  readonly failingStep: number | null
  /** What the timeline's model column is (`model`, `model with mutant …`). */
  readonly modelName: string
  /** The kernel stepped in lockstep, or null. */
  readonly kernelName: string | null
  readonly bootState: KernelState
  readonly finalState: KernelState
}

export interface TimelineInput {
  readonly boot: BootConfig
  readonly images: ReadonlyArray<ImageRecord>
  readonly steps: ReadonlyArray<{ readonly syscall: unknown; readonly outcome?: OutcomeJson }>
  /** Step this kernel in lockstep. */
  readonly target?: RefinementTarget
  /** The transition function (default: the model's). */
  readonly step?: StepFunction
  readonly modelName?: string
  /** The step the failure is reported at; default: the first step with a violation, a disagreement or a mismatch. */
  readonly failingStep?: number | null
  /** Limit of changes listed per step. */
  readonly changesMax?: number
  /** The kernel call known not to return (replay's watchdog): the kernel is handed nothing from there on. */
  readonly unanswered?: Unanswered
}

function kindOf(syscall: unknown): string {
  return typeof syscall === 'object' && syscall !== null && typeof (syscall as { kind?: unknown }).kind === 'string' ? (syscall as { kind: string }).kind : 'malformed'
}

/** Runs the steps and records everything the page shows. Total: a throwing model step ends the timeline there. */
export function buildTimeline(input: TimelineInput): Timeline {
  const stepOf = input.step ?? modelStep
  const bootState = modelBoot(input.boot, input.images)
  let kernel: KernelUnderTest | null = null
  let kernelError: string | null = null
  const cut = input.unanswered
  if (cut?.where === 'create') kernelError = 'its boot (create) did not answer'
  else try { kernel = input.target?.create(input.boot, input.images) ?? null } catch (error) { kernelError = String(error) }
  let diverged = false
  let state = bootState
  const steps: TimelineStep[] = []
  for (const [index, traced] of input.steps.entries()) {
    let next: { state: KernelState; outcome: Outcome }
    try { next = stepOf(state, traced.syscall) } catch { break }
    const violations = checkStep({ before: state, syscall: traced.syscall, outcome: next.outcome, after: next.state })
    let kernelText: string | null = null
    let kernelAgrees: boolean | null = null
    let divergence: TimelineStep['divergence'] = null
    if (kernel !== null && cut !== undefined && (index > cut.step || (index === cut.step && cut.where === 'step'))) {
      // Past the call that did not return, nothing is handed to the kernel; that call's step is a disagreement.
      kernelText = index === cut.step ? 'no answer' : NOT_STEPPED
      kernelAgrees = index === cut.step ? false : null
    } else if (kernel !== null) {
      let answer: Outcome | null = null
      try { answer = kernel.step(traced.syscall) } catch (error) { kernelText = `threw ${String(error)}` }
      if (answer !== null) {
        kernelText = outcomeText(answer)
        kernelAgrees = firstDifference('outcome', next.outcome, answer) === null
        if (!diverged && kernelAgrees && input.target !== undefined && cut?.where === 'abstract' && index === cut.step) {
          // The abstraction that did not return is not asked again.
          divergence = { path: 'abstraction', model: 'an abstract state', kernel: 'no answer' }
          diverged = true
        } else if (!diverged && kernelAgrees && input.target !== undefined) {
          const read = abstractOrUnreadable(input.target, kernel)
          const difference = 'unreadable' in read ? null : diffStates(next.state, read.state, input.target.abstraction.ghosts)
          if ('unreadable' in read) divergence = { path: 'abstraction', model: 'a state the abstraction can read', kernel: `unreadable: ${read.unreadable}` }
          else if (difference !== null) divergence = { path: difference.path, model: valueText(difference.model), kernel: valueText(difference.kernel) }
          diverged = divergence !== null
        }
      } else kernelAgrees = false
    } else if (kernelError !== null) {
      kernelText = `could not start: ${kernelError}`
    }
    const actual = outcomeToJson(next.outcome)
    const mismatch = traced.outcome !== undefined && canonicalJson(traced.outcome) !== canonicalJson(actual) ? recordedText(traced.outcome) : null
    const { changes, more } = stateChanges(state, next.state, input.changesMax ?? 60)
    steps.push({
      index, caller: callerText(traced.syscall), syscall: syscallText(traced.syscall), kind: kindOf(traced.syscall),
      malformed: kindOf(traced.syscall) === 'malformed', model: outcomeText(next.outcome), modelOk: E.isRight(next.outcome),
      error: E.isLeft(next.outcome) ? errorText(next.outcome.left) : null,
      kernel: kernelText, kernelAgrees, mismatch, divergence, violated: [...new Set(violations.map((v) => v.invariant))],
      changes, moreChanges: more, failing: false,
    })
    state = next.state
  }
  const flagged = steps.find((s) => s.violated.length > 0 || s.kernelAgrees === false || s.divergence !== null || s.mismatch !== null)?.index ?? null
  const wanted = input.failingStep === undefined ? flagged : input.failingStep
  const failingStep = wanted !== null && wanted >= 0 && wanted < steps.length ? wanted : flagged
  return {
    steps: steps.map((s) => (s.index === failingStep ? { ...s, failing: true } : s)),
    bootViolated: [...new Set(checkState(bootState).map((v) => v.invariant))],
    failingStep,
    modelName: input.modelName ?? 'model',
    kernelName: input.target?.name ?? null,
    bootState,
    finalState: state,
  }
}

function recordedText(outcome: OutcomeJson): string {
  return outcomeText((outcome.ok ? E.right(outcome.reply) : E.left(outcome.error)) as Outcome)
}
