/**
 * What a user property reads in one model state, once its names are resolved to
 * object ids (resolve.ts): who holds which caps, where a cap sits, whether an
 * object can carry information from one container to another, and counts.
 *
 * A container stands for itself and every container nested in it, the ones created
 * later included (found by `parent` links in the state being read). A named object
 * that is gone matches nothing; ids are never reused, so a later object is never
 * mistaken for it.
 * @module
 */
import type { CapId, ObjectId, ObjectKind } from '../../spec/ids.js'
import { R_READ, R_WRITE, type RightsMask, isSubset, rightsNames } from '../../spec/rights.js'
import type { Cap, KernelState, ProcessObject } from '../../model/state.js'
import { RESERVED_RESOURCES, type ReservedResource } from '../../spec/limits.js'
import type { Measure } from '../../spec/props.js'

/** Objects picked by a selector: one object, or every object of a kind and/or in a container's subtree. */
export type ResolvedObjects =
  | { readonly one: ObjectId }
  | { readonly kind: ObjectKind | null; readonly owner: ObjectId | null }

/** Processes picked by a subject: one process, or every process in a container's subtree. */
export type ResolvedSubject = { readonly process: ObjectId } | { readonly container: ObjectId }

/** A count: of a container (its subtree for `caps` and `running`) or of an endpoint's queue. */
export interface ResolvedCount {
  readonly measure: Measure
  readonly of: ObjectId
}

/** Why a property failed, or the good state a `sometimes` looked for: a sentence and plain JSON. @public */
export interface Witness {
  readonly message: string
  readonly detail: Readonly<Record<string, unknown>>
}

/** Is `container` `top` or nested in it (in `state`)? */
export function within(state: KernelState, container: ObjectId | null, top: ObjectId): boolean {
  for (let at = container; at !== null; ) {
    if (at === top) return true
    const object = state.ksObjects.get(at)
    at = object?.kind === 'container' ? object.parent : null
  }
  return false
}

/** The processes a subject stands for in `state`, in id order. */
export function subjectProcesses(state: KernelState, subject: ResolvedSubject): ProcessObject[] {
  const found: ProcessObject[] = []
  for (const object of state.ksObjects.values()) {
    if (object.kind !== 'process') continue
    if ('process' in subject ? object.id === subject.process : within(state, object.owner, subject.container)) found.push(object)
  }
  return found
}

/** Does the selector pick object `id`? */
export function picks(state: KernelState, selector: ResolvedObjects, id: ObjectId): boolean {
  if ('one' in selector) return selector.one === id
  const object = state.ksObjects.get(id)
  if (object === undefined) return false
  if (selector.kind !== null && object.kind !== selector.kind) return false
  return selector.owner === null || within(state, object.owner, selector.owner)
}

/** Each cap in a slot of `process`, with its slot. */
function* slotCaps(state: KernelState, process: ProcessObject): Generator<{ slot: number; cap: Cap }> {
  for (let slot = 0; slot < process.slots.length; slot++) {
    const id = process.slots[slot]
    if (id === null || id === undefined) continue
    const cap = state.ksCaps.get(id)
    if (cap !== undefined) yield { slot, cap }
  }
}

/** How a witness names an object: by its declared name when it has one (resolve.ts), else by kind and id. */
export type Label = (state: KernelState, id: ObjectId | null) => string

/** `endpoint 6`: an object by kind and id. */
export const plainLabel: Label = (state, id) => (id === null ? 'none' : `${state.ksObjects.get(id)?.kind ?? 'object'} ${id}`)

/** The first cap (process id order, then slot order) a subject holds to a picked object with rights ⊇ `rights`. */
export function findHeld(state: KernelState, subject: ResolvedSubject, selector: ResolvedObjects, rights: RightsMask, label: Label = plainLabel): Witness | null {
  for (const process of subjectProcesses(state, subject)) {
    for (const { slot, cap } of slotCaps(state, process)) {
      if (!picks(state, selector, cap.object) || !isSubset(rights, cap.rights)) continue
      return {
        message: `${label(state, process.id)} holds cap ${cap.id} to ${label(state, cap.object)} with ${rightsNames(cap.rights).join(', ') || 'no rights'} in slot ${slot}`,
        detail: { process: process.id, slot, cap: cap.id, object: cap.object, rights: rightsNames(cap.rights) },
      }
    }
  }
  return null
}

