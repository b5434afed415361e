/**
 * Running suites with fast-check: seeds, run counts, time limits, shards, coverage,
 * shrinking (fast-check's, then `minimize`), and the counterexample of a failure.
 * No printing here: progress goes to a callback, results come back as data.
 * @module
 */
import fc from 'fast-check'
import { Coverage, type CoverageJson } from './coverage.js'
import { minimize } from './minimize.js'
import { SUITES } from './registry.js'
import { SUITE_NAMES, scenarioSteps, type SuiteFailure, type SuiteName } from './suite.js'
import type { RefinementTarget } from '../refinement/target.js'
import { InputError } from '../spec/decode.js'
import type { UserProperty } from './user/define.js'
import { PropertyWatch, propertyFailure, reachHook, type UserPropertyTally } from './user/watch.js'

/** What `runCheck` runs: the suites, their runs and seed, and the kernel checked. @public */
export interface CheckOptions {
  readonly suites: ReadonlyArray<SuiteName>
  readonly runs: number
  readonly seed: number
  readonly maxSteps: number
  /**
   * Time budget. {@link runCheck} (and each worker of `sila check`) shares it
   * among the suites it runs, one after another: each suite, when it starts,
   * gets what is left divided by the suites left, so time a quick suite does not
   * use goes to the next. {@link runSuite} alone: that suite's budget.
   */
  readonly timeLimitMs?: number
  /** Shard `index` of `count` runs a disjoint slice of seeds. */
  readonly shard?: { readonly index: number; readonly count: number }
  readonly target: RefinementTarget
  /** Scenarios to try before generating (the counterexample store). */
  readonly stored?: ReadonlyArray<{ readonly suite: string; readonly scenario: unknown[] }>
  readonly onProgress?: (progress: { suite: SuiteName; runsDone: number; runsTotal: number; steps: number; coverage: CoverageJson }) => void
  /** Told once, as soon as a failing scenario is found (before shrinking): an interrupted run still keeps it. */
  readonly onFailureFound?: (found: { suite: SuiteName; seed: number; scenario: unknown[]; failure: SuiteFailure }) => void
  /**
   * fast-check's path of one case (`counterexamplePath` of a failure): run exactly
   * that case of the suite's seed, and no stored scenario first.
   */
  readonly path?: string
  /** The catalogue invariants checked (`--invariant`); absent: every one each suite is about. */
  readonly catalogue?: ReadonlyArray<string>
  /**
   * The user's properties (`--props`), asked of every model state the suites
   * refinement, invariants, isolation, quota, robustness and pipeline reach: a broken
   * `always` is a counterexample, a reached `sometimes` a witness.
   */
  readonly properties?: ReadonlyArray<UserProperty>
  /**
   * Stop at the first failing run and keep it unshrunk; no stored scenario first.
   * A quick yes/no (`sila check --fail-fast`, the oracle of mutation testing).
   */
  readonly failFast?: boolean
  /**
   * Told as each scenario starts: its suite and, for a generated run, fast-check's
   * run index (`THE_GIVEN_PATH` for the one case of `path`; `NOT_A_RUN`
   * for a stored scenario, shrinking or a witness). `sila check`'s watchdog keeps
   * it (checker/watchdog.ts).
   */
  readonly onRun?: (suite: SuiteName, run: number) => void
}

/** {@link CheckOptions.onRun}'s run for a scenario that is not a generated run (a stored scenario, shrinking, a witness). */
export const NOT_A_RUN = -1
/** {@link CheckOptions.onRun}'s run for the one case of `path`. */
export const THE_GIVEN_PATH = -2

/** A found failure, shrunk (unless the run was fail-fast). */
export interface CounterExample {
  readonly suite: SuiteName
  readonly seed: number
  /** fast-check's replay path ('' when it came from the store). */
  readonly path: string
  readonly scenario: unknown[]
  readonly failure: SuiteFailure
  /** The steps the scenario named before it was shrunk (as `exampleSteps` counts them after). */
  readonly lengthBefore: number
  readonly fromStore: boolean
  /** The kernel (or a user property) did not answer within `--step-timeout`: the run under way, unshrunk, not stored (a later check would replay it first and wait the timeout). */
  readonly stalled?: boolean
}

/** How many steps a counterexample's (or witness's) scenario names: its length, but for a systems scenario's configuration (suite.ts {@link scenarioSteps}). */
export function exampleSteps(example: CounterExample): number {
  return scenarioSteps(SUITES[example.suite], example.scenario)
}

