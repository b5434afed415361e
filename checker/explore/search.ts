/**
 * Breadth-first explicit-state search over the model (tooling.md §3): from a
 * preset's boot state, every action of its alphabet in every state, states
 * remembered by the fingerprint of their canonical encoding, every invariant of
 * the catalogue checked in every new state and on every transition. Breadth
 * first, so the first violation found has a shortest path. With `refine`, the
 * kernel under test is stepped along every transition too and must agree (REF-1).
 * With `swarm`, the action order is shuffled and the depth bound drawn by seed,
 * so that many independent jobs cover different parts of a space too big for one.
 *
 * With `refine`, every action tried in every state is stepped on the kernel too,
 * refused ones included: the kernel's answer must be the model's, and its
 * abstracted state after the action the model's next state — for a refusal, the
 * state before with nothing changed but the CPU charge (the model's own refusal is
 * checked to be that, docs/decisions.md "Syscall checking order"). A kernel state
 * the abstraction cannot read is a REF-1 violation naming what it could not read.
 *
 * This engine steps the model itself (`--engine model`); the compiled engines —
 * capcore.ts, hand-written for the cap-core presets, and general.ts, which steps
 * the impl on any system — are checked against this one.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { checkState, checkStep } from '../../spec/invariants/index.js'
import type { Violation } from '../../spec/invariants/types.js'
import type { Preset } from '../../spec/presets.js'
import type { KernelUnderTest, RefinementTarget } from '../../refinement/target.js'
import { compareState, compareStep, stepKernel } from './refine-step.js'
import type { Outcome } from '../../spec/results.js'
import { canonicalKey } from './canonical.js'
import { FingerprintSet, collisionProbability, fingerprint } from './fingerprints.js'
import { type Action, kindOf, presetActions } from './actions.js'
import { StepWatch } from './step-watch.js'
import type { Unanswered } from '../replay.js'
import { type Checked, type PropertyVerdict, type PropertyHit, PropertyWatch, verdicts } from './props.js'

/** What `explore` searches and how far. @public */
export interface ExploreOptions {
  readonly preset: Preset
  readonly depthMax?: number
  readonly statesMax?: number
  readonly timeLimitMs?: number
  /** Check a kernel under test along every transition. */
  readonly refine?: RefinementTarget
  /** Diversified search: shard `index` of `count`, by `seed`. */
  readonly swarm?: { readonly index: number; readonly count: number; readonly seed: number }
  readonly onProgress?: (progress: ExploreProgress) => void
  /**
   * Breadth-first searches (not a swarm job): called each time a level has been
   * expanded whole, with what a search bounded at `depth` reports — its distinct
   * states, transitions and depth, and in `queue` the states of the level just
   * found. Every engine calls it alike, so levels can be compared from one run.
   */
  readonly onLevel?: (level: ExploreProgress) => void
  /** Worker threads for the compiled breadth-first search (default 1: this thread). */
  readonly workers?: number
  /** Polled while searching: true stops the search with what it found so far (Ctrl-C). */
  readonly shouldStop?: () => boolean
  /**
   * What to check (default: the whole catalogue, no user property): `--invariant`
   * and `--props` (props.ts). User properties are evaluated on every new state.
   */
  readonly checked?: Checked
  /**
   * What `coverage` counts successful transitions by: the syscall kind unless
   * told otherwise (tests count by actions.ts's `actionVariant`, which tells a
   * badged copy or a code region from the plain ones).
   */
  readonly coverageBy?: (action: Action) => string
  /** The transition function (default: the model's step; a seeded-bug copy of it for demonstrations). */
  readonly step?: (state: KernelState, syscall: unknown) => { state: KernelState; outcome: Outcome }
  /**
   * `--step-timeout`: shared memory (step-watch.ts) in which the threads that step
   * a kernel tell what they step, so that the thread that started the search can
   * stop one whose kernel never answers. The search's own thread writes lane 0;
   * with `--workers N`, worker i writes lane i.
   */
  readonly watch?: SharedArrayBuffer
}

export interface ExploreProgress {
  readonly distinct: number
  readonly generated: number
  readonly depth: number
  readonly queue: number
  readonly elapsedMs: number
}

