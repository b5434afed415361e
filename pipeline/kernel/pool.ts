/**
 * The real image pool property runs draw from (pipeline.md §5): images built,
 * signed with real ML-DSA keys into a temporary directory once per process (per
 * thread), then read back as the model's symbolic records (`symbolicImage`) and as
 * the exact bytes the kernel verifies. They mirror properties/pool.ts: a valid
 * image, one signed by a key outside the keyring, one whose module layer was
 * changed after signing, one whose manifest was changed after signing (and moved to
 * its new digest), an older version below the rollback floor, one signed by the
 * attacker's key and then, beside it, by the release key (one pool entry with
 * both signatures: valid, kernel.md §4), and a valid one whose requests overlap
 * (`matcher`: which request a grant takes matters). Then the bounds and collisions
 * of §4's image checks: exactly at the floor, a prerelease just below it, a twin of
 * the valid image's name and version with other bytes (attacker-signed), an
 * unsigned image, one whose release signature is broken beside a good attacker
 * one, one carrying the valid image's release signature, one of another name
 * below echo's floor, and one whose layers fill its declared memory exactly, and
 * one declaring a byte less than its layers hold (signed as it is: the verifier
 * refuses it, not the signature); and one below the floor signed by the attacker
 * only (two checks fail: the signature's must answer). The versions are those of
 * properties/pool.ts, around the default floor echo ≥ 1.9.2: 1.10.x, 2.0.0 and
 * 1.9.2 pass it only in semver's order, 1.9.1 is below it by the patch alone.
 *
 * Keys come from fixed seeds, and building is deterministic, so manifest digests
 * are the same in every process: scenarios that name them replay.
 * @module
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { ImageRecord } from '../../spec/images.js'
import { type BootConfig, DEFAULT_BOOT } from '../../spec/boot.js'
import type { ImageBytes } from '../../impl/images.js'
import { jsonText, sha256Digest } from '../files.js'
import { buildImage } from '../image/build.js'
import { generateKey, type Keyring, type PrivateKey } from '../image/keys.js'
import { ANNOTATIONS, blobPath, layoutFile, MEDIA_TYPES, type OciIndex } from '../image/layout.js'
import type { ManifestInput } from '../image/manifest.js'
import { readImage } from '../image/reader.js'
import { signImage } from '../image/sign.js'
import { signManifest } from '../image/signature.js'
import { symbolicImage, symbolicTrust } from '../symbolic.js'
import { loadImageBytes } from './bytes.js'
import { EXACT_MEMORY_BYTES, MATCHER_REQUESTS } from '../../properties/pool.js'

/** The pool's images, in the order of properties/pool.ts `IMAGE_POOL`. @public */
export const POOL_LABELS = [
  'valid', 'wrong-key', 'tampered-layer', 'tampered-manifest', 'older', 'cosigned', 'matcher',
  'at-floor', 'prerelease', 'twin', 'unsigned', 'split', 'borrowed', 'other-name', 'memory-exact', 'memory-short', 'older-forged',
] as const
/** One of the pool's images. @public */
export type PoolLabel = (typeof POOL_LABELS)[number]