/** One suite's run: how many runs, how long, its coverage, and its shrunk counterexample, if it failed. @public */
export interface SuiteResult {
  readonly suite: SuiteName
  readonly seed: number
  readonly runs: number
  readonly interrupted: boolean
  readonly durationMs: number
  readonly coverage: CoverageJson
  readonly counterexample: CounterExample | null
  /** With user properties: what this suite found out about each, in the order given. */
  readonly properties?: ReadonlyArray<UserPropertyTally>
  /** With `sometimes` properties: for each one reached, its shrunk witness (`failure.invariant` names it). */
  readonly witnesses?: ReadonlyArray<CounterExample>
}

/** The seed a shard uses for a suite: deterministic, disjoint across suites and shards. */
export function suiteSeed(seed: number, suiteIndex: number, shardIndex = 0): number {
  return (seed + suiteIndex * 1_000_003 + shardIndex * 7_919) | 0
}

/** The fast-check seed suite `name` runs with for the run's `seed` (and shard): what its results record, and what an interrupted run records too. */
export function seedOfSuite(seed: number, name: SuiteName, shard?: CheckOptions['shard']): number {
  return suiteSeed(seed, SUITE_NAMES.indexOf(name), shard?.index ?? 0)
}

function runsForShard(runs: number, shard: CheckOptions['shard']): number {
  if (shard === undefined) return runs
  return Math.floor(runs / shard.count) + (shard.index < runs % shard.count ? 1 : 0)
}

/** Runs one suite. */
export function runSuite(name: SuiteName, options: CheckOptions): SuiteResult {
  const suite = SUITES[name]
  const started = Date.now()
  const coverage = new Coverage()
  const watch = options.properties === undefined || options.properties.length === 0 ? null : new PropertyWatch(options.properties)
  const base = { target: options.target, ...(options.catalogue === undefined ? {} : { catalogue: options.catalogue }) }
  const context = { ...base, coverage, user: watch?.live ?? null }
  // Stored scenarios, shrinking and re-checks: nothing counted.
  const quiet = { ...base, coverage: null, user: watch?.quiet ?? null }
  const seed = seedOfSuite(options.seed, name, options.shard)
  const userResults = () => (watch === null ? {} : { properties: watch.tallies(), witnesses: witnessesOf(name, seed, watch, base, options.onRun) })
  for (const stored of options.path === undefined && options.failFast !== true ? options.stored ?? [] : []) {
    if (stored.suite !== name || suite.stores?.(stored.scenario) === false) continue
    options.onRun?.(name, NOT_A_RUN)
    const failure = suite.check(stored.scenario, quiet)
    if (failure !== null) {
      const shrunk = minimize(suite, stored.scenario, failure, quiet)
      return { suite: name, seed, runs: 0, interrupted: false, durationMs: Date.now() - started, coverage: coverage.toJson(), counterexample: { suite: name, seed, path: '', ...shrunk, lengthBefore: scenarioSteps(suite, stored.scenario), fromStore: true }, ...userResults() }
    }
  }
  const runsTotal = runsForShard(options.runs, options.shard)
  let failed: { scenario: unknown[]; failure: SuiteFailure } | null = null
  // The user's kernel could not be created (an input error, exit 2): not a property failure to shrink.
  let refused: InputError | null = null
  let lastProgress = 0
  let runIndex = 0
  const onRun = options.onRun
  const property = fc.property(suite.scenario(options.maxSteps), (scenario) => {
    if (refused !== null) return true
    const live = failed === null
    if (onRun !== undefined) onRun(name, !live ? NOT_A_RUN : options.path !== undefined ? THE_GIVEN_PATH : runIndex++)
    let failure: SuiteFailure | null
    try {
      failure = suite.check(scenario, live ? context : quiet)
    } catch (error) {
      if (!(error instanceof InputError)) throw error
      refused = error
      return true
    }
    if (live) {
      watch?.endRun(scenario)
      coverage.endRun()
      const now = Date.now()
      if (options.onProgress !== undefined && now - lastProgress > 250) {
        lastProgress = now
        options.onProgress({ suite: name, runsDone: coverage.runs, runsTotal, steps: coverage.steps, coverage: coverage.toJson() })
      }
    }
    if (failure !== null && failed === null) options.onFailureFound?.({ suite: name, seed, scenario: [...scenario], failure })
    if (failure !== null) failed = { scenario: [...scenario], failure }
    return failure === null
  })
  // fast-check stops starting runs past the budget (a run under way finishes: --max-steps bounds it).
  const timeShare = options.timeLimitMs === undefined ? undefined : Math.max(1, Math.floor(options.timeLimitMs))
  let details: fc.RunDetails<[unknown[]]>
  try {
    details = fc.check(property, {
      numRuns: Math.max(1, runsTotal), seed, ...(options.path === undefined ? {} : { path: options.path }),
      ...(options.failFast === true ? { endOnFailure: true } : {}),
      ...(timeShare === undefined ? {} : { interruptAfterTimeLimit: timeShare, skipAllAfterTimeLimit: timeShare * 2 }),
    })
  } catch (error) {
    // fast-check cannot walk a path its seed's runs do not have: the flag is wrong, not sila.
    if (options.path !== undefined && /Unable to replay/.test(String(error))) throw pathRefused(options.path, name, options)
    throw error
  }
  if (refused !== null) throw refused
  if (options.path !== undefined && coverage.runs === 0 && !details.failed) throw pathRefused(options.path, name, options)
  let counterexample: CounterExample | null = null
  if (details.failed && details.counterexample !== null) {
    const scenario = details.counterexample[0] as unknown[]
    options.onRun?.(name, NOT_A_RUN)
    const failure = suite.check(scenario, quiet) ?? (failed as { failure: SuiteFailure } | null)?.failure
    if (failure !== undefined && failure !== null && options.failFast === true) {
      counterexample = { suite: name, seed, path: details.counterexamplePath ?? '', scenario, failure, lengthBefore: scenarioSteps(suite, scenario), fromStore: false }
    } else if (failure !== undefined && failure !== null) {
      const shrunk = minimize(suite, scenario, failure, quiet)
      counterexample = { suite: name, seed, path: details.counterexamplePath ?? '', ...shrunk, lengthBefore: scenarioSteps(suite, scenario), fromStore: false }
    }
  }
  return { suite: name, seed, runs: coverage.runs, interrupted: details.interrupted, durationMs: Date.now() - started, coverage: coverage.toJson(), counterexample, ...userResults() }
}

