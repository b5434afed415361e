/**
 * Choosing the engine for `sila explore` and turning what it found into the same
 * counterexample trace `sila check` writes.
 * @module
 */
import type { Preset } from '../../spec/presets.js'
import { CAP_CORE, CAP_CORE_3, PRESETS } from '../../spec/presets.js'
import { producingModel } from '../export/producer.js'
import { TRACE_FORMAT, type ProducedBy, type Trace, type TraceStep } from '../../spec/trace.js'
import { ExactSyscallCodec } from '../../spec/syscalls.js'
import { outcomeToJson } from '../../spec/results.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import { Worker } from 'node:worker_threads'
import { isDeepStrictEqual } from 'node:util'
import { InputError } from '../../spec/decode.js'
import { type ExploreOptions, type ExploreProgress, type ExploreResult, explore } from './search.js'
import { exploreCapCore } from './capcore.js'
import { exploreCapCoreParallel } from './capcore-parallel.js'
import { exploreGeneral, searchable } from './general.js'
import { exploreGeneralParallel } from './general-parallel.js'
import { narrowsCatalogue, type CheckedSource, type PropertyVerdict } from './props.js'
import { PATH_ROOM, type SearchStall, newWatchMemory, watchLanes } from './step-watch.js'
import { presetActions } from './actions.js'
import { collisionProbability } from './fingerprints.js'
import { syscallText } from '../stepText.js'

export type Engine = 'auto' | 'model' | 'compiled' | 'general'

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((preset) => preset.name === name)
}

/**
 * Has the system a specialised engine (capcore.ts)? Only the cap-core presets
 * exactly as shipped (compared by value: a preset crosses to a worker thread as a
 * copy): the hand-written engine encodes their boot state and alphabet.
 */
export function hasCapCoreEngine(preset: Preset): boolean {
  const shipped = preset.name === 'cap-core' ? CAP_CORE : preset.name === 'cap-core-3' ? CAP_CORE_3 : undefined
  return shipped !== undefined && (preset === shipped || (isDeepStrictEqual(preset.boot, shipped.boot) && isDeepStrictEqual(preset.actors, shipped.actors)
    && isDeepStrictEqual(preset.images.map((image) => image.digest), shipped.images.map((image) => image.digest))))
}

/**
 * Which engine runs a search. `compiled` (what `auto` means unless the search
 * needs the model) is the fastest compiled engine for the system: the
 * hand-written cap-core engine (capcore.ts) for the cap-core presets, the
 * general engine (general.ts, steps the impl) for every other preset and every
 * declared system, and for `--refine` against the impl (the general engine steps
 * the model beside the impl it searches). `general` forces the general engine;
 * `model` the model engine, which `--refine` against another kernel (a user's:
 * the model drives it) and a model mutant (`step`) need. More than one worker
 * needs a compiled engine and a breadth-first search (not a swarm job).
 */
export function chooseEngine(options: ExploreOptions, engine: Engine): 'model' | 'capcore' | 'general' {
  // The general engine refines the kernel it steps (the impl, or an impl mutant); another kernel is driven by the model engine.
  const refinesOther = options.refine !== undefined && !searchable(options.refine)
  const needsModel = refinesOther || options.step !== undefined
  if (engine === 'model' || (engine === 'auto' && needsModel)) return 'model'
  if (refinesOther) throw new Error(`the compiled engines step our impl: --refine against ${options.refine!.name} runs on the model engine: use --engine model`)
  if (options.step !== undefined) throw new Error('a model mutant is a copy of the model: the compiled engines do not step the model; use --engine model')
  // The specialised engine checks the whole catalogue on packed states, with no kernel to compare:
  // user properties, a narrowed catalogue and --refine need the general one.
  const checksMore = options.refine !== undefined || (options.checked !== undefined && (options.checked.user.length > 0 || narrowsCatalogue(options.checked)))
  return engine !== 'general' && !checksMore && hasCapCoreEngine(options.preset) ? 'capcore' : 'general'
}

export function runExplore(options: ExploreOptions, engine: Engine): ExploreResult | Promise<ExploreResult> {
  const chosen = chooseEngine(options, engine)
  const workers = options.workers ?? 1
  if (workers > 1 && chosen === 'model') throw new Error(`--workers needs a compiled engine (not --engine model, --refine or --mutant); this search runs on the model engine, on one core`)
  if (workers > 1 && options.swarm !== undefined) throw new Error('--workers runs one breadth-first search on several cores; a swarm job runs on one (run more jobs instead)')
  if (chosen === 'capcore') return workers > 1 ? exploreCapCoreParallel({ ...options, workers }) : exploreCapCore(options)
  if (chosen === 'general') return workers > 1 ? exploreGeneralParallel({ ...options, workers }) : exploreGeneral(options)
  return explore(options)
}

