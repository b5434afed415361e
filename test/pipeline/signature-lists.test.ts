/**
 * Generated signature lists and keyrings against every verifier of the pipeline.
 *
 * An image carries 0–4 signature blobs of any kind in any order (honest ones by
 * trusted keys, one by an untrusted key, one of another manifest, garbage under a
 * trusted key's name, valid signatures relabelled with another key's id, blobs
 * that cannot be read, a blob changed since it was listed), perhaps with one byte
 * of a layer or of the manifest changed after signing, and the boot keyring holds
 * any mix of genuine entries, symbolic ones and entries that claim one key's id with
 * another key's public key. The oracle (test/pipeline/_signatures.ts) is
 * pipeline.md §1 and kernel.md §4: trusted iff one signature is by a key the
 * keyring genuinely holds, over this manifest, verifies, and every byte is intact.
 *
 * Every verifier must say the same: `verifySignatures` and `verifyImage` on the
 * directory, `bootKeyring` and `KernelImageVerifier.verify` on the bytes (verdict
 * and per-signature record), `symbolicImage`'s record, the impl kernel booted with
 * the real images (its verdict and what spawn answers) and the model booted with
 * the symbolic record. One verifier is shared by every boot of the property, and
 * each image is judged under two keyrings in turn by the same kernel-side images:
 * a verdict must never be remembered across keyrings or across signature lists.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { DEFAULT_BOOT, type BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import { boot } from '../../model/boot.js'
import { step } from '../../model/step.js'
import { Kernel } from '../../impl/kernel.js'
import type { ImageBytes, RealImages } from '../../impl/images.js'
import { ImageError } from '../../pipeline/errors.js'
import { blobPath, openLayout } from '../../pipeline/image/layout.js'
import { verifyImage, verifySignatures } from '../../pipeline/image/verify.js'
import { realImages } from '../../pipeline/kernel/boot.js'
import { loadImageBytes } from '../../pipeline/kernel/bytes.js'
import { bootKeyring, KernelImageVerifier } from '../../pipeline/kernel/verify.js'
import { symbolicImage } from '../../pipeline/symbolic.js'
import { cleanup } from './_support.js'
import {
  blobsOf, bootKeyringOf, describeKeyring, expected, fixtureOf, genuineKeyring, headerSigner, imageBytesOf, layoutRoot, namesKeyringKey,
  refusalReasons, signatureDescriptorsOf, SIGNATURE_KINDS, SLOT_STATES, writeLayout,
  type Expected, type KeyringShape, type Scenario, type SignatureKind, type SlotState, type Tamper,
} from './_signatures.js'

test.after(cleanup)

const RUNS = 400
const started = performance.now()

// ---------------------------------------------------------------------------
// Generators: general, weighted only so that the rarer outcomes are met often enough to count.

/** Any kind; the two honest ones a little more often, so that lists that should be trusted are not rare. */
const kindArbitrary: fc.Arbitrary<SignatureKind> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<SignatureKind>('T1', 'T2') },
  { weight: 8, arbitrary: fc.constantFrom<SignatureKind>(...SIGNATURE_KINDS) },
)

const tamperArbitrary: fc.Arbitrary<Tamper> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Tamper>({ kind: 'none' }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('layer-byte' as const), layer: fc.integer({ min: 0, max: 1 }), position: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('layer-longer' as const), layer: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('layer-shorter' as const), layer: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('manifest-byte' as const), position: fc.nat() }) },
)

// Lengths 0 to 4 about equally often (fc.array's bias would make a fifth of them empty).
const listArbitrary: fc.Arbitrary<SignatureKind[]> = fc.noBias(fc.integer({ min: 0, max: 4 })).chain((length) => fc.array(kindArbitrary, { minLength: length, maxLength: length }))
const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({ signatures: listArbitrary, tamper: tamperArbitrary })

const slotArbitrary: fc.Arbitrary<SlotState> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<SlotState>('genuine', 'genuine-named') },
  { weight: 4, arbitrary: fc.constantFrom<SlotState>(...SLOT_STATES) },
)

const shapeArbitrary: fc.Arbitrary<KeyringShape> = fc.record({
  T1: slotArbitrary, T2: slotArbitrary, U: fc.constantFrom('absent' as const, 'symbolic' as const),
  order: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3)),
})

/** Two keyrings an image is judged under in turn: unrelated, or the first with one entry (or the order) changed. */
const shapePairArbitrary: fc.Arbitrary<readonly [KeyringShape, KeyringShape]> = fc
  .tuple(shapeArbitrary, shapeArbitrary, fc.constantFrom('unrelated', 'unrelated', 'T1', 'T2', 'U', 'order'))
  .map(([first, other, change]) => [first, change === 'unrelated' ? other : { ...first, [change]: other[change] }] as const)

