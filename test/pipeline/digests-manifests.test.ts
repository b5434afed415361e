/**
 * Near-miss pins, generated manifests and near-miss digests at spawn.
 *
 * The oracle is pipeline.md §1 and pipeline/FORMAT.md, never the code under test:
 * a blob is taken only when its bytes are exactly what pins it, that is when the
 * sha256 of the bytes, written `sha256:<64 lowercase hex>`, equals the pinned
 * digest as a whole string and their length equals the pinned size; a compression
 * header pins its payload's length and the inflated content's length and digest the
 * same way; and a blob larger than the bound is refused. Near misses are generated
 * at every place a pin sits (a blob descriptor, the manifest descriptor of
 * `index.json`, a signature descriptor, a layer of the manifest, a module layer's
 * header): one hex digit changed at any of the 64 positions, a prefix, one digit
 * more, one letter upper case, `sha256:` dropped or upper case, a size one more or
 * one less; and, separately, the stored bytes changed (a bit flipped anywhere, a
 * byte appended, the last one dropped). A manifest changed this way is signed again
 * (one ML-DSA-65 signature per run) so that the signature is never the reason for a
 * refusal. Every reader must agree with the oracle: `readBlob`, `readImage`,
 * `verifyImage` on the directory and `KernelImageVerifier` on the bytes.
 *
 * Generated manifests (every role with every media type, 0–3 layers, with and
 * without a module layer, requests, limits, namespaces, names and versions near the
 * valid ones) are judged by a predicate written from FORMAT.md's manifest section;
 * `decodeManifest` must accept exactly what it accepts, and the kernel verifier,
 * which also adds up the layers, exactly that and a memory limit that holds them.
 *
 * Spawns name near misses of every pool digest: kernel.md §4 names an image by its
 * manifest digest, §8 makes a malformed argument `InvalidArgument`, and the model
 * (model/objects/processes.ts) answers `NotFound` for a well-formed digest outside
 * the pool; the impl kernel booted from the real pool's bytes must answer the same.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { brotliCompressSync } from 'node:zlib'
import * as E from 'fp-ts/lib/Either.js'
import { OBJECT_KINDS } from '../../spec/ids.js'
import { RIGHT_NAMES } from '../../spec/rights.js'
import type { BootConfig } from '../../spec/boot.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import type { Outcome } from '../../spec/results.js'
import type { ImageBytes } from '../../impl/images.js'
import { ImageError } from '../../pipeline/errors.js'
import { readBlob } from '../../pipeline/image/blobs.js'
import { MEDIA_TYPES } from '../../pipeline/image/layout.js'
import { decodeManifest } from '../../pipeline/image/manifest.js'
import { readImage } from '../../pipeline/image/reader.js'
import { signManifest } from '../../pipeline/image/signature.js'
import { verifyImage } from '../../pipeline/image/verify.js'
import { bootWithImages } from '../../pipeline/kernel/boot.js'
import { POOL_LABELS, POOL_VERDICTS, realPool } from '../../pipeline/kernel/pool.js'
import { KernelImageVerifier } from '../../pipeline/kernel/verify.js'
import { Kernel } from '../../impl/kernel.js'
import { implTarget } from '../../refinement/abstraction.js'
import type { RefinementTarget } from '../../refinement/target.js'
import { Coverage } from '../../properties/coverage.js'
import { runSuite } from '../../properties/run.js'
import { NEAR_MISS_CASE, pipelineSuite } from '../../properties/suites/pipeline.js'
import { cleanup, key, keyringOf, moduleBytes, temporaryDirectory } from './_support.js'

test.after(cleanup)

// Set when this file's tests start (uvu imports every file first, then runs them in turn).
let started = performance.now()
let lap = started
test.before(() => {
  started = performance.now()
  lap = started
})
/** Seconds since the previous call (each test's own time, printed with its counts). */
function lapSeconds(): string {
  const now = performance.now()
  const seconds = ((now - lap) / 1000).toFixed(1)
  lap = now
  return `${seconds} s`
}

// ---------------------------------------------------------------------------
// The oracle's own arithmetic (node:crypto, not the pipeline's helpers).

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** FORMAT.md: bytes match a pin iff their digest is the pinned string and their length the pinned size. */
function matchesPin(bytes: Uint8Array, pin: { readonly digest: string; readonly size: number }): boolean {
  return digestOf(bytes) === pin.digest && bytes.length === pin.size
}

/** A tally of named counts, printed and floored at the end of each test. */
class Tally {
  readonly counts = new Map<string, number>()
  add(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1)
  }
  get(name: string): number {
    return this.counts.get(name) ?? 0
  }
  text(filter: (name: string) => boolean = () => true): string {
    return [...this.counts].filter(([name]) => filter(name)).sort(([a], [b]) => a.localeCompare(b)).map(([name, count]) => `${count} ${name}`).join(', ')
  }
}

// ---------------------------------------------------------------------------
// Near-miss digests: every position, every spelling.

type DigestChange =
  | { readonly kind: 'exact' }
  | { readonly kind: 'digit'; readonly position: number; readonly step: number }
  | { readonly kind: 'prefix'; readonly length: number }
  | { readonly kind: 'extended'; readonly digit: number }
  | { readonly kind: 'upper'; readonly position: number }
  | { readonly kind: 'bare' }
  | { readonly kind: 'scheme' }

