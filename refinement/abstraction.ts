/**
 * The abstraction function of the impl (REF-1): `abstract` maps an impl kernel onto
 * the model's state (same ids, same shapes, ghost `gsFlows` empty), and `compare`
 * checks the impl against a model state incrementally.
 *
 * Incremental comparison. After a step, only entries that either side changed can
 * differ from the last state found equal. The impl records what it touched (dirty
 * lists of (serial, handle) reset at each step); the model's `step` copies its maps
 * but keeps every untouched entry by reference, so a reference scan against the
 * previous model state finds what the model touched. `compare` checks those
 * entries, the counters and the table sizes; when anything differs, or when it
 * cannot vouch for the previous state (first call, a restore, a skipped step), it
 * falls back to the full comparison, so it reports exactly what a full comparison
 * reports.
 * @module
 */
import type { Cap, CapLocation, KernelObject, KernelState, Mapping, Message, Namespace } from '../model/state.js'
import { Kernel } from '../impl/kernel.js'
import type { RealImages } from '../impl/images.js'
import {
  KIND_CONTAINER, KIND_DEVICE, KIND_ENDPOINT, KIND_FREE, KIND_PROCESS, KIND_REGION, NONE, NS_COLUMNS, NS_IPC, NS_MOUNT, NS_NET, NS_PID, NS_USER, RES_COUNT,
} from '../impl/tables/objects.js'
import { PLACE_FREE, PLACE_MESSAGE, PLACE_SLOT, PLACE_TABLE } from '../impl/tables/caps.js'
import type { NamespaceRecord } from '../impl/tables/namespaces.js'
import { amounts } from '../impl/objects/containers.js'
import { type Abstraction, type GhostField, type RefinementTarget, type StateDifference, UnreadableState } from './target.js'
import { diffStates, firstDifference } from './diff.js'

const serialOrNull = (kernel: Kernel, handle: number): number | null => (handle === NONE ? null : kernel.objects.serial[handle])
const capSerialOrNull = (kernel: Kernel, cap: number): number | null => (cap === NONE ? null : kernel.caps.serial[cap])

function abstractContainer(kernel: Kernel, handle: number): KernelObject {
  const objects = kernel.objects
  const row = objects.row[handle]
  const namespace = (column: number) => objects.rows.namespaces[row * NS_COLUMNS + column]
  return {
    kind: 'container', id: objects.serial[handle], owner: serialOrNull(kernel, objects.owner[handle]), parent: serialOrNull(kernel, objects.parent[handle]),
    limits: objects.limits[handle]!, usage: amounts(objects.rows.usage, row * RES_COUNT),
    namespaces: { pid: namespace(NS_PID), mount: namespace(NS_MOUNT), net: namespace(NS_NET), ipc: namespace(NS_IPC), user: namespace(NS_USER) },
  }
}

function abstractMappings(kernel: Kernel, handle: number): Mapping[] {
  const mappings: Mapping[] = []
  const caps = kernel.caps
  for (let cap = kernel.objects.mapHead[handle]; cap !== NONE; cap = caps.mapNext[cap]) {
    mappings.push({ cap: caps.serial[cap], region: kernel.objects.serial[caps.object[cap]], perms: caps.mapPerms[cap] })
  }
  return mappings
}

function abstractProcess(kernel: Kernel, handle: number): KernelObject {
  const objects = kernel.objects
  return {
    kind: 'process', id: objects.serial[handle], owner: serialOrNull(kernel, objects.owner[handle]), ref: objects.ref[handle], uid: objects.uid[handle],
    status: objects.running[handle] === 1 ? 'running' : 'dead', slots: Array.from(objects.cspace[handle]!, (cap) => capSerialOrNull(kernel, cap)),
    mappings: abstractMappings(kernel, handle), pids: new Map(objects.pids[handle]!), image: objects.text[handle] ?? null, imageBytes: objects.bytes[handle],
  }
}

