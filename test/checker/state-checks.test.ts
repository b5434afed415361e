/**
 * The fast state checks (checker/explore/state-checks.ts) against the reference,
 * on states a correct kernel never reaches. The general engine asks them first
 * whether a new state keeps every state invariant, and runs the model's own
 * invariant functions only when they say no; so they must never say yes where the
 * reference finds a violation. The engine's searches (general-guards.test.ts)
 * meet broken states only where an impl mutant of the catalogue makes one, which
 * left most of these checks untested: loosening the queue bound, the ledger, a
 * quota's reservations or the I/O bound went unnoticed.
 *
 * Here random walks (the impl and the model in lockstep, the model's ghost flows
 * alongside) go over the presets with namespaces, quotas and queues, the example
 * systems and generated declared systems; in each state the kernel's tables are
 * tampered with at random, as a wrong kernel would leave them: any column of a
 * live object, cap or container row set to a neighbouring value, to none, to
 * another live handle, or past a limit; a slot, a queued message, an image, a
 * limits record, a namespace table entry or record, a mapping, the ledger, or the
 * ghost flows changed (test/checker/tamper.ts).
 * Whenever the model's state invariants find a violation on the abstraction, the
 * fast checks must have said no. The test prints how often each invariant was
 * broken and requires every state invariant the fast checks stand for to have
 * been broken at least once (else the generator missed that check), and the
 * checks to vouch for the untampered states.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { implTarget } from '../../refinement/abstraction.js'
import { STATE_INVARIANTS, checkState } from '../../spec/invariants/index.js'
import type { Preset } from '../../spec/presets.js'
import { type CheckableKernel, StateChecks } from '../../checker/explore/state-checks.js'
import { type Flows, tamper, walkEverySystem, walkStates } from './tamper.js'

interface Tally {
  states: number
  vouched: number
  tampered: number
  unreadable: number
  broken: Map<string, number>
  kinds: Map<string, number>
}

/**
 * Random walks of `preset` (impl and model in lockstep), tampering in every
 * state `tries` times; throws where the fast checks vouch for a state the
 * reference finds broken.
 */
function walk(preset: Preset, seed: number, walks: number, length: number, tries: number, tally: Tally): void {
  const checks = new StateChecks()
  walkStates(preset, seed, walks, length, (kernel, model, random) => {
    const flows = model.gsFlows as Flows
    const reference = checkState({ ...implTarget.abstraction.abstract(kernel), gsFlows: flows })
    // An untampered state: our impl keeps every invariant, and the checks should vouch for most such states (counted).
    tally.states++
    if (checks.holds(kernel as unknown as CheckableKernel, flows)) tally.vouched++
    assert.is(reference.length, 0, `${preset.name}: our impl broke ${reference[0]?.invariant} on a walk`)
    const saved = kernel.snapshot()
    for (let attempt = 0; attempt < tries; attempt++) {
      const tamperedFlows = new Map(flows)
      const what = tamper(kernel, tamperedFlows, random)
      if (what !== null) {
        tally.tampered++
        tally.kinds.set(what, (tally.kinds.get(what) ?? 0) + 1)
        let violations: ReturnType<typeof checkState> | null = null
        try {
          violations = checkState({ ...implTarget.abstraction.abstract(kernel), gsFlows: tamperedFlows })
        } catch {
          tally.unreadable++ // the abstraction cannot read it: the engine would stop with that error, whatever the fast checks say
        }
        if (violations !== null && violations.length > 0) {
          for (const invariant of new Set(violations.map((violation) => violation.invariant))) tally.broken.set(invariant, (tally.broken.get(invariant) ?? 0) + 1)
          let vouched: boolean
          try {
            vouched = checks.holds(kernel as unknown as CheckableKernel, tamperedFlows)
          } catch {
            vouched = false // an error stops the search: nothing is vouched for
          }
          if (vouched) assert.unreachable(`${preset.name}: the fast state checks vouched for a state that breaks ${violations[0]!.invariant} (${what}): ${violations[0]!.message}`)
        }
      }
      kernel.restore(saved)
    }
  })
}

test('the fast state checks never vouch for a tampered state the reference finds broken; every state invariant is broken somewhere', () => {
  const tally: Tally = { states: 0, vouched: 0, tampered: 0, unreadable: 0, broken: new Map(), kinds: new Map() }
  const systems = walkEverySystem(20_261_205, 7919, (preset, seed, walks, length, tries) => walk(preset, seed, walks, length, tries, tally))
  const broken = [...tally.broken].sort(([a], [b]) => a.localeCompare(b)).map(([invariant, count]) => `${invariant} ${count}`).join(', ')
  console.log(`  ${tally.states.toLocaleString('en')} states on 5 presets and systems and ${systems} generated declared systems, ${tally.tampered.toLocaleString('en')} tamperings (${tally.unreadable} unreadable by the abstraction)`)
  console.log(`  broken states the fast checks refused, by invariant: ${broken}`)
  console.log(`  tamperings by kind: ${[...tally.kinds].map(([kind, count]) => `${kind} ${count}`).join(', ')}`)
  for (const invariant of STATE_INVARIANTS) assert.ok((tally.broken.get(invariant.id) ?? 0) > 0, `${invariant.id} was never broken: the tampering does not reach its check`)
  assert.ok(tally.vouched > tally.states / 2, `the fast checks vouched for only ${tally.vouched} of ${tally.states} untampered states`)
})

test.run()
