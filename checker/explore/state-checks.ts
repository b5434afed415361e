/**
 * The state invariants of the catalogue as one fast test on the impl's tables,
 * for the general engine (general.ts): `holds` says that every state invariant
 * holds in the kernel's state, read where the abstraction (refinement/
 * abstraction.ts) reads it, without building a model state. It is a filter in
 * front of the reference, never a replacement: when it says no (or cannot
 * vouch for a table a mutant left odd), the model's own invariant functions run
 * on the abstraction and decide — so a violation's invariant, message and
 * witness are always the reference's. It must never say yes where the
 * reference finds a violation: the tests run both on every new state of
 * several searches, presets, generated systems and impl mutants.
 *
 * First, the tables must be plain: every live cap names a live object, every
 * parent link a live cap, and serials (the model's ids) are unique; then a
 * handle comparison is the model's id comparison. Then, per invariant:
 * CAP-1 (parents name the same object, no cycle), CAP-2 (rights within the
 * kind's and the parent's, badges), CAP-4 (each cap where it says, each held cap
 * there), OBJ-1 (each live object named or pinned), QUO-1, QUO-2, CPU-1, IO-1
 * (container rows against limits and costs), ISO-1 (cross-container slot caps
 * against the ghost flows), ISO-4 (mappings), IPC-1, IPC-2 (queues, ledger),
 * IMG-1 (each running image's verdict, by the reference once per digest).
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { Kernel } from '../../impl/kernel.js'
import {
  KIND_CONTAINER, KIND_DEVICE, KIND_ENDPOINT, KIND_FREE, KIND_PROCESS, KIND_REGION, NONE, RES_COUNT, RES_CPU, RES_ENDPOINTS, RES_IO, RES_MEMORY, RES_PROCESSES,
} from '../../impl/tables/objects.js'
import { PLACE_FREE, PLACE_MESSAGE, PLACE_SLOT, PLACE_TABLE } from '../../impl/tables/caps.js'
import { R_ALL, R_CONTROL, R_EXECUTE, R_GRANT, R_READ, R_WRITE } from '../../spec/rights.js'
import { RESERVED_RESOURCES } from '../../spec/limits.js'
import { type KernelState, flowKey } from '../../model/state.js'
import { STATE_INVARIANTS } from '../../spec/invariants/index.js'
import { checkImg1 } from '../../spec/invariants/lifecycle.js'
import type { EncodableKernel } from './impl-canonical.js'

/** What the checks read of a kernel (ours, or a mutant's copy: same shape). */
export type CheckableKernel = EncodableKernel & Pick<Kernel,
  'ledgerSent' | 'ledgerReceived' | 'ledgerDiscarded' | 'retiredLastReceived' | 'cpuAccounting' | 'images' | 'keyring' | 'floors'>

/** The invariants {@link StateChecks.holds} stands for. */
const CHECKED = new Set(['CAP-1', 'CAP-2', 'CAP-4', 'OBJ-1', 'QUO-1', 'QUO-2', 'ISO-1', 'ISO-4', 'IPC-1', 'IPC-2', 'IMG-1', 'CPU-1', 'IO-1'])

/** A limits record's reserved resources, in the rows' column order. */
const LIMIT_NAMES = RESERVED_RESOURCES

/** The rights of an object's original cap (caps.ts's originalRights), by impl kind. */
function originalRights(kind: number, executable: number): number {
  switch (kind) {
    case KIND_CONTAINER: case KIND_PROCESS: return R_ALL
    case KIND_REGION: return executable === 1 ? R_READ | R_EXECUTE | R_CONTROL : R_READ | R_WRITE | R_CONTROL
    case KIND_ENDPOINT: return R_READ | R_WRITE | R_GRANT
    case KIND_DEVICE: return R_WRITE
    default: return 0
  }
}

