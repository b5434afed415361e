/**
 * Process syscalls (kernel.md §4), mirroring model/objects/processes.ts: spawn with
 * the kernel's four checks in order (signature, rollback floor, manifest and
 * policy, quota), kill, list. Signature and floor verdicts are computed once per
 * image digest at boot (tooling.md B8); for real images the signature verdict is
 * the kernel's own (impl/images.ts).
 * @module
 * @internal
 */
import { gte as versionAtLeast } from 'semver'
import type { Outcome } from '../../spec/results.js'
import type { ImageRecord } from '../../spec/images.js'
import { R_ALL, R_CONTROL, rightsMask } from '../../spec/rights.js'
import { BOUNDS } from '../../spec/numbers.js'
import type { Kernel } from '../kernel.js'
import { assert } from '../assert.js'
import { type Fields, isProcessSpawn, isSlotCall, rightsMaskOf } from '../validate.js'
import { ensureEmptySlot, ensureRightsWithin, lookupCapTo, lookupSlot } from '../checks.js'
import { deriveCap, insertCap } from '../cdt.js'
import { killProcess } from '../destroy.js'
import { available, charge } from '../accounting.js'
import {
  E_INVALID_ARGUMENT, E_NOT_FOUND, E_NOT_RUNNING, E_PERMISSION_DENIED, E_POLICY_DENIED, E_ROLLBACK_DENIED, E_SIGNATURE_INVALID,
  OK, failure, quotaCode, success,
} from '../outcomes.js'
import { KIND_CONTAINER, KIND_DEVICE, KIND_ENDPOINT, KIND_FREE, KIND_PROCESS, KIND_REGION, NONE, NS_PID, NS_USER, RES_MEMORY, RES_PROCESSES } from '../tables/objects.js'
import { PLACE_SLOT } from '../tables/caps.js'
import { limitsOf } from './containers.js'

/** What the kernel decided about an image once, at boot. */
export interface ImageInfo {
  readonly record: ImageRecord
  /** One of its signatures is by a key in the keyring and verifies over the exact bytes (IMG-1). */
  readonly trusted: boolean
  /** Not below the anti-rollback floor of its name. */
  readonly aboveFloor: boolean
  /** The manifest's requests, column-wise: object kind code, rights mask, device name (null: any device). */
  readonly requestKinds: Int8Array
  readonly requestMasks: Int32Array
  readonly requestDevices: ReadonlyArray<string | null>
  readonly memoryBytes: number
}

const KIND_CODES: Readonly<Record<string, number>> = {
  container: KIND_CONTAINER, process: KIND_PROCESS, region: KIND_REGION, endpoint: KIND_ENDPOINT, device: KIND_DEVICE,
}

/**
 * Verdicts for one image. A version the semver library refuses (an image record
 * that ImageRecordCodec would reject) is treated as below the floor.
 */
export function imageInfo(image: ImageRecord, keyring: ReadonlySet<string>, floors: ReadonlyMap<string, string>): ImageInfo {
  const floor = floors.get(image.name)
  let aboveFloor = floor === undefined
  if (floor !== undefined) {
    try {
      aboveFloor = versionAtLeast(image.version, floor)
    } catch {
      aboveFloor = false
    }
  }
  const requests = image.manifest.requests
  return {
    record: image, trusted: image.signatures.some((signature) => signature.verifies && keyring.has(signature.signer)), aboveFloor,
    requestKinds: Int8Array.from(requests, (request) => KIND_CODES[request.kind] ?? KIND_FREE),
    requestMasks: Int32Array.from(requests, (request) => rightsMask(request.rights)),
    requestDevices: requests.map((request) => (request.kind === 'device' ? request.device ?? null : null)),
    memoryBytes: image.manifest.memoryBytes,
  }
}

