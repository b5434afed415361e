/**
 * Running `sila check` and rendering what it found: a progress line, the summary
 * table, coverage, and for each failure the shrunk step table and the
 * counterexample file.
 * @module
 */
import { dirname } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { SUITE_NAMES, scenarioSteps, setupSteps, suiteEnvironment, type SuiteName } from '../../properties/suite.js'
import { SUITES as SUITE_REGISTRY } from '../../properties/registry.js'
import { exampleSteps, runSuite, seedOfSuite, type SuiteResult } from '../../properties/run.js'
import { checkGaps, Coverage, coverageGaps, DEEP_CASES, GRANT_CASES, NO_COVERAGE, SYSTEM_CASES, pairGaps } from '../../properties/coverage.js'
import { CHECK_CATALOGUE } from '../../model/check-catalogue.js'
import { runParallel, type FailureFound, type Progress } from '../../checker/check.js'
import { loadStore, saveCounterexample, saveWitness } from '../../checker/counterexample.js'
import { suiteKernelTarget } from '../../checker/replay.js'
import { bootFilePreset, refuseLargeAlphabet, systemDigest } from '../boot-file.js'
import { type GivenSystem, checkGivenSystem } from '../../properties/suites/systems.js'
import { CHECK_FORMAT, failedText, summarize, type CheckResults, type PropertySummary } from '../../checker/results.js'
import { loadProps, selectInvariants, systemNames, type UserProperty } from '../../checker/props-input.js'
import { junitXml } from '../../checker/junit.js'
import { checkReport, generatorName, writeReport } from '../../checker/report/index.js'
import { kernelText, loadTarget, replayFlags, resolveTarget, shellWord } from '../../checker/targets.js'
import { TRACE_FORMAT, type ProducedBy } from '../../spec/trace.js'
import { watchReplay } from '../../checker/replay-watch.js'
import { Worker } from 'node:worker_threads'
import { type FailFastFailure } from '../../checker/fail-fast.js'
import { type Stall, newWatch, stallOf, stalledResult, ticksOf } from '../../checker/watchdog.js'
import { watchCalls } from '../../checker/explore/step-watch.js'
import type { FailFastJob } from './fail-fast-worker.js'
import { KernelModuleError, loadModulesWithin } from '../../checker/user-module.js'
import type { RefinementTarget } from '../../refinement/target.js'
import type { CounterExample } from '../../properties/run.js'
import { callerText, syscallText } from '../../checker/stepText.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import { outcomeText, type Outcome } from '../../spec/results.js'
import { SYSCALL_KINDS } from '../../spec/syscalls.js'
import { defaultWorkers } from '../command.js'
import { InputError } from '../../spec/decode.js'
import { IMAGE_POOL, PROPERTY_BOOT } from '../../properties/pool.js'
import { EXIT, formatJson, renderTable, say, UsageError, warn, writeOutputFile } from '../output.js'
import type { CheckArgs } from './check.js'
import { interruptedBefore } from '../interrupt.js'

/** Defaults of the main job: all suites pass well within 60 s on two cores (B6). Counterexamples go to the current directory. */
export const CHECK_DEFAULTS = { runs: 1000, maxSteps: 60, counterexamples: '.', stepTimeoutSeconds: 60 } as const

function suitesOf(names: ReadonlyArray<string>): SuiteName[] {
  if (names.includes('all')) return [...SUITE_NAMES]
  const planned = names.filter((n) => !(SUITE_NAMES as ReadonlyArray<string>).includes(n))
  if (planned.length > 0) throw new UsageError(`suite ${JSON.stringify(planned[0])} is planned and not yet available; available: ${SUITE_NAMES.join(', ')}`, 'check')
  return [...new Set(names)] as SuiteName[]
}

/** A progress line on stderr: in place on a terminal, every few seconds otherwise. */
/**
 * The time a run has left, as the progress line says it: the runs left at the
 * rate of the runs done so far (every suite of `suiteCount` has the same
 * number of runs), and never past the time limit's end. Null until a run is done.
 */
export function timeLeftMs(elapsedMs: number, runsDone: number, runsPerSuite: number, suiteCount: number, timeLimitMs: number | undefined): number | null {
  const limitLeft = timeLimitMs === undefined ? Number.POSITIVE_INFINITY : Math.max(0, timeLimitMs - elapsedMs)
  if (runsDone === 0) return timeLimitMs === undefined ? null : limitLeft
  const runsLeft = Math.max(0, runsPerSuite * suiteCount - runsDone)
  return Math.min(limitLeft, (elapsedMs / runsDone) * runsLeft)
}

