/**
 * `sila check` without the printing: splits the suites over worker threads, runs
 * them (stored counterexamples first), and gathers results. Each worker runs whole
 * suites, so results do not depend on the number of workers.
 * @module
 */
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import type { SuiteName } from '../properties/suite.js'
import { runSuite, type CheckOptions, type SuiteResult } from '../properties/run.js'
import { loadTarget } from './targets.js'

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
}

export type Progress = { suite: SuiteName; runsDone: number; runsTotal: number; steps: number }
export type WorkerMessage = { type: 'progress'; progress: Progress } | { type: 'result'; result: SuiteResult } | { type: 'error'; message: string }

/** Runs a job's suites in this thread. */
export async function runJob(job: CheckJob, onProgress?: (progress: Progress) => void, onResult?: (result: SuiteResult) => void): Promise<SuiteResult[]> {
  const options: CheckOptions = {
    suites: job.allSuites, runs: job.runs, seed: job.seed, maxSteps: job.maxSteps, timeLimitMs: job.timeLimitMs,
    shard: job.shard, target: await loadTarget(job.target), stored: job.stored, onProgress,
  }
  return job.suites.map((suite) => {
    const result = runSuite(suite, options)
    onResult?.(result)
    return result
  })
}

/** Deals suites to `workers` threads round-robin, heaviest first, and collects results in suite order. */
export async function runParallel(job: CheckJob, workers: number, onProgress: (progress: Progress) => void, onResult?: (result: SuiteResult) => void): Promise<SuiteResult[]> {
  if (workers <= 1 || job.suites.length <= 1) return runJob(job, onProgress, onResult)
  const lanes: SuiteName[][] = Array.from({ length: Math.min(workers, job.suites.length) }, () => [])
  job.suites.forEach((suite, index) => lanes[index % lanes.length]!.push(suite))
  const script = fileURLToPath(new URL('./check-worker.js', import.meta.url))
  const results = await Promise.all(lanes.map((suites) => new Promise<SuiteResult[]>((resolve, reject) => {
    const worker = new Worker(script, { workerData: { ...job, suites } })
    const collected: SuiteResult[] = []
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message.progress)
      else if (message.type === 'result') { collected.push(message.result); onResult?.(message.result) }
      else reject(new Error(message.message))
    })
    worker.on('error', reject)
    worker.on('exit', (code) => (code === 0 ? resolve(collected) : reject(new Error(`check worker exited with code ${code}`))))
  })))
  const byName = new Map(results.flat().map((r) => [r.suite, r]))
  return job.suites.map((suite) => byName.get(suite)!)
}
