/**
 * The ModuleManager (seed 003 §2 steps 2–5, pipeline.md §3): a process with its
 * own endpoint, registered in the service directory as `module-manager`. For each
 * `LoadModuleRequest` (whose transferred cap is the requester's reply endpoint) it
 *
 * 1. resolves the module in the repository (semver constraint, rollback floor,
 *    the manifest digest the repository recorded);
 * 2. checks the package: the signature by a trusted key over the manifest digest,
 *    the manifest, the floor, and every layer's digest and compression header;
 * 3. asks the DecompressionService to inflate each compressed module layer and
 *    checks the inflated digest and size it reports against the ones the signed
 *    header pins;
 * 4. calls `process_spawn` with the image's manifest digest into the container it
 *    holds control over (the kernel verifies the image again, itself);
 * 5. replies `LoadModuleResponse` on the reply cap, transferring a cap to the new
 *    process on success.
 *
 * Refusals map to the seed's statuses: a rollback is `RollbackDenied`; any other
 * refusal of the package (unsigned, untrusted key, bad signature, tampered or
 * swapped bytes, bombs) `BinarySignatureError`, naming the attack; an unknown module
 * or an unsatisfiable request `ManifestPolicyError`; spawn errors by kind (see
 * {@link spawnStatus}).
 *
 * A **compromised** ModuleManager (an option, for demonstrations and tests) skips
 * steps 1–3 — it ignores floors, signatures and digests and asks the kernel to
 * spawn whatever the repository names — to show that the kernel's own check holds.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { maxSatisfying } from 'semver'
import type { Outcome } from '../../spec/results.js'
import type { CapRequest } from '../../spec/images.js'
import { own } from '../codecs.js'
import { ImageError } from '../errors.js'
import { inflateModuleLayer, type CompressionHeader } from '../image/compression.js'
import type { Keyring } from '../image/keys.js'
import { layoutFile, LAYER_BYTES_MAX_DEFAULT, MEDIA_TYPES, openLayout } from '../image/layout.js'
import { decodeManifest, type Manifest } from '../image/manifest.js'
import { checkAnnotations, readLayers, readManifestBlob } from '../image/reader.js'
import { checkFloor, verifySignatures } from '../image/verify.js'
import { readRepository } from '../repo/repository.js'
import { resolveModule } from '../repo/resolve.js'
import {
  DecompressRequestCodec, DecompressResponseCodec, LoadModuleRequestCodec, LoadModuleResponseCodec, decodeMessage, encodeMessage,
  type LoadModuleRequest, type LoadModuleResponse, type LoadStatus,
} from './messages.js'
import { DECOMPRESSION_SERVICE } from './decompression.js'
import { isPoll, type ProcessContext, type ProcessHandler } from './runtime.js'

/** The ModuleManager's CSpace: four caps granted by init, the looked-up DecompressionService, then free slots. */
export const MODULE_MANAGER_SLOTS = {
  /** Its service endpoint (read, write, grant): requests arrive here. */
  endpoint: 0,
  /** Control over the container it loads modules into. */
  modules: 1,
  /** Its own endpoint for the DecompressionService's replies. */
  replies: 2,
  /** A write+grant cap to the DecompressionService's endpoint (a looked-up cap is send-only and cannot carry the reply cap). */
  decompression: 3,
  /** The DecompressionService as `svc_lookup` found it. */
  lookup: 4,
  count: 32,
} as const
/** Its name in the service directory. */
export const MODULE_MANAGER_SERVICE = 'module-manager'

/** The status of a failed (or successful) `process_spawn`. @public */
export function spawnStatus(outcome: Outcome): LoadStatus {
  if (E.isRight(outcome)) return 'Success'
  switch (outcome.left.code) {
    case 'SignatureInvalid': return 'BinarySignatureError'
    // The kernel verified no image with this manifest digest: the bytes it holds hash otherwise.
    case 'NotFound': return 'BinarySignatureError'
    case 'RollbackDenied': return 'RollbackDenied'
    case 'PolicyDenied': case 'PermissionDenied': return 'ManifestPolicyError'
    case 'QuotaExceeded': return 'InsufficientResourcesError'
    default: return 'KernelInternalError'
  }
}

/** The status of a refused package. @public */
export function refusalStatus(error: ImageError): LoadStatus {
  return error.reason === 'rollback' ? 'RollbackDenied' : 'BinarySignatureError'
}

/** A module layer the DecompressionService must inflate, and what its signed header pins. */
interface Compressed {
  readonly position: number
  readonly digest: string
  readonly header: CompressionHeader
}

/** A checked package, ready to spawn once its compressed layers are confirmed. */
interface Package {
  readonly name: string
  readonly version: string
  readonly digest: string
  readonly requests: ReadonlyArray<CapRequest>
  readonly compressed: ReadonlyArray<Compressed>
}

