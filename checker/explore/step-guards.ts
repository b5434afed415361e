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
 * - LIFE-1: no container of `before` gone; or (container_destroy, or any step
 *   that takes containers away) the named container gone, and, read by serials
 *   as the model reads them: no object owned by a gone container, no cap to a
 *   gone object, no namespace a gone container created, and each live parent's
 *   reservations for its children lowered by at least the gone children's limits
 *   (in safe integers; any other amount goes to the reference), and no usage of
 *   such a parent risen (a CPU unit for the syscall itself included: the
 *   reference tells the caller's charge apart).
 * - ISO-3 (a successful mount, unmount, net_bind, net_unbind, svc_register,
 *   svc_unregister): the tables whose entries the step changed (an entry added
 *   or replaced, or removed while its cap's object lives), with the caller's own
 *   table of the kind, all owned by user namespaces where the caller's uid is 0
 *   (and its host uid 0 for one that is an ancestor of its own), all read as
 *   the model reads them (cap serials, `before`'s uid maps).
 * - ISO-2 (a successful resolve, net_connect, svc_lookup): the cap now in `dst`
 *   has a parent that was, in `before`, an entry of the caller's own table of
 *   the kind, and no rights beyond that entry's then (beyond `write` of them
 *   for net_connect and svc_lookup); (process_list) every pid answered is that
 *   of a process running in `before` with a pid in the caller's pid namespace.
 * - IMG-2 (a successful process_spawn): a new process (the last creation index,
 *   a process, created by the step) whose first slots, one per grant, hold
 *   live caps in its own slots and whose other slots are empty; each a child
 *   (by serial) of the cap the caller held in the grant's slot in `before`,
 *   with rights within that cap's rights then; and together fitting distinct
 *   requests of the image's manifest (kind, device name, rights), found by
 *   augmenting paths as the model matches them. QUO-3 and LIFE-1 as for any
 *   process syscall.
 * - SCHED-1 (a successful sched_run): every process in the reply was, in
 *   `before`, a running process of a container, and over every prefix of the
 *   reply each competing container's quanta stay within the bound, computed
 *   with the model's own expression on `before`'s weights (safe integers only).
 * A step invariant the guards do not know (a new one) makes every transition go
 * to the reference.
 * @module
 */
import { KIND_CONTAINER, KIND_DEVICE, KIND_ENDPOINT, KIND_FREE, KIND_PROCESS, KIND_REGION, NONE, NS_COLUMNS, NS_IPC, NS_MOUNT, NS_NET, NS_PID, NS_USER, RES_COUNT, RES_CPU, RES_IO } from '../../impl/tables/objects.js'
import { PLACE_FREE, PLACE_SLOT, PLACE_TABLE } from '../../impl/tables/caps.js'
import type { Kernel } from '../../impl/kernel.js'
import type { Reply } from '../../spec/results.js'
import { R_ALL, R_CONTROL, R_WRITE, isSubset, rightsMask } from '../../spec/rights.js'
import { type Limits, RESERVED_RESOURCES } from '../../spec/limits.js'
import { STEP_INVARIANTS } from '../../spec/invariants/index.js'
import type { Action } from './actions.js'
import type { EncodableKernel } from './impl-canonical.js'

/** The invariants the guards below stand for. */
const GUARDED = new Set(['CAP-3', 'QUO-3', 'ISO-2', 'ISO-3', 'LIFE-1', 'IMG-2', 'SCHED-1'])

/** Table-changing syscalls (ISO-3) and lookups (ISO-2): the namespace column of the table each reads or changes. */
const CHANGED_TABLE: Readonly<Record<string, number>> = {
  mount: NS_MOUNT, unmount: NS_MOUNT, net_bind: NS_NET, net_unbind: NS_NET, svc_register: NS_IPC, svc_unregister: NS_IPC,
}
const LOOKED_UP_TABLE: Readonly<Record<string, number>> = { resolve: NS_MOUNT, net_connect: NS_NET, svc_lookup: NS_IPC }

/** Per action, what its success needs checked. */
const PLAN_REFERENCE = 0
/** A process syscall: QUO-3 and LIFE-1's guards. */
const PLAN_PROCESS = 1
/** cap_revoke: also CAP-3's. */
const PLAN_REVOKE = 2
/** tick: LIFE-1's guard only (QUO-3 is not stated over the clock). */
const PLAN_CLOCK = 3
/** A table change: also ISO-3's. */
const PLAN_TABLE_CHANGE = 4
/** resolve, net_connect, svc_lookup: also ISO-2's. */
const PLAN_LOOKUP = 5
/** process_list: also ISO-2's. */
const PLAN_PROCESS_LIST = 6
/** container_destroy: also LIFE-1's named container. */
const PLAN_DESTROY = 7
/** process_spawn: also IMG-2's. */
const PLAN_SPAWN = 8
/** sched_run: SCHED-1's (LIFE-1 to the reference when a container is gone, as for tick). */
const PLAN_SCHED = 9

/** Whether a syscall field (a caller, a slot) is a natural number, as the guards need it to read it. */
function isNatural(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function planOf(action: Action): number {
  const fields = action as Readonly<Record<string, unknown>>
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return PLAN_REFERENCE
  const kind = fields['kind']
  if (typeof kind !== 'string') return PLAN_REFERENCE
  if (kind === 'tick') return fields['caller'] === undefined ? PLAN_CLOCK : PLAN_REFERENCE
  if (kind === 'sched_run') return fields['caller'] === undefined ? PLAN_SCHED : PLAN_REFERENCE
  if (!isNatural(fields['caller'])) return PLAN_REFERENCE
  if (kind === 'process_spawn') return grantSlotsOf(action) === null || typeof fields['image'] !== 'string' ? PLAN_REFERENCE : PLAN_SPAWN
  if (kind === 'cap_revoke') return isNatural(fields['slot']) ? PLAN_REVOKE : PLAN_REFERENCE
  if (kind in CHANGED_TABLE) return PLAN_TABLE_CHANGE
  if (kind in LOOKED_UP_TABLE) return isNatural(fields['dst']) ? PLAN_LOOKUP : PLAN_REFERENCE
  if (kind === 'process_list') return PLAN_PROCESS_LIST
  if (kind === 'container_destroy') return isNatural(fields['slot']) ? PLAN_DESTROY : PLAN_REFERENCE
  return PLAN_PROCESS
}

/** A spawn's grant slots (each grant's `slot`), or null unless every grant is an object with a natural slot. */
function grantSlotsOf(action: Action): Int32Array | null {
  const grants = (action as Readonly<Record<string, unknown>>)['grants']
  if (!Array.isArray(grants)) return null
  const slots = new Int32Array(grants.length)
  for (let index = 0; index < grants.length; index++) {
    const grant: unknown = grants[index]
    const slot = typeof grant === 'object' && grant !== null ? (grant as Readonly<Record<string, unknown>>)['slot'] : undefined
    if (!isNatural(slot) || slot > 0x7fffffff) return null
    slots[index] = slot
  }
  return slots
}

/** Object kinds by the name a manifest request gives. */
const KIND_CODES: Readonly<Record<string, number>> = { container: KIND_CONTAINER, process: KIND_PROCESS, region: KIND_REGION, endpoint: KIND_ENDPOINT, device: KIND_DEVICE }

/** A manifest request as the IMG-2 guard matches it: the kind's code, the device named (null: any), the rights mask. */
interface RequestFit {
  readonly kind: number
  readonly device: string | null
  readonly rights: number
}

/** What the guards read of a kernel: the encoder's tables, and the images (IMG-2's manifests). */
export type GuardedKernel = EncodableKernel & Pick<Kernel, 'images'>

/** The live object of a serial (model id), or NONE. */
function handleOfSerial(k: EncodableKernel, serial: number): number {
  const objects = k.objects
  for (let handle = 0; handle < objects.top; handle++) if (objects.kind[handle] !== KIND_FREE && objects.serial[handle] === serial) return handle
  return NONE
}

/** A namespace of the expanded state as ISO-2 and ISO-3 read it: serials, not handles (one record per namespace, reused from state to state). */
interface NamespaceBefore {
  id: number
  userNamespace: number
  parent: number | null
  uidBase: number
  /** Its entries: keys, and the serial of each one's cap (a table has a handful: looked up by scanning). */
  readonly keys: string[]
  readonly caps: number[]
  /** How many of `keys` and `caps` are its entries (the lists are reused from state to state). */
  count: number
}

/** The serial of the cap under `key` in a namespace of `before`, or undefined. */
function entryBefore(namespace: NamespaceBefore, key: string): number | undefined {
  const keys = namespace.keys
  for (let index = 0; index < namespace.count; index++) if (keys[index] === key) return namespace.caps[index]
  return undefined
}

/**
 * Serial (a model id: small, non-negative, below the kernel's counter) → a value,
 * in arrays indexed by serial and cleared by moving a stamp on: read once per
 * expanded state, without allocating.
 */
class SerialTable {
  private values = new Int32Array(64)
  private stamps = new Int32Array(64)
  private stamp = 1
  /** Serials outside the arrays' range (never, for our impl: kept for safety). */
  private readonly others = new Map<number, number>()

  clear(): void {
    if (this.others.size > 0) this.others.clear()
    if (++this.stamp === 0x7fffffff) { this.stamp = 1; this.stamps.fill(0) }
  }

  set(serial: number, value: number): void {
    if (!(serial >= 0 && serial < 1 << 20)) { this.others.set(serial, value); return }
    if (serial >= this.values.length) {
      const size = Math.max(serial + 1, this.values.length * 2)
      const values = new Int32Array(size); values.set(this.values); this.values = values
      const stamps = new Int32Array(size); stamps.set(this.stamps); this.stamps = stamps
    }
    this.values[serial] = value
    this.stamps[serial] = this.stamp
  }

  /** The value of `serial`, or undefined when it has none. */
  get(serial: number): number | undefined {
    if (!(serial >= 0 && serial < 1 << 20)) return this.others.get(serial)
    return serial < this.stamps.length && this.stamps[serial] === this.stamp ? this.values[serial] : undefined
  }

  has(serial: number): boolean {
    return this.get(serial) !== undefined
  }
}

/** A caller of the expanded state as the guards read it (no process, or no container: {@link NO_CALLER}, whose namespaces are all -1, so that every guard reading one leaves the step to the reference). */
interface CallerBefore {
  readonly process: number
  /** Its container's namespaces by column (NS_PID, …). */
  readonly namespaces: Int32Array
  readonly uid: number
  /** The pids of processes running with a pid in its pid namespace (read only when the alphabet has a process_list: empty otherwise). */
  readonly visiblePids: ReadonlySet<number>
  /** Per slot, the serial of the object its live cap names (-1: none). */
  readonly slotObjects: Int32Array
}

/** A caller's record, kept per creation index and filled again for each expanded state (no allocation once its CSpace's size is known). */
interface CallerRecord {
  process: number
  readonly namespaces: Int32Array
  uid: number
  readonly visiblePids: Set<number>
  slotObjects: Int32Array
}

const NO_CALLER: CallerBefore = { process: NONE, namespaces: new Int32Array(NS_COLUMNS).fill(-1), uid: 0, visiblePids: new Set(), slotObjects: new Int32Array(0) }

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
  /** Each container's parent's serial (-1: none). */
  private parents = new Int32Array(8)
  /**
   * Per caller ref, which of those containers are within its authority (1);
   * the arrays are kept from state to state, and those of this expanded state
   * are the refs in `authorityRead`.
   */
  private readonly authority = new Map<number, Uint8Array>()
  private readonly authorityRead = new SerialTable()
  /** The serials of the containers whose subtrees are a caller's authority, and their count (reused). */
  private roots = new Int32Array(8)
  private rootCount = 0
  /** The revoke being guarded: the revoked cap's serial in `before`, and the serials of its descendants then. */
  private revokedSerial = -1
  private descendants = new Int32Array(16)
  private descendantCount = 0
  private capSerials = new Int32Array(32)
  private capParents = new Int32Array(32)
  /**
   * What the table, lookup, process_list and LIFE-1 guards read of the expanded
   * state, by serials: taken when a successful step first needs it (the engine
   * steps back to `before` for that, {@link mayBreak}'s `atBefore`), then kept
   * for the expanded state's other transitions. Most tries are refused and
   * never need it.
   */
  private stateRead = false
  /** Its namespaces. */
  private readonly namespacesBefore: NamespaceBefore[] = []
  private namespaceCount = 0
  /** Namespace id → its index in namespacesBefore (ids are small, below the kernel's counter). */
  private readonly namespaceAt = new SerialTable()
  /** Live cap serial → the namespace whose table holds it (-2: not in a table), and → the serial of the object it names (-1: none). */
  private readonly tableCaps = new SerialTable()
  /** The rights of every live cap of `before`, by serial (ISO-2 reads an entry's). */
  private readonly capRights = new SerialTable()
  private readonly capObjects = new SerialTable()
  /** The serials of every live object (each with the value 1). */
  private readonly objectSerials = new SerialTable()
  /** Per caller ref: what its guards read of it. */
  private readonly callers = new Map<number, CallerBefore>()
  /** Per action, its caller and slot fields (read once: actions have as many shapes as syscall kinds). */
  private readonly callerOf: Float64Array
  private readonly slotOf: Float64Array
  /** Per action, a spawn's grant slots (null for other actions). */
  private readonly grantSlots: ReadonlyArray<Int32Array | null>
  /**
   * The spawn being guarded, as `before` holds it: the creation indexes then,
   * whether the caller was a process, and per grant the serial (-1: no live cap)
   * and rights of the cap in the caller's grant slot.
   */
  private refsBefore = 0
  private spawnCaller = false
  private grantSerials = new Int32Array(4)
  private grantRights = new Int32Array(4)
  /** The new process's granted caps, and the matching's scratch: request → the grant holding it, and a visit stamp per request. */
  private grantedCaps = new Int32Array(4)
  private requestHolder = new Int32Array(4)
  private requestSeen = new Int32Array(4)
  private seenStamp = 0
  private readonly requestFits = new WeakMap<object, ReadonlyArray<RequestFit>>()
  /** The sched_run being guarded, as `before` holds it: per creation index the competing container it runs in (its index here; -1: none), and each competing container's weight. */
  private schedContainer = new Int32Array(8)
  private schedHandles = new Int32Array(4)
  private schedWeights = new Float64Array(4)
  private schedReceived = new Float64Array(4)
  private schedCount = 0
  /** A weight that is not a safe integer was read: the reference decides. */
  private schedUnsafe = false

  /** Whether the alphabet has a process_list (whose guard alone reads a caller's visible pids). */
  private readonly listsProcesses: boolean

  constructor(actions: ReadonlyArray<Action>) {
    const known = STEP_INVARIANTS.every((invariant) => GUARDED.has(invariant.id))
    this.plans = Uint8Array.from(actions, (action) => (known ? planOf(action) : PLAN_REFERENCE))
    this.listsProcesses = this.plans.includes(PLAN_PROCESS_LIST)
    this.grantSlots = actions.map((action, index) => (this.plans[index] === PLAN_SPAWN ? grantSlotsOf(action) : null))
    // Natural numbers for every plan that reads them (planOf checked them): -1 where none is read.
    const field = (name: string): Float64Array => Float64Array.from(actions, (action, index) => {
      const value = (action as Readonly<Record<string, unknown>>)[name]
      return this.plans[index] !== PLAN_REFERENCE && isNatural(value) ? value : -1
    })
    this.callerOf = field('caller')
    this.slotOf = field('slot')
    // A loop, not a spread: a declared system's alphabet can have a million actions.
    let grants = 4
    for (const slots of this.grantSlots) grants = Math.max(grants, slots?.length ?? 0)
    this.grantSerials = new Int32Array(grants)
    this.grantRights = new Int32Array(grants)
    this.grantedCaps = new Int32Array(grants)
  }

  /** Reads the expanded state (the kernel is there). */
  load(k: EncodableKernel): void {
    const objects = k.objects
    this.count = 0
    this.authorityRead.clear()
    this.stateRead = false
    this.callers.clear()
    for (let handle = 0; handle < objects.top; handle++) {
      if (objects.kind[handle] !== KIND_CONTAINER) continue
      if (this.count === this.handles.length) this.grow()
      const at = this.count++
      this.handles[at] = handle
      this.serials[at] = objects.serial[handle]!
      const row = objects.row[handle]! * RES_COUNT
      for (let column = 0; column < RES_COUNT; column++) this.usage[at * RES_COUNT + column] = objects.rows.usage[row + column]!
      this.limits[at] = objects.limits[handle]
      const parent = objects.parent[handle]!
      this.parents[at] = parent === NONE ? -1 : objects.serial[parent]!
    }
  }

  private grow(): void {
    const size = this.handles.length * 2
    const handles = new Int32Array(size); handles.set(this.handles); this.handles = handles
    const serials = new Int32Array(size); serials.set(this.serials); this.serials = serials
    const parents = new Int32Array(size); parents.set(this.parents); this.parents = parents
    const usage = new Float64Array(size * RES_COUNT); usage.set(this.usage); this.usage = usage
  }

  /** Before stepping action `index` from the expanded state: what its guard needs of `before`. */
  beforeStep(k: EncodableKernel, index: number): void {
    const plan = this.plans[index]!
    if (plan === PLAN_REFERENCE || plan === PLAN_CLOCK) return
    if (plan === PLAN_SCHED) { this.recordSched(k); return }
    const caller = this.callerOf[index]!
    this.readAuthority(k, caller)
    if (plan === PLAN_REVOKE) this.recordRevoke(k, caller, this.slotOf[index]!)
    else if (plan === PLAN_SPAWN) this.recordSpawn(k, caller, this.grantSlots[index]!)
    else if ((plan === PLAN_TABLE_CHANGE || plan === PLAN_LOOKUP || plan === PLAN_PROCESS_LIST || plan === PLAN_DESTROY) && (!this.stateRead || !this.callers.has(caller))) {
      // These guards always read `before`: read now, while the kernel is there, rather than step back to it after the step.
      this.reading = k
      this.readingCaller = caller
      this.readBefore()
      this.reading = null
    }
  }

  /**
   * After a successful step of action `index` (with `reply`): might a step
   * invariant be broken (run the reference)? `atBefore(read)` runs `read` with
   * the kernel in the expanded state and brings it back to the successor; it is
   * called at most once per expanded state and caller.
   */
  mayBreak(k: GuardedKernel, index: number, action: Action, reply: Reply, atBefore: (read: () => void) => void): boolean {
    const plan = this.plans[index]!
    if (plan === PLAN_REFERENCE) return true
    const gone = this.containerGone(k)
    if (plan === PLAN_CLOCK) return gone
    if (plan === PLAN_SCHED) return gone || this.schedSuspect(reply)
    const caller = this.callerOf[index]!
    if (this.foreignChanged(k, this.authority.get(caller)!)) return true
    if (plan === PLAN_PROCESS) {
      if (!gone) return false
    } else if (plan === PLAN_REVOKE) {
      if (this.revokeSuspect(k, caller, this.slotOf[index]!)) return true
      if (!gone) return false
    } else if (plan === PLAN_SPAWN) {
      if (this.spawnSuspect(k, this.grantSlots[index]!, (action as Readonly<Record<string, unknown>>)['image'] as string)) return true
      if (!gone) return false
    }
    // The rest reads `before`.
    if (!this.stateRead || !this.callers.has(caller)) {
      this.reading = k
      this.readingCaller = caller
      atBefore(this.readBefore)
      this.reading = null
    }
    const before = this.callers.get(caller)!
    if (gone && this.life1Suspect(k)) return true
    switch (plan) {
      case PLAN_DESTROY: {
        // A caller read as no process, or as one without a container, is left to the reference.
        if (before.process === NONE) return true
        const slot = this.slotOf[index]!
        const target = slot < before.slotObjects.length ? before.slotObjects[slot]! : -1
        return target >= 0 && handleOfSerial(k, target) !== NONE
      }
      case PLAN_TABLE_CHANGE: return this.tableChangeSuspect(k, before, CHANGED_TABLE[String(action.kind)]!)
      case PLAN_LOOKUP: return this.lookupSuspect(k, before, LOOKED_UP_TABLE[String(action.kind)]!, caller, (action as Readonly<Record<string, number>>)['dst']!)
      case PLAN_PROCESS_LIST: return this.processListSuspect(before, reply)
      default: return false
    }
  }

  /** What {@link readBefore} reads: the kernel (in the expanded state while it runs) and the caller. */
  private reading: EncodableKernel | null = null
  private readingCaller = 0
  /** `atBefore`'s reader, made once: the expanded state and the caller, whichever is not read yet. */
  private readonly readBefore = (): void => {
    const k = this.reading!
    const caller = this.readingCaller
    if (!this.stateRead) this.readState(k)
    if (!this.callers.has(caller)) this.callers.set(caller, this.readCaller(k, caller))
  }

  // ---- QUO-3 ----------------------------------------------------------------------

  /**
   * Flags of the expanded state's containers within the caller's authority: its
   * container's subtree and those of containers it holds a control cap to. A
   * caller that is no process, or has no container, gets all flags set: QUO-3
   * says nothing of its step.
   */
  private authorityOf(k: EncodableKernel, ref: number, flags: Uint8Array): void {
    flags.fill(0)
    const { objects, caps } = k
    const process = processOfRef(k, ref)
    const owner = process === NONE ? NONE : objects.owner[process]!
    if (owner === NONE) { flags.fill(1); return }
    this.rootCount = 0
    this.addRoot(objects.serial[owner]!)
    const cspace = objects.cspace[process]
    if (cspace !== null && cspace !== undefined) {
      for (let slot = 0; slot < cspace.length; slot++) {
        const cap: number = cspace[slot]!
        if (cap === NONE || caps.place[cap] === PLACE_FREE || (caps.rights[cap]! & R_CONTROL) === 0) continue
        const object = caps.object[cap]!
        if (object !== NONE && objects.kind[object] === KIND_CONTAINER) this.addRoot(objects.serial[object]!)
      }
    }
    for (let at = 0; at < this.count; at++) {
      // Up the parent chain (bounded: a mutant's tables may hold a cycle; then not authorised, and the reference decides).
      let handle = this.handles[at]!
      for (let steps = 0; handle !== NONE && steps <= objects.top; steps++) {
        if (objects.kind[handle] !== KIND_CONTAINER) break
        if (this.isRoot(objects.serial[handle]!)) { flags[at] = 1; break }
        handle = objects.parent[handle]!
      }
    }
  }

  private addRoot(serial: number): void {
    if (this.rootCount === this.roots.length) { const roots = new Int32Array(2 * this.roots.length); roots.set(this.roots); this.roots = roots }
    this.roots[this.rootCount++] = serial
  }

  private isRoot(serial: number): boolean {
    for (let index = 0; index < this.rootCount; index++) if (this.roots[index] === serial) return true
    return false
  }

  /** Computes the caller's authority flags for this expanded state, unless they are already. */
  private readAuthority(k: EncodableKernel, ref: number): void {
    if (this.authorityRead.has(ref)) return
    let flags = this.authority.get(ref)
    if (flags === undefined || flags.length !== this.count) this.authority.set(ref, flags = new Uint8Array(this.count))
    this.authorityOf(k, ref, flags)
    this.authorityRead.set(ref, 1)
  }

  /** The live handle of an object serial, or NONE. */
  private handleOf(k: EncodableKernel, at: number): number {
    const objects = k.objects
    const handle = this.handles[at]!
    const serial = this.serials[at]!
    if (objects.kind[handle] === KIND_CONTAINER && objects.serial[handle] === serial) return handle
    return handleOfSerial(k, serial)
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

  /**
   * After a step that took containers of `before` away: does anything remain of
   * them (an object they owned, a namespace they created, a cap to an object
   * gone), or does a live parent still reserve for them?
   */
  private life1Suspect(k: EncodableKernel): boolean {
    const { objects, caps } = k
    const live = new Set<number>()
    for (let handle = 0; handle < objects.top; handle++) if (objects.kind[handle] !== KIND_FREE) live.add(objects.serial[handle]!)
    const gone = new Set<number>()
    for (let at = 0; at < this.count; at++) if (!live.has(this.serials[at]!)) gone.add(this.serials[at]!)
    for (let handle = 0; handle < objects.top; handle++) {
      if (objects.kind[handle] === KIND_FREE) continue
      const owner = objects.owner[handle]!
      if (owner !== NONE && gone.has(objects.serial[owner]!)) return true
    }
    for (let cap = 0; cap < caps.top; cap++) {
      if (caps.place[cap] === PLACE_FREE) continue
      const object = caps.object[cap]!
      if (object === NONE) return true
      const serial = objects.serial[object]!
      if (this.objectSerials.has(serial) && !live.has(serial)) return true
    }
    for (const record of k.namespaces.records.values()) if (gone.has(record.creator)) return true
    for (let at = 0; at < this.count; at++) {
      if (!gone.has(this.serials[at]!) || this.parents[at] === -1) continue
      if (this.reservationKept(k, this.parents[at]!, gone) || this.usageRose(k, this.parents[at]!)) return true
    }
    return false
  }

  /** Has live container `parent` (a serial) any usage higher than in `before`? (Its reservations returned must not become usage.) */
  private usageRose(k: EncodableKernel, parent: number): boolean {
    const objects = k.objects
    for (let at = 0; at < this.count; at++) {
      if (this.serials[at] !== parent) continue
      const handle = this.handleOf(k, at)
      if (handle === NONE || objects.kind[handle] !== KIND_CONTAINER) return false
      const row = objects.row[handle]! * RES_COUNT
      for (let column = 0; column < RES_COUNT; column++) if (objects.rows.usage[row + column]! > this.usage[at * RES_COUNT + column]!) return true
      return false
    }
    return false
  }

  /** Does live container `parent` (a serial) reserve, after the step, more than before less its gone children's limits, for some resource? */
  private reservationKept(k: EncodableKernel, parent: number, gone: ReadonlySet<number>): boolean {
    const objects = k.objects
    const handle = handleOfSerial(k, parent)
    if (handle === NONE || objects.kind[handle] !== KIND_CONTAINER) return false
    for (const resource of RESERVED_RESOURCES) {
      let before = 0
      let returned = 0
      for (let at = 0; at < this.count; at++) {
        if (this.parents[at] !== parent) continue
        const amount = (this.limits[at] as Limits | null)?.[resource] ?? Number.NaN
        before += amount
        if (gone.has(this.serials[at]!)) returned += amount
      }
      let after = 0
      for (let other = 0; other < objects.top; other++) {
        if (objects.kind[other] !== KIND_CONTAINER) continue
        const up = objects.parent[other]!
        if (up === NONE || objects.serial[up] !== parent) continue
        after += objects.limits[other]?.[resource] ?? Number.NaN
      }
      // Exact sums only (the model adds in its own order): anything else goes to the reference.
      if (!Number.isSafeInteger(before) || !Number.isSafeInteger(after) || !Number.isSafeInteger(returned)) return true
      if (after > before - returned) return true
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

  // ---- IMG-2 ----------------------------------------------------------------------

  /** Before a spawn by `ref`: the creation indexes, whether the caller is a process, and the cap in each grant slot (serial, rights). */
  private recordSpawn(k: EncodableKernel, ref: number, slots: Int32Array): void {
    this.refsBefore = k.refs.count
    this.spawnCaller = processOfRef(k, ref) !== NONE
    for (let grant = 0; grant < slots.length; grant++) {
      const cap = this.capAt(k, ref, slots[grant]!)
      this.grantSerials[grant] = cap === NONE ? -1 : k.caps.serial[cap]!
      this.grantRights[grant] = cap === NONE ? 0 : k.caps.rights[cap]!
    }
  }

  /** The manifest's requests of image `digest` as the guard matches them (none when the kernel has no record of it), kept per requests list. */
  private fitsOf(k: GuardedKernel, digest: string): ReadonlyArray<RequestFit> {
    const requests = k.images.get(digest)?.record.manifest.requests
    if (requests === undefined) return []
    let fits = this.requestFits.get(requests)
    if (fits === undefined) {
      fits = requests.map((request) => ({ kind: KIND_CODES[request.kind] ?? -1, device: request.device ?? null, rights: rightsMask(request.rights) }))
      this.requestFits.set(requests, fits)
    }
    return fits
  }

  /**
   * After a successful spawn with grant `slots` of image `digest`: is the new
   * process missing, or a slot of it other than one live granted cap per grant
   * (in order) and empty slots after them, or a granted cap not a child of the
   * caller's cap in its grant slot then, or with rights beyond it, or are the
   * granted caps not matched to distinct manifest requests they fit?
   */
  private spawnSuspect(k: GuardedKernel, slots: Int32Array, digest: string): boolean {
    const { objects, caps } = k
    if (!this.spawnCaller) return true
    const ref = k.refs.count - 1
    if (ref < this.refsBefore) return true
    const process = processOfRef(k, ref)
    if (process === NONE) return true
    const cspace = objects.cspace[process]
    const count = slots.length
    if (cspace === null || cspace === undefined || cspace.length < count) return true
    for (let slot = 0; slot < cspace.length; slot++) {
      const cap: number = cspace[slot]!
      if (slot >= count) {
        if (cap !== NONE) return true
        continue
      }
      if (cap === NONE || caps.place[cap] !== PLACE_SLOT || caps.where[cap] !== process || caps.slot[cap] !== slot) return true
      const parent = caps.parent[cap]!
      const expected = this.grantSerials[slot]!
      if (parent === NONE || caps.serial[parent] !== expected) return true
      if (!isSubset(caps.rights[cap]!, this.grantRights[slot]!)) return true
      this.grantedCaps[slot] = cap
    }
    return !this.grantsMatched(k, this.fitsOf(k, digest), count)
  }

  /** Can the first `count` granted caps each be charged to a distinct request they fit? Augmenting paths, as the model's unmatchedGrants. */
  private grantsMatched(k: GuardedKernel, fits: ReadonlyArray<RequestFit>, count: number): boolean {
    if (count > fits.length) return false
    if (this.requestHolder.length < fits.length) { this.requestHolder = new Int32Array(2 * fits.length); this.requestSeen = new Int32Array(2 * fits.length) }
    this.requestHolder.fill(-1, 0, fits.length)
    for (let grant = 0; grant < count; grant++) {
      if (++this.seenStamp === 0x7fffffff) { this.seenStamp = 1; this.requestSeen.fill(0) }
      if (!this.augment(k, fits, grant)) return false
    }
    return true
  }

  private augment(k: GuardedKernel, fits: ReadonlyArray<RequestFit>, grant: number): boolean {
    const { objects, caps } = k
    const cap = this.grantedCaps[grant]!
    const object = caps.object[cap]!
    // A cap to no live object fits no request (the model finds no kind for it).
    if (object === NONE || objects.kind[object] === KIND_FREE) return false
    const kind = objects.kind[object]!
    for (let request = 0; request < fits.length; request++) {
      if (this.requestSeen[request] === this.seenStamp) continue
      const fit = fits[request]!
      if (fit.kind !== kind || !isSubset(caps.rights[cap]!, fit.rights)) continue
      if (fit.device !== null && (kind !== KIND_DEVICE || objects.text[object] !== fit.device)) continue
      this.requestSeen[request] = this.seenStamp
      const holder = this.requestHolder[request]!
      if (holder === -1 || this.augment(k, fits, holder)) {
        this.requestHolder[request] = grant
        return true
      }
    }
    return false
  }

  // ---- SCHED-1 --------------------------------------------------------------------

  /** Before a sched_run: per creation index, the competing container its running process belongs to, and each one's weight (the model's competingWeights). */
  private recordSched(k: EncodableKernel): void {
    const objects = k.objects
    const refs = k.refs.count
    this.refsBefore = refs
    this.schedCount = 0
    this.schedUnsafe = false
    if (this.schedContainer.length < refs) this.schedContainer = new Int32Array(2 * refs)
    for (let ref = 0; ref < refs; ref++) {
      this.schedContainer[ref] = -1
      const process = processOfRef(k, ref)
      if (process === NONE || objects.running[process] !== 1) continue
      const owner = objects.owner[process]!
      if (owner === NONE || objects.kind[owner] !== KIND_CONTAINER) continue
      let at = 0
      while (at < this.schedCount && this.schedHandles[at] !== owner) at++
      if (at === this.schedCount) {
        if (at === this.schedHandles.length) this.growSched()
        const weight = (objects.limits[owner] as Limits | null)?.cpuWeight ?? Number.NaN
        if (!Number.isSafeInteger(weight)) this.schedUnsafe = true
        this.schedHandles[at] = owner
        this.schedWeights[at] = weight
        this.schedCount++
      }
      this.schedContainer[ref] = at
    }
  }

  private growSched(): void {
    const size = 2 * this.schedHandles.length
    const handles = new Int32Array(size); handles.set(this.schedHandles); this.schedHandles = handles
    const weights = new Float64Array(size); weights.set(this.schedWeights); this.schedWeights = weights
    this.schedReceived = new Float64Array(size)
  }

  /** After a successful sched_run: did a quantum go to no running process of a competing container, or does a prefix leave a container's share by more than the bound? */
  private schedSuspect(reply: Reply): boolean {
    if (reply.kind !== 'ran') return false
    if (this.schedUnsafe) return true
    const count = this.schedCount
    let total = 0
    for (let at = 0; at < count; at++) total += this.schedWeights[at]!
    if (!Number.isSafeInteger(total)) return true
    const received = this.schedReceived
    received.fill(0, 0, count)
    const processes = reply.processes
    for (let index = 0; index < processes.length; index++) {
      const ref = processes[index]!
      if (!(Number.isInteger(ref) && ref >= 0 && ref < this.refsBefore)) return true
      const container = this.schedContainer[ref]!
      if (container === -1) return true
      received[container]!++
      const prefix = index + 1
      for (let at = 0; at < count; at++) {
        if (!(Math.abs(received[at]! * total - prefix * this.schedWeights[at]!) <= count * total)) return true
      }
    }
    return false
  }

  // ---- reading `before` --------------------------------------------------------------

  /**
   * The expanded state's namespaces, where its live caps are and what they name,
   * and its live objects, by serial as the model's maps hold them (a later cap
   * of a serial replaces an earlier one, as in the abstraction's map).
   */
  private readState(k: EncodableKernel): void {
    const { objects, caps } = k
    this.tableCaps.clear()
    this.capRights.clear()
    this.capObjects.clear()
    for (let cap = 0; cap < caps.top; cap++) {
      const place = caps.place[cap]
      if (place === PLACE_FREE) continue
      const object = caps.object[cap]!
      this.tableCaps.set(caps.serial[cap]!, place === PLACE_TABLE ? caps.where[cap]! : -2)
      this.capRights.set(caps.serial[cap]!, caps.rights[cap]!)
      this.capObjects.set(caps.serial[cap]!, object === NONE ? -1 : objects.serial[object]!)
    }
    this.namespaceAt.clear()
    this.namespaceCount = 0
    for (const record of k.namespaces.records.values()) {
      if (this.namespaceCount === this.namespacesBefore.length) this.namespacesBefore.push({ id: 0, userNamespace: 0, parent: null, uidBase: 0, keys: [], caps: [], count: 0 })
      const namespace = this.namespacesBefore[this.namespaceCount]!
      this.namespaceAt.set(record.id, this.namespaceCount++)
      namespace.id = record.id
      namespace.userNamespace = record.userNamespace
      namespace.parent = record.parent
      namespace.uidBase = record.uidMap.base
      namespace.count = 0
      for (const [key, cap] of record.entries) {
        namespace.keys[namespace.count] = key
        namespace.caps[namespace.count++] = caps.serial[cap]!
      }
    }
    this.objectSerials.clear()
    for (let handle = 0; handle < objects.top; handle++) if (objects.kind[handle] !== KIND_FREE) this.objectSerials.set(objects.serial[handle]!, 1)
    this.stateRead = true
  }

  /** Caller records by creation index, reused from one expanded state to the next (see {@link callers}). */
  private readonly callerRecords = new Map<number, CallerRecord>()

  /** A caller as its guards read it in the expanded state (its record is valid until the next state is loaded). */
  private readCaller(k: EncodableKernel, ref: number): CallerBefore {
    const { objects, caps } = k
    const process = processOfRef(k, ref)
    const owner = process === NONE ? NONE : objects.owner[process]!
    if (owner === NONE || objects.kind[owner] !== KIND_CONTAINER) return NO_CALLER
    let record = this.callerRecords.get(ref)
    if (record === undefined) {
      record = { process, namespaces: new Int32Array(NS_COLUMNS), uid: 0, visiblePids: new Set(), slotObjects: new Int32Array(0) }
      this.callerRecords.set(ref, record)
    }
    record.process = process
    record.uid = objects.uid[process]!
    const { namespaces, visiblePids } = record
    namespaces.set(objects.rows.namespaces.subarray(objects.row[owner]! * NS_COLUMNS, (objects.row[owner]! + 1) * NS_COLUMNS))
    visiblePids.clear()
    // Read by process_list's guard alone: a pass over every object per caller and state, skipped when the alphabet lists no processes.
    if (this.listsProcesses) {
      for (let handle = 0; handle < objects.top; handle++) {
        if (objects.kind[handle] !== KIND_PROCESS || objects.running[handle] !== 1) continue
        const pid = objects.pids[handle]?.get(namespaces[NS_PID]!)
        if (pid !== undefined) visiblePids.add(pid)
      }
    }
    const cspace = objects.cspace[process]
    const length = cspace?.length ?? 0
    if (record.slotObjects.length !== length) record.slotObjects = new Int32Array(length)
    const slotObjects = record.slotObjects
    for (let slot = 0; slot < length; slot++) {
      const cap = cspace![slot]!
      const object = cap === NONE || caps.place[cap] === PLACE_FREE ? NONE : caps.object[cap]!
      slotObjects[slot] = object === NONE ? -1 : objects.serial[object]!
    }
    return record
  }

  // ---- ISO-2, ISO-3 ---------------------------------------------------------------

  /** The caller's uid in user namespace `target` of `before` (the model's uidIn), or null when its chain does not reach it. */
  private uidIn(caller: CallerBefore, target: number): number | null {
    let uid = caller.uid
    // Up the parent chain (bounded: a mutant's tables may hold a cycle).
    for (let at: number | null = caller.namespaces[NS_USER]!, steps = 0; at !== null && steps <= this.namespaceCount; steps++) {
      if (at === target) return uid
      const index = this.namespaceAt.get(at)
      if (index === undefined) return null
      const namespace = this.namespacesBefore[index]!
      uid += namespace.uidBase
      at = namespace.parent
    }
    return null
  }

  /** The caller's uid in the root user namespace of `before` (the model's hostUid): its uid plus every base up the chain (bounded as {@link uidIn}; null past the bound). */
  private hostUid(caller: CallerBefore): number | null {
    let uid = caller.uid
    for (let at: number | null = caller.namespaces[NS_USER]!, steps = 0; at !== null; steps++) {
      const index = this.namespaceAt.get(at)
      if (index === undefined || steps > this.namespaceCount) return null
      const namespace = this.namespacesBefore[index]!
      uid += namespace.uidBase
      at = namespace.parent
    }
    return uid
  }

  /**
   * ISO-3: is a table the step changed, or the caller's own of the kind
   * (`column`), owned by a user namespace where the caller's uid is not 0, or
   * by an ancestor of the caller's own where its host uid is not 0?
   */
  private tableChangeSuspect(k: EncodableKernel, caller: CallerBefore, column: number): boolean {
    const own = caller.namespaces[column]!
    if (own < 0) return true
    for (let index = 0; index < this.namespaceCount; index++) {
      const namespace = this.namespacesBefore[index]!
      if (namespace.id !== own && !this.entriesChanged(k, namespace)) continue
      if (this.uidIn(caller, namespace.userNamespace) !== 0) return true
      if (namespace.userNamespace !== caller.namespaces[NS_USER] && this.hostUid(caller) !== 0) return true
    }
    return false
  }

  /** The model's changedTables for one namespace of `before`: an entry added or replaced, or removed while its cap's object lives. */
  private entriesChanged(k: EncodableKernel, namespace: NamespaceBefore): boolean {
    const record = k.namespaces.records.get(namespace.id)
    if (record === undefined) return false
    const serials = k.caps.serial
    for (const [key, cap] of record.entries) if (entryBefore(namespace, key) !== serials[cap]) return true
    for (let index = 0; index < namespace.count; index++) {
      if (record.entries.has(namespace.keys[index]!)) continue
      const cap = namespace.caps[index]!
      // Removed: a change unless the cap was no live cap of `before` or its object is gone.
      const object = this.capObjects.get(cap)
      if (object !== undefined && (object < 0 || handleOfSerial(k, object) !== NONE)) return true
    }
    return false
  }

  /** ISO-2 (lookups): is the cap now in `dst` not a child of an entry of the caller's own table of the kind (`column`) in `before`, or given more than the lookup hands out of it? */
  private lookupSuspect(k: EncodableKernel, caller: CallerBefore, column: number, ref: number, dst: number): boolean {
    const own = caller.namespaces[column]!
    if (own < 0) return true
    const process = processOfRef(k, ref)
    const cspace = process === NONE ? null : k.objects.cspace[process]
    if (cspace === null || cspace === undefined || dst >= cspace.length) return true
    const cap = cspace[dst]!
    if (cap === NONE || k.caps.place[cap] === PLACE_FREE) return true
    const parent = k.caps.parent[cap]!
    if (parent === NONE) return true
    const serial = k.caps.serial[parent]!
    if (this.tableCaps.get(serial) !== own) return true
    // kernel.md §6: resolve hands out the entry's rights at most, net_connect and svc_lookup write of them at most.
    const entryRights = this.capRights.get(serial)
    return entryRights === undefined || !isSubset(k.caps.rights[cap]!, entryRights & (column === NS_MOUNT ? R_ALL : R_WRITE))
  }

  /** ISO-2 (process_list): is a pid answered not that of a process running in the caller's pid namespace? */
  private processListSuspect(caller: CallerBefore, reply: Reply): boolean {
    if (reply.kind !== 'pids') return false
    if (caller.namespaces[NS_PID]! < 0) return true
    for (const pid of reply.pids) if (!caller.visiblePids.has(pid)) return true
    return false
  }
}
