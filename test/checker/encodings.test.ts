/**
 * The general engine's canonical encoding (checker/explore/impl-canonical.ts)
 * and raw fingerprints (checker/explore/raw-fingerprints.ts) see every change the
 * model's canonical key sees. The differential tests (general.test.ts) compare
 * whole searches with the model engine's, which catches an encoding that leaves
 * a field out only where two reachable states differ in that field alone, and
 * takes minutes; leaving out a process's uid, a mapping's permissions, a
 * cap's or a queued message's badge, or a namespace's user namespace passed
 * every faster test.
 *
 * Here random walks (the impl and the model in lockstep) go over the presets,
 * the example systems and generated declared systems; in each state the tables
 * are tampered with at random (test/checker/tamper.ts) and, where the model still
 * finds every state invariant kept (the engine stops at a broken state, so only
 * kept ones must be told apart), the model's canonical key of the tampered state
 * is compared with the untampered one's (a region's kind is turned over with
 * its caps' and mappings' write and execute, so that the state still keeps
 * every invariant and differs in the flag alone): when it differs, the impl's canonical
 * fingerprint and its raw fingerprint (counted whole) must differ too. (The
 * other way round is not asked here: a tampering the model cannot see may still
 * leave a table no kernel leaves, such as a negative queue count read as an
 * empty queue; the differential tests hold the encoding to the model's
 * equivalence on reachable states.) The counts are printed, by kind of tampering.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Kernel } from '../../impl/kernel.js'
import { implTarget } from '../../refinement/abstraction.js'
import { checkState } from '../../spec/invariants/index.js'
import type { Preset } from '../../spec/presets.js'
import type { KernelState } from '../../model/state.js'
import { canonicalKey } from '../../checker/explore/canonical.js'
import { CanonicalEncoder } from '../../checker/explore/impl-canonical.js'
import { RawFingerprints } from '../../checker/explore/raw-fingerprints.js'
import { tamper, walkEverySystem, walkStates } from './tamper.js'

const IDENTITIES = new Set(['object serial', 'cap serial'])

interface Tally {
  states: number
  /** Tampered states that keep every invariant: the model saw a change, or did not. */
  seen: Map<string, number>
  unseen: number
}

/** The model's canonical key of the kernel's state (null when it breaks an invariant or cannot be read). */
function modelKey(kernel: Kernel, model: KernelState): string | null {
  try {
    const state = { ...implTarget.abstraction.abstract(kernel), gsFlows: model.gsFlows }
    return checkState(state).length > 0 ? null : canonicalKey(state)
  } catch {
    return null
  }
}

function walk(preset: Preset, seed: number, walks: number, length: number, tries: number, tally: Tally): void {
  const encoder = new CanonicalEncoder()
  const raw = new RawFingerprints()
  const prints = (kernel: Kernel): [string, string] => {
    encoder.encode(kernel)
    raw.load(kernel)
    return [`${encoder.pair[0]!}:${encoder.pair[1]!}`, `${raw.pair[0]!}:${raw.pair[1]!}`]
  }
  walkStates(preset, seed, walks, length, (kernel, model, random) => {
    tally.states++
    const key = modelKey(kernel, model)
    assert.ok(key !== null, `${preset.name}: our impl broke an invariant on a walk`)
    const [canonical, rawPrint] = prints(kernel)
    const saved = kernel.snapshot()
    for (let attempt = 0; attempt < tries; attempt++) {
      // The ghost flows are not part of a state's identity: tampered in a copy nothing reads.
      const what = tamper(kernel, new Map(model.gsFlows), random)
      // Serials are the model's ids: two made equal give no state at all (the abstraction keeps one of the two).
      const tamperedKey = what === null || IDENTITIES.has(what) ? null : modelKey(kernel, model)
      if (what !== null && tamperedKey !== null) {
        const [tamperedCanonical, tamperedRaw] = prints(kernel)
        if (tamperedKey !== key) {
          tally.seen.set(what, (tally.seen.get(what) ?? 0) + 1)
          assert.ok(tamperedCanonical !== canonical, `${preset.name}: the model sees a change (${what}) the canonical encoding does not:\n  before ${key}\n  after  ${tamperedKey}`)
          assert.ok(tamperedRaw !== rawPrint, `${preset.name}: the model sees a change (${what}) the raw fingerprint does not`)
        } else tally.unseen++ // (a negative queue count, say: a table no kernel leaves, which the abstraction reads as empty)
      }
      kernel.restore(saved)
    }
  })
}

test('the canonical encoding and the raw fingerprints tell apart every change the model\'s canonical key tells apart', () => {
  const tally: Tally = { states: 0, seen: new Map(), unseen: 0 }
  const systems = walkEverySystem(20_261_215, 6007, (preset, seed, walks, length, tries) => walk(preset, seed, walks, length, tries, tally))
  const seen = [...tally.seen].sort(([a], [b]) => a.localeCompare(b)).map(([kind, count]) => `${kind} ${count}`).join(', ')
  console.log(`  ${tally.states.toLocaleString('en')} states on 5 presets and systems and ${systems} generated declared systems; tampered states keeping every invariant: ${[...tally.seen.values()].reduce((a, b) => a + b, 0).toLocaleString('en')} the model tells apart, ${tally.unseen.toLocaleString('en')} it does not`)
  console.log(`  told apart, by kind: ${seen}`)
  for (const kind of ['object uid', 'object parent', 'region kind', 'cap badge', 'cap rights', 'queued message', 'mapping', 'limits memoryBytes', 'row usage', 'image', 'namespace pidNext', 'namespace userNamespace']) assert.ok((tally.seen.get(kind) ?? 0) > 0, `no tampered state of kind '${kind}' kept every invariant and changed the model's key`)
})

test.run()
