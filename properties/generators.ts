/**
 * Generators of syscall sequences (tooling.md §2). A sequence is a list of
 * *fragments*: single syscalls of every kind over small argument domains, and
 * macro fragments that build deep states on purpose — a child container with a
 * process that holds control over it (so it can nest again), a cap sent through an
 * endpoint and received elsewhere (a hop), a queue filled to its depth, quotas
 * sized so that one process fills them, a cap spread over slot, table and message
 * then revoked, a container torn down, a tenant given a device, a mapping whose
 * cap goes. Every sequence is executable, and so is
 * every subsequence: shrinking (fast-check's array shrinker, then our step-level
 * minimizer) keeps it meaningful.
 * @module
 */
import fc from 'fast-check'
import { RIGHT_NAMES, type RightName } from '../spec/rights.js'
import { BOUNDS } from '../spec/numbers.js'
import type { Limits, NamespaceConfig } from '../spec/limits.js'
import { IMAGE_POOL, MATCHER_IMAGE, VALID_IMAGE } from './pool.js'
import { edgeFragment } from './edges.js'

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
  // Tight everywhere: one image fits but not two (while a process slot is left), a few syscalls per period, less I/O than one write.
  { memoryBytes: 6144, processes: 2, endpoints: 1, cpuBudget: 5, ioBytes: 32, cpuWeight: 3, devices: ['net0'] },
]

export const NAMESPACE_PRESETS: ReadonlyArray<NamespaceConfig> = [
  { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' },
  { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base: 1000, count: 1000 } },
  { pid: 'new', mount: 'share', net: 'new', ipc: 'share', user: 'share' },
  { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: { base: 0, count: 100 } },
  // Rootless, sharing the parent's tables: its uid 0 is uid 1000 outside, so it may not change them.
  { pid: 'new', mount: 'share', net: 'share', ipc: 'share', user: { base: 1000, count: 1000 } },
  // A small base inside the map's own range, sharing the parent's tables: uid 1 (the base) is uid 2 outside, not 0.
  { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: { base: 1, count: 4 } },
]

const caller = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 5, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 4, max: 6 }) })
// Slots mostly inside a process's CSpace (8 slots), often at the last slot or one past it, of a process or of init (16).
const slot = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 7 }) }, { weight: 2, arbitrary: fc.constantFrom(7, 8, 15, 16) }, { weight: 1, arbitrary: fc.integer({ min: 9, max: 16 }) })
/** Every right but one: a check that asks for that one (and only such a check) must refuse it. */
const allButOne = fc.constantFrom(...ALL_RIGHTS).map((missing) => ALL_RIGHTS.filter((right) => right !== missing))
const rights = fc.oneof({ weight: 3, arbitrary: fc.subarray(ALL_RIGHTS, { maxLength: 2 }) }, { weight: 1, arbitrary: fc.subarray(ALL_RIGHTS) }, { weight: 1, arbitrary: allButOne })
const payload = fc.oneof(fc.integer({ min: 0, max: 99 }), fc.constantFrom('ping', 'state:1', ''))
const PATHS = ['/', '/data', '/srv/log', '/dev']
const PORTS = [80, 443, 8080]
const NAMES = ['echo', 'log', 'modules']

/**
 * Keys next to a key, each a different key for the kernel (kernel.md §6 compares
 * table keys exactly): other letter cases, one character more or less, and for a
 * path its parent and a child. A table that folds case, trims, or matches by
 * prefix mistakes one for the other.
 */
export function nearKeys(key: string): string[] {
  const last = key.lastIndexOf('/')
  const head = key.slice(0, last + 1)
  const tail = key.slice(last + 1)
  const near = [key.toUpperCase(), `${head}${tail.charAt(0).toUpperCase()}${tail.slice(1)}`, `${key}0`, `${key}-`, key.slice(0, -1)]
  // A path segment may not be '.' (PathCodec, spec/numbers.ts), so a bare '/' gets no dot.
  if (tail !== '') near.push(`${key}.`)
  if (key.startsWith('/')) near.push(tail === '' ? '/x' : `${key}/x`, last === 0 ? '/' : key.slice(0, last))
  return [...new Set(near)].filter((other) => other !== key && other !== '')
}

/** A key of the base set mostly, sometimes one next to it, so that binds and lookups meet and nearly meet. */
function keyOf(keys: ReadonlyArray<string>): fc.Arbitrary<string> {
  return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.constantFrom(...keys).chain((key) => fc.constantFrom(...nearKeys(key))) })
}
const path = keyOf(PATHS)
const port = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...PORTS) }, { weight: 1, arbitrary: fc.constantFrom(...PORTS.flatMap((p) => [p - 1, p + 1])) })
const name = keyOf(NAMES)
const image = fc.oneof({ weight: 5, arbitrary: fc.constant(VALID_IMAGE) }, { weight: 3, arbitrary: fc.constantFrom(...IMAGE_POOL.map((i) => i.digest)) })
const limits = fc.constantFrom(...LIMIT_PRESETS)
const namespaces = fc.constantFrom(...NAMESPACE_PRESETS)
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })

function record(kind: string, fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({ caller, ...fields }).map((r) => ({ kind, ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) }))
}

/** One syscall of any process kind, small domains. */
export const singleSyscall: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  record('cap_copy', { src: slot, dst: slot, rights, badge: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined, freq: 3 }) }),
  record('cap_move', { src: slot, dst: slot }),
  record('cap_delete', { slot }),
  record('cap_revoke', { slot }),
  record('cap_inspect', { slot }),
  record('container_create', { parent: slot, dst: slot, limits, namespaces }),
  record('container_destroy', { slot }),
  record('container_set_limits', { slot, limits }),
  record('container_stats', { slot }),
  record('process_spawn', { container: slot, image, uid: fc.constantFrom(0, 1, 5000), slots: fc.constant(PROCESS_SLOTS), grants: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.record({ slot, rights }), { maxLength: 4 }) }), dst: slot }),
  record('process_kill', { slot }),
  record('process_list', {}),
  record('mem_alloc', { sizeBytes: fc.constantFrom(1, 512, 4096), executable: fc.boolean(), dst: slot }),
  // Perms from none (the empty set is refused) to all three (write with execute is refused), sometimes any rights (only read, write and execute map).
  record('mem_map', { slot, perms: fc.oneof({ weight: 8, arbitrary: fc.subarray(['read', 'write', 'execute'] as RightName[], { minLength: 1 }) }, { weight: 1, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.subarray(ALL_RIGHTS, { minLength: 1 }) }) }),
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
 * over it in slot 0 (and, sometimes, an endpoint of the caller's in slot 1). The
 * process is mostly uid 0; sometimes another uid, mapped or not in its user namespace.
 * Sometimes a second process follows it into the container (which may not fit).
 */
export const nestFragment: fc.Arbitrary<Fragment> = fc
  .record({
    caller, parent: fc.constantFrom(0, 0, 0, 3, 5), dst: fc.integer({ min: 3, max: 7 }), level: fc.integer({ min: 0, max: LIMIT_PRESETS.length - 1 }), namespaces,
    endpoint: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined, freq: 2 }), image, uid: fc.constantFrom(0, 0, 0, 0, 0, 1, 5000), second: fc.constantFrom(false, false, true),
  })
  .map(({ caller, parent, dst, level, namespaces, endpoint, image, uid, second }) => [
    { kind: 'container_create', caller, parent, dst, limits: LIMIT_PRESETS[level], namespaces },
    {
      kind: 'process_spawn', caller, container: dst, image, uid, slots: PROCESS_SLOTS,
      grants: [{ slot: dst, rights: ALL_RIGHTS }, ...(endpoint === undefined ? [] : [{ slot: endpoint, rights: ['read', 'write', 'grant'] }])],
      dst: dst + 1,
    },
    ...(second ? [{ kind: 'process_spawn', caller, container: dst, image: VALID_IMAGE, uid: 0, slots: PROCESS_SLOTS, grants: [], dst: dst + 2 }] : []),
  ])

