import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { TraceCodec } from '../../spec/trace.js'
import { ROOT, sila, STACK_LINE } from '../cli/run.js'

const IPC = 'examples/ipc-transfer.trace.json'

function withDirectory(body: (directory: string) => void): void {
  const directory = mkdtempSync(join(tmpdir(), 'sila-export-'))
  try {
    body(directory)
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}

test('export --format itf exits 0 and prints valid ITF JSON', () => {
  const run = sila('export', IPC, '--format', 'itf')
  assert.is(run.status, 0, run.stderr)
  assert.is(run.stderr, '')
  const itf = JSON.parse(run.stdout) as { '#meta': { format: string }; vars: string[]; states: { '#meta': { index: number } }[] }
  assert.is(itf['#meta'].format, 'ITF')
  assert.ok(itf.vars.includes('objects') && itf.vars.includes('lastSyscall'))
  assert.is(itf.states.length, 12)
  assert.equal(itf.states.map((state) => state['#meta'].index), [...Array(12).keys()])
})

test('every format writes to standard output with exit 0; json decodes as sila-trace/1', () => {
  const json = sila('export', IPC, '--format', 'json')
  assert.is(json.status, 0, json.stderr)
  assert.ok(E.isRight(TraceCodec.decode(JSON.parse(json.stdout))))
  const md = sila('export', IPC, '--format', 'md')
  assert.is(md.status, 0, md.stderr)
  assert.match(md.stdout, /^\| 0 \| 0 \| `ep_create depth=4 dst=3` \| `ok` \| ok \|$/m)
  const generated = sila('export', IPC, '--format', 'test')
  assert.is(generated.status, 0, generated.stderr)
  assert.match(generated.stdout, /^import \{ Lockstep \} from 'sila-kernel\/refinement'$/m)
  assert.match(generated.stdout, /^const KERNEL = "impl"$/m)
})

test('--out writes the file atomically, leaving no temporary file, and prints nothing', () => {
  withDirectory((directory) => {
    const out = join(directory, 'ipc.itf.json')
    const run = sila('export', IPC, '--format', 'itf', '--out', out)
    assert.is(run.status, 0, run.stderr)
    assert.is(run.stdout, '')
    assert.is(readFileSync(out, 'utf8'), sila('export', IPC, '--format', 'itf').stdout)
    assert.equal(readdirSync(directory), ['ipc.itf.json'])
  })
})

test('an --out in a missing directory exits 2, naming the path', () => {
  const run = sila('export', IPC, '--format', 'md', '--out', '/nonexistent-sila-dir/report.md')
  assert.is(run.status, 2)
  assert.match(run.stderr, /^sila export: --out \/nonexistent-sila-dir\/report\.md: parent directory \/nonexistent-sila-dir does not exist$/m)
})

test('an unknown or missing format exits 2 with a clear message', () => {
  const unknown = sila('export', IPC, '--format', 'xml')
  assert.is(unknown.status, 2)
  assert.is(unknown.stdout, '')
  assert.match(unknown.stderr, /^sila export: unknown format "xml"; expected one of itf, json, test, md$/m)
  assert.match(unknown.stderr, /Run 'sila export --help' for usage\./)
  const missing = sila('export', IPC)
  assert.is(missing.status, 2)
  assert.match(missing.stderr, /^sila export: expects --format itf\|json\|test\|md$/m)
  const noFile = sila('export', '--format', 'itf')
  assert.is(noFile.status, 2)
  assert.match(noFile.stderr, /sila export: expects a trace FILE/)
})

test('the kernel flags: for --format test only, exclusive, a known mutant; the test is an ES module, not CommonJS', () => {
  const misplaced = sila('export', IPC, '--format', 'md', '--mutant', 'copy-amplifies-rights')
  assert.is(misplaced.status, 2)
  assert.match(misplaced.stderr, /^sila export: --mutant applies only to --format test$/m)
  const both = sila('export', IPC, '--format', 'test', '--impl', '--model-only')
  assert.is(both.status, 2)
  assert.match(both.stderr, /--impl and --model-only exclude each other/)
  const unknown = sila('export', IPC, '--format', 'test', '--mutant', 'no-such-bug')
  assert.is(unknown.status, 2)
  assert.match(unknown.stderr, /unknown mutant "no-such-bug"/)
  assert.not.match(unknown.stderr, STACK_LINE)
  const modelMutant = sila('export', IPC, '--format', 'test', '--model-mutant', 'revoke-misses-messages')
  assert.is(modelMutant.status, 0, modelMutant.stderr)
  assert.match(modelMutant.stdout, /^const KERNEL = "model-mutant:revoke-misses-messages"$/m)
  withDirectory((directory) => {
    const commonJs = sila('export', IPC, '--format', 'test', '--out', join(directory, 'regression.test.cjs'))
    assert.is(commonJs.status, 2)
    assert.match(commonJs.stderr, /an ES module .*name it \.mjs/)
    assert.equal(readdirSync(directory), [])
  })
})

test('a malformed trace exits 2, naming the file and the JSON path, without a stack trace', () => {
  for (const format of ['itf', 'json', 'test', 'md']) {
    const run = sila('export', 'examples/bad-trace.json', '--format', format)
    assert.is(run.status, 2, format)
    assert.is(run.stdout, '')
    assert.match(run.stderr, /^sila: examples\/bad-trace\.json: /)
    assert.ok(run.stderr.includes('$.steps[2].syscall.rights[0]: expected'), run.stderr)
    assert.not.match(run.stderr, STACK_LINE)
  }
})

test('json: a recorded outcome the model does not give is replaced, with a note on stderr', () => {
  withDirectory((directory) => {
    const trace = JSON.parse(readFileSync(join(ROOT, IPC), 'utf8')) as { steps: { outcome?: unknown }[] }
    trace.steps[9]!.outcome = { ok: true, reply: { kind: 'unit' } }
    const file = join(directory, 'altered.trace.json')
    writeFileSync(file, JSON.stringify(trace))
    const run = sila('export', file, '--format', 'json')
    assert.is(run.status, 0, run.stderr)
    assert.match(run.stderr, /^sila export: step 9: the recorded outcome \{"ok":true,"reply":\{"kind":"unit"\}\} differs from the model's; written the model's \{"ok":false,"error":\{"code":"QueueEmpty"\}\}$/m)
    const output = JSON.parse(run.stdout) as { steps: { outcome: unknown }[] }
    assert.equal(output.steps[9]!.outcome, { ok: false, error: { code: 'QueueEmpty' } })
  })
})

test('export --help describes the formats and where a generated test goes; export is no longer planned', () => {
  const run = sila('export', '--help')
  assert.is(run.status, 0)
  assert.match(run.stdout, /^Usage: sila export FILE --format itf\|json\|test\|md \[--out PATH\]/)
  assert.match(run.stdout, /save it as NAME\.test\.mjs and run it\s+with 'node NAME\.test\.mjs'/)
  assert.match(run.stdout, /--mutant NAME +test only/)
  assert.not.match(sila('--help').stdout, /export .*\(planned\)/)
})

test('a model mutant\'s counterexample: itf, json and md replay it on that mutant, and the normalized trace still fails its replay', () => {
  withDirectory((directory) => {
    const trace = join(directory, 'found.trace.json')
    const explore = sila('explore', '--mutant', 'revoke-misses-messages', '--counterexample', trace)
    assert.is(explore.status, 1, explore.stderr)
    const invariant = (JSON.parse(readFileSync(trace, 'utf8')) as { failure: { invariant: string } }).failure.invariant
    const itf = JSON.parse(sila('export', trace, '--format', 'itf').stdout) as { '#meta': { replayedOn: string }; states: { violated: { '#set': string[] } }[] }
    assert.is(itf['#meta'].replayedOn, 'model-mutant:revoke-misses-messages')
    assert.ok(itf.states.some((state) => state.violated['#set'].includes(invariant)), `no state of the ITF trace breaks ${invariant}`)
    const normalized = join(directory, 'normalized.json')
    assert.is(sila('export', trace, '--format', 'json', '--out', normalized).status, 0)
    assert.is((JSON.parse(readFileSync(normalized, 'utf8')) as { producedBy?: { kernel: string } }).producedBy?.kernel, 'model-mutant:revoke-misses-messages')
    const replay = sila('replay', normalized)
    assert.is(replay.status, 1, 'the normalized counterexample replays its failure')
    assert.match(replay.stdout, new RegExp(invariant))
    assert.match(sila('export', trace, '--format', 'md').stdout, new RegExp(`\\*\\*${invariant}\\*\\*`))
  })
})

test.run()
