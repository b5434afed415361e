/**
 * Exact codecs: a user's file is decoded so that a field its codec does not name
 * is refused, never ignored. (A `"badeg": 7` meant as `badge` would otherwise
 * change what a trace does without a word; io-ts `t.exact` strips such a field
 * rather than refusing it.)
 *
 * {@link closed} is a JSON object with known fields, {@link byTag} a union told
 * apart by one field (`kind`), {@link anyOf} any other union. {@link exact} turns
 * a codec built from io-ts's own combinators into one built from these, so the
 * spec's codecs stay plain io-ts while every file a user hands in is decoded
 * exactly (spec/decode.ts `decodeOrThrow`), and so is every syscall the model
 * runs (spec/syscalls.ts `ExactSyscallCodec`).
 *
 * Failures name what was expected in plain words, never an io-ts type's name (a
 * union's runs to thousands of characters): see {@link expectedText}.
 * @module
 */
import * as t from 'io-ts'

/** `context` with its last entry handed to `type`: a union's member failing on the value itself is described as itself. */
function within(context: t.Context, type: t.Decoder<unknown, unknown>): t.Context {
  const last = context[context.length - 1]
  return last === undefined ? context : [...context.slice(0, -1), { ...last, type }]
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u)

/** `record[key]` if it is an own property: never an inherited `constructor` or `toString`. */
const own = (record: Record<string, unknown>, key: string): unknown => (Object.hasOwn(record, key) ? record[key] : undefined)

// ---- problems ----------------------------------------------------------------

/**
 * A failure stated whole (`unknown field; did you mean "badge"?`), printed after
 * its path as it is, where other failures read "expected X, found Y".
 */
export interface Problem extends t.ValidationError {
  readonly statement: string
}

export function isProblem(error: t.ValidationError): error is Problem {
  return typeof (error as Partial<Problem>).statement === 'string'
}

function problem(value: unknown, context: t.Context, statement: string): Problem {
  return { value, context, message: statement, statement }
}

// ---- near names ----------------------------------------------------------------

/** Edit distance, a swap of two neighbours counting as one edit (optimal string alignment), ignoring case. */
export function editDistance(from: string, to: string): number {
  const a = from.toLowerCase()
  const b = to.toLowerCase()
  let before: number[] = []
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1)
      current.push(best)
    }
    before = previous
    previous = current
  }
  return previous[b.length]!
}

/**
 * The known name `word` most likely misspells: within one edit of a name shorter
 * than six characters, two of a longer one (the first such name, nearest first);
 * failing that, the one name it begins (`maxMemory` for `maxMemoryBytes`).
 */
export function nearest(word: string, known: ReadonlyArray<string>): string | undefined {
  if (word.length > 64) return undefined
  let best: { name: string; distance: number } | undefined
  for (const name of known) {
    if (name === word || Math.abs(name.length - word.length) > 2) continue
    const distance = editDistance(word, name)
    if (distance <= (name.length >= 6 ? 2 : 1) && (best === undefined || distance < best.distance)) best = { name, distance }
  }
  if (best !== undefined) return best.name
  const begun = word.length >= 4 ? known.filter((name) => name.toLowerCase().startsWith(word.toLowerCase())) : []
  return begun.length === 1 ? begun[0] : undefined
}

/** A list of choices whole when it is short (a few kinds, the measures), else begun as {@link listed} does. */
function choicesOf(names: ReadonlyArray<string>): string {
  const whole = names.join(', ')
  return whole.length <= 96 ? whole : listed(names)
}

/** `a, b, c` or, past `budget` characters, `a, b, ... (30 in all)`. */
export function listed(names: ReadonlyArray<string>, budget = 48): string {
  const shown: string[] = []
  let length = 0
  for (const name of names) {
    if (shown.length > 0 && length + name.length + 2 > budget) return `${shown.join(', ')}, ... (${names.length} in all)`
    shown.push(name)
    length += name.length + 2
  }
  return shown.join(', ')
}

/** A name as a message shows it: bare when it is a plain word, else as JSON. */
function shown(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9_.:/-]{1,40}$/.test(value) ? value : JSON.stringify(value) ?? String(value)
}

// ---- what a codec expects, in words ----------------------------------------------

