/**
 * The loading protocol on the impl (seed 003 §2, pipeline.md §3): a kernel booted
 * with the exact bytes of every image of a repository (which it verifies itself),
 * and init's boot script that starts the services as processes, each with the caps
 * it needs:
 *
 * | container | process | slots (granted by init) |
 * | --- | --- | --- |
 * | services | DecompressionService | 0 its endpoint |
 * | services | ModuleManager | 0 its endpoint, 1 control of `modules`, 2 its reply endpoint, 3 write+grant to the DecompressionService |
 * | clients | each requester | 0 its reply endpoint, 1 write+grant to the ModuleManager (badged: who it is) |
 * | modules | the modules loaded | what their manifests ask for |
 *
 * The services register their endpoints (`svc_register`) and find each other with
 * `svc_lookup`. Because a looked-up cap is send-only (decisions.md: lookups give
 * `entry ∩ {write}`, and a transfer needs `grant`), the reply caps that requests
 * carry travel on the write+grant caps init handed out, badged with the client's
 * identity, which the service sees on every message.
 *
 * The services' own images are boot components: symbolic records trusted by the
 * boot loader (key id `boot`), not files. Every module comes from the repository
 * and is verified by the kernel over its bytes.
 * @module
 */
import { createHash } from 'node:crypto'
import * as E from 'fp-ts/lib/Either.js'
import type { BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import type { Limits } from '../../spec/limits.js'
import type { Outcome, Reply } from '../../spec/results.js'
import type { Kernel } from '../../impl/kernel.js'
import type { Floors } from '../codecs.js'
import type { Keyring } from '../image/keys.js'
import { readRepository } from '../repo/repository.js'
import { symbolicTrust } from '../symbolic.js'
import { bootWithImages } from '../kernel/boot.js'
import { loadRepositoryImages, type RepositoryImages } from '../kernel/bytes.js'
import { KernelImageVerifier } from '../kernel/verify.js'
import { DecompressionService, DECOMPRESSION_SLOTS } from './decompression.js'
import { LoadModuleRequestCodec, LoadModuleResponseCodec, decodeMessage, encodeMessage, type LoadModuleRequest, type LoadModuleResponse } from './messages.js'
import { ModuleManager, MODULE_MANAGER_SERVICE, MODULE_MANAGER_SLOTS } from './module-manager.js'
import { isPoll, Runtime, type ProcessContext, type ProcessHandler } from './runtime.js'

/** The key id of the boot components' images. */
export const BOOT_SIGNER = 'boot'
const SHARE = { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' } as const
const RWG = ['read', 'write', 'grant']
const WRITE_GRANT = ['write', 'grant']
const ALL = ['read', 'write', 'execute', 'grant', 'control']

function bootImage(name: string, requests: ImageRecord['manifest']['requests']): ImageRecord {
  return {
    digest: `sha256:${createHash('sha256').update(`sila-boot:${name}`).digest('hex')}`, name, version: '1.0.0', signatures: [{ signer: BOOT_SIGNER, verifies: true }],
    manifest: { requests, memoryBytes: 65536 },
  }
}

/** The boot components' images: what each asks for is what init grants it. @public */
export const BOOT_IMAGES = {
  decompression: bootImage('decompression', [{ kind: 'endpoint', rights: ['read', 'write', 'grant'], purpose: 'its service endpoint' }]),
  moduleManager: bootImage('module-manager', [
    { kind: 'endpoint', rights: ['read', 'write', 'grant'], purpose: 'its service endpoint' },
    { kind: 'container', rights: ['read', 'write', 'execute', 'grant', 'control'], purpose: 'the container modules are loaded into' },
    { kind: 'endpoint', rights: ['read', 'write', 'grant'], purpose: 'replies from the DecompressionService' },
    { kind: 'endpoint', rights: ['write', 'grant'], purpose: 'requests to the DecompressionService' },
  ]),
  requester: bootImage('requester', [
    { kind: 'endpoint', rights: ['read', 'write', 'grant'], purpose: 'its reply endpoint' },
    { kind: 'endpoint', rights: ['write', 'grant'], purpose: 'requests to the ModuleManager' },
  ]),
} as const

/** Limits of the container modules are loaded into, unless told otherwise. @public */
export const MODULES_LIMITS: Limits = { memoryBytes: 16 << 20, processes: 16, endpoints: 8, cpuBudget: 1000, ioBytes: 0, cpuWeight: 5, devices: [] }
const SERVICES_LIMITS: Limits = { memoryBytes: 1 << 20, processes: 4, endpoints: 16, cpuBudget: 10_000, ioBytes: 0, cpuWeight: 10, devices: [] }
const CLIENTS_LIMITS: Limits = { memoryBytes: 1 << 20, processes: 8, endpoints: 0, cpuBudget: 1000, ioBytes: 0, cpuWeight: 10, devices: [] }

/** Init's CSpace after its boot script. */
const INIT = { root: 0, services: 1, clients: 2, modules: 3, mmEndpoint: 4, mmReplies: 5, dsEndpoint: 6, dsClient: 7, ds: 8, mm: 9, free: 10, slots: 64 } as const
/** Badges of the write+grant caps init hands out: the client's identity as the service sees it. */
const MM_BADGE = 1
const REQUESTER_BADGE_BASE = 100

/** Options of {@link startLoader}. @public */
export interface LoaderOptions {
  readonly repo: string
  /** The trusted keys: the kernel's keyring and the ModuleManager's. */
  readonly keyring: Keyring
  /** Limits of the container modules are loaded into. @defaultValue {@link MODULES_LIMITS} */
  readonly modulesLimits?: Limits
  /** A ModuleManager that skips its own checks (the kernel's remain). @defaultValue false */
  readonly compromised?: boolean
  readonly layerBytesMax?: number
}

/** A running loader: the kernel, the runtime and the two services. @public */
export interface Loader {
  readonly kernel: Kernel
  readonly runtime: Runtime
  readonly verifier: KernelImageVerifier
  readonly config: BootConfig
  readonly repository: RepositoryImages
  readonly moduleManager: ModuleManager
  readonly decompression: DecompressionService
  /** Names by badge, shared with the services for the exchange. */
  readonly clients: Map<number, string>
  /** The next free slot of init. */
  initFree: number
  requesters: number
}

/** The repository's rollback floors. */
function repositoryFloors(repo: string): Floors {
  const { index } = readRepository(repo)
  return Object.fromEntries(Object.entries(index.modules).flatMap(([name, module]) => (module.floor === null ? [] : [[name, module.floor]])))
}

/** A syscall by init that must succeed (its boot script). */
function initCall(runtime: Runtime, syscall: Record<string, unknown>): Reply {
  const outcome = runtime.call(0, syscall)
  if (E.isLeft(outcome)) throw new Error(`init's boot script: ${String(syscall['kind'])} answered ${outcome.left.code}`)
  return outcome.right
}

/**
 * Boots a kernel with every image of the repository (as bytes, verified by the
 * kernel once per manifest digest), runs init's boot script, and attaches the
 * services' handlers. Nothing runs until {@link loadModule}.
 * @public
 */
export function startLoader(options: LoaderOptions): Loader {
  const floors = repositoryFloors(options.repo)
  const repository = loadRepositoryImages(options.repo, options.layerBytesMax === undefined ? {} : { layerBytesMax: options.layerBytesMax })
  const trust = symbolicTrust(options.keyring, floors)
  const config: BootConfig = {
    root: { limits: { memoryBytes: 1 << 30, processes: 64, endpoints: 64, cpuBudget: 100_000, ioBytes: 0, cpuWeight: 1, devices: [] } },
    devices: [],
    keyring: [...trust.keyring, { keyId: BOOT_SIGNER }],
    floors: trust.floors,
    init: { slots: INIT.slots },
  }
  const verifier = new KernelImageVerifier(options.layerBytesMax === undefined ? {} : { layerBytesMax: options.layerBytesMax })
  const kernel = bootWithImages(config, repository.images.map((image) => image.bytes), { records: Object.values(BOOT_IMAGES), verifier })
  const runtime = new Runtime(kernel)
  const clients = new Map<number, string>([[MM_BADGE, 'module-manager']])
  initCall(runtime, { kind: 'container_create', parent: INIT.root, dst: INIT.services, limits: SERVICES_LIMITS, namespaces: SHARE })
  initCall(runtime, { kind: 'container_create', parent: INIT.root, dst: INIT.clients, limits: CLIENTS_LIMITS, namespaces: SHARE })
  initCall(runtime, { kind: 'container_create', parent: INIT.root, dst: INIT.modules, limits: options.modulesLimits ?? MODULES_LIMITS, namespaces: SHARE })
  initCall(runtime, { kind: 'ep_create', depth: 8, dst: INIT.mmEndpoint })
  initCall(runtime, { kind: 'ep_create', depth: 8, dst: INIT.mmReplies })
  initCall(runtime, { kind: 'ep_create', depth: 8, dst: INIT.dsEndpoint })
  initCall(runtime, { kind: 'cap_copy', src: INIT.dsEndpoint, dst: INIT.dsClient, rights: WRITE_GRANT, badge: MM_BADGE })
  const decompression = new DecompressionService(options.repo, clients, options.layerBytesMax)
  initCall(runtime, { kind: 'process_spawn', container: INIT.services, image: BOOT_IMAGES.decompression.digest, uid: 0, slots: DECOMPRESSION_SLOTS.count, grants: [{ slot: INIT.dsEndpoint, rights: RWG }], dst: INIT.ds })
  runtime.attach(runtime.lastSpawned, 'decompression', decompression)
  const moduleManager = new ModuleManager({ repo: options.repo, keyring: options.keyring, clients, compromised: options.compromised ?? false, ...(options.layerBytesMax === undefined ? {} : { layerBytesMax: options.layerBytesMax }) })
  initCall(runtime, {
    kind: 'process_spawn', container: INIT.services, image: BOOT_IMAGES.moduleManager.digest, uid: 0, slots: MODULE_MANAGER_SLOTS.count, dst: INIT.mm,
    grants: [{ slot: INIT.mmEndpoint, rights: RWG }, { slot: INIT.modules, rights: ALL }, { slot: INIT.mmReplies, rights: RWG }, { slot: INIT.dsClient, rights: WRITE_GRANT }],
  })
  runtime.attach(runtime.lastSpawned, 'module-manager', moduleManager)
  return { kernel, runtime, verifier, config, repository, moduleManager, decompression, clients, initFree: INIT.free, requesters: 0 }
}

/** The requester's CSpace: granted by init, then what it makes. */
const REQUESTER_SLOTS = { reply: 0, client: 1, lookup: 2, copy: 3, received: 4, count: 8 } as const

/** A process that sends one `LoadModuleRequest` and waits for the answer. @public */
export class Requester implements ProcessHandler {
  private state: 'lookup' | 'send' | 'wait' | 'done' = 'lookup'
  response: LoadModuleResponse | null = null
  /** What `cap_inspect` says of the cap the reply carried (a process on success), if any. */
  child: Reply | null = null
  /** Why the reply could not be read, if it could not. */
  error: string | null = null

  constructor(readonly request: LoadModuleRequest) {}

  get done(): boolean {
    return this.state === 'done'
  }

  activate(process: ProcessContext): void {
    switch (this.state) {
      case 'lookup':
        // Finds the ModuleManager by name (NotFound until it has registered).
        if (E.isRight(process.call({ kind: 'svc_lookup', name: MODULE_MANAGER_SERVICE, dst: REQUESTER_SLOTS.lookup }, { idle: isPoll }))) this.state = 'send'
        return
      case 'send': {
        // The reply cap: write (for the answer) and grant (so a cap to the new process can come back on it).
        process.call({ kind: 'cap_copy', src: REQUESTER_SLOTS.reply, dst: REQUESTER_SLOTS.copy, rights: WRITE_GRANT })
        const text = encodeMessage(LoadModuleRequestCodec, this.request)
        const sent = process.call({ kind: 'ep_send', slot: REQUESTER_SLOTS.client, payload: text, xfer: REQUESTER_SLOTS.copy })
        process.message({ from: process.name, to: MODULE_MANAGER_SERVICE, type: 'LoadModuleRequest', payload: text, cap: E.isRight(sent) })
        process.call({ kind: 'cap_delete', slot: REQUESTER_SLOTS.copy })
        if (E.isLeft(sent)) {
          this.error = `the request could not be sent: ${sent.left.code}`
          this.state = 'done'
        } else this.state = 'wait'
        return
      }
      case 'wait': {
        const received: Outcome = process.call({ kind: 'ep_recv', slot: REQUESTER_SLOTS.reply, dst: REQUESTER_SLOTS.received }, { idle: isPoll })
        if (E.isLeft(received) || received.right.kind !== 'message') return
        const decoded = decodeMessage(LoadModuleResponseCodec, received.right.payload)
        if (decoded.ok) this.response = decoded.value
        else this.error = `the reply is not a LoadModuleResponse: ${decoded.error}`
        if (received.right.cap === 'received') {
          const inspected = process.call({ kind: 'cap_inspect', slot: REQUESTER_SLOTS.received })
          if (E.isRight(inspected)) this.child = inspected.right
        }
        this.state = 'done'
        return
      }
      case 'done':
        return
    }
  }
}

/** What a load came to. @public */
export interface LoadResult {
  readonly request: LoadModuleRequest
  /** Null when no reply came (within the rounds) or it could not be decoded. */
  readonly response: LoadModuleResponse | null
  /** What the requester's `cap_inspect` says of the cap that came with the reply. */
  readonly child: Reply | null
  readonly error: string | null
  /** The requester's creation index. */
  readonly requester: number
}

/**
 * Spawns a requester for `request` from init (a reply endpoint, and a badged
 * write+grant cap to the ModuleManager's endpoint) without running anything: for
 * a caller that sends several requests at once and then runs the system.
 * @public
 */
export function startRequester(loader: Loader, request: LoadModuleRequest): Requester {
  const { runtime } = loader
  const index = ++loader.requesters
  const badge = REQUESTER_BADGE_BASE + index
  const name = `requester-${index}`
  const [reply, client, process] = [loader.initFree, loader.initFree + 1, loader.initFree + 2]
  loader.initFree += 3
  loader.clients.set(badge, name)
  initCall(runtime, { kind: 'ep_create', depth: 2, dst: reply })
  initCall(runtime, { kind: 'cap_copy', src: INIT.mmEndpoint, dst: client, rights: WRITE_GRANT, badge })
  initCall(runtime, { kind: 'process_spawn', container: INIT.clients, image: BOOT_IMAGES.requester.digest, uid: 0, slots: REQUESTER_SLOTS.count, grants: [{ slot: reply, rights: RWG }, { slot: client, rights: WRITE_GRANT }], dst: process })
  const requester = new Requester(request)
  runtime.attach(runtime.lastSpawned, name, requester)
  return requester
}

/**
 * Starts a requester (init spawns it with a reply endpoint and a badged write+grant
 * cap to the ModuleManager), then runs the kernel's scheduler, activating the
 * services and the requester, until the reply arrives or `roundsMax` rounds pass.
 * @public
 */
export function loadModule(loader: Loader, request: LoadModuleRequest, roundsMax = 200): LoadResult {
  const requester = startRequester(loader, request)
  const ref = loader.runtime.lastSpawned
  loader.runtime.run(() => requester.done, roundsMax)
  return { request, response: requester.response, child: requester.child, error: requester.done ? requester.error : `no reply within ${roundsMax} rounds`, requester: ref }
}
