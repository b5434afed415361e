import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, sila, STACK_LINE } from './run.js'

const EXAMPLES = ['examples/ipc-transfer.trace.json', 'examples/revoke-reaches-tables.trace.json', 'examples/nested-user-namespace.trace.json']

for (const file of EXAMPLES) {
  test(`replay ${file}: every invariant holds, every outcome matches, exit 0`, () => {
    const run = sila('replay', file)
    assert.is(run.stderr, '')
    assert.is(run.status, 0, run.stdout)
    assert.match(run.stdout, /^step +caller +syscall +result +impl +invariants$/m)
    assert.match(run.stdout, /^ *boot +- +- +booted += +ok$/m)
    const steps = (JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { steps: unknown[] }).steps.length
    for (let step = 0; step < steps; step++) assert.match(run.stdout, new RegExp(`^ +${step} +\\d+ +\\S.* = +ok$`, 'm'), `row ${step}`)
    assert.match(run.stdout, new RegExp(`^${steps} steps replayed: every invariant held, the impl agreed with the model at every step, all ${steps} recorded outcomes matched\\.$`, 'm'))
    assert.match(sila('replay', '--model-only', file).stdout, /^step +caller +syscall +result +invariants$/m)
    assert.not.match(run.stdout, /MISMATCH/)
  })
}

test('the ipc example shows the transfer and the revoke example shows what revoke reached', () => {
  const ipc = sila('replay', EXAMPLES[0]!).stdout
  assert.match(ipc, /ep_send slot=0 payload="hello from the child" xfer=1/)
  assert.match(ipc, /ok "hello from the child" badge 7 cap received/)
  const revoke = sila('replay', EXAMPLES[1]!).stdout
  assert.match(revoke, /cap_revoke slot=3 +ok/)
  assert.match(revoke, /resolve path=\/data dst=6 +NotFound/)
  assert.match(revoke, /cap_inspect slot=4 +EmptySlot/)
})

test('the nested user namespace example: uid 0 of a base-0 map under another map changes none of the ancestor\'s tables (ISO-3)', () => {
  const run = sila('replay', '--json', EXAMPLES[2]!)
  assert.is(run.status, 0, run.stdout)
  const rows = (JSON.parse(run.stdout) as { rows: { step: number; outcome: { ok: boolean; error?: { code: string } } }[] }).rows
  const code = (step: number) => { const outcome = rows.find((row) => row.step === step)!.outcome; return outcome.ok ? 'ok' : outcome.error!.code }
  // G1 (D's user namespace, its own mount table) changes it; G2 (uid 0 is uid 5 of D) and G3 (uid 0 of D, host uid 2000) change none of D's.
  assert.equal([11, 12].map(code), ['ok', 'ok'])
  assert.equal([15, 16].map(code), ['PermissionDenied', 'PermissionDenied'])
  assert.equal([18, 19, 20, 21].map(code), ['PermissionDenied', 'PermissionDenied', 'PermissionDenied', 'PermissionDenied'])
})

test('replay --json gives the structured result', () => {
  const run = sila('replay', '--json', EXAMPLES[0]!)
  assert.is(run.status, 0)
  const result = JSON.parse(run.stdout) as { status: string; rows: { step: number; outcome: unknown }[]; violations: unknown[]; mismatches: unknown[] }
  assert.is(result.status, 'ok')
  assert.is(result.rows[0]!.step, -1)
  assert.equal(result.violations, [])
  assert.equal(result.mismatches, [])
})

test('a malformed trace exits 2, naming the file and the JSON path, without a stack trace', () => {
  const run = sila('replay', 'examples/bad-trace.json')
  assert.is(run.status, 2)
  assert.is(run.stdout, '')
  assert.match(run.stderr, /^sila: examples\/bad-trace\.json: /)
  assert.ok(run.stderr.includes('$.steps[2].syscall.rights[0]: expected'), run.stderr)
  assert.match(run.stderr, /found "admin"/)
  assert.not.match(run.stderr, STACK_LINE)
})

