/**
 * From a decoded `sila-props/1` file to properties a checker runs: every name is
 * looked up in the declared system (model/boot.ts `bootNamed`) and every selector
 * checked for sense, so that a property cannot silently match nothing. A name that
 * is not declared, or declared as another kind, is refused with the JSON path and
 * the names that would do.
 * @module
 */
import { match } from 'ts-pattern'
import type { ObjectId, ObjectKind } from '../../spec/ids.js'
import { rightsMask, type RightsMask } from '../../spec/rights.js'
import { InputError } from '../../spec/decode.js'
import { listed, nearest } from '../../spec/exact.js'
import { INVARIANT_IDS } from '../../spec/invariants/types.js'
import type { Condition, ObjectSelector, PropertyDecl, PropsFile, Subject } from '../../spec/props.js'
import type { KernelState } from '../../model/state.js'
import type { UserProperty } from './define.js'
import { countOf, findEscaped, findFlow, findHeld, plainLabel, type Label, type ResolvedCount, type ResolvedObjects, type ResolvedSubject, type Witness } from './evaluate.js'

/** The declared system a property file is read against: its boot state and its names. */
export interface SystemNames {
  readonly state: KernelState
  readonly names: ReadonlyMap<string, ObjectId>
  readonly devices: ReadonlyMap<string, ObjectId>
}

/** A lookup failure, caught per property so that one file reports all of them. */
class NameProblem extends Error {}

function resolver(system: SystemNames) {
  const kindOf = (id: ObjectId): ObjectKind | undefined => system.state.ksObjects.get(id)?.kind
  const namesOf = (kind: ObjectKind) => [...system.names].filter(([, id]) => kindOf(id) === kind).map(([name]) => name)

  const named = (name: string, kind: ObjectKind | null, path: string): ObjectId => {
    const id = system.names.get(name)
    if (id !== undefined && (kind === null || kindOf(id) === kind)) return id
    const known = kind === null ? [...system.names.keys()] : namesOf(kind)
    const what = kind ?? 'object'
    if (id !== undefined) throw new NameProblem(`${path}: ${JSON.stringify(name)} is a ${kindOf(id)}, not a ${what}`)
    const guess = nearest(name, known)
    const hint = guess !== undefined ? `; did you mean ${JSON.stringify(guess)}?` : known.length > 0 ? `; the system declares: ${listed(known)}` : '; the system declares none'
    throw new NameProblem(`${path}: no ${what} named ${JSON.stringify(name)}${hint}`)
  }
  const device = (name: string, path: string): ObjectId => {
    const id = system.devices.get(name)
    if (id !== undefined) return id
    const known = [...system.devices.keys()]
    const guess = nearest(name, known)
    throw new NameProblem(`${path}: no device named ${JSON.stringify(name)}${guess !== undefined ? `; did you mean ${JSON.stringify(guess)}?` : `; the boot configuration has: ${listed(known) || 'none'}`}`)
  }
  const subject = (value: Subject, path: string): ResolvedSubject => {
    const keys = Object.keys(value)
    if (keys.length !== 1) throw new NameProblem(`${path}: names exactly one of "process" or "container" (found ${keys.length === 0 ? 'neither' : 'both'})`)
    return value.process !== undefined ? { process: named(value.process, 'process', `${path}.process`) } : { container: named(value.container!, 'container', `${path}.container`) }
  }
  const objects = (value: ObjectSelector, path: string): ResolvedObjects => {
    const keys = Object.keys(value)
    if (value.name !== undefined || value.device !== undefined) {
      if (keys.length !== 1) throw new NameProblem(`${path}: "${value.name !== undefined ? 'name' : 'device'}" picks one object and goes alone (found ${keys.map((k) => JSON.stringify(k)).join(', ')})`)
      return { one: value.name !== undefined ? named(value.name, null, `${path}.name`) : device(value.device!, `${path}.device`) }
    }
    if (keys.length === 0) throw new NameProblem(`${path}: picks nothing; give "name", "device", "kind" or "owner"`)
    return { kind: value.kind ?? null, owner: value.owner === undefined ? null : named(value.owner, 'container', `${path}.owner`) }
  }
  const count = (value: { measure: string; container?: string; endpoint?: string }, path: string): ResolvedCount => {
    if (value.measure === 'queued') {
      if (value.endpoint === undefined || value.container !== undefined) throw new NameProblem(`${path}: "queued" counts the messages of one "endpoint" (and no "container")`)
      return { measure: 'queued', of: named(value.endpoint, 'endpoint', `${path}.endpoint`) }
    }
    if (value.container === undefined || value.endpoint !== undefined) throw new NameProblem(`${path}: ${JSON.stringify(value.measure)} counts for one "container" (and no "endpoint")`)
    return { measure: value.measure as ResolvedCount['measure'], of: named(value.container, 'container', `${path}.container`) }
  }
  const nameOf = new Map<ObjectId, string>()
  for (const [name, id] of [...system.names, ...system.devices]) nameOf.set(id, name)
  const label: Label = (state, id) => {
    const name = id === null ? undefined : nameOf.get(id)
    return name === undefined ? plainLabel(state, id) : `${state.ksObjects.get(id!)?.kind ?? 'object'} ${name}`
  }
  const countText = (state: KernelState, counted: ResolvedCount) => `${counted.measure} of ${label(state, counted.of)}`
  return { named, subject, objects, count, label, countText }
}

