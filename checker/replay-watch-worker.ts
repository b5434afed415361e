/**
 * The worker thread of `sila replay`'s watchdog (replay-watch.ts): the replay's
 * kernel calls and user property questions, counted in shared memory as it
 * makes them. It ends by saying it is done; a failure of any other kind is left
 * to the replay on the main thread.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import { replayTrace } from './replay.js'
import type { ReplayWatchJob } from './replay-watch.js'
import { loadTarget } from './targets.js'
import { loadProps, systemNames } from './props-input.js'
import { type Watch, askingAt, watchedProperties, watchedTarget } from './watchdog.js'

const job = workerData as ReplayWatchJob & { watch: Watch }
const { trace, watch } = job
try {
  const target = job.kernel === null ? undefined : watchedTarget(await loadTarget(job.kernel), watch)
  // The properties the main thread asks, in its order (it loaded and checked the file before this worker started).
  const names = job.props?.names ?? []
  const loaded = job.props === null ? [] : await loadProps(job.props.file, systemNames(trace.boot, trace.images))
  const properties = watchedProperties(names.map((name) => loaded.find((property) => property.name === name)!), watch)
  replayTrace(trace, target, {
    properties, stalled: job.stalled, asking: askingAt(watch),
    ...(job.unanswered === null ? {} : { unanswered: job.unanswered }),
  })
} finally {
  parentPort!.postMessage('done')
}
