/**
 * The authority graph of a state (tooling.md §5): containers, the processes in
 * them, the objects they own, and every capability as an edge to the object it
 * names. A cap in a process slot is drawn from its holder; a cap in a namespace
 * table from the container that created the namespace, labelled with the key; a cap
 * in a queued message from the endpoint it waits in (dashed in drawings). An edge
 * **crosses** when the container it is drawn from differs from the container that
 * owns the object: that is authority handed between containers, what ISO-1 confines.
 *
 * Built from a state as it is, broken or not: a cap that names a missing object, or
 * sits in a missing process, gets a `missing` node instead of an exception.
 * @module
 */
import type { CapId, NamespaceId, ObjectId, ObjectKind } from '../../spec/ids.js'
import { rightsNames, type RightName } from '../../spec/rights.js'
import type { Cap, KernelObject, KernelState } from '../../model/state.js'
import { objectLabel } from './labels.js'

/** A container, drawn as a cluster nested in its parent's. @public */
export interface GraphContainer {
  readonly id: ObjectId
  readonly label: string
  /** The parent container; null for the root (or when the parent is missing). */
  readonly parent: ObjectId | null
}

/** An object: a container itself, a process, an endpoint, a region, a device, or a missing one. @public */
export interface GraphNode {
  readonly id: ObjectId
  readonly kind: ObjectKind | 'missing'
  readonly label: string
  /** The container it is drawn in: its own for a container, its owner otherwise; null when there is none. */
  readonly cluster: ObjectId | null
  /** The container that owns it (charged for it); a container's owner is its parent. */
  readonly owner: ObjectId | null
  /** A few words of state: a process's status and ref, a queue's length. */
  readonly detail: string
}

/** Where an edge's cap sits. @public */
export type EdgePlace =
  | { readonly place: 'slot'; readonly process: ObjectId; readonly slot: number }
  | { readonly place: 'table'; readonly namespace: NamespaceId; readonly table: string; readonly key: string }
  | { readonly place: 'message'; readonly endpoint: ObjectId; readonly seq: number }

/** A capability, from where it is held to the object it names. @public */
export interface GraphEdge {
  readonly cap: CapId
  /** The node it is drawn from: the holder process, the namespace's creator container, or the endpoint. */
  readonly from: ObjectId
  readonly to: ObjectId
  readonly rights: ReadonlyArray<RightName>
  /** 0 = no badge. */
  readonly badge: number
  readonly at: EdgePlace
  /** The container of `from` (the holder's container). */
  readonly fromContainer: ObjectId | null
  /** The container that owns `to`. */
  readonly toOwner: ObjectId | null
  /** `fromContainer` differs from `toOwner`. */
  readonly crosses: boolean
}

/** The whole graph, in id order. @public */
export interface AuthorityGraph {
  readonly containers: ReadonlyArray<GraphContainer>
  readonly nodes: ReadonlyArray<GraphNode>
  readonly edges: ReadonlyArray<GraphEdge>
}

/** The container an object is charged to; the root (no owner) is its own. */
export function ownerContainer(object: KernelObject): ObjectId | null {
  return object.owner ?? (object.kind === 'container' ? object.id : null)
}

function nodeDetail(object: KernelObject): string {
  switch (object.kind) {
    case 'process':
      return `ref ${object.ref}, ${object.status}`
    case 'endpoint':
      return `${object.queue.length}/${object.depth} queued`
    case 'region':
      return `${object.sizeBytes} bytes${object.executable ? ', executable' : ''}`
    default:
      return ''
  }
}

function objectNode(state: KernelState, labels: ReadonlyMap<ObjectId, string>, object: KernelObject): GraphNode {
  const owner = object.kind === 'container' ? object.parent : object.owner
  return { id: object.id, kind: object.kind, label: objectLabel(state, labels, object.id), cluster: object.kind === 'container' ? object.id : object.owner, owner, detail: nodeDetail(object) }
}

function missingNode(id: ObjectId): GraphNode {
  return { id, kind: 'missing', label: `missing object ${id}`, cluster: null, owner: null, detail: 'named but not live' }
}

/** Where the cap is drawn from and the container it is held in. */
function edgeSource(state: KernelState, cap: Cap): { from: ObjectId; fromContainer: ObjectId | null; at: EdgePlace } {
  const at = cap.at
  if (at.place === 'slot') {
    const holder = state.ksObjects.get(at.process)
    return { from: at.process, fromContainer: holder?.owner ?? null, at }
  }
  if (at.place === 'table') {
    const namespace = state.ksNamespaces.get(at.namespace)
    const creator = namespace?.creator ?? null
    return { from: creator ?? -1, fromContainer: creator, at: { ...at, table: namespace?.kind ?? 'missing' } }
  }
  const endpoint = state.ksObjects.get(at.endpoint)
  return { from: at.endpoint, fromContainer: endpoint?.owner ?? null, at }
}

function capEdge(state: KernelState, cap: Cap): GraphEdge {
  const source = edgeSource(state, cap)
  const object = state.ksObjects.get(cap.object)
  const toOwner = object === undefined ? null : ownerContainer(object)
  return {
    cap: cap.id, from: source.from, to: cap.object, rights: rightsNames(cap.rights), badge: cap.badge, at: source.at,
    fromContainer: source.fromContainer, toOwner, crosses: source.fromContainer !== toOwner,
  }
}

/**
 * The authority graph of `state`, naming objects with `labels` (see
 * {@link bootLabels}). Nodes are the live objects, then a `missing` node for every
 * id an edge names that is not live.
 * @public
 */
export function authorityGraph(state: KernelState, labels: ReadonlyMap<ObjectId, string> = new Map()): AuthorityGraph {
  const objects = [...state.ksObjects.values()].sort((a, b) => a.id - b.id)
  const containers = objects.flatMap((object) => object.kind === 'container'
    ? [{ id: object.id, label: objectLabel(state, labels, object.id), parent: object.parent !== null && state.ksObjects.get(object.parent)?.kind === 'container' ? object.parent : null }]
    : [])
  const edges = [...state.ksCaps.values()].sort((a, b) => a.id - b.id).map((cap) => capEdge(state, cap))
  const nodes = objects.map((object) => objectNode(state, labels, object))
  const named = new Set(nodes.map((node) => node.id))
  for (const edge of edges) {
    for (const id of [edge.from, edge.to]) {
      if (!named.has(id)) {
        named.add(id)
        nodes.push(missingNode(id))
      }
    }
  }
  return { containers, nodes, edges }
}

/** A short text for an edge's place: `slot 3`, `mount /data`, `queued seq 4`. @public */
export function placeText(at: EdgePlace): string {
  if (at.place === 'slot') return `slot ${at.slot}`
  if (at.place === 'table') return `${at.table} ${at.key}`
  return `queued seq ${at.seq}`
}

const RIGHT_LETTERS: ReadonlyArray<readonly [RightName, string]> = [['read', 'r'], ['write', 'w'], ['execute', 'x'], ['grant', 'g'], ['control', 'c']]

/** Rights as five letters, a dash for each missing one: `rw-g-`. @public */
export function rightsLetters(rights: ReadonlyArray<RightName>): string {
  return RIGHT_LETTERS.map(([right, letter]) => (rights.includes(right) ? letter : '-')).join('')
}
