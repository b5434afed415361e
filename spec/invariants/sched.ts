/**
 * The scheduling invariant (kernel.md §3, §9; docs/decisions.md "Devices and
 * clock"): over every prefix of a `sched_run`, each competing container's quanta
 * stay within one quantum per competing container of its proportional share.
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { ObjectId } from '../ids.js'
import type { KernelState } from '../../model/state.js'
import type { StepContext, StepInvariant, Violation } from './types.js'
import { firstViolation, processOfRef, processesOf, successfulSyscall, violation } from './_shared.js'

/** Competing containers (those with a running process) and their cpuWeight. */
export function competingWeights(state: KernelState): Map<ObjectId, number> {
  const weights = new Map<ObjectId, number>()
  for (const process of processesOf(state)) {
    const container = process.status === 'running' && process.owner !== null ? state.ksObjects.get(process.owner) : undefined
    if (container?.kind === 'container') weights.set(container.id, container.limits.cpuWeight)
  }
  return weights
}

/**
 * One prefix of length `prefix`: |received_c − prefix·w_c/W| ≤ N for every
 * competing container c, compared in integers (× W) so no rounding enters.
 */
function checkPrefix(weights: ReadonlyMap<ObjectId, number>, received: ReadonlyMap<ObjectId, number>, prefix: number): O.Option<Violation> {
  const total = [...weights.values()].reduce((sum, weight) => sum + weight, 0)
  const bound = weights.size
  return firstViolation(weights, ([container, weight]) => {
    const got = received.get(container) ?? 0
    if (Math.abs(got * total - prefix * weight) <= bound * total) return O.none
    return violation('SCHED-1', `after ${prefix} quanta container ${container} ran ${got}, share ${(prefix * weight / total).toFixed(3)}, bound ${bound}`, {
      container, prefix, received: got, share: prefix * weight / total, bound, weight, totalWeight: total,
    })
  })
}

/**
 * SCHED-1 (step): after a successful `sched_run`, every process that ran was a
 * running process of a competing container (in the state before), and over every
 * prefix k of the reply, each competing container c received within N of
 * k·w_c/W quanta (w = cpuWeight, W = Σ w, N = number of competing containers).
 */
export function checkSched1(step: StepContext): O.Option<Violation> {
  const call = successfulSyscall(step, ['sched_run'])
  if (call === undefined || call.reply.kind !== 'ran') return O.none
  const weights = competingWeights(step.before)
  const received = new Map<ObjectId, number>()
  return firstViolation(call.reply.processes.entries(), ([index, ref]) => {
    const process = processOfRef(step.before, ref)
    const container = process?.status === 'running' ? process.owner : null
    if (container === null || !weights.has(container)) {
      return violation('SCHED-1', `quantum ${index} ran process ${ref}, which is not a running process of a competing container`, {
        index, ref, process: process?.id ?? null, container,
      })
    }
    received.set(container, (received.get(container) ?? 0) + 1)
    return checkPrefix(weights, received, index + 1)
  })
}

/** SCHED-1 as a registry entry. */
export const SCHED_1: StepInvariant = {
  id: 'SCHED-1', scope: 'step', check: checkSched1,
  statement: 'stride scheduling lag ≤ 1 quantum per competing container, over every prefix of a run',
}
