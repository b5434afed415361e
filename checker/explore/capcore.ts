/**
 * The specialised engine for the `cap-core` and `cap-core-3` presets (what `sila
 * explore` runs on them unless `--engine general` or `model` is asked; run.ts
 * chooses): a hand-written compiled form of the model for them (kernel.md §11): the same
 * transitions on a packed state of a few dozen integers, canonicalized in place,
 * so that exhaustive search runs at hundreds of thousands of states per second.
 * It must count exactly what the model engine (`search.ts`) counts: the tests run
 * both to the same depth and compare level by level, and replay its
 * counterexamples on the model.
 *
 * Packed layout (all Int32): the slots of pA then pB (cap index or -1); per cap:
 * object, rights, parent (-1 root), where (slot index, or 100 + endpoint for a
 * queued message, -1 free); per object: kind (0 free, 1 region, 2 endpoint), owner
 * (0 = A, 1 = B), queue (-1 empty, -2 a message without a cap, else its cap), and
 * a marker for the boot endpoint E (not part of the state's identity).
 * @module
 */
import { R_CONTROL, R_GRANT, R_READ, R_WRITE } from '../../spec/rights.js'
import type { Preset } from '../../spec/presets.js'
import { FingerprintSet, collisionProbability, fingerprintBytesInto } from './fingerprints.js'
import { type Action, capCoreActions } from './actions.js'
import type { ExploreOptions, ExploreResult, ExploreViolation } from './search.js'
import { mulberry32 } from './search.js'
import { coverageOf } from './parallel.js'

const PROCESSES = 2
const OBJECTS_MAX = 6
const REGION = 1
const ENDPOINT = 2
const REGION_RIGHTS = R_READ | R_WRITE | R_CONTROL
const ENDPOINT_RIGHTS = R_READ | R_WRITE | R_GRANT
const MEMORY_LIMIT = 2
const ENDPOINT_LIMIT = 1
const EMPTY = -1
const NO_CAP = -2
const IN_MESSAGE = 100

/** Offsets into a packed state for `slots` slots per process. */
export class Layout {
  readonly slotCount: number
  readonly capsMax: number
  readonly capObject: number
  readonly capRights: number
  readonly capParent: number
  readonly capWhere: number
  readonly objectKind: number
  readonly objectOwner: number
  readonly objectQueue: number
  readonly objectBoot: number
  /** Words that make a state's identity (the boot marker excluded). */
  readonly identityWords: number
  readonly words: number
  /** A canonical state's size as bytes (every word fits in an Int8), padded to whole 32-bit words. */
  readonly bytes: number

  constructor(readonly slots: number) {
    this.slotCount = PROCESSES * slots
    this.capsMax = this.slotCount + 2
    this.capObject = this.slotCount
    this.capRights = this.capObject + this.capsMax
    this.capParent = this.capRights + this.capsMax
    this.capWhere = this.capParent + this.capsMax
    this.objectKind = this.capWhere + this.capsMax
    this.objectOwner = this.objectKind + OBJECTS_MAX
    this.objectQueue = this.objectOwner + OBJECTS_MAX
    this.objectBoot = this.objectQueue + OBJECTS_MAX
    this.identityWords = this.objectBoot
    this.words = this.objectBoot + OBJECTS_MAX
    this.bytes = (this.words + 3) & ~3
  }
}

/** The boot state: E (object 0, owned by A) with pA's original in slot 0 and pB's write-only child in slot 0. */
export function bootPacked(layout: Layout): Int32Array {
  const state = new Int32Array(layout.words)
  state.fill(EMPTY, 0, layout.slotCount)
  for (let cap = 0; cap < layout.capsMax; cap++) { state[layout.capWhere + cap] = EMPTY; state[layout.capParent + cap] = EMPTY }
  for (let object = 0; object < OBJECTS_MAX; object++) state[layout.objectQueue + object] = EMPTY
  state[layout.objectKind] = ENDPOINT
  state[layout.objectOwner] = 0
  state[layout.objectBoot] = 1
  const pBSlot0 = layout.slots
  setCap(layout, state, 0, 0, ENDPOINT_RIGHTS, EMPTY, 0)
  setCap(layout, state, 1, 0, R_WRITE, 0, pBSlot0)
  return state
}

