/**
 * The lockstep checker (refinement/lockstep.ts) and what it reports, on kernels with
 * planted divergences: the model itself (ModelKernel) with its outcome, its state,
 * its abstraction or its step changed at a chosen step. Each kind of divergence is
 * found at its step and described in words, the run stops there, and a kernel that
 * agrees runs every syscall.
 */
import { test } from 'uvu'
import * as assert from 'node:assert/strict'
import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { describeDivergence, Lockstep, runLockstep, type Divergence } from '../../refinement/lockstep.js'
import { ModelKernel, modelTarget } from '../../refinement/model-target.js'
import { UnreadableState, unreadablePart, type RefinementTarget } from '../../refinement/target.js'
import { boot } from '../../model/boot.js'
import { step as modelStep, type StepResult } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { IMAGE_POOL, PROPERTY_BOOT } from '../../properties/pool.js'
import { implTarget } from '../../refinement/abstraction.js'
import { syscallSequence, BALANCED, flatten } from '../../properties/generators.js'

const sequences = fc.sample(syscallSequence(BALANCED, 12), { numRuns: 4, seed: 11 }).map((fragments) => flatten(fragments, 20)).filter((s) => s.length >= 6)

/** The model as a target, with its step function replaced by `stepOf` (a fresh one per kernel). */
function plantedTarget(stepOf: () => (state: KernelState, syscall: unknown) => StepResult, abstraction: RefinementTarget<ModelKernel>['abstraction'] = modelTarget.abstraction): RefinementTarget<ModelKernel> {
  return { name: 'planted', create: (config, images) => new ModelKernel(boot(config, images), stepOf()), abstraction }
}

/** A step that is the model's except at call `at`, where `change` alters its result. */
function divergingAt(at: number, change: (result: StepResult) => StepResult): () => (state: KernelState, syscall: unknown) => StepResult {
  return () => {
    let calls = 0
    return (state, syscall) => {
      const result = modelStep(state, syscall)
      return calls++ === at ? change(result) : result
    }
  }
}

const otherOutcome = (result: StepResult): StepResult => ({ ...result, outcome: E.isLeft(result.outcome) ? E.right({ kind: 'unit' }) : E.left({ code: 'InvalidSlot' } as never) })
const otherState = (result: StepResult): StepResult => ({ ...result, state: { ...result.state, ksMessageSeqNext: result.state.ksMessageSeqNext + 7 } })

test('the model refines itself: every syscall is run, stepped with indexes 0, 1, 2…, and no divergence', () => {
  assert.equal(modelTarget.name, 'model')
  for (const syscalls of sequences) {
    const run = runLockstep(modelTarget, PROPERTY_BOOT, IMAGE_POOL, syscalls)
    assert.equal(run.divergence, null)
    assert.deepEqual(run.steps.map((s) => s.index), syscalls.map((_, index) => index))
    assert.deepEqual(run.steps.map((s) => s.kernel), run.steps.map((s) => s.model))
  }
})

test('an outcome, a state or an exception planted at step k is the divergence at step k, and the run stops there', () => {
  for (const syscalls of sequences) {
    for (const at of [0, 2, syscalls.length - 1]) {
      const outcome = runLockstep(plantedTarget(divergingAt(at, otherOutcome)), PROPERTY_BOOT, IMAGE_POOL, syscalls)
      assert.equal(outcome.divergence?.kind, 'outcome')
      assert.equal(outcome.divergence.step, at)
      assert.equal(outcome.steps.length, at + 1)
      assert.match(outcome.divergence.difference.path, /^outcome\b/)

      const state = runLockstep(plantedTarget(divergingAt(at, otherState)), PROPERTY_BOOT, IMAGE_POOL, syscalls)
      assert.deepEqual(state.divergence, { kind: 'state', step: at, difference: { path: 'ksMessageSeqNext', model: state.model.ksMessageSeqNext, kernel: state.model.ksMessageSeqNext + 7 } })
      assert.equal(state.steps.length, at + 1)

      const thrown = runLockstep(plantedTarget(divergingAt(at, () => { throw new Error('planted') })), PROPERTY_BOOT, IMAGE_POOL, syscalls)
      assert.deepEqual(thrown.divergence, { kind: 'exception', step: at, side: 'kernel', message: 'Error: planted' })
      assert.equal(thrown.steps.length, at)
    }
  }
})

test('a state that differs at boot, or that the abstraction cannot read, is found before any step (step -1)', () => {
  const syscalls = sequences[0]!
  const emptied = runLockstep(plantedTarget(() => modelStep, { abstract: (kernel) => ({ ...kernel.state, ksInit: kernel.state.ksInit + 1 }) }), PROPERTY_BOOT, IMAGE_POOL, syscalls)
  assert.equal(emptied.divergence?.kind, 'state')
  assert.equal(emptied.divergence.step, -1)
  assert.equal(emptied.divergence.difference.path, 'ksInit')
  assert.deepEqual(emptied.steps, [])
  const unreadable = runLockstep(plantedTarget(() => modelStep, { abstract: () => { throw new UnreadableState('cap 3: no place') } }), PROPERTY_BOOT, IMAGE_POOL, syscalls)
  assert.deepEqual(unreadable.divergence, { kind: 'unreadable', step: -1, what: 'cap 3: no place' })
})

