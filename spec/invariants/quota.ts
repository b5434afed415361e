/**
 * Accounting invariants (kernel.md §3, §9; docs/decisions.md "Containers" and
 * "Invariants"): reservations never exceed a limit (QUO-1), usage is exactly what
 * the live objects cost (QUO-2), a syscall touches no accounting outside the
 * caller's subtree (QUO-3), and per-period counters stay within their limits
 * (CPU-1, IO-1).
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { ObjectId } from '../ids.js'
import { type Limits, RESERVED_RESOURCES, type ReservedResource } from '../limits.js'
import { CLOCK_KINDS, SYSCALL_KINDS } from '../syscalls.js'
import { R_CONTROL } from '../rights.js'
import { type ContainerObject, type KernelState, containerSubtree } from '../../model/state.js'
import { childReservations, objectCost } from '../../model/accounting.js'
import type { StateInvariant, StepContext, StepInvariant, Violation } from './types.js'
import { callerProcess, containersOf, firstOf, firstViolation, natField, successfulSyscall, violation } from './_shared.js'

// ---- QUO-1 -----------------------------------------------------------------

/** One container and resource: usage ≥ 0 and usage + children's reservations ≤ limit. */
function checkReservation(container: ContainerObject, reserved: Record<ReservedResource, number>, resource: ReservedResource): O.Option<Violation> {
  const usage = container.usage[resource]
  const limit = container.limits[resource]
  const witness = { container: container.id, resource, usage, reserved: reserved[resource], limit }
  if (usage < 0) return violation('QUO-1', `container ${container.id} has negative ${resource} usage ${usage}`, witness)
  if (usage + reserved[resource] > limit) {
    return violation('QUO-1', `container ${container.id}: ${resource} usage ${usage} + reserved ${reserved[resource]} > limit ${limit}`, witness)
  }
  return O.none
}

/** A child container's allowed devices are within its parent's. */
function checkDevices(state: KernelState, container: ContainerObject): O.Option<Violation> {
  const parent = container.parent === null ? undefined : state.ksObjects.get(container.parent)
  if (parent?.kind !== 'container') return O.none
  const extra = container.limits.devices.filter((device) => !parent.limits.devices.includes(device))
  if (extra.length === 0) return O.none
  return violation('QUO-1', `container ${container.id} allows devices its parent ${parent.id} does not`, { container: container.id, parent: parent.id, devices: extra })
}

/**
 * QUO-1: for every container and reserved resource, usage is not negative and
 * usage + Σ children's limits ≤ limit; a child's devices are within its parent's.
 */
export function checkQuo1(state: KernelState): O.Option<Violation> {
  return firstViolation(containersOf(state), (container) => {
    const reserved = childReservations(state, container.id)
    return firstOf(
      () => firstViolation(RESERVED_RESOURCES, (resource) => checkReservation(container, reserved, resource)),
      () => checkDevices(state, container),
    )
  })
}

// ---- QUO-2 -----------------------------------------------------------------

/** The resources live objects cost (per-period counters are not costs). */
export const COST_RESOURCES = ['memoryBytes', 'processes', 'endpoints'] as const satisfies ReadonlyArray<ReservedResource>

/** What each owner's live objects cost, and which objects cost it something. */
export function ownedCosts(state: KernelState): Map<ObjectId, { cost: Record<ReservedResource, number>; objects: ObjectId[] }> {
  const costs = new Map<ObjectId, { cost: Record<ReservedResource, number>; objects: ObjectId[] }>()
  for (const object of state.ksObjects.values()) {
    if (object.owner === null) continue
    const entry = costs.get(object.owner) ?? { cost: { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0 }, objects: [] }
    const cost = objectCost(object)
    for (const [resource, amount] of Object.entries(cost) as [ReservedResource, number][]) entry.cost[resource] += amount
    if (Object.values(cost).some((amount) => amount !== 0)) entry.objects.push(object.id)
    costs.set(object.owner, entry)
  }
  return costs
}

/** QUO-2: a container's memory, process and endpoint usage equal the costs of the live objects it owns. */
export function checkQuo2(state: KernelState): O.Option<Violation> {
  const costs = ownedCosts(state)
  return firstViolation(containersOf(state), (container) => {
    const owned = costs.get(container.id)
    return firstViolation(COST_RESOURCES, (resource) => {
      const expected = owned?.cost[resource] ?? 0
      if (container.usage[resource] === expected) return O.none
      return violation('QUO-2', `container ${container.id}: ${resource} usage ${container.usage[resource]} but its live objects cost ${expected}`, {
        container: container.id, resource, usage: container.usage[resource], expected, objects: owned?.objects ?? [],
      })
    })
  })
}

// ---- QUO-3 -----------------------------------------------------------------

/** Two limits records are equal (devices compared as sets). */
export function sameLimits(a: Limits, b: Limits): boolean {
  const sameDevices = a.devices.length === b.devices.length && a.devices.every((d) => b.devices.includes(d)) && b.devices.every((d) => a.devices.includes(d))
  return sameDevices && a.cpuWeight === b.cpuWeight && RESERVED_RESOURCES.every((r) => a[r] === b[r])
}

