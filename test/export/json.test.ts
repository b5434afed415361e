import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { readJsonInput } from '../../cli/input.js'
import { TraceCodec, type Trace } from '../../spec/trace.js'
import { exportTrace } from '../../checker/export/index.js'
import { normalizeTrace } from '../../checker/export/json.js'
import { ROOT } from '../cli/run.js'

const EXAMPLES = ['examples/ipc-transfer.trace.json', 'examples/revoke-reaches-tables.trace.json']

function load(file: string): Trace {
  return readJsonInput(TraceCodec, join(ROOT, file))
}

function decode(text: string): Trace {
  const decoded = TraceCodec.decode(JSON.parse(text))
  if (E.isLeft(decoded)) throw new Error('the output does not decode as sila-trace/1')
  return decoded.right
}

for (const file of EXAMPLES) {
  test(`${file}: the output decodes with TraceCodec and equals the input (its outcomes are the model's already)`, () => {
    const trace = load(file)
    const result = exportTrace(trace, 'json')
    assert.equal(result.notes, [])
    assert.ok(result.text.endsWith('}\n'))
    assert.equal(decode(result.text), trace)
    assert.equal(Object.keys(decode(result.text)), ['format', 'description', 'boot', 'images', 'steps'])
  })
}

test('missing outcomes are filled in from the model; malformed: false is dropped; members come in one order', () => {
  const trace = load(EXAMPLES[1]!)
  const bare: Trace = {
    scenario: ['kept'],
    steps: trace.steps.map((traceStep, index) => (index === 0 ? { syscall: traceStep.syscall, malformed: false } : { syscall: traceStep.syscall })),
    images: trace.images,
    boot: trace.boot,
    format: trace.format,
    failure: { property: 'invariants', step: 3 },
  } as Trace
  const output = decode(exportTrace(bare, 'json').text)
  assert.equal(Object.keys(output), ['format', 'boot', 'images', 'steps', 'failure', 'scenario'])
  assert.equal(output.steps.map((traceStep) => traceStep.outcome), trace.steps.map((traceStep) => traceStep.outcome))
  assert.equal(Object.keys(output.steps[0]!), ['syscall', 'outcome'])
  assert.equal(output.failure, { property: 'invariants', step: 3 })
  assert.equal(output.scenario, ['kept'])
})

test('a recorded outcome that differs from the model is replaced, and the replacement reported', () => {
  const trace = load(EXAMPLES[1]!)
  const altered: Trace = { ...trace, steps: trace.steps.map((traceStep, index) => (index === 6 ? { ...traceStep, outcome: { ok: true, reply: { kind: 'unit' } } } : traceStep)) }
  const normalized = normalizeTrace(altered)
  assert.is(normalized.replaced.length, 1)
  assert.is(normalized.replaced[0]!.step, 6)
  assert.equal(normalized.trace.steps[6]!.outcome, { ok: false, error: { code: 'EmptySlot' } })
  const result = exportTrace(altered, 'json')
  assert.is(result.notes.length, 1)
  assert.match(result.notes[0]!, /^step 6: the recorded outcome \{"ok":true,"reply":\{"kind":"unit"\}\} differs from the model's; written the model's \{"ok":false,"error":\{"code":"EmptySlot"\}\}$/)
})

test('malformed steps stay malformed and get the model\'s outcome', () => {
  const trace = load(EXAMPLES[1]!)
  const odd: Trace = { ...trace, steps: [{ malformed: true, syscall: { kind: 'cap_copy', src: 'x' } }] }
  const output = decode(exportTrace(odd, 'json').text)
  assert.equal(output.steps, [{ malformed: true, syscall: { kind: 'cap_copy', src: 'x' }, outcome: { ok: false, error: { code: 'InvalidArgument' } } }])
})

test.run()
