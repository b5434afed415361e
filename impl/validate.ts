/**
 * Argument checks (decisions.md step 2, "Malformed arguments"): hand-written
 * predicates that accept exactly what spec/syscalls.ts `ExactSyscallCodec`
 * accepts, without io-ts and without allocating. Note that `decode` of `t.array`
 * reads every index, so a hole in an array is malformed (unlike
 * `t.array(...).is`, which skips holes); these checks read every index too.
 *
 * A record (the call, its limits, namespaces, uid map, each grant) may hold only
 * its own fields, and its required ones as its own properties ({@link hasFields}):
 * a field its kind does not have (`bagde` for `badge`) is malformed, as
 * kernel.md §8 says of "malformed arguments of any shape".
 * @module
 * @internal
 */
import { BOUNDS } from '../spec/numbers.js'
import { DigestCodec } from '../spec/images.js'
import { NameCodec, PathCodec } from '../spec/numbers.js'

/** A syscall as a record of fields (already known to be a non-array object). */
export type Fields = Readonly<Record<string, unknown>>

/** io-ts `UnknownRecord`: a non-null object that is not an array. */
export function isRecord(value: unknown): value is Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** The fields a record may have: every one of `required` as its own property, any of `optional`, nothing else. */
export interface FieldSet {
  readonly required: ReadonlyArray<string>
  /** `required` and the optional ones, the required first. */
  readonly known: ReadonlyArray<string>
}

/** A {@link FieldSet}. */
export function fieldSet(required: ReadonlyArray<string>, optional: ReadonlyArray<string> = []): FieldSet {
  return { required, known: [...required, ...optional] }
}

/**
 * Does `record` have only the fields of `fields`, the required ones its own? Its
 * own enumerable keys are what spec/exact.ts `closed` reads (`Object.keys`), and a
 * key holding `undefined` counts (a field named is a field had).
 *
 * Fast, as it runs on every syscall (about 20 ns): a key is first compared with
 * the name expected next in `known`'s order (the order calls are written in),
 * then with each; `hasOwn` is asked only of a key that is none of them (for-in
 * also yields the enumerable keys of a prototype, which a plain object's has none
 * of), and the required fields' ownership only of a record whose prototype is not
 * `Object.prototype` (or null), where a field read may be inherited.
 */
export function hasFields(record: Fields, fields: FieldSet): boolean {
  const known = fields.known
  let expected = 0
  next: for (const key in record) {
    if (known[expected] === key) {
      expected++
      continue
    }
    for (let index = 0; index < known.length; index++) if (known[index] === key) continue next
    if (Object.hasOwn(record, key)) return false
  }
  const prototype: unknown = Object.getPrototypeOf(record)
  if (prototype === Object.prototype || prototype === null) return true
  const required = fields.required
  for (let index = 0; index < required.length; index++) if (!Object.hasOwn(record, required[index]!)) return false
  return true
}

/** A field of any object (arrays included), as the model's dispatcher reads `kind` and `caller`. */
export function fieldOf(value: unknown, field: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Fields)[field] : undefined
}

/** spec/numbers.ts `intRange`. */
export function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max
}

const NAT_MAX = Number.MAX_SAFE_INTEGER

export function isNat(value: unknown): value is number {
  return isIntIn(value, 0, NAT_MAX)
}
/** A slot number (any natural number; past the CSpace is `InvalidSlot`, not malformed). */
export const isSlot = isNat
export function isOptionalSlot(value: unknown): boolean {
  return value === undefined || isNat(value)
}
export function isBytes(value: unknown): value is number {
  return isIntIn(value, 1, BOUNDS.bytesMax)
}
export function isDepth(value: unknown): value is number {
  return isIntIn(value, 1, BOUNDS.queueDepthMax)
}
export function isBadge(value: unknown): value is number {
  return isIntIn(value, 0, BOUNDS.badgeMax)
}
export function isPort(value: unknown): value is number {
  return isIntIn(value, 1, BOUNDS.portMax)
}
export function isQuanta(value: unknown): value is number {
  return isIntIn(value, 1, BOUNDS.quantaMax)
}
export function isPayload(value: unknown): boolean {
  return isIntIn(value, 0, BOUNDS.payloadIntMax) || (typeof value === 'string' && value.length <= BOUNDS.payloadLengthMax)
}
export const isPath = (value: unknown): value is string => PathCodec.is(value)
export const isName = (value: unknown): value is string => NameCodec.is(value)
export const isDigest = (value: unknown): value is string => DigestCodec.is(value)

/** The bit of a right's name (RightNameCodec), 0 if it is not one. */
function rightBit(name: unknown): number {
  switch (name) {
    case 'read': return 1
    case 'write': return 2
    case 'execute': return 4
    case 'grant': return 8
    case 'control': return 16
    default: return 0
  }
}

