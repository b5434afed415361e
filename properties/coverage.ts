/**
 * Coverage of property runs: how many runs reached each syscall kind (succeeded
 * and failed), each error code, and each deep-state case the generators aim at.
 * A property whose generator never reaches its interesting case proves nothing,
 * so the summary prints these counts.
 * @module
 */
import type { BootConfig } from '../spec/boot.js'
import * as E from 'fp-ts/lib/Either.js'
import { SYSCALL_KINDS, ExactSyscallCodec } from '../spec/syscalls.js'
import { rightsMask } from '../spec/rights.js'
import type { CapRequest } from '../spec/images.js'
import { ERROR_CODES } from '../spec/errors.js'
import type { Outcome } from '../spec/results.js'
import { RESERVED_RESOURCES, type ReservedResource } from '../spec/limits.js'
import { type KernelState, getContainer, getObject, hostUid, processByRef, uidIn } from '../model/state.js'
import { available } from '../model/accounting.js'
import type { SuiteName } from './suite.js'
import { lastStepChecks, logChecks } from '../model/check-log.js'
import { CHECK_CATALOGUE, CHECK_PAIRS, type CheckPair, pairKey } from '../model/check-catalogue.js'
import { brokenChecks } from './edges.js'
import { type Offer, fitsRequest, matchesRequests } from '../model/objects/processes.js'

/** The suites of generated syscall sequences (properties/suites/sequences.ts). */
const SEQUENCE_SUITES: ReadonlyArray<SuiteName> = ['refinement', 'invariants', 'isolation', 'quota']

/**
 * The deep-state cases, each a predicate over a model state. `generated`: met only
 * by the generated syscall sequences (the update suite runs its own service
 * system, whose containers map no user namespace). `aimedBy`: the suites whose
 * generators aim at it (the four sequence suites, whose runs have room for the long
 * history and the chains, about 50 and 20 steps); the pipeline suite's runs, which
 * spend their first steps on its pool, meet them now and then.
 */
