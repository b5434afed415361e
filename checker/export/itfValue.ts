/**
 * ITF values (the Informal Trace Format of Apalache ADR-015, as Quint writes it):
 * the value types, a small *shape* language that says how a plain JSON value is to
 * be encoded, the shape-directed encoder, and the generic decoder back to plain JSON.
 *
 * Why shapes: plain JSON cannot tell a set from a list, a map's entry list from a
 * list of pairs, or a tuple from a list, so re-encoding a decoded value needs to be
 * told which is which. The exporter's state views are plain JSON, each state
 * variable has a shape, and `decodeItfValue(encodeItfValue(shape, v))` gives `v`
 * back exactly.
 *
 * Encodings, following Quint:
 * - integers always as `{"#bigint": "<decimal>"}`, never as JSON numbers;
 * - sets as `{"#set": [...]}`, maps as `{"#map": [[key, value], ...]}`, tuples as
 *   `{"#tup": [...]}`, lists as arrays, records as objects, strings and booleans as is;
 * - options as Quint's variants: `{"tag": "Some", "value": v}` and
 *   `{"tag": "None", "value": {"#tup": []}}` (the unit value). The `value` member
 *   is always present, because Quint's reader reads it for every variant.
 *
 * Plain forms (what decoding gives): an integer is a JSON number (a `#bigint` outside
 * the safe range is refused), a set or tuple an array, a map an array of
 * `[key, value]` pairs, a variant the record `{tag, value}` (so None is
 * `{tag: "None", value: []}`).
 * @module
 */

/** A plain JSON value, as {@link decodeItfValue} gives and shapes take. @public */
export type JsonValue = null | boolean | number | string | ReadonlyArray<JsonValue> | { readonly [key: string]: JsonValue }

/** An ITF value. Integers are always {@link ItfBigint}s in what this module writes. @public */
export type ItfValue =
  | boolean
  | string
  | number
  | ReadonlyArray<ItfValue>
  | ItfBigint
  | { readonly '#set': ReadonlyArray<ItfValue> }
  | { readonly '#map': ReadonlyArray<readonly [ItfValue, ItfValue]> }
  | { readonly '#tup': ReadonlyArray<ItfValue> }
  | { readonly [field: string]: ItfValue }

/** An integer in ITF: its decimal digits, optionally signed. @public */
export interface ItfBigint {
  readonly '#bigint': string
}

/**
 * How a plain JSON value is encoded. `json` is for values whose structure varies
 * (syscall arguments): integers, strings, booleans, lists of them and records of
 * them, nothing else. `union` is a record whose string field `by` picks the case's
 * fields (object kinds, cap locations, reply kinds).
 * @public
 */
export type ItfShape =
  | { readonly type: 'int' | 'str' | 'bool' | 'intOrStr' | 'json' }
  | { readonly type: 'list' | 'set'; readonly item: ItfShape }
  | { readonly type: 'map'; readonly key: ItfShape; readonly value: ItfShape }
  | { readonly type: 'tup'; readonly items: ReadonlyArray<ItfShape> }
  | { readonly type: 'option'; readonly value: ItfShape }
  | { readonly type: 'record'; readonly fields: ShapeFields; readonly optional: ShapeFields }
  | { readonly type: 'union'; readonly by: string; readonly cases: Readonly<Record<string, ShapeFields>> }

type ShapeFields = Readonly<Record<string, ItfShape>>

// ---- shape constructors ------------------------------------------------------

export const INT: ItfShape = { type: 'int' }
export const STR: ItfShape = { type: 'str' }
export const BOOL: ItfShape = { type: 'bool' }
/** A payload: an integer or a string (ITF is untyped; Quint's type checker would want a variant). */
export const INT_OR_STR: ItfShape = { type: 'intOrStr' }
export const JSON_SHAPE: ItfShape = { type: 'json' }
export const listOf = (item: ItfShape): ItfShape => ({ type: 'list', item })
export const setOf = (item: ItfShape): ItfShape => ({ type: 'set', item })
export const mapOf = (key: ItfShape, value: ItfShape): ItfShape => ({ type: 'map', key, value })
export const tupleOf = (...items: ItfShape[]): ItfShape => ({ type: 'tup', items })
export const optionOf = (value: ItfShape): ItfShape => ({ type: 'option', value })
export const recordOf = (fields: ShapeFields, optional: ShapeFields = {}): ItfShape => ({ type: 'record', fields, optional })
export const unionOf = (by: string, cases: Readonly<Record<string, ShapeFields>>): ItfShape => ({ type: 'union', by, cases })