// ---------------------------------------------------------------------------
// Checks, one per verifier

function configOf(shape: KeyringShape): BootConfig {
  return { ...DEFAULT_BOOT, keyring: bootKeyringOf(shape), floors: {} }
}

const spawnOf = (image: string) => ({ kind: 'process_spawn', caller: 0, container: 0, image, uid: 0, slots: 4, grants: [], dst: 15 })
const outcomeCode = (outcome: E.Either<{ code: string }, unknown>): string => (E.isRight(outcome) ? 'success' : outcome.left.code)

/** Runs `body`, which must refuse with an ImageError; returns it. */
function refusal(body: () => unknown, what: string): ImageError {
  try {
    body()
  } catch (error) {
    if (error instanceof ImageError) return error
    throw error
  }
  assert.unreachable(`${what}: expected a refusal`)
  throw new Error('unreachable')
}

/** The keys bootKeyring finds are exactly those the keyring genuinely holds. */
function checkBootKeyring(config: BootConfig, shape: KeyringShape, label: string): void {
  const found = bootKeyring(config.keyring)
  const genuine = genuineKeyring(shape)
  assert.equal([...found.keys()].sort(), [...genuine.keys()].sort(), `${label}: bootKeyring's key ids`)
  for (const [keyId, key] of genuine) {
    assert.is(found.get(keyId)!.algorithm, key.algorithm, `${label}: ${keyId}'s algorithm`)
    assert.ok(Buffer.from(found.get(keyId)!.publicKey).equals(Buffer.from(key.publicKey)), `${label}: ${keyId}'s public key is the genuine one`)
  }
}

/** verifySignatures: the first counting signature, else the refusal of the first by a keyring key, else of the first. */
function checkVerifySignatures(dir: string, scenario: Scenario, shape: KeyringShape, oracle: Expected, label: string): ImageError | null {
  const keyring = genuineKeyring(shape)
  const layout = openLayout(dir)
  const descriptors = signatureDescriptorsOf(scenario)
  if (scenario.signatures.length === 0) {
    assert.is(refusal(() => verifySignatures(layout, keyring), label).reason, 'unsigned', `${label}: verifySignatures of an unsigned image`)
    return null
  }
  if (oracle.signed) {
    const first = oracle.counts.indexOf(true)
    const blob = verifySignatures(layout, keyring)
    assert.is(blob.digest, descriptors[first]!.digest, `${label}: verifySignatures returns the first signature that counts (#${first})`)
    return null
  }
  const error = refusal(() => verifySignatures(layout, keyring), `${label}: verifySignatures`)
  const byKeyring = scenario.signatures.findIndex((kind) => namesKeyringKey(kind, shape))
  const blamed = byKeyring >= 0 ? byKeyring : 0
  assert.is(error.file, blobPath(dir, descriptors[blamed]!.digest), `${label}: verifySignatures blames signature #${blamed}: ${error.message}`)
  const blob = blobsOf(scenario)[blamed]!
  assert.ok(refusalReasons(blob.kind, blob.copy, shape).includes(error.reason), `${label}: refusal of #${blamed} (${blob.kind}) is ${error.reason}: ${error.message}`)
  return error
}

/** verifyImage: trusted as the oracle says; the signer is the first counting signature's; a refusal of a signed image names the tampered blob. */
function checkVerifyImage(dir: string, tamperedFile: string | null, scenario: Scenario, shape: KeyringShape, oracle: Expected, signatureRefusal: ImageError | null, label: string): void {
  const keyring = genuineKeyring(shape)
  if (oracle.trusted) {
    const first = oracle.counts.indexOf(true)
    const verified = verifyImage(dir, { keyring })
    assert.is(verified.signer, headerSigner(scenario.signatures[first]!), `${label}: verifyImage's signer`)
    assert.is(verified.signature.digest, signatureDescriptorsOf(scenario)[first]!.digest, `${label}: verifyImage's signature`)
    return
  }
  const error = refusal(() => verifyImage(dir, { keyring }), `${label}: verifyImage`)
  if (oracle.signed) assert.is(error.file, tamperedFile, `${label}: a signed image is refused for the byte changed: ${error.message}`)
  else if (oracle.intact && signatureRefusal !== null) assert.is(error.message, signatureRefusal.message, `${label}: verifyImage refuses as verifySignatures does`)
}

