/**
 * The object table: every kernel object is a handle into struct-of-arrays columns,
 * with a generation counter so that a stale handle never aliases a new object, a
 * free list, and intrusive lists (objects owned by a container, children of a
 * container, caps naming an object, running processes). Containers' numeric rows
 * (limits, usage, children's reservations, namespaces) live in {@link ContainerRows}.
 *
 * Handles are allocated from the free list or past the high-water mark; columns
 * grow by doubling only when both are exhausted.
 * @module
 * @internal
 */
import type { ObjectKind } from '../../spec/ids.js'
import type { Limits } from '../../spec/limits.js'
import { assert } from '../assert.js'
import { type ColumnSpec, type ColumnsSnapshot, ColumnStore, growSide } from './layout.js'
import { type Ring, copyRing, copyRingInto } from './ring.js'

export const NONE = -1

export const KIND_FREE = 0
export const KIND_CONTAINER = 1
export const KIND_PROCESS = 2
export const KIND_REGION = 3
export const KIND_ENDPOINT = 4
export const KIND_DEVICE = 5
/** Kind names by kind code; entry 0 (a free handle) is never read, it only keeps the type an `ObjectKind`. */
export const KIND_NAMES: ReadonlyArray<ObjectKind> = ['container', 'container', 'process', 'region', 'endpoint', 'device']

/** Reserved-resource columns, in RESERVED_RESOURCES order. */
export const RES_MEMORY = 0
export const RES_PROCESSES = 1
export const RES_ENDPOINTS = 2
export const RES_CPU = 3
export const RES_IO = 4
export const RES_COUNT = 5
/** Limits rows have the five reserved resources then the cpu weight. */
export const LIMIT_WEIGHT = 5
export const LIMIT_COLUMNS = 6
/** Namespace columns of a container row. */
export const NS_PID = 0
export const NS_MOUNT = 1
export const NS_NET = 2
export const NS_IPC = 3
export const NS_USER = 4
export const NS_COLUMNS = 5

const OBJECT_COLUMNS: ReadonlyArray<ColumnSpec> = [
  ...[
    'serial', 'owner', 'freeNext', 'ownedHead', 'ownedNext', 'ownedPrev', 'capHead', 'capCount',
    'parent', 'childHead', 'childNext', 'childPrev', 'row',
    'ref', 'slotCount', 'mapHead', 'mapTail', 'runNext', 'runPrev',
    'depth', 'queueHead', 'queueCount', 'gcGen', 'worklist', 'scratch',
  ].map((name) => ({ name, type: 'i32' as const })),
  { name: 'gen', type: 'u32' }, { name: 'mark', type: 'u32' },
  { name: 'kind', type: 'u8' }, { name: 'running', type: 'u8' }, { name: 'executable', type: 'u8' },
  { name: 'uid', type: 'f64' }, { name: 'bytes', type: 'f64' }, { name: 'lastReceived', type: 'f64' },
]

const ROW_COLUMNS: ReadonlyArray<ColumnSpec> = [
  { name: 'freeNext', type: 'i32' }, { name: 'namespaces', type: 'i32', width: NS_COLUMNS },
  { name: 'limits', type: 'f64', width: LIMIT_COLUMNS }, { name: 'usage', type: 'f64', width: RES_COUNT }, { name: 'reserved', type: 'f64', width: RES_COUNT },
]

/** Per-container numbers, one row per live container, with their own free list. */
export class ContainerRows {
  private readonly store: ColumnStore
  top = 0
  freeHead = NONE
  freeNext!: Int32Array
  limits!: Float64Array
  usage!: Float64Array
  reserved!: Float64Array
  namespaces!: Int32Array

  constructor(capacity: number) {
    this.store = new ColumnStore(ROW_COLUMNS, capacity, this)
  }

  get capacity(): number {
    return this.store.capacity
  }

  alloc(): number {
    let row = this.freeHead
    if (row !== NONE) this.freeHead = this.freeNext[row]
    else {
      if (this.top === this.capacity) this.store.grow(this.capacity * 2)
      row = this.top++
    }
    this.usage.fill(0, row * RES_COUNT, row * RES_COUNT + RES_COUNT)
    this.reserved.fill(0, row * RES_COUNT, row * RES_COUNT + RES_COUNT)
    return row
  }

