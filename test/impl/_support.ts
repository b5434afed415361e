/**
 * Shared by the impl tests: boot configurations, a preamble that makes callers 1..3
 * exist, syscall generators over small slot numbers with garbage mixed in, and a
 * lockstep driver that checks outcomes, abstract states and the incremental
 * comparison after every step.
 * @module
 */
import * as assert from 'node:assert/strict'
import fc from 'fast-check'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { type BootConfig, DEFAULT_BOOT } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import { RIGHT_NAMES } from '../../spec/rights.js'
import { Kernel } from '../../impl/kernel.js'
import { abstractState, compareImpl } from '../../refinement/abstraction.js'
import { diffStates } from '../../refinement/diff.js'
import { IMAGE_POOL, VALID_IMAGE } from '../../properties/pool.js'

export { IMAGE_POOL, VALID_IMAGE }
export const ALL = [...RIGHT_NAMES]
export const RWG = ['read', 'write', 'grant']

export const LIMITS = [
  { memoryBytes: 65536, processes: 8, endpoints: 6, cpuBudget: 2000, ioBytes: 4096, cpuWeight: 4, devices: ['disk0', 'net0'] },
  { memoryBytes: 8192, processes: 2, endpoints: 2, cpuBudget: 40, ioBytes: 100, cpuWeight: 2, devices: ['disk0'] },
  { memoryBytes: 4096, processes: 1, endpoints: 1, cpuBudget: 12, ioBytes: 64, cpuWeight: 1, devices: [] },
  { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0, cpuWeight: 10000, devices: [] },
  // A field limits do not have: malformed (kernel.md §8), refused by both kernels.
  { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0, cpuWeight: 10000, devices: [], note: 'a field limits do not have' },
]
export const NAMESPACES = [
  { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' },
  { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base: 1000, count: 1000 } },
  { pid: 'new', mount: 'share', net: 'new', ipc: 'share', user: 'share' },
  { pid: 'share', mount: 'new', net: 'share', ipc: 'new', user: { base: 0, count: 100 } },
  { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base: 2 ** 32 - 1, count: 2 } },
]

/** A tight configuration: small budgets, so quotas and BudgetExhausted are reached. */
export const TIGHT_BOOT: BootConfig = {
  root: { limits: { memoryBytes: 20000, processes: 5, endpoints: 4, cpuBudget: 60, ioBytes: 300, cpuWeight: 3, devices: ['disk0'] } },
  devices: [{ name: 'disk0' }, { name: 'net0' }],
  keyring: [{ keyId: 'release' }],
  floors: { echo: '1.9.2' },
  init: { slots: 8 },
}
export const NO_CPU_BOOT: BootConfig = { ...DEFAULT_BOOT, init: { slots: 8 }, cpuAccounting: false }
export const CONFIGS: ReadonlyArray<BootConfig> = [DEFAULT_BOOT, TIGHT_BOOT, NO_CPU_BOOT]

/** Makes callers 1 (in a child container, controlling it) and 2 (in the root) exist, sharing an endpoint with init. */
export const PREAMBLE: ReadonlyArray<Record<string, unknown>> = [
  { kind: 'ep_create', caller: 0, depth: 2, dst: 3 },
  { kind: 'container_create', caller: 0, parent: 0, dst: 4, limits: LIMITS[1], namespaces: NAMESPACES[1] },
  { kind: 'process_spawn', caller: 0, container: 4, image: VALID_IMAGE, uid: 0, slots: 8, grants: [{ slot: 4, rights: ALL }, { slot: 3, rights: RWG }], dst: 5 },
  { kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 0, slots: 8, grants: [{ slot: 0, rights: ['read', 'control'] }, { slot: 3, rights: RWG }], dst: 6 },
]

const garbage = fc.constantFrom<unknown>(null, undefined, -1, -0, 0.5, NaN, Infinity, 2 ** 53, '3', [], {}, true, [1], 'x'.repeat(5000))
const sometimesGarbage = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 30, arbitrary }, { weight: 1, arbitrary: garbage })

