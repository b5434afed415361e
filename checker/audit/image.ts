/**
 * Auditing an image directory (tooling.md §5): its signature and signer against a
 * keyring, its version against the rollback floors, every layer's digest and bound,
 * and its manifest's requests and memory against a policy. Each check is reported
 * on its own, pass or fail with the reason, where `sila image verify` stops at the
 * first refusal; the checks themselves are the pipeline's (pipeline/image/).
 *
 * An image whose layout or manifest cannot be read at all is refused as input (an
 * `ImageError`: exit 2, naming the file): there is nothing to audit.
 * @module
 */
import type { Floors } from '../../pipeline/codecs.js'
import { ImageError } from '../../pipeline/errors.js'
import type { Keyring } from '../../pipeline/image/keys.js'
import { layoutFile, openLayout, type Layout } from '../../pipeline/image/layout.js'
import { decodeManifest, type Manifest } from '../../pipeline/image/manifest.js'
import { checkAnnotations, readLayers, readManifestBlob, readSignatureBlob, type SignatureBlob } from '../../pipeline/image/reader.js'
import { verifySignature } from '../../pipeline/image/signature.js'
import { checkFloor } from '../../pipeline/image/verify.js'
import { requestsBeyondPolicy, type Policy } from './policy.js'

/** The checks of an image audit, in the order they are reported. @public */
export const IMAGE_CHECKS = [
  { id: 'image/signature', statement: 'the image is signed, and the signature verifies over the manifest digest with a key of the keyring' },
  { id: 'image/keyring', statement: 'the signer is a key of the keyring' },
  { id: 'image/rollback', statement: 'the version is at or above the rollback floor of its name' },
  { id: 'image/layers', statement: 'every layer matches its digest and size, every module layer inflates within its declared size and the bound, and the index agrees with the manifest' },
  { id: 'policy/requests', statement: 'every capability the manifest requests is of a kind the policy allows, with rights within the policy\'s maximum for that kind' },
  { id: 'policy/memory', statement: 'the memory the image occupies is within the policy\'s maximum' },
] as const
/** The id of an image check. @public */
export type ImageCheckId = (typeof IMAGE_CHECKS)[number]['id']

/** One check's verdict. @public */
export interface ImageCheck {
  readonly id: ImageCheckId
  readonly statement: string
  readonly status: 'pass' | 'fail' | 'not-applicable'
  readonly message: string
  /** The file the verdict is about (the signature, the manifest, a layer, the policy). */
  readonly file: string
  /** Plain-JSON specifics: the signer, the floor, the offending requests. */
  readonly details: Readonly<Record<string, unknown>>
}

/** A layer as the audit reports it. @public */
export interface AuditedLayer {
  readonly role: 'module' | 'data'
  readonly digest: string
  readonly sizeBytes: number
  /** Inflated size of a module layer; the size of a data layer; null when the layers could not be read. */
  readonly contentBytes: number | null
}

/** An audit of an image directory. @public */
export interface ImageAuditReport {
  readonly subject: {
    readonly kind: 'image'
    readonly dir: string
    readonly name: string
    readonly version: string
    readonly manifestDigest: string
    readonly manifestFile: string
    /** Key id in the signature's header; null when unsigned or unreadable. */
    readonly signer: string | null
  }
  readonly status: 'pass' | 'fail'
  readonly checks: ReadonlyArray<ImageCheck>
  readonly layers: ReadonlyArray<AuditedLayer>
  readonly requests: Manifest['requests']
  readonly memoryBytes: number
}

/** What an image is audited against, and where each came from (for messages). @public */
export interface ImageAuditOptions {
  readonly keyring: Keyring
  readonly keyringSource: string
  readonly floors?: Floors
  readonly floorsSource?: string
  readonly policy?: Policy
  readonly policySource?: string
  /** Bound on every blob and inflated layer. @defaultValue the pipeline's (64 MiB) */
  readonly layerBytesMax?: number
}

function check(id: ImageCheckId, status: ImageCheck['status'], message: string, file: string, details: Record<string, unknown> = {}): ImageCheck {
  return { id, statement: IMAGE_CHECKS.find((entry) => entry.id === id)!.statement, status, message, file, details }
}

/** The reason an {@link ImageError} gives, in one line. */
function reasonOf(error: ImageError): string {
  return error.problems.join('; ')
}

