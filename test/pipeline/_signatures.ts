/**
 * Shared by test/pipeline/signature-lists: three keys, one unsigned image, a pool
 * of signature blobs of every kind a list can hold, boot keyrings in every shape
 * an entry can take, a writer that lays out any list (and any tampered byte) as
 * an image directory and as the bytes the kernel is handed, and the oracle.
 *
 * Everything slow is made once per process: ML-DSA signing costs milliseconds, so
 * each kind of blob is signed {@link COPIES} times up front (hedged signing gives
 * distinct blobs, and an index may not list one blob twice) and lists are
 * assembled from those.
 *
 * The oracle is written from pipeline.md §1 and kernel.md §4 alone: an image is
 * trusted when one of its signatures is by a key the keyring genuinely holds (an
 * entry with a public key whose sha256 begins with the entry's key id, of the
 * entry's algorithm), is over this manifest's digest and verifies, and every byte
 * the manifest pins is as pinned. A signature "verifies" in the model's record
 * under the same conditions, each signature judged alone.
 * @module
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BootConfig } from '../../spec/boot.js'
import type { ImageBytes } from '../../impl/images.js'
import { generateKey, signatureScheme, type Keyring, type PrivateKey, type PublicKey } from '../../pipeline/image/keys.js'
import { MEDIA_TYPES, ANNOTATIONS, type Descriptor } from '../../pipeline/image/layout.js'
import { readImage } from '../../pipeline/image/reader.js'
import { signedMessage, signManifest } from '../../pipeline/image/signature.js'
import { signedImage, temporaryDirectory } from './_support.js'

/** sha256 of `bytes` as a blob digest, computed here rather than by the pipeline. */
export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** What pipeline/keys.ts documents a key id to be: the first 16 hex digits of the public key's sha256. */
export function keyIdFromPublicKey(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex').slice(0, 16)
}

// ---------------------------------------------------------------------------
// Keys

/** T1 and T2 are the keys a keyring may trust; U is never trusted. T2 is ML-DSA-87, so a list mixes algorithms. */
export type KeyName = 'T1' | 'T2' | 'U'
export const KEY_NAMES: ReadonlyArray<KeyName> = ['T1', 'T2', 'U']

let keys: Record<KeyName, PrivateKey> | null = null
/** T1, T2 and U from fixed seeds, generated once per process. */
export function keysOf(): Record<KeyName, PrivateKey> {
  if (keys === null) {
    keys = {
      T1: generateKey('ML-DSA-65', new Uint8Array(32).fill(0x71)),
      T2: generateKey('ML-DSA-87', new Uint8Array(32).fill(0x72)),
      U: generateKey('ML-DSA-65', new Uint8Array(32).fill(0x75)),
    }
  }
  return keys
}

// ---------------------------------------------------------------------------
// Signature kinds

/**
 * The kinds of signature blob a list is drawn from. `signer` is the key id the
 * blob's header names ('' when the header cannot be read); `valid` is the key
 * that makes it count, if any keyring holding that key genuinely would (only
 * `T1` and `T2` ever count: every other kind is refused whatever the keyring).
 */
export const SIGNATURE_KINDS = [
  'T1', // by T1 over this manifest
  'T2', // by T2 over this manifest
  'U', // by U over this manifest: U is never in a keyring as a key
  'T1-other-manifest', // by T1, over another manifest's digest
  'T1-garbage', // header by T1 over this manifest, signature bytes flipped (same length)
  'U-as-T1', // U's valid signature over this manifest, its header naming T1 (and U's algorithm)
  'T2-as-T1', // T2's valid signature, header naming T1
  'U-as-T2', // U's valid signature, header naming T2
  'T1-as-T2', // T1's valid signature, header naming T2
  'unreadable', // no header, a truncated signature, an unknown algorithm, a header that fails its codec
  'T1-stale', // T1's valid blob listed under its digest, its stored bytes changed since (the kernel is handed the changed bytes)
] as const
export type SignatureKind = (typeof SIGNATURE_KINDS)[number]

