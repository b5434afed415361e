/**
 * The kernel's image verifier (pipeline.md §3 step 3): what `Kernel.boot` runs,
 * once per manifest digest, over the exact bytes of a real image. It is the same
 * check as `verifyImage` on a directory, done on bytes in memory and against the
 * boot configuration's keyring (`config.keyring[].publicKey`, base64 as key files
 * hold them): one of the image's signature blobs (it may carry several, by
 * different keys, kernel.md §4) names a trusted key and verifies (ML-DSA, FIPS 204)
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
import { decodeSignature, signerOf, verifySignature } from '../image/signature.js'

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

/** The model's record of `image` given each signature's verdict (pipeline/symbolic.ts's fields, from bytes). */
function recordOf(manifest: Manifest, digest: string, signatures: ImageRecord['signatures']): ImageRecord {
  return {
    digest, name: manifest.name, version: manifest.version, signatures,
    manifest: { requests: manifest.requests.map((request) => ({ ...request, rights: [...request.rights] })), memoryBytes: manifest.limits.memoryBytes },
  }
}

/** Runs `body`; an {@link ImageError} is returned, not thrown. */
function refusalOf(body: () => void): ImageError | null {
  try {
    body()
    return null
  } catch (error) {
    if (error instanceof ImageError) return error
    throw error
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
    const keys = bootKeyring(keyring)
    const signatures = image.signatures.map((bytes, position) => {
      const file = place(digest, `signatures[${position}]`)
      return { signer: signerOf(bytes, file), refusal: refusalOf(() => this.checkSignature(bytes, file, digest, keys)) }
    })
    const refusal = this.check(image, digest, manifest, signatures, keys)
    const verdict: ImageVerdict = manifest instanceof ImageError
      ? { trusted: false, record: null, reason: manifest.message }
      : {
        trusted: refusal === null,
        // A signature verifies when it does and every byte it pins is as pinned.
        record: recordOf(manifest, digest, signatures.map((signature) => ({ signer: signature.signer, verifies: refusal === null && signature.refusal === null }))),
        reason: refusal?.message ?? '',
      }
    this.verdicts.set(digest, verdict)
    return verdict
  }

  /** Refuses a signature blob of another manifest, by a key outside `keyring`, or that does not verify. */
  private checkSignature(bytes: Uint8Array, file: string, digest: string, keyring: Keyring): void {
    const signature = decodeSignature(bytes, file)
    // verifySignature runs ML-DSA only for a signature of this manifest by a key of the keyring.
    if (signature.header.subject === digest && keyring.get(signature.header.keyId)?.algorithm === signature.header.algorithm) this.signatureChecks++
    verifySignature(signature, file, digest, keyring)
  }

  /**
   * The refusal of `image`, or null when one of its signatures is by a trusted key
   * and verifies and every byte is as the manifest pins it. With no signature that
   * verifies, the refusal is that of the first by a key of the keyring, else of the
   * first signature.
   */
  private check(image: ImageBytes, digest: string, manifest: Manifest | ImageError, signatures: ReadonlyArray<{ signer: string; refusal: ImageError | null }>, keyring: Keyring): ImageError | null {
    if (signatures.length === 0) return new ImageError(place(digest, 'signatures'), 'unsigned', 'the image has no signature', 'arbitrary package')
    if (signatures.every((signature) => signature.refusal !== null)) {
      return (signatures.find((signature) => keyring.has(signature.signer)) ?? signatures[0]!).refusal
    }
    if (manifest instanceof ImageError) return manifest
    return refusalOf(() => this.checkLayers(image, digest, manifest))
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
 * The model's record of an image's bytes, each signature's `verifies` the kernel's
 * verdict against `keyring`: what `symbolicImage` gives for the directory the bytes were
 * loaded from. Null when the manifest cannot be decoded.
 * @public
 */
export function symbolicRecordOfBytes(image: ImageBytes, keyring: BootConfig['keyring'], options: KernelVerifierOptions = {}): ImageRecord | null {
  return new KernelImageVerifier(options).verify(image, manifestDigest(image), keyring).record
}
