/**
 * Booting a declared system (spec/boot.ts `system`), mirroring model/boot-system.ts:
 * containers, processes, objects and caps created after init in declaration
 * order, with the same accounting as the syscalls that would make them. A
 * declaration the kernel cannot honour is refused with a {@link BootError}.
 * @module
 * @internal
 */
import { type SystemDescription, undeclaredName } from '../spec/boot.js'
import { R_ALL, R_CONTROL, R_EXECUTE, R_GRANT, R_READ, R_WRITE, isSubset, rightsMask } from '../spec/rights.js'
import { RESERVED_RESOURCES } from '../spec/limits.js'
import type { Kernel } from './kernel.js'
import { available, reserve } from './accounting.js'
import { insertCap } from './cdt.js'
import { createNamespaces, limitsOf, newContainer } from './objects/containers.js'
import { newProcess } from './objects/processes.js'
import { newEndpoint } from './objects/ipc.js'
import { newRegion } from './objects/memory.js'
import { uidMapCount } from './objects/namespaces.js'
import {
  KIND_CONTAINER, KIND_DEVICE, KIND_ENDPOINT, KIND_PROCESS, KIND_REGION, NONE, NS_USER, RES_ENDPOINTS, RES_MEMORY, RES_PROCESSES,
} from './tables/objects.js'
import { PLACE_SLOT } from './tables/caps.js'

/**
 * A boot the kernel refuses: a declared system it cannot honour (`path` is the JSON
 * path in the configuration) or an image pool that names a digest twice (`path` is
 * `$.images[n]`, the second occurrence). @public
 */
export class BootError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`)
    this.name = 'BootError'
  }
}

/** The rights an original cap of the object's kind carries. */
function originalRights(k: Kernel, object: number): number {
  switch (k.objects.kind[object]) {
    case KIND_REGION: return k.objects.executable[object] === 1 ? R_READ | R_EXECUTE | R_CONTROL : R_READ | R_WRITE | R_CONTROL
    case KIND_ENDPOINT: return R_READ | R_WRITE | R_GRANT
    case KIND_DEVICE: return R_WRITE
    default: return R_ALL
  }
}

class Declarations {
  readonly names: Map<string, number>
  /** The devices' handles by name (1..d): a declared cap may name one. */
  private readonly devices: Map<string, number>
  initSlot: number

  constructor(private readonly k: Kernel, devices: ReadonlyArray<{ readonly name: string }>, private readonly system: SystemDescription) {
    this.names = new Map([['root', k.root], ['init', k.init]])
    this.devices = new Map(devices.map((device, index) => [device.name, index + 1]))
    this.initSlot = devices.length + 1
  }

  lookup(name: string, path: string): number {
    const handle = this.names.get(name) ?? this.devices.get(name)
    if (handle === undefined) throw new BootError(path, undeclaredName(this.system, name, path))
    return handle
  }

  declare(name: string, handle: number, path: string): void {
    if (this.names.has(name)) throw new BootError(path, `the name ${JSON.stringify(name)} is declared twice`)
    if (this.devices.has(name)) throw new BootError(path, `the name ${JSON.stringify(name)} is a device's`)
    this.names.set(name, handle)
  }

  /** Init receives the original cap of each declared container and process, after the devices. */
  giveInit(object: number, path: string): void {
    const k = this.k
    if (this.initSlot >= k.objects.slotCount[k.init]) throw new BootError(path, 'init has no free slot for the original cap; raise init.slots')
    insertCap(k, object, R_ALL, 0, NONE, PLACE_SLOT, k.init, this.initSlot++, null)
  }

  container(name: string, path: string): number {
    const handle = this.lookup(name, path)
    if (this.k.objects.kind[handle] !== KIND_CONTAINER) throw new BootError(path, 'is not a container')
    return handle
  }
}

function spend(k: Kernel, container: number, resource: number, amount: number, path: string): void {
  if (available(k, container, resource) < amount) throw new BootError(path, `container cannot afford ${amount} ${RESERVED_RESOURCES[resource]}`)
}

function bootContainers(k: Kernel, system: SystemDescription, declared: Declarations): void {
  ;(system.containers ?? []).forEach((entry, index) => {
    const path = `$.system.containers[${index}]`
    const parent = declared.container(entry.parent, `${path}.parent`)
    const user = entry.namespaces.user
    const range = uidMapCount(k, k.namespaceOf(parent, NS_USER))
    if (user !== 'share' && user.base + user.count > range) throw new BootError(`${path}.namespaces.user`, `the uid map lies outside the parent's uid range (${range} uids)`)
    RESERVED_RESOURCES.forEach((resource, column) => {
      if (entry.limits[resource] > available(k, parent, column)) throw new BootError(`${path}.limits.${resource}`, 'exceeds what the parent can reserve')
    })
    const parentDevices = limitsOf(k, parent).devices
    if (!entry.limits.devices.every((device) => parentDevices.includes(device))) throw new BootError(`${path}.limits.devices`, 'not within the parent\'s devices')
    const container = newContainer(k, parent, entry.limits)
    createNamespaces(k, container, parent, entry.namespaces)
    reserve(k, parent, container, 1)
    declared.declare(entry.name, container, path)
    declared.giveInit(container, path)
  })
}

