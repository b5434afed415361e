/**
 * Tampering with an impl kernel's tables as a wrong kernel would leave them, and
 * random walks of the impl and the model in lockstep: for the tests that hold the
 * general engine's shortcuts (fast state checks, canonical encoding, raw
 * fingerprints) to the model's reading of the same states.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as assert from 'uvu/assert'
import type { Kernel } from '../../impl/kernel.js'
import { KIND_CONTAINER, KIND_ENDPOINT, KIND_FREE, KIND_PROCESS, KIND_REGION, NONE, RES_COUNT } from '../../impl/tables/objects.js'
import { PLACE_FREE } from '../../impl/tables/caps.js'
import type { NamespaceRecord } from '../../impl/tables/namespaces.js'
import { R_CONTROL, R_EXECUTE, R_READ, R_WRITE } from '../../spec/rights.js'
import { implTarget } from '../../refinement/abstraction.js'
import { ALL_SYSCALLS, CAP_CORE_3, NESTED, type Preset } from '../../spec/presets.js'
import { boot as modelBoot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { presetActions } from '../../checker/explore/actions.js'
import { mulberry32 } from '../../checker/explore/search.js'
import { bootFilePreset } from '../../cli/boot-file.js'
import { eachDeclaredSystem } from './systems.js'

export type Flows = Map<string, number>
export type Random = () => number

const pick = <T>(items: ReadonlyArray<T>, random: Random): T => items[Math.floor(random() * items.length)]!

/**
 * The object columns the abstraction reads, and the cap columns. Not the heads of
 * the intrusive lists (caps naming an object, mappings): a loop made there makes
 * the abstraction itself walk forever, before any check could answer.
 */
const OBJECT_COLUMNS = ['serial', 'owner', 'capCount', 'parent', 'ref', 'slotCount', 'depth', 'queueHead', 'queueCount', 'kind', 'running', 'executable', 'uid', 'bytes', 'lastReceived'] as const
const CAP_COLUMNS = ['serial', 'object', 'rights', 'badge', 'parent', 'place', 'where', 'slot', 'mapPerms'] as const
const ROW_COLUMNS = ['usage', 'reserved'] as const
/** Object columns that hold a flag (0 or 1). */
const FLAG_COLUMNS: ReadonlySet<string> = new Set(['running', 'executable'])

function liveObjects(k: Kernel, kind = 0): number[] {
  const found: number[] = []
  for (let handle = 0; handle < k.objects.top; handle++) if (k.objects.kind[handle] !== KIND_FREE && (kind === 0 || k.objects.kind[handle] === kind)) found.push(handle)
  return found
}

function liveCaps(k: Kernel): number[] {
  const found: number[] = []
  for (let cap = 0; cap < k.caps.top; cap++) if (k.caps.place[cap] !== PLACE_FREE) found.push(cap)
  return found
}

/** A value near `value` or meaningful for a handle column: one more or less, none, zero, or another live handle. */
function nearValue(value: number, handles: ReadonlyArray<number>, random: Random): number {
  const choice = Math.floor(random() * 5)
  if (choice === 0) return value + 1
  if (choice === 1) return value - 1
  if (choice === 2) return NONE
  if (choice === 3) return 0
  return pick(handles, random)
}

/** The kinds of tampering below, queued messages (5) and mappings (11) twice. */
const TAMPER_KINDS = [0, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 11, 11, 12, 13]

/**
 * One tampering of the kernel's tables or the flows, drawn with `random`: its
 * name (what kind of change), or null when the state has nothing of that kind.
 * Changed rows are touched, as the kernel marks what it changes.
 */
