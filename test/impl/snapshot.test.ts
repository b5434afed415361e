import { test } from 'uvu'
import * as assert from 'node:assert/strict'
import fc from 'fast-check'
import { DEFAULT_BOOT } from '../../spec/boot.js'
import { Kernel } from '../../impl/kernel.js'
import { abstractState } from '../../refinement/abstraction.js'
import { CONFIGS, IMAGE_POOL, PREAMBLE, Pair, sequence } from './_support.js'

/** Runs `syscalls` on the kernel; returns the outcomes and the abstract state after each. */
function trace(kernel: Kernel, syscalls: ReadonlyArray<unknown>) {
  return syscalls.map((syscall) => ({ outcome: kernel.step(syscall), state: abstractState(kernel) }))
}

/** Steps `syscall` on the kernel and requires it to succeed. */
function stepOk(kernel: Kernel, syscall: Record<string, unknown>): void {
  assert.equal((kernel.step(syscall) as { _tag: string })._tag, 'Right', JSON.stringify(syscall))
}

test('restore gives back the snapshot state; the same suffix then gives the same outcomes and states, every time', () => {
  fc.assert(fc.property(fc.constantFrom(...CONFIGS), sequence, sequence, (config, prefix, suffix) => {
    const kernel = Kernel.boot(config, IMAGE_POOL)
    for (const syscall of prefix) kernel.step(syscall)
    const atSnapshot = abstractState(kernel)
    const snapshot = kernel.snapshot()
    const first = trace(kernel, suffix)
    kernel.restore(snapshot)
    assert.deepStrictEqual(abstractState(kernel), atSnapshot)
    assert.deepStrictEqual(trace(kernel, suffix), first)
    kernel.restore(snapshot)
    assert.deepStrictEqual(trace(kernel, suffix), first)
  }), { numRuns: 150, seed: 5 })
})

test('a snapshot restores into another kernel, smaller or larger, and lockstep checking goes on', () => {
  fc.assert(fc.property(sequence, sequence, (prefix, suffix) => {
    const pair = new Pair(DEFAULT_BOOT).run(prefix)
    const snapshot = pair.kernel.snapshot()
    const model = pair.model
    const fresh = new Pair(DEFAULT_BOOT)
    fresh.kernel.restore(snapshot)
    fresh.model = model
    fresh.check('restored into a fresh kernel')
    fresh.run(suffix)
    const big = new Pair(DEFAULT_BOOT)
    for (let index = 0; index < 200; index++) big.kernel.step({ kind: 'ep_create', caller: 0, depth: 1, dst: 7 + (index % 9) })
    big.kernel.restore(snapshot)
    big.model = model
    big.check('restored into a kernel that had grown')
    big.run(suffix)
  }), { numRuns: 60, seed: 9 })
})

test('a snapshot of a kernel whose process and object tables grew (21 processes) restores into a fresh kernel, which grows to hold it', () => {
  const pair = new Pair(DEFAULT_BOOT)
  for (let index = 0; index < 20; index++) {
    pair.step({ kind: 'process_spawn', caller: 0, container: 0, image: IMAGE_POOL[0]!.digest, uid: 0, slots: 8, grants: [], dst: 3 })
    pair.step({ kind: 'cap_delete', caller: 0, slot: 3 })
    pair.step({ kind: 'ep_create', caller: 0, depth: 1, dst: 4 + (index % 12) })
  }
  assert.ok(pair.kernel.refs.count > 16 && pair.kernel.objects.capacity > 16, 'the tables grew')
  const snapshot = pair.kernel.snapshot()
  const fresh = new Pair(DEFAULT_BOOT)
  fresh.kernel.restore(snapshot)
  fresh.model = pair.model
  fresh.check('restored into a fresh kernel')
  fresh.step({ kind: 'process_spawn', caller: 0, container: 0, image: IMAGE_POOL[0]!.digest, uid: 0, slots: 8, grants: [], dst: 3 })
  fresh.step({ kind: 'ep_send', caller: 0, slot: 5, payload: 'after' })
})

test('a kernel booted with large tables (compact snapshots of the used rows) restores exactly, into itself and across capacities', () => {
  const LARGE = { objects: 2048, caps: 4096 }
  fc.assert(fc.property(sequence, sequence, (prefix, suffix) => {
    const kernel = Kernel.boot(DEFAULT_BOOT, IMAGE_POOL, LARGE)
    for (const syscall of prefix) kernel.step(syscall)
    const atSnapshot = abstractState(kernel)
    const snapshot = kernel.snapshot()
    assert.ok(snapshot.objects.columns.capacity < kernel.objects.capacity && snapshot.caps.columns.capacity < kernel.caps.capacity, 'a compact snapshot')
    const first = trace(kernel, suffix)
    kernel.restore(snapshot)
    assert.deepStrictEqual(abstractState(kernel), atSnapshot)
    assert.deepStrictEqual(trace(kernel, suffix), first)
    // Into a kernel of the default (smaller) tables, and a default kernel's snapshot back into the large one.
    const small = Kernel.boot(DEFAULT_BOOT, IMAGE_POOL)
    small.restore(snapshot)
    assert.deepStrictEqual(abstractState(small), atSnapshot)
    assert.deepStrictEqual(trace(small, suffix), first)
    small.restore(snapshot)
    kernel.restore(small.snapshot())
    assert.deepStrictEqual(abstractState(kernel), atSnapshot)
    assert.deepStrictEqual(trace(kernel, suffix), first)
  }), { numRuns: 40, seed: 11 })
})

