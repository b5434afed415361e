/**
 * State snapshots, `sila-state/1`: a model {@link KernelState} written as JSON and
 * read back unchanged. Maps become arrays of `[key, value]` entries, sets become
 * arrays, rights masks become lists of right names (so that a person can read and
 * edit a snapshot), everything else is written as it is. Records refuse fields they
 * do not know, so a typo in a hand-edited snapshot is named rather than ignored.
 *
 * The decoder checks the encoding only (types, duplicate keys, an entry's key equal
 * to its value's id). Whether the state is one the kernel could reach is what the
 * invariants judge: a snapshot may describe a broken state on purpose.
 * @module
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { LimitsCodec } from '../../spec/limits.js'
import { ImageRecordCodec } from '../../spec/images.js'
import { Nat, PayloadCodec } from '../../spec/numbers.js'
import { RightsCodec, rightsMask, rightsNames, type RightsMask } from '../../spec/rights.js'
import { decodeOrThrow, parseJson } from '../../spec/decode.js'
import { byTag, closed, exact } from '../../spec/exact.js'
import type { ObjectId } from '../../spec/ids.js'
import type { KernelState } from '../../model/state.js'

/** The `format` field of a state snapshot. @public */
export const STATE_FORMAT = 'sila-state/1'

// ---- combinators -----------------------------------------------------------

/** A natural number or null. */
const NullableNat = t.union([Nat, t.null])

/**
 * A map written as an array of `[key, value]` entries, in the map's order. A key
 * that appears twice is refused, and `keyOf`, when given, must agree with the key
 * (an object's id, a namespace's id).
 * @public
 */
export function mapEntries<K, KO, V, VO>(name: string, key: t.Type<K, KO, unknown>, value: t.Type<V, VO, unknown>, keyOf?: (value: V) => K) {
  const entries = t.array(t.tuple([exact(key), exact(value)]))
  return new t.Type<ReadonlyMap<K, V>, Array<[KO, VO]>, unknown>(
    name,
    (u): u is ReadonlyMap<K, V> => u instanceof Map,
    (u, c) => E.chain((pairs: Array<[K, V]>) => {
      const seen = new Set<K>()
      for (const [index, [k, v]] of pairs.entries()) {
        const at = [...c, { key: String(index), type: entries, actual: pairs[index] }, { key: '0', type: key, actual: k }]
        if (seen.has(k)) return t.failures<ReadonlyMap<K, V>>([{ value: k, context: at, message: `a key not already used in ${name}` }])
        if (keyOf !== undefined && keyOf(v) !== k) return t.failures<ReadonlyMap<K, V>>([{ value: k, context: at, message: `the key ${JSON.stringify(keyOf(v))} (the id of the entry's value)` }])
        seen.add(k)
      }
      return t.success<ReadonlyMap<K, V>>(new Map(pairs))
    })(entries.validate(u, c)),
    (map) => [...map].map(([k, v]): [KO, VO] => [key.encode(k), value.encode(v)]),
  )
}

/** A set written as an array; an element that appears twice is refused. @public */
export function setOf<A, O>(name: string, element: t.Type<A, O, unknown>) {
  const items = t.array(exact(element))
  return new t.Type<ReadonlySet<A>, O[], unknown>(
    name,
    (u): u is ReadonlySet<A> => u instanceof Set,
    (u, c) => E.chain((list: A[]) => {
      const duplicate = list.findIndex((item, index) => list.indexOf(item) !== index)
      if (duplicate >= 0) return t.failure<ReadonlySet<A>>(list[duplicate], [...c, { key: String(duplicate), type: element, actual: list[duplicate] }], `an element not already in ${name}`)
      return t.success<ReadonlySet<A>>(new Set(list))
    })(items.validate(u, c)),
    (set) => [...set].map((item) => element.encode(item)),
  )
}

/** A rights mask written as right names (`["read", "grant"]`). @public */
export const RightsMaskCodec = new t.Type<RightsMask, string[], unknown>(
  'Rights',
  (u): u is RightsMask => typeof u === 'number' && Number.isInteger(u) && u >= 0 && u < 32,
  (u, c) => E.map((names: t.TypeOf<typeof RightsCodec>) => rightsMask(names))(RightsCodec.validate(u, c)),
  (mask) => rightsNames(mask),
)

// ---- the state -------------------------------------------------------------

/** A uid map; the model gives namespaces other than user ones a map of count 0. */
const UidMapJsonCodec = closed('UidMap', { base: Nat, count: Nat })
const UsageCodec = closed('Usage', { memoryBytes: Nat, processes: Nat, endpoints: Nat, cpuBudget: Nat, ioBytes: Nat })
const NamespaceRefsCodec = closed('NamespaceRefs', { pid: Nat, mount: Nat, net: Nat, ipc: Nat, user: Nat })
const MappingCodec = closed('Mapping', { cap: Nat, region: Nat, perms: RightsMaskCodec })
const MessageCodec = closed('Message', { seq: Nat, payload: PayloadCodec, badge: Nat, cap: NullableNat })

