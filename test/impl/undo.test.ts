/**
 * The kernel's undo, snapshot reuse and restore, walked as an explicit-state
 * search walks them (checker/explore/general.ts): a step tried and taken back, a
 * path descended with a snapshot per level (reusing the buffers of snapshots left
 * behind), a jump back to any ancestor. After every move the kernel must be in
 * exactly the state a fresh kernel reaches by replaying the same path from boot
 * (abstract state with its ghost fields: the message ledger, the last message
 * received per endpoint; and its namespace table's order), and its journal,
 * which the incremental comparison trusts, must never repeat a value once the
 * state may have changed.
 */
import { test } from 'uvu'
import * as assert from 'node:assert/strict'
import fc from 'fast-check'
import { Kernel, type KernelCapacity, type KernelSnapshot } from '../../impl/kernel.js'
import { abstractState } from '../../refinement/abstraction.js'
import { diffStates, firstDifference } from '../../refinement/diff.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import type { BootConfig } from '../../spec/boot.js'
import type { KernelState } from '../../model/state.js'
import { IMAGE_POOL, PROPERTY_BOOT, VALID_IMAGE } from '../../properties/pool.js'
import { BALANCED, flatten, syscallSequence } from '../../properties/generators.js'
import { LIMITS, NAMESPACES, NO_CPU_BOOT } from './_support.js'

interface Node { readonly path: ReadonlyArray<unknown>; readonly saved: KernelSnapshot; readonly state: Observed; readonly shape: ReturnType<typeof shapeOf> }

/** The tables' capacities. */
const capacitiesOf = (kernel: Kernel) => ({ objects: kernel.objects.capacity, rows: kernel.objects.rows.capacity, caps: kernel.caps.capacity })

/** What the fast undo cannot take back in place: the tables' capacities, and the namespaces' count. */
const shapeOf = (kernel: Kernel) => ({ tables: Object.values(capacitiesOf(kernel)).join('/'), namespaces: kernel.namespaces.size })

/** init spawns a process of `slots` slots (no grants) into its slot 5. */
const spawnInto5 = (slots: number) => ({ kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 0, slots, grants: [], dst: 5 })

/** The moves of the walk, counted: each must be reached. */
const MOVES = ['step', 'undo one step', 'undo one step that touched nothing', 'undo one step that grew a table', 'undo one step that changed the namespaces', 'undo again', 'undo further', 'restore', 'snapshot', 'snapshot reusing', 'snapshot replacing the last', 'jump to an ancestor'] as const
type Move = typeof MOVES[number]

/**
 * What a kernel is: its abstract state, and the order of its namespace table
 * (creation order), which explore's canonical labelling walks to break ties.
 */
interface Observed { readonly state: KernelState; readonly namespaceOrder: ReadonlyArray<number> }
const observe = (kernel: Kernel): Observed => ({ state: abstractState(kernel), namespaceOrder: [...kernel.namespaces.records.keys()] })

function sameState(kernel: Kernel, expected: Observed, where: string): void {
  const difference = firstDifference('', expected, observe(kernel))
  assert.equal(difference, null, `${where}: ${JSON.stringify(difference)}`)
}

/** A fresh kernel's state after `path`. */
function replayed(config: BootConfig, path: ReadonlyArray<unknown>): Observed {
  const kernel = Kernel.boot(config, IMAGE_POOL)
  for (const syscall of path) kernel.step(syscall)
  return observe(kernel)
}