export function tamper(k: Kernel, flows: Flows, random: Random): string | null {
  const objects = k.objects
  const caps = k.caps
  // Queued messages and mappings are few (a walk must send or map first): they are tampered with twice as often.
  switch (pick(TAMPER_KINDS, random)) {
    case 0: {
      // Every kind alike (regions and endpoints are few beside processes and containers): a kind, then one of its objects.
      const handles = liveObjects(k)
      const kinds = [...new Set(handles.map((handle) => objects.kind[handle]!))]
      const handle = pick(liveObjects(k, pick(kinds, random)), random)
      const column = pick(OBJECT_COLUMNS, random)
      const array = objects[column] as unknown as { [index: number]: number }
      // A flag (running, executable) is turned over half the time: a neighbouring value of 0 or 1 is mostly none the kernel writes.
      array[handle] = FLAG_COLUMNS.has(column) && random() < 0.5 ? array[handle]! ^ 1 : nearValue(array[handle]!, handles, random)
      objects.touch(handle)
      return `object ${column}`
    }
    case 1: {
      const live = liveCaps(k)
      if (live.length === 0) return null
      const cap = pick(live, random)
      const column = pick(CAP_COLUMNS, random)
      const array = caps[column] as unknown as { [index: number]: number }
      // Rights: one right added or taken away; the rest: a neighbouring value or another handle.
      array[cap] = column === 'rights' ? array[cap]! ^ (1 << Math.floor(random() * 5)) : nearValue(array[cap]!, column === 'object' || column === 'where' ? liveObjects(k) : live, random)
      caps.touch(cap)
      return `cap ${column}`
    }
    case 2: {
      // A container's usage or children's reservations: a neighbouring value, or just past its limit.
      const container = pick(liveObjects(k, KIND_CONTAINER), random)
      const column = pick(ROW_COLUMNS, random)
      const resource = Math.floor(random() * RES_COUNT)
      const at = objects.row[container]! * RES_COUNT + resource
      const limits = objects.limits[container]
      const limit = limits === null || limits === undefined ? 0 : [limits.memoryBytes, limits.processes, limits.endpoints, limits.cpuBudget, limits.ioBytes][resource]!
      const choice = Math.floor(random() * 3)
      objects.rows[column][at] = choice === 0 ? objects.rows[column][at]! + 1 : choice === 1 ? objects.rows[column][at]! - 1 : limit + 1
      objects.touch(container)
      return `row ${column}`
    }
    case 3: {
      // A container's limits record: one field a neighbouring value, or its devices gone.
      const container = pick(liveObjects(k, KIND_CONTAINER), random)
      const limits = objects.limits[container]
      if (limits === null || limits === undefined) return null
      const field = pick(['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes', 'cpuWeight', 'devices'] as const, random)
      objects.limits[container] = field === 'devices' ? { ...limits, devices: [] } : { ...limits, [field]: limits[field] + (random() < 0.5 ? 1 : -1) }
      objects.touch(container)
      return `limits ${field}`
    }
    case 4: {
      // A slot: emptied, or given another live cap.
      const process = liveObjects(k, KIND_PROCESS).filter((handle) => (objects.cspace[handle]?.length ?? 0) > 0)
      if (process.length === 0) return null
      const handle = pick(process, random)
      const cspace = objects.cspace[handle]!
      const slot = Math.floor(random() * cspace.length)
      const live = liveCaps(k)
      cspace[slot] = random() < 0.4 || live.length === 0 ? NONE : pick(live, random)
      objects.touch(handle)
      return 'slot'
    }
    case 5: {
      // A queued message: two swapped, its sequence number moved, the last received moved to it, its cap, badge or payload changed; or the queue past its depth.
      const endpoints = liveObjects(k, KIND_ENDPOINT).filter((handle) => objects.queueCount[handle]! > 0)
      if (endpoints.length === 0) return null
      const handle = pick(endpoints, random)
      const ring = objects.ring[handle]!
      const depth = objects.depth[handle]!
      const head = objects.queueHead[handle]!
      const count = objects.queueCount[handle]!
      const at = (head + Math.floor(random() * count)) % depth
      const choice = Math.floor(random() * 8)
      if (choice === 6) ring.badge[at] = ring.badge[at]! + 1
      else if (choice === 7) ring.payload[at] = typeof ring.payload[at] === 'string' ? `${ring.payload[at]}!` : (ring.payload[at] as number) + 1
      else if (choice === 4) objects.queueCount[handle] = depth + 1
      else if (choice === 5) objects.depth[handle] = Math.max(1, count - 1)
      else if (choice === 0 && count > 1) {
        const next = (at + 1) % depth
        const seq = ring.seq[at]!
        ring.seq[at] = ring.seq[next]!
        ring.seq[next] = seq
      } else if (choice === 1) ring.seq[at] = ring.seq[at]! + (random() < 0.5 ? 1 : -1)
      else if (choice === 2) objects.lastReceived[handle] = ring.seq[head]!
      else ring.cap[at] = nearValue(ring.cap[at]!, liveCaps(k), random)
      objects.touch(handle)
      return 'queued message'
    }
    case 6: {
      // A process's image: another one the kernel knows, or none it knows.
      const processes = liveObjects(k, KIND_PROCESS).filter((handle) => objects.text[handle] !== null)
      if (processes.length === 0) return null
      const handle = pick(processes, random)
      const known = [...k.images.keys()]
      objects.text[handle] = random() < 0.5 && known.length > 0 ? pick(known, random) : `sha256:${'0'.repeat(64)}`
      objects.touch(handle)
      return 'image'
    }
    case 7: {
      // The ledger: one counter one off.
      const counter = pick(['ledgerSent', 'ledgerReceived', 'ledgerDiscarded'] as const, random)
      k[counter] += random() < 0.5 ? 1 : -1
      return 'ledger'
    }
    case 8: {
      // The ghost flows: one forgotten, or all.
      if (flows.size === 0) return null
      if (random() < 0.3) flows.clear()
      else flows.delete(pick([...flows.keys()], random))
      return 'flows'
    }
    case 9: {
      // A namespace table entry: given another live cap, or removed.
      const tables = [...k.namespaces.records.values()].filter((record) => record.entries.size > 0)
      if (tables.length === 0) return null
      const record = pick(tables, random)
      const key = pick([...record.entries.keys()], random)
      const live = liveCaps(k)
      // Removed, given another live cap, or a new key given a live cap (then held twice: its own place and this entry).
      const choice = random()
      if (choice < 0.4) record.entries.delete(key)
      else if (choice < 0.7) record.entries.set(key, pick(live, random))
      else record.entries.set(`${key}+`, pick(live, random))
      k.namespaces.touch(record)
      return 'table entry'
    }
    case 10: {
      // Two live objects' serials made equal, or a cap's serial another's.
      if (random() < 0.5) {
        const handles = liveObjects(k)
        objects.serial[pick(handles, random)] = objects.serial[pick(handles, random)]!
        return 'object serial'
      }
      const live = liveCaps(k)
      if (live.length < 2) return null
      caps.serial[pick(live, random)] = caps.serial[pick(live, random)]!
      return 'cap serial'
    }
    case 12: {
      // A namespace record: its pid counter, user namespace, parent or uid map moved.
      const records = [...k.namespaces.records.values()]
      const record = pick(records, random) as unknown as Record<string, unknown>
      const field = pick(['pidNext', 'userNamespace', 'parent', 'uidMap'] as const, random)
      if (field === 'pidNext') record['pidNext'] = (record['pidNext'] as number) + (random() < 0.5 ? 1 : -1)
      else if (field === 'uidMap') { const map = record['uidMap'] as { base: number; count: number }; record['uidMap'] = { ...map, base: map.base + 1 } }
      else record[field] = pick(records, random).id
      k.namespaces.touch(record as unknown as NamespaceRecord)
      return `namespace ${field}`
    }
    case 13: {
      // A region's kind turned over (code <-> data) with every cap to it and every mapping of it made the other kind's
      // (write <-> execute), so that CAP-2 and W^X still hold: a state that differs from the one before in the flag alone.
      const regions = liveObjects(k, KIND_REGION)
      if (regions.length === 0) return null
      const region = pick(regions, random)
      objects.executable[region] = objects.executable[region]! ^ 1
      objects.touch(region)
      const swap = (rights: number) => (rights & ~(R_WRITE | R_EXECUTE)) | ((rights & R_WRITE) !== 0 ? R_EXECUTE : 0) | ((rights & R_EXECUTE) !== 0 ? R_WRITE : 0)
      for (const cap of liveCaps(k)) {
        if (caps.object[cap] !== region) continue
        caps.rights[cap] = swap(caps.rights[cap]!)
        caps.mapPerms[cap] = swap(caps.mapPerms[cap]!)
        caps.touch(cap)
      }
      return 'region kind'
    }
    default: {
      // A mapping's permissions or its region: a mapped cap changed.
      const mapped = liveCaps(k).filter((cap) => caps.mapPerms[cap] !== 0)
      if (mapped.length === 0) return null
      const cap = pick(mapped, random)
      const choice = Math.floor(random() * 4)
      // A permission flipped; write with execute; a right the mapping uses taken from its cap; or another object.
      if (choice === 0) caps.mapPerms[cap] = caps.mapPerms[cap]! ^ (1 << Math.floor(random() * 3))
      else if (choice === 1) caps.mapPerms[cap] = R_WRITE | R_EXECUTE | (caps.mapPerms[cap]! & R_READ)
      else if (choice === 2) caps.rights[cap] = caps.rights[cap]! & ~caps.mapPerms[cap]! | (caps.rights[cap]! & R_CONTROL)
      else caps.object[cap] = pick(liveObjects(k), random)
      caps.touch(cap)
      return 'mapping'
    }
  }
}


