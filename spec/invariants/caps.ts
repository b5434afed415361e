/**
 * Capability invariants (kernel.md §2, §9, §11): the derivation tree is well
 * formed (CAP-1), rights and badges only shrink along it (CAP-2), revoke leaves no
 * descendant (CAP-3), no cap dangles or sits in the wrong place (CAP-4), and an
 * object lives exactly as long as something names it (OBJ-1).
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { CapId } from '../ids.js'
import { R_ALL, R_CONTROL, R_EXECUTE, R_GRANT, R_READ, R_WRITE, type RightsMask, isSubset, rightsNames } from '../rights.js'
import type { Cap, CapLocation, KernelObject, KernelState } from '../../model/state.js'
import type { StateInvariant, StepContext, StepInvariant, Violation } from './types.js'
import { callerProcess, firstOf, firstViolation, natField, successfulSyscall, violation } from './_shared.js'

// ---- CAP-1 -----------------------------------------------------------------

/** A cap's parent link, when it breaks CAP-1: missing parent or parent of another object. */
function checkParentLink(state: KernelState, cap: Cap): O.Option<Violation> {
  if (cap.parent === null) return O.none
  const parent = state.ksCaps.get(cap.parent)
  if (parent === undefined) {
    return violation('CAP-1', `cap ${cap.id} has parent ${cap.parent}, which is not a cap`, { cap: cap.id, object: cap.object, parent: cap.parent })
  }
  if (parent.object !== cap.object) {
    return violation('CAP-1', `cap ${cap.id} names object ${cap.object} but its parent ${parent.id} names ${parent.object}`, {
      cap: cap.id, object: cap.object, parent: parent.id, parentObject: parent.object,
    })
  }
  return O.none
}

/**
 * The first parent cycle in the CDT, as the list of caps on it. Each cap is
 * walked up once: a walk stops at a root, a missing parent, or a cap already
 * known to lead to a root.
 */
export function findParentCycle(state: KernelState): CapId[] | undefined {
  const acyclic = new Set<CapId>()
  for (const start of state.ksCaps.keys()) {
    const path: CapId[] = []
    const onPath = new Set<CapId>()
    for (let at: CapId | null = start; at !== null && !acyclic.has(at); at = state.ksCaps.get(at)?.parent ?? null) {
      if (onPath.has(at)) return path.slice(path.indexOf(at))
      if (!state.ksCaps.has(at)) break
      onPath.add(at)
      path.push(at)
    }
    for (const id of path) acyclic.add(id)
  }
  return undefined
}

/** CAP-1: every cap's parent link points to a present cap of the same object, and parent links form no cycle. */
export function checkCap1(state: KernelState): O.Option<Violation> {
  return firstOf(
    () => firstViolation(state.ksCaps.values(), (cap) => checkParentLink(state, cap)),
    () => {
      const cycle = findParentCycle(state)
      return cycle === undefined ? O.none : violation('CAP-1', `caps ${cycle.join(', ')} form a parent cycle`, { caps: cycle, object: state.ksCaps.get(cycle[0]!)!.object })
    },
  )
}

// ---- CAP-2 -----------------------------------------------------------------

/** The rights of an object's original cap: the most any cap to it may carry (kernel.md §2, §4, §5). */
export function originalRights(object: KernelObject): RightsMask {
  switch (object.kind) {
    case 'container': case 'process': return R_ALL
    case 'region': return object.executable ? R_READ | R_EXECUTE | R_CONTROL : R_READ | R_WRITE | R_CONTROL
    case 'endpoint': return R_READ | R_WRITE | R_GRANT
    case 'device': return R_WRITE
  }
}

/** A cap's rights within its object kind's original rights, and a badge only on an endpoint cap. */
function checkCapAgainstKind(state: KernelState, cap: Cap): O.Option<Violation> {
  const object = state.ksObjects.get(cap.object)
  if (object === undefined) return O.none // dangling: CAP-4 reports it
  if (!isSubset(cap.rights, originalRights(object))) {
    return violation('CAP-2', `cap ${cap.id} to ${object.kind} ${object.id} has rights beyond the kind's original rights`, {
      cap: cap.id, object: object.id, kind: object.kind, rights: rightsNames(cap.rights), allowed: rightsNames(originalRights(object)),
    })
  }
  if (cap.badge !== 0 && object.kind !== 'endpoint') {
    return violation('CAP-2', `cap ${cap.id} to ${object.kind} ${object.id} carries badge ${cap.badge}`, { cap: cap.id, object: object.id, kind: object.kind, badge: cap.badge })
  }
  return O.none
}

/** A child's rights within its parent's, and the parent's badge kept when the parent has one. */
function checkCapAgainstParent(state: KernelState, cap: Cap): O.Option<Violation> {
  const parent = cap.parent === null ? undefined : state.ksCaps.get(cap.parent)
  if (parent === undefined) return O.none // a root, or a broken link that CAP-1 reports
  if (!isSubset(cap.rights, parent.rights)) {
    return violation('CAP-2', `cap ${cap.id} has rights beyond its parent ${parent.id}`, {
      cap: cap.id, parent: parent.id, object: cap.object, rights: rightsNames(cap.rights), parentRights: rightsNames(parent.rights),
    })
  }
  if (parent.badge !== 0 && cap.badge !== parent.badge) {
    return violation('CAP-2', `cap ${cap.id} has badge ${cap.badge} but its parent ${parent.id} is badged ${parent.badge}`, {
      cap: cap.id, parent: parent.id, object: cap.object, badge: cap.badge, parentBadge: parent.badge,
    })
  }
  return O.none
}

