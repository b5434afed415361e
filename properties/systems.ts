/**
 * Declared systems (`boot.system`: containers, processes, endpoints, regions
 * and caps that exist from boot), generated: fast-check shapes — up to two
 * containers with random limits, devices and namespaces, one or two processes,
 * endpoints and regions, caps between them, CPU accounting on or off, an image
 * pool — turned into boot configurations the model accepts. The `systems`
 * suite (properties/suites/systems.ts) boots them; the explore engines'
 * differential tests (test/checker/systems.ts) search them.
 * @module
 */
import fc from 'fast-check'
import { CORE_IMAGE, NESTED_IMAGE, NESTED_OLD_IMAGE, PRESETS } from '../spec/presets.js'
import { type BootConfig, BootConfigCodec } from '../spec/boot.js'
import type { ImageRecord } from '../spec/images.js'
import type { RightName } from '../spec/rights.js'
import { boot } from '../model/boot.js'
import { BootError } from '../model/boot-system.js'
import { IMAGE_POOL } from './pool.js'
import { BOUNDS } from '../spec/numbers.js'

/** A pool image the generated containers can afford (memoryBytes 1; the others need 4096). */
export const CHEAP_POOL_IMAGE = IMAGE_POOL.find((image) => image.manifest.memoryBytes <= 1)!

/** The images a declared system may run: the presets' and the property pool's (as `explore --boot` allows). */
export const IMAGES: ReadonlyArray<ImageRecord> = [...new Map([...PRESETS.flatMap((preset) => preset.images), ...IMAGE_POOL].map((image) => [image.digest, image])).values()]
const RIGHTS: ReadonlyArray<RightName> = ['read', 'write', 'execute', 'grant', 'control']
const UNLIMITED = 2 ** 39

const limitsArb = fc.record({
  memoryBytes: fc.integer({ min: 2, max: 5 }), processes: fc.integer({ min: 1, max: 3 }), endpoints: fc.integer({ min: 1, max: 2 }),
  cpuBudget: fc.constantFrom(3, 1000, UNLIMITED / 4), ioBytes: fc.constantFrom(0, 8), cpuWeight: fc.integer({ min: 1, max: 3 }), devices: fc.constant([] as string[]),
})
/** Namespaces of a declared container; `shareIpc`: the ipc and user namespaces shared with the parent twice as often as new ones (a service directory uid 0 may change). */
const namespacesArb = (shareIpc: boolean) => fc.record({
  pid: fc.constantFrom('new' as const, 'share' as const), mount: fc.constantFrom('new' as const, 'share' as const),
  net: fc.constantFrom('new' as const, 'share' as const),
  ipc: shareIpc ? fc.constantFrom('share' as const, 'share' as const, 'new' as const) : fc.constantFrom('new' as const, 'share' as const),
  // Changing a table needs uid 0 in the user namespace that owns it: `shareIpc` shares the user namespace more often too.
  user: fc.oneof({ weight: shareIpc ? 2 : 1, arbitrary: fc.constant('share' as const) }, { weight: 1, arbitrary: fc.record({ base: fc.constantFrom(0, 1000), count: fc.constantFrom(2, 100) }) }),
})

/**
 * A declared system: up to two containers, one or two processes, endpoints or
 * regions, and caps between them. `rich`: at least one container (often sharing
 * its parent's ipc namespace), one object and one cap besides, so that the
 * declared alphabet's services, spawns and kills are reachable.
 */
function shapeArb(rich: boolean) {
  return fc.record({
    cpuAccounting: fc.boolean(),
    devices: fc.subarray(['disk0', 'net0']),
    containers: fc.array(fc.record({ parent: fc.nat(), limits: limitsArb, namespaces: namespacesArb(rich) }), { minLength: rich ? 1 : 0, maxLength: 2 }),
    processes: fc.array(fc.record({
      container: fc.nat(),
      // Images that verify and pass the floors: boot refuses a declared process running another (IMG-1; test/impl/lockstep gives them one), and the pool keeps them for spawns.
      image: fc.constantFrom(NESTED_IMAGE.digest, CORE_IMAGE.digest),
      uid: rich ? fc.constantFrom(0, 0, 1) : fc.constantFrom(0, 1), slots: fc.integer({ min: 2, max: 3 }),
    }), { minLength: 1, maxLength: 2 }),
    objects: fc.array(fc.oneof(
      fc.record({ kind: fc.constant('endpoint' as const), owner: fc.nat(), depth: fc.integer({ min: 1, max: 2 }) }),
      fc.record({ kind: fc.constant('region' as const), owner: fc.nat(), sizeBytes: fc.constant(1), executable: fc.boolean() }),
    ), { minLength: rich ? 1 : 0, maxLength: 2 }),
    caps: fc.array(fc.record({ holder: fc.nat(), slot: fc.nat({ max: 2 }), object: fc.nat(), rights: fc.subarray([...RIGHTS]) }), { minLength: rich ? 1 : 0, maxLength: 3 }),
    /** Per declared container, which of the root's devices its limits allow (filtered to the declared devices). */
    containerDevices: fc.array(fc.subarray(['disk0', 'net0']), { minLength: 2, maxLength: 2 }),
    /** Images the pool holds besides the processes' own (a declared system's processes may spawn them). */
    pool: fc.subarray([CHEAP_POOL_IMAGE.digest, NESTED_OLD_IMAGE.digest]),
    /** `rich`, often: the first process holds a control cap to the last container (it may spawn there and kill what it spawned). */
    spawner: rich ? fc.constantFrom(true, true, false) : fc.constant(false),
  })
}

