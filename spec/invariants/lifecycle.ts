/**
 * Lifecycle and image invariants (kernel.md §3, §4, §9): a destroyed container
 * leaves nothing behind and its reservation returns (LIFE-1); every running
 * process runs a trusted image at or above its floor (IMG-1); a spawned process
 * starts with only what its manifest asks and its spawner holds (IMG-2).
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import { gte } from 'semver'
import type { ObjectId, ObjectKind } from '../ids.js'
import { isSubset, rightsMask, rightsNames } from '../rights.js'
import { RESERVED_RESOURCES, type ReservedResource } from '../limits.js'
import type { CapRequest } from '../images.js'
import type { Cap, ContainerObject, KernelState, ProcessObject } from '../../model/state.js'
import { childReservations } from '../../model/accounting.js'
import type { StateInvariant, StepContext, StepInvariant, Violation } from './types.js'
import {
  type SyscallFields, callerProcess, containersOf, firstOf, firstViolation, natField, processOfRef, processesOf, successfulSyscall, syscallFields, violation,
} from './_shared.js'

// ---- LIFE-1 ----------------------------------------------------------------

/** The container a successful `container_destroy` named (through the caller's slot, before the step). */
function destroyTarget(step: StepContext): ObjectId | undefined {
  const call = successfulSyscall(step, ['container_destroy'])
  const slot = call === undefined ? undefined : natField(call.fields, 'slot')
  const process = call === undefined ? undefined : callerProcess(step.before, call.fields)
  const capId = slot === undefined ? undefined : process?.slots[slot]
  return capId === undefined || capId === null ? undefined : step.before.ksCaps.get(capId)?.object
}

/** After a step, nothing remains that a gone container owned, created, or that named a gone object. */
function checkRemains(step: StepContext, gone: ReadonlySet<ObjectId>, goneObjects: ReadonlySet<ObjectId>): O.Option<Violation> {
  return firstOf(
    () => firstViolation(step.after.ksObjects.values(), (object) => object.owner === null || !gone.has(object.owner) ? O.none
      : violation('LIFE-1', `${object.kind} ${object.id} of destroyed container ${object.owner} remains`, { container: object.owner, object: object.id, kind: object.kind })),
    () => firstViolation(step.after.ksCaps.values(), (cap) => !goneObjects.has(cap.object) ? O.none
      : violation('LIFE-1', `cap ${cap.id} still names destroyed object ${cap.object}`, { cap: cap.id, object: cap.object, at: cap.at })),
    () => firstViolation(step.after.ksNamespaces.values(), (namespace) => !gone.has(namespace.creator) ? O.none
      : violation('LIFE-1', `${namespace.kind} namespace ${namespace.id} of destroyed container ${namespace.creator} remains`, { container: namespace.creator, namespace: namespace.id })),
  )
}

/**
 * What the step charged `container` for the syscall itself: one CPU unit when
 * CPU accounting is on and the caller lives there (kernel.md §3), else nothing.
 */
function syscallCharge(step: StepContext, container: ObjectId, resource: ReservedResource): number {
  if (resource !== 'cpuBudget' || !step.before.ksCpuAccounting) return 0
  const fields = syscallFields(step.syscall)
  return fields !== undefined && callerProcess(step.before, fields)?.owner === container ? 1 : 0
}

/**
 * A live parent has its gone children's reservations back, per resource: its
 * reservations dropped by at least their limits (reserved(after) ≤
 * reserved(before) − Σ limits of its gone children), and none of it went into
 * its usage instead — usage rose by nothing but the syscall's own CPU charge,
 * so what it can reserve or spend rose by at least what was returned.
 */