/**
 * CAP-2: rights never grow along the CDT and a badge once set never changes;
 * every cap is within its kind's original rights, and only endpoint caps carry badges.
 */
export function checkCap2(state: KernelState): O.Option<Violation> {
  return firstViolation(state.ksCaps.values(), (cap) => firstOf(
    () => checkCapAgainstKind(state, cap),
    () => checkCapAgainstParent(state, cap),
  ))
}

// ---- CAP-3 -----------------------------------------------------------------

/** Every descendant of a cap, each visited once (safe on a CDT with a cycle, which CAP-1 reports). */
export function descendantsOf(state: KernelState, id: CapId): Cap[] {
  const children = new Map<CapId, Cap[]>()
  for (const cap of state.ksCaps.values()) {
    if (cap.parent !== null) children.set(cap.parent, [...(children.get(cap.parent) ?? []), cap])
  }
  const found: Cap[] = []
  const seen = new Set<CapId>([id])
  const frontier = [id]
  while (frontier.length > 0) {
    for (const child of children.get(frontier.pop()!) ?? []) {
      if (seen.has(child.id)) continue
      seen.add(child.id)
      found.push(child)
      frontier.push(child.id)
    }
  }
  return found
}

/**
 * CAP-3 (step): after a successful `cap_revoke`, the cap in the caller's slot is
 * still there and has no descendants anywhere (slots, tables, queued messages),
 * and every cap that descended from it before the revoke is gone — not merely
 * cut loose from the tree (cap identities are never reused).
 */
export function checkCap3(step: StepContext): O.Option<Violation> {
  const revoke = successfulSyscall(step, ['cap_revoke'])
  if (revoke === undefined) return O.none
  const caller = natField(revoke.fields, 'caller')
  const slot = natField(revoke.fields, 'slot')
  const process = callerProcess(step.after, revoke.fields)
  const capId = process === undefined || slot === undefined ? undefined : process.slots[slot]
  if (capId === undefined || capId === null || !step.after.ksCaps.has(capId)) {
    return violation('CAP-3', `the revoked cap (caller ${caller}, slot ${slot}) is gone after cap_revoke`, {
      caller: caller ?? null, slot: slot ?? null, process: process?.id ?? null, cap: capId ?? null,
    })
  }
  const descendants = descendantsOf(step.after, capId)
  if (descendants.length > 0) {
    return violation('CAP-3', `cap ${capId} still has ${descendants.length} descendant(s) after cap_revoke`, {
      caller, slot, process: process!.id, cap: capId, object: step.after.ksCaps.get(capId)!.object,
      descendants: descendants.map((d) => d.id), places: descendants.map((d) => d.at),
    })
  }
  const survivors = descendantsOf(step.before, capId).filter((d) => step.after.ksCaps.has(d.id)).map((d) => step.after.ksCaps.get(d.id)!)
  if (survivors.length === 0) return O.none
  return violation('CAP-3', `${survivors.length} cap(s) derived from cap ${capId} survive cap_revoke, cut loose from the tree`, {
    caller, slot, process: process!.id, cap: capId, object: step.after.ksCaps.get(capId)!.object,
    survivors: survivors.map((d) => d.id), places: survivors.map((d) => d.at),
  })
}

// ---- CAP-4 -----------------------------------------------------------------

/** What a place holds: a cap id, null when empty, undefined when the place does not exist. */
export function capAtPlace(state: KernelState, at: CapLocation): CapId | null | undefined {
  switch (at.place) {
    case 'slot': {
      const process = state.ksObjects.get(at.process)
      return process?.kind === 'process' ? process.slots[at.slot] : undefined
    }
    case 'table': {
      const namespace = state.ksNamespaces.get(at.namespace)
      return namespace === undefined ? undefined : namespace.entries.get(at.key) ?? null
    }
    case 'message': {
      const endpoint = state.ksObjects.get(at.endpoint)
      return endpoint?.kind === 'endpoint' ? endpoint.queue.find((m) => m.seq === at.seq)?.cap : undefined
    }
  }
}

/** Two cap locations are the same place. */
export function samePlace(a: CapLocation, b: CapLocation): boolean {
  switch (a.place) {
    case 'slot': return b.place === 'slot' && a.process === b.process && a.slot === b.slot
    case 'table': return b.place === 'table' && a.namespace === b.namespace && a.key === b.key
    case 'message': return b.place === 'message' && a.endpoint === b.endpoint && a.seq === b.seq
  }
}

