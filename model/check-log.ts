/**
 * Check-level coverage: which of a handler's checks ran in a step, whether each
 * passed, and whether a bounded value sat exactly at its bound or one past it.
 *
 * The model's results do not depend on this log: it is an observation channel,
 * off by default (one branch per check), that `sila check` turns on to report, for
 * every check of every handler, how often it *decided* the outcome — the refusal
 * was its error (every earlier check passed), or the syscall succeeded with it on
 * the path — and how often a bound was met exactly or missed by one. A check
 * never decided is a check no generated run could tell apart from its absence.
 * @module
 */

/** How a value stood against its bound, for the checks that compare with one. */
export type Edge = 'at-bound' | 'one-past'

/** One check as it ran. */
export interface CheckEvent {
  /** `syscall_kind: check name`, as in {@link CHECK_CATALOGUE}. */
  readonly check: string
  readonly passed: boolean
  readonly edge: Edge | null
}

let logging = false
let kind = ''
const events: CheckEvent[] = []

/** Turns the log on or off (per thread); off, checks record nothing. */
export function logChecks(on: boolean): void {
  logging = on
  events.length = 0
}

/** Called by `step` before a syscall's checks: the log holds one step at a time. */
export function beginStepLog(syscallKind: string): void {
  if (!logging) return
  kind = syscallKind
  events.length = 0
}

/** Records one check's result. */
export function noteCheck(name: string, passed: boolean, edge: Edge | null = null): void {
  if (logging) events.push({ check: `${kind}: ${name}`, passed, edge })
}

/** The checks of the last step, in the order they ran (empty when the log is off). */
export function lastStepChecks(): ReadonlyArray<CheckEvent> {
  return events
}

/**
 * `value ≤ bound` with its edge: exactly at the bound (passes), one past (fails).
 * Every bounded check goes through here so that its edges are counted.
 */
export function noteBound(name: string, value: number, bound: number): boolean {
  const passed = value <= bound
  noteCheck(name, passed, value === bound ? 'at-bound' : value === bound + 1 ? 'one-past' : null)
  return passed
}
