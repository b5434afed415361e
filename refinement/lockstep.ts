/**
 * The lockstep refinement checker (REF-1): steps the model and a kernel under test
 * with the same syscalls, and after each compares their outcomes and the kernel's
 * abstracted state with the model's. The first divergence is reported with the
 * step, the syscall and a located difference. A kernel state the abstraction
 * cannot read is a divergence too (`unreadable`), never an exception of the checker.
 *
 * Presentation (tables, progress) is the CLI's business; this only checks.
 * @module
 */
import type { BootConfig } from '../spec/boot.js'
import type { ImageRecord } from '../spec/images.js'
import type { Outcome } from '../spec/results.js'
import { boot } from '../model/boot.js'
import { step as modelStep } from '../model/step.js'
import type { KernelState } from '../model/state.js'
import { type KernelUnderTest, type RefinementTarget, type StateDifference, unreadablePart } from './target.js'
import { diffStates, firstDifference } from './diff.js'

/** One step of a lockstep run. */
export interface LockstepStep {
  readonly index: number
  readonly syscall: unknown
  readonly model: Outcome
  readonly kernel: Outcome
}

/** Why a lockstep run stopped. */
export type Divergence =
  | { readonly kind: 'outcome'; readonly step: number; readonly difference: StateDifference }
  | { readonly kind: 'state'; readonly step: number; readonly difference: StateDifference }
  | { readonly kind: 'exception'; readonly step: number; readonly side: 'model' | 'kernel'; readonly message: string }
  /** The abstraction could not read the kernel's state after the step: `what` names what. */
  | { readonly kind: 'unreadable'; readonly step: number; readonly what: string }

/** A divergence in words, with what locates it: the REF-1 failure the suites and checkers report. */
export function describeDivergence(divergence: Divergence): { message: string; difference?: StateDifference; witness?: { unreadable: string } } {
  const when = divergence.step < 0 ? ' at boot' : ''
  switch (divergence.kind) {
    case 'exception':
      return { message: `${divergence.side} threw: ${divergence.message}` }
    case 'outcome':
      return { message: `outcomes differ at ${divergence.difference.path}`, difference: divergence.difference }
    case 'state':
      return { message: `abstract states differ${when} at ${divergence.difference.path}`, difference: divergence.difference }
    case 'unreadable':
      return { message: `the abstraction cannot read the kernel's state${when}: ${divergence.what}`, witness: { unreadable: divergence.what } }
  }
}

/** The kernel's abstracted state, or what the abstraction could not read. */
export function abstractOrUnreadable<K extends KernelUnderTest>(target: RefinementTarget<K>, kernel: K): { state: KernelState } | { unreadable: string } {
  try {
    return { state: target.abstraction.abstract(kernel) }
  } catch (error) {
    return { unreadable: unreadablePart(error) }
  }
}

/** How a lockstep run compares states. */
export interface LockstepOptions {
  /** Compare states with the full abstraction every step even if the target can compare incrementally. */
  readonly fullCompare?: boolean
}

/** A model and a kernel stepped together. */
export class Lockstep<K extends KernelUnderTest> {
  model: KernelState
  readonly kernel: K
  private index = 0

  constructor(readonly target: RefinementTarget<K>, config: BootConfig, images: ReadonlyArray<ImageRecord>, private readonly options: LockstepOptions = {}) {
    this.model = boot(config, images)
    this.kernel = target.create(config, images)
  }

  /** Compares the states now (used after boot); an abstraction that throws is an `unreadable` divergence. */
  compareStates(step: number): Divergence | null {
    let difference: StateDifference | null
    try {
      difference = this.options.fullCompare || this.target.abstraction.compare === undefined
        ? diffStates(this.model, this.target.abstraction.abstract(this.kernel), this.target.abstraction.ghosts)
        : this.target.abstraction.compare(this.kernel, this.model)
    } catch (error) {
      return { kind: 'unreadable', step, what: unreadablePart(error) }
    }
    return difference === null ? null : { kind: 'state', step, difference }
  }

  /** Steps both; returns the step and the divergence it showed, if any. */
  step(syscall: unknown): { step: LockstepStep | null; divergence: Divergence | null } {
    const index = this.index++
    let modelOutcome: Outcome
    let kernelOutcome: Outcome
    try {
      const result = modelStep(this.model, syscall)
      this.model = result.state
      modelOutcome = result.outcome
    } catch (error) {
      return { step: null, divergence: { kind: 'exception', step: index, side: 'model', message: String(error) } }
    }
    try {
      kernelOutcome = this.kernel.step(syscall)
    } catch (error) {
      return { step: null, divergence: { kind: 'exception', step: index, side: 'kernel', message: String(error) } }
    }
    const step = { index, syscall, model: modelOutcome, kernel: kernelOutcome }
    const outcomeDifference = firstDifference('outcome', modelOutcome, kernelOutcome)
    if (outcomeDifference !== null) return { step, divergence: { kind: 'outcome', step: index, difference: outcomeDifference } }
    return { step, divergence: this.compareStates(index) }
  }
}

/** Runs a whole sequence; stops at the first divergence. */
export function runLockstep<K extends KernelUnderTest>(
  target: RefinementTarget<K>, config: BootConfig, images: ReadonlyArray<ImageRecord>, syscalls: ReadonlyArray<unknown>, options: LockstepOptions = {},
): { steps: LockstepStep[]; divergence: Divergence | null; model: KernelState } {
  const lockstep = new Lockstep(target, config, images, { ...options, fullCompare: true })
  const steps: LockstepStep[] = []
  const atBoot = lockstep.compareStates(-1)
  if (atBoot !== null) return { steps, divergence: atBoot, model: lockstep.model }
  for (const syscall of syscalls) {
    const { step, divergence } = lockstep.step(syscall)
    if (step !== null) steps.push(step)
    if (divergence !== null) return { steps, divergence, model: lockstep.model }
  }
  return { steps, divergence: null, model: lockstep.model }
}
