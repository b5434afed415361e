/**
 * Robustness: syscalls with garbage arguments of every shape (negative, fractional,
 * NaN, infinite, huge, wrong type, missing, extra nesting, unknown kinds, not an
 * object at all), mixed into ordinary sequences. Model and kernel must not throw,
 * must agree, must refuse with an error (`InvalidArgument` unless the caller's
 * state or a slot check decides first), and a refused syscall changes nothing but
 * the caller's CPU charge.
 * @module
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { firstDifference } from '../../refinement/diff.js'
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

/** The state is unchanged but for the CPU charge of the caller's container. */
function changedBeyondCpu(before: KernelState, after: KernelState): string | null {
  for (const key of Object.keys(before) as (keyof KernelState)[]) {
    if (key === 'ksObjects' || key.startsWith('gs')) continue
    const found = firstDifference(key, before[key], after[key])
    if (found !== null) return found.path
  }
  for (const [id, object] of before.ksObjects) {
    const now = after.ksObjects.get(id)
    const comparable = object.kind === 'container' && now?.kind === 'container' ? { ...now, usage: { ...now.usage, cpuBudget: object.usage.cpuBudget } } : now
    const found = firstDifference(`ksObjects[${id}]`, object, comparable)
    if (found !== null) return found.path
  }
  return after.ksObjects.size === before.ksObjects.size ? null : 'ksObjects.size'
}

function checkRobust(scenario: ReadonlyArray<RobustStep>, context: SuiteContext): SuiteFailure | null {
  let model = boot(PROPERTY_BOOT, IMAGE_POOL)
  const kernel = context.target.create(PROPERTY_BOOT, IMAGE_POOL)
  for (let index = 0; index < scenario.length; index++) {
    const { garbage, syscall } = scenario[index]!
    let result
    let outcome
    try {
      result = modelStep(model, syscall)
    } catch (error) {
      return { step: index, invariant: 'ROBUST', message: `model threw: ${String(error)}` }
    }
    try {
      outcome = kernel.step(syscall)
    } catch (error) {
      return { step: index, invariant: 'ROBUST', message: `kernel threw: ${String(error)}`, model: result.outcome }
    }
    context.coverage?.observe(syscall, result.outcome, result.state)
    const difference = firstDifference('outcome', result.outcome, outcome)
    if (difference !== null) return { step: index, invariant: 'REF-1', message: `outcomes differ on ${garbage ? 'garbage' : 'a valid syscall'}`, model: result.outcome, kernel: outcome, difference }
    if (E.isLeft(result.outcome)) {
      const changed = changedBeyondCpu(model, result.state)
      if (changed !== null) return { step: index, invariant: 'ROBUST', message: `a refused syscall changed ${changed}`, model: result.outcome }
    }
    model = result.state
  }
  return null
}

export const robustnessSuite: Suite = {
  name: 'robustness',
  description: 'garbage arguments of every shape never throw, are refused, and change nothing but the CPU charge',
  covers: ['InvalidArgument', 'no exceptions', 'failed syscalls change nothing'],
  scenario: (maxSteps) => fc.array(fc.oneof(
    { weight: 3, arbitrary: corrupted.map((syscall): RobustStep[] => [{ garbage: true, syscall }]) },
    { weight: 2, arbitrary: singleSyscall.map((syscall): RobustStep[] => [{ garbage: false, syscall }]) },
    { weight: 1, arbitrary: nestFragment.map((f: Fragment): RobustStep[] => f.map((syscall) => ({ garbage: false, syscall }))) },
  ), { minLength: 1, maxLength: maxSteps }).map((steps) => steps.flat().slice(0, maxSteps)),
  check: (scenario, context) => checkRobust(scenario as ReadonlyArray<RobustStep>, context),
  executed: (scenario) => (scenario as ReadonlyArray<RobustStep>).map((s) => s.syscall),
}