function progressReporter(started: number, suiteCount: number, timeLimitMs: number | undefined): { update: (p: Progress) => void; done: () => void } {
  const latest = new Map<string, Progress>()
  let printed = 0
  const tty = process.stderr.isTTY === true
  return {
    update(progress) {
      latest.set(progress.suite, progress)
      const now = Date.now()
      if (now - printed < (tty ? 200 : 5000)) return
      printed = now
      const runsDone = [...latest.values()].reduce((n, p) => n + p.runsDone, 0)
      const steps = [...latest.values()].reduce((n, p) => n + p.steps, 0)
      const seconds = (now - started) / 1000
      const left = timeLeftMs(now - started, runsDone, progress.runsTotal, suiteCount, timeLimitMs)
      const line = `check: ${[...latest.values()].map((p) => `${p.suite} ${p.runsDone}/${p.runsTotal}`).join(' · ')} · ${runsDone} runs · ${Math.round(steps / Math.max(seconds, 0.001))} steps/s · ${seconds.toFixed(0)} s${left === null ? '' : ` · about ${Math.ceil(left / 1000)} s left`}`
      process.stderr.write(tty ? `\r${line.slice(0, (process.stderr.columns ?? 120) - 1)}\x1b[K` : `${line}\n`)
    },
    done() { if (tty) process.stderr.write('\r\x1b[K') },
  }
}

/**
 * Boots `target` on a watched worker thread: whether its create returned within
 * `timeoutMs`. A user's kernel (`file:PATH`) whose create does not return is
 * refused (exit 2); for ours (the impl, a mutant) the caller fails the check.
 */
async function bootsWithin(target: string, timeoutMs: number, system: GivenSystem | null): Promise<boolean> {
  const booted = await watchReplay(target, { format: TRACE_FORMAT, boot: system?.config ?? PROPERTY_BOOT, images: [...(system?.images ?? IMAGE_POOL)], steps: [] }, timeoutMs)
  if (booted?.where !== 'create') return true
  if (target.startsWith('file:')) {
    throw new KernelModuleError(target.slice('file:'.length), `create(config, images) did not return within ${(timeoutMs / 1000).toLocaleString('en')} s (--step-timeout): a kernel that does not boot cannot be checked`)
  }
  return false
}

/** What a check says of one of our kernels (the impl, a mutant) whose create did not return: a kernel bug, the check failed (exit 1). */
function unbootedFailure(target: string, stepTimeoutSeconds: number): number {
  warn(`sila check: ${kernelText(target)}: its create (its boot) did not return within ${stepTimeoutSeconds.toLocaleString('en')} s (--step-timeout): ROBUST (every syscall gets an answer; a kernel that does not boot answers none), no suite ran`)
  return EXIT.failed
}

/** The shrunk step table: each step on the model and on the kernel; `mark` on the failing step (a witness's: its good state). */

/**
 * Whether a stalled run's trace is written: the kernel, or a user property
 * named, did not answer (sila replay watches both and stops at the same step)
 * within a run it can regenerate. A stall outside both is not: a replay would
 * not meet it.
 */
function writesStalled(example: CounterExample): boolean {
  return (example.failure.invariant === 'ROBUST' || example.failure.stalledProperty !== undefined) && example.scenario.length > 0
}

function stepTable(example: CounterExample, target: string, mark: { header: string; sign: string } = { header: 'broke', sign: '✗' }): string {
  const suite = SUITE_REGISTRY[example.suite]
  const executed = suite.executed(example.scenario)
  const environment = suiteEnvironment(suite, example.scenario)
  // No syscall: no boot either (a systems run whose boot the model refuses has none, and the failure is the boot's).
  if (executed.length === 0) return '(no syscall: the failure is at the boot)'
  let state = boot(environment.config, environment.images)
  // The kernel as the suite booted it (the pipeline suite: from the real pool's bytes), so that the table shows what the run met.
  const kernel = suiteKernelTarget(resolveTarget(target), example.suite, environment.config, environment.images).create(environment.config, environment.images)
  const offset = setupSteps(executed.length, example.scenario.length)
  // A stalled run: the steps up to the unanswered one, which the kernel is not asked again.
  const shown = example.stalled === true ? executed.slice(0, Math.max(0, example.failure.step + offset + 1)) : executed
  const stalledAt = example.stalled === true && example.failure.invariant === 'ROBUST' ? example.failure.step : null
  const rows = shown.map((syscall, index) => {
    const model = modelStep(state, syscall)
    state = model.state
    let kernelOutcome: Outcome | string
    if (index - offset === stalledAt) kernelOutcome = 'no answer'
    else try { kernelOutcome = kernel.step(syscall) } catch (error) { kernelOutcome = `threw ${String(error)}` }
    const kernelText = typeof kernelOutcome === 'string' ? kernelOutcome : outcomeText(kernelOutcome)
    const broke = index - offset === example.failure.step ? `${example.failure.invariant ?? ''} ${mark.sign}` : ''
    return [String(index), callerText(syscall), syscallText(syscall), outcomeText(model.outcome), kernelText === outcomeText(model.outcome) ? '=' : kernelText, broke]
  })
  return renderTable([
    { header: 'step', align: 'right' }, { header: 'caller', align: 'right' }, { header: 'syscall', widthMax: 60 },
    { header: 'model', widthMax: 34 }, { header: 'kernel', widthMax: 34 }, { header: mark.header },
  ], rows)
}

