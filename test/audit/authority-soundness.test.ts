/**
 * The static authority closure (checker/audit/authority.ts) is sound: on every
 * preset and on declared systems fast-check generates, every cap that any state
 * explore reaches (to a depth bound) holds in a process slot is inside the
 * closure of the boot state — the holder (for a process spawned during the
 * search, the symbolic process of its container) may hold the object (for one
 * created during the search, its symbolic object) with rights within one fact's.
 * Each test prints how much larger the static closure is than what explore
 * reached (pairs of subject and object), and the closure is shown to fail this
 * test when a transfer rule is left out.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { explore } from '../../checker/explore/search.js'
import { authorityClosure, derivationText, type AuthorityClosure, type AuthorityRule } from '../../checker/audit/authority.js'
import { bootLabels } from '../../checker/audit/labels.js'
import { checkState } from '../../spec/invariants/index.js'
import { ALL_SYSCALLS, CAP_CORE, CORE_IMAGE, CAP_CORE_3, NESTED, PRESETS, type Preset } from '../../spec/presets.js'
import { R_ALL, R_READ, R_WRITE, rightsNames } from '../../spec/rights.js'
import { IMAGES, bootConfigOf, generatedPreset, systemArb } from '../checker/systems.js'

/** Depth bounds that keep the whole file within about 30 s on a loaded machine. */
const DEPTHS: ReadonlyMap<string, number> = new Map([[CAP_CORE.name, 3], [CAP_CORE_3.name, 2], [NESTED.name, 3], [ALL_SYSCALLS.name, 3]])

interface Soundness {
  /** Distinct (subject, object) pairs held in the states reached. */
  readonly reached: number
  /** (subject, object) pairs of the static closure. */
  readonly static: number
  readonly states: number
  /** Held caps the closure does not cover, as text. */
  readonly unsound: ReadonlyArray<string>
}

/** The (subject, object, rights) of every cap in a process slot of `state`, abstracted onto the closure's entities. */
function heldFacts(closure: AuthorityClosure, state: KernelState): Array<{ subject: string; object: string; rights: number }> {
  const facts: Array<{ subject: string; object: string; rights: number }> = []
  for (const cap of state.ksCaps.values()) {
    if (cap.at.place !== 'slot') continue
    facts.push({ subject: closure.locate(state, cap.at.process), object: closure.locate(state, cap.object), rights: cap.rights })
  }
  return facts
}

/** Explores `preset` to `depthMax` on the model and checks every reached state against the closure of its boot state. */
function soundness(preset: Preset, depthMax: number, omit: ReadonlyArray<AuthorityRule> = []): Soundness {
  const initial = boot(preset.boot, preset.images)
  const closure = authorityClosure(initial, { labels: bootLabels(preset.boot, initial), omit })
  const reached = new Set<string>()
  const unsound = new Set<string>()
  let states = 0
  const observe = (state: KernelState) => {
    states++
    for (const fact of heldFacts(closure, state)) {
      reached.add(`${fact.subject}|${fact.object}`)
      if (closure.fact(fact.subject, fact.object, fact.rights) === null) unsound.add(`${closure.label(fact.subject)} holds ${closure.label(fact.object)} [${rightsNames(fact.rights).join(',')}]`)
    }
  }
  observe(initial)
  const result = explore({
    preset, depthMax,
    step: (state, syscall) => {
      const next = modelStep(state, syscall)
      if (E.isRight(next.outcome)) observe(next.state)
      return next
    },
  })
  assert.is(result.violation, null, `${preset.name}: explore found no invariant violation`)
  const pairs = closure.facts().map((fact) => `${fact.subject}|${fact.object}`)
  return { reached: reached.size, static: new Set(pairs).size, states, unsound: [...unsound] }
}

function ratio(found: Soundness): string {
  return `${found.static} static ÷ ${found.reached} reached = ${(found.static / found.reached).toFixed(1)}×`
}

test('presets: every cap a process holds in a state explore reaches is inside the static closure of the boot state', () => {
  for (const preset of PRESETS) {
    const depth = DEPTHS.get(preset.name)!
    const found = soundness(preset, depth)
    console.log(`  ${preset.name} (depth ${depth}, ${found.states.toLocaleString('en')} states): ${ratio(found)}`)
    assert.equal(found.unsound, [], `${preset.name}: held but not in the closure`)
    assert.ok(found.reached > 0 && found.static >= found.reached, `${preset.name}: the closure covers at least what was reached`)
  }
})

test('generated systems: explore to depth 2 stays inside the static closure of the boot state', () => {
  let systems = 0
  let reached = 0
  let total = 0
  fc.assert(fc.property(systemArb, (shape) => {
    const config = bootConfigOf(shape)
    if (typeof config === 'string') return true
    // explore stops at a violation; a system that breaks an invariant at boot (an unsigned image) explores nothing.
    if (checkState(boot(config, IMAGES)).length > 0) return true
    systems++
    const preset = generatedPreset(config, `generated system ${systems}`)
    const found = soundness(preset, 2)
    reached += found.reached
    total += found.static
    assert.equal(found.unsound, [], `generated system ${systems}: held but not in the closure`)
    return true
  }), { numRuns: 120, seed: 16 })
  console.log(`  ${systems} generated systems booted: ${total} static ÷ ${reached} reached = ${(total / Math.max(reached, 1)).toFixed(1)}×`)
  assert.ok(systems >= 20, `enough generated systems boot (${systems})`)
})