/** How many distinct blobs of each kind there are: a list of at most 4 never needs more. */
export const COPIES = 4

/** The key id a blob of `kind` names in its header, or '' when its header cannot be read. */
export function headerSigner(kind: SignatureKind): string {
  const k = keysOf()
  switch (kind) {
    case 'T1': case 'T1-other-manifest': case 'T1-garbage': case 'U-as-T1': case 'T2-as-T1': case 'T1-stale': return k.T1.keyId
    case 'T2': case 'U-as-T2': case 'T1-as-T2': return k.T2.keyId
    case 'U': return k.U.keyId
    case 'unreadable': return ''
  }
}

/** The key that makes a blob of `kind` count when the keyring genuinely holds it: only honest signatures over this manifest. */
export function countingKey(kind: SignatureKind): 'T1' | 'T2' | null {
  return kind === 'T1' || kind === 'T2' ? kind : null
}

/** One blob of the pool: the bytes listed in the index (its descriptor's digest and size) and the bytes actually stored. */
export interface PooledBlob {
  readonly kind: SignatureKind
  readonly copy: number
  /** The descriptor's digest and size are of these bytes. */
  readonly listed: Uint8Array
  /** What is stored under that digest (and what the kernel is handed): `listed` except for `T1-stale`. */
  readonly stored: Uint8Array
}

/** Splits a framed blob into its header (parsed) and payload, as pipeline.md §1 describes the format. */
function unframe(blob: Uint8Array): { header: Record<string, unknown>; payload: Uint8Array } {
  const newline = blob.indexOf(0x0a)
  if (newline < 0) throw new Error('a signed blob without a header line (#1)')
  return { header: JSON.parse(Buffer.from(blob.subarray(0, newline)).toString('utf8')) as Record<string, unknown>, payload: blob.subarray(newline + 1) }
}

function reframe(header: Record<string, unknown>, payload: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), payload])
}

function flipped(bytes: Uint8Array, position: number): Uint8Array {
  const copy = Uint8Array.from(bytes)
  copy[position] = copy[position]! ^ 0x01
  return copy
}

/** A valid signature of `signer` over `manifestDigest`, relabelled as `named`'s. */
function relabelled(signer: PrivateKey, named: PrivateKey, manifestDigest: string): Uint8Array {
  const { header, payload } = unframe(signManifest(manifestDigest, signer))
  return reframe({ ...header, keyId: named.keyId }, payload)
}

/** Blob copy `copy` of `kind` over the manifest `manifest` (`other`: another manifest's digest). */
function makeBlob(kind: SignatureKind, copy: number, manifest: string, other: string): PooledBlob {
  const k = keysOf()
  const same = (bytes: Uint8Array): PooledBlob => ({ kind, copy, listed: bytes, stored: bytes })
  switch (kind) {
    case 'T1': return same(signManifest(manifest, k.T1))
    case 'T2': return same(signManifest(manifest, k.T2))
    case 'U': return same(signManifest(manifest, k.U))
    case 'T1-other-manifest': return same(signManifest(other, k.T1))
    case 'T1-garbage': {
      const { header, payload } = unframe(signManifest(manifest, k.T1))
      // A different byte of the signature per copy: its start, middle, near and at its end.
      const position = [0, Math.floor(payload.length / 2), payload.length - 40, payload.length - 1][copy]!
      return same(reframe(header, flipped(payload, position)))
    }
    case 'U-as-T1': return same(relabelled(k.U, k.T1, manifest))
    case 'T2-as-T1': return same(relabelled(k.T2, k.T1, manifest))
    case 'U-as-T2': return same(relabelled(k.U, k.T2, manifest))
    case 'T1-as-T2': return same(relabelled(k.T1, k.T2, manifest))
    case 'unreadable': {
      const { header, payload } = unframe(signManifest(manifest, k.T1))
      const blobs = [
        Buffer.from(`not a signature: no header line ${copy}`),
        reframe(header, payload.subarray(0, payload.length - 1)),
        reframe({ ...header, algorithm: 'ML-DSA-44' }, payload),
        reframe({ ...header, keyId: 'T1' }, payload),
      ]
      return same(blobs[copy]!)
    }
    case 'T1-stale': {
      const listed = signManifest(manifest, k.T1)
      return { kind, copy, listed, stored: flipped(listed, listed.length - 1 - copy) }
    }
  }
}

