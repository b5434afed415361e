/**
 * Edge fragments: the generators' reach to every bound and every check order.
 *
 * A random fragment rarely meets a quota exactly, or fails two checks at once. An
 * edge fragment builds a state it knows — init creates a container C with limits
 * drawn at random, and spawns a process P into it holding control over C (slot 0)
 * and a device (slot 1) — and then, knowing C's usage and P's creation index,
 * either
 * - **probes a bound**: a value exactly at it, one past it, or one short, for every
 *   bounded check of kernel.md §3–§7 (each reserved resource as a quota, as a
 *   reservation under C, as a new limit over usage and over what C can give; uid
 *   maps against the parent's range; spawn uids against the map; grants against
 *   slots; the CPU budget on a syscall of any kind); or
 * - **faults a valid call**: for every handler, a call built to succeed, made by P
 *   (or by a sibling of P in C: one holding the root container's cap, one that is
 *   not uid 0), tried with single faults and with pairs of faults whose order §4
 *   and §8 fix (a kernel that checks in another order answers another error), then
 *   either made valid or tried again once C's CPU budget is spent (the budget
 *   check comes first). Each faulted call is remembered with the checks it breaks:
 *   coverage counts the pairs met.
 * P's index is known when the fragment comes first in a sequence (1), or right
 * after the deep preamble (4): sequences put it there.
 * @module
 */
import fc from 'fast-check'
import { RESERVED_RESOURCES, type Limits, type NamespaceConfig, type ReservedResource } from '../spec/limits.js'
import { RIGHT_NAMES, type RightName } from '../spec/rights.js'
import { BOUNDS } from '../spec/numbers.js'
import { IMAGE_POOL, POOL_INDEX, VALID_IMAGE } from './pool.js'
import type { Fragment } from './generators.js'
import { CHECK_PAIRS, pairKey } from '../model/check-catalogue.js'

/** Init's slots the fragment uses (above those of the deep preamble and the other fragments). */
const C = 10
const P_CAP = 11
const SPARE = [12, 13, 14, 15] as const
const IMAGE_BYTES = IMAGE_POOL[0]!.manifest.memoryBytes
const ALL: RightName[] = [...RIGHT_NAMES]
const ROOT_UID_COUNT = BOUNDS.uidMax + 1
const P_SLOTS = 8
/** Init's CSpace (PROPERTY_BOOT): slot 16 is one past it. */
const INIT_SLOTS = 16
/** Devices at boot: slot 1 of init holds disk0, slot 2 net0. */
const DEVICES = ['disk0', 'net0'] as const

type Call = Record<string, unknown>

/** What the fragment knows after its setup. */
interface Known {
  readonly p: number
  readonly limits: Limits
  readonly userCount: number
  readonly device: 0 | 1
  /** Picks among equivalent faults (which refused image, say). */
  readonly pick: number
  /** Whether P (uid 0 in C) may change the tables C uses. */
  readonly admin: boolean
}

const SHARE: NamespaceConfig = { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' }
const minimal = (devices: string[] = []): Limits => ({ memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0, cpuWeight: 1, devices })

const limitsArb: fc.Arbitrary<Limits> = fc.record({
  processes: fc.integer({ min: 1, max: 3 }), extraBytes: fc.integer({ min: 2, max: 3000 }), endpoints: fc.integer({ min: 2, max: 3 }),
  cpuBudget: fc.integer({ min: 6, max: 12 }), ioBytes: fc.integer({ min: 2, max: 300 }), cpuWeight: fc.integer({ min: 1, max: 5 }),
  devices: fc.subarray([...DEVICES]),
}).map(({ processes, extraBytes, ...rest }) => ({ ...rest, processes, memoryBytes: IMAGE_BYTES * processes + extraBytes }))

// C mostly with a user namespace of its own: uids then run out, and P may or may not change its tables.
const namespacesArb: fc.Arbitrary<NamespaceConfig> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(SHARE) },
  { weight: 2, arbitrary: fc.record({ base: fc.integer({ min: 0, max: 5000 }), count: fc.integer({ min: 1, max: 64 }), pid: fc.constantFrom('new', 'share'), tables: fc.constantFrom('new', 'share') })
    .map(({ base, count, pid, tables }) => ({ pid, mount: tables, net: tables, ipc: tables, user: { base, count } }) as NamespaceConfig) },
)

const delta = fc.constantFrom(-1, 0, 0, 1, 1)

function setup(k: Known, namespaces: NamespaceConfig): Fragment {
  return [
    { kind: 'container_create', caller: 0, parent: 0, dst: C, limits: k.limits, namespaces },
    {
      kind: 'process_spawn', caller: 0, container: C, image: VALID_IMAGE, uid: 0, slots: P_SLOTS, dst: P_CAP,
      grants: [{ slot: C, rights: ALL }, { slot: 1 + k.device, rights: ['write'] }],
    },
  ]
}

/** C's usage right after the setup: P's image and P itself. */
function usageAfterSetup(resource: ReservedResource): number {
  return resource === 'memoryBytes' ? IMAGE_BYTES : resource === 'processes' ? 1 : 0
}

