/**
 * Booting a declared system (spec/boot.ts `system`): the containers, processes,
 * objects and caps a boot configuration asks for, created after init in
 * declaration order, with the same accounting as the syscalls that would make them.
 * A declaration the kernel could not honour is refused with a {@link BootError}
 * naming the place in the configuration.
 * @module
 */
import { type SystemDescription, undeclaredName } from '../spec/boot.js'
import type { ObjectId } from '../spec/ids.js'
import { R_ALL, isSubset, rightsMask } from '../spec/rights.js'
import { originalRights } from '../spec/invariants/caps.js'
import { RESERVED_RESOURCES, ZERO_USAGE, type ReservedResource } from '../spec/limits.js'
import { getContainer, getNamespace, getObject } from './state.js'
import { type Draft, newObjectId } from './draft.js'
import { insertCap, recordFlow } from './cdt.js'
import { available, charge } from './accounting.js'
import { createNamespaces } from './objects/containers.js'
import { createProcess, isAboveFloor, isSignatureTrusted } from './objects/processes.js'

/**
 * A boot the kernel refuses: `path` is the JSON path in the boot configuration
 * (`$.system…`), or `$.images[n]` for the n-th image of the pool.
 */
export class BootError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`)
    this.name = 'BootError'
  }
}

/**
 * A boot refusal of the model or of the impl (impl/boot.ts), told by its name
 * and path rather than its class: a seeded impl mutant boots in a copy of the
 * impl, whose `BootError` is a class of its own.
 */
export function isBootError(error: unknown): error is Error & { readonly path: string } {
  return error instanceof Error && error.name === 'BootError' && typeof (error as { path?: unknown }).path === 'string'
}

function spend(work: Draft, container: ObjectId, resource: ReservedResource, amount: number, path: string): void {
  if (available(work, getContainer(work, container), resource) < amount) throw new BootError(path, `container cannot afford ${amount} ${resource}`)
  charge(work, container, resource, amount)
}

/**
 * Creates the declared system in `work`, which holds a freshly booted state with
 * `devices` (objects 1..d); answers the object each declared name (and `root`,
 * `init`) stands for. A declared cap may name a device by its name; a declared
 * name may not be a device's.
 */
export function bootSystem(work: Draft, system: SystemDescription, devices: ReadonlyArray<{ readonly name: string }>): ReadonlyMap<string, ObjectId> {
  const names = new Map<string, ObjectId>([['root', work.ksRoot], ['init', work.ksInit]])
  const deviceIds = new Map(devices.map((device, index) => [device.name, index + 1]))
  const lookup = (name: string, path: string): ObjectId => {
    const id = names.get(name) ?? deviceIds.get(name)
    if (id === undefined) throw new BootError(path, undeclaredName(system, name, path))
    return id
  }
  const declare = (name: string, id: ObjectId, path: string) => {
    if (names.has(name)) throw new BootError(path, `the name ${JSON.stringify(name)} is declared twice`)
    if (deviceIds.has(name)) throw new BootError(path, `the name ${JSON.stringify(name)} is a device's`)
    names.set(name, id)
  }
  let initSlot = devices.length + 1
  const giveInit = (object: ObjectId, path: string) => {
    const init = getObject(work, work.ksInit)
    if (init?.kind !== 'process' || initSlot >= init.slots.length) throw new BootError(path, 'init has no free slot for the original cap; raise init.slots')
    recordFlow(work, insertCap(work, { object, rights: R_ALL, badge: 0, parent: null, at: { place: 'slot', process: work.ksInit, slot: initSlot++ } }), work.ksRoot)
  }
  ;(system.containers ?? []).forEach((declared, index) => {
    const path = `$.system.containers[${index}]`
    const parent = getObject(work, lookup(declared.parent, `${path}.parent`))
    if (parent?.kind !== 'container') throw new BootError(`${path}.parent`, 'is not a container')
    const user = declared.namespaces.user
    const range = getNamespace(work, parent.namespaces.user).uidMap.count
    if (user !== 'share' && user.base + user.count > range) throw new BootError(`${path}.namespaces.user`, `the uid map lies outside the parent's uid range (${range} uids)`)
    for (const resource of RESERVED_RESOURCES) {
      if (declared.limits[resource] > available(work, parent, resource)) throw new BootError(`${path}.limits.${resource}`, 'exceeds what the parent can reserve')
    }
    if (!declared.limits.devices.every((d) => parent.limits.devices.includes(d))) throw new BootError(`${path}.limits.devices`, 'not within the parent\'s devices')
    const id = newObjectId(work)
    const namespaces = createNamespaces(work, id, parent, declared.namespaces)
    work.ksObjects.set(id, { kind: 'container', id, owner: parent.id, parent: parent.id, limits: declared.limits, usage: ZERO_USAGE, namespaces })
    declare(declared.name, id, path)
    giveInit(id, path)
  })
  ;(system.processes ?? []).forEach((declared, index) => {
    const path = `$.system.processes[${index}]`
    const container = getObject(work, lookup(declared.container, `${path}.container`))
    if (container?.kind !== 'container') throw new BootError(`${path}.container`, 'is not a container')
    const image = work.ksImages.get(declared.image)
    if (image === undefined) throw new BootError(`${path}.image`, 'not in the image pool')
    if (declared.uid >= getNamespace(work, container.namespaces.user).uidMap.count) throw new BootError(`${path}.uid`, 'not mapped in the container\'s user namespace')
    if (!isSignatureTrusted(work, image)) throw new BootError(`${path}.image`, 'not signed by a trusted key (IMG-1: a process runs only such images)')
    if (!isAboveFloor(work, image)) throw new BootError(`${path}.image`, `version ${image.version} is below the floor ${work.ksFloors.get(image.name)!} of ${image.name}`)
    if (available(work, container, 'processes') < 1) throw new BootError(path, 'container cannot afford 1 processes')
    if (available(work, container, 'memoryBytes') < image.manifest.memoryBytes) throw new BootError(path, `container cannot afford ${image.manifest.memoryBytes} memoryBytes`)
    const { id } = createProcess(work, container, image, declared.uid, declared.slots)
    declare(declared.name, id, path)
    giveInit(id, path)
  })
  ;(system.objects ?? []).forEach((declared, index) => {
    const path = `$.system.objects[${index}]`
    const owner = getObject(work, lookup(declared.owner, `${path}.owner`))
    if (owner?.kind !== 'container') throw new BootError(`${path}.owner`, 'is not a container')
    const id = newObjectId(work)
    if (declared.kind === 'endpoint') {
      spend(work, owner.id, 'endpoints', 1, path)
      work.ksObjects.set(id, { kind: 'endpoint', id, owner: owner.id, depth: declared.depth, queue: [] })
    } else {
      spend(work, owner.id, 'memoryBytes', declared.sizeBytes, path)
      work.ksObjects.set(id, { kind: 'region', id, owner: owner.id, sizeBytes: declared.sizeBytes, executable: declared.executable })
    }
    declare(declared.name, id, path)
  })
  bootCaps(work, system, lookup)
  // A declared object that no declared cap names would break OBJ-1 from the first state: refused.
  ;(system.objects ?? []).forEach((declared, index) => {
    const id = lookup(declared.name, `$.system.objects[${index}]`)
    if (![...work.ksCaps.values()].some((cap) => cap.object === id)) throw new BootError(`$.system.objects[${index}]`, 'no declared cap names it')
  })
  return names
}

