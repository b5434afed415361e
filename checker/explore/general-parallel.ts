/**
 * The general engine on several cores (`sila explore --workers N`): breadth
 * first, level by level, with the states partitioned among worker threads by
 * fingerprint (as in Stern and Dill's parallel Murφ). Each worker expands the
 * frontier states it owns, keeps the successors it owns, and sends the others
 * to their owners once per level, as their paths and fingerprints; nothing is
 * shared but the stop flag, so no table needs locking. The worker that takes a
 * transition checks its step invariants (every transition, into a new state or
 * not); the owner of a new state checks its state invariants (it replays the
 * path there). The result is the
 * sequential search's: the same distinct states, transitions and depth (a test
 * compares them), and a counterexample of the same, shortest, length.
 *
 * Bounds are checked between levels: `--states` may be passed by up to a level.
 * @module
 */
import { Worker } from 'node:worker_threads'
import { InputError } from '../../spec/decode.js'
import type { Preset } from '../../spec/presets.js'
import { presetActions } from './actions.js'
import { collisionProbability } from './fingerprints.js'
import { coverageOf } from './general.js'
import type { ExploreOptions, ExploreResult, ExploreViolation } from './search.js'
import { verdicts, type CheckedSource } from './props.js'
import type { Witness } from '../../properties/user/evaluate.js'

/** Successors of a level for one owner: their paths (back to back) and fingerprints. */
export interface Batch {
  readonly paths: ArrayBuffer
  readonly fingerprints: ArrayBuffer
  readonly size: number
}

/** What a worker says at the end of a level. */
export interface LevelReport {
  /** States of the next level it owns. */
  readonly next: number
  readonly distinct: number
  readonly generated: number
  readonly counts: ReadonlyArray<number>
  /** The first state it found that breaks an invariant (or an always user property): the invariant, and the path to it. */
  readonly violation: { readonly invariant: string; readonly message: string; readonly witness: unknown; readonly says?: string; readonly path: number[] } | null
  /** Sometimes user properties it found in this level's new states (one per property). */
  readonly witnesses: ReadonlyArray<LevelWitness>
}

/** A sometimes property found by a worker: its witness and the path to it. */
export interface LevelWitness {
  readonly name: string
  readonly message: string
  readonly detail: Readonly<Record<string, unknown>>
  readonly path: number[]
}

export type CoordinatorMessage =
  | { readonly type: 'expand'; readonly witnessed: ReadonlyArray<string> }
  | { readonly type: 'incoming'; readonly batches: ReadonlyArray<Batch> }

export type WorkerMessage =
  | { readonly type: 'outgoing'; readonly batches: ReadonlyArray<Batch | null> }
  | { readonly type: 'level'; readonly report: LevelReport }
  | { readonly type: 'failed'; readonly message: string; readonly input?: { readonly file: string; readonly problems: string[] } }

/** What a worker is started with. */
export interface WorkerSetup {
  readonly preset: Preset
  readonly index: number
  readonly count: number
  /** Set to 1 by the coordinator to stop (a time limit, Ctrl-C). */
  readonly stop: SharedArrayBuffer
  /** A kernel target's name (checker/targets.ts), for an impl mutant; the impl when absent. */
  readonly kernel?: string
  /** The `--props` file and `--invariant` names, loaded again by each worker. */
  readonly checked?: CheckedSource
}

/** The worker that owns a fingerprint. */
export function ownerOf(high: number, low: number, count: number): number {
  return (((high >>> 11) ^ low) >>> 0) % count
}

/** A worker thread and a way to ask it one thing at a time. */
class Peer {
  private readonly worker: Worker
  private pending: { resolve: (message: WorkerMessage) => void; reject: (error: Error) => void } | null = null

  constructor(setup: WorkerSetup) {
    this.worker = new Worker(new URL('./general-worker.js', import.meta.url), { workerData: setup })
    this.worker.on('message', (message: WorkerMessage) => {
      const pending = this.pending
      this.pending = null
      // A user's input refused in a worker (a property in code that threw) stays the user's error (exit 2).
      if (message.type === 'failed') pending?.reject(message.input === undefined ? new Error(message.message) : new InputError(message.input.file, message.input.problems))
      else pending?.resolve(message)
    })
    this.worker.on('error', (error) => { const pending = this.pending; this.pending = null; pending?.reject(error) })
  }

  ask(message: CoordinatorMessage, transfer: ArrayBuffer[] = []): Promise<WorkerMessage> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject }
      this.worker.postMessage(message, transfer)
    })
  }

  async close(): Promise<void> {
    await this.worker.terminate()
  }
}

