/**
 * The general exhaustive engine (`sila explore --engine general`; what `auto` and
 * `compiled` run on every preset but cap-core and cap-core-3, which have the
 * faster hand-written capcore.ts, and on every `--boot` system): breadth-first
 * explicit-state search over any preset or declared system, by stepping the impl
 * kernel (impl/) rather than the model.
 *
 * - A state is remembered only by the 64-bit fingerprint of its canonical
 *   encoding (impl-canonical.ts: the model engine's equivalence up to renaming
 *   of identities, computed on the impl's tables).
 * - A state of the frontier is kept as its path from the boot state (one action
 *   index per step, 2 bytes each); the kernel is brought there by restoring the
 *   nearest snapshot on the path currently loaded and replaying the rest. The
 *   frontier is walked in order, and in breadth-first order consecutive states
 *   share all but their last steps, so this costs about one restore and one step
 *   per state — and no decoder, no per-state snapshot in memory.
 * - Every action of the preset's alphabet is tried in every state (refused
 *   syscalls are no transitions, as in the model engine); each successful one is
 *   encoded and fingerprinted, and the kernel restored.
 * - Invariants are the model's own functions (spec/invariants/), run on the
 *   abstraction of the impl's state (refinement/abstraction.ts) with the ghost
 *   authority flows (ISO-1's gsFlows, which the impl does not keep) recomputed
 *   along the path. The state invariants are checked once per distinct state,
 *   when it is first found (a state already seen passed them then); the step
 *   invariants (CAP-3 after a revoke, QUO-3, ISO-2, ISO-3, LIFE-1, IMG-2,
 *   SCHED-1) on every successful transition, into a new state or not, as the
 *   model engine does.
 *
 * Level by level it finds the same distinct states and transitions as the model
 * engine (the differential tests compare them on every preset and on generated
 * systems). It runs the impl, not the model: a model mutant (`--mutant`) needs
 * the model engine, an impl mutant (mutants/catalogue.ts) runs here as a kernel.
 * With `refine` (`--refine`), every action tried is stepped on the model too,
 * from the abstraction of the state expanded, and must agree (refine-step.ts).
 * @module
 */
