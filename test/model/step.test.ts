/**
 * The step function as a whole: caller-state errors (InvalidArgument, NotRunning,
 * BudgetExhausted), malformed arguments of every shape for every syscall kind, and
 * purity (step never mutates its input, never throws).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import * as E from 'fp-ts/lib/Either.js'
import { step } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { SYSCALL_KINDS, CLOCK_KINDS, type SyscallKind } from '../../spec/syscalls.js'
import {
  DISK_SLOT, IMAGES, INIT, ROOT, ROOT_SLOT, assertOnlyCpuCharged, assertUnchanged, bootWith, expectError, expectOk, limits,
  must, run, sc, usageOf, world,
} from './fixtures.js'

// ---- caller state --------------------------------------------------------------------------------

const caller = suite('caller state')

caller('InvalidArgument: a caller that is not a natural number; no charge', () => {
  const before = bootWith()
  for (const ref of ['0', -1, 1.5, NaN, Infinity, null, undefined, 2 ** 53, {}, [0], true]) {
    const result = step(before, { ...sc.list(INIT), caller: ref })
    expectError(result.outcome, 'InvalidArgument')
    assertUnchanged(before, result.state)
  }
  const missing = step(before, { kind: 'cap_inspect', slot: 0 })
  expectError(missing.outcome, 'InvalidArgument')
  assertUnchanged(before, missing.state)
})
caller('NotRunning: never spawned, killed, destroyed with its container; no charge', () => {
  const w = world()
  for (const ref of [2, 1000]) {
    const result = step(w.state, sc.list(ref))
    expectError(result.outcome, 'NotRunning')
    assertUnchanged(w.state, result.state)
  }
  const killed = must(w.state, sc.kill(INIT, w.processSlot))
  const r1 = step(killed, sc.alloc(w.child, 1, 0))
  expectError(r1.outcome, 'NotRunning')
  assertUnchanged(killed, r1.state)
  const destroyed = must(w.state, sc.destroy(INIT, w.containerSlot))
  const r2 = step(destroyed, sc.list(w.child))
  expectError(r2.outcome, 'NotRunning')
  assertUnchanged(destroyed, r2.state)
})
caller('NotRunning comes before malformed arguments and before the budget', () => {
  const w = world({ limits: limits({ cpuBudget: 0 }) })
  const killed = must(w.state, sc.kill(INIT, w.processSlot))
  expectError(step(killed, { kind: 'nonsense', caller: w.child }).outcome, 'NotRunning')
  expectError(step(killed, sc.list(w.child)).outcome, 'NotRunning')
})
caller('BudgetExhausted: after cpuBudget syscalls (failed ones count too) the next changes nothing, not even the charge', () => {
  const w = world({ limits: limits({ cpuBudget: 3 }) })
  const r = run(w.state, sc.alloc(w.child, 10, 0), sc.del(w.child, 7), { kind: 'bogus', caller: w.child })
  expectOk(r.outcomes[0]!)
  expectError(r.outcomes[1]!, 'EmptySlot')
  expectError(r.outcomes[2]!, 'InvalidArgument')
  assert.is(usageOf(r.state, w.container).cpuBudget, 3)
  for (const syscall of [sc.alloc(w.child, 10, 1), sc.del(w.child, 0), sc.list(w.child), { kind: 'bogus', caller: w.child }, { ...sc.alloc(w.child, 1, 1), sizeBytes: -5 }]) {
    const result = step(r.state, syscall)
    expectError(result.outcome, 'BudgetExhausted')
    assertUnchanged(r.state, result.state)
  }
  // other containers are not affected
  expectOk(step(r.state, sc.list(INIT)).outcome)
})
caller('BudgetExhausted is reset by tick', () => {
  const w = world({ limits: limits({ cpuBudget: 1 }) })
  const spent = must(w.state, sc.list(w.child))
  expectError(step(spent, sc.list(w.child)).outcome, 'BudgetExhausted')
  const r = run(spent, sc.tick(), sc.list(w.child), sc.list(w.child))
  expectOk(r.outcomes[1]!)
  expectError(r.outcomes[2]!, 'BudgetExhausted')
  assert.is(usageOf(r.state, w.container).cpuBudget, 1)
})
caller('BudgetExhausted: what a container reserved to its children is not its own budget', () => {
  // the root has 10000; this call is charged 1 and reserves 9999 for the child: nothing is left
  const state = must(bootWith(), sc.create(INIT, ROOT_SLOT, 5, limits({ cpuBudget: 9999 })))
  const result = step(state, sc.list(INIT))
  expectError(result.outcome, 'BudgetExhausted')
  assertUnchanged(state, result.state)
})
caller('without CPU accounting nothing is charged and the budget never runs out', () => {
  const before = bootWith(undefined, { cpuAccounting: false })
  const r = run(before, sc.list(INIT), sc.del(INIT, 9))
  expectOk(r.outcomes[0]!)
  expectError(r.outcomes[1]!, 'EmptySlot')
  assertUnchanged(before, r.state)
})
caller.run()

// ---- malformed arguments -------------------------------------------------------------------------------

/** One well-formed syscall of each process kind (init is the caller, slot 5 holds an endpoint). */
const VALID: Record<Exclude<SyscallKind, 'tick' | 'sched_run'>, Record<string, unknown>> = {
  cap_copy: sc.copy(INIT, 5, 6, ['read'], 3),
  cap_move: sc.move(INIT, 5, 6),
  cap_delete: sc.del(INIT, 5),
  cap_revoke: sc.revoke(INIT, 5),
  cap_inspect: sc.inspect(INIT, 5),
  container_create: sc.create(INIT, ROOT_SLOT, 6),
  container_destroy: sc.destroy(INIT, 5),
  container_set_limits: sc.setLimits(INIT, 5, limits()),
  container_stats: sc.stats(INIT, ROOT_SLOT),
  process_spawn: sc.spawn(INIT, ROOT_SLOT, 6, { grants: [{ slot: 5, rights: ['write'] }] }),
  process_kill: sc.kill(INIT, 5),
  process_list: sc.list(INIT),
  mem_alloc: sc.alloc(INIT, 10, 6),
  mem_map: sc.map(INIT, 5, ['read']),
  mem_unmap: sc.unmap(INIT, 5),
  ep_create: sc.epCreate(INIT, 6, 2),
  ep_send: sc.send(INIT, 5, 1, DISK_SLOT),
  ep_recv: sc.recv(INIT, 5, 6),
  mount: sc.mount(INIT, '/a', 5, ['write']),
  unmount: sc.unmount(INIT, '/a'),
  resolve: sc.resolve(INIT, '/a', 6),
  net_bind: sc.bind(INIT, 80, 5),
  net_unbind: sc.unbind(INIT, 80),
  net_connect: sc.connect(INIT, 80, 6),
  svc_register: sc.register(INIT, 'echo', 5),
  svc_unregister: sc.unregister(INIT, 'echo'),
  svc_lookup: sc.lookup(INIT, 'echo', 6),
  io_submit: sc.io(INIT, DISK_SLOT, 10),
}
const OPTIONAL = new Set(['badge', 'xfer', 'dst:ep_recv'])
const BAD_VALUES: unknown[] = [-1, 0.5, NaN, Infinity, -Infinity, 2 ** 60, null, {}, [[]], 'not valid!', true, Symbol('s'), () => 0, 10n]

