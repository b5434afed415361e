/**
 * Canonical encoding of an impl kernel's state up to renaming of identities, for
 * the general engine (general.ts): the same equivalence as the model engine's
 * `canonicalKey` (canonical.ts), computed on the impl's tables without building a
 * model state. Labels are given in the same order, fixed by structure alone:
 * the root, init, processes by creation index, then whatever labelled objects
 * and namespaces hold (owners, parents, namespaces, slots, mappings, queued
 * caps, table entries by key), then parents of labelled caps, then objects
 * nothing labelled reaches, then namespaces nothing reaches (the least local key
 * first; ties tried in turn, the least encoding kept, as canonical.ts does, so
 * that the encoding is canonical whatever the identities). The encoding is then every
 * labelled object, cap and namespace under that labelling, as 32-bit words —
 * the same fields canonical.ts writes, so two impl states encode alike exactly
 * when their abstractions have the same canonical key (the tests compare both
 * on every state of several searches).
 *
 * Numbers that do not fit a small integer are written as a tag and their two
 * 32-bit halves; strings (table keys, image digests, device names, string
 * payloads) and container limits as a tag and a 64-bit hash of their text.
 * @module
 */
import type { Kernel } from '../../impl/kernel.js'
import {
  KIND_CONTAINER, KIND_DEVICE, KIND_ENDPOINT, KIND_FREE, KIND_PROCESS, KIND_REGION, NONE, NS_COLUMNS, NS_IPC, NS_MOUNT, NS_NET, NS_PID, NS_USER, RES_COUNT,
} from '../../impl/tables/objects.js'
import { PLACE_FREE, PLACE_MESSAGE, PLACE_SLOT, PLACE_TABLE } from '../../impl/tables/caps.js'
import type { NamespaceRecord } from '../../impl/tables/namespaces.js'
import { fingerprint, fingerprintWordsInto } from './fingerprints.js'

const UNLABELLED = -2
const TAG_NUMBER = 0x7ffffff0
const TAG_STRING = 0x7ffffff1
const SMALL = 0x3fffffff
/** Namespace columns in the order canonical.ts writes them. */
const NS_ORDER = [NS_USER, NS_PID, NS_MOUNT, NS_NET, NS_IPC] as const
const NS_KIND_CODE: Readonly<Record<string, number>> = { pid: 1, mount: 2, net: 3, ipc: 4, user: 5 }

/** Whether encoding `a` (its first `aLength` words) comes before `b`: word by word, then the shorter first. */
function less(a: Int32Array, aLength: number, b: Int32Array, bLength: number): boolean {
  const length = Math.min(aLength, bLength)
  for (let index = 0; index < length; index++) if (a[index] !== b[index]) return a[index]! < b[index]!
  return aLength < bLength
}

/** The two 32-bit hashes fingerprints.ts gives a text, as the encoding's words. */
function hashString(text: string): Int32Array {
  return Int32Array.from(fingerprint(text))
}

/** A kernel's tables as the encoder reads them (ours, or a mutant's copy of ours: same shape). */
export type EncodableKernel = Pick<Kernel, 'objects' | 'caps' | 'namespaces' | 'refs' | 'root' | 'init'>

/**
 * The canonical encoder: label arrays and the output buffer allocated once and
 * reused, so that encoding a state allocates nothing in the common case.
 */
export class CanonicalEncoder {
  /** The encoding of the last state encoded, and its length in words. */
  words = new Int32Array(256)
  length = 0
  /** Its 64-bit fingerprint. */
  readonly pair = new Uint32Array(2)
  private objectLabel = new Int32Array(16).fill(-1)
  private capLabel = new Int32Array(32).fill(-1)
  private objectOrder = new Int32Array(16)
  private capOrder = new Int32Array(32)
  private objectCount = 0
  private capCount = 0
  /** Namespace id → label (-1: none yet); ids are small (below the kernel's counter). */
  private namespaceLabel = new Int32Array(16).fill(-1)
  private readonly namespaceOrder: number[] = []
  /** Object serial → live handle, for this encoding (namespace creators are serials): valid where `serialStamp` is `stamp`. */
  private serialHandle = new Int32Array(16)
  private serialStamp = new Int32Array(16)
  private stamp = 0
  private serialsMapped = false
  private readonly strings = new Map<string, Int32Array>()
  private readonly limitHashes = new WeakMap<object, Int32Array>()
  private readonly float = new Float64Array(1)
  private readonly floatWords = new Int32Array(this.float.buffer)

