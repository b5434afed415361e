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
 * payloads) as a tag and a 64-bit hash of their text, container limits as a
 * tag and a 64-bit hash of their fields (the model's key writes them in one
 * order too).
 * @module
 */
import type { Kernel } from '../../impl/kernel.js'
import type { Limits } from '../../spec/limits.js'
import {
  KIND_CONTAINER, KIND_DEVICE, KIND_ENDPOINT, KIND_FREE, KIND_PROCESS, KIND_REGION, NONE, NS_COLUMNS, NS_IPC, NS_MOUNT, NS_NET, NS_PID, NS_USER, RES_COUNT,
} from '../../impl/tables/objects.js'
import { PLACE_FREE, PLACE_MESSAGE, PLACE_SLOT, PLACE_TABLE } from '../../impl/tables/caps.js'
import type { NamespaceRecord } from '../../impl/tables/namespaces.js'
import { fingerprint, fingerprintTextInto, fingerprintWordsInto } from './fingerprints.js'

const UNLABELLED = -2
const TAG_NUMBER = 0x7ffffff0
const TAG_STRING = 0x7ffffff1
const SMALL = 0x3fffffff
/** A namespace kind's code in the encoding. */
export function kindCode(kind: NamespaceRecord['kind']): number {
  switch (kind) {
    case 'pid': return 1
    case 'mount': return 2
    case 'net': return 3
    case 'ipc': return 4
    default: return 5
  }
}

/** Whether encoding `a` (its first `aLength` words) comes before `b`: word by word, then the shorter first. */
function less(a: Int32Array, aLength: number, b: Int32Array, bLength: number): boolean {
  const length = Math.min(aLength, bLength)
  for (let index = 0; index < length; index++) if (a[index] !== b[index]) return a[index]! < b[index]!
  return aLength < bLength
}

/** The two 32-bit hashes fingerprints.ts gives a text, as the encoding's words. */
export function hashString(text: string): Int32Array {
  return Int32Array.from(fingerprint(text))
}

let limitWords = new Int32Array(32)
const LIMITS_PAIR = new Uint32Array(2)

/**
 * A 64-bit hash of a container's limits record from its fields (the five
 * reserved amounts, the weight, then each device's name hashed, in the
 * record's order, as the model's key reads them), written into `out` at `at`
 * and `at + 1`. Not of its text, nor cached per record: a step that sets or
 * creates limits stores a fresh record, and hashing its JSON text there (once
 * per such step) cost a tenth of a search's time. Key order plays no part.
 */
export function hashLimitsInto(limits: Limits, out: Int32Array, at: number): void {
  const size = 3 * 6 + 1 + 2 * limits.devices.length
  if (limitWords.length < size) limitWords = new Int32Array(2 * size)
  const w = limitWords
  let n = writeNumber(w, 0, limits.memoryBytes)
  n = writeNumber(w, n, limits.processes)
  n = writeNumber(w, n, limits.endpoints)
  n = writeNumber(w, n, limits.cpuBudget)
  n = writeNumber(w, n, limits.ioBytes)
  n = writeNumber(w, n, limits.cpuWeight)
  w[n++] = limits.devices.length
  for (let index = 0; index < limits.devices.length; index++, n += 2) fingerprintTextInto(limits.devices[index]!, w, n)
  fingerprintWordsInto(w, n, LIMITS_PAIR)
  out[at] = LIMITS_PAIR[0]!
  out[at + 1] = LIMITS_PAIR[1]!
}

const FLOAT = new Float64Array(1)
const FLOAT_WORDS = new Int32Array(FLOAT.buffer)