function acceptsAnyway(field: string, value: unknown): boolean {
  return (field === 'payload' && typeof value === 'string') || (field === 'executable' && typeof value === 'boolean')
}

const base = () => must(bootWith(), sc.epCreate(INIT, 5))

const malformed = suite('malformed arguments')

malformed('every process syscall kind has a well-formed example here, and it is accepted by the decoder', () => {
  const processKinds = SYSCALL_KINDS.filter((k) => !CLOCK_KINDS.includes(k))
  assert.equal(Object.keys(VALID).sort(), [...processKinds].sort())
  assert.is(processKinds.length, 28)
  const state = base()
  for (const [kind, syscall] of Object.entries(VALID)) {
    const result = step(state, syscall)
    if (E.isLeft(result.outcome)) assert.is.not(result.outcome.left.code, 'InvalidArgument', `${kind} example should be well formed`)
  }
})

malformed('each field of each kind set to a bad value → InvalidArgument, only the CPU charge, no throw', () => {
  const state = base()
  let cases = 0
  for (const [kind, syscall] of Object.entries(VALID)) {
    for (const field of Object.keys(syscall)) {
      if (field === 'kind' || field === 'caller') continue
      for (const value of BAD_VALUES) {
        if (acceptsAnyway(field, value)) continue
        const result = step(state, { ...syscall, [field]: value })
        assert.ok(E.isLeft(result.outcome) && result.outcome.left.code === 'InvalidArgument', `${kind}.${field} = ${String(value)}`)
        expectError(result.outcome, 'InvalidArgument')
        assertOnlyCpuCharged(state, result.state, ROOT)
        cases++
      }
    }
  }
  assert.ok(cases > 600, `${cases} cases`)
})

