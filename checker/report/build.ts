/**
 * From what each command found to a {@link Report}: `sila check`'s suite results,
 * `sila explore`'s search result, `sila replay`'s trace, `sila mutants`' kill
 * matrix. Counterexamples are re-run on the model here (with the kernel under test
 * in lockstep) to give the step timeline, its state changes and the final state for
 * the authority graph. No I/O.
 * @module
 */
import { boot } from '../../model/boot.js'
import type { KernelState } from '../../model/state.js'
import { SUITES as SUITE_REGISTRY } from '../../properties/registry.js'
import { SUITE_NAMES, setupSteps } from '../../properties/suite.js'
import { exampleSteps, type SuiteResult } from '../../properties/run.js'
import { coverageGaps, DEEP_CASES, type CoverageJson } from '../../properties/coverage.js'
import { IMAGE_POOL, PROPERTY_BOOT } from '../../properties/pool.js'
import { SYSCALL_KINDS } from '../../spec/syscalls.js'
import { ERROR_CODES, RESOURCES } from '../../spec/errors.js'
import type { Preset } from '../../spec/presets.js'
import type { Trace } from '../../spec/trace.js'
import type { BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import type { RefinementTarget } from '../../refinement/target.js'
import { replayFlags } from '../targets.js'
import type { ExploreResult } from '../explore/search.js'
import { alphabetKinds } from '../explore/actions.js'
import type { MutantResult } from '../mutants.js'
import type { ReplayResult } from '../replay.js'
import { counterexampleTrace } from '../counterexample.js'
import { barChart, type Bar } from './charts.js'
import type { Html } from './html.js'
import { authorityGraphHtml } from './authority.js'
import { valueText } from './diff.js'
import { failedText } from '../results.js'
import { buildTimeline, type StepFunction, type Timeline } from './timeline.js'
import type { Cell, ChartSection, CounterexampleSection, Report, Table } from './page.js'

const OK = { name: 'succeeded', color: '#3f9d5d' }
const FAILED = { name: 'refused', color: '#e0a030' }
const ONE = { name: 'count', color: '#4a78c2' }

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
}

function plural(count: number, word: string): string {
  return `${count.toLocaleString('en')} ${word}${count === 1 ? '' : 's'}`
}

/** Error keys in catalogue order, QuotaExceeded split by resource, plus any key seen that is not in the catalogue. */
function errorKeys(seen: Readonly<Record<string, number>>): string[] {
  const known = ERROR_CODES.flatMap((code) => (code === 'QuotaExceeded' ? RESOURCES.map((r) => `QuotaExceeded(${r})`) : [code]))
  const quota = known.filter((k) => k.startsWith('QuotaExceeded(') && (seen[k] ?? 0) > 0)
  const keys = known.filter((k) => !k.startsWith('QuotaExceeded(') || quota.includes(k))
  if (quota.length === 0) keys.splice(keys.indexOf('BudgetExhausted'), 0, 'QuotaExceeded')
  return [...keys, ...Object.keys(seen).filter((k) => !keys.includes(k)).sort()]
}

/** The coverage charts: per syscall kind (succeeded, refused), per error code, per deep case. */
export function coverageCharts(coverage: CoverageJson, unit: string, deepCases = true): ChartSection[] {
  const kinds = SYSCALL_KINDS.map((k): Bar => ({ label: k, values: [coverage.kindOk[k] ?? 0, coverage.kindFailed[k] ?? 0] }))
  const errors = errorKeys(coverage.errors).map((k): Bar => ({ label: k, values: [coverage.errors[k] ?? 0] }))
  const cases = DEEP_CASES.map((d): Bar => ({ label: d.name, values: [coverage.cases[d.name] ?? 0] }))
  const gaps = coverageGaps(coverage)
  return [
    { svg: barChart({ title: `Syscall kinds: ${unit} that reached each`, series: [OK, FAILED], bars: kinds, unit }), note: gaps.kinds.length === 0 ? 'Every syscall kind succeeded at least once.' : `Never succeeded: ${gaps.kinds.join(', ')}.` },
    { svg: barChart({ title: `Error codes: ${unit} that saw each`, series: [FAILED], bars: errors, unit }), note: gaps.errors.length === 0 ? 'Every error code was seen.' : `Never seen: ${gaps.errors.join(', ')}.` },
    ...(!deepCases ? [] : [{ svg: barChart({ title: `Deep states: ${unit} that reached each`, series: [ONE], bars: cases, unit }), note: gaps.cases.length === 0 ? 'Every deep case was reached.' : `Never reached: ${gaps.cases.join(', ')}.` }]),
  ]
}

