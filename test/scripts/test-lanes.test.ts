/**
 * `npm test`'s runner (scripts/test.mjs) on a small made-up dist/test: two uvu
 * processes at once (lane 1 the heavy file, lane 2 the rest), every file in exactly
 * one of them, lane 1's output after lane 2's, both lanes' failures reported (one
 * failing does not stop the other, and a test uvu counts but neither passes nor
 * fails is caught in either); with a pattern, or SILA_TEST_LANES=1, one lane.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ROOT } from '../cli/run.js'

const SCRIPT = join(ROOT, 'scripts', 'test.mjs')
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '')

const PASSING = `import { test } from 'uvu'\ntest('fine', () => {})\ntest.run()\n`
/** The heavy file: slower than the rest, with output on both streams. */
const HEAVY = `import { test } from 'uvu'
test('slow', async () => { await new Promise((resolve) => setTimeout(resolve, 300)); console.log('  heavy says hi'); console.error('  heavy on stderr') })
test('quick', () => {})
test.run()
`
/** A failure uvu cannot format: counted, neither passed nor failed, exit 0. */
const HIDDEN = `import { test } from 'uvu'\ntest('fine', () => {})\ntest('hidden', () => { throw Object.assign(new Error('hidden'), { details: 42 }) })\ntest.run()\n`
const FAILING = `import { test } from 'uvu'\nimport * as assert from 'uvu/assert'\ntest('heavy fails', () => { assert.is(1, 2) })\ntest.run()\n`
/** A test whose own output looks like uvu's summary: the lane's count is the last one. */
const TRAP = `import { test } from 'uvu'\ntest('prints a count', () => { console.log('  Total:     99') })\ntest.run()\n`

/** A package root with dist/test holding `files` (and what tsc puts beside a test), uvu linked in. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'sila-lanes-'))
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n')
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir')
  for (const [path, text] of Object.entries({ ...files, 'b/c.test.js.map': 'not a module', 'b/c.test.d.ts': 'export {}\n', 'b/helper.js': 'throw new Error("not a test")\n' })) {
    mkdirSync(dirname(join(root, 'dist', 'test', path)), { recursive: true })
    writeFileSync(join(root, 'dist', 'test', path), text)
  }
  return root
}

interface Run { readonly status: number | null; readonly stdout: string; readonly stderr: string; readonly log: string | null }

/** `node scripts/test.mjs ...args` in `root`; lane 1's log file read and removed. */
function runner(root: string, args: string[] = [], env: Record<string, string> = {}): Run {
  const { SILA_TEST_LANES: _, ...inherited } = process.env
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: root, encoding: 'utf8', env: { ...inherited, ...env }, timeout: 60_000 })
  const stdout = plain(result.stdout)
  const path = /appended as it comes to (\S+)$/m.exec(stdout)?.[1] ?? null
  let log: string | null = null
  if (path !== null && existsSync(path)) {
    log = plain(readFileSync(path, 'utf8'))
    rmSync(path)
  }
  return { status: result.status, stdout, stderr: result.stderr, log }
}

/** How many times uvu started each file (it prints the name alone on a line). */
function started(stdout: string): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const line of stdout.split('\n')) if (/^\S+\.test\.js$/.test(line.trim())) counts[line.trim()] = (counts[line.trim()] ?? 0) + 1
  return counts
}

