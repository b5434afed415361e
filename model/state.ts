/**
 * The model's state: one record whose fields share a prefix (`ks` for kernel state,
 * `gs` for ghost state that only invariants read), as seL4's `KernelState` does.
 * Everything is readonly: `step` never mutates its input.
 * @module
 */
import type { CapId, NamespaceId, ObjectId, ObjectKind, ProcessRef, SlotIndex } from '../spec/ids.js'
import type { RightsMask } from '../spec/rights.js'
import type { Limits, Usage, UidMap } from '../spec/limits.js'
import type { ImageRecord } from '../spec/images.js'
import type { Payload } from '../spec/numbers.js'

/** Where a cap lives: a process slot, a namespace table entry, or a queued message. */
export type CapLocation =
  | { readonly place: 'slot'; readonly process: ObjectId; readonly slot: SlotIndex }
  | { readonly place: 'table'; readonly namespace: NamespaceId; readonly key: string }
  | { readonly place: 'message'; readonly endpoint: ObjectId; readonly seq: number }

/** A capability: a node of the derivation tree (CDT). `parent` is null for roots. */
export interface Cap {
  readonly id: CapId
  readonly object: ObjectId
  readonly rights: RightsMask
  /** 0 = no badge. */
  readonly badge: number
  readonly parent: CapId | null
  readonly at: CapLocation
}

interface ObjectBase {
  readonly id: ObjectId
  /** The container charged for the object; null only for the root container. */
  readonly owner: ObjectId | null
}

/** A container: a quota node of the container tree, with its namespaces. @public */
export interface ContainerObject extends ObjectBase {
  readonly kind: 'container'
  readonly parent: ObjectId | null
  readonly limits: Limits
  /** Usage; `cpuBudget` and `ioBytes` count this period. */
  readonly usage: Usage
  readonly namespaces: Readonly<Record<'pid' | 'mount' | 'net' | 'ipc' | 'user', NamespaceId>>
}

/** A mapping of a region into a process, made through (and living with) one cap. */
export interface Mapping {
  readonly cap: CapId
  readonly region: ObjectId
  readonly perms: RightsMask
}

/** A process: its CSpace (`slots`), its mappings, its pids; `ref` is its creation index, by which syscalls name their caller. @public */
export interface ProcessObject extends ObjectBase {
  readonly kind: 'process'
  readonly ref: ProcessRef
  readonly uid: number
  /** A killed process stays an object (a zombie, costing nothing) while caps name it. */
  readonly status: 'running' | 'dead'
  readonly slots: ReadonlyArray<CapId | null>
  readonly mappings: ReadonlyArray<Mapping>
  /** Local pid in each pid namespace from its own up to the root. */
  readonly pids: ReadonlyMap<NamespaceId, number>
  /** Digest of the image it runs; null for init, which the kernel loads. */
  readonly image: string | null
  /** Image memory, charged to the owner with the process while it runs. */
  readonly imageBytes: number
}

/** A memory region, charged to its owner by its size. @public */
export interface RegionObject extends ObjectBase {
  readonly kind: 'region'
  readonly sizeBytes: number
  readonly executable: boolean
}

/** A message queued on an endpoint, with the badge of the cap it was sent through and the cap it carries, if any. @public */
export interface Message {
  /** Global send order; FIFO and IPC-2 are stated over it. */
  readonly seq: number
  readonly payload: Payload
  readonly badge: number
  readonly cap: CapId | null
}

/** An IPC endpoint: a FIFO queue of at most `depth` messages. @public */
export interface EndpointObject extends ObjectBase {
  readonly kind: 'endpoint'
  readonly depth: number
  readonly queue: ReadonlyArray<Message>
}

/** A device named in the boot configuration. @public */
export interface DeviceObject extends ObjectBase {
  readonly kind: 'device'
  readonly name: string
}

/** Any kernel object, told apart by `kind`. @public */
export type KernelObject = ContainerObject | ProcessObject | RegionObject | EndpointObject | DeviceObject
/** The object type of one `kind`. @public */
export type ObjectOfKind<K extends ObjectKind> = Extract<KernelObject, { kind: K }>

