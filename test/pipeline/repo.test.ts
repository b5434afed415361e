import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { own } from '../../pipeline/codecs.js'
import { blobPath } from '../../pipeline/image/layout.js'
import { verifyImage } from '../../pipeline/image/verify.js'
import { inspectImage } from '../../pipeline/image/inspect.js'
import { signImage } from '../../pipeline/image/sign.js'
import { addImage, listRepository, raiseFloor, readRepository } from '../../pipeline/repo/repository.js'
import { resolveModule } from '../../pipeline/repo/resolve.js'
import { cleanup, flipByte, key, keyringOf, refused, signedImage, temporaryDirectory } from './_support.js'

test.after(cleanup)

const keyring = () => keyringOf(key('release'))

/** A repository holding echo at `versions`, each signed by the release key. */
function repositoryWith(versions: ReadonlyArray<string>): string {
  const repo = join(temporaryDirectory(), 'repo')
  for (const version of versions) addImage(repo, signedImage({ version, module: `echo ${version}` }), { keyring: keyring() })
  return repo
}

test('add stores exactly the verified image under images/NAME/VERSION and records it', () => {
  const image = signedImage({ version: '1.2.0' })
  const repo = join(temporaryDirectory(), 'repo')
  const result = addImage(repo, image, { keyring: keyring() })
  assert.ok(result.added)
  assert.is(result.path, join(repo, 'images', 'echo', '1.2.0'))
  const stored = verifyImage(result.path, { keyring: keyring() })
  assert.is(stored.manifestDigest, result.digest)
  assert.equal(readdirSync(join(result.path, 'blobs', 'sha256')).sort(), readdirSync(join(image, 'blobs', 'sha256')).sort())
  const index = readRepository(repo).index
  assert.equal(JSON.parse(JSON.stringify(index.modules.echo)), { floor: null, versions: { '1.2.0': { digest: result.digest, signer: key('release').keyId, algorithm: 'ML-DSA-65' } } })
  assert.is(addImage(repo, image, { keyring: keyring() }).added, false, 'adding the same image again changes nothing')
  assert.equal(readdirSync(repo).sort(), ['images', 'repository.json'], 'no temporary files left behind')
})

test('add of an image signed by two keys stores the signature that verifies, not the other', () => {
  const image = signedImage({ version: '1.2.0', signer: key('attacker') })
  signImage(image, key('release'), { add: true })
  const repo = join(temporaryDirectory(), 'repo')
  const result = addImage(repo, image, { keyring: keyring() })
  assert.is(result.signer, key('release').keyId)
  assert.equal(inspectImage(result.path).signatures.map((signature) => signature.keyId), [key('release').keyId])
  assert.is(verifyImage(result.path, { keyring: keyring() }).signer, key('release').keyId)
})

test('resolve picks the highest version that satisfies the constraint', () => {
  const repo = repositoryWith(['1.0.0', '1.2.0', '1.10.0', '2.0.0', '2.1.0-beta.1'])
  const resolve = (constraint: string) => resolveModule(repo, 'echo', constraint, { keyring: keyring() })?.version ?? null
  assert.is(resolve('^1.0.0'), '1.10.0')
  assert.is(resolve('>=1.2.0 <2.0.0'), '1.10.0')
  assert.is(resolve('~1.2.0'), '1.2.0')
  assert.is(resolve('*'), '2.0.0', 'prereleases only when asked for')
  assert.is(resolve('>=2.1.0-beta.0'), '2.1.0-beta.1')
  assert.is(resolve('>=3.0.0'), null)
  const resolution = resolveModule(repo, 'echo', '^1')!
  assert.is(resolution.verified, false)
  assert.is(resolution.path, join(repo, 'images', 'echo', '1.10.0'))
  refused(() => resolveModule(repo, 'nosuch', '*'), 'missing')
  refused(() => resolveModule(repo, 'echo', 'not a range'), 'malformed')
})

test('rollback: add refuses a version below the floor, resolve never returns one, floors only rise', () => {
  const repo = repositoryWith(['1.0.0', '1.1.0'])
  addImage(repo, signedImage({ version: '1.2.0', module: 'echo 1.2.0' }), { keyring: keyring(), raiseFloor: true })
  assert.is(readRepository(repo).index.modules.echo!.floor, '1.2.0')
  const added = refused(() => addImage(repo, signedImage({ version: '1.1.5' }), { keyring: keyring() }), 'rollback', 'rollback')
  assert.match(added.message, /echo@1\.1\.5 is below the rollback floor 1\.2\.0 set in .*repository\.json/)
  assert.not.ok(existsSync(join(repo, 'images', 'echo', '1.1.5')))
  assert.is(resolveModule(repo, 'echo', '^1.0.0')!.version, '1.2.0')
  const resolved = refused(() => resolveModule(repo, 'echo', '<1.2.0'), 'rollback', 'rollback')
  assert.match(resolved.message, /only echo@1\.1\.0 and older satisfy "<1\.2\.0", below the rollback floor 1\.2\.0/)
  refused(() => raiseFloor(repo, 'echo', '1.0.0'), 'rollback', 'rollback')
  raiseFloor(repo, 'echo', '1.2.0')
  assert.equal(listRepository(repo).map((row) => [row.version, row.belowFloor]), [['1.0.0', true], ['1.1.0', true], ['1.2.0', false]])
  // Adding an older version with --raise-floor never lowers the floor.
  const other = join(temporaryDirectory(), 'repo')
  addImage(other, signedImage({ version: '2.0.0' }), { keyring: keyring(), raiseFloor: true })
  raiseFloor(other, 'echo', '2.0.0')
  assert.is(readRepository(other).index.modules.echo!.floor, '2.0.0')
})

