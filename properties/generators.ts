/**
 * Generators of syscall sequences (tooling.md §2). A sequence is a list of
 * *fragments*: single syscalls of every kind over small argument domains, and
 * macro fragments that build deep states on purpose — a child container with a
 * process that holds control over it (so it can nest again), a cap sent through an
 * endpoint and received elsewhere (a hop), a queue filled to its depth, quotas
 * sized so that one process fills them, a cap spread over slot, table and message
 * then revoked, a container torn down, a tenant given a device, a mapping whose
 * cap goes, a container spent to what its children's reservations leave, a process
 * given a cap to itself, a cap short of one right to an object in a refusing state,
 * an object's last cap carried by a message, pids across nested pid namespaces and
 * past one digit, a device cap held where its device is not allowed, calls
 * written otherwise (well formed in an unusual way, or one step from well formed,
 * a stray field in any record of a call, the clock's calls among them),
 * scheduler weights at their boundaries, a destroy reaching descendants tied
 * to the outside, byte sizes at every boundary of their representation, and a long
 * history and a chain of containers that take identities and tables past their
 * first sizes, a derivation tree of any shape spliced and revoked, and sibling
 * containers torn down in any order.
 * Every sequence is executable, and so is
 * every subsequence: shrinking (fast-check's array shrinker, then our step-level
 * minimizer) keeps it meaningful.
 * @module
 */
import fc from 'fast-check'
import type * as t from 'io-ts'
import { RIGHT_NAMES, type RightName } from '../spec/rights.js'
import { BOUNDS } from '../spec/numbers.js'
import { LimitsCodec, NamespaceConfigCodec, RESERVED_RESOURCES, UidMapCodec, type Limits, type NamespaceConfig, type ReservedResource } from '../spec/limits.js'
import { GrantCodec, SYSCALL_CODECS } from '../spec/syscalls.js'
import { fieldsOf } from '../spec/exact.js'
import { IMAGE_POOL, MATCHER_IMAGE, PROPERTY_BOOT, VALID_IMAGE } from './pool.js'
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
// String payloads include one that reads as a number, one with spaces at its ends and one beyond ASCII: a payload is kept as given.
const payload = fc.oneof(fc.integer({ min: 0, max: 99 }), fc.constantFrom('ping', 'state:1', '', '7', ' state ', 'ünï\t'))
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

/** The six orders of three things. */
const ORDERS_OF_THREE: ReadonlyArray<readonly [number, number, number]> = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]

/** How a mapped cap, or the mapping made through it, is changed in {@link localMappingsFragment}. */
type MappedChange = 'move' | 'move twice' | 'unmap' | 'delete' | 'revoke above' | 'copy from' | 'map again'

/**
 * Several mappings in one process's list (kernel.md §4: a process's mappings, in the
 * order they were made): a process maps through three caps — of one region (the
 * original and two copies) or of two — in any order, so that its list has a head, a
 * middle and a tail. The cap at one of the three places is then moved (once, or there
 * and back: its mapping stays where it was in the list), unmapped, deleted, copied
 * from (the copy mapped in its turn, at the tail), revoked from above (the original's
 * revoke takes the copies and their mappings), or mapped again (refused: one mapping
 * per cap); then mapped again through its slot, and the caps are unmapped or deleted
 * in any order, or the original deleted (its copies move up and keep their mappings).
 * Init works in its slots 9 to 14, another process in 2 to 7.
 */
export const localMappingsFragment: fc.Arbitrary<Fragment> = fc
  .record({
    // Init, or a process of the deep preamble.
    caller: fc.constantFrom(0, 0, 1, 2, 3), two: fc.boolean(), executable: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }), readOnly: fc.constantFrom(-1, -1, 0, 1, 2),
    order: fc.constantFrom(...ORDERS_OF_THREE), place: fc.constantFrom(0, 1, 2),
    change: fc.constantFrom<MappedChange>('move', 'move', 'move twice', 'unmap', 'delete', 'revoke above', 'copy from', 'map again'),
    end: fc.constantFrom('unmap', 'delete', 'delete original', 'keep'), undo: fc.constantFrom(...ORDERS_OF_THREE),
  })
  .map(({ caller, two, executable, readOnly, order, place, change, end, undo }) => {
    const base = caller === 0 ? 9 : 2
    const caps = [base, base + 1, base + 2]
    const spare = base + 3
    const copy = base + 4
    // The region each cap names: the first region, or (two regions) the second for the middle cap.
    const regionOf = (index: number) => (two && index === 1 ? 1 : 0)
    const permsOf = (index: number): RightName[] => (readOnly === index ? ['read'] : executable[regionOf(index)] ? ['read', 'execute'] : ['read', 'write'])
    const changed = caps[order[place]!]!
    const now = change === 'move' ? spare : changed
    const steps: Record<string, unknown>[] = [
      { kind: 'mem_alloc', caller, sizeBytes: 512, executable: executable[0], dst: caps[0] },
      two ? { kind: 'mem_alloc', caller, sizeBytes: 1024, executable: executable[1], dst: caps[1] } : { kind: 'cap_copy', caller, src: caps[0], dst: caps[1], rights: [...permsOf(1), 'control'] },
      { kind: 'cap_copy', caller, src: caps[0], dst: caps[2], rights: permsOf(2) },
      ...order.map((index) => ({ kind: 'mem_map', caller, slot: caps[index], perms: permsOf(index) })),
    ]
    const changing: Record<string, unknown>[] = change === 'move' ? [{ kind: 'cap_move', caller, src: changed, dst: spare }]
      : change === 'move twice' ? [{ kind: 'cap_move', caller, src: changed, dst: spare }, { kind: 'cap_move', caller, src: spare, dst: changed }]
        : change === 'unmap' ? [{ kind: 'mem_unmap', caller, slot: changed }]
          : change === 'delete' ? [{ kind: 'cap_delete', caller, slot: changed }]
            : change === 'revoke above' ? [{ kind: 'cap_revoke', caller, slot: caps[0] }]
              : change === 'copy from' ? [{ kind: 'cap_copy', caller, src: changed, dst: copy, rights: ['read'] }, { kind: 'mem_map', caller, slot: copy, perms: ['read'] }]
                : [{ kind: 'mem_map', caller, slot: changed, perms: ['read'] }]
    // Mapped again through where the changed cap is now (refused while its mapping lives, else at the tail), then the end.
    const again = { kind: 'mem_map', caller, slot: now, perms: ['read'] }
    const slots = caps.map((slot) => (slot === changed ? now : slot))
    const ending: Record<string, unknown>[] = end === 'unmap' ? undo.map((index) => ({ kind: 'mem_unmap', caller, slot: slots[index] }))
      : end === 'delete' ? undo.map((index) => ({ kind: 'cap_delete', caller, slot: slots[index] }))
        : end === 'delete original' ? [{ kind: 'cap_delete', caller, slot: slots[0] }, { kind: 'mem_unmap', caller, slot: slots[undo[0]!] }] : []
    return [...steps, ...changing, again, ...ending]
  })

/**
 * Mappings made through caps of one region that several processes hold (ISO-4: a
 * mapping lives only while its process holds the cap that allows it, whoever
 * removes that cap), after the deep preamble. Down: init maps a region of its own,
 * sends a copy to process 1, which maps it and a copy of it. Up: the preamble's
 * region, whose caps form a chain from process 2 through process 1 to init, is
 * mapped in all three (init sometimes also through a copy, and with another mapping
 * before or after it in its list). Then a cap up the chain is revoked or deleted
 * (the root's or a middle one's: a delete moves the caps below it up, and their
 * mappings stay), a process in the middle is killed, the region's owner container
 * destroyed, or the lower cap moved first; and the mappings left are used again.
 */
export const sharedMappingsFragment: fc.Arbitrary<Fragment> = fc
  .record({
    way: fc.constantFrom('down', 'up', 'up'), before: fc.boolean(), after: fc.boolean(), twice: fc.boolean(),
    end: fc.constantFrom<ChainEnd>('revoke root', 'revoke root', 'revoke middle', 'delete middle', 'delete root', 'kill middle', 'destroy owner', 'move then revoke'),
  })
  .map(({ way, before, after, twice, end }) => {
    // Init's own mapping of another region, before or after the shared one in its list.
    const own = [{ kind: 'mem_alloc', caller: 0, sizeBytes: 256, executable: false, dst: 8 }, { kind: 'mem_map', caller: 0, slot: 8, perms: ['read'] }]
    if (way === 'down') {
      // Init's region at 9 (mapped), its copy at 10 sent to process 1 (slot 6), which maps it and its own copy at 7.
      const setup = [
        ...(before ? own : []),
        { kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst: 9 },
        { kind: 'cap_copy', caller: 0, src: 9, dst: 10, rights: ['read', 'write'] },
        { kind: 'mem_map', caller: 0, slot: 9, perms: ['read', 'write'] },
        { kind: 'ep_send', caller: 0, slot: 3, payload: 0, xfer: 10 },
        { kind: 'ep_recv', caller: 1, slot: 1, dst: 6 },
        { kind: 'mem_map', caller: 1, slot: 6, perms: ['read'] },
        ...(twice ? [{ kind: 'cap_copy', caller: 1, src: 6, dst: 7, rights: ['read'] }, { kind: 'mem_map', caller: 1, slot: 7, perms: ['read'] }] : []),
        ...(after ? own : []),
      ]
      const cut = chainCut(end, { root: [0, 9], middle: [0, 10], kill: [0, 5], destroy: [0, 4], move: [1, 6, 7] })
      return [...setup, ...cut, { kind: 'mem_unmap', caller: 1, slot: end === 'move then revoke' ? 7 : 6 }, { kind: 'mem_map', caller: 1, slot: 7, perms: ['read'] }, { kind: 'mem_unmap', caller: 0, slot: 9 }]
    }
    // Up: process 2's region (its slot 2), process 1's child of it (slot 5), init's grandchild (slot 6), each mapped.
    const setup = [
      ...(before ? own : []),
      { kind: 'mem_map', caller: 2, slot: 2, perms: ['read', 'write'] },
      { kind: 'mem_map', caller: 1, slot: 5, perms: ['read'] },
      { kind: 'mem_map', caller: 0, slot: 6, perms: ['read', 'write'] },
      ...(twice ? [{ kind: 'cap_copy', caller: 0, src: 6, dst: 7, rights: ['read'] }, { kind: 'mem_map', caller: 0, slot: 7, perms: ['read'] }] : []),
      ...(after ? own : []),
    ]
    const cut = chainCut(end, { root: [2, 2], middle: [1, 5], kill: [0, 5], destroy: [1, 3], move: [0, 6, 9] })
    return [...setup, ...cut, { kind: 'mem_unmap', caller: 0, slot: end === 'move then revoke' ? 9 : 6 }, { kind: 'mem_map', caller: 0, slot: 7, perms: ['read'] }, { kind: 'mem_unmap', caller: 0, slot: 8 }]
  })

/** How {@link sharedMappingsFragment} cuts a chain of caps mapped in several processes. */
type ChainEnd = 'revoke root' | 'revoke middle' | 'delete middle' | 'delete root' | 'kill middle' | 'destroy owner' | 'move then revoke'

/**
 * The cut, given where it acts (each a caller and a slot): the chain's root cap
 * and middle cap, the cap to the middle process, the cap to the region's owner
 * container, and the lower cap moved (caller, from, to) before the root is revoked.
 */
function chainCut(end: ChainEnd, at: { root: [number, number]; middle: [number, number]; kill: [number, number]; destroy: [number, number]; move: [number, number, number] }): Record<string, unknown>[] {
  const call = (kind: string, [caller, slot]: [number, number]) => ({ kind, caller, slot })
  switch (end) {
    case 'revoke root': return [call('cap_revoke', at.root)]
    case 'revoke middle': return [call('cap_revoke', at.middle)]
    case 'delete middle': return [call('cap_delete', at.middle)]
    case 'delete root': return [call('cap_delete', at.root)]
    case 'kill middle': return [call('process_kill', at.kill)]
    case 'destroy owner': return [call('container_destroy', at.destroy)]
    case 'move then revoke': return [{ kind: 'cap_move', caller: at.move[0], src: at.move[1], dst: at.move[2] }, call('cap_revoke', at.root)]
  }
}

/** Mappings in one process's list or in several processes, as one choice: {@link localMappingsFragment}, {@link sharedMappingsFragment}. */
export const mappingsFragment: fc.Arbitrary<Fragment> = fc.oneof(localMappingsFragment, sharedMappingsFragment)

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
 * A derivation tree of one object's caps, of any shape, in init's upper slots (8 up):
 * each copy's parent is drawn among the caps made before it, so chains, fans and
 * both come out, and a cap's children sit beside older and newer siblings. One or
 * two of its caps are then deleted (a leaf, the root, or a middle cap whose
 * children move up among its siblings, kernel.md §2), moved (to the CSpace's last
 * slot, one past it, or a slot a delete freed: it keeps its place in the tree) or
 * revoked, and the fragment ends with a revoke or a delete at the root, at the
 * parent of the cap last deleted (which took its children) or at any cap (a
 * revoke must reach every cap left below it, whatever path it came by), and
 * sometimes a use through the root. Where a tree's sibling lists are spliced.
 */
