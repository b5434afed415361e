/**
 * Step guards for the general engine (general.ts): a cheap test, on the impl's
 * tables, that a transition cannot break any step invariant, so that the
 * model's step invariants (spec/invariants/, the reference) run on the
 * abstraction only for the transitions that might break one. A guard is sound
 * or it is a bug: "cannot break" must imply that the reference finds nothing
 * (the tests run both on every transition of several searches and compare).
 * When a guard says "might", the reference runs and decides — so a violation's
 * invariant, message and witness are always the reference's own.
 *
 * What each guard reads, in the transition's `before` (the expanded state) and
 * `after` (the successor, in the kernel while it is checked):
 * - QUO-3 (every successful process syscall): the usage row and limits of every
 *   container of `before` outside the caller's authority (its container's
 *   subtree, and the subtrees of containers it holds a control cap to, in
 *   `before`); the guard passes when each is gone or unchanged (limits the same
 *   record, no usage risen, per-period counters equal).
 * - CAP-3 (a successful cap_revoke): the revoked cap still in its slot with no
 *   child, and none of its descendants of `before` alive.
 * - LIFE-1: no container of `before` gone, and the syscall not a container_destroy.
 * - ISO-2, ISO-3, IMG-2, SCHED-1: only their syscall kinds (lookups, table
 *   changes, process_spawn, sched_run) can break them: those always go to the reference.
 * A step invariant the guards do not know (a new one) makes every transition go
 * to the reference.
 * @module
 */
import { KIND_CONTAINER, KIND_PROCESS, NONE, RES_COUNT, RES_CPU, RES_IO } from '../../impl/tables/objects.js'
import { PLACE_FREE } from '../../impl/tables/caps.js'
import { R_CONTROL } from '../../spec/rights.js'
import { STEP_INVARIANTS } from '../../spec/invariants/index.js'
import type { Action } from './actions.js'
import type { EncodableKernel } from './impl-canonical.js'

/** The invariants the guards below stand for. */
const GUARDED = new Set(['CAP-3', 'QUO-3', 'ISO-2', 'ISO-3', 'LIFE-1', 'IMG-2', 'SCHED-1'])

/** Kinds whose success always goes to the reference (ISO-2, ISO-3, LIFE-1's target, IMG-2, SCHED-1). */
const REFERENCE_KINDS = new Set([
  'process_list', 'resolve', 'net_connect', 'svc_lookup',
  'mount', 'unmount', 'net_bind', 'net_unbind', 'svc_register', 'svc_unregister',
  'container_destroy', 'process_spawn', 'sched_run',
])

/** Per action, what its success needs checked. */
const PLAN_REFERENCE = 0
/** A process syscall: QUO-3 and LIFE-1's guards. */
const PLAN_PROCESS = 1
/** cap_revoke: also CAP-3's. */
const PLAN_REVOKE = 2
/** tick: LIFE-1's guard only (QUO-3 is not stated over the clock). */
const PLAN_CLOCK = 3

function planOf(action: Action): number {
  const fields = action as Readonly<Record<string, unknown>>
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return PLAN_REFERENCE
  const kind = fields['kind']
  if (typeof kind !== 'string' || REFERENCE_KINDS.has(kind)) return PLAN_REFERENCE
  if (kind === 'tick') return fields['caller'] === undefined ? PLAN_CLOCK : PLAN_REFERENCE
  const caller = fields['caller']
  if (typeof caller !== 'number' || !Number.isSafeInteger(caller) || caller < 0) return PLAN_REFERENCE
  if (kind === 'cap_revoke') {
    const slot = fields['slot']
    return typeof slot === 'number' && Number.isSafeInteger(slot) && slot >= 0 ? PLAN_REVOKE : PLAN_REFERENCE
  }
  return PLAN_PROCESS
}

/** The process a creation index names, if live (no assertions: a mutant's tables may be anything). */
function processOfRef(k: EncodableKernel, ref: number): number {
  const refs = k.refs
  if (ref >= refs.count) return NONE
  const handle = refs.handle[ref]!
  return k.objects.isLive(handle, refs.gen[ref]!) && k.objects.kind[handle] === KIND_PROCESS ? handle : NONE
}

/**
 * The step guards of one expander. {@link load} reads the expanded state;
 * {@link beforeStep} what an action's guard needs of it, before the step;
 * {@link mayBreak}, after a successful step, says whether the reference must run.
 */
