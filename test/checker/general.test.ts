/**
 * The general engine (checker/explore/general.ts) against the model engine
 * (search.ts), level by level: the same distinct states and the same transitions
 * at every depth bound, on the presets and on declared systems fast-check
 * generates (containers, namespaces, quotas, devices, endpoints, regions,
 * images, caps, CPU accounting on and off), both with the nested preset's
 * alphabet and with the one `explore --boot` gives a declared system (services,
 * spawns of the pool, kills, the clock); its canonical encoding against the
 * model's on every state it meets; and on impl mutants, whose violations it must
 * find where the model engine stepping the same mutant with --refine finds the
 * divergence. Each test prints what it covered.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { type ExploreOptions, type ExploreProgress, type ExploreResult, explore } from '../../checker/explore/search.js'
import { exploreCapCore } from '../../checker/explore/capcore.js'
import { exploreCapCoreParallel } from '../../checker/explore/capcore-parallel.js'
import { exploreGeneral, ImplExpander, type SearchTarget } from '../../checker/explore/general.js'
import { canonicalKey } from '../../checker/explore/canonical.js'
import { CanonicalEncoder } from '../../checker/explore/impl-canonical.js'
import { implTarget } from '../../refinement/abstraction.js'
import { ALL_SYSCALLS, CAP_CORE, CAP_CORE_3, NESTED, PRESETS, type Preset } from '../../spec/presets.js'
import { abstractState } from '../../refinement/abstraction.js'

/** A fresh impl kernel booted as `preset` says. */
function implSearchKernel(preset: Preset): Kernel {
  return implTarget.create(preset.boot, preset.images)
}
import { bootConfigOf, eachDeclaredSystem, generatedDeclaredPreset, generatedPreset, richSystemArb, systemArb } from './systems.js'
import { MUTANTS, type Mutant } from '../../mutants/catalogue.js'
import { MODEL_MUTANTS } from '../../mutants/model-mutants.js'
import { cleanMutants, loadMutant, materialize } from '../../mutants/materialize.js'
import { exploreGeneralParallel } from '../../checker/explore/general-parallel.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Kernel } from '../../impl/kernel.js'
import { type Action, actionVariant, presetActions } from '../../checker/explore/actions.js'
import { bootFilePreset } from '../../cli/boot-file.js'

/** The levels a breadth-first search reports (onLevel) and its result. */
function levelsOf(run: (onLevel: (level: ExploreProgress) => void) => ExploreResult): { levels: ExploreProgress[]; result: ExploreResult } {
  const levels: ExploreProgress[] = []
  const result = run((level) => levels.push(level))
  return { levels, result }
}

/**
 * Runs both engines to `depthMax` and compares what they found level by level
 * (distinct states, transitions and the frontier after each level: what a search
 * bounded there reports), then the coverage (by syscall kind, or by
 * `coverageBy`) and the first violation with its shortest path's length.
 */
function compareLevels(preset: Preset, depthMax: number, coverageBy?: (action: Action) => string): ExploreResult {
  const by = coverageBy === undefined ? {} : { coverageBy }
  const model = levelsOf((onLevel) => explore({ preset, depthMax, onLevel, ...by }))
  const general = levelsOf((onLevel) => exploreGeneral({ preset, depthMax, onLevel, ...by }))
  const where = `${preset.description}, depth ${depthMax}`
  assert.is(general.levels.length, model.levels.length, `levels expanded, ${where}`)
  model.levels.forEach((level, index) => {
    const other = general.levels[index]!
    const at = `${preset.description}, level ${index + 1}`
    assert.is(other.distinct, level.distinct, `distinct states, ${at}`)
    assert.is(other.generated, level.generated, `transitions, ${at}`)
    assert.is(other.depth, level.depth, `depth, ${at}`)
    assert.is(other.queue, level.queue, `states of the level, ${at}`)
  })
  assert.is(general.result.distinct, model.result.distinct, `distinct states, ${where}`)
  assert.is(general.result.generated, model.result.generated, `transitions, ${where}`)
  assert.is(general.result.depth, model.result.depth, `depth, ${where}`)
  assert.is(general.result.complete, model.result.complete, `complete, ${where}`)
  assert.equal(general.result.coverage, model.result.coverage, `coverage, ${where}`)
  assert.is(general.result.violation?.invariant, model.result.violation?.invariant, `violation, ${where}`)
  assert.is(general.result.violation?.path.length, model.result.violation?.path.length, `violation path, ${where}`)
  return general.result
}