const syscallOfAnyKind = (caller: number): fc.Arbitrary<Call> => fc.constantFrom<Call>(
  { kind: 'cap_inspect', caller, slot: 0 }, { kind: 'cap_copy', caller, src: 0, dst: 6, rights: ['read'] }, { kind: 'cap_move', caller, src: 7, dst: 6 },
  { kind: 'cap_delete', caller, slot: 7 }, { kind: 'cap_revoke', caller, slot: 0 }, { kind: 'container_stats', caller, slot: 0 },
  { kind: 'container_create', caller, parent: 0, dst: 6, limits: minimal(), namespaces: SHARE }, { kind: 'container_set_limits', caller, slot: 7, limits: minimal() },
  { kind: 'container_destroy', caller, slot: 7 }, { kind: 'process_spawn', caller, container: 7, image: VALID_IMAGE, uid: 0, slots: 1, grants: [], dst: 6 },
  { kind: 'process_kill', caller, slot: 7 }, { kind: 'process_list', caller }, { kind: 'mem_alloc', caller, sizeBytes: 1, executable: false, dst: 6 },
  { kind: 'mem_map', caller, slot: 7, perms: ['read'] }, { kind: 'mem_unmap', caller, slot: 7 }, { kind: 'ep_create', caller, depth: 1, dst: 6 },
  { kind: 'ep_send', caller, slot: 7, payload: 1 }, { kind: 'ep_recv', caller, slot: 7 }, { kind: 'mount', caller, path: '/edge', slot: 0, rights: ['read'] },
  { kind: 'unmount', caller, path: '/edge' }, { kind: 'resolve', caller, path: '/edge', dst: 6 }, { kind: 'net_bind', caller, port: 9, slot: 7 },
  { kind: 'net_unbind', caller, port: 9 }, { kind: 'net_connect', caller, port: 9, dst: 6 }, { kind: 'svc_register', caller, name: 'edge', slot: 7 },
  { kind: 'svc_unregister', caller, name: 'edge' }, { kind: 'svc_lookup', caller, name: 'edge', dst: 6 }, { kind: 'io_submit', caller, slot: 1, bytes: 1 },
)

/** Bound probes: each returns the calls after the setup. */
function probes(k: Known): fc.Arbitrary<Fragment> {
  const { p, limits } = k
  const available = (r: ReservedResource) => limits[r] - usageAfterSetup(r)
  return fc.oneof(
    // A quota of C met by P's own allocation, endpoint or I/O, or by init's spawns.
    delta.map((d): Fragment => [{ kind: 'mem_alloc', caller: p, sizeBytes: Math.max(1, available('memoryBytes') + d), executable: false, dst: 2 }]),
    fc.constant<Fragment>(Array.from({ length: limits.endpoints + 1 }, (_, i) => ({ kind: 'ep_create', caller: p, depth: 1, dst: 2 + i }))),
    fc.constant<Fragment>(Array.from({ length: limits.processes }, (_, i) => ({ kind: 'process_spawn', caller: 0, container: C, image: VALID_IMAGE, uid: 0, slots: 1, grants: [], dst: SPARE[i % 4]! }))),
    delta.map((d): Fragment => [
      // Memory for one more spawn exactly, one byte short, or one over: processes left over.
      { kind: 'container_set_limits', caller: 0, slot: C, limits: { ...limits, processes: 3, memoryBytes: 2 * IMAGE_BYTES + d } },
      { kind: 'process_spawn', caller: 0, container: C, image: VALID_IMAGE, uid: 0, slots: 1, grants: [], dst: SPARE[0] },
    ]),
    delta.map((d): Fragment => [{ kind: 'io_submit', caller: p, slot: 1, bytes: Math.max(1, limits.ioBytes + d) }]),
    // The CPU budget: P spends all but one unit, then a syscall of any kind at the bound and one past it.
    fc.tuple(syscallOfAnyKind(p), syscallOfAnyKind(p)).map(([last, past]): Fragment => [
      ...Array.from({ length: limits.cpuBudget - 1 }, () => ({ kind: 'process_list', caller: p })), last, past,
    ]),
    // A child of C reserving, of each resource in turn, one more than C has left (refused), then exactly that (destroyed again).
    fc.shuffledSubarray([...RESERVED_RESOURCES], { minLength: RESERVED_RESOURCES.length }).map((order): Fragment => order.flatMap((r) => [
      ...[1, 0].map((d) => ({ kind: 'container_create', caller: 0, parent: C, dst: SPARE[0], namespaces: SHARE, limits: { ...minimal(limits.devices), [r]: available(r) + d } })),
      { kind: 'container_destroy', caller: 0, slot: SPARE[0] },
    ])),
    // C's new limits against its usage (P has used one of each resource first) and its child's reservation:
    // for each resource in turn, one short of it (refused), then exactly it.
    fc.tuple(fc.shuffledSubarray([...RESERVED_RESOURCES], { minLength: RESERVED_RESOURCES.length }), fc.option(fc.constantFrom<ReservedResource>('memoryBytes', 'endpoints', 'cpuBudget', 'ioBytes'), { nil: null }))
      .map(([order, child]): Fragment => {
        // P's three calls cost three CPU units.
        const used: Record<ReservedResource, number> = { memoryBytes: IMAGE_BYTES + 1, processes: 1, endpoints: 1, cpuBudget: 3, ioBytes: 1 }
        return [
          { kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 2 },
          { kind: 'io_submit', caller: p, slot: 1, bytes: 1 },
          ...(child === null ? [] : [{ kind: 'container_create', caller: 0, parent: C, dst: SPARE[1], namespaces: SHARE, limits: { ...minimal(), [child]: 1 } }]),
          { kind: 'ep_create', caller: p, depth: 1, dst: 3 },
          ...order.flatMap((r) => [-1, 0].map((d) => ({ kind: 'container_set_limits', caller: 0, slot: C, limits: { ...limits, [r]: used[r] + (child === r ? 1 : 0) + d } }))),
        ]
      }),
    // A grandchild's new limits against what C can still give: for each resource in turn, one past it (refused), then exactly it.
    fc.shuffledSubarray([...RESERVED_RESOURCES], { minLength: RESERVED_RESOURCES.length }).map((order): Fragment => [
      { kind: 'container_create', caller: 0, parent: C, dst: SPARE[0], namespaces: SHARE, limits: minimal() },
      ...order.flatMap((r) => [1, 0].map((d) => ({ kind: 'container_set_limits', caller: 0, slot: SPARE[0], limits: { ...minimal(), [r]: available(r) + d } }))),
    ]),
    // A uid map against C's range, a spawn uid against C's map.
    delta.map((d): Fragment => {
      const count = Math.max(1, Math.min(k.userCount, 50))
      const base = Math.max(0, k.userCount - count)
      return [{ kind: 'container_create', caller: 0, parent: C, dst: SPARE[0], limits: minimal(), namespaces: { ...SHARE, pid: 'new', user: { base, count: Math.max(1, count + d) } } }]
    }),
    delta.map((d): Fragment => [{ kind: 'process_spawn', caller: 0, container: C, image: VALID_IMAGE, uid: Math.min(BOUNDS.uidMax, Math.max(0, k.userCount - 1 + d)), slots: 1, grants: [], dst: SPARE[0] }]),
    // Grants against slots: one slot and one grant fits; two grants do not.
    fc.constantFrom(1, 2).map((n): Fragment => [{
      kind: 'process_spawn', caller: 0, container: C, image: VALID_IMAGE, uid: 0, slots: 1, dst: SPARE[0],
      grants: [{ slot: C, rights: ['read'] }, { slot: 1 + k.device, rights: ['write'] }].slice(0, n),
    }]),
    // Devices: a child's set against C's; C's set against its child's; a device taken from C while P holds its cap.
    fc.constantFrom(...DEVICES).map((device): Fragment => [{ kind: 'container_create', caller: 0, parent: C, dst: SPARE[0], namespaces: SHARE, limits: minimal([device]) }]),
    // P's CSpace filled to its last slot, then one past it.
    fc.constant<Fragment>([...Array.from({ length: P_SLOTS - 2 }, (_, i) => ({ kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 2 + i })), { kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: P_SLOTS }]),
    // A process killed twice through the same cap: the second finds it dead.
    fc.constant<Fragment>([{ kind: 'process_kill', caller: 0, slot: P_CAP }, { kind: 'process_kill', caller: 0, slot: P_CAP }]),
    // Caps too weak for the syscall: a container cap without read, a process cap without control, a device cap without write.
    fc.constant<Fragment>([
      { kind: 'cap_copy', caller: 0, src: C, dst: SPARE[0], rights: ['write'] },
      { kind: 'container_stats', caller: 0, slot: SPARE[0] },
      { kind: 'cap_copy', caller: 0, src: P_CAP, dst: SPARE[1], rights: ['read'] },
      { kind: 'process_kill', caller: 0, slot: SPARE[1] },
      { kind: 'cap_copy', caller: 0, src: 1 + k.device, dst: SPARE[2], rights: [] },
      { kind: 'io_submit', caller: 0, slot: SPARE[2], bytes: 1 },
    ]),
    fc.boolean().map((child): Fragment => [
      ...(child ? [{ kind: 'container_create', caller: 0, parent: C, dst: SPARE[0], namespaces: SHARE, limits: minimal(limits.devices) }] : []),
      { kind: 'container_set_limits', caller: 0, slot: C, limits: { ...limits, devices: [] } },
      { kind: 'io_submit', caller: p, slot: 1, bytes: 1 },
    ]),
  )
}

