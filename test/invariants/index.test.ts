import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { INVARIANTS, INVARIANT_IDS, STATE_INVARIANTS, STEP_INVARIANTS, checkState, checkStep, invariantById } from '../../spec/invariants/index.js'
import { CAP_EP, EP, UNIT_OK, bootState, edit, patchObject, richState, stepOf } from './_fixtures.js'
import type { KernelObject } from '../../model/state.js'

type Endpoint = Extract<KernelObject, { kind: 'endpoint' }>

test('the registry lists every catalogue invariant once, in catalogue order', () => {
  assert.equal(INVARIANTS.map((inv) => inv.id), [...INVARIANT_IDS])
  assert.equal(STATE_INVARIANTS.length + STEP_INVARIANTS.length, INVARIANTS.length)
  assert.equal(STEP_INVARIANTS.map((inv) => inv.id), ['CAP-3', 'QUO-3', 'ISO-2', 'ISO-3', 'LIFE-1', 'IMG-2', 'SCHED-1'])
  for (const inv of INVARIANTS) assert.ok(inv.statement.length > 0, inv.id)
})

test('invariantById finds each invariant', () => {
  for (const id of INVARIANT_IDS) assert.is(invariantById(id).id, id)
})

test('checkState finds nothing in the boot state and the rich state', () => {
  assert.equal(checkState(bootState()), [])
  assert.equal(checkState(richState()), [])
})

test('checkState reports every broken state invariant, in catalogue order', () => {
  const state = edit(richState(), (work) => {
    patchObject<Endpoint>(work, EP, (e) => ({ ...e, queue: [...e.queue, { seq: 2, payload: 0, badge: 0, cap: null }, { seq: 3, payload: 0, badge: 0, cap: null }] }))
  })
  assert.equal(checkState(state).map((v) => v.invariant), ['IPC-1', 'IPC-2'])
})

test('checkStep runs the state invariants on the state after, then the step invariants', () => {
  const broken = edit(richState(), (work) => patchObject<Endpoint>(work, EP, (e) => ({ ...e, depth: 0 })))
  const violations = checkStep(stepOf(richState(), { kind: 'cap_revoke', caller: 0, slot: 4 }, UNIT_OK, broken))
  assert.equal(violations.map((v) => v.invariant), ['IPC-1', 'CAP-3'])
  assert.is(violations[1]!.witness['cap'], CAP_EP)
  assert.equal(checkStep(stepOf(bootState(), { kind: 'tick' }, UNIT_OK, bootState())).map((v) => v.invariant), checkState(bootState()).map((v) => v.invariant))
})

test.run()
