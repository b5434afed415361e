/**
 * The property file, `sila-props/1`: what a user states must hold (or must be
 * possible) in *their* declared system, by the names the boot configuration
 * declares. `sila check`, `sila explore` and `sila audit` take it with `--props`.
 *
 * ```json
 * { "format": "sila-props/1",
 *   "properties": [
 *     { "name": "web-never-writes-db", "says": "no process of web ever holds write on the db's data",
 *       "kind": "never-holds", "subject": { "container": "web" }, "object": { "name": "dbData" }, "rights": ["write"] } ] }
 * ```
 *
 * Kinds (the meaning of each is in properties/user/evaluate.ts and the README):
 * - `never-holds`: a subject never holds, in a CSpace slot, a cap to a selected
 *   object with rights ⊇ `rights` (any cap when `rights` is empty or absent);
 * - `confined`: every cap to a selected object stays inside `within` (slots of
 *   their processes, tables of namespaces they created, queues of endpoints they own);
 * - `no-flow`: information never can flow from one container to another (an
 *   object that a process of `from` can write and a process of `to` can read);
 *   `both` forbids the other direction too;
 * - `bound`: a count (a usage counter of a container, the caps its processes hold,
 *   its live processes, or the messages queued on an endpoint) never exceeds `max`;
 * - `sometimes`: a state where every condition of `when` holds is reachable. Found
 *   means a shortest witness trace; not found within the bounds is a vacuity warning.
 *
 * A *container* subject or owner means the container and every container nested in
 * it, including those created later: what a container does, its children may do.
 * @module
 */
import * as t from 'io-ts'
import { NameCodec, intRange } from './numbers.js'
import { RightsCodec } from './rights.js'

export const PROPS_FORMAT = 'sila-props/1'

/** Who holds: one declared process, or every process of a container (and of the containers nested in it). */
export const SubjectCodec = t.partial({ process: NameCodec, container: NameCodec })
export type Subject = t.TypeOf<typeof SubjectCodec>

/**
 * Which objects: one declared object (`name`: a container, process, endpoint or
 * region of the system), one device of the boot configuration (`device`), or every
 * object of a `kind`, of an `owner` container, or both.
 */
export const ObjectSelectorCodec = t.partial({
  name: NameCodec,
  device: NameCodec,
  kind: t.keyof({ container: null, process: null, endpoint: null, region: null, device: null }),
  owner: NameCodec,
})
export type ObjectSelector = t.TypeOf<typeof ObjectSelectorCodec>

/** What `bound` and `atLeast` count. */
export const MeasureCodec = t.keyof({
  memoryBytes: null, processes: null, endpoints: null, cpuBudget: null, ioBytes: null,
  caps: null, running: null, queued: null,
})
export type Measure = t.TypeOf<typeof MeasureCodec>

/** A count of a container (usage counters, `caps`, `running`) or of an endpoint (`queued`). */
export const CountCodec = t.intersection([
  t.type({ measure: MeasureCodec }),
  t.partial({ container: NameCodec, endpoint: NameCodec }),
])

const HoldsCodec = t.intersection([t.type({ subject: SubjectCodec, object: ObjectSelectorCodec }), t.partial({ rights: RightsCodec })])
const FlowCodec = t.type({ from: NameCodec, to: NameCodec })

/** One condition of a `sometimes`: exactly one of its fields. */
export const ConditionCodec = t.partial({
  holds: HoldsCodec,
  flow: FlowCodec,
  atLeast: t.intersection([CountCodec, t.type({ value: intRange(0, Number.MAX_SAFE_INTEGER, 'Count') })]),
})
export type Condition = t.TypeOf<typeof ConditionCodec>

const NamedCodec = t.type({ name: NameCodec, says: t.string })

export const PropertyDeclCodec = t.union([
  t.intersection([NamedCodec, t.type({ kind: t.literal('never-holds'), subject: SubjectCodec, object: ObjectSelectorCodec }), t.partial({ rights: RightsCodec })]),
  t.intersection([NamedCodec, t.type({ kind: t.literal('confined'), object: ObjectSelectorCodec, within: t.array(NameCodec) })]),
  t.intersection([NamedCodec, t.type({ kind: t.literal('no-flow'), from: NameCodec, to: NameCodec }), t.partial({ both: t.boolean })]),
  t.intersection([NamedCodec, t.type({ kind: t.literal('bound'), max: intRange(0, Number.MAX_SAFE_INTEGER, 'Count') }), CountCodec]),
  t.intersection([NamedCodec, t.type({ kind: t.literal('sometimes'), when: t.array(ConditionCodec) })]),
])
export type PropertyDecl = t.TypeOf<typeof PropertyDeclCodec>
export type PropertyKind = PropertyDecl['kind']

export const PropsFileCodec = t.intersection([
  t.type({ format: t.literal(PROPS_FORMAT), properties: t.array(PropertyDeclCodec) }),
  t.partial({ description: t.string }),
])
export type PropsFile = t.TypeOf<typeof PropsFileCodec>

