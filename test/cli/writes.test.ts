/**
 * Where `sila check` and `sila explore` write: only the places the user names (or,
 * unnamed, beside --out), and the counterexample store `SILA_STORE` names; a
 * results file of explore is byte-identical for the same flags; and the test
 * helper's runs leave the repository's `.sila/` and root as they were.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { ROOT, sila, testStore } from './run.js'

const CLI = join(ROOT, 'dist', 'cli', 'main.js')

/** Every file under `directory`, relative, with size and modification time: what a run may not change. */
function snapshot(directory: string): string[] {
  if (!existsSync(directory)) return []
  const found: string[] = []
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name)
      const stats = statSync(path)
      if (stats.isDirectory()) walk(path)
      else found.push(`${relative(directory, path)} ${stats.size} ${stats.mtimeMs}`)
    }
  }
  walk(directory)
  return found
}

/** The files under `directory`, relative paths only. */
function files(directory: string): string[] {
  return snapshot(directory).map((line) => line.split(' ')[0]!)
}

/** `sila ARGS` in `cwd`, with the environment given (no SILA_STORE unless given). */
function silaIn(cwd: string, args: string[], env: Record<string, string> = {}) {
  const { SILA_STORE: _ignored, ...inherited } = process.env
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...inherited, SILA_DEBUG: '', ...env }, timeout: 120_000 })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

function scratch(name: string): string {
  return mkdtempSync(join(tmpdir(), `sila-${name}-`))
}

test('explore --mutant --out: the results and the counterexample are beside --out, nothing else is written', () => {
  const cwd = scratch('explore-out')
  try {
    mkdirSync(join(cwd, 'tour'))
    const run = silaIn(cwd, ['explore', '--mutant', 'revoke-misses-messages', '--out', 'tour/explore.json'])
    assert.is(run.status, 1, run.stderr)
    assert.equal(files(cwd), ['tour/explore.json', 'tour/sila-explore-counterexample-explore.trace.json'])
    assert.match(run.stdout, /^counterexample: tour\/sila-explore-counterexample-explore\.trace\.json; replay it: npx sila replay tour\/sila-explore-counterexample-explore\.trace\.json( --model-mutant revoke-misses-messages)?$/m)
    const results = JSON.parse(readFileSync(join(cwd, 'tour', 'explore.json'), 'utf8')) as Record<string, unknown>
    assert.is(results.counterexample, 'tour/sila-explore-counterexample-explore.trace.json')
    // The trace records the model mutant that produced it: replay reproduces the failure there, and the model itself keeps CAP-3.
    const replayed = silaIn(cwd, ['replay', 'tour/sila-explore-counterexample-explore.trace.json'])
    assert.is(replayed.status, 1, replayed.stdout)
    const onModel = silaIn(cwd, ['replay', 'tour/sila-explore-counterexample-explore.trace.json', '--model-only'])
    assert.is(onModel.status, 0, onModel.stdout)
    assert.is(files(cwd).length, 2, 'replay writes nothing')
  } finally {
    rmSync(cwd, { recursive: true, force: true })
  }
})

test('explore --out is byte-identical for the same flags (no time, rate or memory in it); --json still prints them', () => {
  const cwd = scratch('explore-same')
  try {
    for (const name of ['a', 'b']) {
      mkdirSync(join(cwd, name))
      assert.is(silaIn(cwd, ['explore', '--mutant', 'revoke-misses-messages', '--out', `${name}/explore.json`]).status, 1)
      assert.is(silaIn(cwd, ['explore', '--swarm', '1/4', '--seed', '3', '--depth', '6', '--out', `${name}/swarm.json`]).status, 0)
    }
    for (const file of ['explore.json', 'sila-explore-counterexample-explore.trace.json', 'swarm.json']) {
      const first = readFileSync(join(cwd, 'a', file), 'utf8')
      assert.is(readFileSync(join(cwd, 'b', file), 'utf8'), first.replaceAll('a/sila-explore', 'b/sila-explore'), file)
      assert.not.match(first, /durationMs|statesPerSecond|peakMemoryBytes/, file)
    }
    const printed = JSON.parse(silaIn(cwd, ['explore', '--swarm', '1/4', '--seed', '3', '--depth', '6', '--json']).stdout) as Record<string, unknown>
    assert.type(printed.durationMs, 'number')
    assert.type(printed.peakMemoryBytes, 'number')
    // The same job twice is one search: merging it would count its states twice.
    const merged = silaIn(cwd, ['merge', 'a/swarm.json', 'b/swarm.json', '--json'])
    assert.is(merged.status, 2, merged.stderr)
    assert.match(merged.stderr, /b\/swarm\.json: \$\.swarm: job 1\/4 seed 3 is also in swarm\.json/)
  } finally {
    rmSync(cwd, { recursive: true, force: true })
  }
})