function checkReservationReturned(step: StepContext, parent: ObjectId, children: ReadonlyArray<ContainerObject>): O.Option<Violation> {
  const before = step.before.ksObjects.get(parent)
  const after = step.after.ksObjects.get(parent)
  if (before?.kind !== 'container' || after?.kind !== 'container') return O.none
  const reservedBefore = childReservations(step.before, parent)
  const reservedAfter = childReservations(step.after, parent)
  const gone = children.map((c) => c.id)
  return firstViolation(RESERVED_RESOURCES, (resource) => {
    const returned = children.reduce((sum, child) => sum + child.limits[resource], 0)
    if (reservedAfter[resource] > reservedBefore[resource] - returned) {
      return violation('LIFE-1', `parent ${parent} still reserves ${resource} for destroyed children ${gone.join(', ')}`, {
        parent, containers: gone, resource, reservedBefore: reservedBefore[resource], reservedAfter: reservedAfter[resource], returned,
      })
    }
    const charged = syscallCharge(step, parent, resource)
    if (after.usage[resource] <= before.usage[resource] + charged) return O.none
    return violation('LIFE-1', `parent ${parent}'s ${resource} usage rose from ${before.usage[resource]} to ${after.usage[resource]} as destroyed children ${gone.join(', ')} went: their reservation is not back with it`, {
      parent, containers: gone, resource, usageBefore: before.usage[resource], usageAfter: after.usage[resource], charged, returned,
    })
  })
}

/** Gone containers grouped by their parent. */
function byParent(containers: ReadonlyArray<ContainerObject>): Map<ObjectId, ContainerObject[]> {
  const groups = new Map<ObjectId, ContainerObject[]>()
  for (const container of containers) {
    if (container.parent !== null) groups.set(container.parent, [...(groups.get(container.parent) ?? []), container])
  }
  return groups
}

/**
 * LIFE-1 (step): after a successful `container_destroy` the named container is
 * gone; and after any step in which containers went away, no object they owned,
 * no namespace they created and no cap to a gone object remains, and each live
 * parent has their reservations back: no longer reserved, and not turned into
 * its usage either.
 */
export function checkLife1(step: StepContext): O.Option<Violation> {
  const target = destroyTarget(step)
  if (target !== undefined && step.after.ksObjects.has(target)) {
    return violation('LIFE-1', `container ${target} is still live after a successful container_destroy`, { container: target })
  }
  const goneContainers = containersOf(step.before).filter((container) => !step.after.ksObjects.has(container.id))
  if (goneContainers.length === 0) return O.none
  const gone = new Set(goneContainers.map((container) => container.id))
  const goneObjects = new Set([...step.before.ksObjects.keys()].filter((id) => !step.after.ksObjects.has(id)))
  return firstOf(
    () => checkRemains(step, gone, goneObjects),
    () => firstViolation(byParent(goneContainers), ([parent, children]) => checkReservationReturned(step, parent, children)),
  )
}

// ---- IMG-1 -----------------------------------------------------------------

/** One running process's image: known, with a signature by a trusted key that verifies, at or above its name's floor. */
function checkImage(state: KernelState, process: ProcessObject): O.Option<Violation> {
  const image = process.image === null ? undefined : state.ksImages.get(process.image)
  const base = { process: process.id, ref: process.ref, image: process.image }
  if (image === undefined) return violation('IMG-1', `process ${process.id} runs no known image`, base)
  const witness = { ...base, name: image.name, version: image.version, signatures: image.signatures, floor: state.ksFloors.get(image.name) ?? null }
  const byTrustedKeys = image.signatures.filter((signature) => state.ksKeyring.has(signature.signer))
  if (byTrustedKeys.length === 0) {
    const signers = image.signatures.map((signature) => signature.signer).join(', ')
    return violation('IMG-1', `process ${process.id} runs image ${image.name}@${image.version} ${signers === '' ? 'that is unsigned' : `signed only by untrusted keys (${signers})`}`, witness)
  }
  if (!byTrustedKeys.some((signature) => signature.verifies)) {
    const what = byTrustedKeys.length === 1 ? 'signature does not verify' : 'signatures by trusted keys do not verify'
    return violation('IMG-1', `process ${process.id} runs image ${image.name}@${image.version} whose ${what}`, witness)
  }
  if (witness.floor !== null && !gte(image.version, witness.floor)) {
    return violation('IMG-1', `process ${process.id} runs image ${image.name}@${image.version}, below the floor ${witness.floor}`, witness)
  }
  return O.none
}

