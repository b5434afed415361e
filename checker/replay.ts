/**
 * Replaying a `sila-trace/1` trace on the model (tooling.md §4): boot from the trace's
 * configuration and image pool, run every step, check the invariant catalogue in the
 * boot state and after every step, and compare each outcome with the one the trace
 * recorded. Pure: it returns a structured result and prints nothing; `sila replay`
 * renders it.
 * @module
 */
import { boot } from '../model/boot.js'
import { step } from '../model/step.js'
import { checkState, checkStep } from '../spec/invariants/index.js'
import type { InvariantId, Violation } from '../spec/invariants/types.js'
import { outcomeText, outcomeToJson, type OutcomeJson } from '../spec/results.js'
import type { Trace } from '../spec/trace.js'
import { callerText, syscallText } from './stepText.js'
import type { KernelUnderTest, RefinementTarget } from '../refinement/target.js'
import { diffStates, firstDifference } from '../refinement/diff.js'
import { abstractOrUnreadable } from '../refinement/lockstep.js'
import type { KernelState } from '../model/state.js'
import type { Outcome } from '../spec/results.js'
import type { StepResult } from '../model/step.js'
import type { UserProperty } from '../properties/user/define.js'
import { bootsRealPool, realPoolTarget } from '../properties/suites/pipeline.js'

/** How to replay. @public */
export interface ReplayOptions {
  /**
   * The step function standing for the model: a model mutant's
   * (`mutants/model-mutants.ts`) to replay on that mutated copy of the model.
   * @defaultValue the model's `step`
   */
  readonly step?: (state: KernelState, syscall: unknown) => StepResult
  /**
   * The user's properties (`--props`), asked of the boot state and of the state
   * after every step: a broken `always` fails the replay like an invariant; a
   * reached `sometimes` is reported, and fails nothing.
   */
  readonly properties?: ReadonlyArray<UserProperty>
  /**
   * The kernel call known not to return (`sila replay`'s watchdog found it
   * first, on another thread: replay-watch.ts): it and everything after it are
   * not handed to the kernel, and the replay reports it as the kernel's
   * divergence (`unanswered`). The model steps the whole trace as ever.
   */
  readonly unanswered?: Unanswered
  /**
   * The user properties known not to return (the watchdog found them first, on
   * another thread: replay-watch.ts), each with the state it was asked of: it
   * is not asked there nor after, and its finding is `no answer` at that step,
   * which fails the replay (a property must answer, as the kernel must).
   */
  readonly stalled?: ReadonlyArray<PropertyStall>
  /** Told before the user properties are asked of the boot state ({@link BOOT_STEP}) and of the state after each step (its index): the watchdog's count. */
  readonly asking?: (step: number) => void
}

/** A user property that did not return within `timeoutMs`, asked of the state after `step` ({@link BOOT_STEP}: the boot state). @public */
export interface PropertyStall {
  readonly property: string
  readonly step: number
  readonly timeoutMs: number
}

/** A kernel call that did not return within `timeoutMs`: its boot (`create`), a trace step's `step`, or the abstraction after it (`abstract`; at boot: step {@link BOOT_STEP}). @public */
export interface Unanswered {
  readonly where: 'create' | 'step' | 'abstract'
  readonly step: number
  readonly timeoutMs: number
}

/** The kernel column of a row after the kernel's unanswered call: the kernel was not stepped. @public */
export const NOT_STEPPED = 'not stepped'

/** What a replay found out about one user property: where it first broke (`always`) or was reached (`sometimes`). @public */
export interface ReplayProperty {
  readonly name: string
  readonly says: string
  readonly kind: 'always' | 'sometimes'
  /** `always`: `held` or `violated`; `sometimes`: `reached` or `not reached`; either: `no answer` (its code did not return, {@link ReplayOptions.stalled}). */
  readonly status: 'held' | 'violated' | 'reached' | 'not reached' | 'no answer'
  /** The first step where it broke or was reached ({@link BOOT_STEP}: the boot state); null if none. */
  readonly step: number | null
  readonly message: string | null
  readonly witness: unknown
}

/** The step index that stands for the boot state. @public */
export const BOOT_STEP = -1

/** One line of the step table. @public */
export interface ReplayRow {
  /** Step index in the trace, or {@link BOOT_STEP}. */
  readonly step: number
  readonly caller: string
  readonly syscall: string
  /** The step is marked `malformed` in the trace. */
  readonly malformed: boolean
  /** What the model answered; null for the boot row. */
  readonly outcome: OutcomeJson | null
  /** {@link outcomeText} of the outcome, `booted` for the boot row. */
  readonly result: string
  /** The outcome the trace recorded, if it recorded one. */
  readonly expected: OutcomeJson | null
  readonly mismatch: boolean
  /** Ids of the invariants violated in this state or transition, in catalogue order of discovery. */
  readonly violated: ReadonlyArray<InvariantId>
  /** The user properties broken (`always`) or satisfied (`sometimes`) in this state, or that did not answer asked of it. */
  readonly user: ReadonlyArray<string>
  /** With a kernel in lockstep: `=` when it answered as the model did, else its answer; null without one. */
  readonly kernel: string | null
}

