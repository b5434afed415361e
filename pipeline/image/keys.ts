/**
 * Signing keys as files (pipeline.md §1): ML-DSA (FIPS 204) from
 * `@noble/post-quantum`, ML-DSA-65 by default and ML-DSA-87 for the seeds'
 * "4096-bit equivalent" level. A public key file holds the algorithm, the key id and
 * the public key; a private key file holds the same and the secret key, and is
 * created with mode 0600. The key id is the first 16 hex digits of the sha256 of the
 * public key bytes.
 * @module
 */
import * as t from 'io-ts'
import { readdirSync, statSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js'
import { stringMatching } from '../../spec/numbers.js'
import { ImageError } from '../errors.js'
import { decodeJson, exists, jsonText, parseJsonBytes, readRegularFile, writeNewFile } from '../files.js'

/** Signature algorithms, weakest first. @public */
export const SIGNATURE_ALGORITHMS = ['ML-DSA-65', 'ML-DSA-87'] as const
/** A signature algorithm. @public */
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number]
/** The algorithm `sila image keygen` uses unless told otherwise. */
export const DEFAULT_ALGORITHM: SignatureAlgorithm = 'ML-DSA-65'

const SCHEMES = { 'ML-DSA-65': ml_dsa65, 'ML-DSA-87': ml_dsa87 } as const

/** The noble implementation of `algorithm`. */
export function signatureScheme(algorithm: SignatureAlgorithm): (typeof SCHEMES)[SignatureAlgorithm] {
  return SCHEMES[algorithm]
}

/** Whether `text` names a known signature algorithm. */
export function isSignatureAlgorithm(text: unknown): text is SignatureAlgorithm {
  return typeof text === 'string' && (SIGNATURE_ALGORITHMS as ReadonlyArray<string>).includes(text)
}

/** A public key. @public */
export interface PublicKey {
  readonly algorithm: SignatureAlgorithm
  readonly keyId: string
  readonly publicKey: Uint8Array
}

/** A key pair: a public key and its secret key. @public */
export interface PrivateKey extends PublicKey {
  readonly secretKey: Uint8Array
}

/** Trusted public keys by key id. @public */
export type Keyring = ReadonlyMap<string, PublicKey>

/** The key id of a public key: the first 16 hex digits of its sha256. @public */
export function keyIdOf(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex').slice(0, 16)
}

/** A fresh key pair; `seed` (32 bytes) makes it deterministic, for tests. @public */
export function generateKey(algorithm: SignatureAlgorithm, seed?: Uint8Array): PrivateKey {
  const { publicKey, secretKey } = signatureScheme(algorithm).keygen(seed)
  return { algorithm, keyId: keyIdOf(publicKey), publicKey, secretKey }
}

const Base64Codec = new t.Type<string, string, unknown>(
  'Base64',
  (u): u is string => typeof u === 'string' && isCanonicalBase64(u),
  (u, c) => (typeof u === 'string' && isCanonicalBase64(u) ? t.success(u) : t.failure(u, c, 'expected canonical base64')),
  t.identity,
)

function isCanonicalBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text) && Buffer.from(text, 'base64').toString('base64') === text
}

/** A key file, public or private: `sila-key/1`. @public */
export const KeyFileCodec = t.intersection([
  t.type({
    format: t.literal('sila-key/1'),
    algorithm: t.keyof({ 'ML-DSA-65': null, 'ML-DSA-87': null }),
    keyId: stringMatching(/^[0-9a-f]{16}$/, 16, 'KeyId'),
    publicKey: Base64Codec,
  }),
  t.partial({ secretKey: Base64Codec }),
])
export type KeyFile = t.TypeOf<typeof KeyFileCodec>

/** Key files larger than this are refused (64 KiB). */
const KEY_FILE_BYTES_MAX = 64 * 1024

/** The JSON of a public key file. */
export function publicKeyFile(key: PublicKey): KeyFile {
  return { format: 'sila-key/1', algorithm: key.algorithm, keyId: key.keyId, publicKey: Buffer.from(key.publicKey).toString('base64') }
}

/** The JSON of a private key file. */
export function privateKeyFile(key: PrivateKey): KeyFile {
  return { ...publicKeyFile(key), secretKey: Buffer.from(key.secretKey).toString('base64') }
}

/** Where `sila image keygen` writes a key pair called `name`. @public */
export function keyFilePaths(dir: string, name: string): { publicFile: string; privateFile: string } {
  return { publicFile: join(dir, `${name}.pub.json`), privateFile: join(dir, `${name}.key.json`) }
}

/**
 * Writes `key` as `NAME.key.json` (mode 0600 from its creation) and `NAME.pub.json`
 * in `dir`. Refuses to overwrite either file: a lost private key cannot be recovered.
 * @public
 */
export function writeKeyFiles(dir: string, key: PrivateKey, name: string): { publicFile: string; privateFile: string } {
  const paths = keyFilePaths(dir, name)
  for (const file of [paths.privateFile, paths.publicFile]) {
    if (exists(file)) throw new ImageError(file, 'exists', 'already exists; keys are never overwritten')
  }
  writeNewFile(paths.privateFile, jsonText(privateKeyFile(key)), 0o600)
  writeNewFile(paths.publicFile, jsonText(publicKeyFile(key)), 0o644)
  return paths
}

