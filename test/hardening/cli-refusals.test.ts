/**
 * Inputs and outputs a user can get wrong that once ended in an internal error
 * (exit 70), a hang, or an answer: each is refused with exit 2 and a message naming
 * the file (and, in a JSON file, the path), before any work where it can be.
 * Found by fuzzing the command line (2026-12-05): values nested thousands deep,
 * outputs on file systems that refuse what root's permission checks allow, a
 * module request longer than a message, devices named twice or not at all, and
 * results files that are not one run's.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { DEFAULT_BOOT } from '../../spec/boot.js'
import { CHECK_FORMAT, type CheckResults, checkShards, checkSwarmJobs, type ExploreResults, mergeResults } from '../../checker/results.js'
import { InputError } from '../../spec/decode.js'
import { ROOT, sila, STACK_LINE } from '../cli/run.js'

const directory = mkdtempSync(join(tmpdir(), 'sila-refusals-'))
test.after(() => rmSync(directory, { recursive: true, force: true }))

/** A refusal: exit 2, no stack, no internal error, and `pattern` in the message. */
function refused(run: ReturnType<typeof sila>, pattern: RegExp): void {
  assert.is(run.status, 2, `${run.stdout}\n${run.stderr}`)
  assert.not.match(run.stderr, /internal error/)
  assert.not.match(run.stderr, STACK_LINE)
  assert.match(run.stderr, pattern)
}