/** The first step where the kernel in lockstep disagreed with the model (REF-1). @public */
export interface ReplayDivergence {
  readonly step: number
  /**
   * What differed: the outcome, or the abstract state after the step;
   * `unreadable`: the abstraction could not read the kernel's state (`kernel`
   * says what); `unanswered`: a kernel call did not return (`path`: create,
   * step or abstraction).
   */
  readonly what: 'outcome' | 'state' | 'exception' | 'unreadable' | 'unanswered'
  readonly path: string
  readonly model: unknown
  readonly kernel: unknown
}

/** A violation and where it happened. @public */
export interface ReplayViolation extends Violation {
  readonly step: number
}

/** A step whose outcome differs from the recorded one. @public */
export interface ReplayMismatch {
  readonly step: number
  readonly expected: OutcomeJson
  readonly actual: OutcomeJson
}

/** The model threw while stepping: a bug in the model, not a finding about the trace. @public */
export interface ReplayCrash {
  readonly step: number
  readonly message: string
  readonly stack: string | undefined
}

/** Everything a replay found. `status` is `ok` only if every invariant held and every outcome matched. @public */
export interface ReplayResult {
  readonly status: 'ok' | 'failed' | 'crashed'
  readonly description: string | null
  /** Steps run, the boot not counted. */
  readonly stepCount: number
  readonly rows: ReadonlyArray<ReplayRow>
  readonly violations: ReadonlyArray<ReplayViolation>
  readonly mismatches: ReadonlyArray<ReplayMismatch>
  readonly crash: ReplayCrash | null
  /** The first divergence of the kernel stepped in lockstep, if one was given and it diverged. */
  readonly divergence: ReplayDivergence | null
  /** With user properties ({@link ReplayOptions.properties}): each one's finding, in the order given. */
  readonly properties?: ReadonlyArray<ReplayProperty>
  /** The kernel call that did not return ({@link ReplayOptions.unanswered}), when the watchdog found one. */
  readonly unanswered?: Unanswered
}

/** The divergence of a kernel call that did not return. */
function unansweredDivergence(unanswered: Unanswered, model: unknown): ReplayDivergence {
  const path = unanswered.where === 'abstract' ? 'abstraction' : unanswered.where
  return { step: unanswered.step, what: 'unanswered', path, model, kernel: `no answer within ${(unanswered.timeoutMs / 1000).toLocaleString('en')} s` }
}

/**
 * Steps the kernel in lockstep and reports how it compares with the model's
 * step. At the `unanswered` call: not stepped (its step), or only the outcome
 * compared (the abstraction after it).
 */
function kernelStep(target: RefinementTarget, kernel: KernelUnderTest, syscall: unknown, outcome: Outcome, after: KernelState, index: number, unanswered?: Unanswered): { text: string; divergence: ReplayDivergence | null } {
  if (unanswered?.where === 'step' && unanswered.step === index) return { text: 'no answer', divergence: unansweredDivergence(unanswered, outcomeToJson(outcome)) }
  let answer: Outcome
  try {
    answer = kernel.step(syscall)
  } catch (error) {
    return { text: 'threw', divergence: { step: index, what: 'exception', path: 'step', model: outcomeToJson(outcome), kernel: String(error) } }
  }
  const outcomeDifference = firstDifference('outcome', outcome, answer)
  if (outcomeDifference !== null) return { text: outcomeText(answer), divergence: { step: index, what: 'outcome', ...outcomeDifference } }
  if (unanswered?.where === 'abstract' && unanswered.step === index) return { text: '= (abstraction: no answer)', divergence: unansweredDivergence(unanswered, 'an abstract state') }
  const read = abstractOrUnreadable(target, kernel)
  if ('unreadable' in read) return { text: '= (state unreadable)', divergence: { step: index, what: 'unreadable', path: 'abstraction', model: 'a state the abstraction can read', kernel: read.unreadable } }
  const stateDifference = diffStates(after, read.state, target.abstraction.ghosts)
  return { text: stateDifference === null ? '=' : '= (state differs)', divergence: stateDifference === null ? null : { step: index, what: 'state', ...stateDifference } }
}