function setCap(l: Layout, s: Int32Array, cap: number, object: number, rights: number, parent: number, where: number): void {
  s[l.capObject + cap] = object
  s[l.capRights + cap] = rights
  s[l.capParent + cap] = parent
  s[l.capWhere + cap] = where
  if (where < IN_MESSAGE) s[where] = cap
  else s[l.objectQueue + where - IN_MESSAGE] = cap
}

function freeCap(l: Layout, s: Int32Array): number {
  for (let cap = 0; cap < l.capsMax; cap++) if (s[l.capWhere + cap] === EMPTY) return cap
  throw new Error('KernelBug: cap-core cap table full')
}

function freeObject(l: Layout, s: Int32Array): number {
  for (let object = 0; object < OBJECTS_MAX; object++) if (s[l.objectKind + object] === 0) return object
  throw new Error('KernelBug: cap-core object table full')
}

function countOwned(l: Layout, s: Int32Array, owner: number, kind: number): number {
  let count = 0
  for (let object = 0; object < OBJECTS_MAX; object++) if (s[l.objectKind + object] === kind && s[l.objectOwner + object] === owner) count++
  return count
}

/** Removes a cap from its place; children re-parented to its parent when `reparent`. */
function removeCap(l: Layout, s: Int32Array, cap: number, reparent: boolean): void {
  const where = s[l.capWhere + cap]!
  if (where < IN_MESSAGE) s[where] = EMPTY
  else s[l.objectQueue + where - IN_MESSAGE] = NO_CAP
  if (reparent) {
    const parent = s[l.capParent + cap]!
    for (let other = 0; other < l.capsMax; other++) if (s[l.capWhere + other] !== EMPTY && s[l.capParent + other] === cap) s[l.capParent + other] = parent
  }
  s[l.capWhere + cap] = EMPTY
  s[l.capParent + cap] = EMPTY
}

/** The destruction fixpoint: unnamed objects go; an endpoint's queued cap is deleted with it. */
function collect(l: Layout, s: Int32Array): void {
  for (;;) {
    let named = 0
    for (let cap = 0; cap < l.capsMax; cap++) if (s[l.capWhere + cap] !== EMPTY) named |= 1 << s[l.capObject + cap]!
    let destroyed = false
    for (let object = 0; object < OBJECTS_MAX; object++) {
      if (s[l.objectKind + object] === 0 || (named & (1 << object)) !== 0) continue
      const queued = s[l.objectQueue + object]!
      if (queued >= 0) removeCap(l, s, queued, true)
      s[l.objectKind + object] = 0
      s[l.objectQueue + object] = EMPTY
      s[l.objectBoot + object] = 0
      destroyed = true
    }
    if (!destroyed) return
  }
}

function isDescendant(l: Layout, s: Int32Array, cap: number, ancestor: number): boolean {
  for (let at = s[l.capParent + cap]!, hops = 0; at !== EMPTY && hops <= l.capsMax; at = s[l.capParent + at]!, hops++) if (at === ancestor) return true
  return false
}

/** Op codes of the compiled actions. */
const enum Op { Alloc, Create, Copy, Delete, Revoke, Send, Recv }
interface Compiled { readonly op: Op; readonly process: number; readonly a: number; readonly b: number; readonly rights: number }

/** Actions grouped by a shared guard: the 32 copies of one (src, dst) pair need src full and dst empty. */
interface ActionGroup { readonly guardSource: number; readonly guardTarget: number; readonly members: Int32Array }

function groupActions(compiled: ReadonlyArray<Compiled>): ActionGroup[] {
  const groups = new Map<string, number[]>()
  compiled.forEach((action, index) => {
    const key = action.op === Op.Copy ? `copy:${action.a}:${action.b}` : `one:${index}`
    groups.set(key, [...(groups.get(key) ?? []), index])
  })
  return [...groups.entries()].map(([key, members]) => {
    const first = compiled[members[0]!]!
    const isCopy = key.startsWith('copy:')
    return { guardSource: isCopy ? first.a : -1, guardTarget: isCopy ? first.b : -1, members: Int32Array.from(members) }
  })
}

