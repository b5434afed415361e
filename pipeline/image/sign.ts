/**
 * Signing an image in place: the image is read and checked whole first (nothing
 * inconsistent gets signed), the signature blob is written, and `index.json` is
 * replaced atomically to reference it. Replacing `index.json` is the one commit
 * point: before it the image is as it was, after it the image is signed; a
 * signature blob written by an interrupted run is unreferenced and harmless.
 * @module
 */
import { writeFileAtomic } from '../../cli/output.js'
import { asWriteError, jsonText, removeFile, sha256Digest } from '../files.js'
import { ANNOTATIONS, blobPath, layoutFile, makeIndex, MEDIA_TYPES, type Descriptor } from './layout.js'
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
  /** The key id of the signature this one replaced, if any. */
  readonly replaced: string | null
}

/**
 * Signs the image in `dir` with `key`, replacing any earlier signature. Refuses
 * what {@link readImage} refuses.
 * @public
 */
export function signImage(dir: string, key: PrivateKey, options: ReadOptions = {}): SignedImage {
  const image = readImage(dir, options)
  const blob = signManifest(image.manifestDigest, key)
  const digest = sha256Digest(blob)
  const path = blobPath(dir, digest)
  write(path, blob)
  const signature: Descriptor = {
    mediaType: MEDIA_TYPES.signature, digest, size: blob.length,
    annotations: { [ANNOTATIONS.signatureSubject]: image.manifestDigest },
  }
  write(layoutFile(dir, 'index.json'), jsonText(makeIndex(image.layout.manifest, signature)))
  const previous = image.signature
  if (previous !== null && previous.digest !== digest) removeFile(blobPath(dir, previous.digest))
  return { manifestDigest: image.manifestDigest, signatureDigest: digest, keyId: key.keyId, replaced: previous?.signature.header.keyId ?? null }
}