test('check: a counterexample goes beside --out when no directory is named, and into the store SILA_STORE names', () => {
  const cwd = scratch('check-out')
  try {
    mkdirSync(join(cwd, 'results'))
    const args = ['check', 'refinement', '--mutant', 'copy-amplifies-rights', '--runs', '50', '--seed', '1', '--workers', '1']
    const first = silaIn(cwd, [...args, '--out', 'results/check.json'], { SILA_STORE: 'store' })
    assert.is(first.status, 1, first.stderr)
    const traces = files(join(cwd, 'results')).filter((name) => name.endsWith('.trace.json'))
    assert.is(traces.length, 1)
    assert.match(first.stdout, new RegExp(`^counterexample: results/${traces[0]!.replace(/\./g, '\\.')} `, 'm'))
    assert.equal(files(join(cwd, 'store')), [traces[0]!.replace(/^sila-counterexample-/, '')])
    assert.not.ok(existsSync(join(cwd, '.sila')), 'no default store beside a named one')
    assert.equal(readdirSync(cwd).sort(), ['results', 'store'])
    // A later run tries the stored scenario first.
    const again = silaIn(cwd, [...args, '--counterexamples', 'again'], { SILA_STORE: 'store' })
    assert.is(again.status, 1)
    assert.match(again.stdout, /from the store/)
  } finally {
    rmSync(cwd, { recursive: true, force: true })
  }
})

test('SILA_STORE naming a file is refused (exit 2)', () => {
  const cwd = scratch('store-file')
  try {
    const run = silaIn(cwd, ['check', 'refinement', '--runs', '5', '--workers', '1'], { SILA_STORE: CLI })
    assert.is(run.status, 2, run.stderr)
    assert.match(run.stderr, /the counterexample store \(SILA_STORE=DIR names another\) .*: is an existing file, expected a directory/)
    assert.not.match(run.stdout, /refinement .* passed/, 'refused before the run')
  } finally {
    rmSync(cwd, { recursive: true, force: true })
  }
})

test('a damaged entry of the counterexample store is named in a warning, and the run goes on', () => {
  const cwd = scratch('store-damaged')
  try {
    const store = join(cwd, 'store')
    mkdirSync(store)
    writeFileSync(join(store, 'cut-short.trace.json'), '{"format": "sila-tr')
    writeFileSync(join(store, 'other.trace.json'), '{"format": "sila-trace/1"}')
    const run = silaIn(cwd, ['check', 'refinement', '--runs', '2', '--workers', '1'], { SILA_STORE: store })
    assert.is(run.status, 0, run.stderr)
    assert.match(run.stderr, /warning: .*cut-short\.trace\.json in the counterexample store is skipped: not valid JSON/)
    assert.match(run.stderr, /warning: .*other\.trace\.json in the counterexample store is skipped: not a sila-trace\/1 trace/)
  } finally {
    rmSync(cwd, { recursive: true, force: true })
  }
})

test('a store that cannot be created (.sila a file) is refused before the run, not after it found a failure', () => {
  const cwd = scratch('store-blocked')
  try {
    writeFileSync(join(cwd, '.sila'), 'not a directory\n')
    const run = silaIn(cwd, ['check', 'refinement', '--runs', '50', '--seed', '42', '--workers', '1', '--mutant', 'copy-amplifies-rights', '--counterexamples', 'found'], {})
    assert.is(run.status, 2, run.stderr)
    assert.match(run.stderr, /the counterexample store \(SILA_STORE=DIR names another\) \.sila\/counterexamples: cannot be created: .*\.sila is not a directory/)
    assert.not.match(run.stdout, /FAILED/, 'refused before the run')
    assert.not.ok(existsSync(join(cwd, 'found')))
  } finally {
    rmSync(cwd, { recursive: true, force: true })
  }
})

test('the test helper\'s runs leave the repository\'s .sila/ and root untouched; its store is the test process\'s own', () => {
  const before = { store: snapshot(join(ROOT, '.sila')), root: readdirSync(ROOT).sort() }
  const out = scratch('helper')
  try {
    const failed = sila('check', 'refinement', '--mutant', 'copy-amplifies-rights', '--runs', '50', '--seed', '1', '--workers', '1', '--out', join(out, 'check.json'))
    assert.is(failed.status, 1, failed.stderr)
    assert.ok(files(out).some((name) => name.startsWith('sila-counterexample-refinement-')), 'the trace went beside --out')
    assert.ok(files(testStore()).some((name) => name.startsWith('refinement-')), 'the failure is kept in the helper\'s store')
    assert.is(sila('check', 'invariants', '--runs', '10', '--seed', '2', '--workers', '1').status, 0)
    assert.is(sila('explore', '--mutant', 'revoke-misses-messages', '--out', join(out, 'explore.json')).status, 1)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
  assert.equal(snapshot(join(ROOT, '.sila')), before.store, 'the repository\'s counterexample store is untouched')
  assert.equal(readdirSync(ROOT).sort(), before.root, 'nothing new in the repository\'s root')
})

test.run()
