/**
 * Audit results as SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format),
 * so that code-scanning tools show them: one run of the tool `sila audit`, whose
 * rules are the checks (the invariant catalogue, or an image's checks), one result
 * per check: `fail` (level `error`) with the witness as logical locations and, for
 * a trace, the step's place in the trace file; `pass` and `notApplicable` (level
 * `none`) for the others, so that a reader sees what was checked.
 * @module
 */
import { sep } from 'node:path'
import { jsonPointer, regionOf, type TextRegion } from './locate.js'
import { BOOT_STEP } from './invariants.js'
import type { AuditReport } from './report.js'
import { IMAGE_CHECKS, type ImageAuditReport } from './image.js'

/** The schema URI written in `$schema`. @public */
export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json'

/** The tool name SARIF consumers show. @public */
export const SARIF_TOOL = 'sila audit'

/** A SARIF logical location: something named in a witness. @public */
export interface SarifLogicalLocation {
  readonly name: string
  readonly fullyQualifiedName: string
  readonly kind: 'object' | 'resource' | 'namespace' | 'module'
}

/** A rule: one check, stated. @public */
export interface SarifRuleInput {
  readonly id: string
  readonly statement: string
}

/** One check's verdict, before it becomes a SARIF result. @public */
export interface SarifFinding {
  readonly ruleId: string
  readonly status: 'pass' | 'fail' | 'not-applicable'
  readonly message: string
  /** The file (as a path) and, optionally, where in it. */
  readonly artifact: { readonly path: string; readonly region: TextRegion | null }
  readonly logical: ReadonlyArray<SarifLogicalLocation>
  readonly properties: Readonly<Record<string, unknown>>
}

/** A file path as a URI reference: segments percent-encoded, `/` separated. */
export function pathUri(path: string): string {
  return path.split(sep).join('/').split('/').map(encodeURIComponent).join('/')
}

const KIND: Readonly<Record<SarifFinding['status'], string>> = { pass: 'pass', fail: 'fail', 'not-applicable': 'notApplicable' }

function sarifResult(finding: SarifFinding, ruleIndex: number, artifactIndex: number) {
  const region = finding.artifact.region
  const physicalLocation = {
    artifactLocation: { uri: pathUri(finding.artifact.path), index: artifactIndex },
    ...(region === null ? {} : { region: { startLine: region.startLine, startColumn: region.startColumn, endLine: region.endLine, endColumn: region.endColumn, charOffset: region.charOffset, charLength: region.charLength } }),
  }
  return {
    ruleId: finding.ruleId,
    ruleIndex,
    kind: KIND[finding.status],
    level: finding.status === 'fail' ? 'error' : 'none',
    message: { text: finding.message },
    locations: [{ physicalLocation, ...(finding.logical.length === 0 ? {} : { logicalLocations: finding.logical.map((location) => ({ ...location })) }) }],
    properties: finding.properties,
  }
}

/**
 * A SARIF 2.1.0 log of one run of `sila audit` (version `toolVersion`) with `rules`
 * and one result per finding. Every finding's file is listed once in `artifacts`.
 * @public
 */
export function sarifLog(rules: ReadonlyArray<SarifRuleInput>, findings: ReadonlyArray<SarifFinding>, toolVersion: string, properties: Readonly<Record<string, unknown>>) {
  const paths = [...new Set(findings.map((finding) => finding.artifact.path))]
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: SARIF_TOOL,
          version: toolVersion,
          rules: rules.map((rule) => ({ id: rule.id, shortDescription: { text: rule.statement }, defaultConfiguration: { level: 'error' } })),
        },
      },
      artifacts: paths.map((path) => ({ location: { uri: pathUri(path) } })),
      invocations: [{ executionSuccessful: true }],
      results: findings.map((finding) => sarifResult(finding, rules.findIndex((rule) => rule.id === finding.ruleId), paths.indexOf(finding.artifact.path))),
      properties,
    }],
  }
}

/** Witness fields that name things, and what they name. */
const WITNESS_KINDS: Readonly<Record<string, 'object' | 'cap' | 'namespace'>> = {
  object: 'object', capObject: 'object', region: 'object', endpoint: 'object', process: 'object', container: 'object', objectOwner: 'object',
  cap: 'cap', caps: 'cap', namespace: 'namespace',
}

