import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import ajvModule from 'ajv/dist/2020.js'
import formatsModule from 'ajv-formats'
import { boot } from '../../model/boot.js'
import { step } from '../../model/step.js'
import type { Cap, KernelObject, KernelState, ProcessObject } from '../../model/state.js'
import { R_READ, rightsNames } from '../../spec/rights.js'
import { reachability } from '../../checker/audit/reach.js'
import { PRESETS } from '../../spec/presets.js'
import { TraceCodec, type Trace } from '../../spec/trace.js'
import { INVARIANT_IDS } from '../../spec/invariants/index.js'
import { bootLabels } from '../../checker/audit/labels.js'
import { auditSnapshot, auditTrace, type AuditReport } from '../../checker/audit/report.js'
import { renderDot } from '../../checker/audit/dot.js'
import { renderSvg } from '../../checker/audit/svg.js'
import { auditSarif } from '../../checker/audit/sarif.js'
import { regionOf } from '../../checker/audit/locate.js'
import { renderAuditText } from '../../checker/audit/text.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const TRACES = ['examples/ipc-transfer.trace.json', 'examples/revoke-reaches-tables.trace.json', 'examples/nested-user-namespace.trace.json']
const CAP_CORE = PRESETS.find((preset) => preset.name === 'cap-core')!

/**
 * The official SARIF 2.1.0 schema as Microsoft's SARIF SDK ships it in the npm
 * package @microsoft/sarif-multitool-linux@5.7.0 (file `sarif-2.1.0.json`, MIT),
 * vendored unchanged: no npm package ships the OASIS draft-07 file, and this one
 * states the same 2.1.0 schema in JSON Schema 2020-12.
 */
const SARIF_SCHEMA = JSON.parse(readFileSync(`${ROOT}test/audit/fixtures/sarif-schema-2.1.0.json`, 'utf8')) as object
const ajv = new ajvModule.default({ allErrors: true })
formatsModule.default(ajv)
const validateSarif = ajv.compile(SARIF_SCHEMA)

function readTrace(file: string): Trace {
  const decoded = TraceCodec.decode(JSON.parse(readFileSync(`${ROOT}${file}`, 'utf8')))
  if (decoded._tag === 'Left') throw new Error(`${file} does not decode`)
  return decoded.right
}

function capCoreState(): KernelState {
  return boot(CAP_CORE.boot, CAP_CORE.images)
}

function auditState(state: KernelState, file = 'test.state.json'): AuditReport {
  return auditSnapshot({ format: 'sila-state/1', state, labels: bootLabels(CAP_CORE.boot, state) }, file)
}

function failedIds(report: AuditReport): string[] {
  return report.invariants.filter((result) => result.status === 'fail').map((result) => result.id)
}

function withObject(state: KernelState, object: KernelObject): KernelState {
  return { ...state, ksObjects: new Map(state.ksObjects).set(object.id, object) }
}

/** cap-core with a cap to A's endpoint E (object 6) that pB (object 5, in B) holds in slot 1 with `read`: no flow gave B read. */
function forgedReadCap(): KernelState {
  const state = capCoreState()
  const pB = state.ksObjects.get(5) as ProcessObject
  const cap: Cap = { id: state.ksCapNext, object: 6, rights: R_READ, badge: 0, parent: null, at: { place: 'slot', process: 5, slot: 1 } }
  const next = withObject(state, { ...pB, slots: [pB.slots[0]!, cap.id] })
  return { ...next, ksCaps: new Map(state.ksCaps).set(cap.id, cap), ksCapNext: cap.id + 1 }
}

/**
 * The ipc example's first steps, replayed by a step function that, at step 0,
 * also leaves the root container's endpoint usage one short of what it owns:
 * QUO-2 from step 0 on (a kernel bug to audit; the model boots only clean states
 * and does not make one).
 */
function corruptedRun(): { trace: Trace; stepWith: typeof step } {
  const trace = readTrace('examples/ipc-transfer.trace.json')
  let calls = 0
  const stepWith: typeof step = (state, syscall) => {
    const next = step(state, syscall)
    if (calls++ !== 0) return next
    const root = next.state.ksObjects.get(next.state.ksRoot)!
    if (root.kind !== 'container') throw new Error('the root is a container')
    return { ...next, state: withObject(next.state, { ...root, usage: { ...root.usage, endpoints: root.usage.endpoints + 1 } }) }
  }
  return { trace: { ...trace, steps: trace.steps.slice(0, 3) }, stepWith }
}

