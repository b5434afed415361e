import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sila, STACK_LINE } from '../cli/run.js'
import { cleanup, flipByte, manifestInput, moduleBytes, temporaryDirectory } from './_support.js'

test.after(cleanup)

/** Keys, a manifest input and a module file in a fresh directory. */
function workspace(): { dir: string; keys: string; manifest: string; module: string; data: string } {
  const dir = temporaryDirectory()
  const manifest = join(dir, 'manifest.json')
  writeFileSync(manifest, JSON.stringify(manifestInput('1.2.0')))
  const module = join(dir, 'module.bin')
  writeFileSync(module, moduleBytes('cli'))
  const data = join(dir, 'config.json')
  writeFileSync(data, '{"greeting": "hello"}\n')
  const keys = join(dir, 'keys')
  const keygen = sila('image', 'keygen', '--out', keys, '--name', 'release')
  assert.is(keygen.status, 0, keygen.stderr)
  return { dir, keys, manifest, module, data }
}

function ok(...args: string[]): string {
  const run = sila(...args)
  assert.is(run.stderr, '', args.join(' '))
  assert.is(run.status, 0, args.join(' '))
  return run.stdout
}

test('keygen, build, sign, verify, inspect, repo add, list and resolve: the happy path', () => {
  const { dir, keys, manifest, module, data } = workspace()
  assert.is(statSync(join(keys, 'release.key.json')).mode & 0o777, 0o600)
  const image = join(dir, 'image')
  assert.match(ok('image', 'build', '--manifest', manifest, '--module', module, '--data', data, '--data', manifest, '--out', image), /built echo@1\.2\.0 in .* \(unsigned\)/)
  assert.match(ok('image', 'sign', image, '--key', join(keys, 'release.key.json')), /signed .* with [0-9a-f]{16} \(ML-DSA-65\)/)
  const verified = ok('image', 'verify', image, '--keyring', keys)
  assert.match(verified, /^verified echo@1\.2\.0/)
  assert.match(verified, /layers +3 /)
  const summary = JSON.parse(ok('image', 'inspect', image, '--json')) as { name: string; layers: { role: string }[]; signature: { algorithm: string } }
  assert.is(summary.name, 'echo')
  assert.equal(summary.layers.map((layer) => layer.role), ['module', 'data', 'data'])
  assert.is(summary.signature.algorithm, 'ML-DSA-65')
  assert.match(ok('image', 'inspect', image), /^Layers:$/m)
  const repo = join(dir, 'repo')
  assert.match(ok('repo', 'add', repo, image, '--keyring', join(keys, 'release.pub.json'), '--raise-floor'), /^added echo@1\.2\.0/)
  assert.match(ok('repo', 'list', repo), /^echo +1\.2\.0 +1\.2\.0 +[0-9a-f]{16} +ML-DSA-65 +sha256:/m)
  assert.match(ok('repo', 'resolve', repo, 'echo', '>=1.0.0 <2.0.0', '--keyring', keys), /^echo@1\.2\.0$/m)
  const none = sila('repo', 'resolve', repo, 'echo', '^2')
  assert.is(none.status, 1)
  assert.match(none.stderr, /no stored version of echo satisfies "\^2"/)
})

test('verify refuses a signature by an untrusted key: exit 2, naming the signature blob and the attack', () => {
  const { dir, manifest, module } = workspace()
  const image = join(dir, 'image')
  ok('image', 'build', '--manifest', manifest, '--module', module, '--out', image)
  ok('image', 'keygen', '--out', join(dir, 'other'), '--name', 'other', '--algorithm', 'ML-DSA-87')
  ok('image', 'sign', image, '--key', join(dir, 'other', 'other.key.json'))
  const run = sila('image', 'verify', image, '--keyring', join(dir, 'keys'))
  assert.is(run.status, 2)
  assert.is(run.stdout, '')
  assert.match(run.stderr, new RegExp(`^sila: ${image}/blobs/sha256/[0-9a-f]{64}: signed by key [0-9a-f]{16}, which is not in the keyring \\(refused as an arbitrary package attack\\)$`, 'm'))
  assert.not.match(run.stderr, STACK_LINE)
})

