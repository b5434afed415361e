/**
 * Images as the model sees them (pipeline.md §5): a symbolic record. Signature
 * validity is a pure function of the record and the keyring; the impl verifies real
 * bytes and the abstraction maps a real image onto this record.
 * @module
 */
import * as t from 'io-ts'
import { valid as semverValid } from 'semver'
import { RightsCodec } from './rights.js'
import { intRange, NameCodec, BOUNDS } from './numbers.js'

export const SemverCodec = new t.Type<string, string, unknown>(
  'Semver',
  (u): u is string => typeof u === 'string' && semverValid(u) === u,
  (u, c) => (typeof u === 'string' && semverValid(u) === u ? t.success(u) : t.failure(u, c, 'expected a semantic version such as 1.2.0')),
  t.identity,
)

export const DigestCodec = new t.Type<string, string, unknown>(
  'Digest',
  (u): u is string => typeof u === 'string' && /^sha256:[0-9a-f]{64}$/.test(u),
  (u, c) => (typeof u === 'string' && /^sha256:[0-9a-f]{64}$/.test(u) ? t.success(u) : t.failure(u, c, 'expected sha256:<64 hex digits>')),
  t.identity,
)

/** One capability a manifest asks for: a kind and the largest rights it may be granted. */
export const CapRequestCodec = t.intersection([
  t.type({ kind: t.keyof({ container: null, process: null, region: null, endpoint: null, device: null }), rights: RightsCodec }),
  t.partial({ purpose: t.string }),
])
export type CapRequest = t.TypeOf<typeof CapRequestCodec>

/** The part of a manifest the kernel checks at spawn. */
export const SymbolicManifestCodec = t.type({
  requests: t.array(CapRequestCodec),
  /** Memory the image occupies once mapped; charged to the container with the process. */
  memoryBytes: intRange(0, BOUNDS.bytesMax, 'ImageBytes'),
})
export type SymbolicManifest = t.TypeOf<typeof SymbolicManifestCodec>

export const ImageRecordCodec = t.type({
  digest: DigestCodec,
  name: NameCodec,
  version: SemverCodec,
  /** Key id of the signer. */
  signer: t.string,
  /** Whether the signature verifies over the exact bytes (decided by whoever built the pool). */
  signatureOk: t.boolean,
  manifest: SymbolicManifestCodec,
})
export type ImageRecord = t.TypeOf<typeof ImageRecordCodec>