function compile(action: Action, slots: number): Compiled {
  const process = (action.caller as number) - 1
  const slot = (name: string) => (action[name] === undefined ? -1 : process * slots + (action[name] as number))
  const mask = ((action.rights as string[] | undefined) ?? []).reduce((m, r) => m | (1 << ['read', 'write', 'execute', 'grant', 'control'].indexOf(r)), 0)
  switch (action.kind) {
    case 'mem_alloc': return { op: Op.Alloc, process, a: slot('dst'), b: -1, rights: 0 }
    case 'ep_create': return { op: Op.Create, process, a: slot('dst'), b: -1, rights: 0 }
    case 'cap_copy': return { op: Op.Copy, process, a: slot('src'), b: slot('dst'), rights: mask }
    case 'cap_delete': return { op: Op.Delete, process, a: slot('slot'), b: -1, rights: 0 }
    case 'cap_revoke': return { op: Op.Revoke, process, a: slot('slot'), b: -1, rights: 0 }
    case 'ep_send': return { op: Op.Send, process, a: slot('slot'), b: slot('xfer'), rights: 0 }
    case 'ep_recv': return { op: Op.Recv, process, a: slot('slot'), b: slot('dst'), rights: 0 }
    default: throw new Error(`cap-core has no action ${String(action.kind)}`)
  }
}

/** Set by {@link apply} when a successful action left the state as it was. */
let unchanged = false

/** Applies one action to `s` in place; false (and `s` unspecified) when the syscall would fail. */
function apply(l: Layout, s: Int32Array, act: Compiled): boolean {
  unchanged = false
  const cap = act.a >= 0 ? s[act.a]! : EMPTY
  switch (act.op) {
    case Op.Alloc: case Op.Create: {
      if (cap !== EMPTY) return false
      const kind = act.op === Op.Alloc ? REGION : ENDPOINT
      if (countOwned(l, s, act.process, kind) >= (kind === REGION ? MEMORY_LIMIT : ENDPOINT_LIMIT)) return false
      const object = freeObject(l, s)
      s[l.objectKind + object] = kind
      s[l.objectOwner + object] = act.process
      s[l.objectQueue + object] = EMPTY
      s[l.objectBoot + object] = 0
      setCap(l, s, freeCap(l, s), object, kind === REGION ? REGION_RIGHTS : ENDPOINT_RIGHTS, EMPTY, act.a)
      return true
    }
    case Op.Copy: {
      if (cap === EMPTY || s[act.b] !== EMPTY || (act.rights & ~s[l.capRights + cap]!) !== 0) return false
      setCap(l, s, freeCap(l, s), s[l.capObject + cap]!, act.rights, cap, act.b)
      return true
    }
    case Op.Delete:
      if (cap === EMPTY) return false
      removeCap(l, s, cap, true)
      collect(l, s)
      return true
    case Op.Revoke: {
      if (cap === EMPTY) return false
      let doomed = 0
      for (let other = 0; other < l.capsMax; other++) if (s[l.capWhere + other] !== EMPTY && isDescendant(l, s, other, cap)) doomed |= 1 << other
      // A revoke with nothing to remove leads back to the same state: no need to canonicalize it.
      if (doomed === 0) { unchanged = true; return true }
      for (let other = 0; other < l.capsMax; other++) if ((doomed & (1 << other)) !== 0) removeCap(l, s, other, false)
      collect(l, s)
      return true
    }
    case Op.Send: {
      if (cap === EMPTY) return false
      const endpoint = s[l.capObject + cap]!
      const rights = s[l.capRights + cap]!
      if (s[l.objectKind + endpoint] !== ENDPOINT || (rights & R_WRITE) === 0) return false
      if (act.b >= 0 && ((rights & R_GRANT) === 0 || s[act.b] === EMPTY)) return false
      if (s[l.objectQueue + endpoint] !== EMPTY) return false
      if (act.b < 0) { s[l.objectQueue + endpoint] = NO_CAP; return true }
      const carried = s[act.b]!
      setCap(l, s, freeCap(l, s), s[l.capObject + carried]!, s[l.capRights + carried]!, carried, IN_MESSAGE + endpoint)
      return true
    }
    case Op.Recv: {
      if (cap === EMPTY) return false
      const endpoint = s[l.capObject + cap]!
      if (s[l.objectKind + endpoint] !== ENDPOINT || (s[l.capRights + cap]! & R_READ) === 0) return false
      const queued = s[l.objectQueue + endpoint]!
      if (queued === EMPTY) return false
      if (queued >= 0) {
        if (act.b >= 0 && s[act.b] === EMPTY) {
          s[l.objectQueue + endpoint] = NO_CAP
          s[l.capWhere + queued] = act.b
          s[act.b] = queued
        } else removeCap(l, s, queued, true)
      }
      s[l.objectQueue + endpoint] = EMPTY
      collect(l, s)
      return true
    }
  }
}