test('onLevel: each engine reports after each level what a search bounded there reports', async () => {
  const engines: ReadonlyArray<readonly [string, (options: ExploreOptions) => ExploreResult | Promise<ExploreResult>]> = [
    ['model', explore], ['general', exploreGeneral], ['specialised', exploreCapCore],
    ['general, 2 workers', (options) => exploreGeneralParallel({ ...options, workers: 2 })],
    ['specialised, 2 workers', (options) => exploreCapCoreParallel({ ...options, workers: 2 })],
  ]
  const DEPTH = 4
  const bounded: ExploreResult[] = []
  for (let depth = 1; depth <= DEPTH; depth++) bounded.push(explore({ preset: CAP_CORE, depthMax: depth }))
  for (const [name, run] of engines) {
    const levels: ExploreProgress[] = []
    await run({ preset: CAP_CORE, depthMax: DEPTH, onLevel: (level) => levels.push(level) })
    assert.is(levels.length, DEPTH, `${name}: one call per level`)
    levels.forEach((level, index) => {
      const expected = bounded[index]!
      assert.equal([level.distinct, level.generated, level.depth, level.queue], [expected.distinct, expected.generated, expected.depth, expected.queue], `${name}, level ${index + 1}`)
    })
  }
  // A swarm job is no breadth-first search: no levels.
  let swarmLevels = 0
  exploreGeneral({ preset: CAP_CORE, depthMax: 3, swarm: { index: 0, count: 2, seed: 1 }, onLevel: () => swarmLevels++ })
  explore({ preset: CAP_CORE, depthMax: 3, swarm: { index: 0, count: 2, seed: 1 }, onLevel: () => swarmLevels++ })
  assert.is(swarmLevels, 0)
  console.log(`  cap-core to depth ${DEPTH}: ${engines.length} engines, levels ${bounded.map((result) => result.distinct.toLocaleString('en')).join(', ')} states`)
})

test('presets: the general engine finds what the model engine finds, level by level, every preset to depth 5', () => {
  // The model engine's share of this (one run each, on a quiet machine): cap-core-3 about 7 min, nested 1.5 min, all-syscalls 1 min.
  for (const preset of PRESETS) assert.ok([CAP_CORE, CAP_CORE_3, NESTED, ALL_SYSCALLS].includes(preset), `${preset.name}: a preset this test does not compare`)
  for (const [preset, depthMax] of [[CAP_CORE, 5], [CAP_CORE_3, 5], [NESTED, 5], [ALL_SYSCALLS, 5]] as const) {
    const { distinct: states, generated: transitions } = compareLevels(preset, depthMax)
    console.log(`  ${preset.name}: depths 1..${depthMax} equal, ${states.toLocaleString('en')} states and ${transitions.toLocaleString('en')} transitions at depth ${depthMax}`)
  }
})

/**
 * Canonical encodings: along every path the general engine explores, two states
 * have the same impl encoding exactly when their abstractions have the same
 * model canonical key (checked on every state of a bounded search).
 */
function compareEncodings(preset: Preset, depthMax: number): number {
  const expander = new ImplExpander(preset)
  const byFingerprint = new Map<string, string>()
  const byKey = new Map<string, string>()
  const record = () => {
    const fingerprint = `${expander.encoder.pair[0]}:${expander.encoder.pair[1]}`
    const key = canonicalKey(abstractState(expander.kernel as Kernel))
    const known = byFingerprint.get(fingerprint)
    if (known !== undefined) assert.is(known, key, `${preset.name}: one impl encoding, two model keys`)
    const knownFingerprint = byKey.get(key)
    if (knownFingerprint !== undefined) assert.is(knownFingerprint, fingerprint, `${preset.name}: one model key, two impl encodings`)
    byFingerprint.set(fingerprint, key)
    byKey.set(key, fingerprint)
    return knownFingerprint === undefined
  }
  expander.boot()
  record()
  let frontier: number[][] = [[]]
  for (let depth = 0; depth < depthMax; depth++) {
    const next: number[][] = []
    for (const path of frontier) {
      expander.goTo(path, path.length)
      expander.expand(null, (action) => { if (record()) next.push([...path, action]); return false })
    }
    frontier = next
  }
  return byKey.size
}

