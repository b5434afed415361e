/**
 * `sila explore --props FILE --invariant NAME` end to end: a violated property's
 * shortest counterexample (text, trace file naming the property, replay), a
 * sometimes property's witness trace and a vacuity warning (text, JSON, results
 * file, merged swarm jobs), the same on two workers, and refusals (exit 2).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeOrThrow } from '../../spec/decode.js'
import { TraceCodec } from '../../spec/trace.js'
import { ExploreResultsCodec } from '../../checker/results.js'
import { pathToFileURL } from 'node:url'
import { ROOT, sila, STACK_LINE } from './run.js'

const directory = mkdtempSync(join(tmpdir(), 'sila-explore-props-cli-'))
test.after(() => rmSync(directory, { recursive: true, force: true }))

const props = join(directory, 'props.json')
writeFileSync(props, JSON.stringify({
  format: 'sila-props/1',
  properties: [
    { name: 'A-one-byte', says: 'A never uses more than one byte', kind: 'bound', measure: 'memoryBytes', container: 'A', max: 1 },
    { name: 'E-in-AB', says: 'caps to E stay in A and B', kind: 'confined', object: { name: 'E' }, within: ['A', 'B'] },
    { name: 'pB-region', says: 'pB can come to hold a region', kind: 'sometimes', when: [{ holds: { subject: { process: 'pB' }, object: { kind: 'region' } } }] },
    { name: 'B-three-bytes', says: 'B can come to use three bytes', kind: 'sometimes', when: [{ atLeast: { measure: 'memoryBytes', container: 'B', value: 3 } }] },
  ],
}))

test('a violated always property: exit 1, a shortest counterexample naming it and its sentence, replayed', () => {
  const trace = join(directory, 'violated.trace.json')
  const run = sila('explore', '--props', props, '--depth', '5', '--counterexample', trace)
  assert.is(run.status, 1, run.stderr)
  assert.match(run.stdout, /engine\s+general/, 'user properties on cap-core: the general engine')
  assert.match(run.stdout, /✗ A-one-byte: memoryBytes of container A is 2 > 1\n {2}\(user property: A never uses more than one byte\)/)
  assert.match(run.stdout, /a shortest path \(3 steps\)/)
  const written = decodeOrThrow(TraceCodec, JSON.parse(readFileSync(trace, 'utf8')), trace)
  assert.is(written.steps.length, 3)
  assert.equal({ invariant: written.failure?.invariant, says: written.failure?.says, props: written.failure?.props, step: written.failure?.step },
    { invariant: 'A-one-byte', says: 'A never uses more than one byte', props, step: 2 })
  assert.match(written.producedBy?.command ?? '', /--props /)
  const replay = sila('replay', trace, '--model-only')
  assert.match(replay.stdout, /reproduced: A-one-byte \(always/, replay.stdout + replay.stderr)
  // Two workers: the same verdict and length.
  const parallel = sila('explore', '--props', props, '--depth', '5', '--workers', '2', '--counterexample', join(directory, 'parallel.trace.json'))
  assert.is(parallel.status, 1, parallel.stderr)
  assert.match(parallel.stdout, /✗ A-one-byte: [^\n]+\n[^\n]+\na shortest path \(3 steps\)/)
})

test('sometimes: a witness trace (replayed as reached) and a vacuity warning, in text, JSON and the results file; exit 0', () => {
  const trace = join(directory, 'sila-explore-counterexample-run.trace.json')
  const out = join(directory, 'run.json')
  const run = sila('explore', '--props', props, '--invariant', 'E-in-AB', '--invariant', 'pB-region', '--invariant', 'B-three-bytes', '--depth', '3', '--out', out)
  assert.is(run.status, 0, run.stderr)
  assert.not.ok(existsSync(trace), 'no counterexample')
  const witness = join(directory, 'sila-explore-witness-pB-region-run.trace.json')
  assert.match(run.stdout, /◆ pB-region \(sometimes\): pB can come to hold a region\n\s+witness: process pB holds cap \d+ to region \d+ [^\n]*after 1 step \(a shortest path\); trace: /)
  assert.match(run.stdout, /⚠ B-three-bytes \(sometimes\): B can come to use three bytes\n\s+vacuity warning: not reached within depth 3 \/ [\d,]+ states: this is not a pass/)
  assert.match(run.stdout, /✓ E-in-AB \(always\): caps to E stay in A and B\n\s+held: held within depth 3/)
  const written = decodeOrThrow(TraceCodec, JSON.parse(readFileSync(witness, 'utf8')), witness)
  assert.is(written.failure?.invariant, 'pB-region')
  assert.is(written.steps.length, 1)
  const replay = sila('replay', witness, '--model-only')
  assert.match(replay.stdout, /reproduced: pB-region \(sometimes[^\n]*is reached at step 0/, replay.stdout + replay.stderr)
  const results = decodeOrThrow(ExploreResultsCodec, JSON.parse(readFileSync(out, 'utf8')), out)
  assert.equal(results.properties?.map((p) => [p.name, p.status]), [['E-in-AB', 'held'], ['pB-region', 'witnessed'], ['B-three-bytes', 'vacuous']])
  assert.is(results.properties?.[1]?.file, witness)
  const json = JSON.parse(sila('explore', '--props', props, '--invariant', 'B-three-bytes', '--depth', '2', '--json').stdout) as { properties: Array<{ status: string; message: string }> }
  assert.is(json.properties[0]!.status, 'vacuous')
  assert.match(json.properties[0]!.message, /not reached within depth 2/)
})

test('swarm jobs with --props: each reloads the file; sila merge keeps the witness', () => {
  const outs = [0, 1].map((index) => join(directory, `swarm-${index}.json`))
  for (const [index, out] of outs.entries()) {
    const run = sila('explore', '--props', props, '--invariant', 'pB-region', '--swarm', `${index}/2`, '--depth', '3', '--out', out, '--counterexample', join(directory, `swarm-${index}.trace.json`))
    assert.is(run.status, 0, run.stderr)
  }
  const merged = join(directory, 'merged.json')
  const run = sila('merge', ...outs, '--out', merged)
  assert.is(run.status, 0, run.stderr)
  const results = decodeOrThrow(ExploreResultsCodec, JSON.parse(readFileSync(merged, 'utf8')), merged)
  assert.equal(results.properties?.map((p) => [p.name, p.status]), [['pB-region', 'witnessed']])
})

test('refused with exit 2: an unknown --invariant (did you mean), a name the system does not declare', () => {
  const unknown = sila('explore', '--props', props, '--invariant', 'pB-regoin', '--depth', '1')
  assert.is(unknown.status, 2)
  assert.match(unknown.stderr, /--invariant "pB-regoin": no catalogue invariant or user property has this name; did you mean "pB-region"\?/)
  const bad = join(directory, 'bad.json')
  writeFileSync(bad, JSON.stringify({ format: 'sila-props/1', properties: [{ name: 'x', says: 'y', kind: 'never-holds', subject: { process: 'pC' }, object: { name: 'E' } }] }))
  const run = sila('explore', '--props', bad, '--depth', '1')
  assert.is(run.status, 2)
  assert.match(run.stderr, /bad\.json: \$\.properties\[0\]\.subject\.process: no process named "pC"; did you mean "pA"\?/)
  assert.not.match(run.stderr, STACK_LINE)
})

test('a property in code that throws while searching: exit 2 at its line, on one thread and on two workers', () => {
  const file = join(directory, 'throws.mjs')
  const define = pathToFileURL(join(ROOT, 'dist/properties/user/define.js')).href
  writeFileSync(file, `import { defineProperty } from ${JSON.stringify(define)}\nexport default [defineProperty('boom', (state) => {\n  if (state.ksCaps.size > 2) throw new Error('oops')\n  return null\n})]\n`)
  for (const workers of ['1', '2']) {
    const run = sila('explore', '--props', file, '--depth', '2', '--workers', workers)
    assert.is(run.status, 2, `--workers ${workers}: ${run.stderr}`)
    assert.match(run.stderr, /throws\.mjs:3:\d+: the check of property "boom" threw Error: oops/, `--workers ${workers}`)
    assert.not.match(run.stderr, STACK_LINE)
  }
})


test('file names: a counterexample beside --out drops .json and .trace.json alike; a witness is named after its counterexample', async () => {
  const { counterexampleFile, witnessFile } = await import('../../cli/commands/explore.js')
  assert.is(counterexampleFile({ out: join('jobs', 'a.json') }), join('jobs', 'sila-explore-counterexample-a.trace.json'))
  assert.is(counterexampleFile({ out: join('jobs', 'a.trace.json') }), join('jobs', 'sila-explore-counterexample-a.trace.json'))
  assert.is(counterexampleFile({ out: 'a.JSON' }), 'sila-explore-counterexample-a.trace.json')
  assert.is(counterexampleFile({}), 'sila-explore-counterexample.trace.json')
  assert.is(counterexampleFile({ out: 'a.json', counterexample: 'mine.json' }), 'mine.json')
  assert.is(witnessFile(join('jobs', 'sila-explore-counterexample-a.trace.json'), 'p'), join('jobs', 'sila-explore-witness-p-a.trace.json'))
  assert.is(witnessFile('mine.json', 'p'), 'mine-witness-p.trace.json')
  assert.is(witnessFile('mine.trace.json', 'p'), 'mine-witness-p.trace.json')
})

test.run()
