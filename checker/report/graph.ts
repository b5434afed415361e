/**
 * The authority graph of a model state as inline SVG, drawn without Graphviz:
 * containers as nested boxes (a child container inside its parent), the objects a
 * container is charged for inside its box, and caps as arrows from the process
 * that holds them to the object they name (aggregated per holder and object, with
 * their rights as letters). Namespace-table caps start at the container that
 * created the namespace (dashed), queued caps at their endpoint (dotted). Pure.
 * @module
 */
import type { Cap, ContainerObject, KernelObject, KernelState } from '../../model/state.js'
import { rightsNames } from '../../spec/rights.js'
import { coordinate, html, type Html } from './html.js'

const NODE = { width: 112, height: 32 } as const
/** Room between nodes and boxes, for the arrows and their labels. */
const GAP = 30
const PAD = 14
const HEADER = 22
const PER_ROW = 4
const MARGIN = 8

/** Colours of the kinds of object, shared with the legend. */
export const KIND_COLORS: Readonly<Record<KernelObject['kind'], string>> = {
  container: '#eef3fb', process: '#dcefdc', endpoint: '#fbe8c8', region: '#e6dcf5', device: '#f3d9d9',
}

interface Box { x: number; y: number; width: number; height: number }

interface Layout {
  readonly boxes: Map<number, Box>
  readonly width: number
  readonly height: number
}

/** Sizes first (bottom-up), then positions (top-down). */
function layout(state: KernelState): Layout & { containers: ContainerObject[]; leaves: Map<number, KernelObject[]>; children: Map<number, ContainerObject[]> } {
  const containers = [...state.ksObjects.values()].filter((o): o is ContainerObject => o.kind === 'container')
  const children = new Map<number, ContainerObject[]>()
  const leaves = new Map<number, KernelObject[]>()
  for (const c of containers) if (c.parent !== null) children.set(c.parent, [...(children.get(c.parent) ?? []), c])
  const ids = new Set(containers.map((c) => c.id))
  for (const object of state.ksObjects.values()) {
    if (object.kind === 'container') continue
    const owner = object.owner !== null && ids.has(object.owner) ? object.owner : state.ksRoot
    leaves.set(owner, [...(leaves.get(owner) ?? []), object])
  }
  const size = new Map<number, { width: number; height: number }>()
  const measure = (c: ContainerObject): { width: number; height: number } => {
    const objects = leaves.get(c.id) ?? []
    const kids = (children.get(c.id) ?? []).map(measure)
    const columns = Math.min(PER_ROW, objects.length)
    const rows = Math.ceil(objects.length / PER_ROW)
    const objectsWidth = columns * NODE.width + Math.max(0, columns - 1) * GAP
    const objectsHeight = rows * NODE.height + Math.max(0, rows - 1) * GAP
    const kidsWidth = kids.reduce((w, k) => w + k.width, 0) + Math.max(0, kids.length - 1) * GAP
    const kidsHeight = Math.max(0, ...kids.map((k) => k.height))
    const inner = { width: Math.max(objectsWidth, kidsWidth, 150), height: objectsHeight + (objectsHeight > 0 && kidsHeight > 0 ? GAP : 0) + kidsHeight }
    const measured = { width: inner.width + 2 * PAD, height: HEADER + inner.height + PAD }
    size.set(c.id, measured)
    return measured
  }
  const roots = containers.filter((c) => c.parent === null || !ids.has(c.parent))
  roots.forEach(measure)
  const boxes = new Map<number, Box>()
  const place = (c: ContainerObject, x: number, y: number) => {
    const { width, height } = size.get(c.id)!
    boxes.set(c.id, { x, y, width, height })
    const objects = leaves.get(c.id) ?? []
    objects.forEach((object, index) => {
      boxes.set(object.id, { x: x + PAD + (index % PER_ROW) * (NODE.width + GAP), y: y + HEADER + Math.floor(index / PER_ROW) * (NODE.height + GAP), ...NODE })
    })
    const rows = Math.ceil(objects.length / PER_ROW)
    let kidY = y + HEADER + rows * NODE.height + Math.max(0, rows - 1) * GAP
    if (rows > 0) kidY += GAP
    let kidX = x + PAD
    for (const kid of children.get(c.id) ?? []) {
      place(kid, kidX, kidY)
      kidX += size.get(kid.id)!.width + GAP
    }
  }
  let x = MARGIN
  let height = 0
  for (const root of roots) {
    place(root, x, MARGIN)
    x += size.get(root.id)!.width + GAP
    height = Math.max(height, size.get(root.id)!.height)
  }
  // Objects whose container is unknown have been put with the root; with no container at all, in a row.
  const orphans = containers.length === 0 ? [...state.ksObjects.values()] : []
  orphans.forEach((object, index) => boxes.set(object.id, { x: MARGIN + index * (NODE.width + GAP), y: MARGIN, ...NODE }))
  if (orphans.length > 0) { x = MARGIN + orphans.length * (NODE.width + GAP); height = NODE.height }
  return { boxes, width: Math.max(x - GAP + MARGIN, 200), height: height + 2 * MARGIN, containers, leaves, children }
}