test('canonical encodings: the impl encoding and the model key identify the same states', () => {
  // Every object kind, namespace tables (services under names), queues and custom uid maps: the presets, both example systems.
  const examples = ['web-app', 'plugin-host'].map((name) => bootFilePreset(`examples/systems/${name}/boot.json`, 'explore'))
  for (const [preset, depthMax] of [[CAP_CORE, 4], [NESTED, 3], [ALL_SYSCALLS, 4], [examples[0]!, 5], [examples[1]!, 4]] as const) {
    const states = compareEncodings(preset, depthMax)
    console.log(`  ${preset.name}: ${states.toLocaleString('en')} states to depth ${depthMax}, encodings agree`)
  }
})

test('canonical encodings: the same on generated declared systems, as --boot explores them', () => {
  let states = 0
  const systems = eachDeclaredSystem(20, 20_261_206, (preset) => { states += compareEncodings(preset, 4) })
  console.log(`  ${systems} generated declared systems, ${states.toLocaleString('en')} states to depth 4, encodings agree`)
  assert.ok(systems >= 15)
})

/**
 * Two cap-core states alike but for which endpoint is older: A's and B's each
 * kept alive only by a cap queued on itself (so nothing labelled reaches them,
 * and they tie). Labels used to follow identities there; both encodings must
 * now give the two states one key.
 */
test('canonical encodings: endpoints nothing reaches are ordered by structure, not by identity', () => {
  const A = 1
  const B = 2
  const selfQueued = (caller: number, slot: number) => [{ kind: 'ep_send', caller, slot, payload: 0, xfer: slot }, { kind: 'cap_delete', caller, slot }]
  // A's boot endpoint E first, then B's endpoint X (E older).
  const olderA = [{ kind: 'cap_delete', caller: B, slot: 0 }, ...selfQueued(A, 0), { kind: 'ep_create', caller: B, depth: 1, dst: 1 }, ...selfQueued(B, 1)]
  // B's endpoint X first; E destroyed and A's endpoint made again after it.
  const olderB = [{ kind: 'ep_create', caller: B, depth: 1, dst: 1 }, ...selfQueued(B, 1), { kind: 'cap_delete', caller: B, slot: 0 }, { kind: 'cap_delete', caller: A, slot: 0 }, { kind: 'ep_create', caller: A, depth: 1, dst: 0 }, ...selfQueued(A, 0)]
  const encodings = [olderA, olderB].map((syscalls) => {
    const kernel = implSearchKernel(CAP_CORE)
    for (const syscall of syscalls) assert.ok(kernel.step(syscall)._tag === 'Right', `${JSON.stringify(syscall)} succeeds`)
    const state = abstractState(kernel as Kernel)
    const endpoints = [...state.ksObjects.values()].filter((object) => object.kind === 'endpoint').sort((a, b) => a.id - b.id)
    const encoder = new CanonicalEncoder()
    encoder.encode(kernel)
    return { key: canonicalKey(state), fingerprint: `${encoder.pair[0]}:${encoder.pair[1]}`, owners: endpoints.map((endpoint) => endpoint.owner) }
  })
  // The same shape, the identities in the other order.
  assert.is(encodings[0]!.owners.length, 2)
  assert.equal(encodings[0]!.owners, [...encodings[1]!.owners].reverse())
  assert.is(encodings[0]!.key, encodings[1]!.key, 'one model key')
  assert.is(encodings[0]!.fingerprint, encodings[1]!.fingerprint, 'one impl encoding')
})

// ---- generated declared systems ----------------------------------------------------

