import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { boot } from '../../model/boot.js'
import { BootError as ModelBootError } from '../../model/boot-system.js'
import { step } from '../../model/step.js'
import { Kernel } from '../../impl/kernel.js'
import { BootError as ImplBootError } from '../../impl/boot.js'
import { manifestDigest, type ImageBytes } from '../../impl/images.js'
import { abstractState, implTarget } from '../../refinement/abstraction.js'
import { runLockstep } from '../../refinement/lockstep.js'
import type { RefinementTarget } from '../../refinement/target.js'
import { symbolicImage } from '../../pipeline/symbolic.js'
import { bootWithImages, realImages } from '../../pipeline/kernel/boot.js'
import { loadImageBytes } from '../../pipeline/kernel/bytes.js'
import { POOL_LABELS, POOL_VERDICTS, realPool, signPool, type RealPool } from '../../pipeline/kernel/pool.js'
import { KernelImageVerifier, symbolicRecordOfBytes } from '../../pipeline/kernel/verify.js'
import { DUPLICATE_REFUSED, pipelineSuite } from '../../properties/suites/pipeline.js'
import { runSuite } from '../../properties/run.js'
import { Coverage, GRANT_CASES } from '../../properties/coverage.js'
import { sila } from '../cli/run.js'
import { cleanup, temporaryDirectory } from './_support.js'

test.after(cleanup)

const spawnOf = (image: string, dst = 15) => ({ kind: 'process_spawn', caller: 0, container: 0, image, uid: 0, slots: 4, grants: [], dst })
const code = (outcome: ReturnType<Kernel['step']>) => (E.isRight(outcome) ? 'success' : outcome.left.code)

/** A pool signed into a directory that stays (for symbolicImage), once. */
let signed: { pool: RealPool; dirs: Record<string, string> } | null = null
function signedPool(): { pool: RealPool; dirs: Record<string, string> } {
  if (signed === null) {
    const root = temporaryDirectory()
    signed = { pool: signPool(root), dirs: Object.fromEntries(POOL_LABELS.map((label) => [label, join(root, label)])) }
  }
  return signed
}

