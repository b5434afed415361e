import { test } from 'uvu'
import * as assert from 'node:assert/strict'
import { DEFAULT_BOOT } from '../../spec/boot.js'
import { Kernel } from '../../impl/kernel.js'
import { step as modelStep } from '../../model/step.js'
import { deriveCap } from '../../impl/cdt.js'
import { NS_MOUNT } from '../../impl/tables/objects.js'
import { PLACE_TABLE } from '../../impl/tables/caps.js'
import { abstractState } from '../../refinement/abstraction.js'
import { IMAGE_POOL, NO_CPU_BOOT, Pair, VALID_IMAGE } from './_support.js'

const CHAIN = 100_000

/** A chain of `length` caps under init's root-container cap, each the child of the one before, in the root mount table. */
function deepChain(kernel: Kernel, length: number): void {
  const table = kernel.namespaceOf(kernel.root, NS_MOUNT)
  let parent = kernel.objects.cspace[kernel.init]![0]!
  for (let index = 0; index < length; index++) parent = deriveCap(kernel, parent, 31, 0, PLACE_TABLE, table, 0, `/c${index}`)
}

test('revoke of a 10^5-deep chain finishes without recursion and leaves the boot state but for the counters', () => {
  const kernel = Kernel.boot(DEFAULT_BOOT, IMAGE_POOL)
  const booted = abstractState(kernel)
  deepChain(kernel, CHAIN)
  assert.equal(kernel.caps.liveCount, booted.ksCaps.size + CHAIN)
  const started = performance.now()
  assert.deepStrictEqual(kernel.step({ kind: 'cap_revoke', caller: 0, slot: 0 }), { _tag: 'Right', right: { kind: 'unit' } })
  const elapsedMs = performance.now() - started
  const after = abstractState(kernel)
  assert.equal(kernel.caps.liveCount, booted.ksCaps.size)
  assert.deepStrictEqual(after.ksCaps, booted.ksCaps)
  assert.deepStrictEqual(after.ksNamespaces, booted.ksNamespaces)
  assert.equal(after.ksCapNext, booted.ksCapNext + CHAIN)
  assert.ok(elapsedMs < 2000, `revoke took ${elapsedMs} ms`)
})

test('deleting the root of a 10^5-deep chain re-parents one child; deleting down the chain keeps it a chain', () => {
  const kernel = Kernel.boot(DEFAULT_BOOT, IMAGE_POOL)
  kernel.step({ kind: 'cap_copy', caller: 0, src: 0, dst: 5, rights: ['read', 'control'] })
  const table = kernel.namespaceOf(kernel.root, NS_MOUNT)
  let parent = kernel.objects.cspace[kernel.init]![5]!
  for (let index = 0; index < CHAIN; index++) parent = deriveCap(kernel, parent, 17, 0, PLACE_TABLE, table, 0, `/c${index}`)
  kernel.step({ kind: 'cap_delete', caller: 0, slot: 5 })
  const state = abstractState(kernel)
  const first = [...state.ksCaps.values()].find((cap) => cap.at.place === 'table' && cap.at.key === '/c0')!
  const rootCap = [...state.ksCaps.values()].find((cap) => cap.at.place === 'slot' && cap.at.slot === 0)!
  assert.equal(first.parent, rootCap.id, 'the deleted cap\'s child moved up to its parent')
  const second = [...state.ksCaps.values()].find((cap) => cap.at.place === 'table' && cap.at.key === '/c1')!
  assert.equal(second.parent, first.id, 'the rest of the chain is untouched')
  kernel.step({ kind: 'cap_revoke', caller: 0, slot: 0 })
  assert.equal(kernel.namespaces.get(table).entries.size, 0)
})

test('a chain built by syscalls (mount, resolve, mount, ...) revokes and deletes exactly as the model does', () => {
  const links = 300
  const pair = new Pair(NO_CPU_BOOT)
  pair.step({ kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 0, slots: links + 2, grants: [{ slot: 0, rights: ['read', 'control'] }], dst: 5 })
  const steps: unknown[] = []
  for (let index = 0; index < links; index++) {
    steps.push({ kind: 'mount', caller: 1, path: `/c${index}`, slot: index, rights: ['read', 'control'] })
    steps.push({ kind: 'resolve', caller: 1, path: `/c${index}`, dst: index + 1 })
  }
  for (const syscall of steps) pair.kernel.step(syscall)
  pair.model = steps.reduce<typeof pair.model>((state, syscall) => modelStepState(state, syscall), pair.model)
  pair.check('chain built')
  pair.run([{ kind: 'cap_delete', caller: 1, slot: 100 }, { kind: 'cap_revoke', caller: 1, slot: 200 }, { kind: 'unmount', caller: 1, path: '/c50' }, { kind: 'cap_revoke', caller: 1, slot: 0 }])
  assert.equal(pair.kernel.namespaces.get(1).entries.size, 0, 'the root mount table is empty again')
})

function modelStepState(state: Parameters<typeof modelStep>[0], syscall: unknown) {
  return modelStep(state, syscall).state
}

test.run()