/**
 * A namespace. Tables (`mount`: path → cap, `net`: port → cap, `ipc`: service
 * name → cap) keep their entries as caps in the CDT. `userNamespace` is the user
 * namespace that owns the namespace: changing a table needs uid 0 there.
 */
export interface Namespace {
  readonly id: NamespaceId
  readonly kind: 'pid' | 'mount' | 'net' | 'ipc' | 'user'
  /** Container that created it (the root container for the boot namespaces). */
  readonly creator: ObjectId
  /** Parent namespace of the same kind (pid and user); null at the root. */
  readonly parent: NamespaceId | null
  readonly userNamespace: NamespaceId
  /** Table entries (mount, net, ipc). */
  readonly entries: ReadonlyMap<string, CapId>
  /** The uid map into the parent (user); the root's is the identity on all uids. */
  readonly uidMap: UidMap
  /** Next local pid (pid). */
  readonly pidNext: number
}

/** Ghost counters for IPC-2: every message sent is received, queued or discarded. */
export interface MessageLedger {
  readonly sent: number
  readonly received: number
  readonly discarded: number
}

/** The whole model state: `ks*` fields are the kernel's, `gs*` fields ghost state that only invariants read. @public */
export interface KernelState {
  readonly ksObjects: ReadonlyMap<ObjectId, KernelObject>
  readonly ksCaps: ReadonlyMap<CapId, Cap>
  readonly ksNamespaces: ReadonlyMap<NamespaceId, Namespace>
  /** Object id of each process by creation index; entries stay after the object is gone. */
  readonly ksProcessRefs: ReadonlyArray<ObjectId>
  readonly ksRoot: ObjectId
  readonly ksInit: ObjectId
  readonly ksObjectNext: ObjectId
  readonly ksCapNext: CapId
  readonly ksNamespaceNext: NamespaceId
  readonly ksMessageSeqNext: number
  readonly ksImages: ReadonlyMap<string, ImageRecord>
  readonly ksKeyring: ReadonlySet<string>
  readonly ksFloors: ReadonlyMap<string, string>
  readonly ksCpuAccounting: boolean
  readonly gsMessages: MessageLedger
  /** Sequence number of the last message received from each endpoint (FIFO). */
  readonly gsLastReceived: ReadonlyMap<ObjectId, number>
  /**
   * Provenance for ISO-1: `flowKey(object, container)` → the union of rights that a
   * sanctioned channel (IPC transfer, spawn grant, namespace lookup, creation on
   * another container's behalf) has handed to that container for that object.
   */
  readonly gsFlows: ReadonlyMap<string, RightsMask>
}

/** The key of `gsFlows` for an object and a container. @public */
export function flowKey(object: ObjectId, container: ObjectId): string {
  return `${object}>${container}`
}

// ---- thin accessors --------------------------------------------------------

/** The object with id `id`, if there is one. @public */
export function getObject(state: KernelState, id: ObjectId): KernelObject | undefined {
  return state.ksObjects.get(id)
}

/** The object with id `id` if there is one of kind `kind`. @public */
export function getObjectOfKind<K extends ObjectKind>(state: KernelState, id: ObjectId, kind: K): ObjectOfKind<K> | undefined {
  const object = state.ksObjects.get(id)
  return object !== undefined && object.kind === kind ? (object as ObjectOfKind<K>) : undefined
}

/** The container with id `id`; throws if there is none (a bug of the caller). @public */
export function getContainer(state: KernelState, id: ObjectId): ContainerObject {
  const container = getObjectOfKind(state, id, 'container')
  if (container === undefined) throw new Error(`KernelBug: container ${id} missing`)
  return container
}

/** The process with id `id`; throws if there is none (a bug of the caller). @public */
export function getProcess(state: KernelState, id: ObjectId): ProcessObject {
  const process = getObjectOfKind(state, id, 'process')
  if (process === undefined) throw new Error(`KernelBug: process ${id} missing`)
  return process
}