function sarifErrors(log: unknown): string {
  return validateSarif(log) ? '' : JSON.stringify(validateSarif.errors, null, 2)
}

// ---- invariants ------------------------------------------------------------

for (const file of TRACES) {
  test(`the audit of ${file} passes every invariant, state and step`, () => {
    const report = auditTrace(readTrace(file), file)
    assert.is(report.status, 'pass')
    assert.equal(report.invariants.map((result) => result.id), [...INVARIANT_IDS])
    for (const result of report.invariants) assert.is(result.status, 'pass', `${result.id}: ${result.violation?.message}`)
    assert.is(report.subject.steps, readTrace(file).steps.length)
  })
}

test('the audit of every preset\'s boot state passes every state invariant; step invariants do not apply', () => {
  for (const preset of PRESETS) {
    const state = boot(preset.boot, preset.images)
    const report = auditSnapshot({ format: 'sila-state/1', state }, preset.name)
    assert.is(report.status, 'pass', preset.name)
    for (const result of report.invariants) assert.is(result.status, result.scope === 'state' ? 'pass' : 'not-applicable', `${preset.name} ${result.id}`)
  }
})

test('a cap to another container\'s object beyond any recorded flow fails ISO-1, with the cap as witness', () => {
  const report = auditState(forgedReadCap())
  assert.equal(failedIds(report), ['ISO-1'])
  const iso1 = report.invariants.find((result) => result.id === 'ISO-1')!
  assert.is(iso1.violation!.step, null)
  assert.equal(iso1.violation!.witness, { process: 5, container: 3, slot: 1, cap: 7, object: 6, objectOwner: 2, rights: ['read'], flowRights: ['write'] })
  assert.match(iso1.violation!.message, /process 5 in container 3 holds cap 7 to endpoint 6 of container 2 beyond any recorded flow/)
})

test('usage that does not match the costs of the live objects fails QUO-2, naming container and resource', () => {
  const state = capCoreState()
  const a = state.ksObjects.get(2)!
  assert.is(a.kind, 'container')
  if (a.kind !== 'container') return
  const report = auditState(withObject(state, { ...a, usage: { ...a.usage, endpoints: 0 } }))
  assert.equal(failedIds(report), ['QUO-2'])
  const witness = report.invariants.find((result) => result.id === 'QUO-2')!.violation!.witness
  assert.equal({ container: witness.container, resource: witness.resource, usage: witness.usage, expected: witness.expected }, { container: 2, resource: 'endpoints', usage: 0, expected: 1 })
})

