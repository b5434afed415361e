/**
 * The clock's syscalls (kernel.md §3): `tick` starts a new period; `sched_run` runs
 * the stride scheduler for a number of quanta (SCHED-1).
 * @module
 */
import type { SyscallOf } from '../../spec/syscalls.js'
import type { ObjectId, ProcessRef } from '../../spec/ids.js'
import { UNIT, type Reply } from '../../spec/results.js'
import { type ContainerObject, type KernelState, type ProcessObject, getContainer } from '../state.js'
import { draft, freeze } from '../draft.js'

/** `tick`: per-period counters (cpu and io) go back to zero in every container. */
export function tick(state: KernelState): { state: KernelState; reply: Reply } {
  const work = draft(state)
  for (const object of work.ksObjects.values()) {
    if (object.kind === 'container' && (object.usage.cpuBudget !== 0 || object.usage.ioBytes !== 0)) {
      work.ksObjects.set(object.id, { ...object, usage: { ...object.usage, cpuBudget: 0, ioBytes: 0 } })
    }
  }
  return { state: freeze(work), reply: UNIT }
}

/**
 * `sched_run`: for each quantum, the competing container minimizing
 * `(received + 1) / cpuWeight` runs (ties: lower id), and inside it the running
 * process with the fewest quanta so far in this call (ties: lower creation index).
 * Stateless across calls; changes nothing.
 */
export function schedRun(state: KernelState, call: SyscallOf<'sched_run'>): { state: KernelState; reply: Reply } {
  const runnable = new Map<ObjectId, ProcessObject[]>()
  for (const object of state.ksObjects.values()) {
    if (object.kind !== 'process' || object.status !== 'running') continue
    runnable.set(object.owner!, [...(runnable.get(object.owner!) ?? []), object])
  }
  const containers: ContainerObject[] = [...runnable.keys()].sort((a, b) => a - b).map((id) => getContainer(state, id))
  const received = new Map<ObjectId, number>(containers.map((c) => [c.id, 0]))
  const quanta = new Map<ProcessRef, number>()
  const ran: ProcessRef[] = []
  for (let quantum = 0; quantum < call.quanta && containers.length > 0; quantum++) {
    let best = containers[0]!
    for (const candidate of containers.slice(1)) {
      const lhs = (received.get(candidate.id)! + 1) * best.limits.cpuWeight
      const rhs = (received.get(best.id)! + 1) * candidate.limits.cpuWeight
      if (lhs < rhs) best = candidate
    }
    received.set(best.id, received.get(best.id)! + 1)
    const process = runnable.get(best.id)!.reduce((a, b) => ((quanta.get(b.ref) ?? 0) < (quanta.get(a.ref) ?? 0) ? b : a))
    quanta.set(process.ref, (quanta.get(process.ref) ?? 0) + 1)
    ran.push(process.ref)
  }
  return { state, reply: { kind: 'ran', processes: ran } }
}