  /** Encodes the kernel's state into {@link words} and fingerprints it into {@link pair}. */
  encode(k: EncodableKernel): void {
    this.branching = false
    this.label(k)
    if (this.branching) {
      // Ties were tried: the least encoding is in `best`.
      const words = this.words; this.words = this.best; this.best = words
      this.length = this.bestLength
    }
    fingerprintWordsInto(this.words, this.length, this.pair)
  }

  /** Whether this encoding tried ties (so that several complete labellings were written). */
  private branching = false
  private leaves = 0
  private best = new Int32Array(256)
  private bestLength = 0

  /** A complete labelling: written into {@link words}, and kept in `best` when it is the least so far. */
  private leaf(k: EncodableKernel): void {
    this.write(k)
    if (!this.branching) return
    if (++this.leaves > 1 && !less(this.words, this.length, this.best, this.bestLength)) return
    if (this.best.length < this.length) this.best = new Int32Array(this.words.length)
    this.best.set(this.words.subarray(0, this.length))
    this.bestLength = this.length
  }

  // ---- labelling ----------------------------------------------------------------

  /** Takes back every label given after the first `objects` objects, `caps` caps and `namespaces` namespaces. */
  private rollback(objects: number, caps: number, namespaces: number): void {
    for (let index = objects; index < this.objectCount; index++) this.objectLabel[this.objectOrder[index]!] = -1
    for (let index = caps; index < this.capCount; index++) this.capLabel[this.capOrder[index]!] = -1
    this.objectCount = objects
    this.capCount = caps
    for (let index = namespaces; index < this.namespaceOrder.length; index++) this.namespaceLabel[this.namespaceOrder[index]!] = -1
    this.namespaceOrder.length = namespaces
  }

  private fit(k: EncodableKernel): void {
    const objects = k.objects.capacity
    if (this.objectLabel.length < objects) {
      this.objectLabel = new Int32Array(objects).fill(-1)
      this.objectOrder = new Int32Array(objects)
    }
    const caps = k.caps.capacity
    if (this.capLabel.length < caps) {
      this.capLabel = new Int32Array(caps).fill(-1)
      this.capOrder = new Int32Array(caps)
    }
  }

  private labelObject(handle: number): void {
    if (handle === NONE || this.objectLabel[handle] !== -1) return
    this.objectLabel[handle] = this.objectCount
    this.objectOrder[this.objectCount++] = handle
  }

  private labelCap(k: EncodableKernel, cap: number): void {
    if (cap === NONE || this.capLabel[cap] !== -1) return
    this.capLabel[cap] = this.capCount
    this.capOrder[this.capCount++] = cap
    this.labelObject(k.caps.object[cap]!)
  }

  private labelNamespace(id: number): void {
    if (!(id >= 0)) return // no namespace id: written as unlabelled
    if (id >= this.namespaceLabel.length) {
      const grown = new Int32Array(Math.max(id + 1, this.namespaceLabel.length * 2)).fill(-1)
      grown.set(this.namespaceLabel)
      this.namespaceLabel = grown
    }
    if (this.namespaceLabel[id] !== -1) return
    this.namespaceLabel[id] = this.namespaceOrder.length
    this.namespaceOrder.push(id)
  }

  /** A namespace's label, or UNLABELLED. */
  private namespaceLabelOf(id: number): number {
    const label = id >= 0 && id < this.namespaceLabel.length ? this.namespaceLabel[id]! : -1
    return label === -1 ? UNLABELLED : label
  }

  /** The live object whose serial (model id) is `serial`, or NONE. */
  private handleOfSerial(k: EncodableKernel, serial: number): number {
    const objects = k.objects
    if (!this.serialsMapped) {
      // Once per encoding: serial → handle of every live object.
      this.serialsMapped = true
      if (++this.stamp === 0x7fffffff) { this.stamp = 1; this.serialStamp.fill(0) }
      for (let handle = 0; handle < objects.top; handle++) {
        if (objects.kind[handle] === KIND_FREE) continue
        const live = objects.serial[handle]!
        if (live < 0) continue
        if (live >= this.serialStamp.length) {
          const size = Math.max(live + 1, this.serialStamp.length * 2)
          const stamps = new Int32Array(size); stamps.set(this.serialStamp); this.serialStamp = stamps
          const handles = new Int32Array(size); handles.set(this.serialHandle); this.serialHandle = handles
        }
        // The first live handle of a serial, as a scan from 0 would find.
        if (this.serialStamp[live] !== this.stamp) { this.serialStamp[live] = this.stamp; this.serialHandle[live] = handle }
      }
    }
    return serial >= 0 && serial < this.serialStamp.length && this.serialStamp[serial] === this.stamp ? this.serialHandle[serial]! : NONE
  }

