import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BENCHMARKS, type BenchReport, type ExploreRun, medianRun } from '../../bench/run.js'
import { ROOT, sila, STACK_LINE } from './run.js'

const IDS = Object.keys(BENCHMARKS)
// B8 (10^4 spawns of one signed image) takes about a second: the cheap one to run here.
const CHEAP = 'B8'

test('--help describes the options and why a missed target still exits 0', () => {
  const run = sila('bench', '--help')
  assert.is(run.status, 0)
  assert.match(run.stdout, /^Usage: sila bench \[ID\.\.\.\]/)
  for (const flag of ['--list', '--json', '--out FILE', '--markdown']) assert.ok(run.stdout.includes(flag), flag)
  assert.match(run.stdout, /a missed target is\s+reported/)
  assert.not.match(run.stdout, /planned/)
  assert.not.match(sila('--help').stdout, /bench .*\(planned\)/)
})

test('--list names every benchmark and what it measures, without running any', () => {
  const run = sila('bench', '--list')
  assert.is(run.status, 0, run.stderr)
  assert.is(run.stderr, '')
  assert.ok(IDS.length >= 7, IDS.join(' '))
  for (const id of IDS) assert.match(run.stdout, new RegExp(`^${id} +\\S.* ~\\d+ (s|min)$`, 'm'), id)
  // npm run bench is the same command.
  const npm = spawnSync(process.execPath, ['dist/bench/run.js', '--list'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
  assert.is(npm.status, 0, npm.stderr)
  assert.is(npm.stdout, run.stdout)
})

test('an unknown id exits 2 naming it and the valid ids, without a stack trace', () => {
  const run = sila('bench', CHEAP, 'B99')
  assert.is(run.status, 2)
  assert.is(run.stdout, '')
  assert.match(run.stderr, /^sila bench: unknown benchmark "B99"; expected one of /)
  for (const id of IDS) assert.ok(run.stderr.includes(id), id)
  assert.not.match(run.stderr, /bench: \[/, 'nothing ran')
  assert.not.match(run.stderr, STACK_LINE)
  assert.match(sila('bench', 'B7').stderr, /sila mutants/)
  assert.is(sila('bench', '--frobnicate').status, 2)
})

test(`bench ${CHEAP} prints the machine, a progress line, the table and a last line; exit 0`, () => {
  const run = sila('bench', CHEAP)
  assert.is(run.status, 0, run.stderr)
  assert.match(run.stderr, new RegExp(`^bench: \\[1/1\\] ${CHEAP} .* \\d+\\.\\d s$`, 'm'))
  assert.match(run.stdout, new RegExp(`^machine: .+, \\d+ cores, \\d+ GiB, Node ${process.version.replace(/\./g, '\\.')}$`, 'm'))
  assert.match(run.stdout, /^id +what +measured +target +met$/m)
  assert.match(run.stdout, new RegExp(`^${CHEAP} +\\S`, 'm'))
  assert.match(run.stdout, /^1 benchmark in [\d.]+ s: (all \d+ targets met|its target met|\d+ of \d+ targets not met .*exit 0)$/m)
})

test(`bench ${CHEAP} --json --out: the JSON parses, has the rows and machine, and the file holds the same`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sila-bench-'))
  try {
    const file = join(dir, 'bench.json')
    const run = sila('bench', CHEAP, '--json', '--out', file)
    assert.is(run.status, 0, run.stderr)
    const report = JSON.parse(run.stdout) as BenchReport
    assert.is(report.format, 'sila-bench/1')
    assert.ok(report.rows.length > 0)
    for (const row of report.rows) {
      assert.is(row.id, CHEAP)
      assert.type(row.measured, 'string')
      assert.ok(row.measured.length > 0)
      assert.type(row.met, 'boolean')
    }
    assert.is(report.met, report.rows.every((row) => row.met))
    assert.is(report.machine.node, process.version)
    assert.ok(report.machine.cores > 0)
    assert.is(report.benchmarks.length, 1)
    assert.is(report.benchmarks[0]!.id, CHEAP)
    assert.equal(JSON.parse(readFileSync(file, 'utf8')), report)
    assert.equal(readdirSync(dir), ['bench.json'], 'no temporary file left')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('B9 reports the run of median rate among its runs, and their range', () => {
  const run = (rate: number): ExploreRun => ({ rate, seconds: 1, peak: 0, distinct: rate, generated: 0, depth: 6, complete: false })
  const { median, least, most } = medianRun([run(30_000), run(52_000), run(41_000), run(29_000), run(47_000)])
  assert.is(median.rate, 41_000)
  assert.is(median.distinct, 41_000, 'the whole run, not only its rate')
  assert.is(least, 29_000)
  assert.is(most, 52_000)
  assert.is(medianRun([run(7)]).median.rate, 7)
})

test.run()
