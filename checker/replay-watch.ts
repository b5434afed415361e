/**
 * The watchdog of `sila replay` (`--step-timeout`): a kernel whose step never
 * returns, or a user property (`--props`, a module's code) that never returns,
 * must be reported where it stopped, not hang the replay. JavaScript cannot
 * stop a call on its own thread, so the replay is run first on a worker thread
 * — the same replay (checker/replay.ts), so the same kernel calls and property
 * questions in the same order — with those calls counted in shared memory
 * (checker/watchdog.ts, as `sila check` counts them). A worker inside one call
 * for the timeout is stopped; the call is an {@link Unanswered} (the kernel's
 * boot, a step, the abstraction after it) or a {@link PropertyStall}, and the
 * worker runs again knowing it, until a run reaches the end: the replay on this
 * thread then hands the kernel nothing after its unanswered call and asks a
 * stalled property nothing from the state it stopped on. A kernel or property
 * that answers the same questions differently from one run to the next is not
 * what this watches for: a loop it enters only on the last run hangs the replay
 * as before.
 * @module
 */
import type { Trace } from '../spec/trace.js'
import { BOOT_STEP, type PropertyStall, type Unanswered } from './replay.js'
import { watchedWorker } from './watchdog.js'

/** The user properties a watched replay asks: the props file (as given) and the names asked, in the order asked. */
export interface WatchedProps {
  readonly file: string
  readonly names: ReadonlyArray<string>
}

/** What the watched runs found: the kernel's unanswered call and the properties that did not return (none: everything answered). */
export interface ReplayStalls {
  readonly unanswered: Unanswered | null
  readonly stalled: ReadonlyArray<PropertyStall>
}

/** What a worker of the watch is handed. */
export interface ReplayWatchJob {
  /** A checker/targets.ts name, or null: the model alone (its user properties watched). */
  readonly kernel: string | null
  readonly trace: Trace
  readonly props: WatchedProps | null
  readonly unanswered: Unanswered | null
  readonly stalled: ReadonlyArray<PropertyStall>
}

/**
 * Replays `trace` on kernel target `kernel` on a worker thread, watched: the
 * call that did not return within `timeoutMs`, or null when the replay ran to
 * its end (or failed otherwise: the replay on this thread then meets the same
 * failure and reports it). What an exported regression test calls
 * (checker/export/test.ts); {@link watchReplayStalls} watches properties too.
 */
export async function watchReplay(kernel: string, trace: Trace, timeoutMs: number): Promise<Unanswered | null> {
  return (await watchReplayStalls(kernel, trace, timeoutMs)).unanswered
}

/**
 * Replays `trace` on kernel target `kernel` (null: none) with the properties
 * of `props` on worker threads, watched, until a run ends: the kernel's call
 * that did not return within `timeoutMs`, and each property that did not.
 * A run that fails otherwise ends the watch: the replay on this thread then
 * meets the same failure and reports it.
 */
export async function watchReplayStalls(kernel: string | null, trace: Trace, timeoutMs: number, props: WatchedProps | null = null): Promise<ReplayStalls> {
  let unanswered: Unanswered | null = null
  const stalled: PropertyStall[] = []
  const properties = props?.names.length ?? 0
  // Each run stops at most one more call: the kernel's (once) or a property's (once each); then a last run ends.
  for (let run = 0; run < properties + 2; run++) {
    const found = await watchedRun({ kernel, trace, props, unanswered, stalled }, timeoutMs)
    if (found === null) break
    if ('property' in found) stalled.push(found)
    else unanswered = found
    // Nothing left that could stop: no need to run again.
    if ((kernel === null || unanswered !== null) && stalled.length === properties) break
  }
  return { unanswered, stalled }
}

/** One watched run on a worker: the call that did not return, or null when the run ended. */
async function watchedRun(job: ReplayWatchJob, timeoutMs: number): Promise<Unanswered | PropertyStall | null> {
  const stall = await watchedWorker(new URL('./replay-watch-worker.js', import.meta.url), job, timeoutMs)
  if (stall === null) return null
  if (stall.where === 'property') {
    const property = job.props?.names[stall.property]
    return property === undefined ? null : { property, step: stall.askedAt, timeoutMs }
  }
  // Steps answered so far: the unanswered step's index; the abstraction reads the state after the step before it (at boot: BOOT_STEP).
  return stall.where === 'create' ? { where: 'create', step: BOOT_STEP, timeoutMs }
    : stall.where === 'abstract' ? { where: 'abstract', step: stall.step - 1, timeoutMs } : { where: 'step', step: stall.step, timeoutMs }
}