/**
 * A server: an endpoint made, bound under a name (service, port or path), and
 * looked up by someone, who sends (sometimes passing a cap along, which needs
 * `grant` the looked-up cap never has) and sometimes tries to read back through
 * what is, for a port or a service, a send-only cap.
 */
export const serveFragment: fc.Arbitrary<Fragment> = fc
  .record({ server: caller, client: caller, slot: fc.integer({ min: 3, max: 7 }), dst: fc.integer({ min: 2, max: 7 }), table: fc.constantFrom('svc', 'net', 'mount'), name, port, path, xfer: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined, freq: 2 }), peek: fc.boolean() })
  .map(({ server, client, slot, dst, table, name, port, path, xfer, peek }) => [
    { kind: 'ep_create', caller: server, depth: 2, dst: slot },
    table === 'svc' ? { kind: 'svc_register', caller: server, name, slot } : table === 'net' ? { kind: 'net_bind', caller: server, port, slot } : { kind: 'mount', caller: server, path, slot, rights: ['read', 'write'] },
    table === 'svc' ? { kind: 'svc_lookup', caller: client, name, dst } : table === 'net' ? { kind: 'net_connect', caller: client, port, dst } : { kind: 'resolve', caller: client, path, dst },
    { kind: 'ep_send', caller: client, slot: dst, payload: 'hello', ...(xfer === undefined ? {} : { xfer }) },
    ...(peek ? [{ kind: 'ep_recv', caller: client, slot: dst }] : []),
    table === 'svc' ? { kind: 'svc_unregister', caller: server, name } : table === 'net' ? { kind: 'net_unbind', caller: server, port } : { kind: 'unmount', caller: server, path },
  ])

/**
 * A region allocated and mapped (sometimes first with no perms, or with rights that
 * are not mapping perms, which is refused),
 * through its original cap or through a copy (which
 * sometimes has only `read`, so the mapping asks for more than its cap holds), and
 * then the mapping's end: kept, unmapped, or gone with its cap (deleted, or revoked
 * from the original, or the process killed), or a second mapping through the same cap
 * (refused) or through the other, and then both undone, the first or the last first.
 * ISO-4 is about that end.
 */
export const mapFragment: fc.Arbitrary<Fragment> = fc
  .record({
    caller, dst: fc.integer({ min: 2, max: 7 }), copy: opt(fc.integer({ min: 2, max: 7 })), readOnly: fc.constantFrom(false, false, true), executable: fc.boolean(),
    end: fc.constantFrom('keep', 'unmap', 'unmap', 'delete', 'revoke', 'kill', 'again', 'again', 'again-first', 'again-last', 'move'), killer: fc.constantFrom(0, 1),
    refused: fc.constantFrom<RightName[] | null>(null, null, [], ['read', 'control'], ['write', 'grant']),
  })
  .map(({ caller, dst, copy: drawn, readOnly, executable, end, killer, refused }) => {
    // Two mappings to undo need two caps: a copy always.
    const copy = drawn ?? (end.startsWith('again-') ? (dst === 7 ? 2 : dst + 1) : undefined)
    const via = copy ?? dst
    // A free slot of every process's eight to move the mapped cap to.
    const moved = [7, 6, 5, 4, 3, 2].find((slot) => slot !== dst && slot !== copy)!
    const perms = executable ? ['read', 'execute'] : ['read', 'write']
    return [
      { kind: 'mem_alloc', caller, sizeBytes: 512, executable, dst },
      ...(copy === undefined ? [] : [{ kind: 'cap_copy', caller, src: dst, dst: copy, rights: readOnly ? ['read'] : perms }]),
      // Sometimes first a mapping that asks for nothing, or for rights that are not mapping perms (refused, whatever the cap holds).
      ...(refused === null ? [] : [{ kind: 'mem_map', caller, slot: via, perms: refused }]),
      { kind: 'mem_map', caller, slot: via, perms },
      // Moved: the mapping stays with the cap, and is undone through its new slot.
      ...(end === 'move' ? [{ kind: 'cap_move', caller, src: via, dst: moved }, { kind: 'mem_unmap', caller, slot: moved }, { kind: 'mem_unmap', caller, slot: via }]
        : end === 'unmap' ? [{ kind: 'mem_unmap', caller, slot: via }]
        : end === 'delete' ? [{ kind: 'cap_delete', caller, slot: via }]
          : end === 'revoke' ? [{ kind: 'cap_revoke', caller, slot: dst }]
            : end === 'kill' ? [{ kind: 'process_kill', caller: killer, slot: 5 }]
              // Mapped again through the same cap (one mapping per cap: AlreadyExists), then through the other one.
              : end.startsWith('again') ? [
                { kind: 'mem_map', caller, slot: via, perms }, { kind: 'mem_map', caller, slot: dst, perms: ['read'] },
                // Two mappings in the process's list, then both undone: the head first (its successor's back link must
                // follow) or the tail first (the tail must move back).
                ...(end === 'again-first' ? [{ kind: 'mem_unmap', caller, slot: via }, { kind: 'cap_delete', caller, slot: dst }]
                  : end === 'again-last' ? [{ kind: 'mem_unmap', caller, slot: dst }, { kind: 'mem_unmap', caller, slot: via }] : []),
              ] : []),
    ]
  })

/**
 * A cap spread over every place a descendant can live — a slot, a namespace table,
 * a queued message — and then revoked (from the original or the copy), or the copy
 * deleted: CAP-3 and re-parenting.
 */
export const revokeFragment: fc.Arbitrary<Fragment> = fc
  .record({ caller, original: fc.integer({ min: 2, max: 7 }), copy: fc.integer({ min: 2, max: 7 }), table: fc.constantFrom('svc', 'net', 'mount'), name, port, path, end: fc.constantFrom('revoke', 'revoke', 'revoke-copy', 'delete-copy') })
  .map(({ caller, original, copy, table, name, port, path, end }) => [
    { kind: 'ep_create', caller, depth: 2, dst: original },
    { kind: 'cap_copy', caller, src: original, dst: copy, rights: ['read', 'write', 'grant'] },
    table === 'svc' ? { kind: 'svc_register', caller, name, slot: copy } : table === 'net' ? { kind: 'net_bind', caller, port, slot: copy } : { kind: 'mount', caller, path, slot: copy, rights: ['read', 'write'] },
    { kind: 'ep_send', caller, slot: original, payload: 5, xfer: copy },
    end === 'revoke' ? { kind: 'cap_revoke', caller, slot: original } : end === 'revoke-copy' ? { kind: 'cap_revoke', caller, slot: copy } : { kind: 'cap_delete', caller, slot: copy },
  ])

/**
 * A container made and torn down (destroyed, or its last cap deleted), and then its
 * parent looked at and reserved from again: what the child reserved must be back.
 */