// ---------------------------------------------------------------------------
// The image

/** The unsigned image every list is laid out around, and the pool of blobs. */
export interface Fixture {
  /** The oci-layout file, the manifest and its descriptor, and the layer blobs (module first, then data). */
  readonly ociLayout: Uint8Array
  readonly manifestDescriptor: Descriptor
  readonly manifest: Uint8Array
  readonly manifestDigest: string
  readonly layers: ReadonlyArray<{ readonly digest: string; readonly bytes: Uint8Array; readonly role: 'module' | 'data' }>
  /** Where the manifest's free text (a request's purpose) sits: a byte flipped there keeps it decodable. */
  readonly purposeStart: number
  readonly purposeLength: number
  readonly blobs: ReadonlyMap<SignatureKind, ReadonlyArray<PooledBlob>>
  readonly name: string
  readonly version: string
}

let fixture: Fixture | null = null

/** Builds the image and signs the pool, once per process (they outlive the per-file temporary directories: bytes only). */
export function fixtureOf(): Fixture {
  if (fixture !== null) return fixture
  const dir = signedImage({ signer: null })
  const image = readImage(dir)
  const manifest = Uint8Array.from(image.manifestBytes)
  const manifestDigest = digestOf(manifest)
  // Another manifest: this one for another version.
  const other = digestOf(Buffer.from(Buffer.from(manifest).toString('utf8').replace(`"${image.manifest.version}"`, '"9.9.9"')))
  const text = Buffer.from(manifest).toString('latin1')
  const purpose = 'a channel to its parent'
  const purposeStart = text.indexOf(purpose)
  const blobs = new Map<SignatureKind, PooledBlob[]>()
  for (const kind of SIGNATURE_KINDS) blobs.set(kind, Array.from({ length: COPIES }, (_, copy) => makeBlob(kind, copy, manifestDigest, other)))
  fixture = {
    ociLayout: Uint8Array.from(readFileSync(join(dir, 'oci-layout'))),
    manifestDescriptor: image.layout.manifest,
    manifest, manifestDigest,
    layers: image.layers.map((layer) => ({ digest: layer.layer.digest, bytes: Uint8Array.from(layer.blob), role: layer.layer.role as 'module' | 'data' })),
    purposeStart, purposeLength: purpose.length, blobs,
    name: image.manifest.name, version: image.manifest.version,
  }
  checkFixture(fixture, other)
  return fixture
}

/**
 * The pool is what its kinds say, checked with the signature library directly (not
 * through the code under test): honest blobs verify under their signer's key over
 * this manifest, relabelled ones verify under the key that made them, garbage and
 * stale bytes under no key, and every blob of a kind is distinct.
 */
