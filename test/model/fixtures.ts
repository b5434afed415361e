/**
 * Small builders for the model's tests: a boot state with an image pool, syscall
 * constructors, `run`/`must` to step through several syscalls, outcome assertions,
 * "nothing changed but the CPU charge" checks, state accessors, and `world()`, the
 * standard scenario (init creates a child container with new namespaces and spawns
 * a process into it).
 * @module
 */
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { isDeepStrictEqual } from 'node:util'
import { boot } from '../../model/boot.js'
import { step } from '../../model/step.js'
import {
  type Cap, type ContainerObject, type KernelObject, type KernelState, type Namespace, type ProcessObject,
  getContainer, processByRef,
} from '../../model/state.js'
import { DEFAULT_BOOT, type BootConfig } from '../../spec/boot.js'
import type { CapRequest, ImageRecord } from '../../spec/images.js'
import type { Outcome, Reply } from '../../spec/results.js'
import { type ErrorCode, type Resource, type SyscallError, errorText } from '../../spec/errors.js'
import type { Limits, NamespaceConfig, Usage } from '../../spec/limits.js'
import type { CapId, ObjectId, ProcessRef, SlotIndex } from '../../spec/ids.js'
import { type RightName, RIGHT_NAMES, rightsMask } from '../../spec/rights.js'
import type { Grant, SyscallOf } from '../../spec/syscalls.js'
import type { Payload } from '../../spec/numbers.js'

// ---- images ------------------------------------------------------------------

