/**
 * The boot state (kernel.md §10; the order is in docs/decisions.md): root
 * container, devices, init, and the five root namespaces.
 * @module
 */
import { type BootConfig, configurationProblem } from '../spec/boot.js'
import type { ImageRecord } from '../spec/images.js'
import type { ObjectId } from '../spec/ids.js'
import { ZERO_USAGE } from '../spec/limits.js'
import { R_ALL, R_WRITE } from '../spec/rights.js'
import { BOUNDS } from '../spec/numbers.js'
import type { KernelState, Namespace } from './state.js'
import { type Draft, freeze } from './draft.js'
import { insertCap } from './cdt.js'
import { BootError, bootSystem } from './boot-system.js'

const ROOT_UID_MAP = { base: 0, count: BOUNDS.uidMax + 1 }

/**
 * The image pool as the kernel holds it: one entry per manifest digest (kernel.md
 * §4), each with all the image's signatures. A pool that names a digest twice is
 * refused, at `$.images[n]` (its place in `images`), naming the digest.
 */
function imagePool(images: ReadonlyArray<ImageRecord>): Map<string, ImageRecord> {
  const pool = new Map<string, ImageRecord>()
  images.forEach((image, index) => {
    const first = images.findIndex((other) => other.digest === image.digest)
    if (first !== index) {
      throw new BootError(`$.images[${index}]`, `the image pool names ${image.digest} a second time (first at $.images[${first}]); it holds one entry per digest, with all the image's signatures`)
    }
    pool.set(image.digest, image)
  })
  return pool
}

/**
 * The boot state for `config` with the image pool `images`. Refuses (with a
 * {@link BootError} naming the place) a pool that names a digest twice, and a
 * declared system the kernel could not honour.
 * @public
 */
export function boot(config: BootConfig, images: ReadonlyArray<ImageRecord> = []): KernelState {
  return bootNamed(config, images).state
}

/**
 * What {@link boot} makes, with the object each name of the configuration stands
 * for: `root`, `init`, every declared container, process and object, and (in
 * `devices`) every device of `config.devices`. Property files name things by these.
 * @public
 */
export function bootNamed(config: BootConfig, images: ReadonlyArray<ImageRecord> = []): { readonly state: KernelState; readonly names: ReadonlyMap<string, ObjectId>; readonly devices: ReadonlyMap<string, ObjectId> } {
  const problem = configurationProblem(config)
  if (problem !== null) throw new BootError(problem.path, problem.message)
  const ksImages = imagePool(images)
  const root = 0
  const init = config.devices.length + 1
  const userNamespace = 4
  const namespace = (id: number, kind: Namespace['kind']): Namespace => ({
    id, kind, creator: root, parent: null, userNamespace, entries: new Map(), uidMap: ROOT_UID_MAP, pidNext: kind === 'pid' ? 2 : 1,
  })
  const work: Draft = {
    ksObjects: new Map(),
    ksCaps: new Map(),
    ksNamespaces: new Map([namespace(0, 'pid'), namespace(1, 'mount'), namespace(2, 'net'), namespace(3, 'ipc'), namespace(4, 'user')].map((n) => [n.id, n])),
    ksProcessRefs: [init],
    ksRoot: root,
    ksInit: init,
    ksObjectNext: init + 1,
    ksCapNext: 0,
    ksNamespaceNext: 5,
    ksMessageSeqNext: 0,
    ksImages,
    ksKeyring: new Set(config.keyring.map((key) => key.keyId)),
    ksFloors: new Map(Object.entries(config.floors)),
    ksCpuAccounting: config.cpuAccounting ?? true,
    gsMessages: { sent: 0, received: 0, discarded: 0 },
    gsLastReceived: new Map(),
    gsFlows: new Map(),
  }
  work.ksObjects.set(root, {
    kind: 'container', id: root, owner: null, parent: null, limits: config.root.limits, usage: { ...ZERO_USAGE, processes: 1 },
    namespaces: { pid: 0, mount: 1, net: 2, ipc: 3, user: 4 },
  })
  config.devices.forEach((device, index) => work.ksObjects.set(index + 1, { kind: 'device', id: index + 1, owner: root, name: device.name }))
  work.ksObjects.set(init, {
    kind: 'process', id: init, owner: root, ref: 0, uid: 0, status: 'running',
    slots: new Array(config.init.slots).fill(null), mappings: [],
    pids: new Map([[0, 1]]), image: null, imageBytes: 0,
  })
  insertCap(work, { object: root, rights: R_ALL, badge: 0, parent: null, at: { place: 'slot', process: init, slot: 0 } })
  config.devices.forEach((_, index) =>
    insertCap(work, { object: index + 1, rights: R_WRITE, badge: 0, parent: null, at: { place: 'slot', process: init, slot: index + 1 } }))
  const names = config.system !== undefined ? bootSystem(work, config.system, config.devices) : new Map([['root', root], ['init', init]])
  const devices = new Map(config.devices.map((device, index) => [device.name, index + 1]))
  return { state: freeze(work), names, devices }
}
