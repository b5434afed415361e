/**
 * Shared by the pipeline tests: deterministic keys (ML-DSA is slow-ish, so each is
 * generated once per process), a manifest input, images built and signed into
 * temporary directories, byte flips, a hand assembler for images no builder would
 * write (bombs, swapped layers), and an assertion that a call is refused for a
 * given reason.
 * @module
 */
import * as assert from 'uvu/assert'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ImageError, type Attack, type Refusal } from '../../pipeline/errors.js'
import { jsonText, sha256Digest } from '../../pipeline/files.js'
import { buildImage, manifestDescriptor, type SourceFile } from '../../pipeline/image/build.js'
import { generateKey, type Keyring, type PrivateKey, type PublicKey, type SignatureAlgorithm } from '../../pipeline/image/keys.js'
import { blobRelativePath, makeIndex, MEDIA_TYPES, OCI_LAYOUT, ANNOTATIONS, type Descriptor } from '../../pipeline/image/layout.js'
import { encodeManifest, type Layer, type Manifest, type ManifestInput } from '../../pipeline/image/manifest.js'
import { signImage } from '../../pipeline/image/sign.js'
import { signManifest } from '../../pipeline/image/signature.js'

function seed(byte: number): Uint8Array {
  return new Uint8Array(32).fill(byte)
}

const keys = new Map<string, PrivateKey>()
/** A key pair from a fixed seed, generated once per process. */
export function key(label: 'release' | 'attacker' | 'strong'): PrivateKey {
  const algorithm: SignatureAlgorithm = label === 'strong' ? 'ML-DSA-87' : 'ML-DSA-65'
  const byte = { release: 1, attacker: 2, strong: 3 }[label]
  let pair = keys.get(label)
  if (pair === undefined) {
    pair = generateKey(algorithm, seed(byte))
    keys.set(label, pair)
  }
  return pair
}

/** A keyring of the given keys. */
export function keyringOf(...pairs: PublicKey[]): Keyring {
  return new Map(pairs.map((pair) => [pair.keyId, { algorithm: pair.algorithm, keyId: pair.keyId, publicKey: pair.publicKey }]))
}

/** The manifest input of `echo` at `version`. */
export function manifestInput(version = '1.2.0', name = 'echo'): ManifestInput {
  return {
    name, version, entry: 'main',
    requests: [
      { kind: 'endpoint', rights: ['read', 'write', 'grant'], purpose: 'a channel to its parent' },
      { kind: 'region', rights: ['read', 'write'] },
    ],
    limits: { memoryBytes: 1 << 20 },
    namespaces: { pid: 'new', mount: 'share', net: 'share', ipc: 'share', user: 'share' },
  }
}

/** Module bytes that compress (text) and differ per `label`. */
export function moduleBytes(label: string): Uint8Array {
  return Buffer.from(Array.from({ length: 400 }, (_, line) => `${label} instruction ${line} ${line * 7919 % 1000}\n`).join(''))
}

/** A fresh temporary directory; removed by {@link cleanup}. */
const directories: string[] = []
export function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'sila-pipeline-'))
  directories.push(directory)
  return directory
}
export function cleanup(): void {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
}

/** Options of {@link signedImage}. */
export interface ImageOptions {
  readonly version?: string
  readonly name?: string
  readonly signer?: PrivateKey | null
  readonly module?: string
  readonly data?: ReadonlyArray<string>
  readonly compression?: 'brotli' | 'none'
}

/** Builds (and, unless `signer` is null, signs) an image in a fresh directory; returns its path. */
export function signedImage(options: ImageOptions = {}): string {
  const dir = join(temporaryDirectory(), 'image')
  const data: SourceFile[] = (options.data ?? ['{"greeting": "hello"}\n']).map((text, index) => ({ file: `data${index}.json`, bytes: Buffer.from(text) }))
  buildImage({
    manifest: manifestInput(options.version, options.name), manifestFile: 'manifest.json',
    module: { file: 'module.bin', bytes: moduleBytes(options.module ?? 'echo') }, data, compression: options.compression ?? 'brotli',
  }, dir)
  const signer = options.signer === undefined ? key('release') : options.signer
  if (signer !== null) signImage(dir, signer)
  return dir
}

/** Flips the low bit of the byte at `position` of `file`; returns a function that restores it. */
export function flipByte(file: string, position: number): () => void {
  const original = readFileSync(file)
  const changed = Buffer.from(original)
  changed[position] = changed[position]! ^ 0x01
  writeFileSync(file, changed)
  return () => writeFileSync(file, original)
}

/** Runs `body`, which must throw an {@link ImageError} for `reason` (and `attack`, when given); returns it. */
export function refused(body: () => unknown, reason: Refusal, attack?: Attack | null): ImageError {
  try {
    body()
  } catch (error) {
    if (!(error instanceof ImageError)) throw error
    assert.is(error.reason, reason, `expected ${reason}, got ${error.reason}: ${error.message}`)
    if (attack !== undefined) assert.is(error.attack, attack, error.message)
    assert.not.match(error.message, /^\s+at .+:\d+:\d+\)?$/m)
    return error
  }
  assert.unreachable(`expected a refusal (${reason})`)
  throw new Error('unreachable')
}

/** A layer as the manifest pins it, for the bytes `blob`. */
export function layerOf(blob: Uint8Array, mediaType: Layer['mediaType'], role: Layer['role']): Layer {
  return { digest: sha256Digest(blob), mediaType, size: blob.length, role }
}

/**
 * Writes an image by hand: `manifest` (whose layers must pin `blobs`), the blobs,
 * and a signature by `signer` over the manifest digest. For images no builder would
 * write: decompression bombs, layers that lie.
 */
export function assembleImage(dir: string, manifest: Manifest, blobs: ReadonlyArray<Uint8Array>, signer: PrivateKey | null): string {
  const manifestBytes = encodeManifest(manifest)
  const manifestDigest = sha256Digest(manifestBytes)
  const files = new Map<string, Uint8Array>([[blobRelativePath(manifestDigest), manifestBytes]])
  for (const blob of blobs) files.set(blobRelativePath(sha256Digest(blob)), blob)
  let signature: Descriptor | null = null
  if (signer !== null) {
    const blob = signManifest(manifestDigest, signer)
    files.set(blobRelativePath(sha256Digest(blob)), blob)
    signature = { mediaType: MEDIA_TYPES.signature, digest: sha256Digest(blob), size: blob.length, annotations: { [ANNOTATIONS.signatureSubject]: manifestDigest } }
  }
  files.set('oci-layout', Buffer.from(jsonText(OCI_LAYOUT)))
  files.set('index.json', Buffer.from(jsonText(makeIndex(manifestDescriptor(manifestDigest, manifestBytes.length, manifest.name, manifest.version), signature === null ? [] : [signature]))))
  for (const [path, bytes] of files) {
    const target = join(dir, path)
    mkdirSync(dirname(target), { recursive: true })
    rmSync(target, { force: true })
    writeFileSync(target, bytes, { flag: 'w' })
  }
  return dir
}

/** The manifest of echo pinning `layers`. */
export function manifestWith(layers: ReadonlyArray<Layer>, version = '1.2.0'): Manifest {
  const input = manifestInput(version)
  return { mediaType: MEDIA_TYPES.manifest, name: input.name, version: input.version, entry: input.entry, requests: input.requests, limits: input.limits, layers: [...layers] }
}
