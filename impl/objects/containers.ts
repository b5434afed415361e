/**
 * Container syscalls (kernel.md §3), mirroring model/objects/containers.ts:
 * create, destroy, set_limits, stats, with reservation semantics (QUO-1) kept
 * incrementally in the parent's row, and destroy proportional to what it removes.
 * @module
 * @internal
 */
import type { Outcome } from '../../spec/results.js'
import type { Limits, NamespaceConfig, UidMap } from '../../spec/limits.js'
import type { NamespaceKind } from '../../spec/ids.js'
import { R_ALL, R_CONTROL, R_READ } from '../../spec/rights.js'
import type { Kernel } from '../kernel.js'
import { assert } from '../assert.js'
import { type Fields, isContainerCreate, isContainerSetLimits, isSlotCall } from '../validate.js'
import { ensureEmptySlot, lookupCapTo } from '../checks.js'
import { insertCap } from '../cdt.js'
import { destroyContainer } from '../destroy.js'
import { available, reserve } from '../accounting.js'
import { E_INVALID_ARGUMENT, E_PERMISSION_DENIED, E_QUOTA_DEVICES, OK, failure, quotaCode, success } from '../outcomes.js'
import {
  KIND_CONTAINER, LIMIT_COLUMNS, LIMIT_WEIGHT, NONE, NS_COLUMNS, NS_IPC, NS_MOUNT, NS_NET, NS_PID, NS_USER, RES_COUNT,
} from '../tables/objects.js'
import { PLACE_SLOT } from '../tables/caps.js'

const RESOURCE_NAMES = ['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes'] as const

/** A frozen copy of validated limits (the model keeps the caller's object; the impl shares nothing mutable). */
export function freezeLimits(limits: Limits): Limits {
  // The known fields only, as the model's decoding keeps (spec/limits.ts): nothing else of the caller's object is stored.
  const { memoryBytes, processes, endpoints, cpuBudget, ioBytes, cpuWeight } = limits
  return Object.freeze({ memoryBytes, processes, endpoints, cpuBudget, ioBytes, cpuWeight, devices: Object.freeze(limits.devices.slice()) as string[] })
}

/** The container's limits object. */
export function limitsOf(k: Kernel, container: number): Limits {
  const limits = k.objects.limits[container]
  assert(limits !== null && limits !== undefined, 'containers.limits')
  return limits
}

/** Every reserved resource of `limits` fits what `parent` can still reserve, and devices are within its set. */
function ensureReservable(k: Kernel, parent: number, limits: Limits, already: Limits | null): number {
  for (let resource = 0; resource < RES_COUNT; resource++) {
    const name = RESOURCE_NAMES[resource]
    if (limits[name] - (already?.[name] ?? 0) > available(k, parent, resource)) return quotaCode(resource)
  }
  const parentDevices = limitsOf(k, parent).devices
  return limits.devices.every((device) => parentDevices.includes(device)) ? 0 : E_QUOTA_DEVICES
}

/** A user namespace map must lie inside the parent's uid range. */
function ensureUidMapInside(k: Kernel, parent: number, config: NamespaceConfig): number {
  if (config.user === 'share') return 0
  const range = k.namespaces.get(k.namespaceOf(parent, NS_USER)).uidMap.count
  return config.user.base + config.user.count <= range ? 0 : E_PERMISSION_DENIED
}

function makeNamespace(k: Kernel, creator: number, kind: NamespaceKind, parent: number | null, user: number | null, uidMap: UidMap): number {
  const id = k.namespaceNext++
  k.namespaces.add({ id, kind, creator, parent, userNamespace: user ?? id, entries: new Map(), uidMap, pidNext: 1, mark: 0 })
  return id
}

/** Creates the container's namespaces: a new user namespace first, which then owns the other new ones. */
export function createNamespaces(k: Kernel, container: number, parent: number, config: NamespaceConfig): void {
  const objects = k.objects
  const creator = objects.serial[container]
  const created: number[] = []
  let user = k.namespaceOf(parent, NS_USER)
  if (config.user !== 'share') {
    user = makeNamespace(k, creator, 'user', user, null, Object.freeze({ ...config.user }))
    created.push(user)
  }
  const row = objects.row[container] * NS_COLUMNS
  objects.rows.namespaces[row + NS_USER] = user
  for (const [column, kind] of NAMESPACE_COLUMNS) {
    let id = k.namespaceOf(parent, column)
    if (config[kind] === 'new') {
      id = makeNamespace(k, creator, kind, kind === 'pid' ? id : null, user, Object.freeze({ base: 0, count: 0 }))
      created.push(id)
    }
    objects.rows.namespaces[row + column] = id
  }
  objects.created[container] = Object.freeze(created)
}

/** The non-user namespace kinds in the model's creation order. */
const NAMESPACE_COLUMNS = [[NS_PID, 'pid'], [NS_MOUNT, 'mount'], [NS_NET, 'net'], [NS_IPC, 'ipc']] as const

