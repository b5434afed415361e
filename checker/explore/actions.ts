/**
 * The transition alphabet of each preset: every syscall its actors may make, over
 * every slot number. The list is fixed per preset; a syscall that fails in a state
 * is not a transition from it (kernel.md §11).
 * @module
 */
import { RIGHT_NAMES, type RightName } from '../../spec/rights.js'
import type { Preset } from '../../spec/presets.js'
import { ALL_SYSCALLS_DEVICE, CORE_IMAGE, NESTED_IMAGE, NESTED_OLD_IMAGE } from '../../spec/presets.js'
import { type Limits, type NamespaceConfig, RESERVED_RESOURCES, type ReservedResource } from '../../spec/limits.js'
import { BOUNDS } from '../../spec/numbers.js'
import { bootNamed } from '../../model/boot.js'
import { available, childReservations } from '../../model/accounting.js'
import { type ContainerObject, type KernelState, getContainer, getNamespace } from '../../model/state.js'
import type { SystemDescription } from '../../spec/boot.js'

export type Action = Readonly<Record<string, unknown>>

/** An action's syscall kind: what a search's coverage counts transitions by unless told otherwise. */
export const kindOf = (action: Action): string => action.kind as string

/** Every subset of the five rights (32), the empty and the full set included. */
export const RIGHT_SUBSETS: ReadonlyArray<RightName[]> = Array.from({ length: 32 }, (_, mask) => RIGHT_NAMES.filter((_, bit) => (mask & (1 << bit)) !== 0))

/** kernel.md §11's transitions for one process with `slots` slots. */
export function capCoreActions(caller: number, slots: number): Action[] {
  const actions: Action[] = []
  const range = Array.from({ length: slots }, (_, slot) => slot)
  for (const dst of range) actions.push({ kind: 'mem_alloc', caller, sizeBytes: 1, executable: false, dst })
  for (const dst of range) actions.push({ kind: 'ep_create', caller, depth: 1, dst })
  for (const src of range) for (const dst of range) if (dst !== src) for (const rights of RIGHT_SUBSETS) actions.push({ kind: 'cap_copy', caller, src, dst, rights })
  for (const slot of range) actions.push({ kind: 'cap_delete', caller, slot }, { kind: 'cap_revoke', caller, slot })
  for (const slot of range) {
    actions.push({ kind: 'ep_send', caller, slot, payload: 0 })
    for (const xfer of range) actions.push({ kind: 'ep_send', caller, slot, payload: 0, xfer })
  }
  for (const slot of range) {
    actions.push({ kind: 'ep_recv', caller, slot })
    for (const dst of range) actions.push({ kind: 'ep_recv', caller, slot, dst })
  }
  return actions
}

const SMALL_RIGHTS: ReadonlyArray<RightName[]> = [['read', 'write', 'execute', 'grant', 'control'], ['write'], ['read'], []]
const CHILD_LIMITS = { memoryBytes: 2, processes: 1, endpoints: 1, cpuBudget: 2 ** 36, ioBytes: 4, cpuWeight: 1, devices: [] }

/** The `nested` preset's broader alphabet: containers, spawns, namespaces, memory and IPC over a few values. */
export function nestedActions(caller: number, slots: number): Action[] {
  const actions: Action[] = []
  const range = Array.from({ length: slots }, (_, slot) => slot)
  for (const dst of range) {
    actions.push({ kind: 'mem_alloc', caller, sizeBytes: 1, executable: false, dst }, { kind: 'ep_create', caller, depth: 1, dst })
    actions.push({ kind: 'svc_lookup', caller, name: 'svc', dst }, { kind: 'resolve', caller, path: '/data', dst })
    for (const parent of range) if (parent !== dst) {
      actions.push({ kind: 'container_create', caller, parent, dst, limits: CHILD_LIMITS, namespaces: { pid: 'new', mount: 'share', net: 'share', ipc: 'share', user: 'share' } })
      for (const image of [NESTED_IMAGE.digest, NESTED_OLD_IMAGE.digest]) actions.push({ kind: 'process_spawn', caller, container: parent, image, uid: 0, slots: 2, grants: [{ slot: parent, rights: SMALL_RIGHTS[0] }], dst })
    }
  }
  for (const slot of range) {
    actions.push({ kind: 'cap_delete', caller, slot }, { kind: 'cap_revoke', caller, slot }, { kind: 'container_destroy', caller, slot }, { kind: 'process_kill', caller, slot })
    actions.push({ kind: 'svc_register', caller, name: 'svc', slot }, { kind: 'mount', caller, path: '/data', slot, rights: ['write'] })
    actions.push({ kind: 'mem_map', caller, slot, perms: ['read', 'write'] }, { kind: 'ep_send', caller, slot, payload: 0 }, { kind: 'ep_recv', caller, slot })
    for (const rights of SMALL_RIGHTS) for (const dst of range) if (dst !== slot) actions.push({ kind: 'cap_copy', caller, src: slot, dst, rights })
  }
  actions.push({ kind: 'svc_unregister', caller, name: 'svc' }, { kind: 'unmount', caller, path: '/data' }, { kind: 'process_list', caller })
  return actions
}

