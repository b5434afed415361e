/**
 * `sila export --format itf`: a `sila-trace/1` trace as an ITF trace (Apalache
 * ADR-015, https://apalache-mc.org/docs/adr/015adr-trace.html), the format Quint and
 * Apalache write and their trace viewers read.
 *
 * The states are the model's: the boot state, then the state after each step (the
 * model is run with `step`, the recorded outcomes are not trusted). Each state holds
 * these variables ({@link ITF_VARS}):
 *
 * - `objects`: map object id → the object as a record, its fields by kind (`kind`
 *   says which); rights are sets of right names, absent ids (`owner`, `parent`,
 *   `image`, empty slots, a message without a cap) are options;
 * - `caps`: map cap id → `{id, object, rights, badge, parent, at}`, `at` a record
 *   whose `place` is `slot`, `table` or `message`;
 * - `namespaces`: map namespace id → the namespace, `entries` a map key → cap id;
 * - `processRefs`: list of object ids by process creation index;
 * - `messages`, `lastReceived`, `flows`: the ghost state (the IPC-2 ledger, FIFO's
 *   last received sequence per endpoint, ISO-1's map (object, container) → rights);
 * - `lastSyscall`: the step's syscall as a record (`{kind: "boot"}` in the boot
 *   state; `{kind: "malformed", json}` for a step marked malformed, its JSON text);
 * - `lastOutcome`: `{ok: true, reply}` or `{ok: false, error}` as the model answered
 *   (`{ok: true, reply: {kind: "booted"}}` in the boot state);
 * - `violated`: the set of invariant ids violated in this state or by this step.
 *
 * Values are encoded as {@link encodeItfValue} describes (integers always
 * `#bigint`, options as Quint's `Some`/`None` variants). `#meta` carries no
 * timestamp, so the same trace always gives the same file. It carries no
 * `varTypes` either: objects are a union of records, which Apalache's type system
 * cannot state, so Apalache cannot read these traces back; Quint and the viewers can.
 * @module
 */
import { boot } from '../../model/boot.js'
import { producingModel } from './producer.js'
import type { Cap, KernelObject, KernelState, Namespace } from '../../model/state.js'
import { checkState, checkStep, type Violation } from '../../spec/invariants/index.js'
import { outcomeToJson, type OutcomeJson } from '../../spec/results.js'
import { rightsNames } from '../../spec/rights.js'
import { ExactSyscallCodec } from '../../spec/syscalls.js'
import type { Trace } from '../../spec/trace.js'
import {
  BOOL, INT, INT_OR_STR, JSON_SHAPE, STR, decodeItfValue, encodeItfValue, isReservedKey, listOf, mapOf, optionOf, optionValue,
  recordOf, setOf, tupleOf, unionOf, type ItfShape, type ItfValue, type JsonValue,
} from './itfValue.js'

/** An ITF state: `#meta.index` and one member per variable. @public */
export interface ItfState {
  readonly '#meta': { readonly index: number }
  readonly [variable: string]: ItfValue | { readonly index: number }
}

/** An ITF trace as this exporter writes it. @public */
export interface ItfTrace {
  readonly '#meta': Readonly<Record<string, unknown>>
  readonly vars: ReadonlyArray<string>
  readonly states: ReadonlyArray<ItfState>
}

/** One state's variables in plain JSON, as {@link ofItf} gives them back. @public */
export type ItfStateView = Readonly<Record<string, JsonValue>>

// ---- shapes of the variables -------------------------------------------------

const RIGHTS = setOf(STR)
const AMOUNTS = recordOf({ memoryBytes: INT, processes: INT, endpoints: INT, cpuBudget: INT, ioBytes: INT })
const LIMITS = recordOf({ memoryBytes: INT, processes: INT, endpoints: INT, cpuBudget: INT, ioBytes: INT, cpuWeight: INT, devices: setOf(STR) })
const OBJECT_BASE = { id: INT, owner: optionOf(INT) }

const OBJECT = unionOf('kind', {
  container: {
    ...OBJECT_BASE, parent: optionOf(INT), limits: LIMITS, usage: AMOUNTS,
    namespaces: recordOf({ pid: INT, mount: INT, net: INT, ipc: INT, user: INT }),
  },
  process: {
    ...OBJECT_BASE, ref: INT, uid: INT, status: STR, slots: listOf(optionOf(INT)),
    mappings: listOf(recordOf({ cap: INT, region: INT, perms: RIGHTS })), pids: mapOf(INT, INT), image: optionOf(STR), imageBytes: INT,
  },
  region: { ...OBJECT_BASE, sizeBytes: INT, executable: BOOL },
  endpoint: { ...OBJECT_BASE, depth: INT, queue: listOf(recordOf({ seq: INT, payload: INT_OR_STR, badge: INT, cap: optionOf(INT) })) },
  device: { ...OBJECT_BASE, name: STR },
})

