import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { readJsonInput } from '../../cli/input.js'
import { TraceCodec, type Trace } from '../../spec/trace.js'
import { encodeItfStates, ITF_VARS, itfViews, ofItf, toItf } from '../../checker/export/itf.js'
import { decodeItfValue, encodeItfValue, INT, mapOf, optionOf, setOf, STR, tupleOf, recordOf, listOf, type JsonValue } from '../../checker/export/itfValue.js'
import { ROOT } from '../cli/run.js'

const EXAMPLES = ['examples/ipc-transfer.trace.json', 'examples/revoke-reaches-tables.trace.json']

function load(file: string): Trace {
  return readJsonInput(TraceCodec, join(ROOT, file))
}

/** Every place in an ITF value where a JSON number appears, by path; `#meta` is skipped (its `index` is a plain number by the spec). */
function plainNumbers(value: unknown, path: string, found: string[]): string[] {
  if (typeof value === 'number') found.push(path)
  else if (Array.isArray(value)) value.forEach((item, index) => plainNumbers(item, `${path}[${index}]`, found))
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) if (key !== '#meta') plainNumbers(item, `${path}.${key}`, found)
  }
  return found
}

/** Every `#bigint` in an ITF value. */
function bigints(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => bigints(item, found))
  else if (typeof value === 'object' && value !== null) {
    if ('#bigint' in value) found.push((value as { '#bigint': string })['#bigint'])
    else for (const item of Object.values(value)) bigints(item, found)
  }
  return found
}

/** A trace whose every state violates QUO-1: the root container may hold no process, but init is one. */
function overCommitted(): Trace {
  const trace = load(EXAMPLES[1]!)
  return { ...trace, boot: { ...trace.boot, root: { limits: { ...trace.boot.root.limits, processes: 0 } } }, steps: trace.steps.slice(0, 2) }
}

for (const file of EXAMPLES) {
  test(`${file}: boot plus one state per step, each with #meta.index and every var`, () => {
    const trace = load(file)
    const itf = toItf(trace, { source: file })
    assert.is(itf.states.length, trace.steps.length + 1)
    assert.equal(itf.vars, Object.keys(ITF_VARS))
    itf.states.forEach((state, index) => {
      assert.equal(state['#meta'], { index }, `state ${index}`)
      for (const name of itf.vars) assert.ok(name in state, `state ${index} lacks ${name}`)
      assert.equal(Object.keys(state).filter((key) => key !== '#meta').sort(), [...itf.vars].sort(), `state ${index} has exactly the vars`)
    })
    assert.is(itf['#meta'].format, 'ITF')
    assert.is(itf['#meta'].source, file)
    assert.is(itf['#meta'].description, trace.description)
  })

  test(`${file}: every integer is a #bigint with a decimal string`, () => {
    const itf = toItf(load(file))
    const json = JSON.parse(JSON.stringify(itf)) as unknown
    assert.equal(plainNumbers(json, '$', []), [])
    const all = bigints(json)
    assert.ok(all.length > 100, `only ${all.length} integers`)
    for (const digits of all) assert.match(digits, /^-?(0|[1-9]\d*)$/)
  })

  test(`${file}: toItf, ofItf, re-encode gives the same ITF; ofItf gives the plain views back`, () => {
    const trace = load(file)
    const itf = toItf(trace)
    const plain = ofItf(JSON.parse(JSON.stringify(itf)))
    assert.equal(plain, itfViews(trace))
    const again = { ...itf, states: encodeItfStates(plain) }
    assert.equal(again, itf)
    assert.is(JSON.stringify(again), JSON.stringify(itf))
  })
}

test('the states are the model\'s: syscalls, outcomes, objects and caps as a viewer reads them', () => {
  const itf = toItf(load(EXAMPLES[0]!))
  const views = ofItf(itf)
  assert.equal(views[0]!.lastSyscall, { kind: 'boot' })
  assert.equal(views[0]!.lastOutcome, { ok: true, reply: { kind: 'booted' } })
  assert.equal(itf.states[8]!.lastSyscall, { kind: 'ep_recv', caller: { '#bigint': '0' }, slot: { '#bigint': '3' }, dst: { '#bigint': '7' } })
  assert.equal(views[8]!.lastOutcome, { ok: true, reply: { kind: 'message', payload: 'hello from the child', badge: 7, cap: 'received' } })
  assert.equal(views[10]!.lastOutcome, { ok: false, error: { code: 'QueueEmpty' } })
  assert.equal(itf.states[4]!.lastOutcome, { ok: true, reply: { kind: 'spawned', pid: { tag: 'Some', value: { '#bigint': '2' } } } })
  // The root container has no owner: an option, None as Quint writes it.
  const rootEntry = (itf.states[0]!.objects as { '#map': [unknown, Record<string, unknown>][] })['#map'][0]!
  assert.equal(rootEntry[0], { '#bigint': '0' })
  assert.equal(rootEntry[1].owner, { tag: 'None', value: { '#tup': [] } })
  // Cap rights are sets of right names.
  const caps = (views[2]!.caps as [number, { rights: string[]; badge: number }][])
  assert.equal(caps.find(([, cap]) => cap.badge === 7)![1].rights, ['write', 'grant'])
  // The ghost ledger counts the message sent, then received.
  assert.equal(views[7]!.messages, { sent: 1, received: 0, discarded: 0 })
  assert.equal(views[8]!.messages, { sent: 1, received: 1, discarded: 0 })
  for (const view of views) assert.equal(view.violated, [])
})

