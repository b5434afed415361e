import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { boot } from '../../model/boot.js'
import type { KernelState } from '../../model/state.js'
import { InputError } from '../../spec/decode.js'
import { PRESETS } from '../../spec/presets.js'
import { TraceCodec, type Trace } from '../../spec/trace.js'
import { bootLabels } from '../../checker/audit/labels.js'
import { traceStateAt } from '../../checker/audit/invariants.js'
import { decodeSnapshot, encodeSnapshot, STATE_FORMAT } from '../../checker/audit/snapshot.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const TRACES = ['examples/ipc-transfer.trace.json', 'examples/revoke-reaches-tables.trace.json']

function readTrace(file: string): Trace {
  const decoded = TraceCodec.decode(JSON.parse(readFileSync(`${ROOT}${file}`, 'utf8')))
  if (decoded._tag === 'Left') throw new Error(`${file} does not decode`)
  return decoded.right
}

/** Every state of a trace: the boot state and the state after each step. */
function statesOf(trace: Trace): KernelState[] {
  return Array.from({ length: trace.steps.length + 1 }, (_, count) => traceStateAt(trace, count))
}

/** A snapshot's text with one change made to its JSON. */
function edited(state: KernelState, change: (json: { state: Record<string, unknown> }) => void): string {
  const json = JSON.parse(encodeSnapshot({ state })) as { state: Record<string, unknown> }
  change(json)
  return JSON.stringify(json)
}

function refusal(text: string): string {
  try {
    decodeSnapshot(text, 'broken.state.json')
  } catch (error) {
    assert.instance(error, InputError)
    assert.is((error as InputError).file, 'broken.state.json')
    return (error as InputError).problems.join('\n')
  }
  assert.unreachable('expected a refusal')
  return ''
}

for (const file of TRACES) {
  test(`every state of ${file} round-trips through sila-state/1 (maps, sets and all)`, () => {
    for (const [index, state] of statesOf(readTrace(file)).entries()) {
      const text = encodeSnapshot({ state })
      const back = decodeSnapshot(text, 'round-trip.json')
      assert.is(back.format, STATE_FORMAT)
      assert.equal(back.state, state, `state ${index}`)
      assert.ok(back.state.ksObjects instanceof Map && back.state.ksKeyring instanceof Set && back.state.gsFlows instanceof Map)
      assert.is(encodeSnapshot({ state: back.state }), text, `state ${index} re-encodes to the same text`)
    }
  })
}

test('a state with a queued message carrying a cap round-trips, the message and its cap included', () => {
  const state = traceStateAt(readTrace('examples/ipc-transfer.trace.json'), 7)
  const queued = [...state.ksObjects.values()].flatMap((object) => (object.kind === 'endpoint' ? object.queue : []))
  assert.is(queued.length, 1)
  assert.type(queued[0]!.cap, 'number')
  assert.equal(decodeSnapshot(encodeSnapshot({ state }), 'x').state, state)
})

test('preset boot states round-trip with their labels and source', () => {
  for (const preset of PRESETS) {
    const state = boot(preset.boot, preset.images)
    const labels = bootLabels(preset.boot, state)
    const back = decodeSnapshot(encodeSnapshot({ state, labels, source: `preset ${preset.name}` }), 'x')
    assert.equal(back.state, state, preset.name)
    assert.equal(back.labels, labels, preset.name)
    assert.is(back.source, `preset ${preset.name}`)
  }
})

test('labels name what a boot configuration declares', () => {
  const core = PRESETS.find((preset) => preset.name === 'cap-core')!
  const labels = bootLabels(core.boot, boot(core.boot, core.images))
  assert.equal([...labels.entries()].sort(([a], [b]) => a - b), [[0, 'root'], [1, 'init'], [2, 'A'], [3, 'B'], [4, 'pA'], [5, 'pB'], [6, 'E']])
})

test('rights are written as names, maps as entries, sets as arrays', () => {
  const state = traceStateAt(readTrace('examples/ipc-transfer.trace.json'), 2)
  const json = JSON.parse(encodeSnapshot({ state })) as { state: { ksCaps: Array<[number, { rights: string[] }]>; ksKeyring: string[]; gsFlows: Array<[string, string[]]> } }
  assert.equal(json.state.ksCaps[0]![1].rights, ['read', 'write', 'execute', 'grant', 'control'])
  assert.equal(json.state.ksKeyring, ['release'])
  assert.ok(json.state.gsFlows.every(([key, rights]) => /^\d+>\d+$/.test(key) && Array.isArray(rights)))
})

test('a snapshot that does not decode is refused with the file and the JSON path', () => {
  const core = PRESETS.find((preset) => preset.name === 'cap-core')!
  const state = boot(core.boot, core.images)
  assert.match(refusal('{"format": "sila-state/1"'), /not valid JSON/)
  assert.match(refusal(JSON.stringify({ format: 'sila-state/1' })), /\$\.state: missing; expected an object$/)
  assert.match(refusal(edited(state, (json) => { json.state.ksRoot = -1 })), /\$\.state\.ksRoot: expected a non-negative integer, found -1/)
  assert.match(refusal(edited(state, (json) => { json.state.ksRooot = 0 })), /\$\.state\.ksRooot: unknown field; did you mean "ksRoot"\?$/)
  assert.match(refusal(edited(state, (json) => {
    const caps = json.state.ksCaps as Array<[number, { rights: string[] }]>
    caps[0]![1].rights = ['admin']
  })), /\$\.state\.ksCaps\[0\]\[1\]\.rights\[0\]: expected one of: read, write, execute, grant, control, found "admin"/)
  assert.match(refusal(edited(state, (json) => {
    const caps = json.state.ksCaps as unknown[]
    caps.push(caps[0])
  })), /\$\.state\.ksCaps\[7\]\[0\]: expected a key not already used in ksCaps/)
  assert.match(refusal(edited(state, (json) => {
    const objects = json.state.ksObjects as Array<[number, unknown]>
    objects[1]![0] = 99
  })), /\$\.state\.ksObjects\[1\]\[0\]: expected the key 1/)
  assert.match(refusal(edited(state, (json) => {
    const objects = json.state.ksObjects as Array<[number, { kind: string }]>
    objects[1]![1].kind = 'socket'
  })), /\$\.state\.ksObjects\[1\]\[1\]\.kind: unknown kind "socket"; expected one of: container, process, region, endpoint, device$/)
})

test.run()