/** A load in progress. */
interface Load {
  readonly request: LoadModuleRequest
  readonly requester: string
  readonly replySlot: number
  readonly pkg: Package
  /** Inner request id → the layer it asked for, not yet answered. */
  readonly waiting: Map<string, Compressed>
}

/** Options of {@link ModuleManager}. @public */
export interface ModuleManagerOptions {
  readonly repo: string
  /** The keys the ModuleManager trusts (the same as the kernel's). */
  readonly keyring: Keyring
  /** Names of requesters by the badge of the cap init gave them (for the exchange). */
  readonly clients?: ReadonlyMap<number, string>
  /** Skip its own checks (a compromised ModuleManager). @defaultValue false */
  readonly compromised?: boolean
  readonly layerBytesMax?: number
}

/** The ModuleManager's code. @public */
export class ModuleManager implements ProcessHandler {
  private registered = false
  private found = false
  private readonly loads = new Map<string, Load>()
  private readonly free: number[] = []
  private innerNext = 0
  /** Every reply sent, in order. */
  readonly replies: LoadModuleResponse[] = []
  /** Process caps of the modules it loaded (its slots). */
  readonly loaded: number[] = []

  constructor(private readonly options: ModuleManagerOptions) {
    for (let slot = MODULE_MANAGER_SLOTS.count - 1; slot > MODULE_MANAGER_SLOTS.lookup; slot--) this.free.push(slot)
  }

  activate(process: ProcessContext): void {
    if (!this.registered) {
      this.registered = E.isRight(process.call({ kind: 'svc_register', name: MODULE_MANAGER_SERVICE, slot: MODULE_MANAGER_SLOTS.endpoint }))
      return
    }
    if (!this.found) {
      // Waits for the DecompressionService to be up (NotFound until it registers).
      this.found = E.isRight(process.call({ kind: 'svc_lookup', name: DECOMPRESSION_SERVICE, dst: MODULE_MANAGER_SLOTS.lookup }, { idle: isPoll }))
      return
    }
    const reply = process.call({ kind: 'ep_recv', slot: MODULE_MANAGER_SLOTS.replies }, { idle: isPoll })
    if (E.isRight(reply) && reply.right.kind === 'message') {
      this.onDecompressed(process, reply.right.payload)
      return
    }
    // A request needs a slot for its reply cap, and up to three more while it is served.
    if (this.free.length < 4) return
    const slot = this.free.pop()!
    const request = process.call({ kind: 'ep_recv', slot: MODULE_MANAGER_SLOTS.endpoint, dst: slot }, { idle: isPoll })
    if (E.isLeft(request) || request.right.kind !== 'message') {
      this.free.push(slot)
      return
    }
    const requester = this.options.clients?.get(request.right.badge) ?? `badge ${request.right.badge}`
    if (request.right.cap !== 'received') {
      process.note(`a request without a reply cap (${request.right.cap}): nobody to answer, dropped`)
      this.free.push(slot)
      return
    }
    this.onRequest(process, request.right.payload, requester, slot)
  }

  private onRequest(process: ProcessContext, payload: unknown, requester: string, replySlot: number): void {
    const decoded = decodeMessage(LoadModuleRequestCodec, payload)
    if (!decoded.ok) {
      const requestId = (() => { try { const id = (JSON.parse(String(payload)) as { requestId?: unknown }).requestId; return typeof id === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(id) ? id : 'unknown' } catch { return 'unknown' } })()
      this.reply(process, requester, replySlot, { requestId, status: 'ManifestPolicyError', error: decoded.error })
      return
    }
    const request = decoded.value
    const checked = this.options.compromised === true ? this.pickBlindly(request) : this.checkPackage(request)
    if ('status' in checked) {
      this.reply(process, requester, replySlot, { requestId: request.requestId, ...checked })
      return
    }
    process.note(this.options.compromised === true
      ? `(compromised) spawning ${checked.name}@${checked.version} unchecked, manifest ${checked.digest}`
      : `resolved ${checked.name}@${checked.version}, manifest ${checked.digest}: signature verified, every digest checked`)
    const load: Load = { request, requester, replySlot, pkg: checked, waiting: new Map() }
    if (checked.compressed.length === 0) {
      this.spawn(process, load)
      return
    }
    for (const layer of checked.compressed) {
      const inner = `mm-${++this.innerNext}`
      load.waiting.set(inner, layer)
      this.loads.set(inner, load)
      this.askDecompression(process, inner, layer.digest)
    }
  }