/** IMG-1: every running process other than init runs an image that is signed by a key in the keyring and at or above its rollback floor. */
export function checkImg1(state: KernelState): O.Option<Violation> {
  const running = processesOf(state).filter((process) => process.status === 'running' && process.id !== state.ksInit)
  return firstViolation(running, (process) => checkImage(state, process))
}

// ---- IMG-2 -----------------------------------------------------------------

/** A granted cap as the manifest sees it. */
interface GrantedCap {
  readonly slot: number
  readonly cap: Cap
  readonly kind: ObjectKind | undefined
  /** The device's name, for a device cap. */
  readonly device: string | null
}

/** Can a granted cap be charged to request `request`: the same kind (for a device, the one it names, if any), rights within it. */
function fitsRequest(granted: GrantedCap, request: CapRequest): boolean {
  return granted.kind === request.kind
    && (request.device === undefined || request.device === granted.device)
    && isSubset(granted.cap.rights, rightsMask(request.rights))
}

/**
 * The granted caps that cannot each be charged to a distinct manifest request: a
 * maximum bipartite matching (augmenting paths), so the order of grants and
 * requests does not matter. Bounded by grants × requests.
 */
export function unmatchedGrants(granted: ReadonlyArray<GrantedCap>, requests: ReadonlyArray<CapRequest>): GrantedCap[] {
  const holder: Array<number | undefined> = new Array(requests.length).fill(undefined)
  const augment = (index: number, seen: Set<number>): boolean => {
    for (const [request, entry] of requests.entries()) {
      if (seen.has(request) || !fitsRequest(granted[index]!, entry)) continue
      seen.add(request)
      const current = holder[request]
      if (current === undefined || augment(current, seen)) {
        holder[request] = index
        return true
      }
    }
    return false
  }
  return granted.filter((_, index) => !augment(index, new Set()))
}

/** One granted cap: a child of the cap in the caller's grant slot (before the step), with rights ⊆ it. */
function checkGrantParent(step: StepContext, base: Record<string, unknown>, caller: ProcessObject, granted: GrantedCap, grantSlot: number | undefined): O.Option<Violation> {
  const expected = grantSlot === undefined ? undefined : caller.slots[grantSlot]
  const parent = expected === undefined || expected === null ? undefined : step.before.ksCaps.get(expected)
  const witness = { ...base, slot: granted.slot, cap: granted.cap.id, parent: granted.cap.parent, grantSlot: grantSlot ?? null, expectedParent: expected ?? null }
  if (parent === undefined || granted.cap.parent !== parent.id) {
    return violation('IMG-2', `initial cap ${granted.cap.id} in slot ${granted.slot} is not a child of the caller's cap in its grant slot`, witness)
  }
  if (!isSubset(granted.cap.rights, parent.rights)) {
    return violation('IMG-2', `initial cap ${granted.cap.id} in slot ${granted.slot} has rights beyond the caller's cap ${parent.id}`, {
      ...witness, rights: rightsNames(granted.cap.rights), parentRights: rightsNames(parent.rights),
    })
  }
  return O.none
}

/** The new process's slots: 0..k-1 hold caps, the rest are empty. */
function grantedCaps(step: StepContext, base: Record<string, unknown>, process: ProcessObject, count: number): GrantedCap[] | O.Option<Violation> {
  const granted: GrantedCap[] = []
  for (const [slot, capId] of process.slots.entries()) {
    const cap = capId === null ? undefined : step.after.ksCaps.get(capId)
    if (slot >= count && capId === null) continue
    if (slot >= count || cap === undefined) {
      return violation('IMG-2', `new process ${process.id} slot ${slot} ${slot >= count ? 'holds a cap no grant gave' : 'holds no granted cap'}`, { ...base, slot, cap: capId })
    }
    const object = step.after.ksObjects.get(cap.object)
    granted.push({ slot, cap, kind: object?.kind, device: object?.kind === 'device' ? object.name : null })
  }
  return granted.length === count ? granted : violation('IMG-2', `new process ${process.id} has ${process.slots.length} slots for ${count} grants`, { ...base, slots: process.slots.length, grants: count })
}

