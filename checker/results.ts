/**
 * The results file of `sila check` (`sila-check/1`): what one job found, as JSON,
 * so that shards run anywhere can be merged (`sila merge`). It holds no timing, so
 * the same seed gives a byte-identical file on any machine.
 * @module
 */
import * as t from 'io-ts'
import { exampleSteps, type CounterExample, type SuiteResult } from '../properties/run.js'
import { Coverage, type CoverageJson } from '../properties/coverage.js'
import { SUITE_NAMES } from '../properties/suite.js'
import { basename } from 'node:path'
import { InputError } from '../spec/decode.js'
import { intRange } from '../spec/numbers.js'
import { describedAs } from '../spec/exact.js'

export const CHECK_FORMAT = 'sila-check/1'

/** A count: a whole number, never negative (a results file edited or written by another tool is refused where it says otherwise). */
const Count = intRange(0, Number.MAX_SAFE_INTEGER, 'Count')
/** A seed as --seed takes it: fast-check's 32 bits (the suites' own seeds derive from it within them). */
const Seed = intRange(-(2 ** 31), 2 ** 31 - 1, 'Seed')
const Counts = t.record(t.string, Count)
/** A failure's step: its index in the run, or -1 at boot (a kernel whose boot state differs from the model's: properties/suites/robustness.ts, pipeline.ts). */
const FailureStep = intRange(-1, Number.MAX_SAFE_INTEGER, 'Step')
/** A measurement that cannot be negative (a rate, a duration, bytes): finite and at least 0. */
const Measured = describedAs(t.refinement(t.number, (n) => Number.isFinite(n) && n >= 0, 'Measured'), 'a non-negative number')
/** A probability: a number from 0 to 1. */
const Probability = describedAs(t.refinement(t.number, (n) => n >= 0 && n <= 1, 'Probability'), 'a probability, a number from 0 to 1')
const CheckCountsCodec = t.type({ ok: Count, fail: Count, atBound: Count, onePast: Count })
const CoverageCodec = t.intersection([
  t.type({ runs: Count, steps: Count, kindOk: Counts, kindFailed: Counts, errors: Counts, cases: Counts }),
  // pairs: the pairs of checks failed at once (properties/coverage.ts), present when a run met one.
  t.partial({ checks: t.record(t.string, CheckCountsCodec), pairs: Counts }),
])
export const SuiteSummaryCodec = t.type({
  suite: t.keyof(Object.fromEntries(SUITE_NAMES.map((name) => [name, null])) as Record<(typeof SUITE_NAMES)[number], null>),
  seed: Seed,
  runs: Count,
  interrupted: t.boolean,
  coverage: CoverageCodec,
  failure: t.union([t.null, t.type({ invariant: t.string, step: FailureStep, message: t.string, path: t.string, shrunkLength: Count, file: t.union([t.string, t.null]) })]),
})
export type SuiteSummary = t.TypeOf<typeof SuiteSummaryCodec>

/**
 * What a check found out about one user property (`--props`): `held` (an `always`
 * no run broke), `violated` (its counterexample in `file`), `witnessed` (a
 * `sometimes` some run reached: the witness in `file`) or `vacuous` (a `sometimes`
 * no run reached: a warning, not a pass). `states`: model states it was asked of;
 * `runs`: generated runs of the suites that ask it; `runsReached`: those that
 * reached a good state (`sometimes`).
 */
export const PropertySummaryCodec = t.intersection([
  t.type({
    name: t.string, says: t.string, kind: t.keyof({ always: null, sometimes: null }),
    status: t.keyof({ held: null, violated: null, witnessed: null, vacuous: null }),
    states: Count, runs: Count, runsReached: Count, file: t.union([t.string, t.null]),
  }),
  t.partial({ suite: t.string, step: FailureStep, message: t.string }),
])
export type PropertySummary = t.TypeOf<typeof PropertySummaryCodec>