/** Declared systems of every size the shapes allow, none at all of containers, objects or caps included. */
export const systemArb = shapeArb(false)
/** Declared systems with a container, an object and a cap at least (for the declared alphabet's services, spawns and kills). */
export const richSystemArb = shapeArb(true)

export type SystemShape = typeof systemArb extends fc.Arbitrary<infer T> ? T : never

/** The generated shape as a boot configuration (names from indices), or the model's reason when it refuses to boot it. */
export function bootConfigOf(shape: SystemShape): BootConfig | string {
  const containerNames = ['root', ...shape.containers.map((_, index) => `c${index}`)]
  const pick = <T>(items: ReadonlyArray<T>, index: number): T => items[index % items.length]!
  const processes = shape.processes.map((process, index) => ({ name: `p${index}`, container: pick(containerNames, process.container), image: process.image, uid: process.uid, slots: process.slots }))
  const objects = shape.objects.map((object, index) => (object.kind === 'endpoint'
    ? { name: `o${index}`, kind: 'endpoint' as const, owner: pick(containerNames, object.owner), depth: object.depth }
    : { name: `o${index}`, kind: 'region' as const, owner: pick(containerNames, object.owner), sizeBytes: object.sizeBytes, executable: object.executable }))
  // Caps may name a device too (a driver's `write`): the declared alphabet's io_submit needs one.
  const named = [...containerNames.slice(1), ...objects.map((object) => object.name), ...processes.map((process) => process.name), ...shape.devices]
  // Every declared object is named by a cap (boot refuses an unnamed one), then the generated caps in free slots.
  const used = new Set<string>()
  const caps: Array<{ holder: string; slot: number; object: string; rights: RightName[] }> = []
  const place = (holder: { name: string; slots: number }, slot: number, object: string, rights: RightName[]) => {
    for (let at = slot; at < holder.slots; at++) if (!used.has(`${holder.name}:${at}`)) { used.add(`${holder.name}:${at}`); caps.push({ holder: holder.name, slot: at, object, rights }); return }
  }
  // Rights within what the object's kind carries: boot refuses more.
  const carried = (name: string) => carriedRights(shape.devices.includes(name), objects.find((candidate) => candidate.name === name))
  objects.forEach((object, index) => place(pick(processes, index), 0, object.name, [...carried(object.name)]))
  if (shape.spawner && shape.containers.length > 0) place(processes[0]!, 0, containerNames[shape.containers.length]!, ['read', 'control'])
  if (named.length > 0) for (const cap of shape.caps) { const object = pick(named, cap.object); place(pick(processes, cap.holder), cap.slot, object, cap.rights.filter((right) => carried(object).includes(right))) }
  // A container that is another's parent reserves room for it on top of its own limits (boot refuses a child it cannot reserve).
  const parents = shape.containers.map((container, index) => containerNames[container.parent % (index + 1)]!)
  const limits = shape.containers.map((container, index) => ({ ...container.limits, devices: shape.containerDevices[index]!.filter((device) => shape.devices.includes(device)) }))
  for (let index = shape.containers.length - 1; index >= 0; index--) {
    const parent = containerNames.indexOf(parents[index]!) - 1
    if (parent < 0) continue
    for (const resource of ['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes'] as const) limits[parent]![resource] += limits[index]![resource]
    // A child's devices are within its parent's.
    limits[parent]!.devices = [...new Set([...limits[parent]!.devices, ...limits[index]!.devices])]
  }
  // A new user namespace's uid map within its parent's range (boot refuses one past it; test/impl/lockstep moves one there).
  const ranges = new Map<string, number>([['root', 2 ** 32]])
  const namespaces = shape.containers.map((container, index) => {
    const range = ranges.get(parents[index]!)!
    const user = container.namespaces.user
    const fitted = user === 'share' ? user : { base: Math.min(user.base, range - 1), count: Math.min(user.count, range - Math.min(user.base, range - 1)) }
    ranges.set(`c${index}`, fitted === 'share' ? range : fitted.count)
    return { ...container.namespaces, user: fitted }
  })
  const config: BootConfig = {
    root: { limits: { memoryBytes: 32, processes: 12, endpoints: 8, cpuBudget: UNLIMITED, ioBytes: 32, cpuWeight: 2, devices: shape.devices } },
    devices: shape.devices.map((name) => ({ name })),
    keyring: [{ keyId: 'core' }, { keyId: 'release' }],
    floors: { svc: '1.0.0' },
    init: { slots: 16 },
    cpuAccounting: shape.cpuAccounting,
    system: {
      containers: shape.containers.map((_, index) => ({ name: `c${index}`, parent: parents[index]!, limits: limits[index]!, namespaces: namespaces[index]! })),
      processes, objects, caps,
    },
  }
  try {
    boot(config, IMAGES)
    return config
  } catch (error) {
    if (error instanceof BootError) return error.message
    throw error
  }
}