/**
 * The kernel a trace's steps are replayed on: `target`, but for a counterexample
 * of the pipeline suite (its failure's property, on the real pool's boot and
 * records) `target` booted from the pool's real bytes as the suite booted it
 * (properties/suites/pipeline.ts `realPoolTarget`): the records carry only
 * verdicts, and a kernel that verifies bytes wrongly agrees with the model on
 * them. Every replay on a kernel (sila replay, the step table of sila check,
 * the exported regression test) goes through it.
 * @public
 */
export function traceKernelTarget(target: RefinementTarget, trace: Trace): RefinementTarget {
  return suiteKernelTarget(target, trace.failure?.property, trace.boot, trace.images)
}

/** {@link traceKernelTarget} for a run of suite (or property) `suite` on `config` and `images`. @public */
export function suiteKernelTarget(target: RefinementTarget, suite: string | undefined, config: Trace['boot'], images: ReadonlyArray<Trace['images'][number]>): RefinementTarget {
  return suite === 'pipeline' && bootsRealPool(config, images) ? realPoolTarget(target) : target
}

/**
 * Replays `trace` on the model (or on the copy of it `options.step` stands for),
 * and with `target` also steps that kernel in lockstep, comparing its outcomes and
 * abstract states (REF-1). Every step runs
 * even after a violation, mismatch or divergence, so the table shows the whole
 * trace; only a crash of the model stops it.
 * @public
 */
export function replayTrace(trace: Trace, target?: RefinementTarget, options: ReplayOptions = {}): ReplayResult {
  const stepOf = options.step ?? step
  target = target === undefined ? undefined : traceKernelTarget(target, trace)
  const rows: ReplayRow[] = []
  const violations: ReplayViolation[] = []
  const mismatches: ReplayMismatch[] = []
  const { unanswered } = options
  const kernel = unanswered?.where === 'create' ? undefined : target?.create(trace.boot, trace.images)
  let divergence: ReplayDivergence | null = null
  let state = boot(trace.boot, trace.images)
  /** The kernel's text at boot, when its boot or the abstraction of it did not return. */
  let bootText: string | null = null
  if (unanswered !== undefined && unanswered.step === BOOT_STEP && target !== undefined) {
    divergence = unansweredDivergence(unanswered, unanswered.where === 'create' ? 'a booted kernel' : 'an abstract state')
    bootText = unanswered.where === 'create' ? 'no answer (create)' : 'no answer (abstraction)'
  } else if (target !== undefined && kernel !== undefined) {
    const read = abstractOrUnreadable(target, kernel)
    const atBoot = 'unreadable' in read ? null : diffStates(state, read.state, target.abstraction.ghosts)
    if ('unreadable' in read) divergence = { step: BOOT_STEP, what: 'unreadable', path: 'abstraction', model: 'a state the abstraction can read', kernel: read.unreadable }
    else if (atBoot !== null) divergence = { step: BOOT_STEP, what: 'state', ...atBoot }
  }
  const watched = new PropertyFindings(options.properties ?? [], options.stalled ?? [], options.asking)
  const bootViolations = checkState(state)
  violations.push(...bootViolations.map((violation) => ({ ...violation, step: BOOT_STEP })))
  rows.push({
    step: BOOT_STEP, caller: '-', syscall: '-', malformed: false, outcome: null, result: 'booted', expected: null,
    mismatch: false, violated: violatedIds(bootViolations), user: watched.observe(state, BOOT_STEP),
    kernel: bootText ?? (kernel === undefined ? null : divergence === null ? '=' : divergence.what === 'exception' ? 'abstraction threw' : 'state differs'),
  })
  /** Steps past the unanswered call are not handed to the kernel. */
  const stepped = (index: number) => unanswered === undefined || index <= unanswered.step
  for (const [index, traceStep] of trace.steps.entries()) {
    let next
    try {
      next = stepOf(state, traceStep.syscall)
    } catch (error) {
      const crash = { step: index, message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined }
      return { status: 'crashed', description: trace.description ?? null, stepCount: index, rows, violations, mismatches, crash, divergence, ...watched.result(), ...(unanswered === undefined ? {} : { unanswered }) }
    }
    // checkStep checks the state invariants on the new state, then the step invariants.
    const found = checkStep({ before: state, syscall: traceStep.syscall, outcome: next.outcome, after: next.state })
    violations.push(...found.map((violation) => ({ ...violation, step: index })))
    const actual = outcomeToJson(next.outcome)
    const expected = traceStep.outcome ?? null
    const mismatch = expected !== null && !sameOutcome(expected, actual)
    if (mismatch) mismatches.push({ step: index, expected, actual })
    const compared = target === undefined || (kernel === undefined && bootText === null) ? null
      : kernel === undefined || !stepped(index) ? { text: NOT_STEPPED, divergence: null }
        : kernelStep(target, kernel, traceStep.syscall, next.outcome, next.state, index, unanswered)
    if (divergence === null && compared?.divergence) divergence = compared.divergence
    rows.push({
      step: index, caller: callerText(traceStep.syscall), syscall: syscallText(traceStep.syscall), malformed: traceStep.malformed === true,
      outcome: actual, result: outcomeText(next.outcome), expected, mismatch, violated: violatedIds(found), user: watched.observe(next.state, index), kernel: compared?.text ?? null,
    })
    state = next.state
  }
  const status = violations.length === 0 && mismatches.length === 0 && divergence === null && !watched.broken() ? 'ok' : 'failed'
  return { status, description: trace.description ?? null, stepCount: trace.steps.length, rows, violations, mismatches, crash: null, divergence, ...watched.result(), ...(unanswered === undefined ? {} : { unanswered }) }
}

