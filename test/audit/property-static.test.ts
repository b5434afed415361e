/**
 * The static column of `sila audit --props` (checker/audit/property-static.ts) is
 * sound: a declared property it calls `proved` is broken by no state explore
 * reaches, and a `sometimes` it calls `impossible` is reached by none. The
 * properties are generated from each system's names (every subject × object ×
 * rights for never-holds and the holds condition, every object confined to its
 * owner, every ordered pair of containers for no-flow), on the presets, the
 * example systems and generated declared systems; each test prints how many
 * verdicts were proved, may fail, and how many of those explore confirmed. A
 * closure without a transfer rule is shown to make this test fail.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { explore } from '../../checker/explore/search.js'
import { actorProcesses, authorityClosure, type AuthorityRule } from '../../checker/audit/authority.js'
import { staticVerdict } from '../../checker/audit/property-static.js'
import { systemNames } from '../../checker/props-input.js'
import { resolveProps } from '../../properties/user/resolve.js'
import type { UserProperty } from '../../properties/user/define.js'
import type { PropertyDecl, PropsFile } from '../../spec/props.js'
import type { RightName } from '../../spec/rights.js'
import { checkState } from '../../spec/invariants/index.js'
import { ALL_SYSCALLS, CAP_CORE, NESTED, type Preset } from '../../spec/presets.js'
import { bootFilePreset } from '../../cli/boot-file.js'
import { IMAGES, bootConfigOf, generatedPreset, systemArb } from '../checker/systems.js'

const RIGHTS: ReadonlyArray<ReadonlyArray<RightName>> = [[], ['write'], ['read', 'write'], ['grant'], ['control']]

/** Properties of every declarative kind over the names `preset` declares. */
function generatedProps(preset: Preset): PropsFile {
  const system = systemNames(preset.boot, preset.images)
  const kind = (name: string) => system.state.ksObjects.get(system.names.get(name)!)?.kind
  const named = [...system.names.keys()]
  const processes = named.filter((name) => kind(name) === 'process')
  const containers = named.filter((name) => kind(name) === 'container')
  const objects = named.filter((name) => kind(name) !== undefined)
  const subjects = [...processes.map((process) => ({ process })), ...containers.map((container) => ({ container }))]
  const selectors = [...objects.map((name) => ({ name })), ...[...system.devices.keys()].map((device) => ({ device })), { kind: 'endpoint' as const }, { kind: 'region' as const },
    ...containers.map((owner) => ({ owner }))]
  const properties: PropertyDecl[] = []
  // Each is decoded by resolveProps' checks (names, selectors) as a user's would be; the literal types are io-ts's.
  const add = (decl: { readonly kind: PropertyDecl['kind'] } & Record<string, unknown>) => properties.push({ ...decl, name: `p${properties.length}`, says: `generated ${properties.length}` } as unknown as PropertyDecl)
  for (const subject of subjects) {
    for (const object of selectors) {
      for (const rights of RIGHTS) {
        add({ kind: 'never-holds', subject, object, rights: [...rights] })
        add({ kind: 'sometimes', when: [{ holds: { subject, object, rights: [...rights] } }] })
      }
    }
  }
  for (const object of selectors) for (const within of containers) add({ kind: 'confined', object, within: [within] })
  for (const from of containers) for (const to of containers) if (from !== to) add({ kind: 'no-flow', from, to })
  for (const from of containers) for (const to of containers) if (from !== to) add({ kind: 'sometimes', when: [{ flow: { from, to } }] })
  return { format: 'sila-props/1', properties }
}

interface Tally {
  proved: number
  mayFail: number
  confirmed: number
  impossible: number
  may: number
  witnessed: number
  unsound: string[]
}

