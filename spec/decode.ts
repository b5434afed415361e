/**
 * Turning io-ts failures into messages a user can act on: the file, the JSON path
 * inside it, what was expected and what was found, one short line per problem.
 * Every file a user hands in is decoded {@link exact}ly: a field its codec does
 * not name is refused, with "did you mean" for a near name.
 * @module
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { exact, expectedOf, isProblem } from './exact.js'

/** A problem line is cut to this many characters: with `sila: FILE: ` before it, a line stays within ~200. */
export const PROBLEM_LENGTH_MAX = 130
/** A key longer than this is shortened in a path. */
const KEY_LENGTH_MAX = 32

function keyText(key: string): string {
  const short = key.length > KEY_LENGTH_MAX ? `${key.slice(0, KEY_LENGTH_MAX - 3)}...` : key
  return /^[A-Za-z_$][\w$]*$/.test(short) ? `.${short}` : `[${JSON.stringify(short)}]`
}

/** `$.steps[3].syscall.rights[0]` from an io-ts context. */
export function jsonPath(context: t.Context): string {
  let path = '$'
  for (let index = 1; index < context.length; index++) {
    const entry = context[index]!
    const parent = context[index - 1]!
    const parentTag = (parent.type as { _tag?: string })._tag
    // A union or intersection hands the value to its members under their index: not a JSON key.
    if ((parentTag === 'UnionType' || parentTag === 'IntersectionType') && entry.actual === parent.actual) continue
    // A custom codec hands the value to an inner one under the empty key: not a JSON key either.
    if (entry.key === '' && entry.actual === parent.actual) continue
    path += Array.isArray(parent.actual) && /^\d+$/.test(entry.key) ? `[${entry.key}]` : keyText(entry.key)
  }
  return path.length > 80 ? `${path.slice(0, 20)}...${path.slice(-57)}` : path
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  // JSON.parse reads a literal past a double's range (1e400) as Infinity, which JSON.stringify would show as null.
  if (typeof value === 'number' && !Number.isFinite(value)) return `a number too ${value < 0 ? 'negative' : 'large'} for a double`
  const text = typeof value === 'object' && value !== null ? jsonStart(value, 40) : JSON.stringify(value) ?? String(value)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

/**
 * The start of an array's or object's JSON text, written until it is longer
 * than `max` characters: never the whole value, which may be megabytes or nested
 * thousands deep (JSON.stringify of a file of 5,000 nested brackets overflows
 * the stack), and the nesting it walks is at most `max` deep.
 */
function jsonStart(value: object, max: number): string {
  let text = ''
  const write = (item: unknown): boolean => {
    if (text.length > max) return false
    if (Array.isArray(item)) {
      text += '['
      for (let index = 0; index < item.length; index++) {
        if (index > 0) text += ','
        if (!write(item[index])) return false
      }
      text += ']'
    } else if (typeof item === 'object' && item !== null) {
      text += '{'
      let first = true
      for (const [key, inner] of Object.entries(item)) {
        if (inner === undefined) continue
        text += `${first ? '' : ','}${JSON.stringify(key)}:`
        first = false
        if (!write(inner)) return false
      }
      text += '}'
    } else {
      text += JSON.stringify(item) ?? 'null'
    }
    return text.length <= max
  }
  write(value)
  return text
}

/** One failure as a line: `$.format: expected "sila-trace/1", found "sila-trace/2"`. */
function problemLine(error: t.ValidationError): string {
  const path = jsonPath(error.context)
  const line = isProblem(error) ? `${path}: ${error.statement}`
    : error.value === undefined && error.context.length > 1 ? `${path}: missing; expected ${expectedOf(error)}`
    : `${path}: expected ${expectedOf(error)}, found ${describe(error.value)}`
  return line.length > PROBLEM_LENGTH_MAX ? `${line.slice(0, PROBLEM_LENGTH_MAX - 3)}...` : line
}

/** One line per failing path, in the order found (the real cause first), at most `max` lines. */
export function formatErrors(errors: t.Errors, max = 5): string[] {
  const lines = new Map<string, string>()
  for (const error of errors) {
    const path = jsonPath(error.context)
    if (!lines.has(path)) lines.set(path, problemLine(error))
  }
  return [...lines.values()].slice(0, max)
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

/**
 * What a file-system error writing a user's path tells the user, or null for an
 * error that is not theirs to fix (sila's bug, kept as an internal error).
 */
export function writeRefusal(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && Object.hasOwn(WRITE_ERRORS, code) ? WRITE_ERRORS[code]! : null
}

/** What a file-system error reading a user's path tells the user: the reason by its code, else the error's message. */
export function readRefusal(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && Object.hasOwn(READ_ERRORS, code) ? READ_ERRORS[code]! : (error as Error).message
}

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file', EACCES: 'permission denied', EPERM: 'operation not permitted', EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'a part of the path is not a directory', ELOOP: 'too many symbolic links', ENAMETOOLONG: 'name too long',
}

const WRITE_ERRORS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system', ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded', ENOTDIR: 'a parent is not a directory', ENOENT: 'a parent directory does not exist',
  EISDIR: 'is a directory', ENAMETOOLONG: 'name too long', ELOOP: 'too many symbolic links',
}

/**
 * Decodes `value` read from `file` with `codec` made {@link exact} (a field the
 * codec does not name is refused), or throws an {@link InputError} naming the path.
 */
export function decodeOrThrow<A, O>(codec: t.Type<A, O, unknown>, value: unknown, file: string): A {
  const result = exact(codec).decode(value)
  if (E.isLeft(result)) throw new InputError(file, formatErrors(result.left))
  return result.right
}

/**
 * Parses JSON text from `file`, or throws an {@link InputError} with the position.
 * A leading byte-order mark (U+FEFF, which some editors write) is skipped, as RFC
 * 8259 §8.1 lets a parser do (the image pipeline's decoder skips it alike).
 */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  } catch (error) {
    const message = (error as Error).message
    throw new InputError(file, [`not valid JSON: ${message.length > 110 ? `${message.slice(0, 107)}...` : message}`])
  }
}