function coverageReport(results: ReadonlyArray<SuiteResult>, given: boolean): string {
  const total = (pick: (r: SuiteResult) => Record<string, number>, key: string) => results.reduce((n, r) => n + (pick(r)[key] ?? 0), 0)
  const runs = results.reduce((n, r) => n + r.coverage.runs, 0)
  const kinds = renderTable([{ header: 'syscall' }, { header: 'runs ok', align: 'right' }, { header: 'runs failed', align: 'right' }],
    SYSCALL_KINDS.map((k) => [k, String(total((r) => r.coverage.kindOk, k)), String(total((r) => r.coverage.kindFailed, k))]))
  const errorKeys = [...new Set(results.flatMap((r) => Object.keys(r.coverage.errors)))].sort()
  const errors = errorKeys.map((k) => `${k} ${total((r) => r.coverage.errors, k)}`).join(', ')
  const reached = (name: string) => total((r) => r.coverage.cases, name)
  const names = [...DEEP_CASES.map((d) => d.name), ...Object.values(GRANT_CASES), ...(results.some((r) => r.suite === 'systems') ? Object.values(SYSTEM_CASES) : [])]
  const width = Math.max(...names.map((name) => name.length))
  const cases = names.map((name) => `  ${name.padEnd(width)} ${String(reached(name)).padStart(6)} of ${runs} runs (${((100 * reached(name)) / Math.max(1, runs)).toFixed(0)} %)`).join('\n')
  const gaps = coverageGaps({ runs, steps: 0, kindOk: Object.fromEntries(SYSCALL_KINDS.map((k) => [k, total((r) => r.coverage.kindOk, k)])), kindFailed: {}, errors: Object.fromEntries(errorKeys.map((k) => [k, 1])), cases: Object.fromEntries(DEEP_CASES.map((d) => [d.name, total((r) => r.coverage.cases, d.name)])) })
  const gapText = [...gaps.kinds, ...gaps.errors, ...gaps.cases]
  // Your system (--boot) may allow none of some kinds, errors or cases (no device: no I/O; CPU accounting off: no BudgetExhausted): the list is what the runs met, not a verdict on the check.
  const mayNot = given ? ' (of the default check\'s list: your system may allow none of some; the table above says what its runs met)' : ''
  return `Coverage (runs that reached each syscall kind, with a success and with an error):\n${kinds}\n\nErrors seen (runs): ${errors}\n\nDeep states reached${mayNot}:\n${cases}\n${gapText.length === 0 ? 'Every syscall kind succeeded, every error code and every deep case was reached.' : `Not reached: ${gapText.join(', ')}`}\n\n${checkCoverageReport(results)}`
}

/** Check-level coverage: each check of the catalogue, how often it decided a step, and its edges. */
function checkCoverageReport(results: ReadonlyArray<SuiteResult>): string {
  const merged = new Coverage()
  for (const result of results) merged.add(result.coverage)
  const checks = merged.toJson().checks ?? {}
  const count = (name: string) => checks[name] ?? { ok: 0, fail: 0, atBound: 0, onePast: 0 }
  const table = renderTable([
    { header: 'check' }, { header: 'decided ok', align: 'right' }, { header: 'decided fail', align: 'right' },
    { header: 'at bound', align: 'right' }, { header: 'one past', align: 'right' },
  ], CHECK_CATALOGUE.map((c) => {
    const n = count(c.name)
    return [c.name, String(n.ok), String(n.fail), c.bounded ? String(n.atBound) : '', c.bounded ? String(n.onePast) : '']
  }))
  const gaps = checkGaps(checks)
  const decided = CHECK_CATALOGUE.length - new Set([...gaps.neverOk, ...gaps.neverFail]).size
  const lines = [`Checks (steps in which each check decided the outcome: the syscall succeeded with it on its path, or it refused first; bounded checks: steps exactly at the bound and one past it):`, table,
    `${decided} of ${CHECK_CATALOGUE.length} checks decided both ways.`]
  if (gaps.neverFail.length > 0) lines.push(`Never decided a refusal: ${gaps.neverFail.join('; ')}`)
  if (gaps.neverOk.length > 0) lines.push(`Never on a successful path: ${gaps.neverOk.join('; ')}`)
  if (gaps.edgesMissed.length > 0) lines.push(`Bounds never met exactly or missed by one: ${gaps.edgesMissed.join('; ')}`)
  // The systems suite alone (check --boot) builds no input that fails two checks at once: the other suites' edge fragments do.
  const pairs = merged.toJson().pairs ?? {}
  const measured = results.some((result) => result.suite !== 'systems') || Object.keys(pairs).length > 0
  lines.push('', measured ? pairCoverageReport(pairs) : 'Check pairs: not measured here (the inputs built to fail two checks at once come from the edge fragments of the other suites; the systems suite steps a system\'s own calls).')
  return lines.join('\n')
}

/** Double faults: pairs of checks whose order kernel.md §4/§8 fix, met by an input failing both; those never met, per syscall. */
function pairCoverageReport(pairs: Readonly<Record<string, number>>): string {
  const gaps = pairGaps(pairs)
  const steps = Object.values(pairs).reduce((sum, n) => sum + n, 0)
  const lines = [`Check pairs (two checks of one handler with different errors, both failing on one input; the earlier must refuse): ${gaps.reached} of ${gaps.total} met, in ${steps} steps (${gaps.unreachable.length} more can never fail together: ${[...new Set(gaps.unreachable.map((pair) => pair.unreachable!))].join('; ')}).`]
  const bySyscall = new Map<string, string[]>()
  for (const pair of gaps.missed) bySyscall.set(pair.syscall, [...(bySyscall.get(pair.syscall) ?? []), pair.key.slice(pair.syscall.length + 2)])
  if (bySyscall.size > 0) lines.push('Never met:', ...[...bySyscall].map(([syscall, keys]) => `  ${syscall} (${keys.length}): ${keys.join('; ')}`))
  return lines.join('\n')
}