function objectLines(state: KernelState, object: KernelObject): [string, string] {
  switch (object.kind) {
    case 'container': return [`container ${object.id}${object.id === state.ksRoot ? ' (root)' : ''}`, '']
    case 'process': return [`process ${object.id}`, `ref ${object.ref} · uid ${object.uid}${object.status === 'dead' ? ' · dead' : object.id === state.ksInit ? ' · init' : ''}`]
    case 'endpoint': return [`endpoint ${object.id}`, `queue ${object.queue.length}/${object.depth}`]
    case 'region': return [`region ${object.id}`, `${object.sizeBytes} B${object.executable ? ' · exec' : ''}`]
    case 'device': return [`device ${object.id}`, object.name]
  }
}

/** Rights as letters: r w x g c. */
export function rightsLetters(mask: number): string {
  const letters = rightsNames(mask).map((name) => name[0]!).join('')
  return letters === '' ? '∅' : letters
}

interface Edge { from: Box; to: Box; handle: { x: number; y: number } | null; style: 'slot' | 'table' | 'message'; labels: string[]; grant: boolean; self: boolean }

function edges(state: KernelState, boxes: Map<number, Box>): Edge[] {
  const found = new Map<string, Edge>()
  for (const cap of state.ksCaps.values()) {
    const source = sourceOf(state, cap)
    const target = boxes.get(cap.object)
    if (source === null || target === undefined) continue
    const from = boxes.get(source.id)
    if (from === undefined) continue
    const key = `${source.style}:${source.id}>${cap.object}`
    const label = source.style === 'table' ? `${source.label} ${rightsLetters(cap.rights)}` : rightsLetters(cap.rights) + (cap.badge ? ` #${cap.badge}` : '')
    const known = found.get(key)
    if (known !== undefined) { known.labels.push(label); known.grant ||= (cap.rights & 8) !== 0; continue }
    found.set(key, {
      from, to: target, handle: state.ksObjects.get(cap.object)?.kind === 'container' ? handleOf(target) : null, style: source.style, labels: [label],
      grant: (cap.rights & 8) !== 0, self: source.id === cap.object,
    })
  }
  return [...found.values()]
}

function sourceOf(state: KernelState, cap: Cap): { id: number; style: Edge['style']; label: string } | null {
  switch (cap.at.place) {
    case 'slot': return { id: cap.at.process, style: 'slot', label: '' }
    case 'message': return { id: cap.at.endpoint, style: 'message', label: '' }
    case 'table': {
      const namespace = state.ksNamespaces.get(cap.at.namespace)
      return namespace === undefined ? null : { id: namespace.creator, style: 'table', label: `${namespace.kind}:${cap.at.key}` }
    }
  }
}

/** Where arrows to a container end: a handle at the right end of its title band, away from the title. */
function handleOf(box: Box): { x: number; y: number } {
  return { x: box.x + box.width - 12, y: box.y + HEADER / 2 + 1 }
}

/** The point where the segment from the box's centre towards `toward` leaves the box. */
function clip(box: Box, toward: { x: number; y: number }): { x: number; y: number } {
  const centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 }
  const dx = toward.x - centre.x
  const dy = toward.y - centre.y
  if (dx === 0 && dy === 0) return centre
  const t = Math.min(dx === 0 ? Infinity : box.width / 2 / Math.abs(dx), dy === 0 ? Infinity : box.height / 2 / Math.abs(dy))
  return t >= 1 ? centre : { x: centre.x + dx * t, y: centre.y + dy * t }
}

/** A point moved `distance` towards `toward`. */
function towards(point: { x: number; y: number }, toward: { x: number; y: number }, distance: number): { x: number; y: number } {
  const length = Math.hypot(toward.x - point.x, toward.y - point.y)
  return length <= distance ? point : { x: point.x + ((toward.x - point.x) / length) * distance, y: point.y + ((toward.y - point.y) / length) * distance }
}