/** A relabelling: each cap's and object's label (-1 none yet), and what each label stands for. */
interface Labelling { caps: Int32Array; objects: Int32Array; capOrder: Int32Array; order: Int32Array; capCount: number; objectCount: number }

function newLabelling(l: Layout): Labelling {
  return { caps: new Int32Array(l.capsMax), objects: new Int32Array(OBJECTS_MAX), capOrder: new Int32Array(l.capsMax), order: new Int32Array(OBJECTS_MAX), capCount: 0, objectCount: 0 }
}

/** Work space of {@link canonicalize}, allocated once per search. */
export interface Scratch {
  readonly main: Labelling
  /** For objects nothing reaches: the labelling tried for each of their orders, and the encodings compared. */
  readonly alternative: Labelling
  readonly rest: number[]
  readonly candidate: Int8Array
  readonly best: Int8Array
}

export function newScratch(l: Layout): Scratch {
  return { main: newLabelling(l), alternative: newLabelling(l), rest: [], candidate: new Int8Array(l.bytes), best: new Int8Array(l.bytes) }
}

/** Labels a cap, and its object on first sight. */
function reach(l: Layout, s: Int32Array, labels: Labelling, cap: number): void {
  if (cap < 0 || labels.caps[cap] !== -1) return
  labels.capOrder[labels.capCount] = cap
  labels.caps[cap] = labels.capCount++
  labelObject(labels, s[l.capObject + cap]!)
}

function labelObject(labels: Labelling, object: number): void {
  if (labels.objects[object] !== -1) return
  labels.order[labels.objectCount] = object
  labels.objects[object] = labels.objectCount++
}

/** Labels the caps queued on labelled endpoints, in label order (endpoints labelled meanwhile included). True: some were new. */
function reachQueued(l: Layout, s: Int32Array, labels: Labelling): boolean {
  let progress = false
  for (let label = 0; label < labels.objectCount; label++) {
    const queued = s[l.objectQueue + labels.order[label]!]!
    if (queued >= 0 && labels.caps[queued] === -1) { reach(l, s, labels, queued); progress = true }
  }
  return progress
}

/**
 * Canonicalizes `s` into `out`: caps and objects relabelled in the order the
 * slots (then queues, then parent links) reach them; objects nothing reaches (an
 * endpoint held only by a cap queued on itself) ordered by trying each order and
 * keeping the least encoding.
 */
export function canonicalize(l: Layout, s: Int32Array, out: Int8Array, scratch: Scratch): void {
  const labels = scratch.main
  labels.caps.fill(-1)
  labels.objects.fill(-1)
  labels.capCount = 0
  labels.objectCount = 0
  for (let slot = 0; slot < l.slotCount; slot++) reach(l, s, labels, s[slot]!)
  reachQueued(l, s, labels)
  // Parent links label nothing new in a cap-core state (a queued cap never has children), but that is checked.
  for (let progress = !parentsLabelled(l, s, labels); progress; ) {
    progress = false
    for (let cap = 0; cap < l.capsMax; cap++) {
      const parent = s[l.capParent + cap]!
      if (labels.caps[cap] !== -1 && parent >= 0 && labels.caps[parent] === -1) { reach(l, s, labels, parent); progress = true }
    }
    if (reachQueued(l, s, labels)) progress = true
  }
  const rest = scratch.rest
  rest.length = 0
  for (let object = 0; object < OBJECTS_MAX; object++) if (s[l.objectKind + object] !== 0 && labels.objects[object] === -1) rest.push(object)
  if (rest.length === 0) { write(l, s, out, labels); return }
  // Unreached objects: try every order, keep the least encoding (at most two endpoints).
  let first = true
  for (const order of permutations(rest)) {
    labelInOrder(l, s, labels, scratch.alternative, order)
    write(l, s, scratch.candidate, scratch.alternative)
    if (first || less(scratch.candidate, scratch.best, l.identityWords)) scratch.best.set(scratch.candidate)
    first = false
  }
  out.set(scratch.best)
}

