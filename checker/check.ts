/**
 * `sila check` without the printing: splits the suites over worker threads, runs
 * them (stored counterexamples first), and gathers results. Each worker runs whole
 * suites, so results do not depend on the number of workers.
 * @module
 */
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import type { SuiteFailure, SuiteName } from '../properties/suite.js'
import type { CoverageJson } from '../properties/coverage.js'
import { runSuitesInTurn, type CheckOptions, type SuiteResult } from '../properties/run.js'
import { loadTarget } from './targets.js'
import { InputError } from '../spec/decode.js'
import { IMAGE_POOL, PROPERTY_BOOT } from '../properties/pool.js'
import { loadProps, systemNames, type UserProperty } from './props-input.js'
import { newWatch, runRecorder, stallOf, stalledResult, ticksOf, watchedProperties, watchedTarget, type Watch } from './watchdog.js'
import { seedOfSuite } from '../properties/run.js'
import { NO_COVERAGE } from '../properties/coverage.js'
import { type GivenSystem, checkGivenSystem } from '../properties/suites/systems.js'

/** What a worker needs: plain data only. */
export interface CheckJob {
  readonly suites: ReadonlyArray<SuiteName>
  readonly allSuites: ReadonlyArray<SuiteName>
  readonly runs: number
  readonly seed: number
  readonly maxSteps: number
  readonly timeLimitMs?: number
  readonly shard?: { readonly index: number; readonly count: number }
  readonly target: string
  readonly stored: ReadonlyArray<{ readonly suite: string; readonly scenario: unknown[] }>
  /** fast-check's path of the one case to run (`sila check SUITE --seed S --path P`). */
  readonly path?: string
  /** `--props FILE` as given (each worker loads it again: properties are code). */
  readonly props?: string
  /** `--invariant`: the catalogue invariants checked (absent: all). */
  readonly catalogue?: ReadonlyArray<string>
  /** `--invariant`: the user properties checked, by name (absent: all of `props`). */
  readonly userNames?: ReadonlyArray<string>
  /** The names of the user properties the workers ask, in their order (the props file's, narrowed): a stall names the one that did not return. */
  readonly propertyNames?: ReadonlyArray<string>
  /** Shared counters for the watchdog (checker/watchdog.ts): set by {@link runParallel} for each worker. */
  readonly watch?: Watch
  /** `--boot FILE`, read: the system the systems suite checks instead of generated ones. */
  readonly system?: GivenSystem
}

export type Progress = { suite: SuiteName; runsDone: number; runsTotal: number; steps: number; coverage: CoverageJson }
export type FailureFound = { suite: SuiteName; seed: number; scenario: unknown[]; failure: SuiteFailure }
export type WorkerMessage =
  | { type: 'progress'; progress: Progress } | { type: 'found'; found: FailureFound }
  | { type: 'result'; result: SuiteResult }
  /** `input`: the user's error (their kernel module cannot load or boot), refused with exit 2 like any input. */
  | { type: 'error'; message: string; input?: { file: string; problems: string[] } }

/** Runs a job's suites in this thread. */
export async function runJob(job: CheckJob, onProgress?: (progress: Progress) => void, onResult?: (result: SuiteResult) => void, onFailureFound?: (found: FailureFound) => void): Promise<SuiteResult[]> {
  const target = await loadTarget(job.target)
  checkGivenSystem(job.system ?? null)
  const options: CheckOptions = {
    suites: job.allSuites, runs: job.runs, seed: job.seed, maxSteps: job.maxSteps, timeLimitMs: job.timeLimitMs,
    shard: job.shard, target: job.watch === undefined ? target : watchedTarget(target, job.watch), stored: job.stored, onProgress, onFailureFound,
    ...(job.watch === undefined ? {} : { onRun: runRecorder(job.watch) }),
    ...(job.path === undefined ? {} : { path: job.path }),
    ...(job.catalogue === undefined ? {} : { catalogue: job.catalogue }),
    ...(job.props === undefined ? {} : { properties: await watchedJobProperties(job.props, job.userNames, job.watch, job.system) }),
  }
  // This worker's suites share the whole budget in turn (the workers run side by side).
  return runSuitesInTurn(job.suites, options, onResult)
}