  free(row: number): void {
    assert(row >= 0 && row < this.top, 'rows.free.range')
    this.freeNext[row] = this.freeHead
    this.freeHead = row
  }

  snapshot(reuse?: ContainerRowsSnapshot): ContainerRowsSnapshot {
    return { top: this.top, freeHead: this.freeHead, columns: this.store.snapshot(this.top, reuse?.columns) }
  }

  restore(saved: ContainerRowsSnapshot): void {
    this.store.restore(saved.columns)
    this.top = saved.top
    this.freeHead = saved.freeHead
  }
}

export interface ContainerRowsSnapshot {
  readonly top: number
  readonly freeHead: number
  readonly columns: ColumnsSnapshot
}

export interface ObjectTableSnapshot {
  readonly top: number
  readonly freeHead: number
  readonly liveCount: number
  readonly runHead: number
  readonly runTail: number
  readonly columns: ColumnsSnapshot
  readonly cspace: ReadonlyArray<Int32Array | null>
  readonly ring: ReadonlyArray<Ring | null>
  readonly pids: ReadonlyArray<ReadonlyMap<number, number> | null>
  readonly text: ReadonlyArray<string | null>
  readonly limits: ReadonlyArray<Limits | null>
  readonly created: ReadonlyArray<ReadonlyArray<number> | null>
  readonly rows: ContainerRowsSnapshot
}

/**
 * The object table. Columns are public for the kernel's handlers and the
 * abstraction; only the methods here allocate, free and link.
 */
export class ObjectTable {
  private readonly store: ColumnStore
  /** Handles below `top` have been used at least once. */
  top = 0
  freeHead = NONE
  liveCount = 0
  /** Running processes in creation order (sched_run, process_list). */
  runHead = NONE
  runTail = NONE

  // common columns
  kind!: Uint8Array
  gen!: Uint32Array
  /** The model's object id. */
  serial!: Int32Array
  /** Owner container handle; NONE for the root. */
  owner!: Int32Array
  freeNext!: Int32Array
  ownedHead!: Int32Array
  ownedNext!: Int32Array
  ownedPrev!: Int32Array
  /** Intrusive list of the caps naming the object, and their count. */
  capHead!: Int32Array
  capCount!: Int32Array
  // containers
  parent!: Int32Array
  childHead!: Int32Array
  childNext!: Int32Array
  childPrev!: Int32Array
  row!: Int32Array
  // processes
  ref!: Int32Array
  uid!: Float64Array
  running!: Uint8Array
  slotCount!: Int32Array
  /** Mapped caps of the process, in mapping order. */
  mapHead!: Int32Array
  mapTail!: Int32Array
  runNext!: Int32Array
  runPrev!: Int32Array
  /** Image bytes (process) or size (region). */
  bytes!: Float64Array
  // regions
  executable!: Uint8Array
  // endpoints
  depth!: Int32Array
  queueHead!: Int32Array
  queueCount!: Int32Array
  /** Seq of the last message received (ghost FIFO), or -1. */
  lastReceived!: Float64Array
  // destruction worklist: generation at the time the handle was queued, -1 when not queued
  gcGen!: Int32Array
  // dirty tracking for the incremental refinement check
  mark!: Uint32Array
  epoch = 1
  /** Pairs (serial, handle) of objects changed since the epoch began. */
  dirty: Int32Array
  dirtyCount = 0

  // side tables (JS values)
  cspace: (Int32Array | null)[] = []
  ring: (Ring | null)[] = []
  pids: (ReadonlyMap<number, number> | null)[] = []
  /** Device name, or the digest of a process's image. */
  text: (string | null)[] = []
  limits: (Limits | null)[] = []
  /** Namespaces a container created (they go with it). */
  created: (ReadonlyArray<number> | null)[] = []

  readonly rows: ContainerRows
  /** Destruction worklist (handles) and a scratch buffer for subtree walks: columns, so sized to the table. */
  worklist!: Int32Array
  worklistCount = 0
  scratch!: Int32Array

  constructor(capacity: number) {
    this.store = new ColumnStore(OBJECT_COLUMNS, capacity, this)
    this.dirty = new Int32Array(2 * this.capacity)
    this.rows = new ContainerRows(Math.max(8, capacity >> 2))
    this.growSides()
  }

