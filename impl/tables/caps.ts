/**
 * The cap table: every capability is a handle into struct-of-arrays columns. The
 * derivation tree (CDT) is intrusive: parent, first child and a doubly linked
 * sibling list, so inserting and unlinking a cap is O(1) and walks need no stack.
 * Every cap is also on an intrusive list of the caps naming its object (heads and
 * counts live in the object table), and a mapped cap on its process's mapping list.
 * @module
 * @internal
 */
import { assert } from '../assert.js'
import { type ColumnSpec, type ColumnsSnapshot, ColumnStore, growSide } from './layout.js'
import { NONE, type ObjectTable } from './objects.js'

/** Where a cap lives. */
export const PLACE_FREE = 0
export const PLACE_SLOT = 1
export const PLACE_TABLE = 2
export const PLACE_MESSAGE = 3

const CAP_COLUMNS: ReadonlyArray<ColumnSpec> = [
  ...['serial', 'object', 'parent', 'firstChild', 'nextSibling', 'prevSibling', 'objectNext', 'objectPrev', 'where', 'mapNext', 'mapPrev', 'freeNext']
    .map((name) => ({ name, type: 'i32' as const })),
  { name: 'gen', type: 'u32' }, { name: 'mark', type: 'u32' },
  { name: 'rights', type: 'u8' }, { name: 'place', type: 'u8' }, { name: 'mapPerms', type: 'u8' },
  { name: 'badge', type: 'f64' }, { name: 'slot', type: 'f64' },
]

export interface CapTableSnapshot {
  readonly top: number
  readonly freeHead: number
  readonly liveCount: number
  readonly columns: ColumnsSnapshot
  readonly key: ReadonlyArray<string | null>
}

export class CapTable {
  private readonly store: ColumnStore
  top = 0
  freeHead = NONE
  liveCount = 0

  gen!: Uint32Array
  /** The model's cap id. */
  serial!: Int32Array
  /** Object handle. */
  object!: Int32Array
  rights!: Uint8Array
  badge!: Float64Array
  parent!: Int32Array
  firstChild!: Int32Array
  nextSibling!: Int32Array
  prevSibling!: Int32Array
  objectNext!: Int32Array
  objectPrev!: Int32Array
  place!: Uint8Array
  /** Process handle (slot), namespace id (table) or endpoint handle (message). */
  where!: Int32Array
  /** Slot number (slot) or ring index (message). A Float64 keeps a `-0` slot as the model does. */
  slot!: Float64Array
  /** Mapping perms made through the cap (0: none), and the process's mapping list. */
  mapPerms!: Uint8Array
  mapNext!: Int32Array
  mapPrev!: Int32Array
  freeNext!: Int32Array
  /** Table key (table place). */
  key: (string | null)[] = []
  mark!: Uint32Array
  epoch = 1
  dirty: Int32Array
  dirtyCount = 0

  constructor(capacity: number) {
    this.store = new ColumnStore(CAP_COLUMNS, capacity, this)
    this.dirty = new Int32Array(2 * this.capacity)
    growSide(this.key, this.capacity, null)
  }

  get capacity(): number {
    return this.store.capacity
  }

  isLive(cap: number): boolean {
    return cap >= 0 && cap < this.top && this.place[cap] !== PLACE_FREE
  }

  /**
   * A new cap naming `object`, a child of `parent` (NONE for an original). The
   * caller sets its place; {@link linkToObject} puts it on its object's list.
   */
  alloc(serial: number, object: number, rights: number, badge: number, parent: number): number {
    let cap = this.freeHead
    if (cap !== NONE) this.freeHead = this.freeNext[cap]
    else {
      if (this.top === this.capacity) this.grow()
      cap = this.top++
    }
    assert(this.place[cap] === PLACE_FREE, 'caps.alloc.free')
    this.serial[cap] = serial
    this.object[cap] = object
    this.rights[cap] = rights
    this.badge[cap] = badge
    this.firstChild[cap] = NONE
    this.mapPerms[cap] = 0
    this.mark[cap] = 0
    this.parent[cap] = NONE
    this.nextSibling[cap] = this.prevSibling[cap] = NONE
    if (parent !== NONE) this.linkChild(parent, cap)
    this.liveCount++
    this.touch(cap)
    return cap
  }

  /** Frees a cap that is already unlinked from its place, its object and the tree. */
  free(cap: number): void {
    assert(this.place[cap] !== PLACE_FREE, 'caps.free.live')
    assert(this.mapPerms[cap] === 0, 'caps.free.unmapped')
    this.touch(cap)
    this.place[cap] = PLACE_FREE
    this.key[cap] = null
    this.gen[cap] = (this.gen[cap] + 1) >>> 0
    this.freeNext[cap] = this.freeHead
    this.freeHead = cap
    this.liveCount--
  }

  touch(cap: number): void {
    if (this.mark[cap] === this.epoch) return
    this.mark[cap] = this.epoch
    if (this.dirtyCount + 2 > this.dirty.length) {
      const next = new Int32Array(this.dirty.length * 2)
      next.set(this.dirty)
      this.dirty = next
    }
    this.dirty[this.dirtyCount++] = this.serial[cap]
    this.dirty[this.dirtyCount++] = cap
  }

