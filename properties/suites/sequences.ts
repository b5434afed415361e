/**
 * Suites over one syscall sequence: `refinement` (REF-1), `invariants` (the whole
 * catalogue, on the model and on the abstracted kernel), `isolation` (ISO-1..4) and
 * `quota` (QUO-*, CPU-1, IO-1, SCHED-1). Every one steps the kernel in lockstep with
 * the model, so each also fails a kernel that diverges (REF-1); they differ in the
 * invariants they check and in the generator's mix.
 * @module
 */
import type { KernelState } from '../../model/state.js'
import type { ImageRecord } from '../../spec/images.js'
import type { BootConfig } from '../../spec/boot.js'
import { checkState, checkStep } from '../../spec/invariants/index.js'
import { type Divergence, Lockstep, type LockstepStep, abstractOrUnreadable, describeDivergence } from '../../refinement/lockstep.js'
import type { KernelUnderTest } from '../../refinement/target.js'
import type { Outcome } from '../../spec/results.js'
import { diffStates, firstDifference } from '../../refinement/diff.js'
import { BALANCED, type MixWeights, flatten, syscallSequence } from '../generators.js'
import { IMAGE_POOL, PROPERTY_BOOT } from '../pool.js'
import { type Suite, type SuiteContext, type SuiteFailure, violationFailure } from '../suite.js'

/**
 * Model and kernel in lockstep: outcomes and abstract states must agree after every
 * step (REF-1; a kernel state the abstraction cannot read is a REF-1 failure too).
 * With `invariants` (`all`, or the ids a suite is about), those invariants must hold
 * after every step. While the kernel agrees with the model, they are checked on the
 * model's state, which is then the kernel's; when the kernel diverges, they are
 * checked on the kernel's own abstracted state first (with the model's ghost fields,
 * which are not kernel state), so that a kernel that breaks, say, ISO-1 is reported
 * as breaking ISO-1, and as REF-1 only when it breaks none of them. With `all`,
 * once per run the catalogue is also evaluated on the kernel's own abstraction.
 * `--invariant` (context.catalogue) narrows the invariants; the user's properties
 * (context.user) are asked of the boot state and of the model's state after every step.
 * With `rewind`, a kernel that takes snapshots is also taken back (see {@link Rewinds}).
 */
export function checkLockstep(scenario: ReadonlyArray<unknown>, context: SuiteContext, invariants: 'none' | 'all' | ReadonlyArray<string>, rewind = false, config: BootConfig = PROPERTY_BOOT, images: ReadonlyArray<ImageRecord> = IMAGE_POOL): SuiteFailure | null {
  // `--invariant` narrows what the suite is about; the lockstep (REF-1) and the user's properties stay.
  const chosen = context.catalogue
  const about = Array.isArray(invariants) ? invariants : undefined
  const only = about !== undefined && chosen !== undefined ? about.filter((id) => chosen.includes(id)) : about
  const checking = invariants !== 'none' && (chosen === undefined || chosen.length > 0)
  const user = context.user ?? null
  const lockstep = new Lockstep(context.target, config, images)
  const atBoot = lockstep.compareStates(-1)
  if (atBoot !== null) return divergenceFailure(atBoot)
  if (only !== undefined && checking) {
    const failure = violationFailure(-1, checkState(lockstep.model), only)
    if (failure !== null) return failure
  }
  if (user !== null) {
    const failure = user(lockstep.model, -1)
    if (failure !== null) return failure
  }
  const rewinds = rewind ? Rewinds.of(lockstep) : null
  for (let index = 0; index < scenario.length; index++) {
    const syscall = scenario[index]
    const before = lockstep.model
    const saved = rewinds?.before(index) ?? null
    const { step, divergence } = lockstep.step(syscall)
    if (divergence !== null) {
      const labelled = only === undefined || only.length === 0 || step === null ? null : kernelViolation(lockstep, before, step, only)
      return labelled ?? divergenceFailure(divergence, step?.model, step?.kernel)
    }
    context.coverage?.observe(syscall, step!.model, lockstep.model)
    if (checking) {
      const failure = violationFailure(index, checkStep({ before, syscall, outcome: step!.model, after: lockstep.model }), only, chosen)
      if (failure !== null) return failure
    }
    if (user !== null) {
      const failure = user(lockstep.model, index)
      if (failure !== null) return failure
    }
    const undone = rewinds?.after(index, syscall, step!.model, before, saved) ?? null
    if (undone !== null) return undone
  }
  const rewound = rewinds?.atEnd(scenario) ?? null
  if (rewound !== null) return rewound
  if (invariants === 'all' && checking) {
    const read = abstractOrUnreadable(context.target, lockstep.kernel)
    if ('unreadable' in read) return divergenceFailure({ kind: 'unreadable', step: scenario.length - 1, what: read.unreadable })
    const abstracted = { ...read.state, gsMessages: lockstep.model.gsMessages, gsFlows: lockstep.model.gsFlows, gsLastReceived: lockstep.model.gsLastReceived }
    const failure = violationFailure(scenario.length - 1, checkState(abstracted), undefined, chosen)
    if (failure !== null) return { ...failure, message: `on the abstracted kernel: ${failure.message}` }
  }
  return null
}