/**
 * A counterexample of the checker as a `sila-trace/1` trace, outcomes recorded from
 * the model, and `producedBy` when given (the kernel and the command).
 */
export function exploreTrace(preset: Preset, result: ExploreResult, producedBy?: ProducedBy, props?: string): Trace {
  const violation = result.violation!
  // A user property's failure names its props file, so that sila replay asks it again: one broken, or one that did not return (STALL).
  const user = violation.says !== undefined ? { says: violation.says, ...(props === undefined ? {} : { props }) }
    : violation.stalledProperty !== undefined ? { stalledProperty: violation.stalledProperty, ...(props === undefined ? {} : { props }) } : {}
  return {
    format: TRACE_FORMAT,
    description: `${producedBy?.command ?? `sila explore --preset ${preset.name}`}: ${violation.invariant} after ${violation.path.length} steps (a shortest path)`,
    boot: preset.boot,
    images: [...preset.images],
    // Outcomes as the kernel that failed answered them: a model mutant's are its own (its replay then shows the violation, not a mismatch).
    steps: traceSteps(preset, violation.path, producingModel({ ...(producedBy === undefined ? {} : { producedBy }) }).step),
    failure: { property: 'explore', invariant: violation.invariant, step: violation.path.length - 1, message: violation.message, witness: violation.witness as never, ...user },
    ...(producedBy === undefined ? {} : { producedBy }),
  }
}

/** The steps of a path from the boot state, outcomes recorded from the model (or the copy of it `step` is). */
function traceSteps(preset: Preset, path: ReadonlyArray<unknown>, step: typeof modelStep = modelStep): TraceStep[] {
  let state = boot(preset.boot, preset.images)
  return path.map((syscall) => {
    const stepped = step(state, syscall)
    state = stepped.state
    return ExactSyscallCodec.is(syscall) ? { syscall, outcome: outcomeToJson(stepped.outcome) } : { malformed: true as const, syscall, outcome: outcomeToJson(stepped.outcome) }
  })
}

/**
 * The witness of a `sometimes` property as a `sila-trace/1` trace, as `sila check`
 * writes one: the path to the good state, its `failure` naming the property (with
 * its sentence and props file) so that `sila replay` re-evaluates it and says it
 * was reached again.
 */
export function witnessTrace(preset: Preset, verdict: PropertyVerdict, producedBy?: ProducedBy, props?: string): Trace {
  const path = verdict.path ?? []
  return {
    format: TRACE_FORMAT,
    description: `witness of ${verdict.name} (${verdict.says}), ${producedBy?.command ?? `sila explore --preset ${preset.name}`}: after ${path.length} steps (a shortest path)`,
    boot: preset.boot,
    images: [...preset.images],
    steps: traceSteps(preset, path, producingModel({ ...(producedBy === undefined ? {} : { producedBy }) }).step),
    failure: {
      property: 'explore', invariant: verdict.name, step: path.length - 1, message: verdict.witnessMessage ?? verdict.message,
      ...(verdict.witness === undefined ? {} : { witness: verdict.witness as never }), says: verdict.says, ...(props === undefined ? {} : { props }),
    },
    ...(producedBy === undefined ? {} : { producedBy }),
  }
}

/** What a search's coverage counts transitions by: their syscall kind, or their variant (actions.ts's actionVariant). */
export type Coverage = 'kind' | 'variant'

/** What a search worker needs: plain data, with the kernel and mutant named. */
export interface ExploreJob {
  readonly options: Omit<ExploreOptions, 'refine' | 'step' | 'onProgress' | 'shouldStop' | 'checked' | 'coverageBy'>
  readonly engine: Engine
  /** What the coverage counts by (default: kind). */
  readonly coverage?: Coverage
  /** A target name for `--refine` (see checker/targets.ts). */
  readonly refine?: string
  /** A model mutant's name. */
  readonly mutant?: string
  /** The `--props` file and `--invariant` names: the worker loads them again (functions do not cross threads). */
  readonly checked?: CheckedSource
  /**
   * `--step-timeout`: a kernel call (step, create, abstraction) that has not
   * returned for this long stops the search, its path and action the
   * counterexample (ROBUST: every syscall gets an answer); absent: unwatched.
   */
  readonly stepTimeoutMs?: number
}

/**
 * Runs the search in a worker thread; `stop()` (for Ctrl-C) makes it return what
 * it found so far, marked interrupted.
 */
