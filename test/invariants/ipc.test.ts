import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as O from 'fp-ts/lib/Option.js'
import { checkIpc1, checkIpc2 } from '../../spec/invariants/ipc.js'
import type { KernelObject, Message } from '../../model/state.js'
import { EP, ROOT, bootState, edit, found, patchObject, richState } from './_fixtures.js'

type Endpoint = Extract<KernelObject, { kind: 'endpoint' }>

const message = (seq: number): Message => ({ seq, payload: seq, badge: 0, cap: null })

/** The rich state with EP's queue replaced and the ledger's `sent` set to balance it. */
const withQueue = (seqs: number[], sent = 1 + seqs.length) => edit(richState(), (work) => {
  patchObject<Endpoint>(work, EP, (e) => ({ ...e, queue: seqs.map(message) }))
  work.gsMessages = { ...work.gsMessages, sent }
})

// ---- IPC-1 -----------------------------------------------------------------

test('IPC-1 holds in the boot state and the rich state', () => {
  assert.ok(O.isNone(checkIpc1(bootState())))
  assert.ok(O.isNone(checkIpc1(richState())))
  assert.ok(O.isNone(checkIpc1(withQueue([1, 2]))))
})

test('IPC-1 reports a queue longer than its depth', () => {
  const v = found(checkIpc1(withQueue([1, 2, 3])), 'IPC-1')
  assert.equal(v.witness, { endpoint: EP, owner: ROOT, length: 3, depth: 2 })
})

// ---- IPC-2 -----------------------------------------------------------------

test('IPC-2 holds in the boot state and the rich state', () => {
  assert.ok(O.isNone(checkIpc2(bootState())))
  assert.ok(O.isNone(checkIpc2(richState())))
  assert.ok(O.isNone(checkIpc2(withQueue([1, 4]))))
})

test('IPC-2 reports a message lost or duplicated (the ledger does not balance)', () => {
  const v = found(checkIpc2(withQueue([1, 2], 2)), 'IPC-2')
  assert.equal(v.witness, { sent: 2, received: 1, discarded: 0, queued: 2 })
  const lost = found(checkIpc2(withQueue([], 2)), 'IPC-2')
  assert.equal(lost.witness, { sent: 2, received: 1, discarded: 0, queued: 0 })
})

test('IPC-2 reports a queue out of send order', () => {
  const v = found(checkIpc2(withQueue([3, 2])), 'IPC-2')
  assert.equal(v.witness, { endpoint: EP, index: 1, seq: 2, previousSeq: 3 })
  const repeated = found(checkIpc2(withQueue([2, 2])), 'IPC-2')
  assert.equal(repeated.witness, { endpoint: EP, index: 1, seq: 2, previousSeq: 2 })
})

test('IPC-2 reports a queued message older than the last one received', () => {
  const state = edit(richState(), (work) => { work.gsLastReceived = new Map([[EP, 1]]) })
  const v = found(checkIpc2(state), 'IPC-2')
  assert.equal(v.witness, { endpoint: EP, seq: 1, lastReceived: 1 })
})

test.run()
