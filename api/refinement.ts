/**
 * `sila-kernel/refinement`: what a kernel must provide to be checked against the
 * model ({@link RefinementTarget}: a factory and an abstraction function onto the
 * model's state), the lockstep checker that steps both with the same syscalls and
 * reports the first divergence, and the two targets of this project: the impl
 * ({@link implTarget}) and the model itself ({@link modelTarget}).
 *
 * ```ts
 * import { implTarget, runLockstep } from 'sila-kernel/refinement'
 * import { CAP_CORE } from 'sila-kernel/spec'
 *
 * const syscalls = [{ kind: 'cap_inspect', caller: 1, slot: 0 }, { kind: 'cap_delete', caller: 2, slot: 0 }]
 * const { divergence } = runLockstep(implTarget, CAP_CORE.boot, CAP_CORE.images, syscalls)
 * console.log(divergence ?? 'the impl answered as the model did')
 * ```
 * @module sila-kernel/refinement
 */
export type { KernelUnderTest, RefinementTarget, Abstraction, GhostField, StateDifference } from '../refinement/target.js'
export { Lockstep, runLockstep } from '../refinement/lockstep.js'
export type { LockstepStep, LockstepOptions, Divergence } from '../refinement/lockstep.js'
export { implTarget, implAbstraction, abstractState } from '../refinement/abstraction.js'
export { modelTarget, ModelKernel } from '../refinement/model-target.js'
export { diffStates, firstDifference } from '../refinement/diff.js'