/** The record the oracle gives, with the manifest's part from `record` (its requests are not what this test is about). */
function expectedRecord(oracle: Expected, record: ImageRecord): ImageRecord {
  const made = fixtureOf()
  return { digest: oracle.digest, name: made.name, version: made.version, signatures: oracle.record.map((signature) => ({ ...signature })), manifest: record.manifest }
}

/** KernelImageVerifier.verify on the bytes: the verdict, the reason, and each signature's `verifies`. */
function checkKernelVerdict(verifier: KernelImageVerifier, bytes: ImageBytes, config: BootConfig, oracle: Expected, label: string): ImageRecord {
  const verdict = verifier.verify(bytes, oracle.digest, config.keyring)
  assert.is(verdict.trusted, oracle.trusted, `${label}: the kernel verifier's verdict (${verdict.reason})`)
  assert.is(verdict.reason === '', oracle.trusted, `${label}: a reason iff refused`)
  assert.ok(verdict.record !== null, `${label}: the manifest decodes`)
  assert.equal(verdict.record, expectedRecord(oracle, verdict.record), `${label}: the kernel verifier's record`)
  return verdict.record
}

/** The impl kernel booted with the real images: its verdict, its record, and what spawn answers. */
function checkKernelBoot(real: RealImages, config: BootConfig, oracle: Expected, record: ImageRecord, label: string): string {
  const kernel = Kernel.boot(config, [], undefined, real)
  const info = kernel.images.get(oracle.digest)
  assert.ok(info !== undefined, `${label}: the kernel knows the image by its digest`)
  assert.is(info.trusted, oracle.trusted, `${label}: the booted kernel's verdict`)
  assert.equal(info.record, record, `${label}: the booted kernel's record`)
  const code = outcomeCode(kernel.step(spawnOf(oracle.digest)) as E.Either<{ code: string }, unknown>)
  assert.is(code, oracle.trusted ? 'success' : 'SignatureInvalid', `${label}: spawn`)
  return code
}

/** symbolicImage of the directory: the kernel's record; and the model booted with it answers spawn as the oracle says. */
function checkSymbolic(dir: string, config: BootConfig, shape: KeyringShape, oracle: Expected, record: ImageRecord, label: string): void {
  const symbolic = symbolicImage(dir, genuineKeyring(shape))
  assert.equal(symbolic, record, `${label}: symbolicImage's record is the kernel's`)
  const model = step(boot(config, [symbolic]), spawnOf(oracle.digest))
  assert.is(outcomeCode(model.outcome as E.Either<{ code: string }, unknown>), oracle.trusted ? 'success' : 'SignatureInvalid', `${label}: the model's spawn`)
}

/** Two images' bytes are the same, part by part (a Buffer and a Uint8Array of the same bytes count as equal). */
function assertSameBytes(actual: ImageBytes, wanted: ImageBytes, label: string): void {
  const same = (left: Uint8Array | undefined, right: Uint8Array): boolean => left !== undefined && Buffer.from(left).equals(Buffer.from(right))
  assert.ok(same(actual.manifest, wanted.manifest), `${label}: manifest`)
  assert.equal([...actual.layers.keys()], [...wanted.layers.keys()], `${label}: layer digests`)
  for (const [digest, layer] of wanted.layers) assert.ok(same(actual.layers.get(digest), layer), `${label}: layer ${digest}`)
  assert.is(actual.signatures.length, wanted.signatures.length, `${label}: signature count`)
  wanted.signatures.forEach((signature, index) => assert.ok(same(actual.signatures[index], signature), `${label}: signature #${index}`))
}

// ---------------------------------------------------------------------------
// Coverage

class Tally {
  readonly counts = new Map<string, number>()
  add(name: string, when = true): void {
    if (when) this.counts.set(name, (this.counts.get(name) ?? 0) + 1)
  }
  get(name: string): number {
    return this.counts.get(name) ?? 0
  }
}

function tallyJudgement(tally: Tally, scenario: Scenario, shape: KeyringShape, oracle: Expected): void {
  const kinds = scenario.signatures
  const firstCounting = oracle.counts.indexOf(true)
  const lastCounting = oracle.counts.lastIndexOf(true)
  tally.add('judgements')
  tally.add(oracle.trusted ? 'trusted' : 'refused')
  tally.add('unsigned', kinds.length === 0)
  tally.add('trusted, the first signature that counts not first', oracle.trusted && firstCounting > 0)
  tally.add('trusted, a failing signature after the last that counts', oracle.trusted && lastCounting < kinds.length - 1)
  tally.add('tampered with a signature that counts', oracle.signed && !oracle.intact)
  tally.add('refused, a failing blob naming a held key after the first', !oracle.signed && kinds.some((kind, index) => index > 0 && namesKeyringKey(kind, shape)))
  const claims = (slot: 'T1' | 'T2', state: SlotState, kind: SignatureKind) => shape[slot] === state && kinds.includes(kind)
  tally.add('a keyring entry claiming another key, with a signature by that key under the claimed id',
    claims('T1', 'claims-untrusted', 'U-as-T1') || claims('T1', 'claims-other', 'T2-as-T1') || claims('T2', 'claims-untrusted', 'U-as-T2') || claims('T2', 'claims-other', 'T1-as-T2'))
  tally.add('two or more signatures that count', oracle.counts.filter((count) => count).length >= 2)
  for (const kind of new Set(kinds)) tally.add(`kind ${kind}`)
  tally.add(`tamper ${scenario.tamper.kind}`)
  tally.add(`T1 ${shape.T1}`)
  tally.add(`T2 ${shape.T2}`)
}

