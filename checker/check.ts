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
  const options: CheckOptions = {
    suites: job.allSuites, runs: job.runs, seed: job.seed, maxSteps: job.maxSteps, timeLimitMs: job.timeLimitMs,
    shard: job.shard, target: await loadTarget(job.target), stored: job.stored, onProgress, onFailureFound,
    ...(job.path === undefined ? {} : { path: job.path }),
    ...(job.catalogue === undefined ? {} : { catalogue: job.catalogue }),
    ...(job.props === undefined ? {} : { properties: await jobProperties(job.props, job.userNames) }),
  }
  // This worker's suites share the whole budget in turn (the workers run side by side).
  return runSuitesInTurn(job.suites, options, onResult)
}

/** The user properties of a job: the props file against the property boot, narrowed to `names` when given. */
export async function jobProperties(file: string, names?: ReadonlyArray<string>): Promise<UserProperty[]> {
  const all = await loadProps(file, systemNames(PROPERTY_BOOT, IMAGE_POOL))
  return names === undefined ? all : all.filter((property) => names.includes(property.name))
}

/** What a running check can be asked: its results (in suite order), or to stop now. */
export interface RunningCheck {
  readonly results: Promise<SuiteResult[]>
  /** Ctrl-C: the workers stop at once; `results` then holds the suites that finished. */
  stop(): void
}

/**
 * Deals suites to `workers` threads round-robin and collects results in suite
 * order. The suites always run in worker threads, so the main thread stays free to
 * take Ctrl-C and report what was found so far.
 */
export function runParallel(job: CheckJob, workers: number, onProgress: (progress: Progress) => void, onResult?: (result: SuiteResult) => void, onFailureFound?: (found: FailureFound) => void): RunningCheck {
  const lanes: SuiteName[][] = Array.from({ length: Math.max(1, Math.min(workers, job.suites.length)) }, () => [])
  job.suites.forEach((suite, index) => lanes[index % lanes.length]!.push(suite))
  const script = fileURLToPath(new URL('./check-worker.js', import.meta.url))
  const collected = new Map<SuiteName, SuiteResult>()
  const threads: Worker[] = []
  let finish: () => void = () => {}
  let reject: (error: Error) => void = () => {}
  let running = lanes.length
  const done = new Promise<void>((resolved, rejected) => { finish = resolved; reject = rejected })
  // One thread's error ends the check: the other threads stop too, rather than run on unreported.
  const fail = (error: Error) => { reject(error); for (const thread of threads) void thread.terminate() }
  for (const suites of lanes) {
    const worker = new Worker(script, { workerData: { ...job, suites } })
    threads.push(worker)
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message.progress)
      else if (message.type === 'found') onFailureFound?.(message.found)
      else if (message.type === 'result') { collected.set(message.result.suite, message.result); onResult?.(message.result) }
      else fail(message.input === undefined ? new Error(message.message) : new InputError(message.input.file, message.input.problems))
    })
    worker.on('error', fail)
    worker.on('exit', (code) => { if (code !== 0 && code !== 1) fail(new Error(`check worker exited with code ${code}`)); if (--running === 0) finish() })
  }
  return {
    results: done.then(() => job.suites.filter((suite) => collected.has(suite)).map((suite) => collected.get(suite)!)),
    stop: () => { for (const thread of threads) void thread.terminate() },
  }
}
