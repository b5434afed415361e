/**
 * The watchdog of `sila replay` (`--step-timeout`): a kernel whose step never
 * returns must be reported at that step, not hang the replay. JavaScript cannot
 * stop a call on its own thread, so the kernel's part of the replay is run
 * first on a worker thread — the same replay (checker/replay.ts), so the same
 * kernel calls in the same order — with its calls counted in shared memory
 * (checker/watchdog.ts, as `sila check` counts them). A worker whose kernel has
 * been inside one call (its boot, a step, the abstraction after it) for the
 * timeout is stopped, and the call is the replay's {@link Unanswered}: the
 * replay on this thread then hands the kernel nothing from there on and reports
 * the step as unanswered. A kernel that answers the same syscalls differently
 * from one run to the next is not what this watches for: a loop it enters only
 * on the second run hangs the replay as before.
 * @module
 */
import { Worker } from 'node:worker_threads'
import type { Trace } from '../spec/trace.js'
import { BOOT_STEP, type Unanswered } from './replay.js'
import { insideKernel, newWatch, stallOf, ticksOf } from './watchdog.js'
import { watchCalls } from './explore/step-watch.js'

/**
 * Replays `trace` on kernel target `kernel` (a checker/targets.ts name) on a
 * worker thread, watched: the call that did not return within `timeoutMs`, or
 * null when the replay ran to its end (or failed otherwise: the replay on this
 * thread then meets the same failure and reports it).
 */
export function watchReplay(kernel: string, trace: Trace, timeoutMs: number): Promise<Unanswered | null> {
  const watch = newWatch()
  const worker = new Worker(new URL('./replay-watch-worker.js', import.meta.url), { workerData: { kernel, trace, watch } })
  return new Promise((resolve) => {
    const finish = (found: Unanswered | null) => { stop(); void worker.terminate(); resolve(found) }
    // Only the kernel's calls are timed: the model's work between two calls, and loading the kernel's module, are not.
    const stop = watchCalls([{ inside: () => insideKernel(watch), ticks: () => ticksOf(watch) }], timeoutMs, () => {
      const stall = stallOf(watch)
      // Steps answered so far: the unanswered step's index; the abstraction reads the state after the step before it (at boot: BOOT_STEP).
      finish(stall.where === 'create' ? { where: 'create', step: BOOT_STEP, timeoutMs }
        : stall.where === 'abstract' ? { where: 'abstract', step: stall.step - 1, timeoutMs } : { where: 'step', step: stall.step, timeoutMs })
    })
    worker.on('message', () => finish(null))
    worker.on('error', () => finish(null))
    worker.on('exit', () => finish(null))
  })
}