// ---------------------------------------------------------------------------

test('generated signature lists, tampering and keyrings: every verifier agrees with "a genuinely trusted signature that verifies, and intact bytes"', () => {
  const root = layoutRoot()
  fixtureOf()
  const shared = new KernelImageVerifier()
  const tally = new Tally()
  fc.assert(fc.property(scenarioArbitrary, shapePairArbitrary, (scenario, [first, second]) => {
    const { dir, tamperedFile } = writeLayout(root, scenario)
    const bytes = loadImageBytes(dir)
    assertSameBytes(bytes, imageBytesOf(scenario), 'the boot loader reads the bytes laid out')
    // One byte set, one kernel-side image list, one verifier: judged under the first keyring, then the second.
    const real = realImages([bytes], shared)
    const codes: string[] = []
    for (const [which, shape] of [['first', first], ['then', second]] as const) {
      const label = `[${scenario.signatures.join(', ')}] ${scenario.tamper.kind}, ${which} keyring ${describeKeyring(shape)}`
      const oracle = expected(scenario, shape)
      const config = configOf(shape)
      tallyJudgement(tally, scenario, shape, oracle)
      checkBootKeyring(config, shape, label)
      const signatureRefusal = checkVerifySignatures(dir, scenario, shape, oracle, label)
      checkVerifyImage(dir, tamperedFile, scenario, shape, oracle, signatureRefusal, label)
      const record = checkKernelVerdict(new KernelImageVerifier(), bytes, config, oracle, `${label}, fresh verifier`)
      checkKernelVerdict(shared, bytes, config, oracle, `${label}, shared verifier`)
      codes.push(checkKernelBoot(real, config, oracle, record, label))
      checkSymbolic(dir, config, shape, oracle, record, label)
    }
    tally.add('image judged differently under its two keyrings', codes[0] !== codes[1])
  }), { numRuns: RUNS, seed: Number(process.env.SIGNATURE_LISTS_SEED ?? 0x51e1), includeErrorInReport: true })

  const shown = [
    'judgements', 'trusted', 'refused', 'unsigned', 'trusted, the first signature that counts not first', 'trusted, a failing signature after the last that counts',
    'tampered with a signature that counts', 'refused, a failing blob naming a held key after the first',
    'a keyring entry claiming another key, with a signature by that key under the claimed id', 'two or more signatures that count', 'image judged differently under its two keyrings',
  ]
  console.log(`  signature lists: ${RUNS} images, ${shown.map((name) => `${tally.get(name)} ${name}`).join('; ')}`)
  console.log(`  met: ${[...tally.counts].filter(([name]) => /^(kind|tamper|T1|T2) /.test(name)).sort(([a], [b]) => a.localeCompare(b)).map(([name, count]) => `${name} ${count}`).join(', ')}`)
  // Floors: the property must not go vacuous on any of the cases it is about.
  const floors: Array<[string, number]> = [
    ['trusted', 80], ['refused', 150], ['unsigned', 20], ['trusted, the first signature that counts not first', 25], ['trusted, a failing signature after the last that counts', 25],
    ['tampered with a signature that counts', 25], ['refused, a failing blob naming a held key after the first', 25],
    ['a keyring entry claiming another key, with a signature by that key under the claimed id', 8], ['two or more signatures that count', 10],
    ['image judged differently under its two keyrings', 15],
  ]
  for (const [name, floor] of floors) assert.ok(tally.get(name) >= floor, `coverage: ${name}: ${tally.get(name)} < ${floor}`)
  for (const kind of SIGNATURE_KINDS) assert.ok(tally.get(`kind ${kind}`) >= 20, `coverage: kind ${kind}`)
  for (const state of SLOT_STATES) assert.ok(tally.get(`T1 ${state}`) >= 20 && tally.get(`T2 ${state}`) >= 20, `coverage: keyring entry ${state}`)
  for (const kind of ['none', 'layer-byte', 'layer-longer', 'layer-shorter', 'manifest-byte']) assert.ok(tally.get(`tamper ${kind}`) >= 20, `coverage: tamper ${kind}`)
})

