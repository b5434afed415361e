import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { step } from '../../model/step.js'
import { R_CONTROL, R_GRANT, R_READ, R_WRITE } from '../../spec/rights.js'
import type { KernelState } from '../../model/state.js'
import {
  DISK_SLOT, INIT, INIT_ID, ROOT, bootWith, capAt, expectOk, failsWith, limits, must, mustCapAt, run, sc, succeeds, usageOf, world,
} from './fixtures.js'

function endpointOf(state: KernelState, ref: number, slot: number) {
  const object = state.ksObjects.get(mustCapAt(state, ref, slot).object)
  if (object?.kind !== 'endpoint') throw new Error('test: not an endpoint')
  return object
}

// ---- ep_create -------------------------------------------------------------------------------

const create = suite('ep_create')

create('success: an endpoint of the given depth charged to the caller\'s container; the original has read, write, grant', () => {
  const before = bootWith()
  const { state, reply } = succeeds(before, sc.epCreate(INIT, 5, 3))
  assert.equal(reply, { kind: 'unit' })
  const cap = mustCapAt(state, INIT, 5)
  assert.equal([cap.rights, cap.parent, cap.badge], [R_READ | R_WRITE | R_GRANT, null, 0])
  assert.equal(state.ksObjects.get(cap.object), { kind: 'endpoint', id: before.ksObjectNext, owner: ROOT, depth: 3, queue: [] })
  assert.equal(usageOf(state, ROOT), { memoryBytes: 0, processes: 1, endpoints: 1, cpuBudget: 1, ioBytes: 0 })
})
create('InvalidArgument: depth 0, too deep, negative, a string', () => {
  for (const depth of [0, 4097, -1, 'x', 2.5]) failsWith(bootWith(), { ...sc.epCreate(INIT, 5), depth }, 'InvalidArgument')
})
create('InvalidSlot dst', () => { failsWith(bootWith(), sc.epCreate(INIT, 16), 'InvalidSlot') })
create('SlotOccupied dst', () => { failsWith(bootWith(), sc.epCreate(INIT, DISK_SLOT), 'SlotOccupied') })
create('QuotaExceeded(endpoints)', () => {
  const w = world({ limits: limits({ endpoints: 1 }) })
  const state = must(w.state, sc.epCreate(w.child, 0))
  failsWith(state, sc.epCreate(w.child, 1), 'QuotaExceeded', 'endpoints')
})
create('precedence: occupied dst AND no endpoints left → SlotOccupied', () => {
  const w = world({ limits: limits({ endpoints: 0 }) })
  failsWith(must(w.state, sc.alloc(w.child, 1, 0)), sc.epCreate(w.child, 0), 'SlotOccupied')
})
create.run()

// ---- ep_send --------------------------------------------------------------------------------

const send = suite('ep_send')