test('runLockstep compares the full abstraction, even when the target\'s incremental compare sees nothing; Lockstep trusts it unless told', () => {
  const syscalls = sequences[0]!
  const blind = plantedTarget(divergingAt(1, otherState), { abstract: (kernel) => kernel.state, compare: () => null })
  const run = runLockstep(blind, PROPERTY_BOOT, IMAGE_POOL, syscalls)
  assert.equal(run.divergence?.kind, 'state')
  assert.equal(run.divergence.step, 1)
  const trusting = new Lockstep(blind, PROPERTY_BOOT, IMAGE_POOL)
  const full = new Lockstep(blind, PROPERTY_BOOT, IMAGE_POOL, { fullCompare: true })
  const divergences = syscalls.slice(0, 3).map((syscall) => [trusting.step(syscall).divergence, full.step(syscall).divergence] as const)
  assert.deepEqual(divergences.map(([t]) => t), [null, null, null])
  assert.deepEqual(divergences.map(([, f]) => f?.step ?? null), [null, 1, 2])
})

test('each divergence in words: what differs, where, and "at boot" before the first step', () => {
  const difference = { path: 'ksCaps[4].rights', model: 3, kernel: 7 }
  const cases: Array<[Divergence, ReturnType<typeof describeDivergence>]> = [
    [{ kind: 'exception', step: 2, side: 'kernel', message: 'Error: boom' }, { message: 'kernel threw: Error: boom' }],
    [{ kind: 'exception', step: 0, side: 'model', message: 'TypeError: x' }, { message: 'model threw: TypeError: x' }],
    [{ kind: 'outcome', step: 0, difference }, { message: 'outcomes differ at ksCaps[4].rights', difference }],
    [{ kind: 'state', step: 0, difference }, { message: 'abstract states differ at ksCaps[4].rights', difference }],
    [{ kind: 'state', step: -1, difference }, { message: 'abstract states differ at boot at ksCaps[4].rights', difference }],
    [{ kind: 'unreadable', step: 5, what: 'process 9' }, { message: "the abstraction cannot read the kernel's state: process 9", witness: { unreadable: 'process 9' } }],
    [{ kind: 'unreadable', step: -1, what: 'process 9' }, { message: "the abstraction cannot read the kernel's state at boot: process 9", witness: { unreadable: 'process 9' } }],
  ]
  for (const [divergence, expected] of cases) assert.deepEqual(describeDivergence(divergence), expected)
})

test('what an abstraction\'s exception says it could not read: the `what` of an UnreadableState (by name), else the error itself', () => {
  assert.equal(new UnreadableState('cap 3').message, "the abstraction cannot read the kernel's state: cap 3")
  assert.equal(unreadablePart(new UnreadableState('cap 3')), 'cap 3')
  // A copy of the class (a mutant's) has the same name and field.
  assert.equal(unreadablePart(Object.assign(new Error('x'), { name: 'UnreadableState', what: 'slot 2' })), 'slot 2')
  assert.equal(unreadablePart(Object.assign(new Error('no what'), { name: 'UnreadableState' })), 'UnreadableState: no what')
  assert.equal(unreadablePart(Object.assign(new Error('odd'), { name: 'UnreadableState', what: 12 })), 'UnreadableState: odd')
  assert.equal(unreadablePart(Object.assign(new TypeError('bad'), { what: 'slot 2' })), 'TypeError: bad')
  assert.equal(unreadablePart({ name: 'UnreadableState', what: 'slot 2' }), '[object Object]')
  assert.equal(unreadablePart('a string'), 'a string')
})

test('the impl keeps the message ledger and last sequence numbers received itself: a miscount is a divergence, full or incremental', () => {
  const send = { kind: 'ep_send', caller: 0, slot: 3, payload: 1 }
  const recv = { kind: 'ep_recv', caller: 0, slot: 3 }
  for (const fullCompare of [false, true]) {
    const lockstep = new Lockstep(implTarget, PROPERTY_BOOT, IMAGE_POOL, { fullCompare })
    for (const syscall of [{ kind: 'ep_create', caller: 0, depth: 2, dst: 3 }, send, send, recv]) assert.equal(lockstep.step(syscall).divergence, null, JSON.stringify(syscall))
    assert.deepEqual(lockstep.model.gsMessages, { sent: 2, received: 1, discarded: 0 })
    // The next receive, counted twice by a kernel that miscounts: the ledger differs, the kernel's state (ks*) does not.
    lockstep.kernel.ledgerReceived++
    const miscounted = lockstep.step(recv).divergence
    assert.equal(miscounted?.kind, 'state')
    assert.equal(miscounted?.kind === 'state' ? miscounted.difference.path : null, 'gsMessages.received', `fullCompare ${fullCompare}`)
  }
  const lockstep = new Lockstep(implTarget, PROPERTY_BOOT, IMAGE_POOL)
  for (const syscall of [{ kind: 'ep_create', caller: 0, depth: 2, dst: 3 }, send, send, recv]) lockstep.step(syscall)
  const endpoint = lockstep.kernel.caps.object[lockstep.kernel.objects.cspace[lockstep.kernel.init]![3]!]!
  lockstep.kernel.objects.lastReceived[endpoint] = -1
  const forgotten = lockstep.step(send).divergence
  assert.ok(forgotten?.kind === 'state' && forgotten.difference.path.startsWith('gsLastReceived'), JSON.stringify(forgotten))
})

test.run()