/** Coverage of several suites added up. */
export function totalCoverage(coverages: ReadonlyArray<CoverageJson>): CoverageJson {
  const add = (pick: (c: CoverageJson) => Readonly<Record<string, number>>) => {
    const sum: Record<string, number> = {}
    for (const c of coverages) for (const [k, v] of Object.entries(pick(c))) sum[k] = (sum[k] ?? 0) + v
    return sum
  }
  return {
    runs: coverages.reduce((n, c) => n + c.runs, 0), steps: coverages.reduce((n, c) => n + c.steps, 0),
    kindOk: add((c) => c.kindOk), kindFailed: add((c) => c.kindFailed), errors: add((c) => c.errors), cases: add((c) => c.cases),
  }
}

interface Booted { readonly boot: BootConfig; readonly images: ReadonlyArray<ImageRecord> }

function graphOf(state: KernelState, from: Booted, id: string, title: string): Promise<Html> {
  return authorityGraphHtml(state, from.boot, from.images, id, title)
}

async function section(index: number, title: string, message: string, failed: boolean, invariant: string | null, facts: ReadonlyArray<readonly [string, string]>, timeline: Timeline, from: Booted): Promise<CounterexampleSection> {
  const last = timeline.steps.length - 1
  const graph = await graphOf(timeline.finalState, from, `cx${index + 1}-graph`, last < 0 ? 'boot state' : `state after step ${last}`)
  return { title, message, failed, invariant, facts, timeline, graph }
}

// ---- sila check --------------------------------------------------------------

export interface CheckReportInput {
  readonly results: ReadonlyArray<SuiteResult>
  readonly seed: number
  readonly runs: number
  readonly maxSteps: number
  /** The kernel checked (its name as given: impl, mutant:NAME, file:PATH) and the loaded target. */
  readonly targetName: string
  readonly target: RefinementTarget
  /** Counterexample files written, by suite. */
  readonly files?: ReadonlyMap<string, string>
  readonly shard?: { readonly index: number; readonly count: number } | null
  readonly durationMs?: number
  readonly generator: string
  /** `sila check --boot`: the system every run booted (shown when nothing failed, instead of the property boot), and its file. */
  readonly system?: { readonly file: string; readonly config: BootConfig; readonly images: ReadonlyArray<ImageRecord> }
}