/** Runs `body`; an {@link ImageError} becomes its reason, anything else propagates. */
function attempt<A>(body: () => A): { ok: true; value: A } | { ok: false; error: ImageError } {
  try {
    return { ok: true, value: body() }
  } catch (error) {
    if (error instanceof ImageError) return { ok: false, error }
    throw error
  }
}

function signatureChecks(layout: Layout, options: ImageAuditOptions): { checks: ImageCheck[]; signer: string | null } {
  const indexFile = layoutFile(layout.dir, 'index.json')
  if (layout.signatures.length === 0) {
    return { signer: null, checks: [
      check('image/signature', 'fail', 'the image has no signature (an arbitrary package)', indexFile, { reason: 'unsigned' }),
      check('image/keyring', 'not-applicable', 'no signature names a signer', indexFile),
    ] }
  }
  // Several signatures (by different keys): one that verifies by a key of the keyring is enough. The checks speak of
  // that one, else of the first by a key of the keyring, else of the first readable one.
  const reads = layout.signatures.map((descriptor) => attempt((): SignatureBlob => readSignatureBlob(layout, descriptor)))
  const readable = reads.flatMap((read) => (read.ok ? [read.value] : []))
  if (readable.length === 0) {
    const error = (reads[0] as { ok: false; error: ImageError }).error
    return { signer: null, checks: [
      check('image/signature', 'fail', `the signature cannot be read: ${reasonOf(error)}`, error.file, { reason: error.reason }),
      check('image/keyring', 'not-applicable', 'no readable signature names a signer', error.file),
    ] }
  }
  const judged = readable.map((blob) => ({ blob, verified: attempt(() => verifySignature(blob.signature, blob.file, layout.manifest.digest, options.keyring)) }))
  const unreadable = reads.flatMap((read) => (read.ok ? [] : [read.error]))
  // None verifies and none readable is by a key of the keyring: a signature that cannot be read (tampered) may be the one that was, and is the finding.
  if (!judged.some((entry) => entry.verified.ok || options.keyring.has(entry.blob.signature.header.keyId)) && unreadable.length > 0) {
    const error = unreadable[0]!
    const others = [...unreadable.slice(1).map((other) => `${other.file} cannot be read either: ${reasonOf(other)}`), ...judged.map((entry) => `${entry.blob.file}: ${reasonOf((entry.verified as { ok: false; error: ImageError }).error)}`)]
    return { signer: null, checks: [
      check('image/signature', 'fail', `the signature cannot be read: ${reasonOf(error)}; the image's other signatures do not verify (${others.join('; ')})`, error.file, { reason: error.reason, ...(error.attack === null ? {} : { attack: error.attack }) }),
      check('image/keyring', 'fail', `no readable signature is by a key of the keyring (${options.keyringSource})`, error.file, { signers: judged.map((entry) => entry.blob.signature.header.keyId), keyring: [...options.keyring.keys()] }),
    ] }
  }
  const { blob, verified } = judged.find((entry) => entry.verified.ok)
    ?? judged.find((entry) => options.keyring.has(entry.blob.signature.header.keyId)) ?? judged[0]!
  const signer = blob.signature.header.keyId
  const known = options.keyring.has(signer)
  const keyring = known
    ? check('image/keyring', 'pass', `signed by ${signer}, a key of the keyring`, blob.file, { signer })
    : check('image/keyring', 'fail', `signed by ${signer}, which is not in the keyring (${options.keyringSource})`, blob.file, { signer, keyring: [...options.keyring.keys()] })
  const signature = verified.ok
    ? check('image/signature', 'pass', `the ${blob.signature.header.algorithm} signature by ${signer} verifies over ${layout.manifest.digest}`, blob.file, { signer, algorithm: blob.signature.header.algorithm })
    : check('image/signature', 'fail', reasonOf(verified.error), blob.file, { signer, reason: verified.error.reason, attack: verified.error.attack })
  return { signer, checks: [signature, keyring] }
}

function rollbackCheck(manifest: Manifest, manifestFile: string, options: ImageAuditOptions): ImageCheck {
  if (options.floors === undefined) return check('image/rollback', 'not-applicable', 'no rollback floors given (--floors)', manifestFile)
  const floor = Object.hasOwn(options.floors, manifest.name) ? options.floors[manifest.name]! : null
  const result = attempt(() => checkFloor(manifest, options.floors, manifestFile, options.floorsSource))
  const details = { name: manifest.name, version: manifest.version, floor }
  if (!result.ok) return check('image/rollback', 'fail', reasonOf(result.error), manifestFile, details)
  return check('image/rollback', 'pass', floor === null ? `no floor is set for ${manifest.name}` : `${manifest.name}@${manifest.version} is at or above the floor ${floor}`, manifestFile, details)
}

