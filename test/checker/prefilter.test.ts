/**
 * The prefilter (checker/explore/prefilter.ts) tells refused actions without
 * stepping them: a caller that is no running process, a slot out of range,
 * empty, taken or of the wrong kind, a cap short of rights, a send to a full
 * queue or a receive from an empty one, a table key bound or free against the
 * syscall. Here every action it skips is stepped anyway (`verifyGuards`: a
 * skipped action that succeeds throws), and the search with it finds the same
 * states and transitions per level as the search without it, on the presets,
 * the example systems and generated declared systems; each kind of refusal is
 * counted, and each must be reached.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { ImplExpander } from '../../checker/explore/general.js'
import { SKIP_NOT_RUNNING, SKIP_QUEUE, SKIP_REASONS, SKIP_RIGHTS, SKIP_SLOT, SKIP_TABLE } from '../../checker/explore/prefilter.js'
import { bootFilePreset } from '../../cli/boot-file.js'
import { ALL_SYSCALLS, CAP_CORE, NESTED, type Preset } from '../../spec/presets.js'
import { bootConfigOf, eachDeclaredSystem, generatedPreset, systemArb } from './systems.js'
import { type Levels as WalkedLevels, walkLevels } from './levels.js'

interface Levels extends WalkedLevels {
  readonly skips: Float64Array
}

/** Breadth-first to `depthMax` with the fast checks (the prefilter's skips stepped and confirmed refused) or without them: states and transitions per level. */
function levels(preset: Preset, depthMax: number, fastChecks: boolean): Levels {
  const expander = new ImplExpander(preset, undefined, { fastChecks, verifyGuards: fastChecks })
  return { ...walkLevels(expander, depthMax), skips: expander.prefilterSkips }
}

const REASONS: ReadonlyArray<[number, string]> = [
  [SKIP_NOT_RUNNING, 'caller not running'], [SKIP_SLOT, 'slot'], [SKIP_RIGHTS, 'rights'], [SKIP_QUEUE, 'queue'], [SKIP_TABLE, 'table key'],
]

const total = new Float64Array(SKIP_REASONS)

/** With and without the prefilter: the same levels; its skips added to {@link total}. */
function compare(preset: Preset, depthMax: number): Levels {
  const filtered = levels(preset, depthMax, true)
  const plain = levels(preset, depthMax, false)
  assert.equal(filtered.states, plain.states, `${preset.name}: states per level`)
  assert.equal(filtered.transitions, plain.transitions, `${preset.name}: transitions per level`)
  assert.ok(plain.skips.every((count) => count === 0), 'without the fast checks, nothing is skipped')
  for (let reason = 0; reason < SKIP_REASONS; reason++) total[reason]! += filtered.skips[reason]!
  return filtered
}

const described = (skips: Float64Array): string => REASONS.map(([reason, name]) => `${name} ${skips[reason]!.toLocaleString('en')}`).join(', ')

test('presets and example systems: what the prefilter skips is refused, and the search is the same without it', () => {
  const systems: ReadonlyArray<[Preset, number]> = [
    [CAP_CORE, 5], [NESTED, 3], [ALL_SYSCALLS, 3],
    [bootFilePreset('examples/systems/web-app/boot.json', 'test'), 4], [bootFilePreset('examples/systems/plugin-host/boot.json', 'test'), 4],
  ]
  for (const [preset, depthMax] of systems) {
    const { states, skips } = compare(preset, depthMax)
    console.log(`  ${preset.name}: ${states.at(-1)!.toLocaleString('en')} states to depth ${depthMax}; skipped: ${described(skips)}`)
  }
})

test('generated declared systems: the same', () => {
  let systems = 0
  fc.assert(fc.property(systemArb, (shape) => {
    const config = bootConfigOf(shape)
    if (typeof config === 'string') return
    compare(generatedPreset(config, `generated system ${systems}`), 3)
    systems++
  }), { numRuns: 30, seed: 20_261_204 })
  console.log(`  ${systems} generated systems to depth 3`)
  assert.ok(systems >= 20)
})

test('generated declared systems, as --boot explores them (services, spawns, kills): the same', () => {
  const systems = eachDeclaredSystem(20, 20_261_204, (preset) => { compare(preset, 3) })
  console.log(`  ${systems} generated declared systems to depth 3`)
  assert.ok(systems >= 15)
})

test('every kind of refusal the prefilter tells was reached', () => {
  console.log(`  skipped in all: ${described(total)}`)
  for (const [reason, name] of REASONS) assert.ok(total[reason]! > 0, `no refusal for ${name} was told`)
})

test.run()