/** Badges a derived declared cap may carry: the smallest, another, and the largest there is. */
const DECLARED_BADGES = [1, 2, 2 ** 31 - 1]

/**
 * A configuration's declared caps given derivations (what {@link bootConfigOf}
 * never writes): by `picks[i]` for cap i, a badge (on an endpoint cap, and
 * none that differs from its parent's) or a `parent`, the latest earlier cap
 * to the same object whose rights hold its own, as `holder:slot`; otherwise
 * the cap is left as it was; and for each pick that is a multiple of 3 a new
 * cap, a child of a declared one with some of its rights, in a free slot of a
 * declared process. Boot accepts whatever this makes.
 */
export function withDerivedCaps(config: BootConfig, picks: ReadonlyArray<number>): BootConfig {
  const system = config.system
  if (system?.caps === undefined || picks.length === 0) return config
  const endpoints = new Set((system.objects ?? []).filter((object) => object.kind === 'endpoint').map((object) => object.name))
  type Cap = NonNullable<NonNullable<BootConfig['system']>['caps']>[number]
  const made: Cap[] = []
  const badgeOf = (cap: Cap): number => {
    if (cap.badge !== undefined) return cap.badge
    const parent = cap.parent === undefined ? undefined : made.find((earlier) => `${earlier.holder}:${earlier.slot}` === cap.parent)
    return parent === undefined ? 0 : badgeOf(parent)
  }
  system.caps.forEach((cap, index) => {
    const pick = picks[index % picks.length]!
    const way = pick % 3
    let derived: Cap = cap
    if (way === 1 && endpoints.has(cap.object)) derived = { ...cap, badge: DECLARED_BADGES[Math.floor(pick / 3) % DECLARED_BADGES.length]! }
    if (way === 2) {
      const parent = [...made].reverse().find((earlier) => earlier.object === cap.object && cap.rights.every((right) => earlier.rights.includes(right)))
      if (parent !== undefined) derived = { ...cap, parent: `${parent.holder}:${parent.slot}` }
      // A child of a badged cap keeps the badge (boot refuses another): one in two says so, the other leaves it to be inherited.
      if (parent !== undefined && badgeOf(parent) !== 0 && Math.floor(pick / 3) % 2 === 1) derived = { ...derived, badge: badgeOf(parent) }
    }
    made.push(derived)
  })
  // Then, for each pick that is a multiple of 3, one more cap: a child of a declared one (a child's child too) in a free slot of a declared process, with some of its rights.
  const processes = system.processes ?? []
  const taken = new Set(made.map((cap) => `${cap.holder}:${cap.slot}`))
  for (const pick of picks) {
    if (pick % 3 !== 0 || made.length === 0 || processes.length === 0) continue
    const parent = made[Math.floor(pick / 3) % made.length]!
    const holder = processes[Math.floor(pick / 7) % processes.length]!
    const slot = Array.from({ length: holder.slots }, (_, at) => at).find((at) => !taken.has(`${holder.name}:${at}`))
    if (slot === undefined) continue
    taken.add(`${holder.name}:${slot}`)
    made.push({ holder: holder.name, slot, object: parent.object, rights: parent.rights.filter((_, bit) => (Math.floor(pick / 11) & (1 << bit)) !== 0), parent: `${parent.holder}:${parent.slot}` })
  }
  return { ...config, system: { ...system, caps: made } }
}

