/**
 * Object destruction (kernel.md §2, §3, §11 rule 5), mirroring model/destroy.ts.
 * The model recomputes "unnamed objects" until a fixpoint; here an object whose
 * cap count drops to zero is queued (cdt.ts) and the queue is drained at the end
 * of the syscall. The set destroyed is the same: destruction only removes caps, so
 * being unnamed is monotone and the fixpoint does not depend on the order, and a
 * deleted cap's surviving descendants end up under their nearest surviving
 * ancestor in any order.
 * @module
 * @internal
 */
import type { Kernel } from './kernel.js'
import { assert } from './assert.js'
import { reserve, uncharge } from './accounting.js'
import { deleteCap, removeCapsTo, unmapCap } from './cdt.js'
import {
  KIND_CONTAINER, KIND_DEVICE, KIND_ENDPOINT, KIND_FREE, KIND_PROCESS, KIND_REGION, NONE, RES_ENDPOINTS, RES_MEMORY, RES_PROCESSES,
} from './tables/objects.js'

/** Drains the destruction worklist; each entry carries the generation it was queued with. */
export function collectGarbage(k: Kernel): void {
  const objects = k.objects
  while (objects.worklistCount > 0) {
    const handle = objects.worklist[--objects.worklistCount]
    const generation = objects.gcGen[handle]
    objects.gcGen[handle] = -1
    if (objects.kind[handle] === KIND_FREE || objects.gen[handle] !== generation) continue
    assert(objects.capCount[handle] === 0, 'destroy.gc.unnamed')
    destroyObject(k, handle)
  }
}

/** Destroys one unnamed object by its kind's rule. */
function destroyObject(k: Kernel, handle: number): void {
  const objects = k.objects
  switch (objects.kind[handle]) {
    case KIND_CONTAINER:
      destroyContainer(k, handle)
      return
    case KIND_PROCESS:
      killProcess(k, handle)
      break
    case KIND_ENDPOINT:
      discardQueue(k, handle)
      uncharge(k, objects.owner[handle], RES_ENDPOINTS, 1)
      retireEndpoint(k, handle)
      break
    case KIND_REGION:
      uncharge(k, objects.owner[handle], RES_MEMORY, objects.bytes[handle])
      break
    case KIND_DEVICE:
      break
    default:
      assert(false, 'destroy.object.kind')
  }
  objects.free(handle)
}

/**
 * Kills a running process: its charges return, its mappings go, its caps are
 * deleted (children re-parented). The object stays as a zombie while caps name it.
 */
export function killProcess(k: Kernel, process: number): void {
  const objects = k.objects
  assert(objects.kind[process] === KIND_PROCESS, 'destroy.kill.kind')
  if (objects.running[process] === 0) return
  const owner = objects.owner[process]
  uncharge(k, owner, RES_PROCESSES, 1)
  uncharge(k, owner, RES_MEMORY, objects.bytes[process])
  objects.running[process] = 0
  objects.unlinkRunning(process)
  while (objects.mapHead[process] !== NONE) unmapCap(k, objects.mapHead[process])
  const cspace = objects.cspace[process]!
  for (let slot = 0; slot < cspace.length; slot++) {
    const cap = cspace[slot]
    if (cap !== NONE) deleteCap(k, cap)
  }
  assert(objects.mapTail[process] === NONE, 'destroy.kill.unmapped')
  assert(cspace.every((cap) => cap === NONE), 'destroy.kill.emptied')
  objects.touch(process)
}

/** Discards an endpoint's queue: every message counts as discarded, its cap is deleted. */
function discardQueue(k: Kernel, endpoint: number): void {
  const objects = k.objects
  const ring = objects.ring[endpoint]!
  const depth = objects.depth[endpoint]
  const count = objects.queueCount[endpoint]
  for (let index = 0, at = objects.queueHead[endpoint]; index < count; index++, at = at + 1 === depth ? 0 : at + 1) {
    const cap = ring.cap[at]
    if (cap !== NONE) deleteCap(k, cap)
    ring.payload[at] = 0
  }
  k.ledgerDiscarded += count
  objects.queueCount[endpoint] = 0
  objects.queueHead[endpoint] = 0
  objects.touch(endpoint)
}

