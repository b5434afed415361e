/**
 * `tick` at every depth of the container tree (kernel.md §3: "`tick {}` ... starts
 * a new period: per-period counters go back to zero"). No invariant of the
 * catalogue states the reset (CPU-1 and IO-1 bound a period's counters from
 * above only), and clock.test.ts ticks a root and one child: a tick that reset
 * the root and its children only, made the same way in the model and the impl,
 * passed `sila check` and this folder's tests, while a grandchild kept a spent
 * budget into the next period. Here a chain of containers four deep (new and
 * shared namespaces alternating), each with a process that spends CPU and I/O,
 * is ticked; every container's counters must be zero after, and nothing else
 * may change.
 * @module
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { ContainerObject, KernelState } from '../../model/state.js'
import type { Limits, NamespaceConfig } from '../../spec/limits.js'
import { available } from '../../model/accounting.js'
import { DISK_SLOT, IMAGES, INIT, ROOT, ROOT_SLOT, SHARE_ALL, assertUnchanged, bootWith, must, mustCapAt, sc, succeeds, usageOf } from './fixtures.js'

const started = Date.now()
const met = new Map<string, number>()
const count = (what: string) => met.set(what, (met.get(what) ?? 0) + 1)

const DEPTH = 4

/** Limits at depth d (1..DEPTH): each covers the next one's reservation and its own process (2048 bytes, one process). */
const limitsAt = (d: number): Limits => ({
  memoryBytes: 65536 >> (d - 1), processes: 10 - 2 * d, endpoints: 0, cpuBudget: [1000, 400, 150, 40][d - 1]!, ioBytes: 4096 >> (2 * (d - 1)), cpuWeight: 10, devices: ['disk0'],
})
/** New namespaces at odd depths (a uid map inside the parent's range), shared at even ones. */
const namespacesAt = (d: number): NamespaceConfig => (d % 2 === 0 ? SHARE_ALL
  : { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: d === 1 ? { base: 1000, count: 1000 } : { base: 100, count: 500 } })

/**
 * Init creates containers C1..C4, each a child of the one before (it keeps their
 * caps in slots 3..6), spawns into each a driver granted the disk (creation
 * indices 1..4), and each driver submits I/O (one CPU unit and some bytes to its
 * container); init submits I/O in the root as well.
 */
function spent(): { state: KernelState; containers: number[] } {
  let state = bootWith()
  const containers = [ROOT]
  for (let d = 1; d <= DEPTH; d++) {
    state = must(state, sc.create(INIT, d === 1 ? ROOT_SLOT : 2 + d - 1, 2 + d, limitsAt(d), namespacesAt(d)))
    containers.push(mustCapAt(state, INIT, 2 + d).object)
  }
  for (let d = 1; d <= DEPTH; d++) {
    state = must(state, sc.spawn(INIT, 2 + d, 10 + d, { image: IMAGES.wantsDevice.digest, grants: [{ slot: DISK_SLOT, rights: ['write'] }] }))
  }
  for (let d = 1; d <= DEPTH; d++) state = must(state, sc.io(d, 0, 3 * d))
  state = must(state, sc.io(INIT, DISK_SLOT, 7))
  return { state, containers }
}

test('the chain is as built: five containers at depths 0..4, each having spent CPU and I/O this period', () => {
  const { state, containers } = spent()
  assert.is(new Set(containers).size, DEPTH + 1)
  for (const [d, id] of containers.entries()) {
    const container = state.ksObjects.get(id) as ContainerObject
    assert.is(container.kind, 'container')
    assert.is(container.parent, d === 0 ? null : containers[d - 1]!)
    assert.ok(usageOf(state, id).cpuBudget > 0 && usageOf(state, id).ioBytes > 0, `depth ${d} spent nothing`)
  }
})

test('tick: every container\'s CPU and I/O counters go back to zero at every depth; nothing else changes', () => {
  const { state: before, containers } = spent()
  const { state: after, reply } = succeeds(before, sc.tick())
  assert.equal(reply, { kind: 'unit' })
  for (const [d, id] of containers.entries()) {
    const { cpuBudget, ioBytes } = usageOf(after, id)
    assert.equal({ cpuBudget, ioBytes }, { cpuBudget: 0, ioBytes: 0 }, `depth ${d} (container ${id}) kept its counters`)
    count(`depth ${d} reset`)
  }
  const expected = new Map(before.ksObjects)
  for (const id of containers) {
    const c = before.ksObjects.get(id) as ContainerObject
    expected.set(id, { ...c, usage: { ...c.usage, cpuBudget: 0, ioBytes: 0 } })
  }
  assertUnchanged({ ...before, ksObjects: expected }, after)
})

test('after the tick, a container spent to its budget can make syscalls again, at every depth', () => {
  let { state } = spent()
  // Spend what each driver's container has left of its CPU budget (its children's reservations kept), tick, and each must be admitted again.
  for (let d = 1; d <= DEPTH; d++) {
    const id = state.ksObjects.get(state.ksProcessRefs[d]!)!.owner!
    for (let left = available(state, state.ksObjects.get(id) as ContainerObject, 'cpuBudget'); left > 0; left--) state = must(state, sc.list(d))
    assert.is(available(state, state.ksObjects.get(id) as ContainerObject, 'cpuBudget'), 0)
  }
  state = must(state, sc.tick())
  for (let d = 1; d <= DEPTH; d++) {
    succeeds(state, sc.list(d))
    count(`depth ${d} admitted again`)
  }
})

test('coverage: every depth reset and admitted again (floors asserted)', () => {
  const seconds = (Date.now() - started) / 1000
  console.log(`  periods (${seconds.toFixed(1)} s): ${[...met].sort().map(([what, n]) => `${what} ${n}`).join(', ')}`)
  for (let d = 0; d <= DEPTH; d++) assert.ok((met.get(`depth ${d} reset`) ?? 0) >= 1, `never met: depth ${d} reset`)
  for (let d = 1; d <= DEPTH; d++) assert.ok((met.get(`depth ${d} admitted again`) ?? 0) >= 1, `never met: depth ${d} admitted again`)
})

test.run()
