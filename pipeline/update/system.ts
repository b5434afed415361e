/**
 * The system the live update runs in, built by syscalls from the default boot
 * configuration (so that a counterexample trace, which boots `PROPERTY_BOOT` with
 * the image pool, replays exactly):
 *
 * ```
 * root ─ init (operator)
 *  ├─ apps ─ MM (ModuleManager: holds the endpoints' originals and the instances' caps)
 *  │   └─ counter (own pid namespace)
 *  │       ├─ counter-v1 ─ V1   (sized for one process and its heap)
 *  │       └─ counter-v2 ─ V2   (made by the update)
 *  └─ clients ─ client 0..N-1
 * ```
 *
 * Endpoints: `U` (the ModuleManager's status endpoint, made by init), `S` (the
 * service endpoint, registered as `counter` by V1), `C1`/`C2` (each instance's
 * control endpoint), and one reply endpoint per client (registered as
 * `counter.reply.<i>`).
 * @module
 */
import { createHash } from 'node:crypto'
import type { BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import type { Limits, NamespaceConfig } from '../../spec/limits.js'
import { SHARE_ALL } from '../../spec/limits.js'
import type { RightName } from '../../spec/rights.js'
import { IMAGE_POOL, PROPERTY_BOOT, VALID_IMAGE } from '../../properties/pool.js'

export const SERVICE_NAME = 'counter'
export const replyName = (client: number): string => `counter.reply.${client}`

export const ALL_RIGHTS: RightName[] = ['read', 'write', 'execute', 'grant', 'control']

/** Queue depths: the service endpoint is small so that it fills during an update. */
export const DEPTH = { service: 8, control: 4, status: 4, reply: 2 } as const
/** CSpace sizes. A client's two slots (reply endpoint, send cap) are both in use once it runs; an instance caches a reply cap per client. */
export const SLOTS = { manager: 16, instance: 16, client: 2 } as const
/** The most clients init can spawn (its CSpace holds one cap per process it made). */
export const CLIENTS_MAX = 8
/** Outstanding requests per client. */
export const OUTSTANDING_MAX = 4
/** Bytes of an instance's heap (where its handler's state lives). */
export const HEAP_BYTES = 4096
const IMAGE_BYTES = 4096

const limits = (fields: Partial<Limits>): Limits => ({ memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0, cpuWeight: 1, devices: [], ...fields })

/** An instance's container: exactly one process, its image and its heap. */
export const INSTANCE_LIMITS = limits({ memoryBytes: IMAGE_BYTES + HEAP_BYTES, processes: 1, cpuBudget: 1400 })
/** The service's container: room for two instances, during an update. */
export const COUNTER_LIMITS = limits({ memoryBytes: 2 * INSTANCE_LIMITS.memoryBytes, processes: 2, cpuBudget: 2 * INSTANCE_LIMITS.cpuBudget + 200, cpuWeight: 2 })
/** The ModuleManager's container: itself, the service's, and the endpoints it makes (S, C1, C2, and spares). */
export const APPS_LIMITS = limits({ memoryBytes: IMAGE_BYTES + COUNTER_LIMITS.memoryBytes, processes: 1 + COUNTER_LIMITS.processes, endpoints: 6, cpuBudget: COUNTER_LIMITS.cpuBudget + 2000, cpuWeight: 4 })
export const CLIENTS_LIMITS = limits({ memoryBytes: CLIENTS_MAX * IMAGE_BYTES, processes: CLIENTS_MAX, endpoints: CLIENTS_MAX, cpuBudget: 2000, cpuWeight: 4 })
/** The service gets its own pid namespace and shares the rest (the service directory above all). */
export const COUNTER_NAMESPACES: NamespaceConfig = { ...SHARE_ALL, pid: 'new' }

/** Which image each module is spawned from. */
export interface ServiceImages {
  readonly manager: string
  readonly client: string
  readonly v1: string
  readonly v2: string
  /** An image the kernel refuses to spawn (bad signature): "V2 fails to start". */
  readonly refused: string
}

/** Boot configuration, images, and the image of each module. */
export interface UpdateSystem {
  readonly boot: BootConfig
  readonly images: ReadonlyArray<ImageRecord>
  readonly modules: ServiceImages
}

/**
 * Property runs: the default boot and the image pool (a counterexample trace
 * replays with exactly these). The kernel sees images, not code, so V1 and V2 are
 * the pool's valid image with different handlers; the refused one is the pool's
 * image signed by an unknown key.
 */
export const POOL_SYSTEM: UpdateSystem = {
  boot: PROPERTY_BOOT,
  images: IMAGE_POOL,
  modules: { manager: VALID_IMAGE, client: VALID_IMAGE, v1: VALID_IMAGE, v2: VALID_IMAGE, refused: IMAGE_POOL.find((image) => image.signatures.every((signature) => signature.signer === 'attacker'))!.digest },
}

/** An image of the demo: signed by `release` unless said otherwise; asks for its container and one endpoint. */
function demoImage(name: string, version: string, signer = 'release'): ImageRecord {
  return {
    digest: `sha256:${createHash('sha256').update(`update demo ${name}@${version} ${signer}`).digest('hex')}`,
    name, version, signatures: [{ signer, verifies: true }],
    manifest: {
      requests: [{ kind: 'container', rights: ALL_RIGHTS, purpose: 'its container' }, { kind: 'endpoint', rights: ['read', 'write', 'grant'], purpose: 'its first channel' }],
      memoryBytes: IMAGE_BYTES,
    },
  }
}

const DEMO_IMAGES = {
  manager: demoImage('module-manager', '1.0.0'),
  client: demoImage('counter-client', '1.0.0'),
  v1: demoImage('counter', '1.0.0'),
  v2: demoImage('counter', '2.0.0'),
  refused: demoImage('counter', '2.0.0', 'attacker'),
}

/** The demo: the default boot, with images named for what they run (`counter@1.0.0`, `counter@2.0.0`). */
export const DEMO_SYSTEM: UpdateSystem = {
  boot: PROPERTY_BOOT,
  images: Object.values(DEMO_IMAGES),
  modules: { manager: DEMO_IMAGES.manager.digest, client: DEMO_IMAGES.client.digest, v1: DEMO_IMAGES.v1.digest, v2: DEMO_IMAGES.v2.digest, refused: DEMO_IMAGES.refused.digest },
}

/** `name@version` of an image, for timelines. */
export function imageLabel(system: UpdateSystem, digest: string): string {
  const image = system.images.find((candidate) => candidate.digest === digest)
  if (image === undefined) return digest.slice(0, 15)
  const keyring = new Set(system.boot.keyring.map((key) => key.keyId))
  const trusted = image.signatures.filter((signature) => keyring.has(signature.signer))
  const signers = image.signatures.map((signature) => signature.signer || '?').join(', ')
  return `${image.name}@${image.version}${trusted.length === 0 ? ` (signed by ${signers || 'nobody'}, not trusted)` : trusted.some((signature) => signature.verifies) ? '' : ' (does not verify)'}`
}
