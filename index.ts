/**
 * `sila-kernel`: everything the subpaths export, from one import — the
 * vocabulary (`sila-kernel/spec`), the model (`sila-kernel/model`), the impl
 * (`sila-kernel/impl`), the invariant catalogue (`sila-kernel/invariants`), the
 * refinement checker (`sila-kernel/refinement`), the checking engines
 * (`sila-kernel/checker`), the image pipeline (`sila-kernel/pipeline`) and your own
 * properties (`sila-kernel/properties`).
 *
 * ```ts
 * import { boot, step, Kernel, CAP_CORE } from 'sila-kernel'
 *
 * const syscall = { kind: 'cap_inspect', caller: 1, slot: 0 }
 * console.log(step(boot(CAP_CORE.boot, CAP_CORE.images), syscall).outcome, Kernel.boot(CAP_CORE.boot, CAP_CORE.images).step(syscall))
 * ```
 * @module sila-kernel
 */
export * from './api/spec.js'
export * from './api/model.js'
export * from './api/impl.js'
export * from './api/invariants.js'
export * from './api/refinement.js'
export * from './api/checker.js'
export * from './api/pipeline.js'
export * from './api/properties.js'