const ALL: RightName[] = ['read', 'write', 'execute', 'grant', 'control']
/** A child container of `all-syscalls`: reserves one of everything out of A, may use the device. */
const SMALL_LIMITS: Limits = { memoryBytes: 1, processes: 1, endpoints: 1, cpuBudget: 1, ioBytes: 1, cpuWeight: 1, devices: [ALL_SYSCALLS_DEVICE] }
/** What `container_set_limits` asks for: more memory, the device dropped. */
const RAISED_LIMITS: Limits = { ...SMALL_LIMITS, memoryBytes: 2, devices: [] }
/**
 * The namespace configurations of `all-syscalls`' `container_create`: between them
 * every mode of every namespace (`new` and `share` for pid, mount, net and ipc;
 * `share` and a uid map for user) — all shared, all new with a map inside A's,
 * and mixed (a pid namespace shared with A's own, the others new).
 */
export const ALL_SYSCALLS_NAMESPACES: ReadonlyArray<NamespaceConfig> = [
  { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' },
  { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base: 1, count: 2 } },
  { pid: 'share', mount: 'new', net: 'share', ipc: 'new', user: 'share' },
]

/**
 * `all-syscalls`' alphabet for pA (every syscall kind a process makes, over its
 * slots and a value or two of each argument), init's two (I/O on the device, and
 * sending the device to pA over E), and the clock's (`tick`, `sched_run`).
 */
export function allSyscallsActions(caller: number, slots: number): Action[] {
  const actions: Action[] = []
  const range = Array.from({ length: slots }, (_, slot) => slot)
  const pairs = range.flatMap((a) => range.filter((b) => b !== a).map((b) => [a, b] as const))
  for (const [src, dst] of pairs) {
    actions.push({ kind: 'cap_copy', caller, src, dst, rights: ALL }, { kind: 'cap_copy', caller, src, dst, rights: ['write'] }, { kind: 'cap_copy', caller, src, dst, rights: ['write'], badge: 9 })
    actions.push({ kind: 'cap_move', caller, src, dst })
    for (const namespaces of ALL_SYSCALLS_NAMESPACES) actions.push({ kind: 'container_create', caller, parent: src, dst, limits: SMALL_LIMITS, namespaces })
    actions.push({ kind: 'process_spawn', caller, container: src, image: CORE_IMAGE.digest, uid: 1, slots: 1, grants: [], dst })
    actions.push({ kind: 'ep_send', caller, slot: src, payload: 0, xfer: dst }, { kind: 'ep_recv', caller, slot: src, dst })
  }
  for (const slot of range) {
    actions.push({ kind: 'cap_delete', caller, slot }, { kind: 'cap_revoke', caller, slot }, { kind: 'cap_inspect', caller, slot })
    actions.push({ kind: 'container_destroy', caller, slot }, { kind: 'container_set_limits', caller, slot, limits: RAISED_LIMITS }, { kind: 'container_stats', caller, slot })
    actions.push({ kind: 'process_kill', caller, slot })
    actions.push({ kind: 'mem_alloc', caller, sizeBytes: 1, executable: false, dst: slot }, { kind: 'mem_map', caller, slot, perms: ['read', 'write'] }, { kind: 'mem_unmap', caller, slot })
    actions.push({ kind: 'ep_create', caller, depth: 1, dst: slot }, { kind: 'ep_send', caller, slot, payload: 0 }, { kind: 'ep_recv', caller, slot })
    actions.push({ kind: 'mount', caller, path: '/data', slot, rights: ['read'] }, { kind: 'resolve', caller, path: '/data', dst: slot })
    actions.push({ kind: 'net_bind', caller, port: 80, slot }, { kind: 'net_connect', caller, port: 80, dst: slot })
    actions.push({ kind: 'svc_register', caller, name: 'svc', slot }, { kind: 'svc_lookup', caller, name: 'svc', dst: slot })
    actions.push({ kind: 'io_submit', caller, slot, bytes: 1 })
  }
  actions.push({ kind: 'process_list', caller }, { kind: 'unmount', caller, path: '/data' }, { kind: 'net_unbind', caller, port: 80 }, { kind: 'svc_unregister', caller, name: 'svc' })
  return actions
}

/** The rights a declared system's processes copy caps with, to attenuate them: read only, write only. */
const COPY_RIGHTS: ReadonlyArray<RightName[]> = [['read'], ['write']]
/** The CSpace size of a process a declared system's process spawns. */
export const SPAWNED_SLOTS = 2