/**
 * The rights a declared object's cap may carry (spec/invariants/caps.ts
 * `originalRights`, by declaration): a device's, or a declared endpoint's or
 * region's; every right for anything else (a container, a process).
 */
function carriedRights(device: boolean, object: { readonly kind: string; readonly executable?: boolean } | undefined): ReadonlyArray<RightName> {
  if (device) return ['write']
  if (object === undefined) return RIGHTS
  if (object.kind === 'endpoint') return ['read', 'write', 'grant']
  return object.executable === true ? ['read', 'execute', 'control'] : ['read', 'write', 'control']
}

/** Region sizes at the boundaries of their representations (a page, 2^24 and 2^31 around floats and signed words, 2^32 around unsigned ones). */
const BOUNDARY_SIZES = [2, 3, 4095, 4096, 4097, 2 ** 24 + 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32 + 1]
/** Queue depths past the generated shapes' 1–2: small ones a run can fill, powers of two and one either side, the largest. */
const BOUNDARY_DEPTHS = [3, 4, 5, 7, 8, 9, 16, 17, 255, 256, 257, BOUNDS.queueDepthMax - 1, BOUNDS.queueDepthMax]
/** Badges at every boundary of the badge's range: the smallest, around 2^31 (a signed word), the largest two. */
const BOUNDARY_BADGES = [1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2, BOUNDS.badgeMax]

/**
 * A configuration's declared values moved to their boundaries, in general
 * (what {@link bootConfigOf}'s small shapes never write): by `picks[i] % 6`, a
 * region's size (its owner's memory limit, and every ancestor's, raised by as
 * much, so that what was left before is left still), an endpoint's depth, an
 * endpoint cap's badge with its descendants' (a root cap of the derivation
 * tree), the order of a container's allowed devices, of the root's, or of the
 * devices themselves (their identities follow the order), and CPU accounting
 * left out when it is on (the field is optional: absent means on), or, when it
 * is off or left out, init's CSpace exactly as large as boot fills it. Each value
 * is one the model boots and the codec takes; a pick whose result either
 * refuses is left out. One pick in six (`% 6 === 5`) is {@link onePast}
 * instead, which ends the rewriting with a configuration the
 * model refuses.
 */
export function withBoundaries(config: BootConfig, picks: ReadonlyArray<number>): BootConfig {
  let current = config
  for (const pick of picks) {
    // One pick in 6 moves a value one past its boundary instead, and ends the rewriting: a boot the model refuses, which the kernel must refuse too.
    if (pick % 6 === 5) return onePast(current, Math.floor(pick / 6))
    const next = boundaryRewrite(current, pick % 6, Math.floor(pick / 6))
    // A trace must hold it (the store, replay): a value its codec refuses is left out.
    if (next === current || !BootConfigCodec.is(next)) continue
    try {
      boot(next, IMAGES)
      current = next
    } catch (error) {
      if (!(error instanceof BootError)) throw error
    }
  }
  return current
}