/** Scratch arrays, reused from state to state. */
export class StateChecks {
  /** False when the catalogue has a state invariant this does not know: then it never vouches. */
  private readonly known = STATE_INVARIANTS.every((invariant) => CHECKED.has(invariant.id))
  private stamp = 0
  private objectMark = new Int32Array(64)
  private capMark = new Int32Array(64)
  private named = new Int32Array(64)
  private costs = new Float64Array(64 * 3)
  private reserved = new Float64Array(64 * RES_COUNT)
  /** IMG-1's verdict per image digest (the reference's, on a one-process state). */
  private readonly imageVerdicts = new Map<string | null, boolean>()
  /**
   * The ghost flows' keys (the model's {@link flowKey} of object and container
   * serials), made once per pair of serials and kept: ISO-1's check looks flows up
   * by them without building a text per cap (the flows maps themselves change
   * from state to state).
   */
  private readonly flowKeys = new Map<number, Map<number, string>>()

  private internedFlowKey(object: number, container: number): string {
    let byContainer = this.flowKeys.get(object)
    if (byContainer === undefined) this.flowKeys.set(object, byContainer = new Map())
    let key = byContainer.get(container)
    if (key === undefined) byContainer.set(container, key = flowKey(object, container))
    return key
  }

  private mark(array: 'objectMark' | 'capMark' | 'named', size: number): Int32Array {
    if (this[array].length < size) this[array] = new Int32Array(Math.max(size, this[array].length * 2))
    return this[array]
  }

  /** Does every state invariant hold in the kernel's state, with these ghost flows (ISO-1)? False: ask the reference. */
  holds(k: CheckableKernel, flows: ReadonlyMap<string, number>): boolean {
    if (!this.known) return false
    this.stamp++
    if (this.stamp === 0x7fffffff) { this.stamp = 1; this.objectMark.fill(0); this.capMark.fill(0); this.named.fill(0) }
    return this.plain(k) && this.caps(k) && this.held(k) && this.pinnedOrNamed(k) && this.containers(k) && this.processes(k, flows) && this.queues(k)
  }

  /** Live serials unique, every live cap's object and parent live. */
  private plain(k: CheckableKernel): boolean {
    const { objects, caps } = k
    const stamp = this.stamp
    // Serials are below the kernel's counters; anything else is odd, and the reference decides.
    const objectSeen = this.mark('objectMark', Math.max(objects.top, (k as Partial<Kernel>).objectNext ?? 0) + 1)
    for (let handle = 0; handle < objects.top; handle++) {
      if (objects.kind[handle] === KIND_FREE) continue
      const serial = objects.serial[handle]!
      if (serial < 0 || serial >= objectSeen.length || objectSeen[serial] === stamp) return false
      objectSeen[serial] = stamp
    }
    const capSeen = this.mark('capMark', Math.max(caps.top, (k as Partial<Kernel>).capNext ?? 0) + 1)
    for (let cap = 0; cap < caps.top; cap++) {
      if (caps.place[cap] === PLACE_FREE) continue
      const serial = caps.serial[cap]!
      if (serial < 0 || serial >= capSeen.length || capSeen[serial] === stamp) return false
      capSeen[serial] = stamp
      const object = caps.object[cap]!
      if (object < 0 || object >= objects.top || objects.kind[object] === KIND_FREE) return false
      const parent = caps.parent[cap]!
      if (parent !== NONE && (parent < 0 || parent >= caps.top || caps.place[parent] === PLACE_FREE)) return false
    }
    const root = k.root
    const init = k.init
    return root >= 0 && init >= 0 && objects.kind[root] !== KIND_FREE && objects.kind[init] !== KIND_FREE
  }