export const churnFragment: fc.Arbitrary<Fragment> = fc
  .record({ caller, parent: fc.constantFrom(0, 0, 3, 5), dst: fc.integer({ min: 2, max: 7 }), limits, namespaces, end: fc.constantFrom('container_destroy', 'cap_delete'), again: fc.boolean() })
  .map(({ caller, parent, dst, limits, namespaces, end, again }) => [
    { kind: 'container_create', caller, parent, dst, limits, namespaces },
    { kind: end, caller, slot: dst },
    again ? { kind: 'container_create', caller, parent, dst, limits, namespaces } : { kind: 'container_stats', caller, slot: parent },
  ])

/**
 * A container of the deep preamble torn down from inside: the middle one by its
 * parent's process or by its own (its nested container's process holds a cap to
 * an object outside the doomed subtree), or the top one by init or by itself.
 */
export const teardownFragment: fc.Arbitrary<Fragment> = fc
  .constantFrom([1, 3], [2, 0], [0, 4], [1, 0], [2, 3])
  .map(([caller, slot]) => [{ kind: 'container_destroy', caller, slot }])

/**
 * A tenant: init builds everything the manifest asks for — a container, an
 * endpoint, a region, a device — and spawns a service into a child container with
 * all four (so the device policy is checked); then the service acts as a tenant:
 * writes to its device (I/O quota), mounts, registers and binds in its tables
 * (which, in a rootless container sharing its parent's, it may not change; its
 * uid is sometimes not 0, sometimes its user map's base), and
 * sometimes, after a tick (a new period), writes again. Its
 * creation index is not known here: the likeliest ones are drawn (1 without the
 * deep preamble and no spawn before, 4 after the preamble). The slots are init's
 * upper ones, away from the other fragments'.
 */
export const tenantFragment: fc.Arbitrary<Fragment> = fc
  .record({
    base: fc.constantFrom(8, 12), level: fc.integer({ min: 0, max: LIMIT_PRESETS.length - 1 }),
    namespaces: fc.oneof(namespaces, fc.constant(NAMESPACE_PRESETS[4]!), { weight: 2, arbitrary: fc.constant(NAMESPACE_PRESETS[5]!) }), device: fc.constantFrom(1, 2),
    tenant: fc.constantFrom(1, 1, 2, 4, 4, 5),
    // Its uid: 0, or the small map's base (1) and last uid (3), which are not 0 outside.
    uid: fc.constantFrom(0, 1, 1, 3),
    actions: fc.array(fc.oneof(
      fc.record({ kind: fc.constant('io_submit'), slot: fc.constant(3), bytes: fc.constantFrom(16, 64, 1024) }),
      fc.record({ kind: fc.constant('mount'), path, slot: fc.constant(0), rights }),
      fc.record({ kind: fc.constant('svc_register'), name, slot: fc.constant(1) }),
      fc.record({ kind: fc.constant('net_bind'), port, slot: fc.constant(1) }),
    ), { minLength: 1, maxLength: 3 }),
    period: fc.boolean(),
  })
  .map(({ base, level, namespaces, device, tenant, uid, actions, period }) => [
    { kind: 'ep_create', caller: 0, depth: 1, dst: base },
    { kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst: base + 1 },
    { kind: 'container_create', caller: 0, parent: 0, dst: base + 2, limits: LIMIT_PRESETS[level], namespaces },
    {
      kind: 'process_spawn', caller: 0, container: base + 2, image: VALID_IMAGE, uid, slots: PROCESS_SLOTS, dst: base + 3,
      grants: [{ slot: base + 2, rights: ALL_RIGHTS }, { slot: base, rights: ['read', 'write', 'grant'] }, { slot: base + 1, rights: ['read', 'write'] }, { slot: device, rights: ['write'] }],
    },
    ...actions.map((action) => ({ ...action, caller: tenant })),
    // Sometimes a new period, and the device written again (IO-1 counts per period).
    ...(period ? [{ kind: 'tick' }, { kind: 'io_submit', caller: tenant, slot: 3, bytes: 16 }] : []),
  ])

/**
 * Nested user maps (kernel.md §6 and ISO-3): init makes a container with a map of
 * base 1000 (its uid 0 is host uid 1000) and tables of its own, then inside it a
 * container whose map has base 0 — its uid 0 is the outer container's uid 0, not
 * host uid 0 — sharing the outer tables, or with tables of its own; a process
 * there (uid 0, or 1) changes tables: the outer ones are an ancestor's, which
 * needs host uid 0, its own need only uid 0 there. An outer map of base 0 makes
 * the chain host root instead (both allowed). The slots are init's upper ones,
 * the caller's creation index guessed as the tenant fragment guesses it.
 */
export const nestedMapFragment: fc.Arbitrary<Fragment> = fc
  .record({
    // Five slots of init's sixteen, base to base + 4.
    base: fc.constantFrom(8, 11),
    outerBase: fc.constantFrom(1000, 1000, 0),
    innerBase: fc.constantFrom(0, 0, 1, 5),
    own: fc.constantFrom('share', 'share', 'new'),
    // The outer container's mount and net tables: its own, or the root's (then an inner process changing them changes the host's).
    outerTables: fc.constantFrom('new', 'new', 'share'),
    uid: fc.constantFrom(0, 0, 1),
    tenant: fc.constantFrom(1, 1, 2, 4, 4, 5),
    actions: fc.array(fc.oneof(
      fc.record({ kind: fc.constant('mount'), path, slot: fc.constant(2), rights }),
      fc.record({ kind: fc.constant('svc_register'), name, slot: fc.constant(1) }),
      fc.record({ kind: fc.constant('net_bind'), port, slot: fc.constant(1) }),
      fc.record({ kind: fc.constant('unmount'), path }),
    ), { minLength: 1, maxLength: 3 }),
  })
  .map(({ base, outerBase, innerBase, own, outerTables, uid, tenant, actions }) => [
    { kind: 'ep_create', caller: 0, depth: 1, dst: base },
    { kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst: base + 1 },
    { kind: 'container_create', caller: 0, parent: 0, dst: base + 2, limits: LIMIT_PRESETS[0], namespaces: { pid: 'new', mount: outerTables, net: outerTables, ipc: 'new', user: { base: outerBase, count: 100 } } },
    { kind: 'container_create', caller: 0, parent: base + 2, dst: base + 3, limits: LIMIT_PRESETS[1], namespaces: { pid: 'new', mount: own, net: own, ipc: 'share', user: { base: innerBase, count: 10 } } },
    {
      kind: 'process_spawn', caller: 0, container: base + 3, image: VALID_IMAGE, uid, slots: PROCESS_SLOTS, dst: base + 4,
      grants: [{ slot: base + 3, rights: ALL_RIGHTS }, { slot: base, rights: ['read', 'write', 'grant'] }, { slot: base + 1, rights: ['read', 'write'] }],
    },
    ...actions.map((action) => ({ ...action, caller: tenant })),
  ])

/**
 * Init spawns an image of the pool (mostly the valid one: the others meet the
 * signature and rollback checks) into its own container, then the scheduler runs:
 * processes of one container share its quanta (ties by creation).
 */
