/**
 * The capability derivation tree (kernel.md §2): creating caps where they live
 * (slots, namespace tables, queued messages), moving, deleting and revoking them.
 * Deleting a cap re-parents its children; revoking removes every descendant. Both
 * leave object destruction to {@link collectGarbage} in `destroy.ts`.
 * @module
 */
import type { CapId, ObjectId } from '../spec/ids.js'
import type { RightsMask } from '../spec/rights.js'
import { type Cap, type CapLocation, capChildren, capDescendants, flowKey, getCap, getObject, getProcess } from './state.js'
import { type Draft, updateNamespace, updateObject } from './draft.js'

/** Writes `cap` (or, with null, nothing) into the place `at` names. */
function setPlace(work: Draft, at: CapLocation, cap: CapId | null): void {
  switch (at.place) {
    case 'slot':
      updateObject(work, getProcess(work, at.process), (p) => ({ ...p, slots: p.slots.map((s, i) => (i === at.slot ? cap : s)) }))
      return
    case 'table':
      updateNamespace(work, at.namespace, (n) => {
        const entries = new Map(n.entries)
        if (cap === null) entries.delete(at.key)
        else entries.set(at.key, cap)
        return { ...n, entries }
      })
      return
    case 'message': {
      const endpoint = getObject(work, at.endpoint)
      if (endpoint?.kind !== 'endpoint') throw new Error(`KernelBug: message on ${at.endpoint}`)
      updateObject(work, endpoint, (e) => ({ ...e, queue: e.queue.map((m) => (m.seq === at.seq ? { ...m, cap } : m)) }))
    }
  }
}

/** Creates a cap at `at` (which must be empty) and returns its id. */
export function insertCap(work: Draft, fields: { object: ObjectId; rights: RightsMask; badge: number; parent: CapId | null; at: CapLocation }): CapId {
  const id = work.ksCapNext++
  work.ksCaps.set(id, { id, ...fields })
  setPlace(work, fields.at, id)
  return id
}

/** A child of `parent` with the given rights (⊆ the parent's) and the parent's badge unless given. */
export function deriveCap(work: Draft, parent: Cap, rights: RightsMask, at: CapLocation, badge = parent.badge): CapId {
  return insertCap(work, { object: parent.object, rights: rights & parent.rights, badge, parent: parent.id, at })
}

/** Moves a cap to another place; its identity and CDT position stay. */
export function moveCap(work: Draft, id: CapId, to: CapLocation): void {
  const cap = getCap(work, id)
  setPlace(work, cap.at, null)
  work.ksCaps.set(id, { ...cap, at: to })
  setPlace(work, to, id)
}

function placeExists(work: Draft, at: CapLocation): boolean {
  switch (at.place) {
    case 'slot': return work.ksObjects.has(at.process)
    case 'table': return work.ksNamespaces.has(at.namespace)
    case 'message': return work.ksObjects.has(at.endpoint)
  }
}

/** Removes a cap from its place (if that still exists) and drops the mappings made through it (ISO-4). */
function detachCap(work: Draft, cap: Cap): void {
  if (placeExists(work, cap.at)) {
    setPlace(work, cap.at, null)
    if (cap.at.place === 'slot') {
      const process = getProcess(work, cap.at.process)
      if (process.mappings.some((m) => m.cap === cap.id)) {
        updateObject(work, process, (p) => ({ ...p, mappings: p.mappings.filter((m) => m.cap !== cap.id) }))
      }
    }
  }
  work.ksCaps.delete(cap.id)
}

/** Deletes one cap; its children move up to its parent. */
export function deleteCap(work: Draft, id: CapId): void {
  const cap = getCap(work, id)
  for (const child of capChildren(work, id)) work.ksCaps.set(child.id, { ...child, parent: cap.parent })
  detachCap(work, cap)
}

/** Removes every descendant of a cap, wherever it is; the cap itself stays. */
export function revokeCap(work: Draft, id: CapId): void {
  for (const descendant of capDescendants(work, id)) detachCap(work, descendant)
}

/** Removes every cap that names one of `objects`, with no re-parenting (all go). */
export function removeCapsTo(work: Draft, objects: ReadonlySet<ObjectId>): void {
  for (const cap of [...work.ksCaps.values()]) {
    if (objects.has(cap.object)) detachCap(work, cap)
  }
}

/**
 * Records that a cap crossed into `container` through a sanctioned channel, for
 * ISO-1. Only caps naming another container's object are recorded.
 */
export function recordFlow(work: Draft, id: CapId, container: ObjectId): void {
  const cap = getCap(work, id)
  const object = getObject(work, cap.object)
  if (object === undefined || (object.owner ?? object.id) === container) return
  const key = flowKey(cap.object, container)
  work.gsFlows.set(key, (work.gsFlows.get(key) ?? 0) | cap.rights)
}
