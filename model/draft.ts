/**
 * A draft: a mutable copy of a state, used inside one `step` and then frozen. The
 * input state is never touched, so a syscall that fails (or throws) changes nothing.
 * Drafts have the state's shape, so every accessor of `state.ts` reads them too.
 * @module
 */
import type { CapId, NamespaceId, ObjectId } from '../spec/ids.js'
import type { RightsMask } from '../spec/rights.js'
import type { Cap, KernelObject, KernelState, MessageLedger, Namespace } from './state.js'

export type Draft = { -readonly [K in keyof KernelState]: KernelState[K] } & {
  ksObjects: Map<ObjectId, KernelObject>
  ksCaps: Map<CapId, Cap>
  ksNamespaces: Map<NamespaceId, Namespace>
  ksProcessRefs: ObjectId[]
  gsLastReceived: Map<ObjectId, number>
  gsFlows: Map<string, RightsMask>
  gsMessages: MessageLedger
}

export function draft(state: KernelState): Draft {
  return {
    ...state,
    ksObjects: new Map(state.ksObjects),
    ksCaps: new Map(state.ksCaps),
    ksNamespaces: new Map(state.ksNamespaces),
    ksProcessRefs: [...state.ksProcessRefs],
    gsLastReceived: new Map(state.gsLastReceived),
    gsFlows: new Map(state.gsFlows),
  }
}

/** The draft as a state. The draft must not be used afterwards. */
export function freeze(work: Draft): KernelState {
  return work
}

/** Replaces an object with `change(object)`; the kind stays. */
export function updateObject<T extends KernelObject>(work: Draft, object: T, change: (object: T) => T): T {
  const current = work.ksObjects.get(object.id) as T
  const next = change(current)
  work.ksObjects.set(object.id, next)
  return next
}

export function updateNamespace(work: Draft, id: NamespaceId, change: (namespace: Namespace) => Namespace): void {
  work.ksNamespaces.set(id, change(work.ksNamespaces.get(id)!))
}

export function newObjectId(work: Draft): ObjectId {
  return work.ksObjectNext++
}