malformed('each required field missing → InvalidArgument', () => {
  const state = base()
  for (const [kind, syscall] of Object.entries(VALID)) {
    for (const field of Object.keys(syscall)) {
      if (field === 'kind' || field === 'caller' || OPTIONAL.has(field) || OPTIONAL.has(`${field}:${kind}`)) continue
      const { [field]: _, ...rest } = syscall
      const result = step(state, rest)
      expectError(result.outcome, 'InvalidArgument')
      assertOnlyCpuCharged(state, result.state, ROOT)
    }
  }
})

malformed('nested malformations: limits, namespaces, grants, rights', () => {
  const state = base()
  const cases: unknown[] = [
    { ...VALID.container_create, limits: { ...limits(), memoryBytes: -1 } },
    { ...VALID.container_create, limits: { ...limits(), devices: 'disk0' } },
    { ...VALID.container_create, limits: { ...limits(), cpuWeight: 0.5 } },
    { ...VALID.container_create, namespaces: { pid: 'new', mount: 'new', net: 'new', ipc: 'new' } },
    { ...VALID.container_create, namespaces: { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base: -1, count: 1 } } },
    { ...VALID.process_spawn, grants: [{ slot: 5 }] },
    { ...VALID.process_spawn, grants: [{ slot: 5, rights: ['write'] }, null] },
    { ...VALID.process_spawn, grants: [{ slot: 5.5, rights: [] }] },
    { ...VALID.cap_copy, rights: ['read', 'READ'] },
    { ...VALID.cap_copy, rights: [null] },
    { ...VALID.mem_map, perms: ['write', 'execute'] },
    { ...VALID.mem_map, perms: [] },
    { ...VALID.ep_send, payload: 'x'.repeat(4097) },
    { ...VALID.mount, path: '/a//b' },
    { ...VALID.svc_register, name: 'x'.repeat(65) },
  ]
  for (const syscall of cases) {
    const result = step(state, syscall)
    expectError(result.outcome, 'InvalidArgument')
    assertOnlyCpuCharged(state, result.state, ROOT)
  }
})

malformed('unknown kinds with a valid caller → InvalidArgument, charged', () => {
  const state = base()
  for (const kind of ['cap_copy2', 'CAP_COPY', '', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 42, null, undefined, {}, ['cap_copy']]) {
    const result = step(state, { kind, caller: INIT, slot: 5 })
    expectError(result.outcome, 'InvalidArgument')
    assertOnlyCpuCharged(state, result.state, ROOT)
  }
})

malformed('not a syscall at all (null, a number, a string, an array) → InvalidArgument, no charge', () => {
  const state = base()
  for (const syscall of [null, undefined, 0, 42, 'cap_copy', [], [1, 2], true, Object.create(null)]) {
    const result = step(state, syscall)
    expectError(result.outcome, 'InvalidArgument')
    assertUnchanged(state, result.state)
  }
})

