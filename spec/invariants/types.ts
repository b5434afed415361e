/**
 * The shape of an invariant (kernel.md §9): a named pure predicate that returns a
 * witness when it fails, never a bare boolean. State invariants read one state;
 * step invariants read a transition (CAP-3 after a revoke, QUO-3, ISO-2, ISO-3,
 * LIFE-1, IMG-2, SCHED-1).
 * @module
 */
import type * as O from 'fp-ts/lib/Option.js'
import type { KernelState } from '../../model/state.js'
import type { Outcome } from '../results.js'

export const INVARIANT_IDS = [
  'CAP-1', 'CAP-2', 'CAP-3', 'CAP-4', 'OBJ-1', 'QUO-1', 'QUO-2', 'QUO-3', 'ISO-1', 'ISO-2', 'ISO-3', 'ISO-4',
  'IPC-1', 'IPC-2', 'LIFE-1', 'IMG-1', 'IMG-2', 'CPU-1', 'IO-1', 'SCHED-1',
] as const
export type InvariantId = (typeof INVARIANT_IDS)[number]

/** Why an invariant failed: which objects, caps, containers. Plain JSON. */
export interface Violation {
  readonly invariant: InvariantId
  readonly message: string
  readonly witness: Readonly<Record<string, unknown>>
}

/** One transition: the state before, the syscall (possibly malformed), its outcome, the state after. */
export interface StepContext {
  readonly before: KernelState
  readonly syscall: unknown
  readonly outcome: Outcome
  readonly after: KernelState
}

export interface StateInvariant {
  readonly id: InvariantId
  readonly scope: 'state'
  readonly statement: string
  readonly check: (state: KernelState) => O.Option<Violation>
}

export interface StepInvariant {
  readonly id: InvariantId
  readonly scope: 'step'
  readonly statement: string
  readonly check: (step: StepContext) => O.Option<Violation>
}

export type Invariant = StateInvariant | StepInvariant
