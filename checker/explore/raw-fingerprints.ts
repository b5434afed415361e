/**
 * Raw fingerprints for the general engine (general.ts): a 64-bit fingerprint of
 * the impl's state as it is, handles included, and a cache from raw fingerprints
 * to canonical ones, so that a successor already met with the very same handles
 * is not labelled and encoded again (impl-canonical.ts took about half of the
 * search's time before).
 *
 * - The raw record of an object or a namespace is what the canonical encoding
 *   reads of it, with handles and ids where the encoding writes labels, plus the
 *   object's serial and generation (namespace creators and creation indexes name
 *   objects by them). A cap is named by its place instead of its handle (the
 *   process and slot, the namespace and key, or the endpoint and ring index:
 *   every live cap has one, and one place holds one cap), so that two caps made
 *   in either order are alike. Two states with the same records are the same
 *   state but for cap handles, which the canonical encoding does not read, so
 *   they have the same canonical encoding.
 * - The raw fingerprint is the sum, in two 32-bit lanes, of each record's
 *   fingerprint (handle or id included), with the creation indexes mixed in at
 *   the end. The records of the expanded state are fingerprinted once when it is
 *   loaded; a successor's sum is the loaded one with the records the step
 *   touched (the kernel's dirty lists, which its undo and the incremental
 *   refinement check already rely on), and the children of the caps it touched
 *   (a child names its parent by place), taken out and fingerprinted again.
 * - The cache is direct-mapped and lossy (a newer entry replaces an older one in
 *   its slot). It starts at 2^18 entries and doubles, up to 2^23, each time it
 *   has been given as many entries as half its slots, so that a long search
 *   keeps the hits a small one has (on cap-core to depth 11, 1.1 million states,
 *   2^21 entries encode 19 % fewer states than 2^18; over the whole of cap-core
 *   2^23 encode 14.7 million, 2^18 22.1 million). Most hits are near in the
 *   search — the expanded state itself (a step that rewrites what was there), its parent (a step that
 *   undoes the last one), a sibling (two steps that commute and allocate alike).
 *   On the presets to depths 3–6, three fifths to seven tenths of the lookups
 *   hit (test/checker/raw-fingerprints prints them).
 *
 * A raw fingerprint that collides maps a state to another's canonical
 * fingerprint; each lookup compares 64 bits, so over n lookups the chance is
 * about n / 2^64, far below the canonical fingerprints' n² / 2^65.
 * `verifyGuards` (general.ts, tests) checks every incremental sum against a
 * whole recomputation and every hit against the encoder.
 * @module
 */
import { KIND_CONTAINER, KIND_DEVICE, KIND_ENDPOINT, KIND_FREE, KIND_PROCESS, KIND_REGION, NONE, NS_COLUMNS, RES_COUNT } from '../../impl/tables/objects.js'
import { PLACE_FREE, PLACE_SLOT, PLACE_TABLE } from '../../impl/tables/caps.js'
import type { NamespaceRecord } from '../../impl/tables/namespaces.js'
import { fingerprintWordsInto } from './fingerprints.js'
import { type EncodableKernel, hashLimitsInto, hashString, kindCode, writeNumber } from './impl-canonical.js'

const TAG_STRING_PAYLOAD = 0x7ffffff1
const TAG_OBJECT = 0x7ffffff2
const TAG_CAP = 0x7ffffff3
const TAG_NAMESPACE = 0x7ffffff4
/** log2 of the cache's entries at first: 2^18 entries of 16 bytes, 4 MiB. */
const CACHE_BITS_FIRST = 18
/** log2 of the most entries the cache grows to: 2^23, 128 MiB. */
const CACHE_BITS_MOST = 23

