/**
 * Container limits in the state encodings: the model's canonical key
 * (checker/explore/canonical.ts) and the impl encoder's hash
 * (impl-canonical.ts `hashLimitsInto`) read a limits record field by field, so
 * two equal records make one state whatever the order of their keys (a boot
 * file's, an action's, a decoder's), and a record that differs in any field or
 * device makes another.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { bootFilePreset } from '../../cli/boot-file.js'
import { canonicalKey } from '../../checker/explore/canonical.js'
import { hashLimitsInto } from '../../checker/explore/impl-canonical.js'
import { boot } from '../../model/boot.js'
import type { KernelState } from '../../model/state.js'
import type { Limits } from '../../spec/limits.js'

const preset = bootFilePreset('examples/systems/plugin-host/boot.json', 'explore')
const state = boot(preset.boot, preset.images)

/** `state` with every container's limits replaced by `change(limits)`. */
function withLimits(change: (limits: Limits) => Limits): KernelState {
  const objects = new Map([...state.ksObjects].map(([id, object]) => [id, object.kind === 'container' ? { ...object, limits: change(object.limits) } : object]))
  return { ...state, ksObjects: objects }
}

const reversed = (limits: Limits): Limits => Object.fromEntries(Object.entries(limits).reverse()) as unknown as Limits
const hash = (limits: Limits): string => { const out = new Int32Array(2); hashLimitsInto(limits, out, 0); return `${out[0]}:${out[1]}` }

test('equal limits in another key order: one key, one hash; any field or device changed: another', () => {
  const containers = [...state.ksObjects.values()].filter((object) => object.kind === 'container')
  assert.ok(containers.length >= 3)
  assert.is(canonicalKey(withLimits(reversed)), canonicalKey(state))
  for (const object of containers) assert.is(hash(reversed(object.limits)), hash(object.limits))
  const changes: Array<(limits: Limits) => Limits> = [
    ...(['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes', 'cpuWeight'] as const).map((field) => (limits: Limits) => ({ ...limits, [field]: limits[field] + 1 })),
    (limits) => ({ ...limits, devices: [...limits.devices, 'disk0'] }),
  ]
  for (const change of changes) {
    assert.is.not(canonicalKey(withLimits(change)), canonicalKey(state))
    for (const object of containers) assert.is.not(hash(change(object.limits)), hash(object.limits))
  }
})

test.run()
