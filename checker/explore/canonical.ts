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
 * queued on itself) are labelled last, ordered by their own encoding; in the
 * rare symmetric case this may keep two isomorphic states apart (an
 * over-count), never merge two different ones: equal encodings always mean
 * isomorphic states, because the encoding is the whole state under a bijection.
 * @module
 */
import type { CapId, NamespaceId, ObjectId } from '../../spec/ids.js'
import type { Cap, KernelObject, KernelState } from '../../model/state.js'

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
}

/** Labels everything reachable from the anchors (root, init, processes by creation index). */
function label(state: KernelState): Labels {
  const labels = new Labels()
  labels.object(state.ksRoot)
  labels.object(state.ksInit)
  for (const id of state.ksProcessRefs) if (state.ksObjects.has(id)) labels.object(id)
  let objectIndex = 0
  let namespaceIndex = 0
  for (;;) {
    while (objectIndex < labels.objectOrder.length) visitObject(state, labels, state.ksObjects.get(labels.objectOrder[objectIndex++]!)!)
    while (namespaceIndex < labels.namespaceOrder.length) {
      const namespace = state.ksNamespaces.get(labels.namespaceOrder[namespaceIndex++]!)!
      if (namespace.parent !== null) labels.namespace(namespace.parent)
      labels.namespace(namespace.userNamespace)
      labels.object(namespace.creator)
      for (const key of [...namespace.entries.keys()].sort()) labels.cap(state, namespace.entries.get(key)!)
    }
    if (objectIndex < labels.objectOrder.length) continue
    const parentless = [...state.ksCaps.values()].find((cap) => labels.caps.has(cap.id) && cap.parent !== null && !labels.caps.has(cap.parent))
    if (parentless !== undefined) { labels.cap(state, parentless.parent); continue }
    const rest = [...state.ksObjects.values()].filter((object) => !labels.objects.has(object.id))
    if (rest.length === 0) break
    rest.sort((a, b) => (localKey(a) < localKey(b) ? -1 : localKey(a) > localKey(b) ? 1 : 0))
    labels.object(rest[0]!.id)
  }
  for (const namespace of state.ksNamespaces.values()) if (!labels.namespaces.has(namespace.id)) labels.namespace(namespace.id)
  return labels
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

/** The canonical encoding of a state, as a string. */
export function canonicalKey(state: KernelState): string {
  const labels = label(state)
  const o = (id: ObjectId | null) => (id === null ? '-' : String(labels.objects.get(id)))
  const c = (id: CapId | null) => (id === null ? '-' : String(labels.caps.get(id)))
  const n = (id: NamespaceId | null) => (id === null ? '-' : String(labels.namespaces.get(id)))
  const parts: string[] = [state.ksProcessRefs.map((id) => (state.ksObjects.has(id) ? o(id) : 'x')).join(',')]
  for (const id of labels.objectOrder) {
    const object = state.ksObjects.get(id)!
    const head = `${object.kind[0]}${o(object.owner)}`
    switch (object.kind) {
      case 'container':
        parts.push(`${head}p${o(object.parent)}${JSON.stringify(object.limits)}${JSON.stringify(object.usage)}${['user', 'pid', 'mount', 'net', 'ipc'].map((k) => n(object.namespaces[k as 'pid'])).join('.')}`)
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