/** A digest made from a small number: `sha256:000…0n`. */
export const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`

/** One signature by `signer`, verifying unless said otherwise. */
export const signed = (signer: string, verifies = true) => ({ signer, verifies })

/** An image record with sensible defaults (signed by the trusted `release` key, echo 1.10.0, 4096 bytes, no requests). */
export function image(n: number, overrides: Partial<Omit<ImageRecord, 'manifest'>> & { requests?: CapRequest[]; memoryBytes?: number } = {}): ImageRecord {
  const { requests = [], memoryBytes = 4096, ...rest } = overrides
  return {
    digest: digest(n), name: 'echo', version: '1.10.0', signatures: [signed('release')],
    ...rest,
    manifest: { requests, memoryBytes },
  }
}

/** The image pool every test boots with unless it says otherwise. */
export const IMAGES = {
  /** Valid, trusted, above the floor, asks for nothing. */
  echo: image(1),
  /** Its signature does not verify. */
  badSignature: image(2, { signatures: [signed('release', false)] }),
  /** Signed by a key that is not in the keyring. */
  untrusted: image(3, { signatures: [signed('mallory')] }),
  /** echo 1.9.1, below the floor 1.9.2 by its patch. */
  rollback: image(4, { version: '1.9.1' }),
  /** Asks for an endpoint with `write` (a client). */
  wantsEndpoint: image(5, { name: 'client', version: '1.0.0', memoryBytes: 1024, requests: [{ kind: 'endpoint', rights: ['write'] }] }),
  /** Asks for a device with `write` (a driver). */
  wantsDevice: image(6, { name: 'driver', version: '2.0.0', memoryBytes: 2048, requests: [{ kind: 'device', rights: ['write'] }] }),
  /** Asks for a container with `read, control` (a manager). */
  manager: image(7, { name: 'manager', version: '1.0.0', memoryBytes: 512, requests: [{ kind: 'container', rights: ['read', 'control'] }] }),
  /** Asks for a region with `read, write` (a mapper). */
  wantsRegion: image(8, { name: 'mapper', version: '1.0.0', memoryBytes: 256, requests: [{ kind: 'region', rights: ['read', 'write'] }] }),
  /** Asks for an endpoint with every endpoint right (a server). */
  server: image(9, { name: 'server', version: '1.0.0', memoryBytes: 128, requests: [{ kind: 'endpoint', rights: ['read', 'write', 'grant'] }] }),
  /** Costs no memory. */
  tiny: image(10, { name: 'tiny', version: '1.0.0', memoryBytes: 0 }),
} as const satisfies Record<string, ImageRecord>

export const POOL: ImageRecord[] = Object.values(IMAGES)

// ---- boot ----------------------------------------------------------------------

/** Init's creation index and its boot slots (DEFAULT_BOOT: devices disk0, net0). */
export const INIT = 0
export const ROOT_SLOT = 0
export const DISK_SLOT = 1
export const NET_SLOT = 2
/** Object ids of the boot objects under DEFAULT_BOOT. */
export const ROOT = 0
export const DISK0 = 1
export const NET0 = 2
export const INIT_ID = 3

export function bootWith(images: ReadonlyArray<ImageRecord> = POOL, config: Partial<BootConfig> = {}): KernelState {
  return boot({ ...DEFAULT_BOOT, ...config }, images)
}

// ---- syscall builders ----------------------------------------------------------

export const ALL: RightName[] = [...RIGHT_NAMES]

export const CHILD_LIMITS: Limits = {
  memoryBytes: 1 << 20, processes: 4, endpoints: 4, cpuBudget: 1000, ioBytes: 4096, cpuWeight: 100, devices: ['disk0'],
}
export const SHARE_ALL: NamespaceConfig = { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' }
/** Every namespace new; uid 0 inside is uid 100000 outside. */
export const NEW_ALL: NamespaceConfig = { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base: 100000, count: 65536 } }

export const sc = {
  copy: (caller: number, src: number, dst: number, rights: RightName[] = ALL, badge?: number): SyscallOf<'cap_copy'> =>
    ({ kind: 'cap_copy', caller, src, dst, rights, ...(badge === undefined ? {} : { badge }) }),
  move: (caller: number, src: number, dst: number): SyscallOf<'cap_move'> => ({ kind: 'cap_move', caller, src, dst }),
  del: (caller: number, slot: number): SyscallOf<'cap_delete'> => ({ kind: 'cap_delete', caller, slot }),
  revoke: (caller: number, slot: number): SyscallOf<'cap_revoke'> => ({ kind: 'cap_revoke', caller, slot }),
  inspect: (caller: number, slot: number): SyscallOf<'cap_inspect'> => ({ kind: 'cap_inspect', caller, slot }),
  create: (caller: number, parent: number, dst: number, limits: Limits = CHILD_LIMITS, namespaces: NamespaceConfig = SHARE_ALL): SyscallOf<'container_create'> =>
    ({ kind: 'container_create', caller, parent, dst, limits, namespaces }),
  destroy: (caller: number, slot: number): SyscallOf<'container_destroy'> => ({ kind: 'container_destroy', caller, slot }),
  setLimits: (caller: number, slot: number, limits: Limits): SyscallOf<'container_set_limits'> => ({ kind: 'container_set_limits', caller, slot, limits }),
  stats: (caller: number, slot: number): SyscallOf<'container_stats'> => ({ kind: 'container_stats', caller, slot }),
  spawn: (caller: number, container: number, dst: number, options: { image?: string; uid?: number; slots?: number; grants?: Grant[] } = {}): SyscallOf<'process_spawn'> =>
    ({ kind: 'process_spawn', caller, container, dst, image: options.image ?? IMAGES.echo.digest, uid: options.uid ?? 0, slots: options.slots ?? 8, grants: options.grants ?? [] }),
  kill: (caller: number, slot: number): SyscallOf<'process_kill'> => ({ kind: 'process_kill', caller, slot }),
  list: (caller: number): SyscallOf<'process_list'> => ({ kind: 'process_list', caller }),
  alloc: (caller: number, sizeBytes: number, dst: number, executable = false): SyscallOf<'mem_alloc'> => ({ kind: 'mem_alloc', caller, sizeBytes, executable, dst }),
  map: (caller: number, slot: number, perms: RightName[]): SyscallOf<'mem_map'> => ({ kind: 'mem_map', caller, slot, perms }),
  unmap: (caller: number, slot: number): SyscallOf<'mem_unmap'> => ({ kind: 'mem_unmap', caller, slot }),
  epCreate: (caller: number, dst: number, depth = 4): SyscallOf<'ep_create'> => ({ kind: 'ep_create', caller, depth, dst }),
  send: (caller: number, slot: number, payload: Payload = 0, xfer?: number): SyscallOf<'ep_send'> =>
    ({ kind: 'ep_send', caller, slot, payload, ...(xfer === undefined ? {} : { xfer }) }),
  recv: (caller: number, slot: number, dst?: number): SyscallOf<'ep_recv'> => ({ kind: 'ep_recv', caller, slot, ...(dst === undefined ? {} : { dst }) }),
  mount: (caller: number, path: string, slot: number, rights: RightName[]): SyscallOf<'mount'> => ({ kind: 'mount', caller, path, slot, rights }),
  unmount: (caller: number, path: string): SyscallOf<'unmount'> => ({ kind: 'unmount', caller, path }),
  resolve: (caller: number, path: string, dst: number): SyscallOf<'resolve'> => ({ kind: 'resolve', caller, path, dst }),
  bind: (caller: number, port: number, slot: number): SyscallOf<'net_bind'> => ({ kind: 'net_bind', caller, port, slot }),
  unbind: (caller: number, port: number): SyscallOf<'net_unbind'> => ({ kind: 'net_unbind', caller, port }),
  connect: (caller: number, port: number, dst: number): SyscallOf<'net_connect'> => ({ kind: 'net_connect', caller, port, dst }),
  register: (caller: number, name: string, slot: number): SyscallOf<'svc_register'> => ({ kind: 'svc_register', caller, name, slot }),
  unregister: (caller: number, name: string): SyscallOf<'svc_unregister'> => ({ kind: 'svc_unregister', caller, name }),
  lookup: (caller: number, name: string, dst: number): SyscallOf<'svc_lookup'> => ({ kind: 'svc_lookup', caller, name, dst }),
  io: (caller: number, slot: number, bytes: number): SyscallOf<'io_submit'> => ({ kind: 'io_submit', caller, slot, bytes }),
  tick: (): SyscallOf<'tick'> => ({ kind: 'tick' }),
  sched: (quanta: number): SyscallOf<'sched_run'> => ({ kind: 'sched_run', quanta }),
}

/** Limits that reserve nothing (for grandchildren). */
export const NO_LIMITS: Limits = { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0, cpuWeight: 100, devices: [] }
export const small = (overrides: Partial<Limits> = {}): Limits => ({ ...NO_LIMITS, ...overrides })

/** Limits with some fields changed. */
export const limits = (overrides: Partial<Limits> = {}, base: Limits = CHILD_LIMITS): Limits => ({ ...base, ...overrides })

// ---- running -----------------------------------------------------------------------

export interface Run {
  readonly state: KernelState
  readonly outcomes: Outcome[]
}

/** Steps through `syscalls`; the final state and every outcome. */
export function run(state: KernelState, ...syscalls: unknown[]): Run {
  const outcomes: Outcome[] = []
  for (const syscall of syscalls) {
    const result = step(state, syscall)
    state = result.state
    outcomes.push(result.outcome)
  }
  return { state, outcomes }
}

/** Like {@link run}, but every syscall must succeed (setup steps); the final state. */
export function must(state: KernelState, ...syscalls: unknown[]): KernelState {
  syscalls.forEach((syscall, index) => {
    const result = step(state, syscall)
    if (E.isLeft(result.outcome)) {
      throw new Error(`setup step ${index} (${JSON.stringify(syscall)}) failed: ${errorText(result.outcome.left)}`)
    }
    state = result.state
  })
  return state
}

/** The reply of a successful outcome. */
export function expectOk(outcome: Outcome): Reply {
  if (E.isLeft(outcome)) assert.unreachable(`expected success, got ${errorText(outcome.left)}`)
  return (outcome as E.Right<Reply>).right
}

export function expectUnit(outcome: Outcome): void {
  assert.equal(expectOk(outcome), { kind: 'unit' })
}

/** The outcome is exactly `code` (and `resource`, for QuotaExceeded). */
export function expectError(outcome: Outcome, code: ErrorCode, resource?: Resource): void {
  if (E.isRight(outcome)) assert.unreachable(`expected ${code}${resource ? `(${resource})` : ''}, got success ${JSON.stringify(outcome.right)}`)
  const error = (outcome as E.Left<SyscallError>).left
  assert.is(errorText(error), code === 'QuotaExceeded' ? `QuotaExceeded(${resource})` : code)
  if (code !== 'QuotaExceeded') assert.is((error as { resource?: Resource }).resource, undefined, 'only QuotaExceeded names a resource')
}

// ---- state comparisons -----------------------------------------------------------------

/** The fields where two states differ (Maps compared per key), for readable failures. */
export function stateDiff(a: KernelState, b: KernelState): string[] {
  const diffs: string[] = []
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof KernelState>
  for (const key of keys) {
    const x = a[key] as unknown
    const y = b[key] as unknown
    if (x instanceof Map && y instanceof Map) {
      for (const k of new Set([...x.keys(), ...y.keys()])) {
        if (!isDeepStrictEqual(x.get(k), y.get(k))) diffs.push(`${key}[${String(k)}]: ${show(x.get(k))} → ${show(y.get(k))}`)
      }
    } else if (!isDeepStrictEqual(x, y)) {
      diffs.push(`${key}: ${show(x)} → ${show(y)}`)
    }
  }
  return diffs
}

function show(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v instanceof Set ? [...v] : v)) ?? 'undefined'
}

/** `after` equals `before` exactly. */
export function assertUnchanged(before: KernelState, after: KernelState): void {
  const diffs = stateDiff(before, after)
  assert.ok(diffs.length === 0, `state changed:\n  ${diffs.join('\n  ')}`)
}

/** `after` equals `before` except that `container`'s `usage.cpuBudget` went up by exactly one. */
export function assertOnlyCpuCharged(before: KernelState, after: KernelState, container: ObjectId): void {
  const c = getContainer(before, container)
  const objects = new Map(before.ksObjects)
  objects.set(container, { ...c, usage: { ...c.usage, cpuBudget: c.usage.cpuBudget + 1 } })
  const diffs = stateDiff({ ...before, ksObjects: objects }, after)
  assert.ok(diffs.length === 0, `a failed syscall changed more than the CPU charge of container ${container}:\n  ${diffs.join('\n  ')}`)
}

/** Steps one syscall that must fail with `code`, and checks that it changed nothing but the caller's CPU charge. */
export function failsWith(state: KernelState, syscall: { caller: number } | unknown, code: ErrorCode, resource?: Resource): KernelState {
  const result = step(state, syscall)
  expectError(result.outcome, code, resource)
  const caller = (syscall as { caller: number }).caller
  assertOnlyCpuCharged(state, result.state, containerOf(state, caller).id)
  return result.state
}

/** Steps one syscall that must succeed; the new state and the reply. */
export function succeeds(state: KernelState, syscall: unknown): { state: KernelState; reply: Reply } {
  const result = step(state, syscall)
  return { state: result.state, reply: expectOk(result.outcome) }
}

// ---- accessors ----------------------------------------------------------------------------

export function proc(state: KernelState, ref: ProcessRef): ProcessObject {
  const process = processByRef(state, ref)
  if (process === undefined) throw new Error(`test: no process ${ref}`)
  return process
}

export function containerOf(state: KernelState, ref: ProcessRef): ContainerObject {
  return getContainer(state, proc(state, ref).owner!)
}

export function usageOf(state: KernelState, container: ObjectId): Usage {
  return getContainer(state, container).usage
}

/** The cap in a process's slot, or undefined. */
export function capAt(state: KernelState, ref: ProcessRef, slot: SlotIndex): Cap | undefined {
  const id = proc(state, ref).slots[slot]
  return id === null || id === undefined ? undefined : state.ksCaps.get(id)
}

/** The cap in a slot, which must exist. */
export function mustCapAt(state: KernelState, ref: ProcessRef, slot: SlotIndex): Cap {
  const cap = capAt(state, ref, slot)
  if (cap === undefined) throw new Error(`test: slot ${slot} of process ${ref} is empty`)
  return cap
}

/** The object named by the cap in a slot. */
export function objectAt(state: KernelState, ref: ProcessRef, slot: SlotIndex): KernelObject | undefined {
  const cap = capAt(state, ref, slot)
  return cap === undefined ? undefined : state.ksObjects.get(cap.object)
}

export function capsTo(state: KernelState, object: ObjectId): Cap[] {
  return [...state.ksCaps.values()].filter((cap) => cap.object === object)
}

export function descendantsOf(state: KernelState, id: CapId): Cap[] {
  const found: Cap[] = []
  const frontier = [id]
  while (frontier.length > 0) {
    const next = frontier.pop()!
    for (const cap of state.ksCaps.values()) if (cap.parent === next) { found.push(cap); frontier.push(cap.id) }
  }
  return found
}

export function namespaceOf(state: KernelState, ref: ProcessRef, kind: 'pid' | 'mount' | 'net' | 'ipc' | 'user'): Namespace {
  return state.ksNamespaces.get(containerOf(state, ref).namespaces[kind])!
}

export const mask = (...names: RightName[]): number => rightsMask(names)

// ---- the standard world ------------------------------------------------------------------------

export interface WorldOptions {
  readonly images?: ReadonlyArray<ImageRecord>
  readonly limits?: Limits
  readonly namespaces?: NamespaceConfig
  readonly image?: string
  readonly uid?: number
  readonly slots?: number
  readonly grants?: Grant[]
}

export interface World {
  readonly state: KernelState
  /** Init's creation index (0). */
  readonly init: ProcessRef
  /** The spawned process's creation index (1). */
  readonly child: ProcessRef
  /** Init's slot holding the child container's original cap (3). */
  readonly containerSlot: SlotIndex
  /** Init's slot holding the child process's original cap (4). */
  readonly processSlot: SlotIndex
  /** Object ids of the child container and the child process. */
  readonly container: ObjectId
  readonly process: ObjectId
}

/**
 * Boot, then init creates a child container (cap in slot 3; new namespaces and
 * CHILD_LIMITS by default) and spawns process 1 into it (cap in slot 4; echo, uid 0,
 * 8 slots, no grants by default).
 */
export function world(options: WorldOptions = {}): World {
  const containerSlot = 3
  const processSlot = 4
  const state = must(
    bootWith(options.images ?? POOL),
    sc.create(INIT, ROOT_SLOT, containerSlot, options.limits ?? CHILD_LIMITS, options.namespaces ?? NEW_ALL),
    sc.spawn(INIT, containerSlot, processSlot, { image: options.image, uid: options.uid, slots: options.slots, grants: options.grants }),
  )
  return {
    state, init: INIT, child: 1, containerSlot, processSlot,
    container: mustCapAt(state, INIT, containerSlot).object, process: mustCapAt(state, INIT, processSlot).object,
  }
}
