/**
 * A worker thread of `sila check`: runs the suites it is given and posts progress
 * and results back.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import { runJob, type CheckJob, type WorkerMessage } from './check.js'
import { InputError } from '../spec/decode.js'

const port = parentPort!
try {
  await runJob(workerData as CheckJob,
    (progress) => port.postMessage({ type: 'progress', progress } satisfies WorkerMessage),
    (result) => port.postMessage({ type: 'result', result } satisfies WorkerMessage),
    (found) => port.postMessage({ type: 'found', found: JSON.parse(JSON.stringify(found, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))) } satisfies WorkerMessage))
} catch (error) {
  port.postMessage({
    type: 'error', message: String((error as Error).stack ?? error),
    ...(error instanceof InputError ? { input: { file: error.file, problems: error.problems } } : {}),
  } satisfies WorkerMessage)
}
