/**
 * The systems suite (properties/suites/systems.ts): declared systems booted and
 * stepped in lockstep. What its generator reaches, that the impl passes it, and
 * that a kernel wrong only in what a declared system needs (its boot, its
 * declared caps' badges) is caught there — where the suites that start from
 * the property boot cannot see it — with a counterexample whose trace replays
 * the failure.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { exampleSteps, runSuite } from '../../properties/run.js'
import { SUITE_NAMES } from '../../properties/suite.js'
import { SUITES } from '../../properties/registry.js'
import { implTarget } from '../../refinement/abstraction.js'
import type { RefinementTarget } from '../../refinement/target.js'
import type { Kernel } from '../../impl/kernel.js'
import { SYSCALL_KINDS } from '../../spec/syscalls.js'
import { SYSTEM_CASES } from '../../properties/coverage.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import { BootError } from '../../model/boot-system.js'
import { IMAGES, bootConfigOf, systemArb, withDerivedCaps } from '../../properties/systems.js'
import type { SystemsHead } from '../../properties/suites/systems.js'
import { counterexampleTrace } from '../../checker/counterexample.js'
import { replayTrace } from '../../checker/replay.js'
import { Kernel as ImplKernel } from '../../impl/kernel.js'

const impl = implTarget as unknown as RefinementTarget
const options = { suites: SUITE_NAMES, runs: 400, seed: 2026, maxSteps: 60, target: impl }

test('systems: the impl passes 400 runs, and every syscall kind succeeds and fails in them', () => {
  const result = runSuite('systems', options)
  assert.is(result.counterexample, null, JSON.stringify(result.counterexample?.failure))
  const { kindOk, kindFailed } = result.coverage
  const never = SYSCALL_KINDS.filter((kind) => (kindOk[kind] ?? 0) === 0)
  assert.equal(never, [], `never succeeded: ${never.join(', ')}`)
  const neverRefused = SYSCALL_KINDS.filter((kind) => kind !== 'tick' && kind !== 'sched_run' && (kindFailed[kind] ?? 0) === 0)
  assert.equal(neverRefused, [], `never refused: ${neverRefused.join(', ')}`)
  console.log(`  systems, 400 runs: ${result.coverage.steps} steps; runs with a success of the rarest kinds: ${[...SYSCALL_KINDS].sort((a, b) => (kindOk[a] ?? 0) - (kindOk[b] ?? 0)).slice(0, 4).map((kind) => `${kind} ${kindOk[kind] ?? 0}`).join(', ')}`)
  // What the systems booted held, as sila check prints it (coverage's SYSTEM_CASES).
  for (const name of Object.values(SYSTEM_CASES)) assert.ok((result.coverage.cases[name] ?? 0) >= 10, `${name}: ${result.coverage.cases[name] ?? 0} of 400 runs`)
  console.log(`  systems booted, 400 runs: ${Object.values(SYSTEM_CASES).map((name) => `${name.replace('a declared system: ', '')} ${result.coverage.cases[name] ?? 0}`).join(', ')}`)
})

/** The model's refusal of a scenario's configuration, or null when it boots it. */
function refusal(head: SystemsHead): BootError | null {
  try {
    boot(head.boot, head.images ?? IMAGES)
    return null
  } catch (error) {
    if (error instanceof BootError) return error
    throw error
  }
}

