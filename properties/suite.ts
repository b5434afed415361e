/**
 * What a property suite is: a generator of scenarios (lists of syscalls, or of
 * lane-tagged syscalls for noninterference) and a check that runs one scenario and
 * returns the first failure, if any. Suites are plain values; the runner
 * (`properties/run.ts`) drives fast-check, shrinking and reporting.
 * @module
 */
import type fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import type { Outcome } from '../spec/results.js'
import type { StateDifference, RefinementTarget } from '../refinement/target.js'
import type { Violation, InvariantId } from '../spec/invariants/types.js'
import type { Coverage } from './coverage.js'
import type { KernelState } from '../model/state.js'
import type { BootConfig } from '../spec/boot.js'
import type { ImageRecord } from '../spec/images.js'
import { IMAGE_POOL, PROPERTY_BOOT } from './pool.js'

/** The property suites, in the order `sila check` runs them. @public */
export const SUITE_NAMES = ['refinement', 'invariants', 'isolation', 'quota', 'noninterference', 'robustness', 'pipeline', 'update', 'systems'] as const
/** One of {@link SUITE_NAMES}. @public */
export type SuiteName = (typeof SUITE_NAMES)[number]

/** The first thing that went wrong in a scenario. */
export interface SuiteFailure {
  /** Index of the failing step in the scenario (-1: at boot). */
  readonly step: number
  readonly message: string
  /** A catalogue invariant, a relation (REF-1, NI-1, ROBUST), or a user property's name (`says` then holds its sentence). */
  readonly invariant?: InvariantId | 'REF-1' | 'NI-1' | 'ROBUST' | (string & {})
  /** A user property's sentence (properties/user/define.ts). */
  readonly says?: string
  /** STALL: the user property that did not return within the step timeout, asked of the state after `step`. */
  readonly stalledProperty?: string
  readonly witness?: unknown
  readonly model?: Outcome
  readonly kernel?: Outcome
  readonly difference?: StateDifference
}

/** What a suite's check may use. */
export interface SuiteContext {
  /** The kernel checked against the model (our impl, or a mutant of it). */
  readonly target: RefinementTarget
  /** Counters to feed, or null while shrinking. */
  readonly coverage: Coverage | null
  /** The catalogue invariants checked (`--invariant`); absent: every one the suite is about. */
  readonly catalogue?: ReadonlyArray<string>
  /**
   * The user's properties (`--props`), asked of every model state the suite reaches:
   * the boot state (step -1) and the state after each step. A failure ends the
   * scenario like a broken invariant (properties/user/watch.ts).
   */
  readonly user?: UserHook | null
}

/** What a suite asks of each model state it reaches: a user property's failure, or null. */
export type UserHook = (state: KernelState, step: number) => SuiteFailure | null

/** A property suite: a generator of scenarios and a check of one scenario. @public */
export interface Suite {
  readonly name: SuiteName
  readonly description: string
  /** The invariants this suite is about (for reports). */
  readonly covers: ReadonlyArray<string>
  /** The fast-check generator of scenarios of at most `maxSteps` steps. */
  scenario(maxSteps: number): fc.Arbitrary<unknown[]>
  /** Runs one scenario; its first failure, or null. */
  check(scenario: ReadonlyArray<unknown>, context: SuiteContext): SuiteFailure | null
  /** The syscalls a scenario runs, in order, as a trace would list them (the failing run's, for two-run suites). */
  executed(scenario: ReadonlyArray<unknown>): unknown[]
  /**
   * The boot configuration and images the executed syscalls run on, as the model
   * sees them (a trace's `boot` and `images`). Absent: the default property boot
   * with the symbolic image pool. The pipeline suite boots from the real signed
   * pool instead, whose digests its scenarios name; the systems suite from the
   * configuration each scenario starts with.
   */
  environment?(scenario?: ReadonlyArray<unknown>): SuiteEnvironment
  /** How many steps a scenario names, for what is printed (absent: its length); a systems scenario's first element is its configuration, not a step. */
  steps?(scenario: ReadonlyArray<unknown>): number
  /** Whether a stored scenario of this suite is one the suite runs now (absent: every one); the systems suite keeps a given system's apart from generated ones'. */
  stores?(scenario: ReadonlyArray<unknown>): boolean
}

/** What a suite's scenarios boot from. */
export interface SuiteEnvironment {
  readonly config: BootConfig
  readonly images: ReadonlyArray<ImageRecord>
}

/**
 * How many steps a suite's executed syscalls have before the ones its scenario
 * names (a failure's `step` counts the scenario's): the noninterference suite's
 * setup runs first; a systems scenario's first element is its configuration,
 * not a step, so it has none.
 */
export function setupSteps(executedLength: number, scenarioLength: number): number {
  return Math.max(0, executedLength - scenarioLength)
}

/** How many steps `scenario` of `suite` names: what "shrunk 5 → 2 steps" counts, as the step table and the trace do. */
export function scenarioSteps(suite: Suite, scenario: ReadonlyArray<unknown>): number {
  return suite.steps?.(scenario) ?? scenario.length
}

/** The boot a suite's scenarios (or this one) run on: its own, or the default property boot. */
export function suiteEnvironment(suite: Suite, scenario?: ReadonlyArray<unknown>): SuiteEnvironment {
  return suite.environment?.(scenario) ?? { config: PROPERTY_BOOT, images: IMAGE_POOL }
}

/** A failure from violations after a step: the first of `only`, and of `chosen` (`--invariant`) when given. */
export function violationFailure(step: number, violations: ReadonlyArray<Violation>, only?: ReadonlyArray<string>, chosen?: ReadonlyArray<string>): SuiteFailure | null {
  const violation = violations.find((v) => (only === undefined || only.includes(v.invariant)) && (chosen === undefined || chosen.includes(v.invariant)))
  return violation === undefined ? null : { step, message: violation.message, invariant: violation.invariant, witness: violation.witness }
}

export function isOk(outcome: Outcome): boolean {
  return E.isRight(outcome)
}
