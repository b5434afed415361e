/**
 * Real images (pipeline.md §3 step 3): the kernel is handed the exact bytes of each
 * image — manifest blob, layer blobs, every signature blob — and decides itself,
 * once per manifest digest, whether it may ever run them. The verdict is computed at
 * boot (never at spawn, tooling.md B8) and keyed by the sha256 of the manifest bytes
 * the kernel holds, never by a name or a version. That key is exact because the pool
 * holds one entry per digest (kernel.md §4): a boot whose pool names a digest twice
 * (two byte sets, or a real image and a record, under one manifest) is refused, so no
 * verdict about some bytes is ever reused for others. Spawn reads the precomputed
 * verdict, not the `verifies` of any record someone else wrote.
 *
 * Decoding the formats and running ML-DSA is the verifier's job: kernel code linked
 * in at boot (`pipeline/kernel/verify.ts`), behind {@link ImageVerifier}, so that the
 * impl keeps depending on `spec/` alone.
 * @module
 */
import { createHash } from 'node:crypto'
import type { BootConfig } from '../spec/boot.js'
import type { ImageRecord } from '../spec/images.js'
import { BootError } from './boot.js'

/** An image as the kernel receives it: its bytes, exactly as stored. @public */
export interface ImageBytes {
  /** The manifest blob. Its sha256 is the image's digest. */
  readonly manifest: Uint8Array
  /** Layer blobs by the digest under which they were stored (not necessarily their own). */
  readonly layers: ReadonlyMap<string, Uint8Array>
  /** Every signature blob of the image (none when it is unsigned), in the order the image lists them. */
  readonly signatures: ReadonlyArray<Uint8Array>
}

/** What the verifier found about one image. @public */
export interface ImageVerdict {
  /** A signature by a key of the keyring verifies over these bytes, and every byte is pinned by it. */
  readonly trusted: boolean
  /** The model's description of the bytes (every signature, each with its own verdict); null when the manifest cannot be decoded at all. */
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

/** Verdicts of real images, one verification per manifest digest. */
export interface RealImageVerdicts {
  /** Digest → the record of the bytes; its signatures' `verifies` are the kernel's own verdicts. */
  readonly records: ReadonlyMap<string, ImageRecord>
  /** Digest → the kernel's verdict, for every image, describable or not. */
  readonly trusted: ReadonlyMap<string, boolean>
  /** How many times the verifier ran (once per digest). */
  readonly verifications: number
}

/**
 * The pool the kernel boots with names each digest once (kernel.md §4): the
 * records, then the real images, as one list. A digest named twice is refused with
 * a {@link BootError} at `$.images[n]`, its place in that list.
 */
export function ensureDistinctDigests(records: ReadonlyArray<ImageRecord>, real: RealImages | undefined): void {
  const first = new Map<string, number>()
  const digests = [...records.map((record) => record.digest), ...(real?.images ?? []).map(manifestDigest)]
  digests.forEach((digest, index) => {
    const earlier = first.get(digest)
    if (earlier !== undefined) throw new BootError(`$.images[${index}]`, duplicateImageMessage(digest, earlier))
    first.set(digest, index)
  })
}

/** The refusal of a pool that names `digest` again after `$.images[first]`: the model's words (model/boot.ts). */
function duplicateImageMessage(digest: string, first: number): string {
  return `the image pool names ${digest} a second time (first at $.images[${first}]); it holds one entry per digest, with all the image's signatures`
}

/** Runs the verifier once on each real image; their digests are distinct ({@link ensureDistinctDigests}). */
export function verifyRealImages(real: RealImages, keyring: BootConfig['keyring']): RealImageVerdicts {
  const records = new Map<string, ImageRecord>()
  const trusted = new Map<string, boolean>()
  let verifications = 0
  for (const image of real.images) {
    const digest = manifestDigest(image)
    const verdict = real.verifier.verify(image, digest, keyring)
    verifications++
    trusted.set(digest, verdict.trusted)
    if (verdict.record !== null && verdict.record.digest === digest) records.set(digest, verdict.record)
  }
  return { records, trusted, verifications }
}