  /** CAP-1, CAP-2, and CAP-4's first half (each cap where it says). */
  private caps(k: CheckableKernel): boolean {
    const { objects, caps } = k
    const live = caps.liveCount + 1
    for (let cap = 0; cap < caps.top; cap++) {
      if (caps.place[cap] === PLACE_FREE) continue
      const object = caps.object[cap]!
      const rights = caps.rights[cap]!
      const badge = caps.badge[cap]!
      const kind = objects.kind[object]!
      if ((rights & ~originalRights(kind, objects.executable[object]!)) !== 0) return false
      if (badge !== 0 && kind !== KIND_ENDPOINT) return false
      const parent = caps.parent[cap]!
      if (parent !== NONE) {
        if (caps.object[parent] !== object) return false
        if ((rights & ~caps.rights[parent]!) !== 0) return false
        const parentBadge = caps.badge[parent]!
        if (parentBadge !== 0 && badge !== parentBadge) return false
        // No cycle: a walk up ends within as many steps as there are caps.
        let at = parent
        for (let steps = 0; at !== NONE; steps++) {
          if (steps > live || at === cap) return false
          at = caps.parent[at]!
        }
      }
      if (!this.where(k, cap)) return false
    }
    return true
  }

  /** The place a cap records holds it. */
  private where(k: CheckableKernel, cap: number): boolean {
    const { objects, caps } = k
    const where = caps.where[cap]!
    switch (caps.place[cap]) {
      case PLACE_SLOT: {
        if (where < 0 || where >= objects.top || objects.kind[where] !== KIND_PROCESS) return false
        const cspace = objects.cspace[where]
        return cspace !== null && cspace !== undefined && cspace[caps.slot[cap]!] === cap
      }
      case PLACE_TABLE: {
        const record = k.namespaces.records.get(where)
        const key = caps.key[cap]
        return record !== undefined && key !== null && key !== undefined && record.entries.get(key) === cap
      }
      case PLACE_MESSAGE: {
        if (where < 0 || where >= objects.top || objects.kind[where] !== KIND_ENDPOINT) return false
        const ring = objects.ring[where]
        if (ring === null || ring === undefined) return false
        const seq = ring.seq[caps.slot[cap]!]
        if (seq === undefined) return false
        const count = objects.queueCount[where]!
        const depth = objects.depth[where]!
        for (let index = 0, at = objects.queueHead[where]!; index < count; index++, at = (at + 1) % depth) {
          if (ring.seq[at] === seq) return ring.cap[at] === cap
        }
        return false
      }
      default: return false
    }
  }

  /** CAP-4's second half: every cap a place holds is live and records that place. */
  private held(k: CheckableKernel): boolean {
    const { objects, caps } = k
    for (let handle = 0; handle < objects.top; handle++) {
      const kind = objects.kind[handle]
      if (kind === KIND_PROCESS) {
        const cspace = objects.cspace[handle]
        if (cspace === null || cspace === undefined) return false
        for (let slot = 0; slot < cspace.length; slot++) {
          const cap = cspace[slot]!
          if (cap === NONE) continue
          if (cap < 0 || cap >= caps.top || caps.place[cap] !== PLACE_SLOT || caps.where[cap] !== handle || caps.slot[cap] !== slot) return false
        }
      } else if (kind === KIND_ENDPOINT) {
        const count = objects.queueCount[handle]!
        if (count === 0) continue
        const ring = objects.ring[handle]
        const depth = objects.depth[handle]!
        if (ring === null || ring === undefined || depth < 1) return false
        for (let index = 0, at = objects.queueHead[handle]!; index < count; index++, at = (at + 1) % depth) {
          const cap = ring.cap[at]!
          if (cap === NONE) continue
          if (cap < 0 || cap >= caps.top || caps.place[cap] !== PLACE_MESSAGE || caps.where[cap] !== handle) return false
          const recorded = ring.seq[caps.slot[cap]!]
          if (recorded !== ring.seq[at]) return false
        }
      }
    }
    for (const record of k.namespaces.records.values()) {
      if (record.entries.size === 0) continue
      for (const [key, cap] of record.entries) {
        if (cap < 0 || cap >= caps.top || caps.place[cap] !== PLACE_TABLE || caps.where[cap] !== record.id || caps.key[cap] !== key) return false
      }
    }
    return true
  }