/** The cap with id `id`; throws if there is none (a bug of the caller). @public */
export function getCap(state: KernelState, id: CapId): Cap {
  const cap = state.ksCaps.get(id)
  if (cap === undefined) throw new Error(`KernelBug: cap ${id} missing`)
  return cap
}

/** The namespace with id `id`; throws if there is none (a bug of the caller). @public */
export function getNamespace(state: KernelState, id: NamespaceId): Namespace {
  const namespace = state.ksNamespaces.get(id)
  if (namespace === undefined) throw new Error(`KernelBug: namespace ${id} missing`)
  return namespace
}

/** The process a creation index names, if it is still an object. */
export function processByRef(state: KernelState, ref: ProcessRef): ProcessObject | undefined {
  const id = state.ksProcessRefs[ref]
  return id === undefined ? undefined : getObjectOfKind(state, id, 'process')
}

/** The children of a cap in the CDT, in creation order. */
export function capChildren(state: KernelState, id: CapId): Cap[] {
  return [...state.ksCaps.values()].filter((cap) => cap.parent === id)
}

/** Every descendant of a cap (not the cap itself). */
export function capDescendants(state: KernelState, id: CapId): Cap[] {
  const found: Cap[] = []
  const frontier = [id]
  while (frontier.length > 0) {
    const next = frontier.pop()!
    for (const child of capChildren(state, next)) {
      found.push(child)
      frontier.push(child.id)
    }
  }
  return found
}

/** Containers of the subtree rooted at `root` (itself included). */
export function containerSubtree(state: KernelState, root: ObjectId): ObjectId[] {
  const found = [root]
  for (let index = 0; index < found.length; index++) {
    for (const object of state.ksObjects.values()) {
      if (object.kind === 'container' && object.parent === found[index]) found.push(object.id)
    }
  }
  return found
}

/** Is `ancestor` equal to `container` or one of its ancestors? */
export function isContainerAncestor(state: KernelState, ancestor: ObjectId, container: ObjectId): boolean {
  for (let at: ObjectId | null = container; at !== null; at = getContainer(state, at).parent) {
    if (at === ancestor) return true
  }
  return false
}

/** The chain of namespaces from `id` up to the root (pid and user namespaces). */
export function namespaceChain(state: KernelState, id: NamespaceId): NamespaceId[] {
  const chain: NamespaceId[] = []
  for (let at: NamespaceId | null = id; at !== null; at = getNamespace(state, at).parent) chain.push(at)
  return chain
}

/**
 * A process's uid as seen in user namespace `target` (an ancestor of its own), or
 * null if `target` is not an ancestor. Each level adds its map's base.
 */
export function uidIn(state: KernelState, process: ProcessObject, target: NamespaceId): number | null {
  let uid = process.uid
  for (let at: NamespaceId | null = getContainer(state, process.owner!).namespaces.user; at !== null; ) {
    if (at === target) return uid
    const namespace = getNamespace(state, at)
    uid += namespace.uidMap.base
    at = namespace.parent
  }
  return null
}

/** The uid in the root user namespace. */
export function hostUid(state: KernelState, process: ProcessObject): number {
  const chain = namespaceChain(state, getContainer(state, process.owner!).namespaces.user)
  return uidIn(state, process, chain[chain.length - 1]!)!
}

/**
 * May the process change a table owned by user namespace `owner`? Only as uid 0
 * there (kernel.md §6), and, when `owner` is an ancestor of its own user
 * namespace, only as host uid 0 (ISO-3: uid 0 of a nested map is an ordinary
 * uid outside, even where a base-0 map makes it uid 0 of the parent).
 */
export function mayChangeTable(state: KernelState, process: ProcessObject, owner: NamespaceId): boolean {
  if (uidIn(state, process, owner) !== 0) return false
  return owner === getContainer(state, process.owner!).namespaces.user || hostUid(state, process) === 0
}
