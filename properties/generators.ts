/**
 * Generators of syscall sequences (tooling.md §2). A sequence is a list of
 * *fragments*: single syscalls of every kind over small argument domains, and
 * macro fragments that build deep states on purpose — a child container with a
 * process that holds control over it (so it can nest again), a cap sent through an
 * endpoint and received elsewhere (a hop), a queue filled to its depth, quotas
 * sized so that one process fills them. Every sequence is executable, and so is
 * every subsequence: shrinking (fast-check's array shrinker, then our step-level
 * minimizer) keeps it meaningful.
 * @module
 */
import fc from 'fast-check'
import { RIGHT_NAMES, type RightName } from '../spec/rights.js'
import type { Limits, NamespaceConfig } from '../spec/limits.js'
import { IMAGE_POOL, VALID_IMAGE } from './pool.js'

export type Fragment = ReadonlyArray<Record<string, unknown>>

/** How a suite tunes the mix: relative weights of the fragment families. */
export interface MixWeights {
  readonly single: number
  readonly nest: number
  readonly hop: number
  readonly fill: number
  readonly namespace: number
  readonly quota: number
  readonly clock: number
}

export const BALANCED: MixWeights = { single: 40, nest: 10, hop: 12, fill: 5, namespace: 16, quota: 10, clock: 7 }

const ALL_RIGHTS: RightName[] = [...RIGHT_NAMES]
const PROCESS_SLOTS = 8

/** Limits for nested containers: each level can reserve the next, the last fits one process exactly. */
export const LIMIT_PRESETS: ReadonlyArray<Limits> = [
  { memoryBytes: 65536, processes: 8, endpoints: 6, cpuBudget: 2000, ioBytes: 4096, cpuWeight: 4, devices: ['disk0', 'net0'] },
  { memoryBytes: 16384, processes: 3, endpoints: 3, cpuBudget: 400, ioBytes: 512, cpuWeight: 2, devices: ['disk0'] },
  { memoryBytes: 4096, processes: 1, endpoints: 1, cpuBudget: 16, ioBytes: 64, cpuWeight: 1, devices: [] },
]

export const NAMESPACE_PRESETS: ReadonlyArray<NamespaceConfig> = [
  { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' },
  { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base: 1000, count: 1000 } },
  { pid: 'new', mount: 'share', net: 'new', ipc: 'share', user: 'share' },
  { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: { base: 0, count: 100 } },
]

const caller = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 5, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 4, max: 6 }) })
const slot = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 7 }) }, { weight: 1, arbitrary: fc.integer({ min: 8, max: 16 }) })
const rights = fc.oneof({ weight: 3, arbitrary: fc.subarray(ALL_RIGHTS, { maxLength: 2 }) }, { weight: 1, arbitrary: fc.subarray(ALL_RIGHTS) })
const payload = fc.oneof(fc.integer({ min: 0, max: 99 }), fc.constantFrom('ping', 'state:1', ''))
const path = fc.constantFrom('/', '/data', '/srv/log', '/dev')
const port = fc.constantFrom(80, 443, 8080)
const name = fc.constantFrom('echo', 'log', 'modules')
const image = fc.oneof({ weight: 5, arbitrary: fc.constant(VALID_IMAGE) }, { weight: 3, arbitrary: fc.constantFrom(...IMAGE_POOL.map((i) => i.digest)) })
const limits = fc.constantFrom(...LIMIT_PRESETS)
const namespaces = fc.constantFrom(...NAMESPACE_PRESETS)
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })

function record(kind: string, fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({ caller, ...fields }).map((r) => ({ kind, ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) }))
}