/** The plain form of Quint's `None`. @public */
export const NONE: JsonValue = { tag: 'None', value: [] }
/** The plain form of an option: `null` is None, anything else Some. @public */
export function optionValue(value: JsonValue): JsonValue {
  return value === null ? NONE : { tag: 'Some', value }
}

// ---- encoding ----------------------------------------------------------------

/** A value that does not fit its shape: a bug of the exporter, reported with where it was. */
export class ItfShapeError extends Error {
  constructor(path: string, expected: string, found: unknown) {
    super(`ITF encoding: ${path}: expected ${expected}, found ${JSON.stringify(found)?.slice(0, 80) ?? String(found)}`)
    this.name = 'ItfShapeError'
  }
}

function isRecord(value: unknown): value is { readonly [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function bigint(value: unknown, path: string): ItfBigint {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ItfShapeError(path, 'a safe integer', value)
  return { '#bigint': String(value) }
}

function array(value: unknown, path: string, what: string): ReadonlyArray<JsonValue> {
  if (!Array.isArray(value)) throw new ItfShapeError(path, what, value)
  return value
}

/** Encodes `value` as `shape` says; throws {@link ItfShapeError} naming the path when it does not fit. @public */
export function encodeItfValue(shape: ItfShape, value: JsonValue, path = '$'): ItfValue {
  switch (shape.type) {
    case 'int': return bigint(value, path)
    case 'str':
      if (typeof value !== 'string') throw new ItfShapeError(path, 'a string', value)
      return value
    case 'bool':
      if (typeof value !== 'boolean') throw new ItfShapeError(path, 'a boolean', value)
      return value
    case 'intOrStr': return typeof value === 'string' ? value : bigint(value, path)
    case 'json': return encodeJson(value, path)
    case 'list': return array(value, path, 'a list').map((item, index) => encodeItfValue(shape.item, item, `${path}[${index}]`))
    case 'set': return { '#set': array(value, path, 'a set as an array').map((item, index) => encodeItfValue(shape.item, item, `${path}[${index}]`)) }
    case 'tup': return { '#tup': encodeTuple(shape.items, value, path) }
    case 'map': return { '#map': array(value, path, 'map entries').map((entry, index) => encodeEntry(shape, entry, `${path}[${index}]`)) }
    case 'option': return encodeOption(shape.value, value, path)
    case 'record': return encodeFields(shape.fields, shape.optional, value, path)
    case 'union': return encodeUnion(shape.by, shape.cases, value, path)
  }
}

function encodeTuple(items: ReadonlyArray<ItfShape>, value: JsonValue, path: string): ItfValue[] {
  const members = array(value, path, `a tuple of ${items.length}`)
  if (members.length !== items.length) throw new ItfShapeError(path, `a tuple of ${items.length}`, value)
  return items.map((item, index) => encodeItfValue(item, members[index]!, `${path}[${index}]`))
}

function encodeEntry(shape: Extract<ItfShape, { type: 'map' }>, entry: JsonValue, path: string): readonly [ItfValue, ItfValue] {
  const pair = array(entry, path, 'a [key, value] pair')
  if (pair.length !== 2) throw new ItfShapeError(path, 'a [key, value] pair', entry)
  return [encodeItfValue(shape.key, pair[0]!, `${path}[0]`), encodeItfValue(shape.value, pair[1]!, `${path}[1]`)]
}

function encodeOption(inner: ItfShape, value: JsonValue, path: string): ItfValue {
  if (!isRecord(value) || (value.tag !== 'None' && value.tag !== 'Some') || Object.keys(value).length !== 2 || !('value' in value)) {
    throw new ItfShapeError(path, 'an option {tag: "None" | "Some", value}', value)
  }
  return value.tag === 'None'
    ? { tag: 'None', value: { '#tup': [] } }
    : { tag: 'Some', value: encodeItfValue(inner, value.value!, `${path}.value`) }
}

function encodeFields(fields: ShapeFields, optional: ShapeFields, value: JsonValue, path: string): ItfValue {
  if (!isRecord(value)) throw new ItfShapeError(path, 'a record', value)
  for (const key of Object.keys(value)) {
    if (!(key in fields) && !(key in optional)) throw new ItfShapeError(`${path}.${key}`, 'no such field', value[key])
  }
  const encoded: Record<string, ItfValue> = {}
  for (const [key, shape] of Object.entries(fields)) {
    if (!(key in value)) throw new ItfShapeError(`${path}.${key}`, 'a field', undefined)
    encoded[key] = encodeItfValue(shape, value[key]!, `${path}.${key}`)
  }
  for (const [key, shape] of Object.entries(optional)) {
    if (key in value) encoded[key] = encodeItfValue(shape, value[key]!, `${path}.${key}`)
  }
  return encoded
}

function encodeUnion(by: string, cases: Readonly<Record<string, ShapeFields>>, value: JsonValue, path: string): ItfValue {
  const tag = isRecord(value) ? value[by] : undefined
  if (typeof tag !== 'string' || !Object.prototype.hasOwnProperty.call(cases, tag)) {
    throw new ItfShapeError(`${path}.${by}`, `one of ${Object.keys(cases).join(', ')}`, tag)
  }
  return encodeFields({ [by]: STR, ...cases[tag] }, {}, value, path)
}

/**
 * Record keys that ITF readers would misread: `#…` keys are ITF's own, and Quint
 * reads any object with a `tag` member as a variant.
 * @public
 */
export function isReservedKey(key: string): boolean {
  return key.startsWith('#') || key === 'tag'
}

function encodeJson(value: JsonValue, path: string): ItfValue {
  if (typeof value === 'number') return bigint(value, path)
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (Array.isArray(value)) return value.map((item, index) => encodeJson(item, `${path}[${index}]`))
  if (!isRecord(value)) throw new ItfShapeError(path, 'an integer, string, boolean, list or record', value)
  const encoded: Record<string, ItfValue> = {}
  for (const [key, item] of Object.entries(value)) {
    if (isReservedKey(key)) throw new ItfShapeError(`${path}.${key}`, 'a record key not starting with # and not "tag"', key)
    encoded[key] = encodeJson(item, `${path}.${key}`)
  }
  return encoded
}

// ---- decoding ----------------------------------------------------------------

/** A value that is not ITF, or that plain JSON cannot hold (an unsafe integer, `#unserializable`). @public */
export class ItfDecodeError extends Error {
  constructor(path: string, problem: string) {
    super(`ITF decoding: ${path}: ${problem}`)
    this.name = 'ItfDecodeError'
  }
}

const TAGS = ['#bigint', '#set', '#map', '#tup', '#unserializable'] as const

/**
 * Decodes any ITF value to plain JSON, without a shape: `#bigint` to a number,
 * `#set` and `#tup` to arrays, `#map` to an array of `[key, value]` pairs, records
 * (variants among them) field by field. JSON numbers, which older traces hold,
 * are accepted as they are.
 * @public
 */
export function decodeItfValue(value: unknown, path = '$'): JsonValue {
  if (typeof value === 'boolean' || typeof value === 'string') return value
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new ItfDecodeError(path, `${value} is not a safe integer`)
    return value
  }
  if (Array.isArray(value)) return value.map((item, index) => decodeItfValue(item, `${path}[${index}]`))
  if (!isRecord(value)) throw new ItfDecodeError(path, `not an ITF value: ${JSON.stringify(value)}`)
  const keys = Object.keys(value)
  const tag = TAGS.find((name) => name in value)
  if (tag === undefined) {
    const decoded: Record<string, JsonValue> = {}
    for (const key of keys) {
      if (key.startsWith('#')) throw new ItfDecodeError(`${path}.${key}`, 'unknown ITF tag')
      decoded[key] = decodeItfValue(value[key], `${path}.${key}`)
    }
    return decoded
  }
  if (keys.length !== 1) throw new ItfDecodeError(path, `${tag} must be the object's only member`)
  return decodeTagged(tag, value[tag], path)
}

function decodeTagged(tag: (typeof TAGS)[number], body: unknown, path: string): JsonValue {
  const at = `${path}["${tag}"]`
  switch (tag) {
    case '#bigint': {
      if (typeof body !== 'string' || !/^-?\d+$/.test(body)) throw new ItfDecodeError(at, 'expected a decimal string')
      const number = Number(body)
      if (!Number.isSafeInteger(number)) throw new ItfDecodeError(at, `${body} is outside the safe integer range of plain JSON`)
      return number
    }
    case '#set':
    case '#tup':
      if (!Array.isArray(body)) throw new ItfDecodeError(at, 'expected an array')
      return body.map((item, index) => decodeItfValue(item, `${at}[${index}]`))
    case '#map':
      if (!Array.isArray(body)) throw new ItfDecodeError(at, 'expected an array of [key, value] pairs')
      return body.map((entry: unknown, index) => {
        if (!Array.isArray(entry) || entry.length !== 2) throw new ItfDecodeError(`${at}[${index}]`, 'expected a [key, value] pair')
        return [decodeItfValue(entry[0], `${at}[${index}][0]`), decodeItfValue(entry[1], `${at}[${index}][1]`)]
      })
    case '#unserializable':
      throw new ItfDecodeError(at, `an unserializable value (${JSON.stringify(body)}) has no plain form`)
  }
}