/** One container outside the subtree: no usage rises, per-period counters stay, limits stay. */
function checkForeignContainer(step: StepContext, caller: { ref: number; container: ObjectId }, before: ContainerObject): O.Option<Violation> {
  const after = step.after.ksObjects.get(before.id)
  if (after?.kind !== 'container') return O.none // destroyed: LIFE-1's business
  const base = { caller: caller.ref, callerContainer: caller.container, container: before.id }
  if (!sameLimits(before.limits, after.limits)) {
    return violation('QUO-3', `container ${before.id}, outside the caller's subtree, had its limits changed`, { ...base, limitsBefore: before.limits, limitsAfter: after.limits })
  }
  return firstViolation(RESERVED_RESOURCES, (resource) => {
    const rose = after.usage[resource] > before.usage[resource]
    const periodChanged = (resource === 'cpuBudget' || resource === 'ioBytes') && after.usage[resource] !== before.usage[resource]
    if (!rose && !periodChanged) return O.none
    return violation('QUO-3', `container ${before.id}, outside the caller's subtree, had its ${resource} usage changed`, {
      ...base, resource, usageBefore: before.usage[resource], usageAfter: after.usage[resource],
    })
  })
}

/** Process syscalls: QUO-3 is not stated over the clock's (a tick resets every counter). */
const PROCESS_KINDS = SYSCALL_KINDS.filter((kind) => !CLOCK_KINDS.includes(kind))

/**
 * The containers a process may spend in: its own subtree and the subtrees of the
 * containers it holds a `control` cap to (authority delegated to it).
 */
function authorizedContainers(state: KernelState, process: { owner: ObjectId | null; slots: ReadonlyArray<number | null> }): Set<ObjectId> {
  const roots = [process.owner!]
  for (const capId of process.slots) {
    const cap = capId === null ? undefined : state.ksCaps.get(capId)
    if (cap !== undefined && (cap.rights & R_CONTROL) !== 0 && state.ksObjects.get(cap.object)?.kind === 'container') roots.push(cap.object)
  }
  return new Set(roots.flatMap((root) => containerSubtree(state, root)))
}

/**
 * QUO-3 (step): a successful syscall by a process in container A changes no
 * usage upward and no limit outside the containers it has authority over (A's
 * subtree and the subtrees of containers it holds `control` caps to, as they were
 * before the step); usage there may only fall, by destruction, and per-period
 * counters there do not move at all (docs/decisions.md "Invariants").
 */
export function checkQuo3(step: StepContext): O.Option<Violation> {
  const call = successfulSyscall(step, PROCESS_KINDS)
  if (call === undefined) return O.none
  const process = callerProcess(step.before, call.fields)
  if (process === undefined || process.owner === null) return O.none // not a running caller: nothing it could change
  const caller = { ref: natField(call.fields, 'caller')!, container: process.owner }
  const subtree = authorizedContainers(step.before, process)
  const foreign = containersOf(step.before).filter((container) => !subtree.has(container.id))
  return firstViolation(foreign, (container) => checkForeignContainer(step, caller, container))
}

// ---- CPU-1 and IO-1 --------------------------------------------------------

/** A per-period counter within its limit for every container. */
function checkPeriodCounter(state: KernelState, invariant: 'CPU-1' | 'IO-1', resource: 'cpuBudget' | 'ioBytes'): O.Option<Violation> {
  return firstViolation(containersOf(state), (container) => container.usage[resource] <= container.limits[resource]
    ? O.none
    : violation(invariant, `container ${container.id} used ${container.usage[resource]} ${resource} this period, limit ${container.limits[resource]}`, {
      container: container.id, resource, usage: container.usage[resource], limit: container.limits[resource],
    }))
}

/** CPU-1: with CPU accounting on, no container made more syscalls this period than its cpuBudget. */
export function checkCpu1(state: KernelState): O.Option<Violation> {
  return state.ksCpuAccounting ? checkPeriodCounter(state, 'CPU-1', 'cpuBudget') : O.none
}

/** IO-1: no container submitted more I/O bytes this period than its ioBytes limit. */
export function checkIo1(state: KernelState): O.Option<Violation> {
  return checkPeriodCounter(state, 'IO-1', 'ioBytes')
}

// ---- registry entries ------------------------------------------------------

/** QUO-1 as a registry entry. */
export const QUO_1: StateInvariant = {
  id: 'QUO-1', scope: 'state', check: checkQuo1,
  statement: "usage + children's reservations ≤ limit and usage ≥ 0, for every container and reserved resource; a child's devices within its parent's",
}
/** QUO-2 as a registry entry. */
export const QUO_2: StateInvariant = {
  id: 'QUO-2', scope: 'state', check: checkQuo2,
  statement: 'memory, process and endpoint usage equal the sum of the costs of the live objects the container owns',
}
/** QUO-3 as a registry entry. */
export const QUO_3: StepInvariant = {
  id: 'QUO-3', scope: 'step', check: checkQuo3,
  statement: "a syscall by a process in A raises no usage, moves no per-period counter and changes no limit outside A's subtree",
}
/** CPU-1 as a registry entry. */
export const CPU_1: StateInvariant = {
  id: 'CPU-1', scope: 'state', check: checkCpu1,
  statement: "per period, a container's syscalls ≤ its cpuBudget (when CPU accounting is on)",
}
/** IO-1 as a registry entry. */
export const IO_1: StateInvariant = {
  id: 'IO-1', scope: 'state', check: checkIo1,
  statement: "per period, a container's submitted I/O bytes ≤ its ioBytes",
}