test('add refuses untrusted and tampered images and a version already stored with other content', () => {
  const fresh = join(temporaryDirectory(), 'fresh')
  refused(() => addImage(fresh, signedImage({ version: '1.1.0', signer: key('attacker') }), { keyring: keyring() }), 'untrusted-key', 'arbitrary package')
  assert.not.ok(existsSync(fresh), 'a refused first add creates no repository')
  const repo = repositoryWith(['1.0.0'])
  refused(() => addImage(repo, signedImage({ version: '1.1.0', signer: key('attacker') }), { keyring: keyring() }), 'untrusted-key', 'arbitrary package')
  refused(() => addImage(repo, signedImage({ version: '1.1.0', signer: null }), { keyring: keyring() }), 'unsigned', 'arbitrary package')
  const tampered = signedImage({ version: '1.1.0' })
  const layer = verifyImage(tampered, { keyring: keyring() }).layers[0]!
  flipByte(layer.file, 100)
  refused(() => addImage(repo, tampered, { keyring: keyring() }), 'digest-mismatch', 'mix-and-match')
  const different = refused(() => addImage(repo, signedImage({ version: '1.0.0', module: 'something else' }), { keyring: keyring() }), 'exists')
  assert.match(different.message, /a published version never changes/)
  assert.equal(Object.keys(readRepository(repo).index.modules.echo!.versions), ['1.0.0'])
})

test('resolve refuses a stored image that was swapped or tampered with', () => {
  const repo = repositoryWith(['1.0.0', '1.1.0'])
  const stored = join(repo, 'images', 'echo', '1.1.0')
  // Another signed image put in its place: its manifest is not the recorded one.
  const index = readFileSync(join(stored, 'index.json'))
  writeFileSync(join(stored, 'index.json'), readFileSync(join(repo, 'images', 'echo', '1.0.0', 'index.json')))
  refused(() => resolveModule(repo, 'echo', '^1.0.0'), 'digest-mismatch', 'mix-and-match')
  writeFileSync(join(stored, 'index.json'), index)
  // A tampered layer: only a full verification (with a keyring) sees it; it never falls back to 1.0.0.
  const layer = verifyImage(stored, { keyring: keyring() }).layers[0]!
  flipByte(layer.file, 10)
  assert.is(resolveModule(repo, 'echo', '^1.0.0')!.version, '1.1.0')
  refused(() => resolveModule(repo, 'echo', '^1.0.0', { keyring: keyring() }), 'digest-mismatch', 'mix-and-match')
  assert.is(blobPath(stored, layer.layer.digest), layer.file)
})

test('a malformed repository.json is refused with its JSON path; odd module names stay data', () => {
  const repo = repositoryWith(['1.0.0'])
  const file = join(repo, 'repository.json')
  const index = JSON.parse(readFileSync(file, 'utf8')) as { modules: Record<string, { floor: unknown; versions: Record<string, unknown> }> }
  writeFileSync(file, JSON.stringify({ ...index, modules: { ...index.modules, '..': index.modules.echo } }))
  assert.match(refused(() => readRepository(repo), 'malformed').message, /module name/)
  writeFileSync(file, JSON.stringify({ ...index, modules: { echo: { ...index.modules.echo!, floor: 'v1' } } }))
  assert.match(refused(() => readRepository(repo), 'malformed').message, /\$\.modules\.echo\.floor/)
  writeFileSync(file, JSON.stringify({ ...index, modules: { echo: { ...index.modules.echo!, versions: { 'latest': {} } } } }))
  refused(() => readRepository(repo), 'malformed')
  writeFileSync(file, JSON.stringify(index))
  refused(() => resolveModule(repo, 'constructor', '*'), 'missing')
  refused(() => resolveModule(repo, '__proto__', '*'), 'missing')
})

test('a module called constructor is an ordinary module', () => {
  const repo = join(temporaryDirectory(), 'repo')
  addImage(repo, signedImage({ name: 'constructor', version: '1.0.0' }), { keyring: keyring(), raiseFloor: true })
  assert.is(resolveModule(repo, 'constructor', '*', { keyring: keyring() })!.version, '1.0.0')
  assert.is(own(readRepository(repo).index.modules, 'constructor')!.floor, '1.0.0')
})

test.run()