send('success: a message at the tail with the payload and the sender cap\'s badge', () => {
  const before = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['write'], 9))
  const { state, reply } = succeeds(before, sc.send(INIT, 5, 'hello'))
  assert.equal(reply, { kind: 'unit' })
  const s2 = must(state, sc.send(INIT, 6, 7))
  assert.equal(endpointOf(s2, INIT, 5).queue, [
    { seq: 0, payload: 'hello', badge: 0, cap: null },
    { seq: 1, payload: 7, badge: 9, cap: null },
  ])
  assert.equal(s2.gsMessages, { sent: 2, received: 0, discarded: 0 })
  assert.is(s2.ksMessageSeqNext, 2)
})
send('success with a transfer: a child of the xfer cap with the same rights waits in the message; the sender keeps its cap', () => {
  const before = must(bootWith(), sc.epCreate(INIT, 5), sc.alloc(INIT, 10, 7))
  const source = mustCapAt(before, INIT, 7)
  const state = must(before, sc.send(INIT, 5, 1, 7))
  const [message] = endpointOf(state, INIT, 5).queue
  assert.ok(message !== undefined && message.cap !== null)
  const carried = state.ksCaps.get(message!.cap!)!
  assert.equal(carried, {
    id: before.ksCapNext, object: source.object, rights: R_READ | R_WRITE | R_CONTROL, badge: 0, parent: source.id,
    at: { place: 'message', endpoint: mustCapAt(state, INIT, 5).object, seq: 0 },
  })
  assert.equal(mustCapAt(state, INIT, 7), source)
})
send('success: transferring the endpoint\'s own cap (xfer = slot)', () => {
  const state = must(bootWith(), sc.epCreate(INIT, 5), sc.send(INIT, 5, 0, 5))
  const message = endpointOf(state, INIT, 5).queue[0]!
  assert.is(state.ksCaps.get(message.cap!)!.parent, mustCapAt(state, INIT, 5).id)
})
send('InvalidArgument: payloads negative, too large, fractional, too long, of the wrong type; xfer negative', () => {
  const b = must(bootWith(), sc.epCreate(INIT, 5))
  for (const payload of [-1, 2 ** 31, 1.5, NaN, 'x'.repeat(4097), { a: 1 }, null, [1], true]) {
    failsWith(b, { ...sc.send(INIT, 5), payload }, 'InvalidArgument')
  }
  failsWith(b, { ...sc.send(INIT, 5), xfer: -1 }, 'InvalidArgument')
  failsWith(b, { kind: 'ep_send', caller: INIT, slot: 5 }, 'InvalidArgument')
  expectOk(step(b, sc.send(INIT, 5, 'x'.repeat(4096))).outcome)
  expectOk(step(b, sc.send(INIT, 5, 2 ** 31 - 1)).outcome)
})
send('InvalidSlot', () => { failsWith(bootWith(), sc.send(INIT, 16), 'InvalidSlot') })
send('EmptySlot', () => { failsWith(bootWith(), sc.send(INIT, 5), 'EmptySlot') })
send('WrongKind', () => { failsWith(bootWith(), sc.send(INIT, DISK_SLOT), 'WrongKind') })
send('InsufficientRights: no write; a transfer without grant', () => {
  const b = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['read', 'grant']), sc.copy(INIT, 5, 7, ['write']))
  failsWith(b, sc.send(INIT, 6), 'InsufficientRights')
  failsWith(b, sc.send(INIT, 7, 0, DISK_SLOT), 'InsufficientRights')
  expectOk(step(b, sc.send(INIT, 7)).outcome)
})
send('xfer slot: InvalidSlot, EmptySlot', () => {
  const b = must(bootWith(), sc.epCreate(INIT, 5))
  failsWith(b, sc.send(INIT, 5, 0, 16), 'InvalidSlot')
  failsWith(b, sc.send(INIT, 5, 0, 9), 'EmptySlot')
})
send('QueueFull: nothing changes but the CPU charge', () => {
  const b = must(bootWith(), sc.epCreate(INIT, 5, 1), sc.alloc(INIT, 10, 6), sc.send(INIT, 5, 1))
  failsWith(b, sc.send(INIT, 5, 2), 'QueueFull')
  failsWith(b, sc.send(INIT, 5, 2, 6), 'QueueFull')
})
send('precedence: no grant AND empty xfer → InsufficientRights; empty xfer AND full queue → EmptySlot; wrong kind AND invalid xfer → WrongKind', () => {
  const b = must(bootWith(), sc.epCreate(INIT, 5, 1), sc.copy(INIT, 5, 6, ['write']), sc.send(INIT, 5))
  failsWith(b, sc.send(INIT, 6, 0, 9), 'InsufficientRights')
  failsWith(b, sc.send(INIT, 5, 0, 9), 'EmptySlot')
  failsWith(b, sc.send(INIT, DISK_SLOT, 0, 99), 'WrongKind')
})
send.run()

// ---- ep_recv --------------------------------------------------------------------------------

const recv = suite('ep_recv')

