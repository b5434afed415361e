import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatJson, jsonText, renderTable, wrapText, writeFileAtomic } from '../../cli/output.js'
import { timeLeftMs } from '../../cli/commands/check-run.js'
import { callerText, syscallText } from '../../checker/stepText.js'

test('renderTable takes any number of rows (a 200,000-step replay): no argument list as long as the table', () => {
  const rows = Array.from({ length: 200_000 }, (_, index) => [String(index), index === 123_456 ? 'the widest cell' : 'x'])
  const lines = renderTable([{ header: 'step', align: 'right' }, { header: 'what' }], rows).split('\n')
  assert.is(lines.length, 200_002)
  assert.is(lines[1], '------  ---------------')
})

test('the progress line\'s time left: runs left at the rate so far, never past the time limit, unknown before a run', () => {
  assert.is(timeLeftMs(10_000, 0, 100, 2, undefined), null)
  assert.is(timeLeftMs(10_000, 50, 100, 2, undefined), 30_000, '150 runs left at 200 ms each')
  assert.is(timeLeftMs(10_000, 50, 100, 2, 15_000), 5_000, 'the limit ends first')
  assert.is(timeLeftMs(20_000, 0, 100, 2, 15_000), 0)
  assert.is(timeLeftMs(10_000, 200, 100, 2, undefined), 0, 'every run done')
})

test('renderTable aligns columns left and right', () => {
  const text = renderTable([{ header: 'n', align: 'right' }, { header: 'name' }], [['1', 'alpha'], ['100', 'b']])
  assert.is(text, ['  n  name', '---  -----', '  1  alpha', '100  b'].join('\n'))
})

test('renderTable wraps a cell past its widthMax onto continuation lines', () => {
  const text = renderTable([{ header: 'a', widthMax: 5 }, { header: 'b' }], [['one two three', 'x']])
  assert.is(text, ['a      b', '-----  -', 'one    x', 'two', 'three'].join('\n'))
})

test('wrapText breaks at spaces, and inside a word only when it must', () => {
  assert.equal(wrapText('aa bb cc', 5), ['aa bb', 'cc'])
  assert.equal(wrapText('abcdefgh', 3), ['abc', 'def', 'gh'])
  assert.equal(wrapText('', 3), [''])
  assert.equal(wrapText('ab cdefgh ij', 3), ['ab', 'cde', 'fgh', 'ij'])
  assert.equal(wrapText('abcdef', 3), ['abc', 'def'])
  // Code points, not UTF-16 units; a word of 100,000 cut whole (a sched_run's list of every quantum).
  assert.equal(wrapText('≤≤≤≤≤ x', 2), ['≤≤', '≤≤', '≤', 'x'])
  const long = `[${Array.from({ length: 50_000 }, (_, index) => index % 3).join(',')}]`
  const lines = wrapText(`ok ran ${long}`, 60)
  assert.ok(lines.every((line) => [...line].length <= 60))
  assert.is(lines.join('').replace(/^ok ran/, ''), long)
})

test('formatJson keeps small values on one line and breaks large ones', () => {
  assert.is(formatJson({ a: [1, 2] }), '{ "a": [1, 2] }')
  assert.is(formatJson({ a: 'x'.repeat(20), b: 1 }, 20), `{\n  "a": "${'x'.repeat(20)}",\n  "b": 1\n}`)
})

test('writeFileAtomic replaces the file and leaves no temporary file', () => {
  const directory = mkdtempSync(join(tmpdir(), 'sila-test-'))
  try {
    const file = join(directory, 'result.json')
    writeFileAtomic(file, 'first')
    writeFileAtomic(file, 'second')
    assert.is(readFileSync(file, 'utf8'), 'second')
    assert.equal(readdirSync(directory), ['result.json'])
    assert.throws(() => writeFileAtomic(join(directory, 'missing', 'x.json'), 'x'))
    assert.equal(readdirSync(directory), ['result.json'])
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
})

test('syscallText: kind and compact arguments, total over garbage', () => {
  assert.is(syscallText({ kind: 'cap_copy', caller: 0, src: 0, dst: 3, rights: ['read'] }), 'cap_copy src=0 dst=3 rights=[read]')
  assert.is(syscallText({ kind: 'ep_send', caller: 1, slot: 0, payload: 'hi there' }), 'ep_send slot=0 payload="hi there"')
  assert.is(syscallText({ kind: 'tick' }), 'tick')
  assert.is(syscallText(42), '(malformed) 42')
  assert.is(syscallText(null), '(malformed) null')
  assert.ok([...syscallText({ kind: 'x', junk: 'y'.repeat(1000) })].length <= 200)
  assert.is(callerText({ kind: 'tick' }), 'clock')
  assert.is(callerText({ kind: 'cap_delete', caller: 4, slot: 0 }), '4')
  assert.is(callerText('garbage'), '?')
})

test('a negative zero is written -0 (JSON.stringify writes 0), and reads back as -0, wherever it sits', () => {
  const values: unknown[] = [-0, [0, -0], { caller: -0, slot: 0, nested: { list: [1, -0, '-0', 'a"-0"b'] } }]
  for (const value of values) {
    for (const text of [jsonText(value), jsonText(value, 2), formatJson(value, 100), formatJson(value, 10)]) {
      const back = JSON.parse(text) as unknown
      // Object.is tells -0 from 0, which deepEqual does not: compare the two walks.
      const walk = (a: unknown, b: unknown, at: string): void => {
        if (typeof a === 'number') { assert.ok(Object.is(a, b), `${at}: ${String(b)} for ${Object.is(a, -0) ? '-0' : String(a)} in ${text}`); return }
        if (typeof a !== 'object' || a === null) { assert.is(b, a, at); return }
        for (const key of Object.keys(a)) walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}.${key}`)
      }
      walk(value, back, '$')
    }
  }
  // A string that reads like the marker is left alone.
  assert.is(jsonText({ s: '-0' }), '{"s":"-0"}')
})

test.run()