function abstractQueue(kernel: Kernel, handle: number): Message[] {
  const objects = kernel.objects
  const ring = objects.ring[handle]!
  const queue: Message[] = []
  for (let index = 0, at = objects.queueHead[handle]; index < objects.queueCount[handle]; index++, at = (at + 1) % objects.depth[handle]) {
    queue.push({ seq: ring.seq[at], payload: ring.payload[at]!, badge: ring.badge[at], cap: capSerialOrNull(kernel, ring.cap[at]) })
  }
  return queue
}

/** The model's view of the live object at `handle`. */
export function abstractObject(kernel: Kernel, handle: number): KernelObject {
  const objects = kernel.objects
  const base = { id: objects.serial[handle], owner: serialOrNull(kernel, objects.owner[handle]) }
  switch (objects.kind[handle]) {
    case KIND_CONTAINER: return abstractContainer(kernel, handle)
    case KIND_PROCESS: return abstractProcess(kernel, handle)
    case KIND_REGION: return { kind: 'region', ...base, sizeBytes: objects.bytes[handle], executable: objects.executable[handle] === 1 }
    case KIND_ENDPOINT: return { kind: 'endpoint', ...base, depth: objects.depth[handle], queue: abstractQueue(kernel, handle) }
    case KIND_DEVICE: return { kind: 'device', ...base, name: objects.text[handle]! }
  }
  throw new UnreadableState(`object handle ${handle} holds kind ${objects.kind[handle]}, no kind of live object`)
}

function abstractLocation(kernel: Kernel, cap: number): CapLocation {
  const caps = kernel.caps
  const where = caps.where[cap]
  switch (caps.place[cap]) {
    case PLACE_SLOT: return { place: 'slot', process: kernel.objects.serial[where], slot: caps.slot[cap] }
    case PLACE_TABLE: return { place: 'table', namespace: where, key: caps.key[cap]! }
    case PLACE_MESSAGE: return { place: 'message', endpoint: kernel.objects.serial[where], seq: kernel.objects.ring[where]!.seq[caps.slot[cap]] }
  }
  throw new UnreadableState(`cap handle ${cap} is in no place (place ${caps.place[cap]})`)
}

/** The model's view of the live cap at `cap`. */
export function abstractCap(kernel: Kernel, cap: number): Cap {
  const caps = kernel.caps
  return {
    id: caps.serial[cap], object: kernel.objects.serial[caps.object[cap]], rights: caps.rights[cap], badge: caps.badge[cap],
    parent: capSerialOrNull(kernel, caps.parent[cap]), at: abstractLocation(kernel, cap),
  }
}

export function abstractNamespace(kernel: Kernel, record: NamespaceRecord): Namespace {
  const entries = new Map<string, number>()
  for (const [key, cap] of record.entries) entries.set(key, kernel.caps.serial[cap])
  return {
    id: record.id, kind: record.kind, creator: record.creator, parent: record.parent, userNamespace: record.userNamespace,
    entries, uidMap: record.uidMap, pidNext: record.pidNext,
  }
}

function abstractLastReceived(kernel: Kernel): Map<number, number> {
  const last = new Map(kernel.retiredLastReceived)
  const objects = kernel.objects
  for (let handle = 0; handle < objects.top; handle++) {
    if (objects.kind[handle] === KIND_ENDPOINT && objects.lastReceived[handle] >= 0) last.set(objects.serial[handle], objects.lastReceived[handle])
  }
  return last
}