/** The user properties over a replay: the first state each breaks or satisfies. */
class PropertyFindings {
  private readonly first = new Map<string, { step: number; message: string; witness: unknown }>()
  /** The properties that did not return, by name: the step of the state they were asked of. */
  private readonly stalled: ReadonlyMap<string, PropertyStall>
  constructor(private readonly properties: ReadonlyArray<UserProperty>, stalled: ReadonlyArray<PropertyStall>, private readonly asking?: (step: number) => void) {
    this.stalled = new Map(stalled.map((stall) => [stall.property, stall]))
  }

  /** The properties broken or satisfied in `state`, after `step` (one that did not return is not asked there, nor after). */
  observe(state: KernelState, step: number): string[] {
    const names: string[] = []
    this.asking?.(step)
    for (const property of this.properties) {
      const stall = this.stalled.get(property.name)
      if (stall !== undefined && step >= stall.step) {
        // The state it stopped on lists it (the step table marks it unanswered there).
        if (step === stall.step) names.push(property.name)
        continue
      }
      const witness = property.test(state)
      if (witness === null) continue
      names.push(property.name)
      if (!this.first.has(property.name)) this.first.set(property.name, { step, message: witness.message, witness: witness.detail })
    }
    return names
  }

  /** An always property broken, or any property that did not answer. */
  broken(): boolean {
    return this.properties.some((property) => (property.kind === 'always' && this.first.has(property.name)) || this.stalled.has(property.name))
  }

  result(): { properties?: ReplayProperty[] } {
    if (this.properties.length === 0) return {}
    return {
      properties: this.properties.map((property) => {
        const found = this.first.get(property.name)
        const stall = this.stalled.get(property.name)
        // An always property broken before it stopped answering is reported broken (the first failure); otherwise the stall is its finding.
        if (stall !== undefined && !(property.kind === 'always' && found !== undefined)) {
          const message = `did not return within ${(stall.timeoutMs / 1000).toLocaleString('en')} s (--step-timeout), and was not asked again`
          return { name: property.name, says: property.says, kind: property.kind, status: 'no answer', step: stall.step, message, witness: null }
        }
        const status = property.kind === 'always' ? (found === undefined ? 'held' : 'violated') : found === undefined ? 'not reached' : 'reached'
        return { name: property.name, says: property.says, kind: property.kind, status, step: found?.step ?? null, message: found?.message ?? null, witness: found?.witness ?? null }
      }),
    }
  }
}

function violatedIds(violations: ReadonlyArray<Violation>): InvariantId[] {
  return [...new Set(violations.map((violation) => violation.invariant))]
}

/** Equality of JSON values, whatever the order of object keys. */
/**
 * Whether a trace's expected outcome is the one replayed: equal as JSON, except
 * that what kernel.md calls sets (a cap's rights, a container's allowed devices)
 * are compared as sets, so a hand-written `["write", "read"]` expects what the
 * kernel answers as `["read", "write"]`.
 */
export function sameOutcome(expected: OutcomeJson, actual: OutcomeJson): boolean {
  return sameJson(withSetsSorted(expected), withSetsSorted(actual))
}

/** An outcome with its rights and allowed devices sorted and without repeats (a set written twice is the same set). */
function withSetsSorted(outcome: OutcomeJson): OutcomeJson {
  if (!outcome.ok) return outcome
  const reply = outcome.reply
  const set = <T extends string>(items: ReadonlyArray<T>): T[] => [...new Set(items)].sort()
  if (reply.kind === 'cap') return { ok: true, reply: { ...reply, rights: set(reply.rights) } }
  if (reply.kind === 'stats') return { ok: true, reply: { ...reply, limits: { ...reply.limits, devices: set(reply.limits.devices) } } }
  return outcome
}

export function sameJson(left: unknown, right: unknown): boolean {
  return canonicalJson(left) === canonicalJson(right)
}

/** JSON text with object keys sorted, so that equal values have equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item)
}