function boundaryRewrite(config: BootConfig, way: number, at: number): BootConfig {
  const system = config.system ?? {}
  const objects = system.objects ?? []
  const containers = system.containers ?? []
  const caps = system.caps ?? []
  const nth = <T>(items: ReadonlyArray<T>): T | undefined => (items.length === 0 ? undefined : items[at % items.length])
  switch (way) {
    case 0: {
      const regions = objects.filter((object) => object.kind === 'region')
      const region = nth(regions)
      if (region === undefined || region.kind !== 'region') return config
      const size = BOUNDARY_SIZES[Math.floor(at / 3) % BOUNDARY_SIZES.length]!
      const more = size - region.sizeBytes
      // The owner and every container above it keep their headroom: each reserves its children's limits.
      const raised = new Set<string>()
      for (let name: string | undefined = region.owner; name !== undefined && name !== 'root'; name = containers.find((container) => container.name === name)?.parent) raised.add(name)
      return {
        ...config,
        root: { limits: { ...config.root.limits, memoryBytes: config.root.limits.memoryBytes + more } },
        system: {
          ...system,
          containers: containers.map((container) => (raised.has(container.name) ? { ...container, limits: { ...container.limits, memoryBytes: container.limits.memoryBytes + more } } : container)),
          objects: objects.map((object) => (object === region ? { ...region, sizeBytes: size } : object)),
        },
      }
    }
    case 1: {
      const endpoint = nth(objects.filter((object) => object.kind === 'endpoint'))
      if (endpoint === undefined) return config
      const depth = BOUNDARY_DEPTHS[Math.floor(at / 3) % BOUNDARY_DEPTHS.length]!
      return { ...config, system: { ...system, objects: objects.map((object) => (object === endpoint ? { ...endpoint, depth } : object)) } }
    }
    case 2: {
      const endpoints = new Set(objects.filter((object) => object.kind === 'endpoint').map((object) => object.name))
      const root = nth(caps.filter((cap) => cap.parent === undefined && endpoints.has(cap.object)))
      if (root === undefined) return config
      const badge = BOUNDARY_BADGES[Math.floor(at / 3) % BOUNDARY_BADGES.length]!
      // The cap and every cap derived from it carry the badge (a child may not differ from a badged parent); one in two descendants says so, the other inherits it.
      const tree = new Set([`${root.holder}:${root.slot}`])
      return {
        ...config,
        system: {
          ...system,
          caps: caps.map((cap, index) => {
            if (cap === root) return { ...cap, badge }
            if (cap.parent === undefined || !tree.has(cap.parent)) return cap
            tree.add(`${cap.holder}:${cap.slot}`)
            const { badge: _, ...rest } = cap
            return (at + index) % 2 === 0 ? { ...rest, badge } : rest
          }),
        },
      }
    }
    case 3: {
      const spots = [...containers.map((_, index) => index), -1, -2]
      const spot = spots[at % spots.length]!
      if (spot === -1) return { ...config, root: { limits: { ...config.root.limits, devices: [...config.root.limits.devices].reverse() } } }
      if (spot === -2) return { ...config, devices: [...config.devices].reverse() }
      return { ...config, system: { ...system, containers: containers.map((container, index) => (index === spot ? { ...container, limits: { ...container.limits, devices: [...container.limits.devices].reverse() } } : container)) } }
    }
    case 4: {
      // CPU accounting on: the field left out (absent means on). Off or absent: init's CSpace cut to exactly the slots boot fills (no free one left).
      if (config.cpuAccounting !== true) return { ...config, init: { ...config.init, slots: initSlotsFilled(config) } }
      const { cpuAccounting: _, ...rest } = config
      return rest
    }
    default:
      return config
  }
}

/**
 * The image pool a scenario boots with: undefined for the systems' own
 * ({@link IMAGES}), or, where {@link withBoundaries} ends on the pool's arm of
 * {@link onePast} (its last arm, every third group of three), that pool with one
 * of its images named a second time at its end (boot refuses a pool naming a
 * digest twice, at `$.images[n]`, kernel.md §4; so must the kernel).
 */
export function poolOf(picks: ReadonlyArray<number>): ReadonlyArray<ImageRecord> | undefined {
  const last = picks.find((pick) => pick % 6 === 5)
  if (last === undefined) return undefined
  const at = Math.floor(last / 6)
  if (!isPoolArm(at)) return undefined
  return [...IMAGES, IMAGES[Math.floor(at / 72) % IMAGES.length]!]
}

/** Whether a pool names some digest twice (boot refuses it). */
export function repeatsDigest(images: ReadonlyArray<ImageRecord>): boolean {
  return new Set(images.map((image) => image.digest)).size < images.length
}

/** The uid range of a declared container: its own map's count, or its nearest ancestor's; the root's is every uid. */
function uidRange(config: BootConfig, name: string): number {
  for (let at: string | undefined = name; at !== undefined && at !== 'root'; ) {
    const container = (config.system?.containers ?? []).find((candidate) => candidate.name === at)
    if (container === undefined) break
    if (container.namespaces.user !== 'share') return container.namespaces.user.count
    at = container.parent
  }
  return BOUNDS.uidMax + 1
}

/** The slots boot fills in init's CSpace: its own (0), the device caps, then one original cap per declared container and process. */
function initSlotsFilled(config: BootConfig): number {
  return 1 + config.devices.length + (config.system?.containers ?? []).length + (config.system?.processes ?? []).length
}

/** The resources boot spends out of a container itself (not reserves for its children): one process and its image's memory per declared process, a region's size, an endpoint. */
const SPENT = ['processes', 'memoryBytes', 'endpoints'] as const

/** What boot spends of `resource` out of the container `name`, spender by spender in boot order (its declared processes, then its endpoints and regions; init's own process not counted). */
function declaredSpenders(config: BootConfig, name: string, resource: (typeof SPENT)[number]): number[] {
  const processes = (config.system?.processes ?? []).filter((process) => process.container === name)
  const objects = (config.system?.objects ?? []).filter((object) => object.owner === name)
  if (resource === 'processes') return processes.map(() => 1)
  if (resource === 'endpoints') return objects.filter((object) => object.kind === 'endpoint').map(() => 1)
  const images = processes.map((process) => IMAGES.find((image) => image.digest === process.image)?.manifest.memoryBytes ?? 0)
  return [...images, ...objects.flatMap((object) => (object.kind === 'region' ? [object.sizeBytes] : []))]
}