export interface ExploreViolation {
  readonly invariant: string
  readonly message: string
  readonly witness: unknown
  /** A user property's sentence (the violation names the property). */
  readonly says?: string
  /** The syscalls from the boot state to the violation: a shortest path. */
  readonly path: ReadonlyArray<Action>
  /** The kernel call that did not return (`--step-timeout`), when that is the violation: what replays of the path must not hand the kernel. */
  readonly unanswered?: Unanswered
  /** STALL: the user property that did not return, asked of the state the path reaches. */
  readonly stalledProperty?: string
}

/** What a search found: its size, its coverage and the first violation, if any. @public */
export interface ExploreResult {
  readonly preset: string
  /** model: search.ts; compiled: the hand-written cap-core engine (capcore.ts); general: general.ts. */
  readonly engine: 'model' | 'compiled' | 'general'
  /** Every reachable state (within the bounds) was visited. */
  readonly complete: boolean
  readonly distinct: number
  readonly generated: number
  readonly depth: number
  readonly queue: number
  readonly durationMs: number
  readonly statesPerSecond: number
  readonly collisionProbability: number
  readonly coverage: Readonly<Record<string, number>>
  readonly violation: ExploreViolation | null
  readonly swarm: ExploreOptions['swarm'] | null
  /** Stopped early by `shouldStop` (an interrupt). */
  readonly interrupted?: boolean
  /** The verdict of each user property (absent when none was checked). */
  readonly properties?: ReadonlyArray<PropertyVerdict>
}

/** A small deterministic generator for swarm shuffles. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

function shuffled<T>(items: ReadonlyArray<T>, random: () => number): T[] {
  const copy = [...items]
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1))
    ;[copy[index], copy[other]] = [copy[other]!, copy[index]!]
  }
  return copy
}

/** Rebuilds the path to a state from the parent links. */
function pathTo(index: number, parents: number[], via: number[], actions: ReadonlyArray<Action>): Action[] {
  const path: Action[] = []
  for (let at = index; at > 0; at = parents[at]!) path.push(actions[via[at]!]!)
  return path.reverse()
}

/** Replays a path on a fresh kernel (for targets without snapshot/restore); `watch` is told each kernel call. */
function kernelAt(target: RefinementTarget, preset: Preset, path: ReadonlyArray<Action>, watch: WatchedPath | null) {
  watch?.watch.creating()
  const kernel = target.create(preset.boot, preset.images)
  watch?.watch.answered()
  for (const [at, action] of path.entries()) {
    if (watch !== null) { watch.watch.atLength(at); watch.watch.stepping(watch.indexes[at]!) }
    kernel.step(action)
    watch?.watch.answered()
  }
  watch?.watch.atLength(path.length)
  return kernel
}

/** A lane of the watchdog (step-watch.ts), and the path being stepped as action indexes. */
interface WatchedPath {
  readonly watch: StepWatch
  readonly indexes: ReadonlyArray<number>
  readonly indexOf: (action: Action) => number
}

/**
 * Searches the preset's state space breadth first within the bounds, checking every
 * invariant in every state and transition (and REF-1 with `refine`); stops at the
 * first violation, which then has a shortest path.
 * @public
 */
