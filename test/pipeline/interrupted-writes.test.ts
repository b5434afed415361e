/**
 * Writes cut short: a process killed mid-write (Ctrl-C during a synchronous
 * write, a kill) leaves its hidden temporary sibling, which the next write of
 * the target clears, and the first add of a repository must leave a
 * repository, not a directory every later command refuses.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeTreeAtomic } from '../../pipeline/files.js'
import { buildImage } from '../../pipeline/image/build.js'
import { writeKeyFiles } from '../../pipeline/image/keys.js'
import { signImage } from '../../pipeline/image/sign.js'
import { listRepository, repositoryFile } from '../../pipeline/repo/repository.js'
import { ROOT, sila, testStore } from '../cli/run.js'
import { cleanup, key, manifestInput, moduleBytes, temporaryDirectory } from './_support.js'

/** The pid of a process that has exited. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid
  assert.ok(pid !== undefined && pid > 0)
  return pid!
}

test('a write clears the temporary siblings a process that is gone left, and only those', () => {
  const dir = temporaryDirectory()
  const dead = deadPid()
  const stale = [`.image.${dead}.0a1b2c3d.tmpdir`, `.image.${dead}.0a1b2c3e.tmp`]
  const kept = [
    `.image.${process.pid}.0a1b2c3f.tmpdir`, // this process's own: being written now
    `.image.${process.ppid}.0a1b2c40.tmpdir`, // a running process's
    `.other.${dead}.0a1b2c41.tmpdir`, // another target's
    `.image.${dead}.notours.tmpdir`, // not a name we make
    'image-notes.txt',
  ]
  for (const name of [...stale, ...kept]) {
    if (name.endsWith('tmpdir')) { mkdirSync(join(dir, name)); writeFileSync(join(dir, name, 'blob'), 'x') } else writeFileSync(join(dir, name), 'x')
  }
  writeTreeAtomic(join(dir, 'image'), [{ path: 'a', data: Buffer.from('a') }])
  const left = readdirSync(dir)
  for (const name of stale) assert.not.ok(left.includes(name), `${name} was left`)
  for (const name of kept) assert.ok(left.includes(name), `${name} was removed`)
  assert.ok(left.includes('image'))
})

/**
 * A preload for a child `sila` that dies (SIGKILL, as an uncaught Ctrl-C ends a
 * synchronous write) the moment it is about to rename a finished temporary
 * directory into place: exactly the state an interrupted write leaves, with no
 * timing to hit.
 */
function killedBeforeRename(dir: string): string {
  return renamePreload(join(dir, 'die-before-rename.cjs'), "if (String(from).endsWith('.tmpdir')) process.kill(process.pid, 'SIGKILL')")
}

/** A preload file at `file` that runs `before` (over `from` and `to`) ahead of every `fs.renameSync` of the child it is loaded into. */
function renamePreload(file: string, before: string): string {
  writeFileSync(file, [
    "const fs = require('node:fs')",
    "const { syncBuiltinESMExports } = require('node:module')",
    'const rename = fs.renameSync',
    `fs.renameSync = function (from, to) { ${before}; return rename.call(this, from, to) }`,
    'syncBuiltinESMExports()',
    '',
  ].join('\n'))
  return file
}

/** Hidden temporary entries anywhere under `dir`. */
function temporaries(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => /\.tmp(dir)?$/.test(path))
}

test('repo add killed while it writes the first image leaves a repository the next add completes, and its leftovers are cleared', () => {
  const keys = temporaryDirectory()
  writeKeyFiles(keys, key('release'), 'release')
  const image = join(temporaryDirectory(), 'image')
  buildImage({ manifest: manifestInput(), manifestFile: 'manifest.json', module: { file: 'module.bin', bytes: moduleBytes('echo') }, compression: 'brotli' }, image)
  signImage(image, key('release'))
  const repo = join(temporaryDirectory(), 'repo')
  const killed = spawnSync(process.execPath, ['--require', killedBeforeRename(temporaryDirectory()), 'dist/cli/main.js', 'repo', 'add', repo, image, '--keyring', keys], { cwd: ROOT, env: { ...process.env, SILA_STORE: testStore() } })
  assert.is(killed.signal, 'SIGKILL', 'the add died before its rename')
  assert.ok(temporaries(repo).length > 0, 'the killed write left its temporary directory')
  assert.ok(existsSync(repositoryFile(repo)), 'the repository file is written before the first image')
  assert.equal(listRepository(repo), [], 'an empty repository')
  assert.is(sila('repo', 'list', repo).status, 0)
  const again = sila('repo', 'add', repo, image, '--keyring', keys)
  assert.is(again.status, 0, again.stderr)
  assert.equal(listRepository(repo).map((row) => `${row.name}@${row.version}`), ['echo@1.2.0'])
  assert.equal(temporaries(repo), [], 'the next add cleared what the killed one left')
})

/** A preload for a child `sila` whose file system refuses (ENOSPC) to put a new `index.json` in place. */
function indexWriteRefused(dir: string): string {
  return renamePreload(join(dir, 'refuse-index.cjs'), "if (String(to).endsWith('index.json')) { const error = new Error('ENOSPC: no space left on device'); error.code = 'ENOSPC'; throw error }")
}

/** Every file under `dir` with its bytes, for comparing a tree before and after. */
function treeOf(dir: string): Record<string, string> {
  const tree: Record<string, string> = {}
  for (const path of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = join(dir, path)
    if (statSync(full).isFile()) tree[path] = readFileSync(full).toString('base64')
  }
  return tree
}

test('image sign whose index.json cannot be replaced refuses, names the file, and leaves the image as it was (no new blob)', () => {
  const keys = temporaryDirectory()
  writeKeyFiles(keys, key('release'), 'release')
  writeKeyFiles(keys, key('attacker'), 'attacker')
  const image = join(temporaryDirectory(), 'image')
  buildImage({ manifest: manifestInput(), manifestFile: 'manifest.json', module: { file: 'module.bin', bytes: moduleBytes('echo') }, compression: 'brotli' }, image)
  signImage(image, key('release'))
  const before = treeOf(image)
  const preload = indexWriteRefused(temporaryDirectory())
  for (const extra of [[], ['--add']]) {
    const run = spawnSync(process.execPath, ['--require', preload, 'dist/cli/main.js', 'image', 'sign', image, '--key', join(keys, 'attacker.key.json'), ...extra], { cwd: ROOT, env: { ...process.env, SILA_STORE: testStore() }, encoding: 'utf8' })
    assert.is.not(run.status, 0, `sign ${extra.join(' ')} reported success`)
    assert.match(run.stderr, /index\.json/, 'the refusal names index.json')
    assert.not.match(run.stderr, /\n\s+at /, 'no stack trace')
    assert.equal(treeOf(image), before, `sign ${extra.join(' ')} changed the image's files`)
  }
  assert.is(sila('image', 'verify', image, '--keyring', keys).status, 0, 'the image still verifies by its release signature')
})

test.after(cleanup)
test.run()