function checkFixture(made: Fixture, other: string): void {
  if (made.purposeStart < 0) throw new Error('the manifest has no purpose text to flip (#2)')
  if (made.layers.length !== 2 || made.layers[0]!.role !== 'module' || made.layers[1]!.role !== 'data') throw new Error('expected a module and a data layer (#3)')
  const k = keysOf()
  for (const name of KEY_NAMES) if (keyIdFromPublicKey(k[name].publicKey) !== k[name].keyId) throw new Error(`key ${name}'s id is not its public key's (#4)`)
  const verifiesBy = (bytes: Uint8Array, key: PrivateKey, digest: string): boolean => {
    const newline = bytes.indexOf(0x0a)
    if (newline < 0) return false
    try {
      return signatureScheme(key.algorithm).verify(bytes.subarray(newline + 1), signedMessage(digest), key.publicKey)
    } catch {
      return false
    }
  }
  const maker: Partial<Record<SignatureKind, [KeyName, string]>> = {
    T1: ['T1', made.manifestDigest], T2: ['T2', made.manifestDigest], U: ['U', made.manifestDigest], 'T1-other-manifest': ['T1', other],
    'U-as-T1': ['U', made.manifestDigest], 'T2-as-T1': ['T2', made.manifestDigest], 'U-as-T2': ['U', made.manifestDigest], 'T1-as-T2': ['T1', made.manifestDigest],
  }
  // An unreadable header in front of T1's valid signature (copies 2 and 3): the payload verifies, the blob must still be refused.
  const unreadableMaker = (copy: number): [KeyName, string] | undefined => (copy >= 2 ? ['T1', made.manifestDigest] : undefined)
  const seen = new Set<string>()
  for (const [kind, copies] of made.blobs) {
    for (const blob of copies) {
      const digest = digestOf(blob.listed)
      if (seen.has(digest)) throw new Error(`two blobs of the pool are the same (${kind}) (#5)`)
      seen.add(digest)
      const by = kind === 'unreadable' ? unreadableMaker(blob.copy) : maker[kind]
      for (const name of KEY_NAMES) {
        const expected = by !== undefined && by[0] === name
        if (verifiesBy(blob.stored, k[name], by?.[1] ?? made.manifestDigest) !== expected) throw new Error(`blob ${kind}#${blob.copy} under ${name}: expected ${expected} (#6)`)
      }
      if (kind === 'T1-stale' && !verifiesBy(blob.listed, k.T1, made.manifestDigest)) throw new Error('a stale blob was not valid when listed (#7)')
    }
  }
}

// ---------------------------------------------------------------------------
// Keyrings

/**
 * What a boot keyring holds under one key id: nothing; the key itself (with or
 * without its algorithm named); the id alone (a symbolic entry, verifying
 * nothing); the id with the untrusted key's public key or the other trusted key's;
 * or the key under the wrong algorithm.
 */
export const SLOT_STATES = ['absent', 'genuine', 'genuine-named', 'symbolic', 'claims-untrusted', 'claims-other', 'wrong-algorithm'] as const
export type SlotState = (typeof SLOT_STATES)[number]

/** A boot keyring: the entry under T1's id, under T2's, whether U's id is there alone, and the order of the entries. */
export interface KeyringShape {
  readonly T1: SlotState
  readonly T2: SlotState
  readonly U: 'absent' | 'symbolic'
  /** Sort keys of the entries T1, T2, U (ties keep that order). */
  readonly order: readonly [number, number, number]
}

/** Whether the boot keyring `shape` genuinely holds key `name`: an entry of its id with its own public key and algorithm. */
export function holds(shape: KeyringShape, name: KeyName): boolean {
  if (name === 'U') return false
  return shape[name] === 'genuine' || shape[name] === 'genuine-named'
}

function entryOf(name: 'T1' | 'T2', state: SlotState): BootConfig['keyring'][number] | null {
  const k = keysOf()
  const key = k[name]
  const otherName = name === 'T1' ? 'T2' : 'T1'
  const base64 = (publicKey: Uint8Array): string => Buffer.from(publicKey).toString('base64')
  switch (state) {
    case 'absent': return null
    case 'genuine': return { keyId: key.keyId, publicKey: base64(key.publicKey) }
    case 'genuine-named': return { keyId: key.keyId, algorithm: key.algorithm, publicKey: base64(key.publicKey) }
    case 'symbolic': return { keyId: key.keyId }
    case 'claims-untrusted': return { keyId: key.keyId, algorithm: k.U.algorithm, publicKey: base64(k.U.publicKey) }
    case 'claims-other': return { keyId: key.keyId, publicKey: base64(k[otherName].publicKey) }
    case 'wrong-algorithm': return { keyId: key.keyId, algorithm: key.algorithm === 'ML-DSA-65' ? 'ML-DSA-87' : 'ML-DSA-65', publicKey: base64(key.publicKey) }
  }
}