export async function checkReport(input: CheckReportInput): Promise<Report> {
  const failed = input.results.filter((r) => r.counterexample !== null)
  const passed = failed.length === 0
  const coverage = totalCoverage(input.results.map((r) => r.coverage))
  const summary: Table = {
    columns: [{ header: 'suite' }, { header: 'runs', align: 'right' }, { header: 'steps', align: 'right' }, { header: 'time', align: 'right' }, { header: 'result' }],
    rows: input.results.map((r): Array<string | Cell> => {
      const example = r.counterexample
      const result: Cell = example === null
        ? { text: r.interrupted ? 'passed (time limit hit)' : 'passed', status: 'passed' }
        : { text: failedText(example), status: 'failed', title: example.failure.message }
      return [r.suite, r.runs.toLocaleString('en'), r.coverage.steps.toLocaleString('en'), seconds(r.durationMs), result]
    }),
  }
  const counterexamples = await Promise.all(failed.map((result, index) => {
    const example = result.counterexample!
    const trace = counterexampleTrace(example)
    const executed = SUITE_REGISTRY[example.suite].executed(example.scenario)
    const offset = setupSteps(executed.length, example.scenario.length)
    // A stalled run's kernel is not stepped again (it would not answer): the model's side alone.
    const timeline = buildTimeline({
      boot: trace.boot, images: trace.images, steps: trace.steps.map((s) => ({ syscall: s.syscall })), ...(example.stalled === true ? {} : { target: input.target }),
      failingStep: example.failure.step < 0 ? null : example.failure.step + offset,
    })
    const file = input.files?.get(example.suite)
    const facts: Array<readonly [string, string]> = [
      ['suite', example.suite], ['invariant', example.failure.invariant ?? '-'], ['kernel', input.targetName],
      ['seed', String(example.seed)], ...(example.path === '' ? [] : [['path', example.path] as const]),
      example.stalled === true ? ['unshrunk', `${exampleSteps(example)} steps (the run under way when the kernel stopped answering)`] as const
        : ['shrunk', `${example.lengthBefore} → ${exampleSteps(example)} steps${example.fromStore ? ' (from the counterexample store)' : ''}`] as const,
      ...(example.failure.witness === undefined ? [] : [['witness', valueText(example.failure.witness)] as const]),
      ...(example.failure.difference === undefined ? [] : [['difference', `${example.failure.difference.path}: model ${valueText(example.failure.difference.model)}, kernel ${valueText(example.failure.difference.kernel)}`] as const]),
      ...(file === undefined ? [] : [['counterexample file', file] as const, ['replay it', `npx sila replay ${file}${replayFlags(input.targetName)}`] as const]),
    ]
    return section(index, `Counterexample: ${example.suite}`, example.failure.message, true, example.failure.invariant ?? null, facts, timeline, trace)
  }))
  return {
    command: 'check',
    title: `sila check: ${passed ? 'all suites passed' : `${plural(failed.length, 'suite')} failed`}`,
    status: passed ? 'passed' : 'failed',
    headline: `${input.results.map((r) => r.suite).join(', ')} · ${plural(coverage.runs, 'run')} · ${plural(coverage.steps, 'step')} against ${input.targetName}${passed ? '' : ` · failed: ${failed.map((r) => `${r.suite} (${r.counterexample!.failure.invariant ?? '?'})`).join(', ')}`}`,
    facts: [
      ['kernel', input.targetName], ['seed', String(input.seed)], ['runs per suite', String(input.runs)], ['steps per run at most', String(input.maxSteps)],
      ...(input.shard === undefined || input.shard === null ? [] : [['shard', `${input.shard.index}/${input.shard.count}`] as const]),
      ...(input.durationMs === undefined ? [] : [['time', seconds(input.durationMs)] as const]),
    ],
    summary,
    chartsTitle: 'Coverage',
    charts: coverageCharts(coverage, 'runs'),
    chartsNote: coverage.runs === 0
      ? 'No generated runs: each suite failed first on a counterexample from the store, so there is no coverage to show.'
      : `Counted over ${plural(coverage.runs, 'run')} of every suite: a run counts once per syscall kind, error code or deep case it reached.`,
    counterexamples,
    graph: !passed ? null : input.system !== undefined
      ? { svg: await graphOf(boot(input.system.config, input.system.images), { boot: input.system.config, images: input.system.images }, 'boot-graph', 'boot state'), caption: `No counterexample: the boot state of ${input.system.file}, which every run started from.` }
      : { svg: await graphOf(boot(PROPERTY_BOOT, IMAGE_POOL), { boot: PROPERTY_BOOT, images: IMAGE_POOL }, 'boot-graph', 'boot state'), caption: 'No counterexample: the boot state every property run starts from.' },
    generator: input.generator,
  }
}

// ---- sila explore ------------------------------------------------------------