/** The `sila check` flags that choose the same kernel: none for the impl. */
function checkKernelFlags(target: string): string {
  if (target.startsWith('mutant:')) return ` --mutant ${target.slice('mutant:'.length)}`
  if (target.startsWith('file:')) return ` --kernel ${shellWord(target.slice('file:'.length))}`
  return ''
}

/**
 * What produced a counterexample: the kernel, and the command that runs exactly
 * its case again (fast-check's path with the run's seed). A counterexample from
 * the store or an interrupted run has no path: its command runs the suite, whose
 * store replays it first.
 */
function checkProducedBy(example: CounterExample, args: CheckArgs, seed: number, maxSteps: number): ProducedBy {
  const shard = args.shard === undefined ? '' : ` --shard ${args.shard.index}/${args.shard.count}`
  const kernel = rerunFlags(args)
  // No path (from the store, or found by a run interrupted before shrinking): the suite with the same seed and bounds finds it again (the store first).
  if (example.path === '') return { kernel: args.target, seed, command: `sila check ${example.suite} --seed ${seed} --runs ${args.runs ?? CHECK_DEFAULTS.runs} --max-steps ${maxSteps}${shard}${kernel}` }
  return {
    kernel: args.target, seed, path: example.path,
    command: `sila check ${example.suite} --seed ${seed} --path ${example.path} --max-steps ${maxSteps}${shard}${kernel}`,
  }
}

/**
 * What a check (full or fail-fast) does on this thread before its workers
 * start: the kernel loaded, booted (first on a watched worker) and the user's
 * properties read, each refused (exit 2) when wrong. Returns the `--invariant`
 * selection and the properties chosen, in the file's order (the workers', which
 * load them again); `unbooted` when our kernel's create did not return.
 */
async function prepareCheck(args: CheckArgs, stepTimeoutSeconds: number): Promise<{ readonly unbooted: true } | { readonly unbooted: false; selection: ReturnType<typeof selectInvariants>; narrowed: boolean; properties: UserProperty[]; system: GivenSystem | null }> {
  const target = args.target
  // --boot: the file read and refused (exit 2, naming the path in it) before anything runs; the systems suite checks it here and in every worker.
  const system = args.boot === undefined ? null : givenSystem(args.boot)
  checkGivenSystem(system)
  loadModulesWithin(stepTimeoutSeconds)
  try { await loadTarget(target) } catch (error) { throw error instanceof InputError ? error : new UsageError((error as Error).message, 'check') }
  // A kernel whose boot never returns must not hang this thread's create below: booted first on a watched worker
  // (a planted loop in our impl's boot, as in a user's kernel; the worker's start costs about 0.25 s).
  if (!await bootsWithin(target, stepTimeoutSeconds * 1000, system)) return { unbooted: true }
  // A kernel that cannot boot is refused here, naming the line of its create (exit 2), before the workers start.
  resolveTarget(target).create(system?.config ?? PROPERTY_BOOT, system?.images ?? IMAGE_POOL)
  // The user's properties are read (and refused, exit 2) here, against the system the suites boot.
  const userProps = args.props === undefined ? [] : await loadProps(args.props, system === null ? systemNames(PROPERTY_BOOT, IMAGE_POOL) : systemNames(system.config, system.images))
  const invariantNames = args.invariants ?? []
  const selection = selectInvariants(invariantNames, userProps)
  return { unbooted: false, selection, narrowed: invariantNames.length > 0, properties: userProps.filter((property) => selection.user.some((chosen) => chosen.name === property.name)), system }
}

/** `--boot FILE` read as explore --boot reads it: refused (exit 2) when wrong, when it declares no process, or when its alphabet is too large to make. */
function givenSystem(file: string): GivenSystem {
  const preset = bootFilePreset(file, 'check')
  refuseLargeAlphabet(file, preset)
  return { config: preset.boot, images: preset.images }
}

/** The flags a rerun of one case carries over from the check: the kernel, the step timeout, the props file and the invariants named. */
function rerunFlags(args: CheckArgs): string {
  return `${args.boot === undefined ? '' : ` --boot ${shellWord(args.boot)}`}${checkKernelFlags(args.target)}${args.stepTimeoutSeconds === undefined ? '' : ` --step-timeout ${args.stepTimeoutSeconds}`}${args.props === undefined ? '' : ` --props ${shellWord(args.props)}`}${(args.invariants ?? []).map((name) => ` --invariant ${shellWord(name)}`).join('')}`
}

/** Where counterexample traces go: the directory named, else beside the results file (--out), else the working directory. */
function counterexampleDirectory(args: CheckArgs): string {
  return args.counterexamples ?? (args.out === undefined ? '.' : dirname(args.out))
}