/** Raw fingerprints of impl states, kept incrementally, and their cache of canonical fingerprints. */
export class RawFingerprints {
  /** The raw fingerprint of the state last loaded or stepped to ({@link load}, {@link successor}). */
  readonly pair = new Uint32Array(2)
  /** Lookups that found the canonical fingerprint, and that did not (for tests and profiling). */
  hits = 0
  misses = 0
  /** Each record's fingerprint in the loaded state, two lanes: objects and caps by handle, namespaces by id; 0 for none. */
  private objectPrints: Int32Array = new Int32Array(64)
  private capPrints: Int32Array = new Int32Array(64)
  private namespacePrints: Int32Array = new Int32Array(64)
  /** The loaded state's sums of record fingerprints (lanes a and b). */
  private loadedA = 0
  private loadedB = 0
  /** Records already counted in this successor (a dirty list can name one twice): stamped. */
  private objectStamps: Int32Array = new Int32Array(32)
  private capStamps: Int32Array = new Int32Array(32)
  private namespaceStamps: Int32Array = new Int32Array(32)
  private stamp = 0
  /** One record's words, fingerprinted into `print`. */
  private words: Int32Array = new Int32Array(64)
  private readonly print = new Uint32Array(2)
  private readonly strings = new Map<string, Int32Array>()
  /**
   * The cache: raw fingerprint → canonical fingerprint, four words by slot
   * (raw high, raw low, canonical high, canonical low), so that a lookup reads
   * one cache line. A slot whose raw words are both 0 is empty: the raw
   * fingerprint (0, 0) is never cached.
   */
  private cache = new Int32Array(4 << CACHE_BITS_FIRST)
  /** log2 of the cache's entries now, and the mask of a slot's index. */
  private bits = CACHE_BITS_FIRST
  private mask = (1 << CACHE_BITS_FIRST) - 1
  /** Entries given to the cache ({@link remember}) since it last grew. */
  private stored = 0

  /** Fingerprints every record of the kernel's state, as the loaded state successors are counted from; its raw fingerprint into {@link pair}. */
  load(k: EncodableKernel): void {
    this.objectPrints = fitted(this.objectPrints, 2 * k.objects.top)
    this.capPrints = fitted(this.capPrints, 2 * k.caps.top)
    this.objectPrints.fill(0)
    this.capPrints.fill(0)
    this.namespacePrints.fill(0)
    this.sumAll(k, true)
    this.loadedA = this.sumA
    this.loadedB = this.sumB
    this.finish(k, this.sumA, this.sumB)
  }

  private sumA = 0
  private sumB = 0

  /** The sums of every record's fingerprint into `sumA` and `sumB`; `keep`: each also kept as the loaded state's. */
  private sumAll(k: EncodableKernel, keep: boolean): void {
    const { objects, caps, namespaces } = k
    let a = 0
    let b = 0
    for (let handle = 0; handle < objects.top; handle++) {
      if (objects.kind[handle] === KIND_FREE) continue
      this.printObject(k, handle)
      a = (a + this.print[0]!) | 0
      b = (b + this.print[1]!) | 0
      if (keep) { this.objectPrints[2 * handle] = this.print[0]!; this.objectPrints[2 * handle + 1] = this.print[1]! }
    }
    for (let cap = 0; cap < caps.top; cap++) {
      if (caps.place[cap] === PLACE_FREE) continue
      this.printCap(k, cap)
      a = (a + this.print[0]!) | 0
      b = (b + this.print[1]!) | 0
      if (keep) { this.capPrints[2 * cap] = this.print[0]!; this.capPrints[2 * cap + 1] = this.print[1]! }
    }
    for (const record of namespaces.records.values()) {
      this.printNamespace(record)
      a = (a + this.print[0]!) | 0
      b = (b + this.print[1]!) | 0
      if (keep) {
        this.namespacePrints = fitted(this.namespacePrints, 2 * record.id + 2)
        this.namespacePrints[2 * record.id] = this.print[0]!
        this.namespacePrints[2 * record.id + 1] = this.print[1]!
      }
    }
    this.sumA = a
    this.sumB = b
  }