export interface ExploreReportInput {
  readonly preset: Preset
  readonly result: ExploreResult
  /** The kernel stepped along every transition (--refine). */
  readonly refine?: RefinementTarget
  /** A seeded-bug copy of the model's step (--mutant) and its name. */
  readonly step?: StepFunction
  readonly mutant?: string
  readonly counterexampleFile?: string | null
  readonly generator: string
}

export async function exploreReport(input: ExploreReportInput): Promise<Report> {
  const { result, preset } = input
  const violation = result.violation
  const kinds = alphabetKinds(preset, input.refine !== undefined)
  const seenKinds = [...kinds, ...Object.keys(result.coverage).filter((k) => !kinds.includes(k))]
  const modelName = input.mutant === undefined ? 'model' : `model with mutant ${input.mutant}`
  const summary: Table = {
    columns: [{ header: 'measure' }, { header: 'value', align: 'right' }],
    rows: [
      ['preset', preset.name], ['engine', result.engine],
      ['complete', { text: result.complete ? 'yes (exhaustive within the bounds)' : 'no', status: result.complete ? 'passed' : 'info' }],
      ['distinct states', result.distinct.toLocaleString('en')], ['states generated', result.generated.toLocaleString('en')],
      ['depth', String(result.depth)], ['queue left', result.queue.toLocaleString('en')], ['time', seconds(result.durationMs)],
      ['distinct states/s', result.statesPerSecond.toLocaleString('en')], ['fingerprint collision probability', result.collisionProbability.toExponential(2)],
      ['result', violation === null ? { text: 'no invariant violated', status: 'passed' } : { text: `${violation.invariant} violated after ${plural(violation.path.length, 'step')}`, status: 'failed' }],
    ],
  }
  const counterexamples = violation === null ? [] : [await section(0, `Counterexample: ${violation.invariant}`, violation.message, true, violation.invariant, [
    ['invariant', violation.invariant], ['path', `${plural(violation.path.length, 'step')} (a shortest path)`],
    ['witness', valueText(violation.witness)],
    ...(input.counterexampleFile == null ? [] : [['counterexample file', input.counterexampleFile] as const, ['replay it', `npx sila replay ${input.counterexampleFile}`] as const]),
  ], buildTimeline({
    boot: preset.boot, images: preset.images, steps: violation.path.map((syscall) => ({ syscall })),
    ...(input.refine === undefined ? {} : { target: input.refine }), ...(input.step === undefined ? {} : { step: input.step }), modelName,
    // A kernel call the watchdog found unanswered is not made again.
    ...(violation.unanswered === undefined ? {} : { unanswered: violation.unanswered }),
    failingStep: violation.path.length - 1,
  }), preset)]
  return {
    command: 'explore',
    title: `sila explore ${preset.name}: ${violation === null ? 'no invariant violated' : `${violation.invariant} violated`}`,
    status: violation === null ? 'passed' : 'failed',
    headline: `${result.distinct.toLocaleString('en')} distinct states · ${result.generated.toLocaleString('en')} generated · depth ${result.depth} · ${result.complete ? 'exhaustive' : 'bounded'}${input.refine === undefined ? '' : ` · refining ${input.refine.name}`}${input.mutant === undefined ? '' : ` · mutant ${input.mutant}`}`,
    facts: [
      ['preset', `${preset.name}: ${preset.description}`], ['engine', result.engine], ['model', modelName],
      ...(input.refine === undefined ? [] : [['kernel in lockstep', input.refine.name] as const]),
      ...(result.swarm == null ? [] : [['swarm', `${result.swarm.index}/${result.swarm.count}, seed ${result.swarm.seed}`] as const]),
    ],
    summary,
    chartsTitle: 'Coverage',
    charts: [{ svg: barChart({ title: 'Transitions by syscall kind', series: [OK], bars: seenKinds.map((k) => ({ label: k, values: [result.coverage[k] ?? 0] })), unit: 'transitions' }) }],
    chartsNote: 'The search counts the transitions that succeeded; a refused action leaves the state as it was and is not counted, so there is no chart per error code.',
    counterexamples,
    graph: violation === null ? { svg: await graphOf(boot(preset.boot, preset.images), preset, 'boot-graph', `boot state of ${preset.name}`), caption: `No counterexample: the boot state of the ${preset.name} preset.` } : null,
    generator: input.generator,
  }
}