test('a state the invariants cannot even read (a process in a missing container) fails instead of crashing', () => {
  const state = capCoreState()
  const pA = state.ksObjects.get(4) as ProcessObject
  const report = auditState(withObject(state, { ...pA, owner: 99 }))
  assert.is(report.status, 'fail')
  assert.ok(failedIds(report).length > 0)
  assert.ok(report.graph.nodes.some((node) => node.id === 4 && node.cluster === 99))
  assert.match(renderDot(report.graph, 'broken'), /"o4" \[label="process 4 \\"pA\\"/)
})

test('a trace reports each invariant\'s first violation with its step and how many steps violated it', () => {
  const { trace, stepWith } = corruptedRun()
  const report = auditTrace(trace, 'corrupted.trace.json', undefined, { stepWith })
  assert.equal(failedIds(report), ['QUO-2'])
  const quo2 = report.invariants.find((result) => result.id === 'QUO-2')!
  assert.is(quo2.violation!.step, 0)
  assert.is(quo2.count, trace.steps.length)
  assert.match(quo2.violation!.message, /endpoints/)
  assert.match(renderAuditText(report), /QUO-2 at step 0 \(3 violations in all\)/)
  // Replayed by the model itself, the same trace passes.
  assert.is(auditTrace(trace, 'corrupted.trace.json').status, 'pass')
})

// ---- the authority graph ---------------------------------------------------

test('the ipc example\'s graph: containers nested, the child\'s send cap to init\'s endpoint crosses', () => {
  const report = auditTrace(readTrace(TRACES[0]!), TRACES[0]!)
  assert.equal(report.graph.containers.map((c) => [c.id, c.parent]), [[0, null], [5, 0]])
  const child = report.graph.nodes.find((node) => node.kind === 'process' && node.cluster === 5)!
  const endpoint = report.graph.nodes.find((node) => node.kind === 'endpoint')!
  const send = report.graph.edges.find((edge) => edge.from === child.id && edge.to === endpoint.id)!
  assert.equal({ crosses: send.crosses, fromContainer: send.fromContainer, toOwner: send.toOwner, rights: send.rights, badge: send.badge },
    { crosses: true, fromContainer: 5, toOwner: 0, rights: ['write', 'grant'], badge: 7 })
  assert.ok(report.graph.edges.filter((edge) => !edge.crosses).every((edge) => edge.fromContainer === edge.toOwner))
})

test('a cap waiting in a queue is an edge from the endpoint; a table entry an edge from the namespace\'s creator', () => {
  const ipc = readTrace(TRACES[0]!)
  const queued = auditTrace(ipc, TRACES[0]!, 7).graph.edges.filter((edge) => edge.at.place === 'message')
  assert.is(queued.length, 1)
  assert.equal({ from: queued[0]!.from, crosses: queued[0]!.crosses }, { from: 4, crosses: true })
  assert.match(renderDot(auditTrace(ipc, TRACES[0]!, 7).graph, 't'), /"o4" -> "o7" \[label="queued seq 0: rw--c"[^\n]*style="dashed"[^\n]*color="red"[^\n]*crosses="true"\]/)
  const tables = auditTrace(readTrace(TRACES[1]!), TRACES[1]!, 2).graph.edges.filter((edge) => edge.at.place === 'table')
  assert.is(tables.length, 1)
  assert.equal({ from: tables[0]!.from, at: tables[0]!.at, rights: tables[0]!.rights }, { from: 0, at: { place: 'table', namespace: 1, table: 'mount', key: '/data' }, rights: ['read', 'write'] })
})

test('who can reach what: receiving from a queue and granting at spawn carry objects across containers', () => {
  const report = auditTrace(readTrace(TRACES[0]!), TRACES[0]!, 7)
  const root = report.reach.find((entry) => entry.container === 0)!
  const region = root.reaches.find((reached) => reached.kind === 'region')!
  assert.ok(region.foreign)
  assert.equal(region.path.map((hop) => hop.how), ['queued', 'receives'])
  const child = report.reach.find((entry) => entry.container === 5)!
  const endpoint = child.reaches.find((reached) => reached.kind === 'endpoint')!
  assert.equal(endpoint.path, [{ how: 'holds', container: 5, process: 6, slot: 0, cap: 6 }])
  const device = child.reaches.find((reached) => reached.kind === 'device')!
  assert.equal(device.path.map((hop) => hop.how), ['holds', 'grants'])
  const isolated = auditState(capCoreState()).reach.find((entry) => entry.container === 3)!
  assert.ok(isolated.reaches.some((reached) => reached.object === 6 && reached.foreign))
})

test('who can reach what: every right shown has a way shown that gives it, no more than the cap it starts from holds', () => {
  const states: KernelState[] = [...PRESETS.map((preset) => boot(preset.boot, preset.images))]
  for (const file of TRACES) {
    const trace = readTrace(file)
    let state = boot(trace.boot, trace.images)
    states.push(state)
    for (const traceStep of trace.steps) { state = step(state, traceStep.syscall).state; states.push(state) }
  }
  let routes = 0
  let several = 0
  for (const state of states) {
    for (const entry of reachability(state)) {
      for (const reached of entry.reaches) {
        assert.ok(reached.routes.length > 0)
        assert.equal(reached.path, reached.routes[0]!.path)
        const union = new Set(reached.routes.flatMap((route) => route.rights))
        assert.equal([...union].sort(), [...reached.rights].sort(), `${entry.label} → ${reached.label}: the ways give other rights than the column`)
        const before = new Set<string>()
        for (const route of reached.routes) {
          routes++
          // Each way adds a right the ones before it do not give, and gives no right the cap it starts from lacks.
          assert.ok(route.rights.some((right) => !before.has(right)) || route === reached.routes[0], `${entry.label} → ${reached.label}: a way that adds no right`)
          for (const right of route.rights) before.add(right)
          const first = route.path[0]!
          const cap = 'cap' in first ? state.ksCaps.get(first.cap as number) : undefined
          assert.ok(cap !== undefined, `${entry.label} → ${reached.label}: the way does not start from a live cap`)
          const held = new Set(rightsNames(cap!.rights))
          for (const right of route.rights) assert.ok(held.has(right), `${entry.label} → ${reached.label}: ${right} through ${JSON.stringify(route.path)}, whose cap ${cap!.id} lacks it`)
        }
        if (reached.routes.length > 1) several++
      }
    }
  }
  console.log(`  ${routes} ways checked over ${states.length} states, ${several} objects reached by more than one`)
  assert.ok(several > 0, 'no object was reached in two ways with other rights: the case the ways are for was not met')
})

test('the DOT output is a digraph with a cluster per container, nested, and a red crossing edge', () => {
  const report = auditTrace(readTrace(TRACES[0]!), TRACES[0]!)
  const dot = renderDot(report.graph, 'ipc-transfer')
  assert.ok(dot.startsWith('digraph authority {'))
  assert.ok(dot.trimEnd().endsWith('}'))
  const outer = dot.indexOf('subgraph "cluster_0" {')
  const inner = dot.indexOf('subgraph "cluster_5" {')
  assert.ok(outer > 0 && inner > outer, 'cluster_5 inside cluster_0')
  assert.match(dot, /^ {4}subgraph "cluster_5" \{$/m)
  assert.match(dot, /^ {4}graph \[label="container 0 \\"root\\""/m)
  assert.match(dot, /"o6" -> "o4" \[label="slot 0: -w-g- badge 7"[^\n]*color="red"[^\n]*class="crosses"[^\n]*crosses="true"\]/)
  assert.is((dot.match(/\{/g) ?? []).length, (dot.match(/\}/g) ?? []).length)
  assert.is((dot.match(/ -> /g) ?? []).length, report.graph.edges.length)
})

test('the SVG renders with Graphviz: an <svg> with the containers, nodes and the crossing edges', async () => {
  const report = auditTrace(readTrace(TRACES[0]!), TRACES[0]!)
  const svg = await renderSvg(renderDot(report.graph, 'ipc-transfer'))
  assert.ok(svg.startsWith('<svg'))
  assert.ok(svg.trimEnd().endsWith('</svg>'))
  assert.match(svg, /container 0 &quot;root&quot;/)
  assert.match(svg, />container 5</)
  assert.is((svg.match(/<g id="node\d+" class="node">/g) ?? []).length, report.graph.nodes.length)
  assert.is((svg.match(/<g id="clust\d+" class="cluster">/g) ?? []).length, report.graph.containers.length)
  assert.is((svg.match(/class="edge crosses"/g) ?? []).length, report.graph.edges.filter((edge) => edge.crosses).length)
})

// ---- SARIF -----------------------------------------------------------------

interface SarifResult {
  ruleId: string
  kind: string
  level: string
  locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } }; logicalLocations?: Array<{ name: string; kind: string }> }>
  properties: Record<string, unknown>
}
type SarifRun = { tool: { driver: { name: string; rules: Array<{ id: string; shortDescription: { text: string } }> } }; results: SarifResult[] }

function runOf(log: unknown): SarifRun {
  return (log as { runs: SarifRun[] }).runs[0]!
}

test('SARIF of a passing trace validates against the SARIF 2.1.0 schema and lists every rule, each as a pass', () => {
  const text = readFileSync(`${ROOT}${TRACES[0]}`, 'utf8')
  const log = auditSarif(auditTrace(readTrace(TRACES[0]!), TRACES[0]!), '0.1.0', text)
  assert.is(sarifErrors(log), '')
  const run = runOf(log)
  assert.is(run.tool.driver.name, 'sila audit')
  assert.equal(run.tool.driver.rules.map((rule) => rule.id), [...INVARIANT_IDS])
  assert.ok(run.tool.driver.rules.every((rule) => rule.shortDescription.text.length > 10))
  assert.ok(run.results.every((result) => result.kind === 'pass' && result.level === 'none'))
})

test('SARIF of a corrupted state names ISO-1 with the witness as logical locations, and validates', () => {
  const log = auditSarif(auditState(forgedReadCap(), 'forged.state.json'), '0.1.0')
  assert.is(sarifErrors(log), '')
  const failed = runOf(log).results.filter((result) => result.kind === 'fail')
  assert.equal(failed.map((result) => [result.ruleId, result.level]), [['ISO-1', 'error']])
  const location = failed[0]!.locations[0]!
  assert.is(location.physicalLocation.artifactLocation.uri, 'forged.state.json')
  assert.equal(location.logicalLocations!.map((logical) => logical.name), ['process 5 "pB"', 'container 3 "B"', 'cap 7', 'endpoint 6 "E"', 'container 2 "A"'])
  assert.ok(runOf(log).results.some((result) => result.ruleId === 'QUO-3' && result.kind === 'notApplicable'))
})

test('SARIF of a trace points a violation at its step in the trace file, and one at boot at the boot configuration', () => {
  const { trace, stepWith } = corruptedRun()
  const text = `${JSON.stringify(trace, null, 2)}\n`
  const report = auditTrace(trace, 'corrupted.trace.json', undefined, { stepWith })
  const log = auditSarif(report, '0.1.0', text)
  assert.is(sarifErrors(log), '')
  const failed = runOf(log).results.filter((result) => result.kind === 'fail')
  assert.equal(failed.map((result) => result.ruleId), ['QUO-2'])
  assert.equal({ step: failed[0]!.properties.step, pointer: failed[0]!.properties.jsonPointer, violations: failed[0]!.properties.violations }, { step: 0, pointer: '/steps/0', violations: 3 })
  assert.is(failed[0]!.locations[0]!.physicalLocation.region!.startLine, regionOf(text, ['steps', 0])!.startLine)
  // The same violation first found at boot, or after step 1, points at those lines.
  const moved = (step: number): AuditReport => ({ ...report, invariants: report.invariants.map((result) => (result.violation === null ? result : { ...result, violation: { ...result.violation, step } })) })
  const atBoot = runOf(auditSarif(moved(-1), '0.1.0', text)).results.find((result) => result.kind === 'fail')!
  assert.is(atBoot.properties.jsonPointer, '/boot')
  assert.is(atBoot.locations[0]!.physicalLocation.region!.startLine, regionOf(text, ['boot'])!.startLine)
  const at = runOf(auditSarif(moved(1), '0.1.0', text)).results.find((result) => result.kind === 'fail')!
  assert.is(at.properties.jsonPointer, '/steps/1')
  assert.is(at.locations[0]!.physicalLocation.region!.startLine, regionOf(text, ['steps', 1])!.startLine)
})

test('regions of JSON pointers: objects, arrays, escaped keys, absent paths', () => {
  const text = '{\n  "a": [1, {"b\\"x": "q\\\\"}],\n  "c": {}\n}\n'
  const slice = (region: ReturnType<typeof regionOf>) => text.slice(region!.charOffset, region!.charOffset + region!.charLength)
  const escaped = regionOf(text, ['a', 1, 'b"x'])!
  assert.is(slice(escaped), '"q\\\\"')
  assert.equal([escaped.startLine, escaped.startColumn, escaped.endLine, escaped.endColumn], [2, 21, 2, 26])
  assert.is(slice(regionOf(text, ['a'])), '[1, {"b\\"x": "q\\\\"}]')
  const empty = regionOf(text, ['c'])!
  assert.equal([slice(empty), empty.startLine, empty.startColumn], ['{}', 3, 8])
  assert.equal(regionOf(text, [])!.endLine, 4)
  assert.is(regionOf(text, ['a', 2]), null)
  assert.is(regionOf(text, ['z']), null)
  assert.is(regionOf('{oops', ['a']), null)
})

test.run()