/** Each grant's slot holds a cap with at least the granted rights; fills `k.grantCaps`/`k.grantRights`. */
function lookupGrants(k: Kernel, caller: number, grants: ReadonlyArray<Fields>): number {
  assert(grants.length <= BOUNDS.grantsMax, 'processes.grants.bound')
  for (let index = 0; index < grants.length; index++) {
    const grant = grants[index]!
    const cap = lookupSlot(k, caller, grant['slot'] as number)
    if (cap < 0) return cap
    const rights = rightsMaskOf(grant['rights'])
    const within = ensureRightsWithin(rights, k.caps.rights[cap])
    if (within < 0) return within
    k.grantCaps[index] = cap
    k.grantRights[index] = rights
  }
  return 0
}

/** Grant `grant` fits request `request`: the same kind (for a device, the named device if the request names one), rights within. */
function fitsRequest(k: Kernel, image: ImageInfo, grant: number, request: number): boolean {
  const object = k.caps.object[k.grantCaps[grant]]
  if (image.requestKinds[request] !== k.objects.kind[object]) return false
  const device = image.requestDevices[request]!
  if (device !== null && device !== k.objects.text[object]) return false
  return (k.grantRights[grant] & ~image.requestMasks[request]) === 0
}

/**
 * An augmenting path from `grant` (Kuhn): a request it fits that is free, or whose
 * holder moves on to another. `k.matchSeen[r] === mark` marks requests visited in
 * this search; `k.matchHolder[r]` is the grant holding request r, or -1.
 */
function augment(k: Kernel, image: ImageInfo, grant: number, mark: number): boolean {
  const holder = k.matchHolder
  const seen = k.matchSeen
  for (let request = 0; request < image.requestMasks.length; request++) {
    if (seen[request] === mark || !fitsRequest(k, image, grant, request)) continue
    seen[request] = mark
    const current = holder[request]
    if (current < 0 || augment(k, image, current, mark)) {
      holder[request] = grant
      return true
    }
  }
  return false
}

/**
 * The first `count` grants can each be given a distinct request they fit (kernel.md
 * §4: matched by what they grant, in any order), and each device grant names a
 * device the container is allowed. No allocation: the scratch is the kernel's,
 * sized at boot for the largest manifest.
 */
function isGrantAllowed(k: Kernel, image: ImageInfo, target: number, count: number): boolean {
  const requests = image.requestMasks.length
  if (count > requests) return false
  for (let index = 0; index < count; index++) {
    const object = k.caps.object[k.grantCaps[index]]
    if (k.objects.kind[object] === KIND_DEVICE && !limitsOf(k, target).devices.includes(k.objects.text[object]!)) return false
  }
  k.matchHolder.fill(-1, 0, requests)
  k.matchSeen.fill(0, 0, requests)
  for (let grant = 0; grant < count; grant++) if (!augment(k, image, grant, grant + 1)) return false
  return true
}

/** Everything after the slot checks, in decisions.md order: names, permissions and policy, resources. */
function checkSpawn(k: Kernel, target: number, call: Fields, count: number): number | ImageInfo {
  const image = k.images.get(call['image'] as string)
  // A real image the kernel refused and cannot describe is known by its digest, and refused as unsigned.
  if (image === undefined && (k.refusedImages.size === 0 || !k.refusedImages.has(call['image'] as string))) return E_NOT_FOUND
  if ((call['uid'] as number) >= k.namespaces.get(k.namespaceOf(target, NS_USER)).uidMap.count) return E_PERMISSION_DENIED
  if (image === undefined) return E_SIGNATURE_INVALID
  if (!image.trusted) return E_SIGNATURE_INVALID
  if (!image.aboveFloor) return E_ROLLBACK_DENIED
  if (!isGrantAllowed(k, image, target, count)) return E_POLICY_DENIED
  if (available(k, target, RES_PROCESSES) < 1) return quotaCode(RES_PROCESSES)
  if (available(k, target, RES_MEMORY) < image.memoryBytes) return quotaCode(RES_MEMORY)
  return image
}

