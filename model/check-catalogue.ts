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

const BOUNDED = /in CSpace$|quota$|within what the parent has available$|covers usage and children$|uid map inside|uid mapped|queue has room$|grants fit the slots$|CPU budget left$/

/** The catalogue: every check of every syscall kind. */
export const CHECK_CATALOGUE: ReadonlyArray<CatalogueCheck> = Object.entries(HANDLERS).flatMap(([syscall, checks]) =>
  [...(syscall === 'tick' || syscall === 'sched_run' ? [] : [...CALLER, ARGUMENTS]), ...checks].map((check) => ({
    name: `${syscall}: ${check}`, syscall: syscall as SyscallKind, bounded: BOUNDED.test(check),
  })).filter((check) => !NEVER_FAILING.has(check.name)))