/** A job's user properties ({@link jobProperties}), their code counted in `watch` when there is one (a property that does not return is a STALL naming it). */
export async function watchedJobProperties(file: string, names: ReadonlyArray<string> | undefined, watch: Watch | undefined, system?: GivenSystem): Promise<UserProperty[]> {
  const properties = await jobProperties(file, names, system)
  return watch === undefined ? properties : watchedProperties(properties, watch)
}

/** The user properties of a job: the props file against the system checked (the property boot, or `--boot`'s), narrowed to `names` when given. */
export async function jobProperties(file: string, names?: ReadonlyArray<string>, system?: GivenSystem): Promise<UserProperty[]> {
  const all = await loadProps(file, system === undefined ? systemNames(PROPERTY_BOOT, IMAGE_POOL) : systemNames(system.config, system.images))
  return names === undefined ? all : all.filter((property) => names.includes(property.name))
}

/** What a running check can be asked: its results (in suite order), or to stop now. */
export interface RunningCheck {
  readonly results: Promise<SuiteResult[]>
  /** Ctrl-C: the workers stop at once; `results` then holds the suites that finished. */
  stop(): void
}

/**
 * About how long each suite's default run takes (seconds of one core for 1,000
 * runs of at most 60 steps; measured 2026-12-07 on a quiet machine): what
 * {@link dealSuites} balances. Only their proportions matter: the update suite
 * steps about four times the syscalls of most others (some 240,000 against
 * 60,000), the noninterference and robustness suites about an eighth.
 */
export const SUITE_WEIGHTS: Readonly<Record<SuiteName, number>> = {
  refinement: 10.6, invariants: 12.7, isolation: 9.8, quota: 9.7, noninterference: 2.4, robustness: 0.7, pipeline: 6.3, update: 17.5, systems: 6.5,
}

/**
 * The suites dealt to `count` lanes (each a worker, which runs its suites one
 * after another) so that the heaviest lane is as light as it can be by
 * {@link SUITE_WEIGHTS}: every way of dealing is tried, heaviest suites first,
 * leaving off any that cannot beat the best found (nine suites: a few hundred
 * tries). Each lane keeps its suites in the order given, and none is empty:
 * there are `count` lanes, or one per suite when there are fewer.
 */
export function dealSuites(suites: ReadonlyArray<SuiteName>, count: number): SuiteName[][] {
  const lanes = Math.max(1, Math.min(count, suites.length))
  const order = suites.map((_, index) => index).sort((a, b) => SUITE_WEIGHTS[suites[b]!] - SUITE_WEIGHTS[suites[a]!])
  const load = new Array<number>(lanes).fill(0)
  const lane = new Array<number>(suites.length).fill(0)
  let best = Infinity
  let bestLane: number[] = []
  const place = (at: number, used: number, heaviest: number): void => {
    // Every lane gets a suite (a worker more is no slower when the weights are only about right).
    if (heaviest >= best || suites.length - at < lanes - used) return
    if (at === suites.length) { best = heaviest; bestLane = [...lane]; return }
    const suite = order[at]!
    const weight = SUITE_WEIGHTS[suites[suite]!]
    // Lanes are alike: of the empty ones only the first is tried, so that no dealing is tried twice under other lane numbers.
    for (let to = 0; to < Math.min(used + 1, lanes); to++) {
      lane[suite] = to
      load[to] += weight
      place(at + 1, Math.max(used, to + 1), Math.max(heaviest, load[to]!))
      load[to] -= weight
    }
  }
  place(0, 0, 0)
  const dealt: SuiteName[][] = Array.from({ length: lanes }, () => [])
  suites.forEach((suite, index) => dealt[bestLane[index]!]!.push(suite))
  return dealt
}

/**
 * Deals suites to `workers` threads ({@link dealSuites}) and collects results in suite
 * order. The suites always run in worker threads, so the main thread stays free to
 * take Ctrl-C, report what was found so far, and watch the workers: with
 * `stepTimeoutMs`, a worker whose kernel (or user property) has not answered for
 * that long is stopped, its suite fails with the run under way
 * (checker/watchdog.ts), and a new worker runs the rest of its lane.
 */
