/**
 * DOT to SVG with Graphviz compiled to WebAssembly (`@viz-js/viz`): no native
 * Graphviz needed, nothing to build at install. The instance is made once per
 * process (compiling the module takes a moment) and reused.
 * @module
 */
import { instance, type Viz } from '@viz-js/viz'

let viz: Promise<Viz> | undefined

/**
 * Lays out `dot` with the `dot` engine and returns the SVG element, starting at
 * `<svg` (without the XML declaration, doctype and generator comment Graphviz puts
 * before it, so that it can also be inlined in HTML). Throws if
 * Graphviz refuses the input (a bug in the DOT renderer, not a user's error).
 * @public
 */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= instance()
  const result = (await viz).render(dot, { format: 'svg', engine: 'dot' })
  if (result.status !== 'success') throw new Error(`Graphviz refused the graph: ${result.errors.map((error) => error.message).join('; ')}`)
  const start = result.output.indexOf('<svg')
  return start < 0 ? result.output : result.output.slice(start)
}