/** Whether every labelled cap's parent is labelled. */
function parentsLabelled(l: Layout, s: Int32Array, labels: Labelling): boolean {
  for (let label = 0; label < labels.capCount; label++) {
    const parent = s[l.capParent + labels.capOrder[label]!]!
    if (parent >= 0 && labels.caps[parent] === -1) return false
  }
  return true
}

/** `from`'s labelling extended into `into`: the unreached objects in `order`, each with its queued cap, then any cap left. */
function labelInOrder(l: Layout, s: Int32Array, from: Labelling, into: Labelling, order: ReadonlyArray<number>): void {
  into.caps.set(from.caps)
  into.objects.set(from.objects)
  into.capOrder.set(from.capOrder)
  into.order.set(from.order)
  into.capCount = from.capCount
  into.objectCount = from.objectCount
  for (const object of order) {
    labelObject(into, object)
    const queued = s[l.objectQueue + object]!
    if (queued >= 0 && into.caps[queued] === -1) { into.capOrder[into.capCount] = queued; into.caps[queued] = into.capCount++ }
  }
  for (let cap = 0; cap < l.capsMax; cap++) if (s[l.capWhere + cap] !== EMPTY && into.caps[cap] === -1) { into.capOrder[into.capCount] = cap; into.caps[cap] = into.capCount++ }
}

/** Writes `s` relabelled by `labels` into `out`: every word once, label by label; unused labels empty. */
function write(l: Layout, s: Int32Array, out: Int8Array, labels: Labelling): void {
  const capLabel = labels.caps
  const objectLabel = labels.objects
  for (let slot = 0; slot < l.slotCount; slot++) { const cap = s[slot]!; out[slot] = cap >= 0 ? capLabel[cap]! : EMPTY }
  for (let label = 0; label < l.capsMax; label++) {
    if (label >= labels.capCount) {
      out[l.capObject + label] = EMPTY; out[l.capRights + label] = EMPTY; out[l.capParent + label] = EMPTY; out[l.capWhere + label] = EMPTY
      continue
    }
    const cap = labels.capOrder[label]!
    const where = s[l.capWhere + cap]!
    const parent = s[l.capParent + cap]!
    out[l.capObject + label] = objectLabel[s[l.capObject + cap]!]!
    out[l.capRights + label] = s[l.capRights + cap]!
    out[l.capParent + label] = parent >= 0 ? capLabel[parent]! : EMPTY
    out[l.capWhere + label] = where < IN_MESSAGE ? where : IN_MESSAGE + objectLabel[where - IN_MESSAGE]!
  }
  for (let label = 0; label < OBJECTS_MAX; label++) {
    if (label >= labels.objectCount) {
      out[l.objectKind + label] = 0; out[l.objectOwner + label] = 0; out[l.objectQueue + label] = EMPTY; out[l.objectBoot + label] = 0
      continue
    }
    const object = labels.order[label]!
    const queued = s[l.objectQueue + object]!
    out[l.objectKind + label] = s[l.objectKind + object]!
    out[l.objectOwner + label] = s[l.objectOwner + object]!
    out[l.objectQueue + label] = queued >= 0 ? capLabel[queued]! : queued
    out[l.objectBoot + label] = s[l.objectBoot + object]!
  }
}

function less(a: Int8Array, b: Int8Array, length: number): boolean {
  for (let index = 0; index < length; index++) if (a[index] !== b[index]) return a[index]! < b[index]!
  return false
}

const ONE: number[] = [0]
const TWO: [number[], number[]] = [[0, 0], [0, 0]]

/** Every order of `items` (two endpoints at most in cap-core: the small cases reuse their arrays). */
function permutations(items: ReadonlyArray<number>): ReadonlyArray<ReadonlyArray<number>> | Generator<number[]> {
  if (items.length === 1) { ONE[0] = items[0]!; return [ONE] }
  if (items.length === 2) { TWO[0][0] = items[0]!; TWO[0][1] = items[1]!; TWO[1][0] = items[1]!; TWO[1][1] = items[0]!; return TWO }
  return permutationsOf([...items])
}

function* permutationsOf(items: number[]): Generator<number[]> {
  if (items.length <= 1) { yield items; return }
  for (let index = 0; index < items.length; index++) {
    for (const rest of permutationsOf([...items.slice(0, index), ...items.slice(index + 1)])) yield [items[index]!, ...rest]
  }
}

