/**
 * A user property, however it was stated (a `sila-props/1` file or TypeScript):
 * a name, a sentence, and a test of one model state. An `always` property's test
 * answers a witness when the state breaks it; a `sometimes` property's test
 * answers one when the state is the good state it asks for.
 *
 * ```ts
 * import { defineProperty } from 'sila-kernel/properties'
 * export default [
 *   defineProperty('init-keeps-root', (state) =>
 *     state.ksCaps.size === 0 ? 'no cap is left at all' : null,
 *     { says: 'some cap always exists' }),
 * ]
 * ```
 * @module
 */
import type { KernelState } from '../../model/state.js'
import type { Witness } from './evaluate.js'

/** A property checked on every state a checker reaches. @public */
export interface UserProperty {
  readonly name: string
  /** The property in one human sentence; outputs show it beside the name. */
  readonly says: string
  /** `always`: must hold in every reachable state; `sometimes`: some reachable state must satisfy it. */
  readonly kind: 'always' | 'sometimes'
  /** Where it was stated: `file` at `$.properties[n]`, or a module. */
  readonly origin: string
  /** `always`: a witness when `state` breaks the property, else null. `sometimes`: a witness when `state` is a good state, else null. */
  readonly test: (state: KernelState) => Witness | null
}

/** What a property written in code may answer: nothing (`null`, `undefined`, `false`), a sentence, or a witness. @public */
export type CheckAnswer = Witness | string | null | undefined | false

/** Options of {@link defineProperty}. @public */
export interface DefineOptions {
  /** One sentence saying what the property states (defaults to its name). */
  readonly says?: string
  /** `always` (the default): `check` answers a witness when a state breaks the property. `sometimes`: when the state is a good one. */
  readonly kind?: 'always' | 'sometimes'
}

/** Names a property and its sentence as a user reads them. */
export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/

/**
 * A property written in TypeScript against the model's state. `check` reads one
 * state and answers why it breaks the property (a sentence, or a {@link Witness}),
 * or nothing when it holds; for a `sometimes` property it answers when the state
 * is the one looked for.
 * @public
 */
export function defineProperty(name: string, check: (state: KernelState) => CheckAnswer, options: DefineOptions = {}): UserProperty {
  if (!NAME_PATTERN.test(name)) throw new TypeError(`defineProperty: the name ${JSON.stringify(name)} is not 1 to 64 letters, digits, '.', '_' or '-'`)
  if (typeof check !== 'function') throw new TypeError(`defineProperty(${JSON.stringify(name)}): the check is not a function`)
  return {
    name,
    says: options.says ?? name,
    kind: options.kind ?? 'always',
    origin: 'code',
    test: (state) => witnessOf(name, check(state)),
  }
}

/**
 * A check's answer as a witness: nothing for `null`, `undefined` or `false`, a
 * sentence, or `{ message, detail }`. Any other answer (`true`, a number, a
 * Promise of an async check, an object without a message) is refused with a
 * TypeError rather than read as a broken property: `true` meant as "holds" would
 * otherwise be a violation whose message is "undefined".
 */
function witnessOf(name: string, answer: unknown): Witness | null {
  if (answer === null || answer === undefined || answer === false) return null
  if (typeof answer === 'string') return { message: answer, detail: {} }
  const record = answer as { message?: unknown; detail?: unknown; then?: unknown }
  if (typeof answer === 'object' && !Array.isArray(answer) && typeof record.then !== 'function' && typeof record.message === 'string') {
    return { message: record.message, detail: (record.detail ?? {}) as Witness['detail'] }
  }
  const found = typeof answer === 'object' ? (Array.isArray(answer) ? 'an array' : typeof record.then === 'function' ? 'a Promise (the check must not be async)' : 'an object without a string message') : `${typeof answer} ${String(answer)}`
  throw new CheckAnswerError(`the check of property ${JSON.stringify(name)} answered ${found}; it answers null, undefined or false for no witness, else a sentence or { message, detail }`)
}

/** A check's answer that is neither nothing nor a witness (see {@link defineProperty}). @public */
export class CheckAnswerError extends TypeError {
  constructor(message: string) {
    super(message)
    this.name = 'CheckAnswerError'
  }
}