export const CheckResultsCodec = t.intersection([
  t.type({
    format: t.literal(CHECK_FORMAT),
    seed: Seed,
    runs: Count,
    maxSteps: intRange(1, Number.MAX_SAFE_INTEGER, 'MaxSteps'),
    shard: t.union([t.null, t.type({ index: Count, count: intRange(1, Number.MAX_SAFE_INTEGER, 'ShardCount') })]),
    passed: t.boolean,
    suites: t.array(SuiteSummaryCodec),
  }),
  // With --props: the props file as given, and each user property checked.
  // kernel: what was checked (impl, mutant:NAME, file:PATH); absent in files written before it was recorded, which checked the impl.
  // seeds: a merged file of several seeds, each of them (seed is then the first).
  // boot, system: with --boot, the boot file as given and a digest of the system it declares (its configuration and images), which the systems suite checked instead of generated ones.
  t.partial({ props: t.string, properties: t.array(PropertySummaryCodec), kernel: t.string, seeds: t.array(Seed), boot: t.string, system: t.string }),
])
export type CheckResults = t.TypeOf<typeof CheckResultsCodec>

/** A failed suite's result cell: its invariant, the step, and how the counterexample was had (shrunk, from the store, or a stalled run unshrunk). */
export function failedText(example: CounterExample): string {
  const how = example.stalled === true ? `unshrunk ${exampleSteps(example)} steps: ${example.failure.invariant === 'ROBUST' ? 'no answer' : example.failure.stalledProperty !== undefined ? `${example.failure.stalledProperty} did not answer` : 'no progress'}, stopped` : `shrunk ${example.lengthBefore} → ${exampleSteps(example)} steps${example.fromStore ? ', from the store' : ''}`
  return `FAILED ${example.failure.invariant ?? ''} at step ${example.failure.step} (${how})`
}

export function summarize(result: SuiteResult, file: string | null): SuiteSummary {
  const example = result.counterexample
  return {
    suite: result.suite, seed: result.seed, runs: result.runs, interrupted: result.interrupted, coverage: result.coverage as CoverageJson,
    failure: example === null ? null : {
      invariant: example.failure.invariant ?? 'unknown', step: example.failure.step, message: example.failure.message,
      path: example.path, shrunkLength: exampleSteps(example), file,
    },
  }
}

/** A results file as `sila merge` reads it: the file's name, for what it refuses. */
export interface ResultsFile<R> { readonly file: string; readonly results: R }

/**
 * Refuses, naming the file and the field, results whose runs would overlap or
 * that check different things: a step bound or a props file other than the first
 * file's; for one seed, a whole run (no `--shard`) beside anything else of that
 * seed, shards of two counts, a shard given twice. Runs of different seeds are
 * independent and add up. Returns a warning per seed whose shards are not all
 * there (a failed job's file left out: the merged run did not run them).
 */
