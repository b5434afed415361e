/**
 * The calls `sila check --boot` steps on a user's system beyond the explore
 * alphabet (properties/given-system-calls.ts): every table call whether or not
 * two processes share the table, a slot one past each CSpace, I/O, the clock,
 * init's children in every container; their count linear in init's CSpace;
 * and the impl passing them on generated systems checked as given ones.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { readBootFile } from '../../cli/boot-file.js'
import { declaredActors, declaredActions } from '../../checker/explore/actions.js'
import { givenSystemCalls, pairedSlots } from '../../properties/given-system-calls.js'
import type { Preset } from '../../spec/presets.js'
import type { BootConfig } from '../../spec/boot.js'
import { ROOT } from '../cli/run.js'
import fc from 'fast-check'
import { IMAGES, bootConfigOf, richSystemArb, systemArb, withDerivedCaps } from '../../properties/systems.js'
import { checkGivenSystem } from '../../properties/suites/systems.js'
import { runSuite } from '../../properties/run.js'
import { SUITE_NAMES } from '../../properties/suite.js'
import { implTarget } from '../../refinement/abstraction.js'
import type { RefinementTarget } from '../../refinement/target.js'

function presetOf(file: string, edit: (config: BootConfig) => BootConfig = (config) => config): Preset {
  const system = readBootFile(join(ROOT, 'examples', 'systems', file, 'boot.json'))
  const boot = edit(system.config)
  return { name: file, description: file, boot, images: system.images, actors: declaredActors(boot.system), declared: true }
}

test('web-app: the explore alphabet has no mount, net, io or clock call and no container child; the wider calls have each, for init and every actor', () => {
  const preset = presetOf('web-app')
  const explored = new Set(declaredActions(preset, true).map((action) => action.kind as string))
  for (const kind of ['mount', 'resolve', 'unmount', 'net_bind', 'net_connect', 'net_unbind', 'io_submit', 'tick', 'container_create']) assert.not.ok(explored.has(kind), kind)
  const wider = givenSystemCalls(preset)
  for (const kind of ['mount', 'resolve', 'unmount', 'net_bind', 'net_connect', 'net_unbind', 'svc_register', 'svc_lookup', 'svc_unregister', 'io_submit', 'tick', 'container_create', 'container_set_limits']) {
    assert.ok(wider.some((action) => action.kind === kind), kind)
  }
  const callers = new Set(wider.filter((action) => action.kind === 'mount').map((action) => action.caller))
  assert.equal([...callers].sort(), [0, ...preset.actors].sort())
  // A slot one past each caller's CSpace, in every slot argument kind.
  const processes = preset.boot.system!.processes!
  for (const [index, process] of processes.entries()) {
    const past = wider.filter((action) => action.caller === index + 1 && (action.slot === process.slots || action.src === process.slots || action.dst === process.slots || action.xfer === process.slots))
    for (const kind of ['cap_copy', 'cap_move', 'cap_delete', 'ep_send', 'ep_recv', 'mem_map', 'resolve', 'mount']) assert.ok(past.some((action) => action.kind === kind), `${process.name} ${kind} past its CSpace`)
  }
  // init's children in the root (slot 0 holds the root's cap: no device in web-app), whose children no declared process governs.
  assert.ok(wider.some((action) => action.kind === 'container_create' && action.caller === 0 && action.parent === 0))
})

test('pairedSlots: every slot up to 32, else the first 32 and the last; the wider calls grow linearly with init\'s CSpace', () => {
  assert.equal(pairedSlots(3), [0, 1, 2])
  assert.equal(pairedSlots(32), Array.from({ length: 32 }, (_, slot) => slot))
  assert.equal(pairedSlots(4096), [...Array.from({ length: 32 }, (_, slot) => slot), 4095])
  const withInit = (slots: number) => givenSystemCalls(presetOf('web-app', (config) => ({ ...config, init: { slots } }))).length
  const small = withInit(64)
  const large = withInit(4096)
  assert.ok(large < small * (4096 / 64) * 1.2, `${small} calls at 64 slots, ${large} at 4,096`)
  assert.ok(large > small, 'a larger CSpace has more slots to name')
})

test('generated systems checked as given ones (their wider calls included): the impl passes, and the wider kinds are stepped', () => {
  const samples = fc.sample(fc.tuple(fc.oneof(systemArb, richSystemArb), fc.array(fc.nat({ max: 1023 }), { maxLength: 4 })), { numRuns: 40, seed: 9 })
  const tried = new Set<string>()
  let checked = 0
  try {
    for (const [shape, derivations] of samples) {
      const config = bootConfigOf(shape)
      if (typeof config === 'string') continue
      checkGivenSystem({ config: withDerivedCaps(config, derivations), images: IMAGES })
      const result = runSuite('systems', { suites: SUITE_NAMES, runs: 10, seed: checked, maxSteps: 40, target: implTarget as unknown as RefinementTarget })
      assert.is(result.counterexample, null, JSON.stringify(result.counterexample?.failure))
      for (const kind of [...Object.keys(result.coverage.kindOk), ...Object.keys(result.coverage.kindFailed)]) tried.add(kind)
      checked++
    }
  } finally {
    checkGivenSystem(null)
  }
  assert.ok(checked >= 30, `${checked} systems`)
  for (const kind of ['mount', 'resolve', 'net_bind', 'net_connect', 'svc_lookup', 'io_submit', 'tick', 'container_create']) assert.ok(tried.has(kind), kind)
})

test.run()