/** kernel.md §11's invariants on a packed state; a message naming the broken one, or null. */
export function checkPacked(l: Layout, s: Int32Array): { invariant: string; message: string } | null {
  for (let cap = 0; cap < l.capsMax; cap++) {
    if (s[l.capWhere + cap] === EMPTY) continue
    const object = s[l.capObject + cap]!
    const kind = s[l.objectKind + object]!
    if (kind === 0) return { invariant: 'CAP-4', message: `cap ${cap} names a destroyed object ${object}` }
    const parent = s[l.capParent + cap]!
    if (parent >= 0) {
      if (s[l.capWhere + parent] === EMPTY || s[l.capObject + parent] !== object) return { invariant: 'CAP-1', message: `cap ${cap}'s parent ${parent} is not a cap to the same object` }
      if (isDescendant(l, s, parent, cap)) return { invariant: 'CAP-1', message: `cap ${cap} is its own ancestor` }
      if ((s[l.capRights + cap]! & ~s[l.capRights + parent]!) !== 0) return { invariant: 'CAP-2', message: `cap ${cap} has rights its parent lacks` }
    }
    if ((s[l.capRights + cap]! & ~(kind === REGION ? REGION_RIGHTS : ENDPOINT_RIGHTS)) !== 0) return { invariant: 'CAP-2', message: `cap ${cap} exceeds its kind's rights` }
  }
  for (let object = 0; object < OBJECTS_MAX; object++) {
    if (s[l.objectKind + object] === 0) continue
    let named = false
    for (let cap = 0; cap < l.capsMax && !named; cap++) named = s[l.capWhere + cap] !== EMPTY && s[l.capObject + cap] === object
    if (!named) return { invariant: 'OBJ-1', message: `object ${object} is live but no cap names it` }
  }
  for (const owner of [0, 1]) {
    if (countOwned(l, s, owner, REGION) > MEMORY_LIMIT || countOwned(l, s, owner, ENDPOINT) > ENDPOINT_LIMIT) return { invariant: 'QUO-1', message: `container ${owner === 0 ? 'A' : 'B'} over its limits` }
  }
  for (let slot = l.slots; slot < l.slotCount; slot++) {
    const cap = s[slot]!
    if (cap < 0) continue
    const object = s[l.capObject + cap]!
    if (s[l.objectOwner + object] !== 0) continue
    if (s[l.objectBoot + object] !== 1) return { invariant: 'ISO-1', message: `pB holds a cap to an object of A other than E` }
    if (s[l.capRights + cap] !== R_WRITE && (s[l.capRights + cap]! & ~R_WRITE) !== 0) return { invariant: 'ISO-1', message: `pB holds a cap to E with rights beyond write` }
  }
  return null
}

/** A growable list of packed states, one byte per word (every value fits in an Int8). */
export class StateList {
  bytes: Int8Array
  indexes: Int32Array
  count = 0
  constructor(private readonly words: number, capacity = 1 << 12) {
    this.bytes = new Int8Array(words * capacity)
    this.indexes = new Int32Array(capacity)
  }
  push(state: Int8Array, index: number): void {
    if (this.count === this.indexes.length) {
      const bytes = new Int8Array(this.bytes.length * 2)
      bytes.set(this.bytes)
      this.bytes = bytes
      const indexes = new Int32Array(this.indexes.length * 2)
      indexes.set(this.indexes)
      this.indexes = indexes
    }
    this.bytes.set(state.subarray(0, this.words), this.count * this.words)
    this.indexes[this.count++] = index
  }
  load(position: number, into: Int32Array): void {
    const at = position * this.words
    for (let word = 0; word < this.words; word++) into[word] = this.bytes[at + word]!
  }
}

/** Parent links of every state found: enough to rebuild a shortest path by replaying actions. */
export class ParentLinks {
  parents = new Int32Array(1 << 16)
  via = new Int32Array(1 << 16)
  count = 0
  add(parent: number, action: number): number {
    if (this.count === this.parents.length) {
      const parents = new Int32Array(this.count * 2); parents.set(this.parents); this.parents = parents
      const via = new Int32Array(this.count * 2); via.set(this.via); this.via = via
    }
    this.parents[this.count] = parent
    this.via[this.count] = action
    return this.count++
  }
  path(index: number, actions: ReadonlyArray<Action>): Action[] {
    const path: Action[] = []
    for (let at = index; at > 0; at = this.parents[at]!) path.push(actions[this.via[at]!]!)
    return path.reverse()
  }
}

