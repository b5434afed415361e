/**
 * `sila-kernel/model`: the executable specification. {@link boot} gives the state a
 * boot configuration describes, {@link step} the next state and the outcome of one
 * syscall; neither mutates its input. The state's read helpers come with it.
 *
 * ```ts
 * import { boot, step } from 'sila-kernel/model'
 * import { CAP_CORE } from 'sila-kernel/spec'
 *
 * const state = boot(CAP_CORE.boot, CAP_CORE.images)
 * const { state: next, outcome } = step(state, { kind: 'cap_delete', caller: 1, slot: 0 })
 * console.log(outcome, state.ksCaps.size, next.ksCaps.size)
 * ```
 * @module sila-kernel/model
 */
export { boot } from '../model/boot.js'
export { step } from '../model/step.js'
export type { StepResult } from '../model/step.js'
export type {
  KernelState, KernelObject, ObjectOfKind, ContainerObject, ProcessObject, RegionObject, EndpointObject, DeviceObject,
  Mapping, Message, Cap, CapLocation, Namespace, MessageLedger,
} from '../model/state.js'
export {
  getObject, getObjectOfKind, getContainer, getProcess, getCap, getNamespace, processByRef, capChildren, capDescendants,
  containerSubtree, isContainerAncestor, namespaceChain, uidIn, hostUid, flowKey,
} from '../model/state.js'
export { BootError } from '../model/boot-system.js'