/**
 * One way to break a call: the checks it breaks (the catalogue's names, without the
 * syscall kind; most faults break one, a few break two at once) and the fields it
 * sets. `*` stands for every field: the fault is never combined with another.
 */
interface Fault { readonly checks: ReadonlyArray<string>; readonly fields: ReadonlyArray<string>; readonly apply: (call: Call) => Call }
/**
 * One call built to succeed after `before`, and the ways to break its checks, in no
 * particular order. `also`: checks the state after `before` breaks for every call
 * (a quota met, a table the caller may not change): the call is then never valid.
 */
interface Faultable { readonly call: Call; readonly faults: ReadonlyArray<Fault>; readonly before?: Fragment; readonly also?: ReadonlyArray<string> }

/**
 * A fault that sets `field` of the call (`limits.devices`: a field of a field). Two
 * faults on one field are never combined: the second would undo the first.
 */
function set(check: string, field: string, value: (call: Call) => unknown): Fault {
  const [outer, inner] = field.split('.') as [string, string | undefined]
  return {
    checks: [check], fields: [field],
    apply: (call) => ({ ...call, [outer]: inner === undefined ? value(call) : { ...(call[outer] as Call), [inner]: value(call) } }),
  }
}
/** A fault setting several fields at once, breaking one check or two. */
const setAll = (checks: string | ReadonlyArray<string>, values: Call): Fault =>
  ({ checks: typeof checks === 'string' ? [checks] : checks, fields: Object.keys(values), apply: (call) => ({ ...call, ...values }) })

/** A malformed call: its first argument (after the caller) of the wrong type. */
const MALFORMED: Fault = {
  checks: ['arguments well formed'], fields: ['*'],
  apply: (call) => ({ ...call, [Object.keys(call).find((key) => key !== 'kind' && key !== 'caller')!]: null }),
}

/**
 * The checks a faulted call was built to break (full catalogue names), by the call
 * object itself: coverage reads it to count pairs of checks failed at once. Calls
 * built to succeed are remembered apart (a test holds them to it).
 */
const BROKEN = new WeakMap<object, ReadonlyArray<string>>()
const VALID = new WeakSet<object>()

/** The checks `syscall` was built to break, if an edge fragment made it by faulting a valid call. */
export function brokenChecks(syscall: unknown): ReadonlyArray<string> | undefined {
  return typeof syscall === 'object' && syscall !== null ? BROKEN.get(syscall) : undefined
}

/** Whether an edge fragment built `syscall` to succeed (a faultable call with none of its checks broken). */
export function builtToSucceed(syscall: unknown): boolean {
  return typeof syscall === 'object' && syscall !== null && VALID.has(syscall)
}