/** A near miss of any kind; a changed digit (well formed, another digest) most often, at any of the 64 positions. */
const nearMiss: fc.Arbitrary<DigestChange> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('digit' as const), position: fc.integer({ min: 0, max: 63 }), step: fc.integer({ min: 1, max: 15 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('prefix' as const), length: fc.integer({ min: 0, max: 63 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extended' as const), digit: fc.integer({ min: 0, max: 15 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('upper' as const), position: fc.integer({ min: 0, max: 63 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'bare' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'scheme' as const }) },
)
/** The digest itself, or a near miss. */
const digestChange: fc.Arbitrary<DigestChange> = fc.oneof({ weight: 1, arbitrary: fc.constant({ kind: 'exact' as const }) }, { weight: 3, arbitrary: nearMiss })

/** `digest` (`sha256:<64 hex>`) changed by `change`. */
function applyDigest(digest: string, change: DigestChange): string {
  const hex = digest.slice('sha256:'.length)
  switch (change.kind) {
    case 'exact': return digest
    case 'digit': {
      const digit = (Number.parseInt(hex[change.position]!, 16) + change.step) % 16
      return `sha256:${hex.slice(0, change.position)}${digit.toString(16)}${hex.slice(change.position + 1)}`
    }
    case 'prefix': return `sha256:${hex.slice(0, change.length)}`
    case 'extended': return `${digest}${change.digit.toString(16)}`
    case 'upper': {
      // The first letter at or after the position (cyclically); a digest of digits only is all upper case already.
      for (let offset = 0; offset < 64; offset++) {
        const at = (change.position + offset) % 64
        if (/[a-f]/.test(hex[at]!)) return `sha256:${hex.slice(0, at)}${hex[at]!.toUpperCase()}${hex.slice(at + 1)}`
      }
      return `SHA256:${hex}`
    }
    case 'bare': return hex
    case 'scheme': return `SHA256:${hex}`
  }
}

/** A name for the change, for tallies; a changed digit counts as early (the first 12 hex digits) or late. */
function changeName(change: DigestChange): string {
  return change.kind === 'digit' ? `digit ${change.position < 12 ? '0-11' : '12-63'}` : change.kind
}

/** Where the file of a pinned blob goes in a layout, if the pin can name a file at all (a bare or `SHA256:` digest cannot). */
function blobFile(dir: string, digest: string): string | null {
  return /^sha256:[0-9A-Fa-f]{1,65}$/.test(digest) ? join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)) : null
}

type StoredChange =
  | { readonly kind: 'intact' }
  | { readonly kind: 'flipped'; readonly position: number; readonly bit: number }
  | { readonly kind: 'appended'; readonly byte: number }
  | { readonly kind: 'truncated' }

const storedChange: fc.Arbitrary<StoredChange> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'intact' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flipped' as const), position: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('appended' as const), byte: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'truncated' as const }) },
)

function applyStored(bytes: Uint8Array, change: StoredChange): Uint8Array {
  switch (change.kind) {
    case 'intact': return bytes
    case 'flipped': {
      if (bytes.length === 0) return Uint8Array.of(1 << change.bit)
      const changed = Uint8Array.from(bytes)
      changed[change.position % bytes.length] = changed[change.position % bytes.length]! ^ (1 << change.bit)
      return changed
    }
    case 'appended': return Uint8Array.from([...bytes, change.byte])
    case 'truncated': return bytes.subarray(0, Math.max(0, bytes.length - 1))
  }
}

const sizeDelta = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1) })

// ---------------------------------------------------------------------------
// Fixtures: keys, blobs, layouts written by hand (no builder writes a near miss).

const KEY = key('release')
const KEYRING = keyringOf(KEY)
const BOOT_KEYRING: BootConfig['keyring'] = [{ keyId: KEY.keyId, algorithm: KEY.algorithm, publicKey: Buffer.from(KEY.publicKey).toString('base64') }]
const MEMORY_BYTES = 1 << 20

const MODULE_CONTENT = moduleBytes('near-miss')
const STORED_CONTENT = moduleBytes('stored')
const DATA_CONTENT = new Uint8Array(Buffer.from('{"greeting": "hello"}\n'))

interface HeaderFields {
  readonly algorithm: 'brotli' | 'none'
  readonly compressedSizeBytes: number
  readonly uncompressedSizeBytes: number
  readonly uncompressedDigest: string
}

/** A module layer blob as FORMAT.md lays it out: the header line, a newline, the payload. */
function moduleLayer(content: Uint8Array, algorithm: 'brotli' | 'none', change: (header: HeaderFields) => HeaderFields = (header) => header): Uint8Array {
  const payload = algorithm === 'brotli' ? new Uint8Array(brotliCompressSync(content)) : content
  const header = change({ algorithm, compressedSizeBytes: payload.length, uncompressedSizeBytes: content.length, uncompressedDigest: digestOf(content) })
  return new Uint8Array(Buffer.concat([Buffer.from(`${JSON.stringify({ format: 'sila-layer/1', ...header })}\n`), payload]))
}

const MODULE_BLOBS = { brotli: moduleLayer(MODULE_CONTENT, 'brotli'), none: moduleLayer(STORED_CONTENT, 'none') }

interface LayoutFiles {
  /** The manifest descriptor of index.json: what pins the manifest blob. */
  readonly manifestPin: { readonly digest: string; readonly size: number }
  /** The signature descriptors, each with the subject annotation naming `subject`. */
  readonly signaturePins: ReadonlyArray<{ readonly digest: string; readonly size: number }>
  readonly subject: string
  /** Files under blobs/sha256/, by the digest naming them (written only where that digest can name a file). */
  readonly blobs: ReadonlyArray<readonly [string, Uint8Array]>
}

