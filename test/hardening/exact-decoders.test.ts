/**
 * Every file a user hands `sila` is decoded exactly: a field its format does not
 * have is refused, as `unknown field; did you mean "badge"?` for a near name and
 * with the known fields otherwise, at its JSON path; a syscall's field against the
 * variant its `kind` names. A refusal is one short line per problem, the real cause
 * first (a wrong `format` alone), in plain words: never an io-ts type's name (a
 * wrong format used to print a 5,333-character line first).
 * test/hardening/decoders-fuzz.test.ts adds a field at random places of every kind.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError, PROBLEM_LENGTH_MAX } from '../../spec/decode.js'
import { DEFAULT_BOOT, BootConfigCodec } from '../../spec/boot.js'
import { NESTED } from '../../spec/presets.js'
import { TraceCodec } from '../../spec/trace.js'
import { editDistance, nearest } from '../../spec/exact.js'
import { POLICY_FORMAT, PolicyCodec } from '../../checker/audit/policy.js'
import { encodeSnapshot } from '../../checker/audit/snapshot.js'
import { boot } from '../../model/boot.js'
import { readJsonInput } from '../../cli/input.js'
import { generateKey, publicKeyFile, readPublicKey } from '../../pipeline/image/keys.js'
import { ROOT, sila, STACK_LINE, type Run } from '../cli/run.js'

const DIR = mkdtempSync(join(tmpdir(), 'sila-exact-'))
test.after(() => rmSync(DIR, { recursive: true, force: true }))

type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any

const clone = (value: unknown): Json => JSON.parse(JSON.stringify(value))
const example = (name: string): Json => JSON.parse(readFileSync(join(ROOT, 'examples', name), 'utf8'))

/** Writes `document` to `name` in the test directory. */
function written(name: string, document: unknown): string {
  const file = join(DIR, name)
  writeFileSync(file, JSON.stringify(document, null, 2))
  return file
}

/** A refusal as the CLI prints it: exit 2, `sila: FILE: problem` and one line per further problem, no stack, every line within 200 characters. */
function refusedLines(run: Run, file: string): string[] {
  assert.is(run.status, 2, run.stderr)
  assert.not.match(run.stderr, STACK_LINE)
  const lines = run.stderr.trimEnd().split('\n')
  for (const line of lines) assert.ok(line.length <= 200, `a line of ${line.length} characters: ${line}`)
  assert.ok(lines[0]!.startsWith(`sila: ${file}: `), lines[0])
  return [lines[0]!.slice(`sila: ${file}: `.length), ...lines.slice(1).map((line) => line.replace(/^ {2}/, ''))]
}

/** The problems of reading `file` in process. */
function problems(read: () => unknown): string[] {
  try {
    read()
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    for (const line of error.problems) assert.ok(line.length <= PROBLEM_LENGTH_MAX, line)
    return error.problems
  }
  throw new Error('accepted')
}

const NEAR = /did you mean/

// ---- traces ---------------------------------------------------------------------

const TRACE = example('ipc-transfer.trace.json')
const COPY = (TRACE.steps as Array<{ syscall: { kind: string } }>).findIndex((step) => step.syscall.kind === 'cap_copy')

test('a trace: a misspelt field of a syscall is named against the variant its kind names, with "did you mean"', () => {
  const trace = clone(TRACE)
  trace.steps[COPY].syscall.badeg = 3
  const file = written('badeg.trace.json', trace)
  assert.equal(refusedLines(sila('replay', file), file), [`$.steps[${COPY}].syscall.badeg: unknown field; did you mean "badge"?`])
})

test('a trace: a field of another syscall kind is unknown to this one, listed with the fields of the kind', () => {
  const trace = clone(TRACE)
  trace.steps[COPY].syscall.slots = 4
  assert.equal(problems(() => readJsonInput(TraceCodec, written('slots.trace.json', trace))), [`$.steps[${COPY}].syscall.slots: unknown field; known fields: kind, caller, src, dst, rights, badge`])
})

