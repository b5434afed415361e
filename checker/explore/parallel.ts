/**
 * The parallel breadth-first driver both compiled engines share (`sila explore
 * --workers N`; general-parallel.ts and capcore-parallel.ts parameterise it):
 * level by level, with the states partitioned among worker threads by
 * fingerprint (as in Stern and Dill's parallel Murφ). Each worker expands the
 * frontier states it owns, keeps the successors it owns, and sends the others
 * to their owners once per level, in one batch per owner; nothing is shared but
 * the stop flag, so no table needs locking.
 *
 * The coordinator (here) asks every worker to `expand`, hands each the batches
 * the others made for it (`incoming`), and reads their level reports; the
 * worker side ({@link serveLevels}) answers those messages. What a batch holds,
 * how a violation is told and how its path is rebuilt is the engine's.
 *
 * Bounds are checked between levels: `--states` may be passed by up to a level.
 * @module
 */
import { Worker } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import type { Action } from './actions.js'
import { collisionProbability } from './fingerprints.js'
import type { ExploreOptions, ExploreResult, ExploreViolation } from './search.js'
import { InputError } from '../../spec/decode.js'
import { verdicts } from './props.js'
import type { Witness } from '../../properties/user/evaluate.js'

/** The worker that owns a fingerprint. */
export function ownerOf(high: number, low: number, count: number): number {
  return (((high >>> 11) ^ low) >>> 0) % count
}

/** Transitions by syscall kind, from counts by action. */
export function coverageOf(actions: ReadonlyArray<Action>, counts: ArrayLike<number>): Record<string, number> {
  const coverage: Record<string, number> = {}
  for (let index = 0; index < actions.length; index++) {
    const kind = actions[index]!.kind as string
    if (counts[index]! > 0) coverage[kind] = (coverage[kind] ?? 0) + counts[index]!
  }
  return coverage
}

/** What a worker says at the end of a level; `V` is how the engine tells a violation. */
export interface LevelReport<V> {
  /** States of the next level it owns. */
  readonly next: number
  readonly distinct: number
  readonly generated: number
  readonly counts: ReadonlyArray<number>
  /** The first state it found that breaks an invariant (or an always user property). */
  readonly violation: V | null
  /** Sometimes user properties it found in this level's new states (one per property). */
  readonly witnesses?: ReadonlyArray<LevelWitness>
}

/** A sometimes property found by a worker: its witness and the path to it (action indexes). */
export interface LevelWitness {
  readonly name: string
  readonly message: string
  readonly detail: Readonly<Record<string, unknown>>
  readonly path: number[]
}

/** What the coordinator asks; `extra` messages are the engine's own (capcore's parent links). */
export type CoordinatorMessage<B> =
  | { readonly type: 'expand'; readonly witnessed: ReadonlyArray<string> }
  | { readonly type: 'incoming'; readonly batches: ReadonlyArray<B> }
  | { readonly type: 'extra' }

export type WorkerMessage<B, V> =
  | { readonly type: 'outgoing'; readonly batches: ReadonlyArray<B | null> }
  | { readonly type: 'level'; readonly report: LevelReport<V> }
  | { readonly type: 'extra'; readonly value: unknown }
  | { readonly type: 'failed'; readonly message: string; readonly input?: { readonly file: string; readonly problems: string[] } }

/** A worker thread and a way to ask it one thing at a time. */
export class Peer<B, V> {
  private readonly worker: Worker
  private pending: { resolve: (message: WorkerMessage<B, V>) => void; reject: (error: Error) => void } | null = null

  constructor(script: URL, setup: unknown) {
    this.worker = new Worker(script, { workerData: setup })
    this.worker.on('message', (message: WorkerMessage<B, V>) => {
      const pending = this.pending
      this.pending = null
      // A user's input refused in a worker (a property in code that threw) stays the user's error (exit 2).
      if (message.type === 'failed') pending?.reject(message.input === undefined ? new Error(message.message) : new InputError(message.input.file, message.input.problems))
      else pending?.resolve(message)
    })
    this.worker.on('error', (error) => { const pending = this.pending; this.pending = null; pending?.reject(error) })
  }

  ask(message: CoordinatorMessage<B>, transfer: ArrayBuffer[] = []): Promise<WorkerMessage<B, V>> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject }
      this.worker.postMessage(message, transfer)
    })
  }

  async close(): Promise<void> {
    await this.worker.terminate()
  }
}

/** How an engine plugs into {@link exploreParallel}. */
export interface ParallelEngine<B, V> {
  readonly name: ExploreResult['engine']
  readonly actions: ReadonlyArray<Action>
  /** The worker script, and what worker `index` of `count` starts with (`stop`: the shared stop flag). */
  readonly script: URL
  setup(index: number, count: number, stop: SharedArrayBuffer): unknown
  /** The buffers of a batch, transferred rather than copied. */
  transfer(batch: B): ArrayBuffer[]
  /** Breadth-first order of two violations of one level (the order the sequential search meets them). */
  compare(a: V, b: V): number
  /** The violation as the search reports it (capcore asks the workers for their parent links). */
  resolve(violation: V, peers: ReadonlyArray<Peer<B, V>>): Promise<ExploreViolation>
}