  beginEpoch(): void {
    this.epoch = (this.epoch + 1) >>> 0 || 1
    this.dirtyCount = 0
  }

  /** Makes `cap` the first child of `parent`. */
  linkChild(parent: number, cap: number): void {
    assert(this.place[parent] !== PLACE_FREE, 'caps.child.parent')
    assert(this.object[parent] === this.object[cap], 'caps.child.object')
    const head = this.firstChild[parent]
    this.parent[cap] = parent
    this.prevSibling[cap] = NONE
    this.nextSibling[cap] = head
    if (head !== NONE) this.prevSibling[head] = cap
    this.firstChild[parent] = cap
  }

  /** Takes `cap` out of its parent's child list (it keeps its own children). */
  unlinkFromParent(cap: number): void {
    const parent = this.parent[cap]
    if (parent === NONE) return
    const next = this.nextSibling[cap]
    const prev = this.prevSibling[cap]
    if (prev !== NONE) this.nextSibling[prev] = next
    else {
      assert(this.firstChild[parent] === cap, 'caps.sibling.head')
      this.firstChild[parent] = next
    }
    if (next !== NONE) this.prevSibling[next] = prev
    this.parent[cap] = NONE
    this.nextSibling[cap] = this.prevSibling[cap] = NONE
  }

  /**
   * Moves the children of `cap` up to its parent (roots if it has none), as
   * deleting a cap does. O(children): each child's parent field changes.
   */
  reparentChildren(cap: number): void {
    const first = this.firstChild[cap]
    if (first === NONE) return
    const parent = this.parent[cap]
    let last = NONE
    for (let child = first; child !== NONE; ) {
      const next = this.nextSibling[child]
      this.parent[child] = parent
      this.touch(child)
      if (parent === NONE) this.nextSibling[child] = this.prevSibling[child] = NONE
      last = child
      child = next
    }
    this.firstChild[cap] = NONE
    if (parent === NONE) return
    const head = this.firstChild[parent]
    this.nextSibling[last] = head
    if (head !== NONE) this.prevSibling[head] = last
    this.prevSibling[first] = NONE
    this.firstChild[parent] = first
  }

  /** Puts `cap` on the list of caps naming its object, and counts it. */
  linkToObject(objects: ObjectTable, cap: number): void {
    const object = this.object[cap]
    const head = objects.capHead[object]
    this.objectNext[cap] = head
    this.objectPrev[cap] = NONE
    if (head !== NONE) this.objectPrev[head] = cap
    objects.capHead[object] = cap
    objects.capCount[object]++
  }

  /** Takes `cap` off its object's list; returns how many caps still name the object. */
  unlinkFromObject(objects: ObjectTable, cap: number): number {
    const object = this.object[cap]
    const next = this.objectNext[cap]
    const prev = this.objectPrev[cap]
    if (prev !== NONE) this.objectNext[prev] = next
    else {
      assert(objects.capHead[object] === cap, 'caps.object.head')
      objects.capHead[object] = next
    }
    if (next !== NONE) this.objectPrev[next] = prev
    const count = --objects.capCount[object]
    assert(count >= 0, 'caps.object.count')
    return count
  }

  private grow(): void {
    this.store.grow(this.capacity * 2)
    growSide(this.key, this.capacity, null)
  }

  /** A copy of the table; `reuse`: a snapshot nothing reads any more, whose buffers are overwritten where they fit. */
  snapshot(reuse?: CapTableSnapshot): CapTableSnapshot {
    let key: Array<string | null>
    if (reuse === undefined) key = this.key.slice(0, this.top)
    else {
      key = reuse.key as Array<string | null>
      key.length = this.top
      for (let cap = 0; cap < this.top; cap++) key[cap] = this.key[cap]!
    }
    return { top: this.top, freeHead: this.freeHead, liveCount: this.liveCount, columns: this.store.snapshot(this.top, reuse?.columns), key }
  }

  /** {@link restore} after exactly one step (see ObjectTable.restoreTouched); false when the step grew the table. */
  restoreTouched(saved: CapTableSnapshot): boolean {
    if (saved.columns.capacity !== this.capacity) return false
    const end = this.top
    this.store.restore(saved.columns)
    for (let index = 1; index < this.dirtyCount; index += 2) {
      const cap = this.dirty[index]
      this.key[cap] = cap < saved.top ? saved.key[cap] ?? null : null
    }
    this.place.fill(PLACE_FREE, saved.top, end)
    this.top = saved.top
    this.freeHead = saved.freeHead
    this.liveCount = saved.liveCount
    this.beginEpoch()
    return true
  }

  restore(saved: CapTableSnapshot): void {
    const end = Math.max(this.top, saved.top)
    this.store.restore(saved.columns)
    growSide(this.key, this.capacity, null)
    this.place.fill(PLACE_FREE, saved.top, end)
    for (let cap = 0; cap < end; cap++) this.key[cap] = cap < saved.top ? saved.key[cap] : null
    this.top = saved.top
    this.freeHead = saved.freeHead
    this.liveCount = saved.liveCount
    this.beginEpoch()
  }
}
