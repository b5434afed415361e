/**
 * The closed set of syscall errors (kernel.md §8), one table of stable codes, and
 * the precedence in which model and impl must report them.
 * @module
 */
import * as t from 'io-ts'

/** Error codes, in no particular order; {@link ERROR_STAGE} gives their stage. @public */
export const ERROR_CODES = [
  'InvalidArgument', 'InvalidSlot', 'EmptySlot', 'SlotOccupied', 'WrongKind', 'InsufficientRights',
  'QuotaExceeded', 'BudgetExhausted', 'QueueFull', 'QueueEmpty', 'NotFound', 'AlreadyExists',
  'PermissionDenied', 'PolicyDenied', 'SignatureInvalid', 'RollbackDenied', 'NotRunning',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

/** The resources a {@link ErrorCode | QuotaExceeded} names. */
export const RESOURCES = ['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes', 'devices'] as const
export type Resource = (typeof RESOURCES)[number]

/** A syscall error: a code, plus the resource for `QuotaExceeded`. @public */
export type SyscallError =
  | { readonly code: Exclude<ErrorCode, 'QuotaExceeded'> }
  | { readonly code: 'QuotaExceeded'; readonly resource: Resource }

const ResourceCodec = t.keyof(Object.fromEntries(RESOURCES.map((r) => [r, null])) as Record<Resource, null>)
const OtherCodeCodec = t.keyof(Object.fromEntries(ERROR_CODES.filter((c) => c !== 'QuotaExceeded').map((c) => [c, null])) as Record<Exclude<ErrorCode, 'QuotaExceeded'>, null>)
/** Codec of a {@link SyscallError} as traces store it: a resource with `QuotaExceeded`, and only there. */
export const SyscallErrorCodec = t.union([t.type({ code: t.literal('QuotaExceeded'), resource: ResourceCodec }), t.type({ code: OtherCodeCodec })])

/** Makes an error value; `resource` only for `QuotaExceeded`. */
export function syscallError(code: Exclude<ErrorCode, 'QuotaExceeded'>): SyscallError {
  return { code }
}
export function quotaExceeded(resource: Resource): SyscallError {
  return { code: 'QuotaExceeded', resource }
}

/** Short text of an error, for tables: `QuotaExceeded(memoryBytes)`. */
export function errorText(error: SyscallError): string {
  return error.code === 'QuotaExceeded' ? `QuotaExceeded(${error.resource})` : error.code
}

/**
 * The precedence stages of kernel.md §8, first wins: caller state, malformed
 * arguments, slot arguments in order, destination slots, names, permissions and
 * policy, resources, queue state. Used by tests that check precedence.
 */
export const ERROR_STAGE: Readonly<Record<ErrorCode, number>> = {
  NotRunning: 0, BudgetExhausted: 0,
  InvalidArgument: 1,
  InvalidSlot: 2, EmptySlot: 2, WrongKind: 2, InsufficientRights: 2,
  SlotOccupied: 3,
  NotFound: 4, AlreadyExists: 4,
  PermissionDenied: 5, PolicyDenied: 5, SignatureInvalid: 5, RollbackDenied: 5,
  QuotaExceeded: 6,
  QueueFull: 7, QueueEmpty: 7,
}