export function checkShards(files: ReadonlyArray<ResultsFile<CheckResults>>): string[] {
  const [first, ...rest] = files
  if (first === undefined) return []
  for (const entry of files) checkOneFile(entry)
  const same = (entry: ResultsFile<CheckResults>, field: 'maxSteps' | 'props' | 'kernel' | 'system', flag: string) => {
    const value = (results: CheckResults) => results[field] ?? (field === 'kernel' ? 'impl' : undefined)
    if (value(entry.results) !== value(first.results)) {
      throw new InputError(entry.file, [`$.${field}: ${JSON.stringify(value(entry.results) ?? null)}, not ${JSON.stringify(value(first.results) ?? null)} as in ${basename(first.file)}: merged runs share ${flag}`])
    }
  }
  for (const entry of rest) { same(entry, 'maxSteps', '--max-steps'); same(entry, 'props', '--props'); same(entry, 'kernel', 'the kernel checked (--mutant, --kernel)'); same(entry, 'system', 'the system --boot declares') }
  const bySeed = new Map<number, Array<ResultsFile<CheckResults>>>()
  for (const entry of files) {
    const group = bySeed.get(entry.results.seed)
    if (group === undefined) bySeed.set(entry.results.seed, [entry])
    else group.push(entry)
  }
  const warnings: string[] = []
  for (const [seed, group] of bySeed) {
    const whole = group.find((entry) => entry.results.shard === null)
    if (whole !== undefined && group.length > 1) {
      const other = group.find((entry) => entry !== whole)!
      throw new InputError(whole.file, [`$.shard: null: the whole run of seed ${seed}, which ${basename(other.file)} is also of: its runs would count twice`])
    }
    if (whole !== undefined) continue
    const count = group[0]!.results.shard!.count
    const runs = group[0]!.results.runs
    const seen = new Map<number, string>()
    for (const entry of group) {
      const shard = entry.results.shard!
      if (shard.count !== count) throw new InputError(entry.file, [`$.shard.count: ${shard.count}, not ${count} as in ${basename(group[0]!.file)} (seed ${seed})`])
      // The shards of one run split its --runs: shards of two run counts would leave runs out or run some twice.
      if (entry.results.runs !== runs) throw new InputError(entry.file, [`$.runs: ${entry.results.runs}, not ${runs} as in ${basename(group[0]!.file)} (seed ${seed}): the shards of one run share --runs`])
      const twin = seen.get(shard.index)
      if (twin !== undefined) throw new InputError(entry.file, [`$.shard: shard ${shard.index}/${count} of seed ${seed} is also in ${basename(twin)}: its runs would count twice`])
      seen.set(shard.index, entry.file)
    }
    const missing = Array.from({ length: count }, (_, index) => index).filter((index) => !seen.has(index))
    if (missing.length > 0) {
      const named = jobsNamed(missing, count)
      warnings.push(`shard${missing.length === 1 ? '' : 's'} ${named} of seed ${seed} missing: the merged run did not run ${missing.length === 1 ? 'it' : 'them'}`)
    }
    // A shard that ran fewer suites than the others (a job given other SUITE arguments): those suites lack its runs.
    const suitesOfSeed = new Set(group.flatMap((entry) => entry.results.suites.map((suite) => suite.suite)))
    for (const entry of group) {
      const lacking = [...suitesOfSeed].filter((suite) => !entry.results.suites.some((summary) => summary.suite === suite))
      if (lacking.length > 0) warnings.push(`shard ${entry.results.shard!.index}/${count} of seed ${seed} (${basename(entry.file)}) did not run ${lacking.join(', ')}: the merged ${lacking.length === 1 ? 'suite lacks' : 'suites lack'} its runs`)
    }
  }
  return warnings
}

/** What one results file must agree with itself on: a shard within its count, each suite once, `passed` as its suites say. */
function checkOneFile(entry: ResultsFile<CheckResults>): void {
  const { results, file } = entry
  if (results.shard !== null && results.shard.index >= results.shard.count) throw new InputError(file, [`$.shard.index: ${results.shard.index}, expected less than $.shard.count (${results.shard.count})`])
  const seen = new Set<string>()
  for (const [index, suite] of results.suites.entries()) {
    if (seen.has(suite.suite)) throw new InputError(file, [`$.suites[${index}].suite: ${suite.suite} is listed twice: its runs would count twice`])
    seen.add(suite.suite)
  }
  const failed = results.suites.some((suite) => suite.failure !== null)
  if (results.passed === failed) throw new InputError(file, [`$.passed: ${results.passed}, but ${failed ? 'a suite records a failure' : 'no suite records a failure'}`])
}

/** Jobs (shards, swarm jobs) `indexes` of `count`, as a warning names them: the first four, then how many more. */
function jobsNamed(indexes: ReadonlyArray<number>, count: number): string {
  const named = indexes.slice(0, 4).map((index) => `${index}/${count}`).join(', ')
  return indexes.length > 4 ? `${named} and ${indexes.length - 4} more` : named
}

/**
 * Refuses explore results that are not jobs of one swarm: another system or
 * props file than the first file's, a job without `--swarm` beside others (a
 * breadth-first search is whole), a job (index, count and seed) given twice.
 */