/** An empty slot of P (and of its sibling) in every faultable; slot P_SLOTS is one past its CSpace. */
const EMPTY = 6
const BIG = BOUNDS.countMax
const ADMIN = 'caller is uid 0 of the table\'s owner'
type Table = 'mount' | 'net' | 'svc'
const KEY_FIELD: Record<Table, string> = { mount: 'path', net: 'port', svc: 'name' }
const KEYS: Record<Table, Record<'edge' | 'taken' | 'unbound', string | number>> = {
  mount: { edge: '/edge', taken: '/taken', unbound: '/unbound' }, net: { edge: 7, taken: 8, unbound: 9 }, svc: { edge: 'edge', taken: 'taken', unbound: 'unbound' },
}
const BIND_KIND: Record<Table, string> = { mount: 'mount', net: 'net_bind', svc: 'svc_register' }
const UNBIND_KIND: Record<Table, string> = { mount: 'unmount', net: 'net_unbind', svc: 'svc_unregister' }
const LOOKUP_KIND: Record<Table, string> = { mount: 'resolve', net: 'net_connect', svc: 'svc_lookup' }

/** The lookup checks of a cap argument (kernel.md §8: in CSpace, holds a cap, of the kind, with the rights), each broken by a slot of P. */
function lookups(role: string, kind: string | null = null, wrongKind = 1, weak: number | null = null, field = role): Fault[] {
  return [
    set(`${role} in CSpace`, field, () => P_SLOTS),
    set(`${role} holds a cap`, field, () => EMPTY),
    ...(kind === null ? [] : [set(`${role} is a ${kind} cap`, field, () => wrongKind)]),
    ...(weak === null ? [] : [set(`${role} rights`, field, () => weak)]),
  ]
}
const dstFaults = (occupied = 1): Fault[] => [set('dst in CSpace', 'dst', () => P_SLOTS), set('dst empty', 'dst', () => occupied)]

/**
 * Every handler's call, made by P (or by a sibling of P in C, spawned by init in
 * `before`: one holding the root container's cap, for the checks only the root can
 * fail; or one that is not uid 0, for the table checks), so that spending C's CPU
 * budget first meets the budget check with each of them. `L` is C's limits, set by
 * init before `before` (room for two more processes and their images, two more
 * endpoints, and the CPU budget the fragment plans).
 */