const caller = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 4, max: 6 }) })
const slot = sometimesGarbage(fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 7 }) }, { weight: 1, arbitrary: fc.constantFrom(8, 16, 4096, 2 ** 40) }))
const rights = sometimesGarbage(fc.oneof(
  { weight: 6, arbitrary: fc.subarray(ALL, { maxLength: 2 }) },
  { weight: 3, arbitrary: fc.subarray(ALL) },
  { weight: 1, arbitrary: fc.constantFrom(['admin'], ['read', 'read'], ['write', 'execute'], [undefined], Object.assign([], { length: 1 })) },
))
const payload = sometimesGarbage(fc.oneof(fc.integer({ min: 0, max: 99 }), fc.constantFrom('ping', '', -0, 2 ** 31 - 1, 2 ** 31)))
const path = sometimesGarbage(fc.constantFrom('/', '/data', '/a/b', '/..', 'data', '/a//b'))
const port = sometimesGarbage(fc.constantFrom(80, 443, 0, 65536))
const name = sometimesGarbage(fc.constantFrom('echo', 'log', '', 'a b'))
const image = sometimesGarbage(fc.oneof({ weight: 4, arbitrary: fc.constant(VALID_IMAGE) }, { weight: 3, arbitrary: fc.constantFrom(...IMAGE_POOL.map((i) => i.digest)) }, { weight: 1, arbitrary: fc.constant(`sha256:${'0'.repeat(64)}`) }))
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 3 })

function call(kind: string, fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({ caller, ...fields }).map((r) => ({ kind, ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) }))
}

/** One syscall of any kind over small domains, with garbage arguments now and then. */
export const syscall: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: call('cap_copy', { src: slot, dst: slot, rights, badge: optional(sometimesGarbage(fc.integer({ min: 1, max: 3 }))) }) },
  { weight: 2, arbitrary: call('cap_move', { src: slot, dst: slot }) },
  { weight: 3, arbitrary: call('cap_delete', { slot }) },
  { weight: 2, arbitrary: call('cap_revoke', { slot }) },
  { weight: 1, arbitrary: call('cap_inspect', { slot }) },
  { weight: 2, arbitrary: call('container_create', { parent: slot, dst: slot, limits: sometimesGarbage(fc.constantFrom(...LIMITS)), namespaces: sometimesGarbage(fc.constantFrom(...NAMESPACES)) }) },
  { weight: 1, arbitrary: call('container_destroy', { slot }) },
  { weight: 1, arbitrary: call('container_set_limits', { slot, limits: sometimesGarbage(fc.constantFrom(...LIMITS)) }) },
  { weight: 1, arbitrary: call('container_stats', { slot }) },
  { weight: 2, arbitrary: call('process_spawn', {
    container: slot, image, uid: sometimesGarbage(fc.constantFrom(0, 1, 5000)), slots: sometimesGarbage(fc.constantFrom(8, 1, 2)),
    grants: sometimesGarbage(fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 2, arbitrary: fc.array(fc.record({ slot, rights }), { maxLength: 3 }) })), dst: slot,
  }) },
  { weight: 1, arbitrary: call('process_kill', { slot }) },
  { weight: 1, arbitrary: call('process_list', {}) },
  { weight: 2, arbitrary: call('mem_alloc', { sizeBytes: sometimesGarbage(fc.constantFrom(1, 512, 4096, 2 ** 40 + 1)), executable: sometimesGarbage(fc.boolean()), dst: slot }) },
  { weight: 2, arbitrary: call('mem_map', { slot, perms: rights }) },
  { weight: 1, arbitrary: call('mem_unmap', { slot }) },
  { weight: 2, arbitrary: call('ep_create', { depth: sometimesGarbage(fc.integer({ min: 1, max: 3 })), dst: slot }) },
  { weight: 4, arbitrary: call('ep_send', { slot, payload, xfer: optional(slot) }) },
  { weight: 4, arbitrary: call('ep_recv', { slot, dst: optional(slot) }) },
  { weight: 1, arbitrary: call('mount', { path, slot, rights }) },
  { weight: 1, arbitrary: call('unmount', { path }) },
  { weight: 1, arbitrary: call('resolve', { path, dst: slot }) },
  { weight: 1, arbitrary: call('net_bind', { port, slot }) },
  { weight: 1, arbitrary: call('net_unbind', { port }) },
  { weight: 1, arbitrary: call('net_connect', { port, dst: slot }) },
  { weight: 1, arbitrary: call('svc_register', { name, slot }) },
  { weight: 1, arbitrary: call('svc_unregister', { name }) },
  { weight: 1, arbitrary: call('svc_lookup', { name, dst: slot }) },
  { weight: 1, arbitrary: call('io_submit', { slot, bytes: sometimesGarbage(fc.constantFrom(1, 64, 1024)) }) },
  { weight: 1, arbitrary: fc.oneof(fc.constant({ kind: 'tick' }), fc.integer({ min: 1, max: 9 }).map((quanta) => ({ kind: 'sched_run', quanta })), fc.constant({ kind: 'sched_run', quanta: 0 })) },
  { weight: 1, arbitrary: fc.oneof(garbage, fc.constantFrom<unknown>({ kind: 'nope', caller: 0 }, { kind: 'cap_delete' }, ['tick'], Object.assign([], { kind: 'tick' }), { kind: 'cap_delete', caller: 0, slot: 0, extra: 1 }), fc.anything()) },
)