/**
 * `process_spawn` (the seed's CreateProcessFromSILAImage): needs `control` on the
 * container; the grants become children of the caller's caps in the new
 * process's first slots; the caller gets the original cap in `dst`.
 */
export function processSpawn(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isProcessSpawn(call)) return failure(E_INVALID_ARGUMENT)
  const grants = call['grants'] as ReadonlyArray<Fields>
  if (grants.length > (call['slots'] as number)) return failure(E_INVALID_ARGUMENT)
  const cap = lookupCapTo(k, caller, call['container'] as number, KIND_CONTAINER, R_CONTROL)
  if (cap < 0) return failure(cap)
  const granted = lookupGrants(k, caller, grants)
  if (granted < 0) return failure(granted)
  const dst = call['dst'] as number
  const empty = ensureEmptySlot(k, caller, dst)
  if (empty < 0) return failure(empty)
  const target = k.caps.object[cap]
  const image = checkSpawn(k, target, call, grants.length)
  if (typeof image === 'number') return failure(image)
  const process = newProcess(k, target, image, call['uid'] as number, call['slots'] as number)
  for (let index = 0; index < grants.length; index++) {
    const source = k.grantCaps[index]
    deriveCap(k, source, k.grantRights[index], k.caps.badge[source], PLACE_SLOT, process, index, null)
  }
  insertCap(k, process, R_ALL, 0, NONE, PLACE_SLOT, caller, dst, null)
  const pid = k.objects.pids[process]!.get(k.namespaceOf(k.objects.owner[caller], NS_PID)) ?? null
  return success({ kind: 'spawned', pid })
}

/** The process object: a pid in every pid namespace from its own up to the root, a fresh CSpace, its charges. */
export function newProcess(k: Kernel, target: number, image: ImageInfo, uid: number, slots: number): number {
  const objects = k.objects
  const process = objects.alloc(KIND_PROCESS, k.objectNext++, target)
  const pids = new Map<number, number>()
  for (let at: number | null = k.namespaceOf(target, NS_PID); at !== null; ) {
    const namespace = k.namespaces.get(at)
    pids.set(at, namespace.pidNext++)
    k.namespaces.touch(namespace)
    at = namespace.parent
  }
  objects.ref[process] = k.refs.push(process, objects.gen[process], objects.serial[process])
  objects.uid[process] = uid
  objects.running[process] = 1
  objects.slotCount[process] = slots
  objects.cspace[process] = new Int32Array(slots).fill(NONE)
  objects.mapHead[process] = objects.mapTail[process] = NONE
  objects.bytes[process] = image.memoryBytes
  objects.text[process] = image.record.digest
  objects.pids[process] = pids
  objects.linkRunning(process)
  charge(k, target, RES_PROCESSES, 1)
  charge(k, target, RES_MEMORY, image.memoryBytes)
  return process
}

/** `process_kill`: needs `control`; the process stops, its caps are deleted, its charges return. */
export function processKill(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isSlotCall(call)) return failure(E_INVALID_ARGUMENT)
  const cap = lookupCapTo(k, caller, call['slot'] as number, KIND_PROCESS, R_CONTROL)
  if (cap < 0) return failure(cap)
  const process = k.caps.object[cap]
  if (k.objects.running[process] === 0) return failure(E_NOT_RUNNING)
  killProcess(k, process)
  return OK
}

/** `process_list`: local pids in the caller's pid namespace, its own and its descendants' (ISO-2). */
export function processList(k: Kernel, caller: number): Outcome {
  const objects = k.objects
  const namespace = k.namespaceOf(objects.owner[caller], NS_PID)
  const pids: number[] = []
  for (let process = objects.runHead; process !== NONE; process = objects.runNext[process]) {
    const pid = objects.pids[process]!.get(namespace)
    if (pid !== undefined) pids.push(pid)
  }
  return success({ kind: 'pids', pids: pids.sort((a, b) => a - b) })
}
