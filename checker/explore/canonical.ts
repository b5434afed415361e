/**
 * Canonical encoding of a model state up to renaming of identities (tooling.md
 * §3): two states that differ only by the numbers of their objects, caps and
 * namespaces encode the same. Labels are given in an order fixed by structure
 * alone — processes by creation index, their slots in order, then whatever the
 * labelled objects and namespaces hold (queues in order, table entries by key) —
 * never by the identities themselves. Counters of fresh identities, message
 * sequence numbers and ghost fields are not part of the encoding.
 *
 * Objects that nothing labelled reaches (an endpoint kept alive only by a cap
 * queued on itself), then namespaces nothing reaches, are labelled last, the
 * one of least local key first; when several tie on it (two such endpoints
 * alike), each is tried first in turn and the least encoding is kept. So the
 * key is canonical: isomorphic states encode alike, whatever their identities,
 * and equal encodings mean isomorphic states, because the encoding is the
 * whole state under a bijection. (Before, ties went by identity, which kept
 * some isomorphic cap-core states apart: 8,802,828 states instead of
 * 8,743,660.)
 * @module
 */
import type { CapId, NamespaceId, ObjectId } from '../../spec/ids.js'
import type { Limits } from '../../spec/limits.js'
import type { Cap, KernelObject, KernelState, Namespace } from '../../model/state.js'

class Labels {
  readonly objects = new Map<ObjectId, number>()
  readonly caps = new Map<CapId, number>()
  readonly namespaces = new Map<NamespaceId, number>()
  readonly objectOrder: ObjectId[] = []
  readonly capOrder: CapId[] = []
  readonly namespaceOrder: NamespaceId[] = []

  object(id: ObjectId | null): void {
    if (id === null || this.objects.has(id)) return
    this.objects.set(id, this.objectOrder.length)
    this.objectOrder.push(id)
  }
  cap(state: KernelState, id: CapId | null): void {
    if (id === null || this.caps.has(id)) return
    this.caps.set(id, this.capOrder.length)
    this.capOrder.push(id)
    this.object(state.ksCaps.get(id)!.object)
  }
  namespace(id: NamespaceId): void {
    if (this.namespaces.has(id)) return
    this.namespaces.set(id, this.namespaceOrder.length)
    this.namespaceOrder.push(id)
  }
  /** How many labels of each kind are given: a point to come back to. */
  mark(): [number, number, number] {
    return [this.objectOrder.length, this.capOrder.length, this.namespaceOrder.length]
  }
  /** Takes back every label given since `mark`. */
  rollback([objects, caps, namespaces]: [number, number, number]): void {
    for (const id of this.objectOrder.splice(objects)) this.objects.delete(id)
    for (const id of this.capOrder.splice(caps)) this.caps.delete(id)
    for (const id of this.namespaceOrder.splice(namespaces)) this.namespaces.delete(id)
  }
}

/**
 * Labels everything from the anchors (root, init, processes by creation index)
 * on, and calls `leaf` with each complete labelling: one, unless objects or
 * namespaces nothing labelled reaches tie (see {@link complete}).
 */
function label(state: KernelState, leaf: (labels: Labels) => void): void {
  const labels = new Labels()
  labels.object(state.ksRoot)
  labels.object(state.ksInit)
  for (const id of state.ksProcessRefs) if (state.ksObjects.has(id)) labels.object(id)
  complete(state, labels, 0, 0, leaf)
}

/**
 * Continues a labelling: visits the labelled objects and namespaces from
 * `objectIndex` and `namespaceIndex` on, labels the parent of the first labelled
 * cap (by label) whose parent is not, and when nothing labelled reaches further,
 * the unreached object — or, none left, namespace — of least local key. When
 * several tie on that key, each is tried in turn (the rest of the labelling
 * follows from it) and `leaf` sees every labelling so made: the caller keeps the
 * least encoding, so the choice depends on structure alone.
 */
function complete(state: KernelState, labels: Labels, objectIndex: number, namespaceIndex: number, leaf: (labels: Labels) => void): void {
  for (;;) {
    while (objectIndex < labels.objectOrder.length) visitObject(state, labels, state.ksObjects.get(labels.objectOrder[objectIndex++]!)!)
    while (namespaceIndex < labels.namespaceOrder.length) visitNamespace(state, labels, state.ksNamespaces.get(labels.namespaceOrder[namespaceIndex++]!)!)
    if (objectIndex < labels.objectOrder.length) continue
    const orphan = labels.capOrder.find((id) => { const parent = state.ksCaps.get(id)!.parent; return parent !== null && !labels.caps.has(parent) })
    if (orphan !== undefined) { labels.cap(state, state.ksCaps.get(orphan)!.parent); continue }
    let ties: Array<() => void> = []
    let least = ''
    const consider = (key: string, give: () => void): void => {
      if (ties.length === 0 || key < least) { ties = [give]; least = key } else if (key === least) ties.push(give)
    }
    for (const object of state.ksObjects.values()) if (!labels.objects.has(object.id)) consider(localKey(object), () => labels.object(object.id))
    if (ties.length === 0) for (const namespace of state.ksNamespaces.values()) if (!labels.namespaces.has(namespace.id)) consider(namespaceKey(namespace), () => labels.namespace(namespace.id))
    if (ties.length === 0) { leaf(labels); return }
    if (ties.length === 1) { ties[0]!(); continue }
    const mark = labels.mark()
    for (const give of ties) {
      labels.rollback(mark)
      give()
      complete(state, labels, objectIndex, namespaceIndex, leaf)
    }
    return
  }
}