  /** Sends a `DecompressRequest` with a write-only cap to its reply endpoint. */
  private askDecompression(process: ProcessContext, requestId: string, layerDigest: string): void {
    const copy = this.free.pop()!
    process.call({ kind: 'cap_copy', src: MODULE_MANAGER_SLOTS.replies, dst: copy, rights: ['write'] })
    const text = encodeMessage(DecompressRequestCodec, { requestId, layerDigest })
    process.call({ kind: 'ep_send', slot: MODULE_MANAGER_SLOTS.decompression, payload: text, xfer: copy })
    process.message({ from: process.name, to: DECOMPRESSION_SERVICE, type: 'DecompressRequest', payload: text, cap: true })
    process.call({ kind: 'cap_delete', slot: copy })
    this.free.push(copy)
  }

  private onDecompressed(process: ProcessContext, payload: unknown): void {
    const decoded = decodeMessage(DecompressResponseCodec, payload)
    if (!decoded.ok) {
      process.note(`a reply that is not a DecompressResponse: ${decoded.error}`)
      return
    }
    const response = decoded.value
    const load = this.loads.get(response.requestId)
    const layer = load?.waiting.get(response.requestId)
    if (load === undefined || layer === undefined) {
      process.note(`a DecompressResponse for no pending request (${response.requestId}): ignored`)
      return
    }
    this.loads.delete(response.requestId)
    load.waiting.delete(response.requestId)
    const mismatch = response.layerDigest !== layer.digest ? `answers for layer ${response.layerDigest}, not ${layer.digest}`
      : response.status !== 'Success' ? `could not inflate layer ${layer.position} (${layer.digest}): ${response.error ?? 'no reason given'}`
        : response.uncompressedDigest !== layer.header.uncompressedDigest || response.uncompressedSizeBytes !== layer.header.uncompressedSizeBytes
          ? `layer ${layer.position} inflated to ${response.uncompressedDigest ?? '?'} (${response.uncompressedSizeBytes ?? '?'} bytes); the signed header pins ${layer.header.uncompressedDigest} (${layer.header.uncompressedSizeBytes} bytes)`
          : null
    if (mismatch !== null) {
      // The load fails once; answers still due for its other layers find nothing pending.
      for (const inner of load.waiting.keys()) this.loads.delete(inner)
      load.waiting.clear()
      this.reply(process, load.requester, load.replySlot, { requestId: load.request.requestId, status: 'BinarySignatureError', module: `${load.pkg.name}@${load.pkg.version}`, error: mismatch })
      return
    }
    process.note(`layer ${layer.position} of ${load.pkg.name}@${load.pkg.version} inflates to its pinned digest ${layer.header.uncompressedDigest}`)
    if (load.waiting.size === 0) this.spawn(process, load)
  }

  /** `process_spawn` of the checked image; its outcome is the reply. */
  private spawn(process: ProcessContext, load: Load): void {
    const { pkg, request } = load
    const module = `${pkg.name}@${pkg.version}`
    const grants: Array<{ slot: number; rights: string[] }> = []
    let parameters: number | null = null
    if (request.parameters !== undefined) {
      const first = pkg.requests[0]
      if (first?.kind !== 'endpoint') {
        this.reply(process, load.requester, load.replySlot, { requestId: request.requestId, status: 'ManifestPolicyError', module, error: 'parameters are passed on an endpoint, but the manifest\'s first request is not one' })
        return
      }
      // The parameters wait, as the first message, on an endpoint granted as the module's slot 0.
      parameters = this.free.pop()!
      const created = process.call({ kind: 'ep_create', depth: 1, dst: parameters })
      if (E.isLeft(created)) {
        this.free.push(parameters)
        this.reply(process, load.requester, load.replySlot, { requestId: request.requestId, status: spawnStatus(created), module, error: `cannot make the parameters endpoint: ${created.left.code}` })
        return
      }
      process.call({ kind: 'ep_send', slot: parameters, payload: JSON.stringify(request.parameters).slice(0, 4096) })
      grants.push({ slot: parameters, rights: first.rights.filter((right) => right === 'read' || right === 'write' || right === 'grant') })
    }
    const child = this.free.pop()!
    const outcome = process.call({
      kind: 'process_spawn', container: MODULE_MANAGER_SLOTS.modules, image: pkg.digest, uid: 0,
      slots: Math.max(4, pkg.requests.length), grants, dst: child,
    })
    if (parameters !== null) {
      process.call({ kind: 'cap_delete', slot: parameters })
      this.free.push(parameters)
    }
    const status = spawnStatus(outcome)
    if (E.isLeft(outcome)) {
      this.free.push(child)
      const error = outcome.left.code === 'NotFound'
        ? `the kernel has verified no image with manifest ${pkg.digest}`
        : `the kernel refused process_spawn: ${outcome.left.code === 'QuotaExceeded' ? `QuotaExceeded(${outcome.left.resource})` : outcome.left.code}`
      this.reply(process, load.requester, load.replySlot, { requestId: request.requestId, status, module, error })
      return
    }
    this.loaded.push(child)
    const pid = outcome.right.kind === 'spawned' ? outcome.right.pid : null
    this.reply(process, load.requester, load.replySlot, { requestId: request.requestId, status, module, pid }, child)
  }