/** The whole model state of an impl kernel. */
export function abstractState(kernel: Kernel): KernelState {
  const { objects, caps } = kernel
  const ksObjects = new Map<number, KernelObject>()
  for (let handle = 0; handle < objects.top; handle++) if (objects.kind[handle] !== KIND_FREE) ksObjects.set(objects.serial[handle], abstractObject(kernel, handle))
  const ksCaps = new Map<number, Cap>()
  for (let cap = 0; cap < caps.top; cap++) if (caps.place[cap] !== PLACE_FREE) ksCaps.set(caps.serial[cap], abstractCap(kernel, cap))
  const ksNamespaces = new Map<number, Namespace>()
  for (const record of kernel.namespaces.records.values()) ksNamespaces.set(record.id, abstractNamespace(kernel, record))
  return {
    ksObjects, ksCaps, ksNamespaces, ksProcessRefs: Array.from(kernel.refs.serial.subarray(0, kernel.refs.count)),
    ksRoot: objects.serial[kernel.root], ksInit: objects.serial[kernel.init],
    ksObjectNext: kernel.objectNext, ksCapNext: kernel.capNext, ksNamespaceNext: kernel.namespaceNext, ksMessageSeqNext: kernel.messageSeqNext,
    ksImages: new Map([...kernel.images].map(([digest, info]) => [digest, info.record])),
    ksKeyring: new Set(kernel.keyring), ksFloors: new Map(kernel.floors), ksCpuAccounting: kernel.cpuAccounting,
    gsMessages: { sent: kernel.ledgerSent, received: kernel.ledgerReceived, discarded: kernel.ledgerDiscarded },
    gsLastReceived: abstractLastReceived(kernel),
    gsFlows: new Map(),
  }
}

// ---- incremental comparison ---------------------------------------------------

/** What `compare` knows about a kernel it last found equal to `model`. */
interface CompareCache {
  journal: number
  model: KernelState
  /** Serial → handle of live objects and caps, maintained from the dirty lists. */
  readonly objectHandles: Map<number, number>
  readonly capHandles: Map<number, number>
}

const caches = new WeakMap<Kernel, CompareCache>()

function freshCache(kernel: Kernel, model: KernelState): CompareCache {
  const { objects, caps } = kernel
  const objectHandles = new Map<number, number>()
  for (let handle = 0; handle < objects.top; handle++) if (objects.kind[handle] !== KIND_FREE) objectHandles.set(objects.serial[handle], handle)
  const capHandles = new Map<number, number>()
  for (let cap = 0; cap < caps.top; cap++) if (caps.place[cap] !== PLACE_FREE) capHandles.set(caps.serial[cap], cap)
  return { journal: kernel.journal, model, objectHandles, capHandles }
}

/**
 * How many comparisons were full, and how many incremental (for tests and
 * profiling): on a kernel that agrees with the model, stepped once between
 * comparisons, only the first is full.
 */
export const compareCounts: { full: number; incremental: number } = { full: 0, incremental: 0 }

/** The ghost fields the impl keeps (its ledger and each endpoint's last sequence number received): compared like its state. */
const IMPL_GHOSTS: ReadonlyArray<GhostField> = ['gsMessages', 'gsLastReceived']

function fullCompare(kernel: Kernel, model: KernelState): StateDifference | null {
  compareCounts.full++
  const difference = diffStates(model, abstractState(kernel), IMPL_GHOSTS)
  if (difference === null) caches.set(kernel, freshCache(kernel, model))
  else caches.delete(kernel)
  return difference
}

/**
 * Equality exactly as {@link firstDifference} sees it (same rules for Maps, Sets,
 * arrays and plain objects), without building paths: `compare` only needs to know
 * whether to fall back to the full comparison, which then locates the difference.
 */
export function isSame(model: unknown, kernel: unknown): boolean {
  if (Object.is(model, kernel)) return true
  if (model instanceof Map && kernel instanceof Map) {
    if (model.size !== kernel.size) return false
    for (const [key, value] of model) if (!kernel.has(key) || !isSame(value, kernel.get(key))) return false
    return true
  }
  if (model instanceof Set || kernel instanceof Set) return firstDifference('', model, kernel) === null
  if (Array.isArray(model) && Array.isArray(kernel)) {
    if (model.length !== kernel.length) return false
    for (let index = 0; index < model.length; index++) if (!isSame(model[index], kernel[index])) return false
    return true
  }
  if (isPlainObject(model) && isPlainObject(kernel)) {
    for (const key of Object.keys(model)) if (!isSame(model[key], kernel[key])) return false
    for (const key of Object.keys(kernel)) if (!isSame(model[key], kernel[key])) return false
    return true
  }
  return false
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Set)
}