type Call = Record<string, unknown>
const actor = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.integer({ min: 3, max: 5 }) })
const small = fc.integer({ min: 0, max: 7 })
const someRights = fc.subarray(ALL)
/** Where the preamble put the shared endpoint: init's slot 3, the spawned processes' slot 1. */
const endpointSlot = (caller: number) => (caller === 0 ? 3 : 1)

/** Fragments that make the interesting things happen: chains, hops, drops, cycles, mappings, nesting, kills, tables. */
const fragment: fc.Arbitrary<Call[]> = fc.oneof(
  { weight: 10, arbitrary: syscall.map((one) => [one as Call]) },
  { weight: 3, arbitrary: fc.record({ c: actor, src: small, d1: small, d2: small, r1: someRights, r2: someRights, badge: optional(fc.integer({ min: 1, max: 3 })) })
    .map(({ c, src, d1, d2, r1, r2, badge }) => [
      { kind: 'cap_copy', caller: c, src, dst: d1, rights: r1, ...(badge === undefined ? {} : { badge }) },
      { kind: 'cap_copy', caller: c, src: d1, dst: d2, rights: r2 },
    ]) },
  { weight: 5, arbitrary: fc.record({ from: actor, to: actor, xfer: optional(small), dst: optional(small), payload: fc.integer({ min: 0, max: 9 }), twice: fc.boolean() })
    .map(({ from, to, xfer, dst, payload, twice }) => {
      const send = { kind: 'ep_send', caller: from, slot: endpointSlot(from), payload, ...(xfer === undefined ? {} : { xfer }) }
      const recv = { kind: 'ep_recv', caller: to, slot: endpointSlot(to), ...(dst === undefined ? {} : { dst }) }
      return twice ? [send, send, recv, recv] : [send, recv]
    }) },
  { weight: 1, arbitrary: fc.record({ c: actor, d: small, depth: fc.integer({ min: 1, max: 2 }), carry: small })
    .map(({ c, d, depth, carry }) => [
      { kind: 'ep_create', caller: c, depth, dst: d }, { kind: 'ep_send', caller: c, slot: d, payload: 1, xfer: carry },
      { kind: 'ep_send', caller: c, slot: d, payload: 2, xfer: d }, { kind: 'cap_delete', caller: c, slot: d },
    ]) },
  { weight: 2, arbitrary: fc.record({ c: actor, d: small, d2: small, executable: fc.boolean(), end: fc.constantFrom('cap_delete', 'cap_revoke', 'mem_unmap') })
    .map(({ c, d, d2, executable, end }) => [
      { kind: 'mem_alloc', caller: c, sizeBytes: 512, executable, dst: d },
      { kind: 'mem_map', caller: c, slot: d, perms: executable ? ['read', 'execute'] : ['read', 'write'] },
      { kind: 'cap_copy', caller: c, src: d, dst: d2, rights: ['read'] }, { kind: 'mem_map', caller: c, slot: d2, perms: ['read'] },
      { kind: end, caller: c, slot: d },
    ]) },
  { weight: 1, arbitrary: fc.record({ parent: fc.constantFrom(0, 4), limits: fc.integer({ min: 0, max: 2 }), namespaces: fc.integer({ min: 0, max: 4 }), worker: fc.integer({ min: 3, max: 5 }), work: fc.array(syscall, { maxLength: 4 }), destroy: fc.boolean() })
    .map(({ parent, limits, namespaces, worker, work, destroy }) => [
      { kind: 'container_create', caller: 0, parent, dst: 7, limits: LIMITS[limits], namespaces: NAMESPACES[namespaces] },
      { kind: 'process_spawn', caller: 0, container: 7, image: VALID_IMAGE, uid: 0, slots: 4, grants: [{ slot: 7, rights: ALL }, { slot: 3, rights: RWG }], dst: 8 },
      { kind: 'mem_alloc', caller: worker, sizeBytes: 64, executable: false, dst: 2 },
      { kind: 'ep_send', caller: worker, slot: 1, payload: 'up', xfer: 2 },
      ...work.map((one) => ({ ...(one as Call), caller: worker })),
      destroy ? { kind: 'container_destroy', caller: 0, slot: 7 } : { kind: 'process_kill', caller: 0, slot: 8 },
      { kind: 'cap_delete', caller: 0, slot: 8 },
    ]) },
  { weight: 1, arbitrary: fc.record({ c: actor, slot: fc.constantFrom(5, 6, 8) })
    .map(({ c, slot }) => [{ kind: 'process_kill', caller: c, slot }, { kind: 'cap_inspect', caller: c, slot }, { kind: 'cap_delete', caller: c, slot }]) },
  { weight: 2, arbitrary: fc.record({ server: actor, client: actor, slot: small, dst: small, table: fc.constantFrom('svc', 'net', 'mount'), end: fc.boolean() })
    .map(({ server, client, slot, dst, table, end }): Call[] => {
      const bind = table === 'svc' ? { kind: 'svc_register', name: 'echo' } : table === 'net' ? { kind: 'net_bind', port: 80 } : { kind: 'mount', path: '/srv', rights: ['read', 'write'] }
      const look = table === 'svc' ? { kind: 'svc_lookup', name: 'echo' } : table === 'net' ? { kind: 'net_connect', port: 80 } : { kind: 'resolve', path: '/srv' }
      const unbind = table === 'svc' ? { kind: 'svc_unregister', name: 'echo' } : table === 'net' ? { kind: 'net_unbind', port: 80 } : { kind: 'unmount', path: '/srv' }
      return [{ ...bind, caller: server, slot }, { ...look, caller: client, dst }, { kind: 'ep_send', caller: client, slot: dst, payload: 'hi' }, ...(end ? [{ ...unbind, caller: server }] : [])]
    }) },
  { weight: 2, arbitrary: fc.record({ c: actor, slot: small, how: fc.constantFrom('cap_revoke', 'cap_delete', 'cap_move') , dst: small })
    .map(({ c, slot, how, dst }) => [{ kind: how, caller: c, slot, src: slot, dst }]) },
)