/** Walks `syscalls` as a search would, checking every state against a replay; counts the moves and the steps that touched nothing. */
function walk(config: BootConfig, capacity: KernelCapacity, syscalls: ReadonlyArray<unknown>, next: (n: number) => number, moves: Map<Move, number>): void {
  const count = (move: Move) => moves.set(move, (moves.get(move) ?? 0) + 1)
  const kernel = Kernel.boot(config, IMAGE_POOL, capacity)
  const ancestors: Node[] = [{ path: [], saved: kernel.snapshot(), state: observe(kernel), shape: shapeOf(kernel) }]
  /** Snapshots of paths left behind: their buffers may be reused. */
  const dead: KernelSnapshot[] = []
  let current: unknown[] = []
  let journal = kernel.journal
  /**
   * The journal moved on, or (`still`) stayed where it was, or (`mayStay`: a move
   * back to the state the kernel is in) either.
   */
  const journalAfter = (what: string, still: boolean, mayStay = false) => {
    if (still) assert.equal(kernel.journal, journal, `${what}: the journal moved though nothing changed`)
    else if (mayStay) assert.ok(kernel.journal >= journal, `${what}: the journal went back from ${journal} to ${kernel.journal}`)
    else assert.ok(kernel.journal > journal, `${what}: the journal went from ${journal} to ${kernel.journal}`)
    journal = kernel.journal
  }
  const isAt = (state: Observed) => firstDifference('', state, observe(kernel)) === null
  for (const syscall of syscalls) {
    const outcome = kernel.step(syscall)
    const touchedNothing = kernel.objects.dirtyCount === 0 && kernel.caps.dirtyCount === 0 && kernel.namespaces.dirtyCount === 0
    current.push(syscall)
    count('step')
    journalAfter('step', false)
    sameState(kernel, replayed(config, current), `after ${current.length} steps (${String((syscall as { kind?: unknown }).kind)}, ${outcome._tag})`)
    const node = ancestors.at(-1)!
    const steps = current.length - node.path.length
    const shape = shapeOf(kernel)
    const grew = shape.tables !== node.shape.tables
    const renamespaced = shape.namespaces !== node.shape.namespaces
    // A step that grew a table or changed the namespaces (rare) is always undone when it is the only one since the snapshot.
    const choice = (grew || renamespaced) && steps === 1 ? next(2) : next(8)
    if (choice < 2) {
      // Tried and taken back: one step since the snapshot (the fast undo), or more (a full restore).
      const wasAt = isAt(node.state)
      if (steps === 1 && touchedNothing) count('undo one step that touched nothing')
      if (steps === 1 && grew) count('undo one step that grew a table')
      if (steps === 1 && renamespaced) count('undo one step that changed the namespaces')
      kernel.undo(node.saved)
      count(steps === 1 ? 'undo one step' : 'undo further')
      // Undoing a step that touched nothing changes nothing, the journal included.
      journalAfter('undo', steps === 1 && touchedNothing, wasAt)
      current = [...node.path]
      sameState(kernel, node.state, `undo to depth ${node.path.length}`)
      if (choice === 1) {
        kernel.undo(node.saved)
        count('undo again')
        journalAfter('undo again', true)
        sameState(kernel, node.state, `undo again to depth ${node.path.length}`)
      }
    } else if (choice < 5) {
      // 3: the last snapshot is given up and its buffers reused (often the one the kernel was last equal to).
      const replacing = choice === 3 && ancestors.length > 1
      const reuse = replacing ? ancestors.pop()!.saved : choice === 4 ? dead.pop() : undefined
      ancestors.push({ path: [...current], saved: kernel.snapshot(reuse), state: observe(kernel), shape: shapeOf(kernel) })
      count(replacing ? 'snapshot replacing the last' : reuse === undefined ? 'snapshot' : 'snapshot reusing')
      journalAfter('snapshot', true)
    } else if (choice === 5) {
      const to = next(ancestors.length)
      for (const left of ancestors.splice(to + 1)) dead.push(left.saved)
      const target = ancestors[to]!
      const wasAt = isAt(target.state)
      if (next(2) === 0) { kernel.undo(target.saved); count('jump to an ancestor') } else { kernel.restore(target.saved); count('restore') }
      journalAfter('back to an ancestor', false, wasAt)
      current = [...target.path]
      sameState(kernel, target.state, `back to the ancestor at depth ${target.path.length}`)
    }
    // else: go on without a snapshot, so that a later undo is of more than one step.
  }
}