export const crowdFragment: fc.Arbitrary<Fragment> = fc
  .record({ dst: fc.integer({ min: 3, max: 7 }), image, quanta: fc.integer({ min: 1, max: 6 }) })
  .map(({ dst, image, quanta }) => [
    { kind: 'process_spawn', caller: 0, container: 0, image, uid: 0, slots: PROCESS_SLOTS, grants: [], dst },
    { kind: 'sched_run', quanta },
  ])

/**
 * Rivals: two containers of one weight made by init, their processes spawned in
 * the other order, then the scheduler run long enough for both to get turns:
 * their ties go to the lower container id, whatever order the processes came in.
 */
export const rivalsFragment: fc.Arbitrary<Fragment> = fc
  .record({ first: fc.integer({ min: 3, max: 5 }), level: fc.integer({ min: 0, max: LIMIT_PRESETS.length - 1 }), quanta: fc.integer({ min: 30, max: 120 }), reweigh: opt(fc.integer({ min: 0, max: LIMIT_PRESETS.length - 1 })) })
  .map(({ first, level, quanta, reweigh }) => [
    { kind: 'container_create', caller: 0, parent: 0, dst: first, limits: LIMIT_PRESETS[level], namespaces: NAMESPACE_PRESETS[0] },
    { kind: 'container_create', caller: 0, parent: 0, dst: first + 1, limits: LIMIT_PRESETS[level], namespaces: NAMESPACE_PRESETS[0] },
    { kind: 'process_spawn', caller: 0, container: first + 1, image: VALID_IMAGE, uid: 0, slots: PROCESS_SLOTS, grants: [], dst: first + 3 },
    { kind: 'process_spawn', caller: 0, container: first, image: VALID_IMAGE, uid: 0, slots: PROCESS_SLOTS, grants: [], dst: first + 2 },
    // Sometimes one of them gets another weight (and other limits) first: the scheduler must use the new one.
    ...(reweigh === undefined ? [] : [{ kind: 'container_set_limits', caller: 0, slot: first, limits: { ...LIMIT_PRESETS[level]!, cpuWeight: LIMIT_PRESETS[reweigh]!.cpuWeight * 7 } }]),
    { kind: 'sched_run', quanta },
  ])

/**
 * Grants matched to the `matcher` image's overlapping requests (kernel.md §4: by
 * what they grant, not by position; each request once): init makes an endpoint
 * and a region and spawns `matcher` into its own container with a grant list that
 * is a subset of a valid assignment in any order, a first-fit trap (`read` before
 * `write` on the endpoint, disk0 before net0: a matching exists that taking the
 * first fitting request misses), or a list no matching serves (two `write`
 * endpoints, two net0s, three endpoints, or one grant too many). The coverage
 * counts which were met (properties/coverage.ts `GRANT_CASES`).
 */
export const grantMatchFragment: fc.Arbitrary<Fragment> = fc
  .record({
    endpoint: fc.integer({ min: 10, max: 11 }), region: fc.integer({ min: 12, max: 13 }), dst: fc.integer({ min: 14, max: 15 }),
    shape: fc.constantFrom('subset', 'subset', 'trap', 'trap', 'none'), pick: fc.nat(), order: fc.array(fc.nat(), { minLength: 7, maxLength: 7 }),
    // Into init's own container (both devices allowed), or a new one allowing one device only (LIMIT_PRESETS 1: disk0, 3: net0): the policy then refuses the other device's grant wherever it comes in the list.
    home: fc.constantFrom(0, 0, 1, 3), badge: opt(fc.integer({ min: 1, max: 3 })),
  })
  .map(({ endpoint, region, dst, shape, pick, order, home, badge }) => {
    const g = {
      rwg: { slot: endpoint, rights: ['read', 'write', 'grant'] }, read: { slot: endpoint, rights: ['read'] }, write: { slot: endpoint, rights: ['write'] },
      disk: { slot: 1, rights: ['write'] }, net: { slot: 2, rights: ['write'] }, region: { slot: region, rights: ['read', 'write'] }, container: { slot: 0, rights: ['control'] },
    }
    const full = [pick % 2 === 0 ? g.rwg : g.write, g.read, g.net, g.disk, g.region, g.container]
    const shuffled = <T>(items: ReadonlyArray<T>) => items.map((item, index) => ({ item, key: order[index % order.length]! })).sort((a, b) => a.key - b.key).map(({ item }) => item)
    const traps = [[g.read, g.write], [g.disk, g.net], [g.read, g.disk, g.write, g.net]]
    const hopeless = [[g.write, g.write], [g.net, g.net], [g.read, g.read, g.read], [...full, g.container]]
    const grants = shape === 'subset' ? shuffled(full).slice(0, pick % (full.length + 1))
      : shape === 'trap' ? [...traps[pick % traps.length]!, ...shuffled([g.region, g.container]).slice(0, pick % 3)]
        : shuffled(hopeless[pick % hopeless.length]!)
    // The container: init's own, or a child made at dst (the spawn's dst is then the other of init's slots 14 and 15).
    const container = home === 0 ? 0 : dst
    return [
      // With a badge, the endpoint granted is a badged copy: the child's cap keeps the badge.
      ...(badge === undefined ? [{ kind: 'ep_create', caller: 0, depth: 2, dst: endpoint }]
        : [{ kind: 'ep_create', caller: 0, depth: 2, dst: 9 }, { kind: 'cap_copy', caller: 0, src: 9, dst: endpoint, rights: ['read', 'write', 'grant'], badge }]),
      { kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst: region },
      ...(home === 0 ? [] : [{ kind: 'container_create', caller: 0, parent: 0, dst: container, limits: LIMIT_PRESETS[home]!, namespaces: NAMESPACE_PRESETS[0] }]),
      { kind: 'process_spawn', caller: 0, container, image: MATCHER_IMAGE, uid: 0, slots: PROCESS_SLOTS, grants, dst: home === 0 ? dst : 29 - dst },
    ]
  })

/**
 * Badges: a badged copy, an attempt to badge it again, a plain copy of it, and a
 * message that carries the badge, sometimes a cap too, and sometimes a second one
 * sent through the unbadged original (badge 0: none). The messages are received
 * through the original, a read-only copy, or a copy badged in its turn (with the
 * sender's badge or another): what a receiver is told is the sender's badge,
 * whatever the badge and rights of the cap it receives through (kernel.md §2, §5).
 */
export const badgeFragment: fc.Arbitrary<Fragment> = fc
  .record({
    caller, endpoint: fc.integer({ min: 3, max: 5 }), badged: fc.integer({ min: 5, max: 7 }), again: fc.integer({ min: 1, max: 7 }), first: fc.integer({ min: 1, max: 3 }), second: fc.integer({ min: 0, max: 3 }),
    receiver: fc.constantFrom('original', 'read-only', 'badged reader', 'same badge'), via: fc.integer({ min: 1, max: 7 }), xfer: opt(fc.integer({ min: 0, max: 2 })), plain: fc.boolean(), dst: opt(fc.integer({ min: 0, max: 7 })),
  })
  .map(({ caller, endpoint, badged, again, first, second, receiver, via, xfer, plain, dst }) => {
    const reader = receiver === 'original' ? endpoint : via
    const made = receiver === 'read-only' ? [{ kind: 'cap_copy', caller, src: endpoint, dst: via, rights: ['read'] }]
      : receiver === 'badged reader' ? [{ kind: 'cap_copy', caller, src: endpoint, dst: via, rights: ['read', 'write'], badge: second }]
        : receiver === 'same badge' ? [{ kind: 'cap_copy', caller, src: endpoint, dst: via, rights: ['read', 'grant'], badge: first }] : []
    return [
      { kind: 'ep_create', caller, depth: 2, dst: endpoint },
      { kind: 'cap_copy', caller, src: endpoint, dst: badged, rights: ['write', 'grant'], badge: first },
      // Badging a badged cap again is refused; copying it without a badge keeps its badge.
      { kind: 'cap_copy', caller, src: badged, dst: again, rights: ['write'], badge: second },
      { kind: 'cap_copy', caller, src: badged, dst: again, rights: ['write'] },
      ...made,
      { kind: 'ep_send', caller, slot: badged, payload: 3, ...(xfer === undefined ? {} : { xfer }) },
      ...(plain ? [{ kind: 'ep_send', caller, slot: endpoint, payload: 4, ...(xfer === undefined ? {} : { xfer }) }] : []),
      { kind: 'ep_recv', caller, slot: reader, ...(dst === undefined ? {} : { dst }) },
      ...(plain ? [{ kind: 'ep_recv', caller, slot: reader, ...(dst === undefined ? {} : { dst: dst + 1 }) }] : []),
    ]
  })