malformed('property: any value in any field of any syscall never throws, and a failure changes at most the CPU charge', () => {
  const state = base()
  const kinds = Object.keys(VALID) as (keyof typeof VALID)[]
  fc.assert(fc.property(
    fc.constantFrom(...kinds), fc.nat(), fc.anything({ withBigInt: true, withNullPrototype: true, withObjectString: true }),
    (kind, fieldIndex, value) => {
      const syscall = VALID[kind]
      const fields = Object.keys(syscall).filter((f) => f !== 'kind')
      const field = fields[fieldIndex % fields.length]!
      const result = step(state, { ...syscall, [field]: value })
      if (E.isRight(result.outcome)) return
      if (field === 'caller' && (result.outcome.left.code === 'InvalidArgument' || result.outcome.left.code === 'NotRunning')) {
        assertUnchanged(state, result.state)
      } else {
        assertOnlyCpuCharged(state, result.state, ROOT)
      }
    }), { numRuns: 1000, seed: 7 })
})
malformed.run()

// ---- purity -------------------------------------------------------------------------------------------

const purity = suite('purity')

function snapshot(state: KernelState) {
  return structuredClone({
    objects: state.ksObjects, caps: state.ksCaps, namespaces: state.ksNamespaces, refs: state.ksProcessRefs,
    next: [state.ksObjectNext, state.ksCapNext, state.ksNamespaceNext, state.ksMessageSeqNext],
    messages: state.gsMessages, lastReceived: state.gsLastReceived, flows: state.gsFlows,
    images: state.ksImages, keyring: state.ksKeyring, floors: state.ksFloors,
  })
}

purity('step never mutates its input state (a long varied run, successes and failures, destruction included)', () => {
  const w = world({ image: IMAGES.manager.digest, grants: [{ slot: 3, rights: ['read', 'control'] }] })
  const syscalls: unknown[] = [
    sc.epCreate(INIT, 5, 2), sc.alloc(INIT, 100, 6), sc.map(INIT, 6, ['read']), sc.copy(INIT, 5, 7, ['write'], 4),
    sc.send(INIT, 7, 'x', 6), sc.send(INIT, 5, 1, 5), sc.send(INIT, 5, 2), sc.recv(INIT, 5, 8), sc.mount(INIT, '/m', 6, ['read']),
    sc.bind(INIT, 80, 5), sc.register(INIT, 'svc', 5), sc.lookup(INIT, 'svc', 9), sc.connect(INIT, 80, 10), sc.resolve(INIT, '/m', 11),
    sc.revoke(INIT, 6), sc.del(INIT, 5), sc.move(INIT, 7, 12), sc.inspect(INIT, 12), sc.io(INIT, DISK_SLOT, 5),
    sc.spawn(INIT, 3, 13), sc.list(INIT), sc.list(w.child), sc.create(w.child, 0, 1, limits({ memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0, devices: [] })),
    sc.stats(INIT, 3), sc.setLimits(INIT, 3, limits({ memoryBytes: 2 << 20 })), sc.tick(), sc.sched(10),
    sc.del(INIT, 99), { kind: 'junk', caller: INIT }, null, sc.kill(INIT, 13), sc.kill(INIT, 13),
    sc.unmount(INIT, '/m'), sc.unbind(INIT, 80), sc.unregister(INIT, 'svc'), sc.unmap(INIT, 6), sc.destroy(INIT, 3), sc.list(w.child),
  ]
  let state = w.state
  let successes = 0
  for (const syscall of syscalls) {
    const before = snapshot(state)
    const result = step(state, syscall)
    assert.ok(isDeepStrictEqual(snapshot(state), before), `step mutated its input on ${JSON.stringify(syscall)}`)
    if (E.isRight(result.outcome)) successes++
    state = result.state
  }
  assert.ok(successes >= 25, `${successes} successes`)
})

purity('the same input gives the same output (determinism)', () => {
  const w = world()
  const a = run(w.state, sc.epCreate(INIT, 5), sc.spawn(INIT, 3, 6), sc.destroy(INIT, 3))
  const b = run(w.state, sc.epCreate(INIT, 5), sc.spawn(INIT, 3, 6), sc.destroy(INIT, 3))
  assert.ok(isDeepStrictEqual(a, b))
})
purity.run()