function faultables(k: Known, L: Limits): ReadonlyArray<Faultable> {
  const { p } = k
  const sib = p + 1
  const unknownImage = `sha256:${'e'.repeat(64)}`
  const image = (index: number) => IMAGE_POOL[index]!.digest
  const setC = (limits: Limits): Call => ({ kind: 'container_set_limits', caller: 0, slot: C, limits })
  const sibling = (uid: number, grants: ReadonlyArray<Call>): Call =>
    ({ kind: 'process_spawn', caller: 0, container: C, image: VALID_IMAGE, uid, slots: P_SLOTS, grants, dst: SPARE[3] })
  // The sibling holding the root container's cap (and nothing else).
  const rootHolder = sibling(0, [{ slot: 0, rights: ALL }])
  // A sibling like P but uid 1: uid 0 of no namespace. When P itself may not change its tables, every call breaks that check.
  const twin = k.admin && k.userCount >= 2
  const admin = (mirror: (caller: number) => Fragment): Pick<Faultable, 'before' | 'faults' | 'also'> => {
    if (!k.admin) return { before: [], faults: [], also: [ADMIN] }
    if (!twin) return { before: [], faults: [] }
    return { before: [sibling(1, [{ slot: C, rights: ALL }, { slot: 1 + k.device, rights: ['write'] }]), ...mirror(sib)], faults: [set(ADMIN, 'caller', () => sib)] }
  }
  const key = (table: Table, which: 'edge' | 'taken' | 'unbound') => ({ [KEY_FIELD[table]]: KEYS[table][which] })
  const bind = (table: Table, caller: number, slot: number, which: 'edge' | 'taken'): Call =>
    ({ kind: BIND_KIND[table], caller, slot, ...(table === 'mount' ? { rights: ['write'] } : {}), ...key(table, which) })
  // A name bound in P's tables: by P when it may, else by init (P's tables are then the root's).
  const bound = (table: Table, which: 'edge' | 'taken'): Fragment => {
    const binder = k.admin ? p : 0
    if (table === 'mount') return [bind(table, binder, 1, which)]
    const slot = k.admin ? 3 : SPARE[1]
    return [{ kind: 'ep_create', caller: binder, depth: 1, dst: slot }, bind(table, binder, slot, which)]
  }
  const rootCovered: Limits = { memoryBytes: BIG, processes: BIG, endpoints: BIG, cpuBudget: BIG, ioBytes: BIG, cpuWeight: 1, devices: [...DEVICES] }

  const spawn: Faultable = {
    // P spawns into C, granting C and its device.
    call: { kind: 'process_spawn', caller: p, container: 0, image: VALID_IMAGE, uid: 0, slots: 2, grants: [{ slot: 0, rights: ['read'] }, { slot: 1, rights: ['write'] }], dst: 2 },
    before: [{ kind: 'cap_copy', caller: p, src: 0, dst: 5, rights: ['read'] }],
    faults: [
      set('grants fit the slots', 'slots', () => 1),
      ...lookups('container', 'container', 1, 5),
      set('grant slot in CSpace', 'grants', (c) => [{ slot: P_SLOTS, rights: ['read'] }, ...(c.grants as Call[]).slice(1)]),
      set('grant slot holds a cap', 'grants', (c) => [{ slot: EMPTY, rights: ['read'] }, ...(c.grants as Call[]).slice(1)]),
      set('grant within the caller\'s cap', 'grants', (c) => [{ slot: 5, rights: ['read', 'write'] }, ...(c.grants as Call[]).slice(1)]),
      ...dstFaults(),
      set('image in the pool', 'image', () => unknownImage),
      // (Under the root's user namespace every uid is mapped.)
      ...(k.userCount > BOUNDS.uidMax ? [] : [set('uid mapped in the container', 'uid', () => k.userCount)]),
      set('signed by a trusted key', 'image', () => image([POOL_INDEX.wrongKey, POOL_INDEX.tamperedLayer, POOL_INDEX.twin, POOL_INDEX.unsigned, POOL_INDEX.split, POOL_INDEX.borrowed, POOL_INDEX.memoryShort][k.pick % 7]!)),
      set('version at or above the floor', 'image', () => image(k.pick % 2 === 0 ? POOL_INDEX.older : POOL_INDEX.prerelease)),
      setAll(['signed by a trusted key', 'version at or above the floor'], { image: image(POOL_INDEX.olderForged) }),
      // Two container grants: the manifest requests one.
      set('grants match the manifest\'s requests', 'grants', () => [{ slot: 0, rights: ['read'] }, { slot: 5, rights: ['read'] }]),
    ],
  }
  const epCreate: Faultable = { call: { kind: 'ep_create', caller: p, depth: 1, dst: 2 }, faults: dstFaults() }
  const io: Faultable = {
    call: { kind: 'io_submit', caller: p, slot: 1, bytes: 1 },
    before: [{ kind: 'cap_copy', caller: p, src: 1, dst: 5, rights: [] }],
    faults: [...lookups('slot', 'device', 0, 5), set('ioBytes quota', 'bytes', () => L.ioBytes + 1)],
  }
  const tables = (['mount', 'net', 'svc'] as const).flatMap((table): Faultable[] => {
    const field = KEY_FIELD[table]
    const other = (which: 'taken' | 'unbound') => () => KEYS[table][which]
    const endpoint = (caller: number): Fragment => [{ kind: 'ep_create', caller, depth: 1, dst: 4 }, { kind: 'cap_copy', caller, src: 4, dst: 5, rights: ['write'] }]
    const onBind = admin(table === 'mount' ? () => [] : endpoint)
    const onUnbind = admin(() => [])
    return [
      {
        // P binds a name (a mount of its device; its endpoint, which it may read) where another is taken.
        call: table === 'mount' ? bind(table, p, 1, 'edge') : bind(table, p, 4, 'edge'),
        before: [...(table === 'mount' ? [] : endpoint(p)), ...bound(table, 'taken'), ...onBind.before!],
        faults: [
          ...(table === 'mount' ? [...lookups('slot'), set('rights within the source\'s', 'rights', () => ['read'])] : lookups('slot', 'endpoint', 1, 5)),
          set('name free', field, other('taken')), ...onBind.faults!,
        ],
        ...(onBind.also === undefined ? {} : { also: onBind.also }),
      },
      {
        call: { kind: UNBIND_KIND[table], caller: p, ...key(table, 'edge') },
        before: [...bound(table, 'edge'), ...onUnbind.before!],
        faults: [set('name bound', field, other('unbound')), ...onUnbind.faults!],
        ...(onUnbind.also === undefined ? {} : { also: onUnbind.also }),
      },
      { call: { kind: LOOKUP_KIND[table], caller: p, ...key(table, 'edge'), dst: 2 }, before: bound(table, 'edge'), faults: [...dstFaults(), set('name bound', field, other('unbound'))] },
    ]
  })

  return [
    spawn,
    // The same with C's process quota met, its memory quota met, or both.
    { ...spawn, before: [...spawn.before!, setC({ ...L, processes: 1 })], also: ['processes quota'] },
    { ...spawn, before: [...spawn.before!, setC({ ...L, memoryBytes: IMAGE_BYTES })], also: ['memoryBytes quota'] },
    { ...spawn, before: [...spawn.before!, setC({ ...L, processes: 1, memoryBytes: IMAGE_BYTES })], also: ['processes quota', 'memoryBytes quota'] },
    {
      // P creates a child of C.
      call: { kind: 'container_create', caller: p, parent: 0, dst: 2, limits: minimal(), namespaces: SHARE },
      before: [{ kind: 'cap_copy', caller: p, src: 0, dst: 5, rights: ['read'] }],
      faults: [
        ...lookups('parent', 'container', 1, 5), ...dstFaults(),
        ...(k.userCount > BOUNDS.uidMax ? [] : [set('uid map inside the parent\'s range', 'namespaces', () => ({ ...SHARE, user: { base: k.userCount, count: 1 } }))]),
        ...RESERVED_RESOURCES.map((r) => set(`${r} within what the parent has available`, `limits.${r}`, () => L[r] + 1)),
        set('devices within the parent\'s', 'limits.devices', () => ['tape0']),
      ],
    },
    {
      // P sets C's limits again, as they are, after using one of each resource; C has a child with P's device.
      call: { kind: 'container_set_limits', caller: p, slot: 0, limits: L },
      before: [
        { kind: 'cap_copy', caller: p, src: 0, dst: 5, rights: ['read'] }, { kind: 'io_submit', caller: p, slot: 1, bytes: 1 },
        { kind: 'ep_create', caller: p, depth: 1, dst: 2 }, { kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 3 },
        { kind: 'container_create', caller: 0, parent: C, dst: SPARE[0], limits: minimal([DEVICES[k.device]]), namespaces: SHARE },
      ],
      faults: [
        ...lookups('slot', 'container', 1, 5),
        ...RESERVED_RESOURCES.map((r) => set(`${r} covers usage and children`, `limits.${r}`, () => 0)),
        set('devices cover the children\'s', 'limits.devices', () => []),
        ...RESERVED_RESOURCES.map((r) => set(`${r} within what the parent has available`, `limits.${r}`, () => BIG)),
        set('devices within the parent\'s', 'limits.devices', () => [DEVICES[k.device], 'tape0']),
      ],
    },
    {
      // The root holder sets the limits of a child of the root it made (or the root's own: refused, whatever they are).
      call: { kind: 'container_set_limits', caller: sib, slot: 2, limits: minimal() },
      before: [
        rootHolder, { kind: 'container_create', caller: sib, parent: 0, dst: 2, limits: minimal(), namespaces: SHARE },
        { kind: 'cap_copy', caller: sib, src: 2, dst: 3, rights: ['read'] }, { kind: 'ep_create', caller: sib, depth: 1, dst: 4 },
        { kind: 'cap_copy', caller: sib, src: 0, dst: 5, rights: ['read'] },
      ],
      faults: [
        ...lookups('slot', 'container', 4, 3),
        setAll('not the root container', { slot: 0, limits: rootCovered }),
        // The root's own cap without control: refused for its rights, not for being the root's.
        setAll(['slot rights', 'not the root container'], { slot: 5, limits: rootCovered }),
        ...RESERVED_RESOURCES.map((r) => setAll(['not the root container', `${r} covers usage and children`], { slot: 0, limits: { ...rootCovered, [r]: 0 } })),
        setAll(['not the root container', 'devices cover the children\'s'], { slot: 0, limits: { ...rootCovered, devices: [] } }),
        ...RESERVED_RESOURCES.map((r) => set(`${r} within what the parent has available`, `limits.${r}`, () => BIG)),
        set('devices within the parent\'s', 'limits.devices', () => ['tape0']),
      ],
    },
    {
      call: { kind: 'container_destroy', caller: sib, slot: 2 },
      before: [
        rootHolder, { kind: 'container_create', caller: sib, parent: 0, dst: 2, limits: minimal(), namespaces: SHARE },
        { kind: 'cap_copy', caller: sib, src: 2, dst: 3, rights: ['read'] }, { kind: 'ep_create', caller: sib, depth: 1, dst: 4 },
        { kind: 'cap_copy', caller: sib, src: 0, dst: 5, rights: ['read'] },
      ],
      faults: [...lookups('slot', 'container', 4, 3), set('not the root container', 'slot', () => 0), setAll(['slot rights', 'not the root container'], { slot: 5 })],
    },
    { call: { kind: 'container_stats', caller: p, slot: 0 }, before: [{ kind: 'cap_copy', caller: p, src: 0, dst: 5, rights: ['write'] }], faults: lookups('slot', 'container', 1, 5) },
    {
      // P kills a process it spawned (another one it spawned is dead already).
      call: { kind: 'process_kill', caller: p, slot: 2 },
      before: [
        { kind: 'process_spawn', caller: p, container: 0, image: VALID_IMAGE, uid: 0, slots: 1, grants: [], dst: 2 }, { kind: 'cap_copy', caller: p, src: 2, dst: 3, rights: ['read'] },
        { kind: 'process_spawn', caller: p, container: 0, image: VALID_IMAGE, uid: 0, slots: 1, grants: [], dst: 4 }, { kind: 'process_kill', caller: p, slot: 4 },
        { kind: 'cap_copy', caller: p, src: 4, dst: 5, rights: ['read'] },
      ],
      faults: [...lookups('slot', 'process', 1, 3), set('target running', 'slot', () => 4), setAll(['slot rights', 'target running'], { slot: 5 })],
    },
    { call: { kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 2 }, faults: [...dstFaults(), set('memoryBytes quota', 'sizeBytes', () => L.memoryBytes)] },
    {
      // P maps a region of its own (a second region is mapped already).
      call: { kind: 'mem_map', caller: p, slot: 2, perms: ['read'] },
      before: [
        { kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 2 }, { kind: 'cap_copy', caller: p, src: 2, dst: 3, rights: ['control'] },
        { kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 7 }, { kind: 'mem_map', caller: p, slot: 7, perms: ['read'] },
        { kind: 'cap_copy', caller: p, src: 7, dst: 4, rights: ['read'] }, { kind: 'mem_map', caller: p, slot: 4, perms: ['read'] },
      ],
      faults: [
        set('perms well formed (W^X)', 'perms', () => ['write', 'execute']), ...lookups('slot', 'region', 1, 3), set('no mapping through this cap yet', 'slot', () => 7),
        // A read-only cap with a mapping through it, asked for write.
        setAll(['slot rights', 'no mapping through this cap yet'], { slot: 4, perms: ['read', 'write'] }),
      ],
    },
    {
      call: { kind: 'mem_unmap', caller: p, slot: 2 },
      before: [{ kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 2 }, { kind: 'mem_map', caller: p, slot: 2, perms: ['read'] }, { kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 3 }],
      faults: [...lookups('slot', 'region', 1), set('a mapping through this cap', 'slot', () => 3)],
    },
    epCreate,
    { ...epCreate, before: [setC({ ...L, endpoints: 0 })], also: ['endpoints quota'] },
    {
      // P sends on an endpoint of its own, carrying a cap.
      call: { kind: 'ep_send', caller: p, slot: 4, payload: 1, xfer: 1 },
      before: [
        { kind: 'ep_create', caller: p, depth: 1, dst: 4 }, { kind: 'cap_copy', caller: p, src: 4, dst: 5, rights: ['write'] }, { kind: 'ep_create', caller: p, depth: 1, dst: 3 }, { kind: 'ep_send', caller: p, slot: 3, payload: 0 },
        { kind: 'cap_copy', caller: p, src: 3, dst: 7, rights: ['read'] },
      ],
      faults: [...lookups('slot', 'endpoint', 1, 5), ...lookups('xfer'), set('queue has room', 'slot', () => 3), setAll(['slot rights', 'queue has room'], { slot: 7 })],
    },
    {
      call: { kind: 'ep_recv', caller: p, slot: 4, dst: 2 },
      before: [
        { kind: 'ep_create', caller: p, depth: 1, dst: 4 }, { kind: 'ep_send', caller: p, slot: 4, payload: 1 }, { kind: 'cap_copy', caller: p, src: 4, dst: 5, rights: ['write'] }, { kind: 'ep_create', caller: p, depth: 1, dst: 3 },
        { kind: 'cap_copy', caller: p, src: 3, dst: 7, rights: ['write'] },
      ],
      faults: [...lookups('slot', 'endpoint', 1, 5), set('dst in CSpace', 'dst', () => P_SLOTS), set('queue not empty', 'slot', () => 3), setAll(['slot rights', 'queue not empty'], { slot: 7 })],
    },
    {
      // P copies its device cap with a badge-free subset of its rights (a badged copy of an endpoint is at hand).
      call: { kind: 'cap_copy', caller: p, src: 1, dst: 2, rights: ['write'] },
      before: [{ kind: 'ep_create', caller: p, depth: 1, dst: 4 }, { kind: 'cap_copy', caller: p, src: 4, dst: 5, rights: ['write'], badge: 7 }],
      faults: [
        ...lookups('src'), set('a badge goes on an endpoint cap', 'badge', () => 3), set('rights within the source\'s', 'rights', () => ['write', 'read']),
        setAll('a badge is set once', { src: 5, badge: 2 }), ...dstFaults(0),
      ],
    },
    { call: { kind: 'cap_move', caller: p, src: 2, dst: 3 }, before: [{ kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 2 }], faults: [...lookups('src'), ...dstFaults()] },
    ...(['cap_delete', 'cap_revoke', 'cap_inspect'] as const).map((kind): Faultable =>
      ({ call: { kind, caller: p, slot: 2 }, before: [{ kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 2 }], faults: lookups('slot') })),
    ...tables,
    io,
    { ...io, before: [...io.before!, setC({ ...L, devices: [] })], also: ['device in the container\'s set'] },
  ]
}