/** One syscall of any process kind, small domains. */
export const singleSyscall: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  record('cap_copy', { src: slot, dst: slot, rights, badge: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined, freq: 3 }) }),
  record('cap_move', { src: slot, dst: slot }),
  record('cap_delete', { slot }),
  record('cap_revoke', { slot }),
  record('cap_inspect', { slot }),
  record('container_create', { parent: slot, dst: slot, limits, namespaces }),
  record('container_destroy', { slot }),
  record('container_set_limits', { slot, limits }),
  record('container_stats', { slot }),
  record('process_spawn', { container: slot, image, uid: fc.constantFrom(0, 1, 5000), slots: fc.constant(PROCESS_SLOTS), grants: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.record({ slot, rights }), { maxLength: 3 }) }), dst: slot }),
  record('process_kill', { slot }),
  record('process_list', {}),
  record('mem_alloc', { sizeBytes: fc.constantFrom(1, 512, 4096), executable: fc.boolean(), dst: slot }),
  record('mem_map', { slot, perms: fc.subarray(['read', 'write', 'execute'] as RightName[], { minLength: 1 }) }),
  record('mem_unmap', { slot }),
  record('ep_create', { depth: fc.integer({ min: 1, max: 3 }), dst: slot }),
  record('ep_send', { slot, payload, xfer: opt(slot) }),
  record('ep_recv', { slot, dst: opt(slot) }),
  record('io_submit', { slot, bytes: fc.constantFrom(1, 64, 1024) }),
)

/** Namespace syscalls over a few shared names, so binds and lookups meet. */
export const namespaceSyscall: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  record('mount', { path, slot, rights }),
  record('unmount', { path }),
  record('resolve', { path, dst: slot }),
  record('net_bind', { port, slot }),
  record('net_unbind', { port }),
  record('net_connect', { port, dst: slot }),
  record('svc_register', { name, slot }),
  record('svc_unregister', { name }),
  record('svc_lookup', { name, dst: slot }),
  record('process_list', {}),
)

/**
 * A child container under the cap in `parent`, and a process in it holding control
 * over it in slot 0 (and, sometimes, an endpoint of the caller's in slot 1).
 */
export const nestFragment: fc.Arbitrary<Fragment> = fc
  .record({ caller, parent: fc.constantFrom(0, 0, 0, 3, 5), dst: fc.integer({ min: 3, max: 7 }), level: fc.integer({ min: 0, max: 2 }), namespaces, endpoint: opt(fc.integer({ min: 1, max: 9 })), image })
  .map(({ caller, parent, dst, level, namespaces, endpoint, image }) => [
    { kind: 'container_create', caller, parent, dst, limits: LIMIT_PRESETS[level], namespaces },
    {
      kind: 'process_spawn', caller, container: dst, image, uid: 0, slots: PROCESS_SLOTS,
      grants: [{ slot: dst, rights: ALL_RIGHTS }, ...(endpoint === undefined ? [] : [{ slot: endpoint, rights: ['read', 'write', 'grant'] }])],
      dst: dst + 1,
    },
  ])

/** A server: an endpoint made, bound under a name (service, port or path), and looked up by someone. */
export const serveFragment: fc.Arbitrary<Fragment> = fc
  .record({ server: caller, client: caller, slot: fc.integer({ min: 3, max: 7 }), dst: fc.integer({ min: 2, max: 7 }), table: fc.constantFrom('svc', 'net', 'mount'), name, port, path })
  .map(({ server, client, slot, dst, table, name, port, path }) => [
    { kind: 'ep_create', caller: server, depth: 2, dst: slot },
    table === 'svc' ? { kind: 'svc_register', caller: server, name, slot } : table === 'net' ? { kind: 'net_bind', caller: server, port, slot } : { kind: 'mount', caller: server, path, slot, rights: ['read', 'write'] },
    table === 'svc' ? { kind: 'svc_lookup', caller: client, name, dst } : table === 'net' ? { kind: 'net_connect', caller: client, port, dst } : { kind: 'resolve', caller: client, path, dst },
    { kind: 'ep_send', caller: client, slot: dst, payload: 'hello' },
    table === 'svc' ? { kind: 'svc_unregister', caller: server, name } : table === 'net' ? { kind: 'net_unbind', caller: server, port } : { kind: 'unmount', caller: server, path },
  ])