  get capacity(): number {
    return this.store.capacity
  }

  private growSides(): void {
    const capacity = this.capacity
    growSide(this.cspace, capacity, null)
    growSide(this.ring, capacity, null)
    growSide(this.pids, capacity, null)
    growSide(this.text, capacity, null)
    growSide(this.limits, capacity, null)
    growSide(this.created, capacity, null)
  }

  /** Is `handle` a live object of generation `generation`? */
  isLive(handle: number, generation: number): boolean {
    return handle >= 0 && handle < this.top && this.kind[handle] !== KIND_FREE && this.gen[handle] === generation
  }

  /** A new object of `kind` owned by `owner` (NONE for the root); per-kind fields are the caller's. */
  alloc(kind: number, serial: number, owner: number): number {
    assert(kind !== KIND_FREE, 'objects.alloc.kind')
    let handle = this.freeHead
    if (handle !== NONE) this.freeHead = this.freeNext[handle]
    else {
      if (this.top === this.capacity) this.grow()
      handle = this.top++
    }
    assert(this.kind[handle] === KIND_FREE, 'objects.alloc.free')
    this.kind[handle] = kind
    this.serial[handle] = serial
    this.owner[handle] = owner
    this.capHead[handle] = NONE
    this.capCount[handle] = 0
    this.ownedHead[handle] = NONE
    this.gcGen[handle] = -1
    this.mark[handle] = 0
    if (owner !== NONE) this.linkOwned(owner, handle)
    else this.ownedNext[handle] = this.ownedPrev[handle] = NONE
    this.liveCount++
    this.touch(handle)
    return handle
  }

  /** Frees a handle: its generation moves on, so old handles to it are stale. */
  free(handle: number): void {
    assert(this.kind[handle] !== KIND_FREE, 'objects.free.live')
    assert(this.capCount[handle] === 0, 'objects.free.unnamed')
    this.touch(handle)
    if (this.owner[handle] !== NONE) this.unlinkOwned(handle)
    this.kind[handle] = KIND_FREE
    this.gen[handle] = (this.gen[handle] + 1) >>> 0
    this.cspace[handle] = null
    this.ring[handle] = null
    this.pids[handle] = null
    this.text[handle] = null
    this.limits[handle] = null
    this.created[handle] = null
    this.freeNext[handle] = this.freeHead
    this.freeHead = handle
    this.liveCount--
  }

  /** Records that the object changed in this epoch (once per epoch). */
  touch(handle: number): void {
    if (this.mark[handle] === this.epoch) return
    this.mark[handle] = this.epoch
    if (this.dirtyCount + 2 > this.dirty.length) this.dirty = growDirty(this.dirty)
    this.dirty[this.dirtyCount++] = this.serial[handle]
    this.dirty[this.dirtyCount++] = handle
  }

  /** Starts a new dirty epoch. */
  beginEpoch(): void {
    this.epoch = (this.epoch + 1) >>> 0 || 1
    this.dirtyCount = 0
  }

  private linkOwned(owner: number, handle: number): void {
    assert(this.kind[owner] === KIND_CONTAINER, 'objects.owner.kind')
    const head = this.ownedHead[owner]
    this.ownedNext[handle] = head
    this.ownedPrev[handle] = NONE
    if (head !== NONE) this.ownedPrev[head] = handle
    this.ownedHead[owner] = handle
  }

  private unlinkOwned(handle: number): void {
    const next = this.ownedNext[handle]
    const prev = this.ownedPrev[handle]
    if (prev !== NONE) this.ownedNext[prev] = next
    else {
      assert(this.ownedHead[this.owner[handle]] === handle, 'objects.owned.head')
      this.ownedHead[this.owner[handle]] = next
    }
    if (next !== NONE) this.ownedPrev[next] = prev
  }

  /** Links a container under its parent (child list). */
  linkChild(parent: number, child: number): void {
    assert(this.kind[parent] === KIND_CONTAINER, 'objects.child.parent')
    assert(this.kind[child] === KIND_CONTAINER, 'objects.child.kind')
    const head = this.childHead[parent]
    this.parent[child] = parent
    this.childNext[child] = head
    this.childPrev[child] = NONE
    if (head !== NONE) this.childPrev[head] = child
    this.childHead[parent] = child
  }

