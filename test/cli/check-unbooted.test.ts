/**
 * `sila check` boots the kernel on its main thread before the workers start (to
 * refuse one whose create throws, naming the line). A create that never returns
 * hung the check there, unwatched, for our own kernel: only a user's `--kernel`
 * was booted first on a watched worker. Now every kernel is. The loop is planted
 * in the impl's boot in a copy of the built tree, as a bug in the impl would be,
 * and that copy's own `sila` is run.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, silaAt } from './run.js'

const directory = mkdtempSync(join(tmpdir(), 'sila-check-unbooted-'))
test.after(() => rmSync(directory, { recursive: true, force: true }))

/** A copy of the built tree (tests left out) whose impl's Kernel.boot never returns; the path of its cli/main.js. */
function loopingBootSila(): string {
  const tree = join(directory, 'tree')
  cpSync(join(ROOT, 'dist'), tree, { recursive: true, filter: (source) => !source.startsWith(join(ROOT, 'dist', 'test')) && !source.endsWith('.map') && !source.endsWith('.d.ts') })
  writeFileSync(join(tree, 'package.json'), readFileSync(join(ROOT, 'package.json')))
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir')
  const file = join(tree, 'impl', 'kernel.js')
  const text = readFileSync(file, 'utf8')
  const boot = /static boot\(config, images = \[\], capacity = DEFAULT_CAPACITY, real\) \{\n/
  assert.match(text, boot, 'the compiled boot is where the loop goes')
  writeFileSync(file, text.replace(boot, (found) => `${found}for (;;) {}\n`))
  return join(tree, 'cli', 'main.js')
}

test('the impl\'s boot never returns: check and check --fail-fast fail (exit 1) within --step-timeout, naming it, instead of hanging', () => {
  const main = loopingBootSila()
  for (const mode of [[], ['--fail-fast']]) {
    const started = Date.now()
    const run = silaAt(main, 'check', 'refinement', '--runs', '2', '--step-timeout', '1', ...mode)
    const seconds = (Date.now() - started) / 1000
    assert.is(run.status, 1, `${mode.join(' ')}: ${run.stdout}\n${run.stderr}`)
    assert.match(run.stderr, /sila check: the impl: its create \(its boot\) did not return within 1 s \(--step-timeout\): ROBUST .* no suite ran/)
    assert.is(run.stdout, '', 'no suite ran')
    assert.ok(seconds < 50, `stopped at the timeout, not hung (${seconds} s)`)
  }
})

test.run()
