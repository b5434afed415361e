/**
 * One worker of the parallel general search (general-parallel.ts). It owns the
 * states whose fingerprint falls to it: their fingerprints and, level by level,
 * the frontier of them it expands (as paths). A successor it owns is
 * deduplicated and checked here; one another worker owns is sent there, as its
 * path and fingerprint, once: a worker remembers what it sent, since most
 * successors are duplicates. The step invariants of every transition are
 * checked by the worker that takes it, and so are the state invariants of a
 * successor it keeps as new or sends for the first time (it is loaded there):
 * the owner never replays a path.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import { FingerprintSet } from './fingerprints.js'
import { ImplExpander, PathLevel, type SearchTarget } from './general.js'
import type { Batch, PathViolation, WorkerSetup } from './general-parallel.js'
import { type LevelReport, type LevelWitness, ownerOf, serveLevels } from './parallel.js'
import { loadTarget } from '../targets.js'
import { catalogueFilter } from './search.js'
import { loadChecked, PropertyWatch } from './props.js'

const setup = workerData as WorkerSetup
const port = parentPort!
const stop = new Int32Array(setup.stop)
const target = setup.kernel === undefined ? undefined : (await loadTarget(setup.kernel)) as unknown as SearchTarget
const expander = new ImplExpander(setup.preset, target, { refine: setup.refine ?? false })
const { encoder } = expander
const checked = setup.checked === undefined ? undefined : await loadChecked(setup.checked, setup.preset)
expander.keep = catalogueFilter(checked)
const watch = checked === undefined || checked.user.length === 0 ? null : new PropertyWatch(checked.user)
/** Sometimes properties found since the last report. */
let witnesses: LevelWitness[] = []
const seen = new FingerprintSet(1 << 16)
/** Fingerprints of successors already sent to their owners: each is sent once (most successors are duplicates). */
const sent = new FingerprintSet(1 << 16)
const { index: me, count } = setup
let frontier = new PathLevel(0, 1)
let next = new PathLevel(1)
let violation: PathViolation | null = null

/** A growable outgoing batch to one other worker. */
class Outgoing {
  paths: Uint16Array
  fingerprints = new Uint32Array(2 * 256)
  size = 0
  constructor(private readonly length: number) {
    this.paths = new Uint16Array(length * 256)
  }
  push(parent: Uint16Array, action: number): void {
    if (this.size * 2 === this.fingerprints.length) {
      const paths = new Uint16Array(this.paths.length * 2); paths.set(this.paths); this.paths = paths
      const fingerprints = new Uint32Array(this.fingerprints.length * 2); fingerprints.set(this.fingerprints); this.fingerprints = fingerprints
    }
    const at = this.size * this.length
    this.paths.set(parent, at)
    this.paths[at + this.length - 1] = action
    this.fingerprints[2 * this.size] = encoder.pair[0]!
    this.fingerprints[2 * this.size + 1] = encoder.pair[1]!
    this.size++
  }
  batch(): Batch {
    return { paths: this.paths.slice(0, this.size * this.length).buffer, fingerprints: this.fingerprints.slice(0, 2 * this.size).buffer, size: this.size }
  }
}

/** The user properties on the new state loaded in the kernel, reached by `path`: a broken always one is the violation. */
function watchState(path: () => number[]): void {
  const hits = watch?.checkImpl(expander.kernel, expander.abstractNow) ?? null
  if (hits === null) return
  for (const hit of hits.found) {
    const at = path()
    watch!.witness(hit, at)
    witnesses.push({ name: hit.property.name, message: hit.witness.message, detail: hit.witness.detail, path: at })
  }
  if (hits.violated !== null) {
    const { property, witness } = hits.violated
    violation = { invariant: property.name, message: witness.message, witness: witness.detail, says: property.says, path: path() }
  }
}

/** A broken invariant (or --refine's failure) as a worker tells it, with the path to it. */
function pathViolation(found: { readonly invariant: string; readonly message: string; readonly witness: unknown }, path: number[]): PathViolation {
  return { invariant: found.invariant, message: found.message, witness: found.witness, path }
}

