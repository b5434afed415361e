/**
 * Choosing the engine for `sila explore` and turning what it found into the same
 * counterexample trace `sila check` writes.
 * @module
 */
import type { Preset } from '../../spec/presets.js'
import { PRESETS } from '../../spec/presets.js'
import { TRACE_FORMAT, type Trace, type TraceStep } from '../../spec/trace.js'
import { SyscallCodec } from '../../spec/syscalls.js'
import { outcomeToJson } from '../../spec/results.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import { Worker } from 'node:worker_threads'
import { type ExploreOptions, type ExploreProgress, type ExploreResult, explore } from './search.js'
import { exploreGeneral } from './general.js'
import { exploreGeneralParallel } from './general-parallel.js'

export type Engine = 'auto' | 'model' | 'compiled'

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((preset) => preset.name === name)
}

/**
 * The general engine (general.ts, `compiled`) runs every preset and declared
 * system and is the default; the model engine runs when asked (`--engine
 * model`) and for what only it can do: `--refine` (it steps the model, the
 * kernel alongside) and a model mutant (`step`). More than one worker needs the
 * general engine and a breadth-first search (not a swarm job).
 */
export function runExplore(options: ExploreOptions, engine: Engine): ExploreResult | Promise<ExploreResult> {
  const needsModel = options.refine !== undefined || options.step !== undefined
  const useCompiled = engine === 'compiled' || (engine === 'auto' && !needsModel)
  if (useCompiled && options.refine !== undefined) throw new Error('--refine steps the model and the kernel side by side: use --engine model')
  if (useCompiled && options.step !== undefined) throw new Error('a model mutant is a copy of the model: the compiled engine steps the impl; use --engine model')
  const workers = options.workers ?? 1
  if (workers > 1 && !useCompiled) throw new Error(`--workers needs the compiled engine (not --engine model, --refine or --mutant); this search runs on the model engine, on one core`)
  if (workers > 1 && options.swarm !== undefined) throw new Error('--workers runs one breadth-first search on several cores; a swarm job runs on one (run more jobs instead)')
  if (workers > 1) return exploreGeneralParallel({ ...options, workers })
  return useCompiled ? exploreGeneral(options) : explore(options)
}

/** A counterexample of the checker as a `sila-trace/1` trace, outcomes recorded from the model. */
export function exploreTrace(preset: Preset, result: ExploreResult): Trace {
  const violation = result.violation!
  let state = boot(preset.boot, preset.images)
  const steps: TraceStep[] = violation.path.map((syscall) => {
    const stepped = modelStep(state, syscall)
    state = stepped.state
    return SyscallCodec.is(syscall) ? { syscall, outcome: outcomeToJson(stepped.outcome) } : { malformed: true as const, syscall, outcome: outcomeToJson(stepped.outcome) }
  })
  return {
    format: TRACE_FORMAT,
    description: `sila explore --preset ${preset.name}: ${violation.invariant} after ${violation.path.length} steps (a shortest path)`,
    boot: preset.boot,
    images: [...preset.images],
    steps,
    failure: { property: 'explore', invariant: violation.invariant, step: violation.path.length - 1, message: violation.message, witness: violation.witness as never },
  }
}

/** What a search worker needs: plain data, with the kernel and mutant named. */
export interface ExploreJob {
  readonly options: Omit<ExploreOptions, 'refine' | 'step' | 'onProgress' | 'shouldStop'>
  readonly engine: Engine
  /** A target name for `--refine` (see checker/targets.ts). */
  readonly refine?: string
  /** A model mutant's name. */
  readonly mutant?: string
}

/**
 * Runs the search in a worker thread; `stop()` (for Ctrl-C) makes it return what
 * it found so far, marked interrupted.
 */
export function exploreInWorker(job: ExploreJob, onProgress: (progress: ExploreProgress) => void): { result: Promise<ExploreResult>; stop: () => void } {
  const stop = new SharedArrayBuffer(4)
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { ...job, stop } })
  const result = new Promise<ExploreResult>((resolve, reject) => {
    worker.on('message', (message: { type: string; progress?: ExploreProgress; result?: ExploreResult; message?: string }) => {
      if (message.type === 'progress') onProgress(message.progress!)
      else if (message.type === 'result') { resolve(message.result!); void worker.terminate() }
      else reject(new Error(message.message))
    })
    worker.on('error', reject)
  })
  return { result, stop: () => Atomics.store(new Int32Array(stop), 0, 1) }
}
