/**
 * The parallel breadth-first driver both compiled engines share (`sila explore
 * --workers N`; general-parallel.ts and capcore-parallel.ts parameterise it):
 * level by level, with the states partitioned among worker threads by
 * fingerprint (as in Stern and Dill's parallel Murφ). Each worker keeps the
 * fingerprints it owns and sends the successors others own to their owners
 * once per level, in one batch per owner (who expands them is the engine's
 * choice, below). No fingerprint table is shared, so none needs locking.
 *
 * The coordinator (here) asks every worker to `expand`, hands each the batches
 * the others made for it (`incoming`), and reads their level reports; the
 * worker side ({@link serveLevels}) answers those messages. What a batch holds,
 * how a violation is told and how its path is rebuilt is the engine's.
 *
 * Two ways to split the work. capcore's: the owner of a state expands it, so a
 * batch carries states to be kept. The general engine's ({@link ParallelEngine.discoverer}):
 * the worker that finds a new state expands it, and the owner only answers
 * whether it is new (two more rounds a level: answers, then level reports).
 * A state's successors then stay on one worker, as on one core, which the
 * general engine needs: it reaches a state by replaying its path from the last
 * one's, and caches canonical fingerprints of the successors it met
 * (raw-fingerprints.ts); split by owner, each worker's frontier would be every
 * other state of the level and both would lose most of that. So that the
 * frontiers need not be of a size, each worker publishes its frontier in
 * shared memory (read only) and works through it in chunks claimed from its
 * front; a worker done with its own claims chunks from the back of the others'
 * (work stealing, {@link claimFront}, {@link claimBack}). A worker slowed by
 * the machine, or given the heavier states, does not hold the level up.
 *
 * Bounds are checked between levels: `--states` may be passed by up to a level.
 * @module
 */
import { Worker } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { type Action, kindOf } from './actions.js'
import { collisionProbability } from './fingerprints.js'
import type { ExploreOptions, ExploreResult, ExploreViolation } from './search.js'
import { InputError } from '../../spec/decode.js'
import { verdicts } from './props.js'
import type { Witness } from '../../properties/user/evaluate.js'

/** The worker that owns a fingerprint. */
export function ownerOf(high: number, low: number, count: number): number {
  return (((high >>> 11) ^ low) >>> 0) % count
}

