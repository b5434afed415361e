/**
 * Writes cut short: a process killed mid-write (Ctrl-C during a synchronous
 * write has no handler to run) leaves its hidden temporary sibling, and the
 * first add of a repository must leave a repository, not a directory every
 * later command refuses.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
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

/** An image signed by the release key whose data layer takes a while to write (`megabytes` of random bytes). */
function largeImage(megabytes: number): string {
  const dir = join(temporaryDirectory(), 'large')
  const input = manifestInput()
  buildImage({
    manifest: { ...input, limits: { memoryBytes: (megabytes + 1) << 20 } }, manifestFile: 'manifest.json',
    module: { file: 'module.bin', bytes: moduleBytes('echo') }, data: [{ file: 'data.bin', bytes: randomBytes(megabytes << 20) }], compression: 'brotli',
  }, dir)
  signImage(dir, key('release'))
  return dir
}

/** Hidden temporary entries anywhere under `dir`. */
function temporaries(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => /\.tmp(dir)?$/.test(path))
}

test('repo add interrupted while it writes the first image leaves a repository the next add completes', async () => {
  const keys = temporaryDirectory()
  writeKeyFiles(keys, key('release'), 'release')
  const image = largeImage(48)
  let caught = false
  for (let attempt = 0; attempt < 3 && !caught; attempt++) {
    const repo = join(temporaryDirectory(), 'repo')
    const child = spawn(process.execPath, ['dist/cli/main.js', 'repo', 'add', repo, image, '--keyring', keys], { cwd: ROOT, env: { ...process.env, SILA_STORE: testStore() }, stdio: 'ignore' })
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    // Wait until the image's tree is being written, then interrupt as Ctrl-C does.
    let writing = false
    for (let poll = 0; poll < 4000 && child.exitCode === null && !writing; poll++) {
      writing = existsSync(join(repo, 'images')) && temporaries(join(repo, 'images')).length > 0
      if (!writing) await new Promise((resolve) => setTimeout(resolve, 2))
    }
    if (writing) child.kill('SIGINT')
    await exited
    if (!writing || child.signalCode !== 'SIGINT') continue
    caught = true
    assert.ok(temporaries(repo).length > 0, 'the interrupted write left its temporary directory (else this test proves nothing)')
    assert.ok(existsSync(repositoryFile(repo)), 'the repository file is written before the first image')
    assert.equal(listRepository(repo), [], 'an empty repository')
    assert.is(sila('repo', 'list', repo).status, 0)
    const again = sila('repo', 'add', repo, image, '--keyring', keys)
    assert.is(again.status, 0, again.stderr)
    assert.equal(listRepository(repo).map((row) => `${row.name}@${row.version}`), ['echo@1.2.0'])
    assert.equal(temporaries(repo), [], 'the next add cleared what the interrupted one left')
  }
  assert.ok(caught, 'in three attempts, no add was interrupted while writing its image')
})

test.after(cleanup)
test.run()