test('systems: the scenarios boot systems of every shape, their declared caps badged and derived from one another, values at their boundaries and one past them (the model refuses those)', () => {
  const scenarios = fc.sample(SUITES.systems.scenario(60), { numRuns: 600, seed: 9 })
  const heads = scenarios.map((scenario) => scenario[0] as SystemsHead)
  const count = (pick: (head: SystemsHead) => boolean): number => heads.filter(pick).length
  const caps = (head: SystemsHead) => head.boot.system?.caps ?? []
  const tally = {
    containers: count((head) => (head.boot.system?.containers?.length ?? 0) > 0),
    nested: count((head) => (head.boot.system?.containers ?? []).some((container) => container.parent !== 'root')),
    userMaps: count((head) => (head.boot.system?.containers ?? []).some((container) => container.namespaces.user !== 'share')),
    badged: count((head) => caps(head).some((cap) => (cap.badge ?? 0) !== 0)),
    derived: count((head) => caps(head).some((cap) => cap.parent !== undefined)),
    devices: count((head) => head.boot.devices.length > 0),
    cpuOff: count((head) => head.boot.cpuAccounting === false),
    // withBoundaries: values at their boundaries, and one past them (a boot the model refuses, which the kernel must refuse too).
    cpuLeftOut: count((head) => head.boot.cpuAccounting === undefined),
    bigRegion: count((head) => (head.boot.system?.objects ?? []).some((object) => object.kind === 'region' && object.sizeBytes > 2 ** 24)),
    deepQueue: count((head) => (head.boot.system?.objects ?? []).some((object) => object.kind === 'endpoint' && object.depth > 2)),
    highBadge: count((head) => caps(head).some((cap) => (cap.badge ?? 0) >= 2 ** 31)),
    refused: count((head) => refusal(head) !== null),
  }
  for (const [what, runs] of Object.entries(tally)) assert.ok(runs >= 12, `${what}: ${runs} of 600`)
  const rarer = {
    // Init's CSpace exactly as large as boot fills it, or one short; a container one short of what boot spends out of it; a right a cap's kind never carries; a pool naming a digest twice.
    initExact: count((head) => head.boot.init.slots === 1 + head.boot.devices.length + (head.boot.system?.containers ?? []).length + (head.boot.system?.processes ?? []).length),
    initShort: count((head) => /init has no free slot/.test(refusal(head)?.message ?? '')),
    spendShort: count((head) => /cannot afford/.test(refusal(head)?.message ?? '')),
    kindRights: count((head) => /more than a .* cap can carry/.test(refusal(head)?.message ?? '')),
    poolRepeated: count((head) => (refusal(head)?.path ?? '').startsWith('$.images')),
  }
  // Each one arm of onePast among eight (or of a withBoundaries way): rarer, each still met.
  for (const [what, runs] of Object.entries(rarer)) assert.ok(runs >= 3, `${what}: ${runs} of 600`)
  // Every refusal is the model's BootError, at a place of the declared system (or of the pool, when the scenario boots one naming a digest twice).
  for (const head of heads) { const error = refusal(head); assert.ok(error === null || error.path.startsWith('$.system') || error.path.startsWith('$.root') || (error.path.startsWith('$.images') && head.images !== undefined), String(error)) }
  console.log(`  systems' boots, 600 scenarios: ${Object.entries({ ...tally, ...rarer }).map(([what, runs]) => `${what} ${runs}`).join(', ')}`)
  // The picks resolve in the model's state; the same scenario resolves alike every time.
  assert.equal(SUITES.systems.executed(scenarios[0]!), SUITES.systems.executed([...scenarios[0]!]))
})

test('systems: fitted picks take caps of the kind their call needs, and some picks repeat the call before them', () => {
  const scenarios = fc.sample(SUITES.systems.scenario(60), { numRuns: 300, seed: 11 })
  let repeated = 0
  let twiceOk = 0
  let calls = 0
  let wrongKind = 0
  for (const scenario of scenarios) {
    const head = scenario[0] as SystemsHead
    if (refusal(head) !== null) continue
    let state = boot(head.boot, head.images ?? IMAGES)
    let previous = ''
    let previousOk = false
    let repeats = false
    let twice = false
    for (const syscall of SUITES.systems.executed(scenario)) {
      const text = JSON.stringify(syscall)
      const result = modelStep(state, syscall)
      state = result.state
      const ok = result.outcome._tag === 'Right'
      repeats ||= text === previous
      twice ||= text === previous && ok && previousOk
      calls++
      if (!ok && result.outcome.left.code === 'WrongKind') wrongKind++
      previous = text
      previousOk = ok
    }
    if (repeats) repeated++
    if (twice) twiceOk++
  }
  assert.ok(repeated >= 150, `${repeated} of 300 runs repeat a call`)
  assert.ok(twiceOk >= 60, `${twiceOk} of 300 runs have a call succeed twice in a row`)
  // Three picks in four fit, and a fitting pick's caps are of the kinds its call takes: WrongKind is the loose picks' (and a group with no fitting action's); one call in five was refused so when fitting looked at slots alone.
  assert.ok(wrongKind < calls / 10, `${wrongKind} of ${calls} calls refused WrongKind`)
  console.log(`  picks, 300 scenarios: ${repeated} runs repeat a call, ${twiceOk} with a call succeeding twice in a row; ${wrongKind} of ${calls} calls refused WrongKind`)
})

/** A kernel whose declared endpoints keep 2 messages whatever their depth: wrong only once a run queues a third on one. */
const shortDeclaredRings: RefinementTarget = {
  name: 'test:short-declared-rings',
  create: (config, images) => {
    const kernel = implTarget.create(config, images) as Kernel
    const rings = kernel.objects.ring as Array<Kernel['objects']['ring'][number]>
    rings.forEach((ring, endpoint) => {
      if (ring !== null && ring !== undefined && ring.seq.length > 2) rings[endpoint] = { seq: ring.seq.subarray(0, 2), badge: ring.badge.subarray(0, 2), cap: ring.cap.subarray(0, 2), payload: ring.payload.slice(0, 2) }
    })
    return kernel
  },
  abstraction: implTarget.abstraction as RefinementTarget['abstraction'],
}

test('a kernel whose declared endpoints hold 2 messages whatever their depth: the systems suite finds it', () => {
  const result = runSuite('systems', { ...options, runs: 1000, target: shortDeclaredRings })
  assert.ok(result.counterexample !== null, `passed ${result.runs} runs`)
  const deep = ((result.counterexample!.scenario[0] as SystemsHead).boot.system?.objects ?? []).some((object) => object.kind === 'endpoint' && object.depth > 2)
  assert.ok(deep, 'the shrunk system declares an endpoint deeper than 2')
  console.log(`  short declared rings: found (${result.counterexample!.failure.invariant} at step ${result.counterexample!.failure.step}, shrunk to ${exampleSteps(result.counterexample!)} steps)`)
})