/** A free spot for a label near `at`: moved down in steps of a line while it overlaps one placed before. */
function placeLabel(at: { x: number; y: number }, width: number, placed: Array<{ x: number; y: number; width: number }>): { x: number; y: number } {
  const overlaps = (y: number) => placed.some((p) => Math.abs(p.y - y) < 11 && Math.abs(p.x - at.x) < (p.width + width) / 2)
  let y = at.y
  for (let tries = 0; tries < 6 && overlaps(y); tries++) y = at.y + (tries % 2 === 0 ? 1 : -1) * 11 * (Math.floor(tries / 2) + 1)
  placed.push({ x: at.x, y, width })
  return { x: at.x, y }
}

/** A label text: at most three caps listed, then a count. */
function edgeLabel(labels: ReadonlyArray<string>): string {
  return labels.length <= 3 ? labels.join(', ') : `${labels.slice(0, 3).join(', ')} +${labels.length - 3}`
}

function edgePath(edge: Edge, index: number): { d: string; mid: { x: number; y: number }; points: ReadonlyArray<{ x: number; y: number }> } {
  if (edge.self) {
    const x = edge.from.x + edge.from.width
    const y = edge.from.y + edge.from.height / 2
    return { d: `M${coordinate(x)},${coordinate(y - 6)} C${coordinate(x + 28)},${coordinate(y - 24)} ${coordinate(x + 28)},${coordinate(y + 24)} ${coordinate(x)},${coordinate(y + 6)}`, mid: { x: x + 22, y }, points: [{ x: x + 30, y: y - 24 }, { x: x + 30, y: y + 24 }] }
  }
  const a0 = { x: edge.from.x + edge.from.width / 2, y: edge.from.y + edge.from.height / 2 }
  const b0 = edge.handle ?? { x: edge.to.x + edge.to.width / 2, y: edge.to.y + edge.to.height / 2 }
  const dx = b0.x - a0.x
  const dy = b0.y - a0.y
  const length = Math.max(1, Math.hypot(dx, dy))
  // Longer arrows bow further, so that one along a row of nodes passes over them rather than through.
  const bend = Math.min(70, 14 + length * 0.18) + (index % 3) * 6
  const c = { x: (a0.x + b0.x) / 2 + (dy / length) * bend, y: (a0.y + b0.y) / 2 - (Math.abs(dx) / length) * bend }
  const a = clip(edge.from, c)
  const b = edge.handle === null ? clip(edge.to, c) : towards(edge.handle, c, 4)
  return { d: `M${coordinate(a.x)},${coordinate(a.y)} Q${coordinate(c.x)},${coordinate(c.y)} ${coordinate(b.x)},${coordinate(b.y)}`, mid: { x: (a.x + 2 * c.x + b.x) / 4, y: (a.y + 2 * c.y + b.y) / 4 }, points: [a, { x: (a.x + 2 * c.x + b.x) / 4, y: (a.y + 2 * c.y + b.y) / 4 - 12 }, b] }
}