  /** Sends the response on the reply cap (with a cap to the new process when there is one and the reply cap allows), then drops the reply cap. */
  private reply(process: ProcessContext, requester: string, replySlot: number, response: LoadModuleResponse, child?: number): void {
    const text = encodeMessage(LoadModuleResponseCodec, response)
    const first = child === undefined ? null : process.call({ kind: 'ep_send', slot: replySlot, payload: text, xfer: child })
    const withCap = first !== null && E.isRight(first)
    const sent = withCap ? first : process.call({ kind: 'ep_send', slot: replySlot, payload: text })
    process.message({ from: process.name, to: requester, type: 'LoadModuleResponse', payload: text, cap: withCap })
    if (E.isLeft(sent)) process.note(`the reply could not be sent: ${sent.left.code}`)
    process.call({ kind: 'cap_delete', slot: replySlot })
    this.free.push(replySlot)
    this.replies.push(response)
  }

  /** Steps 1–2: resolve, then check the package whole except inflation. A refusal is a status and its reason. */
  private checkPackage(request: LoadModuleRequest): Package | { status: LoadStatus; error: string; module?: string } {
    const { repo, keyring } = this.options
    const constraint = request.versionConstraint ?? '*'
    let resolution
    try {
      resolution = resolveModule(repo, request.moduleName, constraint)
    } catch (error) {
      if (!(error instanceof ImageError)) throw error
      return { status: error.reason === 'missing' && error.file.endsWith('repository.json') ? 'ManifestPolicyError' : refusalStatus(error), error: error.message }
    }
    if (resolution === null) return { status: 'ManifestPolicyError', error: `no stored version of ${request.moduleName} satisfies ${JSON.stringify(constraint)}` }
    const module = `${resolution.name}@${resolution.version}`
    try {
      const layerBytesMax = this.options.layerBytesMax ?? LAYER_BYTES_MAX_DEFAULT
      const layout = openLayout(resolution.path)
      const manifestBlob = readManifestBlob(layout)
      verifySignatures(layout, keyring)
      const manifest: Manifest = decodeManifest(manifestBlob.bytes, manifestBlob.file)
      checkAnnotations(layout, manifest, layoutFile(resolution.path, 'index.json'))
      if (manifest.name !== resolution.name || manifest.version !== resolution.version) {
        throw new ImageError(manifestBlob.file, 'inconsistent', `is ${manifest.name}@${manifest.version}, stored as ${module}`, 'mix-and-match')
      }
      checkFloor(manifest, resolution.floor === null ? {} : { [resolution.name]: resolution.floor }, manifestBlob.file, readRepository(repo).file)
      const layers = readLayers(resolution.path, manifest, manifestBlob.file, { inflate: false, layerBytesMax })
      const compressed: Compressed[] = []
      layers.forEach((layer, position) => {
        if (layer.header === null) return
        if (layer.layer.mediaType === MEDIA_TYPES.moduleBrotli) compressed.push({ position, digest: layer.layer.digest, header: layer.header })
        // A stored module layer needs no inflating: its bytes are checked against the pinned digest here.
        else inflateModuleLayer(layer.blob, layer.file, layer.layer.mediaType, layerBytesMax)
      })
      return { name: manifest.name, version: manifest.version, digest: layout.manifest.digest, requests: manifest.requests, compressed }
    } catch (error) {
      if (!(error instanceof ImageError)) throw error
      return { status: refusalStatus(error), error: error.message, module }
    }
  }

  /** What a compromised ModuleManager does: the highest version the repository names, floors ignored, nothing checked. */
  private pickBlindly(request: LoadModuleRequest): Package | { status: LoadStatus; error: string } {
    const { index } = readRepository(this.options.repo)
    const module = own(index.modules, request.moduleName)
    const version = module === undefined ? null : maxSatisfying(Object.keys(module.versions), request.versionConstraint ?? '*')
    if (module === undefined || version === null) return { status: 'ManifestPolicyError', error: `no stored version of ${request.moduleName} satisfies ${JSON.stringify(request.versionConstraint ?? '*')}` }
    return { name: request.moduleName, version, digest: module.versions[version]!.digest, requests: [{ kind: 'endpoint', rights: ['read', 'write', 'grant'] }], compressed: [] }
  }
}