/**
 * Every declared cap whose object's kind carries fewer than all rights given one
 * right that kind never carries (an endpoint's execute or control, a device's
 * read, a data region's execute, ...), a different one from cap to cap: boot
 * refuses the first, and a kernel that lets one kind's right through refuses a
 * later one, at another place.
 */
function beyondKind(config: BootConfig, at: number): BootConfig {
  const system = config.system ?? {}
  const objects = system.objects ?? []
  const rightsOf = (name: string) => carriedRights(config.devices.some((device) => device.name === name), objects.find((candidate) => candidate.name === name))
  let changed = false
  const caps = (system.caps ?? []).map((cap, index) => {
    const beyond = RIGHTS.filter((right) => !rightsOf(cap.object).includes(right))
    if (beyond.length === 0) return cap
    changed = true
    return { ...cap, rights: [...cap.rights, beyond[(Math.floor(at / 8) + index) % beyond.length]!] }
  })
  return changed ? { ...config, system: { ...system, caps } } : config
}

/** The reserved resources a declared container's limits name, in the order boot checks them. */
const RESERVED = ['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes'] as const

/**
 * A configuration with one declared value one past the boundary boot checks
 * (by `at`): a process's uid one past its container's range (its container
 * given a map that ends below it, when no process has a range of its own);
 * a nested container's uid map ending one past its parent's range (the parent
 * given a map of its own when it has none); a container's limit one more than
 * its parent can reserve when it is made (the parent's limit less what init
 * or earlier siblings took), or, half the time, a container's (or the root's)
 * limit one short of what boot spends out of it up to one of its declared
 * processes, images, endpoints or regions; a device its parent does not allow
 * (taken out of the parent's set, or added to the container's); a derived cap
 * with a right its parent lacks (the parent loses it), or every cap given a
 * right its object's kind never carries ({@link beyondKind}: half of that arm,
 * and where an arm below finds nothing to move); a derived endpoint cap with a
 * badge other than its badged parent's (the parent badged first when it is
 * not; with none derived, a child of an endpoint cap declared first); a badge on a cap that is not an endpoint's; a cap in the slot past its
 * holder's CSpace, init's CSpace one slot short of what boot fills, or the
 * configuration as it is with a pool naming a digest twice ({@link poolOf}).
 * The model refuses each (where the configuration has the place; else it is
 * returned as it was), and so must the kernel: the systems suite asks it to.
 */
export function onePast(config: BootConfig, at: number): BootConfig {
  // The pool's arm leaves the configuration as it is ({@link poolOf} repeats a digest of the pool instead).
  if (isPoolArm(at)) return config
  const next = pastBoundary(config, at)
  // Past the boundary boot checks, never past the codec's: the configuration is one a boot file or a trace may hold (a uid past the root's range, 2^32, is neither).
  return BootConfigCodec.is(next) ? next : config
}

/** The arm of {@link onePast} that leaves the configuration as it is and repeats a digest of the pool instead (the last arm's middle third). */
function isPoolArm(at: number): boolean {
  return at % 8 === 7 && Math.floor(at / 24) % 3 === 1
}

