/**
 * The cap invariants over every place a cap can live (kernel.md §2: "Caps live in
 * process slots, in namespace tables and inside queued messages; all three places
 * are part of the tree"): CAP-1's parent links, CAP-3's revoke and CAP-4's
 * places are each broken once for every cap of `everyKindState()`, which has caps
 * in all three places. The unit tests of caps.test.ts broke slot caps only, and
 * the rich state had no cap in a message: a CAP-1 that skipped message caps, a
 * CAP-3 blind to descendants left in messages and a CAP-4 that compared a
 * message place by its endpoint alone all passed them.
 * @module
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as O from 'fp-ts/lib/Option.js'
import { checkCap1, checkCap3, checkCap4 } from '../../spec/invariants/caps.js'
import { checkState } from '../../spec/invariants/index.js'
import type { Cap, CapLocation, KernelObject, KernelState } from '../../model/state.js'
import { revokeCap } from '../../model/cdt.js'
import { UNIT_OK, edit, found, stepOf } from './_fixtures.js'
import { descendantsOf } from '../model/fixtures.js'
import { everyKindState } from './_world.js'

const started = Date.now()
const met = new Map<string, number>()
const count = (what: string) => met.set(what, (met.get(what) ?? 0) + 1)

/** Every cap of a state with the place it lives in. */
const capsOf = (state: KernelState): Cap[] => [...state.ksCaps.values()]

test('every invariant holds in the every-kind state, and it has caps in slots, tables and messages', () => {
  const state = everyKindState()
  assert.equal(checkState(state), [])
  const places = new Set(capsOf(state).map((cap) => cap.at.place))
  assert.equal([...places].sort(), ['message', 'slot', 'table'])
})

test('CAP-1, every place: a parent link to no cap, or to a cap of another object, is reported for a cap in a slot, a table or a message', () => {
  const state = everyKindState()
  for (const cap of capsOf(state)) {
    const missing = found(checkCap1(edit(state, (work) => work.ksCaps.set(cap.id, { ...cap, parent: 999 }))), 'CAP-1')
    assert.is(missing.witness['cap'], cap.id, `missing parent of cap ${cap.id} at ${cap.at.place}`)
    const other = capsOf(state).find((candidate) => candidate.object !== cap.object)!
    const wrong = found(checkCap1(edit(state, (work) => work.ksCaps.set(cap.id, { ...cap, parent: other.id }))), 'CAP-1')
    assert.is(wrong.witness['cap'], cap.id, `parent of another object for cap ${cap.id} at ${cap.at.place}`)
    count(`CAP-1 ${cap.at.place}`)
  }
})

/** Another place of the same kind as `at`: the next slot of the process, another key of the table, another seq on the endpoint. */
function neighbour(at: CapLocation): CapLocation {
  switch (at.place) {
    case 'slot': return { ...at, slot: at.slot + 1 }
    case 'table': return { ...at, key: `${at.key}~` }
    case 'message': return { ...at, seq: at.seq + 1 }
  }
}

test('CAP-4, every place: a cap that records a neighbouring place of its own kind (slot, key, seq) is reported', () => {
  const state = everyKindState()
  for (const cap of capsOf(state)) {
    const moved = edit(state, (work) => work.ksCaps.set(cap.id, { ...cap, at: neighbour(cap.at) }))
    const v = found(checkCap4(moved), 'CAP-4')
    assert.is(v.witness['cap'], cap.id, `cap ${cap.id} at ${cap.at.place}`)
    count(`CAP-4 ${cap.at.place}`)
  }
})

/** The caller ref and slot through which a process holds `cap`, if it is a slot cap of a process. */
function holder(state: KernelState, cap: Cap): { caller: number; slot: number } | undefined {
  if (cap.at.place !== 'slot') return undefined
  const process = state.ksObjects.get(cap.at.process)
  return process?.kind === 'process' && process.status === 'running' ? { caller: process.ref, slot: cap.at.slot } : undefined
}


test('CAP-3, every place: a revoke that leaves any one descendant, in a slot, a table or a message, is reported', () => {
  const state = everyKindState()
  for (const cap of capsOf(state)) {
    const where = holder(state, cap)
    if (where === undefined) continue
    const revoke = { kind: 'cap_revoke', ...where }
    const revoked = edit(state, (work) => revokeCap(work, cap.id))
    assert.ok(O.isNone(checkCap3(stepOf(state, revoke, UNIT_OK, revoked))), `a real revoke of cap ${cap.id}`)
    for (const left of descendantsOf(state, cap.id)) {
      // The descendant stays where it was, with its parent link; everything else is revoked.
      const after = edit(revoked, (work) => {
        work.ksCaps.set(left.id, left)
        if (left.parent !== cap.id) work.ksCaps.set(left.id, { ...left, parent: cap.id })
      })
      const v = found(checkCap3(stepOf(state, revoke, UNIT_OK, after)), 'CAP-3')
      const named = [...((v.witness['descendants'] ?? v.witness['survivors']) as number[])]
      assert.ok(named.includes(left.id), `cap ${left.id} at ${left.at.place} left after revoking ${cap.id}: ${v.message}`)
      count(`CAP-3 ${left.at.place}`)
    }
  }
})