const CAP = recordOf({
  id: INT, object: INT, rights: RIGHTS, badge: INT, parent: optionOf(INT),
  at: unionOf('place', { slot: { process: INT, slot: INT }, table: { namespace: INT, key: STR }, message: { endpoint: INT, seq: INT } }),
})

const NAMESPACE = recordOf({
  id: INT, kind: STR, creator: INT, parent: optionOf(INT), userNamespace: INT, entries: mapOf(STR, INT),
  uidMap: recordOf({ base: INT, count: INT }), pidNext: INT,
})

const REPLY = unionOf('kind', {
  booted: {},
  unit: {},
  cap: { objectKind: STR, rights: RIGHTS, badge: INT },
  stats: { limits: LIMITS, usage: AMOUNTS, reserved: AMOUNTS },
  spawned: { pid: optionOf(INT) },
  pids: { pids: listOf(INT) },
  message: { payload: INT_OR_STR, badge: INT, cap: STR },
  ran: { processes: listOf(INT) },
})

const OUTCOME = recordOf({ ok: BOOL }, { reply: REPLY, error: recordOf({ code: STR }, { resource: STR }) })

/** Every variable of a state and its shape, in the order `vars` lists them. @public */
export const ITF_VARS: Readonly<Record<string, ItfShape>> = {
  objects: mapOf(INT, OBJECT),
  caps: mapOf(INT, CAP),
  namespaces: mapOf(INT, NAMESPACE),
  processRefs: listOf(INT),
  messages: recordOf({ sent: INT, received: INT, discarded: INT }),
  lastReceived: mapOf(INT, INT),
  flows: mapOf(tupleOf(INT, INT), RIGHTS),
  lastSyscall: JSON_SHAPE,
  lastOutcome: OUTCOME,
  violated: setOf(STR),
}

// ---- plain views of the model's state ----------------------------------------