  /** OBJ-1: every live object is named by a live cap or pinned. */
  private pinnedOrNamed(k: CheckableKernel): boolean {
    const { objects, caps } = k
    const stamp = this.stamp
    const named = this.mark('named', objects.top)
    for (let cap = 0; cap < caps.top; cap++) if (caps.place[cap] !== PLACE_FREE) named[caps.object[cap]!] = stamp
    for (let handle = 0; handle < objects.top; handle++) {
      if (objects.kind[handle] === KIND_FREE || named[handle] === stamp || handle === k.root || handle === k.init) continue
      return false
    }
    return true
  }

  /** QUO-1, QUO-2, CPU-1, IO-1. */
  private containers(k: CheckableKernel): boolean {
    const { objects } = k
    const top = objects.top
    if (this.costs.length < top * 3) { this.costs = new Float64Array(top * 6); this.reserved = new Float64Array(top * 2 * RES_COUNT) }
    const costs = this.costs
    const reserved = this.reserved
    costs.fill(0, 0, top * 3)
    reserved.fill(0, 0, top * RES_COUNT)
    for (let handle = 0; handle < top; handle++) {
      const kind = objects.kind[handle]!
      if (kind === KIND_FREE) continue
      const owner = objects.owner[handle]!
      if (kind === KIND_CONTAINER) {
        const parent = objects.parent[handle]!
        if (parent === NONE) continue
        if (parent < 0 || parent >= top || objects.kind[parent] === KIND_FREE) return false
        const limits = objects.limits[handle]
        if (limits === null || limits === undefined) return false
        for (let column = 0; column < RES_COUNT; column++) reserved[parent * RES_COUNT + column] += limits[LIMIT_NAMES[column]!]
        // QUO-1's devices: a child's within its parent's.
        const parentLimits = objects.limits[parent]
        if (objects.kind[parent] === KIND_CONTAINER && parentLimits !== undefined && parentLimits !== null && parentLimits !== limits) {
          const devices = limits.devices
          for (let index = 0; index < devices.length; index++) if (!parentLimits.devices.includes(devices[index]!)) return false
        }
        continue
      }
      if (owner === NONE) continue
      if (owner < 0 || owner >= top || objects.kind[owner] === KIND_FREE) return false
      if (kind === KIND_REGION) costs[owner * 3 + RES_MEMORY] += objects.bytes[handle]!
      else if (kind === KIND_ENDPOINT) costs[owner * 3 + RES_ENDPOINTS] += 1
      else if (kind === KIND_PROCESS && objects.running[handle] === 1) { costs[owner * 3 + RES_PROCESSES] += 1; costs[owner * 3 + RES_MEMORY] += objects.bytes[handle]! }
    }
    const usage = objects.rows.usage
    for (let handle = 0; handle < top; handle++) {
      if (objects.kind[handle] !== KIND_CONTAINER) continue
      const limits = objects.limits[handle]
      if (limits === null || limits === undefined) return false
      const row = objects.row[handle]! * RES_COUNT
      for (let column = 0; column < RES_COUNT; column++) {
        const used = usage[row + column]!
        if (!(used >= 0) || !(used + reserved[handle * RES_COUNT + column]! <= limits[LIMIT_NAMES[column]!])) return false
      }
      if (usage[row + RES_MEMORY] !== costs[handle * 3 + RES_MEMORY] || usage[row + RES_PROCESSES] !== costs[handle * 3 + RES_PROCESSES] || usage[row + RES_ENDPOINTS] !== costs[handle * 3 + RES_ENDPOINTS]) return false
      if (k.cpuAccounting && !(usage[row + RES_CPU]! <= limits.cpuBudget)) return false
      if (!(usage[row + RES_IO]! <= limits.ioBytes)) return false
    }
    return true
  }