const DESCRIPTIONS = new WeakMap<t.Decoder<unknown, unknown>, string>()

/**
 * Gives `codec` a description for messages (`an array of at most 64 grants`), for
 * codecs whose failures carry no message of their own (an io-ts refinement). The
 * description follows the codec through {@link exact}.
 */
export function describedAs<C extends t.Mixed>(codec: C, description: string): C {
  DESCRIPTIONS.set(codec, description)
  return codec
}

/** What `codec` accepts, in words: `"sila-trace/1"`, `one of: read, write, ...`, `an object`. */
export function expectedText(codec: t.Decoder<unknown, unknown>): string {
  const described = DESCRIPTIONS.get(codec)
  if (described !== undefined) return described
  if (codec instanceof t.LiteralType) return JSON.stringify(codec.value)
  if (codec instanceof t.KeyofType) return `one of: ${choicesOf(Object.keys(codec.keys as object).map(shown))}`
  if (codec instanceof t.StringType) return 'a string'
  if (codec instanceof t.NumberType) return 'a number'
  if (codec instanceof t.BooleanType) return 'true or false'
  if (codec instanceof t.NullType) return 'null'
  if (codec instanceof t.UndefinedType || codec instanceof t.VoidType || codec instanceof t.NeverType) return 'nothing'
  if (codec instanceof t.ArrayType || codec instanceof t.ReadonlyArrayType || codec instanceof t.AnyArrayType || codec instanceof t.TupleType) return 'an array'
  if (codec instanceof ClosedType || codec instanceof TaggedType || codec instanceof t.InterfaceType || codec instanceof t.PartialType
    || codec instanceof t.ExactType || codec instanceof t.StrictType || codec instanceof t.DictionaryType || codec instanceof t.AnyDictionaryType
    || codec instanceof t.IntersectionType) return 'an object'
  if (codec instanceof t.UnionType || codec instanceof AnyOfType) return alternatives((codec as { types: t.Mixed[] }).types.map(expectedText))
  if (codec instanceof t.RefinementType || codec instanceof t.ReadonlyType) return expectedText((codec as { type: t.Mixed }).type)
  return /^[A-Za-z][A-Za-z0-9]{0,23}$/.test(codec.name) ? `a valid ${codec.name}` : 'a valid value'
}

/** `a or b`, `a, b or c`, each distinct once, at most 90 characters. */
function alternatives(texts: ReadonlyArray<string>): string {
  const distinct = [...new Set(texts)]
  const text = distinct.length <= 1 ? (distinct[0] ?? 'nothing') : `${distinct.slice(0, -1).join(', ')} or ${distinct[distinct.length - 1]}`
  return text.length > 90 ? `${text.slice(0, 87)}...` : text
}

/** What the failure says was expected: its message without a leading "expected ", or its codec's {@link expectedText}. */
export function expectedOf(error: t.ValidationError): string {
  if (error.message !== undefined) return error.message.replace(/^expected /, '')
  const codec = error.context[error.context.length - 1]?.type
  return codec === undefined ? 'a valid value' : expectedText(codec)
}

// ---- closed objects -----------------------------------------------------------------

/** The fields of an object codec: those it requires and those it allows. */
export interface Shape {
  readonly required: t.Props
  readonly optional: t.Props
}

