/**
 * The syscall alphabet (kernel.md §2–7, plus the clock's `tick` and `sched_run`),
 * each an io-ts codec; the static types are derived from the codecs.
 *
 * `caller` is the caller's {@link ProcessRef} (creation index). Every syscall that a
 * process makes has one; `tick` and `sched_run` come from the clock and have none.
 * @module
 */
import * as t from 'io-ts'
import { RightsCodec } from './rights.js'
import {
  BadgeCodec, BytesCodec, DepthCodec, NameCodec, PathCodec, PayloadCodec, PortCodec,
  ProcessRefCodec, QuantaCodec, SlotCodec, SlotCountCodec, UidCodec, BOUNDS,
} from './numbers.js'
import { LimitsCodec, NamespaceConfigCodec } from './limits.js'
import { DigestCodec } from './images.js'
import { describedAs, exact } from './exact.js'

const Caller = { caller: ProcessRefCodec }
const call = <K extends string, P extends t.Props>(kind: K, props: P) => t.type({ kind: t.literal(kind), ...Caller, ...props })
const callOpt = <K extends string, P extends t.Props, O extends t.Props>(kind: K, props: P, optional: O) =>
  t.intersection([call(kind, props), t.partial(optional)])

export const GrantCodec = t.type({ slot: SlotCodec, rights: RightsCodec })
export type Grant = t.TypeOf<typeof GrantCodec>

// §2 capabilities
export const CapCopy = callOpt('cap_copy', { src: SlotCodec, dst: SlotCodec, rights: RightsCodec }, { badge: BadgeCodec })
export const CapMove = call('cap_move', { src: SlotCodec, dst: SlotCodec })
export const CapDelete = call('cap_delete', { slot: SlotCodec })
export const CapRevoke = call('cap_revoke', { slot: SlotCodec })
export const CapInspect = call('cap_inspect', { slot: SlotCodec })
// §3 containers
export const ContainerCreate = call('container_create', { parent: SlotCodec, dst: SlotCodec, limits: LimitsCodec, namespaces: NamespaceConfigCodec })
export const ContainerDestroy = call('container_destroy', { slot: SlotCodec })
export const ContainerSetLimits = call('container_set_limits', { slot: SlotCodec, limits: LimitsCodec })
export const ContainerStats = call('container_stats', { slot: SlotCodec })
// §4 processes and memory
export const ProcessSpawn = call('process_spawn', {
  container: SlotCodec, image: DigestCodec, uid: UidCodec, slots: SlotCountCodec,
  grants: describedAs(t.refinement(t.array(GrantCodec), (g) => g.length <= BOUNDS.grantsMax, 'Grants'), `an array of at most ${BOUNDS.grantsMax} grants`), dst: SlotCodec,
})
export const ProcessKill = call('process_kill', { slot: SlotCodec })
export const ProcessList = call('process_list', {})
export const MemAlloc = call('mem_alloc', { sizeBytes: BytesCodec, executable: t.boolean, dst: SlotCodec })
export const MemMap = call('mem_map', { slot: SlotCodec, perms: RightsCodec })
export const MemUnmap = call('mem_unmap', { slot: SlotCodec })
// §5 IPC
export const EpCreate = call('ep_create', { depth: DepthCodec, dst: SlotCodec })
export const EpSend = callOpt('ep_send', { slot: SlotCodec, payload: PayloadCodec }, { xfer: SlotCodec })
export const EpRecv = callOpt('ep_recv', { slot: SlotCodec }, { dst: SlotCodec })
// §6 namespaces
export const Mount = call('mount', { path: PathCodec, slot: SlotCodec, rights: RightsCodec })
export const Unmount = call('unmount', { path: PathCodec })
export const Resolve = call('resolve', { path: PathCodec, dst: SlotCodec })
export const NetBind = call('net_bind', { port: PortCodec, slot: SlotCodec })
export const NetUnbind = call('net_unbind', { port: PortCodec })
export const NetConnect = call('net_connect', { port: PortCodec, dst: SlotCodec })
export const SvcRegister = call('svc_register', { name: NameCodec, slot: SlotCodec })
export const SvcUnregister = call('svc_unregister', { name: NameCodec })
export const SvcLookup = call('svc_lookup', { name: NameCodec, dst: SlotCodec })
// §7 devices
export const IoSubmit = call('io_submit', { slot: SlotCodec, bytes: BytesCodec })
// the clock
export const Tick = t.type({ kind: t.literal('tick') })
export const SchedRun = t.type({ kind: t.literal('sched_run'), quanta: QuantaCodec })

/** Every syscall codec by kind. @public */
export const SYSCALL_CODECS = {
  cap_copy: CapCopy, cap_move: CapMove, cap_delete: CapDelete, cap_revoke: CapRevoke, cap_inspect: CapInspect,
  container_create: ContainerCreate, container_destroy: ContainerDestroy,
  container_set_limits: ContainerSetLimits, container_stats: ContainerStats,
  process_spawn: ProcessSpawn, process_kill: ProcessKill, process_list: ProcessList,
  mem_alloc: MemAlloc, mem_map: MemMap, mem_unmap: MemUnmap,
  ep_create: EpCreate, ep_send: EpSend, ep_recv: EpRecv,
  mount: Mount, unmount: Unmount, resolve: Resolve,
  net_bind: NetBind, net_unbind: NetUnbind, net_connect: NetConnect,
  svc_register: SvcRegister, svc_unregister: SvcUnregister, svc_lookup: SvcLookup,
  io_submit: IoSubmit, tick: Tick, sched_run: SchedRun,
} as const

export type SyscallKind = keyof typeof SYSCALL_CODECS
export const SYSCALL_KINDS = Object.keys(SYSCALL_CODECS) as SyscallKind[]
/** Syscalls issued by the clock rather than by a process. */
export const CLOCK_KINDS: ReadonlyArray<SyscallKind> = ['tick', 'sched_run']

export const SyscallCodec = t.union([
  CapCopy, CapMove, CapDelete, CapRevoke, CapInspect,
  ContainerCreate, ContainerDestroy, ContainerSetLimits, ContainerStats,
  ProcessSpawn, ProcessKill, ProcessList, MemAlloc, MemMap, MemUnmap,
  EpCreate, EpSend, EpRecv, Mount, Unmount, Resolve,
  NetBind, NetUnbind, NetConnect, SvcRegister, SvcUnregister, SvcLookup,
  IoSubmit, Tick, SchedRun,
])
/**
 * {@link SyscallCodec} refusing a field its kind does not have, at any depth (the
 * call, its limits, namespaces, uid map and grants): what a well-formed syscall
 * is. The model decodes a process's syscall with it (kernel.md §8: a malformed
 * argument of any shape is `InvalidArgument`, so `cap_copy` with `badge` written
 * `bagde` is refused, not run unbadged), the impl's validators check the same
 * keys, and traces hold syscalls with it (one that is not goes in a step marked
 * `malformed`).
 */
export const ExactSyscallCodec = exact(SyscallCodec)
/** A well-formed syscall. @public */
export type Syscall = t.TypeOf<typeof SyscallCodec>
/** The syscall of one kind. */
export type SyscallOf<K extends SyscallKind> = Extract<Syscall, { kind: K }>
/** A syscall made by a process (everything but the clock's). */
export type ProcessSyscall = Exclude<Syscall, { kind: 'tick' | 'sched_run' }>

/** Is `kind` a known syscall kind? */
export function isSyscallKind(kind: unknown): kind is SyscallKind {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(SYSCALL_CODECS, kind)
}