/** Writes an OCI layout as FORMAT.md describes it into a fresh `dir`. */
function writeLayout(dir: string, files: LayoutFiles): string {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true })
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}\n')
  const index = {
    schemaVersion: 2, mediaType: MEDIA_TYPES.index,
    manifests: [
      { mediaType: MEDIA_TYPES.manifest, ...files.manifestPin },
      ...files.signaturePins.map((pin) => ({ mediaType: MEDIA_TYPES.signature, ...pin, annotations: { 'dev.sila.signature.subject': files.subject } })),
    ],
  }
  writeFileSync(join(dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`)
  for (const [digest, bytes] of files.blobs) {
    const file = blobFile(dir, digest)
    if (file !== null) writeFileSync(file, bytes)
  }
  return dir
}

/** Runs a reader: `'accepted'`, or the ImageError's reason; anything else thrown fails the test. */
function judged(read: () => unknown): string {
  try {
    read()
    return 'accepted'
  } catch (error) {
    if (error instanceof ImageError) return error.reason
    throw error
  }
}

// ---------------------------------------------------------------------------
// 1. One blob and its descriptor.

test('readBlob takes a blob iff its bytes have exactly the pinned digest and size and fit the bound', () => {
  const dir = temporaryDirectory()
  const signature = signManifest(digestOf(DATA_CONTENT), KEY)
  const candidates: ReadonlyArray<readonly [string, Uint8Array]> = [
    ['module layer', MODULE_BLOBS.brotli], ['stored module layer', MODULE_BLOBS.none], ['data layer', DATA_CONTENT], ['signature', signature], ['empty', new Uint8Array(0)],
  ]
  const tally = new Tally()
  fc.assert(fc.property(
    fc.record({ blob: fc.integer({ min: 0, max: candidates.length - 1 }), digest: digestChange, size: sizeDelta, stored: storedChange, bound: fc.constantFrom('default', 'at size', 'one under') }),
    (scenario) => {
      const [what, original] = candidates[scenario.blob]!
      const pin = { digest: applyDigest(digestOf(original), scenario.digest), size: original.length + scenario.size }
      const stored = applyStored(original, scenario.stored)
      const bound = scenario.bound === 'default' ? 64 << 20 : scenario.bound === 'at size' ? original.length : original.length - 1
      rmSync(join(dir, 'blobs'), { recursive: true, force: true })
      mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true })
      const file = blobFile(dir, pin.digest)
      if (file !== null) writeFileSync(file, stored)
      const expected = matchesPin(stored, pin) && stored.length <= bound
      let read: Uint8Array | null = null
      const verdict = judged(() => { read = readBlob(dir, pin, bound).bytes })
      assert.is(verdict === 'accepted', expected, `${what}: pin ${JSON.stringify(scenario)} gave ${verdict}`)
      if (expected) assert.equal(Buffer.from(read!), Buffer.from(stored))
      tally.add(expected ? 'taken' : 'refused')
      if (scenario.size === 0 && scenario.stored.kind === 'intact' && bound >= original.length) tally.add(`only the digest: ${changeName(scenario.digest)}`)
      if (scenario.digest.kind === 'exact' && scenario.stored.kind === 'intact' && scenario.size !== 0) tally.add('only the size')
      if (scenario.digest.kind === 'exact' && scenario.size === 0 && scenario.stored.kind !== 'intact') tally.add('only the bytes')
    },
  ), { numRuns: 500, seed: 0x2d1a })
  console.log(`  readBlob: 500 pins, ${tally.text()} (${lapSeconds()})`)
  assert.ok(tally.get('taken') >= 30 && tally.get('refused') >= 200, tally.text())
  assert.ok(tally.get('only the digest: digit 12-63') >= 40, 'a digit changed after the 12th, alone')
  assert.ok(tally.get('only the digest: digit 0-11') >= 8, 'a digit changed among the first 12, alone')
  for (const kind of ['prefix', 'extended', 'upper', 'bare', 'scheme']) assert.ok(tally.get(`only the digest: ${kind}`) >= 3, kind)
  assert.ok(tally.get('only the size') >= 15 && tally.get('only the bytes') >= 15, tally.text())
})

// ---------------------------------------------------------------------------
// 2. The descriptors of index.json: the manifest's and a signature's.

test('index.json: a manifest or signature descriptor a near miss of its blob is refused by readImage and verifyImage', () => {
  const root = temporaryDirectory()
  const manifest = { mediaType: MEDIA_TYPES.manifest, name: 'echo', version: '1.2.0', entry: 'main', requests: [], limits: { memoryBytes: MEMORY_BYTES }, layers: [
    { digest: digestOf(MODULE_BLOBS.brotli), mediaType: MEDIA_TYPES.moduleBrotli, size: MODULE_BLOBS.brotli.length, role: 'module' },
  ] }
  const manifestBytes = new Uint8Array(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`))
  const manifestDigest = digestOf(manifestBytes)
  const signature = signManifest(manifestDigest, KEY)
  const tally = new Tally()
  fc.assert(fc.property(
    fc.record({ target: fc.constantFrom('manifest', 'signature'), digest: digestChange, size: sizeDelta, stored: storedChange }),
    (scenario) => {
      const original = scenario.target === 'manifest' ? manifestBytes : signature
      const pin = { digest: applyDigest(digestOf(original), scenario.digest), size: original.length + scenario.size }
      const stored = applyStored(original, scenario.stored)
      const manifestPin = scenario.target === 'manifest' ? pin : { digest: manifestDigest, size: manifestBytes.length }
      const signaturePin = scenario.target === 'signature' ? pin : { digest: digestOf(signature), size: signature.length }
      const blobs: Array<readonly [string, Uint8Array]> = [
        [manifestPin.digest, scenario.target === 'manifest' ? stored : manifestBytes],
        [signaturePin.digest, scenario.target === 'signature' ? stored : signature],
        [digestOf(MODULE_BLOBS.brotli), MODULE_BLOBS.brotli],
      ]
      const intact = matchesPin(stored, pin)
      if (scenario.target === 'manifest') {
        // Unsigned, the manifest descriptor is all that pins the manifest: the unsigned reader (inspect, sign) must check it.
        const unsigned = writeLayout(join(root, 'unsigned'), { manifestPin, signaturePins: [], subject: manifestPin.digest, blobs })
        const verdict = judged(() => readImage(unsigned))
        assert.is(verdict === 'accepted', intact, `readImage: ${JSON.stringify(scenario)} gave ${verdict}`)
      }
      const signed = writeLayout(join(root, 'signed'), { manifestPin, signaturePins: [signaturePin], subject: manifestPin.digest, blobs })
      const verdict = judged(() => verifyImage(signed, { keyring: KEYRING }))
      assert.is(verdict === 'accepted', intact, `verifyImage: ${JSON.stringify(scenario)} gave ${verdict}`)
      tally.add(intact ? 'intact' : 'refused')
      if (scenario.size === 0 && scenario.stored.kind === 'intact') tally.add(`${scenario.target} only the digest: ${changeName(scenario.digest)}`)
      if (scenario.digest.kind === 'exact' && scenario.stored.kind === 'intact' && scenario.size !== 0) tally.add(`${scenario.target} only the size`)
    },
  ), { numRuns: 300, seed: 0x1dec })
  console.log(`  index.json descriptors: 300 layouts, ${tally.text()} (${lapSeconds()})`)
  assert.ok(tally.get('intact') >= 15 && tally.get('refused') >= 150, tally.text())
  for (const target of ['manifest', 'signature']) {
    assert.ok(tally.get(`${target} only the digest: digit 12-63`) >= 10, `${target}: a late digit alone`)
    assert.ok(tally.get(`${target} only the size`) >= 3, `${target}: the size alone`)
  }
})