test('verify refuses a tampered blob: exit 2, naming the blob', () => {
  const { dir, keys, manifest, module } = workspace()
  const image = join(dir, 'image')
  ok('image', 'build', '--manifest', manifest, '--module', module, '--out', image)
  ok('image', 'sign', image, '--key', join(keys, 'release.key.json'))
  const blobs = join(image, 'blobs', 'sha256')
  const largest = readdirSync(blobs).sort((a, b) => statSync(join(blobs, b)).size - statSync(join(blobs, a)).size)[0]!
  flipByte(join(blobs, largest), 200)
  const run = sila('image', 'verify', image, '--keyring', keys)
  assert.is(run.status, 2)
  assert.match(run.stderr, new RegExp(`^sila: ${join(blobs, largest)}: its content has digest sha256:[0-9a-f]{64}, expected sha256:${largest}: tampered with or swapped \\(refused as a mix-and-match attack\\)$`, 'm'))
  assert.not.match(run.stderr, STACK_LINE)
})

test('build refuses a malformed manifest input with its JSON path and writes nothing', () => {
  const { dir, module } = workspace()
  const manifest = join(dir, 'bad-manifest.json')
  writeFileSync(manifest, JSON.stringify({ ...manifestInput(), version: 'one', requests: [{ kind: 'endpoint', rights: ['root'] }] }))
  const image = join(dir, 'image')
  const run = sila('image', 'build', '--manifest', manifest, '--module', module, '--out', image)
  assert.is(run.status, 2)
  assert.match(run.stderr, new RegExp(`^sila: ${manifest}: `))
  assert.ok(run.stderr.includes('$.version: expected a semantic version'), run.stderr)
  assert.ok(run.stderr.includes('$.requests[0].rights[0]: expected'), run.stderr)
  assert.not.match(run.stderr, STACK_LINE)
  assert.equal(readdirSync(dir).sort(), ['bad-manifest.json', 'config.json', 'keys', 'manifest.json', 'module.bin'])
  // A literal past a double's range is read as Infinity: said so, not as the null JSON.stringify would show.
  writeFileSync(manifest, JSON.stringify(manifestInput()).replace('"memoryBytes":1048576', '"memoryBytes":1e400'))
  const huge = sila('image', 'build', '--manifest', manifest, '--module', module, '--out', image)
  assert.is(huge.status, 2)
  assert.ok(huge.stderr.includes('$.limits.memoryBytes: expected an integer in [0, 1099511627776], found a number too large for a double'), huge.stderr)
})

test('repo add refuses a rollback below the floor: exit 2', () => {
  const { dir, keys, manifest, module } = workspace()
  const repo = join(dir, 'repo')
  for (const version of ['1.2.0', '1.1.0']) {
    writeFileSync(manifest, JSON.stringify(manifestInput(version)))
    ok('image', 'build', '--manifest', manifest, '--module', module, '--out', join(dir, version))
    ok('image', 'sign', join(dir, version), '--key', join(keys, 'release.key.json'))
  }
  ok('repo', 'add', repo, join(dir, '1.2.0'), '--keyring', keys, '--raise-floor')
  const run = sila('repo', 'add', repo, join(dir, '1.1.0'), '--keyring', keys)
  assert.is(run.status, 2)
  assert.match(run.stderr, /echo@1\.1\.0 is below the rollback floor 1\.2\.0 set in .*repository\.json \(refused as a rollback attack\)/)
  assert.is(sila('repo', 'resolve', repo, 'echo', '~1.1.0').status, 1, 'the refused version was not stored')
  assert.is(JSON.parse(readFileSync(join(repo, 'repository.json'), 'utf8')).modules.echo.floor, '1.2.0')
})

test('usage errors exit 2 with a hint: no subcommand, a missing flag, a bad algorithm', () => {
  assert.match(sila('image').stderr, /sila image: expects a subcommand/)
  const missing = sila('image', 'verify', '/tmp/nowhere')
  assert.is(missing.status, 2)
  assert.match(missing.stderr, /sila image verify: expects --keyring/)
  assert.match(missing.stderr, /Run 'sila image verify --help' for usage\./)
  assert.match(sila('image', 'keygen', '--out', '/tmp/x', '--algorithm', 'RSA').stderr, /--algorithm expects ML-DSA-65 or ML-DSA-87/)
  assert.match(sila('repo', 'resolve', '/tmp/x', 'echo', 'not-a-range').stderr, /CONSTRAINT is not a semver range/)
  assert.match(sila('image', 'build', '--help').stdout, /Usage: sila image build/)
  // A positional argument too many is named, whether the command takes none or one.
  const extra = sila('image', 'build', '--manifest', 'm.json', '--module', 'x.bin', '--out', '/tmp/nowhere', 'stray')
  assert.is(extra.status, 2)
  assert.match(extra.stderr, /sila image build: takes no positional argument, found "stray"/)
  assert.match(sila('image', 'inspect', '/tmp/a', '/tmp/b').stderr, /sila image inspect: expects exactly DIR, found 2 arguments \("\/tmp\/b" beyond\)/)
})

test.run()