  unlinkChild(child: number): void {
    const parent = this.parent[child]
    assert(parent !== NONE, 'objects.child.root')
    const next = this.childNext[child]
    const prev = this.childPrev[child]
    if (prev !== NONE) this.childNext[prev] = next
    else {
      assert(this.childHead[parent] === child, 'objects.child.head')
      this.childHead[parent] = next
    }
    if (next !== NONE) this.childPrev[next] = prev
  }

  /** Appends a process to the running list (creation order). */
  linkRunning(process: number): void {
    assert(this.kind[process] === KIND_PROCESS, 'objects.run.kind')
    this.runPrev[process] = this.runTail
    this.runNext[process] = NONE
    if (this.runTail !== NONE) this.runNext[this.runTail] = process
    else this.runHead = process
    this.runTail = process
  }

  unlinkRunning(process: number): void {
    const next = this.runNext[process]
    const prev = this.runPrev[process]
    if (prev !== NONE) this.runNext[prev] = next
    else {
      assert(this.runHead === process, 'objects.run.head')
      this.runHead = next
    }
    if (next !== NONE) this.runPrev[next] = prev
    else this.runTail = prev
  }

  /** Queues an object for destruction at the end of the syscall (once). */
  enqueueDestroy(handle: number): void {
    if (this.gcGen[handle] !== -1) return
    assert(this.worklistCount < this.worklist.length, 'objects.worklist.bound')
    this.gcGen[handle] = this.gen[handle]
    this.worklist[this.worklistCount++] = handle
  }

  /** Doubles every column (only when allocating past capacity, never in a handler's loop). */
  private grow(): void {
    this.store.grow(this.capacity * 2)
    this.growSides()
  }

  /**
   * A copy of the table. `reuse`: a snapshot of it nothing reads any more, whose
   * buffers are overwritten where they fit (the general engine's snapshot per
   * explored state allocates almost nothing then).
   */
  snapshot(reuse?: ObjectTableSnapshot): ObjectTableSnapshot {
    const top = this.top
    if (reuse !== undefined) return this.snapshotInto(reuse)
    return {
      top, freeHead: this.freeHead, liveCount: this.liveCount, runHead: this.runHead, runTail: this.runTail,
      columns: this.store.snapshot(top),
      cspace: this.cspace.slice(0, top).map((cspace) => (cspace === null ? null : cspace.slice())),
      ring: this.ring.slice(0, top).map((ring) => (ring === null ? null : copyRing(ring))),
      pids: this.pids.slice(0, top), text: this.text.slice(0, top), limits: this.limits.slice(0, top), created: this.created.slice(0, top),
      rows: this.rows.snapshot(),
    }
  }

  private snapshotInto(reuse: ObjectTableSnapshot): ObjectTableSnapshot {
    const top = this.top
    const cspaces = reuse.cspace as Array<Int32Array | null>
    const rings = reuse.ring as Array<Ring | null>
    cspaces.length = top
    rings.length = top
    for (let handle = 0; handle < top; handle++) {
      const cspace = this.cspace[handle] ?? null
      const old = cspaces[handle] ?? null
      if (cspace === null) cspaces[handle] = null
      else if (old !== null && old.length === cspace.length) old.set(cspace)
      else cspaces[handle] = cspace.slice()
      const ring = this.ring[handle] ?? null
      const oldRing = rings[handle] ?? null
      if (ring === null) rings[handle] = null
      else if (oldRing !== null && oldRing.cap.length === ring.cap.length) copyRingInto(ring, oldRing)
      else rings[handle] = copyRing(ring)
    }
    copyPrefix(this.pids, reuse.pids as Array<ReadonlyMap<number, number> | null>, top)
    copyPrefix(this.text, reuse.text as Array<string | null>, top)
    copyPrefix(this.limits, reuse.limits as Array<Limits | null>, top)
    copyPrefix(this.created, reuse.created as Array<ReadonlyArray<number> | null>, top)
    return {
      top, freeHead: this.freeHead, liveCount: this.liveCount, runHead: this.runHead, runTail: this.runTail,
      columns: this.store.snapshot(top, reuse.columns),
      cspace: cspaces, ring: rings, pids: reuse.pids, text: reuse.text, limits: reuse.limits, created: reuse.created,
      rows: this.rows.snapshot(reuse.rows),
    }
  }

