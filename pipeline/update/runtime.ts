/**
 * A tiny process runtime. A process is a kernel process (a creation index) plus a
 * TypeScript handler; when the scheduler runs it, the handler issues that
 * process's next syscall (one per activation) and reads the answer. Handlers know
 * only what a process knows: their own slots and the answers to their own
 * syscalls. The runtime steps a kernel — the model alone, or the kernel under test
 * in lockstep with the model (REF-1) — and records what was executed.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import type { Outcome } from '../../spec/results.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import { type KernelState, getCap, getObject, processByRef } from '../../model/state.js'
import { Lockstep, type Divergence } from '../../refinement/lockstep.js'
import type { KernelUnderTest, RefinementTarget } from '../../refinement/target.js'

/** The syscall a handler issues (without `caller`: the runtime adds it) and what it does with the answer. */
export interface Action {
  readonly syscall: { readonly kind: string } & Record<string, unknown>
  readonly done?: (outcome: Outcome) => void
}

/** A process's handler. */
export interface Actor {
  /** For timelines: `init`, `MM`, `V1`, `client 0`, ... */
  readonly name: string
  /** Creation index once the process exists. */
  readonly ref: number | null
  /** The next syscall, or null when there is nothing to do (the activation is skipped). `hint` picks among choices. */
  act(hint: number): Action | null
  /** Whether it has work or a message waits where it receives (the drain phase runs only these). */
  runnable(view: KernelView): boolean
}

/** What the scheduler may read of the kernel: which processes run, and queue lengths (a blocked receiver wakes up). */
export class KernelView {
  constructor(readonly state: KernelState) {}

  isRunning(ref: number | null): boolean {
    if (ref === null) return false
    return processByRef(this.state, ref)?.status === 'running'
  }

  /** Messages waiting on the endpoint in `slot` of process `ref` (0 when it is not an endpoint). */
  queueLength(ref: number | null, slot: number | null): number {
    const endpoint = this.endpointAt(ref, slot)
    return endpoint === null ? 0 : endpoint.queue.length
  }

  /** Whether the endpoint in `slot` of process `ref` has room for a message (a blocked sender wakes up). */
  hasRoom(ref: number | null, slot: number | null): boolean {
    const endpoint = this.endpointAt(ref, slot)
    return endpoint !== null && endpoint.queue.length < endpoint.depth
  }

  private endpointAt(ref: number | null, slot: number | null): { queue: ReadonlyArray<unknown>; depth: number } | null {
    if (ref === null || slot === null) return null
    const capId = processByRef(this.state, ref)?.slots[slot]
    if (capId === null || capId === undefined) return null
    const object = getObject(this.state, getCap(this.state, capId).object)
    return object?.kind === 'endpoint' ? object : null
  }

  /** The creation index of the newest process. */
  newestRef(): number {
    return this.state.ksProcessRefs.length - 1
  }
}

/** A kernel stepped by the runtime. */
export interface Stepper {
  /** Steps the kernel and returns the model's outcome (the kernel's is the same unless {@link divergence} is set). */
  step(syscall: unknown): Outcome
  /** The model's state (equal to the abstracted kernel's while there is no divergence). */
  readonly state: KernelState
  /** Set when the kernel under test diverged from the model. */
  readonly divergence: Divergence | null
}

/** The model alone. */
export class ModelStepper implements Stepper {
  state: KernelState
  readonly divergence = null
  constructor(config: BootConfig, images: ReadonlyArray<ImageRecord>) {
    this.state = boot(config, images)
  }
  step(syscall: unknown): Outcome {
    const result = modelStep(this.state, syscall)
    this.state = result.state
    return result.outcome
  }
}

/** The kernel under test and the model in lockstep: outcomes and abstract states compared after every step. */
export class LockstepStepper implements Stepper {
  private readonly lockstep: Lockstep<never>
  divergence: Divergence | null
  /** The kernel's outcome of the last step (for reports when it differs). */
  kernelOutcome: Outcome | null = null
  constructor(target: RefinementTarget, config: BootConfig, images: ReadonlyArray<ImageRecord>) {
    this.lockstep = new Lockstep(target as unknown as RefinementTarget<never>, config, images)
    this.divergence = this.lockstep.compareStates(-1)
  }
  get state(): KernelState {
    return this.lockstep.model
  }
  step(syscall: unknown): Outcome {
    const before = this.lockstep.model
    const { step, divergence } = this.lockstep.step(syscall)
    this.kernelOutcome = step?.kernel ?? null
    if (divergence !== null && this.divergence === null) this.divergence = divergence
    return step?.model ?? modelStep(before, syscall).outcome
  }
}

