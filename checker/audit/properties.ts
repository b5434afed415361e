/**
 * The user's properties in `sila audit STATE --props FILE`: each one asked of the
 * audited state (a snapshot, the end of a trace, a preset's boot state). An
 * `always` property holds now or is violated now (with the witness); a `sometimes`
 * is reached now or not. One state says nothing about what may come later: the
 * static column (what a subject *could* come to hold, from the authority closure)
 * is given by a {@link StaticView}, the seam for that analysis.
 * @module
 */
import type { ObjectId } from '../../spec/ids.js'
import type { KernelState } from '../../model/state.js'
import type { UserProperty } from '../../properties/user/define.js'
import type { SystemNames } from '../../properties/user/resolve.js'
import type { Witness } from '../../properties/user/evaluate.js'

/** What a static analysis says of a property on the audited state: a verdict word and its evidence (derivations). @public */
export interface StaticVerdict {
  /** For example `may` (the closure allows it) or `never` (it does not). */
  readonly verdict: string
  /** Why, one line each (`pB → E[grant] → …`). */
  readonly evidence?: ReadonlyArray<string>
}

/** A static analysis of properties: its verdict on one property in one state, or null when it has none. @public */
export type StaticView = (property: UserProperty, state: KernelState) => StaticVerdict | null

/** One user property in an audit. @public */
export interface PropertyAuditRow {
  readonly name: string
  readonly says: string
  readonly kind: 'always' | 'sometimes'
  /** In the audited state: `holds` or `violated` (`always`), `reached` or `not reached` (`sometimes`). */
  readonly status: 'holds' | 'violated' | 'reached' | 'not reached'
  /** Why it is violated, or the good state a `sometimes` found; null otherwise. */
  readonly witness: Witness | null
  /** The static view's verdict, when one was asked ({@link StaticView}). */
  readonly static?: StaticVerdict
  /** A bounded explore from the audited boot state, when one was asked (`--depth`; checker/audit/property-explore.ts). */
  readonly explored?: ExploredVerdict
}

/** What a bounded explore from the audited state found for one property. @public */
export interface ExploredVerdict {
  /** As `sila explore` says it: `violated`, `held` (within the bounds, or everywhere when complete), `witnessed`, `vacuous`, `unreachable`. */
  readonly status: 'held' | 'violated' | 'witnessed' | 'vacuous' | 'unreachable'
  /** One sentence: how far the search went, or after how many steps it broke or found. */
  readonly message: string
  /** Steps of the shortest counterexample or witness found. */
  readonly steps?: number
  /** The depth reached, the distinct states, and whether the search was exhaustive. */
  readonly depth: number
  readonly distinct: number
  readonly complete: boolean
}

/** The audit row of one property in `state`, with the static view's column when `staticView` is given. @public */
export function propertyAuditRow(property: UserProperty, state: KernelState, staticView?: StaticView): PropertyAuditRow {
  const witness = property.test(state)
  const status = property.kind === 'always' ? (witness === null ? 'holds' : 'violated') : witness === null ? 'not reached' : 'reached'
  const verdict = staticView?.(property, state) ?? null
  return { name: property.name, says: property.says, kind: property.kind, status, witness, ...(verdict === null ? {} : { static: verdict }) }
}

/** Every property's audit row in `state`, in the order given. @public */
export function auditProperties(state: KernelState, properties: ReadonlyArray<UserProperty>, staticView?: StaticView): PropertyAuditRow[] {
  return properties.map((property) => propertyAuditRow(property, state, staticView))
}

/**
 * The names a snapshot's props file is read against: the snapshot's labels (the
 * names its boot configuration declared) and its devices by name.
 */
export function snapshotNames(state: KernelState, labels: ReadonlyMap<ObjectId, string>): SystemNames {
  const names = new Map<string, ObjectId>()
  for (const [id, name] of labels) if (state.ksObjects.has(id)) names.set(name, id)
  if (!names.has('root')) names.set('root', state.ksRoot)
  if (!names.has('init') && state.ksObjects.has(state.ksInit)) names.set('init', state.ksInit)
  const devices = new Map<string, ObjectId>()
  for (const object of state.ksObjects.values()) if (object.kind === 'device') devices.set(object.name, object.id)
  return { state, names, devices }
}
