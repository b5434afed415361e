import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sila } from '../cli/run.js'
import { UPDATE_CASES } from '../../properties/suites/update.js'

const scratch = mkdtempSync(join(tmpdir(), 'sila-update-'))
test.after(() => rmSync(scratch, { recursive: true, force: true }))

test('sila check update --runs 50 passes and reports the update coverage', () => {
  const run = sila('check', 'update', '--runs', '50', '--seed', '7', '--counterexamples', scratch)
  assert.is(run.status, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /update\s+50\s+\d+\s+[\d.]+ s\s+passed/)
  assert.match(run.stdout, /All suites passed/)
  assert.equal(readdirSync(scratch), [], 'no counterexample written')
  const json = sila('check', 'update', '--runs', '50', '--seed', '7', '--json', '--counterexamples', scratch)
  assert.is(json.status, 0, json.stderr)
  const summary = JSON.parse(json.stdout) as { passed: boolean; suites: Array<{ suite: string; runs: number; coverage: { cases: Record<string, number> } }> }
  assert.ok(summary.passed)
  const update = summary.suites.find((suite) => suite.suite === 'update')!
  assert.is(update.runs, 50)
  assert.ok((update.coverage.cases[UPDATE_CASES.committed] ?? 0) > 0)
  assert.ok((update.coverage.cases[UPDATE_CASES.rolledBack] ?? 0) > 0)
  assert.ok((update.coverage.cases[UPDATE_CASES.queued] ?? 0) > 0)
})

test('sila update-demo: a timeline where the endpoint moves under load, then UPD-1 held, exit 0', () => {
  const run = sila('update-demo')
  assert.is(run.status, 0, run.stdout + run.stderr)
  assert.is(run.stderr, '')
  const flat = run.stdout.replace(/\s+/g, ' ')
  for (const text of [
    'counter@1.0.0 → counter@2.0.0', 'process_spawn counter@2.0.0', 'prepare-for-update', 'V1 sends its snapshot',
    'endpoint receive cap moved V1 → V2', 'queued during the update', 'wait in the service endpoint while its receive cap moves',
    'queued during the update (the receive cap is in transit)', 'MM kills V1', 'update committed', 'UPD-1 held.', 'REF-1 held',
  ]) assert.ok(flat.includes(text), `missing "${text}"`)
  assert.match(run.stdout, /requests\s+(\d+) accepted, \1 answered exactly once each; none lost, none duplicated/)
  assert.match(run.stdout, /migrate\(V1's final state \{"count":(\d+)\}\) = \{"total":\1,"ops":0\}; V2 took over with \{"total":\1,"ops":0\}/)
})

test('sila update-demo --fail-v2: V2 rejects the snapshot, V1 resumes with its state, exit 0', () => {
  const run = sila('update-demo', '--fail-v2', '--clients', '2', '--seed', '3')
  assert.is(run.status, 0, run.stdout + run.stderr)
  const flat = run.stdout.replace(/\s+/g, ' ')
  for (const text of ['V2 rejects the snapshot', 'V1 resumes: endpoint receive cap moved back to it', 'update rolled back', 'UPD-1 held.']) assert.ok(flat.includes(text), `missing "${text}"`)
  assert.match(run.stdout, /V1 handed off \{"count":(\d+)\} and resumed with \{"count":\1\}/)
  assert.match(run.stdout, /end\s+V1 \(counter-v1\) serves/)
})

test('sila update-demo --refuse-v2 --json: the kernel refuses the image, nothing else happens', () => {
  const run = sila('update-demo', '--refuse-v2', '--json')
  assert.is(run.status, 0, run.stderr)
  const result = JSON.parse(run.stdout) as { held: boolean; updates: Array<{ result: string }>; serving: { name: string } }
  assert.ok(result.held)
  assert.equal(result.updates.map((update) => update.result), ['refused-at-spawn'])
  assert.is(result.serving.name, 'V1')
})

test('sila update-demo with a broken protocol: UPD-1 fails, exit 1', () => {
  const run = sila('update-demo', '--protocol', 'repoint-name')
  assert.is(run.status, 1, run.stdout + run.stderr)
  assert.match(run.stdout, /UPD-1 FAILED at step \d+ \(name\): the name "counter" resolves to nothing/)
  const skipped = sila('update-demo', '--protocol', 'skip-drain', '--json')
  assert.is(skipped.status, 1)
  assert.is((JSON.parse(skipped.stdout) as { held: boolean }).held, false)
})

test('sila update-demo refuses bad flags with exit 2, and is listed in sila --help', () => {
  for (const args of [['--clients', '9'], ['--clients', '0'], ['--seed', 'x'], ['--protocol', 'teleport'], ['--fail-v2', '--refuse-v2'], ['extra']]) {
    const run = sila('update-demo', ...args)
    assert.is(run.status, 2, `${args.join(' ')}: ${run.stderr}`)
    assert.match(run.stderr, /sila update-demo: /)
  }
  assert.match(sila('--help').stdout, /update-demo\s+run the live update/)
  assert.is(sila('update-demo', '--help').status, 0)
})

test.run()