test('the kernel verifies the pool itself: each image trusted or refused and above or below the floor as POOL_VERDICTS says', () => {
  const pool = realPool()
  const verifier = new KernelImageVerifier()
  const kernel = bootWithImages(pool.config, pool.bytes, { verifier })
  for (const image of pool.images) {
    const info = kernel.images.get(image.record.digest)
    assert.ok(info !== undefined, image.label)
    assert.is(info.trusted, POOL_VERDICTS[image.label] !== 'SignatureInvalid', image.label)
    // (older-forged is below the floor too, but untrusted: the signature's verdict answers first.)
    assert.is(info.aboveFloor, POOL_VERDICTS[image.label] !== 'RollbackDenied' && image.label !== 'older-forged', image.label)
  }
  assert.match(verifier.verdicts.get(pool.image('wrong-key').record.digest)!.reason, /not in the keyring/)
  assert.match(verifier.verdicts.get(pool.image('tampered-layer').record.digest)!.reason, /mix-and-match/)
  assert.match(verifier.verdicts.get(pool.image('tampered-manifest').record.digest)!.reason, /signs the manifest sha256:\w+, not this image's/)
  // Each spawn answers the kernel's verdict.
  for (const image of pool.images) {
    assert.is(code(kernel.step(spawnOf(image.record.digest))), POOL_VERDICTS[image.label], image.label)
    kernel.step({ kind: 'cap_delete', caller: 0, slot: 15 })
  }
})

test('the kernel\'s records are the model\'s: symbolicImage of each directory equals the record of its bytes, and ksImages agree', () => {
  const { pool, dirs } = signedPool()
  for (const image of pool.images) {
    assert.equal(symbolicRecordOfBytes(loadImageBytes(dirs[image.label]!), pool.config.keyring), symbolicImage(dirs[image.label]!, pool.keyring), image.label)
    assert.equal(image.record, symbolicImage(dirs[image.label]!, pool.keyring), image.label)
  }
  const kernel = bootWithImages(pool.config, pool.bytes)
  assert.equal(abstractState(kernel).ksImages, boot(pool.config, pool.records).ksImages)
})

test('spawn uses the kernel\'s own verdict, not a record\'s claim; a record and bytes of one digest are refused at boot', () => {
  const pool = realPool()
  const tampered = pool.image('tampered-layer')
  const lying = { ...tampered.record, signatures: [{ signer: tampered.record.signatures[0]!.signer, verifies: true }] }
  // Symbolic alone, the lie is believed (that is what the model's records are for)...
  assert.is(code(Kernel.boot(pool.config, [lying]).step(spawnOf(lying.digest))), 'success')
  // ...but given the bytes, the kernel decides...
  const kernel = Kernel.boot(pool.config, [], undefined, realImages([tampered.bytes]))
  assert.is(kernel.images.get(lying.digest)!.trusted, false)
  assert.equal(kernel.images.get(lying.digest)!.record.signatures, tampered.record.signatures)
  assert.is(code(kernel.step(spawnOf(lying.digest))), 'SignatureInvalid')
  // ...and the record and the bytes together name the digest twice: no boot.
  refusedAtBoot(() => Kernel.boot(pool.config, [lying], undefined, realImages([tampered.bytes])), '$.images[1]', lying.digest)
})

/** Refused at boot with a BootError at `path` naming `digest`. */
function refusedAtBoot(body: () => unknown, path: string, digest: string): void {
  assert.throws(body, (error: unknown) => error instanceof ImplBootError && error.path === path && error.message.includes(digest))
}

/** The valid image's manifest with its module layer changed: another byte set under the same digest. */
function withTamperedLayer(image: ImageBytes): ImageBytes {
  const layers = new Map(image.layers)
  const [digest, bytes] = [...layers][0]!
  const changed = Uint8Array.from(bytes)
  changed[changed.length - 1] = changed[changed.length - 1]! ^ 1
  layers.set(digest, changed)
  return { ...image, layers }
}

test('one digest, one pool entry: a digest offered twice is refused at boot, in either order, by model and impl alike', () => {
  const pool = realPool()
  const valid = pool.image('valid')
  const cosigned = pool.image('cosigned')
  const attackerOnly: ImageBytes = { ...cosigned.bytes, signatures: cosigned.bytes.signatures.slice(0, 1) }
  const releaseOnly: ImageBytes = { ...cosigned.bytes, signatures: cosigned.bytes.signatures.slice(1) }
  // Before: the kernel kept the first byte set's verdict, so the order decided whether a tampered layer ran or a signed image was refused.
  for (const [first, second] of [
    [valid.bytes, valid.bytes], [valid.bytes, withTamperedLayer(valid.bytes)], [withTamperedLayer(valid.bytes), valid.bytes],
    [attackerOnly, releaseOnly], [releaseOnly, attackerOnly],
  ] as const) {
    const verifier = new KernelImageVerifier()
    const digest = manifestDigest(first)
    refusedAtBoot(() => bootWithImages(pool.config, [pool.image('older').bytes, first, second], { verifier }), '$.images[2]', digest)
    assert.is(verifier.verifications, 0, 'refused before anything is verified')
  }
  // The model refuses the same pool of records, at the same place, in the same words.
  const records = [pool.image('older').record, cosigned.record, { ...cosigned.record, signatures: cosigned.record.signatures.slice(0, 1) }]
  let model: unknown = null
  try { boot(pool.config, records) } catch (error) { model = error }
  assert.ok(model instanceof ModelBootError)
  assert.is(model.path, '$.images[2]')
  let impl: unknown = null
  try { Kernel.boot(pool.config, records) } catch (error) { impl = error }
  assert.ok(impl instanceof ImplBootError)
  assert.is(impl.message, model.message)
  assert.match(model.message, new RegExp(`names ${cosigned.record.digest} a second time \\(first at \\$\\.images\\[1\\]\\)`))
})

test('an entry carries all its signatures: valid when any one verifies by a trusted key, whatever their order', () => {
  const pool = realPool()
  const cosigned = pool.image('cosigned')
  const [attacker, release] = cosigned.bytes.signatures as [Uint8Array, Uint8Array]
  for (const signatures of [[attacker, release], [release, attacker], [release], [attacker]]) {
    const kernel = bootWithImages(pool.config, [{ ...cosigned.bytes, signatures }])
    const trusted = signatures.includes(release)
    assert.is(kernel.images.get(cosigned.record.digest)!.trusted, trusted)
    assert.is(code(kernel.step(spawnOf(cosigned.record.digest))), trusted ? 'success' : 'SignatureInvalid')
    // The model, from the records of the same bytes, agrees.
    const record = symbolicRecordOfBytes({ ...cosigned.bytes, signatures }, pool.config.keyring)!
    assert.equal(record.signatures.map((signature) => signature.verifies), signatures.map((signature) => signature === release))
    const model = step(boot(pool.config, [record]), spawnOf(cosigned.record.digest))
    assert.is(code(model.outcome), trusted ? 'success' : 'SignatureInvalid')
  }
  // Both signatures stand or fall with the bytes they pin.
  const kernel = bootWithImages(pool.config, [withTamperedLayer(cosigned.bytes)])
  assert.equal(kernel.images.get(cosigned.record.digest)!.record.signatures.map((signature) => signature.verifies), [false, false])
  assert.is(code(kernel.step(spawnOf(cosigned.record.digest))), 'SignatureInvalid')
})

test('the cache verifies once per manifest digest: 1,000 spawns verify nothing again', () => {
  const pool = realPool()
  const valid = pool.image('valid')
  const verifier = new KernelImageVerifier()
  const kernel = bootWithImages(pool.config, [valid.bytes, pool.image('older').bytes, pool.image('cosigned').bytes], { verifier })
  assert.is(verifier.verifications, 3)
  // One ML-DSA check per signature by a key of the keyring: valid's, older's and cosigned's release signature (not the attacker's).
  assert.is(verifier.signatureChecks, 3)
  assert.is(kernel.imageVerifications, 3)
  for (let index = 0; index < 1000; index++) {
    assert.is(code(kernel.step(spawnOf(valid.record.digest))), 'success')
    assert.ok(E.isRight(kernel.step({ kind: 'process_kill', caller: 0, slot: 15 })))
    assert.ok(E.isRight(kernel.step({ kind: 'cap_delete', caller: 0, slot: 15 })))
    if (index % 500 === 0) kernel.step({ kind: 'tick' })
  }
  assert.is(verifier.verifications, 3)
  assert.is(verifier.signatureChecks, 3)
})

test('the cache is keyed by digest, never by name: a re-signed echo@1.10.0 with other bytes is judged on its own', () => {
  const pool = realPool()
  const valid = pool.image('valid')
  const text = Buffer.from(valid.bytes.manifest).toString('utf8').replace('"memoryBytes": 4096', '"memoryBytes": 4095')
  const forged: ImageBytes = { ...valid.bytes, manifest: Buffer.from(text) }
  const kernel = bootWithImages(pool.config, [valid.bytes, forged])
  const forgedDigest = manifestDigest(forged)
  assert.is.not(forgedDigest, valid.record.digest)
  assert.is(kernel.images.get(forgedDigest)!.record.name, 'echo')
  assert.is(kernel.images.get(forgedDigest)!.record.version, '1.10.0')
  assert.is(kernel.images.get(forgedDigest)!.trusted, false)
  assert.is(kernel.images.get(valid.record.digest)!.trusted, true)
  assert.is(code(kernel.step(spawnOf(forgedDigest))), 'SignatureInvalid')
  assert.is(code(kernel.step(spawnOf(valid.record.digest))), 'success')
})

test('an image the kernel cannot describe is refused by digest (SignatureInvalid); an unknown digest is NotFound', () => {
  const pool = realPool()
  const garbage: ImageBytes = { manifest: Buffer.from('not a manifest'), layers: new Map(), signatures: [] }
  const kernel = bootWithImages(pool.config, [garbage])
  const digest = manifestDigest(garbage)
  assert.is(kernel.images.has(digest), false)
  assert.ok(kernel.refusedImages.has(digest))
  assert.is(code(kernel.step(spawnOf(digest))), 'SignatureInvalid')
  assert.is(code(kernel.step(spawnOf(`sha256:${'1'.repeat(64)}`))), 'NotFound')
  // The uid check still comes first (decisions.md: permissions, then signature).
  const limits = { memoryBytes: 65536, processes: 2, endpoints: 1, cpuBudget: 100, ioBytes: 0, cpuWeight: 1, devices: [] }
  assert.is(code(kernel.step({ kind: 'container_create', caller: 0, parent: 0, dst: 4, limits, namespaces: { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: { base: 0, count: 100 } } })), 'success')
  assert.is(code(kernel.step({ ...spawnOf(digest), container: 4, uid: 100 })), 'PermissionDenied')
  assert.is(code(kernel.step({ ...spawnOf(digest), container: 4, uid: 0 })), 'SignatureInvalid')
})

test('symbolic keys verify nothing: a keyring without public keys trusts no real image', () => {
  const pool = realPool()
  const config = { ...pool.config, keyring: pool.config.keyring.map((key) => ({ keyId: key.keyId })) }
  const kernel = bootWithImages(config, pool.bytes)
  for (const image of pool.images) assert.is(kernel.images.get(image.record.digest)!.trusted, false, image.label)
})

/** The impl booted from the pool's bytes, as a refinement target (the model boots from the records). */
function realTarget(pool: RealPool): RefinementTarget<Kernel> {
  return { name: 'impl (real images)', abstraction: implTarget.abstraction, create: (config) => bootWithImages(config, pool.bytes) }
}

test('lockstep: model (records) and impl (bytes) agree on spawns from the real pool, nested and killed', () => {
  const pool = realPool()
  const [valid, wrongKey, layer, manifest, older] = pool.images.map((image) => image.record.digest) as [string, string, string, string, string]
  const limits = { memoryBytes: 16384, processes: 3, endpoints: 3, cpuBudget: 400, ioBytes: 512, cpuWeight: 2, devices: [] }
  const share = { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' }
  const all = ['read', 'write', 'execute', 'grant', 'control']
  const syscalls = [
    ...[wrongKey, layer, manifest, older, valid].map((image) => spawnOf(image, 15)),
    { kind: 'container_create', caller: 0, parent: 0, dst: 4, limits, namespaces: share },
    ...[valid, older, manifest].map((image, index) => ({ kind: 'process_spawn', caller: 0, container: 4, image, uid: 0, slots: 8, grants: [{ slot: 4, rights: all }], dst: 5 + index })),
    { kind: 'process_spawn', caller: 2, container: 0, image: valid, uid: 0, slots: 8, grants: [], dst: 1 },
    { kind: 'process_spawn', caller: 2, container: 0, image: layer, uid: 0, slots: 8, grants: [], dst: 2 },
    { kind: 'process_kill', caller: 0, slot: 15 },
    { kind: 'cap_delete', caller: 0, slot: 15 },
    { kind: 'process_list', caller: 0 },
  ]
  const result = runLockstep(realTarget(pool), pool.config, pool.records, syscalls)
  assert.is(result.divergence, null, JSON.stringify(result.divergence))
  assert.equal(result.steps.slice(0, 5).map((step) => code(step.kernel)), ['SignatureInvalid', 'SignatureInvalid', 'SignatureInvalid', 'RollbackDenied', 'success'])
  assert.equal(result.steps.slice(6, 9).map((step) => code(step.kernel)), ['success', 'RollbackDenied', 'SignatureInvalid'])
})

test('lockstep on generated sequences drawing from the pool: the pipeline suite holds, and meets every verdict for every pool image', () => {
  const coverage = new Coverage()
  const scenarios = fc.sample(pipelineSuite.scenario(60), { numRuns: 80, seed: 7 })
  for (const scenario of scenarios) {
    const failure = pipelineSuite.check(scenario, { target: implTarget as unknown as RefinementTarget, coverage })
    assert.is(failure, null, JSON.stringify(failure))
    coverage.endRun()
  }
  for (const label of POOL_LABELS) assert.ok((coverage.cases.get(`pool ${label}: ${POOL_VERDICTS[label]}`) ?? 0) > 0, `pool ${label}: ${POOL_VERDICTS[label]}`)
  assert.ok((coverage.errors.get('SignatureInvalid') ?? 0) > 0)
  assert.ok((coverage.errors.get('RollbackDenied') ?? 0) > 0)
  assert.is(coverage.cases.get(DUPLICATE_REFUSED), scenarios.length)
  // The matcher image's overlapping requests: grants out of position, first-fit traps, and lists no matching serves.
  for (const name of Object.values(GRANT_CASES)) assert.ok((coverage.cases.get(name) ?? 0) > 0, name)
})

test('the pipeline suite catches a kernel that keeps one entry of a digest offered twice', () => {
  const pool = realPool()
  // The impl as it was: the first byte set of a digest wins, a second is silently dropped.
  const firstWins: RefinementTarget = {
    name: 'first-wins', abstraction: implTarget.abstraction as never,
    create: (config, images) => Kernel.boot(config, images.filter((image, index) => images.findIndex((other) => other.digest === image.digest) === index)),
  }
  const caught = runSuite('pipeline', { suites: ['pipeline'], runs: 3, seed: 3, maxSteps: 30, target: firstWins })
  assert.ok(caught.counterexample !== null)
  assert.match(caught.counterexample.failure.message ?? '', /a pool naming sha256:[0-9a-f]{64} \(\S+\) twice: the model refused, the kernel booted/)
  assert.ok(pool.images.some((image) => (caught.counterexample!.failure.message ?? '').includes(image.record.digest)))
})

test('the pipeline suite catches a kernel that ignores its verdict', () => {
  const pool = realPool()
  // A kernel that takes the records' word for everything: the model's records say the same, so it agrees...
  const believing: RefinementTarget = { name: 'believing', abstraction: implTarget.abstraction as never, create: (config, images) => Kernel.boot(config, images) }
  const run = runSuite('pipeline', { suites: ['pipeline'], runs: 5, seed: 3, maxSteps: 30, target: believing })
  assert.is(run.counterexample, null)
  // ...but one that trusts every image is caught at the first refused spawn.
  const trusting: RefinementTarget = {
    name: 'trusting', abstraction: implTarget.abstraction as never,
    create: (config) => Kernel.boot(config, pool.records.map((record) => ({ ...record, signatures: [{ signer: pool.config.keyring[0]!.keyId, verifies: true }] }))),
  }
  const caught = runSuite('pipeline', { suites: ['pipeline'], runs: 5, seed: 3, maxSteps: 30, target: trusting })
  assert.ok(caught.counterexample !== null)
  assert.is(caught.counterexample.failure.invariant, 'REF-1')
})

test('sila check pipeline --runs 30 passes', () => {
  const run = sila('check', 'pipeline', '--runs', '30', '--seed', '11')
  assert.is(run.status, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /All suites passed/)
  assert.match(run.stdout, /SignatureInvalid \d+/)
  assert.match(run.stdout, /RollbackDenied \d+/)
})


test('SILA_POOL_CACHE: the first process keeps its signed pool there, later ones read it back, and every process sees the same pool', () => {
  const cache = join(temporaryDirectory(), 'pool')
  const poolModule = new URL('../../pipeline/kernel/pool.js', import.meta.url).href
  // Each process prints its pool's digests, verdicts on the pool's keyring, and whether the cache was there before it.
  const script = `import { existsSync } from 'node:fs'
const before = existsSync(process.env.SILA_POOL_CACHE + '/complete')
const { realPool } = await import(${JSON.stringify(poolModule)})
const pool = realPool()
console.log(JSON.stringify({ before, images: pool.images.map((i) => [i.label, i.record.digest, i.record.signatures.map((s) => [s.signer, s.verifies]), i.bytes.signatures.length]), config: pool.config.keyring.map((k) => k.keyId) }))`
  const run = () => {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, SILA_POOL_CACHE: cache }, encoding: 'utf8' })
    assert.is(result.status, 0, result.stderr)
    return JSON.parse(result.stdout) as { before: boolean; images: unknown; config: unknown }
  }
  const first = run()
  const second = run()
  assert.is(first.before, false)
  assert.is(second.before, true, 'the first process kept its pool')
  assert.ok(existsSync(join(cache, 'valid')))
  assert.equal(second.images, first.images)
  assert.equal(second.config, first.config)
  // And what a process without the cache builds for itself.
  const own = realPool()
  assert.equal(first.images, own.images.map((i) => [i.label, i.record.digest, i.record.signatures.map((s) => [s.signer, s.verifies]), i.bytes.signatures.length]))
})

test.run()
