/**
 * Every check of every handler, by name, in the order the handler runs them
 * (kernel.md §4 and §8; docs/decisions.md "Syscall checking order"). The names are
 * the ones the model's checks record (./check-log.ts); a test runs generated steps
 * and fails on a recorded name missing here, so this list cannot fall behind the
 * handlers. `sila check` reports each entry's decided-ok and decided-fail counts,
 * and the edge counts of the bounded ones, and names those never decided.
 * @module
 */
import { RESERVED_RESOURCES } from '../spec/limits.js'
import type { SyscallKind } from '../spec/syscalls.js'

const CALLER = ['caller well formed', 'caller running', 'CPU budget left']
const ARGUMENTS = 'arguments well formed'
const slot = (role: string) => [`${role} in CSpace`, `${role} holds a cap`]
const capTo = (role: string, kind: string) => [...slot(role), `${role} is a ${kind} cap`, `${role} rights`]
const dst = (role = 'dst') => [`${role} in CSpace`, `${role} empty`]
const ADMIN = 'caller is uid 0 of the table\'s owner'
const parentAvailable = RESERVED_RESOURCES.map((r) => `${r} within what the parent has available`)

const HANDLERS: Readonly<Record<SyscallKind, ReadonlyArray<string>>> = {
  cap_copy: [...slot('src'), 'a badge goes on an endpoint cap', 'rights within the source\'s', 'a badge is set once', ...dst()],
  cap_move: [...slot('src'), ...dst()],
  cap_delete: slot('slot'),
  cap_revoke: slot('slot'),
  cap_inspect: slot('slot'),
  container_create: [...capTo('parent', 'container'), ...dst(), 'uid map inside the parent\'s range', ...parentAvailable, 'devices within the parent\'s'],
  container_destroy: [...capTo('slot', 'container'), 'not the root container'],
  container_set_limits: [
    ...capTo('slot', 'container'), 'not the root container', ...RESERVED_RESOURCES.map((r) => `${r} covers usage and children`),
    'devices cover the children\'s', ...parentAvailable, 'devices within the parent\'s',
  ],
  container_stats: capTo('slot', 'container'),
  process_spawn: [
    'grants fit the slots', ...capTo('container', 'container'), ...slot('grant slot'), 'grant within the caller\'s cap', ...dst(),
    'image in the pool', 'uid mapped in the container', 'signed by a trusted key', 'version at or above the floor',
    'grants match the manifest\'s requests', 'processes quota', 'memoryBytes quota',
  ],
  process_kill: [...capTo('slot', 'process'), 'target running'],
  process_list: [],
  tick: [],
  sched_run: [ARGUMENTS],
  mem_alloc: [...dst(), 'memoryBytes quota'],
  mem_map: ['perms well formed (W^X)', ...capTo('slot', 'region'), 'no mapping through this cap yet'],
  mem_unmap: [...capTo('slot', 'region'), 'a mapping through this cap'],
  ep_create: [...dst(), 'endpoints quota'],
  ep_send: [...capTo('slot', 'endpoint'), ...slot('xfer'), 'queue has room'],
  ep_recv: [...capTo('slot', 'endpoint'), 'dst in CSpace', 'queue not empty'],
  mount: [...slot('slot'), 'rights within the source\'s', 'name free', ADMIN],
  unmount: ['name bound', ADMIN],
  resolve: [...dst(), 'name bound'],
  net_bind: [...capTo('slot', 'endpoint'), 'name free', ADMIN],
  net_unbind: ['name bound', ADMIN],
  net_connect: [...dst(), 'name bound'],
  svc_register: [...capTo('slot', 'endpoint'), 'name free', ADMIN],
  svc_unregister: ['name bound', ADMIN],
  svc_lookup: [...dst(), 'name bound'],
  io_submit: [...capTo('slot', 'device'), 'device in the container\'s set', 'ioBytes quota'],
}

/**
 * Checks the model records that cannot fail, left out of the catalogue: argument
 * decoding of syscalls with no arguments past the caller (process_list, tick), and
 * mem_unmap's rights check, which asks for no right (any cap to the region will do).
 */