  private visitObject(k: EncodableKernel, handle: number): void {
    const objects = k.objects
    this.labelObject(objects.owner[handle]!)
    switch (objects.kind[handle]) {
      case KIND_CONTAINER: {
        this.labelObject(objects.parent[handle]!)
        const row = objects.row[handle]! * NS_COLUMNS
        for (const column of NS_ORDER) this.labelNamespace(objects.rows.namespaces[row + column]!)
        return
      }
      case KIND_PROCESS: {
        const cspace = objects.cspace[handle]!
        for (let slot = 0; slot < cspace.length; slot++) this.labelCap(k, cspace[slot]!)
        for (let cap = objects.mapHead[handle]!; cap !== NONE; cap = k.caps.mapNext[cap]!) this.labelCap(k, cap)
        return
      }
      case KIND_ENDPOINT: {
        const count = objects.queueCount[handle]!
        if (count === 0) return
        const ring = objects.ring[handle]!
        const depth = objects.depth[handle]!
        for (let index = 0, at = objects.queueHead[handle]!; index < count; index++, at = (at + 1) % depth) this.labelCap(k, ring.cap[at]!)
        return
      }
    }
  }

  private visitNamespace(k: EncodableKernel, record: NamespaceRecord): void {
    if (record.parent !== null) this.labelNamespace(record.parent)
    this.labelNamespace(record.userNamespace)
    this.labelObject(this.handleOfSerial(k, record.creator))
    if (record.entries.size === 0) return
    for (const key of [...record.entries.keys()].sort()) this.labelCap(k, record.entries.get(key)!)
  }

  /** The unlabelled parent of the labelled cap of least label whose parent is unlabelled; NONE when there is none. */
  private parentless(k: EncodableKernel): number {
    const caps = k.caps
    for (let label = 0; label < this.capCount; label++) {
      const parent = caps.parent[this.capOrder[label]!]!
      if (parent !== NONE && this.capLabel[parent] === -1) return parent
    }
    return NONE
  }

  /** What an object is without identities (canonical.ts's `localKey`), for ordering unreached objects. */
  private localKey(k: EncodableKernel, handle: number): string {
    const objects = k.objects
    switch (objects.kind[handle]) {
      case KIND_ENDPOINT: return `endpoint:${objects.depth[handle]}:${objects.queueCount[handle]}`
      case KIND_REGION: return `region:${objects.bytes[handle]}:${objects.executable[handle] === 1}`
      case KIND_CONTAINER: return 'container'
      case KIND_PROCESS: return 'process'
      default: return 'device'
    }
  }

  /** What a namespace is without identities (canonical.ts's `namespaceKey`), for ordering unreached namespaces. */
  private namespaceKey(record: NamespaceRecord): string {
    return `${record.kind}:${record.uidMap.base}+${record.uidMap.count}:${record.pidNext}:${record.entries.size}`
  }

  /**
   * The unreached objects of least local key (handles), or when every object is
   * labelled the unreached namespaces of least key (ids), into `ties`; its kind
   * as the result ('object', 'namespace', or null when everything is labelled).
   */
  private unreached(k: EncodableKernel, ties: number[]): 'object' | 'namespace' | null {
    ties.length = 0
    const objects = k.objects
    let least = ''
    for (let handle = 0; handle < objects.top; handle++) {
      if (objects.kind[handle] === KIND_FREE || this.objectLabel[handle] !== -1) continue
      const key = this.localKey(k, handle)
      if (ties.length === 0 || key < least) { ties.length = 0; ties.push(handle); least = key } else if (key === least) ties.push(handle)
    }
    if (ties.length > 0) return 'object'
    if (this.namespaceOrder.length === k.namespaces.size) return null
    for (const [id, record] of k.namespaces.records) {
      if (id < this.namespaceLabel.length && this.namespaceLabel[id] !== -1) continue
      const key = this.namespaceKey(record)
      if (ties.length === 0 || key < least) { ties.length = 0; ties.push(id); least = key } else if (key === least) ties.push(id)
    }
    return ties.length > 0 ? 'namespace' : null
  }

