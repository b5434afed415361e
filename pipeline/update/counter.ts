/**
 * The example service: a counter in two versions whose state formats differ
 * (pipeline.md §4). V1 keeps `{count}`; V2 keeps `{total, ops}`, where `ops`
 * counts the operations V2 itself applied. Both answer `{op: 'add', n}` with the
 * value after adding. `migrate` converts V1's state to V2's; a V2 build that
 * rejects V1's snapshots is the failure the rollback is tested with.
 * @module
 */
import * as t from 'io-ts'
import { intRange } from '../../spec/numbers.js'

const Count = intRange(0, Number.MAX_SAFE_INTEGER, 'Count')

/** V1's state. @public */
export const CounterV1StateCodec = t.type({ count: Count })
export type CounterV1State = t.TypeOf<typeof CounterV1StateCodec>

/** V2's state: a different format. @public */
export const CounterV2StateCodec = t.type({ total: Count, ops: Count })
export type CounterV2State = t.TypeOf<typeof CounterV2StateCodec>

/** The modules: V1, V2, and a V2 build that rejects every V1 snapshot (the injected failure). @public */
export type CounterModule = 'counter-v1' | 'counter-v2' | 'counter-v2-rejecting'

export const V1_INITIAL: CounterV1State = { count: 0 }

/** V1's state after `add n`. */
export function applyV1(state: CounterV1State, n: number): CounterV1State {
  return { count: state.count + n }
}

/** V2's state after `add n`. */
export function applyV2(state: CounterV2State, n: number): CounterV2State {
  return { total: state.total + n, ops: state.ops + 1 }
}

/** V1's state in V2's format: the total carries over; V2 has applied nothing yet. @public */
export function migrate(v1: CounterV1State): CounterV2State {
  return { total: v1.count, ops: 0 }
}

/** The value a client sees, whatever the version. */
export function valueOf(state: CounterV1State | CounterV2State): number {
  return 'count' in state ? state.count : state.total
}

/** Equal states: same version, same fields. */
export function sameState(a: CounterV1State | CounterV2State | null, b: CounterV1State | CounterV2State | null): boolean {
  if (a === null || b === null) return a === b
  if ('count' in a && 'count' in b) return a.count === b.count
  if ('total' in a && 'total' in b) return a.total === b.total && a.ops === b.ops
  return false
}