function layerChecks(layout: Layout, manifest: Manifest, manifestFile: string, options: ImageAuditOptions): { check: ImageCheck; layers: AuditedLayer[] } {
  const listed = manifest.layers.map((layer): AuditedLayer => ({ role: layer.role, digest: layer.digest, sizeBytes: layer.size, contentBytes: null }))
  const read = attempt(() => {
    checkAnnotations(layout, manifest, layoutFile(layout.dir, 'index.json'))
    return readLayers(layout.dir, manifest, manifestFile, { inflate: true, ...(options.layerBytesMax === undefined ? {} : { layerBytesMax: options.layerBytesMax }) })
  })
  if (!read.ok) return { layers: listed, check: check('image/layers', 'fail', reasonOf(read.error), read.error.file, { reason: read.error.reason, attack: read.error.attack }) }
  const layers = read.value.map((item): AuditedLayer => ({ role: item.layer.role, digest: item.layer.digest, sizeBytes: item.layer.size, contentBytes: item.content?.length ?? null }))
  const content = layers.reduce((sum, layer) => sum + (layer.contentBytes ?? 0), 0)
  return { layers, check: check('image/layers', 'pass', `${layers.length} layers match their digests and sizes (${content} bytes of content, within ${manifest.limits.memoryBytes} declared)`, manifestFile) }
}

function policyChecks(manifest: Manifest, manifestFile: string, options: ImageAuditOptions): ImageCheck[] {
  const policy = options.policy
  if (policy === undefined) {
    return [
      check('policy/requests', 'not-applicable', 'no policy given (--policy)', manifestFile),
      check('policy/memory', 'not-applicable', 'no policy given (--policy)', manifestFile),
    ]
  }
  const beyond = requestsBeyondPolicy(manifest.requests, policy)
  const requests = beyond.length === 0
    ? check('policy/requests', 'pass', `all ${manifest.requests.length} requests are within ${options.policySource ?? 'the policy'}`, manifestFile)
    : check('policy/requests', 'fail', beyond.map((finding) => `$.requests[${finding.index}] ${finding.reason}`).join('; '), manifestFile, { requests: beyond })
  const memory = manifest.limits.memoryBytes <= policy.maxMemoryBytes
    ? check('policy/memory', 'pass', `${manifest.limits.memoryBytes} bytes, within the policy's ${policy.maxMemoryBytes}`, manifestFile, { memoryBytes: manifest.limits.memoryBytes, maxMemoryBytes: policy.maxMemoryBytes })
    : check('policy/memory', 'fail', `$.limits.memoryBytes: ${manifest.limits.memoryBytes} bytes, more than the policy's ${policy.maxMemoryBytes}`, manifestFile, { memoryBytes: manifest.limits.memoryBytes, maxMemoryBytes: policy.maxMemoryBytes })
  return [requests, memory]
}

/**
 * Audits the image in `dir`. Refuses (throws an `ImageError`) only an image whose
 * layout or manifest cannot be read; every other problem is a failed check.
 * @public
 */
export function auditImage(dir: string, options: ImageAuditOptions): ImageAuditReport {
  const layout = openLayout(dir)
  const manifestBlob = readManifestBlob(layout)
  const manifest = decodeManifest(manifestBlob.bytes, manifestBlob.file)
  const signature = signatureChecks(layout, options)
  const layers = layerChecks(layout, manifest, manifestBlob.file, options)
  const checks = [...signature.checks, rollbackCheck(manifest, manifestBlob.file, options), layers.check, ...policyChecks(manifest, manifestBlob.file, options)]
  return {
    subject: { kind: 'image', dir, name: manifest.name, version: manifest.version, manifestDigest: layout.manifest.digest, manifestFile: manifestBlob.file, signer: signature.signer },
    status: checks.some((entry) => entry.status === 'fail') ? 'fail' : 'pass',
    checks, layers: layers.layers, requests: manifest.requests, memoryBytes: manifest.limits.memoryBytes,
  }
}
