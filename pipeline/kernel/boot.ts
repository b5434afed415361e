/**
 * Booting the impl with real images (pipeline.md §3 step 3): the boot loader hands
 * the kernel the exact bytes of each image and links in the kernel's verifier; the
 * kernel verifies each distinct manifest digest once, against its own keyring, and
 * from then on answers spawns from those verdicts.
 * @module
 */
import type { BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import { Kernel, type KernelCapacity } from '../../impl/kernel.js'
import type { ImageBytes, RealImages } from '../../impl/images.js'
import { KernelImageVerifier, type KernelVerifierOptions } from './verify.js'

/** Options of {@link bootWithImages}. @public */
export interface BootImagesOptions extends KernelVerifierOptions {
  /** Symbolic images besides the real ones (boot components trusted by the boot loader). @defaultValue none */
  readonly records?: ReadonlyArray<ImageRecord>
  readonly capacity?: KernelCapacity
  /** The verifier to link in (to read its counters). @defaultValue a fresh one */
  readonly verifier?: KernelImageVerifier
}

/** The real images `images` with the kernel's verifier. @public */
export function realImages(images: ReadonlyArray<ImageBytes>, verifier: KernelImageVerifier = new KernelImageVerifier()): RealImages {
  return { images, verifier }
}

/** Boots the impl with the real images `images`, which it verifies itself. @public */
export function bootWithImages(config: BootConfig, images: ReadonlyArray<ImageBytes>, options: BootImagesOptions = {}): Kernel {
  const verifier = options.verifier ?? new KernelImageVerifier(options.layerBytesMax === undefined ? {} : { layerBytesMax: options.layerBytesMax })
  return Kernel.boot(config, options.records ?? [], options.capacity, realImages(images, verifier))
}
