import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { implTarget } from '../../refinement/abstraction.js'
import type { RefinementTarget } from '../../refinement/target.js'
import { migrate, sameState, valueOf } from '../../pipeline/update/counter.js'
import { ReplyCodec, decode } from '../../pipeline/update/messages.js'
import { demoSchedule } from '../../pipeline/update/demo.js'
import { type UpdateEvent, type UpdateVariant, runScenario } from '../../pipeline/update/scenario.js'
import { DEMO_SYSTEM, POOL_SYSTEM } from '../../pipeline/update/system.js'
import { answeredExactlyOnce, clientView, noteAt } from './_support.js'

const impl = implTarget as unknown as RefinementTarget

/** The demo's run: clients send throughout, the update in the middle, on the impl in lockstep with the model. */
function demo(variant: UpdateVariant, seed = 5, clients = 3) {
  return runScenario(demoSchedule(seed, clients, variant), { system: DEMO_SYSTEM, clients, target: impl, timeline: true })
}

test('a successful update under load loses nothing: every accepted request is answered exactly once', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const run = demo('ok', seed)
    assert.is(run.failure, null, JSON.stringify(run.failure))
    assert.is(run.updates.length, 1)
    assert.is(run.updates[0]!.result, 'committed')
    const view = clientView(run.timeline)
    assert.ok(view.accepted.size >= 15, `seed ${seed}: ${view.accepted.size} requests accepted`)
    assert.is(answeredExactlyOnce(view), null)
    assert.is(run.stats.accepted, view.accepted.size, 'the monitor counted what the clients saw')
    assert.is(run.stats.answered, view.accepted.size)
    // Load during the update: requests were accepted while it ran and waited in the endpoint while its receive cap moved.
    assert.ok(run.stats.queuedDuringUpdate > 0, `seed ${seed}: nothing queued during the update`)
    assert.ok(run.stats.waitingAtHandoff > 0, `seed ${seed}: nothing waited in the endpoint at the hand-off`)
    // Both versions answered, and each reply carries the running total.
    const served = new Set([...view.replies.values()].flat().map((reply) => reply.served))
    assert.equal([...served].sort(), ['V1', 'V2'])
  }
})

test('the endpoint moves: V1 sends the receive cap with its snapshot, deletes its own, V2 receives it; requests queued meanwhile wait', () => {
  const run = demo('ok')
  const sent = noteAt(run.timeline, 'V1 sends its snapshot')
  const deleted = noteAt(run.timeline, 'V1 deletes its receive cap')
  const moved = noteAt(run.timeline, 'endpoint receive cap moved V1 → V2')
  const killed = noteAt(run.timeline, 'MM kills V1')
  assert.ok(sent > 0 && sent < deleted && deleted < moved && moved < killed, `${sent} < ${deleted} < ${moved} < ${killed}`)
  const snapshot = run.timeline[sent]!.syscall as { kind: string; xfer?: number }
  assert.is(snapshot.kind, 'ep_send')
  assert.type(snapshot.xfer, 'number', 'the snapshot carries a cap')
  const received = run.timeline[moved]!.outcome
  assert.ok(E.isRight(received) && received.right.kind === 'message' && received.right.cap === 'received')
  // Nobody answers between V1's hand-off and V2's take-over: requests wait in the endpoint.
  const replies = run.timeline.slice(sent + 1, moved).filter((entry) => decode(ReplyCodec, (entry.syscall as { payload?: unknown }).payload) !== null)
  assert.is(replies.length, 0)
})

test("after a successful update V2's state is migrate(V1's final state), and carries on from there", () => {
  const run = demo('ok')
  const update = run.updates[0]!
  assert.ok(update.finalOld !== null && update.ingested !== null && update.snapshot !== null)
  assert.equal(update.snapshot, update.finalOld, "V1's snapshot is its final state: it drained first")
  assert.equal(update.ingested, migrate(update.finalOld!))
  assert.is(run.serving?.name, 'V2')
  assert.is(run.serving?.module, 'counter-v2')
  const view = clientView(run.timeline)
  const byV2 = [...view.replies.values()].flat().filter((reply) => reply.served === 'V2')
  const total = [...view.accepted.values()].reduce((sum, request) => sum + request.n, 0)
  assert.equal(run.serving?.state, { total, ops: byV2.length }, 'V2 counts everything V1 counted plus what it applied')
  assert.is(run.value, total)
})

