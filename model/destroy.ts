/**
 * Object destruction (kernel.md §2, §3 and §11 rule 5): the fixpoint that destroys
 * every unpinned object no cap names, killing processes, destroying containers with
 * everything they own, and discarding endpoint queues.
 * @module
 */
import type { ObjectId } from '../spec/ids.js'
import { type ContainerObject, type EndpointObject, type ProcessObject, containerSubtree, getObject } from './state.js'
import { type Draft, updateObject } from './draft.js'
import { deleteCap, removeCapsTo } from './cdt.js'
import { unchargeObject } from './accounting.js'

/** The root container and init: the kernel holds them. */
export function isPinned(work: Draft, id: ObjectId): boolean {
  return id === work.ksRoot || id === work.ksInit
}

/**
 * Kills a running process: its caps are deleted (children re-parented), its
 * mappings go and its charges return. The object stays as a zombie.
 */
export function killProcess(work: Draft, process: ProcessObject): void {
  if (process.status !== 'running') return
  unchargeObject(work, process)
  updateObject(work, process, (p) => ({ ...p, status: 'dead', mappings: [] }))
  for (const cap of process.slots) if (cap !== null) deleteCap(work, cap)
}

/** Discards an endpoint's queue: every message counts as discarded, its cap is deleted. */
function discardQueue(work: Draft, endpoint: EndpointObject): void {
  for (const message of endpoint.queue) if (message.cap !== null) deleteCap(work, message.cap)
  work.gsMessages = { ...work.gsMessages, discarded: work.gsMessages.discarded + endpoint.queue.length }
  updateObject(work, endpoint, (e) => ({ ...e, queue: [] }))
}

/**
 * Destroys a container and its subtree: every object they own goes, every cap to
 * those objects anywhere goes, caps held inside them (slots, queues, their
 * namespace tables) are deleted, and the reservation returns to the parent by the
 * container no longer being counted (LIFE-1).
 */
export function destroyContainer(work: Draft, container: ContainerObject): void {
  const subtree = new Set(containerSubtree(work, container.id))
  const doomed = new Set<ObjectId>([container.id])
  for (const object of work.ksObjects.values()) if (object.owner !== null && subtree.has(object.owner)) doomed.add(object.id)
  removeCapsTo(work, doomed)
  for (const id of doomed) {
    const object = getObject(work, id)!
    if (object.kind === 'process') for (const cap of object.slots) if (cap !== null) deleteCap(work, cap)
    if (object.kind === 'endpoint') discardQueue(work, getObject(work, id) as EndpointObject)
  }
  for (const namespace of [...work.ksNamespaces.values()]) {
    if (!subtree.has(namespace.creator)) continue
    for (const cap of namespace.entries.values()) deleteCap(work, cap)
    work.ksNamespaces.delete(namespace.id)
  }
  for (const id of doomed) work.ksObjects.delete(id)
}

/** Destroys one unnamed object by its kind's rule. */
function destroyObject(work: Draft, id: ObjectId): void {
  const object = getObject(work, id)!
  switch (object.kind) {
    case 'container':
      destroyContainer(work, object)
      return
    case 'process':
      killProcess(work, object)
      break
    case 'endpoint':
      discardQueue(work, object)
      unchargeObject(work, object)
      break
    case 'region':
      for (const holder of work.ksObjects.values()) {
        if (holder.kind === 'process' && holder.mappings.some((m) => m.region === id)) {
          updateObject(work, holder, (p) => ({ ...p, mappings: p.mappings.filter((m) => m.region !== id) }))
        }
      }
      unchargeObject(work, object)
      break
    case 'device':
      break
  }
  work.ksObjects.delete(id)
}

/** Destroys unpinned objects that no cap names, until none is left (a fixpoint). */
export function collectGarbage(work: Draft): void {
  for (;;) {
    const named = new Set<ObjectId>()
    for (const cap of work.ksCaps.values()) named.add(cap.object)
    const unnamed = [...work.ksObjects.keys()].find((id) => !named.has(id) && !isPinned(work, id))
    if (unnamed === undefined) return
    destroyObject(work, unnamed)
  }
}
