/**
 * The kernel's image verifier (pipeline.md §3 step 3): what `Kernel.boot` runs,
 * once per manifest digest, over the exact bytes of a real image. It is the same
 * check as `verifyImage` on a directory, done on bytes in memory and against the
 * boot configuration's keyring (`config.keyring[].publicKey`, base64 as key files
 * hold them): the signature blob names a trusted key and verifies (ML-DSA, FIPS 204)
 * over the manifest's digest; the manifest decodes; every layer it pins is there
 * with exactly the pinned size and digest; every module layer inflates, within its
 * header and the bound, to its pinned uncompressed digest; and the layers fit in
 * the memory the manifest declares. Index annotations are not looked at: they are
 * unsigned, and the kernel never sees `index.json`.
 *
 * Alongside the verdict it describes the bytes as the model's symbolic record
 * (pipeline/symbolic.ts does the same from a directory), so that the abstraction of
 * a kernel booted from bytes shows the model's `ksImages`.
 * @module
 */
import type { BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import type { ImageBytes, ImageVerdict, ImageVerifier } from '../../impl/images.js'
import { manifestDigest } from '../../impl/images.js'
import { ImageError } from '../errors.js'
import { formatBytes, sha256Digest } from '../files.js'
import { inflateModuleLayer } from '../image/compression.js'
import { isSignatureAlgorithm, keyIdOf, signatureScheme, type Keyring, type PublicKey, type SignatureAlgorithm } from '../image/keys.js'
import { LAYER_BYTES_MAX_DEFAULT, MEDIA_TYPES } from '../image/layout.js'
import { decodeManifest, type Manifest } from '../image/manifest.js'
import { decodeSignature, verifySignature } from '../image/signature.js'

/** Options of {@link KernelImageVerifier}. @public */
export interface KernelVerifierOptions {
  /** Bound on every blob and every inflated layer. @defaultValue 64 MiB */
  readonly layerBytesMax?: number
}

const keyrings = new WeakMap<BootConfig['keyring'], Keyring>()

function algorithmOf(entry: BootConfig['keyring'][number], length: number): SignatureAlgorithm | null {
  if (entry.algorithm !== undefined) return isSignatureAlgorithm(entry.algorithm) ? entry.algorithm : null
  for (const algorithm of ['ML-DSA-65', 'ML-DSA-87'] as const) if (signatureScheme(algorithm).lengths.publicKey === length) return algorithm
  return null
}

/**
 * The verifiable keys of a boot keyring: entries with a public key (canonical
 * base64 of the right length for the algorithm) whose key id is that key's. A
 * symbolic entry (a key id alone) verifies nothing. Decoded once per keyring.
 * @public
 */
export function bootKeyring(keyring: BootConfig['keyring']): Keyring {
  const known = keyrings.get(keyring)
  if (known !== undefined) return known
  const keys = new Map<string, PublicKey>()
  for (const entry of keyring) {
    if (entry.publicKey === undefined) continue
    const bytes = new Uint8Array(Buffer.from(entry.publicKey, 'base64'))
    if (Buffer.from(bytes).toString('base64') !== entry.publicKey) continue
    const algorithm = algorithmOf(entry, bytes.length)
    if (algorithm === null || signatureScheme(algorithm).lengths.publicKey !== bytes.length) continue
    if (keyIdOf(bytes) !== entry.keyId) continue
    keys.set(entry.keyId, { algorithm, keyId: entry.keyId, publicKey: bytes })
  }
  keyrings.set(keyring, keys)
  return keys
}

/** Names for messages: the kernel has no files, only digests. */
function place(digest: string, part: string): string {
  return `image ${digest.slice(0, 19)}…/${part}`
}

/** The manifest of `image`, or the refusal that says why there is none. */
function decode(image: ImageBytes, digest: string): Manifest | ImageError {
  try {
    return decodeManifest(image.manifest, place(digest, 'manifest'))
  } catch (error) {
    if (error instanceof ImageError) return error
    throw error
  }
}

/** The key id the signature blob names, '' when there is none or it cannot be read. */
function signerOf(image: ImageBytes, digest: string): string {
  if (image.signature === null) return ''
  try {
    return decodeSignature(image.signature, place(digest, 'signature')).header.keyId
  } catch (error) {
    if (error instanceof ImageError) return ''
    throw error
  }
}

/** The model's record of `image` given a verdict (pipeline/symbolic.ts's fields, from bytes). */
function recordOf(manifest: Manifest, digest: string, signer: string, signatureOk: boolean): ImageRecord {
  return {
    digest, name: manifest.name, version: manifest.version, signer, signatureOk,
    manifest: { requests: manifest.requests.map((request) => ({ ...request, rights: [...request.rights] })), memoryBytes: manifest.limits.memoryBytes },
  }
}

/**
 * The kernel's verifier: stateless but for its counters, which tell how often it
 * ran (B8: once per digest). Throws nothing on any bytes.
 * @public
 */
export class KernelImageVerifier implements ImageVerifier {
  /** Images verified. */
  verifications = 0
  /** ML-DSA signature verifications run. */
  signatureChecks = 0
  /** Every verdict given, by manifest digest (for diagnostics: the kernel keeps only the verdict). */
  readonly verdicts = new Map<string, ImageVerdict>()
  private readonly bound: number

  constructor(options: KernelVerifierOptions = {}) {
    this.bound = options.layerBytesMax ?? LAYER_BYTES_MAX_DEFAULT
  }

  verify(image: ImageBytes, digest: string, keyring: BootConfig['keyring']): ImageVerdict {
    this.verifications++
    const manifest = decode(image, digest)
    const signer = signerOf(image, digest)
    const refusal = this.check(image, digest, manifest, bootKeyring(keyring))
    const verdict: ImageVerdict = manifest instanceof ImageError
      ? { trusted: false, record: null, reason: manifest.message }
      : { trusted: refusal === null, record: recordOf(manifest, digest, signer, refusal === null), reason: refusal?.message ?? '' }
    this.verdicts.set(digest, verdict)
    return verdict
  }

  /** The first refusal of `image`, or null when every byte is pinned by a trusted signature. */
  private check(image: ImageBytes, digest: string, manifest: Manifest | ImageError, keyring: Keyring): ImageError | null {
    try {
      if (image.signature === null) return new ImageError(place(digest, 'signature'), 'unsigned', 'the image has no signature', 'arbitrary package')
      const file = place(digest, 'signature')
      const signature = decodeSignature(image.signature, file)
      // verifySignature runs ML-DSA only for a signature of this manifest by a key of the keyring.
      if (signature.header.subject === digest && keyring.get(signature.header.keyId)?.algorithm === signature.header.algorithm) this.signatureChecks++
      verifySignature(signature, file, digest, keyring)
      if (manifest instanceof ImageError) return manifest
      this.checkLayers(image, digest, manifest)
      return null
    } catch (error) {
      if (error instanceof ImageError) return error
      throw error
    }
  }

  /** Every pinned layer present, of its size and digest, inflating to its pinned content, all within the manifest's memory. */
  private checkLayers(image: ImageBytes, digest: string, manifest: Manifest): void {
    let total = 0
    manifest.layers.forEach((layer, position) => {
      const file = place(digest, `layers[${position}]`)
      const bytes = image.layers.get(layer.digest)
      if (bytes === undefined) throw new ImageError(file, 'missing', `the layer ${layer.digest} the manifest pins is not there`)
      if (layer.size > this.bound || bytes.length > this.bound) throw new ImageError(file, 'too-large', `is larger than the bound of ${formatBytes(this.bound)}`, 'endless data')
      if (bytes.length !== layer.size) throw new ImageError(file, bytes.length < layer.size ? 'size-mismatch' : 'too-large', `is ${bytes.length} bytes, the manifest pins ${layer.size}`)
      const actual = sha256Digest(bytes)
      if (actual !== layer.digest) throw new ImageError(file, 'digest-mismatch', `its content has digest ${actual}, the manifest pins ${layer.digest}`, 'mix-and-match')
      total += layer.mediaType === MEDIA_TYPES.data ? bytes.length : inflateModuleLayer(bytes, file, layer.mediaType, this.bound).header.uncompressedSizeBytes
    })
    if (total > manifest.limits.memoryBytes) {
      throw new ImageError(place(digest, 'manifest'), 'inconsistent', `$.limits.memoryBytes: is ${manifest.limits.memoryBytes} but the layers hold ${total} bytes once inflated`)
    }
  }
}

/**
 * The model's record of an image's bytes, with `signatureOk` the kernel's verdict
 * against `keyring`: what `symbolicImage` gives for the directory the bytes were
 * loaded from. Null when the manifest cannot be decoded.
 * @public
 */
export function symbolicRecordOfBytes(image: ImageBytes, keyring: BootConfig['keyring'], options: KernelVerifierOptions = {}): ImageRecord | null {
  return new KernelImageVerifier(options).verify(image, manifestDigest(image), keyring).record
}