/** The declared caps, each checked against its kind and its parent. */
function bootCaps(work: Draft, system: SystemDescription, lookup: (name: string, path: string) => ObjectId): void {
  const declaredCaps = new Map<string, number>()
  ;(system.caps ?? []).forEach((declared, index) => {
    const path = `$.system.caps[${index}]`
    const holder = getObject(work, lookup(declared.holder, `${path}.holder`))
    if (holder?.kind !== 'process') throw new BootError(`${path}.holder`, 'is not a process')
    if (declared.slot >= holder.slots.length || holder.slots[declared.slot] !== null) throw new BootError(`${path}.slot`, 'is past the CSpace or already holds a cap')
    const object = getObject(work, lookup(declared.object, `${path}.object`))!
    const rights = rightsMask(declared.rights)
    if (!isSubset(rights, originalRights(object))) throw new BootError(`${path}.rights`, `more than a ${object.kind} cap can carry`)
    if ((declared.badge ?? 0) !== 0 && object.kind !== 'endpoint') throw new BootError(`${path}.badge`, 'only endpoint caps carry badges')
    let parent: number | null = null
    if (declared.parent !== undefined) {
      parent = declaredCaps.get(declared.parent) ?? null
      const parentCap = parent === null ? undefined : work.ksCaps.get(parent)
      if (parentCap === undefined) throw new BootError(`${path}.parent`, `no earlier declared cap ${JSON.stringify(declared.parent)} (holder:slot)`)
      if (parentCap.object !== object.id || !isSubset(rights, parentCap.rights)) throw new BootError(`${path}.parent`, 'names another object or fewer rights')
      if (parentCap.badge !== 0 && (declared.badge ?? parentCap.badge) !== parentCap.badge) throw new BootError(`${path}.badge`, 'differs from its parent\'s badge')
    }
    const badge = declared.badge ?? (parent === null ? 0 : work.ksCaps.get(parent)!.badge)
    const id = insertCap(work, { object: object.id, rights, badge, parent, at: { place: 'slot', process: holder.id, slot: declared.slot } })
    recordFlow(work, id, holder.owner!)
    declaredCaps.set(`${declared.holder}:${declared.slot}`, id)
  })
}