export const DEEP_CASES: ReadonlyArray<{ readonly name: string; readonly reached: (state: KernelState) => boolean; readonly generated?: true; readonly aimedBy?: ReadonlyArray<SuiteName> }> = [
  { name: 'containers nested 3 deep', reached: (s) => containerDepthMax(s) >= 3 },
  { name: 'a full CSpace', reached: (s) => [...s.ksObjects.values()].some((o) => o.kind === 'process' && o.id !== s.ksInit && o.status === 'running' && o.slots.every((c) => c !== null)) },
  { name: 'a full queue', reached: (s) => [...s.ksObjects.values()].some((o) => o.kind === 'endpoint' && o.queue.length === o.depth) },
  { name: 'a cap across 3 containers', reached: (s) => capHopsMax(s) >= 3 },
  { name: 'a quota at its limit', reached: (s) => [...s.ksObjects.values()].some((o) => o.kind === 'container' && o.id !== s.ksRoot && (['memoryBytes', 'processes', 'endpoints'] as const).some((r) => available(s, o, r) === 0)) },
  { name: 'namespaces new and shared', reached: (s) => namespaceMix(s) },
  { name: 'a mapping', reached: (s) => [...s.ksObjects.values()].some((o) => o.kind === 'process' && o.mappings.length > 0) },
  { name: 'uid 0 of an ancestor, not host uid 0', reached: (s) => uidZeroOfAncestor(s), generated: true },
  // Where a lookup (resolve, net_connect, svc_lookup) that hands out its child without the entry's badge answers otherwise than kernel.md §2.
  // The quota suite's mix draws few table and hop fragments, and the pipeline suite's runs spend their first steps on its pool: neither aims at it.
  { name: 'a badged cap looked up from a table', reached: (s) => badgedLookup(s), generated: true, aimedBy: ['refinement', 'invariants', 'isolation'] },
  // Where a table change that asks only uid 0 of the table's owner (not host uid 0 too, ISO-3) lets the entry go.
  { name: "an entry in a table uid 0 of an ancestor's may not change", reached: (s) => entryUnderAncestorUidZero(s), generated: true },
  // A destroy (of a container, or of an endpoint's last cap) that found messages queued: they count as discarded (IPC-2).
  { name: 'queued messages discarded by a destroy', reached: (s) => s.gsMessages.discarded > 0, generated: true },
  // What a destroy of that container must take with its tables: an entry naming an object it does not own.
  { name: "a container's own table naming an object outside it", reached: (s) => ownTableNamesOutside(s), generated: true },
  // Where a check that forgot the children's reservations, or the usage, answers otherwise than kernel.md §3.
  { name: "a limit met by usage and children's reservations together", reached: (s) => limitMetTogether(s), generated: true },
  // A process that can kill, inspect or hand on itself (an exit, kernel.md §4).
  { name: 'a process holding a cap to itself', reached: (s) => holdsItself(s), generated: true },
  // Where an order of io_submit's checks shows (rights, then the device set) and a policy read from the wrong container would pass.
  { name: "a device cap held outside its container's device set", reached: (s) => holdsForeignDevice(s), generated: true },
  // Where a pid list sorted as text, or a pid kept in fewer digits, answers otherwise than kernel.md §4.
  { name: 'pids of one digit and of two in one namespace', reached: (s) => pidsPastOneDigit(s), generated: true },
  // Where a destroy that handles the container it is given but not its descendants leaves something behind (kernel.md §3, LIFE-1).
  { name: "a container's descendant tied to the outside", reached: (s) => descendantTiedOutside(s), generated: true },
  // Where a destroy that deletes the tables of the container it is given, but not its descendants' tables, leaves entries behind (kernel.md §3).
  { name: "a descendant's own table naming an object outside its ancestor", reached: (s) => descendantTableNamesOutside(s), generated: true },
  // Tables and identities past their first sizes (the long history, about 50 steps of a run).
  { name: 'more than 32 processes at once', reached: (s) => countObjects(s, 'process') > 32, generated: true, aimedBy: SEQUENCE_SUITES },
  { name: 'more than 256 caps at once', reached: (s) => s.ksCaps.size > 256, generated: true, aimedBy: SEQUENCE_SUITES },
  // Chains of reserving containers past a first table of container rows.
  { name: 'more than 8 containers at once', reached: (s) => countObjects(s, 'container') > 8, generated: true, aimedBy: SEQUENCE_SUITES },
  // Sizes at their boundaries: a container's memory in use that no 32-bit float holds (past 2^24, not a multiple of a large power of two).
  // The isolation suite's mix has fewer quota fragments, whose quarter are these sizes: it meets them in longer runs only.
  { name: 'a memory usage no 32-bit float holds', reached: (s) => [...s.ksObjects.values()].some((o) => o.kind === 'container' && Math.fround(o.usage.memoryBytes) !== o.usage.memoryBytes), generated: true, aimedBy: ['refinement', 'invariants', 'quota'] },
]

/** Live objects of one kind. */
function countObjects(s: KernelState, kind: 'process' | 'container'): number {
  let count = 0
  for (const object of s.ksObjects.values()) if (object.kind === kind) count++
  return count
}

/**
 * A container X other than the root with a descendant G below it (not X itself)
 * tied to what lies outside X's subtree: a cap held outside (a slot, a table, a
 * message) naming G, one of its processes or one of its endpoints, or a message
 * queued on an endpoint of G carrying a cap. A destroy of X must reach all of it.
 * (A process of G holding a cap to an object above X is not counted: every run
 * after the deep preamble has one. Nor is a region's cap held outside: the
 * preamble hands one up to init.)
 */
function descendantTiedOutside(s: KernelState): boolean {
  // Only a container below a child of the root can be G: most states have none, and are answered at once.
  const containers = [...s.ksObjects.values()].filter((o) => o.kind === 'container')
  if (!containers.some((c) => c.parent !== null && c.parent !== s.ksRoot)) return false
  // Each container's chain: itself, then its ancestors up to the root.
  const chains = new Map<number, number[]>()
  const chain = (container: number | null): ReadonlyArray<number> => {
    if (container === null) return []
    let known = chains.get(container)
    if (known === undefined) chains.set(container, known = [container, ...chain(s.ksObjects.get(container)?.owner ?? null)])
    return known
  }
  // The container an object lives in (a container in itself).
  const home = (id: number): number | null => { const o = s.ksObjects.get(id); return o === undefined ? null : o.kind === 'container' ? o.id : o.owner }
  // Some X strictly above G (not the root) does not hold `other` in its subtree.
  const apart = (g: number | null, other: number | null) => {
    const around = chain(other)
    return chain(g).some((x, at) => at > 0 && x !== s.ksRoot && !around.includes(x))
  }
  for (const cap of s.ksCaps.values()) {
    const object = s.ksObjects.get(cap.object)
    if (object === undefined) continue
    const at = cap.at
    const holder = at.place === 'slot' ? home(at.process) : at.place === 'table' ? home(s.ksNamespaces.get(at.namespace)?.creator ?? -1) : home(at.endpoint)
    // A cap outside naming G, a process or an endpoint of G.
    if (object.kind !== 'region' && object.kind !== 'device' && apart(home(object.id), holder)) return true
    // A cap queued on an endpoint of G (a container with a parent other than the root).
    if (at.place === 'message' && chain(holder).length >= 3) return true
  }
  return false
}