export class StepGuards {
  private readonly plans: Uint8Array
  /** Containers of the expanded state: handle, serial, usage row, limits record. */
  private count = 0
  private handles = new Int32Array(8)
  private serials = new Int32Array(8)
  private usage = new Float64Array(8 * RES_COUNT)
  private limits: unknown[] = []
  /** Per caller ref (this expanded state): which of those containers are within its authority (1), or not computed (absent). */
  private readonly authority = new Map<number, Uint8Array>()
  /** The revoke being guarded: the revoked cap's serial in `before`, and the serials of its descendants then. */
  private revokedSerial = -1
  private descendants = new Int32Array(16)
  private descendantCount = 0
  private capSerials = new Int32Array(32)
  private capParents = new Int32Array(32)

  constructor(actions: ReadonlyArray<Action>) {
    const known = STEP_INVARIANTS.every((invariant) => GUARDED.has(invariant.id))
    this.plans = Uint8Array.from(actions, (action) => (known ? planOf(action) : PLAN_REFERENCE))
  }

  /** Reads the expanded state (the kernel is there). */
  load(k: EncodableKernel): void {
    const objects = k.objects
    this.count = 0
    this.authority.clear()
    for (let handle = 0; handle < objects.top; handle++) {
      if (objects.kind[handle] !== KIND_CONTAINER) continue
      if (this.count === this.handles.length) this.grow()
      const at = this.count++
      this.handles[at] = handle
      this.serials[at] = objects.serial[handle]!
      const row = objects.row[handle]! * RES_COUNT
      for (let column = 0; column < RES_COUNT; column++) this.usage[at * RES_COUNT + column] = objects.rows.usage[row + column]!
      this.limits[at] = objects.limits[handle]
    }
  }

  private grow(): void {
    const size = this.handles.length * 2
    const handles = new Int32Array(size); handles.set(this.handles); this.handles = handles
    const serials = new Int32Array(size); serials.set(this.serials); this.serials = serials
    const usage = new Float64Array(size * RES_COUNT); usage.set(this.usage); this.usage = usage
  }

  /** Before stepping `action` (index `index`) from the expanded state: what its guard needs of `before`. */
  beforeStep(k: EncodableKernel, index: number, action: Action): void {
    const plan = this.plans[index]!
    if (plan === PLAN_REFERENCE || plan === PLAN_CLOCK) return
    const fields = action as Readonly<Record<string, number>>
    const caller = fields['caller']!
    if (!this.authority.has(caller)) this.authority.set(caller, this.authorityOf(k, caller))
    if (plan === PLAN_REVOKE) this.recordRevoke(k, caller, fields['slot']!)
  }

  /** After a successful step of action `index`: might a step invariant be broken (run the reference)? */
  mayBreak(k: EncodableKernel, index: number, action: Action): boolean {
    const plan = this.plans[index]!
    if (plan === PLAN_REFERENCE) return true
    if (this.containerGone(k)) return true
    if (plan === PLAN_CLOCK) return false
    const fields = action as Readonly<Record<string, number>>
    if (this.foreignChanged(k, this.authority.get(fields['caller']!)!)) return true
    return plan === PLAN_REVOKE && this.revokeSuspect(k, fields['caller']!, fields['slot']!)
  }

  // ---- QUO-3 ----------------------------------------------------------------------

  /**
   * Flags of the expanded state's containers within the caller's authority: its
   * container's subtree and those of containers it holds a control cap to. A
   * caller that is no process, or has no container, gets all flags set: QUO-3
   * says nothing of its step.
   */
  private authorityOf(k: EncodableKernel, ref: number): Uint8Array {
    const flags = new Uint8Array(this.count)
    const { objects, caps } = k
    const process = processOfRef(k, ref)
    const owner = process === NONE ? NONE : objects.owner[process]!
    if (owner === NONE) return flags.fill(1)
    const roots = [objects.serial[owner]!]
    const cspace = objects.cspace[process]
    if (cspace !== null && cspace !== undefined) {
      for (let slot = 0; slot < cspace.length; slot++) {
        const cap: number = cspace[slot]!
        if (cap === NONE || caps.place[cap] === PLACE_FREE || (caps.rights[cap]! & R_CONTROL) === 0) continue
        const object = caps.object[cap]!
        if (object !== NONE && objects.kind[object] === KIND_CONTAINER) roots.push(objects.serial[object]!)
      }
    }
    for (let at = 0; at < this.count; at++) {
      // Up the parent chain (bounded: a mutant's tables may hold a cycle; then not authorised, and the reference decides).
      let handle = this.handles[at]!
      for (let steps = 0; handle !== NONE && steps <= objects.top; steps++) {
        if (objects.kind[handle] !== KIND_CONTAINER) break
        if (roots.includes(objects.serial[handle]!)) { flags[at] = 1; break }
        handle = objects.parent[handle]!
      }
    }
    return flags
  }

