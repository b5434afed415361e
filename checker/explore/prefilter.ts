/**
 * Actions that cannot apply, told without stepping (general.ts): most of an
 * alphabet is refused in most states (on cap-core, over 90 % of the actions
 * tried), and a refused syscall is no transition. Each handler of the impl
 * looks up its slot arguments before it changes anything (impl/checks.ts:
 * `lookupSlot`, `lookupCapTo`, `ensureEmptySlot`), so a syscall whose caller is
 * not a running process, whose source slot is empty, out of range, of another
 * object kind or short of the rights the handler asks there, or whose
 * destination slot is taken or out of range, is refused, whatever else it
 * names. So is a send to a full queue or a receive from an empty one, a
 * lookup or removal of a key the caller's table does not hold, and a binding
 * of a key it holds already. Those requirements, read off the handlers, are
 * the tables below; the engine skips an action that breaks one. Refused is
 * refused whichever check fails first, so the order of the checks does not
 * matter.
 *
 * It holds for our impl only (a kernel target of its own is stepped on every
 * action); with `verifyGuards` the engine steps the skipped actions anyway and
 * fails if one succeeds, and the differential tests count the same transitions
 * as the model engine.
 * @module
 */
import { KIND_CONTAINER, KIND_DEVICE, KIND_ENDPOINT, KIND_PROCESS, KIND_REGION, NONE, NS_COLUMNS, NS_IPC, NS_MOUNT, NS_NET } from '../../impl/tables/objects.js'
import { R_CONTROL, R_GRANT, R_READ, R_WRITE, type RightName, RIGHT_NAMES } from '../../spec/rights.js'
import type { Action } from './actions.js'
import type { EncodableKernel } from './impl-canonical.js'

/** What a slot argument must be: a cap (of `kind`, 0: any, with `rights`, naming an endpoint whose queue is `queue`), an empty slot, or a slot at all (in the CSpace). */
const NEED_FULL = 0
const NEED_EMPTY = 1
const NEED_RANGE = 2
/** The queue of the endpoint a full slot names: any, one with room (a send), one with a message (a receive). */
const QUEUE_ANY = 0
const QUEUE_ROOM = 1
const QUEUE_MESSAGE = 2

interface Requirement {
  readonly field: string
  readonly need: number
  readonly kind?: number
  readonly rights?: (call: Readonly<Record<string, unknown>>) => number
  readonly queue?: number
}

const full = (field: string, kind = 0, rights?: Requirement['rights'], queue = QUEUE_ANY): Requirement => ({ field, need: NEED_FULL, kind, queue, ...(rights === undefined ? {} : { rights }) })
const empty = (field: string): Requirement => ({ field, need: NEED_EMPTY })
const inRange = (field: string): Requirement => ({ field, need: NEED_RANGE })
const constant = (mask: number) => () => mask

/** The mask of a list of right names, or -1 when it is not one (then the action is not filtered on it). */
function maskOf(rights: unknown): number {
  if (!Array.isArray(rights)) return -1
  let mask = 0
  for (const name of rights) {
    const bit = RIGHT_NAMES.indexOf(name as RightName)
    if (bit < 0) return -1
    mask |= 1 << bit
  }
  return mask
}

/** What each handler looks up before it changes anything (impl/objects/*.ts). */
const REQUIREMENTS: Readonly<Record<string, ReadonlyArray<Requirement>>> = {
  cap_copy: [full('src', 0, (call) => maskOf(call['rights'])), empty('dst')],
  cap_move: [full('src'), empty('dst')],
  cap_delete: [full('slot')],
  cap_revoke: [full('slot')],
  cap_inspect: [full('slot')],
  ep_create: [empty('dst')],
  ep_send: [full('slot', KIND_ENDPOINT, (call) => R_WRITE | (call['xfer'] === undefined ? 0 : R_GRANT), QUEUE_ROOM), full('xfer')],
  ep_recv: [full('slot', KIND_ENDPOINT, constant(R_READ), QUEUE_MESSAGE), inRange('dst')],
  mem_alloc: [empty('dst')],
  mem_map: [full('slot', KIND_REGION)],
  mem_unmap: [full('slot', KIND_REGION)],
  io_submit: [full('slot', KIND_DEVICE, constant(R_WRITE))],
  container_create: [full('parent', KIND_CONTAINER, constant(R_CONTROL)), empty('dst')],
  container_destroy: [full('slot', KIND_CONTAINER, constant(R_CONTROL))],
  container_set_limits: [full('slot', KIND_CONTAINER, constant(R_CONTROL))],
  process_spawn: [full('container', KIND_CONTAINER, constant(R_CONTROL)), empty('dst')],
  process_kill: [full('slot', KIND_PROCESS, constant(R_CONTROL))],
  mount: [full('slot', 0, (call) => maskOf(call['rights']))],
  resolve: [empty('dst')],
  net_bind: [full('slot', KIND_ENDPOINT, constant(R_READ))],
  net_connect: [empty('dst')],
  svc_register: [full('slot', KIND_ENDPOINT, constant(R_READ))],
  svc_lookup: [empty('dst')],
}