/** A place of the same kind as `at`, empty in `state`: a free slot of the process, a new key of the table, a new message on the endpoint. */
function freePlaceBeside(state: KernelState, at: CapLocation): CapLocation {
  switch (at.place) {
    case 'slot': {
      const process = state.ksObjects.get(at.process) as Extract<KernelObject, { kind: 'process' }>
      return { ...at, slot: process.slots.findIndex((cap) => cap === null) }
    }
    case 'table': return { ...at, key: `${at.key}~` }
    case 'message': return { ...at, seq: state.ksMessageSeqNext }
  }
}

/** `state` with `cap` written at `at` as well (a message is queued there for it). */
function holdAlsoAt(state: KernelState, at: CapLocation, cap: number): KernelState {
  return edit(state, (work) => {
    switch (at.place) {
      case 'slot': {
        const process = work.ksObjects.get(at.process) as Extract<KernelObject, { kind: 'process' }>
        work.ksObjects.set(process.id, { ...process, slots: process.slots.map((held, slot) => (slot === at.slot ? cap : held)) })
        return
      }
      case 'table': {
        const table = work.ksNamespaces.get(at.namespace)!
        work.ksNamespaces.set(at.namespace, { ...table, entries: new Map([...table.entries, [at.key, cap]]) })
        return
      }
      case 'message': {
        const endpoint = work.ksObjects.get(at.endpoint) as Extract<KernelObject, { kind: 'endpoint' }>
        work.ksObjects.set(endpoint.id, { ...endpoint, queue: [...endpoint.queue, { seq: at.seq, payload: 0, badge: 0, cap }] })
      }
    }
  })
}

test('CAP-4, every place: a cap held twice, at its own place and at another of the same kind (slot, key, message of one endpoint), is reported', () => {
  const state = everyKindState()
  for (const cap of capsOf(state)) {
    const twice = freePlaceBeside(state, cap.at)
    assert.ok(twice.place !== 'slot' || twice.slot >= 0, `no free slot beside cap ${cap.id}`)
    const v = found(checkCap4(holdAlsoAt(state, twice, cap.id)), 'CAP-4')
    assert.equal([v.witness['cap'], v.witness['heldAt']], [cap.id, twice], `cap ${cap.id} at ${cap.at.place}`)
    count(`CAP-4 twice ${cap.at.place}`)
  }
})

test('CAP-3, every place: a revoke after which the cap has a new descendant, in a slot, a table or a message, is reported', () => {
  const state = everyKindState()
  for (const cap of capsOf(state)) {
    const where = holder(state, cap)
    if (where === undefined) continue
    const revoked = edit(state, (work) => revokeCap(work, cap.id))
    // A place of each kind: a free slot of the caller, a new key of the root's mount table, a new message on EP.
    const places: CapLocation[] = [
      freePlaceBeside(revoked, cap.at),
      { place: 'table', namespace: 1, key: '/new' },
      { place: 'message', endpoint: 5, seq: revoked.ksMessageSeqNext },
    ]
    for (const at of places) {
      const fresh = revoked.ksCapNext
      const after = edit(holdAlsoAt(revoked, at, fresh), (work) => {
        work.ksCaps.set(fresh, { id: fresh, object: cap.object, rights: 0, badge: cap.badge, parent: cap.id, at })
      })
      const v = found(checkCap3(stepOf(state, { kind: 'cap_revoke', ...where }, UNIT_OK, after)), 'CAP-3')
      assert.equal(v.witness['descendants'], [fresh], `a new child of cap ${cap.id} at ${at.place}`)
      count(`CAP-3 new ${at.place}`)
    }
  }
})

test('coverage: each invariant met a cap in each place (floors asserted)', () => {
  const seconds = (Date.now() - started) / 1000
  console.log(`  places: ${[...met].sort().map(([what, n]) => `${what} ${n}`).join(', ')} (${seconds.toFixed(1)} s)`)
  for (const invariant of ['CAP-1', 'CAP-4', 'CAP-4 twice', 'CAP-3', 'CAP-3 new']) {
    for (const place of ['slot', 'table', 'message']) assert.ok((met.get(`${invariant} ${place}`) ?? 0) >= 1, `${invariant} never met a cap in a ${place}`)
  }
  assert.ok((met.get('CAP-1 slot') ?? 0) >= 10, 'CAP-1 met fewer than 10 slot caps')
})

test.run()