/** A number into `w` at `n` as one word when a small integer, else a tag and its two halves; the new length. */
export function writeNumber(w: Int32Array, n: number, value: number): number {
  if (value >= -SMALL && value <= SMALL && (value | 0) === value) { w[n] = value; return n + 1 }
  FLOAT[0] = value
  w[n] = TAG_NUMBER
  w[n + 1] = FLOAT_WORDS[0]!
  w[n + 2] = FLOAT_WORDS[1]!
  return n + 3
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
  private namespaceOrder = new Int32Array(16)
  /** The record of each labelled namespace, by label (set as it is visited). */
  private readonly namespaceRecords: NamespaceRecord[] = []
  private namespaceCount = 0
  /** Object serial → live handle, for this encoding (namespace creators are serials): valid where `serialStamp` is `stamp`. */
  private serialHandle = new Int32Array(16)
  private serialStamp = new Int32Array(16)
  private stamp = 0
  private serialsMapped = false
  private readonly strings = new Map<string, Int32Array>()

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
    for (let index = namespaces; index < this.namespaceCount; index++) this.namespaceLabel[this.namespaceOrder[index]!] = -1
    this.namespaceCount = namespaces
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
    if (this.namespaceCount === this.namespaceOrder.length) {
      const order = new Int32Array(this.namespaceOrder.length * 2); order.set(this.namespaceOrder); this.namespaceOrder = order
    }
    this.namespaceLabel[id] = this.namespaceCount
    this.namespaceOrder[this.namespaceCount++] = id
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
        const namespaces = objects.rows.namespaces
        // canonical.ts's order of the columns: user, pid, mount, net, ipc.
        this.labelNamespace(namespaces[row + NS_USER]!)
        this.labelNamespace(namespaces[row + NS_PID]!)
        this.labelNamespace(namespaces[row + NS_MOUNT]!)
        this.labelNamespace(namespaces[row + NS_NET]!)
        this.labelNamespace(namespaces[row + NS_IPC]!)
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
    const count = this.sortEntries(record)
    for (let index = 0; index < count; index++) this.labelCap(k, this.entryCaps[index]!)
  }

  /** A table's entries sorted by key (as canonical.ts's `.sort()` orders them), into {@link entryKeys} and {@link entryCaps}; their count. */
  private sortEntries(record: NamespaceRecord): number {
    this.entryCount = 0
    record.entries.forEach(this.collectEntry)
    const keys = this.entryKeys
    const caps = this.entryCaps
    // Insertion sort on the reused lists (a table has a handful of entries): nothing allocated.
    for (let index = 1; index < this.entryCount; index++) {
      const key = keys[index]!
      const cap = caps[index]!
      let at = index
      for (; at > 0 && keys[at - 1]! > key; at--) { keys[at] = keys[at - 1]!; caps[at] = caps[at - 1]! }
      keys[at] = key
      caps[at] = cap
    }
    return this.entryCount
  }

  private readonly entryKeys: string[] = []
  private readonly entryCaps: number[] = []
  private entryCount = 0
  /** Map.forEach's callback, made once: appends an entry to the lists. */
  private readonly collectEntry = (cap: number, key: string): void => {
    this.entryKeys[this.entryCount] = key
    this.entryCaps[this.entryCount++] = cap
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
    // Everything labelled (the common case): nothing to look for.
    if (this.objectCount === objects.liveCount && this.namespaceCount === k.namespaces.size) return null
    let least = ''
    for (let handle = 0; handle < objects.top; handle++) {
      if (objects.kind[handle] === KIND_FREE || this.objectLabel[handle] !== -1) continue
      const key = this.localKey(k, handle)
      if (ties.length === 0 || key < least) { ties.length = 0; ties.push(handle); least = key } else if (key === least) ties.push(handle)
    }
    if (ties.length > 0) return 'object'
    if (this.namespaceCount === k.namespaces.size) return null
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
      while (namespaceIndex < this.namespaceCount) {
        const record = k.namespaces.records.get(this.namespaceOrder[namespaceIndex]!)!
        this.namespaceRecords[namespaceIndex++] = record
        this.visitNamespace(k, record)
      }
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
      const namespaces = this.namespaceCount
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
  // One pass over the labelled objects, caps and namespaces into `words`, through
  // locals: room is made once per record (`room`), then words are stored unchecked.

  /** `words` with room for `extra` more words after the first `used`. */
  private room(used: number, extra: number): Int32Array {
    if (used + extra <= this.words.length) return this.words
    const words = new Int32Array(Math.max(this.words.length * 2, used + extra))
    words.set(this.words.subarray(0, used))
    this.words = words
    return words
  }

  /** A number as {@link writeNumber} writes it; the new length. */
  private number(w: Int32Array, n: number, value: number): number {
    return writeNumber(w, n, value)
  }

  /** A string as a tag and its 64-bit hash (3 words); the new length. */
  private string(w: Int32Array, n: number, text: string): number {
    let hash = this.strings.get(text)
    if (hash === undefined) { hash = hashString(text); this.strings.set(text, hash) }
    w[n] = TAG_STRING
    w[n + 1] = hash[0]!
    w[n + 2] = hash[1]!
    return n + 3
  }

  /** An object's text (image digest, device name) as {@link string} writes it, the hash kept per handle while the text stays. */
  private text(w: Int32Array, n: number, handle: number, text: string): number {
    if (handle >= this.textOf.length) this.growTexts(handle + 1)
    if (this.textOf[handle] !== text) {
      const hash = this.strings.get(text) ?? hashString(text)
      this.strings.set(text, hash)
      this.textOf[handle] = text
      this.textHash[2 * handle] = hash[0]!
      this.textHash[2 * handle + 1] = hash[1]!
    }
    w[n] = TAG_STRING
    w[n + 1] = this.textHash[2 * handle]!
    w[n + 2] = this.textHash[2 * handle + 1]!
    return n + 3
  }

  /** A container's limits record as a tag and its hash ({@link hashLimitsInto}), kept per handle while the record stays. */
  private limits(w: Int32Array, n: number, handle: number, limits: Limits): number {
    if (handle >= this.limitsOf.length) this.growTexts(handle + 1)
    if (this.limitsOf[handle] !== limits) {
      hashLimitsInto(limits, this.limitsHash, 2 * handle)
      this.limitsOf[handle] = limits
    }
    w[n] = TAG_STRING
    w[n + 1] = this.limitsHash[2 * handle]!
    w[n + 2] = this.limitsHash[2 * handle + 1]!
    return n + 3
  }

  private uidMap: object | null = null
  private readonly uidMapWords = new Int32Array(6)
  private uidMapLength = 0
  private textOf: Array<string | null> = []
  private textHash = new Int32Array(0)
  private limitsOf: Array<object | null> = []
  private limitsHash = new Int32Array(0)

  private growTexts(size: number): void {
    const capacity = Math.max(size, 2 * this.textOf.length, 16)
    while (this.textOf.length < capacity) this.textOf.push(null)
    while (this.limitsOf.length < capacity) this.limitsOf.push(null)
    const textHash = new Int32Array(2 * capacity); textHash.set(this.textHash); this.textHash = textHash
    const limitsHash = new Int32Array(2 * capacity); limitsHash.set(this.limitsHash); this.limitsHash = limitsHash
  }

  /** An object's label as written: -1 for none, UNLABELLED for a handle not labelled. */
  private objectLabelOf(handle: number): number {
    if (handle === NONE) return -1
    const label = this.objectLabel[handle]!
    return label === -1 ? UNLABELLED : label
  }

  /** A cap's label as written: -1 for none, UNLABELLED for a handle not labelled. */
  private capLabelOf(cap: number): number {
    if (cap === NONE) return -1
    const label = this.capLabel[cap]!
    return label === -1 ? UNLABELLED : label
  }

  // The writer is split by part (one function per object kind, the caps, the
  // namespaces) so that each is small enough for the JIT to inline its helpers.

  private write(k: EncodableKernel): void {
    const { objects, refs } = k
    const objectLabel = this.objectLabel
    let w = this.room(0, 2 + refs.count)
    let n = 0
    w[n++] = refs.count
    for (let ref = 0; ref < refs.count; ref++) {
      const handle = refs.handle[ref]!
      w[n++] = objects.isLive(handle, refs.gen[ref]!) ? objectLabel[handle]! : -1
    }
    w[n++] = this.objectCount
    for (let label = 0; label < this.objectCount; label++) {
      const handle = this.objectOrder[label]!
      const kind = objects.kind[handle]!
      w = this.room(n, 32)
      w[n++] = kind
      w[n++] = this.objectLabelOf(objects.owner[handle]!)
      switch (kind) {
        case KIND_CONTAINER: n = this.writeContainer(k, w, n, handle); break
        case KIND_PROCESS: n = this.writeProcess(k, n, handle); break
        case KIND_ENDPOINT: n = this.writeEndpoint(k, n, handle); break
        case KIND_REGION:
          n = this.number(w, n, objects.bytes[handle]!)
          w[n++] = objects.executable[handle]!
          break
        case KIND_DEVICE:
          n = this.text(w, n, handle, objects.text[handle]!)
          break
      }
    }
    n = this.writeCaps(k, n)
    this.length = this.writeNamespaces(k, n)
  }

  /** A container's fields after its kind and owner (room made by the caller); the new length. */
  private writeContainer(k: EncodableKernel, w: Int32Array, n: number, handle: number): number {
    const objects = k.objects
    w[n++] = this.objectLabelOf(objects.parent[handle]!)
    n = this.limits(w, n, handle, objects.limits[handle]!)
    const row = objects.row[handle]!
    const usage = objects.rows.usage
    for (let column = 0; column < RES_COUNT; column++) n = this.number(w, n, usage[row * RES_COUNT + column]!)
    const namespaces = objects.rows.namespaces
    const base = row * NS_COLUMNS
    w[n++] = this.namespaceLabelOf(namespaces[base + NS_USER]!)
    w[n++] = this.namespaceLabelOf(namespaces[base + NS_PID]!)
    w[n++] = this.namespaceLabelOf(namespaces[base + NS_MOUNT]!)
    w[n++] = this.namespaceLabelOf(namespaces[base + NS_NET]!)
    w[n++] = this.namespaceLabelOf(namespaces[base + NS_IPC]!)
    return n
  }

  /** A process's fields after its kind and owner; the new length. */
  private writeProcess(k: EncodableKernel, n: number, handle: number): number {
    const { objects, caps } = k
    const cspace = objects.cspace[handle]!
    const pids = objects.pids[handle]!
    let mappings = 0
    for (let cap = objects.mapHead[handle]!; cap !== NONE; cap = caps.mapNext[cap]!) mappings++
    const w = this.room(n, 16 + cspace.length + 3 * mappings + 4 * pids.size)
    w[n++] = objects.ref[handle]!
    w[n++] = objects.running[handle]!
    n = this.number(w, n, objects.uid[handle]!)
    w[n++] = cspace.length
    for (let slot = 0; slot < cspace.length; slot++) w[n++] = this.capLabelOf(cspace[slot]!)
    w[n++] = mappings
    for (let cap = objects.mapHead[handle]!; cap !== NONE; cap = caps.mapNext[cap]!) {
      w[n++] = this.capLabelOf(cap)
      w[n++] = this.objectLabelOf(caps.object[cap]!)
      w[n++] = caps.mapPerms[cap]!
    }
    const image = objects.text[handle]
    if (image === null || image === undefined) w[n++] = -1
    else n = this.text(w, n, handle, image)
    n = this.number(w, n, objects.bytes[handle]!)
    return this.pids(w, n, handle, pids)
  }

  /** An endpoint's fields after its kind and owner: depth, and the queued messages in order; the new length. */
  private writeEndpoint(k: EncodableKernel, n: number, handle: number): number {
    const objects = k.objects
    const count = objects.queueCount[handle]!
    const depth = objects.depth[handle]!
    const w = this.room(n, 2 + 9 * count)
    w[n++] = depth
    w[n++] = count
    const ring = objects.ring[handle]
    for (let index = 0, at = objects.queueHead[handle]!; index < count; index++, at = (at + 1) % depth) {
      const payload = ring!.payload[at]!
      n = typeof payload === 'string' ? this.string(w, n, payload) : this.number(w, n, payload)
      n = this.number(w, n, ring!.badge[at]!)
      w[n++] = this.capLabelOf(ring!.cap[at]!)
    }
    return n
  }

  /** The labelled caps in label order; the new length. */
  private writeCaps(k: EncodableKernel, n: number): number {
    const caps = k.caps
    const w = this.room(n, 1 + 12 * this.capCount)
    w[n++] = this.capCount
    for (let label = 0; label < this.capCount; label++) {
      const cap = this.capOrder[label]!
      w[n++] = this.objectLabelOf(caps.object[cap]!)
      w[n++] = caps.rights[cap]!
      n = this.number(w, n, caps.badge[cap]!)
      w[n++] = this.capLabelOf(caps.parent[cap]!)
      const place = caps.place[cap]!
      w[n++] = place
      const where = caps.where[cap]!
      if (place === PLACE_SLOT) { w[n++] = this.objectLabelOf(where); n = this.number(w, n, caps.slot[cap]! + 0) }
      else if (place === PLACE_TABLE) { w[n++] = this.namespaceLabelOf(where); n = this.string(w, n, caps.key[cap]!) }
      else if (place === PLACE_MESSAGE) w[n++] = this.objectLabelOf(where)
      else if (place === PLACE_FREE) w[n++] = -1
    }
    return n
  }

  /** The labelled namespaces in label order; the new length. */
  private writeNamespaces(k: EncodableKernel, n: number): number {
    let w = this.room(n, 1)
    w[n++] = this.namespaceCount
    for (let label = 0; label < this.namespaceCount; label++) {
      const record = this.namespaceRecords[label]!
      const size = record.entries.size
      w = this.room(n, 16 + 4 * size)
      w[n++] = kindCode(record.kind)
      w[n++] = this.objectLabelOf(this.handleOfSerial(k, record.creator))
      w[n++] = record.parent === null ? -1 : this.namespaceLabelOf(record.parent)
      w[n++] = this.namespaceLabelOf(record.userNamespace)
      const uidMap = record.uidMap
      if (uidMap !== this.uidMap) {
        // Most namespaces share one uid map (the root's): its words are kept.
        this.uidMap = uidMap
        this.uidMapLength = this.number(this.uidMapWords, this.number(this.uidMapWords, 0, uidMap.base), uidMap.count)
      }
      for (let index = 0; index < this.uidMapLength; index++) w[n++] = this.uidMapWords[index]!
      n = this.number(w, n, record.pidNext)
      w[n++] = size
      if (size > 0) {
        const count = this.sortEntries(record)
        for (let index = 0; index < count; index++) {
          n = this.string(w, n, this.entryKeys[index]!)
          w[n++] = this.capLabelOf(this.entryCaps[index]!)
        }
      }
    }
    return n
  }

  /** A process's pids (pid namespace → local pid) as a set: sorted by namespace label, then pid; the new length. */
  private pids(w: Int32Array, n: number, handle: number, pids: ReadonlyMap<number, number>): number {
    w[n++] = pids.size
    if (pids.size === 1) {
      // One entry (the common case), kept per handle while the map stays (the kernel replaces it, never changes it).
      if (handle >= this.pidsOf.length) this.growPids(handle + 1)
      if (this.pidsOf[handle] !== pids) {
        for (const [namespace, pid] of pids) { this.pidNamespace[handle] = namespace; this.pidValue[handle] = pid }
        this.pidsOf[handle] = pids
      }
      w[n++] = this.namespaceLabelOf(this.pidNamespace[handle]!)
      return this.number(w, n, this.pidValue[handle]!)
    }
    // Several (nested pid namespaces): sorted by label, then pid, by insertion into scratch arrays.
    if (this.pidLabels.length < pids.size) { this.pidLabels = new Int32Array(2 * pids.size); this.pidNumbers = new Float64Array(2 * pids.size) }
    this.pidCount = 0
    pids.forEach(this.insertPid)
    const labels = this.pidLabels
    const numbers = this.pidNumbers
    for (let index = 0; index < this.pidCount; index++) { w[n++] = labels[index]!; n = this.number(w, n, numbers[index]!) }
    return n
  }

  private pidLabels = new Int32Array(4)
  private pidNumbers = new Float64Array(4)
  private pidCount = 0
  /** Map.forEach's callback, made once (no closure per process): inserts a pid in order of namespace label, then pid. */
  private readonly insertPid = (pid: number, namespace: number): void => {
    const labels = this.pidLabels
    const numbers = this.pidNumbers
    const label = this.namespaceLabelOf(namespace)
    let at = this.pidCount++
    while (at > 0 && (labels[at - 1]! > label || (labels[at - 1] === label && numbers[at - 1]! > pid))) { labels[at] = labels[at - 1]!; numbers[at] = numbers[at - 1]!; at-- }
    labels[at] = label
    numbers[at] = pid
  }

  private pidsOf: Array<ReadonlyMap<number, number> | null> = []
  private pidNamespace = new Int32Array(0)
  private pidValue = new Float64Array(0)

  private growPids(size: number): void {
    const capacity = Math.max(size, 2 * this.pidsOf.length, 16)
    while (this.pidsOf.length < capacity) this.pidsOf.push(null)
    const namespaces = new Int32Array(capacity); namespaces.set(this.pidNamespace); this.pidNamespace = namespaces
    const values = new Float64Array(capacity); values.set(this.pidValue); this.pidValue = values
  }
}
