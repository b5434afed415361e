/**
 * The real image pool property runs draw from (pipeline.md §5): seven images built,
 * signed with real ML-DSA keys into a temporary directory once per process (per
 * thread), then read back as the model's symbolic records (`symbolicImage`) and as
 * the exact bytes the kernel verifies. They mirror properties/pool.ts: a valid
 * image, one signed by a key outside the keyring, one whose module layer was
 * changed after signing, one whose manifest was changed after signing (and moved to
 * its new digest), an older version below the rollback floor, one signed by the
 * attacker's key and then, beside it, by the release key (one pool entry with
 * both signatures: valid, kernel.md §4), and a valid one whose requests overlap
 * (`matcher`: which request a grant takes matters).
 *
 * Keys come from fixed seeds, and building is deterministic, so manifest digests
 * are the same in every process: scenarios that name them replay.
 * @module
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ImageRecord } from '../../spec/images.js'
import { type BootConfig, DEFAULT_BOOT } from '../../spec/boot.js'
import type { ImageBytes } from '../../impl/images.js'
import { jsonText, sha256Digest } from '../files.js'
import { buildImage } from '../image/build.js'
import { generateKey, type Keyring, type PrivateKey } from '../image/keys.js'
import { ANNOTATIONS, blobPath, layoutFile, type OciIndex } from '../image/layout.js'
import type { ManifestInput } from '../image/manifest.js'
import { readImage } from '../image/reader.js'
import { signImage } from '../image/sign.js'
import { symbolicImage, symbolicTrust } from '../symbolic.js'
import { loadImageBytes } from './bytes.js'
import { MATCHER_REQUESTS } from '../../properties/pool.js'

/** The pool's images, in the order of properties/pool.ts `IMAGE_POOL`. @public */
export const POOL_LABELS = ['valid', 'wrong-key', 'tampered-layer', 'tampered-manifest', 'older', 'cosigned', 'matcher'] as const
/** One of the pool's images. @public */
export type PoolLabel = (typeof POOL_LABELS)[number]

/** What spawning each pool image answers (from a caller allowed to spawn, with room): the kernel's verdict. @public */
export const POOL_VERDICTS: Readonly<Record<PoolLabel, 'success' | 'SignatureInvalid' | 'RollbackDenied'>> = {
  valid: 'success', 'wrong-key': 'SignatureInvalid', 'tampered-layer': 'SignatureInvalid', 'tampered-manifest': 'SignatureInvalid', older: 'RollbackDenied', cosigned: 'success', matcher: 'success',
}

/** One image of the real pool. @public */
export interface PoolImage {
  readonly label: PoolLabel
  /** The model's record of the image, from its directory (`symbolicImage`). */
  readonly record: ImageRecord
  /** The exact bytes the kernel gets. */
  readonly bytes: ImageBytes
}

/** The real pool and the boot configuration that trusts its release key. @public */
export interface RealPool {
  /** The default boot configuration with the release key (public key included) and the floor echo ≥ 1.0.0. */
  readonly config: BootConfig
  readonly keyring: Keyring
  readonly images: ReadonlyArray<PoolImage>
  readonly records: ReadonlyArray<ImageRecord>
  readonly bytes: ReadonlyArray<ImageBytes>
  /** The pool image by label. */
  image(label: PoolLabel): PoolImage
}

/** The caps a pool image asks for: those of properties/pool.ts, so the generators' grants fit. */
const REQUESTS: ManifestInput['requests'] = [
  { kind: 'container', rights: ['read', 'write', 'execute', 'grant', 'control'], purpose: 'its own container, to nest' },
  { kind: 'endpoint', rights: ['read', 'write', 'grant'], purpose: 'a channel to its parent' },
  { kind: 'region', rights: ['read', 'write', 'control'], purpose: 'shared memory' },
  { kind: 'device', rights: ['write'], purpose: 'a device' },
]

/** The release and attacker keys, from fixed seeds. @public */
export function poolKeys(): { release: PrivateKey; attacker: PrivateKey } {
  return { release: generateKey('ML-DSA-65', new Uint8Array(32).fill(0x5a)), attacker: generateKey('ML-DSA-65', new Uint8Array(32).fill(0xa5)) }
}