/** The type of {@link closed}: a JSON object with known fields only. */
export class ClosedType<A, O> extends t.Type<A, O, unknown> {
  readonly _tag = 'ClosedType' as const
  constructor(name: string, readonly shape: Shape) {
    const required = Object.entries(shape.required)
    const optional = Object.entries(shape.optional)
    const known = [...required, ...optional].map(([key]) => key)
    const knownSet = new Set(known)
    // A field that must hold one literal (`format`, `mediaType`, a variant's `kind`) says what the document is:
    // when it is wrong the document is of another kind, and nothing else about it is worth saying.
    const markers = required.filter(([, codec]) => codec instanceof t.LiteralType)
    super(
      name,
      (u): u is A => isRecord(u) && Object.keys(u).every((key) => knownSet.has(key))
        && required.every(([key, codec]) => codec.is(own(u, key)))
        && optional.every(([key, codec]) => own(u, key) === undefined || codec.is(own(u, key))),
      (u, c) => {
        if (!isRecord(u)) return t.failure(u, c, 'expected an object')
        for (const [key, codec] of markers) {
          const value = own(u, key)
          const result = codec.validate(value, t.appendContext(c, key, codec, value))
          if (result._tag === 'Left') return result
        }
        const errors: t.ValidationError[] = []
        for (const key of Object.keys(u)) {
          if (knownSet.has(key)) continue
          const near = nearest(key, known)
          const statement = near !== undefined ? `unknown field; did you mean ${JSON.stringify(near)}?` : `unknown field; known fields: ${known.length === 0 ? 'none' : listed(known, 75)}`
          errors.push(problem(u[key], t.appendContext(c, key, t.never, u[key]), statement))
        }
        let decoded: Record<string, unknown> = u
        const check = (key: string, codec: t.Mixed, value: unknown) => {
          const result = codec.validate(value, t.appendContext(c, key, codec, value))
          if (result._tag === 'Left') errors.push(...result.left)
          else if (result.right !== value) {
            if (decoded === u) decoded = { ...u }
            decoded[key] = result.right
          }
        }
        for (const [key, codec] of required) check(key, codec, own(u, key))
        for (const [key, codec] of optional) if (own(u, key) !== undefined) check(key, codec, own(u, key))
        return errors.length > 0 ? t.failures(errors) : t.success(decoded as A)
      },
      (a) => {
        const encoded: Record<string, unknown> = { ...(a as Record<string, unknown>) }
        for (const [key, value] of Object.entries(encoded)) {
          const codec = shape.required[key] ?? shape.optional[key]
          if (codec !== undefined && value !== undefined) encoded[key] = codec.encode(value)
        }
        return encoded as O
      },
    )
  }
}

const mapProps = (props: t.Props): t.Props => Object.fromEntries(Object.entries(props).map(([key, codec]) => [key, exact(codec)]))

/**
 * A JSON object with the fields `required` (all present) and `optional` (each may be
 * absent), refusing any other field: `unknown field; did you mean "badge"?` for a
 * near name, the known fields otherwise. The fields' codecs are made {@link exact}.
 * @public
 */
export function closed<P extends t.Props, Q extends t.Props = {}>(name: string, required: P, optional?: Q) {
  type A = t.TypeOf<t.TypeC<P>> & Partial<t.TypeOf<t.TypeC<Q>>>
  type O = t.OutputOf<t.TypeC<P>> & Partial<t.OutputOf<t.TypeC<Q>>>
  return new ClosedType<A, O>(name, { required: mapProps(required), optional: mapProps(optional ?? {}) })
}

// ---- unions -------------------------------------------------------------------------

/** One member of a {@link TaggedType}: the values of the tag that select it (`undefined`: the tag is absent). */
interface Variant {
  readonly values: ReadonlyArray<unknown>
  readonly codec: t.Mixed
}

/** The type of {@link byTag}: a union whose member is chosen by one field. */
export class TaggedType<A, O> extends t.Type<A, O, unknown> {
  readonly _tag = 'TaggedType' as const
  constructor(name: string, readonly tag: string, readonly variants: ReadonlyArray<Variant>) {
    const variantOf = (u: unknown): Variant | undefined => {
      if (!isRecord(u)) return undefined
      const value = own(u, tag)
      return variants.find((variant) => variant.values.includes(value))
    }
    const names = variants.flatMap((variant) => variant.values).filter((value) => value !== undefined)
    const allStrings = names.every((value) => typeof value === 'string')
    super(
      name,
      (u): u is A => variantOf(u)?.codec.is(u) === true,
      (u, c) => {
        if (!isRecord(u)) return t.failure(u, c, 'expected an object')
        const variant = variantOf(u)
        if (variant !== undefined) return variant.codec.validate(u, within(c, variant.codec)) as t.Validation<A>
        const value = own(u, tag)
        const at = t.appendContext(c, tag, t.never, value)
        const choices = `one of: ${choicesOf(names.map(shown))}`
        if (value === undefined) return t.failures([problem(value, at, `missing; expected ${choices}`)])
        if (!allStrings || typeof value !== 'string') return t.failure(value, at, `expected ${choices}`)
        const near = nearest(value, names as string[])
        const unknown = `unknown ${tag} ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`
        return t.failures([problem(value, at, near !== undefined ? `${unknown}; did you mean ${JSON.stringify(near)}?` : `${unknown}; expected ${choices}`)])
      },
      (a) => variantOf(a)!.codec.encode(a) as O,
    )
  }
}

