/**
 * One worker of the parallel general search (general-parallel.ts). It owns the
 * states whose fingerprint falls to it: it keeps their fingerprints and says
 * which are new. It expands, level by level, the states it found itself (as
 * paths), so that a state's successors and their successors stay together:
 * they share most of their path (one replay) and many of their successors (the
 * raw fingerprints' cache, raw-fingerprints.ts, hits). A successor it owns is
 * deduplicated here; one another worker owns is a candidate, sent to its owner
 * once (a worker remembers what it sent, since most successors are duplicates)
 * and kept in the next level only if the owner answers that it is new. Each
 * worker publishes its frontier in shared memory and expands it in chunks
 * claimed from its front; when none is left it takes chunks from the back of
 * the others' (parallel.ts). The step invariants of every transition are checked
 * by the worker that takes it, and so are the state invariants of a successor
 * new to it (kept, or sent for the first time) while it is loaded.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import { FingerprintSet } from './fingerprints.js'
import { StepWatch } from './step-watch.js'
import { ImplExpander, type PathArray, PathLevel, pathArray, type SearchTarget } from './general.js'
import type { Batch, PathViolation, WorkerSetup } from './general-parallel.js'
import { type LevelReport, type LevelWitness, type SharedFrontier, type SharedLevel, chunkSize, claimBack, claimFront, ownerOf, serveLevels } from './parallel.js'
import { loadTarget } from '../targets.js'
import { catalogueFilter } from './search.js'
import { loadChecked, PropertyWatch, watchedProperties } from './props.js'

const setup = workerData as WorkerSetup
const port = parentPort!
const stop = new Int32Array(setup.stop)
const target = setup.kernel === undefined ? undefined : (await loadTarget(setup.kernel)) as unknown as SearchTarget
const expander = new ImplExpander(setup.preset, target, {
  refine: setup.refine ?? false, widePaths: setup.widePaths ?? false,
  // --step-timeout: this worker's lane of the watchdog (step-watch.ts).
  ...(setup.watch === undefined ? {} : { watch: new StepWatch(setup.watch, setup.index) }),
})
const { encoder } = expander
const loaded = setup.checked === undefined ? undefined : await loadChecked(setup.checked, setup.preset)
// The properties in code are watched on this worker's lane (step-watch.ts).
const checked = loaded === undefined || setup.watch === undefined ? loaded : { ...loaded, user: watchedProperties(loaded.user, new StepWatch(setup.watch, setup.index)) }
expander.keep = catalogueFilter(checked)
const watch = checked === undefined || checked.user.length === 0 ? null : new PropertyWatch(checked.user)
/** Sometimes properties found since the last report. */
let witnesses: LevelWitness[] = []
const seen = new FingerprintSet(1 << 16)
/** Fingerprints of successors already sent to their owners: each is sent once (most successors are duplicates). */
const sent = new FingerprintSet(1 << 16)
const { index: me, count } = setup
let frontier = new PathLevel(0, 1, expander.wide)
let next = new PathLevel(1, 1024, expander.wide)
/** The owner of each state of `next` (me, or the owner a candidate was sent to, which answers whether it is new). */
let owners = new Uint8Array(1024)
let violation: PathViolation | null = null
if (count > 255) throw new Error('the general engine runs on at most 255 workers')

/** Joins `next` with the owner of the state just pushed to it. */
function tagNext(owner: number): void {
  if (next.count > owners.length) { const grown = new Uint8Array(owners.length * 2); grown.set(owners); owners = grown }
  owners[next.count - 1] = owner
}

