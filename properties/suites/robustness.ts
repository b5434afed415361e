/**
 * Robustness: syscalls with garbage arguments of every shape (negative, fractional,
 * NaN, infinite, huge, wrong type, missing, extra nesting, unknown kinds, not an
 * object at all), mixed into ordinary sequences. Model and kernel, in lockstep,
 * must not throw, must agree on outcomes and on abstract states (a kernel that
 * refuses as the model does but with a side effect is caught here), must refuse
 * with an error (`InvalidArgument` unless the caller's state or a slot check
 * decides first), and a refused syscall changes nothing but the caller's CPU charge.
 * @module
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { refusalChange } from '../../refinement/diff.js'
import { Lockstep, describeDivergence } from '../../refinement/lockstep.js'
import { singleSyscall, namespaceSyscall, nestFragment, type Fragment } from '../generators.js'
import { IMAGE_POOL, PROPERTY_BOOT } from '../pool.js'
import type { Suite, SuiteContext, SuiteFailure } from '../suite.js'

interface RobustStep { readonly garbage: boolean; readonly syscall: unknown }

/** Values of every shape that no argument accepts (or, for slots, accepts as past the CSpace). */
export const GARBAGE: ReadonlyArray<unknown> = [
  -1, -0.5, 0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53, 2 ** 60, -(2 ** 31),
  '0', '', 'x'.repeat(5000), null, undefined, true, [], [1, 2], {}, { nested: { deeper: [null] } }, ['read', 'root'], ['fly'],
]

/** A valid syscall with one field replaced by garbage, deleted, or the whole thing replaced. */
const corrupted: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.oneof(singleSyscall, namespaceSyscall), fc.nat(), fc.constantFrom(...GARBAGE)).map(([syscall, pick, junk]) => {
    const keys = Object.keys(syscall).filter((k) => k !== 'kind')
    const key = keys[pick % keys.length]!
    return { ...syscall, [key]: junk }
  }) },
  { weight: 2, arbitrary: fc.tuple(singleSyscall, fc.nat()).map(([syscall, pick]) => {
    const keys = Object.keys(syscall).filter((k) => k !== 'kind' && k !== 'caller')
    const copy: Record<string, unknown> = { ...syscall }
    if (keys.length > 0) delete copy[keys[pick % keys.length]!]
    return copy
  }) },
  // Not an object at all: every shape a syscall can have but a record.
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, undefined, 7, Number.NaN, true, 'cap_copy', [], [{ kind: 'cap_inspect', caller: 0, slot: 0 }]) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>({ kind: 'reboot', caller: 0 }, { kind: 'tick', extra: 1 }, { kind: 'sched_run', quanta: 0 }, { kind: 'sched_run', quanta: 1e9 }, { caller: 0 }) },
  { weight: 2, arbitrary: fc.jsonValue() },
)

/**
 * One valid syscall of init (process 0, which holds caps from boot, so that the
 * caller's state seldom decides first) with each of its fields replaced by garbage
 * in turn (the kind aside): every argument check of that kind meets a bad value in
 * one run, whatever field the handler checks first or forgets. Half the time the
 * syscall is {@link aimed} at caps of the right kind.
 */
const sweep: fc.Arbitrary<RobustStep[]> = fc.tuple(fc.oneof(singleSyscall, namespaceSyscall), fc.constantFrom(...GARBAGE), fc.boolean())
  .map(([drawn, junk, aim]) => {
    const { setup, syscall } = aim ? aimed(drawn) : { setup: [], syscall: drawn }
    return [
      ...setup.map((step) => ({ garbage: false, syscall: step })),
      ...Object.keys(syscall).filter((k) => k !== 'kind').map((key) => ({ garbage: true, syscall: { ...syscall, caller: 0, [key]: junk } })),
      // Aimed, a destination at init's last slot and one past it (the CSpace's bound).
      ...(aim && 'dst' in syscall ? [INIT_SLOTS - 1, INIT_SLOTS].map((dst) => ({ garbage: false, syscall: { ...syscall, dst } })) : []),
    ]
  })

/** Init's slots (model/boot.ts): 0 holds the root container, 1 and 2 the devices; {@link aimed} makes an endpoint in 6 and a region in 5, and leaves 10 empty. */
const INIT_ROOT = 0
const INIT_DEVICE = 1
const AIM_REGION = 5
const AIM_ENDPOINT = 6
const AIM_EMPTY = 10
/** Init's CSpace size in the property boot (spec/boot.ts DEFAULT_BOOT). */
const INIT_SLOTS = PROPERTY_BOOT.init.slots

/**
 * A syscall of init whose cap arguments name a cap of the kind it needs (made
 * first when init has none at boot) and whose `dst` is empty, so that with all
 * its fields valid it would pass every check of the caller's state: the garbage
 * put in each field in turn is then the only thing wrong, and each argument
 * check alone decides (a handler that forgets one is seen at once).
 */