/** Entries sorted by key, so that a map's order never depends on the order of insertion. */
function sortedEntries<K extends number | string, V>(map: ReadonlyMap<K, V>): Array<[K, V]> {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

function objectView(object: KernelObject): JsonValue {
  const base = { id: object.id, owner: optionValue(object.owner) }
  switch (object.kind) {
    case 'container':
      return {
        kind: object.kind, ...base, parent: optionValue(object.parent), limits: { ...object.limits, devices: [...object.limits.devices] },
        usage: { ...object.usage }, namespaces: { ...object.namespaces },
      }
    case 'process':
      return {
        kind: object.kind, ...base, ref: object.ref, uid: object.uid, status: object.status, slots: object.slots.map(optionValue),
        mappings: object.mappings.map((mapping) => ({ cap: mapping.cap, region: mapping.region, perms: rightsNames(mapping.perms) })),
        pids: sortedEntries(object.pids), image: optionValue(object.image), imageBytes: object.imageBytes,
      }
    case 'region':
      return { kind: object.kind, ...base, sizeBytes: object.sizeBytes, executable: object.executable }
    case 'endpoint':
      return {
        kind: object.kind, ...base, depth: object.depth,
        queue: object.queue.map((message) => ({ seq: message.seq, payload: message.payload, badge: message.badge, cap: optionValue(message.cap) })),
      }
    case 'device':
      return { kind: object.kind, ...base, name: object.name }
  }
}

function capView(cap: Cap): JsonValue {
  return { id: cap.id, object: cap.object, rights: rightsNames(cap.rights), badge: cap.badge, parent: optionValue(cap.parent), at: { ...cap.at } }
}

function namespaceView(namespace: Namespace): JsonValue {
  return {
    id: namespace.id, kind: namespace.kind, creator: namespace.creator, parent: optionValue(namespace.parent),
    userNamespace: namespace.userNamespace, entries: sortedEntries(namespace.entries), uidMap: { ...namespace.uidMap }, pidNext: namespace.pidNext,
  }
}

/** `flowKey(object, container)` is `"object>container"`; ITF gets the pair as a tuple. */
function flowView(key: string): JsonValue {
  const match = /^(\d+)>(\d+)$/.exec(key)
  if (match === null) throw new Error(`KernelBug: flow key ${JSON.stringify(key)} is not "object>container"`)
  return [Number(match[1]), Number(match[2])]
}

/**
 * A value with what ITF cannot carry left out: `null`, numbers that are not safe
 * integers, keys ITF readers would misread. Only extra members that the syscall codec
 * ignores (and so the model never reads) can hold such values; an array holding one
 * is left out whole. Returns undefined when nothing of `value` can be kept.
 */
function carriable(value: unknown): JsonValue | undefined {
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined
  if (Array.isArray(value)) {
    const items = value.map(carriable)
    return items.every((item) => item !== undefined) ? (items as JsonValue[]) : undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const kept: Record<string, JsonValue> = {}
  for (const [key, item] of Object.entries(value)) {
    const carried = isReservedKey(key) ? undefined : carriable(item)
    if (carried !== undefined) kept[key] = carried
  }
  return kept
}

function syscallView(syscall: unknown, malformed: boolean): JsonValue {
  if (malformed || !ExactSyscallCodec.is(syscall)) return { kind: 'malformed', json: JSON.stringify(syscall) ?? 'undefined' }
  return carriable(syscall)!
}

function outcomeView(outcome: OutcomeJson): JsonValue {
  if (!outcome.ok) return { ok: false, error: { ...outcome.error } }
  const reply = outcome.reply
  return { ok: true, reply: reply.kind === 'spawned' ? { kind: reply.kind, pid: optionValue(reply.pid) } : (reply as unknown as JsonValue) }
}

/** The variables of one state in plain JSON; {@link ITF_VARS} says how each is encoded. */
function stateView(state: KernelState, lastSyscall: JsonValue, lastOutcome: JsonValue, violations: ReadonlyArray<Violation>): ItfStateView {
  return {
    objects: sortedEntries(state.ksObjects).map(([id, object]) => [id, objectView(object)]),
    caps: sortedEntries(state.ksCaps).map(([id, cap]) => [id, capView(cap)]),
    namespaces: sortedEntries(state.ksNamespaces).map(([id, namespace]) => [id, namespaceView(namespace)]),
    processRefs: [...state.ksProcessRefs],
    messages: { ...state.gsMessages },
    lastReceived: sortedEntries(state.gsLastReceived),
    flows: sortedEntries(state.gsFlows).map(([key, rights]) => [flowView(key), rightsNames(rights)]),
    lastSyscall,
    lastOutcome,
    violated: [...new Set(violations.map((violation) => violation.invariant))],
  }
}

/**
 * The plain views of a trace's states: the boot state, then the state after each
 * step as the model computes it. The model throwing is a bug of the model and is
 * not caught.
 * @public
 */
export function itfViews(trace: Trace): ItfStateView[] {
  // A model mutant's counterexample is replayed on that mutant, whose states show the violation (producer.ts).
  const stepOf = producingModel(trace).step
  let state = boot(trace.boot, trace.images)
  const views = [stateView(state, { kind: 'boot' }, { ok: true, reply: { kind: 'booted' } }, checkState(state))]
  for (const traceStep of trace.steps) {
    const next = stepOf(state, traceStep.syscall)
    const violations = checkStep({ before: state, syscall: traceStep.syscall, outcome: next.outcome, after: next.state })
    views.push(stateView(next.state, syscallView(traceStep.syscall, traceStep.malformed === true), outcomeView(outcomeToJson(next.outcome)), violations))
    state = next.state
  }
  return views
}

// ---- the trace ---------------------------------------------------------------

/** Where the trace came from, for `#meta`. @public */
export interface ItfOptions {
  /** The trace file's path, as `#meta.source`. */
  readonly source?: string
}

/** Encodes plain state views; the inverse of {@link ofItf}. @public */
export function encodeItfStates(views: ReadonlyArray<ItfStateView>): ItfState[] {
  return views.map((view, index) => {
    const state: Record<string, unknown> = { '#meta': { index } }
    for (const [name, shape] of Object.entries(ITF_VARS)) {
      if (!(name in view)) throw new Error(`ITF encoding: state ${index} has no variable ${name}`)
      state[name] = encodeItfValue(shape, view[name]!, `$.states[${index}].${name}`)
    }
    return state as unknown as ItfState
  })
}

/** The trace as ITF. @public */
export function toItf(trace: Trace, options: ItfOptions = {}): ItfTrace {
  const meta: Record<string, unknown> = {
    format: 'ITF',
    'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
    source: options.source ?? 'sila-trace/1',
    description: trace.description ?? 'a sila-trace/1 trace replayed on the SILA model',
    generator: 'sila export --format itf',
  }
  const model = producingModel(trace)
  // The states are the model's (a model mutant's for its counterexample); a kernel's divergence from them is in failure.witness.
  meta.replayedOn = model.mutant ?? 'model'
  if (trace.producedBy !== undefined) meta.producedBy = trace.producedBy
  if (trace.failure !== undefined) meta.failure = trace.failure
  return { '#meta': meta, vars: Object.keys(ITF_VARS), states: encodeItfStates(itfViews(trace)) }
}

/**
 * The states of an ITF trace as plain JSON ({@link decodeItfValue}), `#meta`
 * dropped. Works on any ITF trace, not only this exporter's.
 * @public
 */
export function ofItf(itf: unknown): ItfStateView[] {
  const states = typeof itf === 'object' && itf !== null ? (itf as { states?: unknown }).states : undefined
  if (!Array.isArray(states)) throw new Error('ITF decoding: $.states: expected an array of states')
  return states.map((state: unknown, index) => {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new Error(`ITF decoding: $.states[${index}]: expected an object`)
    const view: Record<string, JsonValue> = {}
    for (const [name, value] of Object.entries(state)) {
      if (name !== '#meta') view[name] = decodeItfValue(value, `$.states[${index}].${name}`)
    }
    return view
  })
}
