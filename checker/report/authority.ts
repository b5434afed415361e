/**
 * The authority graph for the report: `sila audit`'s graph (checker/audit: the
 * graph, its DOT, and Graphviz's SVG through @viz-js/viz), inlined in the page with
 * its element ids prefixed so that several graphs can share a page. Should Graphviz
 * refuse the graph, the page falls back on the simpler drawing of `graph.ts`
 * rather than failing.
 * @module
 */
import type { BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import type { KernelState } from '../../model/state.js'
import { boot as modelBoot } from '../../model/boot.js'
import { authorityGraph } from '../audit/graph.js'
import { bootLabels } from '../audit/labels.js'
import { renderDot } from '../audit/dot.js'
import { renderSvg } from '../audit/svg.js'
import { authorityGraphSvg } from './graph.js'
import { html, raw, type Html } from './html.js'

/** Graphviz's SVG with every id (and every reference to one) prefixed, so that ids stay unique on the page. */
export function prefixSvgIds(svg: string, prefix: string): string {
  const p = prefix.replace(/[^A-Za-z0-9_-]/g, '-')
  return svg
    .replace(/\bid="([^"]*)"/g, (_, id: string) => `id="${p}-${id}"`)
    .replace(/\b(xlink:href|href)="#([^"]*)"/g, (_, attribute: string, id: string) => `${attribute}="#${p}-${id}"`)
    .replace(/url\(#([^)]*)\)/g, (_, id: string) => `url(#${p}-${id})`)
}

/** Only an `<svg>` element is inlined: anything else (a script, a second document) is refused. */
function isPlainSvg(svg: string): boolean {
  return svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>') && !/<script|<foreignObject|\son[a-z]+\s*=/i.test(svg)
}

/**
 * The authority graph of `state` as markup: Graphviz's rendering of the audit's
 * graph (objects named as the boot configuration names them), or the fallback.
 */
export async function authorityGraphHtml(state: KernelState, boot: BootConfig, images: ReadonlyArray<ImageRecord>, id: string, title: string): Promise<Html> {
  try {
    const labels = bootLabels(boot, modelBoot(boot, images))
    const svg = await renderSvg(renderDot(authorityGraph(state, labels), title))
    if (!isPlainSvg(svg)) throw new Error('Graphviz gave something other than a plain SVG element')
    return html`<div class="audit-graph" data-renderer="graphviz">${raw(prefixSvgIds(svg, id))}</div>`
  } catch (error) {
    return html`<div class="audit-graph" data-renderer="fallback"><p class="note">Graphviz could not draw the graph (${String(error)}); a simpler drawing follows.</p>${authorityGraphSvg(state, id, title)}</div>`
  }
}