export function checkSwarmJobs(files: ReadonlyArray<ResultsFile<ExploreResults>>): string[] {
  // A job past its swarm's count contradicts itself, as a check shard past its count does (checkOneFile).
  for (const { file, results } of files) {
    if (results.swarm !== null && results.swarm !== undefined && results.swarm.index >= results.swarm.count) {
      throw new InputError(file, [`$.swarm.index: ${results.swarm.index}, expected less than $.swarm.count (${results.swarm.count})`])
    }
  }
  const [first] = files
  if (first === undefined || files.length === 1) return []
  const seen = new Map<string, string>()
  for (const entry of files) {
    const { preset, props, swarm, system } = entry.results
    // One system whatever path named it (a CI job's relative boot.json, another's absolute path), and two systems apart even when both are boot.json.
    if (system !== undefined && first.results.system !== undefined) {
      if (system !== first.results.system) throw new InputError(entry.file, [`$.system: ${system.slice(0, 19)}…, not ${first.results.system.slice(0, 19)}… as in ${basename(first.file)} (${JSON.stringify(preset)} and ${JSON.stringify(first.results.preset)} hold other systems): jobs search one system`])
    } else if (preset !== first.results.preset) throw new InputError(entry.file, [`$.preset: ${JSON.stringify(preset)}, not ${JSON.stringify(first.results.preset)} as in ${basename(first.file)}: jobs search one system`])
    if (props !== first.results.props) throw new InputError(entry.file, [`$.props: ${JSON.stringify(props ?? null)}, not ${JSON.stringify(first.results.props ?? null)} as in ${basename(first.file)}`])
    if (swarm === null || swarm === undefined) throw new InputError(entry.file, ['$.swarm: null: a breadth-first search (no --swarm) is whole: merge swarm jobs'])
    const key = `${swarm.index}/${swarm.count} seed ${swarm.seed}`
    const twin = seen.get(key)
    if (twin !== undefined) throw new InputError(entry.file, [`$.swarm: job ${key} is also in ${basename(twin)}: the same search, counted twice`])
    seen.set(key, entry.file)
  }
  // A swarm of N jobs whose files are not all here (a failed job's left out): said, as a missing check shard is.
  const groups = new Map<string, { count: number; seed: number; indexes: Set<number> }>()
  for (const entry of files) {
    const swarm = entry.results.swarm!
    const group = groups.get(`${swarm.count} ${swarm.seed}`) ?? { count: swarm.count, seed: swarm.seed, indexes: new Set<number>() }
    group.indexes.add(swarm.index)
    groups.set(`${swarm.count} ${swarm.seed}`, group)
  }
  return [...groups.values()].flatMap((group) => {
    const missing = Array.from({ length: group.count }, (_, index) => index).filter((index) => !group.indexes.has(index))
    if (missing.length === 0) return []
    const named = jobsNamed(missing, group.count)
    return [`swarm job${missing.length === 1 ? '' : 's'} ${named} of seed ${group.seed} missing: the merged search did not run ${missing.length === 1 ? 'it' : 'them'}`]
  })
}

/** Merges shard results: runs and coverage add up; a suite failed if it failed in any shard. */
export function mergeResults(all: ReadonlyArray<CheckResults>): CheckResults {
  const bySuite = new Map<SuiteSummary['suite'], SuiteSummary[]>()
  for (const results of all) for (const suite of results.suites) bySuite.set(suite.suite, [...(bySuite.get(suite.suite) ?? []), suite])
  const suites = [...bySuite.entries()].map(([suite, parts]): SuiteSummary => {
    const coverage = new Coverage()
    for (const part of parts) coverage.add(part.coverage)
    return {
      suite, seed: parts[0]!.seed, runs: parts.reduce((n, p) => n + p.runs, 0), interrupted: parts.some((p) => p.interrupted),
      coverage: coverage.toJson(), failure: parts.find((p) => p.failure !== null)?.failure ?? null,
    }
  })
  const properties = mergeProperties(all.flatMap((r) => r.properties ?? []))
  const props = all.find((r) => r.props !== undefined)?.props
  const kernel = all.find((r) => r.kernel !== undefined)?.kernel
  const boot = all.find((r) => r.boot !== undefined)?.boot
  const system = all.find((r) => r.system !== undefined)?.system
  // Each file's runs is the --runs its job was given (the whole run's, shards included): once per seed, which runs add up across seeds.
  // (A file merged before counts as one group, its seeds together.)
  const runsBySeeds = new Map<string, number>()
  for (const results of all) runsBySeeds.set((results.seeds ?? [results.seed]).join(' '), results.runs)
  const seeds = [...new Set(all.flatMap((results) => results.seeds ?? [results.seed]))]
  return {
    format: CHECK_FORMAT, seed: seeds[0] ?? 0, runs: [...runsBySeeds.values()].reduce((n, runs) => n + runs, 0), maxSteps: all[0]?.maxSteps ?? 1, shard: null,
    passed: suites.every((s) => s.failure === null), suites,
    ...(props === undefined ? {} : { props }), ...(properties.length === 0 ? {} : { properties }),
    ...(kernel === undefined ? {} : { kernel }), ...(seeds.length > 1 ? { seeds } : {}), ...(boot === undefined ? {} : { boot }), ...(system === undefined ? {} : { system }),
  }
}