/** The rights a declared system's processes mount caps with: one right, read and write, or all three (a mount must be within the source's rights). */
const MOUNT_RIGHTS: ReadonlyArray<RightName[]> = [['read'], ['write'], ['read', 'write'], ['read', 'write', 'grant']]

/** The namespace tables through which processes of a declared system can hand each other caps. */
type Table = 'ipc' | 'net' | 'mount'

/**
 * The tables of each kind that two of a declared system's actors can both reach:
 * `share` resolved up the parents to the container that owns the namespace (the
 * root owns its own), for every declared process, and, when some declared process
 * holds a container cap and the pool has images, for the process it spawns in any
 * of those containers. Two actors in one namespace of a kind can hand each other
 * caps through its table (svc_register and svc_lookup for ipc, net_bind and
 * net_connect for net, mount and resolve for mount); an actor alone in its
 * namespace gains nothing there that a copy does not give it.
 */
export function sharedTables(preset: Preset): ReadonlySet<Table> {
  const system = preset.boot.system
  const containers = new Map((system?.containers ?? []).map((container) => [container.name, container]))
  const owner = (name: string, table: Table): string => {
    const container = containers.get(name)
    if (container === undefined || container.namespaces[table] !== 'share') return name
    return owner(container.parent, table)
  }
  const processes = system?.processes ?? []
  const homes = preset.images.length === 0 ? [] : spawnHomes(system)
  const shared = new Set<Table>()
  for (const table of ['ipc', 'net', 'mount'] as const) {
    const declared = processes.map((process) => owner(process.container, table))
    const twice = new Set(declared).size < declared.length
    if (twice || homes.some((home) => declared.includes(owner(home, table)))) shared.add(table)
  }
  return shared
}

/**
 * The containers a declared system's processes hold caps to (declared
 * containers or the root): where the first process they spawn may live. None:
 * no declared process can spawn, and only the declared ones act.
 */
export function spawnHomes(system: SystemDescription | undefined): string[] {
  const containers = new Set((system?.containers ?? []).map((container) => container.name))
  return capsOfProcesses(system).filter((cap) => containers.has(cap.object) || cap.object === 'root').map((cap) => cap.object)
}

/**
 * Who acts in a declared system: its declared processes (creation indexes 1..n)
 * and, when one of them holds a container cap ({@link spawnHomes}), the first
 * process they spawn (n + 1).
 */
export function declaredActors(system: SystemDescription | undefined): number[] {
  const processes = system?.processes?.length ?? 0
  return Array.from({ length: processes + (spawnHomes(system).length > 0 ? 1 : 0) }, (_, index) => index + 1)
}

/** The declared caps a declared process holds (a cap's holder may also be init, which does not act). */
function capsOfProcesses(system: SystemDescription | undefined): NonNullable<SystemDescription['caps']> {
  const names = new Set((system?.processes ?? []).map((process) => process.name))
  return (system?.caps ?? []).filter((cap) => names.has(cap.holder))
}

/**
 * The reserved resources a declared system's actions use, so that a limit on
 * them can bound what its processes do: memory and endpoints (regions and
 * endpoints are created), processes when the pool has an image to spawn, the
 * CPU budget with CPU accounting on, I/O bytes when there are devices.
 */
export function usedResources(preset: Preset): ReservedResource[] {
  return RESERVED_RESOURCES.filter((resource) => {
    if (resource === 'processes') return preset.images.length > 0
    if (resource === 'cpuBudget') return preset.boot.cpuAccounting !== false
    if (resource === 'ioBytes') return preset.boot.devices.length > 0
    return true
  })
}

/**
 * The limits a declared system's processes may set (`container_set_limits`),
 * for each declared container that a declared process holds `control` of at
 * boot (a container the alphabet creates gets its limits from
 * {@link childConfigs}, and these are tried on it too): its
 * declared limits with each resource of {@link usedResources} one less, one
 * more, or raised by all its parent has left at boot (one more: refused when
 * the parent has nothing left; one less: refused below the container's use and
 * its children's reservations; all that is left: the most a holder can take, so
 * that a bound resting on a limit meets the largest raise the parent allows);
 * memory and processes in every combination (a spawn spends both: a second
 * process needs memory for its image too), endpoints, the CPU budget and I/O
 * bytes one at a time (no action spends them together),
 * and, one resource at a time, each at its floor (what the container uses
 * and its children reserve at boot), one below it (refused) and one above it
 * (the tightest limits: the next use is one past, which a budget or quota
 * compared off by one admits; one above, for a setter inside the container
 * whose own syscall is charged to it first),
 * with each device of the boot's list dropped or added (the parent's
 * allowed set, the children's), and with the CPU weight of each other declared
 * container or the root (a tie in the scheduler) or one more. Limits on
 * resources nothing uses stay as declared: changing them bounds nothing a
 * property sees. The values are absolute, so a container's limits take one of
 * finitely many values.
 */
