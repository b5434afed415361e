import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync } from 'node:fs'
import { ROOT, sila, testStore } from './run.js'

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

test('check --fail-fast refuses the flags of a full run, naming both flags', () => {
  for (const flag of [['--out', 'x.json'], ['--workers', '2'], ['--report', 'r'], ['--json'], ['--shard', '0/2']]) {
    const run = sila('check', '--fail-fast', ...flag)
    assert.is(run.status, 2, flag.join(' '))
    assert.match(run.stderr, new RegExp(`--fail-fast and ${flag[0]} exclude each other`))
  }
})

test.run()
