/**
 * User properties in `sila explore` (checker/explore/props.ts): the general
 * engine's evaluators on the impl's tables (impl-props.ts) answer as each
 * property's own test on the model state, on every state reached in presets and
 * generated systems; a violated `always` property gives a counterexample whose
 * length is the least depth at which an independent breadth-first search over the
 * model finds a breaking state, on every engine (model, general, general on two
 * workers); `sometimes` properties are witnessed at their least depth, reported
 * unreachable after an exhaustive search and vacuous after a bounded one.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explore, type ExploreResult } from '../../checker/explore/search.js'
import { exploreGeneral, ImplExpander } from '../../checker/explore/general.js'
import { exploreGeneralParallel } from '../../checker/explore/general-parallel.js'
import { canonicalKey } from '../../checker/explore/canonical.js'
import { presetActions } from '../../checker/explore/actions.js'
import { compileImplTest } from '../../checker/explore/impl-props.js'
import { loadChecked, type Checked } from '../../checker/explore/props.js'
import { CAP_CORE, NESTED, type Preset } from '../../spec/presets.js'
import { INVARIANT_IDS } from '../../spec/invariants/types.js'
import { PropsFileCodec } from '../../spec/props.js'
import { decodeOrThrow } from '../../spec/decode.js'
import { bootNamed } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { abstractState } from '../../refinement/abstraction.js'
import { planOf, resolveProps } from '../../properties/user/resolve.js'
import type { UserProperty } from '../../properties/user/define.js'
import type { Kernel } from '../../impl/kernel.js'
import { bootConfigOf, generatedPreset, systemArb } from './systems.js'

const directory = mkdtempSync(join(tmpdir(), 'sila-explore-props-'))
test.after(() => rmSync(directory, { recursive: true, force: true }))

const resolve = (preset: Preset, properties: unknown[]): UserProperty[] =>
  resolveProps(decodeOrThrow(PropsFileCodec, { format: 'sila-props/1', properties }, 'p.json'), 'p.json', bootNamed(preset.boot, preset.images))

// ---- the impl evaluators against the model's tests ----------------------------------

/** Properties of every kind over every name the system declares (a deterministic spread of selectors, subjects and rights). */
function everyKind(preset: Preset): unknown[] {
  const system = bootNamed(preset.boot, preset.images)
  const kindOf = (name: string) => system.state.ksObjects.get(system.names.get(name)!)!.kind
  const names = [...system.names.keys()]
  const containers = names.filter((name) => kindOf(name) === 'container')
  const processes = names.filter((name) => kindOf(name) === 'process')
  const endpoints = names.filter((name) => kindOf(name) === 'endpoint')
  const subjects = [...processes.map((process) => ({ process })), ...containers.map((container) => ({ container }))]
  const selectors: unknown[] = [
    ...names.map((name) => ({ name })), ...[...system.devices.keys()].map((device) => ({ device })),
    ...(['container', 'process', 'endpoint', 'region', 'device'] as const).map((kind) => ({ kind })),
    ...containers.map((owner) => ({ owner })), ...containers.map((owner) => ({ owner, kind: 'region' })), ...containers.map((owner) => ({ owner, kind: 'endpoint' })),
  ]
  const rightsSets = [[], ['read'], ['write'], ['read', 'grant'], ['control'], ['execute']]
  const properties: unknown[] = []
  const add = (decl: Record<string, unknown>) => properties.push({ name: `p${properties.length}`, says: 'generated', ...decl })
  subjects.forEach((subject, s) => selectors.forEach((object, o) => add({ kind: 'never-holds', subject, object, rights: rightsSets[(s + o) % rightsSets.length] })))
  selectors.forEach((object, o) => {
    add({ kind: 'confined', object, within: [containers[o % containers.length]!] })
    add({ kind: 'confined', object, within: containers.filter((name) => name !== 'root') .concat(containers.length === 1 ? ['root'] : []) })
  })
  for (const from of containers) for (const to of containers) if (from !== to) add({ kind: 'no-flow', from, to, both: from < to })
  const measures = ['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes', 'caps', 'running'] as const
  containers.forEach((container, c) => measures.forEach((measure, m) => add({ kind: 'bound', measure, container, max: (c + m) % 3 })))
  endpoints.forEach((endpoint, e) => add({ kind: 'bound', measure: 'queued', endpoint, max: e % 2 }))
  subjects.forEach((subject, s) => add({ kind: 'sometimes', when: [{ holds: { subject, object: selectors[s % selectors.length], rights: rightsSets[s % rightsSets.length] } }] }))
  for (const from of containers) for (const to of containers) if (from !== to) add({ kind: 'sometimes', when: [{ flow: { from, to } }] })
  containers.forEach((container, c) => add({ kind: 'sometimes', when: [{ atLeast: { measure: measures[c % measures.length], container, value: 1 } }, { atLeast: { measure: 'caps', container, value: 2 } }] }))
  endpoints.forEach((endpoint) => add({ kind: 'sometimes', when: [{ atLeast: { measure: 'queued', endpoint, value: 1 } }] }))
  return properties
}