recv('success: the head message, FIFO, with payload and badge; no cap', () => {
  const before = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['write'], 3), sc.send(INIT, 5, 'a'), sc.send(INIT, 6, 'b'), sc.send(INIT, 5, 'c'))
  const r = run(before, sc.recv(INIT, 5), sc.recv(INIT, 5, 9), sc.recv(INIT, 5, DISK_SLOT))
  assert.equal(r.outcomes.map(expectOk), [
    { kind: 'message', payload: 'a', badge: 0, cap: 'none' },
    { kind: 'message', payload: 'b', badge: 3, cap: 'none' },
    { kind: 'message', payload: 'c', badge: 0, cap: 'none' },
  ])
  assert.equal(endpointOf(r.state, INIT, 5).queue, [])
  assert.equal(r.state.gsMessages, { sent: 3, received: 3, discarded: 0 })
  assert.is(r.state.gsLastReceived.get(mustCapAt(r.state, INIT, 5).object), 2)
  assert.is(capAt(r.state, INIT, 9), undefined)
})
recv('success: a carried cap lands in dst, the same cap keeping its CDT place', () => {
  const before = must(bootWith(), sc.epCreate(INIT, 5), sc.alloc(INIT, 10, 7), sc.send(INIT, 5, 1, 7))
  const inMessage = endpointOf(before, INIT, 5).queue[0]!.cap!
  const { state, reply } = succeeds(before, sc.recv(INIT, 5, 8))
  assert.equal(reply, { kind: 'message', payload: 1, badge: 0, cap: 'received' })
  const landed = mustCapAt(state, INIT, 8)
  assert.is(landed.id, inMessage)
  assert.is(landed.parent, mustCapAt(state, INIT, 7).id)
  assert.is(landed.rights, R_READ | R_WRITE | R_CONTROL)
  assert.equal(landed.at, { place: 'slot', process: INIT_ID, slot: 8 })
})
recv('success: a carried cap with no dst, or an occupied dst (the endpoint\'s own slot included), is dropped', () => {
  const before = must(bootWith(), sc.epCreate(INIT, 5), sc.alloc(INIT, 10, 7), sc.send(INIT, 5, 1, 7), sc.send(INIT, 5, 2, 7), sc.send(INIT, 5, 3, 7))
  const r = run(before, sc.recv(INIT, 5), sc.recv(INIT, 5, 7), sc.recv(INIT, 5, 5))
  assert.equal(r.outcomes.map((o) => { const m = expectOk(o); return m.kind === 'message' && [m.payload, m.cap] }), [[1, 'dropped'], [2, 'dropped'], [3, 'dropped']])
  // only the sender's original cap to the region is left, and the region lives on it
  const region = mustCapAt(r.state, INIT, 7).object
  assert.equal([...r.state.ksCaps.values()].filter((c) => c.object === region).map((c) => c.id), [mustCapAt(r.state, INIT, 7).id])
  assert.is(usageOf(r.state, ROOT).memoryBytes, 10)
})
recv('InvalidSlot', () => { failsWith(bootWith(), sc.recv(INIT, 16), 'InvalidSlot') })
recv('EmptySlot', () => { failsWith(bootWith(), sc.recv(INIT, 5), 'EmptySlot') })
recv('WrongKind', () => { failsWith(bootWith(), sc.recv(INIT, DISK_SLOT), 'WrongKind') })
recv('InsufficientRights: no read', () => {
  const b = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['write', 'grant']), sc.send(INIT, 5))
  failsWith(b, sc.recv(INIT, 6), 'InsufficientRights')
})
recv('InvalidSlot dst past the CSpace', () => {
  failsWith(must(bootWith(), sc.epCreate(INIT, 5), sc.send(INIT, 5)), sc.recv(INIT, 5, 16), 'InvalidSlot')
})
recv('QueueEmpty', () => { failsWith(must(bootWith(), sc.epCreate(INIT, 5)), sc.recv(INIT, 5), 'QueueEmpty') })
recv('InvalidArgument: dst negative or a string', () => {
  const b = must(bootWith(), sc.epCreate(INIT, 5), sc.send(INIT, 5))
  failsWith(b, { ...sc.recv(INIT, 5), dst: -1 }, 'InvalidArgument')
  failsWith(b, { ...sc.recv(INIT, 5), dst: '8' }, 'InvalidArgument')
})
recv('precedence: invalid dst AND empty queue → InvalidSlot; no read AND empty queue → InsufficientRights', () => {
  const b = must(bootWith(), sc.epCreate(INIT, 5), sc.copy(INIT, 5, 6, ['write']))
  failsWith(b, sc.recv(INIT, 5, 16), 'InvalidSlot')
  failsWith(b, sc.recv(INIT, 6), 'InsufficientRights')
})
recv.run()