export const cdtTreeFragment: fc.Arbitrary<Fragment> = fc
  .record({
    region: fc.boolean(),
    parents: fc.array(fc.nat({ max: 5 }), { minLength: 3, maxLength: 6 }),
    // Which cap an operation takes: one with children (a middle cap, or the root), a leaf, the root, or any.
    ops: fc.array(fc.record({ op: fc.constantFrom('cap_delete', 'cap_delete', 'cap_move', 'cap_revoke'), pick: fc.constantFrom('inner', 'inner', 'leaf', 'root', 'any'), node: fc.nat({ max: 6 }), to: fc.constantFrom(15, 16, -1) }), { minLength: 1, maxLength: 2 }),
    // The last: at the root, at the parent of the cap last deleted (whose children it took), or at any cap.
    last: fc.record({ op: fc.constantFrom('cap_revoke', 'cap_revoke', 'cap_delete'), pick: fc.constantFrom('root', 'parent', 'parent', 'any'), node: fc.nat({ max: 6 }) }),
    use: fc.boolean(),
  })
  .map(({ region, parents, ops, last, use }) => {
    const base = 8
    const count = parents.length + 1
    // Each cap's slot and parent as the kernel keeps them (null: gone); the root is cap 0.
    const slotOf: number[] = Array.from({ length: count }, (_, i) => base + i)
    const parentOf: (number | null)[] = [null, ...parents.map((p, i) => p % (i + 1))]
    const live: boolean[] = Array.from({ length: count }, () => true)
    const freed: number[] = []
    const rightsOf = region ? ['read', 'write', 'control'] : ['read', 'write', 'grant']
    const steps: Record<string, unknown>[] = [
      region ? { kind: 'mem_alloc', caller: 0, sizeBytes: 1024, executable: false, dst: base } : { kind: 'ep_create', caller: 0, depth: 2, dst: base },
      ...parents.map((_, i) => ({ kind: 'cap_copy', caller: 0, src: slotOf[parentOf[i + 1]!]!, dst: slotOf[i + 1]!, rights: rightsOf })),
    ]
    const below = (cap: number): number[] => parentOf.flatMap((p, i) => (p === cap && live[i] ? [i, ...below(i)] : []))
    let parentOfDeleted = 0
    const choose = (pick: string, node: number): number => {
      const hasChildren = (i: number) => parentOf.some((p, j) => p === i && live[j])
      const among = pick === 'inner' ? parentOf.flatMap((_, i) => (i > 0 && live[i] && hasChildren(i) ? [i] : []))
        : pick === 'leaf' ? parentOf.flatMap((_, i) => (i > 0 && live[i] && !hasChildren(i) ? [i] : []))
          : pick === 'root' ? [0] : pick === 'parent' ? [parentOfDeleted] : []
      return among.length > 0 ? among[node % among.length]! : node % count
    }
    const apply = (op: string, cap: number, to: number) => {
      if (op === 'cap_move') {
        const dst = to >= 0 ? to : (freed.shift() ?? 15)
        steps.push({ kind: 'cap_move', caller: 0, src: slotOf[cap]!, dst })
        if (live[cap] && dst < 16 && !slotOf.some((s, i) => live[i] && s === dst)) { freed.push(slotOf[cap]!); slotOf[cap] = dst }
        return
      }
      steps.push({ kind: op, caller: 0, slot: slotOf[cap]! })
      if (!live[cap]) return
      if (op === 'cap_revoke') {
        for (const gone of below(cap)) { live[gone] = false; freed.push(slotOf[gone]!) }
      } else {
        for (let i = 0; i < count; i++) if (parentOf[i] === cap) parentOf[i] = parentOf[cap]!
        parentOfDeleted = parentOf[cap] ?? 0
        live[cap] = false
        freed.push(slotOf[cap]!)
      }
    }
    for (const { op, pick, node, to } of ops) apply(op, choose(pick, node), to)
    apply(last.op, choose(last.pick, last.node), -1)
    if (use) steps.push(region ? { kind: 'mem_map', caller: 0, slot: slotOf[0]!, perms: ['read'] } : { kind: 'ep_send', caller: 0, slot: slotOf[0]!, payload: 3 })
    return steps
  })

/**
 * Sibling containers: init makes three or four children side by side, of the root
 * or of a container it made first, then destroys them (or deletes their caps) in
 * any order (the first made, the last, or one between two others), with the
 * parent's stats, a new sibling made in a freed slot (an identity reused), a spawn
 * into a survivor or a tick (which walks every container) between, and ends by
 * walking the parent's list of children again: a tick, or a destroy of that
 * parent. Where a list of a container's children is spliced (kernel.md §3).
 */
