/**
 * Process syscalls (kernel.md §4): spawn with the kernel's four checks in order
 * (signature, rollback floor, manifest and policy, quota), kill, list.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { eq as versionEqual, gte as versionAtLeast, major, minor, patch, prerelease } from 'semver'
import type { SyscallOf, Grant } from '../../spec/syscalls.js'
import { R_ALL, R_CONTROL, type RightsMask, isSubset, rightsMask } from '../../spec/rights.js'
import { quotaExceeded, syscallError } from '../../spec/errors.js'
import type { CapRequest, ImageRecord } from '../../spec/images.js'
import type { ObjectKind } from '../../spec/ids.js'
import { UNIT } from '../../spec/results.js'
import { noteCheck } from '../check-log.js'
import {
  type Cap, type ContainerObject, type KernelState, type ProcessObject,
  getContainer, getNamespace, getObject, namespaceChain,
} from '../state.js'
import { type Check, type Done, ensure, ensureEmptySlot, ensureRightsWithin, ensureWithin, fail, lookupCapTo, lookupSlot, slotOf } from '../checks.js'
import { type Draft, draft, freeze, newObjectId, updateNamespace } from '../draft.js'
import { deriveCap, insertCap, recordFlow } from '../cdt.js'
import { collectGarbage, killProcess } from '../destroy.js'
import { available, charge } from '../accounting.js'

/** Each grant's slot holds a cap with at least the granted rights: a spawn never creates authority. */
function lookupGrants(state: KernelState, caller: ProcessObject, grants: ReadonlyArray<Grant>): Check<Cap[]> {
  const caps: Cap[] = []
  for (const grant of grants) {
    const found = pipe(lookupSlot(state, caller, grant.slot, 'grant slot'), E.chainFirst((cap) => ensureRightsWithin(rightsMask(grant.rights), cap.rights, 'grant within the caller\'s cap')))
    if (E.isLeft(found)) return found
    caps.push(found.right)
  }
  return E.right(caps)
}

/** One of the image's signatures verifies by a key in the kernel's keyring. */
export function isSignatureTrusted(state: KernelState, image: ImageRecord): boolean {
  return image.signatures.some((signature) => signature.verifies && state.ksKeyring.has(signature.signer))
}

/** The image's version is not below the anti-rollback floor of its name. */
export function isAboveFloor(state: KernelState, image: ImageRecord): boolean {
  const floor = state.ksFloors.get(image.name)
  return floor === undefined || versionAtLeast(image.version, floor)
}

/**
 * The floor check with its edges (./check-log.ts): a version exactly at the floor
 * (it passes) and a prerelease of the floor's own version (`1.0.0-rc.1` for 1.0.0:
 * semver orders it just below, so it fails).
 */
function ensureAboveFloor(state: KernelState, image: ImageRecord): Check<void> {
  const passed = isAboveFloor(state, image)
  const floor = state.ksFloors.get(image.name)
  const edge = floor === undefined ? null
    : versionEqual(image.version, floor) ? 'at-bound'
      : prerelease(image.version) !== null && major(image.version) === major(floor) && minor(image.version) === minor(floor) && patch(image.version) === patch(floor) ? 'one-past' : null
  noteCheck('version at or above the floor', passed, edge)
  return passed ? E.right(undefined) : fail('RollbackDenied')
}

/** What a grant offers the manifest: its object's kind, the device's name for a device, the granted rights. */
export interface Offer {
  readonly kind: ObjectKind
  readonly device: string | null
  readonly rights: RightsMask
}

/** A grant fits a request of its kind (for a device, naming that device or none) whose rights include the grant's. */
export function fitsRequest(offer: Offer, request: CapRequest): boolean {
  return offer.kind === request.kind
    && (request.device === undefined || request.device === offer.device)
    && isSubset(offer.rights, rightsMask(request.rights))
}

/**
 * Whether every offer can be given a request of its own that it fits: a bipartite
 * matching covering the offers, found by augmenting paths. Each offer in turn
 * takes a fitting request that is free, or one whose holder can move to another
 * request it fits. (Taking the first fitting request would be wrong: a grant of
 * `read` could take the request for `read, write` that a later grant of `write`
 * needs while `read` alone had a request of its own.)
 */
export function matchesRequests(offers: ReadonlyArray<Offer>, requests: ReadonlyArray<CapRequest>): boolean {
  const holder: Array<number | null> = requests.map(() => null)
  const place = (offer: number, visited: Set<number>): boolean =>
    requests.some((request, index) => {
      if (visited.has(index) || !fitsRequest(offers[offer]!, request)) return false
      visited.add(index)
      const current = holder[index]!
      if (current !== null && !place(current, visited)) return false
      holder[index] = offer
      return true
    })
  return offers.every((_, offer) => place(offer, new Set()))
}

/**
 * Every grant is what some manifest request asks for, each request used at most
 * once, in any order (kernel.md §4), and a device grant names a device the
 * container is allowed.
 */
function isGrantAllowed(state: KernelState, image: ImageRecord, target: ContainerObject, grants: ReadonlyArray<Grant>, caps: ReadonlyArray<Cap>): boolean {
  const offers = grants.map((grant, index): Offer => {
    const object = getObject(state, caps[index]!.object)!
    return { kind: object.kind, device: object.kind === 'device' ? object.name : null, rights: rightsMask(grant.rights) }
  })
  if (offers.some((offer) => offer.device !== null && !target.limits.devices.includes(offer.device))) return false
  return matchesRequests(offers, image.manifest.requests)
}