/**
 * Random walks of `preset` from boot, `walks` of `length` steps, the impl and the
 * model in lockstep (each step an action the model takes, drawn at random; the
 * impl must take it too): `visit` is called in each state with the kernel, the
 * model's state (whose ghost flows the impl does not keep) and the walk's random
 * source. `visit` may change the kernel if it puts it back.
 */
export function walkStates(preset: Preset, seed: number, walks: number, length: number, visit: (kernel: Kernel, model: KernelState, random: Random) => void): void {
  const random = mulberry32(seed)
  const actions = presetActions(preset)
  for (let run = 0; run < walks; run++) {
    const kernel = implTarget.create(preset.boot, preset.images)
    let model: KernelState = modelBoot(preset.boot, preset.images)
    for (let depth = 0; depth <= length; depth++) {
      visit(kernel, model, random)
      let stepped = false
      for (let draw = 0; draw < 64 && !stepped; draw++) {
        const action = pick(actions, random)
        const next = modelStep(model, action)
        if (E.isLeft(next.outcome)) continue
        const outcome = kernel.step(action)
        assert.ok(E.isRight(outcome), `${preset.name}: the impl refused what the model took (${String(action.kind)})`)
        model = next.state
        stepped = true
      }
      if (!stepped) break
    }
  }
}

/**
 * The systems the tampering tests walk, each handed to `walk` with its seed, its
 * number of walks, their length and the tamperings tried per state: the presets
 * with namespaces, quotas and queues (30 walks of 12 steps), the example systems
 * (15), then 20 generated declared systems (3 of 8), whose seeds are multiples
 * of `declaredStep`. Returns how many declared systems booted.
 */
export function walkEverySystem(seed: number, declaredStep: number, walk: (preset: Preset, seed: number, walks: number, length: number, tries: number) => void): number {
  const presets: Array<[Preset, number]> = [
    [NESTED, 30], [ALL_SYSCALLS, 30], [CAP_CORE_3, 30],
    [bootFilePreset('examples/systems/web-app/boot.json', 'explore'), 15],
    [bootFilePreset('examples/systems/plugin-host/boot.json', 'explore'), 15],
  ]
  presets.forEach(([preset, walks], index) => walk(preset, seed + index, walks, 12, 12))
  let next = 0
  return eachDeclaredSystem(20, seed, (preset) => walk(preset, declaredStep * ++next, 3, 8, 8))
}