/**
 * Breadth first through the impl to `depthMax`: on every distinct state, each
 * property's impl evaluator and its test on the abstraction must agree. Answers
 * how many states and how many yes / no answers were compared.
 */
function compareEvaluators(preset: Preset, depthMax: number): { states: number; yes: number; no: number; properties: number } {
  const properties = resolve(preset, everyKind(preset))
  const compiled = properties.map((property) => {
    const plan = planOf(property)
    assert.ok(plan !== undefined, `${property.name}: a declared property has a plan`)
    return { property, impl: compileImplTest(plan!) }
  })
  const expander = new ImplExpander(preset)
  const seen = new Set<string>()
  let yes = 0
  let no = 0
  const compare = (): boolean => {
    const key = `${expander.encoder.pair[0]}:${expander.encoder.pair[1]}`
    if (seen.has(key)) return false
    seen.add(key)
    const model = abstractState(expander.kernel as Kernel)
    for (const { property, impl } of compiled) {
      const fast = impl(expander.kernel)
      const reference = property.test(model) !== null
      if (fast !== reference) assert.unreachable(`${preset.description}: ${property.name} ${JSON.stringify(everyKind(preset)[Number(property.name.slice(1))])}: impl says ${fast}, the model's test ${reference}`)
      if (fast) yes++
      else no++
    }
    return true
  }
  expander.boot()
  compare()
  let frontier: number[][] = [[]]
  for (let depth = 0; depth < depthMax; depth++) {
    const next: number[][] = []
    for (const path of frontier) {
      expander.goTo(path, path.length)
      expander.expand(null, (action) => { if (compare()) next.push([...path, action]); return false })
    }
    frontier = next
  }
  return { states: seen.size, yes, no, properties: properties.length }
}

test('impl evaluators: every kind answers as its model test on every state reached (cap-core, nested)', () => {
  for (const [preset, depth] of [[CAP_CORE, 4], [NESTED, 2]] as const) {
    const found = compareEvaluators(preset, depth)
    console.log(`  ${preset.name} to depth ${depth}: ${found.properties} properties × ${found.states} states agree (${found.yes} yes, ${found.no} no)`)
    assert.ok(found.yes > 0 && found.no > 0, 'both answers occur')
  }
})

test('impl evaluators: every kind answers as its model test on generated declared systems', () => {
  const RUNS = 12
  let systems = 0
  let compared = 0
  let yes = 0
  fc.assert(fc.property(systemArb, (shape) => {
    const config = bootConfigOf(shape)
    if (typeof config === 'string') return
    const preset = generatedPreset(config, `generated system ${systems}`)
    const found = compareEvaluators(preset, 2)
    systems++
    compared += found.states * found.properties
    yes += found.yes
  }), { numRuns: RUNS, seed: 20_261_216 })
  console.log(`  ${systems} generated systems to depth 2: ${compared.toLocaleString('en')} (state, property) pairs agree, ${yes.toLocaleString('en')} of them yes`)
  assert.ok(systems >= 0.7 * RUNS && yes > 0)
})