/** Transitions by syscall kind (or by what `by` says of each action: ExploreOptions' `coverageBy`), from counts by action. */
export function coverageOf(actions: ReadonlyArray<Action>, counts: ArrayLike<number>, by: (action: Action) => string = kindOf): Record<string, number> {
  const coverage: Record<string, number> = {}
  for (let index = 0; index < actions.length; index++) {
    const key = by(actions[index]!)
    if (counts[index]! > 0) coverage[key] = (coverage[key] ?? 0) + counts[index]!
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
  /** The discoverer engine: its next frontier in shared memory, for the others to take chunks of. */
  readonly frontier?: SharedFrontier
}

/** A worker's frontier in shared memory: `count` paths of `length` actions back to back, and their fingerprints (high, low). */
export interface SharedFrontier {
  readonly paths: SharedArrayBuffer
  readonly pairs: SharedArrayBuffer
  readonly count: number
  readonly length: number
  /** 32-bit actions (general.ts: PathArray), else 16-bit. */
  readonly wide: boolean
}

/** Every worker's published frontier (null: none) and their claim words, as the next `expand` hands them out. */
export interface SharedLevel {
  readonly frontiers: ReadonlyArray<SharedFrontier | null>
  readonly claims: SharedArrayBuffer
}

/**
 * Chunks of shared frontiers, claimed with one 32-bit word per frontier: the
 * next chunk from the front (its worker's) in the low 16 bits, the end of the
 * unclaimed chunks (where other workers take from) in the high ones. A chunk
 * is {@link chunkSize} states: near states share their path and successors,
 * so a worker keeps runs of them.
 */
export const CHUNKS_MAX = 0x7fff

/** States per chunk of a frontier of `count` states. */
export function chunkSize(count: number): number {
  return Math.max(32, Math.ceil(count / CHUNKS_MAX))
}

/** Sets frontier `worker`'s claim word: all of its `count` states unclaimed. */
export function resetClaims(claims: Int32Array, worker: number, count: number): void {
  Atomics.store(claims, worker, Math.ceil(count / chunkSize(count)) << 16)
}

/** Claims the first unclaimed chunk of frontier `worker` (its own worker does); -1 when none is left. */
export function claimFront(claims: Int32Array, worker: number): number {
  for (;;) {
    const word = Atomics.load(claims, worker)
    const front = word & 0xffff
    if (front >= word >>> 16) return -1
    if (Atomics.compareExchange(claims, worker, word, word + 1) === word) return front
  }
}

/** Claims the last unclaimed chunk of frontier `worker` (another worker does); -1 when none is left. */
export function claimBack(claims: Int32Array, worker: number): number {
  for (;;) {
    const word = Atomics.load(claims, worker)
    const back = word >>> 16
    if ((word & 0xffff) >= back) return -1
    if (Atomics.compareExchange(claims, worker, word, word - 0x10000) === word) return back - 1
  }
}

/** A sometimes property found by a worker: its witness and the path to it (action indexes). */
export interface LevelWitness {
  readonly name: string
  readonly message: string
  readonly detail: Readonly<Record<string, unknown>>
  readonly path: number[]
}

/**
 * What the coordinator asks; `extra` messages are the engine's own (capcore's
 * parent links). With an engine whose discoverer expands ({@link ParallelEngine.discoverer}),
 * `answer` carries candidates and is answered (`answers`), `settle` hands each
 * worker its owners' answers, and `expand` carries the frontiers every worker
 * published and their claim words (`shared`).
 */
export type CoordinatorMessage<B> =
  | { readonly type: 'expand'; readonly witnessed: ReadonlyArray<string>; readonly shared?: SharedLevel }
  | { readonly type: 'incoming'; readonly batches: ReadonlyArray<B> }
  | { readonly type: 'answer'; readonly batches: ReadonlyArray<B | null> }
  | { readonly type: 'settle'; readonly answers: ReadonlyArray<ArrayBuffer | null> }
  | { readonly type: 'extra' }

export type WorkerMessage<B, V> =
  | { readonly type: 'outgoing'; readonly batches: ReadonlyArray<B | null> }
  | { readonly type: 'level'; readonly report: LevelReport<V> }
  | { readonly type: 'answers'; readonly answers: ReadonlyArray<ArrayBuffer | null> }
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
  /**
   * The worker that finds a new state expands it (the general engine), rather
   * than the state's owner (capcore): a batch then carries candidates, which
   * their owner answers (new or not), and each worker publishes its next
   * frontier in its level report ({@link LevelReport.frontier}) for the others
   * to take chunks of when they are done with theirs.
   */
  readonly discoverer?: boolean
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
  const transferAll = (batches: ReadonlyArray<B | null>): ArrayBuffer[] => batches.flatMap((batch) => (batch === null ? [] : engine.transfer(batch)))
  /** The discoverer engine: the frontiers the workers published, and their claim words, for the next `expand`. */
  let shared: SharedLevel | null = null
  const share = (from: ReadonlyArray<LevelReport<V>>): SharedLevel => {
    const claims = new SharedArrayBuffer(4 * count)
    const words = new Int32Array(claims)
    const frontiers = from.map((report, worker) => {
      resetClaims(words, worker, report.frontier?.count ?? 0)
      return report.frontier ?? null
    })
    return { frontiers, claims }
  }
  /** The discoverer engine's second and third rounds: owners answer the candidates sent them, senders keep those answered new. */
  const settle = async (outgoing: ReadonlyArray<Extract<WorkerMessage<B, V>, { type: 'outgoing' }>>): Promise<Array<Extract<WorkerMessage<B, V>, { type: 'level' }>>> => {
    const answered = (await Promise.all(peers.map((peer, owner) => {
      const batches = outgoing.map((message) => message.batches[owner] ?? null)
      return peer.ask({ type: 'answer', batches }, transferAll(batches))
    }))) as Array<Extract<WorkerMessage<B, V>, { type: 'answers' }>>
    return (await Promise.all(peers.map((peer, sender) => {
      const answers = answered.map((message) => message.answers[sender] ?? null)
      return peer.ask({ type: 'settle', answers }, answers.flatMap((answer) => (answer === null ? [] : [answer])))
    }))) as Array<Extract<WorkerMessage<B, V>, { type: 'level' }>>
  }
  try {
    while (queue > 0 && depth < depthBound && !stopped) {
      const found = [...witnessed.keys()]
      const outgoing = (await Promise.all(peers.map((peer) => peer.ask({ type: 'expand', witnessed: found, ...(shared === null ? {} : { shared }) })))) as Array<Extract<WorkerMessage<B, V>, { type: 'outgoing' }>>
      const levels = engine.discoverer === true ? await settle(outgoing) : await Promise.all(peers.map((peer, owner) => {
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
      if (!stopped) options.onLevel?.({ distinct, generated: reports.reduce((sum, report) => sum + report.generated, 0) + 1, depth, queue, elapsedMs: Date.now() - started })
      if (engine.discoverer === true) shared = share(reports)
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
    coverage: coverageOf(actions, counts, options.coverageBy), violation, swarm: null, ...(interrupted ? { interrupted } : {}),
  }
}

/** What a worker does with the coordinator's messages. */
export interface LevelWorker<B, V> {
  /**
   * Expands this worker's frontier (`witnessed`: the sometimes properties found
   * so far; `shared`: every worker's published frontier and their claim words,
   * the discoverer engine's); the batches for the others (null for itself).
   */
  expand(witnessed: ReadonlyArray<string>, shared?: SharedLevel): Array<B | null>
  transfer(batch: B): ArrayBuffer[]
  /** Admits what the others found that this worker owns, makes the next level the frontier, and reports. */
  admit?(batches: ReadonlyArray<B>): LevelReport<V>
  /** The discoverer engine: which of the candidates each sender sent are new (one byte each, 1: new), by sender. */
  answer?(batches: ReadonlyArray<B | null>): Array<ArrayBuffer | null>
  /** The discoverer engine: keeps the candidates their owners (`answers`, by owner) answered new, makes the next level the frontier, and reports. */
  settle?(answers: ReadonlyArray<ArrayBuffer | null>): LevelReport<V>
  /** The engine's own question (capcore: its parent links), with the buffers to transfer. */
  extra?(): { value: unknown; transfer: ArrayBuffer[] }
}

/** Serves the coordinator's messages on a worker thread's port. */
export function serveLevels<B, V>(port: MessagePort, worker: LevelWorker<B, V>): void {
  port.on('message', (message: CoordinatorMessage<B>) => {
    try {
      switch (message.type) {
        case 'expand': {
          const batches = worker.expand(message.witnessed, message.shared)
          port.postMessage({ type: 'outgoing', batches } satisfies WorkerMessage<B, V>, batches.flatMap((batch) => (batch === null ? [] : worker.transfer(batch))))
          return
        }
        case 'incoming':
          port.postMessage({ type: 'level', report: worker.admit!(message.batches) } satisfies WorkerMessage<B, V>)
          return
        case 'answer': {
          const answers = worker.answer!(message.batches)
          port.postMessage({ type: 'answers', answers } satisfies WorkerMessage<B, V>, answers.flatMap((answer) => (answer === null ? [] : [answer])))
          return
        }
        case 'settle':
          port.postMessage({ type: 'level', report: worker.settle!(message.answers) } satisfies WorkerMessage<B, V>)
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
