/**
 * Namespaces (kernel.md §6): few and rarely changed, so a `Map` by namespace id,
 * each table namespace with a `Map` of entries (key → cap handle).
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

  get size(): number {
    return this.records.size
  }

  get(id: number): NamespaceRecord {
    const record = this.records.get(id)
    assert(record !== undefined, 'namespaces.get')
    return record
  }

  add(record: NamespaceRecord): void {
    assert(!this.records.has(record.id), 'namespaces.add.fresh')
    this.records.set(record.id, record)
    this.touch(record)
  }

  delete(id: number): void {
    this.touch(this.get(id))
    this.records.delete(id)
  }

  touch(record: NamespaceRecord): void {
    this.version++
    if (record.mark === this.epoch) return
    record.mark = this.epoch
    this.dirty[this.dirtyCount++] = record.id
  }

  beginEpoch(): void {
    this.epoch = (this.epoch + 1) >>> 0 || 1
    this.dirtyCount = 0
  }

  /** A copy of every record; the last one again when nothing changed since it was taken or restored (namespaces rarely change). */
  snapshot(): NamespaceSnapshot {
    if (this.source !== null && this.version === this.sourceVersion) return this.source
    const saved = [...this.records.values()].map(copyRecord)
    this.source = saved
    this.sourceVersion = this.version
    return saved
  }

  /**
   * {@link restore} after exactly one step: only the namespaces it touched are
   * written back. One the step added is dropped (the others keep their order);
   * when the step removed one, the table is rebuilt in the snapshot's order from
   * the kernel's own records and a copy of each removed one, as a full restore
   * orders it. Always succeeds (true).
   */
  restoreTouched(saved: NamespaceSnapshot): boolean {
    let removed = false
    for (let index = 0; index < this.dirtyCount; index++) {
      const id = this.dirty[index]!
      const record = this.records.get(id)
      const from = savedRecord(saved, id)
      // A step changes a record's entries and pid counter only (the rest is fixed at
      // creation), and no snapshot shares the kernel's own records: written back in place.
      if (record !== undefined && from !== undefined) writeBack(record, from)
      else if (record !== undefined) this.records.delete(id)
      else if (from !== undefined) removed = true
    }
    if (removed) {
      const records = new Map<number, NamespaceRecord>()
      for (const from of saved) records.set(from.id, this.records.get(from.id) ?? copyRecord(from))
      this.records = records
    }
    this.beginEpoch()
    this.source = saved
    this.sourceVersion = ++this.version
    return true
  }

  restore(saved: NamespaceSnapshot): void {
    if (saved === this.source && this.version === this.sourceVersion) { this.beginEpoch(); return }
    const records = new Map<number, NamespaceRecord>()
    for (const record of saved) records.set(record.id, copyRecord(record))
    this.records = records
    this.beginEpoch()
    this.source = saved
    this.sourceVersion = ++this.version
  }
}

/** The record of namespace `id` in a snapshot, if it has one (a plain loop: no closure on the undo path). */
function savedRecord(saved: NamespaceSnapshot, id: number): NamespaceRecord | undefined {
  for (let index = 0; index < saved.length; index++) if (saved[index]!.id === id) return saved[index]
  return undefined
}

/** Writes a saved record's entries and pid counter into the kernel's record of the same namespace. */
function writeBack(record: NamespaceRecord, from: NamespaceRecord): void {
  const entries = record.entries
  entries.clear()
  for (const [key, cap] of from.entries) entries.set(key, cap)
  record.pidNext = from.pidNext
  record.mark = 0
}

function copyRecord(record: NamespaceRecord): NamespaceRecord {
  return { ...record, entries: record.entries.size === 0 ? new Map() : new Map(record.entries), mark: 0 }
}