/**
 * Decodes a key file's JSON. Refuses an unknown algorithm by name, anything that
 * fails {@link KeyFileCodec}, a key of the wrong length for its algorithm, and a
 * key id that is not the public key's.
 */
export function decodeKeyFile(value: unknown, file: string): PublicKey & { secretKey?: Uint8Array } {
  const algorithm = (value as { algorithm?: unknown } | null)?.algorithm
  if (typeof algorithm === 'string' && !isSignatureAlgorithm(algorithm)) {
    throw new ImageError(file, 'unknown-algorithm', `$.algorithm: unknown signature algorithm ${JSON.stringify(algorithm.slice(0, 40))}; known: ${SIGNATURE_ALGORITHMS.join(', ')}`)
  }
  const decoded = decodeJson(KeyFileCodec, value, file)
  const lengths = signatureScheme(decoded.algorithm).lengths
  const publicKey = new Uint8Array(Buffer.from(decoded.publicKey, 'base64'))
  if (publicKey.length !== lengths.publicKey) {
    throw new ImageError(file, 'malformed', `$.publicKey: expected ${lengths.publicKey} bytes for ${decoded.algorithm}, found ${publicKey.length}`)
  }
  const keyId = keyIdOf(publicKey)
  if (keyId !== decoded.keyId) throw new ImageError(file, 'inconsistent', `$.keyId: is ${decoded.keyId} but the public key's id is ${keyId}`)
  const key = { algorithm: decoded.algorithm, keyId, publicKey }
  if (decoded.secretKey === undefined) return key
  const secretKey = new Uint8Array(Buffer.from(decoded.secretKey, 'base64'))
  if (secretKey.length !== lengths.secretKey) {
    throw new ImageError(file, 'malformed', `$.secretKey: expected ${lengths.secretKey} bytes for ${decoded.algorithm}, found ${secretKey.length}`)
  }
  // A corrupted secret key can make the derivation itself throw: that is malformed input, not a crash.
  let derived: Uint8Array
  try {
    derived = signatureScheme(decoded.algorithm).getPublicKey(secretKey)
  } catch (error) {
    throw new ImageError(file, 'malformed', `$.secretKey: not a valid ${decoded.algorithm} secret key (${(error as Error).message})`)
  }
  if (Buffer.compare(Buffer.from(derived), Buffer.from(publicKey)) !== 0) {
    throw new ImageError(file, 'inconsistent', '$.secretKey: is not the secret key of $.publicKey')
  }
  return { ...key, secretKey }
}

/** Reads a public key file; refuses what {@link decodeKeyFile} refuses, and a private key file (pass its `.pub.json`). @public */
export function readPublicKey(file: string): PublicKey {
  const key = decodeKeyFile(parseJsonBytes(readRegularFile(file, KEY_FILE_BYTES_MAX, { followLinks: true }), file), file)
  if (key.secretKey !== undefined) throw new ImageError(file, 'malformed', 'is a private key file; a keyring holds public keys only (the .pub.json file)')
  return key
}

/**
 * Reads a private key file; refuses what {@link decodeKeyFile} refuses, a file
 * without `secretKey`, and (on POSIX systems) a file that others than its owner may
 * read or write.
 * @public
 */
export function readPrivateKey(file: string): PrivateKey {
  const key = decodeKeyFile(parseJsonBytes(readRegularFile(file, KEY_FILE_BYTES_MAX, { followLinks: true }), file), file)
  if (key.secretKey === undefined) throw new ImageError(file, 'malformed', '$.secretKey: expected the secret key, found nothing: this is a public key file')
  if (process.platform !== 'win32') {
    const mode = statSync(file).mode & 0o777
    if ((mode & 0o077) !== 0) throw new ImageError(file, 'permissions', `has mode 0${mode.toString(8)}; a private key must be readable by its owner only (chmod 600)`)
  }
  return { ...key, secretKey: key.secretKey }
}

/**
 * Reads a keyring from files and directories: a file is one public key, a
 * directory contributes every `*.pub.json` in it. Refuses what {@link readPublicKey}
 * refuses, and a keyring with no key at all.
 * @public
 */
export function readKeyring(sources: ReadonlyArray<string>): Keyring {
  const keyring = new Map<string, PublicKey>()
  for (const source of sources) {
    let isDirectory = false
    try {
      isDirectory = statSync(source).isDirectory()
    } catch {
      throw new ImageError(source, 'missing', 'cannot read: no such file or directory')
    }
    const files = isDirectory ? readdirSync(source).filter((name) => name.endsWith('.pub.json')).sort().map((name) => join(source, name)) : [source]
    if (isDirectory && files.length === 0) throw new ImageError(source, 'missing', 'holds no *.pub.json public key files')
    for (const file of files) {
      const key = readPublicKey(file)
      keyring.set(key.keyId, key)
    }
  }
  if (keyring.size === 0) throw new ImageError(sources.join(', ') || '(keyring)', 'missing', 'no trusted keys given')
  return keyring
}