  /**
   * The raw fingerprint of the kernel's state one step after the loaded state
   * (the step's dirty lists name what it touched), into {@link pair}.
   */
  successor(k: EncodableKernel): void {
    const { objects, caps, namespaces } = k
    if (++this.stamp === 0x7fffffff) { this.stamp = 1; this.objectStamps.fill(0); this.capStamps.fill(0); this.namespaceStamps.fill(0) }
    const stamp = this.stamp
    let a = this.loadedA
    let b = this.loadedB
    for (let index = 1; index < objects.dirtyCount; index += 2) {
      const handle = objects.dirty[index]!
      if (handle >= this.objectStamps.length) this.objectStamps = grownStamps(this.objectStamps, handle)
      if (this.objectStamps[handle] === stamp) continue
      this.objectStamps[handle] = stamp
      if (2 * handle < this.objectPrints.length) { a = (a - this.objectPrints[2 * handle]!) | 0; b = (b - this.objectPrints[2 * handle + 1]!) | 0 }
      if (handle < objects.top && objects.kind[handle] !== KIND_FREE) { this.printObject(k, handle); a = (a + this.print[0]!) | 0; b = (b + this.print[1]!) | 0 }
    }
    this.a = a
    this.b = b
    for (let index = 1; index < caps.dirtyCount; index += 2) {
      const cap = caps.dirty[index]!
      this.recount(k, cap, stamp)
      // A cap names its parent by place: the children of one that moved change too.
      if (cap < caps.top && caps.place[cap] !== PLACE_FREE) for (let child = caps.firstChild[cap]!; child !== NONE; child = caps.nextSibling[child]!) this.recount(k, child, stamp)
    }
    a = this.a
    b = this.b
    for (let index = 0; index < namespaces.dirtyCount; index++) {
      const id = namespaces.dirty[index]!
      if (id >= this.namespaceStamps.length) this.namespaceStamps = grownStamps(this.namespaceStamps, id)
      if (this.namespaceStamps[id] === stamp) continue
      this.namespaceStamps[id] = stamp
      if (2 * id < this.namespacePrints.length) { a = (a - this.namespacePrints[2 * id]!) | 0; b = (b - this.namespacePrints[2 * id + 1]!) | 0 }
      const record = namespaces.records.get(id)
      if (record !== undefined) { this.printNamespace(record); a = (a + this.print[0]!) | 0; b = (b + this.print[1]!) | 0 }
    }
    this.finish(k, a, b)
  }

  /** The sums while {@link successor} counts caps. */
  private a = 0
  private b = 0

  /** Takes a cap's print in the loaded state out of the sums and puts its print now in, once per successor. */
  private recount(k: EncodableKernel, cap: number, stamp: number): void {
    if (cap >= this.capStamps.length) this.capStamps = grownStamps(this.capStamps, cap)
    if (this.capStamps[cap] === stamp) return
    this.capStamps[cap] = stamp
    if (2 * cap < this.capPrints.length) { this.a = (this.a - this.capPrints[2 * cap]!) | 0; this.b = (this.b - this.capPrints[2 * cap + 1]!) | 0 }
    if (cap < k.caps.top && k.caps.place[cap] !== PLACE_FREE) { this.printCap(k, cap); this.a = (this.a + this.print[0]!) | 0; this.b = (this.b + this.print[1]!) | 0 }
  }

  /** The raw fingerprint of the kernel's state computed whole, without the loaded state (tests: what {@link successor} must give). */
  whole(k: EncodableKernel): [number, number] {
    const saved = [this.pair[0]!, this.pair[1]!]
    this.sumAll(k, false)
    this.finish(k, this.sumA, this.sumB)
    const result: [number, number] = [this.pair[0]!, this.pair[1]!]
    this.pair[0] = saved[0]!
    this.pair[1] = saved[1]!
    return result
  }

  /** The canonical fingerprint cached for {@link pair}, into `out`; false when there is none. */
  lookup(out: Uint32Array): boolean {
    const high = this.pair[0]! | 0
    const low = this.pair[1]! | 0
    const at = this.slot(high, low)
    const cache = this.cache
    if (cache[at] === high && cache[at + 1] === low && (high | low) !== 0) {
      out[0] = cache[at + 2]!
      out[1] = cache[at + 3]!
      this.hits++
      return true
    }
    this.misses++
    return false
  }

  /** Caches `canonical` as the canonical fingerprint of {@link pair}. */
  remember(canonical: Uint32Array): void {
    const high = this.pair[0]! | 0
    const low = this.pair[1]! | 0
    if ((high | low) === 0) return
    if (++this.stored > (this.mask + 1) >>> 1 && this.bits < CACHE_BITS_MOST) this.grow()
    const at = this.slot(high, low)
    const cache = this.cache
    cache[at] = high
    cache[at + 1] = low
    cache[at + 2] = canonical[0]!
    cache[at + 3] = canonical[1]!
  }