export const NEVER_FAILING: ReadonlySet<string> = new Set(['process_list: arguments well formed', 'tick: arguments well formed', 'mem_unmap: slot rights'])

/** A check's full name, `syscall_kind: check`, as check coverage counts it. */
export interface CatalogueCheck {
  readonly name: string
  readonly syscall: SyscallKind
  /** A comparison against a bound: its edges (at the bound, one past) are counted too. */
  readonly bounded: boolean
}

const BOUNDED = /in CSpace$|quota$|within what the parent has available$|covers usage and children$|uid map inside|uid mapped|queue has room$|grants fit the slots$|CPU budget left$|at or above the floor$/

/** The catalogue: every check of every syscall kind. */
export const CHECK_CATALOGUE: ReadonlyArray<CatalogueCheck> = Object.entries(HANDLERS).flatMap(([syscall, checks]) =>
  [...(syscall === 'tick' || syscall === 'sched_run' ? [] : [...CALLER, ARGUMENTS]), ...checks].map((check) => ({
    name: `${syscall}: ${check}`, syscall: syscall as SyscallKind, bounded: BOUNDED.test(check),
  })).filter((check) => !NEVER_FAILING.has(check.name)))


/** A check's name without its syscall kind. */
const shortName = (name: string) => name.slice(name.indexOf(': ') + 2)

const RESOURCE_OF = new RegExp(`^(${[...RESERVED_RESOURCES, 'devices'].join('|')})\\b|^devices `)

/**
 * The error a check answers when it alone fails (kernel.md §8): `QuotaExceeded(r)`
 * names the resource. A test holds the model's refusals to it.
 */
