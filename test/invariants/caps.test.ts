import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as O from 'fp-ts/lib/Option.js'
import { R_ALL, R_CONTROL, R_EXECUTE, R_GRANT, R_READ, R_WRITE } from '../../spec/rights.js'
import { checkCap1, checkCap2, checkCap3, checkCap4, checkObj1, findParentCycle } from '../../spec/invariants/caps.js'
import { revokeCap } from '../../model/cdt.js'
import type { KernelObject } from '../../model/state.js'
import {
  CAP_EP, CAP_MOUNT_ENTRY, CAP_P, CAP_P_EP, CAP_PORT_ENTRY, CAP_REGION, EP, FAILED, INIT, P, REGION, UNIT_OK,
  bootState, edit, found, patchCap, patchObject, richState, slotAt, stepOf,
} from './_fixtures.js'

type Endpoint = Extract<KernelObject, { kind: 'endpoint' }>
type Process = Extract<KernelObject, { kind: 'process' }>

// ---- CAP-1 -----------------------------------------------------------------

test('CAP-1 holds in the boot state and the rich state', () => {
  assert.ok(O.isNone(checkCap1(bootState())))
  assert.ok(O.isNone(checkCap1(richState())))
})

test('CAP-1 reports a parent link to a missing cap', () => {
  const state = edit(richState(), (work) => patchCap(work, CAP_P_EP, (cap) => ({ ...cap, parent: 99 })))
  const v = found(checkCap1(state), 'CAP-1')
  assert.equal(v.witness, { cap: CAP_P_EP, object: EP, parent: 99 })
})

test('CAP-1 reports a parent naming another object', () => {
  const state = edit(richState(), (work) => patchCap(work, CAP_MOUNT_ENTRY, (cap) => ({ ...cap, parent: CAP_EP })))
  const v = found(checkCap1(state), 'CAP-1')
  assert.equal(v.witness, { cap: CAP_MOUNT_ENTRY, object: REGION, parent: CAP_EP, parentObject: EP })
})

test('CAP-1 reports a parent cycle with the caps on it', () => {
  const state = edit(richState(), (work) => patchCap(work, CAP_EP, (cap) => ({ ...cap, parent: CAP_PORT_ENTRY })))
  const v = found(checkCap1(state), 'CAP-1')
  assert.equal([...(v.witness['caps'] as number[])].sort((a, b) => a - b), [CAP_EP, CAP_PORT_ENTRY])
  assert.is(v.witness['object'], EP)
  assert.is(findParentCycle(richState()), undefined)
})

// ---- CAP-2 -----------------------------------------------------------------

test('CAP-2 holds in the boot state and the rich state', () => {
  assert.ok(O.isNone(checkCap2(bootState())))
  assert.ok(O.isNone(checkCap2(richState())))
})

test('CAP-2 reports a child with rights beyond its parent', () => {
  const state = edit(richState(), (work) => patchCap(work, CAP_EP, (cap) => ({ ...cap, rights: R_WRITE })))
  const v = found(checkCap2(state), 'CAP-2')
  assert.equal(v.witness, { cap: CAP_PORT_ENTRY, parent: CAP_EP, object: EP, rights: ['read', 'write'], parentRights: ['write'] })
})

test("CAP-2 reports a cap beyond its kind's original rights", () => {
  const state = edit(richState(), (work) => patchCap(work, CAP_EP, (cap) => ({ ...cap, rights: R_ALL })))
  const v = found(checkCap2(state), 'CAP-2')
  assert.equal(v.witness, { cap: CAP_EP, object: EP, kind: 'endpoint', rights: ['read', 'write', 'execute', 'grant', 'control'], allowed: ['read', 'write', 'grant'] })
})

/** kernel.md's original rights by kind, written out here rather than read from the code under test (a device cap carries write at most). */
const ORIGINAL: Readonly<Record<KernelObject['kind'], ReadonlyArray<string>>> = {
  container: ['read', 'write', 'execute', 'grant', 'control'], process: ['read', 'write', 'execute', 'grant', 'control'],
  region: ['read', 'write', 'control'], endpoint: ['read', 'write', 'grant'], device: ['write'],
}
const RIGHT_BITS: ReadonlyArray<[string, number]> = [['read', R_READ], ['write', R_WRITE], ['execute', R_EXECUTE], ['grant', R_GRANT], ['control', R_CONTROL]]

test('CAP-2, every kind: a root cap given any one right beyond its kind\'s original rights is reported, and each kind is met', () => {
  const kinds = new Set<string>()
  let cases = 0
  for (const state of [bootState(), richState()]) {
    for (const cap of state.ksCaps.values()) {
      const object = state.ksObjects.get(cap.object)
      if (cap.parent !== null || object === undefined || (object.kind === 'region' && object.executable)) continue
      for (const [right, bit] of RIGHT_BITS) {
        if (ORIGINAL[object.kind].includes(right)) continue
        const v = found(checkCap2(edit(state, (work) => patchCap(work, cap.id, (c) => ({ ...c, rights: c.rights | bit })))), 'CAP-2')
        assert.is(v.witness['cap'], cap.id, `${object.kind} cap ${cap.id} with ${right}`)
        kinds.add(object.kind)
        cases++
      }
    }
  }
  assert.equal([...kinds].sort(), ['device', 'endpoint', 'region'], `${cases} cases; containers and processes may carry every right`)
})