// ---------------------------------------------------------------------------
// 3. The pins a signed manifest holds: layer descriptors and module headers.

type PinTarget = 'none' | 'layer digest' | 'layer size' | 'header digest' | 'header size' | 'payload size'

interface PinScenario {
  readonly layer: 'module' | 'data'
  readonly algorithm: 'brotli' | 'none'
  readonly target: PinTarget
  readonly digest: DigestChange
  readonly size: number
  readonly stored: StoredChange
}

const pinScenario: fc.Arbitrary<PinScenario> = fc.record({
  layer: fc.constantFrom('module' as const, 'data' as const),
  algorithm: fc.constantFrom('brotli' as const, 'none' as const),
  target: fc.oneof(
    { weight: 2, arbitrary: fc.constant('none' as const) },
    { weight: 4, arbitrary: fc.constant('layer digest' as const) },
    { weight: 2, arbitrary: fc.constant('layer size' as const) },
    { weight: 2, arbitrary: fc.constant('header digest' as const) },
    { weight: 1, arbitrary: fc.constantFrom('header size' as const, 'payload size' as const) },
  ),
  digest: nearMiss,
  size: fc.constantFrom(-1, 1),
  stored: storedChange,
})

/** What the oracle expects of one signed image, and the refusal reasons a directory reader may give. */
interface PinExpectation {
  readonly trusted: boolean
  /** For a scenario with one change only: the reasons FORMAT.md's table gives it. */
  readonly reasons: ReadonlyArray<string> | null
}

function reasonsFor(scenario: PinScenario): ReadonlyArray<string> | null {
  if (scenario.stored.kind !== 'intact' || scenario.target === 'none') return null
  if (scenario.target === 'layer digest' || scenario.target === 'header digest') return scenario.digest.kind === 'digit' ? ['digest-mismatch'] : ['malformed']
  // A pin one larger than the bytes: truncated (size-mismatch); one smaller: longer than declared (too-large).
  return [scenario.size > 0 ? 'size-mismatch' : 'too-large']
}

test('a signed manifest whose layer or header pins are near misses is refused by every reader, intact ones trusted', () => {
  const root = temporaryDirectory()
  const verifier = new KernelImageVerifier()
  const tally = new Tally()
  fc.assert(fc.property(pinScenario, (scenario) => {
    const onModule = scenario.layer === 'module' || scenario.target.startsWith('header') || scenario.target === 'payload size'
    const content = scenario.algorithm === 'brotli' ? MODULE_CONTENT : STORED_CONTENT
    const headerChange = (header: HeaderFields): HeaderFields => {
      switch (scenario.target) {
        case 'header digest': return { ...header, uncompressedDigest: applyDigest(header.uncompressedDigest, scenario.digest) }
        case 'header size': return { ...header, uncompressedSizeBytes: header.uncompressedSizeBytes + scenario.size }
        case 'payload size': return { ...header, compressedSizeBytes: header.compressedSizeBytes + scenario.size }
        default: return header
      }
    }
    const module = moduleLayer(content, scenario.algorithm, headerChange)
    const originals = { module, data: DATA_CONTENT }
    const changed: 'module' | 'data' = onModule ? 'module' : 'data'
    const pins = {
      module: { digest: digestOf(module), size: module.length },
      data: { digest: digestOf(DATA_CONTENT), size: DATA_CONTENT.length },
    }
    if (scenario.target === 'layer digest') pins[changed] = { ...pins[changed], digest: applyDigest(pins[changed].digest, scenario.digest) }
    if (scenario.target === 'layer size') pins[changed] = { ...pins[changed], size: pins[changed].size + scenario.size }
    const stored = { ...originals, [changed]: applyStored(originals[changed], scenario.stored) }
    const manifest = {
      mediaType: MEDIA_TYPES.manifest, name: 'echo', version: '1.2.0', entry: 'main', requests: [], limits: { memoryBytes: MEMORY_BYTES },
      layers: [
        { ...pins.module, mediaType: scenario.algorithm === 'brotli' ? MEDIA_TYPES.moduleBrotli : MEDIA_TYPES.moduleStored, role: 'module' },
        { ...pins.data, mediaType: MEDIA_TYPES.data, role: 'data' },
      ],
    }
    const manifestBytes = new Uint8Array(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`))
    const manifestDigest = digestOf(manifestBytes)
    const signature = signManifest(manifestDigest, KEY)

    // The oracle: every layer's stored bytes match their pin, and the header's pins match its payload and content.
    const headerIntact = scenario.target !== 'header digest' && scenario.target !== 'header size' && scenario.target !== 'payload size'
    const expected: PinExpectation = { trusted: matchesPin(stored.module, pins.module) && matchesPin(stored.data, pins.data) && headerIntact, reasons: reasonsFor(scenario) }

    const dir = writeLayout(join(root, 'image'), {
      manifestPin: { digest: manifestDigest, size: manifestBytes.length }, signaturePins: [{ digest: digestOf(signature), size: signature.length }], subject: manifestDigest,
      blobs: [[manifestDigest, manifestBytes], [digestOf(signature), signature], [pins.module.digest, stored.module], [pins.data.digest, stored.data]],
    })
    const verified = judged(() => verifyImage(dir, { keyring: KEYRING }))
    const read = judged(() => readImage(dir))
    const bytes: ImageBytes = { manifest: manifestBytes, layers: new Map([[pins.module.digest, stored.module], [pins.data.digest, stored.data]]), signatures: [signature] }
    const verdict = verifier.verify(bytes, manifestDigest, BOOT_KEYRING)
    const label = `${JSON.stringify(scenario)}: verifyImage ${verified}, readImage ${read}, kernel ${verdict.trusted ? 'trusted' : verdict.reason}`
    assert.is(verified === 'accepted', expected.trusted, label)
    assert.is(read === 'accepted', expected.trusted, label)
    assert.is(verdict.trusted, expected.trusted, label)
    if (expected.reasons !== null) {
      assert.ok(expected.reasons.includes(verified), `verifyImage's reason: ${label}`)
      assert.ok(expected.reasons.includes(read), `readImage's reason: ${label}`)
    }
    tally.add(expected.trusted ? 'trusted' : 'refused')
    if (scenario.stored.kind === 'intact' && scenario.target !== 'none') {
      const what = scenario.target.endsWith('digest') ? `${scenario.target} ${changeName(scenario.digest)}` : `${scenario.target} ${scenario.size > 0 ? '+1' : '-1'}`
      tally.add(`alone: ${what}${scenario.target.startsWith('layer') ? ` (${changed})` : ''}`)
    }
    if (scenario.target === 'none' && scenario.stored.kind !== 'intact') tally.add('alone: stored bytes changed')
  }), { numRuns: 200, seed: 0x9e45 })
  console.log(`  signed pins: 200 images re-signed, ${tally.text((name) => !name.startsWith('alone'))} (${lapSeconds()})`)
  console.log(`  one change alone: ${tally.text((name) => name.startsWith('alone'))}`)
  assert.ok(tally.get('trusted') >= 15 && tally.get('refused') >= 100, tally.text())
  const late = (target: string) => [...tally.counts].filter(([name]) => name.startsWith(`alone: ${target} digit 12-63`)).reduce((sum, [, count]) => sum + count, 0)
  assert.ok(late('layer digest') >= 10, 'a layer digest changed after its 12th digit, alone')
  assert.ok(late('header digest') >= 4, 'a header digest changed after its 12th digit, alone')
  for (const name of ['layer size +1 (module)', 'layer size -1 (module)', 'layer size +1 (data)', 'layer size -1 (data)']) assert.ok(tally.get(`alone: ${name}`) >= 2, name)
  assert.ok(['header size', 'payload size'].every((target) => tally.get(`alone: ${target} +1`) + tally.get(`alone: ${target} -1`) >= 3), 'header sizes alone')
  assert.ok(tally.get('alone: stored bytes changed') >= 3, 'stored bytes alone')
})

