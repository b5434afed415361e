/**
 * A user's properties asked of one state on a watched worker thread, before the
 * calling thread asks them itself (`sila audit --props`): a property in code
 * whose `test` does not return would otherwise hang the command where nothing
 * can stop it. The worker loads the props file again (functions do not cross
 * threads) and asks each property of a copy of the state, counted in the
 * watch's shared memory (watchdog.ts `watchedProperties`).
 * @module
 */
import type { KernelState } from '../model/state.js'
import type { SystemNames } from '../properties/user/resolve.js'
import { watchedWorker } from './watchdog.js'

/** What the worker is handed: the props file, the properties to ask (by name, in order), the state and the names the file is read against. */
export interface PropertyAskJob {
  readonly file: string
  readonly names: ReadonlyArray<string>
  readonly state: KernelState
  readonly system: SystemNames
}

/**
 * The first of `names` (properties of `file`) that does not return within
 * `timeoutMs` asked of `state`, or null when every one answered (or the worker
 * failed otherwise: the calling thread then meets the same failure, and reports it).
 */
export async function firstSilentProperty(job: PropertyAskJob, timeoutMs: number): Promise<string | null> {
  const stall = await watchedWorker(new URL('./property-ask-worker.js', import.meta.url), job, timeoutMs)
  return stall === null ? null : job.names[stall.property] ?? null
}
