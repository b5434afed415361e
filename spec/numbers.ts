/**
 * Bounded integer and string codecs. A syscall argument that is negative,
 * fractional, huge, NaN or of the wrong type fails these, and the kernels answer
 * `InvalidArgument` (kernel.md §8).
 * @module
 */
import * as t from 'io-ts'
import { describedAs } from './exact.js'

/** A codec for safe integers in `[min, max]`. */
export function intRange(min: number, max: number, name: string): t.Type<number, number, unknown> {
  const isInRange = (u: unknown): u is number =>
    typeof u === 'number' && Number.isSafeInteger(u) && u >= min && u <= max
  // Said in words where the range is open above from 0 or 1, or is every safe integer; else as an interval (a negative lower bound is not "positive").
  const expected = max !== Number.MAX_SAFE_INTEGER ? `an integer in [${min}, ${max}]`
    : min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : min === Number.MIN_SAFE_INTEGER ? 'an integer' : `an integer of at least ${min}`
  return new t.Type<number, number, unknown>(
    name,
    isInRange,
    (u, c) => (isInRange(u) ? t.success(u) : t.failure(u, c, `expected ${expected}`)),
    t.identity,
  )
}

/** A codec for strings matching `pattern`, at most `lengthMax` characters. */
export function stringMatching(pattern: RegExp, lengthMax: number, name: string, described?: string): t.Type<string, string, unknown> {
  const isValid = (u: unknown): u is string => typeof u === 'string' && u.length <= lengthMax && pattern.test(u)
  return new t.Type<string, string, unknown>(
    name,
    isValid,
    (u, c) => (isValid(u) ? t.success(u) : t.failure(u, c, `expected ${described ?? `${name} (${pattern}, at most ${lengthMax} characters)`}`)),
    t.identity,
  )
}

/** Bounds of syscall arguments: part of the spec, shared by model and impl. */
export const BOUNDS = {
  /** Largest byte amount in any argument or limit (2^40). */
  bytesMax: 2 ** 40,
  /** Largest count-type limit (processes, endpoints, cpu budget). */
  countMax: 2 ** 40,
  slotCountMax: 4096,
  queueDepthMax: 4096,
  grantsMax: 64,
  cpuWeightMax: 10000,
  quantaMax: 100000,
  uidMax: 2 ** 32 - 1,
  badgeMax: 2 ** 32 - 1,
  payloadIntMax: 2 ** 31 - 1,
  payloadLengthMax: 4096,
  pathLengthMax: 256,
  portMax: 65535,
  nameLengthMax: 64,
} as const

export const Nat = intRange(0, Number.MAX_SAFE_INTEGER, 'Nat')
/** A slot number: any natural number; numbers past the CSpace are `InvalidSlot`, not malformed. */
export const SlotCodec = intRange(0, Number.MAX_SAFE_INTEGER, 'Slot')
export const ProcessRefCodec = intRange(0, Number.MAX_SAFE_INTEGER, 'ProcessRef')
export const BytesCodec = intRange(1, BOUNDS.bytesMax, 'Bytes')
export const SlotCountCodec = intRange(1, BOUNDS.slotCountMax, 'SlotCount')
export const DepthCodec = intRange(1, BOUNDS.queueDepthMax, 'Depth')
export const UidCodec = intRange(0, BOUNDS.uidMax, 'Uid')
/** A badge: 0 is none (kernel.md §2), as replies say it and as `cap_copy` takes it wherever the copy ends up unbadged. */
export const BadgeCodec = intRange(0, BOUNDS.badgeMax, 'Badge')
export const PortCodec = intRange(1, BOUNDS.portMax, 'Port')
export const QuantaCodec = intRange(1, BOUNDS.quantaMax, 'Quanta')
/** Absolute path: `/` or `/seg/seg`, segments of `[A-Za-z0-9._-]`, never `.` or `..`. */
export const PathCodec = stringMatching(/^\/(?:(?!\.\.?(?:\/|$))[A-Za-z0-9._-]+(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._-]+)*)?$/, BOUNDS.pathLengthMax, 'Path')
/** Service or device name. */
export const NameCodec = stringMatching(/^[A-Za-z0-9._-]{1,64}$/, BOUNDS.nameLengthMax, 'Name', "a name: a string of 1 to 64 letters, digits, '.', '_' or '-'")
/** A message payload: a small integer or a bounded string. */
export const PayloadCodec = t.union([intRange(0, BOUNDS.payloadIntMax, 'PayloadInt'), describedAs(t.refinement(t.string, (s) => s.length <= BOUNDS.payloadLengthMax, 'PayloadString'), `a string of at most ${BOUNDS.payloadLengthMax} characters`)])
export type Payload = t.TypeOf<typeof PayloadCodec>
