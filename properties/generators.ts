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

export const BALANCED: MixWeights = { single: 40, nest: 14, hop: 12, fill: 5, namespace: 12, quota: 10, clock: 7 }

const ALL_RIGHTS: RightName[] = [...RIGHT_NAMES]
const PROCESS_SLOTS = 8

/** Limits for nested containers: each level can reserve the next, the last fits one process exactly. */
export const LIMIT_PRESETS: ReadonlyArray<Limits> = [
  { memoryBytes: 65536, processes: 8, endpoints: 6, cpuBudget: 2000, ioBytes: 4096, cpuWeight: 4, devices: ['disk0', 'net0'] },
  { memoryBytes: 16384, processes: 3, endpoints: 3, cpuBudget: 400, ioBytes: 512, cpuWeight: 2, devices: ['disk0'] },
  { memoryBytes: 4096, processes: 1, endpoints: 1, cpuBudget: 60, ioBytes: 64, cpuWeight: 1, devices: [] },
]

export const NAMESPACE_PRESETS: ReadonlyArray<NamespaceConfig> = [
  { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' },
  { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base: 1000, count: 1000 } },
  { pid: 'new', mount: 'share', net: 'new', ipc: 'share', user: 'share' },
  { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: { base: 0, count: 100 } },
]

const caller = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: fc.integer({ min: 1, max: 6 }) })
const slot = fc.integer({ min: 0, max: 9 })
const rights = fc.subarray(ALL_RIGHTS)
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
  record('cap_copy', { src: slot, dst: slot, rights, badge: opt(fc.integer({ min: 1, max: 3 })) }),
  record('cap_move', { src: slot, dst: slot }),
  record('cap_delete', { slot }),
  record('cap_revoke', { slot }),
  record('cap_inspect', { slot }),
  record('container_create', { parent: slot, dst: slot, limits, namespaces }),
  record('container_destroy', { slot }),
  record('container_set_limits', { slot, limits }),
  record('container_stats', { slot }),
  record('process_spawn', { container: slot, image, uid: fc.constantFrom(0, 1, 5000), slots: fc.constant(PROCESS_SLOTS), grants: fc.array(fc.record({ slot, rights }), { maxLength: 3 }), dst: slot }),
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
  .record({ caller, parent: fc.constantFrom(0, 0, 0, 3, 5), dst: fc.integer({ min: 3, max: 7 }), level: fc.integer({ min: 0, max: 2 }), namespaces, endpoint: opt(fc.integer({ min: 1, max: 9 })) })
  .map(({ caller, parent, dst, level, namespaces, endpoint }) => [
    { kind: 'container_create', caller, parent, dst, limits: LIMIT_PRESETS[level], namespaces },
    {
      kind: 'process_spawn', caller, container: dst, image: VALID_IMAGE, uid: 0, slots: PROCESS_SLOTS,
      grants: [{ slot: dst, rights: ALL_RIGHTS }, ...(endpoint === undefined ? [] : [{ slot: endpoint, rights: ['read', 'write', 'grant'] }])],
      dst: dst + 1,
    },
  ])

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
    { weight: weights.namespace, arbitrary: namespaceSyscall.map((s) => [s]) },
    { weight: weights.quota, arbitrary: quotaFragment },
    { weight: weights.clock, arbitrary: clockSyscall.map((s) => [s]) },
  )
  return fc.array(fragment, { minLength: 1, maxLength: maxFragments })
}

/** Flattens fragments into the syscalls to run, cut at `maxSteps`. */
export function flatten(fragments: ReadonlyArray<Fragment>, maxSteps: number): Record<string, unknown>[] {
  return fragments.flat().slice(0, maxSteps)
}