/**
 * A cap with no rights (legal, and it keeps its object alive), or with every
 * right but one: copied from a cap of the caller's, inspected, copied from in
 * turn asking for some rights (refused unless within what it has), used, and
 * deleted. Each use needs some right, so that the checks of those syscalls meet
 * caps lacking exactly one right.
 */
export const hollowFragment: fc.Arbitrary<Fragment> = fc
  .record({
    caller, src: fc.integer({ min: 0, max: 3 }), dst: fc.integer({ min: 4, max: 5 }), asked: rights, kept: fc.oneof(fc.constant([] as RightName[]), allButOne),
    use: fc.constantFrom('ep_send', 'ep_recv', 'mem_map', 'container_stats', 'io_submit'),
  })
  .map(({ caller, src, dst, asked, kept, use }) => [
    { kind: 'cap_copy', caller, src, dst, rights: kept },
    { kind: 'cap_inspect', caller, slot: dst },
    { kind: 'cap_copy', caller, src: dst, dst: dst + 2, rights: asked },
    use === 'ep_send' ? { kind: 'ep_send', caller, slot: dst, payload: 1 } : use === 'ep_recv' ? { kind: 'ep_recv', caller, slot: dst }
      : use === 'mem_map' ? { kind: 'mem_map', caller, slot: dst, perms: ['read'] }
      : use === 'container_stats' ? { kind: 'container_stats', caller, slot: dst } : { kind: 'io_submit', caller, slot: dst, bytes: 1 },
    { kind: 'cap_delete', caller, slot: dst },
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
 * across three containers. The last process also holds the endpoint owned two
 * containers up, so tearing down a middle container must delete a cap held below
 * it. Generated sequences start with it half the time;
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
  { kind: 'process_spawn', caller: 2, container: 3, image: VALID_IMAGE, uid: 0, slots: PROCESS_SLOTS, grants: [{ slot: 3, rights: ALL }, { slot: 1, rights: ['read', 'write', 'grant'] }], dst: 4 },
  { kind: 'mem_alloc', caller: 2, sizeBytes: 1024, executable: false, dst: 2 },
  { kind: 'ep_send', caller: 2, slot: 1, payload: 1, xfer: 2 },
  { kind: 'ep_recv', caller: 1, slot: 2, dst: 5 },
  { kind: 'ep_send', caller: 1, slot: 1, payload: 2, xfer: 5 },
  { kind: 'ep_recv', caller: 0, slot: 3, dst: 6 },
]

/**
 * A container destroyed with messages queued (after the deep preamble, whose
 * process `inner`, 1 to 3, runs in a container its parent process holds the cap
 * of): `inner` fills an endpoint of its own container with messages, one maybe
 * carrying a cap, sometimes sends its parent the cap to that endpoint, then the
 * parent destroys `inner`'s container and receives. The queued messages go with
 * their endpoint (IPC-2 counts them discarded); the one sent out stays, without
 * its cap (kernel.md §3, docs/decisions.md "What a destroy takes").
 */
export const doomedQueueFragment: fc.Arbitrary<Fragment> = fc
  .record({ inner: fc.constantFrom(1, 2, 3), held: fc.integer({ min: 1, max: 2 }), xfer: opt(fc.integer({ min: 0, max: 2 })), outward: fc.boolean() })
  .map(({ inner, held, xfer, outward }) => {
    // The parent process, its slot holding inner's container cap, and the endpoint inner's slot 1 sends on, as the parent's slot.
    const parent = inner - 1
    const receiver = inner === 1 ? { caller: 0, slot: 3 } : { caller: 1, slot: 2 }
    return [
      { kind: 'ep_create', caller: inner, depth: 2, dst: 6 },
      ...Array.from({ length: held }, (_, index) => ({ kind: 'ep_send', caller: inner, slot: 6, payload: index, ...(index === 0 && xfer !== undefined ? { xfer } : {}) })),
      ...(outward ? [{ kind: 'ep_send', caller: inner, slot: 1, payload: 'doomed', xfer: 6 }] : []),
      { kind: 'container_destroy', caller: parent, slot: inner === 1 ? 4 : 3 },
      ...(outward ? [{ kind: 'ep_recv', caller: receiver.caller, slot: receiver.slot, dst: 7 }] : []),
    ]
  })

/**
 * A container destroyed with its own tables filled (after the deep preamble):
 * process `inner` (1 to 3) binds in its mount, service and port tables the
 * endpoint it holds from its parent's container (an object outside the doomed
 * subtree) and sometimes a region of its own, maybe sends its parent a cap it
 * looked up, and then the parent destroys inner's container and looks the names
 * up. Inner's own tables go with its container, every entry with them, caps to
 * outside objects included; a table it shares with its parent stays (the deep
 * preamble gives process 1 its own port table, process 2 its own of each kind,
 * process 3 its parent's).
 */
export const filledTeardownFragment: fc.Arbitrary<Fragment> = fc
  .record({ inner: fc.constantFrom(1, 2, 3), tables: fc.subarray(['mount', 'service', 'port'] as const, { minLength: 1 }), region: fc.boolean(), outward: fc.boolean() })
  .map(({ inner, tables, region, outward }) => {
    const parent = inner - 1
    const receiver = inner === 1 ? { caller: 0, slot: 3, dst: 10 } : { caller: 1, slot: 2, dst: 6 }
    // Free slots of the parent after the preamble: init's from 7 on, process 1's 6 and 7, process 2's 5 to 7.
    const [resolved, looked, connected] = parent === 0 ? [7, 8, 9] : [7, 6, 5]
    const has = (table: 'mount' | 'service' | 'port') => tables.includes(table)
    return [
      ...(region ? [{ kind: 'mem_alloc', caller: inner, sizeBytes: 512, executable: false, dst: 6 }] : []),
      ...(has('mount') ? [{ kind: 'mount', caller: inner, path: '/data', slot: 1, rights: ['write'] }, ...(region ? [{ kind: 'mount', caller: inner, path: '/srv/log', slot: 6, rights: ['read'] }] : [])] : []),
      ...(has('service') ? [{ kind: 'svc_register', caller: inner, name: 'echo', slot: 1 }] : []),
      ...(has('port') ? [{ kind: 'net_bind', caller: inner, port: 80, slot: 1 }] : []),
      ...(outward ? [{ kind: 'resolve', caller: inner, path: '/data', dst: 7 }, { kind: 'ep_send', caller: inner, slot: 1, payload: 'bound', xfer: 7 }] : []),
      { kind: 'container_destroy', caller: parent, slot: inner === 1 ? 4 : 3 },
      ...(outward ? [{ kind: 'ep_recv', caller: receiver.caller, slot: receiver.slot, dst: receiver.dst }] : []),
      { kind: 'resolve', caller: parent, path: '/data', dst: resolved },
      { kind: 'svc_lookup', caller: parent, name: 'echo', dst: looked },
      { kind: 'net_connect', caller: parent, port: 80, dst: connected },
    ]
  })

/**
 * A key and the keys next to it (nearKeys): bound, the near one looked up (not
 * found), bound in its turn (a key of its own), the first unbound, the near one
 * still found, the first not, then bound again after its unbinding. In a mount,
 * port or service table, by init or another caller.
 */
export const nearMissFragment: fc.Arbitrary<Fragment> = fc
  .record({ caller, table: fc.constantFrom('mount', 'port', 'service'), key: fc.nat(), near: fc.nat(), endpoint: fc.integer({ min: 3, max: 4 }) })
  .map(({ caller, table, key, near, endpoint }) => {
    const dst = endpoint + 1
    const port = PORTS[key % PORTS.length]!
    const keys = table === 'mount' ? PATHS : NAMES
    const chosen = keys[key % keys.length]!
    const neighbours = nearKeys(chosen)
    const first = table === 'port' ? port : chosen
    const nearby = table === 'port' ? port + (near % 2 === 0 ? 1 : -1) : neighbours[near % neighbours.length]!
    const bind = (k: string | number) => table === 'mount' ? { kind: 'mount', caller, path: k, slot: endpoint, rights: ['read', 'write'] }
      : table === 'port' ? { kind: 'net_bind', caller, port: k, slot: endpoint } : { kind: 'svc_register', caller, name: k, slot: endpoint }
    const unbind = (k: string | number) => table === 'mount' ? { kind: 'unmount', caller, path: k } : table === 'port' ? { kind: 'net_unbind', caller, port: k } : { kind: 'svc_unregister', caller, name: k }
    const lookup = (k: string | number, at: number) => table === 'mount' ? { kind: 'resolve', caller, path: k, dst: at }
      : table === 'port' ? { kind: 'net_connect', caller, port: k, dst: at } : { kind: 'svc_lookup', caller, name: k, dst: at }
    return [
      { kind: 'ep_create', caller, depth: 1, dst: endpoint },
      bind(first),
      lookup(nearby, dst),
      bind(nearby),
      unbind(first),
      lookup(nearby, dst),
      lookup(first, dst + 1),
      unbind(nearby),
      bind(first),
    ]
  })

/**
 * A zombie reaped: init spawns a process in the root container, maybe copies its
 * cap, kills it (it stays as a zombie while a cap names it, its charges already
 * returned), then deletes the caps to it: the last one destroys the zombie, which
 * must not return its charges a second time.
 */
export const zombieFragment: fc.Arbitrary<Fragment> = fc
  .record({ dst: fc.integer({ min: 3, max: 7 }), copy: fc.boolean(), copyFirst: fc.boolean() })
  .map(({ dst, copy, copyFirst }) => {
    const deletes = [{ kind: 'cap_delete', caller: 0, slot: dst }, ...(copy ? [{ kind: 'cap_delete', caller: 0, slot: dst + 1 }] : [])]
    return [
      { kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 0, slots: 2, grants: [], dst },
      ...(copy ? [{ kind: 'cap_copy', caller: 0, src: dst, dst: dst + 1, rights: ['read'] }] : []),
      { kind: 'process_kill', caller: 0, slot: dst },
      { kind: 'process_list', caller: 0 },
      ...(copyFirst ? deletes.reverse() : deletes),
    ]
  })

/**
 * Every argument bound of spec/numbers.ts `BOUNDS` met exactly and passed by one,
 * at both ends: init makes what the syscall needs (an endpoint, a region of its
 * own) and then gives the argument its lowest value, one below, its highest or
 * one above, so that a bound moved by one either way (a `<` for a `<=` in the
 * argument checks, a constant off by one) answers otherwise than the model. The
 * largest values stay cheap: a queue of 4,096 is a ring of 4,096 entries in the
 * impl, 100,000 quanta are that many turns of the few processes there are.
 */
/** An endpoint in init's slot 3, for the bounds that need one. */
const ENDPOINT_AT_3 = { kind: 'ep_create', caller: 0, depth: 1, dst: 3 }
const BOUNDED: ReadonlyArray<{ readonly min: number; readonly max: number; readonly steps: (value: number) => Fragment }> = [
  { min: 0, max: BOUNDS.badgeMax, steps: (badge) => [ENDPOINT_AT_3, { kind: 'cap_copy', caller: 0, src: 3, dst: 4, rights: ['write'], badge }, { kind: 'cap_inspect', caller: 0, slot: 4 }] },
  { min: 0, max: BOUNDS.payloadIntMax, steps: (payload) => [ENDPOINT_AT_3, { kind: 'ep_send', caller: 0, slot: 3, payload }, { kind: 'ep_recv', caller: 0, slot: 3 }] },
  { min: 0, max: BOUNDS.payloadLengthMax, steps: (length) => [ENDPOINT_AT_3, { kind: 'ep_send', caller: 0, slot: 3, payload: 'x'.repeat(Math.max(0, length)) }, { kind: 'ep_recv', caller: 0, slot: 3 }] },
  { min: 1, max: BOUNDS.queueDepthMax, steps: (depth) => [{ kind: 'ep_create', caller: 0, depth, dst: 3 }, { kind: 'ep_send', caller: 0, slot: 3, payload: 1 }, { kind: 'cap_inspect', caller: 0, slot: 3 }] },
  { min: 1, max: BOUNDS.slotCountMax, steps: (slots) => [{ kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 0, slots, grants: [], dst: 3 }, { kind: 'process_list', caller: 0 }] },
  { min: 0, max: BOUNDS.grantsMax, steps: (count) => [{ kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 0, slots: BOUNDS.slotCountMax, grants: Array.from({ length: Math.max(0, count) }, () => ({ slot: 1, rights: ['write'] })), dst: 3 }] },
  { min: 1, max: BOUNDS.cpuWeightMax, steps: (cpuWeight) => [{ kind: 'container_create', caller: 0, parent: 0, dst: 3, limits: { ...LIMIT_PRESETS[2]!, cpuWeight }, namespaces: NAMESPACE_PRESETS[0] }, { kind: 'container_stats', caller: 0, slot: 3 }] },
  { min: 1, max: BOUNDS.quantaMax, steps: (quanta) => [{ kind: 'sched_run', quanta }] },
  { min: 0, max: BOUNDS.uidMax, steps: (uid) => [{ kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid, slots: 2, grants: [], dst: 3 }] },
  { min: 1, max: BOUNDS.portMax, steps: (port) => [ENDPOINT_AT_3, { kind: 'net_bind', caller: 0, port, slot: 3 }, { kind: 'net_connect', caller: 0, port, dst: 4 }] },
  { min: 1, max: BOUNDS.nameLengthMax, steps: (length) => [ENDPOINT_AT_3, { kind: 'svc_register', caller: 0, name: 's'.repeat(Math.max(0, length)), slot: 3 }, { kind: 'svc_lookup', caller: 0, name: 's'.repeat(Math.max(0, length)), dst: 4 }] },
  { min: 1, max: BOUNDS.pathLengthMax, steps: (length) => [ENDPOINT_AT_3, { kind: 'mount', caller: 0, path: `/${'p'.repeat(Math.max(0, length - 1))}`, slot: 3, rights: ['read'] }, { kind: 'resolve', caller: 0, path: `/${'p'.repeat(Math.max(0, length - 1))}`, dst: 4 }] },
  { min: 1, max: BOUNDS.bytesMax, steps: (sizeBytes) => [{ kind: 'mem_alloc', caller: 0, sizeBytes, executable: false, dst: 3 }, { kind: 'io_submit', caller: 0, slot: 1, bytes: sizeBytes }] },
  { min: 0, max: BOUNDS.countMax, steps: (processes) => [{ kind: 'container_create', caller: 0, parent: 0, dst: 3, limits: { ...LIMIT_PRESETS[2]!, processes }, namespaces: NAMESPACE_PRESETS[0] }] },
]

export const boundsFragment: fc.Arbitrary<Fragment> = fc
  .record({ bound: fc.integer({ min: 0, max: BOUNDED.length - 1 }), at: fc.constantFrom('min - 1', 'min', 'max', 'max', 'max + 1', 'max + 1') })
  .map(({ bound, at }) => {
    const { min, max, steps } = BOUNDED[bound]!
    return steps(at === 'min - 1' ? min - 1 : at === 'min' ? min : at === 'max' ? max : max + 1)
  })

/** A cap carried by a message from one process to another: a hop. */
export const hopFragment: fc.Arbitrary<Fragment> = fc
  .record({ from: caller, to: caller, slot: fc.integer({ min: 1, max: 5 }), receiveSlot: fc.integer({ min: 1, max: 5 }), xfer: slot, dst: slot })
  .map(({ from, to, slot, receiveSlot, xfer, dst }) => [
    { kind: 'ep_send', caller: from, slot, payload: 7, xfer },
    { kind: 'ep_recv', caller: to, slot: receiveSlot, dst },
  ])

/**
 * A queue cycled past its end: an endpoint of depth 1 to 3 holding some messages,
 * then receives and sends in turn, more than its depth, so that the ring's head
 * and tail wrap around (FIFO order across the wrap), sometimes with a cap carried
 * or through a badged copy.
 */
export const cycleFragment: fc.Arbitrary<Fragment> = fc
  .record({ caller, dst: fc.integer({ min: 3, max: 8 }), depth: fc.integer({ min: 1, max: 3 }), held: fc.integer({ min: 1, max: 3 }), turns: fc.integer({ min: 2, max: 5 }), xfer: opt(fc.integer({ min: 0, max: 2 })), badge: opt(fc.integer({ min: 1, max: 3 })) })
  .map(({ caller, dst, depth, held, turns, xfer, badge }) => {
    // With a badge, every other message goes through a badged copy (in the next slot).
    const via = (index: number) => (badge === undefined || index % 2 === 0 ? dst : dst + 1)
    return [
      { kind: 'ep_create', caller, depth, dst },
      ...(badge === undefined ? [] : [{ kind: 'cap_copy', caller, src: dst, dst: dst + 1, rights: ['write', 'grant'], badge }]),
      ...Array.from({ length: Math.min(held, depth) }, (_, index) => ({ kind: 'ep_send', caller, slot: via(index + 1), payload: index })),
      ...Array.from({ length: turns }, (_, index) => [
        { kind: 'ep_recv', caller, slot: dst },
        { kind: 'ep_send', caller, slot: via(index), payload: `turn:${index}`, ...(xfer === undefined || index % 2 === 0 ? {} : { xfer }) },
      ]).flat(),
    ]
  })

type Recycled = 'region' | 'endpoint' | 'device' | 'process' | 'container'

/** How a recycled cap at `dst` is made and used (`freed`: the boot slot deleted; `home`: a container made first, for processes and containers). */
const RECYCLED_USES: Readonly<Record<Recycled, (dst: number, freed: number, home: number) => Fragment>> = {
  region: (dst) => [{ kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst }, { kind: 'mem_map', caller: 0, slot: dst, perms: ['read'] }, { kind: 'mem_unmap', caller: 0, slot: dst }],
  endpoint: (dst) => [{ kind: 'ep_create', caller: 0, depth: 1, dst }, { kind: 'ep_send', caller: 0, slot: dst, payload: 1 }, { kind: 'ep_recv', caller: 0, slot: dst }],
  device: (dst, freed) => [{ kind: 'cap_copy', caller: 0, src: freed === 2 ? 1 : 2, dst, rights: ['write'] }, { kind: 'io_submit', caller: 0, slot: dst, bytes: 16 }],
  process: (dst, _freed, home) => [
    { kind: 'process_spawn', caller: 0, container: home, image: VALID_IMAGE, uid: 0, slots: PROCESS_SLOTS, grants: [], dst }, { kind: 'process_list', caller: 0 }, { kind: 'process_kill', caller: 0, slot: dst },
  ],
  container: (dst, _freed, home) => [
    { kind: 'container_create', caller: 0, parent: home, dst, limits: LIMIT_PRESETS[2], namespaces: NAMESPACE_PRESETS[0] }, { kind: 'container_stats', caller: 0, slot: dst },
    { kind: 'container_set_limits', caller: 0, slot: dst, limits: LIMIT_PRESETS[3] }, { kind: 'container_destroy', caller: 0, slot: dst },
  ],
}

type Publish = 'none' | 'mount' | 'mount-beyond' | 'table'

/** How the recycled cap at `dst` is published in a table, and looked up. */
const PUBLISHED: Readonly<Record<Publish, (dst: number) => Fragment>> = {
  none: () => [],
  mount: (dst) => [{ kind: 'mount', caller: 0, path: '/recycled', slot: dst, rights: ['write'] }, { kind: 'resolve', caller: 0, path: '/recycled', dst: dst + 1 }],
  'mount-beyond': (dst) => [{ kind: 'mount', caller: 0, path: '/recycled', slot: dst, rights: ALL_RIGHTS }, { kind: 'resolve', caller: 0, path: '/recycled', dst: dst + 1 }],
  table: (dst) => [
    { kind: 'svc_register', caller: 0, name: 'recycled', slot: dst }, { kind: 'svc_lookup', caller: 0, name: 'recycled', dst: dst + 1 },
    { kind: 'net_bind', caller: 0, port: 9, slot: dst }, { kind: 'net_connect', caller: 0, port: 9, dst: dst + 2 },
  ],
}

/**
 * Handles recycled: a cap made at boot (init's slot 0, 1 or 2: the first cap
 * handles) is deleted, and new caps are made at once (a region, an endpoint, a
 * copy of a device cap, a process, a container), which take the freed handles;
 * then they are used (a process listed and killed, a container's stats read,
 * its limits set and the container destroyed), and
 * published in a table (mounted with rights within the cap's or beyond them;
 * an endpoint registered as a service or bound to a port, then looked up). A
 * handle's number must never matter (a check like `cap > 0` where `cap >= 0` is
 * meant shows here).
 */
export const recycleFragment: fc.Arbitrary<Fragment> = fc
  .record({
    freed: fc.constantFrom(0, 0, 1, 2), made: fc.constantFrom<Recycled>('region', 'endpoint', 'device', 'process', 'container'), dst: fc.integer({ min: 3, max: 7 }),
    publish: fc.constantFrom<Publish>('none', 'mount', 'mount-beyond', 'table'),
  })
  .map(({ freed, made, dst, publish }) => [
    // A process or a container is made in a container made first (init's slot 0, its cap to the root, may be the one freed).
    ...(made === 'process' || made === 'container' ? [{ kind: 'container_create', caller: 0, parent: 0, dst: dst + 2, limits: LIMIT_PRESETS[1], namespaces: NAMESPACE_PRESETS[0] }] : []),
    { kind: 'cap_delete', caller: 0, slot: freed },
    ...RECYCLED_USES[made](dst, freed, dst + 2),
    { kind: 'cap_inspect', caller: 0, slot: dst },
    ...PUBLISHED[publish](dst),
  ])

/**
 * An endpoint used and then destroyed with its only cap: a message received (the
 * endpoint's last received message, a ghost field the IPC invariants read, is
 * retired with it), then none to three messages left in the queue (discarded
 * then), the queue sometimes wrapped past its end first, the last message
 * sometimes carrying the only cap to another endpoint (which dies with it).
 */
export const retireFragment: fc.Arbitrary<Fragment> = fc
  .record({ caller, dst: fc.integer({ min: 3, max: 7 }), queued: fc.integer({ min: 0, max: 3 }), wrapped: fc.boolean(), carries: fc.boolean() })
  .map(({ caller, dst, queued, wrapped, carries }) => [
    { kind: 'ep_create', caller, depth: 3, dst },
    { kind: 'ep_send', caller, slot: dst, payload: 1 },
    { kind: 'ep_recv', caller, slot: dst },
    // Wrapped: the head moves to the queue's last slot, so the messages below run past its end.
    ...(wrapped ? [{ kind: 'ep_send', caller, slot: dst, payload: 2 }, { kind: 'ep_recv', caller, slot: dst }] : []),
    ...(carries && queued > 0 ? [{ kind: 'ep_create', caller, depth: 1, dst: dst + 1 }] : []),
    ...Array.from({ length: queued }, (_, index) => ({
      kind: 'ep_send', caller, slot: dst, payload: 3 + index, ...(carries && index === queued - 1 ? { xfer: dst + 1 } : {}),
    })),
    { kind: 'cap_delete', caller, slot: dst },
  ])

/** An endpoint filled to its depth (and one more, which is QueueFull). */
export const fillFragment: fc.Arbitrary<Fragment> = fc
  .record({ caller, dst: fc.integer({ min: 3, max: 9 }), depth: fc.integer({ min: 1, max: 3 }) })
  .map(({ caller, dst, depth }) => [
    { kind: 'ep_create', caller, depth, dst },
    ...Array.from({ length: depth + 1 }, (_, index) => ({ kind: 'ep_send', caller, slot: dst, payload: index })),
  ])

/** Spending toward a quota: allocations, I/O and endpoints until refused; then, sometimes, the limit lowered. */
export const quotaFragment: fc.Arbitrary<Fragment> = fc
  .record({ caller, count: fc.integer({ min: 2, max: 5 }), sizeBytes: fc.constantFrom(1024, 4096, 8192), dst: fc.integer({ min: 2, max: 6 }), shrink: fc.option(limits, { nil: undefined, freq: 2 }) })
  .map(({ caller, count, sizeBytes, dst, shrink }) => [
    ...Array.from({ length: count }, (_, index) =>
      index % 3 === 2 ? { kind: 'io_submit', caller, slot: 1, bytes: 64 } : { kind: 'mem_alloc', caller, sizeBytes, executable: false, dst: dst + index }),
    // Then, sometimes, the limits of the spender's own container (slot 0 of a nested process) are set, perhaps under what it now uses.
    ...(shrink === undefined ? [] : [{ kind: 'container_set_limits', caller, slot: 0, limits: shrink }]),
  ])

/**
 * A tick, or the scheduler run for a few quanta or for many: the root container's
 * weight is far above its children's, so a child's share (and ties between
 * children of one weight) shows only over tens of quanta.
 */
export const clockSyscall: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.constant({ kind: 'tick' }),
  fc.integer({ min: 1, max: 12 }).map((quanta) => ({ kind: 'sched_run', quanta })),
  fc.integer({ min: 30, max: 150 }).map((quanta) => ({ kind: 'sched_run', quanta })),
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
    { weight: Math.ceil(weights.hop / 3), arbitrary: revokeFragment },
    { weight: Math.ceil(weights.hop / 4), arbitrary: retireFragment },
    { weight: Math.ceil(weights.nest / 3), arbitrary: churnFragment },
    { weight: Math.ceil(weights.nest / 5), arbitrary: teardownFragment },
    { weight: Math.ceil(weights.nest / 3), arbitrary: doomedQueueFragment },
    { weight: Math.ceil(weights.nest / 3), arbitrary: filledTeardownFragment },
    { weight: Math.max(2, Math.ceil(weights.namespace / 3)), arbitrary: nearMissFragment },
    { weight: Math.ceil(weights.nest / 5), arbitrary: zombieFragment },
    { weight: Math.max(2, Math.ceil(weights.single / 4)), arbitrary: boundsFragment },
    { weight: Math.ceil(weights.hop / 4), arbitrary: hollowFragment },
    { weight: Math.ceil((weights.quota + weights.namespace) / 6), arbitrary: tenantFragment },
    { weight: Math.max(2, Math.ceil(weights.namespace / 3)), arbitrary: nestedMapFragment },
    { weight: Math.ceil(weights.clock / 2), arbitrary: crowdFragment },
    { weight: Math.ceil(weights.nest / 3), arbitrary: grantMatchFragment },
    { weight: Math.ceil(weights.fill / 2), arbitrary: cycleFragment },
    { weight: 3, arbitrary: recycleFragment },
    { weight: Math.ceil(weights.clock / 3), arbitrary: rivalsFragment },
  )
  // The start: nothing, the deep preamble, an edge fragment (its process is then the
  // first spawned, index 1), or both (index 4, after the preamble's three), or nested user maps (index 1).
  const start = fc.oneof(
    { weight: 2, arbitrary: fc.constant<Fragment[]>([]) },
    // Nested user maps first (a third of the plain starts), where a short run (the pipeline suite's, after its pool spawns) still meets them.
    { weight: 1, arbitrary: nestedMapFragment.map((nested) => [nested]) },
    { weight: 3, arbitrary: fc.constant<Fragment[]>([DEEP_PREAMBLE]) },
    { weight: 2, arbitrary: edgeFragment(1).map((edge) => [edge]) },
    { weight: 2, arbitrary: edgeFragment(4).map((edge) => [DEEP_PREAMBLE, edge]) },
  )
  return fc.tuple(start, fc.array(fragment, { minLength: Math.max(1, Math.floor(maxFragments / 2)), maxLength: maxFragments }))
    .map(([prefix, fragments]) => [...prefix, ...fragments])
}

/** Flattens fragments into the syscalls to run, cut at `maxSteps`. */
export function flatten(fragments: ReadonlyArray<Fragment>, maxSteps: number): Record<string, unknown>[] {
  return fragments.flat().slice(0, maxSteps)
}