/** A cap names a live object, and the place it records holds it. */
function checkCapPlace(state: KernelState, cap: Cap): O.Option<Violation> {
  if (!state.ksObjects.has(cap.object)) {
    return violation('CAP-4', `cap ${cap.id} names object ${cap.object}, which is not live`, { cap: cap.id, object: cap.object, at: cap.at })
  }
  const held = capAtPlace(state, cap.at)
  if (held !== cap.id) {
    return violation('CAP-4', `cap ${cap.id} says it is at a place that holds ${held ?? 'nothing'}`, { cap: cap.id, object: cap.object, at: cap.at, held: held ?? null })
  }
  return O.none
}

/** Every place that holds a cap: process slots, table entries, queued messages. */
export function heldCaps(state: KernelState): Array<{ at: CapLocation; cap: CapId }> {
  const held: Array<{ at: CapLocation; cap: CapId }> = []
  for (const object of state.ksObjects.values()) {
    if (object.kind === 'process') {
      object.slots.forEach((cap, slot) => { if (cap !== null) held.push({ at: { place: 'slot', process: object.id, slot }, cap }) })
    }
    if (object.kind === 'endpoint') {
      for (const message of object.queue) if (message.cap !== null) held.push({ at: { place: 'message', endpoint: object.id, seq: message.seq }, cap: message.cap })
    }
  }
  for (const namespace of state.ksNamespaces.values()) {
    for (const [key, cap] of namespace.entries) held.push({ at: { place: 'table', namespace: namespace.id, key }, cap })
  }
  return held
}

/** A place that holds a cap id holds a present cap that records this place. */
function checkHeldCap(state: KernelState, held: { at: CapLocation; cap: CapId }): O.Option<Violation> {
  const cap = state.ksCaps.get(held.cap)
  if (cap === undefined) return violation('CAP-4', `a place holds cap ${held.cap}, which does not exist`, { cap: held.cap, at: held.at })
  if (!samePlace(cap.at, held.at)) {
    return violation('CAP-4', `cap ${cap.id} is held at a place other than the one it records`, { cap: cap.id, object: cap.object, at: cap.at, heldAt: held.at })
  }
  return O.none
}

/**
 * CAP-4: no dangling cap. Every cap names a live object and sits where it says
 * (slot, table entry, queued message); every cap a place holds exists and agrees.
 */
export function checkCap4(state: KernelState): O.Option<Violation> {
  return firstOf(
    () => firstViolation(state.ksCaps.values(), (cap) => checkCapPlace(state, cap)),
    () => firstViolation(heldCaps(state), (held) => checkHeldCap(state, held)),
  )
}

// ---- OBJ-1 -----------------------------------------------------------------

/** The root container and init: live with no cap naming them (docs/decisions.md). */
export function isPinnedObject(state: KernelState, id: number): boolean {
  return id === state.ksRoot || id === state.ksInit
}

/** OBJ-1: an object is live iff some cap names it or it is pinned (root container, init). */
export function checkObj1(state: KernelState): O.Option<Violation> {
  const named = new Map<number, CapId[]>()
  for (const cap of state.ksCaps.values()) named.set(cap.object, [...(named.get(cap.object) ?? []), cap.id])
  return firstOf(
    () => firstViolation(state.ksObjects.values(), (object) => named.has(object.id) || isPinnedObject(state, object.id)
      ? O.none
      : violation('OBJ-1', `${object.kind} ${object.id} is live but no cap names it`, { object: object.id, kind: object.kind, owner: object.owner })),
    () => firstViolation(named, ([object, caps]) => state.ksObjects.has(object)
      ? O.none
      : violation('OBJ-1', `object ${object} is named by caps but is not live`, { object, caps })),
    () => firstViolation([state.ksRoot, state.ksInit], (object) => state.ksObjects.has(object)
      ? O.none
      : violation('OBJ-1', `pinned object ${object} is not live`, { object })),
  )
}

// ---- registry entries ------------------------------------------------------

/** CAP-1 as a registry entry. */
export const CAP_1: StateInvariant = {
  id: 'CAP-1', scope: 'state', check: checkCap1,
  statement: 'no forgery: every parent link points to a present cap of the same object, without cycles',
}
/** CAP-2 as a registry entry. */
export const CAP_2: StateInvariant = {
  id: 'CAP-2', scope: 'state', check: checkCap2,
  statement: "rights and badges only shrink or stay along the CDT; a cap is within its kind's original rights; badges only on endpoint caps",
}
/** CAP-3 as a registry entry. */
export const CAP_3: StepInvariant = {
  id: 'CAP-3', scope: 'step', check: checkCap3,
  statement: 'after cap_revoke, the cap is still there and has no descendants anywhere; every cap derived from it before is gone',
}
/** CAP-4 as a registry entry. */
export const CAP_4: StateInvariant = {
  id: 'CAP-4', scope: 'state', check: checkCap4,
  statement: 'no dangling cap: every cap (slot, table, queued message) names a live object and sits where it says',
}
/** OBJ-1 as a registry entry. */
export const OBJ_1: StateInvariant = {
  id: 'OBJ-1', scope: 'state', check: checkObj1,
  statement: 'an object is live iff some cap names it, or it is pinned (root container, init)',
}