const same = isSame

const PROCESS_FIELDS = 11

/**
 * A process compared in place (its CSpace can be thousands of slots): the same
 * verdict as `isSame(model, abstractObject(kernel, handle))`, without building it.
 */
function processMatches(kernel: Kernel, handle: number, model: KernelObject): boolean {
  if (model.kind !== 'process' || Object.keys(model).length !== PROCESS_FIELDS) return isSame(model, abstractObject(kernel, handle))
  const { objects, caps } = kernel
  if (model.id !== objects.serial[handle] || model.owner !== serialOrNull(kernel, objects.owner[handle]) || model.ref !== objects.ref[handle]) return false
  if (!Object.is(model.uid, objects.uid[handle]) || model.status !== (objects.running[handle] === 1 ? 'running' : 'dead')) return false
  if (model.image !== (objects.text[handle] ?? null) || !Object.is(model.imageBytes, objects.bytes[handle])) return false
  const cspace = objects.cspace[handle]!
  if (!Array.isArray(model.slots) || model.slots.length !== cspace.length) return false
  for (let slot = 0; slot < cspace.length; slot++) if (model.slots[slot] !== capSerialOrNull(kernel, cspace[slot]!)) return false
  let index = 0
  for (let cap = objects.mapHead[handle]; cap !== NONE; cap = caps.mapNext[cap], index++) {
    const mapping = model.mappings[index]
    if (mapping === undefined || !isSame(mapping, { cap: caps.serial[cap], region: objects.serial[caps.object[cap]], perms: caps.mapPerms[cap] })) return false
  }
  return index === model.mappings.length && isSame(model.pids, objects.pids[handle])
}

/** Does the live object at `handle` abstract to `model`? */
function objectMatches(kernel: Kernel, handle: number, model: KernelObject | undefined): boolean {
  if (model === undefined) return false
  return kernel.objects.kind[handle] === KIND_PROCESS ? processMatches(kernel, handle, model) : isSame(model, abstractObject(kernel, handle))
}

function scalarsEqual(kernel: Kernel, model: KernelState, previous: KernelState): boolean {
  const refs = kernel.refs
  // Every index, not only the new ones: neither side is trusted to leave the old ones alone.
  if (model.ksProcessRefs.length !== refs.count) return false
  for (let ref = 0; ref < refs.count; ref++) if (model.ksProcessRefs[ref] !== refs.serial[ref]) return false
  return model.ksObjects.size === kernel.objects.liveCount && model.ksCaps.size === kernel.caps.liveCount && model.ksNamespaces.size === kernel.namespaces.size &&
    Object.is(model.ksObjectNext, kernel.objectNext) && Object.is(model.ksCapNext, kernel.capNext) &&
    Object.is(model.ksNamespaceNext, kernel.namespaceNext) && Object.is(model.ksMessageSeqNext, kernel.messageSeqNext) &&
    model.ksRoot === kernel.objects.serial[kernel.root] && model.ksInit === kernel.objects.serial[kernel.init] &&
    model.ksCpuAccounting === kernel.cpuAccounting && model.ksImages === previous.ksImages &&
    model.ksKeyring === previous.ksKeyring && model.ksFloors === previous.ksFloors
}

/** The impl's ledger and last sequence numbers received are the model's. */
function ghostsEqual(kernel: Kernel, model: KernelState): boolean {
  const ledger = model.gsMessages
  return ledger.sent === kernel.ledgerSent && ledger.received === kernel.ledgerReceived && ledger.discarded === kernel.ledgerDiscarded &&
    isSame(model.gsLastReceived, abstractLastReceived(kernel))
}