/** What spawning each pool image answers (from a caller allowed to spawn, with room): the kernel's verdict. @public */
export const POOL_VERDICTS: Readonly<Record<PoolLabel, 'success' | 'SignatureInvalid' | 'RollbackDenied'>> = {
  valid: 'success', 'wrong-key': 'SignatureInvalid', 'tampered-layer': 'SignatureInvalid', 'tampered-manifest': 'SignatureInvalid', older: 'RollbackDenied', cosigned: 'success', matcher: 'success',
  'at-floor': 'success', prerelease: 'RollbackDenied', twin: 'SignatureInvalid', unsigned: 'SignatureInvalid', split: 'SignatureInvalid', borrowed: 'SignatureInvalid',
  'other-name': 'success', 'memory-exact': 'success', 'memory-short': 'SignatureInvalid', 'older-forged': 'SignatureInvalid',
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
  /** The default boot configuration with the release key (public key included) and its floors (echo ≥ 1.9.2). */
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

/** How one pool image is built: all but the label optional. */
interface BuildOptions {
  readonly version: string
  /** Signers in order; none: unsigned. */
  readonly signers: ReadonlyArray<PrivateKey>
  readonly name?: string
  readonly requests?: ManifestInput['requests']
  /** Makes the module differ from another image's of the same name and version. */
  readonly salt?: string
  /** Layers (module and data) of exactly this many bytes, declared as the manifest's memory. */
  readonly exactBytes?: number
  /** The memory the manifest declares, written over the built one before signing. */
  readonly declaredBytes?: number
}

const DATA = Buffer.from('{"greeting": "hello"}\n')

function build(root: string, label: PoolLabel, options: BuildOptions): string {
  const dir = join(root, label)
  const name = options.name ?? 'echo'
  const text = Array.from({ length: 40 }, (_, line) => `${name} ${options.version}${options.salt ?? ''} instruction ${line} ${(line * 7919) % 1000}\n`).join('')
  const module = options.exactBytes === undefined ? Buffer.from(text) : Buffer.from(text.padEnd(options.exactBytes - DATA.length, '#').slice(0, options.exactBytes - DATA.length))
  buildImage({
    manifest: { name, version: options.version, entry: 'main', requests: options.requests ?? REQUESTS, limits: { memoryBytes: options.exactBytes ?? 4096 } }, manifestFile: `${label}/manifest.json`,
    module: { file: `${label}/module.bin`, bytes: module }, data: [{ file: `${label}/data.json`, bytes: DATA }], compression: 'brotli',
  }, dir)
  if (options.declaredBytes === undefined) options.signers.forEach((signer, index) => signImage(dir, signer, { add: index > 0 }))
  else {
    // signImage reads the image whole and refuses the lie: sign the manifest digest itself.
    rewriteManifest(dir, (text) => text.replace(`"memoryBytes": ${options.exactBytes ?? 4096}`, `"memoryBytes": ${options.declaredBytes}`))
    const manifest = (JSON.parse(readFileSync(layoutFile(dir, 'index.json'), 'utf8')) as OciIndex).manifests[0]!.digest
    for (const signer of options.signers) addSignatureBlob(dir, signManifest(manifest, signer))
  }
  return dir
}

/** Flips the low bit of the last byte of the image's module layer blob. */
function tamperLayer(dir: string): void {
  const file = readImage(dir).layers[0]!.file
  const bytes = readFileSync(file)
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01
  writeFileSync(file, bytes)
}

/** Rewrites the manifest's text with `change` and moves it to its new digest (index and signature subjects follow). */
function rewriteManifest(dir: string, change: (text: string) => string): void {
  const indexFile = layoutFile(dir, 'index.json')
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as OciIndex
  const old = blobPath(dir, index.manifests[0]!.digest)
  const text = change(readFileSync(old, 'utf8'))
  const digest = sha256Digest(Buffer.from(text))
  writeFileSync(blobPath(dir, digest), text)
  rmSync(old)
  index.manifests[0] = { ...index.manifests[0]!, digest, size: Buffer.byteLength(text) }
  for (const signature of index.manifests.slice(1)) signature.annotations![ANNOTATIONS.signatureSubject] = digest
  writeFileSync(`${indexFile}.tmp`, jsonText(index))
  renameSync(`${indexFile}.tmp`, indexFile)
}

/** Lowers the manifest's memory to 1 byte after signing. */
function tamperManifest(dir: string): void {
  rewriteManifest(dir, (text) => text.replace('"memoryBytes": 4096', '"memoryBytes": 1'))
}

/** Flips the low bit of the last byte of the image's first signature blob (in place: its descriptor's digest no longer matches, which the kernel never sees). */
function breakFirstSignature(dir: string): void {
  const file = blobPath(dir, readImage(dir).layout.signatures[0]!.digest)
  const bytes = readFileSync(file)
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01
  writeFileSync(file, bytes)
}

/** Lists `blob` as a signature of the image in `dir`, whatever manifest it signs. */
function addSignatureBlob(dir: string, blob: Uint8Array): void {
  const digest = sha256Digest(blob)
  writeFileSync(blobPath(dir, digest), blob)
  const indexFile = layoutFile(dir, 'index.json')
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as OciIndex
  index.manifests.push({ mediaType: MEDIA_TYPES.signature, digest, size: blob.length, annotations: { [ANNOTATIONS.signatureSubject]: index.manifests[0]!.digest } })
  writeFileSync(`${indexFile}.tmp`, jsonText(index))
  renameSync(`${indexFile}.tmp`, indexFile)
}

/** Gives the image in `dir` the signature blob of the image in `from` (a signature of another manifest). */
function borrowSignature(dir: string, from: string): void {
  addSignatureBlob(dir, readFileSync(blobPath(from, readImage(from).layout.signatures[0]!.digest)))
}

/**
 * Builds and signs the pool into `root` (which must exist), tampers with some of
 * the images, and reads them all back. The directories stay for the caller.
 * @public
 */
export function signPool(root: string): RealPool {
  const { release, attacker } = poolKeys()
  const keyring = releaseKeyring(release)
  const dirs: Record<PoolLabel, string> = {
    valid: build(root, 'valid', { version: '1.10.0', signers: [release] }),
    'wrong-key': build(root, 'wrong-key', { version: '1.10.1', signers: [attacker] }),
    'tampered-layer': build(root, 'tampered-layer', { version: '1.10.2', signers: [release] }),
    'tampered-manifest': build(root, 'tampered-manifest', { version: '1.10.3', signers: [release] }),
    older: build(root, 'older', { version: '1.9.1', signers: [release] }),
    cosigned: build(root, 'cosigned', { version: '1.10.4', signers: [attacker, release] }),
    matcher: build(root, 'matcher', { version: '2.0.0', signers: [release], requests: MATCHER_REQUESTS }),
    'at-floor': build(root, 'at-floor', { version: '1.9.2', signers: [release] }),
    prerelease: build(root, 'prerelease', { version: '1.9.2-rc.1', signers: [release] }),
    twin: build(root, 'twin', { version: '1.10.0', signers: [attacker], salt: ' twin' }),
    unsigned: build(root, 'unsigned', { version: '1.10.5', signers: [] }),
    split: build(root, 'split', { version: '1.10.6', signers: [release, attacker] }),
    borrowed: build(root, 'borrowed', { version: '1.10.7', signers: [] }),
    'other-name': build(root, 'other-name', { name: 'probe', version: '0.1.0', signers: [release] }),
    'memory-exact': build(root, 'memory-exact', { version: '1.10.8', signers: [release], exactBytes: EXACT_MEMORY_BYTES }),
    'memory-short': build(root, 'memory-short', { version: '1.10.9', signers: [release], exactBytes: EXACT_MEMORY_BYTES, declaredBytes: EXACT_MEMORY_BYTES - 1 }),
    'older-forged': build(root, 'older-forged', { version: '1.8.10', signers: [attacker] }),
  }
  tamperLayer(dirs['tampered-layer'])
  tamperManifest(dirs['tampered-manifest'])
  breakFirstSignature(dirs.split)
  borrowSignature(dirs.borrowed, dirs.valid)
  return poolOf(dirs, keyring)
}

/** The pool read from its signed directories. */
function poolOf(dirs: Record<PoolLabel, string>, keyring: Keyring): RealPool {
  const images = POOL_LABELS.map((label): PoolImage => ({ label, record: symbolicImage(dirs[label], keyring), bytes: loadImageBytes(dirs[label]) }))
  const config: BootConfig = { ...DEFAULT_BOOT, ...symbolicTrust(keyring, DEFAULT_BOOT.floors) }
  return {
    config, keyring, images, records: images.map((image) => image.record), bytes: images.map((image) => image.bytes),
    image: (label) => images.find((image) => image.label === label)!,
  }
}

let pool: RealPool | null = null

/** The directories {@link signPool} writes, one per label. */
function poolDirs(root: string): Record<PoolLabel, string> {
  return Object.fromEntries(POOL_LABELS.map((label) => [label, join(root, label)])) as Record<PoolLabel, string>
}

/** The keyring the pool's boot configuration trusts: the release key alone. */
function releaseKeyring(release: PrivateKey): Keyring {
  return new Map([[release.keyId, { algorithm: release.algorithm, keyId: release.keyId, publicKey: release.publicKey }]])
}

/** Reads a pool signed earlier into `root` back (the keyring from the same fixed seeds). */
function readPool(root: string): RealPool {
  return poolOf(poolDirs(root), releaseKeyring(poolKeys().release))
}

/** Marks a pool directory as complete: written last, so that a half-written cache is never read. */
const COMPLETE = 'complete'

/**
 * The pool, signed once per process (per worker thread) into a temporary directory
 * that is removed as soon as the images are read: the records and bytes stay in
 * memory. With `SILA_POOL_CACHE` set to a directory (the mutation oracle sets it:
 * thousands of short `sila check` runs on one unchanged pipeline), the signed
 * pool is kept there and read back by later processes instead of being built and
 * signed again; a cache is only read once complete, and is made whole by one
 * rename, so concurrent processes never see half of one.
 * @public
 */
export function realPool(): RealPool {
  if (pool !== null) return pool
  const cache = process.env['SILA_POOL_CACHE'] || null
  if (cache !== null && existsSync(join(cache, COMPLETE))) {
    pool = readPool(cache)
    return pool
  }
  // Beside the cache when there is one, so that keeping it is a rename on one file system.
  const root = mkdtempSync(join(cache === null ? tmpdir() : dirname(resolve(cache)), 'sila-pool-'))
  try {
    pool = signPool(root)
    if (cache !== null) keepPool(root, cache)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
  return pool
}

/** Moves a signed pool to `cache` when nothing is there yet (another process may have won the race: then its copy stays). */
function keepPool(root: string, cache: string): void {
  try {
    writeFileSync(join(root, COMPLETE), '')
    renameSync(root, cache)
  } catch {
    // The cache exists already (another process kept its pool) or cannot be written: this process's pool is in memory anyway.
  }
}