/**
 * A table (mount, net, ipc) created by a container G below a container X other
 * than the root, with an entry naming an object outside X's subtree: a destroy of
 * X must delete G's tables with G, and the entry with them, though its object
 * stays. (An entry naming an object inside X's subtree goes with its object.)
 */
function descendantTableNamesOutside(s: KernelState): boolean {
  const parentOf = (id: number): number | null => { const o = s.ksObjects.get(id); return o === undefined ? null : o.kind === 'container' ? o.parent : o.owner }
  for (const namespace of s.ksNamespaces.values()) {
    if (namespace.entries.size === 0 || namespace.kind === 'pid' || namespace.kind === 'user') continue
    // X: the creator's ancestors strictly above it, below the root.
    const above: number[] = []
    for (let at = parentOf(namespace.creator); at !== null && at !== s.ksRoot; at = parentOf(at)) above.push(at)
    if (above.length === 0) continue
    for (const capId of namespace.entries.values()) {
      const object = s.ksCaps.get(capId)?.object
      if (object === undefined) continue
      const around: number[] = []
      for (let at: number | null = s.ksObjects.get(object)?.kind === 'container' ? object : parentOf(object); at !== null; at = parentOf(at)) around.push(at)
      if (above.some((x) => !around.includes(x))) return true
    }
  }
  return false
}

/** A running process other than init holding a cap to a device its container's limits do not allow. */
function holdsForeignDevice(s: KernelState): boolean {
  return [...s.ksObjects.values()].some((o) => {
    if (o.kind !== 'process' || o.status !== 'running' || o.id === s.ksInit || o.owner === null) return false
    const allowed = getContainer(s, o.owner).limits.devices
    return o.slots.some((capId) => {
      const object = capId === null ? undefined : getObject(s, s.ksCaps.get(capId)?.object ?? -1)
      return object?.kind === 'device' && !allowed.includes(object.name)
    })
  })
}

/** Running processes with a pid below 10 and one of 10 or more in one pid namespace. */
function pidsPastOneDigit(s: KernelState): boolean {
  const digits = new Map<number, number>()
  for (const o of s.ksObjects.values()) {
    if (o.kind !== 'process' || o.status !== 'running') continue
    for (const [namespace, pid] of o.pids) digits.set(namespace, (digits.get(namespace) ?? 0) | (pid < 10 ? 1 : 2))
  }
  return [...digits.values()].some((mask) => mask === 3)
}

/** A container other than the root with a reserved resource used to its limit by its own usage and its children's reservations, both above 0. */
function limitMetTogether(s: KernelState): boolean {
  const reserved = new Map<number, Record<ReservedResource, number>>()
  for (const object of s.ksObjects.values()) {
    if (object.kind !== 'container' || object.parent === null) continue
    const sums = reserved.get(object.parent) ?? { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0 }
    for (const resource of RESERVED_RESOURCES) sums[resource] += object.limits[resource]
    reserved.set(object.parent, sums)
  }
  return [...reserved].some(([id, sums]) => {
    const container = s.ksObjects.get(id)
    return id !== s.ksRoot && container?.kind === 'container'
      && RESERVED_RESOURCES.some((r) => sums[r] > 0 && container.usage[r] > 0 && container.usage[r] + sums[r] === container.limits[r])
  })
}

/** A running process with a cap to itself in one of its slots. */
function holdsItself(s: KernelState): boolean {
  return [...s.ksObjects.values()].some((o) => o.kind === 'process' && o.status === 'running'
    && o.slots.some((capId) => capId !== null && s.ksCaps.get(capId)?.object === o.id))
}