/** The grants of a spawn as (slot, rights) pairs, or undefined when malformed. */
function grantSlots(fields: SyscallFields): Array<number | undefined> | undefined {
  const grants = fields['grants']
  if (!Array.isArray(grants)) return undefined
  return grants.map((grant: unknown) => (typeof grant === 'object' && grant !== null ? natField(grant as SyscallFields, 'slot') : undefined))
}

/** The spawn's three parts once located: the caller before, the new process after, the manifest requests. */
function spawnParts(step: StepContext, fields: SyscallFields): { caller: ProcessObject; process: ProcessObject; requests: ReadonlyArray<CapRequest> } | undefined {
  const caller = callerProcess(step.before, fields)
  const ref = step.after.ksProcessRefs.length - 1
  const process = ref < step.before.ksProcessRefs.length ? undefined : processOfRef(step.after, ref)
  const image = typeof fields['image'] === 'string' ? step.after.ksImages.get(fields['image']) : undefined
  return caller === undefined || process === undefined ? undefined : { caller, process, requests: image?.manifest.requests ?? [] }
}

/**
 * IMG-2 (step): after a successful `process_spawn`, the new process (the last
 * creation index) holds caps exactly in slots 0..k-1 for its k grants; each is a
 * child of the cap in the caller's grant slot with rights ⊆ it, and each fits a
 * distinct request of the image's manifest (same kind, rights within it).
 */
export function checkImg2(step: StepContext): O.Option<Violation> {
  const call = successfulSyscall(step, ['process_spawn'])
  const slots = call === undefined ? undefined : grantSlots(call.fields)
  if (call === undefined || slots === undefined) return O.none
  const parts = spawnParts(step, call.fields)
  if (parts === undefined) return violation('IMG-2', 'a successful process_spawn created no new process', { caller: natField(call.fields, 'caller') ?? null })
  const base = { caller: natField(call.fields, 'caller'), process: parts.process.id, ref: parts.process.ref, image: call.fields['image'] }
  const granted = grantedCaps(step, base, parts.process, slots.length)
  if (!Array.isArray(granted)) return granted
  return firstOf(
    () => firstViolation(granted, (entry) => checkGrantParent(step, base, parts.caller, entry, slots[entry.slot])),
    () => firstViolation(unmatchedGrants(granted, parts.requests), (entry) => violation('IMG-2', `initial cap ${entry.cap.id} in slot ${entry.slot} fits no distinct manifest request`, {
      ...base, slot: entry.slot, cap: entry.cap.id, kind: entry.kind ?? null, rights: rightsNames(entry.cap.rights), requests: parts.requests,
    })),
  )
}

// ---- registry entries ------------------------------------------------------

/** LIFE-1 as a registry entry. */
export const LIFE_1: StepInvariant = {
  id: 'LIFE-1', scope: 'step', check: checkLife1,
  statement: 'after a destroy nothing of the container or its descendants remains, and its reservation is back with the parent',
}
/** IMG-1 as a registry entry. */
export const IMG_1: StateInvariant = {
  id: 'IMG-1', scope: 'state', check: checkImg1,
  statement: 'every running process (but init) runs an image signed by a trusted key, at or above the rollback floor',
}
/** IMG-2 as a registry entry. */
export const IMG_2: StepInvariant = {
  id: 'IMG-2', scope: 'step', check: checkImg2,
  statement: "a spawned process's initial caps are within its manifest's requests and the spawner's own caps",
}