/**
 * A union of objects told apart by the field `tag`: the object is decoded by the
 * codec its tag names, and its failures are that codec's alone; an unknown tag is
 * `unknown kind "x"; expected one of: ...`.
 * @public
 */
export function byTag<C extends Record<string, t.Mixed>>(name: string, tag: string, codecs: C) {
  return new TaggedType<t.TypeOf<C[keyof C]>, t.OutputOf<C[keyof C]>>(name, tag, Object.entries(codecs).map(([value, codec]) => ({ values: [value], codec: exact(codec) })))
}

/** The type of {@link anyOf}. */
export class AnyOfType<A, O> extends t.Type<A, O, unknown> {
  readonly _tag = 'AnyOfType' as const
  constructor(name: string, readonly types: ReadonlyArray<t.Mixed>) {
    super(
      name,
      (u): u is A => types.some((type) => type.is(u)),
      (u, c) => {
        const refusals: t.Errors[] = []
        for (const type of types) {
          const result = type.validate(u, within(c, type))
          if (result._tag === 'Right') return result as t.Validation<A>
          refusals.push(result.left)
        }
        // The member that got furthest into the value is the one the user meant; when none got past the value itself, say what each wanted.
        const depth = (errors: t.Errors) => Math.max(c.length, ...errors.map((error) => error.context.length))
        const deepest = Math.max(...refusals.map(depth))
        if (deepest > c.length) return t.failures(refusals.find((errors) => depth(errors) === deepest)!)
        return t.failure(u, c, `expected ${alternatives(refusals.map((errors) => (errors[0] === undefined ? 'a valid value' : expectedOf(errors[0]))))}`)
      },
      (a) => (types.find((type) => type.is(a)) ?? types[0]!).encode(a) as O,
    )
  }
}

/** A union without a tag: the first member that decodes; refused as the member that came nearest. @public */
export function anyOf<A, O>(name: string, types: ReadonlyArray<t.Type<A, O, unknown>>): AnyOfType<A, O> {
  return new AnyOfType<A, O>(name, types.map((type) => exact(type)))
}

/** The values a literal-like codec accepts (`t.literal`, `t.keyof`, a union of them), or null. */
function literalValues(codec: t.Mixed): unknown[] | null {
  if (codec instanceof t.LiteralType) return [codec.value]
  if (codec instanceof t.KeyofType) return Object.keys(codec.keys as object)
  if (codec instanceof t.UnionType || codec instanceof AnyOfType) {
    const all = (codec as { types: t.Mixed[] }).types.map(literalValues)
    return all.every((values) => values !== null) ? all.flat() as unknown[] : null
  }
  return null
}

/** The union of `members` (already exact) told apart by a field, `kind` first, when one field does it. */
function unionOf(name: string, members: ReadonlyArray<t.Mixed>): t.Mixed {
  const shapes = members.map((member) => (member instanceof ClosedType ? member.shape : null))
  if (members.length > 1 && shapes.every((shape) => shape !== null)) {
    const keys = Object.keys({ ...shapes[0]!.required, ...shapes[0]!.optional }).sort((a, b) => Number(b === 'kind') - Number(a === 'kind'))
    for (const key of keys) {
      const variants = shapes.map((shape, index): Variant | null => {
        const required = shape!.required[key]
        const codec = required ?? shape!.optional[key]
        const values = codec === undefined ? null : literalValues(codec)
        return values === null ? null : { values: required === undefined ? [...values, undefined] : values, codec: members[index]! }
      })
      if (variants.some((variant) => variant === null)) continue
      const all = variants.flatMap((variant) => variant!.values)
      if (new Set(all).size === all.length) return new TaggedType(name, key, variants as Variant[])
    }
  }
  return new AnyOfType(name, members)
}

// ---- making a codec exact ----------------------------------------------------------------