/** The impl's dirty objects and caps: refresh the serial index, compare each with the model. */
function implTouchedEqual(kernel: Kernel, model: KernelState, cache: CompareCache, checked: Set<number>): boolean {
  const { objects, caps } = kernel
  for (let index = 0; index < objects.dirtyCount; index += 2) {
    const serial = objects.dirty[index]
    const handle = objects.dirty[index + 1]
    if (objects.kind[handle] !== KIND_FREE && objects.serial[handle] === serial) {
      cache.objectHandles.set(serial, handle)
      checked.add(serial)
      if (!objectMatches(kernel, handle, model.ksObjects.get(serial))) return false
    } else {
      if (cache.objectHandles.get(serial) === handle) cache.objectHandles.delete(serial)
      if (model.ksObjects.has(serial) && !cache.objectHandles.has(serial)) return false
    }
  }
  for (let index = 0; index < caps.dirtyCount; index += 2) {
    const serial = caps.dirty[index]
    const cap = caps.dirty[index + 1]
    if (caps.place[cap] !== PLACE_FREE && caps.serial[cap] === serial) {
      cache.capHandles.set(serial, cap)
      if (!same(model.ksCaps.get(serial), abstractCap(kernel, cap))) return false
    } else {
      if (cache.capHandles.get(serial) === cap) cache.capHandles.delete(serial)
      if (model.ksCaps.has(serial) && !cache.capHandles.has(serial)) return false
    }
  }
  for (let index = 0; index < kernel.namespaces.dirtyCount; index++) {
    const id = kernel.namespaces.dirty[index]!
    const record = kernel.namespaces.records.get(id)
    if (record === undefined ? model.ksNamespaces.has(id) : !same(model.ksNamespaces.get(id), abstractNamespace(kernel, record))) return false
  }
  return true
}

/** Entries the model changed (by reference) since the previous state: each must match the impl's. */
function modelTouchedEqual(kernel: Kernel, model: KernelState, previous: KernelState, cache: CompareCache, checked: Set<number>): boolean {
  for (const [serial, object] of model.ksObjects) {
    if (previous.ksObjects.get(serial) === object || checked.has(serial)) continue
    const handle = cache.objectHandles.get(serial)
    if (handle === undefined || !objectMatches(kernel, handle, object)) return false
  }
  for (const [serial, cap] of model.ksCaps) {
    if (previous.ksCaps.get(serial) === cap) continue
    const handle = cache.capHandles.get(serial)
    if (handle === undefined || !same(cap, abstractCap(kernel, handle))) return false
  }
  for (const [id, namespace] of model.ksNamespaces) {
    if (previous.ksNamespaces.get(id) === namespace) continue
    const record = kernel.namespaces.records.get(id)
    if (record === undefined || !same(namespace, abstractNamespace(kernel, record))) return false
  }
  return true
}

/**
 * Compares the kernel with `model`, incrementally when the kernel has taken exactly
 * one step since the last comparison found them equal.
 */
export function compareImpl(kernel: Kernel, model: KernelState): StateDifference | null {
  const cache = caches.get(kernel)
  if (cache === undefined) return fullCompare(kernel, model)
  if (kernel.journal === cache.journal && model === cache.model) return null
  if (kernel.journal !== cache.journal + 1) return fullCompare(kernel, model)
  const previous = cache.model
  const checked = new Set<number>()
  if (!scalarsEqual(kernel, model, previous) || !ghostsEqual(kernel, model) || !implTouchedEqual(kernel, model, cache, checked) || !modelTouchedEqual(kernel, model, previous, cache, checked)) {
    return fullCompare(kernel, model)
  }
  cache.journal = kernel.journal
  cache.model = model
  compareCounts.incremental++
  return null
}

/** The impl's abstraction. @public */
export const implAbstraction: Abstraction<Kernel> = { abstract: abstractState, compare: compareImpl, ghosts: IMPL_GHOSTS }

/**
 * The impl as a refinement target: boot with {@link Kernel.boot}, abstract with
 * {@link abstractState}. A third argument, real images, is passed on to the kernel,
 * which verifies them itself; their records (with its verdicts) are its `ksImages`.
 * @public
 */
export const implTarget: RefinementTarget<Kernel> = {
  name: 'impl',
  create: (config, images, real?: RealImages) => Kernel.boot(config, images, undefined, real),
  abstraction: implAbstraction,
}