/** The logical locations a witness names: its objects, caps and namespaces, once each. @public */
export function witnessLocations(witness: Readonly<Record<string, unknown>>, labelOf: (id: number) => string | undefined): SarifLogicalLocation[] {
  const found = new Map<string, SarifLogicalLocation>()
  for (const [key, value] of Object.entries(witness)) {
    const kind = WITNESS_KINDS[key]
    if (kind === undefined) continue
    for (const id of (Array.isArray(value) ? value : [value]).filter((item): item is number => typeof item === 'number')) {
      const location: SarifLogicalLocation = kind === 'object'
        ? { name: labelOf(id) ?? `object ${id}`, fullyQualifiedName: `object/${id}`, kind: 'object' }
        : kind === 'cap'
          ? { name: `cap ${id}`, fullyQualifiedName: `cap/${id}`, kind: 'resource' }
          : { name: `namespace ${id}`, fullyQualifiedName: `namespace/${id}`, kind: 'namespace' }
      found.set(location.fullyQualifiedName, location)
    }
  }
  return [...found.values()]
}

/** Where a trace step is in the trace: `/steps/N`, or `/boot` for the boot state. */
function stepPointer(step: number): Array<string | number> {
  return step === BOOT_STEP ? ['boot'] : ['steps', step]
}

/**
 * The SARIF log of an audit of a state or trace. `fileText`, the audited file's
 * text, lets a trace's results point at the lines of their step.
 * @public
 */
export function auditSarif(report: AuditReport, toolVersion: string, fileText?: string) {
  const labels = new Map(report.graph.nodes.map((node) => [node.id, node.label]))
  const findings = report.invariants.map((result): SarifFinding => {
    const step = result.violation?.step ?? null
    const pointer = step === null ? null : stepPointer(step)
    const region = pointer === null || fileText === undefined ? null : regionOf(fileText, pointer)
    const message = result.status === 'fail'
      ? `${result.violation!.message}${step === null ? '' : ` (${step === BOOT_STEP ? 'in the boot state' : `after step ${step}`}${result.count > 1 ? `; ${result.count} violations in all` : ''})`}`
      : result.status === 'pass' ? `${result.id} held${report.subject.kind === 'trace' ? ' in every state and step' : ''}` : `${result.id} reads transitions; a lone state has none`
    return {
      ruleId: result.id, status: result.status, message, artifact: { path: report.subject.file, region },
      logical: result.violation === null ? [] : witnessLocations(result.violation.witness, (id) => labels.get(id)),
      properties: result.violation === null ? {} : {
        ...(step === null ? {} : { step, jsonPointer: jsonPointer(pointer!) }), violations: result.count, witness: result.violation.witness,
      },
    }
  })
  // The user's properties (--props): a rule each, failing when violated in the audited state.
  const properties = report.properties ?? []
  for (const row of properties) {
    findings.push({
      ruleId: row.name, status: row.status === 'violated' ? 'fail' : 'pass',
      message: row.witness === null ? `${row.name} ${row.status} in the audited state` : `${row.name} ${row.status}: ${row.witness.message}`,
      artifact: { path: report.subject.file, region: null },
      logical: row.witness === null ? [] : witnessLocations(row.witness.detail, (id) => labels.get(id)),
      properties: { userProperty: true, kind: row.kind, status: row.status, ...(row.witness === null ? {} : { witness: row.witness.detail }), ...(row.static === undefined ? {} : { static: row.static }) },
    })
  }
  const rules = [...report.invariants.map((result) => ({ id: result.id, statement: result.statement })), ...properties.map((row) => ({ id: row.name, statement: row.says }))]
  return sarifLog(rules, findings, toolVersion, { subject: report.subject, status: report.status })
}

/** The SARIF log of an audit of an image directory. @public */
export function imageSarif(report: ImageAuditReport, toolVersion: string) {
  const image: SarifLogicalLocation = { name: `${report.subject.name}@${report.subject.version}`, fullyQualifiedName: `image/${report.subject.name}@${report.subject.version}`, kind: 'module' }
  const findings = report.checks.map((entry): SarifFinding => ({
    ruleId: entry.id, status: entry.status, message: entry.message, artifact: { path: entry.file, region: null },
    logical: [image], properties: { ...entry.details },
  }))
  return sarifLog(IMAGE_CHECKS, findings, toolVersion, { subject: report.subject, status: report.status })
}