  /** Doubles the cache, keeping every entry (each goes to its slot in the larger one). */
  private grow(): void {
    const old = this.cache
    this.bits++
    this.mask = (1 << this.bits) - 1
    this.cache = new Int32Array(4 << this.bits)
    this.stored = 0
    for (let at = 0; at < old.length; at += 4) {
      const high = old[at]!
      const low = old[at + 1]!
      if ((high | low) === 0) continue
      const to = this.slot(high, low)
      this.cache[to] = high
      this.cache[to + 1] = low
      this.cache[to + 2] = old[at + 2]!
      this.cache[to + 3] = old[at + 3]!
    }
  }

  /** The cache's entries now (tests). */
  get cacheEntries(): number {
    return this.mask + 1
  }

  /** The first of the four words of a raw fingerprint's slot. */
  private slot(high: number, low: number): number {
    return ((high ^ Math.imul(low, 0x9e3779b1)) & this.mask) << 2
  }

  /** The sums and the creation indexes (handle and generation of each, and the root and init) mixed into {@link pair}. */
  private finish(k: EncodableKernel, a: number, b: number): void {
    const refs = k.refs
    const w = this.room(5 + 2 * refs.count)
    let n = 0
    w[n++] = a
    w[n++] = b
    w[n++] = k.root
    w[n++] = k.init
    w[n++] = refs.count
    for (let ref = 0; ref < refs.count; ref++) { w[n++] = refs.handle[ref]!; w[n++] = refs.gen[ref]! }
    fingerprintWordsInto(w, n, this.pair)
  }

  private room(size: number): Int32Array {
    if (this.words.length < size) this.words = new Int32Array(Math.max(size, 2 * this.words.length))
    return this.words
  }

  /** A text as its 64-bit hash (two words); the new length. */
  private text(w: Int32Array, n: number, text: string): number {
    let hash = this.strings.get(text)
    if (hash === undefined) { hash = hashString(text); this.strings.set(text, hash) }
    w[n] = hash[0]!
    w[n + 1] = hash[1]!
    return n + 2
  }

  /** Where {@link writePid} writes next in `words`. */
  private pidsAt = 0
  /** Map.forEach's callback, made once (no entry arrays): writes a pid and its namespace. */
  private readonly writePid = (pid: number, namespace: number): void => {
    this.words[this.pidsAt++] = namespace
    this.pidsAt = writeNumber(this.words, this.pidsAt, pid)
  }

