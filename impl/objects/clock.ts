/**
 * The clock's syscalls (kernel.md §3), mirroring model/objects/clock.ts: `tick`
 * starts a new period; `sched_run` runs the stride scheduler for some quanta
 * (SCHED-1). Neither has a caller nor a charge.
 * @module
 * @internal
 */
import type { Outcome } from '../../spec/results.js'
import type { Kernel } from '../kernel.js'
import { assert } from '../assert.js'
import { OK, success } from '../outcomes.js'
import { LIMIT_COLUMNS, LIMIT_WEIGHT, NONE, RES_COUNT, RES_CPU, RES_IO } from '../tables/objects.js'

/** `tick`: per-period counters (cpu and io) go back to zero in every container. */
export function tick(k: Kernel): Outcome {
  const objects = k.objects
  const scratch = objects.scratch
  const usage = objects.rows.usage
  let count = 0
  scratch[count++] = k.root
  for (let index = 0; index < count; index++) {
    const container = scratch[index]
    for (let child = objects.childHead[container]; child !== NONE; child = objects.childNext[child]) scratch[count++] = child
    const row = objects.row[container] * RES_COUNT
    if (usage[row + RES_CPU] !== 0 || usage[row + RES_IO] !== 0) {
      usage[row + RES_CPU] = 0
      usage[row + RES_IO] = 0
      objects.touch(container)
    }
  }
  assert(count <= objects.liveCount, 'clock.tick.bound')
  return OK
}

interface Competitor {
  readonly serial: number
  readonly weight: number
  readonly processes: number[]
  received: number
}

/** Competing containers (those with a running process) in object-id order, each with its running processes in creation order. */
function competitors(k: Kernel): Competitor[] {
  const objects = k.objects
  const byContainer = new Map<number, Competitor>()
  for (let process = objects.runHead; process !== NONE; process = objects.runNext[process]) {
    const owner = objects.owner[process]
    let entry = byContainer.get(owner)
    if (entry === undefined) {
      const weight = objects.rows.limits[objects.row[owner] * LIMIT_COLUMNS + LIMIT_WEIGHT]
      entry = { serial: objects.serial[owner], weight, processes: [], received: 0 }
      byContainer.set(owner, entry)
    }
    entry.processes.push(process)
  }
  return [...byContainer.values()].sort((a, b) => a.serial - b.serial)
}

/**
 * `sched_run`: for each quantum, the competing container minimizing
 * `(received + 1) / cpuWeight` runs (ties: lower id), and inside it the running
 * process with the fewest quanta so far in this call (ties: lower creation index).
 */
export function schedRun(k: Kernel, quanta: number): Outcome {
  const containers = competitors(k)
  const given = new Map<number, number>()
  const ran: number[] = []
  for (let quantum = 0; quantum < quanta && containers.length > 0; quantum++) {
    let best = containers[0]!
    for (let index = 1; index < containers.length; index++) {
      const candidate = containers[index]!
      if ((candidate.received + 1) * best.weight < (best.received + 1) * candidate.weight) best = candidate
    }
    best.received++
    let chosen = best.processes[0]!
    for (const process of best.processes) if ((given.get(process) ?? 0) < (given.get(chosen) ?? 0)) chosen = process
    given.set(chosen, (given.get(chosen) ?? 0) + 1)
    ran.push(k.objects.ref[chosen])
  }
  return success({ kind: 'ran', processes: ran })
}
