/**
 * refine-step.ts's `sameState`, the fast test `--refine` asks before naming a
 * difference: it must agree with refinement/diff.ts's `diffStates` (no
 * difference exactly when it says the states are the same) on every shape a state
 * holds: Maps, Sets, arrays, plain objects, undefined fields, ghost fields.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { sameState } from '../../checker/explore/refine-step.js'
import { diffStates } from '../../refinement/diff.js'
import type { KernelState } from '../../model/state.js'

/** Values as states nest them: small primitives, undefined, arrays, objects, Maps keyed by numbers, Sets. */
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(0, 1, -0, 2, 'a', 'b', true, false, null, undefined, Number.NaN),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('x', 'y', 'z'), tie('value'), { maxKeys: 3 }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.array(fc.constantFrom(0, 1, 2, 'a'), { maxLength: 3 }).map((values) => new Set(values)),
  ),
}))

/** One change somewhere inside `value` (or the value replaced), drawn by `pick`. */
function changed(value: unknown, pick: () => number, replacement: unknown): unknown {
  if (pick() < 0.3) return replacement
  if (value instanceof Map && value.size > 0) {
    const keys = [...value.keys()]
    const key = keys[Math.floor(pick() * keys.length)]
    const copy = new Map(value)
    if (pick() < 0.2) copy.delete(key)
    else copy.set(key, changed(value.get(key), pick, replacement))
    return copy
  }
  if (value instanceof Set) { const copy = new Set(value); copy.add('added'); return copy }
  if (Array.isArray(value) && value.length > 0) {
    const index = Math.floor(pick() * value.length)
    return value.map((item, at) => (at === index ? changed(item, pick, replacement) : item))
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    const keys = Object.keys(record)
    if (keys.length === 0 || pick() < 0.2) return { ...record, extra: replacement }
    const key = keys[Math.floor(pick() * keys.length)]!
    return { ...record, [key]: changed(record[key], pick, replacement) }
  }
  return replacement
}

test('sameState agrees with diffStates: equal copies, one change anywhere, ghost fields ignored, fields only the kernel has ignored', () => {
  let same = 0
  let different = 0
  fc.assert(fc.property(
    fc.dictionary(fc.constantFrom('ksObjects', 'ksCaps', 'ksRoot', 'gsFlows'), value, { minKeys: 1 }),
    fc.constantFrom('copy', 'change', 'ghost', 'kernel-only'), fc.infiniteStream(fc.double({ min: 0, max: 0.999, noNaN: true })), value,
    (model, how, draws, replacement) => {
      const stream = draws[Symbol.iterator]()
      const pick = () => stream.next().value as number
      let kernel: Record<string, unknown> = structuredClone(model)
      if (how === 'change') {
        // One field of the model's (a ghost one at times: never compared) changed somewhere inside.
        const keys = Object.keys(model)
        const key = keys[Math.floor(pick() * keys.length)]!
        kernel = { ...kernel, [key]: changed(kernel[key], pick, replacement) }
      }
      if (how === 'ghost') kernel = { ...kernel, gsFlows: replacement }
      if (how === 'kernel-only') kernel = { ...kernel, ksOnlyInKernel: replacement }
      const expected = diffStates(model as unknown as KernelState, kernel as unknown as KernelState) === null
      assert.is(sameState(model as unknown as KernelState, kernel as unknown as KernelState), expected, JSON.stringify({ how }))
      if (expected) same++
      else different++
    },
  ), { numRuns: 3000, seed: 20_261_205 })
  console.log(`  3,000 pairs: ${same.toLocaleString('en')} the same, ${different.toLocaleString('en')} different`)
  assert.ok(same > 500 && different > 500, 'both answers met often')
})

test.run()