test('a value nested thousands deep is refused at its path, its start quoted (the whole is never serialised)', () => {
  const deep = (depth: number, inner: string) => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`
  const file = join(directory, 'deep.json')
  writeFileSync(file, deep(6000, ''))
  refused(sila('replay', file), /deep\.json: \$: expected an object, found \[\[\[\[.*\.\.\./)
  // Deep inside a field of a boot file: the path is the field's.
  const boot = join(directory, 'deep-boot.json')
  writeFileSync(boot, JSON.stringify({ ...DEFAULT_BOOT, floors: { echo: '__DEEP__' } }).replace('"__DEEP__"', deep(6000, '1')))
  refused(sila('explore', '--boot', boot, '--depth', '1'), /deep-boot\.json: \$\.floors\.echo: expected .*, found \[\[\[/)
  // Objects nested alike.
  const objects = join(directory, 'deep-objects.json')
  writeFileSync(objects, `{"format":"sila-check/1","seed":${'{"a":'.repeat(6000)}1${'}'.repeat(6000)}}`)
  refused(sila('merge', objects), /deep-objects\.json: \$\.seed: expected .*, found \{"a":\{"a":/)
})

test('an output the file system refuses is refused before the run, even for root, and nothing is left behind', () => {
  // /sys and /proc refuse new files whoever asks; root passes access(2) there.
  if (!existsSync('/sys') || !existsSync('/proc/self')) return
  refused(sila('explore', '--preset', 'cap-core', '--depth', '1', '--out', '/sys/sila.json'), /--out \/sys\/sila\.json: parent directory \/sys is not writable/)
  refused(sila('check', 'invariants', '--runs', '1', '--out', '/sys/sila.json'), /--out \/sys\/sila\.json: parent directory \/sys is not writable/)
  refused(sila('explore', '--preset', 'cap-core', '--depth', '1', '--counterexample', '/sys/c.json'), /--counterexample \/sys\/c\.json: parent directory \/sys is not writable/)
  // A report under /proc: Node's recursive mkdir there never returns; refused before, at once.
  refused(sila('replay', 'examples/ipc-transfer.trace.json', '--report', '/proc/sila-report/x'), /--report \/proc\/sila-report\/x: cannot be created: \/proc is not writable/)
  // A writable directory is still taken, and the probe leaves no file in it.
  const out = join(directory, 'out')
  rmSync(out, { recursive: true, force: true })
  const run = sila('explore', '--preset', 'cap-core', '--depth', '1', '--report', join(out, 'report'), '--out', join(directory, 'explore.json'))
  assert.is(run.status, 0, run.stderr)
  assert.equal(readdirSync(out), ['report'])
  assert.equal(readdirSync(directory).filter((name) => name.startsWith('.sila-probe')), [])
})

test('a module request longer than one message is refused naming the bound, before the repository is read', () => {
  const long = JSON.stringify({ a: 'x'.repeat(4100) })
  refused(sila('pipeline', 'load', '--repo', join(directory, 'no-repo'), '--keyring', join(directory, 'no-keys'), 'counter', '--parameters', long),
    /the LoadModuleRequest \(NAME, CONSTRAINT and --parameters\) is \d+ characters of JSON; a message carries at most 4096/)
  refused(sila('pipeline', 'load', '--repo', join(directory, 'no-repo'), '--keyring', join(directory, 'no-keys'), 'counter', `>=1.0.0 ${'<9.0.0 '.repeat(700)}`),
    /is \d+ characters of JSON; a message carries at most 4096/)
})

test('devices: one named twice is refused at its path, in boot files and traces; one allowed to the root but not declared is warned of', () => {
  const system = { containers: [], processes: [{ name: 'p', container: 'root', image: 'echo@1.9.2', uid: 0, slots: 2 }], objects: [], caps: [] }
  const twice = join(directory, 'devices-twice.json')
  writeFileSync(twice, JSON.stringify({ ...DEFAULT_BOOT, devices: [{ name: 'disk0' }, { name: 'disk0' }], root: { limits: { ...DEFAULT_BOOT.root.limits, devices: ['disk0'] } }, system }))
  refused(sila('explore', '--boot', twice, '--depth', '1'), /devices-twice\.json: \$\.devices\[1\]\.name: the device "disk0" is declared twice/)
  const undeclared = join(directory, 'devices-undeclared.json')
  writeFileSync(undeclared, JSON.stringify({ ...DEFAULT_BOOT, devices: [], root: { limits: { ...DEFAULT_BOOT.root.limits, devices: ['tape0'] } }, system }))
  // Allowed without being declared: it boots (an allowed set is a set of names, as a child's is at runtime), with a warning.
  const allowed = sila('explore', '--boot', undeclared, '--depth', '1')
  assert.is(allowed.status, 0, allowed.stderr)
  assert.match(allowed.stderr, /warning: .*devices-undeclared\.json: \$\.root\.limits\.devices\[0\]: "tape0" is allowed but no device of \$\.devices has that name/)
  // A trace carries its boot: the path is the trace's.
  const trace = JSON.parse(readText('examples/ipc-transfer.trace.json')) as { boot: typeof DEFAULT_BOOT }
  const traceFile = join(directory, 'devices.trace.json')
  writeFileSync(traceFile, JSON.stringify({ ...trace, boot: { ...trace.boot, devices: [...trace.boot.devices, trace.boot.devices[0]] } }))
  refused(sila('replay', traceFile), /devices\.trace\.json: \$\.boot\.devices\[\d+\]\.name: the device "\w+" is declared twice/)
  // On a seeded impl mutant, whose copy of the impl throws a BootError class of its own: refused alike.
  refused(sila('replay', traceFile, '--mutant', 'copy-amplifies-rights'), /devices\.trace\.json: \$\.boot\.devices\[\d+\]\.name: the device "\w+" is declared twice/)
  // A pool names each image once (kernel.md §4): a boot file's images list naming one twice, by name or digest, is refused at the second.
  const images = join(directory, 'images-twice.json')
  writeFileSync(images, JSON.stringify({ ...DEFAULT_BOOT, images: ['echo@1.9.2', 'core@1.0.0', 'echo@1.9.2'], system }))
  refused(sila('explore', '--boot', images, '--depth', '1'), /images-twice\.json: \$\.images\[2\]: names sha256:[0-9a-f]{64} again \(as \$\.images\[0\] does\): the pool names each image once/)
  // A process may run an image the list names: that is no second entry.
  writeFileSync(images, JSON.stringify({ ...DEFAULT_BOOT, images: ['echo@1.9.2'], system }))
  assert.is(sila('explore', '--boot', images, '--depth', '1').status, 0)
})

function readText(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8')
}

test('a JSON file given as a module, a file given as a directory: refused in words, not in Node\'s', () => {
  const json = join(directory, 'kernel.json')
  writeFileSync(json, '{}')
  refused(sila('replay', 'examples/ipc-transfer.trace.json', '--kernel', json), /kernel\.json: not a JavaScript module: Node reads it as JSON/)
  refused(sila('image', 'inspect', json), /kernel\.json\/oci-layout: cannot read: a part of the path is not a directory/)
  refused(sila('repo', 'list', json), /kernel\.json\/repository\.json: cannot read: a part of the path is not a directory/)
})

test('a property module whose check answers nonsense, a detail that is not JSON, or that throws nothing: refused naming the module and the property', () => {
  const define = JSON.stringify(pathToFileURL(join(ROOT, 'dist/properties/user/define.js')).href)
  const cases: ReadonlyArray<[string, string, RegExp]> = [
    ['true', `defineProperty('p', () => true)`, /the check of property "p" answered boolean true; it answers null, undefined or false for no witness/],
    ['zero', `defineProperty('p', () => 0)`, /answered number 0;/],
    ['async', `defineProperty('p', async () => null)`, /answered a Promise \(the check must not be async\)/],
    ['array', `defineProperty('p', () => ['x'], { kind: 'sometimes' })`, /answered an array;/],
    ['bigint', `defineProperty('p', () => ({ message: 'm', detail: { n: 1n } }))`, /the check of property "p" answered a detail whose detail\.n is a bigint, not JSON/],
    ['cycle', `defineProperty('p', () => { const d = { a: [] }; d.a.push(d); return { message: 'm', detail: d } })`, /answered a detail whose detail\.a\[0\] contains itself, not JSON/],
    ['function', `defineProperty('p', () => ({ message: 'm', detail: { f: () => 1 } }))`, /answered a detail whose detail\.f is a function, not JSON/],
    ['infinite', `defineProperty('p', () => ({ message: 'm', detail: { x: [1, Infinity] } }))`, /detail\.x\[1\] is Infinity, not JSON/],
    // An object made without defineProperty answers a witness itself: its shape is checked alike.
    ['raw', `{ name: 'p', says: 'p', kind: 'always', test: () => ({ message: 7 }) }`, /the check of property "p" answered something other than null or \{ message, detail \}/],
  ]
  for (const [name, property, pattern] of cases) {
    const file = join(directory, `answer-${name}.mjs`)
    writeFileSync(file, `import { defineProperty } from ${define}\nexport default [${property}]\n`)
    refused(sila('explore', '--boot', 'examples/systems/web-app/boot.json', '--depth', '1', '--props', file, '--counterexample', join(directory, 'c.json')), new RegExp(`answer-${name}\\.mjs: .*${pattern.source}`))
  }
  // Shared (not cyclic) parts of a detail are JSON: a witness, as before.
  const shared = join(directory, 'answer-shared.mjs')
  writeFileSync(shared, `import { defineProperty } from ${define}\nconst part = { a: 1 }\nexport default [defineProperty('p', () => ({ message: 'm', detail: { x: part, y: [part, null, 'z', true] } }))]\n`)
  const run = sila('explore', '--boot', 'examples/systems/web-app/boot.json', '--depth', '1', '--props', shared, '--counterexample', join(directory, 'c.json'))
  assert.is(run.status, 1, run.stderr)
  // Thrown values that are not errors, and exports whose reading throws.
  const thrown: ReadonlyArray<[string, string, RegExp]> = [
    ['null', 'throw null', /the module threw while loading: null/],
    ['bare', 'throw Object.create(null)', /the module threw while loading: \[object Object\]/],
    ['getter', `export default { get properties() { throw new Error('no') } }.properties`, /reading its exports threw Error: no|the module threw while loading: Error: no/],
    ['proxy', `export default new Proxy([], { get() { throw new Error('trap') } })`, /reading its exports threw Error: trap/],
  ]
  for (const [name, body, pattern] of thrown) {
    const file = join(directory, `thrown-${name}.mjs`)
    writeFileSync(file, `${body}\n`)
    refused(sila('audit', '--boot', 'examples/systems/web-app/boot.json', '--props', file), pattern)
  }
})

test('a flag given twice is refused (the last would win unsaid), every command; repeatable flags repeat', () => {
  refused(sila('check', 'refinement', '--runs', '5', '--runs', '7'), /sila check: '--runs' is given 2 times \("5", "7"\); give it once/)
  refused(sila('explore', '--depth', '1', '--json', '--json'), /sila explore: '--json' is given 2 times; give it once/)
  refused(sila('export', 'examples/ipc-transfer.trace.json', '--format', 'itf', '--format=md'), /sila export: '--format' is given 2 times \("itf", "md"\)/)
  refused(sila('replay', 'examples/ipc-transfer.trace.json', '--mutant', 'a', '--mutant', 'b'), /'--mutant' is given 2 times/)
  refused(sila('check', 'refinement', '--seed', '-3', '--seed=4'), /'--seed' is given 2 times \("-3", "4"\)/)
  const repeated = sila('explore', '--depth', '1', '--invariant', 'CAP-1', '--invariant', 'CAP-2')
  assert.is(repeated.status, 0, repeated.stderr)
})

test('merge adds up runs that do not overlap (each shard of a seed once, or its whole run alone; seeds apart), warns of missing shards; swarm jobs of one system, each once', () => {
  const results = (shard: { index: number; count: number } | null, more: Partial<CheckResults> = {}): CheckResults =>
    ({ format: CHECK_FORMAT, seed: 1, runs: 2, maxSteps: 4, shard, passed: true, suites: [], ...more })
  const files = (...all: CheckResults[]) => all.map((r, index) => ({ file: `dir/shard${index}.json`, results: r }))
  const refusal = (run: () => void): string => {
    try { run() } catch (error) { assert.instance(error, InputError); return `${(error as InputError).file}: ${(error as InputError).problems.join(' ')}` }
    return 'merged'
  }
  const merged = (...all: CheckResults[]) => refusal(() => { warnings = checkShards(files(...all)) })
  let warnings: string[] = []
  assert.is(merged(results({ index: 0, count: 2 }), results({ index: 1, count: 2 })), 'merged')
  assert.equal(warnings, [])
  assert.is(merged(results({ index: 1, count: 3 }), results({ index: 0, count: 3 }), results({ index: 2, count: 3 })), 'merged')
  assert.is(merged(results(null)), 'merged')
  // Runs of different seeds are independent: whole runs and the shards of another seed add up.
  assert.is(merged(results(null), results(null, { seed: 2 }), results({ index: 0, count: 2 }, { seed: 3 }), results({ index: 1, count: 2 }, { seed: 3 })), 'merged')
  assert.equal(warnings, [])
  // A missing shard is merged, with a warning naming it and its seed.
  assert.is(merged(results({ index: 0, count: 3 }), results({ index: 2, count: 3 })), 'merged')
  assert.equal(warnings, ['shard 1/3 of seed 1 missing: the merged run did not run it'])
  assert.is(merged(results({ index: 0, count: 7 })), 'merged')
  assert.equal(warnings, ['shards 1/7, 2/7, 3/7, 4/7 and 2 more of seed 1 missing: the merged run did not run them'])
  assert.match(merged(results({ index: 0, count: 2 }), results({ index: 0, count: 2 })), /^dir\/shard1\.json: \$\.shard: shard 0\/2 of seed 1 is also in shard0\.json/)
  assert.match(merged(results({ index: 0, count: 2 }), results({ index: 1, count: 3 })), /\$\.shard\.count: 3, not 2/)
  assert.match(merged(results(null), results(null)), /^dir\/shard0\.json: \$\.shard: null: the whole run of seed 1, which shard1\.json is also of/)
  assert.match(merged(results({ index: 0, count: 2 }), results(null)), /^dir\/shard1\.json: \$\.shard: null: the whole run of seed 1/)
  assert.match(merged(results({ index: 0, count: 2 }), results({ index: 1, count: 2 }, { maxSteps: 5 })), /\$\.maxSteps: 5, not 4/)
  assert.match(merged(results({ index: 0, count: 2 }, { props: 'a.json' }), results({ index: 1, count: 2 })), /\$\.props: null, not "a\.json"/)
  // One file that disagrees with itself, shards of two --runs or two kernels: refused; a shard that ran fewer suites: warned of.
  const suite = (name: 'refinement' | 'quota', failed = false): CheckResults['suites'][number] => ({
    suite: name, seed: 1, runs: 1, interrupted: false, coverage: { runs: 1, steps: 1, kindOk: {}, kindFailed: {}, errors: {}, cases: {} },
    failure: failed ? { invariant: 'REF-1', step: 0, message: 'm', path: '0', shrunkLength: 1, file: null } : null,
  })
  assert.match(merged(results({ index: 3, count: 2 })), /\$\.shard\.index: 3, expected less than \$\.shard\.count \(2\)/)
  assert.match(merged(results(null, { suites: [suite('refinement'), suite('refinement')] })), /\$\.suites\[1\]\.suite: refinement is listed twice/)
  assert.match(merged(results(null, { passed: false, suites: [suite('refinement')] })), /\$\.passed: false, but no suite records a failure/)
  assert.match(merged(results(null, { passed: true, suites: [suite('refinement', true)] })), /\$\.passed: true, but a suite records a failure/)
  assert.match(merged(results({ index: 0, count: 2 }), results({ index: 1, count: 2 }, { runs: 3 })), /\$\.runs: 3, not 2 .*the shards of one run share --runs/)
  assert.match(merged(results({ index: 0, count: 2 }, { kernel: 'mutant:x' }), results({ index: 1, count: 2 })), /\$\.kernel: "impl", not "mutant:x"/)
  assert.is(merged(results({ index: 0, count: 2 }, { suites: [suite('refinement'), suite('quota')] }), results({ index: 1, count: 2 }, { suites: [suite('refinement')] })), 'merged')
  assert.equal(warnings, ['shard 1/2 of seed 1 (shard1.json) did not run quota: the merged suite lacks its runs'])
  // The merged runs per suite: each seed's --runs once (not once per shard), seeds added up.
  assert.is(mergeResults([results({ index: 0, count: 2 }), results({ index: 1, count: 2 })]).runs, 2)
  const apart = mergeResults([results(null), results(null, { seed: 2, runs: 5 })])
  assert.is(apart.runs, 7)
  assert.equal(apart.seeds, [1, 2])
  // Numbers a check never writes: refused by the decoder, path named.
  const negative = join(directory, 'negative-runs.json')
  writeFileSync(negative, JSON.stringify({ ...results(null), suites: [{ ...suite('refinement'), runs: -5 }] }))
  refused(sila('merge', negative), /negative-runs\.json: \$\.suites\[0\]\.runs: expected a non-negative integer, found -5/)
  const job = (swarm: ExploreResults['swarm'], preset = 'cap-core'): ExploreResults => ({ format: 'sila-explore/1', preset, complete: false, distinct: 1, generated: 1, depth: 1, violation: null, swarm })
  const jobs = (...all: ExploreResults[]) => all.map((r, index) => ({ file: `job${index}.json`, results: r }))
  assert.is(refusal(() => checkSwarmJobs(jobs(job({ index: 0, count: 2, seed: 1 }), job({ index: 1, count: 2, seed: 1 }), job({ index: 0, count: 2, seed: 2 })))), 'merged')
  assert.is(refusal(() => checkSwarmJobs(jobs(job(null)))), 'merged')
  assert.match(refusal(() => checkSwarmJobs(jobs(job({ index: 0, count: 2, seed: 1 }), job({ index: 0, count: 2, seed: 1 })))), /^job1\.json: \$\.swarm: job 0\/2 seed 1 is also in job0\.json/)
  assert.match(refusal(() => checkSwarmJobs(jobs(job({ index: 0, count: 2, seed: 1 }), job({ index: 1, count: 2, seed: 1 }, 'nested')))), /^job1\.json: \$\.preset: "nested", not "cap-core"/)
  assert.match(refusal(() => checkSwarmJobs(jobs(job({ index: 0, count: 2, seed: 1 }), job(null)))), /^job1\.json: \$\.swarm: null: a breadth-first search/)
  // A system is its content: one named by two paths merges, two both named boot.json do not; a job left out is warned of.
  const sys = (swarm: ExploreResults['swarm'], preset: string, system: string): ExploreResults => ({ ...job(swarm, preset), system })
  assert.is(refusal(() => checkSwarmJobs(jobs(sys({ index: 0, count: 2, seed: 1 }, 'sys/boot.json', 'sha256:aa'), sys({ index: 1, count: 2, seed: 1 }, '/ci/sys/boot.json', 'sha256:aa')))), 'merged')
  assert.match(refusal(() => checkSwarmJobs(jobs(sys({ index: 0, count: 2, seed: 1 }, 'boot.json', 'sha256:aa'), sys({ index: 1, count: 2, seed: 1 }, 'boot.json', 'sha256:bb')))), /^job1\.json: \$\.system: sha256:bb…, not sha256:aa… as in job0\.json/)
  assert.equal(checkSwarmJobs(jobs(job({ index: 0, count: 4, seed: 1 }), job({ index: 2, count: 4, seed: 1 }))), ['swarm jobs 1/4, 3/4 of seed 1 missing: the merged search did not run them'])
  // Through the command: a suite no check has is refused by the decoder.
  const unknown = join(directory, 'unknown-suite.json')
  writeFileSync(unknown, JSON.stringify({ ...results(null), suites: [{ suite: 'nosuch', seed: 1, runs: 1, interrupted: false, coverage: { runs: 1, steps: 1, kindOk: {}, kindFailed: {}, errors: {}, cases: {} }, failure: null }] }))
  refused(sila('merge', unknown), /unknown-suite\.json: \$\.suites\[0\]\.suite: expected one of: refinement, invariants/)
})

test.run()