// ---- sila replay -------------------------------------------------------------

export interface ReplayReportInput {
  readonly file: string
  readonly trace: Trace
  readonly result: ReplayResult
  readonly target?: RefinementTarget
  readonly generator: string
}

/** Coverage of one trace, counted in steps. */
export function traceCoverage(timeline: Timeline): CoverageJson {
  const count = (map: Record<string, number>, key: string) => { map[key] = (map[key] ?? 0) + 1 }
  const kindOk: Record<string, number> = {}
  const kindFailed: Record<string, number> = {}
  const errors: Record<string, number> = {}
  for (const step of timeline.steps) {
    count(step.modelOk ? kindOk : kindFailed, step.kind)
    if (step.error !== null) count(errors, step.error)
  }
  return { runs: 1, steps: timeline.steps.length, kindOk, kindFailed, errors, cases: {} }
}

export async function replayReport(input: ReplayReportInput): Promise<Report> {
  const { trace, result } = input
  const recorded = trace.failure
  const offset = trace.scenario === undefined ? 0 : setupSteps(trace.steps.length, trace.scenario.length)
  const timeline = buildTimeline({
    boot: trace.boot, images: trace.images, steps: trace.steps, ...(input.target === undefined ? {} : { target: input.target }),
    ...(result.unanswered === undefined ? {} : { unanswered: result.unanswered }),
    ...(recorded?.step === undefined || recorded.step < 0 ? {} : { failingStep: recorded.step + offset }),
  })
  const failed = result.status !== 'ok'
  const outcome = result.status === 'ok' ? 'every invariant held and every recorded outcome matched' : result.status === 'crashed' ? `the model failed at step ${result.crash?.step}: ${result.crash?.message}` : [
    result.violations.length > 0 ? plural(result.violations.length, 'violation') : '',
    result.mismatches.length > 0 ? `${result.mismatches.length} mismatch${result.mismatches.length === 1 ? '' : 'es'}` : '',
    result.divergence !== null ? `the kernel diverged at step ${result.divergence.step} (${result.divergence.what} at ${result.divergence.path})` : '',
  ].filter((p) => p !== '').join(', ')
  const firstViolations = [...new Map(result.violations.map((v) => [v.invariant, v])).values()]
  const summary: Table = {
    columns: [{ header: 'measure' }, { header: 'value' }],
    rows: [
      ['steps replayed', String(result.stepCount)],
      ['result', { text: outcome, status: failed ? 'failed' : 'passed' }],
      ['invariants violated', firstViolations.length === 0 ? 'none' : { text: firstViolations.map((v) => `${v.invariant} (first at step ${v.step < 0 ? 'boot' : v.step})`).join(', '), status: 'failed' }],
      ['recorded outcomes', `${result.rows.filter((r) => r.expected !== null).length} recorded, ${result.mismatches.length} differ`],
      ['kernel in lockstep', input.target === undefined ? 'none (model only)' : result.divergence === null ? `${input.target.name}: agreed at every step` : { text: `${input.target.name}: diverged at step ${result.divergence.step}`, status: 'failed' }],
    ],
  }
  const facts: Array<readonly [string, string]> = [
    ['file', input.file], ...(trace.description === undefined ? [] : [['description', trace.description] as const]),
    ...(recorded === undefined ? [] : [['recorded failure', `${recorded.property}${recorded.invariant === undefined ? '' : ` ${recorded.invariant}`}${recorded.step === undefined ? '' : ` at step ${recorded.step}`}${recorded.seed === undefined ? '' : ` (seed ${recorded.seed})`}`] as const]),
  ]
  const message = recorded?.message ?? (firstViolations[0]?.message ?? outcome)
  return {
    command: 'replay',
    title: `sila replay: ${failed ? 'failed' : 'ok'}`,
    status: failed ? 'failed' : 'passed',
    headline: `${input.file} · ${plural(result.stepCount, 'step')} · ${outcome}`,
    facts,
    summary,
    chartsTitle: 'Coverage',
    charts: coverageCharts(traceCoverage(timeline), 'steps', false),
    chartsNote: 'Counted over the steps of this trace.',
    counterexamples: [await section(0, failed ? 'Counterexample trace' : 'Trace', message, failed, recorded?.invariant ?? firstViolations[0]?.invariant ?? null, [], timeline, trace)],
    graph: null,
    generator: input.generator,
  }
}

