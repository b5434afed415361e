/**
 * Declared systems for the differential tests (general.test.ts): fast-check
 * shapes — up to two containers with random limits and namespaces, one or two
 * processes, endpoints and regions, caps between them, CPU accounting on or off
 * — turned into boot configurations the model accepts.
 */
import fc from 'fast-check'
import { CORE_IMAGE, NESTED_IMAGE, NESTED_OLD_IMAGE, PRESETS, type Preset } from '../../spec/presets.js'
import type { BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import type { RightName } from '../../spec/rights.js'
import { boot } from '../../model/boot.js'
import { BootError } from '../../model/boot-system.js'
import { IMAGE_POOL } from '../../properties/pool.js'

/** The images a declared system may run: the presets' and the property pool's (as `explore --boot` allows). */
/** A pool image the generated containers can afford (memoryBytes 1; the others need 4096). */
const CHEAP_POOL_IMAGE = IMAGE_POOL.find((image) => image.manifest.memoryBytes <= 1)!

export const IMAGES: ReadonlyArray<ImageRecord> = [...new Map([...PRESETS.flatMap((preset) => preset.images), ...IMAGE_POOL].map((image) => [image.digest, image])).values()]
const RIGHTS: ReadonlyArray<RightName> = ['read', 'write', 'execute', 'grant', 'control']
const UNLIMITED = 2 ** 39

const limitsArb = fc.record({
  memoryBytes: fc.integer({ min: 2, max: 5 }), processes: fc.integer({ min: 1, max: 3 }), endpoints: fc.integer({ min: 1, max: 2 }),
  cpuBudget: fc.constantFrom(3, 1000, UNLIMITED / 4), ioBytes: fc.constantFrom(0, 8), cpuWeight: fc.integer({ min: 1, max: 3 }), devices: fc.constant([] as string[]),
})
const namespacesArb = fc.record({
  pid: fc.constantFrom('new' as const, 'share' as const), mount: fc.constantFrom('new' as const, 'share' as const),
  net: fc.constantFrom('new' as const, 'share' as const), ipc: fc.constantFrom('new' as const, 'share' as const),
  user: fc.oneof(fc.constant('share' as const), fc.record({ base: fc.constantFrom(0, 1000), count: fc.constantFrom(2, 100) })),
})

/** A declared system: up to two containers, one or two processes, an endpoint or region, and caps between them. */
export const systemArb = fc.record({
  cpuAccounting: fc.boolean(),
  devices: fc.subarray(['disk0', 'net0']),
  containers: fc.array(fc.record({ parent: fc.nat(), limits: limitsArb, namespaces: namespacesArb }), { maxLength: 2 }),
  processes: fc.array(fc.record({
    container: fc.nat(), image: fc.constantFrom(NESTED_IMAGE.digest, NESTED_OLD_IMAGE.digest, CORE_IMAGE.digest, CHEAP_POOL_IMAGE.digest), uid: fc.constantFrom(0, 1), slots: fc.integer({ min: 2, max: 3 }),
  }), { minLength: 1, maxLength: 2 }),
  objects: fc.array(fc.oneof(
    fc.record({ kind: fc.constant('endpoint' as const), owner: fc.nat(), depth: fc.integer({ min: 1, max: 2 }) }),
    fc.record({ kind: fc.constant('region' as const), owner: fc.nat(), sizeBytes: fc.constant(1), executable: fc.boolean() }),
  ), { maxLength: 2 }),
  caps: fc.array(fc.record({ holder: fc.nat(), slot: fc.nat({ max: 2 }), object: fc.nat(), rights: fc.subarray([...RIGHTS]) }), { maxLength: 3 }),
})

export type SystemShape = typeof systemArb extends fc.Arbitrary<infer T> ? T : never

/** The generated shape as a boot configuration (names from indices), or the model's reason when it refuses to boot it. */
export function bootConfigOf(shape: SystemShape): BootConfig | string {
  const containerNames = ['root', ...shape.containers.map((_, index) => `c${index}`)]
  const pick = <T>(items: ReadonlyArray<T>, index: number): T => items[index % items.length]!
  const processes = shape.processes.map((process, index) => ({ name: `p${index}`, container: pick(containerNames, process.container), image: process.image, uid: process.uid, slots: process.slots }))
  const objects = shape.objects.map((object, index) => (object.kind === 'endpoint'
    ? { name: `o${index}`, kind: 'endpoint' as const, owner: pick(containerNames, object.owner), depth: object.depth }
    : { name: `o${index}`, kind: 'region' as const, owner: pick(containerNames, object.owner), sizeBytes: object.sizeBytes, executable: object.executable }))
  const named = [...containerNames.slice(1), ...objects.map((object) => object.name), ...processes.map((process) => process.name)]
  // Every declared object is named by a cap (boot refuses an unnamed one), then the generated caps in free slots.
  const used = new Set<string>()
  const caps: Array<{ holder: string; slot: number; object: string; rights: RightName[] }> = []
  const place = (holder: { name: string; slots: number }, slot: number, object: string, rights: RightName[]) => {
    for (let at = slot; at < holder.slots; at++) if (!used.has(`${holder.name}:${at}`)) { used.add(`${holder.name}:${at}`); caps.push({ holder: holder.name, slot: at, object, rights }); return }
  }
  // Rights within what the object's kind carries (an executable region no write): boot refuses more.
  const carried = (name: string): ReadonlyArray<RightName> => (objects.find((object) => object.name === name && object.kind === 'region' && object.executable) === undefined ? ['read', 'write'] : ['read', 'execute'])
  objects.forEach((object, index) => place(pick(processes, index), 0, object.name, [...carried(object.name)]))
  if (named.length > 0) for (const cap of shape.caps) { const object = pick(named, cap.object); place(pick(processes, cap.holder), cap.slot, object, cap.rights.filter((right) => carried(object).includes(right))) }
  // A container that is another's parent reserves room for it on top of its own limits (boot refuses a child it cannot reserve).
  const parents = shape.containers.map((container, index) => containerNames[container.parent % (index + 1)]!)
  const limits = shape.containers.map((container) => ({ ...container.limits }))
  for (let index = shape.containers.length - 1; index >= 0; index--) {
    const parent = containerNames.indexOf(parents[index]!) - 1
    if (parent < 0) continue
    for (const resource of ['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes'] as const) limits[parent]![resource] += limits[index]![resource]
  }
  const config: BootConfig = {
    root: { limits: { memoryBytes: 32, processes: 12, endpoints: 8, cpuBudget: UNLIMITED, ioBytes: 32, cpuWeight: 2, devices: shape.devices } },
    devices: shape.devices.map((name) => ({ name })),
    keyring: [{ keyId: 'core' }, { keyId: 'release' }],
    floors: { svc: '1.0.0' },
    init: { slots: 16 },
    cpuAccounting: shape.cpuAccounting,
    system: {
      containers: shape.containers.map((container, index) => ({ name: `c${index}`, parent: parents[index]!, limits: limits[index]!, namespaces: container.namespaces })),
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

/** A generated configuration as a preset the engines explore: its declared processes act (creation indexes 1..n), over the images of {@link IMAGES}. */
export function generatedPreset(config: BootConfig, label: string): Preset {
  const processes = config.system?.processes?.length ?? 0
  return { name: 'nested', description: label, boot: config, images: IMAGES, actors: Array.from({ length: processes }, (_, index) => index + 1) }
}