/**
 * The successors of packed states: the preset's actions compiled once, and the
 * buffers each successor is built in. {@link Successors.expand} applies every
 * action to a state and hands each changed successor over already canonicalized
 * and fingerprinted. The sequential search and each worker of the parallel one
 * (capcore-parallel.ts) expand states with it.
 */
export class Successors {
  readonly layout: Layout
  readonly actions: ReadonlyArray<Action>
  /** The successor being handed over, as computed (for its invariants). */
  readonly work: Int32Array
  /** Its canonical form (bytes), and the same buffer as 32-bit words. */
  readonly canonical: Int8Array
  readonly canonicalWords: Uint32Array
  /** Its fingerprint. */
  readonly pair = new Uint32Array(2)
  /** Successful transitions, in all and by action. */
  generated = 0
  readonly counts: Float64Array
  /** The action groups, in the order they are tried (shuffled by a swarm). */
  readonly order: number[]
  private readonly compiled: ReadonlyArray<Compiled>
  private readonly groups: ReadonlyArray<ActionGroup>
  private readonly scratch: Scratch

  constructor(preset: Preset) {
    const slots = preset.boot.system?.processes?.[0]?.slots ?? 2
    this.layout = new Layout(slots)
    this.actions = preset.actors.flatMap((ref) => capCoreActions(ref, slots))
    this.compiled = this.actions.map((action) => compile(action, slots))
    this.groups = groupActions(this.compiled)
    this.order = Array.from(this.groups.keys())
    this.counts = new Float64Array(this.actions.length)
    this.scratch = newScratch(this.layout)
    this.work = new Int32Array(this.layout.words)
    this.canonical = new Int8Array(this.layout.bytes)
    this.canonicalWords = new Uint32Array(this.canonical.buffer)
  }

  /** The boot state, canonicalized into {@link canonical} and fingerprinted into {@link pair}. */
  boot(): void {
    canonicalize(this.layout, bootPacked(this.layout), this.canonical, this.scratch)
    fingerprintBytesInto(this.canonicalWords, this.layout.identityWords, this.pair)
  }

  /**
   * Applies every action to `base`. Each changed successor is in {@link work},
   * {@link canonical} and {@link pair} while `each(action)` runs; `each` returns
   * true to stop, and then so does this.
   */
  expand(base: Int32Array, each: (action: number) => boolean): boolean {
    const { layout, work, compiled, groups } = this
    work.set(base)
    for (const groupIndex of this.order) {
      const group = groups[groupIndex]!
      if (group.guardSource >= 0 && (base[group.guardSource] === EMPTY || base[group.guardTarget] !== EMPTY)) continue
      for (const actionIndex of group.members) {
        // apply() refuses before it writes, so `work` needs resetting only after a success.
        if (!apply(layout, work, compiled[actionIndex]!)) continue
        this.generated++
        this.counts[actionIndex]++
        if (unchanged) continue
        canonicalize(layout, work, this.canonical, this.scratch)
        fingerprintBytesInto(this.canonicalWords, layout.identityWords, this.pair)
        if (each(actionIndex)) return true
        work.set(base)
      }
    }
    return false
  }

  /** Fingerprints what is in {@link canonical} (a state received as bytes) into {@link pair}. */
  fingerprint(): void {
    fingerprintBytesInto(this.canonicalWords, this.layout.identityWords, this.pair)
  }

  /** Transitions by syscall kind (or by `by`: ExploreOptions' coverageBy). */
  coverage(by?: (action: Action) => string): Record<string, number> {
    return coverageOf(this.actions, this.counts, by)
  }
}

/**
 * Exhaustive (or bounded) breadth-first search of cap-core on the packed form.
 * Only two levels of states are kept (as bytes); every state found keeps just
 * its parent link and action, from which a counterexample path is rebuilt.
 */