/** Exhaustive (or depth-, state- or time-bounded) breadth-first search with the general engine on `workers` threads. */
export async function exploreGeneralParallel(options: ExploreOptions & { readonly workers: number; readonly kernelName?: string }): Promise<ExploreResult> {
  if (options.swarm !== undefined) throw new Error('--workers runs the breadth-first search; a swarm job runs on one core (run more jobs instead)')
  const started = Date.now()
  const actions = presetActions(options.preset)
  const count = Math.max(2, Math.floor(options.workers))
  const stop = new SharedArrayBuffer(4)
  const stopFlag = new Int32Array(stop)
  const peers = Array.from({ length: count }, (_, index) => new Peer({
    preset: options.preset, index, count, stop, ...(options.kernelName === undefined ? {} : { kernel: options.kernelName }),
    ...(options.checked === undefined ? {} : { checked: options.checked.source }),
  }))
  /** Sometimes properties found, by name: the first level's least path (the order the sequential search meets them). */
  const witnessed = new Map<string, { witness: Witness; path: ReadonlyArray<unknown>; indexes: number[] }>()
  let stopped = false
  let interrupted = false
  const poll = setInterval(() => {
    if (options.shouldStop?.() === true) { interrupted = true; stopped = true; Atomics.store(stopFlag, 0, 1) }
    if (options.timeLimitMs !== undefined && Date.now() - started > options.timeLimitMs) { stopped = true; Atomics.store(stopFlag, 0, 1) }
  }, 50)
  const depthBound = options.depthMax ?? Number.POSITIVE_INFINITY
  let depth = 0
  let reports: LevelReport[] = []
  let violation: ExploreViolation | null = null
  let queue = 1
  const recordWitnesses = (from: ReadonlyArray<LevelReport>) => {
    for (const report of from) {
      for (const w of report.witnesses) {
        const known = witnessed.get(w.name)
        if (known !== undefined && (known.indexes.length < w.path.length || comparePaths(known.indexes, w.path) <= 0)) continue
        witnessed.set(w.name, { witness: { message: w.message, detail: w.detail }, path: w.path.map((action) => actions[action]!), indexes: w.path })
      }
    }
  }
  try {
    while (queue > 0 && depth < depthBound && !stopped) {
      const found = [...witnessed.keys()]
      const outgoing = (await Promise.all(peers.map((peer) => peer.ask({ type: 'expand', witnessed: found })))) as Array<Extract<WorkerMessage, { type: 'outgoing' }>>
      const levels = await Promise.all(peers.map((peer, owner) => {
        const batches = outgoing.flatMap((message) => { const batch = message.batches[owner]; return batch === null || batch === undefined ? [] : [batch] })
        return peer.ask({ type: 'incoming', batches }, batches.flatMap((batch) => [batch.paths, batch.fingerprints]))
      })) as Array<Extract<WorkerMessage, { type: 'level' }>>
      reports = levels.map((message) => message.report)
      recordWitnesses(reports)
      queue = reports.reduce((sum, report) => sum + report.next, 0)
      const distinct = reports.reduce((sum, report) => sum + report.distinct, 0)
      const broken = reports.flatMap((report) => (report.violation === null ? [] : [report.violation])).sort((a, b) => comparePaths(a.path, b.path))[0]
      if (broken === undefined && queue > 0) depth++
      options.onProgress?.({ distinct, generated: reports.reduce((sum, report) => sum + report.generated, 0) + 1, depth, queue, elapsedMs: Date.now() - started })
      if (broken !== undefined) {
        violation = { invariant: broken.invariant, message: broken.message, witness: broken.witness, ...(broken.says === undefined ? {} : { says: broken.says }), path: broken.path.map((action) => actions[action]!) }
        break
      }
      if (options.statesMax !== undefined && distinct >= options.statesMax) { stopped = true; break }
    }
  } finally {
    clearInterval(poll)
    await Promise.all(peers.map((peer) => peer.close()))
  }
  const durationMs = Date.now() - started
  const distinct = reports.reduce((sum, report) => sum + report.distinct, 0) || 1
  const counts = new Float64Array(actions.length)
  for (const report of reports) report.counts.forEach((value, index) => { counts[index]! += value })
  const complete = violation === null && !stopped && queue === 0
  const user = options.checked?.user ?? []
  return {
    ...(user.length === 0 ? {} : { properties: verdicts(user, witnessed, { complete, depth, distinct, violated: violation?.invariant ?? null, interrupted, swarm: false }) }),
    preset: options.preset.name, engine: 'general', complete,
    distinct, generated: reports.reduce((sum, report) => sum + report.generated, 0) + 1, depth, queue, durationMs,
    statesPerSecond: Math.round((distinct / Math.max(durationMs, 1)) * 1000), collisionProbability: collisionProbability(distinct),
    coverage: coverageOf(actions, counts), violation, swarm: null, ...(interrupted ? { interrupted } : {}),
  }
}

/** Breadth-first order of two paths of the same level (the order the sequential search meets them). */
function comparePaths(a: ReadonlyArray<number>, b: ReadonlyArray<number>): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) if (a[index] !== b[index]) return a[index]! - b[index]!
  return a.length - b.length
}
