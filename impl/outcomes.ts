/**
 * Preallocated outcomes. Hot handlers report errors as small negative integers
 * (`E_*`) and turn them into a frozen `Either` with {@link failure}, so that a
 * failing or `unit` syscall allocates nothing.
 * @module
 * @internal
 */
import * as E from 'fp-ts/lib/Either.js'
import type { ErrorCode, Resource, SyscallError } from '../spec/errors.js'
import type { Outcome, Reply } from '../spec/results.js'

export const E_INVALID_ARGUMENT = -1
export const E_INVALID_SLOT = -2
export const E_EMPTY_SLOT = -3
export const E_SLOT_OCCUPIED = -4
export const E_WRONG_KIND = -5
export const E_INSUFFICIENT_RIGHTS = -6
export const E_BUDGET_EXHAUSTED = -7
export const E_QUEUE_FULL = -8
export const E_QUEUE_EMPTY = -9
export const E_NOT_FOUND = -10
export const E_ALREADY_EXISTS = -11
export const E_PERMISSION_DENIED = -12
export const E_POLICY_DENIED = -13
export const E_SIGNATURE_INVALID = -14
export const E_ROLLBACK_DENIED = -15
export const E_NOT_RUNNING = -16
/** `QuotaExceeded(r)` is `E_QUOTA - index of r` in RESOURCES order (memoryBytes … devices). */
export const E_QUOTA = -17
export const E_QUOTA_DEVICES = -22

const CODES: ReadonlyArray<Exclude<ErrorCode, 'QuotaExceeded'>> = [
  'InvalidArgument', 'InvalidSlot', 'EmptySlot', 'SlotOccupied', 'WrongKind', 'InsufficientRights',
  'BudgetExhausted', 'QueueFull', 'QueueEmpty', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'PolicyDenied', 'SignatureInvalid', 'RollbackDenied', 'NotRunning',
]
const QUOTA_RESOURCES: ReadonlyArray<Resource> = ['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes', 'devices']

function frozenLeft(error: SyscallError): Outcome {
  return Object.freeze(E.left(Object.freeze(error)))
}

const FAILURES: ReadonlyArray<Outcome> = [
  ...CODES.map((code) => frozenLeft({ code })),
  ...QUOTA_RESOURCES.map((resource) => frozenLeft({ code: 'QuotaExceeded', resource })),
]

/** The outcome of an error code `E_*` (a negative integer). */
export function failure(code: number): Outcome {
  const outcome = FAILURES[-code - 1]
  if (outcome === undefined) throw new Error(`KernelBug: unknown error code ${code}`)
  return outcome
}

/** `QuotaExceeded` of reserved resource column `resource` (0 = memoryBytes … 4 = ioBytes). */
export function quotaCode(resource: number): number {
  return E_QUOTA - resource
}

/** The `unit` reply, frozen and never shared with the model. */
export const UNIT_REPLY: Reply = Object.freeze({ kind: 'unit' as const })
export const OK: Outcome = Object.freeze(E.right(UNIT_REPLY))

/** A successful outcome with a reply built by the handler. */
export function success(reply: Reply): Outcome {
  return E.right(reply)
}