/** Explores `preset` on the model to `depth`, asking every generated property of every state, and compares with the static verdicts of the boot state. */
function compare(preset: Preset, depth: number, omit: ReadonlyArray<AuthorityRule> = []): Tally {
  const system = systemNames(preset.boot, preset.images)
  const declared = generatedProps(preset)
  const properties = resolveProps(declared, 'generated.json', system)
  const declOf = (property: UserProperty) => JSON.stringify(declared.properties[Number(property.name.slice(1))])
  const initial = boot(preset.boot, preset.images)
  // As sila audit --preset/--boot reads a system: its actors act (init only boots it, unless it is one).
  const closure = authorityClosure(initial, { omit, acting: actorProcesses(preset.actors, initial) })
  const verdicts = new Map(properties.map((property) => [property.name, staticVerdict(closure, property)?.verdict]))
  const hit = new Set<string>()
  const observe = (state: KernelState, open: ReadonlyArray<UserProperty>) => {
    for (const property of open) if (property.test(state) !== null) hit.add(property.name)
  }
  observe(initial, properties)
  explore({
    preset, depthMax: depth,
    step: (state, syscall) => {
      const next = modelStep(state, syscall)
      if (E.isRight(next.outcome)) observe(next.state, properties.filter((property) => !hit.has(property.name)))
      return next
    },
  })
  const tally: Tally = { proved: 0, mayFail: 0, confirmed: 0, impossible: 0, may: 0, witnessed: 0, unsound: [] }
  for (const property of properties) {
    const verdict = verdicts.get(property.name)
    const found = hit.has(property.name)
    if (verdict === 'proved') { tally.proved++; if (found) tally.unsound.push(`proved but broken: ${declOf(property)}`) }
    if (verdict === 'may fail') { tally.mayFail++; if (found) tally.confirmed++ }
    if (verdict === 'impossible') { tally.impossible++; if (found) tally.unsound.push(`impossible but reached: ${declOf(property)}`) }
    if (verdict === 'may') { tally.may++; if (found) tally.witnessed++ }
  }
  return tally
}

function line(name: string, tally: Tally): string {
  return `${name}: always ${tally.proved} proved, ${tally.mayFail} may fail (${tally.confirmed} broken within the depth); sometimes ${tally.impossible} impossible, ${tally.may} may (${tally.witnessed} reached)`
}

test('presets and example systems: nothing proved is broken, nothing impossible is reached, within explore depth', () => {
  const systems: ReadonlyArray<readonly [Preset, number]> = [
    [CAP_CORE, 3], [NESTED, 3], [ALL_SYSCALLS, 2],
    [bootFilePreset('examples/systems/web-app/boot.json', 'test'), 3], [bootFilePreset('examples/systems/plugin-host/boot.json', 'test'), 3],
  ]
  let proved = 0
  let confirmed = 0
  let impossible = 0
  for (const [preset, depth] of systems) {
    const tally = compare(preset, depth)
    console.log(`  ${line(`${preset.name} (depth ${depth})`, tally)}`)
    assert.equal(tally.unsound, [], preset.name)
    proved += tally.proved
    confirmed += tally.confirmed
    impossible += tally.impossible
  }
  // The comparison has teeth: the closure proves some properties, and explore breaks some it says may fail.
  assert.ok(proved > 0 && confirmed > 0 && impossible > 0, `${proved} proved, ${confirmed} confirmed, ${impossible} impossible`)
})

test('generated systems: the static verdicts are sound against explore to depth 2', () => {
  const total: Tally = { proved: 0, mayFail: 0, confirmed: 0, impossible: 0, may: 0, witnessed: 0, unsound: [] }
  let systems = 0
  fc.assert(fc.property(systemArb, (shape) => {
    const config = bootConfigOf(shape)
    if (typeof config === 'string') return true
    if (checkState(boot(config, IMAGES)).length > 0) return true
    systems++
    const preset = generatedPreset(config, `generated system ${systems}`)
    const tally = compare(preset, 2)
    assert.equal(tally.unsound, [], `generated system ${systems}: ${JSON.stringify(config.system)}`)
    for (const key of ['proved', 'mayFail', 'confirmed', 'impossible', 'may', 'witnessed'] as const) total[key] += tally[key]
    return true
  }), { numRuns: 40, seed: 23 })
  console.log(`  ${line(`${systems} generated systems`, total)}`)
  assert.ok(systems >= 8 && total.proved > 0 && total.confirmed > 0, `${systems} systems`)
})

test('the test can fail: without the IPC rule, the closure proves a property explore breaks', () => {
  const tally = compare(ALL_SYSCALLS, 2, ['ipc'])
  assert.ok(tally.unsound.length > 0, 'an unsound closure is noticed')
})

test.run()