/** `path` and one more action, as a plain list. */
function extended(path: Uint16Array, action: number): number[] {
  return [...Array.from(path), action]
}

/** Expands this worker's frontier; successors others own go into per-owner batches. */
function expandLevel(): Array<Batch | null> {
  const outgoing = Array.from({ length: count }, (_, owner) => (owner === me ? null : new Outgoing(frontier.length + 1)))
  for (let position = 0; position < frontier.count && violation === null; position++) {
    if ((position & 255) === 0 && Atomics.load(stop, 0) === 1) break
    const path = frontier.load(expander, position)
    expander.expand(null, (action) => {
      const high = encoder.pair[0]!
      const low = encoder.pair[1]!
      const owner = ownerOf(high, low, count)
      // Every transition's step invariants are checked here, where it is taken; a new state's state invariants by its owner.
      // New here: a state this worker owns and has not seen, or one it owns not and has not sent yet.
      // Its state invariants are checked here, while it is loaded: the owner need not replay its path.
      const isNew = owner === me ? seen.add(high, low) : sent.add(high, low)
      const found = expander.checkSuccessor(isNew)
      // The path is spelled out only for a violation: most transitions break nothing.
      if (found !== null) violation = pathViolation(found, extended(path, action))
      if (violation === null && isNew && watch !== null) watchState(() => extended(path, action))
      if (violation !== null) return true
      if (owner !== me) {
        if (isNew) outgoing[owner]!.push(path, action)
        return false
      }
      if (isNew) next.push(path, action, high, low)
      return false
    })
    const refined = expander.refined
    if (refined !== null) violation = pathViolation(refined.failure, extended(path, refined.action))
  }
  return outgoing.map((batch) => batch?.batch() ?? null)
}

/**
 * Admits the successors other workers found that this one owns: their state
 * invariants were checked where they were found, so a new one only joins the
 * next level.
 */
function admitIncoming(batches: ReadonlyArray<Batch>): void {
  const length = next.length
  for (const batch of batches) {
    const paths = new Uint16Array(batch.paths)
    const fingerprints = new Uint32Array(batch.fingerprints)
    for (let item = 0; item < batch.size; item++) {
      if (seen.add(fingerprints[2 * item]!, fingerprints[2 * item + 1]!)) next.pushAll(paths.subarray(item * length, (item + 1) * length), fingerprints.subarray(2 * item, 2 * item + 2), 1)
    }
  }
}

function report(): LevelReport<PathViolation> {
  const found = witnesses
  witnesses = []
  return { next: next.count, distinct: seen.size, generated: expander.generated, counts: Array.from(expander.counts), violation, witnesses: found }
}

let startFailure: unknown
// The boot state belongs to one worker: it starts the search there.
expander.boot()
if (ownerOf(encoder.pair[0]!, encoder.pair[1]!, count) === me) {
  seen.add(encoder.pair[0]!, encoder.pair[1]!)
  const atBoot = (setup.refine === true ? expander.refineBoot() : null) ?? expander.checkLoaded()
  if (atBoot !== null) violation = pathViolation(atBoot, [])
  else if (watch !== null) {
    try {
      watchState(() => [])
    } catch (error) {
      // A property in code that throws at the boot state: answered to the coordinator's first question.
      startFailure = error
    }
  }
  if (violation === null) frontier.push([], 0, encoder.pair[0]!, encoder.pair[1]!)
}

serveLevels<Batch, PathViolation>(port, {
  expand(witnessed) {
    // A property in code that threw at the boot state: the answer to the coordinator's first question.
    if (startFailure !== undefined) throw startFailure
    watch?.forget(witnessed)
    next = new PathLevel(frontier.length + 1, Math.max(1024, frontier.count * 2))
    return expandLevel()
  },
  transfer: (batch) => [batch.paths, batch.fingerprints],
  admit(batches) {
    admitIncoming(batches)
    frontier = next
    return report()
  },
})