/** The kernel under test alone: its own outcomes, its abstracted state (for a check of UPD-1 on the kernel without the model). */
export class KernelStepper implements Stepper {
  private readonly kernel: KernelUnderTest
  state: KernelState
  readonly divergence = null
  constructor(private readonly target: RefinementTarget, config: BootConfig, images: ReadonlyArray<ImageRecord>) {
    this.kernel = target.create(config, images)
    this.state = target.abstraction.abstract(this.kernel)
  }
  step(syscall: unknown): Outcome {
    const outcome = this.kernel.step(syscall)
    this.state = this.target.abstraction.abstract(this.kernel)
    return outcome
  }
}

/** One executed syscall, for timelines. */
export interface TimelineEntry {
  /** Index in the executed syscalls. */
  readonly step: number
  readonly actor: string
  readonly syscall: unknown
  readonly outcome: Outcome
  readonly notes: string[]
}

/** What the runtime tells its observer after each step. */
export interface StepInfo {
  readonly step: number
  readonly actor: Actor | null
  readonly syscall: unknown
  readonly outcome: Outcome
  readonly before: KernelState
  readonly after: KernelState
}

export interface RuntimeOptions {
  /** Keep a timeline (the demo does; property runs do not). */
  readonly timeline: boolean
  /** Called after every step, after the handler has read the outcome. */
  readonly afterStep?: (info: StepInfo) => void
}

/** Schedules handlers and steps the kernel for them. */
export class Runtime {
  readonly executed: unknown[] = []
  readonly timeline: TimelineEntry[] = []
  private pendingNotes: string[] = []

  constructor(readonly stepper: Stepper, private readonly options: RuntimeOptions) {}

  get view(): KernelView {
    return new KernelView(this.stepper.state)
  }

  get steps(): number {
    return this.executed.length
  }

  /** A note for the timeline, attached to the step being executed (or the next one). */
  note(text: string): void {
    this.pendingNotes.push(text)
  }

  /** Runs `actor` once if its process is running and it has something to do; true when a syscall was issued. */
  activate(actor: Actor, hint: number): boolean {
    if (!this.view.isRunning(actor.ref)) return false
    const action = actor.act(hint)
    if (action === null) return false
    const { kind, ...args } = action.syscall
    this.issue(actor, { kind, caller: actor.ref, ...args }, action.done)
    return true
  }

  /** A clock syscall (`tick`). */
  clock(syscall: { readonly kind: 'tick' }): void {
    this.issue(null, syscall, undefined)
  }

  private issue(actor: Actor | null, syscall: unknown, done: ((outcome: Outcome) => void) | undefined): void {
    const before = this.stepper.state
    const step = this.executed.length
    const outcome = this.stepper.step(syscall)
    this.executed.push(syscall)
    done?.(outcome)
    this.options.afterStep?.({ step, actor, syscall, outcome, before, after: this.stepper.state })
    if (this.options.timeline) this.timeline.push({ step, actor: actor?.name ?? 'clock', syscall, outcome, notes: this.pendingNotes })
    this.pendingNotes = []
  }
}

/** A process's own record of its CSpace: which slots it filled. */
export class Slots {
  private readonly used: boolean[]
  constructor(count: number, taken: ReadonlyArray<number> = []) {
    this.used = new Array<boolean>(count).fill(false)
    for (const slot of taken) this.used[slot] = true
  }
  /** The lowest empty slot (not yet claimed); when there is none, the first slot past the CSpace (the kernel refuses it). */
  peek(): number {
    const slot = this.used.indexOf(false)
    return slot < 0 ? this.used.length : slot
  }
  get full(): boolean {
    return !this.used.includes(false)
  }
  claim(slot: number): number {
    this.used[slot] = true
    return slot
  }
  free(slot: number | null): void {
    if (slot !== null) this.used[slot] = false
  }
}

/** True when the outcome is a success. */
export const ok = (outcome: Outcome): boolean => E.isRight(outcome)

/** The error code of a failed outcome, or null. */
export function errorCode(outcome: Outcome): string | null {
  return E.isLeft(outcome) ? outcome.left.code : null
}

/** The received message of an `ep_recv` outcome: payload and what happened to a carried cap. */
export function received(outcome: Outcome): { payload: unknown; cap: 'none' | 'received' | 'dropped' } | null {
  return E.isRight(outcome) && outcome.right.kind === 'message' ? { payload: outcome.right.payload, cap: outcome.right.cap } : null
}
