import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { explore } from '../../checker/explore/search.js'
import { exploreCapCore } from './capcore-oracle.js'
import { exploreGeneral } from '../../checker/explore/general.js'
import { exploreGeneralParallel } from '../../checker/explore/general-parallel.js'
import { canonicalKey } from '../../checker/explore/canonical.js'
import { FingerprintSet, collisionProbability } from '../../checker/explore/fingerprints.js'
import { CAP_CORE, CAP_CORE_3, NESTED } from '../../spec/presets.js'
import { findModelMutant } from '../../mutants/model-mutants.js'
import { boot } from '../../model/boot.js'
import { step } from '../../model/step.js'
import type { Cap, CapLocation, KernelObject, KernelState } from '../../model/state.js'
import { modelTarget } from '../../refinement/model-target.js'

test('the hand-written cap-core oracle and the general engine count exactly what the model engine counts, level by level', () => {
  for (const depthMax of [1, 2, 3, 4, 5]) {
    const model = explore({ preset: CAP_CORE, depthMax })
    const oracle = exploreCapCore({ preset: CAP_CORE, depthMax })
    const general = exploreGeneral({ preset: CAP_CORE, depthMax })
    assert.is(oracle.distinct, model.distinct, `depth ${depthMax}`)
    assert.is(oracle.generated, model.generated, `generated at depth ${depthMax}`)
    assert.is(general.distinct, model.distinct, `general, depth ${depthMax}`)
    assert.is(general.generated, model.generated, `general, generated at depth ${depthMax}`)
  }
  assert.is(exploreCapCore({ preset: CAP_CORE, depthMax: 2 }).distinct, 126)
  // Deeper, where the model engine is too slow for a test: the general engine against the oracle.
  for (const depthMax of [7]) {
    const oracle = exploreCapCore({ preset: CAP_CORE, depthMax })
    const general = exploreGeneral({ preset: CAP_CORE, depthMax })
    assert.is(general.distinct, oracle.distinct, `oracle, depth ${depthMax}`)
    assert.is(general.generated, oracle.generated, `oracle, generated at depth ${depthMax}`)
    console.log(`  cap-core to depth ${depthMax}: general engine = hand-written oracle, ${general.distinct.toLocaleString('en')} states, ${general.generated.toLocaleString('en')} transitions`)
  }
})

test('--workers: the parallel general search finds exactly what the sequential one finds', async () => {
  for (const [preset, depthMax] of [[CAP_CORE, 6], [CAP_CORE_3, 4], [NESTED, 3]] as const) {
    const sequential = exploreGeneral({ preset, depthMax })
    for (const workers of [2, 3]) {
      const parallel = await exploreGeneralParallel({ preset, depthMax, workers })
      assert.is(parallel.distinct, sequential.distinct, `${preset.name}, depth ${depthMax}, ${workers} workers`)
      assert.is(parallel.generated, sequential.generated)
      assert.is(parallel.depth, sequential.depth)
      assert.equal(parallel.coverage, sequential.coverage)
      assert.is(parallel.violation, null)
    }
  }
  // Stopped by its depth bound with states left: not complete, as the sequential search says.
  const bounded = await exploreGeneralParallel({ preset: CAP_CORE, depthMax: 3, workers: 2 })
  assert.is(bounded.complete, false)
  assert.ok(bounded.queue > 0)
  let refused = ''
  try { await exploreGeneralParallel({ preset: CAP_CORE, workers: 2, swarm: { index: 1, count: 2, seed: 1 } }) } catch (error) { refused = (error as Error).message }
  assert.match(refused, /a swarm job runs on one core/)
})

test('cap-core-3 runs bounded and reports what it covered', () => {
  const result = exploreGeneral({ preset: CAP_CORE_3, statesMax: 5_000 })
  assert.is(result.complete, false)
  assert.ok(result.distinct >= 5_000)
  assert.ok(result.collisionProbability < 1e-9)
})

test('a seeded bug in a copy of the model is found with a shortest path', () => {
  const revoke = explore({ preset: CAP_CORE, step: findModelMutant('revoke-misses-messages')!.step })
  assert.is(revoke.violation?.invariant, 'CAP-3')
  assert.equal(revoke.violation?.path.map((s) => s.kind), ['ep_send', 'cap_revoke'])
  const copy = explore({ preset: CAP_CORE, step: findModelMutant('copy-grants-requested-rights')!.step })
  assert.ok(copy.violation !== null)
  assert.is(copy.violation!.path.length, 1, 'one amplifying copy is enough')
})