function visitNamespace(state: KernelState, labels: Labels, namespace: Namespace): void {
  if (namespace.parent !== null) labels.namespace(namespace.parent)
  labels.namespace(namespace.userNamespace)
  labels.object(namespace.creator)
  for (const key of [...namespace.entries.keys()].sort()) labels.cap(state, namespace.entries.get(key)!)
}

function visitObject(state: KernelState, labels: Labels, object: KernelObject): void {
  labels.object(object.owner)
  switch (object.kind) {
    case 'container':
      labels.object(object.parent)
      for (const kind of ['user', 'pid', 'mount', 'net', 'ipc'] as const) labels.namespace(object.namespaces[kind])
      return
    case 'process':
      for (const cap of object.slots) labels.cap(state, cap)
      for (const mapping of object.mappings) { labels.cap(state, mapping.cap); labels.object(mapping.region) }
      return
    case 'endpoint':
      for (const message of object.queue) labels.cap(state, message.cap)
      return
    case 'region': case 'device':
      return
  }
}

/** What an object is, without identities: for ordering the unreachable ones. */
function localKey(object: KernelObject): string {
  return object.kind === 'endpoint' ? `endpoint:${object.depth}:${object.queue.length}` : object.kind === 'region' ? `region:${object.sizeBytes}:${object.executable}` : object.kind
}

/** What a namespace is, without identities: for ordering the unreachable ones. */
function namespaceKey(namespace: Namespace): string {
  return `${namespace.kind}:${namespace.uidMap.base}+${namespace.uidMap.count}:${namespace.pidNext}:${namespace.entries.size}`
}

/** The canonical encoding of a state, as a string. */
export function canonicalKey(state: KernelState): string {
  let best: string | null = null
  label(state, (labels) => {
    const key = encode(state, labels)
    if (best === null || key < best) best = key
  })
  return best!
}

/**
 * A container's limits as text, field by field in one order (the five reserved
 * amounts, the weight, the devices in the record's order): equal limits give
 * equal text whatever the order of the record's keys, which depends on where
 * the record came from (a boot file, an action, the impl's copy).
 */
function limitsKey(limits: Limits): string {
  return `{${limits.memoryBytes},${limits.processes},${limits.endpoints},${limits.cpuBudget},${limits.ioBytes},${limits.cpuWeight},${JSON.stringify(limits.devices)}}`
}

/** The state under one complete labelling. */
function encode(state: KernelState, labels: Labels): string {
  const o = (id: ObjectId | null) => (id === null ? '-' : String(labels.objects.get(id)))
  const c = (id: CapId | null) => (id === null ? '-' : String(labels.caps.get(id)))
  const n = (id: NamespaceId | null) => (id === null ? '-' : String(labels.namespaces.get(id)))
  const parts: string[] = [state.ksProcessRefs.map((id) => (state.ksObjects.has(id) ? o(id) : 'x')).join(',')]
  for (const id of labels.objectOrder) {
    const object = state.ksObjects.get(id)!
    const head = `${object.kind[0]}${o(object.owner)}`
    switch (object.kind) {
      case 'container':
        parts.push(`${head}p${o(object.parent)}${limitsKey(object.limits)}${JSON.stringify(object.usage)}${['user', 'pid', 'mount', 'net', 'ipc'].map((k) => n(object.namespaces[k as 'pid'])).join('.')}`)
        break
      case 'process':
        parts.push(`${head}r${object.ref}${object.status[0]}u${object.uid}[${object.slots.map(c).join(',')}]m${object.mappings.map((m) => `${c(m.cap)}/${o(m.region)}/${m.perms}`).join(',')}i${object.image}:${object.imageBytes}p${[...object.pids.entries()].map(([ns, pid]) => `${n(ns)}=${pid}`).sort().join(',')}`)
        break
      case 'endpoint':
        parts.push(`${head}d${object.depth}q${object.queue.map((m) => `${JSON.stringify(m.payload)}/${m.badge}/${c(m.cap)}`).join(',')}`)
        break
      case 'region':
        parts.push(`${head}s${object.sizeBytes}${object.executable ? 'x' : ''}`)
        break
      case 'device':
        parts.push(`${head}${object.name}`)
        break
    }
  }
  for (const id of labels.capOrder) {
    const cap: Cap = state.ksCaps.get(id)!
    const at = cap.at.place === 'slot' ? `s${o(cap.at.process)}.${cap.at.slot}` : cap.at.place === 'table' ? `t${n(cap.at.namespace)}.${cap.at.key}` : `m${o(cap.at.endpoint)}`
    parts.push(`c${o(cap.object)}r${cap.rights}b${cap.badge}p${c(cap.parent)}@${at}`)
  }
  for (const id of labels.namespaceOrder) {
    const namespace = state.ksNamespaces.get(id)!
    parts.push(`n${namespace.kind}${o(namespace.creator)}p${n(namespace.parent)}u${n(namespace.userNamespace)}m${namespace.uidMap.base}+${namespace.uidMap.count}#${namespace.pidNext}{${[...namespace.entries.keys()].sort().map((k) => `${k}=${c(namespace.entries.get(k)!)}`).join(',')}}`)
  }
  return parts.join('|')
}