/** The mask of a RightsCodec value, or -1 if it is not one. */
export function rightsMaskOf(value: unknown): number {
  if (!Array.isArray(value)) return -1
  let mask = 0
  for (let index = 0; index < value.length; index++) {
    const bit = rightBit(value[index])
    if (bit === 0) return -1
    mask |= bit
  }
  return mask
}

function isNameArray(value: unknown): boolean {
  if (!Array.isArray(value)) return false
  for (let index = 0; index < value.length; index++) if (!isName(value[index])) return false
  return true
}

const LIMITS_FIELDS = fieldSet(['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes', 'cpuWeight', 'devices'])
const UID_MAP_FIELDS = fieldSet(['base', 'count'])
const NAMESPACE_FIELDS = fieldSet(['pid', 'mount', 'net', 'ipc', 'user'])
const GRANT_FIELDS = fieldSet(['slot', 'rights'])

/** LimitsCodec. */
export function isLimits(value: unknown): boolean {
  if (!isRecord(value) || !hasFields(value, LIMITS_FIELDS)) return false
  const amount = BOUNDS.countMax
  return isIntIn(value['memoryBytes'], 0, amount) && isIntIn(value['processes'], 0, amount) && isIntIn(value['endpoints'], 0, amount) &&
    isIntIn(value['cpuBudget'], 0, amount) && isIntIn(value['ioBytes'], 0, amount) &&
    isIntIn(value['cpuWeight'], 1, BOUNDS.cpuWeightMax) && isNameArray(value['devices'])
}

function isNewOrShare(value: unknown): boolean {
  return value === 'new' || value === 'share'
}

/** UidMapCodec. */
export function isUidMap(value: unknown): boolean {
  return isRecord(value) && hasFields(value, UID_MAP_FIELDS) && isIntIn(value['base'], 0, BOUNDS.uidMax) && isIntIn(value['count'], 1, BOUNDS.uidMax + 1)
}

/** NamespaceConfigCodec. */
export function isNamespaceConfig(value: unknown): boolean {
  if (!isRecord(value) || !hasFields(value, NAMESPACE_FIELDS)) return false
  if (!isNewOrShare(value['pid']) || !isNewOrShare(value['mount']) || !isNewOrShare(value['net']) || !isNewOrShare(value['ipc'])) return false
  const user = value['user']
  return user === 'share' || isUidMap(user)
}

/** The `grants` of process_spawn: an array (no holes) of at most grantsMax `{slot, rights}`. */
export function isGrants(value: unknown): boolean {
  if (!Array.isArray(value) || value.length > BOUNDS.grantsMax) return false
  for (let index = 0; index < value.length; index++) {
    const grant: unknown = value[index]
    if (!isRecord(grant) || !hasFields(grant, GRANT_FIELDS) || !isSlot(grant['slot']) || rightsMaskOf(grant['rights']) < 0) return false
  }
  return true
}

// ---- per syscall (the values of `kind` and `caller` are checked by the dispatcher) ----
// Each check starts with the call's keys: only its kind's fields (spec/syscalls.ts), `kind` and `caller` included.

const call = (required: ReadonlyArray<string>, optional: ReadonlyArray<string> = []): FieldSet => fieldSet(['kind', 'caller', ...required], optional)
const CAP_COPY = call(['src', 'dst', 'rights'], ['badge'])
const CAP_MOVE = call(['src', 'dst'])
const SLOT_CALL = call(['slot'])
const CONTAINER_CREATE = call(['parent', 'dst', 'limits', 'namespaces'])
const CONTAINER_SET_LIMITS = call(['slot', 'limits'])
const PROCESS_SPAWN = call(['container', 'image', 'uid', 'slots', 'grants', 'dst'])
const PROCESS_LIST = call([])
const MEM_ALLOC = call(['sizeBytes', 'executable', 'dst'])
const MEM_MAP = call(['slot', 'perms'])
const EP_CREATE = call(['depth', 'dst'])
const EP_SEND = call(['slot', 'payload'], ['xfer'])
const EP_RECV = call(['slot'], ['dst'])
const MOUNT = call(['path', 'slot', 'rights'])
const PATH_CALL = call(['path'])
const RESOLVE = call(['path', 'dst'])
const NET_BIND = call(['port', 'slot'])
const PORT_CALL = call(['port'])
const NET_CONNECT = call(['port', 'dst'])
const SVC_REGISTER = call(['name', 'slot'])
const NAME_CALL = call(['name'])
const SVC_LOOKUP = call(['name', 'dst'])
const IO_SUBMIT = call(['slot', 'bytes'])
/** The clock's: `tick` has only its kind, `sched_run` its quanta too. */
export const TICK_FIELDS = fieldSet(['kind'])
export const SCHED_RUN_FIELDS = fieldSet(['kind', 'quanta'])

export const isCapCopy = (c: Fields): boolean =>
  hasFields(c, CAP_COPY) && isSlot(c['src']) && isSlot(c['dst']) && rightsMaskOf(c['rights']) >= 0 && (c['badge'] === undefined || isBadge(c['badge']))