test('later steps do not reach into a snapshot (copies, not views)', () => {
  const kernel = Kernel.boot(DEFAULT_BOOT, IMAGE_POOL)
  for (const syscall of PREAMBLE) kernel.step(syscall)
  kernel.step({ kind: 'ep_send', caller: 0, slot: 3, payload: 'kept' })
  kernel.step({ kind: 'svc_register', caller: 0, name: 'echo', slot: 3 })
  const snapshot = kernel.snapshot()
  const expected = abstractState(kernel)
  kernel.step({ kind: 'ep_recv', caller: 1, slot: 1 })
  kernel.step({ kind: 'svc_unregister', caller: 0, name: 'echo' })
  kernel.step({ kind: 'container_destroy', caller: 0, slot: 4 })
  kernel.step({ kind: 'cap_revoke', caller: 0, slot: 3 })
  kernel.restore(snapshot)
  assert.deepStrictEqual(abstractState(kernel), expected)
  kernel.step({ kind: 'ep_send', caller: 0, slot: 3, payload: 'second' })
  kernel.restore(snapshot)
  assert.deepStrictEqual(abstractState(kernel), expected)
})

test('a snapshot keeps a queued message\'s badge when the ring slot is reused after it (received, then a send with another badge)', () => {
  const kernel = Kernel.boot(DEFAULT_BOOT, IMAGE_POOL)
  const setup = [
    { kind: 'ep_create', caller: 0, depth: 1, dst: 7 },
    { kind: 'cap_copy', caller: 0, src: 7, dst: 8, rights: ['read', 'write'], badge: 1 },
    { kind: 'cap_copy', caller: 0, src: 7, dst: 9, rights: ['read', 'write'], badge: 2 },
    { kind: 'ep_send', caller: 0, slot: 8, payload: 11 },
  ]
  for (const syscall of setup) stepOk(kernel, syscall)
  const atSnapshot = abstractState(kernel)
  const snapshot = kernel.snapshot()
  // The one slot of the depth-1 ring is emptied and written again, with badge 2.
  for (const syscall of [{ kind: 'ep_recv', caller: 0, slot: 7 }, { kind: 'ep_send', caller: 0, slot: 9, payload: 22 }]) stepOk(kernel, syscall)
  kernel.restore(snapshot)
  assert.deepStrictEqual(abstractState(kernel), atSnapshot)
})

test('a reused snapshot holds the table keys of now, not the ones it held before', () => {
  // explore reuses a snapshot nothing reads any more (Kernel.snapshot(reuse)): every
  // cap's table key must be written again, or a cap keeps the key of the state the
  // snapshot was first taken in.
  const kernel = Kernel.boot(DEFAULT_BOOT, IMAGE_POOL)
  for (const syscall of PREAMBLE) kernel.step(syscall)
  kernel.step({ kind: 'svc_register', caller: 0, name: 'echo', slot: 3 })
  const older = kernel.snapshot()
  const registered = abstractState(kernel)
  kernel.step({ kind: 'svc_unregister', caller: 0, name: 'echo' })
  // Another snapshot in between: the kernel does not reuse the one it is equal to.
  kernel.snapshot()
  kernel.step({ kind: 'svc_register', caller: 0, name: 'other', slot: 3 })
  const expected = abstractState(kernel)
  assert.notDeepStrictEqual(expected, registered, 'the keys changed between the two snapshots')
  const reused = kernel.snapshot(older)
  kernel.step({ kind: 'svc_unregister', caller: 0, name: 'other' })
  kernel.restore(reused)
  assert.deepStrictEqual(abstractState(kernel), expected)
})

for (const [before, after] of [[1, 3], [3, 1]] as const) {
  test(`a reused snapshot holds a ring of depth ${after} where it held one of depth ${before} (the endpoint's handle reused by an endpoint of another depth)`, () => {
    const kernel = Kernel.boot(DEFAULT_BOOT, IMAGE_POOL)
    const ok = (syscall: Record<string, unknown>) => stepOk(kernel, syscall)
    /** The object handle of caller 0's slot 7. */
    const endpoint = () => kernel.caps.object[kernel.objects.cspace[kernel.processOfRef(0)]![7]!]
    ok({ kind: 'ep_create', caller: 0, depth: before, dst: 7 })
    for (let index = 0; index < before; index++) ok({ kind: 'ep_send', caller: 0, slot: 7, payload: 10 + index })
    const older = kernel.snapshot()
    const held = abstractState(kernel)
    const handle = endpoint()
    // Deleting the only cap frees the endpoint; the next one takes its handle.
    ok({ kind: 'cap_delete', caller: 0, slot: 7 })
    // Another snapshot in between: the kernel does not reuse the one it is equal to.
    kernel.snapshot()
    ok({ kind: 'ep_create', caller: 0, depth: after, dst: 7 })
    assert.equal(endpoint(), handle, 'the new endpoint has the old one\'s handle')
    ok({ kind: 'ep_send', caller: 0, slot: 7, payload: 20 })
    const expected = abstractState(kernel)
    assert.notDeepStrictEqual(expected, held)
    const reused = kernel.snapshot(older)
    ok({ kind: 'ep_recv', caller: 0, slot: 7 })
    ok({ kind: 'ep_send', caller: 0, slot: 7, payload: 30 })
    kernel.restore(reused)
    assert.deepStrictEqual(abstractState(kernel), expected)
    // The restored ring works at its own depth: it fills to `after` and refuses one more.
    for (let index = 1; index < after; index++) ok({ kind: 'ep_send', caller: 0, slot: 7, payload: 40 + index })
    assert.equal((kernel.step({ kind: 'ep_send', caller: 0, slot: 7, payload: 50 }) as { _tag: string })._tag, 'Left')
  })
}

test.run()
