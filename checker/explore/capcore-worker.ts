/**
 * One worker of the parallel cap-core search (capcore-parallel.ts). It owns the
 * states whose fingerprint falls to it (`owner`): their fingerprints, their
 * parent links and, level by level, the frontier of them it expands. A successor
 * it owns is deduplicated and checked here; one another worker owns is sent
 * there, through the coordinator, as its canonical bytes, its parent and action,
 * once: a worker remembers what it sent, since most successors are duplicates.
 *
 * Global state ids interleave the workers: id = local × count + index.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { Preset } from '../../spec/presets.js'
import { FingerprintSet } from './fingerprints.js'
import { checkPacked, ParentLinks, StateList, Successors } from './capcore.js'
import type { Batch, Links, PackedViolation } from './capcore-parallel.js'
import { type LevelReport, ownerOf, serveLevels } from './parallel.js'

interface Setup {
  readonly preset: Preset
  readonly index: number
  readonly count: number
  /** Set to 1 by the coordinator to stop (a time limit, Ctrl-C). */
  readonly stop: SharedArrayBuffer
}

const setup = workerData as Setup
const port = parentPort!
const stop = new Int32Array(setup.stop)
const successors = new Successors(setup.preset)
const { layout, work, canonical, pair } = successors
const seen = new FingerprintSet(1 << 20)
/** Fingerprints of successors already sent to their owners: each is sent once (most successors are duplicates). */
const sent = new FingerprintSet(1 << 20)
const links = new ParentLinks()
const base = new Int32Array(layout.words)
const { index: me, count } = setup
let frontier = new StateList(layout.words)
let next = new StateList(layout.words)
let violation: PackedViolation | null = null

/** A growable outgoing batch to one other worker. */
class Outgoing {
  bytes = new Int8Array(layout.words * 1024)
  meta = new Int32Array(2 * 1024)
  size = 0
  push(parent: number, action: number): void {
    if (this.size === this.meta.length / 2) {
      const bytes = new Int8Array(this.bytes.length * 2); bytes.set(this.bytes); this.bytes = bytes
      const meta = new Int32Array(this.meta.length * 2); meta.set(this.meta); this.meta = meta
    }
    this.bytes.set(canonical.subarray(0, layout.words), this.size * layout.words)
    this.meta[2 * this.size] = parent
    this.meta[2 * this.size + 1] = action
    this.size++
  }
  batch(): Batch {
    return { bytes: this.bytes.slice(0, this.size * layout.words).buffer, meta: this.meta.slice(0, 2 * this.size).buffer, size: this.size }
  }
}

/** Records a new state this worker owns, found from `parent` by `action`; `state` is its packed form, for the invariants. */
function admit(parent: number, action: number, state: Int32Array): boolean {
  if (!seen.add(pair[0]!, pair[1]!)) return false
  const id = links.add(parent, action) * count + me
  next.push(canonical, id)
  if (violation === null) {
    const broken = checkPacked(layout, state)
    if (broken !== null) violation = { ...broken, state: Array.from(state), id }
  }
  return violation !== null
}

/** Expands this worker's frontier; successors others own go into per-owner batches. */
function expandLevel(): Array<Batch | null> {
  const outgoing = Array.from({ length: count }, (_, owner) => (owner === me ? null : new Outgoing()))
  for (let position = 0; position < frontier.count && violation === null; position++) {
    if ((position & 1023) === 0 && Atomics.load(stop, 0) === 1) break
    frontier.load(position, base)
    const parent = frontier.indexes[position]!
    successors.expand(base, (action) => {
      const owner = ownerOf(pair[0]!, pair[1]!, count)
      if (owner === me) return admit(parent, action, work)
      if (sent.add(pair[0]!, pair[1]!)) outgoing[owner]!.push(parent, action)
      return false
    })
  }
  return outgoing.map((batch) => batch?.batch() ?? null)
}

/** Admits the successors other workers found that this one owns. */
function admitIncoming(batches: ReadonlyArray<Batch>): void {
  const state = new Int32Array(layout.words)
  for (const batch of batches) {
    const bytes = new Int8Array(batch.bytes)
    const meta = new Int32Array(batch.meta)
    for (let item = 0; item < batch.size && violation === null; item++) {
      const at = item * layout.words
      for (let word = 0; word < layout.words; word++) { canonical[word] = bytes[at + word]!; state[word] = bytes[at + word]! }
      successors.fingerprint()
      admit(meta[2 * item]!, meta[2 * item + 1]!, state)
    }
  }
}

function report(): LevelReport<PackedViolation> {
  return { next: next.count, distinct: seen.size, generated: successors.generated, counts: Array.from(successors.counts), violation }
}

// The boot state belongs to one worker: it starts the search there.
successors.boot()
if (ownerOf(pair[0]!, pair[1]!, count) === me) {
  seen.add(pair[0]!, pair[1]!)
  frontier.push(canonical, links.add(0, -1) * count + me)
}

serveLevels<Batch, PackedViolation>(port, {
  expand() {
    next = new StateList(layout.words, Math.max(1 << 12, frontier.count * 2))
    return expandLevel()
  },
  transfer: (batch) => [batch.bytes, batch.meta],
  admit(batches) {
    admitIncoming(batches)
    frontier = next
    return report()
  },
  extra() {
    const parents = links.parents.slice(0, links.count)
    const via = links.via.slice(0, links.count)
    return { value: { parents: parents.buffer, via: via.buffer } satisfies Links, transfer: [parents.buffer, via.buffer] }
  },
})
