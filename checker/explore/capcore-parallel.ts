/**
 * The compiled cap-core search on several cores (`sila explore --workers N`):
 * breadth first, level by level, with the states partitioned among worker
 * threads by fingerprint (as in Stern and Dill's parallel Murφ). Each worker
 * expands the frontier states it owns, keeps the successors it owns, and sends
 * the others to their owners in one batch per level; nothing is shared but the
 * stop flag, so no table needs locking. The result is the sequential search's:
 * the same distinct states, transitions and depth (a test compares them), and a
 * shortest counterexample path rebuilt from the workers' parent links.
 *
 * Bounds are checked between levels: `--states` may be passed by up to a level.
 * @module
 */
import { Worker } from 'node:worker_threads'
import type { Preset } from '../../spec/presets.js'
import { collisionProbability } from './fingerprints.js'
import { coverageOf, Successors } from './capcore.js'
import type { ExploreOptions, ExploreResult, ExploreViolation } from './search.js'

/** Successors of a level for one owner: canonical bytes, and (parent id, action) pairs. */
export interface Batch {
  readonly bytes: ArrayBuffer
  readonly meta: ArrayBuffer
  readonly size: number
}

/** What a worker says at the end of a level. */
export interface LevelReport {
  /** States of the next level it owns. */
  readonly next: number
  readonly distinct: number
  readonly generated: number
  readonly counts: ReadonlyArray<number>
  /** The first state it found that breaks an invariant: its packed form and id. */
  readonly violation: { readonly invariant: string; readonly message: string; readonly state: number[]; readonly id: number } | null
}

export type CoordinatorMessage =
  | { readonly type: 'expand' }
  | { readonly type: 'incoming'; readonly batches: ReadonlyArray<Batch> }
  | { readonly type: 'links' }

export type WorkerMessage =
  | { readonly type: 'outgoing'; readonly batches: ReadonlyArray<Batch | null> }
  | { readonly type: 'level'; readonly report: LevelReport }
  | { readonly type: 'links'; readonly parents: ArrayBuffer; readonly via: ArrayBuffer }

/** The worker that owns a fingerprint. */
export function ownerOf(high: number, low: number, count: number): number {
  return (((high >>> 11) ^ low) >>> 0) % count
}

/** A worker thread and a way to ask it one thing at a time. */
class Peer {
  private readonly worker: Worker
  private pending: { resolve: (message: WorkerMessage) => void; reject: (error: Error) => void } | null = null

  constructor(preset: Preset, index: number, count: number, stop: SharedArrayBuffer) {
    this.worker = new Worker(new URL('./capcore-worker.js', import.meta.url), { workerData: { preset, index, count, stop } })
    this.worker.on('message', (message: WorkerMessage) => { const pending = this.pending; this.pending = null; pending?.resolve(message) })
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

/** Rebuilds the actions from the boot state to state `id`, from each worker's parent links. */
export function pathTo(id: number, links: ReadonlyArray<{ parents: Int32Array; via: Int32Array }>): number[] {
  const count = links.length
  const path: number[] = []
  for (let at = id; ;) {
    const own = links[at % count]!
    const local = Math.floor(at / count)
    const action = own.via[local]!
    if (action < 0) break
    path.push(action)
    at = own.parents[local]!
  }
  return path.reverse()
}

/** Exhaustive (or depth-, state- or time-bounded) breadth-first search of a cap-core preset on `workers` threads. */
export async function exploreCapCoreParallel(options: ExploreOptions & { readonly workers: number }): Promise<ExploreResult> {
  if (options.swarm !== undefined) throw new Error('--workers runs the breadth-first search; a swarm job runs on one core (run more jobs instead)')
  const started = Date.now()
  const { actions } = new Successors(options.preset)
  const count = Math.max(2, Math.floor(options.workers))
  const stop = new SharedArrayBuffer(4)
  const stopFlag = new Int32Array(stop)
  const peers = Array.from({ length: count }, (_, index) => new Peer(options.preset, index, count, stop))
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
  try {
    while (queue > 0 && depth < depthBound && !stopped) {
      const outgoing = (await Promise.all(peers.map((peer) => peer.ask({ type: 'expand' })))) as Array<Extract<WorkerMessage, { type: 'outgoing' }>>
      const levels = await Promise.all(peers.map((peer, owner) => {
        const batches = outgoing.flatMap((message) => { const batch = message.batches[owner]; return batch === null || batch === undefined ? [] : [batch] })
        return peer.ask({ type: 'incoming', batches }, batches.flatMap((batch) => [batch.bytes, batch.meta]))
      })) as Array<Extract<WorkerMessage, { type: 'level' }>>
      reports = levels.map((message) => message.report)
      queue = reports.reduce((sum, report) => sum + report.next, 0)
      const distinct = reports.reduce((sum, report) => sum + report.distinct, 0)
      const broken = reports.flatMap((report) => (report.violation === null ? [] : [report.violation])).sort((a, b) => a.id - b.id)[0]
      if (broken === undefined && queue > 0) depth++
      options.onProgress?.({ distinct, generated: reports.reduce((sum, report) => sum + report.generated, 0) + 1, depth, queue, elapsedMs: Date.now() - started })
      if (broken !== undefined) {
        const links = (await Promise.all(peers.map((peer) => peer.ask({ type: 'links' })))) as Array<Extract<WorkerMessage, { type: 'links' }>>
        const path = pathTo(broken.id, links.map((message) => ({ parents: new Int32Array(message.parents), via: new Int32Array(message.via) })))
        violation = { invariant: broken.invariant, message: broken.message, witness: { state: broken.state }, path: path.map((action) => actions[action]!) }
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
  return {
    preset: options.preset.name, engine: 'compiled', complete: violation === null && !stopped && queue === 0,
    distinct, generated: reports.reduce((sum, report) => sum + report.generated, 0) + 1, depth, queue, durationMs,
    statesPerSecond: Math.round((distinct / Math.max(durationMs, 1)) * 1000), collisionProbability: collisionProbability(distinct),
    coverage: coverageOf(actions, counts), violation, swarm: null, interrupted,
  }
}