/** A growable outgoing batch to one other worker. */
class Outgoing {
  paths: PathArray
  fingerprints = new Uint32Array(2 * 256)
  size = 0
  constructor(private readonly length: number) {
    this.paths = pathArray(expander.wide, length * 256)
  }
  push(parent: PathArray, action: number): void {
    if (this.size * 2 === this.fingerprints.length) {
      const paths = pathArray(expander.wide, this.paths.length * 2); paths.set(this.paths); this.paths = paths
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
function extended(path: PathArray, action: number): number[] {
  return [...Array.from(path), action]
}

/**
 * Expands this worker's frontier: new successors it owns and candidates others
 * own join `next`; the candidates go into per-owner batches too. With `shared`
 * (every worker's published frontier), it claims chunks of its own from the
 * front, then of the others' from the back, until none is left.
 */
function expandLevel(shared?: SharedLevel): Array<Batch | null> {
  const outgoing = Array.from({ length: count }, (_, owner) => (owner === me ? null : new Outgoing(frontier.length + 1)))
  const expandState = (level: PathLevel, position: number): void => {
    const path = level.load(expander, position)
    // Which catalogue invariant stopped the search (null: a user property or --refine), for the self-check below.
    let brokenInvariant: string | null = null
    expander.expand(null, (action) => {
      const high = encoder.pair[0]!
      const low = encoder.pair[1]!
      const owner = ownerOf(high, low, count)
      // New here: a state this worker owns and has not seen, or one it owns not and has not sent yet.
      // Its state invariants are checked here, while it is loaded; every transition's step invariants too.
      // A fingerprint from the raw cache went through here before (seen or sent), and the loaded state is
      // in the frontier, so known to its owner: neither is new.
      const isNew = !expander.metBefore && (owner === me ? seen.add(high, low) : sent.add(high, low))
      const found = expander.checkSuccessor(isNew)
      // The path is spelled out only for a violation: most transitions break nothing.
      if (found !== null) { violation = pathViolation(found, extended(path, action)); brokenInvariant = found.invariant }
      if (violation === null && isNew && watch !== null) watchState(() => extended(path, action))
      if (violation !== null) return true
      if (!isNew) return false
      if (owner !== me) outgoing[owner]!.push(path, action)
      next.push(path, action, high, low)
      tagNext(owner)
      return false
    })
    const refined = expander.refined
    if (refined !== null) violation = pathViolation(refined.failure, extended(path, refined.action))
    // A violation is reported only if no step taken back wrongly before it made it up.
    if (violation !== null) expander.confirmStop(brokenInvariant)
  }
  const expandRange = (level: PathLevel, start: number, end: number): void => {
    for (let position = start; position < end && violation === null; position++) expandState(level, position)
  }
  const stopped = (): boolean => violation !== null || Atomics.load(stop, 0) === 1
  if (shared === undefined) {
    for (let start = 0; start < frontier.count && !stopped(); start += 256) expandRange(frontier, start, Math.min(start + 256, frontier.count))
    return outgoing.map((batch) => batch?.batch() ?? null)
  }
  const claims = new Int32Array(shared.claims)
  for (let turn = 0; turn < count && !stopped(); turn++) {
    const worker = (me + turn) % count
    const published = shared.frontiers[worker]
    if (published === null || published === undefined) continue
    const level = worker === me ? frontier : PathLevel.over(published)
    const size = chunkSize(published.count)
    for (;;) {
      const chunk = worker === me ? claimFront(claims, worker) : claimBack(claims, worker)
      if (chunk < 0 || stopped()) break
      expandRange(level, chunk * size, Math.min((chunk + 1) * size, published.count))
    }
  }
  return outgoing.map((batch) => batch?.batch() ?? null)
}

/** Which of the candidates each sender sent this worker are new (1) or seen before (0), in their order. */
function answerCandidates(batches: ReadonlyArray<Batch | null>): Array<ArrayBuffer | null> {
  return batches.map((batch) => {
    if (batch === null) return null
    const fingerprints = new Uint32Array(batch.fingerprints)
    const answers = new Uint8Array(batch.size)
    for (let item = 0; item < batch.size; item++) answers[item] = seen.add(fingerprints[2 * item]!, fingerprints[2 * item + 1]!) ? 1 : 0
    return answers.buffer
  })
}

/** Keeps in `next` the states this worker owns and the candidates their owners answered new (`answers`, by owner), in their order. */
function keepAnswered(answers: ReadonlyArray<ArrayBuffer | null>): void {
  const byOwner = answers.map((answer) => (answer === null ? null : new Uint8Array(answer)))
  const cursors = new Int32Array(count)
  next.filter((position) => {
    const owner = owners[position]!
    return owner === me || byOwner[owner]![cursors[owner]++] === 1
  })
}

/** Makes `next` the frontier, in shared memory, that the others may take chunks of. */
function publishNext(): SharedFrontier {
  const published = next.share()
  frontier = PathLevel.over(published)
  // The unshared buffers go now, not when the next level starts: a worker's peak holds one copy of its frontier.
  next = frontier
  return published
}

function report(published?: SharedFrontier): LevelReport<PathViolation> {
  const found = witnesses
  witnesses = []
  return { next: next.count, distinct: seen.size, generated: expander.generated, counts: Array.from(expander.counts), violation, witnesses: found, ...(published === undefined ? {} : { frontier: published }) }
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
  expand(witnessed, shared) {
    // A property in code that threw at the boot state: the answer to the coordinator's first question.
    if (startFailure !== undefined) throw startFailure
    watch?.forget(witnessed)
    next = new PathLevel(frontier.length + 1, Math.max(1024, frontier.count * 2), expander.wide)
    return expandLevel(shared)
  },
  transfer: (batch) => [batch.paths, batch.fingerprints],
  answer: answerCandidates,
  settle(answers) {
    keepAnswered(answers)
    return report(publishNext())
  },
})