test('swarm runs are deterministic by seed and differ across indices', () => {
  const a = exploreGeneral({ preset: CAP_CORE_3, statesMax: 2000, swarm: { index: 0, count: 4, seed: 9 } })
  const again = exploreGeneral({ preset: CAP_CORE_3, statesMax: 2000, swarm: { index: 0, count: 4, seed: 9 } })
  const b = exploreGeneral({ preset: CAP_CORE_3, statesMax: 2000, swarm: { index: 1, count: 4, seed: 9 } })
  assert.equal({ ...again, durationMs: 0, statesPerSecond: 0 }, { ...a, durationMs: 0, statesPerSecond: 0 })
  assert.not.equal(a.coverage, b.coverage)
  const modelSwarm = explore({ preset: CAP_CORE, depthMax: 3, swarm: { index: 2, count: 4, seed: 9 } })
  assert.is(modelSwarm.violation, null)
})

test('--refine steps a kernel along every transition (here the model wrapped as one)', () => {
  const result = explore({ preset: CAP_CORE, depthMax: 2, refine: modelTarget as never })
  assert.is(result.violation, null)
  assert.is(result.distinct, 126)
})

test('the nested preset (namespaces, nesting, quotas, spawns) explores within a depth bound', () => {
  const result = explore({ preset: NESTED, depthMax: 2 })
  assert.is(result.violation, null)
  assert.ok(result.distinct > 100)
  assert.ok((result.coverage['process_spawn'] ?? 0) > 0 && (result.coverage['container_create'] ?? 0) > 0 && (result.coverage['mount'] ?? 0) > 0)
  assert.is(result.coverage['svc_register'], undefined, 'uid 0 of A is uid 1000 in the shared service directory: never allowed')
})

/** The same state with every object and cap identity renamed by an offset. */
function renamed(state: KernelState, shift: number): KernelState {
  const o = (id: number) => id + shift
  const c = (id: number) => id + 2 * shift
  const at = (where: CapLocation): CapLocation => where.place === 'slot' ? { ...where, process: o(where.process) } : where.place === 'message' ? { ...where, endpoint: o(where.endpoint) } : where
  const object = (x: KernelObject): KernelObject => {
    const base = { ...x, id: o(x.id), owner: x.owner === null ? null : o(x.owner) } as KernelObject
    if (base.kind === 'container') return { ...base, parent: base.parent === null ? null : o(base.parent) }
    if (base.kind === 'process') return { ...base, slots: base.slots.map((s) => (s === null ? null : c(s))), mappings: base.mappings.map((m) => ({ ...m, cap: c(m.cap), region: o(m.region) })) }
    if (base.kind === 'endpoint') return { ...base, queue: base.queue.map((m) => ({ ...m, cap: m.cap === null ? null : c(m.cap) })) }
    return base
  }
  const cap = (x: Cap): Cap => ({ ...x, id: c(x.id), object: o(x.object), parent: x.parent === null ? null : c(x.parent), at: at(x.at) })
  return {
    ...state,
    ksObjects: new Map([...state.ksObjects.values()].reverse().map((x) => [o(x.id), object(x)])),
    ksCaps: new Map([...state.ksCaps.values()].reverse().map((x) => [c(x.id), cap(x)])),
    ksNamespaces: new Map([...state.ksNamespaces.values()].map((n) => [n.id, { ...n, creator: o(n.creator), entries: new Map([...n.entries].map(([k, v]) => [k, c(v)])) }])),
    ksProcessRefs: state.ksProcessRefs.map(o), ksRoot: o(state.ksRoot), ksInit: o(state.ksInit),
  }
}

test('canonical keys ignore identities but not structure', () => {
  let state = boot(CAP_CORE.boot, CAP_CORE.images)
  for (const syscall of [{ kind: 'mem_alloc', caller: 1, sizeBytes: 1, executable: false, dst: 1 }, { kind: 'ep_send', caller: 1, slot: 0, payload: 0, xfer: 1 }]) state = step(state, syscall).state
  assert.is(canonicalKey(renamed(state, 1000)), canonicalKey(state))
  const other = step(state, { kind: 'cap_revoke', caller: 1, slot: 1 }).state
  assert.is.not(canonicalKey(other), canonicalKey(state))
})

test('fingerprint set: adds once, grows, and reports the birthday bound', () => {
  const set = new FingerprintSet(16)
  for (let i = 0; i < 1000; i++) assert.ok(set.add(i, i * 7))
  for (let i = 0; i < 1000; i++) assert.not.ok(set.add(i, i * 7))
  assert.is(set.size, 1000)
  assert.ok(set.has(5, 35) && !set.has(5, 36))
  assert.ok(Math.abs(collisionProbability(2 ** 20) - 2 ** 40 / 2 ** 65) < 1e-20)
})

test.run()