/** A sequence: usually the preamble, then fragments. */
export const sequence: fc.Arbitrary<unknown[]> = fc.tuple(fc.nat(4), fc.array(fragment, { minLength: 4, maxLength: 24 }))
  .map(([preamble, rest]) => (preamble > 0 ? [...PREAMBLE, ...rest.flat()] : rest.flat()))

export function withoutGhosts(state: KernelState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state).filter(([key]) => !key.startsWith('gs')))
}

/** Model and impl booted together. */
export class Pair {
  model: KernelState
  readonly kernel: Kernel
  steps = 0

  constructor(config: BootConfig, images: ReadonlyArray<ImageRecord> = IMAGE_POOL) {
    this.model = boot(config, images)
    this.kernel = Kernel.boot(config, images)
    this.check('boot')
  }

  /** Steps both and checks the outcome, the abstract state and the incremental comparison. */
  step(syscall: unknown): void {
    const result = modelStep(this.model, syscall)
    this.model = result.state
    const outcome = this.kernel.step(syscall)
    const label = `step ${this.steps++}: ${describe(syscall)}`
    assert.deepStrictEqual(outcome, result.outcome, `${label}: outcome`)
    this.check(label)
  }

  check(label: string): void {
    const incremental = compareImpl(this.kernel, this.model)
    const abstracted = abstractState(this.kernel)
    const full = diffStates(this.model, abstracted)
    assert.equal(full, null, `${label}: ${JSON.stringify(full)}`)
    assert.equal(incremental, null, `${label}: incremental ${JSON.stringify(incremental)}`)
    assert.deepStrictEqual(withoutGhosts(abstracted), withoutGhosts(this.model), label)
    assert.deepStrictEqual(abstracted.gsMessages, this.model.gsMessages, `${label}: ledger`)
    assert.deepStrictEqual(abstracted.gsLastReceived, this.model.gsLastReceived, `${label}: last received`)
  }

  run(syscalls: Iterable<unknown>): this {
    for (const syscall of syscalls) this.step(syscall)
    return this
  }
}

export function describe(syscall: unknown): string {
  try {
    return JSON.stringify(syscall) ?? String(syscall)
  } catch {
    return String(syscall)
  }
}