/**
 * The table a namespace syscall reads in its caller's container (impl/objects/namespaces.ts),
 * the key it names there, and whether the key must be bound (a lookup, a removal)
 * or free (a binding) for the syscall to go on.
 */
interface TableRequirement {
  readonly column: number
  readonly key: (call: Readonly<Record<string, unknown>>) => unknown
  readonly bound: boolean
}

const path = (call: Readonly<Record<string, unknown>>): unknown => call['path']
const port = (call: Readonly<Record<string, unknown>>): unknown => (call['port'] === undefined ? undefined : String(call['port']))
const name = (call: Readonly<Record<string, unknown>>): unknown => call['name']

const TABLE_REQUIREMENTS: Readonly<Record<string, TableRequirement>> = {
  mount: { column: NS_MOUNT, key: path, bound: false },
  unmount: { column: NS_MOUNT, key: path, bound: true },
  resolve: { column: NS_MOUNT, key: path, bound: true },
  net_bind: { column: NS_NET, key: port, bound: false },
  net_unbind: { column: NS_NET, key: port, bound: true },
  net_connect: { column: NS_NET, key: port, bound: true },
  svc_register: { column: NS_IPC, key: name, bound: false },
  svc_unregister: { column: NS_IPC, key: name, bound: true },
  svc_lookup: { column: NS_IPC, key: name, bound: true },
}

/** {@link Prefilter.refusal}'s answers. */
export const PASSES = 0
export const REFUSED = 1
export const GROUP_REFUSED = 2

/** The reasons {@link Prefilter.skips} counts: the caller is no running process; a slot argument is out of range, empty, taken or of another kind; a cap is short of rights; an endpoint's queue is full (a send) or empty (a receive); a table key is bound or free against the syscall. */
export const SKIP_NOT_RUNNING = 0
export const SKIP_SLOT = 1
export const SKIP_RIGHTS = 2
export const SKIP_QUEUE = 3
export const SKIP_TABLE = 4
export const SKIP_REASONS = 5

/** One requirement of one action, compiled: slot number, what it needs, kind, rights, queue. */
interface Check { readonly slot: number; readonly need: number; readonly kind: number; readonly rights: number; readonly queue: number }

/** An action's table requirement, compiled (column -1: none). */
interface TableCheck { readonly column: number; readonly key: string; readonly bound: boolean }

const NO_TABLE_CHECK: TableCheck = { column: -1, key: '', bound: false }

/** The compiled requirements of an alphabet, and the callers' handles in the expanded state. */
export class Prefilter {
  /** Per action: its caller's ref (-1: not filtered), its slot checks and its table check. */
  private readonly callers: Int32Array
  private readonly checks: ReadonlyArray<ReadonlyArray<Check>>
  private readonly tableChecks: ReadonlyArray<TableCheck>
  /** Per caller ref: its handle when a running process in the expanded state, else NONE. */
  private running = new Int32Array(4)
  /**
   * Per action: the end (exclusive) of the run of consecutive actions with its
   * caller and its requirements, rights aside (cap-core's 32 copies of one
   * source to one destination): refused whatever the rights, all of them are.
   */
  readonly groupEnd: Int32Array
  /**
   * Refusals told, by reason (tests read them to show each kind of check is
   * reached): {@link SKIP_NOT_RUNNING}, {@link SKIP_SLOT}, {@link SKIP_RIGHTS},
   * {@link SKIP_QUEUE}, {@link SKIP_TABLE}.
   */
  readonly skips = new Float64Array(SKIP_REASONS)

