/**
 * The worker thread `sila explore` searches in, so that the main thread stays free
 * to take Ctrl-C: it sets a shared flag that the search polls, and the search
 * returns what it found so far.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import { chooseEngine, runExplore, type ExploreJob } from './run.js'
import type { ExploreOptions } from './search.js'
import { loadTarget } from '../targets.js'
import { findModelMutant } from '../../mutants/model-mutants.js'
import { loadChecked, watchedProperties } from './props.js'
import { StepWatch } from './step-watch.js'
import { actionVariant } from './actions.js'
import { InputError } from '../../spec/decode.js'

const port = parentPort!
const job = workerData as ExploreJob & { stop: SharedArrayBuffer }
const stop = new Int32Array(job.stop)
try {
  const options: ExploreOptions = {
    ...job.options,
    ...(job.refine === undefined ? {} : { refine: await loadTarget(job.refine) }),
    ...(job.mutant === undefined ? {} : { step: findModelMutant(job.mutant)!.step }),
    ...(job.checked === undefined ? {} : { checked: await loadChecked(job.checked, job.options.preset) }),
    ...(job.coverage === 'variant' ? { coverageBy: actionVariant } : {}),
    shouldStop: () => Atomics.load(stop, 0) === 1,
    onProgress: (progress) => port.postMessage({ type: 'progress', progress }),
  }
  // The engine and the user properties' names, told first: a search the watchdog stops reports them.
  const chosen = chooseEngine(options, job.engine)
  port.postMessage({ type: 'engine', engine: chosen === 'capcore' ? 'compiled' : chosen, properties: options.checked?.user.map((property) => property.name) ?? [] })
  // The properties in code are watched on this thread's lane (with --workers N, each worker loads and watches its own).
  const watched = options.watch === undefined || options.checked === undefined || (options.workers ?? 1) > 1 ? options
    : { ...options, checked: { ...options.checked, user: watchedProperties(options.checked.user, new StepWatch(options.watch, 0)) } }
  const result = await runExplore(watched, job.engine)
  port.postMessage({ type: 'result', result })
} catch (error) {
  // A user's input refused here (a property module whose check throws) is the user's error: exit 2, as on the main thread.
  if (error instanceof InputError) port.postMessage({ type: 'input-error', file: error.file, problems: error.problems })
  else port.postMessage({ type: 'error', message: String((error as Error).stack ?? error) })
}
