/**
 * `sila-kernel/impl`: the optimized kernel — typed-array tables, no allocation on
 * its hot paths, `snapshot()`/`restore()`. It answers every syscall as the model does
 * (`sila-kernel/refinement` checks that it does).
 *
 * ```ts
 * import { Kernel } from 'sila-kernel/impl'
 * import { CAP_CORE } from 'sila-kernel/spec'
 *
 * const kernel = Kernel.boot(CAP_CORE.boot, CAP_CORE.images)
 * const saved = kernel.snapshot()
 * console.log(kernel.step({ kind: 'cap_delete', caller: 1, slot: 0 }))
 * kernel.restore(saved) // the cap is back
 * ```
 * @module sila-kernel/impl
 */
export { Kernel } from '../impl/kernel.js'
export type { KernelCapacity, KernelSnapshot } from '../impl/kernel.js'
export type { RealImages, ImageBytes, ImageVerifier, ImageVerdict } from '../impl/images.js'