export function runParallel(job: CheckJob, workers: number, onProgress: (progress: Progress) => void, onResult?: (result: SuiteResult) => void, onFailureFound?: (found: FailureFound) => void, stepTimeoutMs?: number): RunningCheck {
  const lanes = dealSuites(job.suites, workers)
  const script = fileURLToPath(new URL('./check-worker.js', import.meta.url))
  const collected = new Map<SuiteName, SuiteResult>()
  const latest = new Map<SuiteName, Progress>()
  const started = Date.now()
  const threads = new Set<Worker>()
  let finish: () => void = () => {}
  let reject: (error: Error) => void = () => {}
  let running = lanes.length
  let stopped = false
  const done = new Promise<void>((resolved, rejected) => { finish = resolved; reject = rejected })
  const stopAll = () => { stopped = true; clearInterval(timer); for (const thread of threads) void thread.terminate() }
  // One thread's error ends the check: the other threads stop too, rather than run on unreported.
  const fail = (error: Error) => { reject(error); stopAll() }
  const record = (result: SuiteResult) => { collected.set(result.suite, result); onResult?.(result) }
  type Watched = { readonly worker: Worker; readonly watch: Watch; readonly suites: ReadonlyArray<SuiteName>; ticks: number; since: number; replaced: boolean }
  const watched = new Set<Watched>()
  const startLane = (suites: ReadonlyArray<SuiteName>) => {
    const watch = newWatch()
    const timeLimitMs = job.timeLimitMs === undefined ? {} : { timeLimitMs: Math.max(1, job.timeLimitMs - (Date.now() - started)) }
    const worker = new Worker(script, { workerData: { ...job, ...timeLimitMs, suites, ...(stepTimeoutMs === undefined ? {} : { watch }) } })
    const lane: Watched = { worker, watch, suites, ticks: ticksOf(watch), since: Date.now(), replaced: false }
    threads.add(worker)
    watched.add(lane)
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') { latest.set(message.progress.suite, message.progress); onProgress(message.progress) }
      else if (message.type === 'found') onFailureFound?.(message.found)
      else if (message.type === 'result') record(message.result)
      else fail(message.input === undefined ? new Error(message.message) : new InputError(message.input.file, message.input.problems))
    })
    worker.on('error', fail)
    worker.on('exit', (code) => {
      threads.delete(worker)
      watched.delete(lane)
      if (lane.replaced) return
      if (code !== 0 && code !== 1 && !stopped) fail(new Error(`check worker exited with code ${code}`))
      if (--running === 0) { clearInterval(timer); finish() }
    })
  }
  /** A worker that stopped answering: its suite fails with the run under way; the rest of its lane goes on in a new worker. */
  const stalled = (lane: Watched) => {
    const stall = stallOf(lane.watch)
    // The suite under way: the one the worker last named, unless its result is in (the next one had not started), else the lane's first unfinished.
    const suite = stall.suite !== null && lane.suites.includes(stall.suite) && !collected.has(stall.suite) ? stall.suite : lane.suites.find((name) => !collected.has(name))
    lane.replaced = true
    void lane.worker.terminate()
    if (suite === undefined) {
      // Every suite of the lane had its result: a worker slow to exit, nothing left to report.
      if (--running === 0) { clearInterval(timer); finish() }
      return
    }
    const progress = latest.get(suite)
    record(stalledResult(suite, stall, {
      seed: seedOfSuite(job.seed, suite, job.shard), maxSteps: job.maxSteps, ...(job.path === undefined ? {} : { path: job.path }),
      timeoutMs: stepTimeoutMs!, durationMs: Date.now() - started, ...(job.propertyNames === undefined ? {} : { properties: job.propertyNames }),
      runs: progress?.runsDone ?? 0, coverage: progress?.coverage ?? NO_COVERAGE,
    }))
    const rest = lane.suites.filter((name) => !collected.has(name))
    if (rest.length > 0 && !stopped) startLane(rest)
    else if (--running === 0) { clearInterval(timer); finish() }
  }
  const timer = setInterval(() => {
    const now = Date.now()
    for (const lane of watched) {
      const ticks = ticksOf(lane.watch)
      // Armed from the first tick: starting a worker (loading the kernel, the props) is not a step.
      if (ticks !== lane.ticks) { lane.ticks = ticks; lane.since = now } else if (ticks !== 0 && !lane.replaced && now - lane.since >= stepTimeoutMs!) stalled(lane)
    }
  }, Math.max(50, Math.min(1000, (stepTimeoutMs ?? 1000) / 4)))
  if (stepTimeoutMs === undefined) clearInterval(timer)
  for (const suites of lanes) startLane(suites)
  return {
    results: done.then(() => job.suites.filter((suite) => collected.has(suite)).map((suite) => collected.get(suite)!)),
    stop: stopAll,
  }
}