// ---- sila mutants ------------------------------------------------------------

export interface MutantsReportInput {
  readonly results: ReadonlyArray<MutantResult>
  readonly seed: number
  readonly runs: number
  readonly durationMs?: number
  readonly generator: string
}

export async function mutantsReport(input: MutantsReportInput): Promise<Report> {
  const checkers = [...SUITE_NAMES, 'explore'] as const
  const killed = input.results.filter((r) => r.first !== null)
  const survived = input.results.length - killed.length
  const summary: Table = {
    caption: 'Kill matrix: which checker killed each mutant, and how fast',
    columns: [{ header: 'mutant' }, { header: 'family' }, ...checkers.map((c) => ({ header: c, align: 'center' as const })), { header: 'first kill' }, { header: 'shrunk', align: 'right' }],
    rows: input.results.map((r) => [
      { text: r.name, mono: true, title: r.description }, r.family,
      ...checkers.map((checker): Cell => {
        const kill = r.kills.find((k) => k.by === checker)
        return kill === undefined ? { text: '·', title: `${checker} did not kill it` } : { text: `✓ ${seconds(kill.timeMs)}`, status: 'passed', title: `${checker}: ${kill.invariant}, shrunk to ${kill.shrunkLength} steps` }
      }),
      r.first === null ? { text: 'SURVIVED', status: 'failed' } : { text: `${r.first.by} (${r.first.invariant})`, status: 'passed' },
      r.first === null ? '-' : String(Math.min(...r.kills.map((k) => k.shrunkLength))),
    ]),
  }
  const descriptions: Table = {
    caption: 'The seeded bugs',
    columns: [{ header: 'mutant' }, { header: 'mistake' }, { header: 'modelled on' }],
    rows: input.results.map((r) => [{ text: r.name, mono: true }, r.description, r.reference ?? '-']),
  }
  return {
    command: 'mutants',
    title: `sila mutants: ${killed.length} of ${input.results.length} killed`,
    status: survived === 0 ? 'passed' : 'failed',
    headline: `${plural(input.results.length, 'mutant')} against ${SUITE_NAMES.length} suites and the model checker · ${survived === 0 ? 'every mutant killed' : `${survived} survived`}`,
    facts: [['seed', String(input.seed)], ['runs per suite', String(input.runs)], ...(input.durationMs === undefined ? [] : [['time', seconds(input.durationMs)] as const])],
    summary,
    tables: [descriptions],
    chartsTitle: 'Kills',
    charts: [
      { svg: barChart({ title: 'Mutants killed by each checker', series: [ONE], bars: checkers.map((c) => ({ label: c, values: [input.results.filter((r) => r.kills.some((k) => k.by === c)).length] })), unit: 'mutants' }) },
      { svg: barChart({ title: 'Time to the first kill (s)', series: [ONE], bars: input.results.map((r) => ({ label: r.name, values: [r.first === null ? 0 : r.first.timeMs / 1000] })), unit: 's' }), ...(survived === 0 ? {} : { note: 'A mutant without a bar (its name in red) survived.' }) },
    ],
    counterexamples: [],
    graph: { svg: await graphOf(boot(PROPERTY_BOOT, IMAGE_POOL), { boot: PROPERTY_BOOT, images: IMAGE_POOL }, 'boot-graph', 'boot state'), caption: 'The boot state every property run (and so every mutant run) starts from.' },
    generator: input.generator,
  }
}
