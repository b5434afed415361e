import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type { Reply } from '../../spec/results.js'
import type { SyscallError } from '../../spec/errors.js'
import { checkSched1, competingWeights } from '../../spec/invariants/sched.js'
import type { KernelObject, KernelState } from '../../model/state.js'
import { A, FAILED, P, ROOT, bootState, edit, found, patchObject, richState, stepOf } from './_fixtures.js'

type Process = Extract<KernelObject, { kind: 'process' }>

const ran = (processes: number[]) => E.right<SyscallError, Reply>({ kind: 'ran', processes })
const run = (state: KernelState, processes: number[]) =>
  checkSched1(stepOf(state, { kind: 'sched_run', quanta: processes.length }, ran(processes), state))

test('SCHED-1 holds for a run in the boot state and a fair run in the rich state', () => {
  assert.ok(O.isNone(run(bootState(), [0, 0, 0])))
  assert.equal([...competingWeights(richState())], [[ROOT, 100], [A, 50]])
  assert.ok(O.isNone(run(richState(), [0, 1, 0, 0, 1, 0])))
  assert.ok(O.isNone(run(richState(), [1, 1, 1, 0, 0, 0])))
})

test('SCHED-1 reports a prefix whose lag exceeds one quantum per competing container', () => {
  const v = found(run(richState(), [1, 1, 1, 1, 1]), 'SCHED-1')
  assert.equal(v.witness, { container: ROOT, prefix: 4, received: 0, share: 4 * 100 / 150, bound: 2, weight: 100, totalWeight: 150 })
})

test('SCHED-1 reports a quantum given to a process that is not running', () => {
  const state = edit(richState(), (work) => patchObject<Process>(work, P, (p) => ({ ...p, status: 'dead' })))
  const v = found(run(state, [0, 1]), 'SCHED-1')
  assert.equal(v.witness, { index: 1, ref: 1, process: P, container: null })
  const unknown = found(run(richState(), [7]), 'SCHED-1')
  assert.equal(unknown.witness, { index: 0, ref: 7, process: null, container: null })
})

test('SCHED-1 skips failed runs and other syscalls', () => {
  assert.ok(O.isNone(checkSched1(stepOf(richState(), { kind: 'sched_run', quanta: 5 }, FAILED, richState()))))
  assert.ok(O.isNone(checkSched1(stepOf(richState(), { kind: 'tick' }, ran([1, 1, 1, 1, 1]), richState()))))
})

test.run()