// ---- shortest traces, every engine -----------------------------------------------------

/** The least depth at which a state of `preset` breaks (or, for a sometimes, satisfies) `property`: an independent breadth-first search over the model. */
function leastDepth(preset: Preset, property: UserProperty, depthMax: number): number | null {
  const actions = presetActions(preset)
  let frontier: KernelState[] = [bootNamed(preset.boot, preset.images).state]
  const seen = new Set([canonicalKey(frontier[0]!)])
  for (let depth = 0; depth <= depthMax; depth++) {
    if (frontier.some((state) => property.test(state) !== null)) return depth
    const next: KernelState[] = []
    for (const state of frontier) {
      for (const action of actions) {
        const { state: after, outcome } = modelStep(state, action)
        if (outcome._tag === 'Left') continue
        const key = canonicalKey(after)
        if (!seen.has(key)) { seen.add(key); next.push(after) }
      }
    }
    frontier = next
  }
  return null
}

/** The state at the end of `path` from the boot state, on the model. */
function stateAfter(preset: Preset, path: ReadonlyArray<unknown>): KernelState {
  let state = bootNamed(preset.boot, preset.images).state
  for (const action of path) state = modelStep(state, action).state
  return state
}

async function checkedFrom(preset: Preset, properties: unknown[], invariants: string[] = []): Promise<Checked> {
  const file = join(directory, `props-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, JSON.stringify({ format: 'sila-props/1', properties }))
  return loadChecked({ props: file, invariants }, preset)
}

/** The three engines (model, general, general on two workers) on one search. */
async function everyEngine(preset: Preset, checked: Checked, depthMax?: number): Promise<Array<{ engine: string; result: ExploreResult }>> {
  const options = { preset, checked, ...(depthMax === undefined ? {} : { depthMax }) }
  return [
    { engine: 'model', result: explore(options) },
    { engine: 'general', result: exploreGeneral(options) },
    { engine: 'general ×2', result: await exploreGeneralParallel({ ...options, workers: 2 }) },
  ]
}

const CAP_CORE_VIOLATED = [
  { name: 'A-one-byte', says: 'A never uses more than one byte', kind: 'bound', measure: 'memoryBytes', container: 'A', max: 1 },
  { name: 'E-empty', says: 'E never holds a message', kind: 'bound', measure: 'queued', endpoint: 'E', max: 0 },
  { name: 'pB-no-endpoint-grant', says: 'pB never holds an endpoint with grant', kind: 'never-holds', subject: { process: 'pB' }, object: { kind: 'endpoint' }, rights: ['grant'] },
  { name: 'B-no-endpoint', says: 'B never creates an endpoint', kind: 'bound', measure: 'endpoints', container: 'B', max: 0 },
  { name: 'A-caps', says: 'the processes of A hold at most one cap', kind: 'bound', measure: 'caps', container: 'A', max: 1 },
]

test('cap-core: a violated always property gives a shortest counterexample, the same length on every engine', async () => {
  for (const decl of CAP_CORE_VIOLATED) {
    const checked = await checkedFrom(CAP_CORE, [decl])
    const property = checked.user[0]!
    const least = leastDepth(CAP_CORE, property, 5)
    assert.ok(least !== null && least >= 1, `${decl.name}: broken within depth 5 (found at ${least})`)
    for (const { engine, result } of await everyEngine(CAP_CORE, checked, 6)) {
      const violation = result.violation
      assert.ok(violation !== null, `${decl.name}, ${engine}: violated`)
      assert.is(violation!.invariant, decl.name, `${engine}: the violation names the property`)
      assert.is(violation!.says, decl.says, `${engine}: and carries its sentence`)
      assert.is(violation!.path.length, least, `${decl.name}, ${engine}: a shortest path (${least} steps)`)
      assert.ok(property.test(stateAfter(CAP_CORE, violation!.path)) !== null, `${decl.name}, ${engine}: the path's last state breaks it on the model`)
      assert.equal(result.properties?.map((v) => v.status), ['violated'])
    }
    console.log(`  ${decl.name}: ${least} steps on every engine`)
  }
})