type Resolver = ReturnType<typeof resolver>

/**
 * A declared property once its names are resolved: what a compiled evaluator
 * (checker/explore/impl-props.ts, on the impl's tables) needs to decide it with
 * the same meaning as its test on model states.
 */
export type PropertyPlan =
  | { readonly kind: 'never-holds'; readonly subject: ResolvedSubject; readonly objects: ResolvedObjects; readonly rights: RightsMask }
  | { readonly kind: 'confined'; readonly objects: ResolvedObjects; readonly inside: ReadonlyArray<ObjectId> }
  | { readonly kind: 'no-flow'; readonly from: ObjectId; readonly to: ObjectId; readonly both: boolean }
  | { readonly kind: 'bound'; readonly count: ResolvedCount; readonly max: number }
  | { readonly kind: 'sometimes'; readonly when: ReadonlyArray<ConditionPlan> }

/** One resolved condition of a `sometimes`. */
export type ConditionPlan =
  | { readonly holds: { readonly subject: ResolvedSubject; readonly objects: ResolvedObjects; readonly rights: RightsMask } }
  | { readonly flow: { readonly from: ObjectId; readonly to: ObjectId } }
  | { readonly atLeast: { readonly count: ResolvedCount; readonly value: number } }

const plans = new WeakMap<UserProperty, PropertyPlan>()

/** The resolved form of a property read from a `sila-props/1` file (undefined for a property written in code). */
export function planOf(property: UserProperty): PropertyPlan | undefined {
  return plans.get(property)
}

/** A `sometimes` condition as a test: a witness when it holds. */
function condition(r: Resolver, value: Condition, path: string): { test: (state: KernelState) => Witness | null; plan: ConditionPlan } {
  const keys = Object.keys(value)
  if (keys.length !== 1) throw new NameProblem(`${path}: a condition has exactly one of "holds", "flow" or "atLeast" (found ${keys.length === 0 ? 'none' : keys.map((k) => JSON.stringify(k)).join(', ')})`)
  if (value.holds !== undefined) {
    const who = r.subject(value.holds.subject, `${path}.holds.subject`)
    const what = r.objects(value.holds.object, `${path}.holds.object`)
    const rights = rightsMask(value.holds.rights ?? [])
    return { test: (state) => findHeld(state, who, what, rights, r.label), plan: { holds: { subject: who, objects: what, rights } } }
  }
  if (value.flow !== undefined) {
    const from = r.named(value.flow.from, 'container', `${path}.flow.from`)
    const to = r.named(value.flow.to, 'container', `${path}.flow.to`)
    return { test: (state) => findFlow(state, from, to, r.label), plan: { flow: { from, to } } }
  }
  const atLeast = value.atLeast!
  const counted = r.count(atLeast, `${path}.atLeast`)
  return {
    test: (state) => {
      const found = countOf(state, counted)
      return found >= atLeast.value ? { message: `${r.countText(state, counted)} is ${found} ≥ ${atLeast.value}`, detail: { measure: counted.measure, of: counted.of, value: found } } : null
    },
    plan: { atLeast: { count: counted, value: atLeast.value } },
  }
}

