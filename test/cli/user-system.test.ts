/**
 * A user's own declared system and properties, end to end, as README "Your own
 * properties" and "sila merge" promise them: every file a command writes is read
 * back by the command that reads it and reproduces what failed, and a file edited
 * wrongly by hand is refused (exit 2) at its path. Regressions of an acceptance
 * pass from the README alone (2026-12-06):
 *
 * - a trace whose last step was removed replayed with exit 0 and "every invariant
 *   held", no word on the failure it records (now `$.failure.step`, exit 2);
 * - a trace whose props file (`failure.props`) is not in the working directory was
 *   refused naming only the props file; one whose recorded property the file no
 *   longer states replayed the others and said nothing of it (now `$.failure.props`
 *   and `$.failure.invariant`, exit 2);
 * - `sila export --format test` of a user property's counterexample passed from the
 *   start (it asked the kernel and the catalogue, not the property);
 * - `sila merge` of swarm jobs printed no user property, nor the counterexample;
 * - a boot file naming a process where a container goes was told the process is
 *   "declared later" (no order would do), a misspelt name had no suggestion, and
 *   an image no trusted key signs did not say which key does sign it;
 * - \`sila audit --depth 2\` headed its explored properties "to depth 1", the depth
 *   of the first property's search, which had stopped at its violation.
 *
 * The commands are this tree's own `cli/main.js`, run in a directory inside the
 * package (so that a generated test resolves `sila-kernel` by self-reference).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { STACK_LINE, testStore } from './run.js'

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url))
const HERE = fileURLToPath(new URL('./', import.meta.url))
const DIR = mkdtempSync(join(HERE, 'tmp-user-system-'))
process.on('exit', () => rmSync(DIR, { recursive: true, force: true }))

interface Run { readonly status: number | null; readonly stdout: string; readonly stderr: string }

function run(cwd: string, command: string, ...args: string[]): Run {
  const result = spawnSync(process.execPath, [command, ...args], {
    cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, SILA_DEBUG: '', SILA_STORE: testStore(), NO_COLOR: '1' },
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}
const sila = (...args: string[]): Run => run(DIR, CLI, ...args)

const LIMITS = (memoryBytes: number, processes: number, endpoints: number, devices: string[] = []) =>
  ({ memoryBytes, processes, endpoints, cpuBudget: 100, ioBytes: 0, cpuWeight: 1, devices })

/** A teller in `tenant`, a clerk in `worker` (nested, sharing tenant's mount table), an empty `jail` three deep. */
const BANK = {
  root: { limits: { ...LIMITS(65536, 8, 6, ['disk0']), cpuBudget: 1000, cpuWeight: 4 } },
  devices: [{ name: 'disk0' }],
  keyring: [{ keyId: 'release', algorithm: 'ML-DSA-65' }],
  floors: {},
  init: { slots: 8 },
  cpuAccounting: false,
  images: ['echo@2.0.0'],
  system: {
    containers: [
      { name: 'tenant', parent: 'root', limits: { ...LIMITS(32768, 3, 2, ['disk0']), cpuBudget: 400, cpuWeight: 2 }, namespaces: { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: 'share' } },
      { name: 'worker', parent: 'tenant', limits: LIMITS(16384, 1, 0), namespaces: { pid: 'new', mount: 'share', net: 'new', ipc: 'share', user: 'share' } },
      { name: 'jail', parent: 'worker', limits: { ...LIMITS(0, 0, 0), cpuBudget: 0 }, namespaces: { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base: 1000, count: 10 } } },
    ],
    processes: [
      { name: 'teller', container: 'tenant', image: 'echo@2.0.0', uid: 0, slots: 3 },
      { name: 'clerk', container: 'worker', image: 'echo@2.0.0', uid: 0, slots: 2 },
    ],
    objects: [
      { name: 'ledger', kind: 'region', owner: 'tenant', sizeBytes: 1, executable: false },
      { name: 'counter', kind: 'endpoint', owner: 'tenant', depth: 1 },
    ],
    caps: [
      { holder: 'teller', slot: 0, object: 'counter', rights: ['read', 'write', 'grant'] },
      { holder: 'teller', slot: 1, object: 'ledger', rights: ['read', 'write'] },
      { holder: 'teller', slot: 2, object: 'disk0', rights: ['write'] },
      { holder: 'clerk', slot: 0, object: 'counter', rights: ['write'] },
    ],
  },
}

