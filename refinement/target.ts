/**
 * What the refinement checker needs of a kernel: any implementation of this
 * interface, with an abstraction function onto the model's state, can be checked
 * against the model in lockstep (`refinement/lockstep.ts`). Our own impl is one;
 * a user's kernel is another (README, "Checking your own kernel").
 * @module
 */
import type { BootConfig } from '../spec/boot.js'
import type { ImageRecord } from '../spec/images.js'
import type { Outcome } from '../spec/results.js'
import type { KernelState } from '../model/state.js'

/** A kernel under test: mutable, stepped one syscall at a time. */
export interface KernelUnderTest {
  /** Executes one syscall (possibly malformed); never throws. */
  step(syscall: unknown): Outcome
}

/** A located difference between an abstracted kernel state and the model's. */
export interface StateDifference {
  /** Where: `ksObjects[12].usage.memoryBytes`, `ksCaps[40].parent`, ... */
  readonly path: string
  readonly model: unknown
  readonly kernel: unknown
}

/** The ghost fields a kernel may keep itself: the message ledger and the last sequence number received per endpoint (IPC-2). */
export type GhostField = 'gsMessages' | 'gsLastReceived'

/**
 * The abstraction function. `abstract` gives the model state (ghost `gs*` fields may
 * be empty: they are not implementation state, and are compared only when `ghosts`
 * names them). `compare`, when present, compares incrementally against the model
 * state after the last step and must find the same differences a full comparison
 * would.
 */
export interface Abstraction<K extends KernelUnderTest> {
  /** The model state `kernel`'s state stands for, under the model's identities (creation order). */
  abstract(kernel: K): KernelState
  /** The first difference between `kernel`'s abstract state and `model`, or null; optional, for speed. */
  compare?(kernel: K, model: KernelState): StateDifference | null
  /**
   * The ghost fields the kernel keeps itself and `abstract` reports (our impl keeps
   * both, which `sila explore`'s IPC invariants read from it): they are compared
   * with the model's after every step like the state, so a miscount is a REF-1
   * divergence in `sila check` rather than a false alarm of the explorer later.
   */
  readonly ghosts?: ReadonlyArray<GhostField>
}

/**
 * Thrown by an abstraction that cannot read the kernel's state (a handle to no live
 * object, a cap in no place): the kernel broke its own representation, a refinement
 * failure (REF-1) that the checkers report naming `what`, never a crash of the tool.
 */
export class UnreadableState extends Error {
  constructor(readonly what: string) {
    super(`the abstraction cannot read the kernel's state: ${what}`)
    this.name = 'UnreadableState'
  }
}

/**
 * What an abstraction's exception says could not be read: an {@link UnreadableState}'s
 * `what` (recognized by name, so that a mutant's copy of the abstraction counts too),
 * or the message of any other exception (a user's abstraction may throw anything).
 */
export function unreadablePart(error: unknown): string {
  if (error instanceof Error && error.name === 'UnreadableState' && typeof (error as Partial<UnreadableState>).what === 'string') return (error as UnreadableState).what
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

/** A kernel factory plus its abstraction: everything `lockstep` needs. */
export interface RefinementTarget<K extends KernelUnderTest = KernelUnderTest> {
  /** Shown in reports. */
  readonly name: string
  /** A kernel booted from `config`, with `images` as its image pool (the model's `boot` takes the same). */
  create(config: BootConfig, images: ReadonlyArray<ImageRecord>): K
  /** How to read the kernel's state as a model state. */
  readonly abstraction: Abstraction<K>
}