test('a missing file, a non-JSON file and a missing argument exit 2', () => {
  const missing = sila('replay', 'examples/no-such.trace.json')
  assert.is(missing.status, 2)
  assert.match(missing.stderr, /^sila: examples\/no-such\.trace\.json: cannot read: no such file$/m)
  const directory = mkdtempSync(join(tmpdir(), 'sila-test-'))
  try {
    const garbage = join(directory, 'garbage.json')
    writeFileSync(garbage, '{"format": "sila-trace/1", ')
    const run = sila('replay', garbage)
    assert.is(run.status, 2)
    assert.match(run.stderr, /garbage\.json: not valid JSON/)
    assert.not.match(run.stderr, STACK_LINE)
    // A byte-order mark before the JSON (some editors write one) is skipped: the trace replays as it does without.
    const marked = join(directory, 'bom.trace.json')
    writeFileSync(marked, `\uFEFF${readFileSync(join(ROOT, EXAMPLES[0]!), 'utf8')}`)
    const plain = sila('replay', join(ROOT, EXAMPLES[0]!))
    const withMark = sila('replay', marked)
    assert.is(withMark.status, plain.status, withMark.stderr)
    assert.is(withMark.stdout.split('\n').slice(1).join('\n'), plain.stdout.split('\n').slice(1).join('\n'))
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
  const none = sila('replay')
  assert.is(none.status, 2)
  assert.match(none.stderr, /sila replay: expects a trace FILE/)
})

test('a recorded outcome that differs from the model is a MISMATCH, exit 1', () => {
  const trace = JSON.parse(readFileSync(join(ROOT, EXAMPLES[1]!), 'utf8')) as { steps: { outcome?: unknown }[] }
  trace.steps[6]!.outcome = { ok: true, reply: { kind: 'cap', objectKind: 'region', rights: ['read', 'write'], badge: 0 } }
  const directory = mkdtempSync(join(tmpdir(), 'sila-test-'))
  try {
    const file = join(directory, 'mismatch.trace.json')
    writeFileSync(file, JSON.stringify(trace))
    const run = sila('replay', file)
    assert.is(run.status, 1)
    assert.match(run.stdout, /^ +6 +0 +cap_inspect slot=4 +EmptySlot  MISMATCH/m)
    assert.match(run.stdout, /step 6: expected \{"ok":true/)
    assert.match(run.stdout, /1 mismatch\./)
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
})

test('recorded rights and allowed devices are sets: another order (or a repeat) matches, another set is a MISMATCH', () => {
  type Step = { syscall: { kind: string }; outcome: { reply: { rights?: string[]; limits?: { devices: string[] } } } }
  const trace = JSON.parse(readFileSync(join(ROOT, EXAMPLES[0]!), 'utf8')) as { steps: Step[] }
  const inspect = trace.steps.map((traceStep) => traceStep.syscall.kind).lastIndexOf('cap_inspect')
  const stats = trace.steps.findIndex((traceStep) => traceStep.syscall.kind === 'container_stats')
  const directory = mkdtempSync(join(tmpdir(), 'sila-test-'))
  const replayed = (edit: (steps: Step[]) => void) => {
    const copy = structuredClone(trace)
    edit(copy.steps)
    const file = join(directory, 'sets.trace.json')
    writeFileSync(file, JSON.stringify(copy))
    return sila('replay', file)
  }
  try {
    const rights = trace.steps[inspect]!.outcome.reply.rights!
    assert.ok(rights.length >= 2)
    const reordered = replayed((steps) => { steps[inspect]!.outcome.reply.rights = [...rights].reverse() })
    assert.is(reordered.status, 0, reordered.stdout)
    const repeated = replayed((steps) => { steps[inspect]!.outcome.reply.rights = [...rights, rights[0]!] })
    assert.is(repeated.status, 0, repeated.stdout)
    const fewer = replayed((steps) => { steps[inspect]!.outcome.reply.rights = rights.slice(1) })
    assert.is(fewer.status, 1, fewer.stdout)
    assert.match(fewer.stdout, /1 mismatch\./)
    const devices = replayed((steps) => { steps[stats]!.outcome.reply.limits!.devices = ['disk0'] })
    assert.is(devices.status, 1, devices.stdout)
    assert.match(devices.stdout, new RegExp(`step ${stats}: expected`))
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
})

test('--mutant steps a seeded bug in lockstep, names it, and excludes --model-only and --kernel', () => {
  const clean = sila('replay', EXAMPLES[0]!, '--mutant', 'copy-amplifies-rights', '--json')
  const result = JSON.parse(clean.stdout) as { kernel: string }
  assert.is(result.kernel, 'mutant:copy-amplifies-rights')
  const both = sila('replay', EXAMPLES[0]!, '--mutant', 'copy-amplifies-rights', '--model-only')
  assert.is(both.status, 2)
  assert.match(both.stderr, /--model-only and --mutant exclude each other/)
  const unknown = sila('replay', EXAMPLES[0]!, '--mutant', 'no-such-bug')
  assert.is(unknown.status, 2)
  assert.match(unknown.stderr, /unknown mutant "no-such-bug"/)
  assert.not.match(unknown.stderr, STACK_LINE)
})

test.run()