test('undo, snapshots reusing old buffers and restore give back exactly the states a fresh replay reaches, along search-like walks', () => {
  const moves = new Map<Move, number>()
  const configs = [PROPERTY_BOOT, NO_CPU_BOOT]
  // Tables of the default capacity, and small ones that grow often (a growing step is undone by a full restore).
  const capacities: ReadonlyArray<KernelCapacity> = [{ objects: 16, caps: 32 }, { objects: 8, caps: 8 }]
  fc.assert(fc.property(fc.constantFrom(0, 1), fc.constantFrom(0, 1), syscallSequence(BALANCED, 25), fc.infiniteStream(fc.nat()), (config, capacity, sequence, picks) => {
    const pick = picks[Symbol.iterator]()
    walk(configs[config]!, capacities[capacity]!, flatten(sequence, 40), (n) => (pick.next().value as number) % n, moves)
  }), { numRuns: 120, seed: 21, includeErrorInReport: true })
  console.log(`  undo walks: ${MOVES.map((move) => `${moves.get(move) ?? 0} ${move}`).join(', ')}`)
  for (const move of MOVES) assert.ok((moves.get(move) ?? 0) > 50, `${move}: ${moves.get(move) ?? 0}`)
})

test('the step that grows a table (objects, container rows, caps) is undone exactly, then taken again', () => {
  // Containers created one by one from the smallest tables, each step undone once
  // and taken again: the fast undo cannot shrink a grown table, so such a step must
  // go back by a full restore, whichever table grew. The model steps alongside: a
  // table that grows wrong loses what a replay on the same code would lose too.
  const kernel = Kernel.boot(PROPERTY_BOOT, IMAGE_POOL, { objects: 8, caps: 8 })
  let model = boot(PROPERTY_BOOT, IMAGE_POOL)
  const grew = new Set<string>()
  const path: unknown[] = []
  for (let dst = 3; dst < PROPERTY_BOOT.init.slots; dst++) {
    const syscall = { kind: 'container_create', caller: 0, parent: 0, dst, limits: LIMITS[2], namespaces: NAMESPACES[0] }
    const before = capacitiesOf(kernel)
    const saved = kernel.snapshot()
    const state = observe(kernel)
    assert.equal(kernel.step(syscall)._tag, 'Right', `container_create into slot ${dst}`)
    for (const [table, capacity] of Object.entries(capacitiesOf(kernel))) if (capacity !== before[table as keyof typeof before]) grew.add(table)
    kernel.undo(saved)
    sameState(kernel, state, `undo of the container_create into slot ${dst}`)
    kernel.step(syscall)
    path.push(syscall)
    sameState(kernel, replayed(PROPERTY_BOOT, path), `the container_create into slot ${dst} again`)
    model = modelStep(model, syscall).state
    assert.equal(diffStates(model, abstractState(kernel)), null, `the model after the container_create into slot ${dst}`)
  }
  assert.deepEqual([...grew].sort(), ['caps', 'objects', 'rows'])
})

test('an endpoint retired after a snapshot, an undo or a restore leaves that snapshot as it was (its last message is not shared back)', () => {
  // The map of retired endpoints' last messages is shared between the kernel and
  // its snapshots and copied before a retirement writes to it: after taking a
  // snapshot, after a fast undo and after a restore alike. An endpoint made,
  // used and destroyed after the snapshot must be absent when the kernel goes back.
  const retire = [
    { kind: 'ep_create', caller: 0, depth: 2, dst: 5 },
    { kind: 'ep_send', caller: 0, slot: 5, payload: 1 },
    { kind: 'ep_recv', caller: 0, slot: 5 },
    { kind: 'cap_delete', caller: 0, slot: 5 },
  ]
  const ways: ReadonlyArray<[string, (kernel: Kernel) => KernelSnapshot]> = [
    ['snapshot', (kernel) => kernel.snapshot()],
    ['undo', (kernel) => { const saved = kernel.snapshot(); kernel.step({ kind: 'process_list', caller: 0 }); kernel.undo(saved); return saved }],
    ['restore', (kernel) => { const saved = kernel.snapshot(); kernel.step({ kind: 'process_list', caller: 0 }); kernel.step({ kind: 'process_list', caller: 0 }); kernel.restore(saved); return saved }],
  ]
  for (const [way, shared] of ways) {
    const kernel = Kernel.boot(PROPERTY_BOOT, IMAGE_POOL)
    // An endpoint retired before, so that the map is not empty.
    for (const syscall of retire) kernel.step(syscall)
    const saved = shared(kernel)
    const state = observe(kernel)
    for (const syscall of retire) assert.equal(kernel.step(syscall)._tag, 'Right', `${way}: ${syscall.kind}`)
    assert.equal(abstractState(kernel).gsLastReceived.size, state.state.gsLastReceived.size + 1, `${way}: the endpoint's last message is retired`)
    kernel.restore(saved)
    sameState(kernel, state, `${way}, then an endpoint retired, then restored`)
  }
})