const PROPS = {
  format: 'sila-props/1',
  properties: [
    { name: 'clerk-never-ledger', says: 'worker never holds the ledger', kind: 'never-holds', subject: { container: 'worker' }, object: { name: 'ledger' } },
    { name: 'worker-one-proc', says: 'worker runs at most one process', kind: 'bound', measure: 'running', container: 'worker', max: 1 },
    { name: 'counter-queue', says: 'a message can wait on counter', kind: 'sometimes', when: [{ atLeast: { measure: 'queued', endpoint: 'counter', value: 1 } }] },
    { name: 'jail-runs', says: 'a process can run in jail', kind: 'sometimes', when: [{ atLeast: { measure: 'processes', container: 'jail', value: 1 } }] },
  ],
}

writeFileSync(join(DIR, 'bank.json'), JSON.stringify(BANK, null, 1))
writeFileSync(join(DIR, 'props.json'), JSON.stringify(PROPS, null, 1))

/** One search of the bank to depth 3, its counterexample and witnesses written in DIR. */
const searched = (() => {
  const result = sila('explore', '--boot', 'bank.json', '--props', 'props.json', '--depth', '3', '--counterexample', 'cex.trace.json', '--out', 'res.json')
  return result
})()

const readJson = (name: string): any => JSON.parse(readFileSync(join(DIR, name), 'utf8'))