export function explore(options: ExploreOptions): ExploreResult {
  const { preset } = options
  const started = Date.now()
  const random = options.swarm === undefined ? null : mulberry32(options.swarm.seed * 7919 + options.swarm.index)
  const baseActions = presetActions(preset, { readers: options.refine !== undefined })
  const stepOf = options.step ?? modelStep
  const actionIndexes = new Map(baseActions.map((action, index) => [action, index]))
  const depthMax = options.depthMax ?? Number.POSITIVE_INFINITY
  const swarmDepth = random === null ? depthMax : Math.max(1, Math.ceil(Math.min(depthMax, 64) * (0.5 + random() / 2)))
  const seen = new FingerprintSet()
  const parents: number[] = [0]
  const via: number[] = [-1]
  const coverage: Record<string, number> = {}
  const coverageBy = options.coverageBy ?? kindOf
  const initial = boot(preset.boot, preset.images)
  const [high, low] = fingerprint(canonicalKey(initial))
  seen.add(high, low)
  let generated = 1
  let depth = 0
  let frontier: { state: KernelState; index: number }[] = [{ state: initial, index: 0 }]
  const watch = options.checked === undefined || options.checked.user.length === 0 ? null : new PropertyWatch(options.checked.user)
  const keep = catalogueFilter(options.checked)
  // The watchdog's lane: told the path of each state expanded when a kernel is stepped (--kernel) or user properties are asked.
  const stepWatch = options.watch === undefined || (options.refine === undefined && watch === null) ? null : new StepWatch(options.watch, 0)
  /** The watchdog's view of the path to the state numbered `index` (null: unwatched). */
  const watchedPath = (index: number): WatchedPath | null => {
    if (stepWatch === null) return null
    const indexes: number[] = []
    for (let at = index; at > 0; at = parents[at]!) indexes.push(via[at]!)
    indexes.reverse()
    stepWatch.at(indexes, indexes.length)
    return { watch: stepWatch, indexes, indexOf: (action) => actionIndexes.get(action)! }
  }
  const result = (complete: boolean, violation: ExploreViolation | null, queue: number, interrupted = false): ExploreResult => {
    const durationMs = Date.now() - started
    return {
      preset: preset.name, engine: 'model', complete, distinct: seen.size, generated, depth, queue, durationMs,
      statesPerSecond: Math.round((seen.size / Math.max(durationMs, 1)) * 1000), collisionProbability: collisionProbability(seen.size),
      coverage, violation, swarm: options.swarm ?? null, ...(interrupted ? { interrupted } : {}),
      ...(watch === null ? {} : { properties: verdicts(watch.user, watch.witnessed, { complete, depth, distinct: seen.size, violated: violation?.invariant ?? null, interrupted, swarm: random !== null }) }),
    }
  }
  /** The user properties on a new state: the always property it breaks, as a violation; sometimes found are recorded. */
  const watchState = (state: KernelState, path: () => Action[]): ExploreViolation | null => {
    const hits = watch?.checkModel(state) ?? null
    if (hits === null) return null
    for (const hit of hits.found) watch!.witness(hit, path())
    return hits.violated === null ? null : userViolation(hits.violated, path())
  }
  const atBoot = keep(checkState(initial))
  if (atBoot !== undefined) return result(false, { ...violationOf(atBoot), path: [] }, 0)
  stepWatch?.at([], 0)
  stepWatch?.after(-1)
  const userAtBoot = watchState(initial, () => [])
  if (userAtBoot !== null) return result(false, userAtBoot, 0)
  if (options.refine !== undefined) {
    const kernelAtBoot = new KernelCursor(options.refine, preset, [], watchedPath(0)).compareAt(initial)
    if (kernelAtBoot !== null) return result(false, { ...kernelAtBoot, path: [] }, 0)
  }
  // --states 1: the boot state is the one state asked for; it is left unexpanded.
  if (options.statesMax !== undefined && seen.size >= options.statesMax) return result(false, null, 1)
  let lastProgress = Date.now()
  while (frontier.length > 0 && depth < swarmDepth) {
    const next: typeof frontier = []
    for (const [position, { state, index }] of frontier.entries()) {
      // States found and not expanded if the search stops while expanding this one: the rest of the level and the next so far (swarm: those left on the stack).
      const left = (found: number): number => (random === null ? frontier.length - position - 1 + found : found)
      const actions = random === null ? baseActions : shuffled(baseActions, random)
      const watched = watchedPath(index)
      const cursor = options.refine === undefined ? null : new KernelCursor(options.refine, preset, pathTo(index, parents, via, baseActions), watched)
      for (const action of actions) {
        const { state: after, outcome } = stepOf(state, action)
        if (cursor !== null) {
          // REF-1 on every action, refused ones included: the kernel must refuse them alike, changing nothing but the charge.
          const failure = cursor.check(action, state, outcome, after)
          if (failure !== null) return result(false, { ...failure, path: [...pathTo(index, parents, via, baseActions), action] }, left(next.length))
        }
        if (E.isLeft(outcome)) continue
        generated++
        const key = coverageBy(action)
        coverage[key] = (coverage[key] ?? 0) + 1
        const actionIndex = actionIndexes.get(action)!
        const violations = options.checked === undefined ? checkStep({ before: state, syscall: action, outcome, after }) : checkStep({ before: state, syscall: action, outcome, after }).filter((v) => keep([v]) !== undefined)
        const [h, l] = fingerprint(canonicalKey(after))
        const isNew = seen.add(h, l)
        if (isNew) { parents.push(index); via.push(actionIndex) }
        const childIndex = isNew ? parents.length - 1 : -1
        if (violations.length > 0) {
          const path = [...pathTo(index, parents, via, baseActions), action]
          return result(false, { ...violationOf(violations[0]!), path }, left(next.length))
        }
        if (isNew && watch !== null) {
          stepWatch?.after(actionIndex)
          const broken = watchState(after, () => [...pathTo(index, parents, via, baseActions), action])
          if (broken !== null) return result(false, broken, left(next.length))
        }
        if (isNew) {
          if (options.statesMax !== undefined && seen.size >= options.statesMax) return result(false, null, left(next.length + 1))
          next.push({ state: after, index: childIndex })
        }
      }
      if (options.onProgress !== undefined && Date.now() - lastProgress > 500) {
        lastProgress = Date.now()
        options.onProgress({ distinct: seen.size, generated, depth, queue: next.length, elapsedMs: Date.now() - started })
      }
      if (options.timeLimitMs !== undefined && Date.now() - started > options.timeLimitMs) return result(false, null, left(next.length))
      if (options.shouldStop?.() === true) return result(false, null, left(next.length), true)
    }
    frontier = next
    if (frontier.length > 0) depth++
    if (random === null) options.onLevel?.({ distinct: seen.size, generated, depth, queue: frontier.length, elapsedMs: Date.now() - started })
  }
  return result(frontier.length === 0 && random === null, null, frontier.length)
}