test('a trace: a far name anywhere is an unknown field without a guess', () => {
  const trace = clone(TRACE)
  trace.zzzzz = true
  trace.boot.root.limits.junk = 1
  const lines = problems(() => readJsonInput(TraceCodec, written('far.trace.json', trace)))
  assert.is(lines.length, 2)
  assert.match(lines[0]!, /^\$\.zzzzz: unknown field; known fields: format, boot, images, steps, /)
  assert.match(lines[1]!, /^\$\.boot\.root\.limits\.junk: unknown field; known fields: memoryBytes, processes, /)
  for (const line of lines) assert.not.match(line, NEAR)
})

test('a trace: a misspelt kind is named with "did you mean", an unknown one with the kinds, a missing one as missing', () => {
  const cases: Array<[unknown, RegExp]> = [
    ['cap_cpy', /: unknown kind "cap_cpy"; did you mean "cap_copy"\?$/],
    ['teleport', /: unknown kind "teleport"; expected one of: cap_copy, cap_move, .*\(30 in all\)$/],
    [undefined, /: missing; expected one of: cap_copy, cap_move, /],
    [7, /: expected one of: cap_copy, .*, found 7$/],
  ]
  for (const [kind, expected] of cases) {
    const trace = clone(TRACE)
    trace.steps[COPY].syscall.kind = kind
    const lines = problems(() => readJsonInput(TraceCodec, written('kind.trace.json', trace)))
    assert.is(lines.length, 1, lines.join('\n'))
    assert.ok(lines[0]!.startsWith(`$.steps[${COPY}].syscall.kind: `), lines[0])
    assert.match(lines[0]!, expected)
  }
})

test('a trace of another format: one short line naming the format, even when the rest is wrong too', () => {
  const trace = clone(TRACE)
  trace.format = 'sila-trace/2'
  trace.steps = trace.steps.map((step: Json) => ({ ...step, syscall: { ...step.syscall, version: 2 } }))
  trace.boot = 'new style'
  trace.header = {}
  const file = written('v2.trace.json', trace)
  const run = sila('replay', file)
  assert.equal(refusedLines(run, file), ['$.format: expected "sila-trace/1", found "sila-trace/2"'])
  assert.ok(run.stderr.length < 200, `${run.stderr.length} characters`)
})

test('a trace: wrong values are said in plain words, one line per problem, each short', () => {
  const trace = clone(TRACE)
  trace.steps[0].syscall.dst = -1
  trace.steps[1].syscall.rights = ['raed']
  trace.steps[2].syscall.namespaces.user = 'new'
  trace.steps[6].syscall.payload = true
  trace.steps[7] = { syscall: 5 }
  trace.steps[8].malformed = 'yes'
  const file = written('values.trace.json', trace)
  assert.equal(refusedLines(sila('replay', file), file), [
    '$.steps[0].syscall.dst: expected a non-negative integer, found -1',
    '$.steps[1].syscall.rights[0]: expected one of: read, write, execute, grant, control, found "raed"',
    '$.steps[2].syscall.namespaces.user: expected "share" or an object, found "new"',
    '$.steps[6].syscall.payload: expected an integer in [0, 2147483647] or a string of at most 4096 characters, found true',
    '$.steps[7].syscall: expected an object, found 5',
  ])
})