test('explore --boot --props: each verdict as reasoned; the counterexample and the witness replay', () => {
  assert.is(searched.status, 1, searched.stderr)
  const results = readJson('res.json')
  assert.equal(results.properties.map((p: { name: string; status: string }) => [p.name, p.status]),
    [['clerk-never-ledger', 'violated'], ['worker-one-proc', 'held'], ['counter-queue', 'witnessed'], ['jail-runs', 'vacuous']])
  assert.equal(readJson('cex.trace.json').steps.map((s: { syscall: { kind: string } }) => s.syscall.kind), ['mount', 'resolve'])
  const replay = sila('replay', 'cex.trace.json')
  assert.is(replay.status, 1, replay.stderr)
  assert.match(replay.stdout, /^reproduced: clerk-never-ledger \(always, "worker never holds the ledger"\) is broken at step 1$/m)
  const witness = sila('replay', 'cex-witness-counter-queue.trace.json')
  assert.is(witness.status, 0, witness.stderr)
  assert.match(witness.stdout, /^reproduced: counter-queue \(sometimes[^\n]*is reached at step 0$/m)
})

test('a trace whose recorded failure is past its last step (a step removed) is refused by replay and export, exit 2', () => {
  const trace = readJson('cex.trace.json')
  trace.steps.pop()
  writeFileSync(join(DIR, 'cut.trace.json'), JSON.stringify(trace))
  for (const args of [['replay', 'cut.trace.json'], ['replay', 'cut.trace.json', '--model-only'], ['export', 'cut.trace.json', '--format', 'md']]) {
    const refused = sila(...args)
    assert.is(refused.status, 2, `${args.join(' ')}: ${refused.stdout}`)
    assert.match(refused.stderr, /^sila: cut\.trace\.json: \$\.failure\.step: 1, but the trace has 1 step \(so -1, the boot state, to 0\): a step was removed, or the failure is another trace's$/m)
    assert.not.match(refused.stderr, STACK_LINE)
  }
  // The boot state's failure of a trace of no steps is consistent: -1.
  const atBoot = { ...readJson('cex.trace.json'), steps: [], failure: { ...readJson('cex.trace.json').failure, step: -1 } }
  writeFileSync(join(DIR, 'boot.trace.json'), JSON.stringify(atBoot))
  assert.is(sila('replay', 'boot.trace.json').status, 0)
})

test('replay: the props file the trace names is not in the working directory, or no longer states the property: exit 2 at $.failure', () => {
  const elsewhere = join(DIR, 'elsewhere')
  mkdirSync(elsewhere, { recursive: true })
  const missing = run(elsewhere, CLI, 'replay', '../cex.trace.json')
  assert.is(missing.status, 2, missing.stdout)
  assert.match(missing.stderr, /^sila: \.\.\/cex\.trace\.json: \$\.failure\.props: no file "props\.json" here \(the path is relative to where the trace was written\): replay from there, or give --props FILE$/m)
  assert.is(run(elsewhere, CLI, 'replay', '../cex.trace.json', '--props', '../props.json').status, 1)
  const renamed = readJson('cex.trace.json')
  renamed.failure.invariant = 'gone'
  writeFileSync(join(DIR, 'renamed.trace.json'), JSON.stringify(renamed))
  const refused = sila('replay', 'renamed.trace.json')
  assert.is(refused.status, 2, refused.stdout)
  assert.match(refused.stderr, /^sila: renamed\.trace\.json: \$\.failure\.invariant: "gone" is not a property of props\.json \(it has clerk-never-ledger, worker-one-proc, counter-queue, \.\.\. \(4 in all\)\): give --props FILE to ask another file's$/m)
})

test('export --format test of a user property: the test fails while the property breaks; a witness\'s test passes while it is reached', () => {
  assert.is(sila('export', 'cex.trace.json', '--format', 'test', '--out', 'cex.test.mjs').status, 0)
  const failing = run(DIR, join(DIR, 'cex.test.mjs'))
  assert.is(failing.status, 1, failing.stdout + failing.stderr)
  assert.match(failing.stdout + failing.stderr, /step 1: user property clerk-never-ledger is broken \("worker never holds the ledger"\)/)
  assert.is(sila('export', 'cex-witness-counter-queue.trace.json', '--format', 'test', '--out', 'witness.test.mjs').status, 0)
  const passing = run(DIR, join(DIR, 'witness.test.mjs'))
  assert.is(passing.status, 0, passing.stdout + passing.stderr)
  assert.match(passing.stdout, /Passed:\s+3\b/)
  // The witness's state no longer good (its bound raised by hand in the test): the test says so.
  writeFileSync(join(DIR, 'witness5.test.mjs'), readFileSync(join(DIR, 'witness.test.mjs'), 'utf8').replace('"endpoint": "counter", "value": 1 }', '"endpoint": "counter", "value": 5 }'))
  const unreached = run(DIR, join(DIR, 'witness5.test.mjs'))
  assert.is(unreached.status, 1, unreached.stdout)
  assert.match(unreached.stdout + unreached.stderr, /no state of the trace satisfies counter-queue/)
})

test('merge of swarm jobs with --props prints every property\'s merged verdict and the counterexample kept', () => {
  for (const index of [0, 1]) {
    const job = sila('explore', '--boot', 'bank.json', '--props', 'props.json', '--swarm', `${index}/2`, '--seed', '3', '--depth', '4', '--out', `job${index}.json`)
    assert.is(job.status, 1, job.stderr)
  }
  const merged = sila('merge', 'job0.json', 'job1.json', '--out', 'merged.json')
  assert.is(merged.status, 1, merged.stderr)
  assert.match(merged.stdout, /^counterexample: sila-explore-counterexample-job[01]\.trace\.json \(written by the job that found it\)$/m)
  assert.match(merged.stdout, /^User properties:$/m)
  assert.match(merged.stdout, /^ {2}clerk-never-ledger \(always\): violated — process clerk holds cap \d+ to region ledger/m)
  assert.match(merged.stdout, /^ {2}worker-one-proc \(always\): held — held in each of the 2 swarm jobs, each within its bounds$/m)
  assert.match(merged.stdout, /^ {2}counter-queue \(sometimes\): witnessed — .*trace: sila-explore-witness-counter-queue-job[01]\.trace\.json$/m)
  assert.match(merged.stdout, /^ {2}jail-runs \(sometimes\): vacuous — not reached in any of the 2 swarm jobs: this is not a pass$/m)
  const file = readJson('merged.json')
  assert.is(file.props, 'props.json')
  assert.match(file.counterexample, /^sila-explore-counterexample-job[01]\.trace\.json$/)
})

test('merge refuses a swarm job edited to contradict itself (past its count, a negative count) and results of two kinds, exit 2 at the field', () => {
  const job = readJson('job0.json')
  const cases: ReadonlyArray<[string, (results: any) => void, RegExp]> = [
    ['past.json', (results) => { results.swarm.index = 7 }, /^sila: past\.json: \$\.swarm\.index: 7, expected less than \$\.swarm\.count \(2\)$/m],
    ['negative.json', (results) => { results.distinct = -5 }, /^sila: negative\.json: \$\.distinct: expected a non-negative integer, found -5$/m],
    ['version.json', (results) => { results.format = 'sila-explore/2' }, /^sila: version\.json: \$\.format: expected "sila-check\/1" \(sila check --out\) or "sila-explore\/1" \(sila explore --out\), found "sila-explore\/2"$/m],
  ]
  for (const [name, edit, expected] of cases) {
    const edited = JSON.parse(JSON.stringify(job))
    edit(edited)
    writeFileSync(join(DIR, name), JSON.stringify(edited))
    const refused = sila('merge', name, 'job1.json')
    assert.is(refused.status, 2, `${name}: ${refused.stdout}${refused.stderr}`)
    assert.match(refused.stderr, expected)
  }
  const check = { format: 'sila-check/1', seed: 1, runs: 1, maxSteps: 1, shard: null, passed: true, suites: [] }
  writeFileSync(join(DIR, 'check.json'), JSON.stringify(check))
  const mixed = sila('merge', 'job0.json', 'check.json')
  assert.is(mixed.status, 2, mixed.stdout)
  assert.match(mixed.stderr, /^sila: check\.json: \$\.format: "sila-check\/1", but job0\.json is "sila-explore\/1": merge check shards or swarm jobs, not both$/m)
})

test('audit --boot --props --depth 2: the searches listed are said to go to depth 2, though the first property\'s stopped at its violation', () => {
  const audit = sila('audit', '--boot', 'bank.json', '--props', 'props.json', '--depth', '2')
  assert.is(audit.status, 1, audit.stderr)
  assert.match(audit.stdout, /^clerk-never-ledger +always +holds +may fail +VIOLATED \(2 steps\)/m)
  assert.match(audit.stdout, /^Explored from the boot state \(to depth 2\):$/m)
  assert.match(audit.stdout, /^ {2}worker-one-proc: held within depth 2 \/ [\d,]+ states$/m)
})

test('boot file: a name of the wrong kind is said to be so (no order would do); a misspelt name gets "did you mean"', () => {
  const cases: ReadonlyArray<[(system: any) => void, RegExp]> = [
    [(system) => { system.processes[0].container = 'clerk' }, /\$\.system\.processes\[0\]\.container: "clerk" is a process \(at \$\.system\.processes\[1\]\), not a container$/m],
    [(system) => { system.containers[2].parent = 'clerk' }, /\$\.system\.containers\[2\]\.parent: "clerk" is a process \(at \$\.system\.processes\[1\]\), not a container$/m],
    [(system) => { system.processes[1].container = 'counter' }, /\$\.system\.processes\[1\]\.container: "counter" is an endpoint \(at \$\.system\.objects\[1\]\), not a container$/m],
    [(system) => { system.processes[1].container = 'wroker' }, /\$\.system\.processes\[1\]\.container: no declared object or device named "wroker"; did you mean "worker"\?$/m],
    [(system) => { system.caps[3].holder = 'clark' }, /\$\.system\.caps\[3\]\.holder: no declared object or device named "clark"; did you mean "clerk"\?$/m],
    // A shipped image signed by a key id the user could not guess: the message names it.
    [(system) => { system.processes[1].image = 'svc@1.0.0' }, /\$\.system\.processes\[1\]\.image: not signed by a trusted key \(IMG-1: a process runs only such images\); it is signed by "core", the keyring trusts "release"$/m],
  ]
  for (const [index, [edit, expected]] of cases.entries()) {
    const boot = JSON.parse(JSON.stringify(BANK))
    edit(boot.system)
    writeFileSync(join(DIR, `bad${index}.json`), JSON.stringify(boot))
    const refused = sila('explore', '--boot', `bad${index}.json`, '--depth', '1')
    assert.is(refused.status, 2, refused.stdout)
    assert.match(refused.stderr, expected)
    assert.match(refused.stderr, new RegExp(`^sila: bad${index}\\.json: `))
    assert.not.match(refused.stderr, STACK_LINE)
  }
})

test.run()
