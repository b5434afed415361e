/**
 * The rights table of kernel.md §2 (with §3-§7's "needs `control`", "needs
 * `read`", ...), exercised: for every syscall that needs a right on a slot's cap,
 * a cap with exactly the rights it needs is not refused for rights, and a cap
 * with every right its object's kind can carry but one of those it needs is
 * refused with InsufficientRights. No invariant of the catalogue states that a
 * syscall succeeds only with the rights it needs (ISO-1 reads the caps held, not
 * the rights exercised): an `ep_recv` that asked for write instead of read, made
 * the same way in the model and the impl, passed `sila check`'s invariant
 * suites. The expected rights are written here from kernel.md, not read from
 * the model.
 * @module
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import type { KernelState } from '../../model/state.js'
import { step } from '../../model/step.js'
import { type RightName, RIGHT_NAMES } from '../../spec/rights.js'
import { DISK_SLOT, IMAGES, INIT, ROOT_SLOT, SHARE_ALL, bootWith, limits, must, sc } from './fixtures.js'

const started = Date.now()
const met = new Map<string, number>()
const count = (what: string) => met.set(what, (met.get(what) ?? 0) + 1)

/** Init's slots: an endpoint with a message queued (5), a data region (6), a code region (7), a child container (8), a process in it (9). */
const EP = 5
const DATA = 6
const CODE = 7
const CHILD = 8
const PROC = 9
/** Where each case's weakened copy goes. */
const COPY = 10

/** kernel.md §2: the rights each kind's caps can carry (its original cap's). */
const KIND_RIGHTS: Record<string, RightName[]> = {
  endpoint: ['read', 'write', 'grant'],
  'data region': ['read', 'write', 'control'],
  'code region': ['read', 'execute', 'control'],
  container: [...RIGHT_NAMES],
  process: [...RIGHT_NAMES],
  device: ['write'],
}

interface Case {
  readonly what: string
  /** The slot whose cap is copied with the rights under test. */
  readonly source: number
  readonly kind: keyof typeof KIND_RIGHTS
  /** kernel.md's rights for this syscall on that cap. */
  readonly needs: RightName[]
  readonly syscall: (slot: number) => Record<string, unknown>
}

const CASES: ReadonlyArray<Case> = [
  { what: 'ep_send', source: EP, kind: 'endpoint', needs: ['write'], syscall: (slot) => sc.send(INIT, slot, 1) },
  { what: 'ep_send with a transfer', source: EP, kind: 'endpoint', needs: ['write', 'grant'], syscall: (slot) => sc.send(INIT, slot, 1, DATA) },
  { what: 'ep_recv', source: EP, kind: 'endpoint', needs: ['read'], syscall: (slot) => sc.recv(INIT, slot) },
  { what: 'net_bind', source: EP, kind: 'endpoint', needs: ['read'], syscall: (slot) => sc.bind(INIT, 80, slot) },
  { what: 'svc_register', source: EP, kind: 'endpoint', needs: ['read'], syscall: (slot) => sc.register(INIT, 'svc', slot) },
  { what: 'mem_map read', source: DATA, kind: 'data region', needs: ['read'], syscall: (slot) => sc.map(INIT, slot, ['read']) },
  { what: 'mem_map write', source: DATA, kind: 'data region', needs: ['write'], syscall: (slot) => sc.map(INIT, slot, ['write']) },
  { what: 'mem_map read+write', source: DATA, kind: 'data region', needs: ['read', 'write'], syscall: (slot) => sc.map(INIT, slot, ['read', 'write']) },
  { what: 'mem_map execute', source: CODE, kind: 'code region', needs: ['execute'], syscall: (slot) => sc.map(INIT, slot, ['execute']) },
  { what: 'mem_map read+execute', source: CODE, kind: 'code region', needs: ['read', 'execute'], syscall: (slot) => sc.map(INIT, slot, ['read', 'execute']) },
  { what: 'io_submit', source: DISK_SLOT, kind: 'device', needs: ['write'], syscall: (slot) => sc.io(INIT, slot, 1) },
  { what: 'container_create', source: CHILD, kind: 'container', needs: ['control'], syscall: (slot) => sc.create(INIT, slot, 11, limits({ memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0, devices: [] })) },
  { what: 'container_destroy', source: CHILD, kind: 'container', needs: ['control'], syscall: (slot) => sc.destroy(INIT, slot) },
  { what: 'container_set_limits', source: CHILD, kind: 'container', needs: ['control'], syscall: (slot) => sc.setLimits(INIT, slot, limits()) },
  { what: 'container_stats', source: CHILD, kind: 'container', needs: ['read'], syscall: (slot) => sc.stats(INIT, slot) },
  { what: 'process_spawn', source: CHILD, kind: 'container', needs: ['control'], syscall: (slot) => sc.spawn(INIT, slot, 11, { image: IMAGES.tiny.digest }) },
  { what: 'process_kill', source: PROC, kind: 'process', needs: ['control'], syscall: (slot) => sc.kill(INIT, slot) },
]

/** Init holds one object of every kind a right is needed on; the endpoint has a message queued. */
function setUp(): KernelState {
  return must(bootWith(),
    sc.epCreate(INIT, EP), sc.send(INIT, EP, 7),
    sc.alloc(INIT, 64, DATA), sc.alloc(INIT, 64, CODE, true),
    sc.create(INIT, ROOT_SLOT, CHILD, limits(), SHARE_ALL), sc.spawn(INIT, CHILD, PROC, { image: IMAGES.tiny.digest }))
}

/** The outcome of `syscall` on a copy (slot COPY) of `source`'s cap with `rights`. */
function withRights(state: KernelState, source: number, rights: RightName[], syscall: (slot: number) => Record<string, unknown>) {
  return step(must(state, sc.copy(INIT, source, COPY, rights)), syscall(COPY)).outcome
}

const refusedForRights = (outcome: ReturnType<typeof withRights>) => E.isLeft(outcome) && outcome.left.code === 'InsufficientRights'

test('every syscall that needs rights on a cap: exactly those rights pass the rights check; each one missing is InsufficientRights', () => {
  const state = setUp()
  for (const { what, source, kind, needs, syscall } of CASES) {
    const exact = withRights(state, source, needs, syscall)
    assert.ok(!refusedForRights(exact), `${what} with exactly ${needs.join('+')} was refused for rights`)
    assert.ok(E.isRight(exact) || exact.left.code !== 'WrongKind', `${what}: WrongKind`)
    count(`${what} exact`)
    for (const missing of needs) {
      const others = KIND_RIGHTS[kind]!.filter((right) => right !== missing)
      const outcome = withRights(state, source, others, syscall)
      assert.ok(refusedForRights(outcome), `${what} without ${missing} (with ${others.join('+')}): ${JSON.stringify(outcome)}`)
      count(`${what} without ${missing}`)
    }
  }
})

test('coverage: every case and every right it needs was tried both ways (floors asserted)', () => {
  const seconds = (Date.now() - started) / 1000
  console.log(`  rights table (${seconds.toFixed(1)} s): ${[...met].sort().map(([what, n]) => `${what} ${n}`).join(', ')}`)
  for (const { what, needs } of CASES) {
    assert.ok((met.get(`${what} exact`) ?? 0) >= 1, `never met: ${what} exact`)
    for (const missing of needs) assert.ok((met.get(`${what} without ${missing}`) ?? 0) >= 1, `never met: ${what} without ${missing}`)
  }
  const rights = new Set(CASES.flatMap((c) => c.needs))
  assert.equal([...rights].sort(), ['control', 'execute', 'grant', 'read', 'write'])
})

test.run()