function violationOf(violation: Violation): Omit<ExploreViolation, 'path'> {
  return { invariant: violation.invariant, message: violation.message, witness: violation.witness }
}

/** A broken user property as a search's violation. */
export function userViolation(hit: PropertyHit, path: Action[]): ExploreViolation {
  return { invariant: hit.property.name, message: hit.witness.message, witness: hit.witness.detail, says: hit.property.says, path }
}

/** The first violation of a catalogue invariant `checked` chose (all, by default), from a list in catalogue order. */
export function catalogueFilter(checked: Checked | undefined): (violations: ReadonlyArray<Violation>) => Violation | undefined {
  if (checked === undefined) return (violations) => violations[0]
  const chosen = new Set<string>(checked.catalogue)
  return (violations) => violations.find((v) => chosen.has(v.invariant))
}

/** A kernel with snapshot and restore (our impl has them; a user's kernel may not). */
interface Restorable { snapshot(): unknown; restore(snapshot: unknown): void }
function isRestorable(kernel: object): kernel is Restorable {
  return typeof (kernel as Partial<Restorable>).snapshot === 'function' && typeof (kernel as Partial<Restorable>).restore === 'function'
}

/**
 * The kernel under test brought to one state of the search: replayed there once,
 * then reset before each action by restore (or, for kernels without snapshots, by
 * replaying the path again).
 */
class KernelCursor {
  private kernel: KernelUnderTest
  private readonly snapshot: unknown
  private used = false

  /** `watch`: the watchdog's lane, told each kernel call (null: unwatched). */
  constructor(private readonly target: RefinementTarget, private readonly preset: Preset, private readonly path: ReadonlyArray<Action>, private readonly watch: WatchedPath | null = null) {
    this.kernel = kernelAt(target, preset, path, watch)
    this.snapshot = isRestorable(this.kernel) ? this.kernel.snapshot() : undefined
  }

  private fresh(): KernelUnderTest {
    if (this.used) {
      if (this.snapshot !== undefined && isRestorable(this.kernel)) this.kernel.restore(this.snapshot)
      else this.kernel = kernelAt(this.target, this.preset, this.path, this.watch)
    }
    this.used = true
    return this.kernel
  }

  /** REF-1 for the state the cursor is at (the boot state): the kernel's abstracted state is `model`. */
  compareAt(model: KernelState): Omit<ExploreViolation, 'path'> | null {
    const kernel = this.fresh()
    this.watch?.watch.abstracting(-1)
    try { return compareState(this.target, kernel, model, null) } finally { this.watch?.watch.answered() }
  }

  /** REF-1 for one action from `before` (refine-step.ts): the same outcome as the model's, and the same abstract state after it. */
  check(action: Action, before: KernelState, outcome: Outcome, after: KernelState): Omit<ExploreViolation, 'path'> | null {
    const kernel = this.fresh()
    const { watch } = this
    const index = watch === null ? -1 : watch.indexOf(action)
    watch?.watch.stepping(index)
    const stepped = stepKernel(kernel, action)
    watch?.watch.answered()
    if ('failure' in stepped) return stepped.failure
    watch?.watch.abstracting(index)
    try { return compareStep(this.target, kernel, action, before, outcome, after, stepped.outcome) } finally { watch?.watch.answered() }
  }
}
