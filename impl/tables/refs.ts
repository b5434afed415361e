/**
 * Process creation indices (decisions.md "Caller"): index → (handle, generation,
 * serial). Entries are never removed; a dead process's entry goes stale through
 * the generation counter.
 * @module
 * @internal
 */
import { assert } from '../assert.js'

export interface RefTableSnapshot {
  readonly count: number
  readonly handle: Int32Array
  readonly gen: Uint32Array
  readonly serial: Int32Array
}

export class RefTable {
  count = 0
  handle: Int32Array
  gen: Uint32Array
  serial: Int32Array

  constructor(capacity: number) {
    this.handle = new Int32Array(capacity)
    this.gen = new Uint32Array(capacity)
    this.serial = new Int32Array(capacity)
  }

  /** Appends the next creation index (only at spawn). */
  push(handle: number, generation: number, serial: number): number {
    this.version++
    if (this.count === this.handle.length) this.grow()
    const ref = this.count++
    this.handle[ref] = handle
    this.gen[ref] = generation
    this.serial[ref] = serial
    return ref
  }

  private grow(): void {
    const capacity = this.handle.length * 2
    const handle = new Int32Array(capacity)
    const gen = new Uint32Array(capacity)
    const serial = new Int32Array(capacity)
    handle.set(this.handle)
    gen.set(this.gen)
    serial.set(this.serial)
    this.handle = handle
    this.gen = gen
    this.serial = serial
  }

  /** Counts pushes and restores: with `source`, lets a snapshot or restore skip the copies (refs change only at spawn). */
  private version = 0
  /** The snapshot the table equals as long as `version` is `sourceVersion` (snapshots are never changed once taken). */
  private source: RefTableSnapshot | null = null
  private sourceVersion = -1

  snapshot(): RefTableSnapshot {
    if (this.source !== null && this.version === this.sourceVersion) return this.source
    const saved = { count: this.count, handle: this.handle.slice(0, this.count), gen: this.gen.slice(0, this.count), serial: this.serial.slice(0, this.count) }
    this.source = saved
    this.sourceVersion = this.version
    return saved
  }

  restore(saved: RefTableSnapshot): void {
    if (saved === this.source && this.version === this.sourceVersion) return
    this.source = saved
    this.sourceVersion = ++this.version
    while (this.handle.length < saved.count) this.grow()
    this.handle.set(saved.handle)
    this.gen.set(saved.gen)
    this.serial.set(saved.serial)
    this.count = saved.count
    assert(this.count >= 1, 'refs.restore.init')
  }
}