/** The container a cap sits in: its slot's process's, its table's creator, or its queue's endpoint's owner. */
export function capContainer(state: KernelState, cap: Cap): ObjectId | null {
  switch (cap.at.place) {
    case 'slot': return state.ksObjects.get(cap.at.process)?.owner ?? null
    case 'table': return state.ksNamespaces.get(cap.at.namespace)?.creator ?? null
    case 'message': return state.ksObjects.get(cap.at.endpoint)?.owner ?? null
  }
}

/** The first cap (id order) to a picked object that sits outside every container of `inside`. */
export function findEscaped(state: KernelState, selector: ResolvedObjects, inside: ReadonlyArray<ObjectId>, label: Label = plainLabel): Witness | null {
  const ids: CapId[] = [...state.ksCaps.keys()].sort((a, b) => a - b)
  for (const id of ids) {
    const cap = state.ksCaps.get(id)!
    if (!picks(state, selector, cap.object)) continue
    const container = capContainer(state, cap)
    if (inside.some((top) => within(state, container, top))) continue
    const where = cap.at.place === 'slot' ? `slot ${cap.at.slot} of ${label(state, cap.at.process)}`
      : cap.at.place === 'table' ? `table entry ${JSON.stringify(cap.at.key)} of namespace ${cap.at.namespace}` : `a message queued on ${label(state, cap.at.endpoint)}`
    return {
      message: `cap ${cap.id} to ${label(state, cap.object)} sits in ${where}, in ${label(state, container)}`,
      detail: { cap: cap.id, object: cap.object, at: cap.at, container, rights: rightsNames(cap.rights) },
    }
  }
  return null
}

/**
 * An object through which information can flow from container `from` to `to`: a
 * process of `from` holds a cap to it with `write` and a process of `to` one with
 * `read` (an endpoint one sends on and the other receives from, a region one maps
 * writable and the other readable).
 */
export function findFlow(state: KernelState, from: ObjectId, to: ObjectId, label: Label = plainLabel): Witness | null {
  const writers = new Map<ObjectId, { process: ObjectId; cap: CapId }>()
  for (const process of subjectProcesses(state, { container: from })) {
    for (const { cap } of slotCaps(state, process)) {
      if ((cap.rights & R_WRITE) !== 0 && !writers.has(cap.object)) writers.set(cap.object, { process: process.id, cap: cap.id })
    }
  }
  for (const process of subjectProcesses(state, { container: to })) {
    for (const { cap } of slotCaps(state, process)) {
      const writer = writers.get(cap.object)
      if (writer === undefined || (cap.rights & R_READ) === 0) continue
      const containerOf = (id: ObjectId) => label(state, state.ksObjects.get(id)?.owner ?? null)
      return {
        message: `${label(state, writer.process)} (in ${containerOf(writer.process)}) can write ${label(state, cap.object)} through cap ${writer.cap}, and ${label(state, process.id)} (in ${containerOf(process.id)}) can read it through cap ${cap.id}`,
        detail: { object: cap.object, writer: writer.process, writerCap: writer.cap, reader: process.id, readerCap: cap.id },
      }
    }
  }
  return null
}

const isUsage = (measure: Measure): measure is ReservedResource => (RESERVED_RESOURCES as ReadonlyArray<string>).includes(measure)

/** The value of a count in `state` (0 for a container or endpoint that is gone). */
export function countOf(state: KernelState, count: ResolvedCount): number {
  const object = state.ksObjects.get(count.of)
  if (object === undefined) return 0
  if (count.measure === 'queued') return object.kind === 'endpoint' ? object.queue.length : 0
  if (object.kind !== 'container') return 0
  if (isUsage(count.measure)) return object.usage[count.measure]
  let total = 0
  for (const process of subjectProcesses(state, { container: count.of })) {
    if (count.measure === 'running') total += process.status === 'running' ? 1 : 0
    else for (const _ of slotCaps(state, process)) total++
  }
  return total
}