  private label(k: EncodableKernel): void {
    this.fit(k)
    this.rollback(0, 0, 0)
    this.serialsMapped = false
    const { objects, refs } = k
    this.labelObject(k.root)
    this.labelObject(k.init)
    for (let ref = 0; ref < refs.count; ref++) {
      const handle = refs.handle[ref]!
      if (objects.isLive(handle, refs.gen[ref]!)) this.labelObject(handle)
    }
    this.complete(k, 0, 0)
  }

  /**
   * Continues the labelling from the objects and namespaces not yet visited, as
   * canonical.ts's `complete` does, down to every complete labelling (one unless
   * unreached objects or namespaces tie: then each is tried first in turn), each
   * handed to {@link leaf}.
   */
  private complete(k: EncodableKernel, objectIndex: number, namespaceIndex: number): void {
    for (;;) {
      while (objectIndex < this.objectCount) this.visitObject(k, this.objectOrder[objectIndex++]!)
      while (namespaceIndex < this.namespaceOrder.length) this.visitNamespace(k, k.namespaces.get(this.namespaceOrder[namespaceIndex++]!))
      if (objectIndex < this.objectCount) continue
      const parent = this.parentless(k)
      if (parent !== NONE) { this.labelCap(k, parent); continue }
      const ties = this.ties
      const kind = this.unreached(k, ties)
      if (kind === null) { this.leaf(k); return }
      if (ties.length === 1) {
        if (kind === 'object') this.labelObject(ties[0]!)
        else this.labelNamespace(ties[0]!)
        continue
      }
      const tied = ties.slice()
      if (!this.branching) { this.branching = true; this.leaves = 0 }
      const objects = this.objectCount
      const caps = this.capCount
      const namespaces = this.namespaceOrder.length
      for (const choice of tied) {
        this.rollback(objects, caps, namespaces)
        if (kind === 'object') this.labelObject(choice)
        else this.labelNamespace(choice)
        this.complete(k, objectIndex, namespaceIndex)
      }
      return
    }
  }

  private readonly ties: number[] = []

  // ---- writing ------------------------------------------------------------------

  private push(word: number): void {
    if (this.length === this.words.length) {
      const words = new Int32Array(this.words.length * 2)
      words.set(this.words)
      this.words = words
    }
    this.words[this.length++] = word
  }

  private number(value: number): void {
    if (Number.isInteger(value) && value >= -SMALL && value <= SMALL) { this.push(value | 0); return }
    this.float[0] = value
    this.push(TAG_NUMBER)
    this.push(this.floatWords[0]!)
    this.push(this.floatWords[1]!)
  }

  private string(text: string): void {
    let hash = this.strings.get(text)
    if (hash === undefined) { hash = hashString(text); this.strings.set(text, hash) }
    this.push(TAG_STRING)
    this.push(hash[0]!)
    this.push(hash[1]!)
  }

  private object(handle: number): void {
    this.push(handle === NONE ? -1 : this.objectLabel[handle]! === -1 ? UNLABELLED : this.objectLabel[handle]!)
  }

  private cap(cap: number): void {
    this.push(cap === NONE ? -1 : this.capLabel[cap]! === -1 ? UNLABELLED : this.capLabel[cap]!)
  }

  private namespace(id: number | null): void {
    this.push(id === null ? -1 : this.namespaceLabelOf(id))
  }

  private limits(k: EncodableKernel, handle: number): void {
    const limits = k.objects.limits[handle]!
    let hash = this.limitHashes.get(limits)
    if (hash === undefined) {
      // The whole record as canonical.ts's JSON.stringify sees it (the rows hold the numbers the kernel computes with).
      hash = hashString(JSON.stringify(limits))
      this.limitHashes.set(limits, hash)
    }
    this.push(TAG_STRING)
    this.push(hash[0]!)
    this.push(hash[1]!)
  }