  /** An object's record (what impl-canonical.ts writes of it, by handle), fingerprinted into {@link print}. */
  private printObject(k: EncodableKernel, handle: number): void {
    const { objects, caps } = k
    const kind = objects.kind[handle]!
    let w = this.room(24)
    let n = 0
    w[n++] = TAG_OBJECT
    w[n++] = handle
    w[n++] = kind
    w[n++] = objects.owner[handle]!
    w[n++] = objects.serial[handle]!
    w[n++] = objects.gen[handle]!
    switch (kind) {
      case KIND_CONTAINER: {
        w[n++] = objects.parent[handle]!
        w = this.room(n + 2 + 3 * RES_COUNT + NS_COLUMNS)
        hashLimitsInto(objects.limits[handle]!, w, n)
        n += 2
        const row = objects.row[handle]!
        for (let column = 0; column < RES_COUNT; column++) n = writeNumber(w, n, objects.rows.usage[row * RES_COUNT + column]!)
        for (let column = 0; column < NS_COLUMNS; column++) w[n++] = objects.rows.namespaces[row * NS_COLUMNS + column]!
        break
      }
      case KIND_PROCESS: {
        const cspace = objects.cspace[handle]!
        const pids = objects.pids[handle]!
        let mappings = 0
        for (let cap = objects.mapHead[handle]!; cap !== NONE; cap = caps.mapNext[cap]!) mappings++
        w = this.room(n + 16 + 5 * mappings + 4 * pids.size)
        w[n++] = objects.ref[handle]!
        w[n++] = objects.running[handle]!
        n = writeNumber(w, n, objects.uid[handle]!)
        // The slots' caps are in the caps' records, by place; a mapping is named by the slot of its cap (in this process).
        w[n++] = cspace.length
        w[n++] = mappings
        for (let cap = objects.mapHead[handle]!; cap !== NONE; cap = caps.mapNext[cap]!) {
          n = writeNumber(w, n, caps.slot[cap]! + 0)
          w[n++] = caps.object[cap]!
          w[n++] = caps.mapPerms[cap]!
        }
        const image = objects.text[handle]
        if (image === null || image === undefined) w[n++] = -1
        else n = this.text(w, n, image)
        n = writeNumber(w, n, objects.bytes[handle]!)
        w[n++] = pids.size
        this.pidsAt = n
        pids.forEach(this.writePid)
        n = this.pidsAt
        break
      }
      case KIND_ENDPOINT: {
        const count = objects.queueCount[handle]!
        const depth = objects.depth[handle]!
        w = this.room(n + 2 + 9 * count)
        w[n++] = depth
        w[n++] = count
        const ring = objects.ring[handle]
        for (let index = 0, at = objects.queueHead[handle]!; index < count; index++, at = (at + 1) % depth) {
          const payload = ring!.payload[at]!
          if (typeof payload === 'string') { w[n++] = TAG_STRING_PAYLOAD; n = this.text(w, n, payload) } else n = writeNumber(w, n, payload)
          n = writeNumber(w, n, ring!.badge[at]!)
          // A carried cap is in its record, by place (this endpoint, ring index `at`).
          w[n++] = at
          w[n++] = ring!.cap[at]! === NONE ? 0 : 1
        }
        break
      }
      case KIND_REGION:
        n = writeNumber(w, n, objects.bytes[handle]!)
        w[n++] = objects.executable[handle]!
        break
      case KIND_DEVICE:
        n = this.text(w, n, objects.text[handle]!)
        break
    }
    fingerprintWordsInto(w, n, this.print)
  }

  /**
   * A cap's record, fingerprinted into {@link print}: named by its place, not
   * its handle (so that two caps made in either order are alike), and its
   * parent by the parent's place; then object, rights, badge.
   */
  private printCap(k: EncodableKernel, cap: number): void {
    const caps = k.caps
    const w = this.room(24)
    let n = 0
    w[n++] = TAG_CAP
    n = this.place(k, w, n, cap)
    const parent = caps.parent[cap]!
    if (parent === NONE) w[n++] = -1
    else n = this.place(k, w, n, parent)
    w[n++] = caps.object[cap]!
    w[n++] = caps.rights[cap]!
    n = writeNumber(w, n, caps.badge[cap]!)
    fingerprintWordsInto(w, n, this.print)
  }

  /** Where a live cap is: its place, and the process and slot, the namespace and key, or the endpoint and ring index; the new length. */
  private place(k: EncodableKernel, w: Int32Array, n: number, cap: number): number {
    const caps = k.caps
    const place = caps.place[cap]!
    w[n++] = place
    w[n++] = caps.where[cap]!
    return place === PLACE_TABLE ? this.text(w, n, caps.key[cap]!) : writeNumber(w, n, caps.slot[cap]! + 0)
  }

  /** A namespace's record, fingerprinted into {@link print}. */
  private printNamespace(record: NamespaceRecord): void {
    const w = this.room(16)
    let n = 0
    w[n++] = TAG_NAMESPACE
    w[n++] = record.id
    w[n++] = kindCode(record.kind)
    w[n++] = record.creator
    w[n++] = record.parent ?? -1
    w[n++] = record.userNamespace
    n = writeNumber(w, n, record.uidMap.base)
    n = writeNumber(w, n, record.uidMap.count)
    n = writeNumber(w, n, record.pidNext)
    // Its entries are the caps whose place is this table, in their records.
    w[n++] = record.entries.size
    fingerprintWordsInto(w, n, this.print)
  }
}

/** `array` when it holds `size` entries, else a larger copy of it. */
function fitted(array: Int32Array, size: number): Int32Array {
  if (array.length >= size) return array
  const grown = new Int32Array(Math.max(size, 2 * array.length))
  grown.set(array)
  return grown
}

/** A stamp array grown to hold `index` (stamps kept). */
function grownStamps(stamps: Int32Array, index: number): Int32Array {
  return fitted(stamps, index + 1)
}
