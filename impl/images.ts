/**
 * Real images (pipeline.md §3 step 3): the kernel is handed the exact bytes of each
 * image — manifest blob, layer blobs, signature blob — and decides itself, once per
 * manifest digest, whether it may ever run them. The verdict is computed at boot
 * (never at spawn, tooling.md B8) and keyed by the sha256 of the manifest bytes the
 * kernel holds, never by a name. Spawn reads the precomputed verdict, not the
 * `signatureOk` of any record someone else wrote.
 *
 * Decoding the formats and running ML-DSA is the verifier's job: kernel code linked
 * in at boot (`pipeline/kernel/verify.ts`), behind {@link ImageVerifier}, so that the
 * impl keeps depending on `spec/` alone.
 * @module
 */
import { createHash } from 'node:crypto'
import type { BootConfig } from '../spec/boot.js'
import type { ImageRecord } from '../spec/images.js'

/** An image as the kernel receives it: its bytes, exactly as stored. @public */
export interface ImageBytes {
  /** The manifest blob. Its sha256 is the image's digest. */
  readonly manifest: Uint8Array
  /** Layer blobs by the digest under which they were stored (not necessarily their own). */
  readonly layers: ReadonlyMap<string, Uint8Array>
  /** The signature blob; null when the image is unsigned. */
  readonly signature: Uint8Array | null
}

/** What the verifier found about one image. @public */
export interface ImageVerdict {
  /** The signature by a key of the keyring verifies over these bytes, and every byte is pinned by it. */
  readonly trusted: boolean
  /** The model's description of the bytes; null when the manifest cannot be decoded at all. */
  readonly record: ImageRecord | null
  /** Why it is not trusted (for people); '' when trusted. */
  readonly reason: string
}

/** Verifies an image's bytes against the boot keyring. @public */
export interface ImageVerifier {
  /** The verdict on `image`, whose manifest digest is `digest`, for a kernel that trusts `keyring`. */
  verify(image: ImageBytes, digest: string, keyring: BootConfig['keyring']): ImageVerdict
}

/** Real images and the verifier the kernel runs on them. @public */
export interface RealImages {
  readonly images: ReadonlyArray<ImageBytes>
  readonly verifier: ImageVerifier
}

/** The sha256 of an image's manifest bytes: its digest, the verification cache's key. */
export function manifestDigest(image: ImageBytes): string {
  return `sha256:${createHash('sha256').update(image.manifest).digest('hex')}`
}

/** Verdicts of real images, one verification per distinct manifest digest. */
export interface RealImageVerdicts {
  /** Digest → record whose `signatureOk` is the kernel's own verdict. */
  readonly records: ReadonlyMap<string, ImageRecord>
  /** Digest → the kernel's verdict, for every image, describable or not. */
  readonly trusted: ReadonlyMap<string, boolean>
  /** How many times the verifier ran (once per distinct digest). */
  readonly verifications: number
}

/** Runs the verifier once per distinct manifest digest of `real`. */
export function verifyRealImages(real: RealImages, keyring: BootConfig['keyring']): RealImageVerdicts {
  const records = new Map<string, ImageRecord>()
  const trusted = new Map<string, boolean>()
  let verifications = 0
  for (const image of real.images) {
    const digest = manifestDigest(image)
    if (trusted.has(digest)) continue
    const verdict = real.verifier.verify(image, digest, keyring)
    verifications++
    trusted.set(digest, verdict.trusted)
    if (verdict.record !== null && verdict.record.digest === digest) records.set(digest, { ...verdict.record, signatureOk: verdict.trusted })
  }
  return { records, trusted, verifications }
}
