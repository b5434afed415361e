/**
 * `sila-kernel/invariants`: the invariant catalogue (CAP-1 … SCHED-1), each a named
 * predicate over a model state (or over one step) returning its violations with a
 * witness.
 *
 * ```ts
 * import { checkState } from 'sila-kernel/invariants'
 * import { boot } from 'sila-kernel/model'
 * import { CAP_CORE } from 'sila-kernel/spec'
 *
 * for (const violation of checkState(boot(CAP_CORE.boot, CAP_CORE.images))) console.log(violation.invariant, violation.message)
 * ```
 * @module sila-kernel/invariants
 */
export { INVARIANTS, INVARIANT_IDS, STATE_INVARIANTS, STEP_INVARIANTS, checkState, checkStep, invariantById } from '../spec/invariants/index.js'
export type { Invariant, InvariantId, StateInvariant, StepContext, StepInvariant, Violation } from '../spec/invariants/index.js'