/** `call` with `faults` applied, remembered as breaking their checks (and `also`'s), or as built to succeed. */
function broken(call: Call, faults: ReadonlyArray<Fault>, also: ReadonlyArray<string> = []): Call {
  const made = faults.reduce((at, fault) => fault.apply(at), call)
  const checks = [...new Set([...also, ...faults.flatMap((fault) => fault.checks)])].map((check) => `${String(call['kind'])}: ${check}`)
  if (checks.length > 0) BROKEN.set(made, checks)
  else VALID.add(made)
  return made
}

const overlap = (a: string, b: string) => a === '*' || b === '*' || a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`)

/** The faults at `chosen`, less any that sets a field an earlier one set. */
function compatible(faults: ReadonlyArray<Fault>, chosen: ReadonlyArray<number>): Fault[] {
  const taken: string[] = []
  return chosen.map((index) => faults[index]!).filter((fault) => {
    if (fault.fields.some((field) => taken.some((other) => overlap(field, other)))) return false
    taken.push(...fault.fields)
    return true
  })
}

/** How a faulted fragment uses its faultable: the variants tried (fault indices), and those tried after C's CPU budget is spent. */
interface Plan { readonly variants: ReadonlyArray<ReadonlyArray<number>>; readonly spent: ReadonlyArray<number> | null }

const PAIR_KEYS: ReadonlySet<string> = new Set(CHECK_PAIRS.map((pair) => pair.key))

/**
 * The pairs of faults (indices) worth combining: they set different fields and
 * break two checks whose order shows ({@link CHECK_PAIRS}); other pairs would be
 * decided like one of their faults alone.
 */
function usefulPairs(kind: string, faults: ReadonlyArray<Fault>): Array<[number, number]> {
  const shows = (a: string, b: string) => PAIR_KEYS.has(pairKey(`${kind}: ${a}`, `${kind}: ${b}`)) || PAIR_KEYS.has(pairKey(`${kind}: ${b}`, `${kind}: ${a}`))
  return faults.flatMap((first, i) => faults.slice(i + 1).flatMap((second, offset): Array<[number, number]> => {
    const j = i + 1 + offset
    if (compatible(faults, [i, j]).length < 2) return []
    return first.checks.some((a) => second.checks.some((b) => shows(a, b))) ? [[i, j]] : []
  }))
}

/** How many of its useful pairs (at most) a fragment tries, each once. */
const PAIRS_PER_FRAGMENT = 8
/** How many single faults (at most) a fragment tries after C's CPU budget is spent, each once. */
const SPENT_PER_FRAGMENT = 8

function planOf(faults: number, useful: ReadonlyArray<[number, number]>): fc.Arbitrary<Plan> {
  const keys = [...Array(faults).keys()]
  // Each fault alone in about half the fragments of its faultable (it then decides).
  const singles = fc.shuffledSubarray(keys, { minLength: Math.min(faults, 2), maxLength: Math.min(faults, 6) })
  // Distinct pairs, as many as PAIRS_PER_FRAGMENT allows (each is met only by a call
  // breaking both), each pair's two faults in either order.
  const chosen = Math.min(useful.length, PAIRS_PER_FRAGMENT)
  const pairs = chosen === 0 ? fc.constant([])
    : fc.shuffledSubarray([...useful], { minLength: chosen, maxLength: chosen })
      .chain((picked) => fc.tuple(...picked.map((pair) => fc.shuffledSubarray(pair, { minLength: 2, maxLength: 2 }))))
  // After the budget is spent, distinct faults, as many as SPENT_PER_FRAGMENT allows: each meets "CPU budget left » it".
  const spentCount = Math.min(faults, SPENT_PER_FRAGMENT)
  return fc.record({
    variants: fc.tuple(singles, pairs).chain(([one, two]) => fc.shuffledSubarray([...one.map((at) => [at]), ...two], { minLength: one.length + two.length })),
    spent: fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.shuffledSubarray(keys, { minLength: spentCount, maxLength: spentCount }) }),
  })
}

/**
 * A faultable's weight among the faulted fragments: how many fragments it takes
 * to try each of its useful pairs, each of its faults after the budget is spent
 * (two fragments in three spend it: the factor 1.5), and each fault alone (about four a fragment;
 * with a check the state breaks, each is a pair), once. So every pair of
 * {@link CHECK_PAIRS} a faultable can meet is tried about equally often,
 * whichever handler it belongs to: a handler with many checks gets more
 * fragments, not rarer pairs.
 */
function weightOf(faults: number, useful: number): number {
  return Math.ceil(4 * Math.max(1.5, useful / PAIRS_PER_FRAGMENT, 1.5 * Math.max(1, faults / SPENT_PER_FRAGMENT), faults / 4))
}

/**
 * The faulted-call fragment: init sets C's limits (the CPU budget exactly what the
 * fragment spends when it plans to spend it all), the faultable's `before`, then
 * variants of its call, each with one or two of its checks broken (refused:
 * nothing changes but the charge), and then either the call itself (valid, or
 * breaking only what the state breaks), or — when P (or its sibling) makes it —
 * more variants with one check broken after C's budget is spent (the budget check
 * comes first, kernel.md §8).
 */
function faulted(k: Known): fc.Arbitrary<Fragment> {
  const shapes = shapesOf(k)
  return fc.integer({ min: 0, max: shapes.total - 1 }).chain((ticket) => {
    const index = shapes.cumulative.findIndex((upTo) => ticket < upTo)
    return shapes.plans[index]!.map((plan) => assemble(k, index, plan))
  })
}

/**
 * Per faultable: its plans, whether P (or its sibling) makes its call, how many of
 * its `before` calls they make (each costs C a CPU unit), and the running sum of
 * the weights ({@link weightOf}: by what there is to meet: each fault alone, after the budget is spent, and the pairs).
 */
interface Shapes {
  readonly plans: ReadonlyArray<fc.Arbitrary<Plan>>
  readonly byC: ReadonlyArray<boolean>
  readonly chargedBefore: ReadonlyArray<number>
  readonly cumulative: ReadonlyArray<number>
  readonly total: number
}

/** Whether `call` is made by P or its sibling (creation index p or above, in C), so that it costs C a CPU unit. */
const inC = (k: Known, call: Call) => (call['caller'] as number) >= k.p

/** The faultables' checks depend only on whether C's uids run out and who may change its tables: a few kinds of `Known`. */
const SHAPES = new Map<string, Shapes>()

function shapesOf(k: Known): Shapes {
  const key = `${k.userCount > BOUNDS.uidMax} ${k.admin} ${k.userCount >= 2}`
  const known = SHAPES.get(key)
  if (known !== undefined) return known
  let total = 0
  const cumulative: number[] = []
  const shapes = faultables(k, k.limits)
  const plans = shapes.map((shape) => {
    const faults = [...shape.faults, MALFORMED]
    // With a check the state breaks, one fault is a pair already.
    const useful = shape.also === undefined ? usefulPairs(String(shape.call['kind']), faults) : []
    total += weightOf(faults.length, useful.length)
    cumulative.push(total)
    return planOf(faults.length, useful)
  })
  const made = { plans, cumulative, total, byC: shapes.map((shape) => inC(k, shape.call)), chargedBefore: shapes.map((shape) => (shape.before ?? []).filter((call) => inC(k, call)).length) }
  SHAPES.set(key, made)
  return made
}

function assemble(k: Known, index: number, plan: Plan): Fragment {
  const shapes = shapesOf(k)
  // Every variant tried before the budget is spent costs C a unit, when P or its sibling makes it (the admin fault swaps one for the other).
  const charged = shapes.chargedBefore[index]! + (shapes.byC[index]! ? plan.variants.length : 0)
  const spend = plan.spent !== null && shapes.byC[index]!
  const limits: Limits = {
    ...k.limits, cpuBudget: spend ? charged : charged + k.limits.cpuBudget,
    processes: k.limits.processes + 2, memoryBytes: k.limits.memoryBytes + 3 * IMAGE_BYTES, endpoints: k.limits.endpoints + 2,
  }
  const shape = faultables(k, limits)[index]!
  const faults = [...shape.faults, MALFORMED]
  const before = [{ kind: 'container_set_limits', caller: 0, slot: C, limits }, ...(shape.before ?? [])]
  const tried = plan.variants.map((chosen) => broken(shape.call, compatible(faults, chosen), shape.also))
  if (spend) return [...before, ...tried, ...plan.spent!.map((at) => broken(shape.call, [faults[at]!], [...(shape.also ?? []), 'CPU budget left']))]
  return [...before, ...tried, broken(shape.call, [], shape.also)]
}

/**
 * An edge fragment whose process P has creation index `p` (so it must come where
 * that is known: first in a sequence, 1, or right after the deep preamble, 4).
 */
export function edgeFragment(p: number): fc.Arbitrary<Fragment> {
  return fc.record({ limits: limitsArb, namespaces: namespacesArb, device: fc.constantFrom<0 | 1>(0, 1), pick: fc.nat(13) }).chain(({ limits, namespaces, device, pick }) => {
    // P needs its device allowed to be spawned with it; some probes take it away later.
    const withDevice: Limits = { ...limits, devices: [...new Set([...limits.devices, DEVICES[device]])] }
    const user = namespaces.user
    // P (uid 0 of C) may change its tables: they are C's own, or the root's and C's uid 0 is the root's.
    const admin = user === 'share' || namespaces.mount === 'new' || user.base === 0
    const known: Known = { p, limits: withDevice, device, pick, admin, userCount: user === 'share' ? ROOT_UID_COUNT : user.count }
    return fc.oneof({ weight: 1, arbitrary: probes(known) }, { weight: 2, arbitrary: faulted(known) }).map((rest): Fragment => [...setup(known, namespaces), ...rest])
  })
}