export async function runCheckCommand(args: CheckArgs): Promise<number> {
  const suites = suitesOf(args.suites)
  const seed = args.seed ?? (Date.now() % 2 ** 31)
  const runs = args.runs ?? CHECK_DEFAULTS.runs
  const maxSteps = args.maxSteps ?? CHECK_DEFAULTS.maxSteps
  const workers = args.workers ?? defaultWorkers()
  const started = Date.now()
  const progress = progressReporter(started, suites.length, args.timeLimitSeconds === undefined ? undefined : args.timeLimitSeconds * 1000)
  const target = args.target
  const stepTimeoutSeconds = args.stepTimeoutSeconds ?? CHECK_DEFAULTS.stepTimeoutSeconds
  const prepared = await prepareCheck(args, stepTimeoutSeconds)
  if (prepared.unbooted) return unbootedFailure(target, stepTimeoutSeconds)
  const { selection, narrowed, properties: chosen, system } = prepared
  const scope = args.path === undefined ? `${runs} runs per suite` : `the case at path ${args.path}`
  if (!args.json) say(`sila check${target === 'impl' ? '' : ` (kernel: ${target})`}: ${suites.join(', ')}${args.boot === undefined ? '' : ` of ${args.boot}`} · ${scope} · ≤ ${maxSteps} steps · seed ${seed} · ${workers} worker${workers === 1 ? '' : 's'}${args.shard === undefined ? '' : ` · shard ${args.shard.index}/${args.shard.count}`}${narrowed ? ` · invariants: ${selection.catalogue.join(', ') || 'none of the catalogue'}` : ''}${args.props === undefined ? '' : ` · ${plural(selection.user.length, 'user property', 'user properties')} from ${args.props}`}`)
  const latest = new Map<SuiteName, Progress>()
  const found = new Map<SuiteName, FailureFound>()
  const running = runParallel({
    suites, allSuites: SUITE_NAMES, runs, seed, maxSteps, target, stored: args.path === undefined ? loadStore((file, why) => warn(`sila check: warning: ${file} in the counterexample store is skipped: ${why} (remove it, or the failure it kept is no longer replayed first)`)) : [],
    ...(args.path === undefined ? {} : { path: args.path }),
    ...(args.timeLimitSeconds === undefined ? {} : { timeLimitMs: args.timeLimitSeconds * 1000 }),
    ...(args.shard === undefined ? {} : { shard: args.shard }),
    ...(args.props === undefined || selection.user.length === 0 ? {} : {
      props: args.props,
      // In the workers' order (the file's), for a stall to name the property that did not return.
      propertyNames: chosen.map((property) => property.name),
    }),
    ...(narrowed ? { catalogue: selection.catalogue, userNames: selection.user.map((property) => property.name) } : {}),
    ...(system === null ? {} : { system }),
  }, workers, (p) => { latest.set(p.suite, p); progress.update(p) }, undefined, (f) => { if (!found.has(f.suite)) found.set(f.suite, f) },
  stepTimeoutSeconds * 1000)
  // Ctrl-C: stop the workers and report what was found so far, then exit 130.
  let interrupted = false
  const onInterrupt = () => { interrupted = true; running.stop() }
  process.once('SIGINT', onInterrupt)
  // Ctrl-C during start-up (cli/interrupt.ts kept it): stop at once, reporting what there is.
  if (interruptedBefore()) onInterrupt()
  const finished = await running.results
  process.off('SIGINT', onInterrupt)
  progress.done()
  const results = interrupted ? withUnfinished(suites, finished, latest, found, started, (suite) => seedOfSuite(seed, suite, args.shard)) : finished
  const files = new Map<SuiteName, string>()
  const producers = new Map<SuiteName, ProducedBy>()
  for (const result of results) {
    if (result.counterexample === null) continue
    const producedBy = checkProducedBy(result.counterexample, args, seed, maxSteps)
    producers.set(result.suite, producedBy)
    // A run the kernel (or a user property) stopped answering is written (sila replay watches both and stops at the same
    // step) but not stored: a later check would replay it first and wait the whole timeout. One stopped elsewhere (no
    // property named) or outside any run (no scenario to write) is not written.
    const stalled = result.counterexample.stalled === true
    if (stalled && !writesStalled(result.counterexample)) continue
    files.set(result.suite, saveCounterexample(result.counterexample, counterexampleDirectory(args), producedBy, args.props, !stalled))
  }
  const witnesses = shortestWitnesses(selection.user, results)
  const witnessFiles = new Map([...witnesses].map(([name, example]) => [name, saveWitness(example, counterexampleDirectory(args), checkProducedBy(example, args, seed, maxSteps), args.props)]))
  const properties = args.props === undefined ? [] : propertySummaries(selection.user, results, files, witnesses, witnessFiles)
  const summary: CheckResults = {
    format: CHECK_FORMAT, seed, runs, maxSteps, shard: args.shard ?? null,
    passed: results.every((r) => r.counterexample === null), suites: results.map((r) => summarize(r, files.get(r.suite) ?? null)),
    ...(args.props === undefined ? {} : { props: args.props, properties }),
    kernel: target,
    ...(args.boot === undefined || system === null ? {} : { boot: args.boot, system: systemDigest(system.config, system.images) }),
  }
  if (args.out !== undefined) writeOutputFile(args.out, `${JSON.stringify(summary, null, 2)}\n`)
  if (args.junit !== undefined) writeOutputFile(args.junit, junitXml(summary, new Map(results.map((r) => [r.suite, r.durationMs]))))
  const reportFile = args.report === undefined ? null : writeReport(args.report, await checkReport({
    results, seed, runs, maxSteps, targetName: target, target: resolveTarget(target), files, shard: args.shard ?? null, durationMs: Date.now() - started, generator: generatorName(),
    ...(args.boot === undefined || system === null ? {} : { system: { file: args.boot, ...system } }),
  }))
  const exitCode = interrupted ? EXIT.interrupted : summary.passed ? EXIT.ok : EXIT.failed
  if (args.json) {
    say(formatJson(summary))
    return exitCode
  }
  say(renderTable([{ header: 'suite' }, { header: 'runs', align: 'right' }, { header: 'steps', align: 'right' }, { header: 'time', align: 'right' }, { header: 'result' }],
    results.map((r) => [r.suite, String(r.runs), String(r.coverage.steps), `${(r.durationMs / 1000).toFixed(1)} s`,
      r.counterexample === null ? (r.interrupted ? (interrupted ? 'interrupted' : 'passed (time limit hit)') : 'passed')
        : failedText(r.counterexample)])))
  if (args.props !== undefined) {
    say()
    say(propertiesReport(args.props, properties, maxSteps))
  }
  say()
  // A --path rerun is one case: coverage over one run would list nearly every check as never met.
  say(args.path === undefined ? coverageReport(results, args.boot !== undefined) : 'Coverage: not reported for a --path rerun (one case); --json and --out still hold it.')
  for (const result of results) {
    const example = result.counterexample
    if (example === null) continue
    say()
    say(`✗ ${result.suite}: ${example.failure.message}`)
    if (example.failure.says !== undefined) say(`property ${example.failure.invariant}: ${example.failure.says}`)
    // A kernel that did not boot is not booted again here.
    if (example.stalled !== true || example.failure.step >= 0) say(stepTable(example, target))
    if (example.stalled === true) {
      const where = `fast-check seed ${result.seed}${example.path === '' ? '' : `, path ${example.path}`}`
      if (files.has(result.suite)) {
        say(`counterexample: ${files.get(result.suite)} (${where}; unshrunk, not stored)`)
        say(`replay it: npx sila replay ${shellWord(files.get(result.suite)!)}${replayFlags(target)}${args.stepTimeoutSeconds === undefined ? '' : ` --step-timeout ${args.stepTimeoutSeconds}`}`)
      } else say(`no trace written: ${example.scenario.length === 0 ? 'no run was under way' : 'the check stopped outside the kernel and your properties, where a replay would not meet it'} (${where})`)
      say(`rerun it: npx ${producers.get(result.suite)!.command}`)
      continue
    }
    if (example.failure.witness !== undefined) say(`witness: ${formatJson(example.failure.witness)}`)
    if (example.failure.difference !== undefined) say(`difference at ${example.failure.difference.path}: model ${formatJson(example.failure.difference.model)}, kernel ${formatJson(example.failure.difference.kernel)}`)
    if (example.failure.kernel !== undefined && E.isLeft(example.failure.kernel)) say(`kernel answered ${example.failure.kernel.left.code}`)
    const producedBy = producers.get(result.suite)!
    say(`counterexample: ${files.get(result.suite)} (fast-check seed ${result.seed}${example.path === '' ? '' : `, path ${example.path}`}${example.fromStore ? '; from the store' : ''})`)
    say(`replay it: npx sila replay ${shellWord(files.get(result.suite)!)}${replayFlags(target)}`)
    if (producedBy.path !== undefined) say(`rerun it: npx ${producedBy.command}`)
  }
  for (const [name, example] of witnesses) {
    say()
    say(`✓ witness of ${name} (sometimes, ${example.suite}): ${example.failure.message}`)
    say(`property ${name}: ${example.failure.says ?? ''}`)
    say(stepTable(example, target, { header: 'reached', sign: '✓' }))
    say(`witness: ${witnessFiles.get(name)} (shrunk ${example.lengthBefore} → ${exampleSteps(example)} steps)`)
    say(`replay it: npx sila replay ${shellWord(witnessFiles.get(name)!)}${replayFlags(target)}`)
  }
  say()
  if (reportFile !== null) say(`report: ${reportFile}`)
  say(`${interrupted ? 'Interrupted: the results above are what was found so far' : summary.passed ? 'All suites passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
  return exitCode
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}

/** For each `sometimes` property some suite reached: the shortest witness (the first suite's on a tie). */
function shortestWitnesses(properties: ReadonlyArray<UserProperty>, results: ReadonlyArray<SuiteResult>): Map<string, CounterExample> {
  const found = new Map<string, CounterExample>()
  for (const property of properties) {
    for (const result of results) {
      const witness = result.witnesses?.find((w) => w.failure.invariant === property.name)
      const best = found.get(property.name)
      if (witness !== undefined && (best === undefined || witness.scenario.length < best.scenario.length)) found.set(property.name, witness)
    }
  }
  return found
}

/** Each user property's verdict over the suites: violated (the suite's counterexample names it), held, witnessed or vacuous. */
function propertySummaries(properties: ReadonlyArray<UserProperty>, results: ReadonlyArray<SuiteResult>, files: ReadonlyMap<SuiteName, string>, witnesses: ReadonlyMap<string, CounterExample>, witnessFiles: ReadonlyMap<string, string>): PropertySummary[] {
  return properties.map((property): PropertySummary => {
    let states = 0
    let runs = 0
    let runsReached = 0
    for (const result of results) {
      const tally = result.properties?.find((t) => t.name === property.name)
      if (tally === undefined) continue
      states += tally.states
      runs += result.runs
      runsReached += tally.runsReached
    }
    const counts = { name: property.name, says: property.says, kind: property.kind, states, runs, runsReached }
    if (property.kind === 'always') {
      const broken = results.find((r) => r.counterexample?.failure.invariant === property.name)
      if (broken === undefined) return { ...counts, status: 'held', file: null }
      const failure = broken.counterexample!.failure
      return { ...counts, status: 'violated', file: files.get(broken.suite) ?? null, suite: broken.suite, step: failure.step, message: failure.message }
    }
    const witness = witnesses.get(property.name)
    if (witness === undefined) return { ...counts, status: 'vacuous', file: null }
    return { ...counts, status: 'witnessed', file: witnessFiles.get(property.name) ?? null, suite: witness.suite, step: witness.failure.step, message: witness.failure.message }
  })
}

/** The user's properties, one line each, and a vacuity warning for each `sometimes` never reached. */
function propertiesReport(file: string, properties: ReadonlyArray<PropertySummary>, maxSteps: number): string {
  const rows = properties.map((p) => [p.name, p.kind, statusText(p.status), p.status === 'violated' ? `in ${p.suite} at step ${p.step}: ${p.message ?? ''}`
    : p.status === 'witnessed' ? `reached in ${p.runsReached} of ${p.runs} runs (witness below)`
    : p.status === 'vacuous' ? `reached in none of ${p.runs} runs` : `${p.states} states`])
  const lines = [`Your properties (${file}):`, renderTable([{ header: 'property' }, { header: 'kind' }, { header: 'result' }, { header: 'details', widthMax: 90 }], rows)]
  for (const p of properties) {
    if (p.status === 'vacuous') lines.push(`warning: ${p.name} (sometimes) was not reached within ${p.runs} runs of ≤ ${maxSteps} steps: this is not a pass. ${p.says}`)
  }
  if (properties.length === 0) lines.push('(none chosen by --invariant)')
  return lines.join('\n')
}

function statusText(status: PropertySummary['status']): string {
  return status === 'violated' ? 'VIOLATED' : status === 'vacuous' ? 'NOT REACHED' : status
}

// The mutation runner (tools/mutation/sila-runner-worker.mjs) imports firstFailure from here.
export { firstFailure, type FailFastFailure } from '../../checker/fail-fast.js'

/**
 * `sila check --fail-fast`: a quick yes/no. The suites run on one worker thread
 * in rounds of growing runs (a hundredth, a tenth, then all: a run of one round
 * is the first of the next, fast-check's seed being the same), so that a failure
 * any suite finds early ends the check soon; the first failing run is reported
 * unshrunk and nothing is written. The worker is watched as a full check's are
 * (`--step-timeout`). The same seed gives the same answer: the store is not read.
 */
export async function runFailFast(args: CheckArgs): Promise<number> {
  const suites = suitesOf(args.suites)
  const seed = args.seed ?? (Date.now() % 2 ** 31)
  const runs = args.runs ?? CHECK_DEFAULTS.runs
  const maxSteps = args.maxSteps ?? CHECK_DEFAULTS.maxSteps
  const started = Date.now()
  const stepTimeoutSeconds = args.stepTimeoutSeconds ?? CHECK_DEFAULTS.stepTimeoutSeconds
  const prepared = await prepareCheck(args, stepTimeoutSeconds)
  if (prepared.unbooted) return unbootedFailure(args.target, stepTimeoutSeconds)
  const { selection, narrowed, properties, system } = prepared
  say(`sila check --fail-fast${args.target === 'impl' ? '' : ` (kernel: ${args.target})`}: ${suites.join(', ')}${args.boot === undefined ? '' : ` of ${args.boot}`} · ${runs} runs per suite · ≤ ${maxSteps} steps · seed ${seed}${narrowed ? ` · invariants: ${selection.catalogue.join(', ') || 'none of the catalogue'}` : ''}${args.props === undefined ? '' : ` · ${plural(properties.length, 'user property', 'user properties')} from ${args.props}`}`)
  const job: Omit<FailFastJob, 'watch'> = {
    target: args.target, suites, runs, seed, maxSteps,
    ...(narrowed ? { catalogue: selection.catalogue, userNames: properties.map((property) => property.name) } : {}),
    ...(args.props === undefined || properties.length === 0 ? {} : { props: args.props }),
    ...(system === null ? {} : { system }),
  }
  const ended = await watchedFailFast(job, stepTimeoutSeconds * 1000)
  if ('interrupted' in ended) {
    say(`Interrupted: no failure found before Ctrl-C, in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
    return EXIT.interrupted
  }
  const flags = rerunFlags(args)
  if ('stall' in ended) {
    // The run under way when the kernel (or a property) stopped answering, regenerated from its suite's seed and run.
    const { stall } = ended
    const suite = stall.suite ?? suites[0]!
    const stalled = stalledResult(suite, stall, {
      seed: seedOfSuite(seed, suite), maxSteps, timeoutMs: stepTimeoutSeconds * 1000, durationMs: Date.now() - started, runs: Math.max(0, stall.run),
      coverage: NO_COVERAGE, properties: properties.map((property) => property.name),
    })
    const example = stalled.counterexample!
    say(`✗ ${suite}: ${example.failure.message}`)
    say(example.path === ''
      ? 'no run was under way: nothing to rerun but the check itself'
      : `the run under way: ${exampleSteps(example)} steps, unshrunk (fast-check seed ${stalled.seed}, path ${example.path}); rerun it without --fail-fast to see its steps and write its trace: npx sila check ${suite} --seed ${seed} --path ${example.path} --max-steps ${maxSteps}${flags}`)
    say(`FAILED in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
    return EXIT.failed
  }
  if (ended.failed === null) {
    say(`All suites passed in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
    return EXIT.ok
  }
  const { suite, roundRuns, result } = ended.failed
  const example = result.counterexample!
  say(`✗ ${suite}: ${example.failure.message}`)
  say(`first failing run: ${exampleSteps(example)} steps, unshrunk (fast-check seed ${result.seed}${example.path === '' ? '' : `, path ${example.path}`}); rerun it without --fail-fast to shrink and keep it: npx sila check ${suite} --seed ${seed} --runs ${roundRuns} --max-steps ${maxSteps}${flags}`)
  say(`FAILED in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
  return EXIT.failed
}

/**
 * Runs a fail-fast check on a worker thread, watched as `sila check`'s workers
 * are: its first failure (null: every suite passed), or the stall of a kernel
 * call or user property that did not return within `timeoutMs`, or Ctrl-C (the
 * worker is stopped at once). An error in the worker is thrown here (an
 * InputError as the user's).
 */
function watchedFailFast(job: Omit<FailFastJob, 'watch'>, timeoutMs: number): Promise<{ readonly failed: FailFastFailure | null } | { readonly stall: Stall } | { readonly interrupted: true }> {
  const watch = newWatch()
  const worker = new Worker(new URL('./fail-fast-worker.js', import.meta.url), { workerData: { ...job, watch } satisfies FailFastJob })
  return new Promise((resolve, reject) => {
    let settled = false
    const settle = (then: () => void) => { if (settled) return; settled = true; stop(); process.off('SIGINT', onInterrupt); void worker.terminate(); then() }
    // Armed from the first tick (loading the kernel and the properties is not a step): a tick that then stands still for the timeout is a stall.
    const stop = watchCalls([{ inside: () => ticksOf(watch) > 0, ticks: () => ticksOf(watch) }], timeoutMs, () => settle(() => resolve({ stall: stallOf(watch) })))
    // Ctrl-C (cli/interrupt.ts kept one that came during start-up): stop the worker and say so.
    const onInterrupt = () => settle(() => resolve({ interrupted: true }))
    process.once('SIGINT', onInterrupt)
    if (interruptedBefore()) onInterrupt()
    worker.on('message', (message: { failed?: FailFastFailure | null; error?: string; input?: { file: string; problems: string[] } }) => settle(() => {
      if (message.error === undefined) resolve({ failed: message.failed ?? null })
      else reject(message.input === undefined ? new Error(message.error) : new InputError(message.input.file, message.input.problems))
    }))
    worker.on('error', (error) => settle(() => reject(error)))
    worker.on('exit', (code) => settle(() => reject(new Error(`the fail-fast check's worker exited with code ${code}`))))
  })
}

/**
 * After an interrupt: the finished suites, and for each unfinished one its last
 * progress (runs and coverage so far) and, if it had found a failure, that failure
 * unshrunk.
 */
function withUnfinished(suites: ReadonlyArray<SuiteName>, finished: ReadonlyArray<SuiteResult>, latest: ReadonlyMap<SuiteName, Progress>, found: ReadonlyMap<SuiteName, FailureFound>, started: number, seedOf: (suite: SuiteName) => number): SuiteResult[] {
  return suites.map((suite): SuiteResult => {
    const done = finished.find((r) => r.suite === suite)
    if (done !== undefined) return done
    const progress = latest.get(suite)
    const failure = found.get(suite)
    return {
      suite, seed: failure?.seed ?? seedOf(suite), runs: progress?.runsDone ?? 0, interrupted: true, durationMs: Date.now() - started,
      coverage: progress?.coverage ?? NO_COVERAGE,
      counterexample: failure === undefined ? null : { suite, seed: failure.seed, path: '', scenario: failure.scenario, failure: failure.failure, lengthBefore: scenarioSteps(SUITE_REGISTRY[suite], failure.scenario), fromStore: false },
    }
  })
}
