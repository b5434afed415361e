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
  readonly known: ReadonlySet<string>
}

/** A {@link FieldSet}. */
export function fieldSet(required: ReadonlyArray<string>, optional: ReadonlyArray<string> = []): FieldSet {
  return { required, known: new Set([...required, ...optional]) }
}

/**
 * Does `record` have only the fields of `fields`, the required ones its own? Its
 * own enumerable keys are what spec/exact.ts `closed` reads (`Object.keys`), and a
 * key holding `undefined` counts (a field named is a field had).
 */
export function hasFields(record: Fields, fields: FieldSet): boolean {
  for (const key in record) if (Object.hasOwn(record, key) && !fields.known.has(key)) return false
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

// ---- per syscall (the `kind` literal and `caller` are checked by the dispatcher) ----

export const isCapCopy = (call: Fields): boolean =>
  isSlot(call['src']) && isSlot(call['dst']) && rightsMaskOf(call['rights']) >= 0 && (call['badge'] === undefined || isBadge(call['badge']))
export const isCapMove = (call: Fields): boolean => isSlot(call['src']) && isSlot(call['dst'])
export const isSlotCall = (call: Fields): boolean => isSlot(call['slot'])
export const isContainerCreate = (call: Fields): boolean =>
  isSlot(call['parent']) && isSlot(call['dst']) && isLimits(call['limits']) && isNamespaceConfig(call['namespaces'])
export const isContainerSetLimits = (call: Fields): boolean => isSlot(call['slot']) && isLimits(call['limits'])
export const isProcessSpawn = (call: Fields): boolean =>
  isSlot(call['container']) && isDigest(call['image']) && isIntIn(call['uid'], 0, BOUNDS.uidMax) &&
  isIntIn(call['slots'], 1, BOUNDS.slotCountMax) && isGrants(call['grants']) && isSlot(call['dst'])
export const isMemAlloc = (call: Fields): boolean => isBytes(call['sizeBytes']) && typeof call['executable'] === 'boolean' && isSlot(call['dst'])
export const isMemMap = (call: Fields): boolean => isSlot(call['slot']) && rightsMaskOf(call['perms']) >= 0
export const isEpCreate = (call: Fields): boolean => isDepth(call['depth']) && isSlot(call['dst'])
export const isEpSend = (call: Fields): boolean => isSlot(call['slot']) && isPayload(call['payload']) && isOptionalSlot(call['xfer'])
export const isEpRecv = (call: Fields): boolean => isSlot(call['slot']) && isOptionalSlot(call['dst'])
export const isMount = (call: Fields): boolean => isPath(call['path']) && isSlot(call['slot']) && rightsMaskOf(call['rights']) >= 0
export const isPathCall = (call: Fields): boolean => isPath(call['path'])
export const isResolve = (call: Fields): boolean => isPath(call['path']) && isSlot(call['dst'])
export const isNetBind = (call: Fields): boolean => isPort(call['port']) && isSlot(call['slot'])
export const isPortCall = (call: Fields): boolean => isPort(call['port'])
export const isNetConnect = (call: Fields): boolean => isPort(call['port']) && isSlot(call['dst'])
export const isSvcRegister = (call: Fields): boolean => isName(call['name']) && isSlot(call['slot'])
export const isNameCall = (call: Fields): boolean => isName(call['name'])
export const isSvcLookup = (call: Fields): boolean => isName(call['name']) && isSlot(call['dst'])
export const isIoSubmit = (call: Fields): boolean => isSlot(call['slot']) && isBytes(call['bytes'])

/**
 * The fields of every process syscall kind (spec/syscalls.ts), `kind` and
 * `caller` included: the dispatcher refuses a call with any other
 * ({@link hasCallFields}) before its handler checks the fields' values.
 */
const CALL_FIELDS: Readonly<Record<string, FieldSet>> = (() => {
  const kinds: Record<string, [ReadonlyArray<string>, ReadonlyArray<string>?]> = {
    cap_copy: [['src', 'dst', 'rights'], ['badge']], cap_move: [['src', 'dst']],
    cap_delete: [['slot']], cap_revoke: [['slot']], cap_inspect: [['slot']],
    container_create: [['parent', 'dst', 'limits', 'namespaces']], container_destroy: [['slot']],
    container_set_limits: [['slot', 'limits']], container_stats: [['slot']],
    process_spawn: [['container', 'image', 'uid', 'slots', 'grants', 'dst']], process_kill: [['slot']], process_list: [[]],
    mem_alloc: [['sizeBytes', 'executable', 'dst']], mem_map: [['slot', 'perms']], mem_unmap: [['slot']],
    ep_create: [['depth', 'dst']], ep_send: [['slot', 'payload'], ['xfer']], ep_recv: [['slot'], ['dst']],
    mount: [['path', 'slot', 'rights']], unmount: [['path']], resolve: [['path', 'dst']],
    net_bind: [['port', 'slot']], net_unbind: [['port']], net_connect: [['port', 'dst']],
    svc_register: [['name', 'slot']], svc_unregister: [['name']], svc_lookup: [['name', 'dst']],
    io_submit: [['slot', 'bytes']],
  }
  return Object.fromEntries(Object.entries(kinds).map(([kind, [required, optional]]) => [kind, fieldSet(['kind', 'caller', ...required], optional)]))
})()
/** The clock's: `tick` has only its kind, `sched_run` its quanta too. */
export const TICK_FIELDS = fieldSet(['kind'])
export const SCHED_RUN_FIELDS = fieldSet(['kind', 'quanta'])

/** Has this process syscall only its kind's fields (false for a kind that is none)? */
export function hasCallFields(call: Fields, kind: unknown): boolean {
  const fields = typeof kind === 'string' && Object.hasOwn(CALL_FIELDS, kind) ? CALL_FIELDS[kind] : undefined
  return fields !== undefined && hasFields(call, fields)
}

const HANDLER_CHECKS: Readonly<Record<string, (call: Fields) => boolean>> = {
  cap_copy: isCapCopy, cap_move: isCapMove, cap_delete: isSlotCall, cap_revoke: isSlotCall, cap_inspect: isSlotCall,
  container_create: isContainerCreate, container_destroy: isSlotCall, container_set_limits: isContainerSetLimits, container_stats: isSlotCall,
  process_spawn: isProcessSpawn, process_kill: isSlotCall, process_list: () => true,
  mem_alloc: isMemAlloc, mem_map: isMemMap, mem_unmap: isSlotCall,
  ep_create: isEpCreate, ep_send: isEpSend, ep_recv: isEpRecv,
  mount: isMount, unmount: isPathCall, resolve: isResolve,
  net_bind: isNetBind, net_unbind: isPortCall, net_connect: isNetConnect,
  svc_register: isSvcRegister, svc_unregister: isNameCall, svc_lookup: isSvcLookup,
  io_submit: isIoSubmit,
}

/**
 * The argument check of every process syscall kind, as the dispatcher and the
 * handlers apply it together (the values of `kind` and `caller` aside). Exposed so
 * tests can hold it against the spec codecs.
 * @internal
 */
export const ARGUMENT_CHECKS: Readonly<Record<string, (call: Fields) => boolean>> = Object.fromEntries(
  Object.entries(HANDLER_CHECKS).map(([kind, check]) => [kind, (call: Fields) => hasCallFields(call, kind) && check(call)]),
)
