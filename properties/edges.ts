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
 * - **faults a valid call**: a syscall built to succeed (spawn, container create,
 *   cap copy, send, register) with zero, one or two of its checks broken, each
 *   drawn from that handler's checks, so that every pair whose order §4 and §8 fix
 *   is met with both broken (a kernel that checks in another order answers another
 *   error).
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
}

const SHARE: NamespaceConfig = { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' }
const minimal = (devices: string[] = []): Limits => ({ memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0, cpuWeight: 1, devices })

const limitsArb: fc.Arbitrary<Limits> = fc.record({
  processes: fc.integer({ min: 1, max: 3 }), extraBytes: fc.integer({ min: 2, max: 3000 }), endpoints: fc.integer({ min: 2, max: 3 }),
  cpuBudget: fc.integer({ min: 6, max: 12 }), ioBytes: fc.integer({ min: 2, max: 300 }), cpuWeight: fc.integer({ min: 1, max: 5 }),
  devices: fc.subarray([...DEVICES]),
}).map(({ processes, extraBytes, ...rest }) => ({ ...rest, processes, memoryBytes: IMAGE_BYTES * processes + extraBytes }))

const namespacesArb: fc.Arbitrary<NamespaceConfig> = fc.oneof(
  fc.constant(SHARE),
  fc.record({ base: fc.integer({ min: 0, max: 5000 }), count: fc.integer({ min: 1, max: 64 }), pid: fc.constantFrom('new', 'share'), tables: fc.constantFrom('new', 'share') })
    .map(({ base, count, pid, tables }) => ({ pid, mount: tables, net: tables, ipc: tables, user: { base, count } }) as NamespaceConfig),
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
  const resource = fc.constantFrom(...RESERVED_RESOURCES)
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
    // A child of C reserving exactly what C has left of one resource (or one more, one less).
    fc.tuple(resource, delta).map(([r, d]): Fragment => [{
      kind: 'container_create', caller: 0, parent: C, dst: SPARE[0], namespaces: SHARE,
      limits: { ...minimal(limits.devices), [r]: Math.max(0, available(r) + d) },
    }]),
    // C's new limit against its usage (P has used one of each resource first) and its child's reservation.
    fc.tuple(resource, delta, fc.integer({ min: 0, max: 1 })).map(([r, d, child]): Fragment => {
      const used: Record<ReservedResource, number> = { memoryBytes: IMAGE_BYTES + 1, processes: 1, endpoints: 1, cpuBudget: 2, ioBytes: 1 }
      return [
        { kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 2 },
        { kind: 'io_submit', caller: p, slot: 1, bytes: 1 },
        ...(child === 1 ? [{ kind: 'container_create', caller: 0, parent: C, dst: SPARE[1], namespaces: SHARE, limits: { ...minimal(), [r]: 1 } }] : []),
        { kind: 'ep_create', caller: p, depth: 1, dst: 3 },
        { kind: 'container_set_limits', caller: 0, slot: C, limits: { ...limits, [r]: Math.max(0, used[r] + child + (r === 'cpuBudget' ? 1 : 0) + d) } },
      ]
    }),
    // A grandchild's new limit against what C can still give.
    fc.tuple(resource, delta).map(([r, d]): Fragment => [
      { kind: 'container_create', caller: 0, parent: C, dst: SPARE[0], namespaces: SHARE, limits: { ...minimal(), [r]: 1 } },
      { kind: 'container_set_limits', caller: 0, slot: SPARE[0], limits: { ...minimal(), [r]: Math.max(0, available(r) + d) } },
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

/** One way to break a call: the check it breaks (the catalogue's name, without the syscall kind) and the fields it sets. */
interface Fault { readonly check: string; readonly fields: ReadonlyArray<string>; readonly apply: (call: Call) => Call }
/** One call built to succeed after the setup, and the ways to break its checks, in no particular order. */
interface Faultable { readonly call: Call; readonly faults: ReadonlyArray<Fault>; readonly before?: Fragment }

/**
 * A fault that sets `field` of the call (`limits.devices`: a field of a field). Two
 * faults on one field are never combined: the second would undo the first.
 */
function set(check: string, field: string, value: (call: Call) => unknown): Fault {
  const [outer, inner] = field.split('.') as [string, string | undefined]
  return {
    check, fields: [field],
    apply: (call) => ({ ...call, [outer]: inner === undefined ? value(call) : { ...(call[outer] as Call), [inner]: value(call) } }),
  }
}
/** A fault setting several fields at once. */
const setAll = (check: string, values: Call): Fault => ({ check, fields: Object.keys(values), apply: (call) => ({ ...call, ...values }) })

/**
 * The checks a faulted call was built to break (full catalogue names), by the call
 * object itself: coverage reads it to count pairs of checks failed at once.
 */
const BROKEN = new WeakMap<object, ReadonlyArray<string>>()

/** The checks `syscall` was built to break, if an edge fragment made it by faulting a valid call. */
export function brokenChecks(syscall: unknown): ReadonlyArray<string> | undefined {
  return typeof syscall === 'object' && syscall !== null ? BROKEN.get(syscall) : undefined
}

function faultables(k: Known): ReadonlyArray<Faultable> {
  const { p } = k
  const unknownImage = `sha256:${'e'.repeat(64)}`
  const image = (index: number) => IMAGE_POOL[index]!.digest
  return [
    {
      // init spawns into C: every check of §4 in turn.
      call: { kind: 'process_spawn', caller: 0, container: C, image: VALID_IMAGE, uid: 0, slots: 2, grants: [{ slot: C, rights: ['read'] }, { slot: 1 + k.device, rights: ['write'] }], dst: SPARE[0] },
      before: [{ kind: 'cap_copy', caller: 0, src: C, dst: SPARE[2], rights: ['read'] }, { kind: 'container_set_limits', caller: 0, slot: C, limits: { ...k.limits, processes: 3, memoryBytes: 3 * IMAGE_BYTES } }],
      faults: [
        set('grants fit the slots', 'slots', () => 1),
        set('container rights', 'container', () => SPARE[2]),
        set('container is a container cap', 'container', () => 1),
        set('container in CSpace', 'container', () => INIT_SLOTS),
        set('container holds a cap', 'container', () => SPARE[3]),
        set('grant slot holds a cap', 'grants', (c) => [{ slot: SPARE[3], rights: ['read'] }, ...(c.grants as Call[]).slice(1)]),
        set('grant within the caller\'s cap', 'grants', (c) => [{ slot: SPARE[2], rights: ['read', 'write'] }, ...(c.grants as Call[]).slice(1)]),
        set('dst empty', 'dst', () => P_CAP),
        set('dst in CSpace', 'dst', () => INIT_SLOTS),
        set('image in the pool', 'image', () => unknownImage),
        // (Under the root's user namespace every uid is mapped.)
        ...(k.userCount > BOUNDS.uidMax ? [] : [set('uid mapped in the container', 'uid', () => k.userCount)]),
        set('signed by a trusted key', 'image', () => image([POOL_INDEX.wrongKey, POOL_INDEX.tamperedLayer, POOL_INDEX.twin, POOL_INDEX.unsigned, POOL_INDEX.split, POOL_INDEX.borrowed, POOL_INDEX.memoryShort][k.pick % 7]!)),
        set('version at or above the floor', 'image', () => image(k.pick % 2 === 0 ? POOL_INDEX.older : POOL_INDEX.prerelease)),
        set('grants match the manifest\'s requests', 'grants', (c) => [{ slot: P_CAP, rights: ['read'] }, ...(c.grants as Call[]).slice(1)]),
      ],
    },
    {
      // init creates a child of C.
      call: { kind: 'container_create', caller: 0, parent: C, dst: SPARE[0], limits: minimal(), namespaces: SHARE },
      before: [{ kind: 'cap_copy', caller: 0, src: C, dst: SPARE[2], rights: ['read'] }],
      faults: [
        set('parent in CSpace', 'parent', () => INIT_SLOTS),
        set('parent holds a cap', 'parent', () => SPARE[3]),
        set('parent is a container cap', 'parent', () => P_CAP),
        set('parent rights', 'parent', () => SPARE[2]),
        set('dst in CSpace', 'dst', () => INIT_SLOTS),
        set('dst empty', 'dst', () => P_CAP),
        ...(k.userCount > BOUNDS.uidMax ? [] : [set('uid map inside the parent\'s range', 'namespaces', () => ({ ...SHARE, user: { base: k.userCount, count: 1 } }))]),
        set('memoryBytes within what the parent has available', 'limits.memoryBytes', () => k.limits.memoryBytes),
        set('processes within what the parent has available', 'limits.processes', () => k.limits.processes),
        set('endpoints within what the parent has available', 'limits.endpoints', () => k.limits.endpoints + 1),
        set('ioBytes within what the parent has available', 'limits.ioBytes', () => k.limits.ioBytes + 1),
        set('devices within the parent\'s', 'limits.devices', () => ['tape0']),
      ],
    },
    {
      // P maps a region of its own (a second region is mapped already).
      call: { kind: 'mem_map', caller: p, slot: 2, perms: ['read'] },
      before: [
        { kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 2 }, { kind: 'cap_copy', caller: p, src: 2, dst: 3, rights: ['control'] },
        { kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 7 }, { kind: 'mem_map', caller: p, slot: 7, perms: ['read'] },
      ],
      faults: [
        set('perms well formed (W^X)', 'perms', () => ['write', 'execute']),
        set('slot in CSpace', 'slot', () => P_SLOTS),
        set('slot holds a cap', 'slot', () => 6),
        set('slot is a region cap', 'slot', () => 1),
        set('slot rights', 'slot', () => 3),
        set('no mapping through this cap yet', 'slot', () => 7),
      ],
    },
    {
      // init sets C's limits again, as they are, after P has used one of each resource.
      call: { kind: 'container_set_limits', caller: 0, slot: C, limits: k.limits },
      before: [
        { kind: 'cap_copy', caller: 0, src: C, dst: SPARE[2], rights: ['read'] }, { kind: 'io_submit', caller: p, slot: 1, bytes: 1 },
        { kind: 'ep_create', caller: p, depth: 1, dst: 2 }, { kind: 'mem_alloc', caller: p, sizeBytes: 1, executable: false, dst: 3 },
      ],
      faults: [
        set('slot in CSpace', 'slot', () => INIT_SLOTS),
        set('slot holds a cap', 'slot', () => SPARE[3]),
        set('slot is a container cap', 'slot', () => 1),
        set('slot rights', 'slot', () => SPARE[2]),
        set('not the root container', 'slot', () => 0),
        ...RESERVED_RESOURCES.map((r) => set(`${r} covers usage and children`, `limits.${r}`, () => 0)),
        set('devices within the parent\'s', 'limits.devices', () => ['tape0']),
      ],
    },
    {
      // P copies its device cap with a badge-free subset of its rights.
      call: { kind: 'cap_copy', caller: p, src: 1, dst: 2, rights: ['write'] },
      before: [{ kind: 'ep_create', caller: p, depth: 1, dst: 4 }, { kind: 'cap_copy', caller: p, src: 4, dst: 5, rights: ['write'], badge: 7 }],
      faults: [
        set('src in CSpace', 'src', () => P_SLOTS),
        set('src holds a cap', 'src', () => 6),
        set('a badge goes on an endpoint cap', 'badge', () => 3),
        set('rights within the source\'s', 'rights', () => ['write', 'read']),
        setAll('a badge is set once', { src: 5, badge: 2 }),
        set('dst in CSpace', 'dst', () => P_SLOTS),
        set('dst empty', 'dst', () => 0),
      ],
    },
    {
      // P sends on an endpoint of its own, carrying a cap.
      call: { kind: 'ep_send', caller: p, slot: 4, payload: 1, xfer: 1 },
      before: [{ kind: 'ep_create', caller: p, depth: 1, dst: 4 }, { kind: 'cap_copy', caller: p, src: 4, dst: 5, rights: ['write'] }, { kind: 'ep_create', caller: p, depth: 1, dst: 3 }, { kind: 'ep_send', caller: p, slot: 3, payload: 0 }],
      faults: [
        set('slot in CSpace', 'slot', () => P_SLOTS),
        set('slot holds a cap', 'slot', () => 6),
        set('slot is a endpoint cap', 'slot', () => 1),
        set('slot rights', 'slot', () => 5),
        set('xfer in CSpace', 'xfer', () => P_SLOTS),
        set('xfer holds a cap', 'xfer', () => 6),
        set('queue has room', 'slot', () => 3),
      ],
    },
    {
      // P registers a service in the tables its container uses (its own, or shared with the root's).
      call: { kind: 'svc_register', caller: p, name: 'edge', slot: 4 },
      before: [{ kind: 'ep_create', caller: p, depth: 1, dst: 4 }, { kind: 'cap_copy', caller: p, src: 4, dst: 5, rights: ['write'] }, { kind: 'ep_create', caller: 0, depth: 1, dst: SPARE[1] }, { kind: 'svc_register', caller: 0, name: 'taken', slot: SPARE[1] }, { kind: 'svc_register', caller: p, name: 'taken', slot: 4 }],
      faults: [
        set('slot in CSpace', 'slot', () => P_SLOTS),
        set('slot holds a cap', 'slot', () => 6),
        set('slot is a endpoint cap', 'slot', () => 1),
        set('slot rights', 'slot', () => 5),
        set('name free', 'name', () => 'taken'),
      ],
    },
    ...(['svc', 'net', 'mount'] as const).map((table): Faultable => {
      // P unbinds a name bound in its tables (by init, when they are the root's): as uid 0 of their owner, or not.
      const key = table === 'svc' ? { name: 'edge' } : table === 'net' ? { port: 7 } : { path: '/edge' }
      const bind = (caller: number, slot: number): Call => (table === 'svc' ? { kind: 'svc_register', caller, slot, ...key }
        : table === 'net' ? { kind: 'net_bind', caller, slot, ...key } : { kind: 'mount', caller, slot, rights: ['read'], ...key })
      const unbind: Call = { kind: table === 'svc' ? 'svc_unregister' : table === 'net' ? 'net_unbind' : 'unmount', caller: p, ...key }
      return {
        call: unbind,
        before: [{ kind: 'ep_create', caller: 0, depth: 1, dst: SPARE[1] }, bind(0, SPARE[1]), { kind: 'ep_create', caller: p, depth: 1, dst: 4 }, bind(p, 4)],
        faults: [setAll('name bound', table === 'svc' ? { name: 'unbound' } : table === 'net' ? { port: 8 } : { path: '/unbound' })],
      }
    }),
  ]
}

/** `call` with `faults` applied, remembered as breaking their checks (and `also`, full names). */
function broken(call: Call, faults: ReadonlyArray<Fault>, also: ReadonlyArray<string> = []): Call {
  const made = faults.reduce((at, fault) => fault.apply(at), call)
  const checks = [...also, ...faults.map((fault) => `${String(call['kind'])}: ${fault.check}`)]
  if (checks.length > 0) BROKEN.set(made, checks)
  return made
}

/** The faults at `chosen`, less any that sets a field an earlier one set. */
function compatible(faults: ReadonlyArray<Fault>, chosen: ReadonlyArray<number>): Fault[] {
  const fields = new Set<string>()
  return chosen.map((index) => faults[index]!).filter((fault) => {
    if (fault.fields.some((field) => fields.has(field))) return false
    for (const field of fault.fields) fields.add(field)
    return true
  })
}

/**
 * The faulted-call fragment: a valid call with zero, one or two of its checks
 * broken; or, for a call P makes, one broken after P has spent its container's
 * CPU budget (the budget check comes first, kernel.md §8).
 */
function faulted(k: Known): fc.Arbitrary<Fragment> {
  const all = faultables(k)
  return fc.tuple(fc.integer({ min: 0, max: all.length - 1 }), fc.integer({ min: 0, max: 4 })).chain(([index, spent]) => {
    const target = all[index]!
    const byP = target.call['caller'] === k.p
    const keys = [...target.faults.keys()]
    // Mostly two faults: pairs are many, and each is met only by a call breaking both.
    const picked = keys.length < 2 ? fc.subarray(keys, { maxLength: 1 })
      : fc.oneof({ weight: 1, arbitrary: fc.subarray(keys, { maxLength: 1 }) }, { weight: 3, arbitrary: fc.shuffledSubarray(keys, { minLength: 2, maxLength: 2 }) })
    return picked.map((chosen): Fragment => {
      const faults = compatible(target.faults, chosen)
      if (!byP || spent > 0 || faults.length !== 1) return [...(target.before ?? []), broken(target.call, faults)]
      // P's calls so far cost one unit each: spend the rest of C's budget, then the faulted call.
      const used = (target.before ?? []).filter((call) => call['caller'] === k.p).length
      return [
        ...(target.before ?? []), ...Array.from({ length: Math.max(0, k.limits.cpuBudget - used) }, () => ({ kind: 'process_list', caller: k.p })),
        broken(target.call, faults, [`${String(target.call['kind'])}: CPU budget left`]),
      ]
    })
  })
}

/**
 * An edge fragment whose process P has creation index `p` (so it must come where
 * that is known: first in a sequence, 1, or right after the deep preamble, 4).
 */
export function edgeFragment(p: number): fc.Arbitrary<Fragment> {
  return fc.record({ limits: limitsArb, namespaces: namespacesArb, device: fc.constantFrom<0 | 1>(0, 1), pick: fc.nat(13) }).chain(({ limits, namespaces, device, pick }) => {
    // P needs its device allowed to be spawned with it; some probes take it away later.
    const withDevice: Limits = { ...limits, devices: [...new Set([...limits.devices, DEVICES[device]])] }
    const known: Known = { p, limits: withDevice, device, pick, userCount: namespaces.user === 'share' ? ROOT_UID_COUNT : namespaces.user.count }
    return fc.oneof({ weight: 1, arbitrary: probes(known) }, { weight: 2, arbitrary: faulted(known) }).map((rest): Fragment => [...setup(known, namespaces), ...rest])
  })
}