/** Whether object `id` is a container in the subtree of `top`, or owned by one. */
function withinSubtree(s: KernelState, id: number, top: number): boolean {
  const object = s.ksObjects.get(id)
  let container: number | null = object === undefined ? null : object.kind === 'container' ? object.id : object.owner
  while (container !== null) {
    if (container === top) return true
    container = s.ksObjects.get(container)?.owner ?? null
  }
  return false
}

/** A mount, port or service table made by a container other than the root holds a cap to an object outside that container's subtree. */
function ownTableNamesOutside(s: KernelState): boolean {
  return [...s.ksNamespaces.values()].some((namespace) => namespace.creator !== s.ksRoot && namespace.kind !== 'pid' && namespace.kind !== 'user'
    && [...namespace.entries.values()].some((capId) => { const cap = s.ksCaps.get(capId); return cap !== undefined && !withinSubtree(s, cap.object, namespace.creator) }))
}

/**
 * A running process that is uid 0 in an ancestor user namespace of its own (a
 * base-0 map) without being host uid 0: where kernel.md §6 (uid 0 in the owning
 * namespace) and ISO-3 (host uid 0 for an ancestor's table) part.
 */
function uidZeroOfAncestor(s: KernelState): boolean {
  return [...s.ksObjects.values()].some((o) => {
    if (o.kind !== 'process' || o.status !== 'running' || o.owner === null) return false
    const own = getContainer(s, o.owner).namespaces.user
    let ancestor = s.ksNamespaces.get(own)?.parent ?? null
    while (ancestor !== null) {
      if (uidIn(s, o, ancestor) === 0) return hostUid(s, o) !== 0
      ancestor = s.ksNamespaces.get(ancestor)?.parent ?? null
    }
    return false
  })
}

/** A badged cap in a slot whose parent is a table's entry: a lookup's child, which keeps the entry's badge. */
function badgedLookup(s: KernelState): boolean {
  for (const cap of s.ksCaps.values()) {
    if (cap.badge === 0 || cap.parent === null || cap.at.place !== 'slot') continue
    if (s.ksCaps.get(cap.parent)?.at.place === 'table') return true
  }
  return false
}

/**
 * A running process that is uid 0 of the user namespace owning one of the tables
 * its container uses (mount, net, ipc) without that namespace being its own or
 * it being host uid 0, and an entry in that table: kernel.md §6 and ISO-3 forbid
 * it to remove the entry (or bind over it), though a check of uid 0 in the owner
 * alone would allow it.
 */
function entryUnderAncestorUidZero(s: KernelState): boolean {
  return [...s.ksObjects.values()].some((o) => {
    if (o.kind !== 'process' || o.status !== 'running' || o.owner === null) return false
    const namespaces = getContainer(s, o.owner).namespaces
    return (['mount', 'net', 'ipc'] as const).some((kind) => {
      const table = s.ksNamespaces.get(namespaces[kind])
      if (table === undefined || table.entries.size === 0 || table.userNamespace === namespaces.user) return false
      return uidIn(s, o, table.userNamespace) === 0 && hostUid(s, o) !== 0
    })
  })
}

/**
 * Spawn grant lists as kernel.md §4 matches them (by what they grant, each request
 * once, in any order): counted per run when a spawn succeeded with grants that do
 * not fit their requests position by position (a subset, or another order), when
 * one succeeded where taking the first fitting request for each grant in turn
 * fails, and when one was refused (PolicyDenied) because no matching exists.
 */
export const GRANT_CASES = {
  unordered: 'spawn grants matched out of position',
  firstFitFails: 'spawn grants matched where first-fit fails',
  unmatched: 'spawn grants refused: no matching',
} as const

/**
 * What the declared systems the systems suite boots hold (counted per run, from
 * the configuration booted): containers nested under a declared one, a container
 * with a uid map of its own, a badged cap, a cap declared as another's child, devices.
 */
export const SYSTEM_CASES = {
  nested: 'a declared system: a container nested in another',
  userMap: 'a declared system: a container with its own uid map',
  badged: 'a declared system: a badged cap',
  derived: 'a declared system: a cap declared as a child of another',
  devices: 'a declared system: devices',
} as const

/** The {@link SYSTEM_CASES} a configuration holds. */
export function systemCases(config: BootConfig): string[] {
  const containers = config.system?.containers ?? []
  const caps = config.system?.caps ?? []
  return [
    ...(containers.some((container) => container.parent !== 'root') ? [SYSTEM_CASES.nested] : []),
    ...(containers.some((container) => container.namespaces.user !== 'share') ? [SYSTEM_CASES.userMap] : []),
    ...(caps.some((cap) => (cap.badge ?? 0) !== 0) ? [SYSTEM_CASES.badged] : []),
    ...(caps.some((cap) => cap.parent !== undefined) ? [SYSTEM_CASES.derived] : []),
    ...(config.devices.length > 0 ? [SYSTEM_CASES.devices] : []),
  ]
}