/** The fields of an object codec (`t.type`, `t.partial`, `t.exact`, an intersection of them, a {@link closed}), or null. */
function shapeOf(codec: t.Mixed): Shape | null {
  if (codec instanceof ClosedType) return codec.shape
  if (codec instanceof t.InterfaceType || codec instanceof t.StrictType) return { required: codec.props as t.Props, optional: {} }
  if (codec instanceof t.PartialType) return { required: {}, optional: codec.props as t.Props }
  if (codec instanceof t.ExactType) return shapeOf(codec.type as t.Mixed)
  if (codec instanceof t.IntersectionType) {
    const shapes = (codec.types as t.Mixed[]).map(shapeOf)
    if (shapes.some((shape) => shape === null)) return null
    const required: t.Props = {}
    const optional: t.Props = {}
    for (const shape of shapes as Shape[]) {
      for (const [key, field] of Object.entries(shape.required)) { if (key in required || key in optional) return null; required[key] = field }
      for (const [key, field] of Object.entries(shape.optional)) { if (key in required || key in optional) return null; optional[key] = field }
    }
    return { required, optional }
  }
  return null
}

/**
 * The field names of an object codec (as {@link exact} reads it: `t.type`, `t.partial`,
 * `t.exact`, an intersection of them, a {@link closed}), required and optional, each in
 * the codec's order; null for a codec that is not one.
 * @public
 */
export function fieldsOf(codec: t.Mixed): { readonly required: ReadonlyArray<string>; readonly optional: ReadonlyArray<string> } | null {
  const shape = shapeOf(codec)
  return shape === null ? null : { required: Object.keys(shape.required), optional: Object.keys(shape.optional) }
}

const EXACT = new WeakMap<t.Mixed, t.Mixed>()

function build(codec: t.Mixed): t.Mixed {
  if (codec instanceof ClosedType || codec instanceof TaggedType || codec instanceof AnyOfType) return codec
  const shape = shapeOf(codec)
  if (shape !== null) return new ClosedType(codec.name, { required: mapProps(shape.required), optional: mapProps(shape.optional) })
  if (codec instanceof t.UnionType) return unionOf(codec.name, (codec.types as t.Mixed[]).map(exact))
  if (codec instanceof t.ArrayType) return t.array(exact(codec.type as t.Mixed), codec.name)
  if (codec instanceof t.ReadonlyArrayType) return t.readonlyArray(exact(codec.type as t.Mixed), codec.name)
  if (codec instanceof t.ReadonlyType) return t.readonly(exact(codec.type as t.Mixed), codec.name)
  if (codec instanceof t.RefinementType) return t.refinement(exact(codec.type as t.Mixed), codec.predicate as (a: unknown) => boolean, codec.name)
  if (codec instanceof t.DictionaryType) return t.record(codec.domain as t.Mixed as t.Type<string, string, unknown>, exact(codec.codomain as t.Mixed), codec.name)
  if (codec instanceof t.TupleType) return (t.tuple as unknown as (types: t.Mixed[], name: string) => t.Mixed)((codec.types as t.Mixed[]).map(exact), codec.name)
  if (codec instanceof t.IntersectionType) return t.intersection((codec.types as t.Mixed[]).map(exact) as unknown as [t.Mixed, t.Mixed], codec.name)
  return codec
}

/**
 * `codec` refusing every field it does not name, at any depth: objects become
 * `closed`, unions `byTag` (when one literal field tells the members
 * apart) or `anyOf`; arrays, records, tuples and refinements keep their
 * shape with exact parts; other codecs (strings, numbers, custom types) are kept.
 * Decodes to what `codec` decodes to (a `t.exact` would have stripped the fields
 * now refused). Cached: a codec is made exact once.
 * @public
 */
export function exact<C extends t.Mixed>(codec: C): t.Type<t.TypeOf<C>, t.OutputOf<C>, unknown> {
  let made = EXACT.get(codec)
  if (made === undefined) {
    made = build(codec)
    const description = DESCRIPTIONS.get(codec)
    if (description !== undefined && !DESCRIPTIONS.has(made)) DESCRIPTIONS.set(made, description)
    EXACT.set(codec, made)
    EXACT.set(made, made)
  }
  return made as t.Type<t.TypeOf<C>, t.OutputOf<C>, unknown>
}