test('generated declared systems: the general engine finds what the model engine finds, level by level', () => {
  const RUNS = 25
  let systems = 0
  let states = 0
  let transitions = 0
  let refused = 0
  const reasons = new Map<string, number>()
  fc.assert(fc.property(systemArb, (shape) => {
    const config = bootConfigOf(shape)
    if (typeof config === 'string') { refused++; reasons.set(config, (reasons.get(config) ?? 0) + 1); return }
    const preset = generatedPreset(config, `generated system ${systems}`)
    const found = compareLevels(preset, 4)
    systems++
    states += found.distinct
    transitions += found.generated
  }), { numRuns: RUNS, seed: 20_260_201 })
  console.log(`  ${systems} of ${RUNS} generated systems booted (${refused} refused at boot${refused === 0 ? '' : `: ${[...reasons.keys()].join('; ')}`}), depths 1..4 equal: ${states.toLocaleString('en')} states, ${transitions.toLocaleString('en')} transitions`)
  assert.ok(systems >= 0.8 * RUNS, `only ${systems} of ${RUNS} generated systems booted`)
})

test('generated declared systems, as --boot explores them: the general engine finds what the model engine finds, level by level', () => {
  // The alphabet a user's --boot system gets (declaredActions), not the nested preset's: services, ports and mounts, spawns of the pool, kills, moves, creations, unmaps, I/O, limits and destroys, the clock.
  // Coverage is counted by variant (actionVariant: a badged copy, a code region, a uid spawn, a depth-2 queue ...) and must be equal between the engines variant by variant.
  const RUNS = 20
  const DEPTH = 4
  let brokenAtBoot = 0
  let states = 0
  let transitions = 0
  let withServices = 0
  let withSpawner = 0
  const variants = new Map<string, number>()
  const offered = new Set<string>()
  const systems = eachDeclaredSystem(RUNS, 20_261_204, (preset, config) => {
    const actions = presetActions(preset)
    for (const action of actions) offered.add(actionVariant(action))
    if (actions.some((action) => action.kind === 'svc_register')) withServices++
    if (preset.actors.length > (config.system?.processes?.length ?? 0)) withSpawner++
    // The general engine's search, the model engine's equal to it.
    const general = compareLevels(preset, DEPTH, actionVariant)
    if (general.violation !== null && general.violation.path.length === 0) brokenAtBoot++
    for (const [variant, count] of Object.entries(general.coverage)) variants.set(variant, (variants.get(variant) ?? 0) + count)
    states += general.distinct
    transitions += general.generated
  })
  const kinds = new Map<string, number>()
  for (const [variant, count] of variants) { const kind = variant.replace(/ \[.*$/, ''); kinds.set(kind, (kinds.get(kind) ?? 0) + count) }
  const covered = [...variants].sort((a, b) => b[1] - a[1]).map(([variant, count]) => `${variant} ${count.toLocaleString('en')}`).join(', ')
  const never = [...offered].filter((variant) => !variants.has(variant)).sort()
  console.log(`  ${systems} of ${RUNS} generated systems booted (${withServices} with a service directory, ${withSpawner} with a spawned actor, ${brokenAtBoot} breaking an invariant at boot), depths 1..${DEPTH} equal: ${states.toLocaleString('en')} states, ${transitions.toLocaleString('en')} transitions; successful transitions by variant (${variants.size} of the ${offered.size} offered): ${covered}; never taken: ${never.join(', ') || 'none'}`)
  assert.ok(systems >= 0.8 * RUNS, `only ${systems} of ${RUNS} generated systems booted`)
  assert.ok(withServices > 0 && withSpawner > 0, 'the generator reaches service directories and spawning actors')
  assert.ok(brokenAtBoot < systems / 2, `${brokenAtBoot} of ${systems} systems break an invariant at boot: the levels compared are mostly empty`)
  // Every kind of the declared alphabet succeeds somewhere: the comparison saw each kind's successors, not only refusals.
  for (const kind of ['cap_copy', 'cap_delete', 'cap_revoke', 'ep_send', 'ep_recv', 'mem_map', 'process_kill', 'process_spawn', 'svc_register', 'svc_lookup', 'svc_unregister', 'net_bind', 'net_connect', 'net_unbind', 'mount', 'resolve', 'unmount', 'tick', 'cap_move', 'mem_unmap', 'io_submit', 'container_set_limits', 'container_destroy', 'ep_create', 'mem_alloc', 'container_create', 'sched_run', 'process_list']) {
    assert.ok((kinds.get(kind) ?? 0) > 0, `no generated system took a successful ${kind} within depth ${DEPTH}`)
  }
  // And every variant but one: write-execute mappings are refused by W^X in every state of every system (both engines).
  assert.equal(never, ['mem_map [write execute]'], 'the variants of the declared alphabet no generated system took')
})

test('generated declared systems: --workers 2 and 3 find what one core finds (the discoverer expands; chunks of frontiers taken by the idle)', async () => {
  let systems = 0
  let states = 0
  let searched = 0
  let atBoot = 0
  let declared = 0
  // The nested preset's alphabet, then the one --boot gives a declared system (services, spawns, kills).
  const shapes = [...fc.sample(systemArb, { numRuns: 12, seed: 20_261_204 }).map((shape) => [shape, false] as const), ...fc.sample(richSystemArb, { numRuns: 6, seed: 20_261_205 }).map((shape) => [shape, true] as const)]
  // Boot refuses a declared system that would break an invariant from its first state, all but a root whose
  // processes limit leaves out init (QUO-1 at boot): one such, from the first shape, for the violation at depth 0.
  const first = bootConfigOf(shapes[0]![0])
  assert.ok(typeof first !== 'string', 'the first shape boots')
  const brokenAtBoot = generatedPreset({ ...first, root: { limits: { ...first.root.limits, processes: 0 } }, system: {} }, 'a root with no room for init')
  for (const [shape, asBoot] of [...shapes, [null, false] as const]) {
    const config = shape === null ? brokenAtBoot.boot : bootConfigOf(shape)
    if (typeof config === 'string') continue
    const preset = shape === null ? brokenAtBoot : asBoot ? generatedDeclaredPreset(config, shape, `generated declared system ${systems}`) : generatedPreset(config, `generated system ${systems}`)
    if (asBoot) declared++
    const sequential = exploreGeneral({ preset, depthMax: 4 })
    for (const workers of [2, 3]) {
      const parallel = await exploreGeneralParallel({ preset, depthMax: 4, workers })
      const where = `${preset.description}, ${workers} workers`
      assert.is(parallel.distinct, sequential.distinct, `distinct states, ${where}`)
      assert.is(parallel.generated, sequential.generated, `transitions, ${where}`)
      assert.is(parallel.depth, sequential.depth, `depth, ${where}`)
      assert.is(parallel.queue, sequential.queue, `frontier left, ${where}`)
      assert.equal(parallel.coverage, sequential.coverage, `coverage, ${where}`)
      assert.is(parallel.violation?.invariant, sequential.violation?.invariant, `violation, ${where}`)
      assert.is(parallel.violation?.path.length, sequential.violation?.path.length, `violation path, ${where}`)
    }
    if (sequential.violation?.path.length === 0) atBoot++
    else if (sequential.depth === 4) searched++
    systems++
    states += sequential.distinct
  }
  console.log(`  ${systems} generated systems (${declared} with the --boot alphabet) on 1, 2 and 3 workers alike: ${searched} searched to depth 4 (${states.toLocaleString('en')} states), ${atBoot} broken at boot`)
  assert.ok(searched >= 8 && atBoot >= 1 && declared >= 5, `${searched} searched, ${atBoot} broken at boot, ${declared} with the --boot alphabet`)
})

// ---- impl mutants -------------------------------------------------------------------

test('impl mutants: the general engine finds each seeded bug; the model engine with --refine diverges no later', async () => {
  // (copy-amplifies-rights breaks no invariant here — the copy gets no rights — only REF-1 sees it.)
  const chosen = ['endpoint-quota-off-by-one', 'revoke-deletes-self', 'region-destroy-no-uncharge', 'revoke-misses-messages']
  const lines: string[] = []
  try {
    for (const name of chosen) {
      const mutant = MUTANTS.find((candidate) => candidate.name === name)!
      const target = await loadMutant(mutant)
      const general = exploreGeneral({ preset: CAP_CORE, depthMax: 4, kernel: target as unknown as SearchTarget })
      assert.ok(general.violation !== null, `${name}: the general engine finds no violation to depth 4`)
      const refined = explore({ preset: CAP_CORE, depthMax: general.violation!.path.length, refine: target })
      assert.is(refined.violation?.invariant, 'REF-1', `${name}: the model engine with --refine finds the divergence`)
      assert.ok(refined.violation!.path.length <= general.violation!.path.length, `${name}: REF-1 after ${refined.violation!.path.length} steps, the invariant after ${general.violation!.path.length}`)
      // The violation is the mutant's doing: the impl itself breaks nothing to that depth.
      const again = exploreGeneral({ preset: CAP_CORE, depthMax: general.violation!.path.length })
      assert.is(again.violation, null, `${name}: the impl itself breaks nothing there`)
      lines.push(`${name}: ${general.violation!.invariant} after ${general.violation!.path.length} steps (REF-1 after ${refined.violation!.path.length})`)
    }
  } finally {
    cleanMutants()
  }
  console.log(`  ${lines.join('\n  ')}`)
})

test('model mutants and their impl twins: the model engine and the general engine find the same violation at the same shortest length', async () => {
  // A model mutant whose impl mutant of the same name makes the same mistake: the model engine steps the first, the general engine the second.
  const twins = MODEL_MUTANTS.filter((mutant) => MUTANTS.some((candidate) => candidate.name === mutant.name))
  assert.ok(twins.length >= 3, `only ${twins.length} model mutants have an impl twin`)
  // all-syscalls: CPU accounting on (a mutant is charged as the model charges).
  const systems: ReadonlyArray<readonly [Preset, number]> = [[CAP_CORE, 6], [NESTED, 4], [ALL_SYSCALLS, 3], [bootFilePreset('examples/systems/web-app/boot.json', 'explore'), 4]]
  const lines: string[] = []
  let found = 0
  try {
    for (const twin of twins) {
      const target = await loadMutant(MUTANTS.find((candidate) => candidate.name === twin.name)!)
      for (const [preset, depthMax] of systems) {
        const model = explore({ preset, depthMax, step: twin.step })
        const general = exploreGeneral({ preset, depthMax, kernel: target as unknown as SearchTarget })
        const where = `${twin.name} on ${preset.name}, depth ${depthMax}`
        assert.is(general.violation?.invariant, model.violation?.invariant, `the violation, ${where}`)
        assert.is(general.violation?.path.length, model.violation?.path.length, `its shortest length, ${where}`)
        if (model.violation === null) { assert.is(general.distinct, model.distinct, `distinct states, ${where}`); assert.is(general.generated, model.generated, `transitions, ${where}`) }
        else found++
        lines.push(`${twin.name} on ${preset.name}: ${model.violation === null ? `none to depth ${depthMax} (${model.distinct.toLocaleString('en')} states alike)` : `${model.violation.invariant} after ${model.violation.path.length}`}`)
      }
    }
  } finally {
    cleanMutants()
  }
  console.log(`  ${lines.join('\n  ')}`)
  assert.ok(found >= twins.length, `${found} violations found by both`)
})

/**
 * A kernel whose cap_revoke succeeds and removes nothing: every revoke is a
 * transition from a state back to itself — a state already seen — and breaks
 * CAP-3 wherever the cap has descendants (cap-core boots with one). Only a
 * check of the step invariants on every transition finds it.
 */
const REVOKE_DOES_NOTHING: Mutant = {
  name: 'test-revoke-does-nothing', family: 'revoke-and-destroy', description: 'cap_revoke succeeds and removes nothing',
  file: 'impl/objects/caps.js', find: 'revokeCap(k, cap);', replace: 'void cap;',
}

test('step invariants are checked on every transition, into states already seen too (sequential and --workers)', async () => {
  const target = await loadMutant(REVOKE_DOES_NOTHING)
  try {
    const sequential = exploreGeneral({ preset: CAP_CORE, depthMax: 3, kernel: target as unknown as SearchTarget })
    assert.is(sequential.violation?.invariant, 'CAP-3')
    assert.equal(sequential.violation?.path.map((step) => step.kind), ['cap_revoke'])
    // The same kernel on worker threads (loaded there as a user's kernel module).
    const module = join(materialize(REVOKE_DOES_NOTHING), 'target.js')
    writeFileSync(module, "export { implTarget as target } from './refinement/abstraction.js'\n")
    const parallel = await exploreGeneralParallel({ preset: CAP_CORE, depthMax: 3, workers: 2, kernelName: `file:${module}` })
    assert.is(parallel.violation?.invariant, 'CAP-3')
    assert.is(parallel.violation?.path.length, 1)
    // revoke-misses-messages (the catalogue's) leaves the queued copy behind as a root: CAP-3 sees it survive.
    const misses = await loadMutant(MUTANTS.find((candidate) => candidate.name === 'revoke-misses-messages')!)
    const found = exploreGeneral({ preset: CAP_CORE, depthMax: 3, kernel: misses as unknown as SearchTarget })
    assert.is(found.violation?.invariant, 'CAP-3')
    assert.equal(found.violation?.path.map((step) => step.kind), ['ep_send', 'cap_revoke'])
    console.log(`  a revoke that removes nothing: CAP-3 after ${sequential.violation!.path.length} step (sequential and 2 workers); revoke-misses-messages: CAP-3 after ${found.violation!.path.length}`)
  } finally {
    cleanMutants()
  }
})

/** The counts two searches must share. */
const countsOf = (result: ExploreResult) => ({ distinct: result.distinct, generated: result.generated, depth: result.depth, queue: result.queue, coverage: result.coverage, violation: result.violation?.invariant ?? null })

test('32-bit paths (alphabets past 65,535 actions) search as 16-bit ones do: one core, --workers 2, swarm', async () => {
  for (const [preset, depthMax] of [[CAP_CORE, 6], [NESTED, 3]] as const) {
    const narrow = exploreGeneral({ preset, depthMax })
    assert.equal(countsOf(exploreGeneral({ preset, depthMax, widePaths: true })), countsOf(narrow), `${preset.name}, one core`)
    assert.equal(countsOf(await exploreGeneralParallel({ preset, depthMax, workers: 2, widePaths: true })), countsOf(narrow), `${preset.name}, two workers`)
    const swarm = { seed: 7, index: 1, count: 4 }
    assert.equal(countsOf(exploreGeneral({ preset, statesMax: 3_000, swarm, widePaths: true })), countsOf(exploreGeneral({ preset, statesMax: 3_000, swarm })), `${preset.name}, swarm`)
  }
})

test('a declared system of more than 65,535 actions: the general engine counts what the model engine counts', async () => {
  // web-app with 17 slots per process: its spawns alone (container × dst × grant × rights × image) pass 65,535.
  const webApp = bootFilePreset('examples/systems/web-app/boot.json', 'test')
  const system = webApp.boot.system!
  const preset: Preset = { ...webApp, name: 'web-app, 17 slots', boot: { ...webApp.boot, system: { ...system, processes: system.processes!.map((process) => ({ ...process, slots: 17 })) } } }
  const actions = presetActions(preset).length
  assert.ok(actions > 0xffff, `${actions} actions`)
  const model = explore({ preset, depthMax: 1 })
  const general = exploreGeneral({ preset, depthMax: 1 })
  assert.equal(countsOf(general), countsOf(model), 'depth 1, against the model engine')
  const deeper = exploreGeneral({ preset, depthMax: 2 })
  assert.equal(countsOf(await exploreGeneralParallel({ preset, depthMax: 2, workers: 2 })), countsOf(deeper), 'depth 2, two workers against one core')
  assert.ok(deeper.distinct > general.distinct)
  console.log(`  ${actions.toLocaleString('en')} actions: depth 1 ${general.distinct} states, ${general.generated} transitions (the model engine's); depth 2 ${deeper.distinct.toLocaleString('en')} states on one core and two workers`)
})

test('bounds are looked at after every state expanded, breadth-first and swarm (one state of a large alphabet can take a second)', () => {
  const actions = presetActions(CAP_CORE).length
  for (const swarm of [undefined, { seed: 3, index: 0, count: 2 }]) {
    let asked = 0
    const result = exploreGeneral({ preset: CAP_CORE, shouldStop: () => ++asked === 3, ...(swarm === undefined ? {} : { swarm }) })
    assert.ok(result.interrupted === true, 'stopped by shouldStop')
    assert.is(asked, 3)
    // Three states expanded at most (the boot state's transition counts as one generated).
    assert.ok(result.generated <= 3 * actions + 1, `${result.generated} transitions`)
  }
})

test.run()