test('a handle taken again by a process of another CSpace size: restore and snapshots reusing old buffers copy the whole CSpace', () => {
  // Process handles are reused (last freed, first taken), and the kernel and its
  // snapshots keep one CSpace array per handle, overwritten in place when the
  // length fits: a size change at a handle must make a new array. (Within one
  // step a handle is not freed and taken again, so undo never meets one.)
  const drop = { kind: 'cap_delete', caller: 0, slot: 5 }
  for (const [first, second] of [[4, 12], [12, 4], [8, 8]] as const) {
    const where = `${first} slots, then ${second}`
    const kernel = Kernel.boot(PROPERTY_BOOT, IMAGE_POOL)
    kernel.step(spawnInto5(first))
    const handle = kernel.objects.top - 1
    const one = kernel.snapshot()
    const spare = kernel.snapshot()
    const firstState = observe(kernel)
    kernel.step(drop)
    kernel.step(spawnInto5(second))
    assert.equal(kernel.objects.cspace[handle]?.length, second, `${where}: the handle is taken again`)
    const secondState = observe(kernel)
    // Into the kernel's own CSpace of the other size.
    kernel.restore(one)
    sameState(kernel, firstState, `${where}: restored to the first`)
    kernel.step(drop)
    kernel.step(spawnInto5(second))
    // Into the buffers of a snapshot whose CSpace at that handle had the other size.
    const two = kernel.snapshot(spare)
    kernel.restore(one)
    sameState(kernel, firstState, `${where}: restored to the first again`)
    kernel.restore(two)
    sameState(kernel, secondState, `${where}: restored to the second`)
  }
})

test('a step that touches more objects and caps than the tables first held (a container tree destroyed) is undone exactly', () => {
  // The lists of touched rows start at the tables' first capacity and grow; a step
  // that destroys a container holding ten others touches more than that.
  const kernel = Kernel.boot(PROPERTY_BOOT, IMAGE_POOL, { objects: 8, caps: 8 })
  let model = boot(PROPERTY_BOOT, IMAGE_POOL)
  const outer = { memoryBytes: 65536, processes: 8, endpoints: 6, cpuBudget: 2000, ioBytes: 4096, cpuWeight: 4, devices: [] }
  const inner = { memoryBytes: 1024, processes: 0, endpoints: 0, cpuBudget: 10, ioBytes: 0, cpuWeight: 1, devices: [] }
  const namespaces = NAMESPACES[0]
  const steps = [
    { kind: 'container_create', caller: 0, parent: 0, dst: 3, limits: outer, namespaces },
    ...Array.from({ length: 10 }, (_, index) => ({ kind: 'container_create', caller: 0, parent: 3, dst: 4 + index, limits: inner, namespaces })),
  ]
  for (const syscall of steps) {
    assert.equal(kernel.step(syscall)._tag, 'Right', `${syscall.kind} into slot ${syscall.dst}`)
    model = modelStep(model, syscall).state
  }
  const saved = kernel.snapshot()
  const state = observe(kernel)
  const destroy = { kind: 'container_destroy', caller: 0, slot: 3 }
  assert.equal(kernel.step(destroy)._tag, 'Right')
  assert.ok(kernel.objects.dirtyCount / 2 > 8 && kernel.caps.dirtyCount / 2 > 8, `${kernel.objects.dirtyCount / 2} objects and ${kernel.caps.dirtyCount / 2} caps touched`)
  assert.equal(diffStates(modelStep(model, destroy).state, abstractState(kernel)), null, 'the destroy, against the model')
  kernel.undo(saved)
  sameState(kernel, state, 'the destroy undone')
  // Caps: a revoke of an endpoint with eleven copies, each in the service table
  // (a cap's table key is taken back only through the touched list).
  const revoke: ReadonlyArray<Record<string, unknown>> = [
    { kind: 'ep_create', caller: 0, depth: 1, dst: 3 },
    ...Array.from({ length: 11 }, (_, index) => ({ kind: 'cap_copy', caller: 0, src: 3, dst: 4 + index, rights: ['read', 'write', 'grant'] })),
    ...Array.from({ length: 11 }, (_, index) => ({ kind: 'svc_register', caller: 0, name: `s${index}`, slot: 4 + index })),
  ]
  const other = Kernel.boot(PROPERTY_BOOT, IMAGE_POOL, { objects: 8, caps: 8 })
  for (const syscall of revoke) assert.equal(other.step(syscall)._tag, 'Right', `${String(syscall.kind)} ${String(syscall.dst ?? syscall.slot)}`)
  const beforeRevoke = other.snapshot()
  const revokeState = observe(other)
  assert.equal(other.step({ kind: 'cap_revoke', caller: 0, slot: 3 })._tag, 'Right')
  assert.ok(other.caps.dirtyCount / 2 > 8, `${other.caps.dirtyCount / 2} caps touched`)
  other.undo(beforeRevoke)
  sameState(other, revokeState, 'the revoke undone')
})

