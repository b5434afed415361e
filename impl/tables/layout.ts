/**
 * Struct-of-arrays plumbing shared by the tables. All the typed-array columns of a
 * table are views into one `ArrayBuffer`, so that growing copies each column once
 * and a snapshot is a single buffer copy (or, when the table is mostly empty, a
 * compact copy of each column's used prefix).
 * @module
 * @internal
 */
import { assert } from '../assert.js'

export type ColumnType = 'f64' | 'i32' | 'u32' | 'u8'
export type Column = Float64Array | Int32Array | Uint32Array | Uint8Array

/** A column: a field of the table holding `width` entries per row. */
export interface ColumnSpec {
  readonly name: string
  readonly type: ColumnType
  readonly width?: number
}

/** A table's columns as saved: a buffer laid out for `capacity` rows. */
export interface ColumnsSnapshot {
  readonly capacity: number
  readonly bytes: ArrayBuffer
  /** `bytes` as a byte view (made once, for whole copies). */
  readonly view: Uint8Array
}

const ELEMENT_BYTES: Readonly<Record<ColumnType, number>> = { f64: 8, i32: 4, u32: 4, u8: 1 }
const VIEW: Readonly<Record<ColumnType, new (buffer: ArrayBuffer, offset: number, length: number) => Column>> = {
  f64: Float64Array, i32: Int32Array, u32: Uint32Array, u8: Uint8Array,
}
/** Below this many bytes a snapshot copies the whole buffer. */
const WHOLE_COPY_BYTES = 1 << 16

/** The columns of one table, as views bound onto the table object's fields. */
export class ColumnStore {
  private readonly specs: ReadonlyArray<ColumnSpec>
  private readonly rowBytes: number
  capacity: number
  buffer: ArrayBuffer

  constructor(specs: ReadonlyArray<ColumnSpec>, capacity: number, private readonly target: object) {
    // Widest elements first, so every view is aligned for capacities that are multiples of 8.
    this.specs = [...specs].sort((a, b) => ELEMENT_BYTES[b.type] - ELEMENT_BYTES[a.type])
    this.rowBytes = this.specs.reduce((sum, spec) => sum + ELEMENT_BYTES[spec.type] * (spec.width ?? 1), 0)
    this.capacity = roundUp(capacity)
    this.buffer = new ArrayBuffer(this.capacity * this.rowBytes)
    this.bindViews()
  }

  private views(buffer: ArrayBuffer, capacity: number): Column[] {
    const views: Column[] = []
    let offset = 0
    for (const spec of this.specs) {
      const length = capacity * (spec.width ?? 1)
      views.push(new VIEW[spec.type](buffer, offset, length))
      offset += length * ELEMENT_BYTES[spec.type]
    }
    assert(offset === buffer.byteLength, 'layout.views.size')
    return views
  }

  /** The buffer as bytes (for whole copies). */
  private bytes!: Uint8Array

  private bindViews(): void {
    this.bytes = new Uint8Array(this.buffer)
    const fields = this.target as Record<string, Column>
    const views = this.views(this.buffer, this.capacity)
    this.specs.forEach((spec, index) => { fields[spec.name] = views[index]! })
  }

  /** Doubles (or more) the capacity, keeping every entry. */
  grow(capacity: number): void {
    assert(capacity > this.capacity, 'layout.grow.larger')
    const old = this.views(this.buffer, this.capacity)
    this.capacity = roundUp(capacity)
    this.buffer = new ArrayBuffer(this.capacity * this.rowBytes)
    this.bindViews()
    const fields = this.target as Record<string, Column>
    this.specs.forEach((spec, index) => fields[spec.name]!.set(old[index]!))
  }

  /**
   * A copy of the columns' first `used` rows. `reuse`: a snapshot of this table
   * nothing reads any more, overwritten when it has the same size (no allocation).
   */
  snapshot(used: number, reuse?: ColumnsSnapshot): ColumnsSnapshot {
    if (this.buffer.byteLength <= WHOLE_COPY_BYTES || this.capacity <= 2 * used) {
      if (reuse !== undefined && reuse.capacity === this.capacity && reuse.bytes.byteLength === this.buffer.byteLength) {
        reuse.view.set(this.bytes)
        return reuse
      }
      const bytes = this.buffer.slice(0)
      return { capacity: this.capacity, bytes, view: new Uint8Array(bytes) }
    }
    const capacity = roundUp(Math.max(used, 1))
    const bytes = new ArrayBuffer(capacity * this.rowBytes)
    const target = this.views(bytes, capacity)
    const source = this.views(this.buffer, this.capacity)
    this.specs.forEach((spec, index) => target[index]!.set(source[index]!.subarray(0, used * (spec.width ?? 1))))
    return { capacity, bytes, view: new Uint8Array(bytes) }
  }

  /** Writes saved columns back (growing first if they are larger); rows past the saved capacity keep their values. */
  restore(saved: ColumnsSnapshot): void {
    if (saved.capacity > this.capacity) this.grow(saved.capacity)
    if (saved.capacity === this.capacity && saved.bytes.byteLength === this.buffer.byteLength) {
      this.bytes.set(saved.view)
      return
    }
    const source = this.views(saved.bytes, saved.capacity)
    const fields = this.target as Record<string, Column>
    this.specs.forEach((spec, index) => fields[spec.name]!.set(source[index]!))
  }
}

function roundUp(capacity: number): number {
  return Math.max(8, Math.ceil(capacity / 8) * 8)
}

/** Extends a side array (JS values) to `capacity` entries of `fill`. */
export function growSide<T>(side: T[], capacity: number, fill: T): void {
  while (side.length < capacity) side.push(fill)
}