/** Allocates the container object, its row (limits, zero usage) and links it under `parent`. */
export function newContainer(k: Kernel, parent: number, limits: Limits): number {
  const objects = k.objects
  const container = objects.alloc(KIND_CONTAINER, k.objectNext++, parent)
  const row = objects.rows.alloc()
  objects.row[container] = row
  objects.childHead[container] = NONE
  objects.linkChild(parent, container)
  objects.limits[container] = freezeLimits(limits)
  writeLimitsRow(k, container, limits)
  return container
}

function writeLimitsRow(k: Kernel, container: number, limits: Limits): void {
  const base = k.objects.row[container] * LIMIT_COLUMNS
  const target = k.objects.rows.limits
  for (let resource = 0; resource < RES_COUNT; resource++) target[base + resource] = limits[RESOURCE_NAMES[resource]]
  target[base + LIMIT_WEIGHT] = limits.cpuWeight
}

/**
 * `container_create`: needs `control` on `parent`; the child's limits are reserved
 * out of the parent; the caller gets the original cap (all rights).
 */
export function containerCreate(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isContainerCreate(call)) return failure(E_INVALID_ARGUMENT)
  const limits = call['limits'] as Limits
  const config = call['namespaces'] as NamespaceConfig
  const cap = lookupCapTo(k, caller, call['parent'] as number, KIND_CONTAINER, R_CONTROL)
  if (cap < 0) return failure(cap)
  const dst = call['dst'] as number
  const parent = k.caps.object[cap]
  const empty = ensureEmptySlot(k, caller, dst)
  if (empty < 0) return failure(empty)
  const inside = ensureUidMapInside(k, parent, config)
  if (inside < 0) return failure(inside)
  const reservable = ensureReservable(k, parent, limits, null)
  if (reservable < 0) return failure(reservable)
  const container = newContainer(k, parent, limits)
  createNamespaces(k, container, parent, config)
  reserve(k, parent, container, 1)
  insertCap(k, container, R_ALL, 0, NONE, PLACE_SLOT, caller, dst, null)
  return OK
}

/** `container_destroy`: the container and its subtree go entirely; the root container cannot. */
export function containerDestroy(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isSlotCall(call)) return failure(E_INVALID_ARGUMENT)
  const cap = lookupCapTo(k, caller, call['slot'] as number, KIND_CONTAINER, R_CONTROL)
  if (cap < 0) return failure(cap)
  const container = k.caps.object[cap]
  if (container === k.root) return failure(E_PERMISSION_DENIED)
  destroyContainer(k, container)
  return OK
}

/** New limits must cover usage plus children's reservations, and grow only by what the parent has left. */
function ensureLimitsFit(k: Kernel, container: number, limits: Limits): number {
  const rows = k.objects.rows
  const row = k.objects.row[container] * RES_COUNT
  for (let resource = 0; resource < RES_COUNT; resource++) {
    if (limits[RESOURCE_NAMES[resource]] < rows.usage[row + resource] + rows.reserved[row + resource]) return quotaCode(resource)
  }
  const childDevices: string[] = []
  for (let child = k.objects.childHead[container]; child !== NONE; child = k.objects.childNext[child]) childDevices.push(...limitsOf(k, child).devices)
  if (!childDevices.every((device) => limits.devices.includes(device))) return E_QUOTA_DEVICES
  return ensureReservable(k, k.objects.parent[container], limits, limitsOf(k, container))
}

/** `container_set_limits`: needs `control`; never below what is used and reserved, never above what the parent can give. */
export function containerSetLimits(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isContainerSetLimits(call)) return failure(E_INVALID_ARGUMENT)
  const limits = call['limits'] as Limits
  const cap = lookupCapTo(k, caller, call['slot'] as number, KIND_CONTAINER, R_CONTROL)
  if (cap < 0) return failure(cap)
  const container = k.caps.object[cap]
  if (container === k.root) return failure(E_PERMISSION_DENIED)
  const fits = ensureLimitsFit(k, container, limits)
  if (fits < 0) return failure(fits)
  const parent = k.objects.parent[container]
  reserve(k, parent, container, -1)
  k.objects.limits[container] = freezeLimits(limits)
  writeLimitsRow(k, container, limits)
  reserve(k, parent, container, 1)
  k.objects.touch(container)
  return OK
}

/** `container_stats`: needs `read`; limits, usage and the children's reservations. */
export function containerStats(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isSlotCall(call)) return failure(E_INVALID_ARGUMENT)
  const cap = lookupCapTo(k, caller, call['slot'] as number, KIND_CONTAINER, R_READ)
  if (cap < 0) return failure(cap)
  const container = k.caps.object[cap]
  const rows = k.objects.rows
  const row = k.objects.row[container] * RES_COUNT
  return success({ kind: 'stats', limits: limitsOf(k, container), usage: amounts(rows.usage, row), reserved: amounts(rows.reserved, row) })
}

/** A usage-shaped record from a row of five amounts. */
export function amounts(column: Float64Array, row: number) {
  return { memoryBytes: column[row], processes: column[row + 1], endpoints: column[row + 2], cpuBudget: column[row + 3], ioBytes: column[row + 4] }
}
