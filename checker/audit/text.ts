/**
 * An audit for people: the invariant table, each failure with its witness, the
 * authority graph as an indented tree (containers, their processes and the caps they
 * hold, crossing caps marked), the caps in tables and queues, and who can reach what.
 * @module
 */
import type { ObjectId } from '../../spec/ids.js'
import { formatJson, renderTable, wrapText } from '../../cli/output.js'
import { placeText, rightsLetters, type AuthorityGraph, type GraphEdge } from './graph.js'
import { BOOT_STEP, type InvariantResult } from './invariants.js'
import { hopText, type ContainerReach } from './reach.js'
import type { PropertyAuditRow } from './properties.js'
import type { AuditReport } from './report.js'
import type { AuthoritySection } from './authority.js'
import type { ImageAuditReport } from './image.js'

const RESULT_TEXT: Readonly<Record<InvariantResult['status'], string>> = { pass: 'pass', fail: 'FAIL', 'not-applicable': 'n/a' }

/** `1 cap`, `3 caps`. */
function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

function stepText(step: number | null): string {
  return step === null ? '' : step === BOOT_STEP ? 'boot' : `step ${step}`
}

function heading(report: AuditReport): string[] {
  const { subject } = report
  const what = subject.kind === 'trace' ? `${subject.format}, ${subject.steps} step${subject.steps === 1 ? '' : 's'} replayed on the model` : subject.format
  const lines = [`sila audit: ${subject.file} (${what})`]
  if (subject.description !== null) lines.push(...wrapText(subject.description, 96).map((line) => `  ${line}`))
  return lines
}

function invariantLines(report: AuditReport): string[] {
  const table = renderTable(
    [{ header: 'invariant' }, { header: 'scope' }, { header: 'result' }, { header: 'where' }, { header: 'statement', widthMax: 70 }],
    report.invariants.map((result) => [result.id, result.scope, RESULT_TEXT[result.status], stepText(result.violation?.step ?? null), result.statement]),
  )
  const failures = report.invariants.filter((result) => result.status === 'fail').flatMap((result) => {
    const where = stepText(result.violation!.step)
    const more = result.count > 1 ? ` (${result.count} violations in all)` : ''
    return [`  ${result.id}${where === '' ? '' : ` at ${where}`}${more}: ${result.violation!.message}`, `    witness: ${formatJson(result.violation!.witness, 96, '    ')}`]
  })
  return ['Invariants', '', table, ...(failures.length === 0 ? [] : ['', 'Violations:', ...failures])]
}

/** `slot 4  -w-g- badge 7  → endpoint 4 (of container 0 "root")  CROSSES` */
function edgeText(edge: GraphEdge, name: (id: ObjectId) => string, owner: boolean): string {
  const badge = edge.badge === 0 ? '' : ` badge ${edge.badge}`
  const of = owner && edge.crosses && edge.toOwner !== null ? ` (of ${name(edge.toOwner)})` : ''
  return `${placeText(edge.at)}: ${rightsLetters(edge.rights)}${badge} → ${name(edge.to)}${of}${edge.crosses ? '  CROSSES' : ''}`
}

function containerTree(graph: AuthorityGraph, container: ObjectId, indent: string, name: (id: ObjectId) => string, drawn: Set<ObjectId>): string[] {
  drawn.add(container)
  const lines = [`${indent}${name(container)}`]
  for (const node of graph.nodes.filter((n) => n.cluster === container && n.id !== container)) {
    lines.push(`${indent}  ${node.label}${node.detail === '' ? '' : ` (${node.detail})`}`)
    for (const edge of graph.edges.filter((e) => e.at.place === 'slot' && e.from === node.id)) lines.push(`${indent}    ${edgeText(edge, name, true)}`)
  }
  for (const child of graph.containers.filter((c) => c.parent === container && !drawn.has(c.id))) lines.push(...containerTree(graph, child.id, `${indent}  `, name, drawn))
  return lines
}