/** The offers of a spawn's grants in `state` (the caller's caps are there before and after), or null. */
function grantOffers(state: KernelState, syscall: unknown): { offers: Offer[]; requests: ReadonlyArray<CapRequest> } | null {
  const decoded = ExactSyscallCodec.decode(syscall)
  if (E.isLeft(decoded) || decoded.right.kind !== 'process_spawn') return null
  const call = decoded.right
  const caller = processByRef(state, call.caller)
  const image = state.ksImages.get(call.image)
  if (caller === undefined || image === undefined) return null
  const offers: Offer[] = []
  for (const grant of call.grants) {
    const capId = caller.slots[grant.slot]
    const cap = capId === undefined || capId === null ? undefined : state.ksCaps.get(capId)
    const object = cap === undefined ? undefined : getObject(state, cap.object)
    if (object === undefined) return null
    offers.push({ kind: object.kind, device: object.kind === 'device' ? object.name : null, rights: rightsMask(grant.rights) })
  }
  return { offers, requests: image.manifest.requests }
}

/** Each offer takes the first unused request it fits, in grant order. */
function firstFitMatches(offers: ReadonlyArray<Offer>, requests: ReadonlyArray<CapRequest>): boolean {
  const used = new Set<number>()
  return offers.every((offer) => {
    const index = requests.findIndex((request, at) => !used.has(at) && fitsRequest(offer, request))
    used.add(index)
    return index >= 0
  })
}

/** The {@link GRANT_CASES} a step met. */
export function grantCases(syscall: unknown, outcome: Outcome, state: KernelState): string[] {
  const found = grantOffers(state, syscall)
  if (found === null || found.offers.length === 0) return []
  const { offers, requests } = found
  if (E.isLeft(outcome)) return outcome.left.code === 'PolicyDenied' && !matchesRequests(offers, requests) ? [GRANT_CASES.unmatched] : []
  const inPosition = offers.every((offer, index) => index < requests.length && fitsRequest(offer, requests[index]!))
  return [...(inPosition ? [] : [GRANT_CASES.unordered]), ...(firstFitMatches(offers, requests) ? [] : [GRANT_CASES.firstFitFails])]
}

function containerDepthMax(state: KernelState): number {
  let deepest = 0
  for (const object of state.ksObjects.values()) {
    if (object.kind !== 'container') continue
    let depth = 0
    for (let at = object.parent; at !== null; at = getContainer(state, at).parent) depth++
    deepest = Math.max(deepest, depth)
  }
  return deepest
}

/** The most distinct containers holding a cap along one derivation chain. */
function capHopsMax(state: KernelState): number {
  let most = 0
  for (const cap of state.ksCaps.values()) {
    if (cap.at.place !== 'slot') continue
    const holders = new Set<number>()
    for (let at: number | null = cap.id; at !== null; ) {
      const link = state.ksCaps.get(at)
      if (link === undefined) break
      if (link.at.place === 'slot') holders.add(getObject(state, link.at.process)?.owner ?? -1)
      at = link.parent
    }
    most = Math.max(most, holders.size)
  }
  return most
}

function namespaceMix(state: KernelState): boolean {
  let fresh = false
  let shared = false
  for (const object of state.ksObjects.values()) {
    if (object.kind !== 'container' || object.parent === null) continue
    const parent = getContainer(state, object.parent)
    if (object.namespaces.pid !== parent.namespaces.pid || object.namespaces.user !== parent.namespaces.user) fresh = true
    if (object.namespaces.mount === parent.namespaces.mount) shared = true
  }
  return fresh && shared
}

/** Counters over many runs; `observe` each step, `endRun` after each run. */
export class Coverage {
  runs = 0
  steps = 0
  readonly kindOk = new Map<string, number>()
  readonly kindFailed = new Map<string, number>()
  readonly errors = new Map<string, number>()
  readonly cases = new Map<string, number>()
  /** Per check of the catalogue, over steps: decided-ok, decided-fail, at the bound, one past it. */
  readonly checks = new Map<string, { -readonly [K in keyof CheckCounts]: number }>()
  /**
   * Per ordered pair of checks of one handler (`syscall: earlier » later`), steps
   * whose input was built to fail both (properties/edges.ts) and was refused by the
   * earlier one.
   */
  readonly pairs = new Map<string, number>()
  private readonly run = { ok: new Set<string>(), failed: new Set<string>(), errors: new Set<string>(), cases: new Set<string>() }