/** A region allocated and mapped. */
export const mapFragment: fc.Arbitrary<Fragment> = fc
  .record({ caller, dst: fc.integer({ min: 2, max: 7 }), executable: fc.boolean(), unmap: fc.boolean() })
  .map(({ caller, dst, executable, unmap }) => [
    { kind: 'mem_alloc', caller, sizeBytes: 512, executable, dst },
    { kind: 'mem_map', caller, slot: dst, perms: executable ? ['read', 'execute'] : ['read', 'write'] },
    ...(unmap ? [{ kind: 'mem_unmap', caller, slot: dst }] : []),
  ])

/** Badges: a badged copy, an attempt to badge it again, and a message that carries the badge. */
export const badgeFragment: fc.Arbitrary<Fragment> = fc
  .record({ caller, endpoint: fc.integer({ min: 3, max: 5 }), badged: fc.integer({ min: 5, max: 7 }), again: fc.integer({ min: 1, max: 7 }), first: fc.integer({ min: 1, max: 3 }), second: fc.integer({ min: 1, max: 3 }) })
  .map(({ caller, endpoint, badged, again, first, second }) => [
    { kind: 'ep_create', caller, depth: 2, dst: endpoint },
    { kind: 'cap_copy', caller, src: endpoint, dst: badged, rights: ['write', 'grant'], badge: first },
    { kind: 'cap_copy', caller, src: badged, dst: again, rights: ['write'], badge: second },
    { kind: 'ep_send', caller, slot: badged, payload: 3 },
    { kind: 'ep_recv', caller, slot: endpoint },
  ])

/** One process making many cheap syscalls: spends its container's CPU budget (BudgetExhausted, CPU-1). */
export const busyFragment: fc.Arbitrary<Fragment> = fc
  .record({ caller, count: fc.integer({ min: 8, max: 20 }) })
  .map(({ caller, count }) => Array.from({ length: count }, () => ({ kind: 'process_list', caller })))

const ALL = ALL_RIGHTS
/**
 * A fixed start that reaches depth at once: three containers nested under the
 * root, each with a process that controls it and shares an endpoint with its
 * parent (the last container's quota filled by its one process), then a region
 * carried from the deepest process through both endpoints up to init: one cap
 * across three containers. Generated sequences start with it half the time;
 * shrinking drops it when it is not needed.
 */
export const DEEP_PREAMBLE: Fragment = [
  { kind: 'ep_create', caller: 0, depth: 2, dst: 3 },
  { kind: 'container_create', caller: 0, parent: 0, dst: 4, limits: LIMIT_PRESETS[0], namespaces: NAMESPACE_PRESETS[2] },
  { kind: 'process_spawn', caller: 0, container: 4, image: VALID_IMAGE, uid: 0, slots: PROCESS_SLOTS, grants: [{ slot: 4, rights: ALL }, { slot: 3, rights: ['read', 'write', 'grant'] }], dst: 5 },
  { kind: 'ep_create', caller: 1, depth: 2, dst: 2 },
  { kind: 'container_create', caller: 1, parent: 0, dst: 3, limits: LIMIT_PRESETS[1], namespaces: NAMESPACE_PRESETS[1] },
  { kind: 'process_spawn', caller: 1, container: 3, image: VALID_IMAGE, uid: 0, slots: PROCESS_SLOTS, grants: [{ slot: 3, rights: ALL }, { slot: 2, rights: ['read', 'write', 'grant'] }], dst: 4 },
  { kind: 'container_create', caller: 2, parent: 0, dst: 3, limits: LIMIT_PRESETS[2], namespaces: NAMESPACE_PRESETS[0] },
  { kind: 'process_spawn', caller: 2, container: 3, image: VALID_IMAGE, uid: 0, slots: PROCESS_SLOTS, grants: [{ slot: 3, rights: ALL }], dst: 4 },
  { kind: 'mem_alloc', caller: 2, sizeBytes: 1024, executable: false, dst: 2 },
  { kind: 'ep_send', caller: 2, slot: 1, payload: 1, xfer: 2 },
  { kind: 'ep_recv', caller: 1, slot: 2, dst: 5 },
  { kind: 'ep_send', caller: 1, slot: 1, payload: 2, xfer: 5 },
  { kind: 'ep_recv', caller: 0, slot: 3, dst: 6 },
]

