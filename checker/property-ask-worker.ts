/**
 * The worker thread of property-ask.ts: the user's properties asked of one
 * state, each call counted in shared memory. It ends by saying it is done; a
 * failure of any other kind is left to the calling thread, which asks them again.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import { loadProps } from './props-input.js'
import type { PropertyAskJob } from './property-ask.js'
import { type Watch, watchedProperties } from './watchdog.js'

const job = workerData as PropertyAskJob & { watch: Watch }
try {
  const loaded = await loadProps(job.file, job.system)
  const asked = job.names.map((name) => loaded.find((property) => property.name === name)!)
  for (const property of watchedProperties(asked, job.watch)) property.test(job.state)
} finally {
  parentPort!.postMessage('done')
}