  /** The live handle of an object serial, or NONE. */
  private handleOf(k: EncodableKernel, at: number): number {
    const objects = k.objects
    const handle = this.handles[at]!
    const serial = this.serials[at]!
    if (objects.kind[handle] === KIND_CONTAINER && objects.serial[handle] === serial) return handle
    for (let other = 0; other < objects.top; other++) if (objects.kind[other] !== 0 && objects.serial[other] === serial) return other
    return NONE
  }

  /** Has a container outside the authority changed its limits, raised a usage, or moved a per-period counter? */
  private foreignChanged(k: EncodableKernel, authority: Uint8Array): boolean {
    const objects = k.objects
    for (let at = 0; at < this.count; at++) {
      if (authority[at] === 1) continue
      const handle = this.handleOf(k, at)
      if (handle === NONE) continue
      if (objects.kind[handle] !== KIND_CONTAINER) return true
      if (objects.limits[handle] !== this.limits[at]) return true
      const row = objects.row[handle]! * RES_COUNT
      for (let column = 0; column < RES_COUNT; column++) {
        const now = objects.rows.usage[row + column]!
        const then = this.usage[at * RES_COUNT + column]!
        if (now > then || ((column === RES_CPU || column === RES_IO) && now !== then)) return true
      }
    }
    return false
  }

  // ---- LIFE-1 ---------------------------------------------------------------------

  /** Is a container of the expanded state gone? */
  private containerGone(k: EncodableKernel): boolean {
    const objects = k.objects
    for (let at = 0; at < this.count; at++) {
      const handle = this.handles[at]!
      if (objects.kind[handle] !== KIND_CONTAINER || objects.serial[handle] !== this.serials[at]) return true
    }
    return false
  }

  // ---- CAP-3 ----------------------------------------------------------------------

  /** The cap in the caller's slot and, by serials, its descendants in the expanded state (as the model's parent links see them). */
  private recordRevoke(k: EncodableKernel, ref: number, slot: number): void {
    this.revokedSerial = -1
    this.descendantCount = 0
    const cap = this.capAt(k, ref, slot)
    if (cap === NONE) return
    this.revokedSerial = k.caps.serial[cap]!
    const count = this.liveCaps(k)
    const serials = this.capSerials
    const parents = this.capParents
    // Down the parent links, by serial (the model's descendantsOf): the list of descendants is its own work list.
    if (this.descendants.length < count) this.descendants = new Int32Array(Math.max(count, 2 * this.descendants.length))
    const descendants = this.descendants
    for (let at = -1; at < this.descendantCount; at++) {
      const parent = at < 0 ? this.revokedSerial : descendants[at]!
      for (let index = 0; index < count; index++) {
        if (parents[index] !== parent) continue
        const serial = serials[index]!
        if (serial === this.revokedSerial || this.isDescendant(serial)) continue
        descendants[this.descendantCount++] = serial
      }
    }
  }

  private isDescendant(serial: number): boolean {
    for (let index = 0; index < this.descendantCount; index++) if (this.descendants[index] === serial) return true
    return false
  }

  /** The live caps' serials and their parents' serials (-1: none), into `capSerials` and `capParents`; their count. */
  private liveCaps(k: EncodableKernel): number {
    const caps = k.caps
    if (this.capSerials.length < caps.top) { this.capSerials = new Int32Array(caps.top * 2); this.capParents = new Int32Array(caps.top * 2) }
    const serials = this.capSerials
    const parents = this.capParents
    let count = 0
    for (let cap = 0; cap < caps.top; cap++) {
      if (caps.place[cap] === PLACE_FREE) continue
      serials[count] = caps.serial[cap]!
      const parent = caps.parent[cap]!
      parents[count++] = parent === NONE ? -1 : caps.serial[parent]!
    }
    return count
  }

  /** The live cap in a process's slot, or NONE. */
  private capAt(k: EncodableKernel, ref: number, slot: number): number {
    const process = processOfRef(k, ref)
    if (process === NONE) return NONE
    const cspace = k.objects.cspace[process]
    if (cspace === null || cspace === undefined || slot >= cspace.length) return NONE
    const cap = cspace[slot]!
    return cap === NONE || k.caps.place[cap] === PLACE_FREE ? NONE : cap
  }

  /** After the revoke: is the cap gone or moved, has it a child, or is a descendant it had still alive? */
  private revokeSuspect(k: EncodableKernel, ref: number, slot: number): boolean {
    const cap = this.capAt(k, ref, slot)
    if (cap === NONE || this.revokedSerial === -1 || k.caps.serial[cap] !== this.revokedSerial) return true
    const count = this.liveCaps(k)
    for (let index = 0; index < count; index++) {
      if (this.capParents[index] === this.revokedSerial || this.isDescendant(this.capSerials[index]!)) return true
    }
    return false
  }
}