// ---------------------------------------------------------------------------
// 4. Generated manifests against FORMAT.md's manifest section.

const ABSENT = Symbol('absent')
type Value = unknown

/** A field's value and whether FORMAT.md allows it. */
interface Labeled {
  readonly value: Value
  readonly ok: boolean
}

/** Mostly one of `valid`, sometimes (1 in `1 + goodWeight / badWeight`) one of `invalid`. */
function labeled(valid: ReadonlyArray<Value>, invalid: ReadonlyArray<Value>, goodWeight = 14): fc.Arbitrary<Labeled> {
  return fc.oneof(
    { weight: goodWeight, arbitrary: fc.constantFrom(...valid).map((value) => ({ value, ok: true })) },
    { weight: 1, arbitrary: fc.constantFrom(...invalid).map((value) => ({ value, ok: false })) },
  )
}

const MANIFEST_MEDIA_TYPE = labeled([MEDIA_TYPES.manifest], [MEDIA_TYPES.index, 'application/vnd.sila.manifest.v2+json', 'application/vnd.sila.manifest.v1+JSON', ABSENT])
// FORMAT.md: a spec Name (1 to 64 of [A-Za-z0-9._-]) other than '.' and '..'.
const NAME = labeled(['echo', 'a', '...', 'A-b_c.9', 'x'.repeat(64)], ['', '.', '..', 'x'.repeat(65), 'a/b', 'ech o', 'échо', 7, ABSENT])
// semver 2.0.0, spelled exactly (no 'v', no '=', no spaces, no leading zeros, three numbers). Build metadata
// (`1.0.0+build.7`) is left out: semver 2.0.0 allows it, the spec's SemverCodec refuses it (reported, not decided here).
const VERSION = labeled(['1.2.0', '0.0.0', '10.20.30', '1.0.0-rc.1', '1.0.0-alpha.beta', '1.0.0-0.3.7'], ['1.2', 'v1.2.0', '=1.2.0', '01.2.0', '1.2.0.0', '', ' 1.2.0', '1.2.0-', '1.2.0+', 120, ABSENT])
const ENTRY = labeled(['main', '_start', 'init'], ['', 7, null, ABSENT])

