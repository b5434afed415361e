// A TypeDoc plugin for this project: keeps the names of type aliases in signatures.
//
// TypeDoc converts a parameter's or a property's type from the checker's type and
// uses the written annotation only as a hint. Most of spec/'s types are io-ts
// aliases (`type BootConfig = t.TypeOf<typeof BootConfigCodec>`) whose checker type
// has lost the alias, so `create(config: BootConfig)` would be documented as
// `create(config: object & object)`. When the annotation names a type alias
// anywhere in it, this converts the annotation instead, as written: the reference
// then shows `BootConfig` and links to its page.
import ts from 'typescript'
import { Converter, ReflectionKind } from 'typedoc'

/** Whether `node` mentions a type alias (directly or inside arrays, unions, generics...). */
function mentionsAlias(checker, node) {
  if (ts.isTypeQueryNode(node)) return false
  if (ts.isTypeReferenceNode(node)) {
    let symbol = checker.getSymbolAtLocation(node.typeName)
    if (symbol !== undefined && (symbol.flags & ts.SymbolFlags.Alias) !== 0) symbol = checker.getAliasedSymbol(symbol)
    if (symbol !== undefined && (symbol.flags & ts.SymbolFlags.TypeAlias) !== 0) return true
  }
  return ts.forEachChild(node, (child) => mentionsAlias(checker, child) || undefined) === true
}

/** Whether `node` is io-ts's `t.TypeOf<…>` (the type an io-ts codec decodes to). */
function isIoTsTypeOf(node) {
  if (!ts.isTypeReferenceNode(node)) return false
  const name = ts.isQualifiedName(node.typeName) ? node.typeName.right.text : node.typeName.text
  return name === 'TypeOf'
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  const converter = app.converter
  const convertType = converter.convertType.bind(converter)
  converter.convertType = (context, typeOrNode, node) => {
    const isType = typeOrNode !== undefined && !('kind' in typeOrNode)
    if (!isType && typeOrNode !== undefined && isIoTsTypeOf(typeOrNode)) return convertType(context, context.checker.getTypeFromTypeNode(typeOrNode))
    if (isType && node !== undefined && mentionsAlias(context.checker, node)) return convertType(context, node)
    return convertType(context, typeOrNode, node)
  }
  // An io-ts type expanded this way takes its members from the codec's object
  // literal, whose values (`LimitsCodec`, `t.boolean`) TypeDoc would show as
  // default values; a member of a type has none.
  converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const reflection of Object.values(context.project.reflections)) {
      if (reflection.kindOf(ReflectionKind.Property) && reflection.parent?.kindOf(ReflectionKind.TypeLiteral)) delete reflection.defaultValue
    }
  })
}