test('CAP-2 reads an executable region as read, execute, control', () => {
  const state = edit(richState(), (work) => patchObject<Extract<KernelObject, { kind: 'region' }>>(work, REGION, (r) => ({ ...r, executable: true })))
  const v = found(checkCap2(state), 'CAP-2')
  assert.is(v.witness['cap'], CAP_REGION)
  assert.equal(v.witness['allowed'], ['read', 'execute', 'control'])
})

test('CAP-2 reports a badge on a non-endpoint cap', () => {
  const state = edit(richState(), (work) => patchCap(work, CAP_REGION, (cap) => ({ ...cap, badge: 3 })))
  const v = found(checkCap2(state), 'CAP-2')
  assert.equal(v.witness, { cap: CAP_REGION, object: REGION, kind: 'region', badge: 3 })
})

test("CAP-2 reports a child that changed its badged parent's badge", () => {
  const state = edit(richState(), (work) => {
    patchCap(work, CAP_EP, (cap) => ({ ...cap, badge: 5 }))
    patchCap(work, CAP_P_EP, (cap) => ({ ...cap, badge: 6 }))
  })
  const v = found(checkCap2(state), 'CAP-2')
  assert.equal(v.witness, { cap: CAP_P_EP, parent: CAP_EP, object: EP, badge: 6, parentBadge: 5 })
})

test('CAP-2 lets an unbadged parent have a badged child', () => {
  const state = edit(richState(), (work) => patchCap(work, CAP_P_EP, (cap) => ({ ...cap, badge: 6 })))
  assert.ok(O.isNone(checkCap2(state)))
})

// ---- CAP-3 -----------------------------------------------------------------

const revokeEp = { kind: 'cap_revoke', caller: 0, slot: 4 }

test('CAP-3 holds for a revoke in the boot state and a real revoke in the rich state', () => {
  assert.ok(O.isNone(checkCap3(stepOf(bootState(), { kind: 'cap_revoke', caller: 0, slot: 0 }, UNIT_OK, bootState()))))
  const after = edit(richState(), (work) => revokeCap(work, CAP_EP))
  assert.ok(O.isNone(checkCap3(stepOf(richState(), revokeEp, UNIT_OK, after))))
})

test('CAP-3 reports descendants left after a revoke', () => {
  const v = found(checkCap3(stepOf(richState(), revokeEp, UNIT_OK, richState())), 'CAP-3')
  assert.is(v.witness['cap'], CAP_EP)
  assert.is(v.witness['process'], INIT)
  assert.equal([...(v.witness['descendants'] as number[])].sort((a, b) => a - b), [CAP_P_EP, CAP_PORT_ENTRY])
})

test('CAP-3 reports a revoked cap that is gone', () => {
  const after = edit(richState(), (work) => {
    revokeCap(work, CAP_EP)
    work.ksCaps.delete(CAP_EP)
    patchObject<Process>(work, INIT, (init) => ({ ...init, slots: init.slots.map((c) => (c === CAP_EP ? null : c)) }))
  })
  const v = found(checkCap3(stepOf(richState(), revokeEp, UNIT_OK, after)), 'CAP-3')
  assert.equal(v.witness, { caller: 0, slot: 4, process: INIT, cap: null })
})

test('CAP-3 reports descendants a revoke cut loose from the tree instead of removing them', () => {
  // The revoke removes one descendant and leaves the other as a root (impl mutant revoke-misses-messages).
  const after = edit(richState(), (work) => {
    revokeCap(work, CAP_EP)
    work.ksCaps.set(CAP_PORT_ENTRY, { ...richState().ksCaps.get(CAP_PORT_ENTRY)!, parent: null })
  })
  const v = found(checkCap3(stepOf(richState(), revokeEp, UNIT_OK, after)), 'CAP-3')
  assert.is(v.witness['cap'], CAP_EP)
  assert.equal(v.witness['survivors'], [CAP_PORT_ENTRY])
})

test('CAP-3 ignores failed revokes, other syscalls and malformed ones', () => {
  assert.ok(O.isNone(checkCap3(stepOf(richState(), revokeEp, FAILED, richState()))))
  assert.ok(O.isNone(checkCap3(stepOf(richState(), { kind: 'cap_delete', caller: 0, slot: 4 }, UNIT_OK, richState()))))
  assert.ok(O.isNone(checkCap3(stepOf(richState(), 'cap_revoke', UNIT_OK, richState()))))
})