/** What `sila explore` asks of a kernel besides steps (impl/kernel.ts): snapshots, and `undo`, a restore made fast after one step. */
interface Rewindable extends KernelUnderTest {
  snapshot(): unknown
  restore(saved: unknown): void
  undo(saved: unknown): void
}

function isRewindable(kernel: KernelUnderTest): kernel is Rewindable {
  const candidate = kernel as Partial<Rewindable>
  return typeof candidate.snapshot === 'function' && typeof candidate.restore === 'function' && typeof candidate.undo === 'function'
}

/** Every this many steps, the step is undone and taken again. */
const UNDO_EVERY = 3
/** Every this many steps, a snapshot is kept until the end. */
const KEEP_EVERY = 6

/**
 * The kernel's snapshots, used as `sila explore` uses them, must be invisible: a
 * kernel taken back to a state must be that state and go on from it as the model
 * does. Every {@link UNDO_EVERY}th step is undone (the explorer's fast path after
 * one step), compared with the model's state before it, and taken again. Every
 * {@link KEEP_EVERY}th state (the first included) is saved until the end, when the
 * kernel is restored to each, latest first, and compared with the model's state
 * then (so each saved state must have survived every later step unchanged: a
 * snapshot sharing a table, a queue or a map with the live kernel fails here);
 * from the first, the whole sequence is run again in lockstep. Only for kernels
 * that snapshot (ours; a user's kernel may not).
 */
class Rewinds {
  /** The states kept: the step before which each was saved. */
  private readonly kept: Array<{ index: number; saved: unknown; model: KernelState }> = []
  /** The model's outcome and state after each step. */
  private readonly steps: Array<{ outcome: Outcome; model: KernelState }> = []

  private constructor(private readonly lockstep: Lockstep<KernelUnderTest>, private readonly kernel: Rewindable) {}

  static of(lockstep: Lockstep<KernelUnderTest>): Rewinds | null {
    return isRewindable(lockstep.kernel) ? new Rewinds(lockstep, lockstep.kernel) : null
  }

  /** Before step `index`: the snapshot to undo it to, if it is one to undo (taken last: `undo` is fast only from the latest). */
  before(index: number): unknown {
    if (index % KEEP_EVERY === 0) this.kept.push({ index, saved: this.kernel.snapshot(), model: this.lockstep.model })
    return index % UNDO_EVERY === UNDO_EVERY - 1 ? this.kernel.snapshot() : null
  }

  /** After step `index` agreed: undone to `saved` (if taken) and compared with the model before it, then taken again. */
  after(index: number, syscall: unknown, outcome: Outcome, before: KernelState, saved: unknown): SuiteFailure | null {
    const after = this.lockstep.model
    this.steps.push({ outcome, model: after })
    if (saved === null) return null
    this.kernel.undo(saved)
    this.lockstep.model = before
    const back = this.lockstep.compareStates(index)
    if (back !== null) return rewindFailure(index, `after step ${index} was undone (sila explore's undo)`, back)
    return this.again(index, syscall, 'taken again after it was undone')
  }

  /** The kernel steps `syscall` (step `index`) once more; it must agree with the model's step as the first time. */
  private again(index: number, syscall: unknown, when: string): SuiteFailure | null {
    const { outcome, model } = this.steps[index]!
    let kernelOutcome: Outcome
    try {
      kernelOutcome = this.kernel.step(syscall)
    } catch (error) {
      return rewindFailure(index, `step ${index}, ${when}`, { kind: 'exception', step: index, side: 'kernel', message: String(error) })
    }
    this.lockstep.model = model
    const difference = firstDifference('outcome', outcome, kernelOutcome)
    if (difference !== null) return { ...rewindFailure(index, `step ${index}, ${when}`, { kind: 'outcome', step: index, difference }), model: outcome, kernel: kernelOutcome }
    const state = this.lockstep.compareStates(index)
    return state === null ? null : rewindFailure(index, `step ${index}, ${when}`, state)
  }

  /** At the end: restored to each kept state, latest first; from the first, on again to the end. */
  atEnd(scenario: ReadonlyArray<unknown>): SuiteFailure | null {
    const last = this.steps.length - 1
    for (let k = this.kept.length - 1; k >= 0; k--) {
      const { index, saved, model } = this.kept[k]!
      this.kernel.restore(saved)
      this.lockstep.model = model
      const back = this.lockstep.compareStates(index - 1)
      if (back !== null) return rewindFailure(last, `restored, after step ${last}, to the snapshot taken before step ${index}`, back)
    }
    const first = this.kept[0]?.index ?? this.steps.length
    for (let index = first; index < this.steps.length; index++) {
      const failure = this.again(index, scenario[index], `taken again after a restore to the snapshot before step ${first}`)
      if (failure !== null) return failure
    }
    return null
  }
}