/** The boot configuration's keyring for `shape`: its entries in the shape's order, key ids distinct (a boot refuses one twice). */
export function bootKeyringOf(shape: KeyringShape): BootConfig['keyring'] {
  const entries: Array<[number, number, BootConfig['keyring'][number] | null]> = [
    [shape.order[0], 0, entryOf('T1', shape.T1)],
    [shape.order[1], 1, entryOf('T2', shape.T2)],
    [shape.order[2], 2, shape.U === 'symbolic' ? { keyId: keysOf().U.keyId } : null],
  ]
  entries.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  return entries.flatMap(([, , entry]) => (entry === null ? [] : [entry]))
}

/** The keys `shape` genuinely holds, as a keyring of verified public keys (what `readKeyring` gives for honest key files). */
export function genuineKeyring(shape: KeyringShape): Keyring {
  const k = keysOf()
  const held: PublicKey[] = (['T1', 'T2'] as const).filter((name) => holds(shape, name)).map((name) => k[name])
  return new Map(held.map((key) => [key.keyId, { algorithm: key.algorithm, keyId: key.keyId, publicKey: key.publicKey }]))
}

/** A keyring shape in a few words, for assertion messages. */
export function describeKeyring(shape: KeyringShape): string {
  return `T1:${shape.T1} T2:${shape.T2} U:${shape.U}`
}

// ---------------------------------------------------------------------------
// Tampering

/** A change made after signing: none, one byte of a layer or of the manifest's free text flipped, a layer a byte longer or shorter. */
export type Tamper =
  | { readonly kind: 'none' }
  | { readonly kind: 'layer-byte'; readonly layer: number; readonly position: number }
  | { readonly kind: 'layer-longer'; readonly layer: number }
  | { readonly kind: 'layer-shorter'; readonly layer: number }
  | { readonly kind: 'manifest-byte'; readonly position: number }

/** The image as laid out: one signature list, one tamper. */
export interface Scenario {
  readonly signatures: ReadonlyArray<SignatureKind>
  readonly tamper: Tamper
}

/** Each list entry's blob: the n-th occurrence of a kind takes its n-th copy. */
export function blobsOf(scenario: Scenario): PooledBlob[] {
  const made = fixtureOf()
  const seen = new Map<SignatureKind, number>()
  return scenario.signatures.map((kind) => {
    const copy = seen.get(kind) ?? 0
    seen.set(kind, copy + 1)
    return made.blobs.get(kind)![copy]!
  })
}

/** The manifest and layer bytes after `tamper`. */
function tampered(tamper: Tamper): { manifest: Uint8Array; layers: Uint8Array[] } {
  const made = fixtureOf()
  const layers = made.layers.map((layer) => layer.bytes)
  let manifest = made.manifest
  switch (tamper.kind) {
    case 'none': break
    case 'layer-byte': layers[tamper.layer] = flipped(layers[tamper.layer]!, tamper.position % layers[tamper.layer]!.length); break
    case 'layer-longer': layers[tamper.layer] = Buffer.concat([layers[tamper.layer]!, Buffer.from([0x0a])]); break
    case 'layer-shorter': layers[tamper.layer] = layers[tamper.layer]!.subarray(0, layers[tamper.layer]!.length - 1); break
    case 'manifest-byte': manifest = flipped(manifest, made.purposeStart + (tamper.position % made.purposeLength)); break
  }
  return { manifest, layers }
}

/** The bytes the kernel is handed for `scenario`: what a boot loader reads from its directory, byte for byte. */
export function imageBytesOf(scenario: Scenario): ImageBytes {
  const made = fixtureOf()
  const { manifest, layers } = tampered(scenario.tamper)
  return {
    manifest,
    layers: new Map(made.layers.map((layer, index) => [layer.digest, layers[index]!])),
    signatures: blobsOf(scenario).map((blob) => blob.stored),
  }
}

/** The signature descriptors of `scenario`, in list order. */
export function signatureDescriptorsOf(scenario: Scenario): Descriptor[] {
  const made = fixtureOf()
  return blobsOf(scenario).map((blob) => ({
    mediaType: MEDIA_TYPES.signature, digest: digestOf(blob.listed), size: blob.listed.length,
    annotations: { [ANNOTATIONS.signatureSubject]: made.manifestDigest },
  }))
}

