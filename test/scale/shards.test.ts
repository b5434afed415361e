import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { runSuite } from '../../properties/run.js'
import { SUITE_NAMES } from '../../properties/suite.js'
import { implTarget } from '../../refinement/abstraction.js'
import { CheckResultsCodec, mergeResults, summarize } from '../../checker/results.js'
import type { RefinementTarget } from '../../refinement/target.js'

const run = promisify(execFile)
const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url))
const SEED = 77
const RUNS = 40
const SHARDS = 4

/** What must agree between a sharded and an unsharded run: everything but timing. */
function comparable(results: ReturnType<typeof mergeResults>) {
  return results.suites.map((s) => ({ suite: s.suite, runs: s.runs, coverage: s.coverage, failed: s.failure !== null }))
}

test('four shards run as separate processes merge to exactly what the same shards give in one process', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'sila-shards-'))
  try {
    await Promise.all(Array.from({ length: SHARDS }, (_, index) => run(process.execPath, [
      CLI, 'check', '--seed', String(SEED), '--runs', String(RUNS), '--max-steps', '30', '--workers', '1',
      '--shard', `${index}/${SHARDS}`, '--out', join(directory, `shard-${index}.json`), '--counterexamples', directory,
    ], { cwd: directory })))
    const files = Array.from({ length: SHARDS }, (_, index) => join(directory, `shard-${index}.json`))
    const merged = await run(process.execPath, [CLI, 'merge', ...files, '--out', join(directory, 'merged.json')], { cwd: directory })
    assert.match(merged.stdout, /4 result files merged: all passed/)
    const fromProcesses = CheckResultsCodec.decode(JSON.parse(readFileSync(join(directory, 'merged.json'), 'utf8')))
    assert.ok(fromProcesses._tag === 'Right')
    const inProcess = mergeResults(Array.from({ length: SHARDS }, (_, index) => ({
      format: 'sila-check/1' as const, seed: SEED, runs: RUNS, maxSteps: 30, shard: { index, count: SHARDS }, passed: true,
      suites: SUITE_NAMES.map((suite) => summarize(runSuite(suite, { suites: SUITE_NAMES, runs: RUNS, seed: SEED, maxSteps: 30, shard: { index, count: SHARDS }, target: implTarget as unknown as RefinementTarget }), null)),
    })))
    assert.equal(comparable(fromProcesses.right), comparable(inProcess))
    for (const suite of fromProcesses.right.suites) assert.is(suite.runs, RUNS, `${suite.suite}: the shards together make the unsharded run count`)
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
})

test('the same seed gives byte-identical results files, whatever the worker count', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'sila-determinism-'))
  try {
    for (const [name, workers] of [['a', '1'], ['b', '2']] as const) {
      await run(process.execPath, [CLI, 'check', 'invariants', 'noninterference', '--seed', '5', '--runs', '30', '--workers', workers, '--out', join(directory, `${name}.json`)], { cwd: directory })
    }
    assert.is(readFileSync(join(directory, 'a.json'), 'utf8'), readFileSync(join(directory, 'b.json'), 'utf8'))
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
})

test.run()