/**
 * The witness of each `sometimes` property a run reached: that run's scenario,
 * shrunk (as a counterexample is) while its model still reaches a good state.
 */
function witnessesOf(name: SuiteName, seed: number, watch: PropertyWatch, base: { readonly target: RefinementTarget; readonly catalogue?: ReadonlyArray<string> }, onRun?: CheckOptions['onRun']): CounterExample[] {
  const suite = SUITES[name]
  const found: CounterExample[] = []
  for (const property of watch.properties) {
    const first = watch.firstReached.get(property.name)
    if (property.kind !== 'sometimes' || first === undefined) continue
    onRun?.(name, NOT_A_RUN)
    const context = { ...base, coverage: null, user: reachHook(property) }
    const failure = suite.check(first.scenario, context)
    const shrunk = failure !== null && failure.invariant === property.name
      ? minimize(suite, first.scenario, failure, context)
      // A catalogue failure in the same step came first: the run as it was, up to the good state.
      : { scenario: first.scenario.slice(0, first.step + 1), failure: propertyFailure(property, first.step, { message: 'reached a good state (the run also broke a catalogue invariant there)', detail: {} }) }
    found.push({ suite: name, seed, path: '', ...shrunk, lengthBefore: scenarioSteps(suite, first.scenario), fromStore: false })
  }
  return found
}

/** `--path` naming no case of the suite's runs (a path of another seed, suite, shard or --max-steps): the input refused, exit 2. */
function pathRefused(path: string, name: SuiteName, options: CheckOptions): InputError {
  const shown = path.length > 60 ? `${path.slice(0, 57)}...` : path
  return new InputError('--path', [`${shown} names no case of ${name} with --seed ${options.seed} and --max-steps ${options.maxSteps}${options.shard === undefined ? '' : ` (shard ${options.shard.index}/${options.shard.count})`}: give the seed, suite, shard and --max-steps of the run that printed it (its 'rerun it:' line)`])
}

/** Runs the suites in order; every suite runs even after another fails. The time budget is shared as {@link CheckOptions.timeLimitMs} says. */
export function runCheck(options: CheckOptions): SuiteResult[] {
  return runSuitesInTurn(options.suites, options)
}

/**
 * Runs `names` one after another with `options`, each with its share of the
 * time budget: what is left of it when the suite starts, divided by the suites
 * left (so a share a suite does not use goes to the next ones). `onResult` is
 * told each result as it comes.
 */
export function runSuitesInTurn(names: ReadonlyArray<SuiteName>, options: CheckOptions, onResult?: (result: SuiteResult) => void): SuiteResult[] {
  const deadline = options.timeLimitMs === undefined ? undefined : Date.now() + options.timeLimitMs
  return names.map((name, index) => {
    const share = deadline === undefined ? {} : { timeLimitMs: Math.max(1, (deadline - Date.now()) / (names.length - index)) }
    const result = runSuite(name, { ...options, ...share })
    onResult?.(result)
    return result
  })
}