export function checkError(name: string): string {
  const check = shortName(name)
  const quota = /quota$|within what the parent has available$|covers usage and children$|^devices (within|cover)/.test(check)
  if (quota) return `QuotaExceeded(${RESOURCE_OF.exec(check)?.[1] ?? 'devices'})`
  const rules: ReadonlyArray<readonly [RegExp, string]> = [
    [/^caller running$|^target running$/, 'NotRunning'],
    [/^CPU budget left$/, 'BudgetExhausted'],
    [/well formed|^grants fit the slots$/, 'InvalidArgument'],
    [/ in CSpace$/, 'InvalidSlot'],
    [/ holds a cap$/, 'EmptySlot'],
    [/ is an? \w+ cap$|^a badge goes on an endpoint cap$/, 'WrongKind'],
    [/ rights$|^rights within the source's$|^a badge is set once$|^grant within the caller's cap$/, 'InsufficientRights'],
    [/^queue not empty$/, 'QueueEmpty'],
    [/ empty$/, 'SlotOccupied'],
    [/^image in the pool$|^name bound$|^a mapping through this cap$/, 'NotFound'],
    [/^name free$|^no mapping through this cap yet$/, 'AlreadyExists'],
    [/^signed by a trusted key$/, 'SignatureInvalid'],
    [/floor$/, 'RollbackDenied'],
    [/^grants match/, 'PolicyDenied'],
    [/^queue has room$/, 'QueueFull'],
    [/uid map|^not the root container$|^device in the container's set$|^caller is uid 0/, 'PermissionDenied'],
  ]
  return rules.find(([pattern]) => pattern.test(check))?.[1] ?? 'unknown'
}

/** The slot argument a check looks at (`src`, `dst`, `grant slot`, …), or null. */
function roleOf(check: string): string | null {
  if (check === 'grant within the caller\'s cap') return 'grant slot'
  return /^(.+?) (in CSpace|holds a cap|is an? \w+ cap|rights|empty)$/.exec(check)?.[1] ?? null
}

/** Checks that read the object of the handler's main slot argument (its container, endpoint, region, process, device or source cap). */
const READS_OBJECT = new Set([
  'uid map inside the parent\'s range', ...RESERVED_RESOURCES.map((r) => `${r} within what the parent has available`), 'devices within the parent\'s',
  'not the root container', ...RESERVED_RESOURCES.map((r) => `${r} covers usage and children`), 'devices cover the children\'s',
  'uid mapped in the container', 'grants match the manifest\'s requests', 'target running', 'no mapping through this cap yet',
  'a mapping through this cap', 'queue has room', 'queue not empty', 'device in the container\'s set', 'rights within the source\'s',
  'a badge goes on an endpoint cap', 'a badge is set once',
])

/** Whether check `later` means nothing once `earlier` fails: there is then no caller, no arguments, no cap or object or image for it to look at. */
function dependsOn(kind: string, earlier: string, later: string): boolean {
  if (earlier === 'caller well formed' || earlier === 'caller running' || earlier === 'arguments well formed') return true
  const role = roleOf(earlier)
  if (role !== null && role === roleOf(later)) return true
  // A cap refused for its rights still names its object: the checks that read the object can fail with it.
  const objectGone = role !== null && !/ rights$/.test(earlier)
  if (objectGone && role !== 'dst' && role !== 'grant slot' && role !== 'xfer' && READS_OBJECT.has(later)) return true
  if (kind === 'process_spawn' && (objectGone && role === 'container' && /quota$/.test(later))) return true
  if (kind === 'process_spawn' && role === 'grant slot' && later === 'grants match the manifest\'s requests') return true
  return earlier === 'image in the pool' && /signed|floor|grants match|memoryBytes quota/.test(later)
}

/** An ordered pair of checks of one handler: `earlier` runs first. */
export interface CheckPair {
  readonly syscall: SyscallKind
  readonly earlier: string
  readonly later: string
  /** `syscall: earlier » later`, as coverage counts it. */
  readonly key: string
  /** Why no state the kernel can reach fails both at once, for the pairs that cannot be met; absent for the others. */
  readonly unreachable?: string
}

/**
 * Pairs of {@link CHECK_PAIRS} no input can fail together, by family, each with
 * its reason: coverage counts them apart (met of reachable), so that the pairs it
 * names as never met are the generators' gaps.
 */
const UNREACHABLE: ReadonlyArray<{ readonly syscall: SyscallKind; readonly earlier: RegExp; readonly later: RegExp; readonly reason: string }> = [
  {
    syscall: 'cap_copy', earlier: /^a badge goes on an endpoint cap$/, later: /^a badge is set once$/,
    reason: 'only endpoint caps carry badges (cap_copy badges only those; boot refuses a badge on another), so a source that is not an endpoint cap is never badged',
  },
  {
    syscall: 'container_set_limits', earlier: /^not the root container$/, later: /within what the parent has available$|^devices within the parent's$/,
    reason: 'the root container has no parent: there is nothing to compare its new limits with',
  },
]

/** The key a pair of checks (full names, one handler) is counted under. */
export function pairKey(earlier: string, later: string): string {
  return `${earlier} » ${shortName(later)}`
}

/**
 * Every pair of checks whose order kernel.md §4 and §8 fix so that it shows: two
 * checks of one handler that answer different errors and can both fail on one
 * input (the later one still has a caller, arguments, a cap, an object and an
 * image to look at when the earlier fails). An input failing both must be
 * refused by the earlier; a kernel checking in another order answers the later's
 * error. `sila check` counts how often each was met. A few can never fail
 * together (`unreachable` says why): they are counted apart.
 */
export const CHECK_PAIRS: ReadonlyArray<CheckPair> = Object.keys(HANDLERS).flatMap((syscall) => {
  const checks = CHECK_CATALOGUE.filter((c) => c.syscall === syscall)
  return checks.flatMap((earlier, index) => checks.slice(index + 1)
    .filter((later) => checkError(earlier.name) !== checkError(later.name) && !dependsOn(syscall, shortName(earlier.name), shortName(later.name)))
    .map((later): CheckPair => {
      const pair = { syscall: syscall as SyscallKind, earlier: earlier.name, later: later.name, key: pairKey(earlier.name, later.name) }
      const reason = UNREACHABLE.find((family) => family.syscall === syscall && family.earlier.test(shortName(earlier.name)) && family.later.test(shortName(later.name)))?.reason
      return reason === undefined ? pair : { ...pair, unreachable: reason }
    }))
})