/** One cap request: a kind and rights (no right twice), a purpose; a device name only on a device request. */
const REQUEST: fc.Arbitrary<Labeled> = fc.oneof(
  {
    weight: 14,
    arbitrary: fc.record({ kind: fc.constantFrom(...OBJECT_KINDS), rights: fc.shuffledSubarray([...RIGHT_NAMES]), purpose: fc.option(fc.constantFrom('a channel', ''), { nil: undefined }), device: fc.boolean() })
      .map(({ kind, rights, purpose, device }) => ({ value: { kind, rights, ...(purpose === undefined ? {} : { purpose }), ...(device && kind === 'device' ? { device: 'disk0' } : {}) }, ok: true })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Value>(
      { kind: 'widget', rights: ['read'] }, { kind: 'Endpoint', rights: ['read'] }, { kind: 'endpoint', rights: ['fly'] }, { kind: 'endpoint', rights: 'read' },
      { kind: 'endpoint', rights: ['read'], device: 'disk0' }, { kind: 'endpoint', rights: ['read'], priority: 1 }, { kind: 'endpoint', rights: ['read'], purpose: 7 }, { rights: ['read'] },
    ).map((value) => ({ value, ok: false })),
  },
)
const REQUESTS: fc.Arbitrary<Labeled> = fc.oneof(
  { weight: 14, arbitrary: fc.array(REQUEST, { maxLength: 3 }).map((requests) => ({ value: requests.map((request) => request.value), ok: requests.every((request) => request.ok) })) },
  { weight: 1, arbitrary: fc.constantFrom<Value>({ kind: 'endpoint', rights: [] }, 'none', ABSENT).map((value) => ({ value, ok: false })) },
)
const NAMESPACES = labeled(
  [ABSENT, { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' }, { pid: 'new', mount: 'new', net: 'share', ipc: 'new', user: { base: 1000, count: 100 } }],
  [{ pid: 'new', mount: 'share', net: 'share', ipc: 'share', user: 'new' }, { pid: 'new', mount: 'share', net: 'share', user: 'share' }, { pid: 'private', mount: 'share', net: 'share', ipc: 'share', user: 'share' }, { pid: 'new', mount: 'share', net: 'share', ipc: 'share', user: 'share', time: 'new' }],
)
/** An unknown top-level field ("refuses anything else"), or none. */
const EXTRA = labeled([ABSENT], ['annotations', 'nmae', 'layer'], 14)

const LAYER_MEDIA_TYPES = [MEDIA_TYPES.moduleBrotli, MEDIA_TYPES.moduleStored, MEDIA_TYPES.data] as const
const LAYER_ROLES = ['module', 'data'] as const
/** FORMAT.md's layer table: the role each media type goes with. */
const ROLE_OF: Readonly<Record<string, string>> = { [MEDIA_TYPES.moduleBrotli]: 'module', [MEDIA_TYPES.moduleStored]: 'module', [MEDIA_TYPES.data]: 'data' }

interface GeneratedLayer {
  readonly mediaType: Labeled
  readonly role: Labeled
  /** The layer's blob is pinned exactly, or by a malformed digest (upper case, prefix, bare). */
  readonly digest: 'exact' | 'upper' | 'prefix' | 'bare'
  readonly size: Labeled
  readonly extra: boolean
}

const LAYER: fc.Arbitrary<GeneratedLayer> = fc.record({
  mediaType: labeled([...LAYER_MEDIA_TYPES], ['application/vnd.oci.image.layer.v1.tar', MEDIA_TYPES.manifest, ABSENT], 20),
  // The role that goes with the media type most often, the other one often enough, an unknown one rarely.
  roleChoice: fc.oneof({ weight: 12, arbitrary: fc.constant('matching') }, { weight: 2, arbitrary: fc.constant('other') }, { weight: 1, arbitrary: fc.constantFrom('code', 'Module', ABSENT) }),
  digest: fc.oneof({ weight: 20, arbitrary: fc.constant('exact' as const) }, { weight: 1, arbitrary: fc.constantFrom('upper' as const, 'prefix' as const, 'bare' as const) }),
  size: labeled(['exact'], [-1, 1.5, '100', 2 ** 40 + 1, ABSENT], 20),
  extra: fc.oneof({ weight: 30, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
}).map(({ mediaType, roleChoice, digest, size, extra }) => {
  const matching = ROLE_OF[mediaType.value as string] ?? 'module'
  const role: Labeled = roleChoice === 'matching' ? { value: matching, ok: true }
    : roleChoice === 'other' ? { value: matching === 'module' ? 'data' : 'module', ok: true } : { value: roleChoice, ok: false }
  return { mediaType, role, digest, size, extra }
})

interface GeneratedManifest {
  readonly mediaType: Labeled
  readonly name: Labeled
  readonly version: Labeled
  readonly entry: Labeled
  readonly requests: Labeled
  readonly namespaces: Labeled
  readonly extra: Labeled
  readonly layers: ReadonlyArray<GeneratedLayer>
  /** How the memory limit relates to what the layers hold once inflated. */
  readonly memory: 'exact' | 'above' | 'bound' | 'short' | 'negative' | 'fraction' | 'text' | 'over bound' | 'absent' | 'extra field'
}

const MANIFEST: fc.Arbitrary<GeneratedManifest> = fc.record({
  mediaType: MANIFEST_MEDIA_TYPE, name: NAME, version: VERSION, entry: ENTRY, requests: REQUESTS, namespaces: NAMESPACES, extra: EXTRA,
  // 0 to 3 layers: none now and then, one to three mostly.
  layers: fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 8, arbitrary: fc.array(LAYER, { minLength: 1, maxLength: 3 }) }),
  memory: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('exact' as const, 'above' as const, 'bound' as const) },
    { weight: 2, arbitrary: fc.constant('short' as const) },
    { weight: 1, arbitrary: fc.constantFrom('negative' as const, 'fraction' as const, 'text' as const, 'over bound' as const, 'absent' as const, 'extra field' as const) },
  ),
})

/** The blob a layer of a media type pins (a module layer's content length is what it holds once inflated). */
const LAYER_BLOBS: Readonly<Record<string, { readonly blob: Uint8Array; readonly inflatedBytes: number }>> = {
  [MEDIA_TYPES.moduleBrotli]: { blob: MODULE_BLOBS.brotli, inflatedBytes: MODULE_CONTENT.length },
  [MEDIA_TYPES.moduleStored]: { blob: MODULE_BLOBS.none, inflatedBytes: STORED_CONTENT.length },
  [MEDIA_TYPES.data]: { blob: DATA_CONTENT, inflatedBytes: DATA_CONTENT.length },
}
const blobOfLayer = (layer: GeneratedLayer) => LAYER_BLOBS[layer.mediaType.value as string] ?? LAYER_BLOBS[MEDIA_TYPES.data]!

function withoutAbsent(fields: Record<string, Value>): Record<string, Value> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ABSENT))
}