/**
 * Two containers sharing the root's namespaces: pX (in A, uid 0) holds a region;
 * pY (in B) holds nothing. With `nested`'s alphabet pX can mount the region and
 * pY resolve it: only the table rules explain pY's cap. (The pool's one image asks
 * for nothing, so no spawned process can carry the region over IPC either.)
 */
const SHARED_MOUNT: Preset = {
  name: 'nested', description: 'two containers sharing a mount table', images: [CORE_IMAGE], actors: [1, 2],
  boot: {
    ...NESTED.boot,
    system: {
      containers: ['A', 'B'].map((name) => ({ name, parent: 'root', limits: { memoryBytes: 4, processes: 2, endpoints: 2, cpuBudget: 2 ** 30, ioBytes: 8, cpuWeight: 1, devices: [] }, namespaces: { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' } as const })),
      processes: [{ name: 'pX', container: 'A', image: CORE_IMAGE.digest, uid: 0, slots: 2 }, { name: 'pY', container: 'B', image: CORE_IMAGE.digest, uid: 0, slots: 2 }],
      objects: [{ name: 'R', kind: 'region', owner: 'A', sizeBytes: 1, executable: false }],
      caps: [{ holder: 'pX', slot: 0, object: 'R', rights: ['read', 'write'] }],
    },
  },
}

test('the test can fail: a closure without one transfer rule misses a cap that explore reaches', () => {
  const cases: ReadonlyArray<readonly [AuthorityRule, Preset, RegExp]> = [
    ['ipc', ALL_SYSCALLS, /"pA" holds device .*"disk0"/],
    ['tables', SHARED_MOUNT, /"pY" holds region .*"R" \[write\]/],
    ['create', CAP_CORE, /"pA" holds a region created later in container 2 "A"/],
    ['container', NESTED, /"pA" holds a container created later under container 2 "A"/],
    ['spawn', NESTED, /a process spawned later into .* holds/],
  ]
  for (const [rule, preset, expected] of cases) {
    assert.equal(soundness(preset, 2).unsound, [], `${preset.description}: sound with every rule`)
    const found = soundness(preset, 2, [rule])
    console.log(`  without '${rule}' (${preset.description}): ${found.unsound[0] ?? 'nothing missing'}`)
    assert.ok(found.unsound.some((fact) => expected.test(fact)), `without '${rule}': ${found.unsound.join('; ') || 'nothing missing'}`)
  }
})

test('queries: mayHold and holders answer with one derivation; cap-core keeps what ISO-1 confines', () => {
  const state = boot(CAP_CORE.boot, CAP_CORE.images)
  const closure = authorityClosure(state, { labels: bootLabels(CAP_CORE.boot, state) })
  const [pA, pB, A, E] = [4, 5, 2, 6]
  // pB holds E with write: the fact is the boot cap itself.
  const held = closure.mayHold(pB, E, R_WRITE)!
  assert.equal(held.hops.map((hop) => hop.how), ['holds'])
  // Every process of A may hold the regions A creates later, by creating them.
  const created = closure.mayHold({ container: A }, { kind: 'region', owner: A }, R_WRITE)!
  assert.equal(created.hops.map((hop) => hop.how), ['creates'])
  assert.match(derivationText(closure, created), /creates it\[read,write,control\]$/)
  // No region is ever both writable and executable, even though both kinds are created.
  assert.is(closure.mayHold({ container: A }, { kind: 'region' }, R_WRITE | 4), null)
  // pB receives nothing over E (it holds E without read); its way to E[read] is the shared mount table.
  const read = closure.mayHold(pB, E, R_READ)!
  assert.ok(read.hops.some((hop) => hop.how === 'looks-up'), derivationText(closure, read))
  assert.ok(!read.hops.some((hop) => hop.how === 'receives'))
  // holders: pA holds E already; every holder's derivation proves the rights asked.
  const holders = closure.holders(E, R_READ)
  assert.ok(holders.some((holder) => holder.subject === String(pA) && holder.derivation.hops.length === 1))
  for (const holder of holders) assert.ok((holder.derivation.rights & R_READ) === R_READ)
  // Without the shared tables (cap-core's alphabet has none) pB never reads E: ISO-1 as kernel.md §11 states it.
  const noTables = authorityClosure(state, { omit: ['tables'] })
  assert.is(noTables.mayHold(pB, E, R_READ), null)
  assert.is(noTables.mayHold({ container: 3 }, { owner: A }, 0)?.object, String(E))
  // Spawning into A needs control on A: init has it, and its derivation is how it holds A, then that it creates the process.
  const spawner = closure.holders({ key: `process@${A}` }, R_ALL).find((holder) => holder.subject === '1')!
  assert.equal(spawner.derivation.hops.map((hop) => hop.how), ['holds', 'creates'])
  assert.equal(spawner.derivation.hops[0], { how: 'holds', subject: '1', slot: spawner.derivation.hops[0]!.how === 'holds' ? spawner.derivation.hops[0]!.slot : -1, cap: (spawner.derivation.hops[0] as { cap: number }).cap, rights: ['read', 'write', 'execute', 'grant', 'control'] })
  // With init passive (the system's actors only), no process of cap-core may spawn into A: none holds control on it.
  const actorsOnly = authorityClosure(state, { acting: CAP_CORE.actors.map((ref) => state.ksProcessRefs[ref]!) })
  assert.is(actorsOnly.holders({ key: `process@${A}` }).length, 0)
})

test.run()