const STATUS_RANK: Readonly<Record<PropertySummary['status'], number>> = { violated: 3, witnessed: 2, held: 1, vacuous: 0 }

/** One summary per property name: counts add up; violated beats witnessed beats held or vacuous (whose file is the first found). */
export function mergeProperties(parts: ReadonlyArray<PropertySummary>): PropertySummary[] {
  const byName = new Map<string, PropertySummary>()
  for (const part of parts) {
    const seen = byName.get(part.name)
    if (seen === undefined) { byName.set(part.name, part); continue }
    const best = STATUS_RANK[part.status] > STATUS_RANK[seen.status] ? part : seen
    byName.set(part.name, { ...best, states: seen.states + part.states, runs: seen.runs + part.runs, runsReached: seen.runsReached + part.runsReached })
  }
  return [...byName.values()]
}

/** A user property's verdict in a `sila-explore/1` file (checker/explore/props.ts PropertyVerdict). */
export const PropertyVerdictCodec = t.intersection([
  t.type({
    name: t.string, says: t.string, kind: t.keyof({ always: null, sometimes: null }),
    status: t.keyof({ held: null, violated: null, witnessed: null, vacuous: null, unreachable: null }), message: t.string,
  }),
  t.partial({ witnessMessage: t.string, witness: t.unknown, path: t.array(t.unknown), file: t.union([t.string, t.null]) }),
])
export type PropertyVerdictJson = t.TypeOf<typeof PropertyVerdictCodec>

/** What `sila explore --out` writes (no timing: the same flags give the same bytes); merged across swarm jobs. */
export const ExploreResultsCodec = t.intersection([
  t.type({
    format: t.literal('sila-explore/1'),
    preset: t.string,
    complete: t.boolean,
    distinct: Count,
    generated: Count,
    depth: Count,
    violation: t.union([t.null, t.intersection([t.type({ invariant: t.string, message: t.string, path: t.array(t.unknown) }), t.partial({
      witness: t.unknown, says: t.string,
      // The kernel call the watchdog found unanswered (--step-timeout), when that is the violation.
      // step: the step's index, -1 for `create` (the kernel's boot, before any step; checker/explore/run.ts).
      unanswered: t.type({ where: t.keyof({ create: null, step: null, abstract: null }), step: FailureStep, timeoutMs: Measured }),
    })])]),
  }),
  t.partial({
    // Timing is printed, not written to --out (two runs give the same file); older files may hold it.
    durationMs: Measured,
    swarm: t.union([t.null, t.type({ index: Count, count: intRange(1, Number.MAX_SAFE_INTEGER, 'JobCount'), seed: intRange(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'Seed') })]),
    counterexample: t.union([t.string, t.null]),
    // What `sila explore --out` also writes, and `sila merge` does not combine (files are decoded exactly, so they are named).
    engine: t.keyof({ model: null, compiled: null, general: null }),
    queue: Count,
    statesPerSecond: Measured,
    collisionProbability: Probability,
    coverage: Counts,
    // 'variant' when the coverage is by variant (\`--coverage variant\`); by syscall kind when absent.
    coverageBy: t.keyof({ kind: null, variant: null }),
    interrupted: t.boolean,
    peakMemoryBytes: Count,
    // What `sila explore --json` also prints: the alphabet's kinds no transition took.
    neverTaken: t.array(t.string),
    // The verdict of each user property (`--props`): a witness's path and trace file for a sometimes found.
    properties: t.array(PropertyVerdictCodec),
    props: t.string,
    // What `sila merge --out` writes for merged swarm jobs.
    jobs: Count,
    distinctIsUpperBound: t.boolean,
    // The system searched, by content (a digest of its boot configuration and images): jobs of one system have one, whatever path named it.
    system: t.string,
  }),
])
export type ExploreResults = t.TypeOf<typeof ExploreResultsCodec>