  constructor(actions: ReadonlyArray<Action>) {
    this.callers = new Int32Array(actions.length).fill(-1)
    const tableChecks: TableCheck[] = actions.map(() => NO_TABLE_CHECK)
    this.checks = actions.map((action, index) => {
      const call = action as Readonly<Record<string, unknown>>
      if (typeof call !== 'object' || call === null || Array.isArray(call)) return []
      const caller = call['caller']
      if (typeof caller !== 'number' || !Number.isSafeInteger(caller) || caller < 0) return []
      this.callers[index] = caller
      if (caller >= this.running.length) this.running = new Int32Array(caller + 1)
      const compiled: Check[] = []
      for (const requirement of REQUIREMENTS[call['kind'] as string] ?? []) {
        const slot = call[requirement.field]
        // Absent (an optional slot, like ep_send's xfer) or malformed: no check here (the handler refuses a malformed one itself).
        if (typeof slot !== 'number' || !Number.isSafeInteger(slot) || slot < 0) continue
        const rights = requirement.rights?.(call) ?? 0
        compiled.push({ slot, need: requirement.need, kind: requirement.kind ?? 0, rights: rights < 0 ? 0 : rights, queue: requirement.queue ?? QUEUE_ANY })
      }
      const table = TABLE_REQUIREMENTS[call['kind'] as string]
      const key = table?.key(call)
      // A malformed key: no check here (the handler refuses it itself).
      if (table !== undefined && typeof key === 'string') tableChecks[index] = { column: table.column, key, bound: table.bound }
      return compiled
    })
    this.tableChecks = tableChecks
    this.groupEnd = new Int32Array(actions.length)
    for (let end = actions.length, index = actions.length - 1; index >= 0; index--) {
      if (index + 1 < actions.length && !this.sameGroup(index, index + 1)) end = index + 1
      this.groupEnd[index] = end
    }
  }

  /** Do actions `a` and `b` have one caller and the same requirements but for rights? */
  private sameGroup(a: number, b: number): boolean {
    if (this.callers[a] !== this.callers[b] || this.callers[a]! < 0) return false
    const x = this.checks[a]!
    const y = this.checks[b]!
    if (x.length !== y.length) return false
    for (let index = 0; index < x.length; index++) {
      const p = x[index]!
      const q = y[index]!
      if (p.slot !== q.slot || p.need !== q.need || p.kind !== q.kind || p.queue !== q.queue) return false
    }
    const s = this.tableChecks[a]!
    const t = this.tableChecks[b]!
    return s.column === t.column && s.key === t.key && s.bound === t.bound
  }

  /** Reads the expanded state: which callers are running processes. */
  load(k: EncodableKernel): void {
    const { refs, objects } = k
    for (let ref = 0; ref < this.running.length; ref++) {
      let handle = NONE
      if (ref < refs.count) {
        const candidate = refs.handle[ref]!
        if (objects.isLive(candidate, refs.gen[ref]!) && objects.kind[candidate] === KIND_PROCESS && objects.running[candidate] === 1) handle = candidate
      }
      this.running[ref] = handle
    }
  }

  /** Is action `index` refused in the expanded state, for sure? */
  refuses(k: EncodableKernel, index: number): boolean {
    return this.refusal(k, index) !== PASSES
  }

  /**
   * Whether action `index` is refused in the expanded state for sure:
   * {@link PASSES} (it may apply), {@link REFUSED} (this action), or
   * {@link GROUP_REFUSED} (for a reason its rights have no part in, so every
   * action of its group up to {@link groupEnd} is refused too).
   */
  refusal(k: EncodableKernel, index: number): number {
    const ref = this.callers[index]!
    if (ref < 0) return PASSES
    const process = this.running[ref]!
    if (process === NONE) return this.skip(SKIP_NOT_RUNNING)
    const checks = this.checks[index]!
    const { objects, caps } = k
    const cspace = objects.cspace[process]!
    const slots = objects.slotCount[process]!
    let rightsShort = false
    for (let at = 0; at < checks.length; at++) {
      const check = checks[at]!
      if (check.slot >= slots) return this.skip(SKIP_SLOT)
      const cap = cspace[check.slot]!
      if (check.need === NEED_RANGE) continue
      if (check.need === NEED_EMPTY) {
        if (cap !== NONE) return this.skip(SKIP_SLOT)
        continue
      }
      if (cap === NONE) return this.skip(SKIP_SLOT)
      const object = caps.object[cap]!
      if (check.kind !== 0 && objects.kind[object] !== check.kind) return this.skip(SKIP_SLOT)
      if ((check.rights & ~caps.rights[cap]!) !== 0) rightsShort = true
      if (check.queue === QUEUE_ROOM ? objects.queueCount[object]! >= objects.depth[object]! : check.queue === QUEUE_MESSAGE && objects.queueCount[object] === 0) return this.skip(SKIP_QUEUE)
    }
    const table = this.tableChecks[index]!
    if (table.column >= 0) {
      const owner = objects.owner[process]!
      const id = objects.rows.namespaces[objects.row[owner]! * NS_COLUMNS + table.column]!
      if (k.namespaces.get(id).entries.has(table.key) !== table.bound) return this.skip(SKIP_TABLE)
    }
    if (!rightsShort) return PASSES
    this.skips[SKIP_RIGHTS]++
    return REFUSED
  }

  /** Counts a refusal its rights have no part in: {@link GROUP_REFUSED}. */
  private skip(reason: number): number {
    this.skips[reason]++
    return GROUP_REFUSED
  }
}
