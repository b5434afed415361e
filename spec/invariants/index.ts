/**
 * The invariant registry (kernel.md §9): every invariant of the catalogue that
 * reads model states and transitions, in catalogue order, and the two entry
 * points that run them. REF-1, NI-1 and UPD-1 relate several runs or two kernels
 * and live with their checkers, not here.
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { KernelState } from '../../model/state.js'
import type { Invariant, InvariantId, StateInvariant, StepContext, StepInvariant, Violation } from './types.js'
import { CAP_1, CAP_2, CAP_3, CAP_4, OBJ_1 } from './caps.js'
import { CPU_1, IO_1, QUO_1, QUO_2, QUO_3 } from './quota.js'
import { ISO_1, ISO_2, ISO_3, ISO_4 } from './isolation.js'
import { IPC_1, IPC_2 } from './ipc.js'
import { IMG_1, IMG_2, LIFE_1 } from './lifecycle.js'
import { SCHED_1 } from './sched.js'

/** Every invariant, in catalogue order (the order of `INVARIANT_IDS`). @public */
export const INVARIANTS: ReadonlyArray<Invariant> = [
  CAP_1, CAP_2, CAP_3, CAP_4, OBJ_1, QUO_1, QUO_2, QUO_3, ISO_1, ISO_2, ISO_3, ISO_4,
  IPC_1, IPC_2, LIFE_1, IMG_1, IMG_2, CPU_1, IO_1, SCHED_1,
]

/** The invariants that read one state, in catalogue order. @public */
export const STATE_INVARIANTS: ReadonlyArray<StateInvariant> = INVARIANTS.filter((inv): inv is StateInvariant => inv.scope === 'state')

/** The invariants that read a transition, in catalogue order. @public */
export const STEP_INVARIANTS: ReadonlyArray<StepInvariant> = INVARIANTS.filter((inv): inv is StepInvariant => inv.scope === 'step')

const BY_ID = new Map<InvariantId, Invariant>(INVARIANTS.map((inv) => [inv.id, inv]))

/** The registered invariant with this id. @public */
export function invariantById(id: InvariantId): Invariant {
  const found = BY_ID.get(id)
  if (found === undefined) throw new Error(`KernelBug: invariant ${id} is not registered`)
  return found
}

/** A found violation as a one-element list, none as an empty one. */
const listOf = (found: O.Option<Violation>): Violation[] => (O.isSome(found) ? [found.value] : [])

/** Every state invariant's violation in `state`, in catalogue order (empty when all hold). @public */
export function checkState(state: KernelState): Violation[] {
  return STATE_INVARIANTS.flatMap((inv) => listOf(inv.check(state)))
}

/** The state invariants on `step.after`, then every step invariant on the transition. @public */
export function checkStep(step: StepContext): Violation[] {
  return [...checkState(step.after), ...STEP_INVARIANTS.flatMap((inv) => listOf(inv.check(step)))]
}

/** The invariant types, re-exported so users import one module. */
export type { Invariant, InvariantId, StateInvariant, StepContext, StepInvariant, Violation } from './types.js'
/** The catalogue's ids, in order. */
export { INVARIANT_IDS } from './types.js'
