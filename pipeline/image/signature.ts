/**
 * The signature blob (pipeline.md §1): one JSON header line naming the algorithm,
 * the signer's key id and the manifest digest it signs, then the raw ML-DSA
 * signature. The signed message is the ASCII text `sila-manifest-v1:` followed by
 * the manifest's digest (`sha256:<hex>`): the prefix separates these signatures
 * from anything else the same key might sign, and the digest pins the manifest,
 * which pins every layer.
 * @module
 */
import * as t from 'io-ts'
import { stringMatching } from '../../spec/numbers.js'
import { ImageError } from '../errors.js'
import { decodeJson, frame, splitFramed } from '../files.js'
import { isSignatureAlgorithm, signatureScheme, SIGNATURE_ALGORITHMS, type Keyring, type PrivateKey } from './keys.js'
import { BlobDigestCodec } from './layout.js'

/** The domain-separation prefix of every signed message. @public */
export const SIGNATURE_DOMAIN = 'sila-manifest-v1:'
/** A signature blob's header line never exceeds this (1 KiB). */
export const SIGNATURE_HEADER_BYTES_MAX = 1024

/** The header line of a signature blob. @public */
export const SignatureHeaderCodec = t.type({
  format: t.literal('sila-signature/1'),
  algorithm: t.keyof({ 'ML-DSA-65': null, 'ML-DSA-87': null }),
  keyId: stringMatching(/^[0-9a-f]{16}$/, 16, 'KeyId'),
  /** The digest of the manifest this signature signs. */
  subject: BlobDigestCodec,
})
export type SignatureHeader = t.TypeOf<typeof SignatureHeaderCodec>

/** A decoded signature blob. @public */
export interface Signature {
  readonly header: SignatureHeader
  readonly signature: Uint8Array
}

/** The bytes that are signed for the manifest `manifestDigest`. @public */
export function signedMessage(manifestDigest: string): Uint8Array {
  return Buffer.from(`${SIGNATURE_DOMAIN}${manifestDigest}`, 'ascii')
}

/** A signature blob by `key` over the manifest `manifestDigest`. @public */
export function signManifest(manifestDigest: string, key: PrivateKey): Uint8Array {
  const signature = signatureScheme(key.algorithm).sign(signedMessage(manifestDigest), key.secretKey)
  const header: SignatureHeader = { format: 'sila-signature/1', algorithm: key.algorithm, keyId: key.keyId, subject: manifestDigest }
  return frame(header, signature)
}

/**
 * Decodes a signature blob read from `file`. Refuses a blob without a header line,
 * an unknown signature algorithm by name, a header that fails its codec, and a
 * signature whose length is not its algorithm's.
 */
export function decodeSignature(bytes: Uint8Array, file: string): Signature {
  const framed = splitFramed(bytes, file, SIGNATURE_HEADER_BYTES_MAX)
  const algorithm = (framed.header as { algorithm?: unknown } | null)?.algorithm
  if (typeof algorithm === 'string' && !isSignatureAlgorithm(algorithm)) {
    throw new ImageError(file, 'unknown-algorithm', `$.algorithm: unknown signature algorithm ${JSON.stringify(algorithm.slice(0, 40))}; known: ${SIGNATURE_ALGORITHMS.join(', ')}`)
  }
  const header = decodeJson(SignatureHeaderCodec, framed.header, file)
  const length = signatureScheme(header.algorithm).lengths.signature!
  if (framed.payload.length !== length) {
    throw new ImageError(file, 'malformed', `the ${header.algorithm} signature is ${framed.payload.length} bytes, expected ${length}`)
  }
  return { header, signature: framed.payload }
}

/**
 * Checks `signature` (read from `file`) over the manifest `manifestDigest` against
 * `keyring`. Refuses a signature of another manifest (mix-and-match), by a key not
 * in the keyring, by a key of another algorithm, or that does not verify (arbitrary
 * package). Returns the signer's key id.
 */
export function verifySignature(signature: Signature, file: string, manifestDigest: string, keyring: Keyring): string {
  const { header } = signature
  if (header.subject !== manifestDigest) {
    throw new ImageError(file, 'inconsistent', `signs the manifest ${header.subject}, not this image's ${manifestDigest}`, 'mix-and-match')
  }
  const key = keyring.get(header.keyId)
  if (key === undefined) throw new ImageError(file, 'untrusted-key', `signed by key ${header.keyId}, which is not in the keyring`, 'arbitrary package')
  if (key.algorithm !== header.algorithm) {
    throw new ImageError(file, 'bad-signature', `claims ${header.algorithm} but the trusted key ${key.keyId} is ${key.algorithm}`, 'arbitrary package')
  }
  let valid: boolean
  try {
    valid = signatureScheme(key.algorithm).verify(signature.signature, signedMessage(manifestDigest), key.publicKey)
  } catch {
    // The lengths were checked when the key and the signature were read; a throw here is a malformed encoding.
    valid = false
  }
  if (!valid) throw new ImageError(file, 'bad-signature', `the ${header.algorithm} signature by ${header.keyId} does not verify over the manifest ${manifestDigest}`, 'arbitrary package')
  return key.keyId
}

/**
 * The key id a signature blob's header names, read from the bytes whatever their
 * digest (a blob changed after signing still names its signer; it no longer
 * verifies); `''` when the header cannot be read. The kernel's verifier and the
 * model's reader of images both name signers this way.
 */
export function signerOf(bytes: Uint8Array, file: string): string {
  try {
    return decodeSignature(bytes, file).header.keyId
  } catch (error) {
    if (error instanceof ImageError) return ''
    throw error
  }
}