test('withDerivedCaps: every derivation it writes is one boot accepts (500 generated systems, every pick)', () => {
  let derived = 0
  fc.assert(fc.property(systemArb, fc.array(fc.nat({ max: 1023 }), { minLength: 1, maxLength: 6 }), (shape, picks) => {
    const config = bootConfigOf(shape)
    if (typeof config === 'string') return
    const withParents = withDerivedCaps(config, picks)
    if ((withParents.system?.caps ?? []).some((cap) => cap.parent !== undefined || cap.badge !== undefined)) derived++
    boot(withParents, IMAGES)
    ImplKernel.boot(withParents, IMAGES)
  }), { numRuns: 500, seed: 4 })
  assert.ok(derived > 200, `${derived} of 500 derived a cap`)
  console.log(`  withDerivedCaps: ${derived} of 500 systems given a badged or derived cap, every one booted by both kernels`)
})

/** A kernel that boots a declared cap's badge as 0: wrong only where a system declares a badged cap. */
const dropsDeclaredBadges: RefinementTarget = {
  name: 'test:drops-declared-badges',
  create: (config, images) => {
    const kernel = implTarget.create(config, images) as Kernel
    const processes = config.system?.processes ?? []
    for (const cap of config.system?.caps ?? []) {
      if ((cap.badge ?? 0) === 0) continue
      const handle = kernel.processOfRef(processes.findIndex((process) => process.name === cap.holder) + 1)
      kernel.caps.badge[kernel.objects.cspace[handle]![cap.slot]!] = 0
    }
    return kernel
  },
  abstraction: implTarget.abstraction as RefinementTarget['abstraction'],
}

test('a kernel that drops declared caps\' badges at boot: the systems suite finds it at the boot, the property-boot suites do not, and its trace replays the divergence', () => {
  const refinement = runSuite('refinement', { ...options, runs: 200, target: dropsDeclaredBadges })
  assert.is(refinement.counterexample, null, 'the property boot declares nothing: its suites cannot see this bug')
  const result = runSuite('systems', { ...options, target: dropsDeclaredBadges })
  const example = result.counterexample
  assert.ok(example !== null, 'the systems suite finds it')
  assert.is(example!.failure.invariant, 'REF-1')
  assert.is(example!.failure.step, -1, 'at the boot')
  assert.ok(((example!.scenario[0] as SystemsHead).boot.system?.caps ?? []).some((cap) => (cap.badge ?? 0) !== 0), 'the shrunk system declares a badged cap')
  const trace = counterexampleTrace(example!)
  assert.equal(trace.boot, (example!.scenario[0] as SystemsHead).boot, 'the trace boots the system the run booted')
  assert.equal(trace.steps.map((step) => step.syscall), SUITES.systems.executed(example!.scenario))
  assert.is(exampleSteps(example!), trace.steps.length, 'its length counts the syscalls, not the configuration')
  assert.ok(example!.lengthBefore >= exampleSteps(example!))
  assert.is(replayTrace(trace).status, 'ok', 'the model replays it clean')
  const onKernel = replayTrace(trace, dropsDeclaredBadges)
  assert.is(onKernel.status, 'failed')
  assert.ok(onKernel.divergence !== null && onKernel.divergence.step < 0, `diverges at boot: ${JSON.stringify(onKernel.divergence)}`)
  assert.is(replayTrace(trace, impl).status, 'ok', 'the impl replays it clean')
})

/** A kernel that boots what it cannot honour: on a BootError it boots the configuration without its declared system. */
const bootsAnything: RefinementTarget = {
  name: 'test:boots-anything',
  create: (config, images) => {
    try {
      return implTarget.create(config, images)
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'BootError') throw error
      const { system: _, ...rest } = config
      return implTarget.create(rest, images)
    }
  },
  abstraction: implTarget.abstraction as RefinementTarget['abstraction'],
}

test('a kernel that boots a declared system the model refuses fails the systems suite at the boot, and its trace holds the refused configuration', () => {
  const result = runSuite('systems', { ...options, target: bootsAnything })
  const example = result.counterexample
  assert.ok(example !== null, 'the systems suite finds it')
  assert.is(example!.failure.invariant, 'REF-1')
  assert.is(example!.failure.step, -1, 'at the boot')
  assert.match(example!.failure.message, /the kernel booted it/)
  const head = example!.scenario[0] as SystemsHead
  assert.ok(refusal(head) !== null, 'the model refuses the shrunk configuration')
  assert.equal(SUITES.systems.executed(example!.scenario), [], 'no syscall runs on a refused boot')
  const trace = counterexampleTrace(example!)
  assert.equal(trace.boot, head.boot)
  assert.equal(trace.steps, [])
})

test.run()