  /** Counting checks needs the model's check log, which is off until a coverage exists in this thread. */
  constructor() {
    logChecks(true)
  }

  observe(syscall: unknown, outcome: Outcome, state: KernelState | null): void {
    this.steps++
    this.observeChecks(E.isRight(outcome), syscall)
    const kind = typeof syscall === 'object' && syscall !== null ? String((syscall as { kind?: unknown }).kind) : 'malformed'
    if (E.isRight(outcome)) this.run.ok.add(kind)
    else {
      this.run.failed.add(kind)
      this.run.errors.add(outcome.left.code === 'QuotaExceeded' ? `QuotaExceeded(${outcome.left.resource})` : outcome.left.code)
    }
    if (state === null) return
    for (const deep of DEEP_CASES) if (!this.run.cases.has(deep.name) && deep.reached(state)) this.run.cases.add(deep.name)
    if ((syscall as { kind?: unknown } | null)?.kind === 'process_spawn') for (const name of grantCases(syscall, outcome, state)) this.run.cases.add(name)
  }

  /** A run's boot of a declared system (the systems suite): the cases of `SYSTEM_CASES` it holds. */
  observeBoot(config: BootConfig): void {
    for (const name of systemCases(config)) this.run.cases.add(name)
  }

  /**
   * The model's checks in the step just taken: a refusal was decided by the check
   * that failed (every earlier one passed); a success by every check on its path.
   */
  private observeChecks(succeeded: boolean, syscall: unknown): void {
    const events = lastStepChecks()
    const counts = (check: string) => {
      let found = this.checks.get(check)
      if (found === undefined) this.checks.set(check, found = { ok: 0, fail: 0, atBound: 0, onePast: 0 })
      return found
    }
    for (const event of events) {
      if (event.edge === 'at-bound' && event.passed) counts(event.check).atBound++
      if (event.edge === 'one-past' && !event.passed) counts(event.check).onePast++
    }
    if (succeeded) for (const event of events) counts(event.check).ok++
    else {
      const last = events[events.length - 1]
      if (last !== undefined && !last.passed) {
        counts(last.check).fail++
        this.observePairs(last.check, syscall)
      }
    }
  }

  /** A refusal by `decider` of an input built to fail it and later checks: one count per such pair. */
  private observePairs(decider: string, syscall: unknown): void {
    const broken = brokenChecks(syscall)
    if (broken === undefined || broken.length < 2 || !broken.includes(decider)) return
    const at = CATALOGUE_INDEX.get(decider) ?? -1
    for (const other of broken) {
      if ((CATALOGUE_INDEX.get(other) ?? -1) <= at) continue
      const key = pairKey(decider, other)
      // Two faults where the later check has nothing to look at once the earlier fails (no cap, say) meet no pair.
      if (PAIR_KEYS.has(key)) this.pairs.set(key, (this.pairs.get(key) ?? 0) + 1)
    }
  }

  endRun(): void {
    this.runs++
    const bump = (map: Map<string, number>, keys: Set<string>) => { for (const key of keys) map.set(key, (map.get(key) ?? 0) + 1); keys.clear() }
    bump(this.kindOk, this.run.ok)
    bump(this.kindFailed, this.run.failed)
    bump(this.errors, this.run.errors)
    bump(this.cases, this.run.cases)
  }

  /** Merges another coverage (from a worker or a shard). */
  add(other: CoverageJson): void {
    this.runs += other.runs
    this.steps += other.steps
    const merge = (map: Map<string, number>, from: Record<string, number>) => { for (const [k, v] of Object.entries(from)) map.set(k, (map.get(k) ?? 0) + v) }
    merge(this.kindOk, other.kindOk)
    merge(this.kindFailed, other.kindFailed)
    merge(this.errors, other.errors)
    merge(this.cases, other.cases)
    merge(this.pairs, other.pairs ?? {})
    for (const [check, counts] of Object.entries(other.checks ?? {})) {
      const mine = this.checks.get(check) ?? { ok: 0, fail: 0, atBound: 0, onePast: 0 }
      this.checks.set(check, { ok: mine.ok + counts.ok, fail: mine.fail + counts.fail, atBound: mine.atBound + counts.atBound, onePast: mine.onePast + counts.onePast })
    }
  }