export const siblingsFragment: fc.Arbitrary<Fragment> = fc
  .record({
    under: fc.boolean(),
    count: fc.integer({ min: 3, max: 4 }),
    order: fc.shuffledSubarray([0, 1, 2, 3], { minLength: 2 }),
    ends: fc.array(fc.constantFrom('container_destroy', 'container_destroy', 'cap_delete'), { minLength: 4, maxLength: 4 }),
    between: fc.array(fc.constantFrom('stats', 'create', 'create', 'spawn', 'tick', 'none'), { minLength: 4, maxLength: 4 }),
    end: fc.constantFrom('tick', 'destroy', 'destroy'),
  })
  .map(({ under, count, order, ends, between, end }) => {
    // The parent: the root (init's slot 0) or a container made in init's slot 8; the children in slots 9 up.
    const parent = under ? 8 : 0
    const base = 9
    const limitsOf = (i: number) => LIMIT_PRESETS[i % 2 === 0 ? 2 : 3]!
    const create = (i: number, preset: number) => ({ kind: 'container_create', caller: 0, parent, dst: base + i, limits: limitsOf(preset), namespaces: NAMESPACE_PRESETS[0] })
    const steps: Record<string, unknown>[] = [
      ...(under ? [{ kind: 'container_create', caller: 0, parent: 0, dst: parent, limits: LIMIT_PRESETS[0], namespaces: NAMESPACE_PRESETS[0] }] : []),
      ...Array.from({ length: count }, (_, i) => create(i, i)),
    ]
    const alive = new Set(Array.from({ length: count }, (_, i) => i))
    order.filter((i) => i < count).forEach((i, n) => {
      steps.push({ kind: ends[n]!, caller: 0, slot: base + i })
      alive.delete(i)
      const survivor = [...alive][0]
      const next = between[n]!
      if (next === 'stats') steps.push({ kind: 'container_stats', caller: 0, slot: parent })
      else if (next === 'create') { steps.push(create(i, i + 1)); alive.add(i) }
      else if (next === 'spawn' && survivor !== undefined) steps.push({ kind: 'process_spawn', caller: 0, container: base + survivor, image: VALID_IMAGE, uid: 0, slots: PROCESS_SLOTS, grants: [], dst: 13 })
      else if (next === 'tick') steps.push({ kind: 'tick' })
    })
    steps.push(end === 'destroy' && under ? { kind: 'container_destroy', caller: 0, slot: parent } : { kind: 'tick' })
    return steps
  })

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
 * the caller's creation index guessed as the tenant fragment guesses it (known,
 * 1, when the fragment starts a sequence). The inner process is uid 0 in three
 * draws of four, its map's base 0 in three of five: uid 0 of the outer
 * namespace, the case ISO-3 is about.
 *
 * Sometimes a process of the outer container (uid 0 there, spawned after the inner
 * one: the next creation index) first fills tables the inner one sees with the
 * endpoint: its own service directory (always the outer's), and its mount or port
 * table, its own or the root's. Then the inner process unbinds each of those keys
 * and binds it again (a table an ancestor's uid 0 owns: refused unless it is host
 * uid 0 too, kernel.md §6, ISO-3; a key still bound is AlreadyExists first) and
 * looks it up, and the outer process unbinds it, which its own uid 0 may. So every
 * table change (bind, unbind, of a taken key and a free one) meets a caller that is
 * uid 0 of the owner without being host uid 0.
 */
export const nestedMapFragment: fc.Arbitrary<Fragment> = nestedMap(null)

/** The nested user maps with the inner process's creation index known (`tenant`: 1 when the fragment comes first), or guessed (null). */
export function nestedMap(tenant: number | null): fc.Arbitrary<Fragment> {
  return fc.record({
    // Five slots of init's sixteen, base to base + 4.
    base: fc.constantFrom(8, 11),
    outerBase: fc.constantFrom(1000, 1000, 0),
    innerBase: fc.constantFrom(0, 0, 0, 1, 5),
    own: fc.constantFrom('share', 'share', 'new'),
    // The outer container's mount and net tables: its own, or the root's (then an inner process changing them changes the host's).
    outerTables: fc.constantFrom('new', 'new', 'share'),
    uid: fc.constantFrom(0, 0, 0, 1),
    tenant: tenant === null ? fc.constantFrom(1, 1, 2, 4, 4, 5) : fc.constant(tenant),
    actions: fc.array(fc.oneof(
      fc.record({ kind: fc.constant('mount'), path, slot: fc.constant(2), rights }),
      fc.record({ kind: fc.constant('svc_register'), name, slot: fc.constant(1) }),
      fc.record({ kind: fc.constant('net_bind'), port, slot: fc.constant(1) }),
      fc.record({ kind: fc.constant('unmount'), path }),
    ), { minLength: 1, maxLength: 3 }),
    // The tables the outer container's process fills first (none: no such process), and which key of each base set.
    held: fc.subarray(['service', 'mount', 'port'] as const), key: fc.nat(),
  })
  .map(({ base, outerBase, innerBase, own, outerTables, uid, tenant, actions, held, key }) => [
    { kind: 'ep_create', caller: 0, depth: 1, dst: base },
    { kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst: base + 1 },
    { kind: 'container_create', caller: 0, parent: 0, dst: base + 2, limits: LIMIT_PRESETS[0], namespaces: { pid: 'new', mount: outerTables, net: outerTables, ipc: 'new', user: { base: outerBase, count: 100 } } },
    { kind: 'container_create', caller: 0, parent: base + 2, dst: base + 3, limits: LIMIT_PRESETS[1], namespaces: { pid: 'new', mount: own, net: own, ipc: 'share', user: { base: innerBase, count: 10 } } },
    {
      kind: 'process_spawn', caller: 0, container: base + 3, image: VALID_IMAGE, uid, slots: PROCESS_SLOTS, dst: base + 4,
      grants: [{ slot: base + 3, rights: ALL_RIGHTS }, { slot: base, rights: ['read', 'write', 'grant'] }, { slot: base + 1, rights: ['read', 'write'] }],
    },
    ...outerTableProbes(held, base, tenant, key),
    ...actions.map((action) => ({ ...action, caller: tenant })),
  ])
}

/**
 * The nested user maps' outer process (index `inner + 1`, holding the endpoint in
 * its slot 0) binds a key in each `held` table; the inner process (holding it in
 * its slot 1) unbinds the key, binds it again and looks it up; the outer one
 * unbinds it.
 */
function outerTableProbes(held: ReadonlyArray<'service' | 'mount' | 'port'>, base: number, inner: number, key: number): Fragment {
  if (held.length === 0) return []
  const outer = inner + 1
  const keyOf = (table: 'service' | 'mount' | 'port') => (table === 'service' ? NAMES[key % NAMES.length]! : table === 'mount' ? PATHS[key % PATHS.length]! : PORTS[key % PORTS.length]!)
  const bind = (table: 'service' | 'mount' | 'port', caller: number, slot: number) => table === 'service' ? { kind: 'svc_register', caller, name: keyOf(table), slot }
    : table === 'mount' ? { kind: 'mount', caller, path: keyOf(table), slot, rights: ['read', 'write'] } : { kind: 'net_bind', caller, port: keyOf(table), slot }
  const unbind = (table: 'service' | 'mount' | 'port', caller: number) => table === 'service' ? { kind: 'svc_unregister', caller, name: keyOf(table) }
    : table === 'mount' ? { kind: 'unmount', caller, path: keyOf(table) } : { kind: 'net_unbind', caller, port: keyOf(table) }
  const lookup = (table: 'service' | 'mount' | 'port', caller: number, dst: number) => table === 'service' ? { kind: 'svc_lookup', caller, name: keyOf(table), dst }
    : table === 'mount' ? { kind: 'resolve', caller, path: keyOf(table), dst } : { kind: 'net_connect', caller, port: keyOf(table), dst }
  return [
    // Init's slot base + 5 (init has 16: for base 11, slot 7).
    { kind: 'process_spawn', caller: 0, container: base + 2, image: VALID_IMAGE, uid: 0, slots: PROCESS_SLOTS, dst: base === 8 ? 13 : 7, grants: [{ slot: base, rights: ['read', 'write', 'grant'] }] },
    ...held.map((table) => bind(table, outer, 0)),
    ...held.flatMap((table, index) => [unbind(table, inner), bind(table, inner, 1), lookup(table, inner, 3 + index)]),
    ...held.map((table) => unbind(table, outer)),
  ]
}

/** What an image of the valid kind costs its container (IMAGE_POOL's first). */
const IMAGE_BYTES = IMAGE_POOL[0]!.manifest.memoryBytes
const DEVICE_NAMES = ['disk0', 'net0'] as const
type Amounts = Record<ReservedResource, number>
const amounts = (of: (resource: ReservedResource) => number): Amounts =>
  Object.fromEntries(RESERVED_RESOURCES.map((resource) => [resource, of(resource)])) as Amounts

/** Init's slots in the reservation fragment: C, P, C's children, and the spawns into C. */
const RESERVE = { container: 10, process: 11, children: [12, 13], spawns: [14, 15] } as const

/**
 * What the reservation fragment knows of C as it is built: C's limits, its usage,
 * its live children (each reserving its limits), P's creation index (null: no P)
 * and device, and init's spawn slots used. The probes predict each call's outcome
 * from it (as kernel.md §3 says), so that each meets what is left exactly; a wrong
 * prediction would only make a probe less exact, the model is the oracle.
 */
interface Ledger {
  limits: Limits
  readonly used: Amounts
  children: Array<{ readonly slot: number; limits: Limits }>
  readonly p: number | null
  readonly device: 0 | 1
  spawned: number
  /** Whether P still runs (it may exit). */
  running: boolean
}

const reservedIn = (ledger: Ledger, resource: ReservedResource) => ledger.children.reduce((sum, child) => sum + child.limits[resource], 0)
/** What C can still spend or reserve of a resource: its limit less its usage and its children's reservations. */
const leftIn = (ledger: Ledger, resource: ReservedResource) => ledger.limits[resource] - ledger.used[resource] - reservedIn(ledger, resource)

/** A call of P's: one CPU unit charged to C, unless C's budget is spent (BudgetExhausted, nothing else) or P has exited (NotRunning). */
function byP(ledger: Ledger, call: Record<string, unknown>, succeeds: (ledger: Ledger) => boolean, effect: (ledger: Ledger) => void): Record<string, unknown> {
  if (ledger.running && leftIn(ledger, 'cpuBudget') >= 1) {
    ledger.used.cpuBudget++
    if (succeeds(ledger)) effect(ledger)
  }
  return { ...call, caller: ledger.p }
}

type ReserveProbe = 'alloc' | 'endpoints' | 'io' | 'exit' | 'spawn' | 'lower' | 'grow' | 'devices' | 'release'
/** The probes only init makes (no process in C needed). */
const INIT_PROBES: ReadonlyArray<ReserveProbe> = ['spawn', 'lower', 'grow', 'devices', 'release']

/** One probe's calls, given drawn numbers `d` (a delta of -1, 0 or 1) and `pick` (a choice); the ledger follows each predicted success. */
const RESERVE_PROBES: Readonly<Record<ReserveProbe, (ledger: Ledger, d: number, pick: number) => Fragment>> = {
  // P allocates what C has left of memory, one byte less, or one more, and maps it.
  alloc: (ledger, d) => {
    const size = Math.max(1, leftIn(ledger, 'memoryBytes') + d)
    return [
      byP(ledger, { kind: 'mem_alloc', sizeBytes: size, executable: false, dst: 6 }, (l) => size <= leftIn(l, 'memoryBytes'), (l) => { l.used.memoryBytes += size }),
      byP(ledger, { kind: 'mem_map', slot: 6, perms: ['read', 'write'] }, () => true, () => {}),
    ]
  },
  // P makes endpoints until one is refused, then sends on the first, deletes it (the message discarded, the charge returned) and makes one again.
  endpoints: (ledger) => {
    let made = 0
    const create = (dst: number) => byP(ledger, { kind: 'ep_create', depth: 1, dst }, (l) => leftIn(l, 'endpoints') >= 1, (l) => { l.used.endpoints++; made++ })
    const calls = Array.from({ length: Math.min(3, Math.max(0, leftIn(ledger, 'endpoints')) + 1) }, (_, index) => create(3 + index))
    if (made === 0) return calls
    return [
      ...calls, byP(ledger, { kind: 'ep_send', slot: 3, payload: 'left' }, () => true, () => {}),
      byP(ledger, { kind: 'cap_delete', slot: 3 }, () => true, (l) => { l.used.endpoints-- }), create(3),
    ]
  },
  // P writes what C has left of this period's I/O, one byte less, or one more, to its device.
  io: (ledger, d) => {
    const bytes = Math.max(1, leftIn(ledger, 'ioBytes') + d)
    const allowed = (l: Ledger) => l.limits.devices.includes(DEVICE_NAMES[l.device])
    return [byP(ledger, { kind: 'io_submit', slot: 1, bytes }, (l) => allowed(l) && bytes <= leftIn(l, 'ioBytes'), (l) => { l.used.ioBytes += bytes })]
  },
  // P is given its own cap (mounted by init in the root's mount table, which C shares) and exits: its process and image are C's to spend again.
  exit: (ledger) => [
    { kind: 'mount', caller: 0, path: '/reserve', slot: RESERVE.process, rights: ['read', 'control'] },
    byP(ledger, { kind: 'resolve', path: '/reserve', dst: 7 }, () => true, () => {}),
    byP(ledger, { kind: 'process_kill', slot: 7 }, () => true, (l) => {
      // What P held alone goes with it: its regions and endpoints; what is left is init's spawns.
      Object.assign(l.used, { processes: l.spawned, memoryBytes: l.spawned * IMAGE_BYTES, endpoints: 0 })
      l.running = false
    }),
  ],
  // Init spawns into C until refused (a process and an image's memory each).
  spawn: (ledger) => {
    const calls: Fragment[number][] = []
    while (ledger.spawned < RESERVE.spawns.length) {
      const fits = leftIn(ledger, 'processes') >= 1 && leftIn(ledger, 'memoryBytes') >= IMAGE_BYTES
      calls.push({ kind: 'process_spawn', caller: 0, container: RESERVE.container, image: VALID_IMAGE, uid: 0, slots: 1, grants: [], dst: RESERVE.spawns[ledger.spawned]! })
      if (!fits) break
      ledger.spawned++
      ledger.used.processes++
      ledger.used.memoryBytes += IMAGE_BYTES
    }
    return calls
  },
  // Init sets C's limit of one resource to its usage plus its children's reservations, or one under (refused).
  lower: (ledger, d, pick) => {
    const resource = RESERVED_RESOURCES[pick % RESERVED_RESOURCES.length]!
    const value = Math.max(0, ledger.used[resource] + reservedIn(ledger, resource) + Math.min(0, d))
    const limits = { ...ledger.limits, [resource]: value }
    if (value >= ledger.used[resource] + reservedIn(ledger, resource)) ledger.limits = limits
    return [{ kind: 'container_set_limits', caller: 0, slot: RESERVE.container, limits }]
  },
  // Init grows a child's limit of one resource by what C has left, or one more (refused).
  grow: (ledger, d, pick) => {
    if (ledger.children.length === 0) return []
    const child = ledger.children[pick % ledger.children.length]!
    const resource = RESERVED_RESOURCES[Math.floor(pick / 2) % RESERVED_RESOURCES.length]!
    const more = Math.max(0, d)
    const limits = { ...child.limits, [resource]: child.limits[resource] + Math.max(0, leftIn(ledger, resource)) + more }
    if (more === 0) child.limits = limits
    return [{ kind: 'container_set_limits', caller: 0, slot: child.slot, limits }]
  },
  // Init narrows C's devices to one child's set, to the union of its children's (both accepted only if they cover every child's), or to none.
  devices: (ledger, _d, pick) => {
    const union = DEVICE_NAMES.filter((device) => ledger.children.some((child) => child.limits.devices.includes(device)))
    const choices = [...ledger.children.map((child) => child.limits.devices), union, []]
    const devices = [...choices[pick % choices.length]!]
    const limits = { ...ledger.limits, devices }
    if (union.every((device) => devices.includes(device))) ledger.limits = limits
    return [{ kind: 'container_set_limits', caller: 0, slot: RESERVE.container, limits }]
  },
  // Init destroys one of C's children (the older or the newer): its reservation is C's to spend again.
  release: (ledger, _d, pick) => {
    if (ledger.children.length === 0) return []
    const [child] = ledger.children.splice(pick % ledger.children.length, 1)
    return [{ kind: 'container_destroy', caller: 0, slot: child!.slot }]
  },
}

/** A child's reservation: nothing, a little, or (memory) an image's worth, of each resource; some of the devices (a plain object, as a caller's limits are). */
const reserverLimits: fc.Arbitrary<Limits> = fc.record({
  memoryBytes: fc.constantFrom(0, 1, 512, IMAGE_BYTES), processes: fc.constantFrom(0, 1, 1, 2), endpoints: fc.constantFrom(0, 1), cpuBudget: fc.constantFrom(0, 1, 3),
  ioBytes: fc.constantFrom(0, 1, 40), cpuWeight: fc.constant(1), devices: fc.subarray([...DEVICE_NAMES]),
}).map((limits) => ({ ...limits }))

/**
 * Reservations met by spending (kernel.md §3: a child's limits are reserved out of
 * its parent, so that usage plus the children's reservations never passes a limit).
 * Init makes a container C and one or two children of C reserving part of every
 * resource (each child its own amounts and devices), and, with `p`, a process P in
 * C holding control over C (slot 0), a device (slot 1) and a region of its own that
 * it maps; P's creation index is `p` (1 when the fragment comes first in a
 * sequence). Then every way of spending in C meets what is left once the children's
 * reservations are taken out, exactly, one short or one past: P allocates (and
 * maps), makes endpoints until refused (and deletes one, a message queued on it, to
 * make one again), writes to its device, is given its own cap and exits (what it
 * used is C's again), and spends C's CPU budget to the last unit and one more; init
 * spawns into C, sets C's limit of a resource to its usage plus its children's
 * reservations (or one under), grows a child by what C has left (or one more),
 * narrows C's devices to one child's, to their union or to none (only a set
 * covering every child's is taken), and destroys a child (what it reserved is C's
 * again). Without `p`, only init's probes.
 */
export function reserveFragment(p: number | null): fc.Arbitrary<Fragment> {
  return fc.record({
    children: fc.array(reserverLimits, { minLength: 1, maxLength: RESERVE.children.length }),
    // What C has left after its children and P: memory around one image, a few of each count, a little I/O; CPU units beyond P's planned calls.
    left: fc.record({ memoryBytes: fc.constantFrom(IMAGE_BYTES - 1, IMAGE_BYTES, IMAGE_BYTES + 1, 1, 300), processes: fc.constantFrom(0, 1, 2), endpoints: fc.constantFrom(0, 1, 2), cpuBudget: fc.integer({ min: 0, max: 3 }), ioBytes: fc.integer({ min: 1, max: 60 }) }),
    probes: fc.shuffledSubarray(p === null ? [...INIT_PROBES] : Object.keys(RESERVE_PROBES) as ReserveProbe[], { minLength: 1, maxLength: 4 }),
    draws: fc.array(fc.record({ d: fc.constantFrom(-1, 0, 0, 1), pick: fc.nat() }), { minLength: 4, maxLength: 4 }),
    spend: fc.boolean(), device: fc.constantFrom<0 | 1>(0, 1), cpuWeight: fc.integer({ min: 1, max: 3 }), own: fc.integer({ min: 1, max: 512 }),
  }).map(({ children, left, probes, draws, spend, device, cpuWeight, own }) => {
    // P's usage after the setup: its image and a region of its own (mapped).
    const used: Amounts = amounts((resource) => p === null ? 0 : resource === 'memoryBytes' ? IMAGE_BYTES + own : resource === 'processes' ? 1 : 0)
    const reserved = amounts((resource) => children.reduce((sum, child) => sum + child[resource], 0))
    // C's CPU budget: the children's, P's planned calls (an upper bound), and what the spending probe at the end uses up.
    const planned = p === null ? 0 : 2 + probes.length + (probes.includes('endpoints') ? 5 : 0) + (probes.includes('alloc') ? 1 : 0) + (probes.includes('exit') ? 1 : 0)
    const limits: Limits = {
      ...amounts((resource) => used[resource] + reserved[resource] + left[resource] + (resource === 'cpuBudget' ? planned : 0)),
      cpuWeight, devices: [...DEVICE_NAMES],
    }
    const ledger: Ledger = { limits, used, children: [], p, device, spawned: 0, running: p !== null }
    const setup: Fragment[number][] = [{ kind: 'container_create', caller: 0, parent: 0, dst: RESERVE.container, limits, namespaces: NAMESPACE_PRESETS[0] }]
    children.forEach((child, index) => {
      setup.push({ kind: 'container_create', caller: 0, parent: RESERVE.container, dst: RESERVE.children[index]!, limits: child, namespaces: NAMESPACE_PRESETS[0] })
      ledger.children.push({ slot: RESERVE.children[index]!, limits: child })
    })
    if (p !== null) {
      setup.push({
        kind: 'process_spawn', caller: 0, container: RESERVE.container, image: VALID_IMAGE, uid: 0, slots: PROCESS_SLOTS, dst: RESERVE.process,
        grants: [{ slot: RESERVE.container, rights: ALL_RIGHTS }, { slot: 1 + device, rights: ['write'] }],
      }, { kind: 'mem_alloc', caller: p, sizeBytes: own, executable: false, dst: 2 }, { kind: 'mem_map', caller: p, slot: 2, perms: ['read', 'write'] })
      ledger.used.cpuBudget += 2
    }
    const probed = probes.flatMap((probe, index) => RESERVE_PROBES[probe](ledger, draws[index]!.d, draws[index]!.pick))
    // Last, sometimes, P spends C's CPU budget to what is left and makes one more call (BudgetExhausted).
    const spent = p === null || !spend || !ledger.running ? [] : Array.from({ length: Math.max(0, leftIn(ledger, 'cpuBudget')) + 1 }, () => ({ kind: 'process_list', caller: p }))
    return [...setup, ...probed, ...spent]
  })
}

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
 * Weights at every boundary a stride scheduler has: the ends of the range (1 and
 * 10,000), the root's own weight (100, init always competing) and one either
 * side, the edges of 8 and 10 bits (255, 256, 1023, 1024: a weight kept in fewer
 * bits, or a stride taken as a constant over the weight, rounds there), and small
 * ratios (1, 2, 3, 7) whose passes tie exactly.
 */
const STRIDE_WEIGHTS = [1, 2, 3, 7, 99, 100, 101, 255, 256, 257, 1023, 1024, 1025, 9999, 10000] as const
/** A container for one or two processes with weight `cpuWeight` (not reserved: the root gives any). */
const strideLimits = (cpuWeight: number): Limits => ({ ...LIMIT_PRESETS[1]!, processes: 2, memoryBytes: 2 * IMAGE_BYTES, cpuWeight })

/**
 * The stride scheduler over weights at their boundaries (kernel.md §3, SCHED-1):
 * init makes two or three containers of {@link STRIDE_WEIGHTS} (sometimes two of
 * one weight: ties go to the lower id), spawns a process into each, in container
 * order or the reverse, sometimes a second into one of them, sometimes kills the
 * first one spawned and keeps it as a zombie (its container may then have no
 * runnable process: it does not compete), and runs the scheduler for 1 to 3 quanta
 * or long enough for every weight to show. Then a container is destroyed, another
 * made (with a process), or one given another weight, and the scheduler runs again:
 * it keeps nothing from one run to the next. Init's slots `base` to `base + 8`.
 */
export const strideFragment: fc.Arbitrary<Fragment> = fc
  .record({
    base: fc.constantFrom(3, 7), weights: fc.array(fc.constantFrom(...STRIDE_WEIGHTS), { minLength: 2, maxLength: 3 }), tie: fc.boolean(),
    reverse: fc.boolean(), extra: opt(fc.nat(2)), zombie: fc.constantFrom(false, false, true),
    quanta: fc.oneof(fc.constantFrom(1, 2, 3), fc.integer({ min: 30, max: 200 })),
    then: fc.constantFrom('destroy', 'create', 'reweigh', 'none'), other: fc.constantFrom(...STRIDE_WEIGHTS),
    again: fc.oneof(fc.constantFrom(1, 2), fc.integer({ min: 30, max: 200 })),
  })
  .map(({ base, weights: drawn, tie, reverse, extra, zombie, quanta, then, other, again }) => {
    const weights = tie ? [...drawn.slice(0, -1), drawn[0]!] : drawn
    const homes = weights.map((_, index) => index)
    const spawned = [...(reverse ? homes.reverse() : homes), ...(extra === undefined ? [] : [extra % weights.length])]
    const spawn = (container: number, dst: number) => ({ kind: 'process_spawn', caller: 0, container, image: VALID_IMAGE, uid: 0, slots: 1, grants: [], dst })
    const made = base + 3
    return [
      ...weights.map((weight, index) => ({ kind: 'container_create', caller: 0, parent: 0, dst: base + index, limits: strideLimits(weight), namespaces: NAMESPACE_PRESETS[0] })),
      ...spawned.map((home, index) => spawn(base + home, base + 4 + index)),
      ...(zombie ? [{ kind: 'process_kill', caller: 0, slot: base + 4 }] : []),
      { kind: 'sched_run', quanta },
      ...(then === 'destroy' ? [{ kind: 'container_destroy', caller: 0, slot: base }]
        : then === 'create' ? [{ kind: 'container_create', caller: 0, parent: 0, dst: made, limits: strideLimits(other), namespaces: NAMESPACE_PRESETS[0] }, spawn(made, base + 8)]
          : then === 'reweigh' ? [{ kind: 'container_set_limits', caller: 0, slot: base, limits: strideLimits(other) }] : []),
      { kind: 'sched_run', quanta: again },
    ]
  })

/**
 * Grants matched to the `matcher` image's overlapping requests (kernel.md §4: by
 * what they grant, not by position; each request once): init makes an endpoint
 * and a region and spawns `matcher` into its own container with a grant list that
 * is a subset of a valid assignment in any order, a first-fit trap (`read` before
 * `write` on the endpoint, disk0 before net0: a matching exists that taking the
 * first fitting request misses), or a list no matching serves (two `write`
 * endpoints, two net0s, three endpoints, or one grant too many). Sometimes one
 * grant of the list gives a subset of its rights, the empty set included: a grant
 * of no rights still fits only its kind (and its device), and a device grant of no
 * rights still needs the device in the container's policy; or that subset and one
 * right more that the granting cap holds (control on the region or the container,
 * grant on the endpoint, ...), which no request of its kind asks for. The coverage
 * counts which were met (properties/coverage.ts `GRANT_CASES`).
 */
export const grantMatchFragment: fc.Arbitrary<Fragment> = fc
  .record({
    endpoint: fc.integer({ min: 10, max: 11 }), region: fc.integer({ min: 12, max: 13 }), dst: fc.integer({ min: 14, max: 15 }),
    shape: fc.constantFrom('subset', 'subset', 'trap', 'trap', 'none'), pick: fc.nat(), order: fc.array(fc.nat(), { minLength: 7, maxLength: 7 }),
    // Into init's own container (both devices allowed), or a new one allowing one device only (LIMIT_PRESETS 1: disk0, 3: net0): the policy then refuses the other device's grant wherever it comes in the list.
    home: fc.constantFrom(0, 0, 1, 3), badge: opt(fc.integer({ min: 1, max: 3 })),
    // One grant narrowed: the rights of the mask's bits (0: none).
    narrowed: fc.option(fc.record({ at: fc.nat(), mask: fc.nat(31) }), { nil: undefined, freq: 2 }),
  })
  .map(({ endpoint, region, dst, shape, pick, order, home, badge, narrowed }) => {
    const g = {
      rwg: { slot: endpoint, rights: ['read', 'write', 'grant'] }, read: { slot: endpoint, rights: ['read'] }, write: { slot: endpoint, rights: ['write'] },
      disk: { slot: 1, rights: ['write'] }, net: { slot: 2, rights: ['write'] }, region: { slot: region, rights: ['read', 'write'] }, container: { slot: 0, rights: ['control'] },
    }
    const full = [pick % 2 === 0 ? g.rwg : g.write, g.read, g.net, g.disk, g.region, g.container]
    const shuffled = <T>(items: ReadonlyArray<T>) => items.map((item, index) => ({ item, key: order[index % order.length]! })).sort((a, b) => a.key - b.key).map(({ item }) => item)
    const traps = [[g.read, g.write], [g.disk, g.net], [g.read, g.disk, g.write, g.net]]
    const hopeless = [[g.write, g.write], [g.net, g.net], [g.read, g.read, g.read], [...full, g.container]]
    const listed = shape === 'subset' ? shuffled(full).slice(0, pick % (full.length + 1))
      : shape === 'trap' ? [...traps[pick % traps.length]!, ...shuffled([g.region, g.container]).slice(0, pick % 3)]
        : shuffled(hopeless[pick % hopeless.length]!)
    // The mask's low bits keep some of the grant's rights (no grant lists more than three); its bit 4, when set, adds one right the granting cap holds that the grant did not list (the policy refuses a grant beyond its request, the manifest's rights being the most it may ask).
    const held = (slot: number): ReadonlyArray<string> => slot === endpoint ? ['read', 'write', 'grant'] : slot === region ? ['read', 'write', 'control'] : slot === 0 ? RIGHT_NAMES : ['write']
    const reshaped = (grant: { slot: number; rights: ReadonlyArray<string> }, mask: number, at: number) => {
      const kept = grant.rights.filter((_, bit) => (mask & (1 << bit)) !== 0)
      const extra = held(grant.slot).filter((right) => !grant.rights.includes(right))
      return (mask & 16) === 0 || extra.length === 0 ? kept : [...kept, extra[Math.floor(at / 8) % extra.length]!]
    }
    const grants = narrowed === undefined ? listed
      : listed.map((grant, index) => (index === narrowed.at % listed.length ? { ...grant, rights: reshaped(grant, narrowed.mask, narrowed.at) } : grant))
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

/** Where a cap can live besides a slot, and how it comes back to one: a table's entry and its lookup, or a message and its receipt. */
type Route = 'mount' | 'port' | 'service' | 'message'

/**
 * A badge carried through every place a cap lives (kernel.md §2: a cap's badge is
 * set once, on an unbadged endpoint cap, and every cap derived from it keeps it;
 * §5: a message carries its sender cap's badge): an endpoint's badged copy (a small
 * badge, or the largest) goes through one or two of a mount and its resolve, a port
 * and its connect, a service and its lookup, a message carrying it and its
 * receipt, in any order, each hop from the cap the last one gave. The last cap is
 * inspected, copied without a badge (it keeps its own) and with one (refused: it
 * has one), and sent through; the original receives the message and its badge.
 * Lookups give write only, so a second hop through a port or a service from one is
 * refused (binding asks `read`), as is a mount asking for more than it has: the
 * hop after a refusal meets an empty slot.
 */
export const badgeRouteFragment: fc.Arbitrary<Fragment> = fc
  .record({
    // Init (its slots 9 to 13, above the deep preamble's) or a process of the deep preamble (slots 3 to 7).
    caller: fc.constantFrom(0, 0, 1, 2, 3), low: fc.constantFrom(3, 4), badge: fc.constantFrom(1, 2, 7, BOUNDS.badgeMax),
    routes: fc.array(fc.constantFrom<Route>('mount', 'port', 'service', 'message'), { minLength: 1, maxLength: 2 }), key: fc.nat(),
  })
  .map(({ caller, low, badge, routes, key }) => {
    const endpoint = caller === 0 ? low + 6 : low
    const path = PATHS[1 + (key % (PATHS.length - 1))]!
    const port = PORTS[key % PORTS.length]!
    const name = NAMES[key % NAMES.length]!
    // The endpoint at `endpoint`, its badged copy next, each hop's cap in the slot after the last (for a process, at most 7: it has 8).
    const hop = (route: Route, from: number, to: number): Fragment => route === 'mount'
      ? [{ kind: 'mount', caller, path, slot: from, rights: ['write'] }, { kind: 'resolve', caller, path, dst: to }, { kind: 'unmount', caller, path }]
      : route === 'port' ? [{ kind: 'net_bind', caller, port, slot: from }, { kind: 'net_connect', caller, port, dst: to }, { kind: 'net_unbind', caller, port }]
        : route === 'service' ? [{ kind: 'svc_register', caller, name, slot: from }, { kind: 'svc_lookup', caller, name, dst: to }, { kind: 'svc_unregister', caller, name }]
          : [{ kind: 'ep_send', caller, slot: endpoint, payload: 'carried', xfer: from }, { kind: 'ep_recv', caller, slot: endpoint, dst: to }]
    const last = endpoint + 1 + routes.length
    return [
      { kind: 'ep_create', caller, depth: 2, dst: endpoint },
      { kind: 'cap_copy', caller, src: endpoint, dst: endpoint + 1, rights: ['read', 'write', 'grant'], badge },
      ...routes.flatMap((route, index) => hop(route, endpoint + 1 + index, endpoint + 2 + index)),
      { kind: 'cap_inspect', caller, slot: last },
      { kind: 'cap_copy', caller, src: last, dst: endpoint + 1, rights: ['write'], badge: 1 },
      { kind: 'ep_send', caller, slot: last, payload: 'routed' },
      { kind: 'ep_recv', caller, slot: endpoint },
      { kind: 'cap_delete', caller, slot: endpoint + 1 },
      { kind: 'cap_copy', caller, src: last, dst: endpoint + 1, rights: ['write'] },
      { kind: 'cap_inspect', caller, slot: endpoint + 1 },
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

/** A copy of the cap in `src` at `dst` with every right of `rights` but `missing`. */
const weakened = (src: number, dst: number, rights: ReadonlyArray<RightName>, missing: RightName) =>
  ({ kind: 'cap_copy', caller: 0, src, dst, rights: rights.filter((right) => right !== missing) })

type WeakCase = 'map' | 'send' | 'recv' | 'kill' | 'root' | 'limits' | 'create' | 'spawn' | 'io'
/** Limits of nothing, and of nothing but one resource's `amount` (or some devices). */
const nothingBut = (resource?: ReservedResource, amount = 0, devices: string[] = []): Limits =>
  ({ memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0, ...(resource === undefined ? {} : { [resource]: amount }), cpuWeight: 1, devices })
/** A limit no container can be given: the largest amount (spec/numbers.ts). */
const BEYOND = BOUNDS.countMax
/**
 * For each handler whose rights check comes before checks that read the object
 * (kernel.md §8: the slot checks, InsufficientRights last among them, come before
 * names, permissions, resources and queue state): init's object in a state one
 * later check refuses (`pick` chooses which, where there are several), and a copy
 * of its cap (at `weak`) lacking exactly the right the syscall asks. The answer
 * must be InsufficientRights; a kernel that reads the object's state first answers
 * the later check's error. (model/check-catalogue.ts counts no such pair: it takes
 * a failed rights check to leave no object for the later checks.)
 */
const WEAK_CASES: Readonly<Record<WeakCase, (a: number, weak: number, pick: number) => Fragment>> = {
  // A region mapped through a read-only copy, mapped again asking for write (AlreadyExists, had it write).
  map: (a, weak) => [
    { kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst: a }, weakened(a, weak, ['read', 'write', 'control'], 'write'),
    { kind: 'mem_map', caller: 0, slot: weak, perms: ['read'] }, { kind: 'mem_map', caller: 0, slot: weak, perms: ['read', 'write'] },
  ],
  // A full queue, sent to through a cap without write (QueueFull).
  send: (a, weak) => [
    { kind: 'ep_create', caller: 0, depth: 1, dst: a }, { kind: 'ep_send', caller: 0, slot: a, payload: 1 }, weakened(a, weak, ['read', 'write', 'grant'], 'write'),
    { kind: 'ep_send', caller: 0, slot: weak, payload: 2 },
  ],
  // An empty queue, received from through a cap without read (QueueEmpty).
  recv: (a, weak) => [
    { kind: 'ep_create', caller: 0, depth: 1, dst: a }, weakened(a, weak, ['read', 'write', 'grant'], 'read'), { kind: 'ep_recv', caller: 0, slot: weak },
  ],
  // A dead process, killed again through a cap without control (NotRunning).
  kill: (a, weak) => [
    { kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 0, slots: 1, grants: [], dst: a }, weakened(a, weak, ALL_RIGHTS, 'control'),
    { kind: 'process_kill', caller: 0, slot: a }, { kind: 'process_kill', caller: 0, slot: weak },
  ],
  // The root container, destroyed and given new limits through a cap without control (PermissionDenied).
  root: (_a, weak) => [
    weakened(0, weak, ALL_RIGHTS, 'control'), { kind: 'container_destroy', caller: 0, slot: weak },
    { kind: 'container_set_limits', caller: 0, slot: weak, limits: LIMIT_PRESETS[0] },
  ],
  // A container with a child (disk0 allowed), its limits set through a cap without control: one resource under what it
  // uses and its child reserves, or beyond what the root can give; no devices, or one the root lacks (QuotaExceeded).
  limits: (a, weak, pick) => {
    const given = LIMIT_PRESETS[1]!
    const child = { ...LIMIT_PRESETS[2]!, devices: ['disk0'] }
    const resource = RESERVED_RESOURCES[pick % RESERVED_RESOURCES.length]!
    const variants: Limits[] = [
      { ...given, [resource]: child[resource] - 1 }, { ...given, [resource]: BEYOND }, { ...given, devices: [] }, { ...given, devices: ['disk0', 'tape0'] },
    ]
    return [
      { kind: 'container_create', caller: 0, parent: 0, dst: a, limits: given, namespaces: NAMESPACE_PRESETS[0] },
      { kind: 'container_create', caller: 0, parent: a, dst: weak + 1, limits: child, namespaces: NAMESPACE_PRESETS[0] },
      weakened(a, weak, ALL_RIGHTS, 'control'), { kind: 'container_set_limits', caller: 0, slot: weak, limits: variants[Math.floor(pick / RESERVED_RESOURCES.length) % variants.length] },
    ]
  },
  // A child made through a cap without control under a container with 100 uids and no devices: one resource beyond
  // the container's, a device, or a uid map outside its range (QuotaExceeded, PermissionDenied).
  create: (a, weak, pick) => {
    const parent = LIMIT_PRESETS[2]!
    const resource = RESERVED_RESOURCES[pick % RESERVED_RESOURCES.length]!
    const variants = [
      { limits: nothingBut(resource, parent[resource] + 1), namespaces: NAMESPACE_PRESETS[0] }, { limits: nothingBut(undefined, 0, ['net0']), namespaces: NAMESPACE_PRESETS[0] },
      { limits: nothingBut(), namespaces: NAMESPACE_PRESETS[1] },
    ]
    return [
      { kind: 'container_create', caller: 0, parent: 0, dst: a, limits: parent, namespaces: NAMESPACE_PRESETS[3] }, weakened(a, weak, ALL_RIGHTS, 'control'),
      { kind: 'container_create', caller: 0, parent: weak, dst: weak + 1, ...variants[Math.floor(pick / RESERVED_RESOURCES.length) % variants.length]! },
    ]
  },
  // A spawn through a cap without control into a container with no process or no memory left, with a uid it does
  // not map, or with two container grants where the manifest asks one (QuotaExceeded, PermissionDenied, PolicyDenied).
  spawn: (a, weak, pick) => {
    const variant = pick % 4
    const limits = variant === 0 ? { ...LIMIT_PRESETS[2]!, processes: 0 } : variant === 1 ? { ...LIMIT_PRESETS[2]!, memoryBytes: 0 } : LIMIT_PRESETS[2]!
    return [
      { kind: 'container_create', caller: 0, parent: 0, dst: a, limits, namespaces: NAMESPACE_PRESETS[3] }, weakened(a, weak, ALL_RIGHTS, 'control'),
      {
        kind: 'process_spawn', caller: 0, container: weak, image: VALID_IMAGE, uid: variant === 2 ? 5000 : 0, slots: 2, dst: weak + 1,
        grants: variant === 3 ? [{ slot: a, rights: ['read'] }, { slot: weak, rights: ['read'] }] : [],
      },
    ]
  },
  // More bytes than the root's I/O limit, written through a device cap without write (QuotaExceeded).
  io: (_a, weak) => [weakened(1, weak, ['write'], 'write'), { kind: 'io_submit', caller: 0, slot: weak, bytes: PROPERTY_BOOT.root.limits.ioBytes + 1 }],
}

/**
 * A cap short of exactly the right a syscall asks, to an object whose state a
 * later check refuses (WEAK_CASES): every handler that reads its object after the
 * rights check. Init's slots `at` and the two after it.
 */
export const weakCapFragment: fc.Arbitrary<Fragment> = fc
  .record({ at: fc.constantFrom(7, 8), which: fc.constantFrom(...Object.keys(WEAK_CASES) as WeakCase[]), pick: fc.nat() })
  .map(({ at, which, pick }) => WEAK_CASES[which](at, at + 1, pick))

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
 * process 3 its parent's). Sometimes the container destroyed is one above inner's
 * instead (any of its ancestors but the root, by the process above that one, who
 * then looks the names up): the tables of every container below the one destroyed
 * go as well, filled or not (kernel.md §3). For the top container, what inner
 * binds is first handed down to it from process 1: init's endpoint, an object
 * outside the subtree destroyed (an entry naming an object inside would go with
 * that object anyway).
 */
export const filledTeardownFragment: fc.Arbitrary<Fragment> = fc
  .record({ inner: fc.constantFrom(1, 2, 3), tables: fc.subarray(['mount', 'service', 'port'] as const, { minLength: 1 }), region: fc.boolean(), outward: fc.boolean(), reach: fc.nat() })
  .map(({ inner, tables, region, outward, reach }) => {
    // The container destroyed: process `doomed`'s (inner's own, or an ancestor's below the root), by the process above it.
    const doomed = inner - (reach % inner)
    const parent = doomed - 1
    const receiver = inner === 1 ? { caller: 0, slot: 3, dst: 10 } : { caller: 1, slot: 2, dst: 6 }
    // Free slots of the parent after the preamble: init's from 7 on, process 1's 6 and 7, process 2's 5 to 7.
    const [resolved, looked, connected] = parent === 0 ? [7, 8, 9] : [7, 6, 5]
    const has = (table: 'mount' | 'service' | 'port') => tables.includes(table)
    // Init's endpoint (process 1's slot 1) handed down through process 1's (its slot 2; inner's slot 1) into inner's slot 5.
    const handed = doomed === 1 && inner > 1
    const bound = handed ? 5 : 1
    return [
      ...(handed ? [{ kind: 'ep_send', caller: 1, slot: 2, payload: 'outside', xfer: 1 }, { kind: 'ep_recv', caller: inner, slot: 1, dst: bound }] : []),
      ...(region ? [{ kind: 'mem_alloc', caller: inner, sizeBytes: 512, executable: false, dst: 6 }] : []),
      ...(has('mount') ? [{ kind: 'mount', caller: inner, path: '/data', slot: bound, rights: ['write'] }, ...(region ? [{ kind: 'mount', caller: inner, path: '/srv/log', slot: 6, rights: ['read'] }] : [])] : []),
      ...(has('service') ? [{ kind: 'svc_register', caller: inner, name: 'echo', slot: bound }] : []),
      ...(has('port') ? [{ kind: 'net_bind', caller: inner, port: 80, slot: bound }] : []),
      ...(outward ? [{ kind: 'resolve', caller: inner, path: '/data', dst: 7 }, { kind: 'ep_send', caller: inner, slot: 1, payload: 'bound', xfer: 7 }] : []),
      { kind: 'container_destroy', caller: parent, slot: doomed === 1 ? 4 : 3 },
      ...(outward ? [{ kind: 'ep_recv', caller: receiver.caller, slot: receiver.slot, dst: receiver.dst }] : []),
      { kind: 'resolve', caller: parent, path: '/data', dst: resolved },
      { kind: 'svc_lookup', caller: parent, name: 'echo', dst: looked },
      { kind: 'net_connect', caller: parent, port: 80, dst: connected },
    ]
  })

/** What the deep teardown hands down from init: a region of the root's, a device, or init's endpoint (write only). */
type Outside = 'region' | 'device' | 'endpoint' | 'none'
/** Which object of the doomed subtree the deep teardown hands up: the holder's own endpoint, its container, or process 3. */
type Handed = 'endpoint' | 'container' | 'process' | 'none'

/**
 * A destroy that reaches below the container destroyed (kernel.md §3: it destroys
 * the container *and all its descendants*, every object they own, every cap to
 * them anywhere, their queued messages): after the deep preamble, the state of a
 * deep process — process 2 in the middle container or process 3 in the bottom one
 * — is tied to the outside every way: init hands it, down both endpoints, a cap to
 * an object outside (a root region, which it maps, a device, or init's endpoint);
 * it makes an endpoint of its own and queues messages there, the first carrying
 * that cap or its container's; and a cap to one of the subtree's objects (that
 * endpoint, its container, process 3) goes up to process 1 and on to init, who
 * receives it into a slot, mounts it in the root's table, or leaves it queued on
 * its endpoint. Then init destroys the top container (both deep ones are
 * descendants of the one destroyed), process 1 the middle one (process 3's is a
 * descendant), or process 2 the bottom one; and the survivors look: the slot, the
 * mount, the queued message, the root's stats, the pids, the scheduler.
 */
export const deepTeardownFragment: fc.Arbitrary<Fragment> = fc
  .record({
    deep: fc.constantFrom(2, 3), outside: fc.constantFrom<Outside>('region', 'device', 'endpoint', 'none'), queued: fc.integer({ min: 0, max: 2 }),
    handed: fc.constantFrom<Handed>('endpoint', 'container', 'process', 'none'), kept: fc.constantFrom('slot', 'table', 'message'),
    destroyer: fc.constantFrom(0, 0, 1, 1, 2),
  })
  .map(({ deep, outside, queued, handed, kept, destroyer }) => {
    // Free slots after the preamble: init's 7 on, process 1's 6 and 7, processes 2's and 3's 5 to 7.
    const down: Fragment = outside === 'none' ? [] : [
      outside === 'region' ? { kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst: 7 }
        : { kind: 'cap_copy', caller: 0, src: outside === 'device' ? 1 : 3, dst: 7, rights: ['write'] },
      { kind: 'ep_send', caller: 0, slot: 3, payload: 'down', xfer: 7 }, { kind: 'ep_recv', caller: 1, slot: 1, dst: 6 },
      { kind: 'ep_send', caller: 1, slot: 2, payload: 'down', xfer: 6 }, { kind: 'ep_recv', caller: deep, slot: 1, dst: 5 },
      ...(outside === 'region' ? [{ kind: 'mem_map', caller: deep, slot: 5, perms: ['read'] }] : []),
    ]
    const own = handed === 'endpoint' || queued > 0 ? [{ kind: 'ep_create', caller: deep, depth: 2, dst: 6 }] : []
    const queue = Array.from({ length: queued }, (_, index) => ({ kind: 'ep_send', caller: deep, slot: 6, payload: index, ...(index === 0 ? { xfer: outside === 'none' ? 0 : 5 } : {}) }))
    // Handed up: the sender and its slot (process 3's cap is process 2's, in slot 4).
    const [sender, from] = handed === 'process' ? [2, 4] : handed === 'endpoint' ? [deep, 6] : [deep, 0]
    const up: Fragment = handed === 'none' ? [] : [
      { kind: 'ep_send', caller: sender, slot: 1, payload: 'up', xfer: from }, { kind: 'ep_recv', caller: 1, slot: 2, dst: 7 },
      { kind: 'ep_send', caller: 1, slot: 1, payload: 'up', xfer: 7 },
      ...(kept === 'message' ? [] : [{ kind: 'ep_recv', caller: 0, slot: 3, dst: 8 }]),
      ...(kept === 'table' ? [{ kind: 'mount', caller: 0, path: '/deep', slot: 8, rights: ['read'] }, { kind: 'cap_delete', caller: 0, slot: 8 }] : []),
    ]
    // The destroyer's slot holding the container it destroys: init's 4 (the top one), process 1's 3 (the middle), process 2's 3 (the bottom).
    const destroy = { kind: 'container_destroy', caller: destroyer, slot: destroyer === 0 ? 4 : 3 }
    return [
      ...down, ...own, ...queue, ...up, destroy,
      { kind: 'cap_inspect', caller: 0, slot: 8 }, { kind: 'resolve', caller: 0, path: '/deep', dst: 9 }, { kind: 'ep_recv', caller: 0, slot: 3, dst: 9 },
      ...(destroyer === 0 ? [] : [{ kind: 'cap_inspect', caller: 1, slot: 7 }, { kind: 'container_stats', caller: destroyer, slot: 0 }]),
      { kind: 'container_stats', caller: 0, slot: 0 }, { kind: 'process_list', caller: 0 }, { kind: 'sched_run', quanta: 12 },
    ]
  })

/**
 * A process given a cap to itself, after the deep preamble: the process above
 * `inner` (1 to 3), which holds inner's process cap, hands it over through the
 * endpoint they share (a transfer, with all the cap's rights) or through a mount
 * table they share (a mount, with `read` and `control`, or `read` only: then the
 * kill below is refused). Inner inspects it, sometimes copies it, and then kills
 * itself (an exit) or is killed through the parent's cap; the one left holding a
 * cap to the zombie then finds it dead (NotRunning), the zombie's own syscalls are
 * refused (NotRunning), and the parent deletes its cap (the zombie is reaped when
 * the table's entry goes too). Init's channel to process 1 is either kind (both
 * share the root's mount table), process 1's to process 2 only an endpoint (the
 * middle container has tables of its own), process 2's to process 3 either.
 */
export const selfFragment: fc.Arbitrary<Fragment> = fc
  .record({ inner: fc.constantFrom(1, 2, 3), table: fc.boolean(), rights: fc.constantFrom<RightName[]>(['read', 'control'], ['read', 'control'], ['read']), copy: fc.boolean(), end: fc.constantFrom('exit', 'exit', 'killed', 'kept') })
  .map(({ inner, table, rights, copy, end }) => {
    const parent = inner - 1
    // The parent's slot holding inner's process cap and the endpoint it shares with inner; inner's slot for that endpoint.
    const held = inner === 1 ? 5 : 4
    const channel = inner === 1 ? 3 : inner === 2 ? 2 : 1
    const viaTable = table && inner !== 2
    const self = 7
    return [
      ...(viaTable
        ? [{ kind: 'mount', caller: parent, path: '/self', slot: held, rights }, { kind: 'resolve', caller: inner, path: '/self', dst: self }]
        : [{ kind: 'ep_send', caller: parent, slot: channel, payload: 'self', xfer: held }, { kind: 'ep_recv', caller: inner, slot: 1, dst: self }]),
      { kind: 'cap_inspect', caller: inner, slot: self },
      ...(copy ? [{ kind: 'cap_copy', caller: inner, src: self, dst: self - 1, rights: ['read'] }, { kind: 'cap_inspect', caller: inner, slot: self - 1 }] : []),
      ...(end === 'exit' ? [{ kind: 'process_kill', caller: inner, slot: self }] : end === 'killed' ? [{ kind: 'process_kill', caller: parent, slot: held }] : []),
      { kind: 'process_list', caller: parent },
      { kind: 'process_list', caller: inner },
      { kind: 'process_kill', caller: parent, slot: held },
      { kind: 'cap_delete', caller: parent, slot: held },
      ...(viaTable ? [{ kind: 'unmount', caller: parent, path: '/self' }] : []),
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
 * argument checks, a constant off by one) answers otherwise than the model. A
 * uid map's end is met at the root's range end, 2^32, the one sum of two
 * arguments that can pass a 32-bit word. The largest values stay cheap: a queue of 4,096 is a ring of 4,096 entries in the
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
  // A uid map's end (base + count) at the root's range end, 2^32 uids: a small base with a huge count and a huge base
  // with a small count (a kernel adding in 32 bits wraps past it), then a spawn with the first map's last uid.
  { min: 1, max: BOUNDS.uidMax + 1, steps: (end) => [
    { kind: 'container_create', caller: 0, parent: 0, dst: 3, limits: LIMIT_PRESETS[2], namespaces: { ...NAMESPACE_PRESETS[0], user: { base: 1, count: Math.max(0, end - 1) } } },
    { kind: 'container_create', caller: 0, parent: 0, dst: 4, limits: LIMIT_PRESETS[2], namespaces: { ...NAMESPACE_PRESETS[0], user: { base: Math.max(0, end - 1), count: 1 } } },
    { kind: 'process_spawn', caller: 0, container: 3, image: VALID_IMAGE, uid: Math.max(0, end - 2), slots: 1, grants: [], dst: 5 },
  ] },
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

type LastEnd = 'received' | 'occupied' | 'none' | 'own slot' | 'discarded'
/** How init makes an object of each kind at `dst` (charged to the root container; a process or container in it). */
const MADE_AT: Readonly<Record<Exclude<Recycled, 'device'>, (dst: number) => Record<string, unknown>>> = {
  region: (dst) => ({ kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst }),
  endpoint: (dst) => ({ kind: 'ep_create', caller: 0, depth: 1, dst }),
  process: (dst) => ({ kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 0, slots: 1, grants: [], dst }),
  container: (dst) => ({ kind: 'container_create', caller: 0, parent: 0, dst, limits: LIMIT_PRESETS[2], namespaces: NAMESPACE_PRESETS[0] }),
}

/**
 * The last cap to an object carried by a message: init makes an object (a region,
 * an endpoint, a running process, a container), sends its cap on an endpoint of its
 * own and deletes its own, so that the queued cap is the object's last; then the
 * message is received into a free slot (the object lives on), into an occupied
 * slot (the endpoint's own included) or with no destination (the cap dropped: the
 * object destroyed, its charges returned, the process killed, the container's
 * reservation back with the root), or the endpoint's cap is deleted (the message
 * discarded, with the same destruction). The root's stats then show the charges.
 */
export const lastCapFragment: fc.Arbitrary<Fragment> = fc
  .record({ at: fc.constantFrom(7, 8), made: fc.constantFrom<Exclude<Recycled, 'device'>>('region', 'endpoint', 'process', 'container'), end: fc.constantFrom<LastEnd>('received', 'occupied', 'none', 'own slot', 'discarded') })
  .map(({ at, made, end }) => {
    const [endpoint, object, free] = [at, at + 1, at + 2]
    const dst = end === 'received' ? { dst: free } : end === 'occupied' ? { dst: 0 } : end === 'own slot' ? { dst: endpoint } : {}
    return [
      MADE_AT[made](object),
      { kind: 'ep_create', caller: 0, depth: 1, dst: endpoint },
      { kind: 'ep_send', caller: 0, slot: endpoint, payload: 'last', xfer: object },
      { kind: 'cap_delete', caller: 0, slot: object },
      end === 'discarded' ? { kind: 'cap_delete', caller: 0, slot: endpoint } : { kind: 'ep_recv', caller: 0, slot: endpoint, ...dst },
      { kind: 'container_stats', caller: 0, slot: 0 },
    ]
  })

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

/**
 * Byte sizes at every boundary a kernel's representation of them has: a page and
 * one byte either side (4 KiB, 64 KiB), 2^24 ± 1 (past it a 32-bit float loses the
 * last byte), 2^31 and 2^32 ± 1 (a signed or unsigned 32-bit word; the root's
 * memory limit refuses them, and a kernel that wrapped the size would not). The
 * root's memory is what they are charged to (kernel.md §3: a region costs its
 * `sizeBytes`, exactly).
 */
const SIZE_BOUNDARIES = [
  4095, 4097, 65535, 65537, 2 ** 24 - 1, 2 ** 24 + 1, 2 ** 24 + 3, 2 ** 25 + 1, 2 ** 31 - 1, 2 ** 31 + 1, 2 ** 32 - 1, 2 ** 32 + 1,
] as const

/**
 * Sizes at their boundaries, through every way a size is used (kernel.md §3–§4): init
 * allocates a region of one size and one of another (small, odd, or a boundary too,
 * so that the usage is a sum no 32-bit float holds), reads the root's stats, maps
 * one, frees and allocates the first again a few times (what a destroy uncharges must
 * be what was charged, every cycle), and reserves a size as a child container's
 * memory limit, which goes back to the root when the child is destroyed.
 */
export const sizeFragment: fc.Arbitrary<Fragment> = fc
  .record({
    size: fc.constantFrom(...SIZE_BOUNDARIES), other: fc.oneof(fc.constantFrom(1, 3, 4097), fc.constantFrom(...SIZE_BOUNDARIES)),
    dst: fc.integer({ min: 3, max: 6 }), cycles: fc.integer({ min: 1, max: 3 }), reserve: fc.boolean(),
  })
  .map(({ size, other, dst, cycles, reserve }) => [
    { kind: 'mem_alloc', caller: 0, sizeBytes: size, executable: false, dst },
    { kind: 'mem_alloc', caller: 0, sizeBytes: other, executable: false, dst: dst + 1 },
    { kind: 'container_stats', caller: 0, slot: 0 },
    { kind: 'mem_map', caller: 0, slot: dst + 1, perms: ['read'] },
    ...Array.from({ length: cycles }, () => [
      { kind: 'cap_delete', caller: 0, slot: dst },
      { kind: 'container_stats', caller: 0, slot: 0 },
      { kind: 'mem_alloc', caller: 0, sizeBytes: size, executable: false, dst },
    ]).flat(),
    ...(reserve ? [
      { kind: 'container_create', caller: 0, parent: 0, dst: dst + 2, limits: { ...LIMIT_PRESETS[2]!, memoryBytes: other }, namespaces: NAMESPACE_PRESETS[0] },
      { kind: 'container_stats', caller: 0, slot: 0 },
      { kind: 'container_destroy', caller: 0, slot: dst + 2 },
    ] : []),
    { kind: 'cap_delete', caller: 0, slot: dst + 1 },
    { kind: 'container_stats', caller: 0, slot: 0 },
  ])

/** Init's slots in the long history: the container C, its endpoint, its region, and P (init's upper ones; it comes first). */
const LONG = { container: 12, endpoint: 13, region: 14, process: 15 } as const
/** How a long history ends: steps that each reach many of its objects or caps. */
type LongEnd = 'destroy' | 'revoke endpoint' | 'revoke device' | 'kill' | 'tick'

/**
 * A long history in one run (tooling.md §2: identities and tables past their first
 * sizes): init makes a container C, an endpoint and a region, and spawns into C a
 * process P of many slots holding C (all rights), the endpoint, the region and disk0.
 * When the history reaps, P itself is spawned on a reused identity (a region made
 * and deleted just before it). P then spawns `spawns` matchers into C, each granted six caps (the endpoint twice,
 * disk0 twice, the region, C) — seven caps, one object, one creation index and one
 * pid a step — and reaps one of them now and then, so that handles, rows and
 * creation indices are freed and taken again. Thirty-six spawns or more take the cap ids
 * past 255 and every table past several doublings (caps past 256, objects past 32,
 * creation indices past 32, pids of C's namespace past 31). P mounts the endpoint and
 * disk0 in the root's mount table, early or late (a table cap among the last or the
 * first a revoke reaches). Then two steps each reach much of it, in either order —
 * C destroyed, the endpoint or disk0 revoked from init's original (its mount goes),
 * P killed (its caps deleted, their children moved up), or a tick over every
 * container — at steps whose indices vary with `spawns` (the refinement suite undoes
 * every third step, sila explore's fast path, which restores only what that step
 * touched), and the survivors look.
 */
export const longHistoryFragment: fc.Arbitrary<Fragment> = fc
  .record({
    spawns: fc.integer({ min: 36, max: 40 }), reapEvery: fc.constantFrom(0, 0, 9, 12), pidNamespace: fc.constantFrom('new', 'share'),
    mounted: fc.constantFrom('early', 'late'), ends: fc.shuffledSubarray<LongEnd>(['destroy', 'revoke endpoint', 'revoke device', 'kill', 'tick'], { minLength: 2, maxLength: 2 }),
  })
  .map(({ spawns, reapEvery, pidNamespace, mounted, ends }) => {
    const limits: Limits = { memoryBytes: (spawns + 2) * IMAGE_BYTES, processes: spawns + 2, endpoints: 2, cpuBudget: 400, ioBytes: 0, cpuWeight: 2, devices: ['disk0'] }
    const matcherGrants = [
      { slot: 0, rights: ALL_RIGHTS }, { slot: 1, rights: ['read', 'write', 'grant'] }, { slot: 1, rights: ['read'] },
      { slot: 3, rights: ['write'] }, { slot: 3, rights: ['write'] }, { slot: 2, rights: ['read', 'write', 'control'] },
    ]
    const mounts: Fragment = [{ kind: 'mount', caller: 1, path: '/long', slot: 1, rights: ['write'] }, { kind: 'mount', caller: 1, path: '/disk', slot: 3, rights: ['write'] }]
    const history: Fragment = Array.from({ length: spawns }, (_, index) => [
      { kind: 'process_spawn', caller: 1, container: 0, image: MATCHER_IMAGE, uid: 0, slots: 6, grants: matcherGrants, dst: 4 + index },
      ...(reapEvery > 0 && index % reapEvery === reapEvery - 1 ? [{ kind: 'cap_delete', caller: 1, slot: 4 + index - 1 }] : []),
    ]).flat()
    const ending: Record<LongEnd, Record<string, unknown>> = {
      destroy: { kind: 'container_destroy', caller: 0, slot: LONG.container },
      'revoke endpoint': { kind: 'cap_revoke', caller: 0, slot: LONG.endpoint },
      'revoke device': { kind: 'cap_revoke', caller: 0, slot: 1 },
      kill: { kind: 'process_kill', caller: 0, slot: LONG.process },
      tick: { kind: 'tick' },
    }
    return [
      { kind: 'container_create', caller: 0, parent: 0, dst: LONG.container, limits, namespaces: { ...NAMESPACE_PRESETS[0]!, pid: pidNamespace } },
      { kind: 'ep_create', caller: 0, depth: 2, dst: LONG.endpoint },
      { kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst: LONG.region },
      // A history that reaps also starts P on a reused identity: a region made and deleted first leaves its handle to P (a later generation), which must still name P once the tables of identities and creation indices have grown past it.
      ...(reapEvery > 0 ? [{ kind: 'mem_alloc', caller: 0, sizeBytes: 1, executable: false, dst: LONG.container - 1 }, { kind: 'cap_delete', caller: 0, slot: LONG.container - 1 }] : []),
      {
        kind: 'process_spawn', caller: 0, container: LONG.container, image: VALID_IMAGE, uid: 0, slots: spawns + 4, dst: LONG.process,
        grants: [{ slot: LONG.container, rights: ALL_RIGHTS }, { slot: LONG.endpoint, rights: ['read', 'write', 'grant'] }, { slot: LONG.region, rights: ['read', 'write', 'control'] }, { slot: 1, rights: ['write'] }],
      },
      ...(mounted === 'early' ? mounts : []),
      ...history,
      ...(mounted === 'late' ? mounts : []),
      ...ends.map((end) => ending[end]),
      { kind: 'resolve', caller: 0, path: '/long', dst: 3 },
      { kind: 'resolve', caller: 0, path: '/disk', dst: 4 },
      { kind: 'container_stats', caller: 0, slot: 0 },
      { kind: 'process_list', caller: 0 },
    ]
  })

/**
 * A chain of containers, each the only child of the one before and reserving all of
 * it (the same limits): init makes `depth` of them in its upper slots (whatever
 * held those slots is deleted first), so that more containers live at once than a
 * kernel's first table of container rows holds, every one with a reservation
 * (kernel.md §3). Then the stats of the root and of the chain's top (what they have
 * reserved must have survived the table's growth), the top's limits lowered below
 * what its child reserved (refused) and set to its own, and the chain destroyed.
 */
export const chainFragment: fc.Arbitrary<Fragment> = fc
  .record({ depth: fc.integer({ min: 7, max: 8 }), lowered: fc.constantFrom<ReservedResource>(...RESERVED_RESOURCES) })
  .map(({ depth, lowered }) => {
    const top = 16 - depth
    const chained = LIMIT_PRESETS[2]!
    return [
      ...Array.from({ length: depth }, (_, index) => [
        { kind: 'cap_delete', caller: 0, slot: top + index },
        { kind: 'container_create', caller: 0, parent: index === 0 ? 0 : top + index - 1, dst: top + index, limits: chained, namespaces: NAMESPACE_PRESETS[0] },
      ]).flat(),
      { kind: 'container_stats', caller: 0, slot: 0 },
      { kind: 'container_stats', caller: 0, slot: top },
      { kind: 'container_set_limits', caller: 0, slot: top, limits: { ...chained, [lowered]: chained[lowered] - 1 } },
      { kind: 'container_set_limits', caller: 0, slot: top, limits: chained },
      { kind: 'container_destroy', caller: 0, slot: top },
      { kind: 'container_stats', caller: 0, slot: 0 },
    ]
  })

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

/**
 * Pids across the deep preamble's nested pid namespaces (the root's; the top
 * container's, where process 1 runs; the middle one's, shared by the bottom one,
 * where processes 2 and 3 run): a spawner spawns into its own container (slot 0;
 * init's is the root) or into one outside its pid namespace — the root container,
 * whose cap init sends down the endpoints (to process 1 over its own, on to 2 or 3
 * over the middle one) — and is answered the pid in its own namespace, or none when
 * the child is not in it (kernel.md §4: a pid in every namespace from the child's
 * up to the root, and none below). Then the process lists of some of the four, the
 * child killed and reaped (its cap deleted), another spawned in its place
 * (numbering goes on after a reap), and the lists again.
 */
export const pidFragment: fc.Arbitrary<Fragment> = fc
  .record({ spawner: fc.constantFrom(0, 1, 2, 3), outer: fc.boolean(), listers: fc.subarray([0, 1, 2, 3], { minLength: 1 }), reap: fc.boolean() })
  .map(({ spawner, outer, listers, reap }) => {
    const into = spawner === 0 || !outer ? 0 : 7
    // The child's cap: in a slot the preamble leaves free (init's 6 holds the region it received).
    const dst = spawner === 0 ? 8 : 6
    const spawn = { kind: 'process_spawn', caller: spawner, container: into, image: VALID_IMAGE, uid: 0, slots: 1, grants: [], dst }
    const lists = [spawner, ...listers.filter((lister) => lister !== spawner)].map((caller) => ({ kind: 'process_list', caller }))
    return [
      // The root container's cap (control only) sent down: to process 1 over init's endpoint, on over the middle one.
      ...(into === 0 ? [] : [
        { kind: 'cap_copy', caller: 0, src: 0, dst: 7, rights: ['control'] }, { kind: 'ep_send', caller: 0, slot: 3, payload: 'root', xfer: 7 }, { kind: 'cap_delete', caller: 0, slot: 7 },
        { kind: 'ep_recv', caller: 1, slot: 1, dst: 7 },
        ...(spawner === 1 ? [] : [{ kind: 'ep_send', caller: 1, slot: 2, payload: 'root', xfer: 7 }, { kind: 'ep_recv', caller: spawner, slot: 1, dst: 7 }]),
      ]),
      spawn, ...lists,
      ...(reap ? [{ kind: 'process_kill', caller: spawner, slot: dst }, { kind: 'cap_delete', caller: spawner, slot: dst }, spawn, ...lists] : []),
    ]
  })

/**
 * A pid namespace whose numbering passes one digit: init spawns a keeper into the
 * root container or into a new container with a pid namespace of its own, then
 * spawns and reaps (the child's only cap deleted) eight to ten more in one slot,
 * and spawns a last one it keeps: the list then holds a pid below 10 and one
 * above (kernel.md §4: pids are numbers, listed in order, never handed back).
 */
export const pidChurnFragment: fc.Arbitrary<Fragment> = fc
  .record({ home: fc.constantFrom('root', 'new'), churn: fc.integer({ min: 8, max: 10 }) })
  .map(({ home, churn }) => {
    const container = home === 'root' ? 0 : 13
    const spawn = (dst: number) => ({ kind: 'process_spawn', caller: 0, container, image: VALID_IMAGE, uid: 0, slots: 1, grants: [], dst })
    return [
      ...(home === 'root' ? [] : [{
        kind: 'container_create', caller: 0, parent: 0, dst: container, namespaces: { ...NAMESPACE_PRESETS[0]!, pid: 'new' },
        limits: { ...LIMIT_PRESETS[2]!, processes: 3, memoryBytes: 3 * IMAGE_BYTES },
      }]),
      spawn(14),
      ...Array.from({ length: churn }, () => [spawn(15), { kind: 'cap_delete', caller: 0, slot: 15 }]).flat(),
      spawn(15),
      { kind: 'process_list', caller: 0 },
    ]
  })

/**
 * A device cap held where its device is not allowed (kernel.md §7: `io_submit`
 * needs `write` on the cap, then the device in the caller's container's set):
 * after the deep preamble, init sends a copy of a device's cap, with `write` or
 * with no rights, down the endpoints — to process 1 (both devices allowed), on to
 * process 2 (disk0 only) or 3 (none) — and each holder writes through it, then
 * through a copy without rights. A cap without `write` to a device outside the
 * set is refused for its rights, whatever the set says.
 */
export const foreignDeviceFragment: fc.Arbitrary<Fragment> = fc
  .record({ device: fc.constantFrom(1, 2), rights: fc.constantFrom<RightName[]>(['write'], [], ['write']), holder: fc.constantFrom(2, 3), bytes: fc.constantFrom(1, 16) })
  .map(({ device, rights, holder, bytes }) => [
    { kind: 'cap_copy', caller: 0, src: device, dst: 7, rights },
    { kind: 'ep_send', caller: 0, slot: 3, payload: 'device', xfer: 7 },
    { kind: 'ep_recv', caller: 1, slot: 1, dst: 6 },
    { kind: 'io_submit', caller: 1, slot: 6, bytes },
    { kind: 'ep_send', caller: 1, slot: 2, payload: 'device', xfer: 6 },
    { kind: 'ep_recv', caller: holder, slot: 1, dst: 6 },
    { kind: 'io_submit', caller: holder, slot: 6, bytes },
    { kind: 'cap_copy', caller: holder, src: 6, dst: 7, rights: [] },
    { kind: 'io_submit', caller: holder, slot: 7, bytes },
  ])

/**
 * Property names every plain object has: a kernel that looks a name up with `in`
 * or `[]` on an object (a kind, a right's name, a table key) finds them where
 * nothing was put.
 */
export const INHERITED_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'] as const

type Call = Record<string, unknown>
/** The optional fields of each syscall kind (spec/syscalls.ts). */
const OPTIONAL_FIELDS: Readonly<Record<string, ReadonlyArray<string>>> = Object.fromEntries(
  Object.entries(SYSCALL_CODECS).map(([kind, codec]) => [kind, fieldsOf(codec)?.optional ?? []]),
)
/** How a call is written otherwise, still well formed (spec/syscalls.ts decodes it as the plain call): see {@link wellFormedVariant}. */
export type WellFormedWay = 'negative zero' | 'repeated' | 'inherited key'
/** How a call is written one step from well formed (kernel.md §8: InvalidArgument): see {@link nearlyWellFormed}. */
export type MalformedWay = 'number as string' | 'inherited right' | 'inherited kind' | 'flag as number' | 'field missing' | 'extra field'
const WELL_FORMED_WAYS: ReadonlyArray<WellFormedWay> = ['negative zero', 'repeated', 'inherited key']
const MALFORMED_WAYS: ReadonlyArray<MalformedWay> = ['number as string', 'inherited right', 'inherited kind', 'flag as number', 'field missing', 'extra field']

/** `value` with every 0 in it (its fields', its items', a few levels down; the kind aside) written -0. */
function negativeZeros(value: unknown, depth = 0): unknown {
  if (Object.is(value, 0)) return -0
  if (depth > 3 || typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map((item) => negativeZeros(item, depth + 1))
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, key === 'kind' ? item : negativeZeros(item, depth + 1)]))
}

/** A list of names in another order with its first named twice (a set: the same set). */
const repeated = (names: unknown): unknown => (Array.isArray(names) && names.length > 0 ? [...names].reverse().concat(names.slice(0, 1)) : names)

/** `call` with `change` applied to its rights lists: `rights`, `perms`, each grant's. */
function mapRights(call: Call, change: (names: unknown) => unknown): Call {
  const out: Call = { ...call }
  for (const field of ['rights', 'perms']) if (field in out) out[field] = change(out[field])
  if (Array.isArray(out['grants'])) out['grants'] = (out['grants'] as Call[]).map((grant) => ({ ...grant, rights: change(grant['rights']) }))
  return out
}

/**
 * A well-formed call written otherwise, which every kernel must answer as the
 * plain call (spec/syscalls.ts: slots and counts are safe non-negative integers,
 * rights and devices are sets): every 0 written -0; every rights list and
 * devices list reordered with an item named twice.
 * `inherited key` is another call, as well formed: its table key (a path or a
 * service name) becomes a name every plain object has (`/constructor`,
 * `__proto__`), the same one for every call of a fragment, so binds and lookups
 * still meet.
 */
export function wellFormedVariant(call: Call, way: WellFormedWay, pick: number): Call {
  if (way === 'negative zero') return negativeZeros(call) as Call
  if (way === 'repeated') {
    const out = mapRights(call, repeated)
    const limits = out['limits'] as Call | undefined
    return limits === undefined ? out : { ...out, limits: { ...limits, devices: repeated(limits['devices']) } }
  }
  const name = INHERITED_NAMES[pick % INHERITED_NAMES.length]!
  return { ...call, ...('name' in call ? { name } : {}), ...('path' in call ? { path: `/${name}` } : {}) }
}

/** A field name one letter-swap from `name` (`badge` → `bagde`, `dst` → `dts`), never `name` itself. */
function misspelt(name: string): string {
  const at = Math.min(2, name.length - 2)
  const swapped = at < 0 ? name : name.slice(0, at) + name[at + 1] + name[at] + name.slice(at + 2)
  return swapped === name ? `${name}s` : swapped
}

/** The field names of a record codec (spec/exact.ts `fieldsOf`), the required first, then the optional. */
function codecFields(codec: t.Mixed): string[] {
  const fields = fieldsOf(codec)
  return fields === null ? [] : [...fields.required, ...fields.optional]
}

/** Every field name of every syscall kind (`caller` included, `kind` aside) and of every record inside one (spec/syscalls.ts, spec/limits.ts). */
const EVERY_FIELD: ReadonlyArray<string> = [...new Set([...Object.values(SYSCALL_CODECS), LimitsCodec, NamespaceConfigCodec, UidMapCodec, GrantCodec].flatMap(codecFields))]
  .filter((field) => field !== 'kind')
/** The family of a syscall kind: its prefix (`cap`, `container`, `ep`, …), the clock's two kinds one family. */
const familyOf = (kind: string): string => (kind === 'tick' || kind === 'sched_run' ? 'clock' : kind.split('_')[0]!)
/** The fields the kinds of a family have and the records inside a call have, each list for one family or for the nested records. */
const FAMILY_FIELDS: ReadonlyMap<string, ReadonlyArray<string>> = (() => {
  const families = new Map<string, Set<string>>()
  for (const [kind, codec] of Object.entries(SYSCALL_CODECS)) {
    const fields = families.get(familyOf(kind)) ?? new Set<string>()
    for (const field of codecFields(codec)) if (field !== 'kind') fields.add(field)
    families.set(familyOf(kind), fields)
  }
  families.set('record', new Set(['caller', ...[LimitsCodec, NamespaceConfigCodec, UidMapCodec, GrantCodec].flatMap(codecFields)]))
  return new Map([...families].map(([family, fields]) => [family, [...fields]]))
})()
/** A value of the right shape for a field of another kind or record (a number otherwise), so that only the field's place is wrong. */
const FIELD_VALUES: Readonly<Record<string, unknown>> = {
  rights: ['read'], perms: ['read'], devices: [], grants: [], executable: false, image: VALID_IMAGE, path: '/data', name: 'echo', payload: 'ping',
  pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share',
}

/**
 * `call` with one field added that its record does not have (kernel.md §8: a
 * malformed argument, InvalidArgument). `pick` chooses the record (the call
 * itself, its limits, its namespaces, their uid map, one of its grants) and the
 * name: one of the record's fields (or the kind's optional ones) misspelt, holding
 * that field's value or a small number (`cap_copy` with `bagde: 3`: not an
 * unbadged copy); a plain word; a name every object inherits (`constructor`,
 * `__proto__`, as the record's own key, as JSON.parse makes it); in a nested
 * record, a field of the call (`caller`); or a field another kind or record has
 * and this one does not (`badge` on `cap_move`, `quanta` on `tick`, `caller` on a
 * clock call, `slot` on `process_list`, `devices` in a uid map), with a value of
 * that field's shape, three times in four one of its own family's (the kinds of
 * one prefix, the clock's two, the records inside a call). The field may hold
 * `undefined`: a field named is a field had.
 */
export function withStrayField(call: Call, pick: number): Call {
  const kindFields = codecFields(SYSCALL_CODECS[String(call['kind']) as keyof typeof SYSCALL_CODECS])
  const places: Array<{ record: Call; put: (record: Call) => Call; allowed: ReadonlyArray<string> }> = [{ record: call, put: (record) => record, allowed: kindFields }]
  for (const [field, codec] of [['limits', LimitsCodec], ['namespaces', NamespaceConfigCodec]] as const) {
    const inner = call[field]
    if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) places.push({ record: inner as Call, put: (record) => ({ ...call, [field]: record }), allowed: codecFields(codec) })
  }
  const namespaces = call['namespaces'] as Call | undefined
  const user = namespaces?.['user']
  if (typeof user === 'object' && user !== null) places.push({ record: user as Call, put: (record) => ({ ...call, namespaces: { ...namespaces, user: record } }), allowed: codecFields(UidMapCodec) })
  const grants = call['grants']
  if (Array.isArray(grants)) grants.forEach((grant, index) => places.push({ record: grant as Call, put: (record) => ({ ...call, grants: grants.map((other, at) => (at === index ? record : other)) }), allowed: codecFields(GrantCodec) }))
  const { record, put, allowed } = places[pick % places.length]!
  const choice = Math.floor(pick / places.length)
  const own = Object.keys(record).filter((key) => key !== 'kind' && key !== 'caller')
  const fields = record === call ? [...own, ...(OPTIONAL_FIELDS[String(call['kind'])] ?? [])] : own
  // Another kind's or record's field: three times in four one of its own family's (`badge` of `cap_copy` on `cap_move`,
  // `quanta` of `sched_run` on `tick`, a uid map's `count` in a grant), the likeliest to be taken for its own.
  const family = FAMILY_FIELDS.get(record === call ? familyOf(String(call['kind'])) : 'record') ?? []
  const near = family.filter((field) => !allowed.includes(field))
  const foreign = Math.floor(choice / 2) % 4 !== 0 && near.length > 0 ? near : EVERY_FIELD.filter((field) => !allowed.includes(field))
  const names = [
    ...fields.map((field) => ({ name: misspelt(field), value: record[field] ?? 1 + (choice % 7) })),
    { name: 'note', value: 'ignored' }, { name: INHERITED_NAMES[choice % INHERITED_NAMES.length]!, value: 1 },
    ...(record === call ? [] : [{ name: 'caller', value: call['caller'] }]),
  ]
  // A field of another kind or record half the time, one of the others the other half: which one, by the rest of `pick`.
  const other = foreign[Math.floor(choice / 8) % foreign.length]
  const { name, value } = choice % 2 === 1 && other !== undefined
    ? { name: other, value: other in FIELD_VALUES ? FIELD_VALUES[other] : 1 + (choice % 7) }
    : names[Math.floor(choice / 2) % names.length]!
  const stray: Call = { ...record }
  Object.defineProperty(stray, name, { value: choice % 5 === 4 ? undefined : value, enumerable: true, writable: true, configurable: true })
  return put(stray)
}

/**
 * A call one step from well formed, which every kernel must refuse with
 * InvalidArgument (kernel.md §8), however a loose decoder would read it: one of
 * its numbers (`pick` chooses which; the caller's when it has no other) written
 * as a string of its digits ("512"), a name every object inherits added to its
 * rights lists, its kind replaced by such a name, its flag (`executable`) written
 * as 0 or 1 (a call without one gets `true` for one of its numbers), one
 * of its required fields left out (an optional one, `badge`, `xfer` or `dst` of a
 * receive, is never chosen: without it the call is another well-formed one), or
 * a field its kind does not have added to it or to one record in it
 * ({@link withStrayField}).
 */
export function nearlyWellFormed(call: Call, way: MalformedWay, pick: number): Call {
  if (way === 'extra field') return withStrayField(call, pick)
  const numbers = Object.keys(call).filter((key) => typeof call[key] === 'number' && key !== 'caller')
  if (way === 'number as string') {
    const key = numbers.length === 0 ? 'caller' : numbers[pick % numbers.length]!
    return { ...call, [key]: String(call[key]) }
  }
  if (way === 'inherited right' && ['rights', 'perms', 'grants'].some((field) => field in call)) {
    const name = INHERITED_NAMES[pick % INHERITED_NAMES.length]!
    return mapRights(call, (names) => (Array.isArray(names) ? [...names, name] : names))
  }
  if (way === 'flag as number' && typeof call['executable'] === 'boolean') return { ...call, executable: call['executable'] ? 1 : 0 }
  if (way === 'flag as number' && numbers.length > 0) return { ...call, [numbers[pick % numbers.length]!]: true }
  const required = Object.keys(call).filter((key) => key !== 'kind' && key !== 'caller' && !OPTIONAL_FIELDS[String(call['kind'])]?.includes(key))
  if (way === 'field missing' && required.length > 0) {
    const { [required[pick % required.length]!]: _left, ...rest } = call
    return rest
  }
  return { ...call, kind: INHERITED_NAMES[pick % INHERITED_NAMES.length] }
}

/**
 * Calls written otherwise: a fragment that succeeds step by step (a mapping, a
 * server, badges, a nested container) or a single call (a process's or the
 * clock's), every call of it
 * rewritten one well-formed way (the answers must be the plain calls'), or one of
 * its calls rewritten one step from well formed (refused, whatever a later
 * check would say, and nothing else changes).
 */
export const variantFragment: fc.Arbitrary<Fragment> = fc
  .record({
    calls: fc.oneof(singleSyscall.map((s): Fragment => [s]), namespaceSyscall.map((s): Fragment => [s]), mapFragment, serveFragment, badgeFragment, nestFragment, clockSyscall.map((s): Fragment => [s])),
    malformed: fc.boolean(), well: fc.constantFrom(...WELL_FORMED_WAYS), ill: fc.constantFrom(...MALFORMED_WAYS), pick: fc.nat(),
  })
  .map(({ calls, malformed, well, ill, pick }) => calls.map((call, index) => {
    if (!malformed) return wellFormedVariant(call, well, pick)
    return index === pick % calls.length ? nearlyWellFormed(call, ill, Math.floor(pick / calls.length)) : call
  }))

/**
 * A field its record does not have, in every record a call can hold, on every
 * kind: one to four calls — one with records inside it (`container_create`: limits,
 * namespaces, their uid map; `container_set_limits`: limits; `process_spawn` with
 * one to four grants), one of any process kind (each kind alike), or one of the
 * clock's — each given one stray field at a place drawn among all of its records
 * alike ({@link withStrayField}: a grant past the first as often as the first, a
 * uid map as often as the call), each sometimes followed by the same call without
 * it. The stray call is InvalidArgument and changes nothing else; the plain one
 * then does what it does. (With the calls written otherwise of
 * {@link variantFragment} alone, a stray field reached a nested record or a rare
 * kind in few runs, and a clock call in none: a kernel that checked the call's
 * keys but not its limits', a uid map's or a second grant's, a `tick` taking
 * `sched_run`'s `quanta`, a `cap_move` taking `cap_copy`'s `badge`, each passed
 * the default check.)
 */
export const strayFieldFragment: fc.Arbitrary<Fragment> = fc
  .array(fc.record({
    call: fc.oneof(
      { weight: 2, arbitrary: record('container_create', { parent: slot, dst: slot, limits, namespaces }) },
      { weight: 1, arbitrary: record('container_set_limits', { slot, limits }) },
      { weight: 2, arbitrary: record('process_spawn', { container: slot, image, uid: fc.constantFrom(0, 1), slots: fc.constant(PROCESS_SLOTS), grants: fc.array(fc.record({ slot, rights }), { minLength: 1, maxLength: 4 }), dst: slot }) },
      { weight: 6, arbitrary: singleSyscall },
      { weight: 3, arbitrary: namespaceSyscall },
      { weight: 2, arbitrary: clockSyscall },
    ),
    pick: fc.nat(), plain: fc.boolean(),
  }), { minLength: 1, maxLength: 4 })
  .map((strays) => strays.flatMap(({ call, pick, plain }) => [withStrayField(call, pick), ...(plain ? [call] : [])]))

/** Sequences of fragments with the given mix, at most `maxSteps` syscalls. */
export function syscallSequence(weights: MixWeights, maxFragments: number): fc.Arbitrary<Fragment[]> {
  const fragment = fc.oneof(
    // Single calls, and sometimes calls of any kind each with a stray field in one of its records.
    { weight: weights.single, arbitrary: fc.oneof({ weight: 15, arbitrary: singleSyscall.map((s): Fragment => [s]) }, { weight: 1, arbitrary: strayFieldFragment }) },
    // Containers nested, and sometimes a chain of them past the first size of a table of containers.
    { weight: weights.nest, arbitrary: fc.oneof({ weight: 4, arbitrary: nestFragment }, { weight: 1, arbitrary: chainFragment }) },
    { weight: weights.hop, arbitrary: hopFragment },
    { weight: weights.fill, arbitrary: fillFragment },
    // Tables used, and sometimes a badge carried through them.
    { weight: weights.namespace, arbitrary: fc.oneof({ weight: 2, arbitrary: namespaceSyscall.map((s): Fragment => [s]) }, { weight: 2, arbitrary: serveFragment }, { weight: 1, arbitrary: badgeRouteFragment }) },
    { weight: Math.ceil(weights.single / 8), arbitrary: mapFragment },
    // Quotas spent, and sometimes sizes at their boundaries instead.
    { weight: weights.quota, arbitrary: fc.oneof({ weight: 3, arbitrary: quotaFragment }, { weight: 1, arbitrary: sizeFragment }) },
    { weight: weights.clock, arbitrary: clockSyscall.map((s) => [s]) },
    { weight: Math.ceil(weights.quota / 4), arbitrary: busyFragment },
    // Badges, and sometimes a badge carried through every place a cap lives.
    { weight: Math.ceil(weights.hop / 3), arbitrary: fc.oneof({ weight: 1, arbitrary: badgeFragment }, { weight: 1, arbitrary: badgeRouteFragment }) },
    // Revokes, as often a derivation tree of any shape spliced and revoked, and as often mappings that a move, a
    // delete or a revoke reaches (several in one process's list, or made through caps other processes hold).
    { weight: Math.ceil(weights.hop / 3), arbitrary: fc.oneof({ weight: 1, arbitrary: revokeFragment }, { weight: 1, arbitrary: cdtTreeFragment }, { weight: 1, arbitrary: mappingsFragment }) },
    { weight: Math.ceil(weights.hop / 4), arbitrary: retireFragment },
    // Containers torn down, and sometimes siblings torn down in any order.
    { weight: Math.ceil(weights.nest / 3), arbitrary: fc.oneof({ weight: 2, arbitrary: churnFragment }, { weight: 1, arbitrary: siblingsFragment }) },
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
    { weight: Math.ceil(weights.hop / 4), arbitrary: weakCapFragment },
    { weight: Math.ceil(weights.hop / 4), arbitrary: lastCapFragment },
    { weight: Math.ceil(weights.quota / 4), arbitrary: reserveFragment(null) },
    { weight: Math.ceil(weights.nest / 5), arbitrary: selfFragment },
    // Calls written otherwise, and sometimes a stray field in any record of a call.
    { weight: Math.max(2, Math.ceil(weights.single / 8)), arbitrary: fc.oneof({ weight: 2, arbitrary: variantFragment }, { weight: 1, arbitrary: strayFieldFragment }) },
    { weight: Math.ceil(weights.nest / 5), arbitrary: pidFragment },
    { weight: Math.ceil(weights.nest / 5), arbitrary: foreignDeviceFragment },
    { weight: Math.ceil(weights.nest / 5), arbitrary: pidChurnFragment },
    { weight: Math.ceil(weights.clock / 3), arbitrary: strideFragment },
    { weight: Math.ceil(weights.nest / 3), arbitrary: deepTeardownFragment },
  )
  // The start: nothing, the deep preamble, an edge fragment (its process is then the
  // first spawned, index 1), or both (index 4, after the preamble's three), or nested user maps (index 1),
  // or a reservation fragment (its process likewise at index 1), or a long history (likewise).
  const start = fc.oneof(
    // Sometimes, in place of the empty start, a long history, which takes most of a run's steps (its process P likewise at index 1).
    { weight: 2, arbitrary: fc.oneof({ weight: 2, arbitrary: fc.constant<Fragment[]>([]) }, { weight: 1, arbitrary: longHistoryFragment.map((history) => [history]) }) },
    // Nested user maps first (a third of the plain starts), where a short run (the pipeline suite's, after its pool spawns) still meets them.
    { weight: 1, arbitrary: nestedMap(1).map((nested) => [nested]) },
    { weight: 3, arbitrary: fc.constant<Fragment[]>([DEEP_PREAMBLE]) },
    { weight: 2, arbitrary: edgeFragment(1).map((edge) => [edge]) },
    { weight: 2, arbitrary: edgeFragment(4).map((edge) => [DEEP_PREAMBLE, edge]) },
    // Reservations met by spending, by a process whose index is known there too (first: a short run, the pipeline suite's, meets it).
    { weight: 2, arbitrary: reserveFragment(1).map((reserve) => [reserve]) },
  )
  return fc.tuple(start, fc.array(fragment, { minLength: Math.max(1, Math.floor(maxFragments / 2)), maxLength: maxFragments }))
    .map(([prefix, fragments]) => [...prefix, ...fragments])
}

/** Flattens fragments into the syscalls to run, cut at `maxSteps`. */
export function flatten(fragments: ReadonlyArray<Fragment>, maxSteps: number): Record<string, unknown>[] {
  return fragments.flat().slice(0, maxSteps)
}
