import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { readJsonInput } from '../../cli/input.js'
import { TraceCodec, type Trace } from '../../spec/trace.js'
import { markdownReport } from '../../checker/export/md.js'
import { ROOT } from '../cli/run.js'

const IPC = 'examples/ipc-transfer.trace.json'
const REVOKE = 'examples/revoke-reaches-tables.trace.json'

function load(file: string): Trace {
  return readJsonInput(TraceCodec, join(ROOT, file))
}

test('the report of a clean trace: title, description, boot configuration, step table, replay command', () => {
  const md = markdownReport(load(IPC), { source: IPC })
  assert.ok(md.startsWith(`# Trace ${IPC}\n\nIPC with a cap transfer across containers.`), md.slice(0, 200))
  assert.not.match(md, /## Failure/)
  assert.match(md, /^## Boot configuration$/m)
  assert.match(md, /^- \*\*Root container limits:\*\* `memoryBytes=1073741824 processes=64 endpoints=64 cpuBudget=10000 ioBytes=1048576 cpuWeight=100 devices=\[disk0,net0\]`$/m)
  assert.match(md, /^- \*\*Keyring:\*\* `release` \(ML-DSA-65\)$/m)
  assert.match(md, /^- \*\*Anti-rollback floors:\*\* `echo` ≥ 1\.0\.0$/m)
  assert.match(md, /^ {2}- `echo` 1\.0\.0, `sha256:a928c1b594f3…`, signed by `release`; 65536 bytes; requests `endpoint \[write,grant\]`$/m)
  const lines = md.split('\n')
  const header = lines.indexOf('| step | caller | syscall | result | invariants |')
  assert.ok(header > 0)
  assert.is(lines[header + 1], '| ---: | ---: | --- | --- | --- |')
  assert.is(lines[header + 2], '| boot | - | - | booted | ok |')
  assert.is(lines[header + 3], '| 0 | 0 | `ep_create depth=4 dst=3` | `ok` | ok |')
  assert.ok(lines.includes('| 6 | 1 | `ep_send slot=0 payload="hello from the child" xfer=1` | `ok` | ok |'))
  assert.ok(lines.includes('| 7 | 0 | `ep_recv slot=3 dst=7` | `ok "hello from the child" badge 7 cap received` | ok |'))
  assert.ok(lines.includes('| 9 | 0 | `ep_recv slot=3 dst=8` | `QueueEmpty` | ok |'))
  assert.is(lines.filter((line) => /^\| \d+ \|/.test(line)).length, 11)
  assert.match(md, /^11 steps replayed on the model: every invariant held, all 11 recorded outcomes matched\.$/m)
  assert.match(md, /## Reproduce\n\nReplay the trace:\n\n```sh\nsila replay examples\/ipc-transfer\.trace\.json\n```\n$/)
})

test('the report of a counterexample: failure with property, invariant, step, seed, path and witness; mismatches and violations', () => {
  const trace = load(REVOKE)
  const failing: Trace = {
    ...trace,
    boot: { ...trace.boot, root: { limits: { ...trace.boot.root.limits, processes: 0 } } },
    steps: [trace.steps[0]!, { ...trace.steps[1]!, outcome: { ok: false, error: { code: 'NotFound' } } }],
    failure: { property: 'quota', invariant: 'QUO-1', step: -1, seed: 1234, path: '0:1', message: 'usage over the limit', witness: { container: 0, resource: 'processes' } },
  }
  const md = markdownReport(failing, { source: 'out/quota-1.trace.json' })
  assert.ok(md.startsWith('# Counterexample: quota, QUO-1\n'))
  for (const item of ['- **Property:** `quota`', '- **Invariant:** `QUO-1`', '- **Step:** the boot state', '- **Seed:** `1234`', '- **Path:** `0:1`', '- **Message:** usage over the limit']) {
    assert.ok(md.includes(`\n${item}\n`), item)
  }
  assert.match(md, /\*\*Witness:\*\*\n\n```json\n\{ "container": 0, "resource": "processes" \}\n```/)
  assert.ok(md.includes('| boot | - | - | booted | **QUO-1** |'))
  assert.ok(md.includes('| 1 | 0 | `mount path=/data slot=3 rights=[read,write]` | `ok` **MISMATCH** | **QUO-1** |'))
  assert.match(md, /^2 steps replayed on the model: 3 violations, 1 mismatch\.$/m)
  assert.match(md, /^### Mismatches\n\nRecorded outcome, then what the model answers:$/m)
  assert.match(md, /^- step 1: recorded `\{"ok":false,"error":\{"code":"NotFound"\}\}`, model `\{"ok":true,"reply":\{"kind":"unit"\}\}`$/m)
  assert.match(md, /^- `QUO-1` at step boot: container 0: processes usage 1/m)
  // Without producedBy the trace does not say which kernel or command found it: only the replay.
  assert.match(md, /## Reproduce\n\nReplay the trace:\n\n```sh\nsila replay out\/quota-1\.trace\.json\n```\n$/)
})

test('with producedBy, Reproduce gives the replay on the kernel that produced it and the exact command that found it', () => {
  const trace = load(REVOKE)
  const command = 'sila check quota --seed 1234 --path 7:0:1 --max-steps 60 --mutant endpoint-quota-off-by-one'
  const md = markdownReport({ ...trace, producedBy: { kernel: 'mutant:endpoint-quota-off-by-one', command, seed: 1234, path: '7:0:1' } }, { source: 'out/my quota.trace.json' })
  assert.match(md, /Replay the trace on mutant endpoint-quota-off-by-one, the kernel that produced it, or run again the command that found it \(exactly its case: the seed and fast-check's path\):/)
  assert.ok(md.endsWith(`\`\`\`sh\nsila replay 'out/my quota.trace.json' --mutant endpoint-quota-off-by-one\n${command}\n\`\`\`\n`), md.slice(-400))
  const explored = markdownReport({ ...trace, producedBy: { kernel: 'model-mutant:revoke-misses-messages', command: 'sila explore --mutant revoke-misses-messages' } }, { source: 'x.json' })
  assert.ok(explored.endsWith('```sh\nsila replay x.json --model-mutant revoke-misses-messages\nsila explore --mutant revoke-misses-messages\n```\n'), explored.slice(-300))
  assert.match(explored, /steps? replayed on model mutant revoke-misses-messages/)
  // Its mismatches are what that mutant answers, not the model.
  const mismatched = markdownReport({ ...trace, steps: trace.steps.map((traceStep, index) => index === 1 ? { ...traceStep, outcome: { ok: false as const, error: { code: 'NotFound' as const } } } : traceStep), producedBy: { kernel: 'model-mutant:revoke-misses-messages' } }, { source: 'x.json' })
  assert.match(mismatched, /^Recorded outcome, then what model mutant revoke-misses-messages answers:$/m)
  assert.match(mismatched, /^- step 1: recorded `\{"ok":false,"error":\{"code":"NotFound"\}\}`, model mutant revoke-misses-messages `/m)
  const impl = markdownReport({ ...trace, producedBy: { kernel: 'impl' } }, { source: 'x.json' })
  assert.ok(impl.endsWith('Replay the trace on the impl, the kernel that produced it:\n\n```sh\nsila replay x.json --impl\n```\n'), impl.slice(-300))
})

test('a call that did not return (ROBUST, STALL): the replay command carries the --step-timeout of the command that found it', () => {
  const trace = load(REVOKE)
  const stalled = (invariant: string, command: string) => markdownReport({ ...trace, failure: { property: 'explore', invariant, step: 0, message: 'stopped' }, producedBy: { kernel: 'impl', command } }, { source: 'x.json' })
  for (const invariant of ['ROBUST', 'STALL']) {
    assert.match(stalled(invariant, 'sila explore --preset nested --props p.mjs --step-timeout 2.5'), /^sila replay x\.json --impl --step-timeout 2\.5$/m, invariant)
    // None given: the replay's default stops it too.
    assert.match(stalled(invariant, 'sila explore --preset nested --props p.mjs'), /^sila replay x\.json --impl$/m, invariant)
  }
  // Any other failure replays without one.
  assert.match(stalled('CAP-1', 'sila explore --preset nested --step-timeout 2'), /^sila replay x\.json --impl$/m)
})

test('text from the trace cannot break the table or the formatting', () => {
  const trace = load(REVOKE)
  const hostile: Trace = {
    ...trace,
    description: '# not a heading *nor bold* <b>html</b> | pipe',
    steps: [{ malformed: true, syscall: { kind: 'ep_send', caller: 0, slot: 1, payload: 'a|b`c' } }],
    failure: { property: 'robustness', witness: { text: '```' } },
  }
  const md = markdownReport(hostile, { source: "dir with space/it's.json" })
  assert.match(md, /^\\# not a heading \\\*nor bold\\\* \\<b\\>html\\<\/b\\> \\\| pipe$/m)
  const row = md.split('\n').find((line) => line.startsWith('| 0 |'))!
  assert.ok(row !== undefined)
  // The pipe inside the code span is escaped, so the row keeps five cells.
  assert.is(row.split(/(?<!\\)\|/).length - 2, 5, row)
  assert.ok(row.includes('``'), 'a backtick in the cell gets a longer fence')
  assert.match(md, /````json\n\{ "text": "```" \}\n````/)
  assert.match(md, /sila replay 'dir with space\/it'\\''s\.json'/)
})

test.run()