export const isCapMove = (c: Fields): boolean => hasFields(c, CAP_MOVE) && isSlot(c['src']) && isSlot(c['dst'])
/** `{kind, caller, slot}`: cap_delete, cap_revoke, cap_inspect, container_destroy, container_stats, process_kill, mem_unmap. */
export const isSlotCall = (c: Fields): boolean => hasFields(c, SLOT_CALL) && isSlot(c['slot'])
export const isContainerCreate = (c: Fields): boolean =>
  hasFields(c, CONTAINER_CREATE) && isSlot(c['parent']) && isSlot(c['dst']) && isLimits(c['limits']) && isNamespaceConfig(c['namespaces'])
export const isContainerSetLimits = (c: Fields): boolean => hasFields(c, CONTAINER_SET_LIMITS) && isSlot(c['slot']) && isLimits(c['limits'])
export const isProcessSpawn = (c: Fields): boolean =>
  hasFields(c, PROCESS_SPAWN) && isSlot(c['container']) && isDigest(c['image']) && isIntIn(c['uid'], 0, BOUNDS.uidMax) &&
  isIntIn(c['slots'], 1, BOUNDS.slotCountMax) && isGrants(c['grants']) && isSlot(c['dst'])
export const isProcessList = (c: Fields): boolean => hasFields(c, PROCESS_LIST)
export const isMemAlloc = (c: Fields): boolean => hasFields(c, MEM_ALLOC) && isBytes(c['sizeBytes']) && typeof c['executable'] === 'boolean' && isSlot(c['dst'])
export const isMemMap = (c: Fields): boolean => hasFields(c, MEM_MAP) && isSlot(c['slot']) && rightsMaskOf(c['perms']) >= 0
export const isEpCreate = (c: Fields): boolean => hasFields(c, EP_CREATE) && isDepth(c['depth']) && isSlot(c['dst'])
export const isEpSend = (c: Fields): boolean => hasFields(c, EP_SEND) && isSlot(c['slot']) && isPayload(c['payload']) && isOptionalSlot(c['xfer'])
export const isEpRecv = (c: Fields): boolean => hasFields(c, EP_RECV) && isSlot(c['slot']) && isOptionalSlot(c['dst'])
export const isMount = (c: Fields): boolean => hasFields(c, MOUNT) && isPath(c['path']) && isSlot(c['slot']) && rightsMaskOf(c['rights']) >= 0
export const isPathCall = (c: Fields): boolean => hasFields(c, PATH_CALL) && isPath(c['path'])
export const isResolve = (c: Fields): boolean => hasFields(c, RESOLVE) && isPath(c['path']) && isSlot(c['dst'])
export const isNetBind = (c: Fields): boolean => hasFields(c, NET_BIND) && isPort(c['port']) && isSlot(c['slot'])
export const isPortCall = (c: Fields): boolean => hasFields(c, PORT_CALL) && isPort(c['port'])
export const isNetConnect = (c: Fields): boolean => hasFields(c, NET_CONNECT) && isPort(c['port']) && isSlot(c['dst'])
export const isSvcRegister = (c: Fields): boolean => hasFields(c, SVC_REGISTER) && isName(c['name']) && isSlot(c['slot'])
export const isNameCall = (c: Fields): boolean => hasFields(c, NAME_CALL) && isName(c['name'])
export const isSvcLookup = (c: Fields): boolean => hasFields(c, SVC_LOOKUP) && isName(c['name']) && isSlot(c['dst'])
export const isIoSubmit = (c: Fields): boolean => hasFields(c, IO_SUBMIT) && isSlot(c['slot']) && isBytes(c['bytes'])

/**
 * The argument check of every process syscall kind, as the handlers apply it (the
 * values of `kind` and `caller` aside). Exposed so tests can hold it against the
 * spec codecs.
 * @internal
 */
export const ARGUMENT_CHECKS: Readonly<Record<string, (call: Fields) => boolean>> = {
  cap_copy: isCapCopy, cap_move: isCapMove, cap_delete: isSlotCall, cap_revoke: isSlotCall, cap_inspect: isSlotCall,
  container_create: isContainerCreate, container_destroy: isSlotCall, container_set_limits: isContainerSetLimits, container_stats: isSlotCall,
  process_spawn: isProcessSpawn, process_kill: isSlotCall, process_list: isProcessList,
  mem_alloc: isMemAlloc, mem_map: isMemMap, mem_unmap: isSlotCall,
  ep_create: isEpCreate, ep_send: isEpSend, ep_recv: isEpRecv,
  mount: isMount, unmount: isPathCall, resolve: isResolve,
  net_bind: isNetBind, net_unbind: isPortCall, net_connect: isNetConnect,
  svc_register: isSvcRegister, svc_unregister: isNameCall, svc_lookup: isSvcLookup,
  io_submit: isIoSubmit,
}