/** The manifest's JSON object, and the bytes its layers hold once inflated. */
function manifestObject(generated: GeneratedManifest): { object: Record<string, Value>; inflatedBytes: number } {
  const inflatedBytes = generated.layers.reduce((sum, layer) => sum + blobOfLayer(layer).inflatedBytes, 0)
  const layers = generated.layers.map((layer) => {
    const { blob } = blobOfLayer(layer)
    const exact = digestOf(blob)
    const digest = layer.digest === 'exact' ? exact : layer.digest === 'upper' ? exact.toUpperCase() : layer.digest === 'prefix' ? exact.slice(0, 19) : exact.slice(7)
    return withoutAbsent({ digest, mediaType: layer.mediaType.value, size: layer.size.value === 'exact' ? blob.length : layer.size.value, role: layer.role.value, ...(layer.extra ? { compressed: true } : {}) })
  })
  const memoryBytes: Value = { exact: inflatedBytes, above: inflatedBytes + 4096, bound: 2 ** 40, short: inflatedBytes - 1, negative: -1, fraction: inflatedBytes + 0.5, text: String(inflatedBytes), 'over bound': 2 ** 40 + 1, absent: ABSENT, 'extra field': inflatedBytes }[generated.memory]
  const limits = withoutAbsent({ memoryBytes, ...(generated.memory === 'extra field' ? { cpuBudget: 10 } : {}) })
  const object = withoutAbsent({
    mediaType: generated.mediaType.value, name: generated.name.value, version: generated.version.value, entry: generated.entry.value,
    requests: generated.requests.value, limits, namespaces: generated.namespaces.value, layers,
    ...(generated.extra.value === ABSENT ? {} : { [generated.extra.value as string]: {} }),
  })
  return { object, inflatedBytes }
}

/**
 * FORMAT.md's rules a manifest breaks (none: a valid manifest). `memory` (the limit
 * holds the inflated layers) needs the layers read, so only the kernel verifier,
 * which reads them, applies it; `decodeManifest` applies every other rule.
 */
function brokenRules(generated: GeneratedManifest, inflatedBytes: number): string[] {
  const broken: string[] = []
  for (const field of ['mediaType', 'name', 'version', 'entry', 'requests', 'namespaces'] as const) if (!generated[field].ok) broken.push(field)
  if (!generated.extra.ok) broken.push('unknown field')
  if (['negative', 'fraction', 'text', 'over bound', 'absent', 'extra field'].includes(generated.memory) || (generated.memory === 'short' && inflatedBytes === 0)) broken.push('limits')
  if (generated.layers.some((layer) => !layer.mediaType.ok || !layer.role.ok || layer.digest !== 'exact' || !layer.size.ok || layer.extra)) broken.push('layer fields')
  const known = generated.layers.filter((layer) => layer.mediaType.ok && layer.role.ok)
  if (known.some((layer) => ROLE_OF[layer.mediaType.value as string] !== layer.role.value)) broken.push('role goes with media type')
  if (!known.some((layer) => ROLE_OF[layer.mediaType.value as string] === 'module' && layer.role.value === 'module')) broken.push('a module layer')
  if (generated.memory === 'short' && inflatedBytes > 0) broken.push('memory')
  return broken
}

test('generated manifests: decodeManifest and the kernel verifier accept exactly what FORMAT.md allows', () => {
  const verifier = new KernelImageVerifier()
  const layerBytes = new Map(Object.values(LAYER_BLOBS).map(({ blob }) => [digestOf(blob), blob]))
  const tally = new Tally()
  fc.assert(fc.property(MANIFEST, (generated) => {
    const { object, inflatedBytes } = manifestObject(generated)
    const broken = brokenRules(generated, inflatedBytes)
    const decodable = broken.every((rule) => rule === 'memory')
    const bytes = new Uint8Array(Buffer.from(`${JSON.stringify(object, null, 2)}\n`))
    const decoded = judged(() => decodeManifest(bytes, 'generated'))
    assert.is(decoded === 'accepted', decodable, `decodeManifest ${decoded}; broken: ${broken.join(', ') || 'none'}; ${JSON.stringify(object)}`)
    if (!decodable) assert.is(decoded, 'malformed', 'a manifest FORMAT.md refuses is malformed')
    const digest = digestOf(bytes)
    const verdict = verifier.verify({ manifest: bytes, layers: layerBytes, signatures: [signManifest(digest, KEY)] }, digest, BOOT_KEYRING)
    assert.is(verdict.trusted, broken.length === 0, `kernel ${verdict.trusted ? 'trusted' : verdict.reason}; broken: ${broken.join(', ') || 'none'}; ${JSON.stringify(object)}`)
    tally.add(broken.length === 0 ? 'valid' : 'invalid')
    for (const rule of broken) tally.add(`breaks ${rule}`)
    if (broken.length === 1) tally.add(`only ${broken[0]}`)
    if (generated.layers.length === 0) tally.add('layers: none')
    for (const layer of generated.layers) if (layer.mediaType.ok && layer.role.ok) tally.add(`combo ${String(layer.role.value)} × ${String(layer.mediaType.value).replace('application/vnd.sila.', '')}`)
  }), { numRuns: 400, seed: 0x3a5 })
  console.log(`  manifests: 400 generated, ${tally.get('valid')} valid, ${tally.get('invalid')} invalid (${lapSeconds()})`)
  console.log(`  rules broken (manifests): ${tally.text((name) => name.startsWith('breaks'))}`)
  console.log(`  the only rule broken: ${tally.text((name) => name.startsWith('only'))}`)
  console.log(`  layers: ${tally.text((name) => name.startsWith('combo') || name.startsWith('layers'))}`)
  assert.ok(tally.get('valid') >= 40 && tally.get('invalid') >= 200, `valid ${tally.get('valid')}`)
  for (const rule of ['role goes with media type', 'a module layer', 'memory']) assert.ok(tally.get(`only ${rule}`) >= 8, `only ${rule}: ${tally.get(`only ${rule}`)}`)
  for (const rule of ['mediaType', 'name', 'version', 'entry', 'requests', 'namespaces', 'unknown field', 'limits', 'layer fields']) assert.ok(tally.get(`only ${rule}`) >= 1, `only ${rule}: ${tally.get(`only ${rule}`)}`)
  for (const role of LAYER_ROLES) for (const mediaType of LAYER_MEDIA_TYPES) assert.ok(tally.get(`combo ${role} × ${mediaType.replace('application/vnd.sila.', '')}`) >= 5, `${role} × ${mediaType}`)
})