test('a step that removes namespaces older than others, or adds some, is undone in place, the namespace table in its order', () => {
  // Two containers with namespaces of their own; destroying the older one removes
  // namespaces created before the newer one's: the undo puts them back where they were.
  const kernel = Kernel.boot(PROPERTY_BOOT, IMAGE_POOL)
  const limits = { memoryBytes: 4096, processes: 2, endpoints: 2, cpuBudget: 100, ioBytes: 0, cpuWeight: 1, devices: [] }
  const create = (dst: number) => ({ kind: 'container_create', caller: 0, parent: 0, dst, limits, namespaces: NAMESPACES[1] })
  for (const dst of [3, 4]) assert.equal(kernel.step(create(dst))._tag, 'Right', `container into slot ${dst}`)
  const ids = [...kernel.namespaces.records.keys()]
  const saved = kernel.snapshot()
  const state = observe(kernel)
  assert.equal(kernel.step({ kind: 'container_destroy', caller: 0, slot: 3 })._tag, 'Right')
  const left = [...kernel.namespaces.records.keys()]
  const removed = ids.filter((id) => !left.includes(id))
  assert.ok(removed.length > 0 && removed.some((id) => left.some((other) => other > id)), `removed ${removed.join(',')} of ${ids.join(',')}: some older than one left`)
  const restores = kernel.namespaces.records
  kernel.undo(saved)
  sameState(kernel, state, 'the destroy undone')
  assert.deepEqual([...kernel.namespaces.records.keys()], ids)
  // The records the destroy left alone are the kernel's own, not copies: the undo was in place.
  for (const id of left) assert.equal(kernel.namespaces.records.get(id), restores.get(id), `namespace ${id} kept`)
  // A step that adds namespaces: undone by dropping them, the others as they were.
  const again = kernel.snapshot()
  assert.equal(kernel.step(create(5))._tag, 'Right')
  assert.ok(kernel.namespaces.size > ids.length)
  kernel.undo(again)
  sameState(kernel, state, 'the create undone')
  assert.deepEqual([...kernel.namespaces.records.keys()], ids)
})

test('a process destroyed by a step and brought back by undo does not share its CSpace with the snapshot', () => {
  // Undo copies a destroyed process's CSpace back from the snapshot: the copy must
  // be the kernel's own, or the process's next change reaches into the snapshot.
  const kernel = Kernel.boot(PROPERTY_BOOT, IMAGE_POOL)
  kernel.step(spawnInto5(4))
  const saved = kernel.snapshot()
  const state = observe(kernel)
  kernel.step({ kind: 'cap_delete', caller: 0, slot: 5 })
  kernel.undo(saved)
  sameState(kernel, state, 'the process brought back')
  // The process (the first spawned, caller 1) makes an endpoint in its own CSpace.
  assert.equal(kernel.step({ kind: 'ep_create', caller: 1, depth: 1, dst: 0 })._tag, 'Right')
  kernel.restore(saved)
  sameState(kernel, state, 'the snapshot after the process changed its CSpace')
})

test.run()
