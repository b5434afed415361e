/**
 * Container limits and namespace configuration (kernel.md §3, §6).
 * @module
 */
import * as t from 'io-ts'
import { BOUNDS, intRange, NameCodec } from './numbers.js'

/**
 * The reserved resources: a child's limit for each is reserved out of its parent,
 * so that `usage(c, r) + Σ limit(children(c), r) ≤ limit(c, r)` (QUO-1).
 * `cpuWeight` is a scheduling share, not a reservation; `devices` is a set that
 * must be within the parent's.
 */
export const RESERVED_RESOURCES = ['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes'] as const
export type ReservedResource = (typeof RESERVED_RESOURCES)[number]

const Amount = intRange(0, BOUNDS.countMax, 'Amount')
/**
 * Decoding keeps only these fields: a kernel stores a container's limits as given,
 * and a field it does not know (`"junk": …` in a `container_create` or a boot
 * configuration) must not ride along into its state, its replies and its exports.
 */
export const LimitsCodec = t.exact(t.type({
  memoryBytes: Amount,
  processes: Amount,
  endpoints: Amount,
  /** Syscalls per period. */
  cpuBudget: Amount,
  /** I/O bytes per period. */
  ioBytes: Amount,
  cpuWeight: intRange(1, BOUNDS.cpuWeightMax, 'CpuWeight'),
  devices: t.array(NameCodec),
}))
export type Limits = t.TypeOf<typeof LimitsCodec>

/** Usage counters of a container; `cpuBudget` and `ioBytes` are per period. */
export type Usage = Readonly<Record<ReservedResource, number>>
export const ZERO_USAGE: Usage = { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0 }

const NewOrShare = t.keyof({ new: null, share: null })
/** A user namespace of its own maps local uids `0..count-1` to parent uids `base..base+count-1`. */
export const UidMapCodec = t.type({ base: intRange(0, BOUNDS.uidMax, 'UidBase'), count: intRange(1, BOUNDS.uidMax + 1, 'UidCount') })
export type UidMap = t.TypeOf<typeof UidMapCodec>
export const NamespaceConfigCodec = t.type({
  pid: NewOrShare,
  mount: NewOrShare,
  net: NewOrShare,
  ipc: NewOrShare,
  user: t.union([t.literal('share'), UidMapCodec]),
})
export type NamespaceConfig = t.TypeOf<typeof NamespaceConfigCodec>

/** Every namespace shared with the parent. */
export const SHARE_ALL: NamespaceConfig = { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' }