let layouts = 0
/**
 * Writes `scenario` as an OCI image layout in a fresh directory under `root`: the
 * manifest and layer blobs under the digests the unsigned image gave them (so a
 * tampered blob sits where the manifest pins the original), each signature blob
 * under its listed digest, and an index listing the manifest then the signatures in
 * list order, each descriptor's subject this manifest (the index is the attacker's to write).
 */
export function writeLayout(root: string, scenario: Scenario): { dir: string; tamperedFile: string | null } {
  const made = fixtureOf()
  const dir = join(root, `image-${layouts++}`)
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true })
  const blobFile = (digest: string): string => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length))
  const { manifest, layers } = tampered(scenario.tamper)
  writeFileSync(join(dir, 'oci-layout'), made.ociLayout)
  writeFileSync(blobFile(made.manifestDigest), manifest)
  made.layers.forEach((layer, index) => writeFileSync(blobFile(layer.digest), layers[index]!))
  const descriptors = signatureDescriptorsOf(scenario)
  blobsOf(scenario).forEach((blob, index) => writeFileSync(blobFile(descriptors[index]!.digest), blob.stored))
  const index = { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [made.manifestDescriptor, ...descriptors] }
  writeFileSync(join(dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`)
  const tamper = scenario.tamper
  const tamperedFile = tamper.kind === 'none' ? null : blobFile(tamper.kind === 'manifest-byte' ? made.manifestDigest : made.layers[tamper.layer]!.digest)
  return { dir, tamperedFile }
}

/** A directory for the layouts of one test file. */
export function layoutRoot(): string {
  return temporaryDirectory()
}

// ---------------------------------------------------------------------------
// The oracle

/** What the spec says of one scenario under one keyring. */
export interface Expected {
  /** Every byte is as the manifest pins it (and the manifest is the one signed). */
  readonly intact: boolean
  /** Per signature: by a key the keyring genuinely holds, over this manifest, and it verifies (bytes aside). */
  readonly counts: ReadonlyArray<boolean>
  /** The signatures alone would let it run: some signature counts. */
  readonly signed: boolean
  /** The image may run: signed and intact. */
  readonly trusted: boolean
  /** The model's record of the signatures: each one's header signer and whether it verifies with intact bytes. */
  readonly record: ReadonlyArray<{ signer: string; verifies: boolean }>
  /** The manifest digest of the bytes (the kernel's name for them). */
  readonly digest: string
}

/** The oracle: what pipeline.md §1 and kernel.md §4 say of `scenario` under the boot keyring `shape`. */
export function expected(scenario: Scenario, shape: KeyringShape): Expected {
  const intact = scenario.tamper.kind === 'none'
  const counts = scenario.signatures.map((kind) => {
    const key = countingKey(kind)
    return key !== null && holds(shape, key)
  })
  const signed = counts.some((count) => count)
  return {
    intact, counts, signed, trusted: signed && intact,
    record: scenario.signatures.map((kind, index) => ({ signer: headerSigner(kind), verifies: intact && counts[index]! })),
    digest: digestOf(tampered(scenario.tamper).manifest),
  }
}

/** Whether `verifySignatures` can read a blob of `kind` and find its header's key in `keyring` (its refusal then comes first). */
export function namesKeyringKey(kind: SignatureKind, shape: KeyringShape): boolean {
  if (kind === 'unreadable' || kind === 'T1-stale') return false
  const signer = headerSigner(kind)
  return (['T1', 'T2'] as const).some((name) => holds(shape, name) && keysOf()[name].keyId === signer)
}

/** The refusal reason pipeline/signature.ts and blobs.ts document for a blob of `kind` that does not count. */
export function refusalReasons(kind: SignatureKind, copy: number, shape: KeyringShape): ReadonlyArray<string> {
  switch (kind) {
    case 'T1-other-manifest': return ['inconsistent']
    case 'T1-stale': return ['digest-mismatch']
    case 'unreadable': return copy === 2 ? ['unknown-algorithm'] : ['malformed']
    default: return namesKeyringKey(kind, shape) ? ['bad-signature'] : ['untrusted-key']
  }
}