test('a trace: an expected outcome is decoded exactly too (kinds, badges, a resource with QuotaExceeded and only there)', () => {
  const outcomes: Array<[Json, string]> = [
    [{ ok: true, reply: { kind: 'cap', objectKind: 'widget', rights: ['read'], badge: 0 } }, '$.steps[1].outcome.reply.objectKind: expected one of: container, process, region, endpoint, device, found "widget"'],
    [{ ok: true, reply: { kind: 'cap', objectKind: 'endpoint', rights: ['read'], badge: -1 } }, '$.steps[1].outcome.reply.badge: expected an integer in [0, 4294967295], found -1'],
    [{ ok: true, reply: { kind: 'pids', pids: [1.5] } }, '$.steps[1].outcome.reply.pids[0]: expected a non-negative integer, found 1.5'],
    [{ ok: false, error: { code: 'QuotaExceeded' } }, '$.steps[1].outcome.error.resource: missing; expected one of: memoryBytes, processes, endpoints, cpuBudget, ioBytes, devices'],
    [{ ok: false, error: { code: 'EmptySlot', resource: 'devices' } }, '$.steps[1].outcome.error.resource: unknown field; known fields: code'],
  ]
  for (const [outcome, said] of outcomes) {
    const trace = clone(TRACE)
    trace.steps[1].outcome = outcome
    const file = written('outcome.trace.json', trace)
    assert.equal(problems(() => readJsonInput(TraceCodec, file)), [said])
  }
})

test('a trace: a step marked malformed whose syscall is well-formed is refused (the flag would hide a typo the other way)', () => {
  const trace = clone(TRACE)
  trace.steps[COPY].malformed = true
  const file = written('flagged.trace.json', trace)
  assert.equal(problems(() => readJsonInput(TraceCodec, file)), [`$.steps[${COPY}].syscall: a well-formed syscall, yet the step says "malformed": true (remove the flag)`])
  // A malformed syscall keeps its flag: a field of another kind makes it one.
  trace.steps[COPY].syscall.slot = 3
  assert.is(readJsonInput(TraceCodec, written('garbage.trace.json', trace)).steps.length, TRACE.steps.length)
})

test('a trace whose keyring names one key id twice is refused at the path, by both kernels\' boot', () => {
  const trace = clone(TRACE)
  trace.boot.keyring.push({ keyId: trace.boot.keyring[0].keyId })
  const file = written('keyring.trace.json', trace)
  const lines = refusedLines(sila('replay', file), file)
  assert.match(lines[0]!, /\$\.boot\.keyring\[1\]\.keyId: the key id "release" is in the keyring twice/)
})

// ---- boot configurations ------------------------------------------------------------

test('a boot configuration (sila explore --boot): a near name gets "did you mean", a far one the known fields', () => {
  const config = clone(DEFAULT_BOOT)
  config.cpuAcounting = false
  config.init.slot = 4
  const file = written('near.boot.json', config)
  assert.equal(refusedLines(sila('explore', '--boot', file, '--depth', '1'), file), [
    '$.cpuAcounting: unknown field; did you mean "cpuAccounting"?',
    '$.init.slot: unknown field; did you mean "slots"?',
  ])
  const far = clone(NESTED.boot)
  far.system.caps[0].colour = 'red'
  const lines = problems(() => readJsonInput(BootConfigCodec, written('far.boot.json', far)))
  assert.equal(lines, ['$.system.caps[0].colour: unknown field; known fields: holder, slot, object, rights, parent, badge'])
})

// ---- image manifests ------------------------------------------------------------------

test('an image manifest (sila image build --manifest): a near name gets "did you mean", a far one the known fields', () => {
  const manifest = example('counter/v1/manifest.json')
  manifest.requests[0].purpsoe = manifest.requests[0].purpose
  manifest.limits.cpu = 1
  const file = written('manifest.json', manifest)
  const run = sila('image', 'build', '--manifest', file, '--module', 'examples/counter/v1/counter.js', '--out', join(DIR, 'image-out'))
  assert.equal(refusedLines(run, file), [
    '$.requests[0].purpsoe: unknown field; did you mean "purpose"?',
    '$.limits.cpu: unknown field; known fields: memoryBytes',
  ])
})

// ---- state snapshots, policies, results files, keys -------------------------------------------