/** A divergence of the kernel taken back by its snapshots: REF-1, saying when. */
function rewindFailure(step: number, when: string, divergence: Divergence): SuiteFailure {
  const failure = divergenceFailure({ ...divergence, step })
  return { ...failure, message: `${failure.message} (the kernel ${when})` }
}

/**
 * After a divergent step: the first of `only` that the kernel's own abstracted state
 * breaks (the step from the state both agreed on before it), with the divergence
 * attached; null when it breaks none, or cannot be read.
 */
function kernelViolation(lockstep: Lockstep<KernelUnderTest>, before: KernelState, step: LockstepStep, only: ReadonlyArray<string>): SuiteFailure | null {
  const read = abstractOrUnreadable(lockstep.target, lockstep.kernel)
  if ('unreadable' in read) return null
  const after = { ...read.state, gsMessages: lockstep.model.gsMessages, gsFlows: lockstep.model.gsFlows, gsLastReceived: lockstep.model.gsLastReceived }
  let failure
  try {
    failure = violationFailure(step.index, checkStep({ before, syscall: step.syscall, outcome: step.kernel, after }), only)
  } catch {
    // A state the invariants cannot evaluate diverges from the model's: the REF-1 report says where.
    return null
  }
  if (failure === null) return null
  const difference = firstDifference('outcome', step.model, step.kernel) ?? diffStates(lockstep.model, read.state, lockstep.target.abstraction.ghosts)
  return { ...failure, message: `on the kernel (which diverges from the model): ${failure.message}`, model: step.model, kernel: step.kernel, ...(difference === null ? {} : { difference }) }
}

/** A divergence as a REF-1 failure (the model never throws: an exception is the kernel's, or the checker's). */
function divergenceFailure(divergence: Divergence, model?: SuiteFailure['model'], kernel?: SuiteFailure['kernel']): SuiteFailure {
  const described = describeDivergence(divergence)
  return {
    step: divergence.step, message: described.message, invariant: 'REF-1',
    ...(described.difference === undefined ? {} : { difference: described.difference }),
    ...(described.witness === undefined ? {} : { witness: described.witness }),
    ...(model === undefined ? {} : { model }), ...(kernel === undefined ? {} : { kernel }),
  }
}

function sequenceSuite(name: Suite['name'], description: string, covers: string[], weights: MixWeights, check: Suite['check'], config?: BootConfig): Suite {
  return {
    name, description, covers,
    scenario: (maxSteps) => syscallSequence(weights, Math.max(1, Math.ceil(maxSteps / 1.6))).map((fragments) => flatten(fragments, maxSteps)),
    check,
    executed: (scenario) => [...scenario],
    ...(config === undefined ? {} : { environment: () => ({ config, images: IMAGE_POOL }) }),
  }
}

/**
 * The isolation suite's boot: the property boot without CPU accounting (kernel.md
 * §3), which confinement does not depend on, so that the kernel is also stepped
 * with syscalls that charge no CPU (a period's I/O then goes back to zero with
 * no CPU used, for one).
 */
const NO_CPU_BOOT: BootConfig = { ...PROPERTY_BOOT, cpuAccounting: false }

export const refinementSuite = sequenceSuite('refinement', 'impl refines the model: same outcomes, abstract(impl) = model state after every step', ['REF-1'], BALANCED,
  (scenario, context) => checkLockstep(scenario, context, 'none', true))

export const invariantsSuite = sequenceSuite('invariants', 'every catalogue invariant after every step, on the model and the abstracted impl', ['CAP-1..4', 'OBJ-1', 'QUO-1..3', 'ISO-1..4', 'IPC-1..2', 'LIFE-1', 'IMG-1..2', 'CPU-1', 'IO-1', 'SCHED-1'], BALANCED,
  (scenario, context) => checkLockstep(scenario, context, 'all'))

const ISOLATION = ['ISO-1', 'ISO-2', 'ISO-3', 'ISO-4']
export const isolationSuite = sequenceSuite('isolation', 'authority confinement, namespace-local lookups, user namespaces, mappings; the kernel in lockstep with the model', [...ISOLATION, 'REF-1'],
  { single: 30, nest: 20, hop: 20, fill: 3, namespace: 25, quota: 2, clock: 2 },
  (scenario, context) => checkLockstep(scenario, context, ISOLATION, false, NO_CPU_BOOT), NO_CPU_BOOT)

const QUOTA = ['QUO-1', 'QUO-2', 'QUO-3', 'CPU-1', 'IO-1', 'SCHED-1', 'LIFE-1']
export const quotaSuite = sequenceSuite('quota', 'reservations, accounting, per-period budgets, stride fairness; the kernel in lockstep with the model', [...QUOTA, 'REF-1'],
  { single: 30, nest: 20, hop: 5, fill: 5, namespace: 3, quota: 25, clock: 15 },
  (scenario, context) => checkLockstep(scenario, context, QUOTA))
