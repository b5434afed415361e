/**
 * The load probe of a user's module (checker/user-module.ts): the module is
 * imported here, on a worker thread, before the calling thread imports it, so
 * that a module whose top-level code never finishes (a loop, an await that never
 * settles) is refused rather than hanging the command. Whether it loaded or threw
 * is all it says: a throw is left to the calling thread's import, which names the
 * line.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'

const { url } = workerData as { url: string }
try {
  await import(url)
  parentPort!.postMessage('loaded')
} catch {
  parentPort!.postMessage('threw')
}
