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
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 7, 'cap_copy', [], { kind: 'reboot', caller: 0 }, { kind: 'tick', extra: 1 }, { kind: 'sched_run', quanta: 0 }, { kind: 'sched_run', quanta: 1e9 }, { caller: 0 }) },
  { weight: 2, arbitrary: fc.jsonValue() },
)

/**
 * One valid syscall of init (process 0, which holds caps from boot, so that the
 * caller's state seldom decides first) with each of its fields replaced by garbage
 * in turn (the kind aside): every argument check of that kind meets a bad value in
 * one run, whatever field the handler checks first or forgets.
 */
const sweep: fc.Arbitrary<unknown[]> = fc.tuple(fc.oneof(singleSyscall, namespaceSyscall), fc.constantFrom(...GARBAGE))
  .map(([syscall, junk]) => Object.keys(syscall).filter((k) => k !== 'kind').map((key) => ({ ...syscall, caller: 0, [key]: junk })))

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
    { weight: 3, arbitrary: sweep.map((syscalls): RobustStep[] => syscalls.map((syscall) => ({ garbage: true, syscall }))) },
    { weight: 2, arbitrary: singleSyscall.map((syscall): RobustStep[] => [{ garbage: false, syscall }]) },
    { weight: 1, arbitrary: nestFragment.map((f: Fragment): RobustStep[] => f.map((syscall) => ({ garbage: false, syscall }))) },
  ), { minLength: 1, maxLength: maxSteps }).map((steps) => steps.flat().slice(0, maxSteps)),
  check: (scenario, context) => checkRobust(scenario as ReadonlyArray<RobustStep>, context),
  executed: (scenario) => (scenario as ReadonlyArray<RobustStep>).map((s) => s.syscall),
}
