// A TypeDoc plugin for this project's reference (docs/api/): types as written, the
// types io-ts codecs decode to spelled out, and an output that depends on the
// exported code only.
//
// - A declaration's type is converted from its annotation, as written, when it has
//   one. (TypeDoc converts the checker's type and takes the annotation as a hint;
//   most of spec/'s types are io-ts aliases, `type BootConfig = t.TypeOf<typeof
//   BootConfigCodec>`, whose checker type has lost the alias, so `create(config:
//   BootConfig)` would read `create(config: object & object)`.)
// - The alias itself, `t.TypeOf<typeof XCodec>`, is converted from the checker's
//   type, so that its page lists the decoded fields rather than the codec's name.
// - Unions and intersections converted from the checker's type list their members
//   in the order of their text: the checker orders them by internal ids, which
//   follow the order in which it met the types and move when unrelated code
//   changes; the reference, compared with a regeneration by a test, must not.
import ts from 'typescript'
import { Converter, ReflectionKind } from 'typedoc'

/** Whether `node` is io-ts's `t.TypeOf<…>` (the type an io-ts codec decodes to). */
function isIoTsTypeOf(node) {
  if (!ts.isTypeReferenceNode(node)) return false
  const name = ts.isQualifiedName(node.typeName) ? node.typeName.right.text : node.typeName.text
  return name === 'TypeOf'
}

/** The sort key of a union's or intersection's member: its text; null and undefined last, as usually written. */
function memberKey(member) {
  const isNullish = (member.type === 'intrinsic' && member.name === 'undefined') || (member.type === 'literal' && member.value === null)
  return `${isNullish ? '\uffff' : ''}${String(member)}`
}

/** Puts the members of every union and intersection in `type` in the order of {@link memberKey}. */
function canonicalOrder(type, seen = new Set()) {
  if (type === undefined || type === null || typeof type !== 'object' || seen.has(type)) return
  seen.add(type)
  if ((type.type === 'union' || type.type === 'intersection') && Array.isArray(type.types)) {
    const keyed = type.types.map((member) => [memberKey(member), member])
    keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    type.types = keyed.map(([, member]) => member)
  }
  for (const field of ['types', 'elements', 'typeArguments']) for (const member of type[field] ?? []) canonicalOrder(member, seen)
  for (const field of ['elementType', 'objectType', 'indexType', 'checkType', 'extendsType', 'trueType', 'falseType', 'element', 'target']) canonicalOrder(type[field], seen)
  if (type.type === 'reflection') canonicalDeclaration(type.declaration, seen)
}

function canonicalDeclaration(declaration, seen) {
  if (declaration === undefined) return
  canonicalOrder(declaration.type, seen)
  for (const child of declaration.children ?? []) canonicalDeclaration(child, seen)
  for (const signature of [...(declaration.signatures ?? []), ...(declaration.indexSignatures ?? [])]) {
    canonicalOrder(signature.type, seen)
    for (const parameter of signature.parameters ?? []) canonicalOrder(parameter.type, seen)
  }
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  const converter = app.converter
  const convertType = converter.convertType.bind(converter)
  converter.convertType = (context, typeOrNode, node) => {
    const isType = typeOrNode !== undefined && !('kind' in typeOrNode)
    if (isType && node !== undefined) return convertType(context, node)
    const fromType = isType ? typeOrNode : typeOrNode !== undefined && isIoTsTypeOf(typeOrNode) ? context.checker.getTypeFromTypeNode(typeOrNode) : undefined
    if (fromType === undefined) return convertType(context, typeOrNode, node)
    const converted = convertType(context, fromType)
    canonicalOrder(converted)
    return converted
  }
  // An io-ts type spelled out takes its members from the codec's object literal,
  // whose values (`LimitsCodec`, `t.boolean`) TypeDoc would show as default
  // values; a member of a type has none.
  converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const reflection of Object.values(context.project.reflections)) {
      if (reflection.kindOf(ReflectionKind.Property) && reflection.parent?.kindOf(ReflectionKind.TypeLiteral)) delete reflection.defaultValue
    }
  })
}
