/**
 * A container's children are a doubly linked list in the impl (impl/tables/objects.ts,
 * childHead / childNext / childPrev); the model keeps a set. Destroying children in
 * every order, then creating new ones in their handles, then destroying the parent
 * (which destroys what is left below it) must agree with the model at every step:
 * an unlink that leaves a sibling's back link on a dead child shows only when that
 * sibling is unlinked in turn, which the suites' random sequences seldom arrange.
 */
import { test } from 'uvu'
import * as assert from 'node:assert/strict'
import { DEFAULT_BOOT } from '../../spec/boot.js'
import { LIMITS, NAMESPACES, Pair } from './_support.js'

/** Every order of `items`. */
function orders<T>(items: ReadonlyArray<T>): T[][] {
  if (items.length <= 1) return [[...items]]
  return items.flatMap((item, index) => orders([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]))
}

test('children destroyed in every order, new ones in their places, then the parent: kernel and model agree at every step', () => {
  const create = (parent: number, dst: number, limits: unknown) => ({ kind: 'container_create', caller: 0, parent, dst, limits, namespaces: NAMESPACES[0] })
  let destroyed = 0
  for (const order of orders([5, 6, 7])) {
    const pair = new Pair(DEFAULT_BOOT)
    pair.step(create(0, 4, LIMITS[0]))
    for (const slot of [5, 6, 7]) pair.step(create(4, slot, LIMITS[2]))
    for (const slot of order) {
      pair.step({ kind: 'container_destroy', caller: 0, slot })
      destroyed++
    }
    pair.step(create(4, 5, LIMITS[2]))
    pair.step(create(4, 6, LIMITS[2]))
    pair.step({ kind: 'container_destroy', caller: 0, slot: 5 })
    pair.step({ kind: 'container_destroy', caller: 0, slot: 4 })
    // Nothing of the parent's subtree is left: the model's containers are root and init's only.
    assert.equal([...pair.model.ksObjects.values()].filter((object) => object.kind === 'container').length, 1, 'only the root container is left')
  }
  assert.equal(destroyed, 18)
})

test.run()