test('a state snapshot (sila audit): a near name gets "did you mean", a far one the known fields', () => {
  const snapshot = JSON.parse(encodeSnapshot({ state: boot(DEFAULT_BOOT, []), source: 'default boot' }))
  snapshot.sorce = snapshot.source
  delete snapshot.source
  snapshot.state.zzz = 0
  const file = written('near.state.json', snapshot)
  const lines = refusedLines(sila('audit', file), file)
  assert.is(lines[0], '$.sorce: unknown field; did you mean "source"?')
  assert.match(lines[1]!, /^\$\.state\.zzz: unknown field; known fields: ksObjects, ksCaps, /)
})

test('a policy (sila audit --policy): a near name gets "did you mean", a far one the known fields, another format the format alone', () => {
  const valid = { format: POLICY_FORMAT, caps: { endpoint: ['read'] }, maxMemoryBytes: 1024 }
  const read = (name: string, document: unknown) => problems(() => readJsonInput(PolicyCodec, written(name, document)))
  assert.equal(read('near.policy.json', { ...valid, caps: { endpoints: ['read'] } }), ['$.caps.endpoints: unknown field; did you mean "endpoint"?'])
  assert.equal(read('far.policy.json', { ...valid, owner: 'me' }), ['$.owner: unknown field; known fields: format, caps, maxMemoryBytes'])
  assert.equal(read('v2.policy.json', { format: 'sila-policy/2', rules: [] }), ['$.format: expected "sila-policy/1", found "sila-policy/2"'])
})

test('results files (sila merge): a near name gets "did you mean", a far one the known fields', () => {
  const check = { format: 'sila-check/1', seed: 1, runs: 1, maxSteps: 1, shard: null, passd: true, suites: [] }
  const checkFile = written('check.json', check)
  assert.equal(refusedLines(sila('merge', checkFile), checkFile), ['$.passd: unknown field; did you mean "passed"?', '$.passed: missing; expected true or false'])
  const explore = { format: 'sila-explore/1', preset: 'cap-core', complete: true, distinct: 1, generated: 1, depht: 0, durationMs: 1, violation: null, colour: 'red' }
  const exploreFile = written('explore.json', explore)
  const lines = refusedLines(sila('merge', exploreFile), exploreFile)
  assert.equal(lines.slice(0, 2), ['$.depht: unknown field; did you mean "depth"?', lines[1]!])
  assert.match(lines[1]!, /^\$\.colour: unknown field; known fields: format, preset, /)
})

test('a key file (--keyring): a near name gets "did you mean", a far one the known fields', () => {
  const key = publicKeyFile(generateKey('ML-DSA-65', new Uint8Array(32).fill(1))) as Json
  const near = { ...key, keyid: key.keyId }
  delete near.keyId
  assert.equal(problems(() => readPublicKey(written('near.pub.json', near))).slice(0, 1), ['$.keyid: unknown field; did you mean "keyId"?'])
  assert.equal(problems(() => readPublicKey(written('far.pub.json', { ...key, owner: 'me' }))), ['$.owner: unknown field; known fields: format, algorithm, keyId, publicKey, secretKey'])
})

// ---- near names -----------------------------------------------------------------------

test('near names: one edit (a swap counting one) for short names, two for longer ones, case aside; a begun name', () => {
  assert.is(editDistance('badeg', 'badge'), 1)
  assert.is(editDistance('Badge', 'badge'), 0)
  assert.is(editDistance('kitten', 'sitting'), 3)
  assert.is(nearest('badeg', ['badge', 'slot']), 'badge')
  assert.is(nearest('dst', ['src', 'dst2']), 'dst2')
  assert.is(nearest('scr', ['src', 'dst']), 'src')
  assert.is(nearest('sr', ['dst']), undefined)
  assert.is(nearest('memryByts', ['memoryBytes']), 'memoryBytes')
  assert.is(nearest('memBytes', ['memoryBytes']), undefined)
  assert.is(nearest('maxMemory', ['format', 'maxMemoryBytes']), 'maxMemoryBytes')
  assert.is(nearest('zzz', ['format', 'caps']), undefined)
})

test.run()