/** One declared property as a test of a state (its meaning per kind: spec/props.ts). */
function compile(r: Resolver, decl: PropertyDecl, path: string): Pick<UserProperty, 'kind' | 'test'> & { plan: PropertyPlan } {
  return match(decl)
    .with({ kind: 'never-holds' }, (d) => {
      const who = r.subject(d.subject, `${path}.subject`)
      const what = r.objects(d.object, `${path}.object`)
      const rights = rightsMask(d.rights ?? [])
      return { kind: 'always' as const, test: (state: KernelState) => findHeld(state, who, what, rights, r.label), plan: { kind: 'never-holds' as const, subject: who, objects: what, rights } }
    })
    .with({ kind: 'confined' }, (d) => {
      const what = r.objects(d.object, `${path}.object`)
      if (d.within.length === 0) throw new NameProblem(`${path}.within: names no container; a cap confined to nothing is never-holds for everyone`)
      const inside = d.within.map((name, index) => r.named(name, 'container', `${path}.within[${index}]`))
      return { kind: 'always' as const, test: (state: KernelState) => findEscaped(state, what, inside, r.label), plan: { kind: 'confined' as const, objects: what, inside } }
    })
    .with({ kind: 'no-flow' }, (d) => {
      const from = r.named(d.from, 'container', `${path}.from`)
      const to = r.named(d.to, 'container', `${path}.to`)
      if (from === to) throw new NameProblem(`${path}: "from" and "to" are the same container`)
      return {
        kind: 'always' as const, test: (state: KernelState) => findFlow(state, from, to, r.label) ?? (d.both === true ? findFlow(state, to, from, r.label) : null),
        plan: { kind: 'no-flow' as const, from, to, both: d.both === true },
      }
    })
    .with({ kind: 'bound' }, (d) => {
      const counted = r.count(d, path)
      return {
        kind: 'always' as const,
        plan: { kind: 'bound' as const, count: counted, max: d.max },
        test: (state: KernelState) => {
          const found = countOf(state, counted)
          return found > d.max ? { message: `${r.countText(state, counted)} is ${found} > ${d.max}`, detail: { measure: counted.measure, of: counted.of, value: found, max: d.max } } : null
        },
      }
    })
    .with({ kind: 'sometimes' }, (d) => {
      if (d.when.length === 0) throw new NameProblem(`${path}.when: lists no condition`)
      const conditions = d.when.map((c, index) => condition(r, c, `${path}.when[${index}]`))
      const tests = conditions.map((c) => c.test)
      return {
        kind: 'sometimes' as const,
        plan: { kind: 'sometimes' as const, when: conditions.map((c) => c.plan) },
        test: (state: KernelState) => {
          const found: Witness[] = []
          for (const test of tests) {
            const witness = test(state)
            if (witness === null) return null
            found.push(witness)
          }
          return { message: found.map((w) => w.message).join('; '), detail: { conditions: found.map((w) => w.detail) } }
        },
      }
    })
    .exhaustive()
}

/**
 * The properties of `props` (read from `file`) against the declared system, in file
 * order, or an {@link InputError} naming every problem with its JSON path: a name
 * the system does not declare (or declares as another kind), a selector that picks
 * nothing or too much, two properties with one name, a name of the catalogue.
 */
export function resolveProps(props: PropsFile, file: string, system: SystemNames): UserProperty[] {
  const r = resolver(system)
  const problems: string[] = []
  const resolved: UserProperty[] = []
  const seen = new Map<string, number>()
  // An empty file checks nothing, silently: most likely a file not yet written, or the wrong one.
  if (props.properties.length === 0) problems.push('$.properties: lists no property; a props file states at least one')
  props.properties.forEach((decl, index) => {
    const path = `$.properties[${index}]`
    const first = seen.get(decl.name)
    if (first !== undefined) problems.push(`${path}.name: ${JSON.stringify(decl.name)} is also the name of $.properties[${first}]`)
    else if ((INVARIANT_IDS as ReadonlyArray<string>).includes(decl.name)) problems.push(`${path}.name: ${JSON.stringify(decl.name)} is the name of a catalogue invariant`)
    seen.set(decl.name, seen.get(decl.name) ?? index)
    try {
      const { plan, ...compiled } = compile(r, decl, path)
      const property: UserProperty = { name: decl.name, says: decl.says, origin: `${file} ${path}`, ...compiled }
      plans.set(property, plan)
      resolved.push(property)
    } catch (error) {
      if (!(error instanceof NameProblem)) throw error
      problems.push(error.message)
    }
  })
  if (problems.length > 0) throw new InputError(file, problems)
  return resolved
}