/** The authority graph of `state` as an `<svg>`; `id` keeps its marker ids apart from other graphs on the page. */
export function authorityGraphSvg(state: KernelState, id = 'graph', title = 'Authority graph'): Html {
  const prefix = id.replace(/[^A-Za-z0-9_-]/g, '-')
  const { boxes, width, height, containers, leaves } = layout(state)
  const edgeList = edges(state, boxes).map((edge, index) => ({ edge, ...edgePath(edge, index) }))
  // Arrows may bow out of the boxes' area: the view box takes them in.
  const points = edgeList.flatMap((e) => e.points)
  const minX = Math.min(0, ...points.map((p) => p.x - 30))
  const minY = Math.min(0, ...points.map((p) => p.y - 8))
  const maxX = Math.max(width, 600, ...points.map((p) => p.x + 30))
  const maxY = Math.max(height, ...points.map((p) => p.y + 8))
  const legendHeight = 26
  const byDepth = (c: ContainerObject) => { let d = 0; for (let at = c.parent; at !== null; at = (state.ksObjects.get(at) as ContainerObject | undefined)?.parent ?? null) d++; return d }
  const containerMarkup = [...containers].sort((a, b) => byDepth(a) - byDepth(b)).map((c) => {
    const box = boxes.get(c.id)!
    const [label] = objectLines(state, c)
    const handle = handleOf(box)
    const ns = `pid ${c.namespaces.pid} · mnt ${c.namespaces.mount} · net ${c.namespaces.net} · ipc ${c.namespaces.ipc} · user ${c.namespaces.user}`
    return html`<g class="container" data-object="${c.id}"><title>${label}: ${ns}</title><rect x="${coordinate(box.x)}" y="${coordinate(box.y)}" width="${coordinate(box.width)}" height="${coordinate(box.height)}" rx="6" fill="${KIND_COLORS.container}" fill-opacity="0.55" stroke="#6b86b3"/><text class="box-title" font-weight="600" x="${coordinate(box.x + 8)}" y="${coordinate(box.y + 15)}">${label}</text><circle class="handle" cx="${coordinate(handle.x)}" cy="${coordinate(handle.y)}" r="3.5" fill="#6b86b3"/></g>`
  })
  const objectMarkup = [...leaves.values()].flat().map((object) => {
    const box = boxes.get(object.id)!
    const [first, second] = objectLines(state, object)
    const dead = object.kind === 'process' && object.status === 'dead'
    return html`<g class="node ${object.kind}${dead ? ' dead' : ''}" data-object="${object.id}"><title>${first}${second === '' ? '' : ` (${second})`}</title><rect x="${coordinate(box.x)}" y="${coordinate(box.y)}" width="${box.width}" height="${box.height}" rx="4" fill="${dead ? '#eeeeee' : KIND_COLORS[object.kind]}" stroke="${dead ? '#999' : '#555'}"${dead ? html` stroke-dasharray="3 2"` : html``}/><text x="${coordinate(box.x + box.width / 2)}" y="${coordinate(box.y + 13)}" text-anchor="middle">${first}</text><text class="sub" font-size="9.5" fill="#5b6475" x="${coordinate(box.x + box.width / 2)}" y="${coordinate(box.y + 26)}" text-anchor="middle">${second}</text></g>`
  })
  const placed: Array<{ x: number; y: number; width: number }> = []
  const edgeMarkup = edgeList.map(({ edge, d, mid: at }) => {
    const mid = placeLabel(at, [...edgeLabel(edge.labels)].length * 5.9 + 4, placed)
    const color = edge.grant ? '#c0561b' : '#2b5ea7'
    const dash = edge.style === 'table' ? '6 3' : edge.style === 'message' ? '2 3' : ''
    const label = edgeLabel(edge.labels)
    return html`<g class="cap ${edge.style}"><title>${edge.style === 'slot' ? 'caps held' : edge.style === 'table' ? 'namespace entries' : 'caps in a queued message'}: ${edge.labels.join(', ')}</title><path d="${d}" fill="none" stroke="${color}" stroke-width="1.4"${dash === '' ? html`` : html` stroke-dasharray="${dash}"`} marker-end="url(#${prefix}-arrow-${edge.grant ? 'grant' : 'plain'})"/><text class="cap-label" font-size="9.5" font-family="monospace" paint-order="stroke" stroke="#fff" stroke-width="3" x="${coordinate(mid.x)}" y="${coordinate(mid.y + 3)}" text-anchor="middle">${label}</text></g>`
  })
  const legend = html`<g class="graph-legend" font-size="10" fill="#5b6475" transform="translate(${coordinate(minX + MARGIN)},${coordinate(maxY + 8)})"><line x1="0" x2="22" y1="6" y2="6" stroke="#2b5ea7" stroke-width="1.4"/><text x="26" y="10">cap held (rights r w x g c)</text><line x1="190" x2="212" y1="6" y2="6" stroke="#c0561b" stroke-width="1.4"/><text x="216" y="10">with grant</text><line x1="290" x2="312" y1="6" y2="6" stroke="#555" stroke-dasharray="6 3"/><text x="316" y="10">namespace entry</text><line x1="420" x2="442" y1="6" y2="6" stroke="#555" stroke-dasharray="2 3"/><text x="446" y="10">cap in a queued message</text></g>`
  const markers = (['plain', 'grant'] as const).map((kind) => html`<marker id="${prefix}-arrow-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${kind === 'grant' ? '#c0561b' : '#2b5ea7'}"/></marker>`)
  const fullWidth = maxX - minX
  const fullHeight = maxY - minY + legendHeight
  return html`<svg class="graph" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="11" role="img" aria-label="${title}" width="${coordinate(fullWidth)}" height="${coordinate(fullHeight)}" viewBox="${coordinate(minX)} ${coordinate(minY)} ${coordinate(fullWidth)} ${coordinate(fullHeight)}"><title>${title}</title><defs>${markers}</defs>${containerMarkup}${objectMarkup}${edgeMarkup}${legend}</svg>`
}