function build(root: string, label: PoolLabel, version: string, signer: PrivateKey, requests: ManifestInput['requests'] = REQUESTS): string {
  const dir = join(root, label)
  const module = Buffer.from(Array.from({ length: 40 }, (_, line) => `echo ${version} instruction ${line} ${(line * 7919) % 1000}\n`).join(''))
  buildImage({
    manifest: { name: 'echo', version, entry: 'main', requests, limits: { memoryBytes: 4096 } }, manifestFile: `${label}/manifest.json`,
    module: { file: `${label}/module.bin`, bytes: module }, data: [{ file: `${label}/data.json`, bytes: Buffer.from('{"greeting": "hello"}\n') }], compression: 'brotli',
  }, dir)
  signImage(dir, signer)
  return dir
}

/** Flips the low bit of the last byte of the image's module layer blob. */
function tamperLayer(dir: string): void {
  const file = readImage(dir).layers[0]!.file
  const bytes = readFileSync(file)
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01
  writeFileSync(file, bytes)
}

/** Lowers the manifest's memory to 1 byte after signing, and moves the manifest to its new digest (index and signature subject follow). */
function tamperManifest(dir: string): void {
  const indexFile = layoutFile(dir, 'index.json')
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as OciIndex
  const old = blobPath(dir, index.manifests[0]!.digest)
  const text = readFileSync(old, 'utf8').replace('"memoryBytes": 4096', '"memoryBytes": 1')
  const digest = sha256Digest(Buffer.from(text))
  writeFileSync(blobPath(dir, digest), text)
  rmSync(old)
  index.manifests[0] = { ...index.manifests[0]!, digest, size: Buffer.byteLength(text) }
  for (const signature of index.manifests.slice(1)) signature.annotations![ANNOTATIONS.signatureSubject] = digest
  writeFileSync(`${indexFile}.tmp`, jsonText(index))
  renameSync(`${indexFile}.tmp`, indexFile)
}

/**
 * Builds and signs the pool into `root` (which must exist), tampers with two of the
 * images, and reads all seven back. The directories stay for the caller.
 * @public
 */
export function signPool(root: string): RealPool {
  const { release, attacker } = poolKeys()
  const keyring: Keyring = new Map([[release.keyId, { algorithm: release.algorithm, keyId: release.keyId, publicKey: release.publicKey }]])
  const dirs: Record<PoolLabel, string> = {
    valid: build(root, 'valid', '1.2.0', release),
    'wrong-key': build(root, 'wrong-key', '1.2.1', attacker),
    'tampered-layer': build(root, 'tampered-layer', '1.2.2', release),
    'tampered-manifest': build(root, 'tampered-manifest', '1.2.3', release),
    older: build(root, 'older', '0.9.0', release),
    cosigned: build(root, 'cosigned', '1.2.4', attacker),
    matcher: build(root, 'matcher', '1.3.0', release, MATCHER_REQUESTS),
  }
  signImage(dirs.cosigned, release, { add: true })
  tamperLayer(dirs['tampered-layer'])
  tamperManifest(dirs['tampered-manifest'])
  const images = POOL_LABELS.map((label): PoolImage => ({ label, record: symbolicImage(dirs[label], keyring), bytes: loadImageBytes(dirs[label]) }))
  const config: BootConfig = { ...DEFAULT_BOOT, ...symbolicTrust(keyring, { echo: '1.0.0' }) }
  return {
    config, keyring, images, records: images.map((image) => image.record), bytes: images.map((image) => image.bytes),
    image: (label) => images.find((image) => image.label === label)!,
  }
}

let pool: RealPool | null = null

/**
 * The pool, signed once per process (per worker thread) into a temporary directory
 * that is removed as soon as the images are read: the records and bytes stay in
 * memory.
 * @public
 */
export function realPool(): RealPool {
  if (pool !== null) return pool
  const root = mkdtempSync(join(tmpdir(), 'sila-pool-'))
  try {
    pool = signPool(root)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
  return pool
}