function bootProcesses(k: Kernel, system: SystemDescription, declared: Declarations): void {
  ;(system.processes ?? []).forEach((entry, index) => {
    const path = `$.system.processes[${index}]`
    const container = declared.container(entry.container, `${path}.container`)
    const image = k.images.get(entry.image)
    if (image === undefined) throw new BootError(`${path}.image`, 'not in the image pool')
    if (entry.uid >= uidMapCount(k, k.namespaceOf(container, NS_USER))) throw new BootError(`${path}.uid`, 'not mapped in the container\'s user namespace')
    if (!image.trusted) throw new BootError(`${path}.image`, 'not signed by a trusted key (IMG-1: a process runs only such images)')
    if (!image.aboveFloor) throw new BootError(`${path}.image`, `version ${image.record.version} is below the floor ${k.floors.get(image.record.name)!} of ${image.record.name}`)
    spend(k, container, RES_PROCESSES, 1, path)
    spend(k, container, RES_MEMORY, image.memoryBytes, path)
    const process = newProcess(k, container, image, entry.uid, entry.slots)
    declared.declare(entry.name, process, path)
    declared.giveInit(process, path)
  })
}

/** The declared endpoints and regions, in declaration order (their handles). */
function bootObjects(k: Kernel, system: SystemDescription, declared: Declarations): number[] {
  return (system.objects ?? []).map((entry, index) => {
    const path = `$.system.objects[${index}]`
    const owner = declared.container(entry.owner, `${path}.owner`)
    let object: number
    if (entry.kind === 'endpoint') {
      spend(k, owner, RES_ENDPOINTS, 1, path)
      object = newEndpoint(k, owner, entry.depth)
    } else {
      spend(k, owner, RES_MEMORY, entry.sizeBytes, path)
      object = newRegion(k, owner, entry.sizeBytes, entry.executable)
    }
    declared.declare(entry.name, object, path)
    return object
  })
}

/** The declared caps, each checked against its kind and its parent (`holder:slot` of an earlier one). */
function bootCaps(k: Kernel, system: SystemDescription, declared: Declarations): void {
  const declaredCaps = new Map<string, number>()
  const { objects, caps } = k
  ;(system.caps ?? []).forEach((entry, index) => {
    const path = `$.system.caps[${index}]`
    const holder = declared.lookup(entry.holder, `${path}.holder`)
    if (objects.kind[holder] !== KIND_PROCESS) throw new BootError(`${path}.holder`, 'is not a process')
    if (entry.slot >= objects.slotCount[holder] || objects.cspace[holder]![entry.slot] !== NONE) throw new BootError(`${path}.slot`, 'is past the CSpace or already holds a cap')
    const object = declared.lookup(entry.object, `${path}.object`)
    const rights = rightsMask(entry.rights)
    if (!isSubset(rights, originalRights(k, object))) throw new BootError(`${path}.rights`, `more than a ${kindName(k, object)} cap can carry`)
    if ((entry.badge ?? 0) !== 0 && objects.kind[object] !== KIND_ENDPOINT) throw new BootError(`${path}.badge`, 'only endpoint caps carry badges')
    let parent = NONE
    if (entry.parent !== undefined) {
      parent = declaredCaps.get(entry.parent) ?? NONE
      if (parent === NONE) throw new BootError(`${path}.parent`, `no earlier declared cap ${JSON.stringify(entry.parent)} (holder:slot)`)
      if (caps.object[parent] !== object || !isSubset(rights, caps.rights[parent])) throw new BootError(`${path}.parent`, 'names another object or fewer rights')
      if (caps.badge[parent] !== 0 && (entry.badge ?? caps.badge[parent]) !== caps.badge[parent]) throw new BootError(`${path}.badge`, 'differs from its parent\'s badge')
    }
    const badge = entry.badge ?? (parent === NONE ? 0 : caps.badge[parent])
    const cap = insertCap(k, object, rights, badge, parent, PLACE_SLOT, holder, entry.slot, null)
    declaredCaps.set(`${entry.holder}:${entry.slot}`, cap)
  })
}

function kindName(k: Kernel, object: number): string {
  return ['free', 'container', 'process', 'region', 'endpoint', 'device'][k.objects.kind[object]]!
}

/**
 * Creates the declared system in a freshly booted kernel. A declared endpoint or
 * region that no declared cap names is refused, as in the model.
 */
export function bootSystem(k: Kernel, system: SystemDescription, devices: ReadonlyArray<{ readonly name: string }>): void {
  const declared = new Declarations(k, devices, system)
  bootContainers(k, system, declared)
  bootProcesses(k, system, declared)
  const objects = bootObjects(k, system, declared)
  bootCaps(k, system, declared)
  // A declared object that no declared cap names would break OBJ-1 from the first state: refused.
  objects.forEach((object, index) => {
    if (k.objects.capCount[object] === 0) throw new BootError(`$.system.objects[${index}]`, 'no declared cap names it')
  })
}
