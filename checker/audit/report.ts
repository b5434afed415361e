/**
 * An audit of a state or a trace (tooling.md §5), as one plain-JSON value that every
 * output format renders: the verdict of each invariant, the authority graph of the
 * state, and who can reach what.
 * @module
 */
import type { ObjectId } from '../../spec/ids.js'
import type { KernelState } from '../../model/state.js'
import type { step as modelStep } from '../../model/step.js'
import type { Trace } from '../../spec/trace.js'
import { authorityGraph, type AuthorityGraph } from './graph.js'
import { auditStateInvariants, auditTraceInvariants, type InvariantResult } from './invariants.js'
import { bootLabels } from './labels.js'
import { reachability, type ContainerReach } from './reach.js'
import { authorityClosure, authoritySection, type AuthoritySection } from './authority.js'
import type { Snapshot } from './snapshot.js'
import type { PropertyAuditRow } from './properties.js'

/** What was audited. @public */
export interface AuditSubject {
  readonly kind: 'state' | 'trace'
  /** The file as the user named it. */
  readonly file: string
  readonly format: 'sila-state/1' | 'sila-trace/1'
  /** The trace's description or the snapshot's source, if it has one. */
  readonly description: string | null
  /** For a trace: steps replayed (the graph is of the state after the last of them). */
  readonly steps: number | null
}

/** An audit of a state or a trace. @public */
export interface AuditReport {
  readonly subject: AuditSubject
  /** `fail` when some invariant failed. */
  readonly status: 'pass' | 'fail'
  readonly invariants: ReadonlyArray<InvariantResult>
  readonly graph: AuthorityGraph
  readonly reach: ReadonlyArray<ContainerReach>
  /** With `authority`: what each process may come to hold beyond what it holds (checker/audit/authority.ts). */
  readonly authority?: AuthoritySection
  /** With `--props`: each user property in the audited state (checker/audit/properties.ts). */
  readonly properties?: ReadonlyArray<PropertyAuditRow>
}

/** What an audit adds to the default sections. @public */
export interface AuditOptions {
  /** The static authority section, per process. */
  readonly authority?: boolean
  /** The processes that act, for the static analysis (a system's actors; absent: every running process). */
  readonly acting?: ReadonlyArray<ObjectId>
  /** The step function a trace is replayed with (the model's by default; a copy of it, such as a model mutant's). */
  readonly stepWith?: typeof modelStep
}

/**
 * The report narrowed to the invariants `catalogue` names (`--invariant`; absent:
 * all) and with the user properties' rows; an `always` violated now, or by a
 * run the explored column found, fails it.
 * @public
 */
export function withProperties(report: AuditReport, rows: ReadonlyArray<PropertyAuditRow>, catalogue?: ReadonlyArray<string>): AuditReport {
  const invariants = catalogue === undefined ? report.invariants : report.invariants.filter((result) => catalogue.includes(result.id))
  const broken = rows.some((row) => row.status === 'violated' || row.explored?.status === 'violated')
  return { ...report, invariants, status: broken ? 'fail' : statusOf(invariants), ...(rows.length === 0 && report.properties === undefined ? {} : { properties: rows }) }
}

function statusOf(invariants: ReadonlyArray<InvariantResult>): 'pass' | 'fail' {
  return invariants.some((result) => result.status === 'fail') ? 'fail' : 'pass'
}

function assemble(subject: AuditSubject, invariants: ReadonlyArray<InvariantResult>, state: KernelState, labels: ReadonlyMap<ObjectId, string>, options: AuditOptions): AuditReport {
  const report = { subject, status: statusOf(invariants), invariants, graph: authorityGraph(state, labels), reach: reachability(state, labels) }
  return options.authority === true ? { ...report, authority: authoritySection(authorityClosure(state, { labels, ...(options.acting === undefined ? {} : { acting: options.acting }) })) } : report
}

/** Audits the state of a snapshot read from `file`. @public */
export function auditSnapshot(snapshot: Snapshot, file: string, options: AuditOptions = {}): AuditReport {
  const subject: AuditSubject = { kind: 'state', file, format: 'sila-state/1', description: snapshot.source ?? null, steps: null }
  return assemble(subject, auditStateInvariants(snapshot.state), snapshot.state, snapshot.labels ?? new Map(), options)
}

/** Audits a trace read from `file`, replaying its first `stepCount` steps (all by default). @public */
export function auditTrace(trace: Trace, file: string, stepCount?: number, options: AuditOptions = {}): AuditReport {
  const run = auditTraceInvariants(trace, stepCount, options.stepWith)
  const subject: AuditSubject = { kind: 'trace', file, format: 'sila-trace/1', description: trace.description ?? null, steps: run.steps }
  return assemble(subject, run.invariants, run.state, bootLabels(trace.boot, run.bootState), options)
}