  toJson(): CoverageJson {
    const sorted = (map: Map<string, number>) => Object.fromEntries([...map.entries()].sort(([a], [b]) => a.localeCompare(b)))
    const checks = Object.fromEntries([...this.checks.entries()].sort(([a], [b]) => a.localeCompare(b)))
    return { runs: this.runs, steps: this.steps, kindOk: sorted(this.kindOk), kindFailed: sorted(this.kindFailed), errors: sorted(this.errors), cases: sorted(this.cases), checks, pairs: sorted(this.pairs) }
  }
}

/** The coverage of a suite that has not run (or told no progress yet). */
export const NO_COVERAGE: CoverageJson = { runs: 0, steps: 0, kindOk: {}, kindFailed: {}, errors: {}, cases: {} }

export interface CoverageJson {
  readonly runs: number
  readonly steps: number
  readonly kindOk: Record<string, number>
  readonly kindFailed: Record<string, number>
  readonly errors: Record<string, number>
  readonly cases: Record<string, number>
  /** Check-level coverage (absent in results written before it existed). */
  readonly checks?: Record<string, CheckCounts>
  /** Pairs of checks failed at once, refused by the earlier (absent in results written before it existed). */
  readonly pairs?: Record<string, number>
}

/** How often one check decided a step's outcome, and met its bound exactly or missed it by one. */
export interface CheckCounts {
  /** Steps that succeeded with this check on their path. */
  readonly ok: number
  /** Steps refused by this check, every earlier one having passed. */
  readonly fail: number
  /** Passed with the value exactly at its bound (bounded checks). */
  readonly atBound: number
  /** Failed with the value one past its bound (bounded checks). */
  readonly onePast: number
}

/** The catalogue's checks a run never decided one way or the other, and bounded checks whose edges it missed. */
export function checkGaps(checks: Readonly<Record<string, CheckCounts>>): { neverOk: string[]; neverFail: string[]; edgesMissed: string[] } {
  const get = (name: string) => checks[name] ?? { ok: 0, fail: 0, atBound: 0, onePast: 0 }
  return {
    neverOk: CHECK_CATALOGUE.filter((c) => get(c.name).ok === 0).map((c) => c.name),
    neverFail: CHECK_CATALOGUE.filter((c) => get(c.name).fail === 0).map((c) => c.name),
    edgesMissed: CHECK_CATALOGUE.filter((c) => c.bounded && (get(c.name).atBound === 0 || get(c.name).onePast === 0)).map((c) => c.name),
  }
}

const CATALOGUE_INDEX: ReadonlyMap<string, number> = new Map(CHECK_CATALOGUE.map((check, index) => [check.name, index]))
const PAIR_KEYS: ReadonlySet<string> = new Set(CHECK_PAIRS.map((pair) => pair.key))

/**
 * The reachable pairs of {@link CHECK_PAIRS} (`total`) no step met with both checks
 * failing (`missed`, by syscall kind, in catalogue order), and the pairs no state
 * can meet (`unreachable`, each with its reason).
 */
export function pairGaps(pairs: Readonly<Record<string, number>>): { reached: number; total: number; missed: ReadonlyArray<CheckPair>; unreachable: ReadonlyArray<CheckPair> } {
  const reachable = CHECK_PAIRS.filter((pair) => pair.unreachable === undefined)
  const missed = reachable.filter((pair) => (pairs[pair.key] ?? 0) === 0)
  return { reached: reachable.length - missed.length, total: reachable.length, missed, unreachable: CHECK_PAIRS.filter((pair) => pair.unreachable !== undefined) }
}

/** Kinds and error codes no run reached: the generator's blind spots. */
export function coverageGaps(coverage: CoverageJson): { kinds: string[]; errors: string[]; cases: string[] } {
  return {
    kinds: SYSCALL_KINDS.filter((k) => (coverage.kindOk[k] ?? 0) === 0),
    errors: ERROR_CODES.filter((c) => c !== 'QuotaExceeded' && (coverage.errors[c] ?? 0) === 0),
    cases: DEEP_CASES.map((d) => d.name).filter((n) => (coverage.cases[n] ?? 0) === 0),
  }
}
