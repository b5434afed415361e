/**
 * Signing an image in place: the image is read and checked whole first (nothing
 * inconsistent gets signed), the signature blob is written, and `index.json` is
 * replaced atomically to reference it (beside the other keys' signatures, when
 * adding one). Replacing `index.json` is the one commit
 * point: before it the image is as it was, after it the image is signed. When
 * `index.json` cannot be replaced, the blob just written is removed again (unless
 * it was there before), so a refused sign leaves the image's files as they were;
 * only a run killed between the two writes leaves an unreferenced, harmless blob.
 * @module
 */
import { writeFileAtomic } from '../../cli/output.js'
import { asWriteError, exists, jsonText, removeFile, sha256Digest } from '../files.js'
import { ImageError } from '../errors.js'
import { ANNOTATIONS, blobPath, layoutFile, makeIndex, MEDIA_TYPES, SIGNATURES_MAX, type Descriptor } from './layout.js'
import { readImage, type ReadOptions } from './reader.js'
import { signManifest } from './signature.js'
import type { PrivateKey } from './keys.js'

function write(path: string, data: string | Uint8Array): void {
  try {
    writeFileAtomic(path, data)
  } catch (error) {
    throw asWriteError(error, path)
  }
}

/** A signed image. @public */
export interface SignedImage {
  readonly manifestDigest: string
  readonly signatureDigest: string
  readonly keyId: string
  /** The key ids of the signatures this one replaced (comma-separated), if any. */
  readonly replaced: string | null
  /** The key ids of the signatures kept beside it (with `add`). */
  readonly kept: ReadonlyArray<string>
}

/** Options of {@link signImage}. @public */
export interface SignOptions extends ReadOptions {
  /** Keep the image's signatures by other keys and add this one (one by the same key is replaced). @defaultValue false: replace every earlier signature */
  readonly add?: boolean
}

/**
 * Signs the image in `dir` with `key`: replacing every earlier signature, or with
 * `add` beside the signatures by other keys (an image may carry several, each
 * by its own key: kernel.md §4 trusts it when any one verifies). Refuses what
 * {@link readImage} refuses, and an `add` past {@link SIGNATURES_MAX}.
 * @public
 */
export function signImage(dir: string, key: PrivateKey, options: SignOptions = {}): SignedImage {
  const image = readImage(dir, options)
  const kept = options.add === true ? image.signatures.filter((previous) => previous.signature.header.keyId !== key.keyId) : []
  if (kept.length + 1 > SIGNATURES_MAX) {
    throw new ImageError(layoutFile(dir, 'index.json'), 'too-large', `already carries ${kept.length} signatures by other keys: at most ${SIGNATURES_MAX}`, 'endless data')
  }
  const blob = signManifest(image.manifestDigest, key)
  const digest = sha256Digest(blob)
  const path = blobPath(dir, digest)
  const blobWasThere = exists(path)
  write(path, blob)
  const signature: Descriptor = {
    mediaType: MEDIA_TYPES.signature, digest, size: blob.length,
    annotations: { [ANNOTATIONS.signatureSubject]: image.manifestDigest },
  }
  const keptDescriptors = image.layout.signatures.filter((descriptor) => kept.some((previous) => previous.digest === descriptor.digest))
  try {
    write(layoutFile(dir, 'index.json'), jsonText(makeIndex(image.layout.manifest, [...keptDescriptors, signature])))
  } catch (error) {
    if (!blobWasThere) {
      try { removeFile(path) } catch { /* left unreferenced, as after a killed run; the write's error is the one to report */ }
    }
    throw error
  }
  const replaced = image.signatures.filter((previous) => !kept.includes(previous))
  for (const previous of replaced) if (previous.digest !== digest) removeFile(blobPath(dir, previous.digest))
  return {
    manifestDigest: image.manifestDigest, signatureDigest: digest, keyId: key.keyId,
    replaced: replaced.length === 0 ? null : replaced.map((previous) => previous.signature.header.keyId).join(', '),
    kept: kept.map((previous) => previous.signature.header.keyId),
  }
}