  private write(k: EncodableKernel): void {
    const { objects, caps, refs } = k
    this.length = 0
    this.push(refs.count)
    for (let ref = 0; ref < refs.count; ref++) {
      const handle = refs.handle[ref]!
      this.push(objects.isLive(handle, refs.gen[ref]!) ? this.objectLabel[handle]! : -1)
    }
    this.push(this.objectCount)
    for (let label = 0; label < this.objectCount; label++) {
      const handle = this.objectOrder[label]!
      const kind = objects.kind[handle]!
      this.push(kind)
      this.object(objects.owner[handle]!)
      switch (kind) {
        case KIND_CONTAINER: {
          this.object(objects.parent[handle]!)
          this.limits(k, handle)
          const row = objects.row[handle]!
          for (let column = 0; column < RES_COUNT; column++) this.number(objects.rows.usage[row * RES_COUNT + column]!)
          for (const column of NS_ORDER) this.namespace(objects.rows.namespaces[row * NS_COLUMNS + column]!)
          break
        }
        case KIND_PROCESS: {
          this.push(objects.ref[handle]!)
          this.push(objects.running[handle]!)
          this.number(objects.uid[handle]!)
          const cspace = objects.cspace[handle]!
          this.push(cspace.length)
          for (let slot = 0; slot < cspace.length; slot++) this.cap(cspace[slot]!)
          let mappings = 0
          for (let cap = objects.mapHead[handle]!; cap !== NONE; cap = caps.mapNext[cap]!) mappings++
          this.push(mappings)
          for (let cap = objects.mapHead[handle]!; cap !== NONE; cap = caps.mapNext[cap]!) {
            this.cap(cap)
            this.object(caps.object[cap]!)
            this.push(caps.mapPerms[cap]!)
          }
          const image = objects.text[handle]
          if (image === null || image === undefined) this.push(-1)
          else this.string(image)
          this.number(objects.bytes[handle]!)
          this.pids(objects.pids[handle]!)
          break
        }
        case KIND_ENDPOINT: {
          const count = objects.queueCount[handle]!
          const depth = objects.depth[handle]!
          this.push(depth)
          this.push(count)
          const ring = objects.ring[handle]
          for (let index = 0, at = objects.queueHead[handle]!; index < count; index++, at = (at + 1) % depth) {
            const payload = ring!.payload[at]!
            if (typeof payload === 'string') this.string(payload)
            else this.number(payload)
            this.number(ring!.badge[at]!)
            this.cap(ring!.cap[at]!)
          }
          break
        }
        case KIND_REGION:
          this.number(objects.bytes[handle]!)
          this.push(objects.executable[handle]!)
          break
        case KIND_DEVICE:
          this.string(objects.text[handle]!)
          break
      }
    }
    this.push(this.capCount)
    for (let label = 0; label < this.capCount; label++) {
      const cap = this.capOrder[label]!
      this.object(caps.object[cap]!)
      this.push(caps.rights[cap]!)
      this.number(caps.badge[cap]!)
      this.cap(caps.parent[cap]!)
      const place = caps.place[cap]!
      this.push(place)
      const where = caps.where[cap]!
      if (place === PLACE_SLOT) { this.object(where); this.number(caps.slot[cap]! + 0) }
      else if (place === PLACE_TABLE) { this.namespace(where); this.string(caps.key[cap]!) }
      else if (place === PLACE_MESSAGE) this.object(where)
      else if (place === PLACE_FREE) this.push(-1)
    }
    this.push(this.namespaceOrder.length)
    for (const id of this.namespaceOrder) {
      const record = k.namespaces.get(id)
      this.push(NS_KIND_CODE[record.kind]!)
      this.object(this.handleOfSerial(k, record.creator))
      this.namespace(record.parent)
      this.namespace(record.userNamespace)
      this.number(record.uidMap.base)
      this.number(record.uidMap.count)
      this.number(record.pidNext)
      this.push(record.entries.size)
      if (record.entries.size > 0) {
        for (const key of [...record.entries.keys()].sort()) {
          this.string(key)
          this.cap(record.entries.get(key)!)
        }
      }
    }
  }

  /** A process's pids (pid namespace → local pid) as a set: sorted by namespace label, then pid. */
  private pids(pids: ReadonlyMap<number, number>): void {
    this.push(pids.size)
    if (pids.size === 1) {
      for (const [namespace, pid] of pids) { this.namespace(namespace); this.number(pid) }
      return
    }
    const pairs: Array<[number, number]> = []
    for (const [namespace, pid] of pids) pairs.push([this.namespaceLabelOf(namespace), pid])
    pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1])
    for (const [label, pid] of pairs) { this.push(label); this.number(pid) }
  }
}