test('violated lists the invariants each state breaks', () => {
  const views = ofItf(toItf(overCommitted()))
  assert.is(views.length, 3)
  for (const view of views) assert.ok((view.violated as string[]).includes('QUO-1'), JSON.stringify(view.violated))
})

test('a malformed step is kept as its JSON text, and so is a step not marked malformed whose syscall has fields its kind does not have', () => {
  const trace = load(EXAMPLES[1]!)
  const odd: Trace = {
    ...trace,
    steps: [
      { malformed: true, syscall: { kind: 'cap_copy', caller: 0, src: -1.5, tag: null } },
      { malformed: true, syscall: 'garbage' },
      { syscall: { kind: 'cap_inspect', caller: 0, slot: 0, note: null, ratio: 0.5, '#x': 1, extra: { ok: true, gone: null } } as unknown as Trace['steps'][number]['syscall'] },
    ] as Trace['steps'],
  }
  const itf = toItf(odd)
  assert.equal(itf.states[1]!.lastSyscall, { kind: 'malformed', json: '{"kind":"cap_copy","caller":0,"src":-1.5,"tag":null}' })
  assert.equal(itf.states[2]!.lastSyscall, { kind: 'malformed', json: '"garbage"' })
  // kernel.md §8: a field its kind does not have makes a syscall malformed (both kernels answer InvalidArgument).
  assert.equal(itf.states[3]!.lastSyscall, { kind: 'malformed', json: '{"kind":"cap_inspect","caller":0,"slot":0,"note":null,"ratio":0.5,"#x":1,"extra":{"ok":true,"gone":null}}' })
  assert.equal(plainNumbers(JSON.parse(JSON.stringify(itf)), '$', []), [])
  const plain = ofItf(itf)
  assert.is(JSON.stringify(encodeItfStates(plain)), JSON.stringify(itf.states))
})

test('the value encoder follows its shape and names the path of a value that does not fit', () => {
  const shape = recordOf({ id: INT, tags: setOf(STR), owner: optionOf(INT), at: tupleOf(INT, STR), table: mapOf(STR, listOf(INT)) })
  const value: JsonValue = { id: 3, tags: ['a'], owner: { tag: 'Some', value: 0 }, at: [1, 'x'], table: [['k', [1, 2]]] }
  const encoded = encodeItfValue(shape, value)
  assert.equal(encoded, {
    id: { '#bigint': '3' }, tags: { '#set': ['a'] }, owner: { tag: 'Some', value: { '#bigint': '0' } },
    at: { '#tup': [{ '#bigint': '1' }, 'x'] }, table: { '#map': [['k', [{ '#bigint': '1' }, { '#bigint': '2' }]]] },
  })
  assert.equal(decodeItfValue(encoded), value)
  assert.throws(() => encodeItfValue(shape, { ...value, id: 1.5 }), /\$\.id: expected a safe integer/)
  assert.throws(() => encodeItfValue(shape, { ...value, id: 2 ** 60 }), /\$\.id: expected a safe integer/)
  assert.throws(() => encodeItfValue(shape, { ...value, extra: 1 }), /\$\.extra: expected no such field/)
  assert.throws(() => encodeItfValue(shape, { ...value, at: [1] }), /\$\.at: expected a tuple of 2/)
  assert.throws(() => encodeItfValue(shape, { ...value, owner: null }), /\$\.owner: expected an option/)
})

test('the decoder reads any ITF and refuses what plain JSON cannot hold', () => {
  assert.equal(decodeItfValue({ '#bigint': '-12' }), -12)
  assert.equal(decodeItfValue(7), 7)
  assert.equal(decodeItfValue({ '#map': [[{ '#tup': [1, 2] }, { '#set': [] }]] }), [[[1, 2], []]])
  assert.equal(decodeItfValue({ tag: 'None', value: { '#tup': [] } }), { tag: 'None', value: [] })
  assert.throws(() => decodeItfValue({ '#bigint': '123456789012345678901234567890' }), /outside the safe integer range/)
  assert.throws(() => decodeItfValue({ '#bigint': '1', extra: 2 }), /only member/)
  assert.throws(() => decodeItfValue({ '#unserializable': 'Int' }), /unserializable/)
  assert.throws(() => decodeItfValue({ a: { '#weird': 1 } }), /\$\.a\.#weird: unknown ITF tag/)
  assert.throws(() => decodeItfValue(null), /not an ITF value/)
  assert.throws(() => ofItf({ vars: [] }), /\$\.states: expected an array/)
})

test('the same trace gives the same file (no timestamp)', () => {
  const trace = load(EXAMPLES[0]!)
  assert.is(JSON.stringify(toItf(trace)), JSON.stringify(toItf(trace)))
})

test.run()
