/**
 * A worker thread of `sila mutants`: runs the mutants it is given, one at a time,
 * and posts each result back.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import { findMutants, runMutant, type MutantsOptions } from './mutants.js'

const port = parentPort!
const job = workerData as { names: string[]; options: MutantsOptions }
try {
  for (const mutant of findMutants(job.names)) port.postMessage({ type: 'result', result: await runMutant(mutant, job.options) })
} catch (error) {
  port.postMessage({ type: 'error', message: String((error as Error).stack ?? error) })
}
