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
import type { BootConfig } from '../spec/boot.js'
import type { ImageRecord } from '../spec/images.js'
import type { RightName } from '../spec/rights.js'
import { boot } from '../model/boot.js'
import { BootError } from '../model/boot-system.js'
import { IMAGE_POOL } from './pool.js'

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
  // Rights within what the object's kind carries (spec/invariants/caps.ts originalRights): boot refuses more.
  const carried = (name: string): ReadonlyArray<RightName> => {
    if (shape.devices.includes(name)) return ['write']
    const object = objects.find((candidate) => candidate.name === name)
    if (object === undefined) return RIGHTS // a container or a process
    if (object.kind === 'endpoint') return ['read', 'write', 'grant']
    return object.executable ? ['read', 'execute', 'control'] : ['read', 'write', 'control']
  }
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