const ObjectCodec = byTag('KernelObject', 'kind', {
  container: closed('ContainerObject', {
    kind: t.literal('container'), id: Nat, owner: NullableNat, parent: NullableNat, limits: LimitsCodec, usage: UsageCodec, namespaces: NamespaceRefsCodec,
  }),
  process: closed('ProcessObject', {
    kind: t.literal('process'), id: Nat, owner: NullableNat, ref: Nat, uid: Nat, status: t.keyof({ running: null, dead: null }),
    slots: t.array(NullableNat), mappings: t.array(MappingCodec), pids: mapEntries('pids', Nat, Nat), image: t.union([t.string, t.null]), imageBytes: Nat,
  }),
  region: closed('RegionObject', { kind: t.literal('region'), id: Nat, owner: NullableNat, sizeBytes: Nat, executable: t.boolean }),
  endpoint: closed('EndpointObject', { kind: t.literal('endpoint'), id: Nat, owner: NullableNat, depth: Nat, queue: t.array(MessageCodec) }),
  device: closed('DeviceObject', { kind: t.literal('device'), id: Nat, owner: NullableNat, name: t.string }),
})

const CapLocationCodec = byTag('CapLocation', 'place', {
  slot: closed('SlotLocation', { place: t.literal('slot'), process: Nat, slot: Nat }),
  table: closed('TableLocation', { place: t.literal('table'), namespace: Nat, key: t.string }),
  message: closed('MessageLocation', { place: t.literal('message'), endpoint: Nat, seq: Nat }),
})

const CapCodec = closed('Cap', { id: Nat, object: Nat, rights: RightsMaskCodec, badge: Nat, parent: NullableNat, at: CapLocationCodec })

const NamespaceCodec = closed('Namespace', {
  id: Nat, kind: t.keyof({ pid: null, mount: null, net: null, ipc: null, user: null }), creator: Nat, parent: NullableNat, userNamespace: Nat,
  entries: mapEntries('entries', t.string, Nat), uidMap: UidMapJsonCodec, pidNext: Nat,
})

const stateCodec = closed('KernelState', {
  ksObjects: mapEntries('ksObjects', Nat, ObjectCodec, (object) => object.id),
  ksCaps: mapEntries('ksCaps', Nat, CapCodec, (cap) => cap.id),
  ksNamespaces: mapEntries('ksNamespaces', Nat, NamespaceCodec, (namespace) => namespace.id),
  ksProcessRefs: t.array(Nat),
  ksRoot: Nat,
  ksInit: Nat,
  ksObjectNext: Nat,
  ksCapNext: Nat,
  ksNamespaceNext: Nat,
  ksMessageSeqNext: Nat,
  ksImages: mapEntries('ksImages', t.string, ImageRecordCodec, (image) => image.digest),
  ksKeyring: setOf('ksKeyring', t.string),
  ksFloors: mapEntries('ksFloors', t.string, t.string),
  ksCpuAccounting: t.boolean,
  gsMessages: closed('MessageLedger', { sent: Nat, received: Nat, discarded: Nat }),
  gsLastReceived: mapEntries('gsLastReceived', Nat, Nat),
  gsFlows: mapEntries('gsFlows', t.string, RightsMaskCodec),
})

/** What the state codec decodes to must be a {@link KernelState}; this line fails to compile otherwise. */
const decodedIsState = (decoded: t.TypeOf<typeof stateCodec>): KernelState => decoded
void decodedIsState

/** The JSON shape of a state inside a snapshot. @public */
export type KernelStateJson = t.OutputOf<typeof stateCodec>

/** A {@link KernelState} as JSON: decode reads a snapshot's `state`, encode writes one. @public */
export const KernelStateCodec = stateCodec as unknown as t.Type<KernelState, KernelStateJson, unknown>

/** Display names of objects (`[id, "name"]`), from a boot configuration's declared system. */
const LabelsCodec = mapEntries('labels', Nat, t.string)

/** A `sila-state/1` file. @public */
export const SnapshotCodec = closed('Snapshot', { format: t.literal(STATE_FORMAT), state: KernelStateCodec }, {
  /** Where the state comes from, for people (a trace and a step, a preset). */
  source: t.string,
  /** Names for objects, shown in audits: the names a boot configuration declared. */
  labels: LabelsCodec,
})

/** A decoded snapshot. @public */
export interface Snapshot {
  readonly format: typeof STATE_FORMAT
  readonly state: KernelState
  readonly source?: string
  readonly labels?: ReadonlyMap<ObjectId, string>
}

/** The snapshot of `state` as JSON text (two-space indented, a final newline). @public */
export function encodeSnapshot(snapshot: Omit<Snapshot, 'format'>): string {
  const value = SnapshotCodec.encode({ format: STATE_FORMAT, ...snapshot } as t.TypeOf<typeof SnapshotCodec>)
  return `${JSON.stringify(value, null, 2)}\n`
}

/**
 * Reads snapshot text from `file`. Refuses text that is not JSON or does not
 * decode, with an {@link InputError} naming the file and the JSON path.
 * @public
 */
export function decodeSnapshot(text: string, file: string): Snapshot {
  return decodeSnapshotValue(parseJson(text, file), file)
}

/** Decodes an already parsed snapshot read from `file`. @public */
export function decodeSnapshotValue(value: unknown, file: string): Snapshot {
  return decodeOrThrow(SnapshotCodec, value, file) as Snapshot
}