test('cap-core: properties that hold within the bounds are held on every engine, with the same counts as without them', async () => {
  const holding = [
    { name: 'pB-no-read-E', says: 'pB never holds E with read', kind: 'never-holds', subject: { process: 'pB' }, object: { name: 'E' }, rights: ['read'] },
    { name: 'A-to-B', says: 'no flow from A to B', kind: 'no-flow', from: 'A', to: 'B' },
    { name: 'E-in-AB', says: 'caps to E stay in A and B', kind: 'confined', object: { name: 'E' }, within: ['A', 'B'] },
    // pB's write-only cap to E cannot carry caps (a transfer needs grant): B's regions stay in B.
    { name: 'A-no-B-region', says: 'no process of A ever holds a region of B', kind: 'never-holds', subject: { container: 'A' }, object: { kind: 'region', owner: 'B' } },
    { name: 'B-regions-stay', says: "caps to B's regions stay in B", kind: 'confined', object: { kind: 'region', owner: 'B' }, within: ['B'] },
  ]
  const checked = await checkedFrom(CAP_CORE, holding)
  const plain = explore({ preset: CAP_CORE, depthMax: 4 })
  for (const { engine, result } of await everyEngine(CAP_CORE, checked, 4)) {
    assert.is(result.violation, null, engine)
    assert.is(result.distinct, plain.distinct, `${engine}: the same states`)
    assert.is(result.generated, plain.generated, `${engine}: the same transitions`)
    assert.equal(result.properties?.map((v) => `${v.name} ${v.status}`), holding.map((d) => `${d.name} held`), engine)
    assert.match(result.properties![0]!.message, /held within depth 4/)
  }
})

test('--invariant: a narrowed catalogue, a selected user property; the specialised engine is not used', async () => {
  const checked = await checkedFrom(CAP_CORE, CAP_CORE_VIOLATED.slice(0, 2), ['E-empty', 'CAP-1'])
  assert.equal(checked.user.map((p) => p.name), ['E-empty'])
  assert.equal(checked.catalogue, ['CAP-1'])
  const result = exploreGeneral({ preset: CAP_CORE, checked, depthMax: 3 })
  assert.is(result.violation?.invariant, 'E-empty')
  assert.is(result.properties?.length, 1)
  const { chooseEngine } = await import('../../checker/explore/run.js')
  assert.is(chooseEngine({ preset: CAP_CORE, checked }, 'auto'), 'general')
  assert.is(chooseEngine({ preset: CAP_CORE, checked: { catalogue: [...INVARIANT_IDS], user: [], source: { invariants: [] } } }, 'auto'), 'capcore')
})

// ---- sometimes: witnessed, unreachable, vacuous ------------------------------------------

/** cap-core with one slot per process: 58 states, exhausted in a moment. */
const SMALL: Preset = {
  ...CAP_CORE, name: 'cap-core-1', description: 'cap-core with one slot per process',
  boot: { ...CAP_CORE.boot, system: { ...CAP_CORE.boot.system!, processes: CAP_CORE.boot.system!.processes!.map((process) => ({ ...process, slots: 1 })) } },
}

