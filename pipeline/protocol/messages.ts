/**
 * The loading protocol's messages (seed 003 §2, pipeline.md §3): JSON payloads of
 * at most 4096 characters (the kernel's payload bound), each decoded with its io-ts
 * codec on receipt and never trusted before. Caps travel beside the payload (the
 * kernel's `xfer`), not inside it.
 * @module
 */
import * as t from 'io-ts'
import { isLeft } from 'fp-ts/lib/Either.js'
import { BOUNDS, stringMatching } from '../../spec/numbers.js'
import { ModuleNameCodec } from '../codecs.js'
import { BlobDigestCodec } from '../image/layout.js'
import { isConstraint } from '../repo/resolve.js'

/** A request id: 1 to 64 characters `[A-Za-z0-9._:-]`. */
export const RequestIdCodec = stringMatching(/^[A-Za-z0-9._:-]+$/, 64, 'RequestId')

/** A semver range the `semver` package accepts (`^1.2.0`, `>=1.2.0 <2.0.0`), at most 256 characters. */
export const ConstraintCodec = new t.Type<string, string, unknown>(
  'VersionConstraint',
  (u): u is string => typeof u === 'string' && u.length <= 256 && isConstraint(u),
  (u, c) => (typeof u === 'string' && u.length <= 256 && isConstraint(u) ? t.success(u) : t.failure(u, c, 'expected a semver range such as ^1.2.0')),
  t.identity,
)

/** Initial parameters of a module instance: a flat JSON object of strings, numbers and booleans. */
export const ParametersCodec = t.record(t.string, t.union([t.string, t.number, t.boolean]))

/** Requester → ModuleManager; the reply endpoint travels as the transferred cap. @public */
export const LoadModuleRequestCodec = t.exact(t.intersection([
  t.type({ requestId: RequestIdCodec, moduleName: ModuleNameCodec }),
  t.partial({ versionConstraint: ConstraintCodec, parameters: ParametersCodec }),
]), 'LoadModuleRequest')
export type LoadModuleRequest = t.TypeOf<typeof LoadModuleRequestCodec>

/** The outcome of a load (seed 003 §2.4, with the rollback refusal of pipeline.md §2). @public */
export const LOAD_STATUSES = ['Success', 'ManifestPolicyError', 'BinarySignatureError', 'InsufficientResourcesError', 'KernelInternalError', 'RollbackDenied'] as const
export type LoadStatus = (typeof LOAD_STATUSES)[number]
const LoadStatusCodec = t.keyof(Object.fromEntries(LOAD_STATUSES.map((status) => [status, null])) as Record<LoadStatus, null>)

/** ModuleManager → requester. `pid`: the new process in the ModuleManager's pid namespace. @public */
export const LoadModuleResponseCodec = t.exact(t.intersection([
  t.type({ requestId: RequestIdCodec, status: LoadStatusCodec }),
  t.partial({ pid: t.union([t.number, t.null]), module: t.string, error: t.string }),
]), 'LoadModuleResponse')
export type LoadModuleResponse = t.TypeOf<typeof LoadModuleResponseCodec>

/** ModuleManager → DecompressionService; the reply endpoint travels as the transferred cap. @public */
export const DecompressRequestCodec = t.exact(t.type({ requestId: RequestIdCodec, layerDigest: BlobDigestCodec }), 'DecompressRequest')
export type DecompressRequest = t.TypeOf<typeof DecompressRequestCodec>

/** DecompressionService → ModuleManager: what the layer inflated to, or why it did not. @public */
export const DecompressResponseCodec = t.exact(t.intersection([
  t.type({ requestId: RequestIdCodec, layerDigest: BlobDigestCodec, status: t.keyof({ Success: null, Error: null }) }),
  t.partial({ uncompressedDigest: BlobDigestCodec, uncompressedSizeBytes: t.number, error: t.string }),
]), 'DecompressResponse')
export type DecompressResponse = t.TypeOf<typeof DecompressResponseCodec>

/** The payload of a message: JSON text of at most the kernel's payload bound; an `error` too long is cut to fit. @public */
export function encodeMessage<A, O>(codec: t.Type<A, O, unknown>, value: A): string {
  const text = JSON.stringify(codec.encode(value))
  if (text.length <= BOUNDS.payloadLengthMax) return text
  const error = (value as { error?: unknown }).error
  if (typeof error === 'string') {
    const cut = Math.max(0, error.length - (text.length - BOUNDS.payloadLengthMax) - 1)
    return encodeMessage(codec, { ...value, error: `${error.slice(0, cut)}…` })
  }
  throw new Error(`message of ${text.length} characters exceeds the payload bound of ${BOUNDS.payloadLengthMax}`)
}

/** A decoded message, or why the payload is not one. @public */
export type Decoded<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: string }

/** Decodes a received payload (a string of JSON) with `codec`. @public */
export function decodeMessage<A, O>(codec: t.Type<A, O, unknown>, payload: unknown): Decoded<A> {
  if (typeof payload !== 'string') return { ok: false, error: `expected a JSON text payload, found ${typeof payload}` }
  if (payload.length > BOUNDS.payloadLengthMax) return { ok: false, error: `payload of ${payload.length} characters, more than ${BOUNDS.payloadLengthMax}` }
  let value: unknown
  try {
    value = JSON.parse(payload) as unknown
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` }
  }
  const result = codec.decode(value)
  if (isLeft(result)) {
    const first = result.left[0]
    const path = first === undefined ? '' : first.context.map((entry) => entry.key).filter((key) => key !== '').join('.')
    return { ok: false, error: `not a ${codec.name}${path === '' ? '' : ` at ${path}`}: ${first?.message ?? `expected ${first?.context[first.context.length - 1]?.type.name ?? codec.name}`}` }
  }
  return { ok: true, value: result.right }
}
