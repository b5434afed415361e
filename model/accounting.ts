/**
 * Charging and uncharging containers (kernel.md §3): reservation semantics, where
 * a child's limits are reserved out of its parent.
 * @module
 */
import type { ObjectId } from '../spec/ids.js'
import { RESERVED_RESOURCES, type ReservedResource, type Usage } from '../spec/limits.js'
import type { ContainerObject, KernelObject, KernelState } from './state.js'
import { getContainer } from './state.js'
import { type Draft, updateObject } from './draft.js'

/** Σ of the children's limits for each reserved resource. */
export function childReservations(state: KernelState, container: ObjectId): Usage {
  const sums = { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0 }
  for (const object of state.ksObjects.values()) {
    if (object.kind !== 'container' || object.parent !== container) continue
    for (const resource of RESERVED_RESOURCES) sums[resource] += object.limits[resource]
  }
  return sums
}

/** What `container` can still spend or reserve of `resource`. */
export function available(state: KernelState, container: ContainerObject, resource: ReservedResource): number {
  return container.limits[resource] - container.usage[resource] - childReservations(state, container.id)[resource]
}

export function charge(work: Draft, container: ObjectId, resource: ReservedResource, amount: number): void {
  updateObject(work, getContainer(work, container), (c) => ({ ...c, usage: { ...c.usage, [resource]: c.usage[resource] + amount } }))
}

export function uncharge(work: Draft, container: ObjectId, resource: ReservedResource, amount: number): void {
  charge(work, container, resource, -amount)
}

/** What a live object costs its owner (QUO-2). Per-period counters are not costs. */
export function objectCost(object: KernelObject): Partial<Record<ReservedResource, number>> {
  switch (object.kind) {
    case 'region': return { memoryBytes: object.sizeBytes }
    case 'endpoint': return { endpoints: 1 }
    case 'process': return object.status === 'running' ? { processes: 1, memoryBytes: object.imageBytes } : {}
    case 'container': case 'device': return {}
  }
}

export function unchargeObject(work: Draft, object: KernelObject): void {
  if (object.owner === null) return
  for (const [resource, amount] of Object.entries(objectCost(object)) as [ReservedResource, number][]) {
    if (amount !== 0) uncharge(work, object.owner, resource, amount)
  }
}
