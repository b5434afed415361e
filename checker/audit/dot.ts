/**
 * The authority graph as Graphviz DOT: one cluster per container, nested as the
 * containers are, holding the container's own node, its processes and the objects
 * it owns; one edge per capability. Edges that cross containers are red and carry
 * `crosses=true` (and `class="crosses"`, kept in SVG output); caps waiting in a
 * queue are dashed; missing objects are red dashed octagons outside every cluster.
 * @module
 */
import type { ObjectId } from '../../spec/ids.js'
import { placeText, rightsLetters, type AuthorityGraph, type GraphEdge, type GraphNode } from './graph.js'

/** A DOT quoted string. @public */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
}

/** `[a=b, c="d"]` from attributes, values quoted. */
function attributes(values: Readonly<Record<string, string>>): string {
  return `[${Object.entries(values).map(([key, value]) => `${key}=${dotString(value)}`).join(', ')}]`
}

const SHAPES: Readonly<Record<GraphNode['kind'], Readonly<Record<string, string>>>> = {
  container: { shape: 'folder', style: 'filled', fillcolor: 'lightyellow' },
  process: { shape: 'box', style: 'rounded,filled', fillcolor: 'lightblue' },
  endpoint: { shape: 'ellipse', style: 'filled', fillcolor: 'palegreen' },
  region: { shape: 'box3d' },
  device: { shape: 'component' },
  missing: { shape: 'octagon', style: 'dashed', color: 'red', fontcolor: 'red' },
}

const nodeId = (id: ObjectId): string => dotString(`o${id}`)

function nodeLine(node: GraphNode, indent: string): string {
  const label = node.detail === '' ? node.label : `${node.label}\n${node.detail}`
  return `${indent}${nodeId(node.id)} ${attributes({ label, ...SHAPES[node.kind] })}`
}

function edgeLine(edge: GraphEdge): string {
  const badge = edge.badge === 0 ? '' : ` badge ${edge.badge}`
  const values: Record<string, string> = { label: `${placeText(edge.at)}: ${rightsLetters(edge.rights)}${badge}`, tooltip: `cap ${edge.cap}` }
  if (edge.at.place === 'message') values.style = 'dashed'
  if (edge.at.place === 'table') values.style = 'bold'
  if (edge.crosses) Object.assign(values, { color: 'red', fontcolor: 'red', class: 'crosses' })
  values.crosses = String(edge.crosses)
  return `  ${nodeId(edge.from)} -> ${nodeId(edge.to)} ${attributes(values)}`
}

/** The lines of one container's cluster and, inside it, its children's. */
function clusterLines(graph: AuthorityGraph, container: ObjectId, depth: number, drawn: Set<ObjectId>): string[] {
  drawn.add(container)
  const indent = '  '.repeat(depth + 1)
  const label = graph.containers.find((c) => c.id === container)?.label ?? `container ${container}`
  const nodes = graph.nodes.filter((node) => node.cluster === container)
  const children = graph.containers.filter((c) => c.parent === container && !drawn.has(c.id))
  return [
    `${indent}subgraph ${dotString(`cluster_${container}`)} {`,
    `${indent}  graph ${attributes({ label, style: 'rounded', color: 'gray40' })}`,
    ...nodes.map((node) => nodeLine(node, `${indent}  `)),
    ...children.flatMap((child) => clusterLines(graph, child.id, depth + 1, drawn)),
    `${indent}}`,
  ]
}

/**
 * The graph as DOT text titled `title`. Containers are drawn from the roots down;
 * a container whose parent chain never reaches a root (a broken state) is drawn at
 * the top level.
 * @public
 */
export function renderDot(graph: AuthorityGraph, title: string): string {
  const drawn = new Set<ObjectId>()
  const clusters: string[] = []
  for (const root of graph.containers.filter((c) => c.parent === null)) clusters.push(...clusterLines(graph, root.id, 0, drawn))
  for (const stray of graph.containers) if (!drawn.has(stray.id)) clusters.push(...clusterLines(graph, stray.id, 0, drawn))
  const containerIds = new Set(graph.containers.map((c) => c.id))
  const loose = graph.nodes.filter((node) => node.cluster === null || !containerIds.has(node.cluster))
  return [
    'digraph authority {',
    `  graph ${attributes({ label: title, labelloc: 't', fontname: 'Helvetica', rankdir: 'LR', compound: 'true' })}`,
    `  node ${attributes({ fontname: 'Helvetica', fontsize: '10' })}`,
    `  edge ${attributes({ fontname: 'Helvetica', fontsize: '9' })}`,
    ...clusters,
    ...loose.map((node) => nodeLine(node, '  ')),
    ...graph.edges.map(edgeLine),
    '}',
    '',
  ].join('\n')
}
