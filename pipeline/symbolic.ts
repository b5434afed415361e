/**
 * The abstraction from real images to the model's symbolic ones (pipeline.md §5).
 * The model does not run ML-DSA: it sees `{digest, name, version, signatures,
 * manifest}`, each signature a `{signer, verifies}`, and trusts the image when one
 * signature verifies and its signer is in the keyring; it decides rollback by
 * comparing `version` with its own floors. This file computes that
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
import { signerOf } from './image/signature.js'
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
 * - `signatures`: one per signature blob the index lists whose file can be read (the
 *   kernel is handed the same blobs), in index order, each with
 *   - `signer`: the key id in the blob's header, `''` when it cannot be read (the
 *     header is read from the blob's bytes whatever their digest, as the kernel does);
 *   - `verifies`: the image verifies whole against `keyring` by this signature
 *     alone: it is by `signer` and verifies over these exact bytes, and every
 *     digest, size and inflated layer matches. False for a key outside the keyring
 *     (it cannot be checked).
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
  const signatures = layout.signatures.flatMap((descriptor) => {
    const file = blobPath(dir, descriptor.digest)
    let bytes: Uint8Array
    try {
      bytes = readRegularFile(file, DOCUMENT_BYTES_MAX)
    } catch (error) {
      // A blob the kernel would not be handed either (bytes.ts leaves it out).
      if (error instanceof ImageError) return []
      throw error
    }
    return [{ signer: signerOf(bytes, file), verifies: verifiesAlone(dir, keyring, descriptor.digest, options) }]
  })
  return {
    digest, name: manifest.name, version: manifest.version, signatures,
    manifest: { requests: manifest.requests.map((request) => ({ ...request, rights: [...request.rights] })), memoryBytes: manifest.limits.memoryBytes },
  }
}

/** Whether the image in `dir` verifies whole against `keyring` by the signature blob `signature` alone. */
function verifiesAlone(dir: string, keyring: Keyring, signature: string, options: SymbolicOptions): boolean {
  try {
    // verifyImage reads the manifest through its descriptor: it passes only if the digest is the descriptor's.
    verifyImage(dir, { keyring, signature, ...(options.layerBytesMax === undefined ? {} : { layerBytesMax: options.layerBytesMax }) })
    return true
  } catch (error) {
    if (error instanceof ImageError) return false
    throw error
  }
}

/** The boot configuration's trust anchors for a real keyring and floors: key ids, algorithms and public keys. @public */
export function symbolicTrust(keyring: Keyring, floors: Floors): Pick<BootConfig, 'keyring' | 'floors'> {
  return {
    keyring: [...keyring.values()].map((key) => ({ keyId: key.keyId, algorithm: key.algorithm, publicKey: publicKeyFile(key).publicKey })),
    floors: { ...floors },
  }
}