function pastBoundary(config: BootConfig, at: number): BootConfig {
  const system = config.system ?? {}
  const containers = system.containers ?? []
  const processes = system.processes ?? []
  const objects = system.objects ?? []
  const caps = system.caps ?? []
  const nth = <T>(items: ReadonlyArray<T>): T | undefined => (items.length === 0 ? undefined : items[Math.floor(at / 8) % items.length])
  const withSystem = (next: Partial<NonNullable<BootConfig['system']>>): BootConfig => ({ ...config, system: { ...system, ...next } })
  const limitsOf = (name: string) => (name === 'root' ? config.root.limits : containers.find((container) => container.name === name)!.limits)
  const capKey = (cap: { holder: string; slot: number }) => `${cap.holder}:${cap.slot}`
  const toEndpoint = (cap: { object: string }) => objects.some((object) => object.kind === 'endpoint' && object.name === cap.object)
  switch (at % 8) {
    case 0: {
      // A process in a user namespace of its own (the root's range ends at 2^32, past every uid a boot file may write).
      const process = nth(processes.filter((candidate) => uidRange(config, candidate.container) <= BOUNDS.uidMax))
      if (process === undefined) {
        // None: a declared container's process, its container given a map that ends right below the process's uid.
        const housed = nth(processes.filter((candidate) => candidate.container !== 'root'))
        if (housed === undefined) return config
        const uid = Math.max(housed.uid, 1)
        return withSystem({
          containers: containers.map((container) => (container.name === housed.container ? { ...container, namespaces: { ...container.namespaces, user: { base: 0, count: uid } } } : container)),
          processes: processes.map((candidate) => (candidate === housed ? { ...housed, uid } : candidate)),
        })
      }
      return withSystem({ processes: processes.map((candidate) => (candidate === process ? { ...process, uid: uidRange(config, process.container) } : candidate)) })
    }
    case 1: {
      // A nested container's map one past its parent's range (the root's ends at 2^32, where the codec's does too: a nested one is needed).
      const nested = nth(containers.filter((candidate) => candidate.parent !== 'root'))
      if (nested !== undefined && uidRange(config, nested.parent) > BOUNDS.uidMax) {
        // The parent's range is the root's: the parent gets a map of its own, as small as its processes' uids allow, and the child one uid more.
        const range = Math.max(1, ...processes.filter((process) => process.container === nested.parent).map((process) => process.uid + 1))
        return withSystem({
          containers: containers.map((candidate) => (candidate.name === nested.parent ? { ...candidate, namespaces: { ...candidate.namespaces, user: { base: 0, count: range } } }
            : candidate === nested ? { ...nested, namespaces: { ...nested.namespaces, user: { base: 0, count: range + 1 } } } : candidate)),
        })
      }
      const container = nested !== undefined && nested.namespaces.user !== 'share' ? nested : nth(containers.filter((candidate) => candidate.namespaces.user !== 'share'))
      if (container === undefined || container.namespaces.user === 'share') return config
      const range = uidRange(config, container.parent)
      const base = Math.min(container.namespaces.user.base, range)
      return withSystem({ containers: containers.map((candidate) => (candidate === container ? { ...container, namespaces: { ...container.namespaces, user: { base, count: range - base + 1 } } } : candidate)) })
    }
    case 2: {
      // Every other group of three: a container, or the root, given one unit less than its children's reservations and what boot spends out of it up to one of its spenders (a process, its image, a region, an endpoint): that spender is refused.
      if (Math.floor(at / 24) % 2 === 1) {
        // Each spender that spends something, in every container and resource: the limit is one short at it (what came before it fits).
        const short = ['root', ...containers.map((container) => container.name)].flatMap((name) => SPENT.flatMap((resource) => {
          const spenders = declaredSpenders(config, name, resource)
          return spenders.flatMap((amount, index) => (amount > 0 ? [{ name, resource, upTo: spenders.slice(0, index + 1).reduce((sum, spent) => sum + spent, 0) }] : []))
        }))
        // The resource first (processes are most of the spenders), then one of its spenders.
        const resources = SPENT.filter((resource) => short.some((entry) => entry.resource === resource))
        if (resources.length === 0) return config
        const spenders = short.filter((entry) => entry.resource === resources[Math.floor(at / 8) % resources.length])
        const { name, resource, upTo } = spenders[Math.floor(at / 48) % spenders.length]!
        const reserved = containers.filter((candidate) => candidate.parent === name).reduce((sum, candidate) => sum + candidate.limits[resource], 0)
        // The root's init holds one process from before the declared ones.
        const limit = reserved + upTo + (name === 'root' && resource === 'processes' ? 1 : 0) - 1
        if (name === 'root') return { ...config, root: { limits: { ...config.root.limits, [resource]: limit } } }
        return withSystem({ containers: containers.map((candidate) => (candidate.name === name ? { ...candidate, limits: { ...candidate.limits, [resource]: limit } } : candidate)) })
      }
      const container = nth(containers)
      if (container === undefined) return config
      const resource = RESERVED[Math.floor(at / 8) % RESERVED.length]!
      const index = containers.indexOf(container)
      // When a container is made, its parent has spent nothing yet but init (the root's one process), and has reserved its earlier children's limits.
      const siblings = containers.slice(0, index).filter((candidate) => candidate.parent === container.parent).reduce((sum, candidate) => sum + candidate.limits[resource], 0)
      const spent = container.parent === 'root' && resource === 'processes' ? 1 : 0
      const room = limitsOf(container.parent)[resource] - spent - siblings
      return withSystem({ containers: containers.map((candidate) => (candidate === container ? { ...container, limits: { ...container.limits, [resource]: room + 1 } } : candidate)) })
    }
    case 3: {
      // A device the container's parent does not allow: one of the container's taken out of its parent's set, or one more in the container's.
      const allowing = nth(containers.filter((candidate) => candidate.limits.devices.length > 0))
      if (allowing !== undefined) {
        const device = allowing.limits.devices[Math.floor(at / 8) % allowing.limits.devices.length]!
        const narrowed = (limits: BootConfig['root']['limits']) => ({ ...limits, devices: limits.devices.filter((name) => name !== device) })
        if (allowing.parent === 'root') return { ...config, root: { limits: narrowed(config.root.limits) } }
        return withSystem({ containers: containers.map((candidate) => (candidate.name === allowing.parent ? { ...candidate, limits: narrowed(candidate.limits) } : candidate)) })
      }
      const container = nth(containers.filter((candidate) => config.devices.some((device) => !limitsOf(candidate.parent).devices.includes(device.name))))
      if (container === undefined) return config
      const outside = config.devices.find((device) => !limitsOf(container.parent).devices.includes(device.name))!
      return withSystem({ containers: containers.map((candidate) => (candidate === container ? { ...container, limits: { ...container.limits, devices: [...container.limits.devices, outside.name] } } : candidate)) })
    }
    case 4: {
      // A derived cap with a right its parent lacks: the parent loses one of the child's rights.
      const cap = Math.floor(at / 24) % 2 === 1 ? undefined : nth(caps.filter((candidate) => candidate.parent !== undefined && candidate.rights.length > 0))
      if (cap === undefined) return beyondKind(config, at)
      const lost = cap.rights[Math.floor(at / 8) % cap.rights.length]!
      return withSystem({ caps: caps.map((candidate) => (capKey(candidate) === cap.parent ? { ...candidate, rights: candidate.rights.filter((right) => right !== lost) } : candidate)) })
    }
    case 5: {
      // A derived endpoint cap with a badge other than its parent's: the parent badged first when it is not (a child of an unbadged cap may take a badge).
      const badgeOf = (key: string | undefined): number => {
        const cap = key === undefined ? undefined : caps.find((candidate) => capKey(candidate) === key)
        return cap === undefined ? 0 : cap.badge ?? badgeOf(cap.parent)
      }
      let all = caps
      let cap = nth(caps.filter((candidate) => candidate.parent !== undefined && toEndpoint(candidate)))
      if (cap === undefined) {
        // None derived: a child of an endpoint cap is declared first (same rights, in the first free slot of a declared process), as boot accepts it.
        const source = nth(caps.filter(toEndpoint))
        const taken = new Set(caps.map(capKey))
        const free = processes.flatMap((process) => Array.from({ length: process.slots }, (_, slot) => ({ holder: process.name, slot }))).find((place) => !taken.has(capKey(place)))
        // No endpoint cap, or no free slot: a right no cap of its kind carries instead.
        if (source === undefined || free === undefined) return beyondKind(config, at)
        cap = { ...free, object: source.object, rights: source.rights, parent: capKey(source) }
        all = [...caps, cap]
      }
      const parentBadge = badgeOf(cap.parent)
      const badged = parentBadge === 0 ? 1 : parentBadge
      const other = badged === BOUNDS.badgeMax ? badged - 1 : badged + 1
      return withSystem({ caps: all.map((candidate) => (candidate === cap ? { ...cap, badge: other } : capKey(candidate) === cap!.parent && parentBadge === 0 ? { ...candidate, badge: badged } : candidate)) })
    }
    case 6: {
      // Every other group of three: what a cap's kind never carries is a right, not a badge.
      if (Math.floor(at / 24) % 2 === 1) return beyondKind(config, at)
      const cap = nth(caps.filter((candidate) => !toEndpoint(candidate)))
      if (cap === undefined) return beyondKind(config, at)
      return withSystem({ caps: caps.map((candidate) => (candidate === cap ? { ...cap, badge: 1 } : candidate)) })
    }
    default: {
      // Every third group of three, or with no cap declared: init's CSpace one slot short of what boot fills in it (the last original cap has no slot).
      if (Math.floor(at / 24) % 3 === 2 || caps.length === 0) return { ...config, init: { ...config.init, slots: initSlotsFilled(config) - 1 } }
      // (Another third, the pool's arm, never gets here: onePast leaves the configuration as it is and poolOf repeats a digest.)
      const cap = nth(caps)
      if (cap === undefined) return config
      const holder = processes.find((process) => process.name === cap.holder)
      if (holder === undefined) return config
      const moved = capKey({ holder: cap.holder, slot: holder.slots })
      // The cap moves past the CSpace; caps derived from it follow its new name.
      return withSystem({ caps: caps.map((candidate) => (candidate === cap ? { ...cap, slot: holder.slots } : candidate.parent === capKey(cap) ? { ...candidate, parent: moved } : candidate)) })
    }
  }
}
