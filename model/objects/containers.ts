/**
 * Container syscalls (kernel.md §3): create, destroy, set_limits, stats, with
 * reservation semantics (QUO-1) and recursive destroy (LIFE-1).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { SyscallOf } from '../../spec/syscalls.js'
import { R_ALL, R_CONTROL, R_READ } from '../../spec/rights.js'
import { quotaExceeded, syscallError } from '../../spec/errors.js'
import { type Limits, type NamespaceConfig, RESERVED_RESOURCES, ZERO_USAGE } from '../../spec/limits.js'
import { UNIT } from '../../spec/results.js'
import type { NamespaceId, ObjectId } from '../../spec/ids.js'
import { type ContainerObject, type KernelState, type ProcessObject, getContainer, getNamespace } from '../state.js'
import { type Check, type Done, ensure, ensureEmptySlot, ensureThat, ensureWithin, lookupCapTo, slotOf } from '../checks.js'
import { type Draft, draft, freeze, newObjectId, updateObject } from '../draft.js'
import { insertCap, recordFlow } from '../cdt.js'
import { collectGarbage, destroyContainer } from '../destroy.js'
import { available, childReservations } from '../accounting.js'

/** Every reserved resource of `limits` fits what `parent` can still reserve, and devices are within its set. */
function ensureReservable(state: KernelState, parent: ContainerObject, limits: Limits, already: Limits | null): Check<void> {
  for (const resource of RESERVED_RESOURCES) {
    const fits = ensureWithin(`${resource} within what the parent has available`, limits[resource] - (already?.[resource] ?? 0), available(state, parent, resource), quotaExceeded(resource))
    if (E.isLeft(fits)) return fits
  }
  return ensureThat('devices within the parent\'s', limits.devices.every((device) => parent.limits.devices.includes(device)), quotaExceeded('devices'))
}

/** A user namespace map must lie inside the parent's uid range. */
function ensureUidMapInside(state: KernelState, parent: ContainerObject, config: NamespaceConfig): Check<void> {
  if (config.user === 'share') return E.right(undefined)
  const range = getNamespace(state, parent.namespaces.user).uidMap.count
  return ensureWithin('uid map inside the parent\'s range', config.user.base + config.user.count, range, syscallError('PermissionDenied'))
}

/** Creates the container's namespaces: a new user namespace first, which then owns the other new ones. */
export function createNamespaces(work: Draft, container: ObjectId, parent: ContainerObject, config: NamespaceConfig): ContainerObject['namespaces'] {
  const make = (kind: 'pid' | 'mount' | 'net' | 'ipc' | 'user', parentNs: NamespaceId | null, userNamespace: NamespaceId | null, uidMap = { base: 0, count: 0 }): NamespaceId => {
    const id = work.ksNamespaceNext++
    work.ksNamespaces.set(id, { id, kind, creator: container, parent: parentNs, userNamespace: userNamespace ?? id, entries: new Map(), uidMap, pidNext: 1 })
    return id
  }
  const user = config.user === 'share' ? parent.namespaces.user : make('user', parent.namespaces.user, null, config.user)
  const pick = (kind: 'pid' | 'mount' | 'net' | 'ipc') =>
    config[kind] === 'share' ? parent.namespaces[kind] : make(kind, kind === 'pid' ? parent.namespaces.pid : null, user)
  return { user, pid: pick('pid'), mount: pick('mount'), net: pick('net'), ipc: pick('ipc') }
}

/**
 * `container_create`: needs `control` on `parent`; the child's limits are reserved
 * out of the parent; the caller gets the original cap (all rights).
 */
export function containerCreate(state: KernelState, caller: ProcessObject, call: SyscallOf<'container_create'>): Check<Done> {
  return pipe(
    lookupCapTo(state, caller, call.parent, 'container', R_CONTROL, 'parent'),
    E.chainFirst(() => ensureEmptySlot(caller, call.dst)),
    E.chainFirst(({ object: parent }) => ensureUidMapInside(state, parent, call.namespaces)),
    E.chainFirst(({ object: parent }) => ensureReservable(state, parent, call.limits, null)),
    E.map(({ object: parent }) => {
      const work = draft(state)
      const id = newObjectId(work)
      const namespaces = createNamespaces(work, id, parent, call.namespaces)
      work.ksObjects.set(id, { kind: 'container', id, owner: parent.id, parent: parent.id, limits: call.limits, usage: ZERO_USAGE, namespaces })
      const cap = insertCap(work, { object: id, rights: R_ALL, badge: 0, parent: null, at: slotOf(caller, call.dst) })
      recordFlow(work, cap, caller.owner!)
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/** `container_destroy`: the container and its subtree go entirely; the root container cannot. */
export function containerDestroy(state: KernelState, caller: ProcessObject, call: SyscallOf<'container_destroy'>): Check<Done> {
  return pipe(
    lookupCapTo(state, caller, call.slot, 'container', R_CONTROL),
    E.chainFirst(({ object }) => ensure(object.id !== state.ksRoot, 'PermissionDenied', 'not the root container')),
    E.map(({ object }) => {
      const work = draft(state)
      destroyContainer(work, object)
      collectGarbage(work)
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/** New limits must cover usage plus children's reservations, and grow only by what the parent has left. */
function ensureLimitsFit(state: KernelState, container: ContainerObject, limits: Limits): Check<void> {
  const reserved = childReservations(state, container.id)
  for (const resource of RESERVED_RESOURCES) {
    const covers = ensureWithin(`${resource} covers usage and children`, container.usage[resource] + reserved[resource], limits[resource], quotaExceeded(resource))
    if (E.isLeft(covers)) return covers
  }
  const childDevices = [...state.ksObjects.values()].flatMap((o) => (o.kind === 'container' && o.parent === container.id ? o.limits.devices : []))
  const covered = ensureThat('devices cover the children\'s', childDevices.every((device) => limits.devices.includes(device)), quotaExceeded('devices'))
  if (E.isLeft(covered)) return covered
  return ensureReservable(state, getContainer(state, container.parent!), limits, container.limits)
}

/** `container_set_limits`: needs `control`; never below what is used and reserved, never above what the parent can give. */
export function containerSetLimits(state: KernelState, caller: ProcessObject, call: SyscallOf<'container_set_limits'>): Check<Done> {
  return pipe(
    lookupCapTo(state, caller, call.slot, 'container', R_CONTROL),
    E.chainFirst(({ object }) => ensure(object.id !== state.ksRoot, 'PermissionDenied', 'not the root container')),
    E.chainFirst(({ object }) => ensureLimitsFit(state, object, call.limits)),
    E.map(({ object }) => {
      const work = draft(state)
      updateObject(work, object, (c) => ({ ...c, limits: call.limits }))
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/** `container_stats`: needs `read`; limits, usage and the children's reservations. */
export function containerStats(state: KernelState, caller: ProcessObject, call: SyscallOf<'container_stats'>): Check<Done> {
  return pipe(
    lookupCapTo(state, caller, call.slot, 'container', R_READ),
    E.map(({ object }) => ({
      state,
      reply: { kind: 'stats' as const, limits: object.limits, usage: object.usage, reserved: childReservations(state, object.id) },
    })),
  )
}