  restore(saved: ObjectTableSnapshot): void {
    const end = Math.max(this.top, saved.top)
    this.store.restore(saved.columns)
    this.growSides()
    this.kind.fill(KIND_FREE, saved.top, end)
    this.top = saved.top
    this.freeHead = saved.freeHead
    this.liveCount = saved.liveCount
    this.runHead = saved.runHead
    this.runTail = saved.runTail
    for (let handle = 0; handle < end; handle++) {
      const inside = handle < saved.top
      // The kernel's own arrays are never shared with a snapshot: overwritten in place where they fit.
      const cspace = inside ? saved.cspace[handle] ?? null : null
      const current = this.cspace[handle] ?? null
      if (cspace === null) this.cspace[handle] = null
      else if (current !== null && current.length === cspace.length) current.set(cspace)
      else this.cspace[handle] = cspace.slice()
      const ring = inside ? saved.ring[handle] ?? null : null
      const currentRing = this.ring[handle] ?? null
      if (ring === null) this.ring[handle] = null
      else if (currentRing !== null && currentRing.cap.length === ring.cap.length) copyRingInto(ring, currentRing)
      else this.ring[handle] = copyRing(ring)
      this.pids[handle] = inside ? saved.pids[handle] : null
      this.text[handle] = inside ? saved.text[handle] : null
      this.limits[handle] = inside ? saved.limits[handle] : null
      this.created[handle] = inside ? saved.created[handle] : null
    }
    this.worklistCount = 0
    this.beginEpoch()
    this.rows.restore(saved.rows)
  }
  /**
   * {@link restore} after exactly one step since the table was equal to `saved`
   * (the kernel checks that): the columns are copied back whole, but of the side
   * tables only the entries of the objects the step touched (its dirty list).
   * False (nothing done) when the step grew the table: then a full restore.
   */
  restoreTouched(saved: ObjectTableSnapshot): boolean {
    if (saved.columns.capacity !== this.capacity || saved.rows.columns.capacity !== this.rows.capacity) return false
    const end = this.top
    this.store.restore(saved.columns)
    for (let index = 1; index < this.dirtyCount; index += 2) {
      const handle = this.dirty[index]
      if (handle >= saved.top) continue
      const cspace = saved.cspace[handle] ?? null
      const current = this.cspace[handle] ?? null
      if (cspace === null) this.cspace[handle] = null
      else if (current !== null && current.length === cspace.length) current.set(cspace)
      else this.cspace[handle] = cspace.slice()
      const ring = saved.ring[handle] ?? null
      const currentRing = this.ring[handle] ?? null
      if (ring === null) this.ring[handle] = null
      else if (currentRing !== null && currentRing.cap.length === ring.cap.length) copyRingInto(ring, currentRing)
      else this.ring[handle] = copyRing(ring)
      this.pids[handle] = saved.pids[handle] ?? null
      this.text[handle] = saved.text[handle] ?? null
      this.limits[handle] = saved.limits[handle] ?? null
      this.created[handle] = saved.created[handle] ?? null
    }
    for (let handle = saved.top; handle < end; handle++) {
      this.kind[handle] = KIND_FREE
      this.cspace[handle] = null
      this.ring[handle] = null
      this.pids[handle] = null
      this.text[handle] = null
      this.limits[handle] = null
      this.created[handle] = null
    }
    this.top = saved.top
    this.freeHead = saved.freeHead
    this.liveCount = saved.liveCount
    this.runHead = saved.runHead
    this.runTail = saved.runTail
    this.worklistCount = 0
    this.beginEpoch()
    this.rows.restore(saved.rows)
    return true
  }
}

/** `into` becomes the first `count` entries of `from`. */
function copyPrefix<T>(from: ReadonlyArray<T>, into: T[], count: number): void {
  into.length = count
  for (let index = 0; index < count; index++) into[index] = from[index]!
}

function growDirty(dirty: Int32Array): Int32Array {
  const next = new Int32Array(dirty.length * 2)
  next.set(dirty)
  return next
}
