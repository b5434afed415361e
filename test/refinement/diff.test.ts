/**
 * The comparison the refinement check rests on (refinement/diff.ts), against
 * independent ground truth: Node's deep equality, and changes planted at known
 * places of real model states. A comparison that misses a difference would let
 * every diverging kernel pass, whatever the generators reach.
 */
import { test } from 'uvu'
import * as assert from 'node:assert/strict'
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { diffStates, firstDifference, refusalChange } from '../../refinement/diff.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { IMAGE_POOL, PROPERTY_BOOT } from '../../properties/pool.js'
import { syscallSequence, BALANCED, flatten } from '../../properties/generators.js'
import { changed, places, spread } from './_places.js'

// Values as states are made of: no `undefined` in objects (an object's missing key
// and its undefined value read alike, on purpose) and Set members that are numbers.
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(fc.constantFrom<unknown>(0, -0, 1, NaN, null, '', 'a', true, false), fc.integer({ min: 0, max: 3 })),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('node'), { maxKeys: 3, noNullPrototype: true }),
    // A Map's value may be undefined: a key mapped to nothing is not a missing key.
    fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.option(tie('node'), { nil: undefined, freq: 4 })), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }).map((items) => new Set(items)),
  ),
})).node

/** The same Map with its keys inserted in the other order, everywhere inside. */
function reinserted(value: unknown): unknown {
  if (value instanceof Map) return new Map([...value].reverse().map(([key, inner]) => [key, reinserted(inner)]))
  if (Array.isArray(value)) return value.map(reinserted)
  if (typeof value === 'object' && value !== null && !(value instanceof Set)) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, reinserted(inner)]))
  return value
}

test('firstDifference finds a difference exactly when Node\'s deep equality finds one, and shows two unequal values', () => {
  fc.assert(fc.property(value, value, (model, kernel) => {
    const found = firstDifference('root', model, kernel)
    assert.equal(found === null, isDeepStrictEqual(model, kernel))
    assert.equal(firstDifference('root', model, structuredClone(model)), null)
    if (found !== null) {
      assert.ok(found.path.startsWith('root'), found.path)
      // Two unequal values, or a Map key on one side only (its value undefined).
      assert.ok(!isDeepStrictEqual(found.model, found.kernel) || (found.model === undefined && found.kernel === undefined), found.path)
      // Named where the values differ, not at a Map or an object above it (two Sets are named whole, as arrays of their members).
      const [m, k] = [found.model, found.kernel]
      const plain = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Set)
      assert.ok(!(m instanceof Map && k instanceof Map), found.path)
      assert.ok(!(plain(m) && plain(k)), found.path)
    }
  }), { numRuns: 1500, seed: 3 })
})

test('the difference reported first is the same whatever order a Map\'s keys were inserted in (keys in ascending order)', () => {
  fc.assert(fc.property(value, value, (model, kernel) => {
    assert.deepEqual(firstDifference('root', reinserted(model), reinserted(kernel)), firstDifference('root', model, kernel))
  }), { numRuns: 1500, seed: 4 })
  // Two Sets that differ are named whole, by their members as arrays (a witness is JSON: a Set would print as {}).
  assert.deepEqual(firstDifference('s', new Set([0, 2]), new Set([3])), { path: 's', model: [0, 2], kernel: [3] })
  assert.deepEqual(firstDifference('s', { a: new Set([1]) }, { a: new Set([1, 2]) }), { path: 's.a', model: [1], kernel: [1, 2] })
  const model = new Map([[1, 'a'], [10, 'b'], [2, 'c']])
  assert.equal(firstDifference('m', model, new Map([[1, 'a'], [10, 'x'], [2, 'y']]))?.path, 'm[2]')
})

/** Model states after a few generated syscalls: containers, processes, caps, queues. */
const states: KernelState[] = fc.sample(syscallSequence(BALANCED, 25), { numRuns: 3, seed: 5 }).map((sequence) => {
  let state = boot(PROPERTY_BOOT, IMAGE_POOL)
  for (const syscall of flatten(sequence, 40)) state = modelStep(state, syscall).state
  return state
})

test('diffStates names the exact place of any change of a state but its ghost fields, which it ignores', () => {
  for (const state of states) {
    assert.equal(diffStates(state, structuredClone(state)), null)
    const all = Object.entries(state).flatMap(([key, inner]) => places(inner, key, [key], []))
    assert.ok(all.length > 100, `${all.length} places`)
    for (const place of spread(all)) {
      const found = diffStates(state, changed(state, place))
      if (place.path.startsWith('gs')) assert.equal(found, null, place.path)
      else assert.equal(found?.path, place.path)
    }
  }
})

test('diffStates compares the ghost fields it is told the kernel keeps (Abstraction.ghosts), and those alone', () => {
  const kept = ['gsMessages', 'gsLastReceived']
  let seen = 0
  for (const state of states) {
    const all = Object.entries(state).flatMap(([key, inner]) => places(inner, key, [key], []))
    for (const place of spread(all)) {
      const found = diffStates(state, changed(state, place), kept)
      if (place.path.startsWith('gs') && !kept.some((field) => place.path.startsWith(field))) assert.equal(found, null, place.path)
      else assert.equal(found?.path, place.path)
      if (kept.some((field) => place.path.startsWith(field))) seen++
    }
  }
  assert.ok(seen > 0, 'the states have ledger and last-received places to change')
})

test('refusalChange names any change a refusal must not make, and lets only a container\'s CPU charge change', () => {
  for (const state of states) {
    assert.equal(refusalChange(state, structuredClone(state)), null)
    const all = Object.entries(state).flatMap(([key, inner]) => places(inner, key, [key], []))
    for (const place of [...spread(all), ...all.filter((p) => /usage\.cpuBudget$/.test(p.path))]) {
      const found = refusalChange(state, changed(state, place))
      const charge = /^ksObjects\[\d+\]\.usage\.cpuBudget$/.test(place.path)
      if (place.path.startsWith('gs') || charge) assert.equal(found, null, place.path)
      else assert.equal(found, place.path)
    }
    const [id] = [...state.ksObjects].find(([, object]) => object.kind === 'process')!
    const fewer = { ...state, ksObjects: new Map([...state.ksObjects].filter(([key]) => key !== id)) }
    assert.equal(refusalChange(state, fewer), `ksObjects[${id}]`)
    const more = { ...state, ksObjects: new Map([...state.ksObjects, [9999, state.ksObjects.get(id)!]]) }
    assert.equal(refusalChange(state, more), 'ksObjects.size')
  }
})

test.run()
