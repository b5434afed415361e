/**
 * Turning io-ts failures into messages a user can act on: the file, the JSON path
 * inside it, what was expected and what was found.
 * @module
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'

/** `$.steps[3].syscall.rights[0]` from an io-ts context. */
export function jsonPath(context: t.Context): string {
  let path = '$'
  for (const entry of context.slice(1)) {
    if (entry.key === '') continue
    const parentType = context[context.indexOf(entry) - 1]?.type
    const parentTag = (parentType as { _tag?: string } | undefined)?._tag
    // A union or intersection hands the value to its members under their index: not a JSON key.
    if (parentTag === 'UnionType' || parentTag === 'IntersectionType') continue
    const isIndex = /^\d+$/.test(entry.key) && parentType !== undefined && (parentType as { _tag?: string })._tag !== 'InterfaceType' && (parentType as { _tag?: string })._tag !== 'PartialType'
    path += isIndex ? `[${entry.key}]` : /^[A-Za-z_$][\w$]*$/.test(entry.key) ? `.${entry.key}` : `[${JSON.stringify(entry.key)}]`
  }
  return path
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value)
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** One line per failing path, deepest first, at most `max` lines. */
export function formatErrors(errors: t.Errors, max = 5): string[] {
  const lines = new Map<string, string>()
  for (const error of errors) {
    const path = jsonPath(error.context)
    if (lines.has(path)) continue
    const expected = error.message ?? error.context[error.context.length - 1]?.type.name ?? 'a valid value'
    lines.set(path, `${path}: expected ${expected.replace(/^expected /, '')}, found ${describe(error.value)}`)
  }
  return [...lines.values()].sort((a, b) => b.length - a.length).slice(0, max)
}

/**
 * A refusal of a user's input: which file, and what is wrong where. (The lines
 * are `problems`, not `details`: uvu formats an error's `details` as a diff
 * string, and a test failing with an error whose `details` is an array would be
 * dropped without being counted as failed.)
 */
export class InputError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`${file}: ${problems.join('\n  ')}`)
    this.name = 'InputError'
  }
}

/** Decodes `value` read from `file` or throws an {@link InputError} naming the path. */
export function decodeOrThrow<A, O>(codec: t.Type<A, O, unknown>, value: unknown, file: string): A {
  const result = codec.decode(value)
  if (E.isLeft(result)) throw new InputError(file, formatErrors(result.left))
  return result.right
}

/** Parses JSON text from `file`, or throws an {@link InputError} with the position. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new InputError(file, [`not valid JSON: ${(error as Error).message}`])
  }
}
