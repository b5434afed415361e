/**
 * The static column of `sila audit --props`: what the authority closure of the
 * audited state (authority.ts) says of each declared property, for every run from
 * that state at once. The closure is a sound over-approximation, so its answers
 * are one-sided:
 * - an `always` property is **proved** when no derivation can break it (no run
 *   from the state breaks it, at any depth), and **may fail** otherwise, with the
 *   derivation as evidence (a candidate attack for explore to confirm or not);
 * - a `sometimes` property is **impossible** when some condition has no
 *   derivation (no run reaches it: the property is vacuous for certain), and
 *   **may** when every condition has one.
 * `never-holds`, `confined` and `no-flow`, and the `holds` and `flow` conditions,
 * read caps, which the closure covers; `bound` and `atLeast` count quotas and
 * queues, which it does not (no verdict). Properties written in code have no
 * declared meaning to analyse (no verdict).
 * @module
 */
import { match } from 'ts-pattern'
import { R_READ, R_WRITE, rightsNames, type RightsMask } from '../../spec/rights.js'
import type { ObjectId } from '../../spec/ids.js'
import type { KernelState } from '../../model/state.js'
import type { UserProperty } from '../../properties/user/define.js'
import { planOf, type ConditionPlan } from '../../properties/user/resolve.js'
import type { ResolvedObjects, ResolvedSubject } from '../../properties/user/evaluate.js'
import { type AuthorityClosure, authorityClosure, authorityHopText, type Derivation, derivationText, type ObjectQuery, type Placement, type SubjectQuery } from './authority.js'
import type { StaticVerdict, StaticView } from './properties.js'

/** What the closure answers for one condition: a derivation (or two, for a flow) when possible, null when impossible, undefined when it cannot tell. */
type Answer = ReadonlyArray<string> | null | undefined

function subjectQuery(subject: ResolvedSubject): SubjectQuery {
  return 'process' in subject ? subject.process : { container: subject.container, subtree: true }
}

function objectQuery(objects: ResolvedObjects): ObjectQuery {
  if ('one' in objects) return objects.one
  return { ...(objects.kind === null ? {} : { kind: objects.kind }), ...(objects.owner === null ? {} : { owner: objects.owner, subtree: true }) }
}

function holds(closure: AuthorityClosure, subject: ResolvedSubject, objects: ResolvedObjects, rights: RightsMask): Answer {
  const found = closure.mayHold(subjectQuery(subject), objectQuery(objects), rights)
  return found === null ? null : [derivationText(closure, found)]
}

function placementText(closure: AuthorityClosure, placement: Placement): string {
  const label = (key: string) => closure.label(key)
  const { derivation } = placement
  const where = placement.where === 'queue' ? `the queue of ${label(placement.place)}` : label(placement.place)
  return `${label(derivation.object)} [${rightsNames(derivation.rights).join(',')}] may sit in ${where}: ${derivation.hops.map((hop) => authorityHopText(hop, label)).join(' → ')}`
}

/** A cap to a picked object may come to sit outside every container of `inside`: in a slot, a queue or a table. */
function escapes(closure: AuthorityClosure, objects: ResolvedObjects, inside: ReadonlyArray<ObjectId>): Answer {
  const query = objectQuery(objects)
  const outside = (container: string | null) => !inside.some((top) => closure.inside(container, top))
  const holder = closure.holders(query).filter((found) => outside(found.container)).sort((a, b) => a.derivation.hops.length - b.derivation.hops.length)[0]
  if (holder !== undefined) return [derivationText(closure, holder.derivation)]
  const placed = closure.placements(query).filter((found) => outside(found.container)).sort((a, b) => a.derivation.hops.length - b.derivation.hops.length)[0]
  return placed === undefined ? null : [placementText(closure, placed)]
}

/** A process of `from` may write and a process of `to` may read one object (findFlow's channel, for every run). */
function flows(closure: AuthorityClosure, from: ObjectId, to: ObjectId): Answer {
  const facts = closure.facts()
  const writer = new Map<string, Derivation>()
  for (const fact of facts) {
    if ((fact.rights & R_WRITE) === 0 || !closure.inside(closure.containerOf(fact.subject), from)) continue
    const known = writer.get(fact.object)
    if (known === undefined || fact.hops.length < known.hops.length) writer.set(fact.object, fact)
  }
  let best: [Derivation, Derivation] | null = null
  for (const fact of facts) {
    const wrote = writer.get(fact.object)
    if (wrote === undefined || (fact.rights & R_READ) === 0 || !closure.inside(closure.containerOf(fact.subject), to)) continue
    if (best === null || wrote.hops.length + fact.hops.length < best[0].hops.length + best[1].hops.length) best = [wrote, fact]
  }
  return best === null ? null : best.map((derivation) => derivationText(closure, derivation))
}

function condition(closure: AuthorityClosure, plan: ConditionPlan): Answer {
  if ('holds' in plan) return holds(closure, plan.holds.subject, plan.holds.objects, plan.holds.rights)
  if ('flow' in plan) return flows(closure, plan.flow.from, plan.flow.to)
  return undefined
}

/** An `always` property's answer as a verdict: a way to break it means it may fail. */
function always(answer: Answer): StaticVerdict | null {
  if (answer === undefined) return null
  return answer === null ? { verdict: 'proved' } : { verdict: 'may fail', evidence: answer }
}

/** The static verdict of one property on the closure, or null when the closure cannot tell. */
export function staticVerdict(closure: AuthorityClosure, property: UserProperty): StaticVerdict | null {
  const plan = planOf(property)
  if (plan === undefined) return null
  return match(plan)
    .with({ kind: 'never-holds' }, (p) => always(holds(closure, p.subject, p.objects, p.rights)))
    .with({ kind: 'confined' }, (p) => always(escapes(closure, p.objects, p.inside)))
    .with({ kind: 'no-flow' }, (p) => always(flows(closure, p.from, p.to) ?? (p.both ? flows(closure, p.to, p.from) : null)))
    .with({ kind: 'bound' }, () => null)
    .with({ kind: 'sometimes' }, (p): StaticVerdict | null => {
      const answers = p.when.map((c) => condition(closure, c))
      if (answers.some((answer) => answer === null)) return { verdict: 'impossible' }
      if (answers.some((answer) => answer === undefined)) return null
      return { verdict: 'may', evidence: answers.flatMap((answer) => answer ?? []) }
    })
    .exhaustive()
}

/**
 * The static view of properties on audited states: one closure per state (made
 * when first asked), `labels` naming the state's objects in derivations, `acting`
 * the processes that act (see ClosureOptions).
 */
export function closureView(labels: ReadonlyMap<ObjectId, string>, acting?: ReadonlyArray<ObjectId>): StaticView {
  let last: { state: KernelState; closure: AuthorityClosure } | null = null
  return (property, state) => {
    if (planOf(property) === undefined) return null
    if (last === null || last.state !== state) last = { state, closure: authorityClosure(state, { labels, ...(acting === undefined ? {} : { acting }) }) }
    return staticVerdict(last.closure, property)
  }
}