export function exploreCapCore(options: ExploreOptions & { readonly preset: Preset }): ExploreResult {
  const successors = new Successors(options.preset)
  const { layout, actions, work, canonical, pair, order } = successors
  const started = Date.now()
  const random = options.swarm === undefined ? null : mulberry32(options.swarm.seed * 7919 + options.swarm.index)
  const depthMax = options.depthMax ?? Number.POSITIVE_INFINITY
  const depthBound = random === null ? depthMax : Math.max(1, Math.ceil(Math.min(depthMax, 48) * (0.5 + random() / 2)))
  const seen = new FingerprintSet(1 << 20)
  const links = new ParentLinks()
  const base = new Int32Array(layout.words)
  successors.boot()
  seen.add(pair[0]!, pair[1]!)
  let frontier = new StateList(layout.words)
  frontier.push(canonical, links.add(0, -1))
  let depth = 0
  let violation: ExploreViolation | null = null
  let stopped = false
  let interrupted = false
  let lastProgress = started
  /** States found and not expanded when the breadth-first search stops mid-level: the rest of the level and what the next holds so far (as every engine counts its queue). */
  let queueLeft: number | null = null
  /** Expands the state in `base` (found as `index`); each new successor is in `canonical` when `found` runs. True: stop. */
  const expand = (index: number, found: (child: number) => void): boolean => {
    if (random !== null) for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); const t = order[i]!; order[i] = order[j]!; order[j] = t }
    return successors.expand(base, (actionIndex) => {
      if (!seen.add(pair[0]!, pair[1]!)) return false
      // A state's invariants are checked once, when it is first found (isomorphic states agree on them).
      const broken = checkPacked(layout, work)
      if (broken !== null) { violation = { ...broken, witness: { state: Array.from(work) }, path: [...links.path(index, actions), actions[actionIndex]!] }; return true }
      found(links.add(index, actionIndex))
      if (options.statesMax !== undefined && seen.size >= options.statesMax) { stopped = true; return true }
      return false
    })
  }
  const tick = (queue: number): boolean => {
    const now = Date.now()
    if (options.timeLimitMs !== undefined && now - started > options.timeLimitMs) { stopped = true; return true }
    if (options.shouldStop?.() === true) { stopped = true; interrupted = true; return true }
    if (options.onProgress !== undefined && now - lastProgress > 500) {
      lastProgress = now
      options.onProgress({ distinct: seen.size, generated: successors.generated + 1, depth, queue, elapsedMs: now - started })
    }
    return false
  }
  // --states 1: the boot state is the one state asked for; it is left unexpanded.
  if (options.statesMax !== undefined && seen.size >= options.statesMax) stopped = true
  else if (random === null) {
    // Breadth first, level by level: the first violation has a shortest path.
    search: while (frontier.count > 0 && depth < depthBound) {
      const next = new StateList(layout.words, Math.max(1 << 12, frontier.count * 2))
      for (let position = 0; position < frontier.count; position++) {
        frontier.load(position, base)
        if (expand(frontier.indexes[position]!, (child) => next.push(canonical, child))) { queueLeft = frontier.count - position - 1 + next.count; break search }
        if ((position & 4095) === 0 && tick(frontier.count - position + next.count)) { queueLeft = frontier.count - position - 1 + next.count; break search }
      }
      frontier = next
      if (frontier.count > 0) depth++
      options.onLevel?.({ distinct: seen.size, generated: successors.generated + 1, depth, queue: frontier.count, elapsedMs: Date.now() - started })
    }
  } else {
    // Swarm: depth first in a seeded random action order, down to a seeded depth bound,
    // so that independent jobs reach different deep corners of a space too big for one.
    const depths: number[] = [0]
    let popped = 0
    while (frontier.count > 0) {
      const position = --frontier.count
      frontier.load(position, base)
      const level = depths.pop()!
      depth = Math.max(depth, level)
      if (level >= depthBound) continue
      if (expand(frontier.indexes[position]!, (child) => { frontier.push(canonical, child); depths.push(level + 1) })) break
      if ((++popped & 1023) === 0 && tick(frontier.count)) break
    }
  }
  const durationMs = Date.now() - started
  return {
    preset: options.preset.name, engine: 'compiled', complete: violation === null && !stopped && frontier.count === 0 && random === null,
    distinct: seen.size, generated: successors.generated + 1, depth, queue: queueLeft ?? frontier.count, durationMs,
    statesPerSecond: Math.round((seen.size / Math.max(durationMs, 1)) * 1000), collisionProbability: collisionProbability(seen.size),
    coverage: successors.coverage(options.coverageBy), violation, swarm: options.swarm ?? null, interrupted,
  }
}
