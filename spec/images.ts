/**
 * Images as the model sees them (pipeline.md §5): a symbolic record. Signature
 * validity is a pure function of the record and the keyring; the impl verifies real
 * bytes and the abstraction maps a real image onto this record.
 * @module
 */
import * as t from 'io-ts'
import { exact } from './exact.js'
import { valid as semverValid } from 'semver'
import { RightsCodec } from './rights.js'
import { intRange, NameCodec, BOUNDS } from './numbers.js'
import { ObjectKindCodec } from './ids.js'

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

const CapRequestFieldsCodec = t.intersection([
  t.type({ kind: ObjectKindCodec, rights: RightsCodec }),
  t.partial({ purpose: t.string, device: NameCodec }),
])

/** Unknown fields of a request are refused wherever a request is decoded (spec/exact.ts cannot see inside a custom codec). */
const EXACT_CAP_REQUEST_FIELDS = exact(CapRequestFieldsCodec)

/**
 * One capability a manifest asks for: a kind and the largest rights it may be
 * granted. A device request may name the device (`device`); without a name it asks
 * for any device the container's policy allows. Only a device request names one.
 */
export const CapRequestCodec = new t.Type<t.TypeOf<typeof CapRequestFieldsCodec>, t.OutputOf<typeof CapRequestFieldsCodec>, unknown>(
  'CapRequest',
  (u): u is t.TypeOf<typeof CapRequestFieldsCodec> => CapRequestFieldsCodec.is(u) && (u.device === undefined || u.kind === 'device'),
  (u, c) => {
    // The inner codec's context entry has an empty key, so that a JSON path skips it (spec/decode.ts).
    const decoded = EXACT_CAP_REQUEST_FIELDS.validate(u, t.appendContext(c, '', CapRequestFieldsCodec, u))
    if (decoded._tag === 'Left' || decoded.right.device === undefined || decoded.right.kind === 'device') return decoded
    return t.failure((u as { device: unknown }).device, t.appendContext(c, 'device', NameCodec, decoded.right.device), 'expected no device name on a request of another kind than device')
  },
  t.identity,
)
export type CapRequest = t.TypeOf<typeof CapRequestCodec>

/** The part of a manifest the kernel checks at spawn. */
export const SymbolicManifestCodec = t.type({
  requests: t.array(CapRequestCodec),
  /** Memory the image occupies once mapped; charged to the container with the process. */
  memoryBytes: intRange(0, BOUNDS.bytesMax, 'ImageBytes'),
})
export type SymbolicManifest = t.TypeOf<typeof SymbolicManifestCodec>

/** One signature of an image, as the pool builder found it. */
export const ImageSignatureCodec = t.type({
  /** Key id of the signer (the one the signature names; '' when it names none that can be read). */
  signer: t.string,
  /** Whether it verifies by that key over the exact bytes (decided by whoever built the pool). */
  verifies: t.boolean,
})
export type ImageSignature = t.TypeOf<typeof ImageSignatureCodec>

const ImageRecordFieldsCodec = t.type({
  digest: DigestCodec,
  name: NameCodec,
  version: SemverCodec,
  /** Every signature of the image: the pool holds one entry per digest, with all of them (kernel.md §4). */
  signatures: t.array(ImageSignatureCodec),
  manifest: SymbolicManifestCodec,
})
export type ImageRecord = t.TypeOf<typeof ImageRecordFieldsCodec>

/** The record as files written before images carried several signatures spell it: one `signer` and its `signatureOk`. */
const SingleSignatureRecordCodec = t.type({
  digest: DigestCodec,
  name: NameCodec,
  version: SemverCodec,
  signer: t.string,
  signatureOk: t.boolean,
  manifest: SymbolicManifestCodec,
})

/** Whether `u` is spelled with one `signer`/`signatureOk` and no `signatures`. */
function isSingleSignature(u: unknown): boolean {
  return typeof u === 'object' && u !== null && !('signatures' in u) && ('signer' in u || 'signatureOk' in u)
}

/**
 * An entry of the image pool: an image named by its manifest digest, with all its
 * signatures; it may run when any one verifies by a trusted key. Decodes the
 * older single-signature spelling (`signer`, `signatureOk`) as a list of one.
 */
export const ImageRecordCodec = new t.Type<ImageRecord, ImageRecord, unknown>(
  'ImageRecord',
  ImageRecordFieldsCodec.is,
  (u, c) => {
    if (!isSingleSignature(u)) return exact(ImageRecordFieldsCodec).validate(u, t.appendContext(c, '', ImageRecordFieldsCodec, u))
    const decoded = exact(SingleSignatureRecordCodec).validate(u, t.appendContext(c, '', SingleSignatureRecordCodec, u))
    if (decoded._tag === 'Left') return decoded
    const { signer, signatureOk, ...rest } = decoded.right
    return t.success({ ...rest, signatures: [{ signer, verifies: signatureOk }] })
  },
  t.identity,
)