function graphLines(report: AuditReport, name: (id: ObjectId) => string): string[] {
  const { graph } = report
  const drawn = new Set<ObjectId>()
  const tree = graph.containers.filter((c) => c.parent === null).flatMap((root) => containerTree(graph, root.id, '  ', name, drawn))
  for (const stray of graph.containers) if (!drawn.has(stray.id)) tree.push(...containerTree(graph, stray.id, '  ', name, drawn))
  const tables = graph.edges.filter((edge) => edge.at.place === 'table').map((edge) => `  from ${name(edge.from)}: ${edgeText(edge, name, true)}`)
  const queued = graph.edges.filter((edge) => edge.at.place === 'message').map((edge) => `  on ${name(edge.from)}: ${edgeText(edge, name, true)}`)
  const missing = graph.nodes.filter((node) => node.kind === 'missing').map((node) => `  ${node.label}`)
  const crossing = graph.edges.filter((edge) => edge.crosses).length
  const processes = graph.nodes.filter((node) => node.kind === 'process').length
  const where = report.subject.kind === 'trace' ? ` (the state after ${report.subject.steps === 0 ? 'boot' : `step ${report.subject.steps! - 1}`})` : ''
  return [
    `Authority graph${where}: ${count(graph.containers.length, 'container')}, ${count(processes, 'process', 'processes')}, ${count(graph.nodes.length - graph.containers.length - processes, 'other object')}, ${count(graph.edges.length, 'cap')} (${crossing} crossing containers)`,
    '',
    ...tree,
    ...(tables.length === 0 ? [] : ['', 'Caps in namespace tables:', ...tables]),
    ...(queued.length === 0 ? [] : ['', 'Caps in queued messages:', ...queued]),
    ...(missing.length === 0 ? [] : ['', 'Named but not live:', ...missing]),
  ]
}

function reachLines(reach: ReadonlyArray<ContainerReach>, name: (id: ObjectId) => string): string[] {
  const sections = reach.flatMap((entry) => {
    const foreign = entry.reaches.filter((reached) => reached.foreign).length
    const table = renderTable(
      [{ header: 'object' }, { header: 'owner' }, { header: 'rights' }, { header: 'through', widthMax: 80 }],
      entry.reaches.map((reached) => [
        reached.label, reached.owner === null ? '-' : reached.foreign ? name(reached.owner) : '(own)', rightsLetters(reached.rights),
        // One way for each right it adds (the rights column is all of them): each way's rights said where there is more than one.
        reached.routes.length === 1 ? reached.path.map((hop) => hopText(hop, name)).join(' → ')
          : reached.routes.map((route) => `${rightsLetters(route.rights)} ${route.path.map((hop) => hopText(hop, name)).join(' → ')}`).join('; '),
      ]),
    )
    return ['', `${entry.label}: ${count(entry.reaches.length, 'object')}, ${foreign} of other containers`, ...table.split('\n').map((line) => `  ${line}`)]
  })
  return ['Who can reach what (holding, receiving, sending, looking up, publishing, granting at spawn; conservative)', ...sections]
}

function authorityLines(section: AuthoritySection): string[] {
  const lines = [`Authority (static): what each process may come to hold beyond what it holds (${count(section.facts, 'fact')} in the closure; sound over-approximation, see docs/decisions.md)`]
  for (const subject of section.subjects) {
    lines.push('', `${subject.label}: ${subject.gains.length === 0 ? 'nothing beyond what it holds' : count(subject.gains.length, 'more fact')}`)
    for (const gain of subject.gains) lines.push(...wrapText(gain.text, 110).map((line, index) => `${index === 0 ? '  - ' : '      '}${line}`))
  }
  return lines
}

/** The audit as text, ending with a summary line. @public */
export function renderAuditText(report: AuditReport): string {
  const labels = new Map(report.graph.nodes.map((node) => [node.id, node.label]))
  const name = (id: ObjectId): string => labels.get(id) ?? `object ${id}`
  const failed = report.invariants.filter((result) => result.status === 'fail').length
  const checked = report.invariants.filter((result) => result.status !== 'not-applicable').length
  const summary = failed === 0 ? `All ${checked} applicable invariants held.` : `${failed} of ${checked} applicable invariants failed.`
  const rows = report.properties ?? []
  const broken = rows.filter((row) => row.status === 'violated').length
  const later = rows.filter((row) => row.status !== 'violated' && row.explored?.status === 'violated').length
  const propertySummary = report.properties === undefined ? ''
    : (broken === 0 ? ' Every user property held in this state.' : ` ${broken} user propert${broken === 1 ? 'y' : 'ies'} violated in this state.`)
      + (later === 0 ? '' : ` ${later} violated by a run the explore found.`)
  return [...heading(report), '', ...invariantLines(report), '', ...propertyLines(report), ...graphLines(report, name), '', ...reachLines(report.reach, name), '', ...(report.authority === undefined ? [] : [...authorityLines(report.authority), '']), `${summary}${propertySummary}`, ''].join('\n')
}