function ensureSpawnAffordable(state: KernelState, target: ContainerObject, image: ImageRecord): Check<void> {
  return pipe(
    ensureWithin('processes quota', 1, available(state, target, 'processes'), quotaExceeded('processes')),
    E.chain(() => ensureWithin('memoryBytes quota', image.manifest.memoryBytes, available(state, target, 'memoryBytes'), quotaExceeded('memoryBytes'))),
  )
}

/**
 * `process_spawn` (the seed's CreateProcessFromSILAImage): needs `control` on the
 * container; checks signature, rollback floor, manifest and policy, then quota. The
 * grants become children of the caller's caps in the new process's first slots.
 */
export function processSpawn(state: KernelState, caller: ProcessObject, call: SyscallOf<'process_spawn'>): Check<Done> {
  if (E.isLeft(ensureWithin('grants fit the slots', call.grants.length, call.slots, syscallError('InvalidArgument')))) return fail('InvalidArgument')
  return pipe(
    E.Do,
    E.bind('target', () => E.map(({ object }: { object: ContainerObject }) => object)(lookupCapTo(state, caller, call.container, 'container', R_CONTROL, 'container'))),
    E.bind('caps', () => lookupGrants(state, caller, call.grants)),
    E.chainFirst(() => ensureEmptySlot(caller, call.dst)),
    E.bind('image', () => { const image = state.ksImages.get(call.image); return E.map(() => image!)(ensure(image !== undefined, 'NotFound', 'image in the pool')) }),
    E.chainFirst(({ target }) => ensureWithin('uid mapped in the container', call.uid, getNamespace(state, target.namespaces.user).uidMap.count - 1, syscallError('PermissionDenied'))),
    E.chainFirst(({ image }) => ensure(isSignatureTrusted(state, image), 'SignatureInvalid', 'signed by a trusted key')),
    E.chainFirst(({ image }) => ensureAboveFloor(state, image)),
    E.chainFirst(({ image, target, caps }) => ensure(isGrantAllowed(state, image, target, call.grants, caps), 'PolicyDenied', 'grants match the manifest\'s requests')),
    E.chainFirst(({ target, image }) => ensureSpawnAffordable(state, target, image)),
    E.map(({ target, caps, image }) => {
      const work = draft(state)
      const { id, pids } = createProcess(work, target, image, call.uid, call.slots)
      call.grants.forEach((grant, index) => {
        recordFlow(work, deriveCap(work, caps[index]!, rightsMask(grant.rights), { place: 'slot', process: id, slot: index }), target.id)
      })
      recordFlow(work, insertCap(work, { object: id, rights: R_ALL, badge: 0, parent: null, at: slotOf(caller, call.dst) }), caller.owner!)
      const pid = pids.get(getContainer(state, caller.owner!).namespaces.pid) ?? null
      return { state: freeze(work), reply: { kind: 'spawned' as const, pid } }
    }),
  )
}

/**
 * A new running process in `container`, charged for, with a local pid in every pid
 * namespace from the container's up to the root and the next creation index. Used
 * by spawn and by boot's declared systems.
 */
export function createProcess(work: Draft, container: ContainerObject, image: ImageRecord, uid: number, slots: number): { id: number; pids: Map<number, number> } {
  const id = newObjectId(work)
  const pids = new Map<number, number>()
  for (const namespace of namespaceChain(work, container.namespaces.pid)) {
    pids.set(namespace, getNamespace(work, namespace).pidNext)
    updateNamespace(work, namespace, (n) => ({ ...n, pidNext: n.pidNext + 1 }))
  }
  work.ksObjects.set(id, {
    kind: 'process', id, owner: container.id, ref: work.ksProcessRefs.length, uid, status: 'running',
    slots: new Array<null>(slots).fill(null), mappings: [], pids, image: image.digest, imageBytes: image.manifest.memoryBytes,
  })
  work.ksProcessRefs.push(id)
  charge(work, container.id, 'processes', 1)
  charge(work, container.id, 'memoryBytes', image.manifest.memoryBytes)
  return { id, pids }
}

/** `process_kill`: needs `control`; the process stops, its caps are deleted, its charges return. */
export function processKill(state: KernelState, caller: ProcessObject, call: SyscallOf<'process_kill'>): Check<Done> {
  return pipe(
    lookupCapTo(state, caller, call.slot, 'process', R_CONTROL),
    E.chainFirst(({ object }) => ensure(object.status === 'running', 'NotRunning', 'target running')),
    E.map(({ object }) => {
      const work = draft(state)
      killProcess(work, object)
      collectGarbage(work)
      return { state: freeze(work), reply: UNIT }
    }),
  )
}

/** `process_list`: local pids in the caller's pid namespace, its own and its descendants' (ISO-2). */
export function processList(state: KernelState, caller: ProcessObject): Check<Done> {
  const namespace = getContainer(state, caller.owner!).namespaces.pid
  const pids: number[] = []
  for (const object of state.ksObjects.values()) {
    const pid = object.kind === 'process' && object.status === 'running' ? object.pids.get(namespace) : undefined
    if (pid !== undefined) pids.push(pid)
  }
  return E.right({ state, reply: { kind: 'pids', pids: pids.sort((a, b) => a - b) } })
}
