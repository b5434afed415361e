/**
 * The abstraction from real images to the model's symbolic ones (pipeline.md §5).
 * The model does not run ML-DSA: it sees `{digest, name, version, signer,
 * signatureOk, manifest}` and decides trust as `signatureOk && keyring has signer`,
 * and rollback by comparing `version` with its own floors. This file computes that
 * record from the bytes on disk, so the kernel-side code and the model agree on what
 * an image is.
 * @module
 */
import type { BootConfig } from '../spec/boot.js'
import type { ImageRecord } from '../spec/images.js'
import type { Floors } from './codecs.js'
import { ImageError } from './errors.js'
import { readRegularFile, sha256Digest } from './files.js'
import { publicKeyFile, type Keyring } from './image/keys.js'
import { blobPath, DOCUMENT_BYTES_MAX, openLayout } from './image/layout.js'
import { decodeManifest } from './image/manifest.js'
import { decodeSignature } from './image/signature.js'
import { verifyImage } from './image/verify.js'

/** Options of {@link symbolicImage}. @public */
export interface SymbolicOptions {
  /** Bound on every blob and every inflated layer. @defaultValue 64 MiB */
  readonly layerBytesMax?: number
}

/**
 * The symbolic record of the image in `dir`:
 * - `digest`: the sha256 of the manifest bytes as they are on disk (what the kernel maps);
 * - `name`, `version`, `manifest.requests`, `manifest.memoryBytes`: from those bytes;
 * - `signer`: the key id in the signature's header, `''` when unsigned or unreadable
 *   (the header is read from the blob's bytes whatever their digest, as the kernel does);
 * - `signatureOk`: the image verifies whole against `keyring`: the signature by
 *   `signer` verifies over these exact bytes and every digest, size and inflated
 *   layer matches. False for a key outside the keyring (it cannot be checked).
 *
 * Rollback floors are deliberately not folded in: the model compares `version`
 * with its own floors and must see a below-floor image to refuse it. Throws an
 * {@link ImageError} only when there is no manifest to describe (no layout, or
 * manifest bytes that fail their codec).
 * @public
 */
export function symbolicImage(dir: string, keyring: Keyring, options: SymbolicOptions = {}): ImageRecord {
  const layout = openLayout(dir)
  const manifestFile = blobPath(dir, layout.manifest.digest)
  const manifestBytes = readRegularFile(manifestFile, DOCUMENT_BYTES_MAX)
  const digest = sha256Digest(manifestBytes)
  const manifest = decodeManifest(manifestBytes, manifestFile)
  const signer = (() => {
    // The key id the signature blob's header names, read as the kernel reads it: from the bytes, whatever their digest
    // (a signature blob changed after signing still names its signer; it no longer verifies).
    if (layout.signature === null) return ''
    try {
      const file = blobPath(dir, layout.signature.digest)
      return decodeSignature(readRegularFile(file, DOCUMENT_BYTES_MAX), file).header.keyId
    } catch (error) {
      if (error instanceof ImageError) return ''
      throw error
    }
  })()
  const signatureOk = (() => {
    try {
      // verifyImage reads the manifest through its descriptor: it passes only if `digest` is the descriptor's.
      verifyImage(dir, { keyring, ...(options.layerBytesMax === undefined ? {} : { layerBytesMax: options.layerBytesMax }) })
      return true
    } catch (error) {
      if (error instanceof ImageError) return false
      throw error
    }
  })()
  return {
    digest, name: manifest.name, version: manifest.version, signer, signatureOk,
    manifest: { requests: manifest.requests.map((request) => ({ ...request, rights: [...request.rights] })), memoryBytes: manifest.limits.memoryBytes },
  }
}

/** The boot configuration's trust anchors for a real keyring and floors: key ids, algorithms and public keys. @public */
export function symbolicTrust(keyring: Keyring, floors: Floors): Pick<BootConfig, 'keyring' | 'floors'> {
  return {
    keyring: [...keyring.values()].map((key) => ({ keyId: key.keyId, algorithm: key.algorithm, publicKey: publicKeyFile(key).publicKey })),
    floors: { ...floors },
  }
}
