import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, sila, testStore, writePropsModule } from './run.js'

const dir = mkdtempSync(join(tmpdir(), 'sila-fail-fast-'))

test('check --fail-fast: the impl passes every suite, exit 0', () => {
  const run = sila('check', '--fail-fast', '--runs', '3', '--seed', '7')
  assert.is(run.status, 0, run.stderr)
  assert.match(run.stdout, /^sila check --fail-fast: refinement, .* · 3 runs per suite · .* seed 7\n/)
  assert.match(run.stdout, /All suites passed in [\d.]+ s\.\n$/)
})

test('check --fail-fast: a seeded bug stops the check at its first failing run, unshrunk, exit 1, nothing written', () => {
  const before = readdirSync(ROOT)
  const run = sila('check', '--fail-fast', '--runs', '50', '--seed', '42', '--mutant', 'copy-amplifies-rights')
  assert.is(run.status, 1, run.stderr)
  assert.match(run.stdout, /^✗ \w+: /m)
  assert.match(run.stdout, /first failing run: \d+ steps, unshrunk .*rerun it without --fail-fast .*npx sila check \w+ --seed 42 --runs \d+ --max-steps 60 --mutant copy-amplifies-rights\n/)
  assert.match(run.stdout, /FAILED in [\d.]+ s\.\n$/)
  assert.equal(readdirSync(ROOT), before)
  assert.equal(readdirSync(testStore()), [])
})

test('check --fail-fast asks --props (the impl breaks none of the catalogue, a property of three processes is broken), and --invariant narrows them', () => {
  const props = writePropsModule(join(dir, 'two.mjs'), [
    'defineProperty(\'fine\', () => null, { says: \'never broken\' })',
    'defineProperty(\'two-processes\', (state) => (PROCESSES(state) >= 3 ? \'a third process\' : null), { says: \'at most two processes\' })',
  ])
  const run = sila('check', 'invariants', '--fail-fast', '--runs', '20', '--seed', '3', '--props', props)
  assert.is(run.status, 1, `${run.stdout}\n${run.stderr}`)
  assert.match(run.stdout, / · 2 user properties from /)
  assert.match(run.stdout, /^✗ invariants: .*a third process/m)
  assert.match(run.stdout, new RegExp(`rerun it without --fail-fast .* --props ${props.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`))
  // Narrowed to the property that holds: the suite passes.
  const narrowed = sila('check', 'invariants', '--fail-fast', '--runs', '20', '--seed', '3', '--props', props, '--invariant', 'fine')
  assert.is(narrowed.status, 0, `${narrowed.stdout}\n${narrowed.stderr}`)
  assert.match(narrowed.stdout, / · 1 user property from /)
})

test('Ctrl-C stops a fail-fast check at once: exit 130, said, nothing written', async () => {
  const before = readdirSync(ROOT)
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'check', '--fail-fast', '--runs', '1000', '--seed', '3'], { cwd: ROOT, env: { ...process.env, SILA_STORE: testStore() } })
  let stdout = ''
  let stderr = ''
  // Sent once the check has said what it runs (its listener is in place by then, whatever the machine's load).
  child.stdout.on('data', (chunk) => { stdout += chunk; if (stdout.includes('seed 3\n') && child.exitCode === null) child.kill('SIGINT') })
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (exit, by) => resolve([exit, by])))
  assert.is(code, 130, `exit ${code}, signal ${signal}\n${stdout}\n${stderr}`)
  assert.match(stdout, /^Interrupted: no failure found before Ctrl-C, in [\d.]+ s\.\n$/m)
  assert.equal(readdirSync(ROOT), before)
})

test('check --fail-fast refuses the flags of a full run, naming both flags', () => {
  for (const flag of [['--out', 'x.json'], ['--workers', '2'], ['--report', 'r'], ['--json'], ['--shard', '0/2']]) {
    const run = sila('check', '--fail-fast', ...flag)
    assert.is(run.status, 2, flag.join(' '))
    assert.match(run.stderr, new RegExp(`--fail-fast and ${flag[0]} exclude each other`))
  }
})

test.after(() => rmSync(dir, { recursive: true, force: true }))

test.run()