/** Keeps the ghost "last received" of a destroyed endpoint (the model never drops it). */
function retireEndpoint(k: Kernel, endpoint: number): void {
  const last = k.objects.lastReceived[endpoint]
  if (last < 0) return
  // The map may be shared with snapshots (copy on write).
  if (k.retiredShared) { k.retiredLastReceived = new Map(k.retiredLastReceived); k.retiredShared = false }
  k.retiredLastReceived.set(k.objects.serial[endpoint], last)
}

/** Collects the container subtree rooted at `container` into `objects.scratch`; returns its size. */
function collectSubtree(k: Kernel, container: number): number {
  const objects = k.objects
  const scratch = objects.scratch
  let count = 0
  scratch[count++] = container
  for (let index = 0; index < count; index++) {
    for (let child = objects.childHead[scratch[index]]; child !== NONE; child = objects.childNext[child]) {
      assert(count < scratch.length, 'destroy.subtree.bound')
      scratch[count++] = child
    }
  }
  return count
}

/**
 * Destroys a container and its subtree (LIFE-1): every object they own goes,
 * every cap to those objects anywhere goes, caps held inside them (slots, queues,
 * their namespace tables) are deleted, and the reservation returns to the parent.
 * Time is proportional to what is removed.
 */
export function destroyContainer(k: Kernel, container: number): void {
  const objects = k.objects
  assert(container !== k.root, 'destroy.container.root')
  const count = collectSubtree(k, container)
  const scratch = objects.scratch
  for (let index = 0; index < count; index++) {
    removeCapsTo(k, scratch[index])
    for (let owned = objects.ownedHead[scratch[index]]; owned !== NONE; owned = objects.ownedNext[owned]) {
      if (objects.kind[owned] !== KIND_CONTAINER) removeCapsTo(k, owned)
    }
  }
  for (let index = 0; index < count; index++) releaseHeldCaps(k, scratch[index])
  for (let index = 0; index < count; index++) deleteNamespaces(k, scratch[index])
  const parent = objects.parent[container]
  reserve(k, parent, container, -1)
  objects.unlinkChild(container)
  for (let index = count - 1; index >= 0; index--) freeContainer(k, scratch[index])
}

/** Deletes the caps held by a doomed container's processes and queued on its endpoints. */
function releaseHeldCaps(k: Kernel, container: number): void {
  const objects = k.objects
  for (let owned = objects.ownedHead[container]; owned !== NONE; owned = objects.ownedNext[owned]) {
    if (objects.kind[owned] === KIND_PROCESS) {
      const cspace = objects.cspace[owned]!
      for (let slot = 0; slot < cspace.length; slot++) if (cspace[slot] !== NONE) deleteCap(k, cspace[slot])
    } else if (objects.kind[owned] === KIND_ENDPOINT) {
      discardQueue(k, owned)
    }
  }
}

/** Deletes the namespaces a doomed container created, and the caps in their tables. */
function deleteNamespaces(k: Kernel, container: number): void {
  for (const id of k.objects.created[container]!) {
    const namespace = k.namespaces.get(id)
    for (const cap of namespace.entries.values()) deleteCap(k, cap)
    assert(namespace.entries.size === 0, 'destroy.namespace.empty')
    k.namespaces.delete(id)
  }
}

/** Frees a doomed container and everything it owns but its child containers. */
function freeContainer(k: Kernel, container: number): void {
  const objects = k.objects
  for (let owned = objects.ownedHead[container]; owned !== NONE; ) {
    const next = objects.ownedNext[owned]
    const kind = objects.kind[owned]
    assert(kind !== KIND_CONTAINER, 'destroy.free.children-first')
    if (kind === KIND_PROCESS && objects.running[owned] !== 0) objects.unlinkRunning(owned)
    if (kind === KIND_PROCESS) while (objects.mapHead[owned] !== NONE) unmapCap(k, objects.mapHead[owned])
    if (kind === KIND_ENDPOINT) retireEndpoint(k, owned)
    objects.free(owned)
    owned = next
  }
  objects.rows.free(objects.row[container])
  objects.free(container)
}