/** The user properties in the audited state, each failure with its witness; nothing without --props. */
function propertyLines(report: AuditReport): string[] {
  const rows = report.properties
  if (rows === undefined) return []
  const hasStatic = rows.some((row) => row.static !== undefined)
  const explored = rows.find((row) => row.explored !== undefined)?.explored
  const exploredWord = (row: PropertyAuditRow): string => {
    const verdict = row.explored
    if (verdict === undefined) return ''
    if (verdict.steps !== undefined) return `${verdict.status === 'violated' ? 'VIOLATED' : verdict.status} (${verdict.steps} step${verdict.steps === 1 ? '' : 's'})`
    return verdict.complete ? `${verdict.status} (all)` : `${verdict.status} (depth ${verdict.depth})`
  }
  const table = renderTable(
    [{ header: 'property' }, { header: 'kind' }, { header: 'now' }, ...(hasStatic ? [{ header: 'static' }] : []), ...(explored === undefined ? [] : [{ header: 'explored' }]), { header: 'says', widthMax: 60 }],
    rows.map((row) => [row.name, row.kind, row.status === 'violated' ? 'VIOLATED' : row.status, ...(hasStatic ? [row.static?.verdict ?? '-'] : []), ...(explored === undefined ? [] : [exploredWord(row)]), row.says]),
  )
  const details = rows.filter((row) => row.witness !== null).flatMap((row) => [`  ${row.name} ${row.status}: ${row.witness!.message}`, `    witness: ${formatJson(row.witness!.detail, 96, '    ')}`])
  const evidence = rows.filter((row) => (row.static?.evidence?.length ?? 0) > 0).flatMap((row) => [
    `  ${row.name} (${row.static!.verdict}${row.explored === undefined ? '' : `; explored: ${row.explored.message}`}):`,
    ...row.static!.evidence!.flatMap((line) => wrapText(line, 106).map((part, index) => `${index === 0 ? '    ' : '      '}${part}`)),
  ])
  const searchedRows = explored === undefined ? [] : rows.filter((row) => row.explored !== undefined && (row.static?.evidence?.length ?? 0) === 0)
  const searched = searchedRows.map((row) => `  ${row.name}: ${row.explored!.message}`)
  // The heading speaks of the searches listed under it (one per always property: the first row's may have stopped early at its violation).
  const searchedDepth = Math.max(0, ...searchedRows.map((row) => row.explored!.depth))
  const searchedComplete = searchedRows.length > 0 && searchedRows.every((row) => row.explored!.complete)
  const legend = hasStatic ? ["'static': for every run from this state, by the authority closure: proved / may fail (with a derivation) / impossible / may; '-': no verdict (bound, atLeast, code)"] : []
  return ['Your properties (now: in this state; static and explored: what may come later)', '', rows.length === 0 ? '(none chosen by --invariant)' : table,
    ...(details.length === 0 ? [] : ['', ...details]), ...(evidence.length === 0 ? [] : ['', 'Static view (derivations: a candidate attack; explored says whether a run within the depth found one):', ...evidence]),
    ...(searched.length === 0 ? [] : ['', `Explored from the boot state (to depth ${searchedDepth}${searchedComplete ? ', exhaustive' : ''}):`, ...searched]), ...(legend.length === 0 ? [] : ['', ...legend]), '']
}

/** An image audit as text: the image, each check's verdict, the layers and the requests. @public */
export function renderImageText(report: ImageAuditReport): string {
  const { subject } = report
  const checks = renderTable(
    [{ header: 'check' }, { header: 'result' }, { header: 'detail', widthMax: 90 }],
    report.checks.map((entry) => [entry.id, RESULT_TEXT[entry.status], entry.message]),
  )
  const layers = renderTable(
    [{ header: 'role' }, { header: 'digest' }, { header: 'bytes', align: 'right' }, { header: 'content', align: 'right' }],
    report.layers.map((layer) => [layer.role, layer.digest, String(layer.sizeBytes), layer.contentBytes === null ? '?' : String(layer.contentBytes)]),
  )
  const requests = report.requests.length === 0
    ? ['  (none)']
    : report.requests.map((request, index) => `  ${index}  ${request.kind} ${request.rights.join(', ') || '(no rights)'}${request.purpose === undefined ? '' : `: ${request.purpose}`}`)
  const failed = report.checks.filter((entry) => entry.status === 'fail').length
  return [
    `sila audit: ${subject.dir} (image ${subject.name}@${subject.version})`,
    `  manifest  ${subject.manifestDigest}`,
    `  signer    ${subject.signer ?? '(none)'}`,
    `  memory    ${report.memoryBytes} bytes`,
    '',
    checks,
    '',
    'Layers:',
    ...layers.split('\n').map((line) => `  ${line}`),
    '',
    'Requests:',
    ...requests,
    '',
    failed === 0 ? 'Every applicable check passed.' : `${failed} check${failed === 1 ? '' : 's'} failed.`,
    '',
  ].join('\n')
}