const SMALL_PROPS = [
  { name: 'pB-region', says: 'pB can come to hold a region', kind: 'sometimes', when: [{ holds: { subject: { process: 'pB' }, object: { kind: 'region' } } }] },
  { name: 'B-two-bytes', says: 'B can come to use two bytes', kind: 'sometimes', when: [{ atLeast: { measure: 'memoryBytes', container: 'B', value: 2 } }] },
  { name: 'E-full-and-pA-alone', says: 'E holds a message while pA holds nothing else', kind: 'sometimes', when: [{ atLeast: { measure: 'queued', endpoint: 'E', value: 1 } }, { atLeast: { measure: 'caps', container: 'A', value: 1 } }] },
  { name: 'A-one-cap', says: 'A holds at most one cap', kind: 'bound', measure: 'caps', container: 'A', max: 1 },
]

test('sometimes: witnessed at the least depth, unreachable after an exhaustive search, on every engine', async () => {
  const checked = await checkedFrom(SMALL, SMALL_PROPS)
  const least = checked.user.map((property) => (property.kind === 'sometimes' ? leastDepth(SMALL, property, 20) : null))
  assert.ok(least[0] !== null && least[2] !== null, 'two are reachable')
  assert.is(least[1], null, 'B-two-bytes is not')
  for (const { engine, result } of await everyEngine(SMALL, checked)) {
    assert.ok(result.complete, `${engine}: exhaustive`)
    assert.is(result.violation, null, engine)
    const verdicts = result.properties!
    assert.equal(verdicts.map((v) => v.status), ['witnessed', 'unreachable', 'witnessed', 'held'], engine)
    for (const index of [0, 2]) {
      const verdict = verdicts[index]!
      assert.is(verdict.path!.length, least[index], `${engine}: ${verdict.name} at its least depth`)
      assert.ok(checked.user[index]!.test(stateAfter(SMALL, verdict.path!)) !== null, `${engine}: the witness path ends in a good state`)
    }
    assert.match(verdicts[1]!.message, /^no reachable state satisfies it \(the search was exhaustive\)$/)
    assert.match(verdicts[3]!.message, /holds in every reachable state/)
  }
  console.log(`  witnesses after ${least[0]} and ${least[2]} steps; B-two-bytes unreachable (exhaustive)`)
})

test('sometimes: not found within a depth bound is a vacuity warning, never a pass', async () => {
  const checked = await checkedFrom(SMALL, SMALL_PROPS.slice(0, 1))
  const least = leastDepth(SMALL, checked.user[0]!, 20)!
  for (const { engine, result } of await everyEngine(SMALL, checked, least - 1)) {
    assert.is(result.complete, false, engine)
    const verdict = result.properties![0]!
    assert.is(verdict.status, 'vacuous', engine)
    assert.match(verdict.message, new RegExp(`not reached within depth ${least - 1} / [\\d,]+ states: this is not a pass`), engine)
  }
})

test('properties in code go through the abstraction on the general engine and answer as on the model engine', async () => {
  const file = join(directory, 'in-code.mjs')
  const define = new URL('../../properties/user/define.js', import.meta.url).href
  writeFileSync(file, `import { defineProperty } from ${JSON.stringify(define)}
export default [
  defineProperty('two-caps-in-B', (state) => [...state.ksCaps.values()].filter((cap) => cap.at.place === 'slot' && state.ksObjects.get(cap.at.process)?.ref === 2).length >= 2 ? 'pB holds two caps' : null, { says: 'pB never holds two caps' }),
]
`)
  const checked = await loadChecked({ props: file, invariants: [] }, CAP_CORE)
  const least = leastDepth(CAP_CORE, checked.user[0]!, 4)
  assert.ok(least !== null)
  for (const { engine, result } of await everyEngine(CAP_CORE, checked, 5)) {
    assert.is(result.violation?.invariant, 'two-caps-in-B', engine)
    assert.is(result.violation?.path.length, least, engine)
    assert.is(result.violation?.message, 'pB holds two caps', engine)
  }
})

test.run()
