/**
 * `sila-kernel/impl`: the optimized kernel — typed-array tables, no allocation on
 * its hot paths, `snapshot()`/`restore()`. It answers every syscall as the model does
 * (`sila-kernel/refinement` checks that it does).
 *
 * ```ts
 * import { Kernel } from 'sila-kernel/impl'
 * const kernel = Kernel.boot(config, images)
 * const outcome = kernel.step({ kind: 'cap_inspect', caller: 0, slot: 0 })
 * ```
 * @module sila-kernel/impl
 */
export { Kernel } from '../impl/kernel.js'
export type { KernelCapacity, KernelSnapshot } from '../impl/kernel.js'
export type { RealImages, ImageBytes, ImageVerifier, ImageVerdict } from '../impl/images.js'