import { StepWatch } from './step-watch.js'
import * as E from 'fp-ts/lib/Either.js'
import { Kernel } from '../../impl/kernel.js'
import { NONE } from '../../impl/tables/objects.js'
import { boot as modelBoot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import { type KernelState, flowKey } from '../../model/state.js'
import { implTarget } from '../../refinement/abstraction.js'
import type { RefinementTarget } from '../../refinement/target.js'
import { STEP_INVARIANTS, checkState } from '../../spec/invariants/index.js'
import type { Violation } from '../../spec/invariants/types.js'
import type { Preset } from '../../spec/presets.js'
import type { Outcome } from '../../spec/results.js'
import { type Action, presetActions } from './actions.js'
import { CanonicalEncoder, type EncodableKernel } from './impl-canonical.js'
import { RawFingerprints } from './raw-fingerprints.js'
import { FingerprintSet, collisionProbability } from './fingerprints.js'
import type { ExploreOptions, ExploreResult, ExploreViolation } from './search.js'
import { catalogueFilter, mulberry32, userViolation } from './search.js'
import { type Hits, PropertyWatch, verdicts } from './props.js'
import { type SharedFrontier, coverageOf } from './parallel.js'
import { type GuardedKernel, StepGuards } from './step-guards.js'
import { type CheckableKernel, StateChecks } from './state-checks.js'
import { GROUP_REFUSED, PASSES, Prefilter } from './prefilter.js'
import { kernelThrew, type RefineFailure, compareState, compareStep, stepKernel } from './refine-step.js'

/** What the engine needs of a kernel: the impl's tables, a step, snapshots. Ours, or a mutant's copy of ours. */
export interface SearchKernel extends GuardedKernel {
  step(syscall: unknown): Outcome
  /** A copy of the state; `reuse`, an older snapshot no longer needed, may be overwritten for it. */
  snapshot(reuse?: unknown): unknown
  restore(snapshot: unknown): void
  /** restore, fast after exactly one step (impl/kernel.ts). */
  undo(snapshot: unknown): void
  processOfRef(ref: number): number
}

/** A kernel target whose kernels the engine can search (the impl's shape). */
export type SearchTarget = RefinementTarget<SearchKernel & Kernel>

const implSearchTarget = implTarget as unknown as SearchTarget

/**
 * Can the general engine search this kernel target (and so `--refine` it)? Our
 * impl and its seeded-bug copies (mutants/catalogue.ts) have the tables,
 * snapshots and undo it steps; a user's kernel (docs/own-kernel.md) need not:
 * it is refined on the model engine.
 */
export function searchable(target: RefinementTarget): boolean {
  return target === (implTarget as unknown as RefinementTarget) || target.name.startsWith('mutant:')
}

type Flows = ReadonlyMap<string, number>

/** The dirty-list self-checks ({@link ImplExpander.expand}) run on the first expanded state and every this many after. */
export const SELF_CHECK_EVERY = 4096
/** How many of a sampled expansion's steps the self-checks compare with a fresh kernel's (each costs one). */
const SELF_CHECKED_STEPS = 64
/** How many of the steps before a wrong answer the self-checks try, nearest first, looking for the one to blame (each costs a fresh kernel). */
const BLAME_WINDOW = 1024

/** What the dirty-list self-checks' KernelBug says is broken. */
const DIRTY_LISTS_BROKEN = 'a step changed something its dirty lists do not name, which the general engine relies on (the one-step undo, the raw fingerprints, the step guards): mend the step (every change goes through its table\'s touch) before searching this kernel'

const LOADED_WRONG = 'a state found is not the state its path leads to: a step taken back before it was found left a change behind'

/** Syscalls whose success hands the caller's container a cap in `dst` through a sanctioned channel (model: recordFlow). */
const DST_FLOWS = new Set(['container_create', 'resolve', 'svc_lookup', 'net_connect', 'process_spawn'])

/**
 * The ghost authority flows (ISO-1) a successful step adds, as the model's
 * `recordFlow` calls record them: the cap a lookup, a container_create or a
 * spawn puts in `dst`, a spawn's grants in the new process's first slots, and a
 * cap ep_recv moves into an empty `dst`. `dstWasEmpty` is read before the step.
 */
function flowsAfter(k: SearchKernel, action: Action, flows: Flows, dstWasEmpty: boolean): Flows {
  const kind = action.kind as string
  if (!DST_FLOWS.has(kind) && !(kind === 'ep_recv' && dstWasEmpty)) return flows
  const caller = k.processOfRef(action.caller as number)
  const dst = action.dst as number | undefined
  if (caller === NONE || dst === undefined) return flows
  const { objects, caps } = k
  let result: Map<string, number> | null = null
  const record = (cap: number, container: number): void => {
    if (cap === NONE) return
    const object = caps.object[cap]!
    const owner = objects.owner[object]!
    const containerSerial = objects.serial[container]!
    if ((owner === NONE ? objects.serial[object]! : objects.serial[owner]!) === containerSerial) return
    const key = flowKey(objects.serial[object]!, containerSerial)
    const now = (result ?? flows).get(key)
    const rights = (now ?? 0) | caps.rights[cap]!
    // A flow already recorded with these rights changes nothing: the map is kept, not copied.
    if (now === rights) return
    result ??= new Map(flows)
    result.set(key, rights)
  }
  const held = objects.cspace[caller]![dst] ?? NONE
  if (kind === 'process_spawn' && held !== NONE) {
    const spawned = caps.object[held]!
    const grants = (action.grants as unknown[] | undefined)?.length ?? 0
    for (let slot = 0; slot < grants; slot++) record(objects.cspace[spawned]![slot] ?? NONE, objects.owner[spawned]!)
  }
  record(held, objects.owner[caller]!)
  return result ?? flows
}

/** Is the `dst` slot the action names empty in the caller's CSpace (read before an ep_recv)? */
function dstEmpty(k: SearchKernel, action: Action): boolean {
  if (action.kind !== 'ep_recv' || action.dst === undefined) return false
  const caller = k.processOfRef(action.caller as number)
  if (caller === NONE) return false
  const cspace = k.objects.cspace[caller]!
  const dst = action.dst as number
  return dst < cspace.length && cspace[dst] === NONE
}

/** Did the last step change anything (a refused syscall normally changes nothing; with CPU accounting it charges)? */
function touched(k: SearchKernel): boolean {
  return k.objects.dirtyCount > 0 || k.caps.dirtyCount > 0 || k.namespaces.dirtyCount > 0
}

/**
 * The kernel of one search, brought to states by path: a stack of snapshots
 * along the path loaded last (one per step), so that moving to the next state of
 * a frontier restores the longest shared prefix and replays only the rest.
 */
export class ImplExpander {
  readonly actions: ReadonlyArray<Action>
  readonly kernel: SearchKernel
  readonly encoder = new CanonicalEncoder()
  /** Successful transitions, in all and by action. */
  generated = 0
  readonly counts: Float64Array
  private readonly target: SearchTarget
  private readonly snapshots: unknown[] = []
  private readonly flows: Flows[] = []
  private readonly loaded: number[] = []
  /**
   * Per action, read once (an action's fields have as many shapes as syscall
   * kinds, so reading them on every try is slow): is it an ep_recv (whose empty
   * `dst` is read before the step), and can its success add ghost flows?
   */
  private readonly receives: Uint8Array
  private readonly flowing: Uint8Array
  /** The abstraction of the loaded state (the step invariants' `before`), made when first needed. */
  private loadedModel: KernelState | null = null
  /** The transition whose successor is loaded while {@link expand}'s `each` runs. */
  private readonly pending: { active: boolean; action: number; outcome: Outcome | null; dstWasEmpty: boolean; mayBreak: boolean } = { active: false, action: -1, outcome: null, dstWasEmpty: false, mayBreak: false }
  private readonly guards: StepGuards
  private readonly stateChecks = new StateChecks()
  private readonly prefilter: Prefilter
  /** Whether paths over this alphabet need 32-bit actions (more than 65,535 actions), see {@link PathArray}. */
  readonly wide: boolean
  /** The prefilter's refusals told, by reason (prefilter.ts: SKIP_*). */
  get prefilterSkips(): Float64Array {
    return this.prefilter.skips
  }
  /**
   * While {@link expand}'s `each` runs: the successor's fingerprint came from the
   * raw fingerprints' cache, or is the loaded state's, so a search that adds
   * every successor's fingerprint to its set of seen states (as
   * {@link exploreGeneral} does) has it already and need not look.
   */
  metBefore = false
  /** Transitions whose step invariants the guards let pass / sent to the reference (for tests and profiling). */
  guarded = 0
  referenced = 0
  /** States expanded so far (the undo self-check samples them), and how many apart the samples are. */
  private expansions = 0
  private readonly selfCheckEvery: number
  /** The first violation of the catalogue invariants checked (all, unless `--invariant` chose some). */
  keep: (violations: ReadonlyArray<Violation>) => Violation | undefined = catalogueFilter(undefined)
  /** The model's view of the kernel's state now (no ghost flows): what user properties in code read. */
  readonly abstractNow = (): KernelState => this.target.abstraction.abstract(this.kernel as never)

  /**
   * Raw fingerprints (raw-fingerprints.ts): a successor met before with the same
   * handles gets its canonical fingerprint from their cache instead of the
   * encoder. Null when off: a kernel other than our impl (a mutant's copy could
   * leave a change out of its dirty lists, which the raw fingerprints count from).
   */
  readonly raw: RawFingerprints | null
  /** Whether the fast checks (step guards, state checks) run, or the reference alone. */
  readonly fastChecks: boolean
  readonly verifyGuards: boolean
  /**
   * `--refine`: every action tried (refused ones included, so no prefilter) is
   * stepped on the model too, from the abstraction of the expanded state, and
   * must agree (REF-1, refine-step.ts). The first failure stops {@link expand}.
   */
  readonly refine: boolean
  /** The refinement failure {@link expand} stopped at, and the action it was on (also, with or without `--refine`, a step that threw: REF-1). */
  refined: { readonly failure: RefineFailure; readonly action: number } | null = null

  /**
   * `fastChecks`: the step guards and fast state checks read the impl's tables
   * as refinement/abstraction.ts reads them, so they are on by default for our
   * impl only; a kernel target with an abstraction of its own (a mutant of the
   * abstraction) gets the reference alone unless the caller knows better.
   * `verifyGuards` (tests): run the reference on every transition and new
   * state too, and throw where a fast check vouched for what it breaks.
   */
  constructor(
    readonly preset: Preset, target: SearchTarget = implSearchTarget,
    options: { readonly fastChecks?: boolean; readonly verifyGuards?: boolean; readonly refine?: boolean; readonly rawFingerprints?: boolean; readonly widePaths?: boolean; readonly selfCheckEvery?: number; readonly watch?: StepWatch } = {},
  ) {
    this.target = target
    this.watch = options.watch ?? null
    this.selfCheckEvery = options.selfCheckEvery ?? SELF_CHECK_EVERY
    this.fastChecks = options.fastChecks ?? target === implSearchTarget
    this.verifyGuards = this.fastChecks && (options.verifyGuards ?? false)
    this.raw = (options.rawFingerprints ?? target === implSearchTarget) ? new RawFingerprints() : null
    this.refine = options.refine ?? false
    this.actions = presetActions(preset, { readers: this.refine })
    this.guards = new StepGuards(this.actions)
    this.prefilter = new Prefilter(this.actions)
    this.wide = options.widePaths === true || this.actions.length > 0xffff
    this.counts = new Float64Array(this.actions.length)
    this.receives = Uint8Array.from(this.actions, (action) => (action.kind === 'ep_recv' ? 1 : 0))
    this.flowing = Uint8Array.from(this.actions, (action) => (DST_FLOWS.has(action.kind as string) || action.kind === 'ep_recv' ? 1 : 0))
    this.watch?.creating()
    this.kernel = target.create(preset.boot, preset.images)
    this.watch?.answered()
    this.snapshots.push(this.kernel.snapshot())
    this.flows.push(modelBoot(preset.boot, preset.images).gsFlows)
  }

  /** The watchdog's lane (step-watch.ts), told the path loaded and each step handed to the kernel; null: unwatched. */
  private readonly watch: StepWatch | null

  /** The depth of the state loaded. */
  get depth(): number {
    return this.loaded.length
  }

  /** Encodes the boot state (into `encoder`); the kernel is left there. */
  boot(): void {
    this.goTo([], 0)
    this.encoder.encode(this.kernel)
    this.knowLoaded(this.encoder.pair[0]!, this.encoder.pair[1]!)
  }

  /** The loaded state's fingerprint, when known (a successful step that changes nothing leads back to it). */
  private readonly loadedPair = new Uint32Array(2)
  private loadedKnown = false

  /** Tells the fingerprint of the state just loaded by {@link goTo} (the frontier keeps it), so that it is not encoded again. */
  knowLoaded(high: number, low: number): void {
    this.loadedPair[0] = high
    this.loadedPair[1] = low
    this.loadedKnown = true
  }

  /** REF-1 at boot (call after {@link boot}): the kernel's abstracted boot state is the model's. */
  refineBoot(): RefineFailure | null {
    return compareState(this.target as unknown as RefinementTarget, this.kernel, modelBoot(this.preset.boot, this.preset.images), null)
  }

  /** Brings the kernel to the state reached by `path[0..length)` from the boot state. */
  goTo(path: ArrayLike<number>, length: number): void {
    let shared = 0
    const limit = Math.min(length, this.loaded.length)
    while (shared < limit && this.loaded[shared] === path[shared]) shared++
    this.kernel.restore(this.snapshots[shared])
    this.loaded.length = shared
    this.loadedKnown = false
    this.loadedModel = null
    const { watch } = this
    watch?.at(path, length)
    for (let level = shared; level < length; level++) {
      if (watch !== null) { watch.atLength(level); watch.stepping(path[level]!) }
      this.flows[level + 1] = this.replayStep(this.kernel, path[level]!, this.flows[level]!)
      watch?.answered()
      this.loaded.push(path[level]!)
      // The snapshot this replaces was of a path left behind: its buffers are reused.
      this.snapshots[level + 1] = this.kernel.snapshot(this.snapshots[level + 1])
    }
    watch?.atLength(length)
  }

  /** Steps `kernel` by action `index` of a path (whose every step succeeds); the ghost flows after it, from `flows` before. */
  private replayStep(kernel: SearchKernel, index: number, flows: Flows): Flows {
    const action = this.actions[index]!
    const before = this.receives[index] === 1 && dstEmpty(kernel, action)
    const outcome = kernel.step(action)
    if (E.isLeft(outcome)) throw new Error(`KernelBug: replaying a path, action ${index} (${String(action.kind)}) was refused: ${outcome.left.code}`)
    return this.flowing[index] === 1 ? flowsAfter(kernel, action, flows, before) : flows
  }

  /** Back to the loaded state after a transition. */
  private back(): void {
    this.kernel.undo(this.snapshots[this.loaded.length])
  }

  /**
   * Tries every action (in `order`, or the alphabet's) on the loaded state. Each
   * successful one leaves its successor in the kernel, fingerprinted in
   * `encoder.pair` (and encoded in `encoder.words`, unless the step changed
   * nothing: then the pair is the loaded state's), while `each(action)` runs;
   * `each` returns true to stop.
   */
  expand(order: ArrayLike<number> | null, each: (action: number) => boolean): boolean {
    const { kernel, guards, fastChecks, prefilter, refine, raw } = this
    if (fastChecks) { guards.load(kernel); prefilter.load(kernel) }
    if (raw !== null) {
      raw.load(kernel)
      if (this.loadedKnown) raw.remember(this.loadedPair)
    }
    // The model's view of the expanded state: every action is stepped on the model from it.
    if (refine && this.loadedModel === null) this.loadedModel = this.abstract(this.flows[this.loaded.length]!)
    // --refine compares every step with the model's already (and steps the whole alphabet: sampling it would cost a fresh kernel per action).
    this.sampling = !refine && this.expansions++ % this.selfCheckEvery === 0 && this.startSample()
    this.steppedCount = 0
    this.stopAction = -1
    const count = order === null ? this.actions.length : order.length
    try {
      if (this.expandFrom(order, count, each)) return true
    } catch (error) {
      this.watch?.answered()
      // A step that threw (a kernel assertion, say): an action taken back wrongly before it may be the cause (a KernelBug naming it).
      if (this.trying < 0) throw error
      const action = this.trying
      this.confirmThrow(action, (error as Error).message)
      // A fresh kernel throws alike: the kernel's own failure, found by a shortest path like a violation (a kernel never throws: REF-1).
      this.trying = -1
      this.stopAction = action
      this.refined = { failure: kernelThrew(this.actions[action]!, error), action }
      return true
    }
    if (this.sampling) this.confirmSampled()
    return false
  }

  // ---- the dirty-list self-checks -------------------------------------------------
  //
  // Each step's dirty lists must name all it changed: the one-step undo
  // (impl/kernel.ts), the raw fingerprints and the step guards read them, and a
  // change they miss makes states up (a violation no replay shows) or loses
  // them. A kernel whose step misses one is a kernel bug; the engine must say so
  // rather than answer wrongly. The reference for "right" is a fresh kernel
  // booted and brought forward along the path, never taken back (a restore may
  // trust what a wrong undo told it). Checked: a violation before it is
  // reported, a failure thrown mid-expansion, and every expansion of a sample
  // (the first state and every selfCheckEvery-th): its loaded state, the
  // kernel after each step taken back, and each step's answer are compared
  // with a fresh kernel's, and with raw fingerprints its successors are also
  // counted whole.

  /** The action whose step {@link expandFrom} is in (-1: none), for a failure's explanation. */
  private trying = -1
  /** Whether the state being expanded is one the self-checks sample. */
  private sampling = false
  /** The actions stepped so far in this expansion, and (sampled) the search's answer to each. */
  private stepped = new Int32Array(64)
  private steppedCount = 0
  private readonly answers: string[] = []
  /** The action {@link expand} stopped at (a violation or a `--refine` failure), if it stopped (-1: not). */
  private stopAction = -1

  /** {@link expand}'s loop over the actions. */
  private expandFrom(order: ArrayLike<number> | null, count: number, each: (action: number) => boolean): boolean {
    const { kernel, actions, encoder, guards } = this
    const { fastChecks, prefilter, refine, raw, watch } = this
    for (let position = 0; position < count; position++) {
      const index = order === null ? position : order[position]!
      const action = actions[index]!
      if (fastChecks && !refine) {
        const refusal = prefilter.refusal(kernel, index)
        if (refusal !== PASSES) {
          // Refused whatever the rights: so is the rest of its group (in the alphabet's order).
          const last = refusal === GROUP_REFUSED && order === null ? prefilter.groupEnd[index]! - 1 : index
          if (this.verifyGuards) for (let skipped = index; skipped <= last; skipped++) this.confirmRefused(skipped)
          position = order === null ? last : position
          continue
        }
      }
      const dstWasEmpty = this.receives[index] === 1 && dstEmpty(kernel, action)
      if (this.fastChecks) guards.beforeStep(kernel, index)
      this.trying = index
      watch?.stepping(index)
      const outcome = refine ? this.refineStep(index) : kernel.step(action)
      watch?.answered()
      this.trying = -1
      if (outcome === null) { this.stopAction = index; return true }
      this.recordStepped(index)
      if (E.isLeft(outcome)) {
        if (touched(kernel)) this.back()
        if (this.sampling) { this.answers[this.steppedCount - 1] = `refused ${outcome.left.code}`; this.confirmBack(index) }
        continue
      }
      this.generated++
      this.counts[index]++
      this.metBefore = true
      if (touched(kernel)) {
        if (raw === null) { encoder.encode(kernel); this.metBefore = false }
        else {
          raw.successor(kernel)
          if (this.sampling && !this.verifyGuards) this.confirmRawCounted(raw, index)
          if (this.verifyGuards) { this.confirmRaw(raw); this.metBefore = false }
          else if (!raw.lookup(encoder.pair)) { encoder.encode(kernel); raw.remember(encoder.pair); this.metBefore = false }
        }
      } else {
        // Nothing changed (a revoke with nothing to remove): the successor is the loaded state, already fingerprinted.
        if (!this.loadedKnown) { encoder.encode(kernel); this.knowLoaded(encoder.pair[0]!, encoder.pair[1]!) }
        encoder.pair[0] = this.loadedPair[0]!
        encoder.pair[1] = this.loadedPair[1]!
      }
      const pending = this.pending
      pending.active = true
      pending.action = index
      pending.outcome = outcome
      pending.dstWasEmpty = dstWasEmpty
      pending.mayBreak = !this.fastChecks || guards.mayBreak(kernel, index, action, outcome.right, this.atBefore)
      const answer = this.sampling ? `${encoder.pair[0]!}:${encoder.pair[1]!}` : null
      if (answer !== null) this.answers[this.steppedCount - 1] = answer
      const stop = each(index)
      pending.active = false
      pending.outcome = null
      if (stop) this.stopAction = index
      this.back()
      if (stop) return true
      if (this.sampling) this.confirmBack(index)
    }
    return false
  }

  /** A sampled expansion, after action `index` was tried and taken back: the kernel is in the loaded state again (by fingerprint). */
  private confirmBack(index: number): void {
    if (this.fingerprintOf(this.kernel) !== this.sampledLoaded) this.throwCulprit(index, '')
  }

  private recordStepped(index: number): void {
    if (this.steppedCount === this.stepped.length) { const grown = new Int32Array(this.stepped.length * 2); grown.set(this.stepped); this.stepped = grown }
    this.stepped[this.steppedCount++] = index
  }

  /** A fresh kernel, booted and brought forward along the loaded state's path (never restored, never taken back). */
  private fresh(): SearchKernel {
    return this.freshWithFlows().kernel
  }

  /** The canonical fingerprint of a kernel's state, as text. */
  private fingerprintOf(kernel: SearchKernel): string {
    this.encoder.encode(kernel)
    return `${this.encoder.pair[0]!}:${this.encoder.pair[1]!}`
  }

  /** A kernel's answer to action `index` from where it is: its refusal, the fingerprint of its successor, or what it threw; the kernel is left there. */
  private answerOf(kernel: SearchKernel, index: number): string {
    try {
      const outcome = kernel.step(this.actions[index]!)
      return E.isLeft(outcome) ? `refused ${outcome.left.code}` : this.fingerprintOf(kernel)
    } catch (error) {
      return `threw ${(error as Error).message}`
    }
  }

  /** Its abstraction with `flows`: what the invariants read. */
  private abstractOf(kernel: SearchKernel, flows: Flows): KernelState {
    return { ...this.target.abstraction.abstract(kernel as never), gsFlows: flows }
  }

  /** A fresh kernel at the loaded state (as {@link fresh}), with the ghost flows its path adds. */
  private freshWithFlows(): { kernel: SearchKernel; flows: Flows } {
    const kernel = this.target.create(this.preset.boot, this.preset.images)
    let flows = this.flows[0]!
    for (const index of this.loaded) flows = this.replayStep(kernel, index, flows)
    return { kernel, flows }
  }

  /**
   * Action `index` taken by a fresh kernel from the loaded state: the kernel
   * after it, the ghost flows then and the outcome, and (`withBefore`) the
   * model's view before it; null when it is refused or throws (a failure
   * whatever came before).
   */
  private freshStep(index: number, withBefore: boolean): { before: KernelState | null; outcome: Outcome & E.Right<unknown>; kernel: SearchKernel; flows: Flows } | null {
    const { kernel, flows } = this.freshWithFlows()
    const action = this.actions[index]!
    const before = withBefore ? this.abstractOf(kernel, flows) : null
    const dstWasEmpty = this.receives[index] === 1 && dstEmpty(kernel, action)
    let outcome: Outcome
    try {
      outcome = kernel.step(action)
    } catch {
      return null
    }
    if (E.isLeft(outcome)) return null
    return { before, outcome, kernel, flows: this.flowing[index] === 1 ? flowsAfter(kernel, action, flows, dstWasEmpty) : flows }
  }

  /** Does action `index`, taken by a fresh kernel from the loaded state, break `invariant` (the model's functions on the abstraction)? */
  private breaksFresh(index: number, invariant: string): boolean {
    const taken = this.freshStep(index, true)
    if (taken === null) return false
    const { outcome } = taken
    const before = taken.before!
    const after = this.abstractOf(taken.kernel, taken.flows)
    if (checkState(after).some((violation) => violation.invariant === invariant)) return true
    return STEP_INVARIANTS.some((check) => { const found = check.check({ before, syscall: this.actions[index]!, outcome, after }); return found._tag === 'Some' && found.value.invariant === invariant })
  }

  /** Does action `index`, taken by a fresh kernel from the loaded state, lead to a state that breaks a state invariant (whose encoding may then read what history left, so that fingerprints cannot be compared)? */
  private successorBrokenFresh(index: number): boolean {
    const taken = this.freshStep(index, false)
    if (taken === null) return false
    try {
      return checkState(this.abstractOf(taken.kernel, taken.flows)).length > 0
    } catch {
      return true // a state the abstraction cannot read
    }
  }

  /**
   * The nearest action stepped in this expansion before position `end` of
   * {@link stepped} (of the last {@link BLAME_WINDOW}) whose try and undo, on
   * a fresh kernel at the loaded state, do not bring that kernel back to
   * `loaded` (its fingerprint), or after which `probe` (an action index, or
   * -1) answers otherwise than `expected`; -1 when none.
   */
  private culpritBefore(end: number, loaded: string, probe: number, expected: string): number {
    for (let at = end - 1; at >= Math.max(0, end - BLAME_WINDOW); at--) {
      const culprit = this.stepped[at]!
      const kernel = this.fresh()
      const saved = kernel.snapshot()
      let outcome: Outcome
      try {
        outcome = kernel.step(this.actions[culprit]!)
      } catch {
        continue
      }
      if (E.isRight(outcome) || touched(kernel)) kernel.undo(saved)
      if (this.fingerprintOf(kernel) !== loaded || (probe >= 0 && this.answerOf(kernel, probe) !== expected)) return culprit
    }
    return -1
  }

  private throwCulprit(culprit: number, then: string): never {
    this.throwBreach(`action ${culprit}, ${JSON.stringify(this.actions[culprit])}: tried and taken back, the kernel is not where it was${then}`)
  }

  /** The position in {@link stepped} of the action stepped last if it is `index` (it is not there yet if its step threw). */
  private steppedBefore(index: number): number {
    return this.steppedCount > 0 && this.stepped[this.steppedCount - 1] === index ? this.steppedCount - 1 : this.steppedCount
  }

  /** Whether the loaded state, as the search found it, is not where its path leads (a fresh kernel's fingerprint `loaded`). */
  private loadedWrong(loaded: string): boolean {
    return this.loadedKnown && loaded !== `${this.loadedPair[0]!}:${this.loadedPair[1]!}`
  }

  /**
   * A step of action `index` threw `message` mid-expansion: if a fresh kernel
   * at the loaded state does not throw so, an action taken back wrongly before
   * it is the cause, and the self-checks' KernelBug says which (when one can
   * be found). Returns when the fresh kernel throws alike (the kernel's own failure).
   */
  private confirmThrow(index: number, message: string): void {
    const answer = `threw ${message}`
    const loaded = this.fingerprintOf(this.fresh())
    const expected = this.answerOf(this.fresh(), index)
    if (expected === answer && !this.loadedWrong(loaded)) return
    const culprit = this.culpritBefore(this.steppedBefore(index), loaded, index, expected)
    if (culprit >= 0) this.throwCulprit(culprit, ` (action ${index} then ${answer}, and ${expected} from a fresh kernel)`)
    this.throwBreach(this.loadedWrong(loaded) ? LOADED_WRONG : `action ${index}, ${JSON.stringify(this.actions[index])}: ${answer} in the search, and ${expected} from a fresh kernel`)
  }

  /**
   * A sampled expansion: every answer the search got is a fresh kernel's
   * (successors that break a state invariant aside); the first
   * {@link SELF_CHECKED_STEPS} actions stepped, each costing a fresh kernel.
   */
  private confirmSampled(): void {
    const loaded = this.sampledLoaded
    for (let at = 0; at < Math.min(this.steppedCount, SELF_CHECKED_STEPS); at++) {
      const index = this.stepped[at]!
      const answer = this.answers[at]!
      const expected = this.answerOf(this.fresh(), index)
      if (expected === answer || this.successorBrokenFresh(index)) continue
      const culprit = this.culpritBefore(at, loaded, index, expected)
      if (culprit >= 0) this.throwCulprit(culprit, ` (action ${index} then answers ${answer}, and ${expected} from a fresh kernel)`)
      this.throwBreach(`action ${index}, ${JSON.stringify(this.actions[index])}, answers ${answer} in the search and ${expected} from a fresh kernel`)
    }
  }

  /** The loaded state's fingerprint from a fresh kernel, for a sampled expansion. */
  private sampledLoaded = ''

  /**
   * Starts a sampled expansion: the loaded state is where its path leads (else
   * the self-checks' KernelBug), and its fresh fingerprint is kept. False (no
   * sample) when the loaded state breaks a state invariant (a search told to
   * check only some goes on past it): its encoding may then read what history
   * left, so that fingerprints cannot be compared.
   */
  private startSample(): boolean {
    const { kernel, flows } = this.freshWithFlows()
    try {
      if (checkState(this.abstractOf(kernel, flows)).length > 0) return false
    } catch {
      return false
    }
    this.sampledLoaded = this.fingerprintOf(kernel)
    if (this.loadedWrong(this.sampledLoaded)) this.throwBreach(LOADED_WRONG)
    return true
  }

  /**
   * Before a violation found by the last {@link expand} is reported (it
   * stopped there): it is not made up by a step taken back wrongly before it.
   * A catalogue invariant's (`invariant`) must show again when a fresh kernel
   * at the loaded state takes the step; for a user property's or a `--refine`
   * failure (`invariant` null), the loaded state must be where its path leads
   * and no action tried before may, tried and taken back on a fresh kernel,
   * leave it elsewhere or change its answer to the stopping action. Throws the
   * self-checks' KernelBug otherwise.
   */
  confirmStop(invariant: string | null): void {
    const stop = this.stopAction
    const loaded = this.fingerprintOf(this.fresh())
    const wrong = this.loadedWrong(loaded)
    if (!wrong && invariant !== null && this.breaksFresh(stop, invariant)) return
    // The step to blame: its try and undo leave the kernel elsewhere, or change the stopping action's answer
    // (compared only where that answer is a state's fingerprint that history cannot change: one no state invariant breaks).
    const probe = this.successorBrokenFresh(stop) ? -1 : stop
    const expected = probe < 0 ? '' : this.answerOf(this.fresh(), probe)
    const culprit = this.culpritBefore(this.steppedBefore(stop), loaded, probe, expected)
    if (culprit >= 0) this.throwCulprit(culprit, '')
    if (wrong) this.throwBreach(LOADED_WRONG)
    if (invariant !== null) this.throwBreach(`${invariant} was found after action ${stop}, ${JSON.stringify(this.actions[stop])}, and a fresh kernel taking it does not break it`)
  }

  private throwBreach(detail: string): never {
    throw new Error(`KernelBug: ${DIRTY_LISTS_BROKEN} (${detail})`)
  }

  /**
   * `--refine`: the kernel's step of action `index` from the loaded state, checked
   * against the model's step from its abstraction; null when they disagree (the
   * failure in {@link refined}: the search stops there, the kernel left as it is).
   */
  private refineStep(index: number): Outcome | null {
    const action = this.actions[index]!
    const stepped = stepKernel(this.kernel, action)
    const before = this.loadedModel!
    let failure: RefineFailure | null
    if ('failure' in stepped) failure = stepped.failure
    else {
      const model = modelStep(before, action)
      failure = compareStep(this.target as unknown as RefinementTarget, this.kernel, action, before, model.outcome, model.state, stepped.outcome)
      if (failure === null) return stepped.outcome
    }
    this.refined = { failure, action: index }
    return null
  }

  /** Runs `read` with the kernel in the loaded state, from the successor of the pending action, and takes that step again (the step guards read `before` so). */
  private readonly atBefore = (read: () => void): void => {
    this.back()
    read()
    this.kernel.step(this.actions[this.pending.action]!)
  }

  /**
   * Tests: the successor's raw fingerprint, counted from the step's dirty lists,
   * is the one computed whole, and a canonical fingerprint cached for it is the
   * encoder's; the encoder's is left in `encoder.pair`.
   */
  private confirmRaw(raw: RawFingerprints): void {
    const [high, low] = raw.whole(this.kernel)
    if (high !== raw.pair[0] || low !== raw.pair[1]) throw new Error('KernelBug: a raw fingerprint counted from the dirty lists is not the one computed whole (a change the step left out of them)')
    const cached = new Uint32Array(2)
    const hit = raw.lookup(cached)
    this.encoder.encode(this.kernel)
    if (hit && (cached[0] !== this.encoder.pair[0] || cached[1] !== this.encoder.pair[1])) throw new Error('KernelBug: the canonical fingerprint cached for a raw fingerprint is not the encoder\'s')
    raw.remember(this.encoder.pair)
  }

  /**
   * The dirty-list self-check of a sampled state's successors: the raw
   * fingerprint counted from the step's dirty lists is the one computed whole
   * (a change they miss would give two states one raw fingerprint, and one of
   * them would be lost).
   */
  private confirmRawCounted(raw: RawFingerprints, index: number): void {
    const [high, low] = raw.whole(this.kernel)
    if (high === raw.pair[0] && low === raw.pair[1]) return
    this.throwBreach(`action ${index}, ${JSON.stringify(this.actions[index])}: the raw fingerprint of its successor counted from the dirty lists is not the one computed whole`)
  }

  /** Tests: an action the prefilter skipped is refused indeed. */
  private confirmRefused(index: number): void {
    const outcome = this.kernel.step(this.actions[index]!)
    if (E.isRight(outcome)) throw new Error(`KernelBug: the prefilter skipped action ${index} (${String(this.actions[index]!.kind)}), which succeeds`)
    this.back()
  }

  /** The model's view of the kernel now, with `flows`. */
  private abstract(flows: Flows): KernelState {
    return this.abstractOf(this.kernel, flows)
  }

  /**
   * The state invariants of the kernel's state with `flows`: the fast test on the
   * impl's tables, and the reference (the model's functions on the abstraction)
   * when it cannot vouch. `verifyGuards`: the reference always, and a bug if
   * the fast test vouched for a state it breaks.
   */
  private stateViolation(flows: Flows): Violation | null {
    const holds = this.fastChecks && this.stateChecks.holds(this.kernel as unknown as CheckableKernel, flows)
    if (holds && !this.verifyGuards) return null
    const violations = checkState(this.abstract(flows))
    const broken = violations[0]
    if (holds && broken !== undefined) throw new Error(`KernelBug: the fast state checks vouched for a state that breaks ${broken.invariant}: ${broken.message}`)
    return this.keep(violations) ?? null
  }

  /** The state invariants of the loaded state (the boot state, or a state reached by {@link goTo}). */
  checkLoaded(): Violation | null {
    return this.stateViolation(this.flows[this.loaded.length]!)
  }

  /**
   * The invariants of the transition whose successor is loaded (call it from
   * {@link expand}'s `each`): the state invariants of the successor when it is
   * `isNew` (one seen before passed them then), then every step invariant,
   * whether the successor is new or not — the order of the model's `checkStep`.
   */
  checkSuccessor(isNew: boolean): Violation | null {
    const pending = this.pending
    if (!pending.active) throw new Error('KernelBug: checkSuccessor outside expand')
    if (pending.mayBreak) this.referenced++
    else this.guarded++
    if (!isNew && !pending.mayBreak && !this.verifyGuards) return null
    const depth = this.loaded.length
    const syscall = this.actions[pending.action]!
    const flows = this.flowing[pending.action] === 1 ? flowsAfter(this.kernel, syscall, this.flows[depth]!, pending.dstWasEmpty) : this.flows[depth]!
    if (isNew) {
      const broken = this.stateViolation(flows)
      if (broken !== null) return broken
    }
    if (!pending.mayBreak && !this.verifyGuards) return null
    const after = this.abstract(flows)
    const step = { before: this.before(pending.action), syscall, outcome: pending.outcome!, after }
    for (const invariant of STEP_INVARIANTS) {
      const found = invariant.check(step)
      if (found._tag === 'Some') {
        if (!pending.mayBreak) throw new Error(`KernelBug: a step guard let pass ${found.value.invariant} on action ${pending.action} (${String(syscall.kind)}): ${found.value.message}`)
        if (this.keep([found.value]) !== undefined) return found.value
      }
    }
    return null
  }

  /**
   * The loaded state's abstraction (the step invariants' `before`), made once
   * per expanded state when a transition first needs it: the kernel, at the
   * successor of `action`, goes back, is read, and takes the step again.
   */
  private before(action: number): KernelState {
    if (this.loadedModel !== null) return this.loadedModel
    this.back()
    this.loadedModel = this.abstract(this.flows[this.loaded.length]!)
    this.kernel.step(this.actions[action]!)
    return this.loadedModel
  }

  /** The actions of a path, for a counterexample. */
  actionsOf(path: ArrayLike<number>, length: number): Action[] {
    return Array.from({ length }, (_, index) => this.actions[path[index]!]!)
  }
}

/**
 * A path's actions, back to back: 2 bytes each while the alphabet has at most
 * 65,535 actions (every preset and most declared systems), 4 bytes beyond.
 */
export type PathArray = Uint16Array | Uint32Array

/** A path array of `length` actions, wide (32-bit) or not. */
export function pathArray(wide: boolean, length: number): PathArray {
  return wide ? new Uint32Array(length) : new Uint16Array(length)
}

/** A path array over `buffer` (a shared frontier's). */
function pathsOver(wide: boolean, buffer: SharedArrayBuffer): PathArray {
  return wide ? new Uint32Array(buffer) : new Uint16Array(buffer)
}

/** One breadth-first level: the paths of its states (all `length` long), back to back, and their fingerprints. */
export class PathLevel {
  paths: PathArray
  /** The fingerprint of each state (high, low), for {@link ImplExpander.knowLoaded}. */
  pairs: Uint32Array
  count = 0
  constructor(readonly length: number, capacity = 1024, readonly wide = false) {
    this.paths = pathArray(wide, Math.max(1, length) * capacity)
    this.pairs = new Uint32Array(2 * capacity)
  }
  private reserve(count: number): void {
    const need = (this.count + count) * this.length
    if (need > this.paths.length) {
      const grown = pathArray(this.wide, Math.max(need, this.paths.length * 2))
      grown.set(this.paths)
      this.paths = grown
    }
    if (2 * (this.count + count) > this.pairs.length) {
      const grown = new Uint32Array(Math.max(2 * (this.count + count), this.pairs.length * 2))
      grown.set(this.pairs)
      this.pairs = grown
    }
  }
  /** Appends a parent's path and one more action, and the state's fingerprint. */
  push(parent: ArrayLike<number>, action: number, high: number, low: number): void {
    const length = this.length
    this.reserve(1)
    const at = this.count * length
    for (let index = 0; index < length - 1; index++) this.paths[at + index] = parent[index]!
    if (length > 0) this.paths[at + length - 1] = action
    this.pairs[2 * this.count] = high
    this.pairs[2 * this.count + 1] = low
    this.count++
  }
  /** Appends paths given back to back, and their fingerprints (pairs). */
  pushAll(paths: PathArray, pairs: Uint32Array, count: number): void {
    this.reserve(count)
    this.paths.set(paths.subarray(0, count * this.length), this.count * this.length)
    this.pairs.set(pairs.subarray(0, 2 * count), 2 * this.count)
    this.count += count
  }
  at(position: number): PathArray {
    return this.paths.subarray(position * this.length, (position + 1) * this.length)
  }
  /** Keeps the states `kept(position)` says to keep, in their order. */
  filter(kept: (position: number) => boolean): void {
    const length = this.length
    let count = 0
    for (let position = 0; position < this.count; position++) {
      if (!kept(position)) continue
      if (count !== position) {
        this.paths.copyWithin(count * length, position * length, (position + 1) * length)
        this.pairs[2 * count] = this.pairs[2 * position]!
        this.pairs[2 * count + 1] = this.pairs[2 * position + 1]!
      }
      count++
    }
    this.count = count
  }
  /** A copy of the level in shared memory (--workers: the others may take chunks of it). */
  share(): SharedFrontier {
    const bytes = this.paths.BYTES_PER_ELEMENT
    const paths = new SharedArrayBuffer(Math.max(bytes, bytes * this.count * this.length))
    const pairs = new SharedArrayBuffer(Math.max(8, 8 * this.count))
    pathsOver(this.wide, paths).set(this.paths.subarray(0, this.count * this.length))
    new Uint32Array(pairs).set(this.pairs.subarray(0, 2 * this.count))
    return { paths, pairs, count: this.count, length: this.length, wide: this.wide }
  }
  /** A level over a shared one's memory, to read (a push would copy it out). */
  static over(shared: SharedFrontier): PathLevel {
    const level = new PathLevel(shared.length, 1, shared.wide)
    level.paths = pathsOver(shared.wide, shared.paths)
    level.pairs = new Uint32Array(shared.pairs)
    level.count = shared.count
    return level
  }
  /** Loads the state at `position` into `expander` (its path, and its fingerprint known). */
  load(expander: ImplExpander, position: number): PathArray {
    const path = this.at(position)
    expander.goTo(path, path.length)
    expander.knowLoaded(this.pairs[2 * position]!, this.pairs[2 * position + 1]!)
    return path
  }
}

/** The options the general engine takes: the search's, and the kernel to step (default the impl). */
export type GeneralOptions = ExploreOptions & {
  readonly kernel?: SearchTarget
  /** The fast checks (step guards, state checks, prefilter) on or off; default: on for our impl only, whose tables they read as the abstraction does. */
  readonly fastChecks?: boolean
  /** Tests: run the reference on every transition and new state too, and fail where a fast check vouched wrongly. */
  readonly verifyGuards?: boolean
  /** The raw fingerprints' cache (raw-fingerprints.ts) on or off; default: on for our impl only. */
  readonly rawFingerprints?: boolean
  /** Tests: 32-bit paths (general.ts: PathArray) whatever the alphabet's size (they are otherwise used past 65,535 actions). */
  readonly widePaths?: boolean
  /** Tests: the dirty-list self-checks sample the first expanded state and every this many after (default 4,096; Infinity: the first only); they also run before every violation and after every step that throws. */
  readonly selfCheckEvery?: number
}

function violationOf(found: Violation | RefineFailure, path: Action[]): ExploreViolation {
  return { invariant: found.invariant, message: found.message, witness: found.witness, path }
}

/**
 * Exhaustive (or bounded) breadth-first search with the general engine, on this
 * thread. With `swarm`: depth first in a seeded random action order down to a
 * seeded depth bound, as the model engine's swarm jobs do.
 */
export function exploreGeneral(options: GeneralOptions): ExploreResult {
  const started = Date.now()
  // --refine checks the kernel the search steps: the impl, or the impl mutant given as `kernel`.
  const refine = options.refine !== undefined
  if (refine && (!searchable(options.refine) || (options.kernel !== undefined && options.kernel !== (options.refine as unknown)))) {
    throw new Error(`the general engine refines the kernel it steps (the impl or an impl mutant), not ${options.refine.name}: use --engine model`)
  }
  const kernel = options.kernel ?? (refine ? options.refine as unknown as SearchTarget : undefined)
  const expander = new ImplExpander(options.preset, kernel, {
    ...(options.fastChecks === undefined ? {} : { fastChecks: options.fastChecks }),
    ...(options.verifyGuards === undefined ? {} : { verifyGuards: options.verifyGuards }),
    ...(options.rawFingerprints === undefined ? {} : { rawFingerprints: options.rawFingerprints }), refine,
    ...(options.widePaths === undefined ? {} : { widePaths: options.widePaths }),
    ...(options.selfCheckEvery === undefined ? {} : { selfCheckEvery: options.selfCheckEvery }),
    ...(options.watch === undefined ? {} : { watch: new StepWatch(options.watch, 0) }),
  })
  const { encoder } = expander
  expander.keep = catalogueFilter(options.checked)
  const watch = options.checked === undefined || options.checked.user.length === 0 ? null : new PropertyWatch(options.checked.user)
  const random = options.swarm === undefined ? null : mulberry32(options.swarm.seed * 7919 + options.swarm.index)
  const depthMax = options.depthMax ?? Number.POSITIVE_INFINITY
  const depthBound = random === null ? depthMax : Math.max(1, Math.ceil(Math.min(depthMax, 64) * (0.5 + random() / 2)))
  const seen = new FingerprintSet(1 << 16)
  let depth = 0
  let queue = 0
  let violation: ExploreViolation | null = null
  let stopped = false
  let interrupted = false
  let lastProgress = started
  const result = (complete: boolean): ExploreResult => {
    const durationMs = Date.now() - started
    return {
      preset: options.preset.name, engine: 'general', complete, distinct: seen.size, generated: expander.generated + 1, depth, queue, durationMs,
      statesPerSecond: Math.round((seen.size / Math.max(durationMs, 1)) * 1000), collisionProbability: collisionProbability(seen.size),
      coverage: coverageOf(expander.actions, expander.counts, options.coverageBy), violation, swarm: options.swarm ?? null, ...(interrupted ? { interrupted } : {}),
      ...(watch === null ? {} : { properties: verdicts(watch.user, watch.witnessed, { complete, depth, distinct: seen.size, violated: violation?.invariant ?? null, interrupted, swarm: random !== null }) }),
    }
  }
  /** The user properties' hits on a new state reached by `path`: the always one broken becomes the violation. True: stop. */
  const recordHits = (hits: Hits | null, path: () => Action[]): boolean => {
    if (hits === null) return false
    for (const hit of hits.found) watch!.witness(hit, path())
    if (hits.violated === null) return false
    violation = userViolation(hits.violated, path())
    return true
  }
  expander.boot()
  seen.add(encoder.pair[0]!, encoder.pair[1]!)
  const refinedAtBoot = refine ? expander.refineBoot() : null
  if (refinedAtBoot !== null) { violation = violationOf(refinedAtBoot, []); return result(false) }
  const atBoot = expander.checkLoaded()
  if (atBoot !== null) { violation = violationOf(atBoot, []); return result(false) }
  if (watch !== null && recordHits(watch.checkImpl(expander.kernel, expander.abstractNow), () => [])) return result(false)
  const tick = (): boolean => {
    const now = Date.now()
    if (options.timeLimitMs !== undefined && now - started > options.timeLimitMs) { stopped = true; return true }
    if (options.shouldStop?.() === true) { stopped = true; interrupted = true; return true }
    if (options.onProgress !== undefined && now - lastProgress > 500) {
      lastProgress = now
      options.onProgress({ distinct: seen.size, generated: expander.generated + 1, depth, queue, elapsedMs: now - started })
    }
    return false
  }
  /** The syscalls of `path` and one more action. */
  const extended = (path: PathArray, action: number): Action[] => [...expander.actionsOf(path, path.length), expander.actions[action]!]
  /** Expands the loaded state (at `path`); `found(action)` for each new successor. True: stop (a violation, --refine's included, or a bound). */
  const expand = (path: PathArray, order: number[] | null, found: (action: number) => void): boolean => {
    // Which catalogue invariant stopped the search (null: a user property or --refine), for the self-check below.
    let brokenInvariant: string | null = null
    const stop = expander.expand(order, (action) => {
      const isNew = !expander.metBefore && seen.add(encoder.pair[0]!, encoder.pair[1]!)
      const broken = expander.checkSuccessor(isNew)
      if (broken !== null) { violation = violationOf(broken, extended(path, action)); brokenInvariant = broken.invariant; return true }
      if (!isNew) return false
      if (watch !== null && recordHits(watch.checkImpl(expander.kernel, expander.abstractNow), () => extended(path, action))) return true
      found(action)
      if (options.statesMax !== undefined && seen.size >= options.statesMax) { stopped = true; return true }
      return false
    })
    const refined = expander.refined
    if (refined !== null) violation = violationOf(refined.failure, extended(path, refined.action))
    // A violation is reported only if no step taken back wrongly before it made it up.
    if (violation !== null) expander.confirmStop(brokenInvariant)
    return stop
  }
  // --states 1: the boot state is the one state asked for; it is left unexpanded.
  if (options.statesMax !== undefined && seen.size >= options.statesMax) { stopped = true; queue = 1; return result(false) }
  if (random === null) {
    let frontier = new PathLevel(0, 1, expander.wide)
    frontier.push([], 0, encoder.pair[0]!, encoder.pair[1]!)
    search: while (frontier.count > 0 && depth < depthBound) {
      const next = new PathLevel(frontier.length + 1, Math.max(1024, frontier.count * 2), expander.wide)
      for (let position = 0; position < frontier.count; position++) {
        const path = frontier.load(expander, position)
        queue = frontier.count - position + next.count
        if (expand(path, null, (action) => next.push(path, action, encoder.pair[0]!, encoder.pair[1]!))) { queue = frontier.count - position - 1 + next.count; break search }
        // After every state: with a large alphabet (a declared system's grows with the cube of its slots), one state can take a second.
        if (tick()) { queue = frontier.count - position - 1 + next.count; break search }
      }
      frontier = next
      queue = frontier.count
      if (frontier.count > 0) depth++
      options.onLevel?.({ distinct: seen.size, generated: expander.generated + 1, depth, queue, elapsedMs: Date.now() - started })
    }
    return result(violation === null && !stopped && frontier.count === 0)
  }
  // Swarm: depth first in a seeded random action order, down to a seeded depth bound.
  const order = Array.from(expander.actions.keys())
  const stack: PathArray[] = [pathArray(expander.wide, 0)]
  while (stack.length > 0) {
    const path = stack.pop()!
    depth = Math.max(depth, path.length)
    if (path.length >= depthBound) continue
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); const t = order[i]!; order[i] = order[j]!; order[j] = t }
    expander.goTo(path, path.length)
    const children: PathArray[] = []
    if (expand(path, order, (action) => { const child = pathArray(expander.wide, path.length + 1); child.set(path); child[path.length] = action; children.push(child) })) break
    for (let index = children.length - 1; index >= 0; index--) stack.push(children[index]!)
    queue = stack.length
    if (tick()) break
  }
  queue = stack.length
  return result(false)
}
