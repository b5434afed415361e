/**
 * The live update with V1 and V2 taken from a module repository: the walkthrough's
 * images (examples/counter) built, signed and added as a newcomer would, the
 * update run on a kernel that verifies their bytes itself, and any byte of the
 * stored V2 changed makes the kernel refuse it at spawn, V1 serving on.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { writeKeyFiles } from '../../pipeline/image/keys.js'
import { join } from 'node:path'
import { buildImage } from '../../pipeline/image/build.js'
import { signImage } from '../../pipeline/image/sign.js'
import { addImage, storedImagePath } from '../../pipeline/repo/repository.js'
import { ManifestInputCodec } from '../../pipeline/image/manifest.js'
import { repositoryUpdate } from '../../pipeline/update/repository.js'
import { runScenario } from '../../pipeline/update/scenario.js'
import { loadModule, startLoader } from '../../pipeline/protocol/system.js'
import { demoSchedule } from '../../pipeline/update/demo.js'
import { decodeOrThrow } from '../../spec/decode.js'
import { ROOT, sila, STACK_LINE } from '../cli/run.js'
import { cleanup, flipByte, key, keyringOf, temporaryDirectory } from '../pipeline/_support.js'

test.after(cleanup)

/** examples/counter's two versions, built, signed by the release key and added to a fresh repository. */
function walkthroughRepository(): { repo: string } {
  const root = temporaryDirectory()
  const repo = join(root, 'repo')
  for (const version of ['v1', 'v2']) {
    const source = join(ROOT, 'examples', 'counter', version)
    const manifest = decodeOrThrow(ManifestInputCodec, JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8')), 'manifest.json')
    const dir = join(root, `counter-${version}`)
    buildImage({ manifest, manifestFile: join(source, 'manifest.json'), module: { file: join(source, 'counter.js'), bytes: readFileSync(join(source, 'counter.js')) }, data: [], compression: 'brotli' }, dir)
    signImage(dir, key('release'))
    addImage(repo, dir, { keyring: keyringOf(key('release')) })
  }
  return { repo }
}

const update = (repo: string, seed = 5) => {
  const taken = repositoryUpdate({ repo, keyring: keyringOf(key('release')) })
  return runScenario(demoSchedule(seed, 3, 'ok'), { system: taken.system, clients: 3, target: taken.target })
}

test('V1 and V2 from the repository: the update commits with UPD-1 and REF-1 held, V2 holding migrated state', () => {
  const { repo } = walkthroughRepository()
  const result = update(repo)
  assert.is(result.failure, null, result.failure?.message)
  assert.is(result.updates[0]?.result, 'committed')
  assert.ok(result.stats.queuedDuringUpdate > 0, 'requests arrived while the update was under way')
  assert.is(result.stats.answered, result.stats.accepted)
  assert.equal(result.updates[0]!.ingested, { total: result.updates[0]!.finalOld!.count, ops: 0 })
})

/** The blob files of a stored image. */
function blobsOf(dir: string): string[] {
  const root = join(dir, 'blobs', 'sha256')
  return readdirSync(root).map((name) => join(root, name)).sort()
}

test('any byte of any blob of the stored V2 changed: the kernel refuses the spawn, the update is abandoned, nothing lost', () => {
  const { repo } = walkthroughRepository()
  const blobs = blobsOf(storedImagePath(repo, 'counter', '2.0.0'))
  assert.is(blobs.length, 3, 'manifest, module layer, signature')
  let runs = 0
  const hit = new Set<string>()
  fc.assert(fc.property(fc.nat({ max: blobs.length - 1 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (which, where) => {
    const file = blobs[which]!
    const position = Math.floor(where * statSync(file).size)
    const restore = flipByte(file, position)
    try {
      const result = update(repo)
      runs++
      hit.add(file)
      assert.is(result.failure, null, result.failure?.message)
      assert.is(result.updates[0]?.result, 'refused-at-spawn', `byte ${position} of ${file}`)
      assert.is(result.stats.answered, result.stats.accepted)
      assert.is(result.serving?.module, 'counter-v1')
    } finally {
      restore()
    }
  }), { seed: 11, numRuns: 24 })
  assert.is(hit.size, blobs.length, 'every blob was tampered with in some run')
  process.stdout.write(`  tampered V2: ${runs} runs over ${hit.size} blobs, each refused at spawn\n`)
})

test('any byte of any blob of the stored V2 changed: loading it through the ModuleManager fails with BinarySignatureError, honest or compromised', () => {
  const { repo } = walkthroughRepository()
  const blobs = blobsOf(storedImagePath(repo, 'counter', '2.0.0'))
  const statuses = new Map<string, number>()
  let runs = 0
  fc.assert(fc.property(fc.nat({ max: blobs.length - 1 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.boolean(), (which, where, compromised) => {
    const file = blobs[which]!
    const position = Math.floor(where * statSync(file).size)
    const restore = flipByte(file, position)
    try {
      const loader = startLoader({ repo, keyring: keyringOf(key('release')), compromised })
      const result = loadModule(loader, { requestId: 'any-byte', moduleName: 'counter', versionConstraint: '^2' })
      runs++
      const status = result.response?.status ?? 'no reply'
      statuses.set(`${compromised ? 'compromised' : 'honest'} ${status}`, (statuses.get(`${compromised ? 'compromised' : 'honest'} ${status}`) ?? 0) + 1)
      assert.is(status, 'BinarySignatureError', `byte ${position} of ${file}${compromised ? ' (compromised ModuleManager)' : ''}`)
      assert.is(result.child, null)
    } finally {
      restore()
    }
  }), { seed: 12, numRuns: 24 })
  assert.ok([...statuses.keys()].some((key) => key.startsWith('compromised')) && [...statuses.keys()].some((key) => key.startsWith('honest')), 'both ModuleManagers were tried')
  process.stdout.write(`  tampered V2 loads: ${runs} runs: ${[...statuses].map(([key, count]) => `${key} ${count}`).join(', ')}\n`)
  // Untouched, it loads.
  const loaded = loadModule(startLoader({ repo, keyring: keyringOf(key('release')) }), { requestId: 'intact', moduleName: 'counter', versionConstraint: '^2' })
  assert.is(loaded.response?.status, 'Success')
})

test('sila update-demo --repo: from the CLI, and refusals of its flags', () => {
  const { repo } = walkthroughRepository()
  const release = temporaryDirectory()
  writeKeyFiles(release, key('release'), 'release')
  const run = sila('update-demo', '--repo', repo, '--keyring', join(release, 'release.pub.json'), '--clients', '2')
  assert.is(run.status, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /V2  counter@2\.0\.0  sha256:[0-9a-f]{12}…  signed by [0-9a-f]{16}, verifies against the keyring/)
  assert.match(run.stdout, /update    to counter-v2: committed/)
  const ring = join(temporaryDirectory(), 'ring')
  const keygen = sila('image', 'keygen', '--out', ring, '--name', 'other')
  assert.is(keygen.status, 0, keygen.stderr)
  // Trusting only another key: V2 (and V1) do not verify, the kernel refuses V1 at setup.
  const untrusted = sila('update-demo', '--repo', repo, '--keyring', ring, '--json')
  assert.is(untrusted.status, 1)
  const missing = sila('update-demo', '--repo', repo)
  assert.is(missing.status, 2)
  assert.match(missing.stderr, /--repo expects --keyring/)
  const stray = sila('update-demo', '--from', '^1')
  assert.is(stray.status, 2)
  assert.match(stray.stderr, /--from needs --repo/)
  const badRange = sila('update-demo', '--repo', repo, '--keyring', ring, '--to', 'two')
  assert.is(badRange.status, 2)
  assert.match(badRange.stderr, /--to expects a semver range/)
  const noRepo = sila('update-demo', '--repo', join(ring, 'nowhere'), '--keyring', ring)
  assert.is(noRepo.status, 2)
  assert.not.match(noRepo.stderr, STACK_LINE)
})

test.run()