function aimed(syscall: Record<string, unknown>): { setup: Array<Record<string, unknown>>; syscall: Record<string, unknown> } {
  const setup: Array<Record<string, unknown>> = []
  const made = (kind: 'region' | 'endpoint'): number => {
    setup.push(kind === 'region'
      ? { kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst: AIM_REGION }
      : { kind: 'ep_create', caller: 0, depth: 2, dst: AIM_ENDPOINT })
    return kind === 'region' ? AIM_REGION : AIM_ENDPOINT
  }
  const kind = String(syscall['kind'])
  const aim: Record<string, unknown> = { ...syscall, caller: 0 }
  if ('dst' in aim) aim['dst'] = AIM_EMPTY
  if (kind === 'io_submit') aim['slot'] = INIT_DEVICE
  else if (kind.startsWith('container_') && 'slot' in aim) aim['slot'] = INIT_ROOT
  else if (kind === 'container_create') aim['parent'] = INIT_ROOT
  else if (kind === 'process_spawn') aim['container'] = INIT_ROOT
  else if (kind === 'mem_map' || kind === 'mem_unmap') aim['slot'] = made('region')
  else if (kind === 'ep_send' || kind === 'ep_recv' || kind === 'mount' || kind === 'net_bind' || kind === 'svc_register') aim['slot'] = made('endpoint')
  if (kind === 'mem_unmap') setup.push({ kind: 'mem_map', caller: 0, slot: AIM_REGION, perms: ['read'] })
  if (kind === 'ep_recv') setup.push({ kind: 'ep_send', caller: 0, slot: AIM_ENDPOINT, payload: 1 })
  return { setup, syscall: aim }
}

function checkRobust(scenario: ReadonlyArray<RobustStep>, context: SuiteContext): SuiteFailure | null {
  const lockstep = new Lockstep(context.target, PROPERTY_BOOT, IMAGE_POOL)
  const atBoot = lockstep.compareStates(-1)
  if (atBoot !== null) return { step: -1, invariant: 'REF-1', ...describeDivergence(atBoot) }
  const user = context.user ?? null
  const atBootUser = user?.(lockstep.model, -1) ?? null
  if (atBootUser !== null) return atBootUser
  for (let index = 0; index < scenario.length; index++) {
    const { garbage, syscall } = scenario[index]!
    const before = lockstep.model
    const { step, divergence } = lockstep.step(syscall)
    if (step === null) return { step: index, invariant: 'ROBUST', message: divergence === null ? 'no step' : describeDivergence(divergence).message }
    context.coverage?.observe(syscall, step.model, lockstep.model)
    const on = garbage ? 'garbage' : 'a valid syscall'
    if (divergence?.kind === 'outcome') return { step: index, invariant: 'REF-1', message: `outcomes differ on ${on}`, model: step.model, kernel: step.kernel, difference: divergence.difference }
    if (E.isLeft(step.model)) {
      const changed = refusalChange(before, lockstep.model)
      if (changed !== null) return { step: index, invariant: 'ROBUST', message: `a refused syscall changed ${changed}`, model: step.model }
    }
    if (divergence !== null) {
      const described = describeDivergence(divergence)
      const message = E.isLeft(step.model) ? `the kernel's refusal of ${on} changed more than the charge: ${described.message}` : `${described.message} after ${on}`
      return { step: index, invariant: 'REF-1', ...described, message, model: step.model, kernel: step.kernel }
    }
    const broken = user?.(lockstep.model, index) ?? null
    if (broken !== null) return broken
  }
  return null
}

export const robustnessSuite: Suite = {
  name: 'robustness',
  description: 'garbage arguments of every shape never throw, are refused, and change nothing but the CPU charge',
  covers: ['InvalidArgument', 'no exceptions', 'failed syscalls change nothing'],
  scenario: (maxSteps) => fc.array(fc.oneof(
    { weight: 3, arbitrary: corrupted.map((syscall): RobustStep[] => [{ garbage: true, syscall }]) },
    { weight: 3, arbitrary: sweep },
    { weight: 2, arbitrary: singleSyscall.map((syscall): RobustStep[] => [{ garbage: false, syscall }]) },
    { weight: 1, arbitrary: nestFragment.map((f: Fragment): RobustStep[] => f.map((syscall) => ({ garbage: false, syscall }))) },
  ), { minLength: 1, maxLength: maxSteps }).map((steps) => steps.flat().slice(0, maxSteps)),
  check: (scenario, context) => checkRobust(scenario as ReadonlyArray<RobustStep>, context),
  executed: (scenario) => (scenario as ReadonlyArray<RobustStep>).map((s) => s.syscall),
}
