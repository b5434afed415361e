/**
 * Namespaces (kernel.md §6): few and rarely changed, so a `Map` by namespace id,
 * each table namespace with a `Map` of entries (key → cap handle).
 *
 * Records are shared with snapshots, copied on write: a snapshot, a restore and
 * an undo share the records as they are, and a change goes through
 * {@link NamespaceTable.writable}, which copies a record the table does not own
 * yet. So a search that restores the kernel at every state copies only the
 * namespaces its steps change (a pid taken, a table entry), not every one.
 * @module
 * @internal
 */
import type { NamespaceKind } from '../../spec/ids.js'
import type { UidMap } from '../../spec/limits.js'
import { assert } from '../assert.js'

export interface NamespaceRecord {
  readonly id: number
  readonly kind: NamespaceKind
  /** Serial (model id) of the container that created it. */
  readonly creator: number
  readonly parent: number | null
  readonly userNamespace: number
  /** Table entries: key → cap handle. */
  readonly entries: Map<string, number>
  readonly uidMap: UidMap
  pidNext: number
  /** Dirty epoch mark. */
  mark: number
}

/** A record as readers see it: changes go through {@link NamespaceTable.writable}. */
export type NamespaceView = Omit<NamespaceRecord, 'entries' | 'pidNext'> & { readonly entries: ReadonlyMap<string, number>, readonly pidNext: number }

export type NamespaceSnapshot = ReadonlyArray<NamespaceRecord>

export class NamespaceTable {
  records = new Map<number, NamespaceRecord>()
  epoch = 1
  /** Ids of namespaces changed in this epoch. */
  readonly dirty: number[] = []
  dirtyCount = 0
  /** Counts changes (a record touched, added, removed): with `source`, lets a snapshot or restore skip the copies. */
  private version = 0
  /** The snapshot the records equal as long as `version` is `sourceVersion` (snapshots are never changed once taken). */
  private source: NamespaceSnapshot | null = null
  private sourceVersion = -1
  /** The records this table made itself since its last snapshot or restore: no snapshot holds them, so they change in place. */
  private readonly owned = new Set<NamespaceRecord>()

  get size(): number {
    return this.records.size
  }

  get(id: number): NamespaceView {
    const record = this.records.get(id)
    assert(record !== undefined, 'namespaces.get')
    return record
  }

  /** The record of `id` to change, marked changed: a copy of it the first time since a snapshot or restore shared it. */
  writable(id: number): NamespaceRecord {
    let record = this.records.get(id)
    assert(record !== undefined, 'namespaces.writable')
    if (!this.owned.has(record)) {
      record = copyRecord(record)
      this.records.set(id, record)
      this.owned.add(record)
    }
    this.touch(record)
    return record
  }

  add(record: NamespaceRecord): void {
    assert(!this.records.has(record.id), 'namespaces.add.fresh')
    this.records.set(record.id, record)
    this.owned.add(record)
    this.touch(record)
  }

  delete(id: number): void {
    this.writable(id)
    this.records.delete(id)
  }

  private touch(record: NamespaceRecord): void {
    this.version++
    if (record.mark === this.epoch) return
    record.mark = this.epoch
    this.dirty[this.dirtyCount++] = record.id
  }

  beginEpoch(): void {
    this.epoch = (this.epoch + 1) >>> 0 || 1
    this.dirtyCount = 0
  }

  /** Every record, shared from now on; the last one again when nothing changed since it was taken or restored (namespaces rarely change). */
  snapshot(): NamespaceSnapshot {
    if (this.source !== null && this.version === this.sourceVersion) return this.source
    const saved = [...this.records.values()]
    this.owned.clear()
    this.source = saved
    this.sourceVersion = this.version
    return saved
  }

  /**
   * {@link restore} after exactly one step: only the namespaces it touched are
   * put back. False (nothing done) when the step added or removed one.
   */
  restoreTouched(saved: NamespaceSnapshot): boolean {
    // Adding and removing a namespace both touch it: a touched namespace missing on either side is one.
    for (let index = 0; index < this.dirtyCount; index++) {
      const id = this.dirty[index]!
      if (!this.records.has(id) || !saved.some((record) => record.id === id)) return false
    }
    for (let index = 0; index < this.dirtyCount; index++) {
      const id = this.dirty[index]!
      this.records.set(id, saved.find((record) => record.id === id)!)
    }
    this.owned.clear()
    this.beginEpoch()
    this.source = saved
    this.sourceVersion = ++this.version
    return true
  }

  restore(saved: NamespaceSnapshot): void {
    if (saved === this.source && this.version === this.sourceVersion) { this.beginEpoch(); return }
    const records = new Map<number, NamespaceRecord>()
    for (const record of saved) records.set(record.id, record)
    this.records = records
    this.owned.clear()
    this.beginEpoch()
    this.source = saved
    this.sourceVersion = ++this.version
  }
}

function copyRecord(record: NamespaceRecord): NamespaceRecord {
  return { ...record, entries: record.entries.size === 0 ? new Map() : new Map(record.entries), mark: 0 }
}
