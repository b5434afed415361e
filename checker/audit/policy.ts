/**
 * The image policy file, `sila-policy/1`: which capability kinds an image may ask
 * for, the most rights it may ask for each, and the most memory it may occupy.
 * `sila audit IMAGE-DIR --policy FILE` checks a manifest's requests against it.
 *
 * ```json
 * { "format": "sila-policy/1",
 *   "caps": { "endpoint": ["read", "write", "grant"], "region": ["read", "write"] },
 *   "maxMemoryBytes": 1048576 }
 * ```
 * A kind absent from `caps` may not be requested at all.
 * @module
 */
import * as t from 'io-ts'
import type { CapRequest } from '../../spec/images.js'
import type { ObjectKind } from '../../spec/ids.js'
import { BOUNDS, intRange } from '../../spec/numbers.js'
import { RightsCodec, isSubset, rightsMask, type RightName } from '../../spec/rights.js'
import { closed } from '../../spec/exact.js'

/** The `format` field of a policy file. @public */
export const POLICY_FORMAT = 'sila-policy/1'

/** A policy file. @public */
export const PolicyCodec = closed('Policy', {
  format: t.literal(POLICY_FORMAT),
  /** The most rights an image may request for each kind it may request. */
  caps: closed('CapPolicy', {}, { container: RightsCodec, process: RightsCodec, region: RightsCodec, endpoint: RightsCodec, device: RightsCodec }),
  /** The most memory (bytes) an image may occupy once mapped. */
  maxMemoryBytes: intRange(0, BOUNDS.bytesMax, 'Bytes'),
})
/** A decoded policy. @public */
export type Policy = t.TypeOf<typeof PolicyCodec>

/** Why one request breaks a policy. @public */
export interface RequestFinding {
  /** Position in the manifest's `requests`. */
  readonly index: number
  readonly kind: ObjectKind
  readonly requested: ReadonlyArray<RightName>
  /** The policy's maximum for the kind; null when the kind is not allowed. */
  readonly allowed: ReadonlyArray<RightName> | null
  readonly reason: string
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a'
}

/** The requests of a manifest that `policy` does not allow, in manifest order. @public */
export function requestsBeyondPolicy(requests: ReadonlyArray<CapRequest>, policy: Policy): RequestFinding[] {
  return requests.flatMap((request, index): RequestFinding[] => {
    const allowed = policy.caps[request.kind]
    if (allowed === undefined) return [{ index, kind: request.kind, requested: request.rights, allowed: null, reason: `requests ${article(request.kind)} ${request.kind} cap, a kind the policy does not allow` }]
    if (isSubset(rightsMask(request.rights), rightsMask(allowed))) return []
    const extra = request.rights.filter((right) => !allowed.includes(right))
    return [{ index, kind: request.kind, requested: request.rights, allowed, reason: `requests ${extra.join(', ')} on ${article(request.kind)} ${request.kind} cap, beyond the policy's ${allowed.join(', ') || 'no rights'}` }]
  })
}