  /** ISO-1, ISO-4, IMG-1. */
  private processes(k: CheckableKernel, flows: ReadonlyMap<string, number>): boolean {
    const { objects, caps } = k
    for (let handle = 0; handle < objects.top; handle++) {
      if (objects.kind[handle] !== KIND_PROCESS) continue
      const cspace = objects.cspace[handle]!
      const owner = objects.owner[handle]!
      if (owner === NONE) return false
      const container = objects.serial[owner]!
      // ISO-1: a slot cap to another container's object is covered by a flow.
      for (let slot = 0; slot < cspace.length; slot++) {
        const cap = cspace[slot]!
        if (cap === NONE) continue
        const object = caps.object[cap]!
        const objectOwner = objects.owner[object]!
        const ownerSerial = objectOwner === NONE ? objects.serial[object]! : objects.serial[objectOwner]!
        if (ownerSerial === container) continue
        const flow = flows.get(this.internedFlowKey(objects.serial[object]!, container))
        if (flow === undefined || (caps.rights[cap]! & ~flow) !== 0) return false
      }
      // ISO-4: each mapping through a cap held in a slot, naming the region, perms within its rights, never write with execute.
      for (let cap = objects.mapHead[handle]!; cap !== NONE; cap = caps.mapNext[cap]!) {
        const perms = caps.mapPerms[cap]!
        if ((perms & (R_WRITE | R_EXECUTE)) === (R_WRITE | R_EXECUTE)) return false
        if (caps.place[cap] === PLACE_FREE || !cspace.includes(cap)) return false
        if ((perms & ~caps.rights[cap]!) !== 0) return false
      }
      // IMG-1: a running process but init runs a trusted image at or above its floor.
      if (objects.running[handle] === 1 && handle !== k.init && !this.imageTrusted(k, objects.text[handle] ?? null)) return false
    }
    return true
  }

  /** IMG-1's verdict on a digest: the reference's own, on a state of one running process of that image. */
  private imageTrusted(k: CheckableKernel, digest: string | null): boolean {
    let verdict = this.imageVerdicts.get(digest)
    if (verdict === undefined) {
      const process = { kind: 'process', id: 1, owner: 0, ref: 1, uid: 0, status: 'running', slots: [], mappings: [], pids: new Map(), image: digest, imageBytes: 0 }
      const state = {
        ksObjects: new Map([[1, process]]), ksInit: 0,
        ksImages: new Map([...k.images].map(([key, info]) => [key, info.record])), ksKeyring: new Set(k.keyring), ksFloors: new Map(k.floors),
      } as unknown as KernelState
      verdict = O.isNone(checkImg1(state))
      this.imageVerdicts.set(digest, verdict)
    }
    return verdict
  }

  /** IPC-1, IPC-2. */
  private queues(k: CheckableKernel): boolean {
    const { objects } = k
    let queued = 0
    for (let handle = 0; handle < objects.top; handle++) {
      if (objects.kind[handle] !== KIND_ENDPOINT) continue
      const count = objects.queueCount[handle]!
      const depth = objects.depth[handle]!
      if (count > depth) return false
      queued += count
      if (count === 0) continue
      const ring = objects.ring[handle]!
      const head = objects.queueHead[handle]!
      let previous = ring.seq[head]!
      for (let index = 1, at = (head + 1) % depth; index < count; index++, at = (at + 1) % depth) {
        if (!(previous < ring.seq[at]!)) return false
        previous = ring.seq[at]!
      }
      const last = objects.lastReceived[handle]! >= 0 ? objects.lastReceived[handle]! : k.retiredLastReceived.get(objects.serial[handle]!)
      if (last !== undefined && !(ring.seq[head]! > last)) return false
    }
    return k.ledgerSent === k.ledgerReceived + k.ledgerDiscarded + queued
  }
}