test('one image, every keyring entry in turn, one verifier and one kernel-side image list: each keyring gets its own verdict, in either order', () => {
  const root = layoutRoot()
  // An image signed by T1 alone, one by T1 and T2 after U, one carrying U's and T2's signatures relabelled as T1's.
  const scenarios: Scenario[] = [
    { signatures: ['T1'], tamper: { kind: 'none' } },
    { signatures: ['U', 'T2', 'T1'], tamper: { kind: 'none' } },
    { signatures: ['U-as-T1', 'T2-as-T1'], tamper: { kind: 'none' } },
  ]
  const shapes: KeyringShape[] = SLOT_STATES.flatMap((T1) => SLOT_STATES.map((T2): KeyringShape => ({ T1, T2, U: 'absent', order: [0, 1, 2] })))
  let judged = 0
  let changes = 0
  for (const scenario of scenarios) {
    const { dir } = writeLayout(root, scenario)
    const bytes = loadImageBytes(dir)
    const verifier = new KernelImageVerifier()
    const real = realImages([bytes], verifier)
    // Keyrings that trust the image alternate with keyrings that do not, forwards then backwards: each verdict follows an opposite one.
    const trusting = shapes.filter((shape) => expected(scenario, shape).trusted)
    const refusing = shapes.filter((shape) => !expected(scenario, shape).trusted)
    const alternating = Array.from({ length: Math.max(trusting.length, refusing.length) }, (_, index) => [trusting[index], refusing[index]]).flat().filter((shape) => shape !== undefined)
    let previous: boolean | null = null
    for (const shape of [...alternating, ...[...alternating].reverse()]) {
      const oracle = expected(scenario, shape)
      const config = configOf(shape)
      const label = `[${scenario.signatures.join(', ')}] under ${describeKeyring(shape)}`
      const record = checkKernelVerdict(verifier, bytes, config, oracle, label)
      const code = checkKernelBoot(real, config, oracle, record, label)
      judged++
      if (previous !== null && previous !== oracle.trusted) changes++
      previous = code === 'success'
    }
    // symbolicImage, once per keyring.
    for (const shape of shapes) assert.equal(symbolicImage(dir, genuineKeyring(shape)).signatures, expected(scenario, shape).record, `${describeKeyring(shape)}: symbolicImage`)
  }
  console.log(`  ${judged} verdicts of 3 images under ${shapes.length} keyrings, forwards and backwards: the verdict changed ${changes} times from one keyring to the next`)
  assert.ok(changes >= 30, `coverage: the verdict changed only ${changes} times between consecutive keyrings`)
})

test('two kernels booted with different keyrings on the same image bytes: each spawns as its own keyring says', () => {
  const root = layoutRoot()
  const { dir } = writeLayout(root, { signatures: ['T2-as-T1', 'T1'], tamper: { kind: 'none' } })
  const bytes = loadImageBytes(dir)
  const verifier = new KernelImageVerifier()
  const real = realImages([bytes], verifier)
  const digest = fixtureOf().manifestDigest
  const withT1: KeyringShape = { T1: 'genuine', T2: 'absent', U: 'absent', order: [0, 1, 2] }
  const claimingT2: KeyringShape = { T1: 'claims-other', T2: 'genuine', U: 'absent', order: [0, 1, 2] }
  // Boot both before either spawns, then spawn in both: neither verdict leaks into the other kernel.
  const trusting = Kernel.boot(configOf(withT1), [], undefined, real)
  const refusing = Kernel.boot(configOf(claimingT2), [], undefined, real)
  assert.is(outcomeCode(refusing.step(spawnOf(digest)) as E.Either<{ code: string }, unknown>), 'SignatureInvalid', 'T1\'s id with T2\'s key: the relabelled signature must not pass')
  assert.is(outcomeCode(trusting.step(spawnOf(digest)) as E.Either<{ code: string }, unknown>), 'success', 'T1 genuinely held: its signature passes')
  assert.equal(trusting.images.get(digest)!.record.signatures.map((signature) => signature.verifies), [false, true])
  assert.equal(refusing.images.get(digest)!.record.signatures.map((signature) => signature.verifies), [false, false])
  assert.is(verifier.verifications, 2, 'one verification per boot')
})

test.after(() => {
  console.log(`  signature-lists: ${((performance.now() - started) / 1000).toFixed(1)} s`)
})

test.run()