test('rollback: when V2 rejects the snapshot the receive cap goes back and V1 serves on with its state intact', () => {
  for (const seed of [1, 5]) {
    const run = demo('reject', seed)
    assert.is(run.failure, null, JSON.stringify(run.failure))
    const update = run.updates[0]!
    assert.is(update.result, 'rolled-back')
    assert.ok(update.snapshot !== null && update.resumed !== null)
    assert.ok(sameState(update.resumed, update.snapshot), "V1's state when it resumed is its state at hand-off")
    assert.ok(noteAt(run.timeline, 'V2 rejects the snapshot') > 0)
    assert.ok(noteAt(run.timeline, 'V1 resumes: endpoint receive cap moved back to it') > noteAt(run.timeline, 'V2 deletes its receive cap'))
    assert.is(run.serving?.name, 'V1')
    const view = clientView(run.timeline)
    assert.is(answeredExactlyOnce(view), null, 'clients see no gap: nothing lost')
    assert.ok([...view.replies.values()].flat().every((reply) => reply.served === 'V1'), 'V2 never answered')
    const total = [...view.accepted.values()].reduce((sum, request) => sum + request.n, 0)
    assert.is(valueOf(run.serving!.state), total)
    assert.ok(run.stats.waitingAtHandoff > 0)
  }
})

test('a V2 image the kernel refuses to spawn: the update is abandoned before V1 is asked anything', () => {
  const run = demo('refused')
  assert.is(run.failure, null, JSON.stringify(run.failure))
  assert.is(run.updates[0]!.result, 'refused-at-spawn')
  const spawn = run.timeline.find((entry) => entry.actor === 'MM' && (entry.syscall as { kind: string }).kind === 'process_spawn' && E.isLeft(entry.outcome))
  assert.ok(spawn !== undefined && E.isLeft(spawn.outcome) && spawn.outcome.left.code === 'SignatureInvalid')
  assert.is(noteAt(run.timeline, 'prepare-for-update'), -1)
  assert.is(answeredExactlyOnce(clientView(run.timeline)), null)
  assert.is(run.serving?.name, 'V1')
})

test('a run is deterministic, and the model alone executes exactly what the lockstep run executed', () => {
  const events = demoSchedule(9, 2, 'ok')
  const a = runScenario(events, { system: DEMO_SYSTEM, clients: 2, target: impl })
  const b = runScenario(events, { system: DEMO_SYSTEM, clients: 2 })
  assert.equal(a.executed, b.executed)
  assert.equal(a.stats, b.stats)
})

test('one client, eight clients, an update with no load at all', () => {
  for (const clients of [1, 8]) {
    const run = demo('ok', 3, clients)
    assert.is(run.failure, null, `${clients} clients: ${JSON.stringify(run.failure)}`)
    assert.is(answeredExactlyOnce(clientView(run.timeline)), null)
  }
  const quiet: UpdateEvent[] = [{ kind: 'operator', variant: 'ok' }]
  const run = runScenario(quiet, { target: impl, system: POOL_SYSTEM, timeline: true })
  assert.is(run.failure, null, JSON.stringify(run.failure))
  assert.is(run.updates[0]!.result, 'committed')
})

test('a second update after a rollback succeeds; a second update once V2 runs is declined', () => {
  const load = (events: UpdateEvent[]) => {
    for (let index = 0; index < 40; index++) events.push({ kind: 'client', client: index % 3, hint: index }, { kind: 'manager', hint: index, quanta: 3 }, { kind: 'server', instance: 'v1', hint: index }, { kind: 'server', instance: 'v2', hint: index })
    return events
  }
  const retried = runScenario(load([{ kind: 'operator', variant: 'reject' }, { kind: 'operator', variant: 'ok' }]), { target: impl, timeline: true })
  assert.is(retried.failure, null, JSON.stringify(retried.failure))
  assert.equal(retried.updates.map((update) => update.result), ['rolled-back', 'committed'])
  assert.is(retried.serving?.name, 'V2#2')
  assert.is(answeredExactlyOnce(clientView(retried.timeline)), null)
  const twice = runScenario(load([{ kind: 'operator', variant: 'ok' }, { kind: 'operator', variant: 'ok' }]), { target: impl, timeline: true })
  assert.is(twice.failure, null, JSON.stringify(twice.failure))
  assert.equal(twice.updates.map((update) => update.result), ['committed'])
  assert.ok(noteAt(twice.timeline, 'nothing to do for an update to counter-v2') > 0)
})

test.run()