// ---------------------------------------------------------------------------
// 5. Near-miss digests at process_spawn.

const codeOf = (outcome: Outcome) => (E.isRight(outcome) ? 'success' : outcome.left.code)
/** kernel.md §8 and the spec's digest codec: a digest that is not `sha256:<64 lowercase hex>` is a malformed argument. */
const isWellFormedDigest = (text: string) => /^sha256:[0-9a-f]{64}$/.test(text)

test('process_spawn of a near miss of any pool digest: NotFound when well formed, InvalidArgument when not, from the model and the kernel alike', () => {
  const pool = realPool()
  const kernel = bootWithImages(pool.config, pool.bytes)
  const saved = kernel.snapshot()
  const booted = boot(pool.config, pool.records)
  const digests = new Set(pool.images.map((image) => image.record.digest))
  const spawnOf = (image: string) => ({ kind: 'process_spawn', caller: 0, container: 0, image, uid: 0, slots: 8, grants: [], dst: 15 })
  const tally = new Tally()
  fc.assert(fc.property(fc.record({ label: fc.integer({ min: 0, max: POOL_LABELS.length - 1 }), change: nearMiss }), ({ label, change }) => {
    const image = pool.images[label]!
    const near = applyDigest(image.record.digest, change)
    const expected = digests.has(near) ? null : isWellFormedDigest(near) ? 'NotFound' : 'InvalidArgument'
    assert.ok(expected !== null, `${near} is a pool digest`)
    kernel.restore(saved)
    const model = modelStep(booted, spawnOf(near))
    assert.is(codeOf(model.outcome), expected, `model: ${near} (${image.label}, ${JSON.stringify(change)})`)
    assert.is(codeOf(kernel.step(spawnOf(near))), expected, `kernel: ${near} (${image.label}, ${JSON.stringify(change)})`)
    // The digest itself, after the near miss, still answers the kernel's verdict on the image: the near miss changed nothing.
    assert.is(codeOf(kernel.step(spawnOf(image.record.digest))), POOL_VERDICTS[image.label], `kernel, ${image.label} after ${near}`)
    assert.is(codeOf(modelStep(model.state, spawnOf(image.record.digest)).outcome), POOL_VERDICTS[image.label], `model, ${image.label} after ${near}`)
    tally.add(`${changeName(change)}: ${expected}`)
    tally.add(`pool ${POOL_VERDICTS[image.label]}`)
  }), { numRuns: 300, seed: 0x5a4 })
  console.log(`  spawn near misses: 300, ${tally.text()} (${lapSeconds()})`)
  assert.ok(tally.get('digit 12-63: NotFound') >= 80 && tally.get('digit 0-11: NotFound') >= 15, tally.text())
  for (const kind of ['prefix', 'extended', 'upper', 'bare', 'scheme']) assert.ok(tally.get(`${kind}: InvalidArgument`) >= 10, kind)
  for (const verdict of ['success', 'SignatureInvalid', 'RollbackDenied']) assert.ok(tally.get(`pool ${verdict}`) >= 20, verdict)
})

test('the pipeline suite spawns near misses of pool digests, and catches a kernel that takes a digest by its first 12 hex digits', () => {
  const coverage = new Coverage()
  const scenarios = fc.sample(pipelineSuite.scenario(40), { numRuns: 80, seed: 0x4e4 })
  for (const scenario of scenarios) {
    assert.is(pipelineSuite.check(scenario, { target: implTarget as unknown as RefinementTarget, coverage }), null)
    coverage.endRun()
  }
  const near = [...coverage.cases].filter(([name]) => name.startsWith(NEAR_MISS_CASE))
  console.log(`  pipeline suite, ${scenarios.length} scenarios: ${near.map(([name, runs]) => `${name} in ${runs}`).join(', ')}`)
  assert.ok((coverage.cases.get(`${NEAR_MISS_CASE} (one hex digit): NotFound`) ?? 0) >= 8, 'a well-formed near miss, NotFound')
  assert.ok(near.filter(([name]) => name.endsWith(': InvalidArgument')).reduce((sum, [, runs]) => sum + runs, 0) >= 20, 'malformed near misses, InvalidArgument')
  // A kernel that finds an image by the first 12 hex digits of its digest (the impl, its lookup widened) must be caught.
  const lenient: RefinementTarget = {
    name: 'lenient', abstraction: implTarget.abstraction as never,
    create: (config, images) => {
      const kernel = Kernel.boot(config, images)
      const exact = kernel.step.bind(kernel)
      kernel.step = (syscall: unknown) => {
        const image = (syscall as { image?: unknown } | null)?.image
        const known = typeof image === 'string' ? images.find((record) => record.digest.slice(0, 19) === image.slice(0, 19)) : undefined
        return exact(known === undefined || (syscall as { kind?: unknown }).kind !== 'process_spawn' ? syscall : { ...(syscall as object), image: known.digest })
      }
      return kernel
    },
  }
  const caught = runSuite('pipeline', { suites: ['pipeline'], runs: 40, seed: 5, maxSteps: 30, target: lenient })
  assert.ok(caught.counterexample !== null, 'the lenient kernel is caught')
  assert.is(caught.counterexample.failure.invariant, 'REF-1')
  console.log(`  the lenient kernel: caught, shrunk to ${caught.counterexample.scenario.length} steps (${lapSeconds()})`)
})

test('timing', () => {
  console.log(`  digests-manifests: ${((performance.now() - started) / 1000).toFixed(1)} s`)
})

test.run()