// ---- CAP-4 -----------------------------------------------------------------

test('CAP-4 holds in the boot state and the rich state', () => {
  assert.ok(O.isNone(checkCap4(bootState())))
  assert.ok(O.isNone(checkCap4(richState())))
})

test('CAP-4 reports a cap naming an object that is not live', () => {
  const state = edit(richState(), (work) => work.ksObjects.delete(REGION))
  const v = found(checkCap4(state), 'CAP-4')
  assert.equal(v.witness, { cap: CAP_REGION, object: REGION, at: slotAt(INIT, 5) })
})

test('CAP-4 reports a cap whose slot does not hold it', () => {
  const state = edit(richState(), (work) => patchObject<Process>(work, INIT, (init) => ({ ...init, slots: init.slots.map((c) => (c === CAP_P ? null : c)) })))
  const v = found(checkCap4(state), 'CAP-4')
  assert.equal(v.witness, { cap: CAP_P, object: P, at: slotAt(INIT, 6), held: null })
})

test('CAP-4 reports a slot holding a cap that does not exist', () => {
  const state = edit(richState(), (work) => patchObject<Process>(work, P, (p) => ({ ...p, slots: [CAP_P_EP, 42, null, null] })))
  const v = found(checkCap4(state), 'CAP-4')
  assert.equal(v.witness, { cap: 42, at: slotAt(P, 1) })
})

test('CAP-4 reports a queued message holding a cap that sits elsewhere', () => {
  const state = edit(richState(), (work) => patchObject<Endpoint>(work, EP, (e) => ({ ...e, queue: [{ ...e.queue[0]!, cap: CAP_P_EP }] })))
  const v = found(checkCap4(state), 'CAP-4')
  assert.equal(v.witness, { cap: CAP_P_EP, object: EP, at: slotAt(P, 0), heldAt: { place: 'message', endpoint: EP, seq: 1 } })
})

test('CAP-4 reports a table entry whose cap says it is elsewhere', () => {
  const state = edit(richState(), (work) => patchCap(work, CAP_MOUNT_ENTRY, (cap) => ({ ...cap, at: { place: 'table', namespace: 7, key: '/other' } })))
  const v = found(checkCap4(state), 'CAP-4')
  assert.equal(v.witness, { cap: CAP_MOUNT_ENTRY, object: REGION, at: { place: 'table', namespace: 7, key: '/other' }, held: null })
})

// ---- OBJ-1 -----------------------------------------------------------------

test('OBJ-1 holds in the boot state (root and init pinned) and the rich state', () => {
  assert.ok(O.isNone(checkObj1(bootState())))
  assert.ok(O.isNone(checkObj1(richState())))
})

test('OBJ-1 reports a live object that no cap names', () => {
  const state = edit(richState(), (work) => work.ksObjects.set(50, { kind: 'region', id: 50, owner: 0, sizeBytes: 1, executable: false }))
  const v = found(checkObj1(state), 'OBJ-1')
  assert.equal(v.witness, { object: 50, kind: 'region', owner: 0 })
})

test('OBJ-1, every kind: a live object of any kind that no cap names is reported (pinned root and init aside)', () => {
  const state = richState()
  const kinds = new Set<string>()
  for (const object of state.ksObjects.values()) {
    if (object.id === state.ksRoot || object.id === INIT) continue
    // Every cap naming it removed (slots, queues and tables keep their entries: OBJ-1 is about the object).
    const unnamed = edit(state, (work) => { for (const cap of [...work.ksCaps.values()]) if (cap.object === object.id) work.ksCaps.delete(cap.id) })
    const v = found(checkObj1(unnamed), 'OBJ-1')
    assert.is(v.witness['object'], object.id, `${object.kind} ${object.id}`)
    kinds.add(object.kind)
  }
  assert.equal([...kinds].sort(), ['container', 'device', 'endpoint', 'process', 'region'])
})

test('OBJ-1 reports a named object that is not live', () => {
  const state = edit(richState(), (work) => work.ksObjects.delete(REGION))
  const v = found(checkObj1(state), 'OBJ-1')
  assert.equal(v.witness, { object: REGION, caps: [CAP_REGION, CAP_MOUNT_ENTRY] })
})

test('OBJ-1 reports a pinned object that is gone', () => {
  const state = edit(bootState(), (work) => work.ksObjects.delete(INIT))
  const v = found(checkObj1(state), 'OBJ-1')
  assert.equal(v.witness, { object: INIT })
})

test('OBJ-1 keeps a zero-rights cap enough to keep its object', () => {
  const state = edit(richState(), (work) => patchCap(work, CAP_MOUNT_ENTRY, (cap) => ({ ...cap, rights: 0 })))
  assert.ok(O.isNone(checkObj1(state)))
  assert.ok(O.isNone(checkCap2(state)))
})

test.run()