export function limitVariants(preset: Preset, only?: ReadonlyArray<string>): Limits[] {
  const system = preset.boot.system
  // `only`: the declared containers to vary (`sila check --boot` varies them all); those a declared process governs otherwise.
  const governed = new Set(only ?? governedNames(system))
  const containers = (system?.containers ?? []).filter((container) => governed.has(container.name))
  if (containers.length === 0) return []
  const { state, names } = bootNamed(preset.boot, preset.images)
  const resources = usedResources(preset)
  // A spawn spends memory and a process at once: those two combined; endpoints, the CPU budget and I/O bytes one at a time.
  const spawning: ReservedResource[] = resources.filter((resource) => resource === 'memoryBytes' || resource === 'processes')
  const devices = preset.boot.devices.map((device) => device.name)
  const variants = new Map<string, Limits>()
  const add = (limits: Limits) => variants.set(JSON.stringify(limits), limits)
  for (const container of containers) {
    const declared = container.limits
    const parent = getContainer(state, names.get(container.parent)!)
    const valuesOf = (resource: ReservedResource): number[] => {
      const value = declared[resource]
      return [...new Set([value - 1, value, value + 1, value + available(state, parent, resource)])].filter((next) => next >= 0 && next <= BOUNDS.countMax)
    }
    let combinations: Limits[] = [declared]
    for (const resource of spawning) combinations = combinations.flatMap((limits) => valuesOf(resource).map((next) => ({ ...limits, [resource]: next })))
    for (const resource of resources) if (!spawning.includes(resource)) combinations.push(...valuesOf(resource).map((next) => ({ ...declared, [resource]: next })))
    // The floor (what the container uses and its children reserve at boot), one resource at a time: below it refused, at it and
    // one above it (the setter's own CPU charge, when it lives there) the tightest limits, under which the next use is one past.
    const own = getContainer(state, names.get(container.name)!)
    const reserved = childReservations(state, own.id)
    for (const resource of resources) {
      const floor = own.usage[resource] + reserved[resource]
      for (const next of [floor - 1, floor, floor + 1]) if (next >= 0 && next <= BOUNDS.countMax) combinations.push({ ...declared, [resource]: next })
    }
    for (const limits of combinations) if (resources.some((resource) => limits[resource] !== declared[resource])) add(limits)
    for (const device of devices) add({ ...declared, devices: declared.devices.includes(device) ? declared.devices.filter((name) => name !== device) : [...declared.devices, device] })
    for (const weight of bootWeights(preset)) if (weight !== declared.cpuWeight) add({ ...declared, cpuWeight: weight })
    if (declared.cpuWeight < BOUNDS.cpuWeightMax) add({ ...declared, cpuWeight: declared.cpuWeight + 1 })
  }
  return [...variants.values()]
}

/** The names of what declared processes hold `control` of (a declared cap's object: a container, the root, or something else). */
function governedNames(system: SystemDescription | undefined): string[] {
  return [...new Set(capsOfProcesses(system).filter((cap) => cap.rights.includes('control')).map((cap) => cap.object))]
}

/** The CPU weights of the root and the declared containers, each once, ascending. */
function bootWeights(preset: Preset): number[] {
  return [...new Set(bootLimits(preset).map((limits) => limits.cpuWeight))].sort((a, b) => a - b)
}

/** The declared limits of the root and of each declared container. */
function bootLimits(preset: Preset): Limits[] {
  return [preset.boot.root.limits, ...(preset.boot.system?.containers ?? []).map((container) => container.limits)]
}

/** The boot state and the containers (declared, or the root) among `names`, each once, in order; names of other objects are passed over. */
function bootContainers(preset: Preset, names: ReadonlyArray<string>): { readonly state: KernelState; readonly containers: ContainerObject[] } {
  const booted = bootNamed(preset.boot, preset.images)
  const containers = new Map<string, ContainerObject>()
  for (const name of names) {
    const id = booted.names.get(name)
    const object = id === undefined ? undefined : booted.state.ksObjects.get(id)
    if (object?.kind === 'container') containers.set(name, object)
  }
  return { state: booted.state, containers: [...containers.values()] }
}

/** A child container's request: its limits and namespaces. */
export interface ChildConfig {
  readonly limits: Limits
  readonly namespaces: NamespaceConfig
}

