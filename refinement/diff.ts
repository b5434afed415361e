/**
 * Structural comparison of states and outcomes for the refinement check: the first
 * difference, located by a readable path. Ghost fields (`gs*`) are the model's
 * bookkeeping for invariants, not kernel state: they are compared only where the
 * kernel's abstraction says it keeps them (Abstraction.ghosts).
 * @module
 */
import type { KernelState } from '../model/state.js'
import type { StateDifference } from './target.js'

/**
 * The first difference between two plain values (Maps, Sets, arrays, objects), or
 * null. Equal values are walked once, without building a path: a path is
 * written only down the branch where the values differ (most comparisons, one
 * per step of a check or of `--refine`, find none).
 */
export function firstDifference(path: string, model: unknown, kernel: unknown): StateDifference | null {
  return sameValue(model, kernel) ? null : differenceIn(path, model, kernel)
}

/** Where two values {@link sameValue} finds unequal differ first: Map keys in ascending order, then array indexes, then object keys (the model's first). */
function differenceIn(path: string, model: unknown, kernel: unknown): StateDifference {
  if (model instanceof Map && kernel instanceof Map) {
    const keys = [...new Set([...model.keys(), ...kernel.keys()])].sort((a, b) => (a as number) - (b as number))
    for (const key of keys) {
      const at = `${path}[${JSON.stringify(key)}]`
      if (!model.has(key)) return { path: at, model: undefined, kernel: kernel.get(key) }
      if (!kernel.has(key)) return { path: at, model: model.get(key), kernel: undefined }
      if (!sameValue(model.get(key), kernel.get(key))) return differenceIn(at, model.get(key), kernel.get(key))
    }
  } else if (model instanceof Set && kernel instanceof Set) {
    return { path, model: [...model], kernel: [...kernel] }
  } else if (Array.isArray(model) && Array.isArray(kernel)) {
    if (model.length !== kernel.length) return { path: `${path}.length`, model: model.length, kernel: kernel.length }
    for (let index = 0; index < model.length; index++) {
      if (!sameValue(model[index], kernel[index])) return differenceIn(`${path}[${index}]`, model[index], kernel[index])
    }
  } else if (isPlainObject(model) && isPlainObject(kernel)) {
    for (const key of new Set([...Object.keys(model), ...Object.keys(kernel)])) {
      if (!sameValue(model[key], kernel[key])) return differenceIn(`${path}.${key}`, model[key], kernel[key])
    }
  }
  return { path, model, kernel }
}

/**
 * Whether two plain values are equal as {@link firstDifference} compares them:
 * Maps by their keys and values, Sets by their members, arrays and plain
 * objects field by field (a missing key reads as undefined), the rest by
 * `Object.is`.
 */
function sameValue(model: unknown, kernel: unknown): boolean {
  if (Object.is(model, kernel)) return true
  if (model instanceof Map && kernel instanceof Map) {
    if (model.size !== kernel.size) return false
    for (const [key, value] of model) if (!kernel.has(key) || !sameValue(value, kernel.get(key))) return false
    return true
  }
  if (model instanceof Set && kernel instanceof Set) {
    if (model.size !== kernel.size) return false
    for (const value of model) if (!kernel.has(value)) return false
    return true
  }
  if (Array.isArray(model) && Array.isArray(kernel)) {
    if (model.length !== kernel.length) return false
    for (let index = 0; index < model.length; index++) if (!sameValue(model[index], kernel[index])) return false
    return true
  }
  if (isPlainObject(model) && isPlainObject(kernel)) {
    for (const key in model) if (Object.hasOwn(model, key) && !sameValue(model[key], kernel[key])) return false
    for (const key in kernel) if (Object.hasOwn(kernel, key) && !Object.hasOwn(model, key) && !sameValue(undefined, kernel[key])) return false
    return true
  }
  return false
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Set)
}

const NO_GHOSTS: ReadonlyArray<string> = []

/** The first difference between two kernel states, ignoring ghost fields but those `ghosts` names (the kernel keeps them: Abstraction.ghosts). */
export function diffStates(model: KernelState, kernel: KernelState, ghosts: ReadonlyArray<string> = NO_GHOSTS): StateDifference | null {
  for (const key of Object.keys(model) as (keyof KernelState)[]) {
    if (key.startsWith('gs') && !ghosts.includes(key)) continue
    const found = firstDifference(key, model[key], kernel[key])
    if (found !== null) return found
  }
  return null
}

/**
 * Where a refused syscall changed the state beyond the CPU charge of step 1
 * (docs/decisions.md, "Syscall checking order": a failed syscall changes nothing
 * but that charge), or null. Ghost fields are not compared.
 */
export function refusalChange(before: KernelState, after: KernelState): string | null {
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
