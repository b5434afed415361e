/**
 * The worker thread of `sila check --fail-fast` (check-run.ts `runFailFast`):
 * the suites in rounds, as `firstFailure` runs them, with the kernel's calls,
 * the user's properties and each run counted in shared memory, so that the
 * main thread can stop a kernel (or property) that never answers. It posts the
 * first failure (or null), or the error that ended it.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import { watchedJobProperties } from '../../checker/check.js'
import { loadTarget } from '../../checker/targets.js'
import { type Watch, runRecorder, watchedTarget } from '../../checker/watchdog.js'
import type { SuiteName } from '../../properties/suite.js'
import { InputError } from '../../spec/decode.js'
import { firstFailure } from '../../checker/fail-fast.js'
import { type GivenSystem, checkGivenSystem } from '../../properties/suites/systems.js'

/** What the main thread hands the worker: the plan of the check and the watch to count in. */
export interface FailFastJob {
  readonly target: string
  readonly suites: ReadonlyArray<SuiteName>
  readonly runs: number
  readonly seed: number
  readonly maxSteps: number
  readonly catalogue?: ReadonlyArray<string>
  readonly props?: string
  readonly userNames?: ReadonlyArray<string>
  readonly watch: Watch
  /** `--boot FILE`, read: the system the systems suite checks. */
  readonly system?: GivenSystem
}

const job = workerData as FailFastJob
const port = parentPort!
try {
  const target = watchedTarget(await loadTarget(job.target), job.watch)
  checkGivenSystem(job.system ?? null)
  const properties = job.props === undefined ? undefined : await watchedJobProperties(job.props, job.userNames, job.watch, job.system)
  const failed = firstFailure(target, job.suites, job.runs, job.seed, job.maxSteps, {
    onRun: runRecorder(job.watch),
    ...(job.catalogue === undefined ? {} : { catalogue: job.catalogue }),
    ...(properties === undefined ? {} : { properties }),
  })
  port.postMessage({ failed })
} catch (error) {
  port.postMessage({ error: String((error as Error).stack ?? error), ...(error instanceof InputError ? { input: { file: error.file, problems: error.problems } } : {}) })
}