/**
 * Merges swarm jobs: generated transitions add up, the depth is the deepest; the
 * distinct count is a sum over jobs, an upper bound (jobs may visit the same
 * states); the shortest violation found by any job is kept.
 */
export function mergeExplore(all: ReadonlyArray<ExploreResults>): ExploreResults & { readonly jobs: number; readonly distinctIsUpperBound: boolean } {
  const violations = all.map((r) => r.violation).filter((v): v is NonNullable<typeof v> => v !== null)
  const shortest = violations.reduce<(typeof violations)[number] | null>((best, v) => (best === null || v.path.length < best.path.length ? v : best), null)
  const properties = mergeVerdicts(all.flatMap((r) => (r.properties === undefined ? [] : [r.properties])))
  // The trace of the violation kept, as the job that found it wrote it; and the props file every job shares (checkSwarmJobs).
  const counterexample = shortest === null ? undefined : all.find((r) => r.violation === shortest)?.counterexample
  const props = all[0]?.props
  return {
    format: 'sila-explore/1', preset: all[0]?.preset ?? '', ...(all[0]?.system === undefined ? {} : { system: all[0].system }), complete: all.some((r) => r.complete), jobs: all.length,
    distinct: all.reduce((n, r) => n + r.distinct, 0), distinctIsUpperBound: all.length > 1,
    generated: all.reduce((n, r) => n + r.generated, 0), depth: Math.max(0, ...all.map((r) => r.depth)), violation: shortest,
    ...(counterexample === undefined ? {} : { counterexample }),
    ...(props === undefined ? {} : { props }),
    ...(properties === null ? {} : { properties }),
  }
}

const RANK: Readonly<Record<PropertyVerdictJson['status'], number>> = { violated: 4, witnessed: 3, unreachable: 2, held: 1, vacuous: 0 }

/**
 * User properties across jobs, by name: violated in any job is violated; a
 * sometimes witnessed in any is witnessed (the shortest witness kept); one no job
 * found stays vacuous (unreachable when a job searched exhaustively).
 */
function mergeVerdicts(jobs: ReadonlyArray<ReadonlyArray<PropertyVerdictJson>>): PropertyVerdictJson[] | null {
  if (jobs.length === 0) return null
  const byName = new Map<string, PropertyVerdictJson>()
  for (const verdicts of jobs) {
    for (const verdict of verdicts) {
      const known = byName.get(verdict.name)
      const better = known === undefined || RANK[verdict.status] > RANK[known.status]
        || (verdict.status === 'witnessed' && known.status === 'witnessed' && (verdict.path?.length ?? 0) < (known.path?.length ?? 0))
      if (better) byName.set(verdict.name, verdict)
    }
  }
  // A held or vacuous verdict kept from one job speaks of that job's depth and states alone: say what the jobs together found.
  const jobsText = `${jobs.length} swarm jobs`
  return [...byName.values()].map((verdict) => (jobs.length < 2 ? verdict
    : verdict.status === 'held' ? { ...verdict, message: `held in each of the ${jobsText}, each within its bounds` }
      : verdict.status === 'vacuous' ? { ...verdict, message: `not reached in any of the ${jobsText}: this is not a pass` }
        : verdict))
}