/** A cap carried by a message from one process to another: a hop. */
export const hopFragment: fc.Arbitrary<Fragment> = fc
  .record({ from: caller, to: caller, slot: fc.integer({ min: 1, max: 5 }), receiveSlot: fc.integer({ min: 1, max: 5 }), xfer: slot, dst: slot })
  .map(({ from, to, slot, receiveSlot, xfer, dst }) => [
    { kind: 'ep_send', caller: from, slot, payload: 7, xfer },
    { kind: 'ep_recv', caller: to, slot: receiveSlot, dst },
  ])

/** An endpoint filled to its depth (and one more, which is QueueFull). */
export const fillFragment: fc.Arbitrary<Fragment> = fc
  .record({ caller, dst: fc.integer({ min: 3, max: 9 }), depth: fc.integer({ min: 1, max: 3 }) })
  .map(({ caller, dst, depth }) => [
    { kind: 'ep_create', caller, depth, dst },
    ...Array.from({ length: depth + 1 }, (_, index) => ({ kind: 'ep_send', caller, slot: dst, payload: index })),
  ])

/** Spending toward a quota: allocations, I/O and endpoints until refused. */
export const quotaFragment: fc.Arbitrary<Fragment> = fc
  .record({ caller, count: fc.integer({ min: 2, max: 5 }), sizeBytes: fc.constantFrom(1024, 4096, 8192), dst: fc.integer({ min: 2, max: 6 }) })
  .map(({ caller, count, sizeBytes, dst }) => Array.from({ length: count }, (_, index) =>
    index % 3 === 2 ? { kind: 'io_submit', caller, slot: 1, bytes: 64 } : { kind: 'mem_alloc', caller, sizeBytes, executable: false, dst: dst + index }))

export const clockSyscall: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.constant({ kind: 'tick' }),
  fc.integer({ min: 1, max: 12 }).map((quanta) => ({ kind: 'sched_run', quanta })),
)

/** Sequences of fragments with the given mix, at most `maxSteps` syscalls. */
export function syscallSequence(weights: MixWeights, maxFragments: number): fc.Arbitrary<Fragment[]> {
  const fragment = fc.oneof(
    { weight: weights.single, arbitrary: singleSyscall.map((s) => [s]) },
    { weight: weights.nest, arbitrary: nestFragment },
    { weight: weights.hop, arbitrary: hopFragment },
    { weight: weights.fill, arbitrary: fillFragment },
    { weight: weights.namespace, arbitrary: fc.oneof(namespaceSyscall.map((s): Fragment => [s]), serveFragment) },
    { weight: Math.ceil(weights.single / 8), arbitrary: mapFragment },
    { weight: weights.quota, arbitrary: quotaFragment },
    { weight: weights.clock, arbitrary: clockSyscall.map((s) => [s]) },
    { weight: Math.ceil(weights.quota / 4), arbitrary: busyFragment },
    { weight: Math.ceil(weights.hop / 3), arbitrary: badgeFragment },
  )
  return fc.tuple(fc.boolean(), fc.array(fragment, { minLength: Math.max(1, Math.floor(maxFragments / 2)), maxLength: maxFragments }))
    .map(([deep, fragments]) => (deep ? [DEEP_PREAMBLE, ...fragments] : fragments))
}

/** Flattens fragments into the syscalls to run, cut at `maxSteps`. */
export function flatten(fragments: ReadonlyArray<Fragment>, maxSteps: number): Record<string, unknown>[] {
  return fragments.flat().slice(0, maxSteps)
}