export function exploreInWorker(job: ExploreJob, onProgress: (progress: ExploreProgress) => void): { result: Promise<ExploreResult>; stop: () => void } {
  const stop = new SharedArrayBuffer(4)
  const started = Date.now()
  // One lane of the watchdog for each thread that may step a kernel (step-watch.ts).
  const watch = job.stepTimeoutMs === undefined ? undefined : newWatchMemory(job.options.workers ?? 1)
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { ...job, options: { ...job.options, ...(watch === undefined ? {} : { watch }) }, stop } })
  let unwatch = () => {}
  const result = new Promise<ExploreResult>((resolve, reject) => {
    let engine: ExploreResult['engine'] = 'general'
    let properties: ReadonlyArray<string> = []
    let last: ExploreProgress = { distinct: 0, generated: 0, depth: 0, queue: 0, elapsedMs: 0 }
    worker.on('message', (message: { type: string; progress?: ExploreProgress; result?: ExploreResult; engine?: ExploreResult['engine']; properties?: string[]; message?: string; file?: string; problems?: string[] }) => {
      if (message.type === 'progress') { last = message.progress!; onProgress(last) }
      else if (message.type === 'engine') { engine = message.engine!; properties = message.properties ?? [] }
      else if (message.type === 'result') { unwatch(); resolve(message.result!); void worker.terminate() }
      else if (message.type === 'input-error') { unwatch(); reject(new InputError(message.file!, message.problems!)); void worker.terminate() }
      else { unwatch(); reject(new Error(message.message)) }
    })
    worker.on('error', (error) => { unwatch(); reject(error) })
    if (watch !== undefined) {
      unwatch = watchLanes(watch, job.stepTimeoutMs!, (stall) => {
        // The worker (and the search's own workers with it) is stopped where it hangs; what it found so far is the last progress told.
        void worker.terminate()
        if (stall.path === null) { reject(new Error(`the kernel did not return within ${secondsText(job.stepTimeoutMs!)} at a depth past ${PATH_ROOM}, too deep for the watchdog to tell the path`)); return }
        resolve(stalledSearch(job, stall, engine, last, Date.now() - started, properties))
      })
    }
  })
  return { result, stop: () => Atomics.store(new Int32Array(stop), 0, 1) }
}

function secondsText(ms: number): string {
  return `${(ms / 1000).toLocaleString('en')} s`
}

/**
 * What a search stopped by the watchdog found: a violation of ROBUST (every
 * syscall gets an answer) whose path is the stalled thread's path and action,
 * a shortest one (breadth first); STALL when it was a user property's code
 * (`properties`: their names, in order) asked of the state that path reaches.
 * The counts are the last progress told.
 */
export function stalledSearch(job: ExploreJob, stall: SearchStall, engine: ExploreResult['engine'], last: ExploreProgress, durationMs: number, properties: ReadonlyArray<string> = []): ExploreResult {
  const { preset } = job.options
  // The alphabet the engines index (general.ts and search.ts alike): with --refine, the reading syscalls too.
  const actions = presetActions(preset, { readers: job.refine !== undefined })
  const path = [...stall.path!, ...(stall.action >= 0 ? [stall.action] : [])].map((index) => actions[index]!)
  const seconds = secondsText(job.stepTimeoutMs!)
  const step = path.length - 1
  const action = stall.action >= 0 ? ` (${syscallText(actions[stall.action])})` : ''
  const property = properties[stall.property] ?? `number ${stall.property + 1}`
  const message = stall.where === 'property' ? `the user property ${property} did not return within ${seconds} asked of the ${step < 0 ? 'boot state' : `state after step ${step}${action}`}: the search stopped it`
    : stall.where === 'create' ? `the kernel's create (its boot) did not return within ${seconds}: the search stopped it`
    : stall.where === 'abstract' ? `the abstraction did not return ${step < 0 ? 'at boot' : `after step ${step}${action}`} within ${seconds}: the search stopped it`
      : `the kernel did not answer step ${step}${action} within ${seconds}: the search stopped it (every syscall must get an answer)`
  return {
    // The boot state was found before any step was handed to the kernel (its create aside).
    preset: preset.name, engine, complete: false, distinct: Math.max(last.distinct, stall.where === 'create' ? 0 : 1), generated: last.generated, depth: last.depth, queue: last.queue,
    durationMs, statesPerSecond: Math.round((last.distinct / Math.max(durationMs, 1)) * 1000), collisionProbability: collisionProbability(last.distinct),
    coverage: {}, swarm: job.options.swarm ?? null,
    violation: {
      ...(stall.where === 'property' ? {} : { unanswered: { where: stall.where, step: stall.where === 'create' ? -1 : step, timeoutMs: job.stepTimeoutMs! } }),
      ...(stall.where === 'property' ? { stalledProperty: property } : {}),
      invariant: stall.where === 'property' ? 'STALL' : 'ROBUST', message, witness: { unanswered: stall.where, ...(stall.where === 'property' ? { property } : {}), ...(stall.action >= 0 ? { action: actions[stall.action] } : {}), timeoutSeconds: job.stepTimeoutMs! / 1000 }, path },
  }
}
