import { test } from 'uvu'
import * as assert from 'node:assert/strict'
import fc from 'fast-check'
import { isSame } from '../../refinement/abstraction.js'
import { firstDifference } from '../../refinement/diff.js'

const value = fc.letrec((tie) => ({
  leaf: fc.oneof(fc.constantFrom<unknown>(0, -0, 1, NaN, null, undefined, '', 'a', true), fc.integer({ min: 0, max: 3 })),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('node'), { maxKeys: 3 }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), tie('node')), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }).map((items) => new Set(items)),
  ),
})).node

test('isSame agrees with firstDifference (the full comparison\'s equality) on nested Maps, Sets, arrays and objects', () => {
  fc.assert(fc.property(value, value, (model, kernel) => {
    assert.equal(isSame(model, kernel), firstDifference('', model, kernel) === null)
    assert.equal(isSame(model, structuredClone(model)), firstDifference('', model, structuredClone(model)) === null)
  }), { numRuns: 5000, seed: 2 })
})

test.run()