/** Exhaustive (or depth-, state- or time-bounded) breadth-first search on `workers` threads. */
export async function exploreParallel<B, V>(options: ExploreOptions & { readonly workers: number }, engine: ParallelEngine<B, V>): Promise<ExploreResult> {
  if (options.swarm !== undefined) throw new Error('--workers runs the breadth-first search; a swarm job runs on one core (run more jobs instead)')
  const started = Date.now()
  const { actions } = engine
  const count = Math.max(2, Math.floor(options.workers))
  const stop = new SharedArrayBuffer(4)
  const stopFlag = new Int32Array(stop)
  const peers = Array.from({ length: count }, (_, index) => new Peer<B, V>(engine.script, engine.setup(index, count, stop)))
  let stopped = false
  let interrupted = false
  const poll = setInterval(() => {
    if (options.shouldStop?.() === true) { interrupted = true; stopped = true; Atomics.store(stopFlag, 0, 1) }
    if (options.timeLimitMs !== undefined && Date.now() - started > options.timeLimitMs) { stopped = true; Atomics.store(stopFlag, 0, 1) }
  }, 50)
  const depthBound = options.depthMax ?? Number.POSITIVE_INFINITY
  let depth = 0
  let reports: Array<LevelReport<V>> = []
  let violation: ExploreViolation | null = null
  let queue = 1
  /** Sometimes properties found, by name: the first level's least path (the order the sequential search meets them). */
  const witnessed = new Map<string, { witness: Witness; path: ReadonlyArray<unknown>; indexes: number[] }>()
  const recordWitnesses = (from: ReadonlyArray<LevelReport<V>>): void => {
    for (const found of from.flatMap((report) => report.witnesses ?? [])) {
      const known = witnessed.get(found.name)
      if (known !== undefined && (known.indexes.length < found.path.length || comparePaths(known.indexes, found.path) <= 0)) continue
      witnessed.set(found.name, { witness: { message: found.message, detail: found.detail }, path: found.path.map((action) => actions[action]!), indexes: found.path })
    }
  }
  try {
    while (queue > 0 && depth < depthBound && !stopped) {
      const found = [...witnessed.keys()]
      const outgoing = (await Promise.all(peers.map((peer) => peer.ask({ type: 'expand', witnessed: found })))) as Array<Extract<WorkerMessage<B, V>, { type: 'outgoing' }>>
      const levels = await Promise.all(peers.map((peer, owner) => {
        const batches = outgoing.flatMap((message) => { const batch = message.batches[owner]; return batch === null || batch === undefined ? [] : [batch] })
        return peer.ask({ type: 'incoming', batches }, batches.flatMap((batch) => engine.transfer(batch)))
      })) as Array<Extract<WorkerMessage<B, V>, { type: 'level' }>>
      reports = levels.map((message) => message.report)
      recordWitnesses(reports)
      queue = reports.reduce((sum, report) => sum + report.next, 0)
      const distinct = reports.reduce((sum, report) => sum + report.distinct, 0)
      const broken = reports.flatMap((report) => (report.violation === null ? [] : [report.violation])).sort(engine.compare)[0]
      if (broken === undefined && queue > 0) depth++
      options.onProgress?.({ distinct, generated: reports.reduce((sum, report) => sum + report.generated, 0) + 1, depth, queue, elapsedMs: Date.now() - started })
      if (broken !== undefined) { violation = await engine.resolve(broken, peers); break }
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
    preset: options.preset.name, engine: engine.name, complete,
    distinct, generated: reports.reduce((sum, report) => sum + report.generated, 0) + 1, depth, queue, durationMs,
    statesPerSecond: Math.round((distinct / Math.max(durationMs, 1)) * 1000), collisionProbability: collisionProbability(distinct),
    coverage: coverageOf(actions, counts), violation, swarm: null, ...(interrupted ? { interrupted } : {}),
  }
}

/** What a worker does with the coordinator's messages. */
export interface LevelWorker<B, V> {
  /** Expands this worker's frontier (`witnessed`: the sometimes properties found so far); the batches for the others (null for itself). */
  expand(witnessed: ReadonlyArray<string>): Array<B | null>
  transfer(batch: B): ArrayBuffer[]
  /** Admits what the others found that this worker owns, makes the next level the frontier, and reports. */
  admit(batches: ReadonlyArray<B>): LevelReport<V>
  /** The engine's own question (capcore: its parent links), with the buffers to transfer. */
  extra?(): { value: unknown; transfer: ArrayBuffer[] }
}

/** Serves the coordinator's messages on a worker thread's port. */
export function serveLevels<B, V>(port: MessagePort, worker: LevelWorker<B, V>): void {
  port.on('message', (message: CoordinatorMessage<B>) => {
    try {
      switch (message.type) {
        case 'expand': {
          const batches = worker.expand(message.witnessed)
          port.postMessage({ type: 'outgoing', batches } satisfies WorkerMessage<B, V>, batches.flatMap((batch) => (batch === null ? [] : worker.transfer(batch))))
          return
        }
        case 'incoming':
          port.postMessage({ type: 'level', report: worker.admit(message.batches) } satisfies WorkerMessage<B, V>)
          return
        case 'extra': {
          const answer = worker.extra?.() ?? { value: null, transfer: [] }
          port.postMessage({ type: 'extra', value: answer.value } satisfies WorkerMessage<B, V>, answer.transfer)
          return
        }
      }
    } catch (error) {
      const input = error instanceof InputError ? { input: { file: error.file, problems: [...error.problems] } } : {}
      port.postMessage({ type: 'failed', message: String((error as Error).stack ?? error), ...input } satisfies WorkerMessage<B, V>)
    }
  })
}

/** Breadth-first order of two paths of the same level (the order the sequential search meets them). */
export function comparePaths(a: ReadonlyArray<number>, b: ReadonlyArray<number>): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) if (a[index] !== b[index]) return a[index]! - b[index]!
  return a.length - b.length
}
