/**
 * The worker thread of `sila replay`'s watchdog (replay-watch.ts): the replay's
 * kernel calls, counted in shared memory as it makes them. It ends by saying it
 * is done; a failure of any other kind is left to the replay on the main thread.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { Trace } from '../spec/trace.js'
import { replayTrace } from './replay.js'
import { loadTarget } from './targets.js'
import { type Watch, watchedTarget } from './watchdog.js'

const { kernel, trace, watch } = workerData as { kernel: string; trace: Trace; watch: Watch }
try {
  replayTrace(trace, watchedTarget(await loadTarget(kernel), watch))
} finally {
  parentPort!.postMessage('done')
}