const SHARE_ALL: NamespaceConfig = { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' }
const NEW_ALL: NamespaceConfig = { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: 'share' }

/**
 * The children a declared system's processes create (`container_create`), for
 * each container (declared, or the root) that a declared process holds
 * `control` of at boot: an empty one (no resources, weight 1) with every
 * namespace shared, every one new, and every one new with a user namespace
 * mapping the parent's whole uid range (the widest map allowed) or that range
 * shifted by one (one uid past it: refused); and, namespaces shared, one that
 * takes all the parent has left at boot of each resource of
 * {@link usedResources} (its weight and devices), that plus one of each such
 * resource in turn (refused while the parent has no more), and an empty one
 * asking for each boot device the parent does not allow (refused). The
 * boundaries of the reservation, the uid map and the device set are each met
 * on both sides; values are absolute, so the space stays finite. None when no
 * declared process holds control of a container.
 */
export function childConfigs(preset: Preset, only?: ReadonlyArray<string>): ChildConfig[] {
  // `only`: the containers (the root's name included) whose children are made (`sila check --boot` makes them in all); those a declared process governs otherwise.
  const { state, containers } = bootContainers(preset, only ?? governedNames(preset.boot.system))
  if (containers.length === 0) return []
  const resources = usedResources(preset)
  const empty: Limits = { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0, cpuWeight: 1, devices: [] }
  const configs = new Map<string, ChildConfig>()
  const add = (limits: Limits, namespaces: NamespaceConfig) => configs.set(JSON.stringify([limits, namespaces]), { limits, namespaces })
  for (const parent of containers) {
    const range = getNamespace(state, parent.namespaces.user).uidMap.count
    for (const namespaces of [SHARE_ALL, NEW_ALL, { ...NEW_ALL, user: { base: 0, count: range } }, { ...NEW_ALL, user: { base: 1, count: range } }]) add(empty, namespaces)
    const room: Limits = { ...empty, cpuWeight: parent.limits.cpuWeight, devices: parent.limits.devices }
    for (const resource of resources) room[resource] = available(state, parent, resource)
    add(room, SHARE_ALL)
    for (const resource of resources) if (room[resource] < BOUNDS.countMax) add({ ...room, [resource]: room[resource] + 1 }, SHARE_ALL)
    for (const device of preset.boot.devices) if (!parent.limits.devices.includes(device.name)) add({ ...empty, devices: [device.name] }, SHARE_ALL)
  }
  return [...configs.values()]
}

/**
 * The quanta of a declared system's `sched_run`: twice the sum of the CPU
 * weights of the root and the declared containers (at least 2), so that every
 * competing container's share comes round at least twice; SCHED-1 is checked
 * over every prefix of the run, so shorter runs add nothing.
 */
export function schedQuanta(preset: Preset): number {
  const total = bootLimits(preset).reduce((sum, limits) => sum + limits.cpuWeight, 0)
  return Math.min(BOUNDS.quantaMax, Math.max(2, 2 * total))
}

/**
 * The byte counts a declared system's processes submit I/O with: 1, and each
 * container's declared `ioBytes` that allows a device (all of a period's
 * budget at once; one byte more is then refused). None without devices.
 */
export function ioSizes(preset: Preset): number[] {
  if (preset.boot.devices.length === 0) return []
  const budgets = bootLimits(preset).filter((limit) => limit.devices.length > 0).map((limit) => limit.ioBytes)
  return [...new Set([1, ...budgets])].filter((bytes) => bytes >= 1).sort((a, b) => a - b)
}

/**
 * The sizes a declared system's processes allocate data regions with: 1, and
 * for each container where a declared process lives or one it spawns may live,
 * all the memory it has left at boot and one byte more (the quota's boundary met
 * on both sides: the first fills the container, the second is refused), each at
 * least 1 and at most {@link BOUNDS}.bytesMax. Absolute values, as the limits'.
 */
export function allocSizes(preset: Preset): number[] {
  const system = preset.boot.system
  const homes = [...(system?.processes ?? []).map((process) => process.container), ...(preset.images.length > 0 ? spawnHomes(system) : [])]
  const { state, containers } = bootContainers(preset, homes)
  const sizes = new Set([1])
  for (const container of containers) {
    const room = available(state, container, 'memoryBytes')
    for (const size of [room, room + 1]) if (size >= 1 && size <= BOUNDS.bytesMax) sizes.add(size)
  }
  return [...sizes].sort((a, b) => a - b)
}

/**
 * The uids a declared system's processes spawn with: 0, and for each container
 * they may spawn into ({@link spawnHomes}) the last uid its user namespace maps
 * at boot and the first it does not (refused): the map's boundary on both
 * sides, and a process that is not root in its namespace (ISO-3 then bars it
 * from tables an ancestor user namespace owns). Each at most {@link BOUNDS}.uidMax.
 */
export function spawnUids(preset: Preset): number[] {
  const { state, containers } = bootContainers(preset, preset.images.length > 0 ? spawnHomes(preset.boot.system) : [])
  const uids = new Set([0])
  for (const container of containers) {
    const count = getNamespace(state, container.namespaces.user).uidMap.count
    for (const uid of [count - 1, count]) if (uid >= 0 && uid <= BOUNDS.uidMax) uids.add(uid)
  }
  return [...uids].sort((a, b) => a - b)
}

/**
 * The badge a declared system's processes mint on a copy (`cap_copy` with
 * `badge`, rights `write`: a client's send cap): one more than any declared
 * cap's, so that it names no one else; allowed once, on an unbadged endpoint
 * cap only (a badged cap's badge never changes).
 */
export function mintBadge(preset: Preset): number {
  const declared = (preset.boot.system?.caps ?? []).map((cap) => cap.badge ?? 0)
  return Math.min(BOUNDS.badgeMax, Math.max(0, ...declared) + 1)
}

/** The perms a declared system's processes map regions with: a data mapping, a code mapping, and write with execute (W^X: always refused). */
const MAP_PERMS: ReadonlyArray<RightName[]> = [['read', 'write'], ['read', 'execute'], ['write', 'execute']]

/**
 * The alphabet of a system declared in a boot file: what each actor may do with
 * what it holds, over its slots. It copies caps to attenuate them (read only,
 * write only) and to mint a badge on them ({@link mintBadge}, write only), moves
 * them between its slots, deletes and revokes them; creates endpoints (depth 1,
 * and 2: a queue whose ring wraps), data regions ({@link allocSizes}: up to its
 * container's memory quota and one byte past it) and executable regions (1 byte)
 * into each slot; sends (with or without a cap; a sent cap is a copy) and
 * receives (into each slot); maps regions ({@link MAP_PERMS}: read-write,
 * read-execute, and write-execute, which W^X refuses) and unmaps them;
 * submits I/O to devices ({@link ioSizes}); kills processes; destroys
 * containers, sets their limits ({@link limitVariants}) and creates children
 * in those it controls ({@link childConfigs}); spawns each image
 * of the pool into a container it holds ({@link SPAWNED_SLOTS} slots), with no
 * grant (as each uid of {@link spawnUids}) or one `read` or `write` grant of
 * another slot (uid 0), and each image forged beside the pool's
 * (`preset.forged`: forged-images.ts) with no grant as uid 0; and, through
 * each namespace table two actors share ({@link sharedTables}), hands caps on:
 * registers, looks up and unregisters services named after the declared
 * endpoints (ipc, also wherever a declared
 * container shares its parent's ipc namespace), binds, connects and unbinds a
 * port per declared endpoint (net: 1, 2, ... in declaration order), and mounts
 * (with {@link MOUNT_RIGHTS}), resolves and unmounts a path per declared object
 * (mount: `/NAME`; `/shared` when none is declared). With CPU accounting on,
 * the clock ticks; the scheduler runs ({@link schedQuanta}). Each actor lists
 * the processes it sees (ISO-2 checks the answer). It creates namespaces only
 * with a child container. The two syscalls that only read, `cap_inspect` and
 * `container_stats`, are in it (from each slot) only with `readers` (what
 * `--refine` searches): their answers break no invariant, only a comparison with
 * the model's can tell one wrong, and each adds a transition per slot to every
 * state.
 */
export function declaredActions(preset: Preset, readers = false): Action[] {
  const processes = preset.boot.system?.processes ?? []
  const shared = sharedTables(preset)
  // A service directory also wherever a container shares its parent's ipc namespace (others may see it).
  const directory = shared.has('ipc') || (preset.boot.system?.containers ?? []).some((container) => container.namespaces.ipc === 'share')
  const objects = preset.boot.system?.objects ?? []
  const endpoints = objects.filter((object) => object.kind === 'endpoint').map((object) => object.name)
  const services = directory ? endpoints : []
  const ports = shared.has('net') ? endpoints.map((_, index) => index + 1) : []
  // Any cap can be mounted (a container's, a process's): a system that declares no object still gets one path.
  const paths = !shared.has('mount') ? [] : objects.length > 0 ? objects.map((object) => `/${object.name}`) : ['/shared']
  const limits = limitVariants(preset)
  const children = childConfigs(preset)
  const sizes = ioSizes(preset)
  const allocs = allocSizes(preset)
  const uids = spawnUids(preset)
  const badge = mintBadge(preset)
  const forged = new Set(preset.forged ?? [])
  const actions: Action[] = []
  for (const caller of preset.actors) {
    const range = Array.from({ length: processes[caller - 1]?.slots ?? SPAWNED_SLOTS }, (_, slot) => slot)
    const pairs = range.flatMap((a) => range.filter((b) => b !== a).map((b) => [a, b] as const))
    for (const [src, dst] of pairs) {
      for (const rights of COPY_RIGHTS) actions.push({ kind: 'cap_copy', caller, src, dst, rights })
      actions.push({ kind: 'cap_copy', caller, src, dst, rights: ['write'], badge }, { kind: 'cap_move', caller, src, dst })
      actions.push({ kind: 'ep_send', caller, slot: src, payload: 0, xfer: dst }, { kind: 'ep_recv', caller, slot: src, dst })
      for (const child of children) actions.push({ kind: 'container_create', caller, parent: src, dst, limits: child.limits, namespaces: child.namespaces })
    }
    for (const slot of range) {
      actions.push({ kind: 'cap_delete', caller, slot }, { kind: 'cap_revoke', caller, slot }, { kind: 'process_kill', caller, slot })
      actions.push({ kind: 'ep_send', caller, slot, payload: 0 }, { kind: 'ep_recv', caller, slot })
      for (const perms of MAP_PERMS) actions.push({ kind: 'mem_map', caller, slot, perms })
      actions.push({ kind: 'mem_unmap', caller, slot })
      for (const bytes of sizes) actions.push({ kind: 'io_submit', caller, slot, bytes })
      actions.push({ kind: 'ep_create', caller, depth: 1, dst: slot }, { kind: 'ep_create', caller, depth: 2, dst: slot }, { kind: 'mem_alloc', caller, sizeBytes: 1, executable: true, dst: slot })
      for (const sizeBytes of allocs) actions.push({ kind: 'mem_alloc', caller, sizeBytes, executable: false, dst: slot })
      if (readers) actions.push({ kind: 'cap_inspect', caller, slot }, { kind: 'container_stats', caller, slot })
      actions.push({ kind: 'container_destroy', caller, slot })
      for (const set of limits) actions.push({ kind: 'container_set_limits', caller, slot, limits: set })
      for (const name of services) actions.push({ kind: 'svc_register', caller, name, slot }, { kind: 'svc_lookup', caller, name, dst: slot })
      for (const port of ports) actions.push({ kind: 'net_bind', caller, port, slot }, { kind: 'net_connect', caller, port, dst: slot })
      for (const path of paths) {
        for (const rights of MOUNT_RIGHTS) actions.push({ kind: 'mount', caller, path, slot, rights })
        actions.push({ kind: 'resolve', caller, path, dst: slot })
      }
    }
    actions.push({ kind: 'process_list', caller })
    for (const name of services) actions.push({ kind: 'svc_unregister', caller, name })
    for (const port of ports) actions.push({ kind: 'net_unbind', caller, port })
    for (const path of paths) actions.push({ kind: 'unmount', caller, path })
    for (const [container, dst] of pairs) {
      for (const image of preset.images) {
        // A forged image: one grant-less spawn as uid 0 (it is refused for the image whatever the uid or the grants).
        const genuine = !forged.has(image.digest)
        for (const uid of genuine ? uids : [0]) actions.push({ kind: 'process_spawn', caller, container, image: image.digest, uid, slots: SPAWNED_SLOTS, grants: [], dst })
        if (!genuine) continue
        for (const slot of range) {
          if (slot === container || slot === dst) continue
          for (const rights of COPY_RIGHTS) actions.push({ kind: 'process_spawn', caller, container, image: image.digest, uid: 0, slots: SPAWNED_SLOTS, grants: [{ slot, rights }], dst })
        }
      }
    }
  }
  if (preset.boot.cpuAccounting !== false) actions.push({ kind: 'tick' })
  actions.push({ kind: 'sched_run', quanta: schedQuanta(preset) })
  return actions
}

/**
 * How many actions {@link declaredActions} makes for `preset`, each caller's
 * apart (in `preset.actors` order), counted without making them: a process's
 * share grows with the cube of its slots (a spawn names a container, a
 * destination and a granted slot), so a process of a few hundred slots has
 * more actions than memory holds, and a search must be refused before the
 * alphabet is made. A test holds it equal to the length of the list made.
 */
export function declaredAlphabetSizes(preset: Preset, readers = false): { readonly perCaller: ReadonlyArray<number>; readonly total: number } {
  const processes = preset.boot.system?.processes ?? []
  const shared = sharedTables(preset)
  const directory = shared.has('ipc') || (preset.boot.system?.containers ?? []).some((container) => container.namespaces.ipc === 'share')
  const objects = preset.boot.system?.objects ?? []
  const services = directory ? objects.filter((object) => object.kind === 'endpoint').length : 0
  const ports = shared.has('net') ? objects.filter((object) => object.kind === 'endpoint').length : 0
  const paths = !shared.has('mount') ? 0 : Math.max(objects.length, 1)
  const forged = new Set(preset.forged ?? [])
  const genuine = preset.images.filter((image) => !forged.has(image.digest)).length
  const counterfeit = preset.images.length - genuine
  const [limits, children, sizes, allocs, uids] = [limitVariants(preset).length, childConfigs(preset).length, ioSizes(preset).length, allocSizes(preset).length, spawnUids(preset).length]
  const perCaller = preset.actors.map((caller) => {
    const slots = processes[caller - 1]?.slots ?? SPAWNED_SLOTS
    const pairs = slots * (slots - 1)
    const perPair = COPY_RIGHTS.length + 4 + children
    const perSlot = 6 + MAP_PERMS.length + sizes + 3 + allocs + (readers ? 2 : 0) + 1 + limits + 2 * services + 2 * ports + paths * (MOUNT_RIGHTS.length + 1)
    const spawnsPerPair = genuine * (uids + Math.max(slots - 2, 0) * COPY_RIGHTS.length) + counterfeit
    return pairs * (perPair + spawnsPerPair) + slots * perSlot + 1 + services + ports + paths
  })
  const clock = (preset.boot.cpuAccounting !== false ? 1 : 0) + 1
  return { perCaller, total: perCaller.reduce((sum, n) => sum + n, 0) + clock }
}

/** The syscall kinds of a preset's alphabet (with `readers`, as {@link presetActions}), each once, in the alphabet's order. */
export function alphabetKinds(preset: Preset, readers = false): string[] {
  return [...new Set(presetActions(preset, { readers }).map((action) => String(action.kind)))]
}

/**
 * The alphabet of a preset. `readers`: a declared system's alphabet also
 * inspects caps and reads container stats ({@link declaredActions}); a search
 * with `--refine` asks for it, since only the model's answers can tell theirs
 * wrong. The presets' alphabets are fixed (all-syscalls has both already).
 */
export function presetActions(preset: Preset, options: { readonly readers?: boolean } = {}): Action[] {
  if (preset.declared === true) return declaredActions(preset, options.readers ?? false)
  const slotsOf = (ref: number) => preset.boot.system?.processes?.[ref - 1]?.slots ?? 2
  if (preset.name === 'nested') return preset.actors.flatMap((ref) => nestedActions(ref, ref === 1 ? slotsOf(1) : 2)).concat([{ kind: 'tick' }])
  if (preset.name === 'all-syscalls') {
    return [
      ...allSyscallsActions(1, slotsOf(1)),
      { kind: 'io_submit', caller: 0, slot: 1, bytes: 1 }, { kind: 'ep_send', caller: 0, slot: 4, payload: 0, xfer: 1 },
      { kind: 'tick' }, { kind: 'sched_run', quanta: 1 },
    ]
  }
  return preset.actors.flatMap((ref) => capCoreActions(ref, slotsOf(ref)))
}

/** A namespace configuration's mode of each kind, as a variant's label says it: all shared, all new, or which are new (a user namespace new: with a uid map). */
function namespacesLabel(namespaces: NamespaceConfig): string {
  const fresh = (['pid', 'mount', 'net', 'ipc'] as const).filter((kind) => namespaces[kind] === 'new')
  const mapped = namespaces.user !== 'share'
  if (fresh.length === 0 && !mapped) return 'namespaces shared'
  if (fresh.length === 4 && mapped) return 'namespaces new, uid map'
  if (fresh.length === 4) return 'namespaces new'
  return `${fresh.join(' ')}${mapped ? ' user' : ''} new`
}

/**
 * An action's variant: its syscall kind and, in brackets, what sets it apart
 * from the alphabet's other actions of that kind where the difference reaches
 * other code (a badge minted, a code region, a mapping's perms, a queue's depth,
 * a spawn's uid and grant, a child's namespaces and reservation, a copy's or a
 * mount's rights, a send with a cap, a receive into a slot); slots, names and
 * sizes past 1 are not told apart. Coverage by variant (ExploreOptions'
 * `coverageBy`) shows which of them a search took, where coverage by kind would
 * count a kind taken when only its plainest variant ever succeeded.
 */
export function actionVariant(action: Action): string {
  const kind = String(action.kind)
  const features: string[] = []
  const rights = (value: unknown): string => (value as RightName[]).length === 0 ? 'no rights' : (value as RightName[]).join(' ')
  switch (kind) {
    case 'cap_copy':
      features.push(rights(action.rights))
      if (action.badge !== undefined) features.push('badged')
      break
    case 'mem_alloc':
      features.push(action.executable === true ? 'code' : 'data', action.sizeBytes === 1 ? '1 byte' : 'sized')
      break
    case 'mem_map':
      features.push(rights(action.perms))
      break
    case 'mount':
      features.push(rights(action.rights))
      break
    case 'ep_create':
      features.push(`depth ${String(action.depth)}`)
      break
    case 'ep_send':
      features.push(action.xfer === undefined ? 'no cap' : 'with a cap')
      break
    case 'ep_recv':
      features.push(action.dst === undefined ? 'no slot' : 'into a slot')
      break
    case 'process_spawn': {
      const grants = action.grants as ReadonlyArray<{ readonly rights: RightName[] }>
      features.push(action.uid === 0 ? 'uid 0' : 'uid not 0', grants.length === 0 ? 'no grant' : `grant ${grants.map((grant) => rights(grant.rights)).join(', ')}`)
      break
    }
    case 'container_create': {
      const limits = action.limits as Limits
      const reserves = RESERVED_RESOURCES.some((resource) => limits[resource] > 0)
      features.push(namespacesLabel(action.namespaces as NamespaceConfig), reserves ? 'reserving' : 'empty')
      if (limits.devices.length > 0) features.push('devices')
      break
    }
  }
  return features.length === 0 ? kind : `${kind} [${features.join(', ')}]`
}
