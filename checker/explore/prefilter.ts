/**
 * Actions that cannot apply, told without stepping (general.ts): most of an
 * alphabet is refused in most states (on cap-core, over 90 % of the actions
 * tried), and a refused syscall is no transition. Each handler of the impl
 * looks up its slot arguments before it changes anything (impl/checks.ts:
 * `lookupSlot`, `lookupCapTo`, `ensureEmptySlot`), so a syscall whose caller is
 * not a running process, whose source slot is empty, out of range, of another
 * object kind or short of the rights the handler asks there, or whose
 * destination slot is taken or out of range, is refused, whatever else it
 * names. Those requirements, read off the handlers, are the table below; the
 * engine skips an action that breaks one. Refused is refused whichever check
 * fails first, so the order of the checks does not matter.
 *
 * It holds for our impl only (a kernel target of its own is stepped on every
 * action); with `verifyGuards` the engine steps the skipped actions anyway and
 * fails if one succeeds, and the differential tests count the same transitions
 * as the model engine.
 * @module
 */
import { KIND_CONTAINER, KIND_ENDPOINT, KIND_PROCESS, KIND_REGION, NONE } from '../../impl/tables/objects.js'
import { R_CONTROL, R_GRANT, R_READ, R_WRITE, type RightName, RIGHT_NAMES } from '../../spec/rights.js'
import type { Action } from './actions.js'
import type { EncodableKernel } from './impl-canonical.js'

/** A slot argument must hold a cap (of `kind`, 0: any, with `rights`), or be empty. */
interface Requirement {
  readonly field: string
  readonly full: boolean
  readonly kind?: number
  readonly rights?: (call: Readonly<Record<string, unknown>>) => number
}

const full = (field: string, kind = 0, rights?: Requirement['rights']): Requirement => ({ field, full: true, kind, ...(rights === undefined ? {} : { rights }) })
const empty = (field: string): Requirement => ({ field, full: false })
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
  ep_send: [full('slot', KIND_ENDPOINT, (call) => R_WRITE | (call['xfer'] === undefined ? 0 : R_GRANT)), full('xfer')],
  ep_recv: [full('slot', KIND_ENDPOINT, constant(R_READ))],
  mem_alloc: [empty('dst')],
  mem_map: [full('slot', KIND_REGION)],
  container_create: [full('parent', KIND_CONTAINER, constant(R_CONTROL)), empty('dst')],
  container_destroy: [full('slot', KIND_CONTAINER, constant(R_CONTROL))],
  process_spawn: [full('container', KIND_CONTAINER, constant(R_CONTROL)), empty('dst')],
  process_kill: [full('slot', KIND_PROCESS, constant(R_CONTROL))],
  mount: [full('slot')],
}

/** {@link Prefilter.refusal}'s answers. */
export const PASSES = 0
export const REFUSED = 1
export const GROUP_REFUSED = 2

/** One requirement of one action, compiled: slot number, full or empty, kind, rights. */
interface Check { readonly slot: number; readonly full: boolean; readonly kind: number; readonly rights: number }

/** The compiled requirements of an alphabet, and the callers' handles in the expanded state. */
export class Prefilter {
  /** Per action: its caller's ref (-1: not filtered) and its checks. */
  private readonly callers: Int32Array
  private readonly checks: ReadonlyArray<ReadonlyArray<Check>>
  /** Per caller ref: its handle when a running process in the expanded state, else NONE. */
  private running = new Int32Array(4)
  /**
   * Per action: the end (exclusive) of the run of consecutive actions with its
   * caller and its slot requirements, rights aside (cap-core's 32 copies of one
   * source to one destination): refused whatever the rights, all of them are.
   */
  readonly groupEnd: Int32Array

  constructor(actions: ReadonlyArray<Action>) {
    this.callers = new Int32Array(actions.length).fill(-1)
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
        compiled.push({ slot, full: requirement.full, kind: requirement.kind ?? 0, rights: rights < 0 ? 0 : rights })
      }
      return compiled
    })
    this.groupEnd = new Int32Array(actions.length)
    for (let end = actions.length, index = actions.length - 1; index >= 0; index--) {
      if (index + 1 < actions.length && !this.sameGroup(index, index + 1)) end = index + 1
      this.groupEnd[index] = end
    }
  }

  /** Do actions `a` and `b` have one caller and the same slot requirements but for rights? */
  private sameGroup(a: number, b: number): boolean {
    if (this.callers[a] !== this.callers[b] || this.callers[a]! < 0) return false
    const x = this.checks[a]!
    const y = this.checks[b]!
    if (x.length !== y.length) return false
    for (let index = 0; index < x.length; index++) {
      const p = x[index]!
      const q = y[index]!
      if (p.slot !== q.slot || p.full !== q.full || p.kind !== q.kind) return false
    }
    return true
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
    if (process === NONE) return GROUP_REFUSED
    const checks = this.checks[index]!
    if (checks.length === 0) return PASSES
    const { objects, caps } = k
    const cspace = objects.cspace[process]!
    const slots = objects.slotCount[process]!
    let rightsShort = false
    for (let at = 0; at < checks.length; at++) {
      const check = checks[at]!
      if (check.slot >= slots) return GROUP_REFUSED
      const cap = cspace[check.slot]!
      if (!check.full) {
        if (cap !== NONE) return GROUP_REFUSED
        continue
      }
      if (cap === NONE) return GROUP_REFUSED
      if (check.kind !== 0 && objects.kind[caps.object[cap]!] !== check.kind) return GROUP_REFUSED
      if ((check.rights & ~caps.rights[cap]!) !== 0) rightsShort = true
    }
    return rightsShort ? REFUSED : PASSES
  }
}