test('two lanes: every file started once, lane 1 printed after lane 2 and kept in its log, one summary of both', () => {
  const root = tree({ 'checker/general.test.js': HEAVY, 'a.test.js': PASSING, 'b/c.test.js': TRAP })
  try {
    const run = runner(root)
    assert.is(run.status, 0, run.stdout + run.stderr)
    assert.equal(started(run.stdout), { 'a.test.js': 1, 'b/c.test.js': 1, 'checker/general.test.js': 1 })
    const lane1 = run.stdout.indexOf('--- lane 1: checker/general.test.js')
    assert.ok(lane1 > run.stdout.indexOf('b/c.test.js') && lane1 < run.stdout.indexOf('checker/general.test.js\n'), 'lane 1 comes after lane 2, as one block')
    assert.ok(run.stdout.indexOf('heavy says hi') > lane1 && run.stdout.indexOf('heavy on stderr') > lane1, 'both of lane 1\'s streams are in its block')
    assert.match(run.stdout, /Both lanes: Total 4, Passed 4, Skipped 0 \(lane 1: 2 \/ 2 \/ 0 in \d+ s; lane 2: 2 \/ 2 \/ 0 in \d+ s\)/)
    assert.match(run.stdout, /Slowest test files \(of 3, /)
    assert.match(run.stdout, /^ +\d+\.\d s {2}checker\/general\.test\.js {2}\(lane 1\)$/m)
    assert.match(run.stdout, /^ +\d+\.\d s {2}a\.test\.js {2}\(lane 2\)$/m)
    assert.ok(run.log !== null && run.log.includes('heavy says hi') && run.log.includes('Total:     2'), `lane 1's log: ${run.log}`)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('a failing lane does not stop the other: both finish, and both lanes\' problems are named', () => {
  const root = tree({ 'checker/general.test.js': FAILING, 'a.test.js': HIDDEN, 'b/c.test.js': PASSING })
  try {
    const run = runner(root)
    assert.is(run.status, 1)
    assert.equal(started(run.stdout), { 'a.test.js': 1, 'b/c.test.js': 1, 'checker/general.test.js': 1 })
    assert.match(run.stdout, /FAIL +"heavy fails"/)
    assert.match(run.stderr, /^npm test: lane 1 \(checker\/general\.test\.js\): uvu exited with code 1$/m)
    assert.match(run.stderr, /^npm test: lane 2: uvu counted 3 tests but 2 passed and 0 were skipped/m)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
  // The hidden failure in lane 1 is caught too.
  const hidden = tree({ 'checker/general.test.js': HIDDEN, 'a.test.js': PASSING, 'b/c.test.js': PASSING })
  try {
    const run = runner(hidden)
    assert.is(run.status, 1)
    assert.match(run.stderr, /^npm test: lane 1 \(checker\/general\.test\.js\): uvu counted 2 tests but 1 passed/m)
    assert.not.match(run.stderr, /lane 2/)
  } finally {
    rmSync(hidden, { recursive: true, force: true })
  }
})

test('with patterns, one lane of the test files matching one of them; SILA_TEST_LANES=1, one lane of every file', () => {
  const root = tree({ 'checker/general.test.js': HEAVY, 'a.test.js': PASSING, 'b/c.test.js': TRAP })
  try {
    const one = runner(root, ['b/'])
    assert.is(one.status, 0, one.stdout + one.stderr)
    assert.equal(started(one.stdout), { 'b/c.test.js': 1 }, 'not the source map, declarations or helper beside it')
    assert.not.match(one.stdout, /lane/)
    assert.is(one.log, null)
    const two = runner(root, ['^a\\.', 'general'])
    assert.is(two.status, 0, two.stdout + two.stderr)
    assert.equal(started(two.stdout), { 'a.test.js': 1, 'checker/general.test.js': 1 })
    assert.not.match(two.stdout, /lane/)
    const all = runner(root, [], { SILA_TEST_LANES: '1' })
    assert.is(all.status, 0, all.stdout + all.stderr)
    assert.equal(started(all.stdout), { 'a.test.js': 1, 'b/c.test.js': 1, 'checker/general.test.js': 1 })
    assert.not.match(all.stdout, /lane/)
    assert.match(all.stdout, /Total: +4\n +Passed: +4/)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('a heavy file that is no longer there fails the run, naming the list to update', () => {
  const root = tree({ 'a.test.js': PASSING, 'b/c.test.js': PASSING })
  try {
    const run = runner(root)
    assert.is(run.status, 1)
    assert.match(run.stderr, /lane 1's checker\/general\.test\.js is not a test file under dist\/test: update HEAVY in scripts\/test\.mjs/)
    assert.is(started(run.stdout)['a.test.js'], undefined, 'nothing ran')
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test.run()
