/**
 * Structural comparison of states and outcomes for the refinement check: the first
 * difference, located by a readable path. Ghost fields (`gs*`) are never compared:
 * they are the model's bookkeeping for invariants, not kernel state.
 * @module
 */
import type { KernelState } from '../model/state.js'
import type { StateDifference } from './target.js'

/** The first difference between two plain values (Maps, Sets, arrays, objects), or null. */
export function firstDifference(path: string, model: unknown, kernel: unknown): StateDifference | null {
  if (Object.is(model, kernel)) return null
  if (model instanceof Map && kernel instanceof Map) return mapDifference(path, model, kernel)
  if (model instanceof Set && kernel instanceof Set) {
    const missing = [...model].find((v) => !kernel.has(v)) ?? [...kernel].find((v) => !model.has(v))
    return missing === undefined ? null : { path, model: [...model], kernel: [...kernel] }
  }
  if (Array.isArray(model) && Array.isArray(kernel)) {
    if (model.length !== kernel.length) return { path: `${path}.length`, model: model.length, kernel: kernel.length }
    for (let index = 0; index < model.length; index++) {
      const found = firstDifference(`${path}[${index}]`, model[index], kernel[index])
      if (found !== null) return found
    }
    return null
  }
  if (isPlainObject(model) && isPlainObject(kernel)) {
    const keys = new Set([...Object.keys(model), ...Object.keys(kernel)])
    for (const key of keys) {
      const found = firstDifference(`${path}.${key}`, model[key], kernel[key])
      if (found !== null) return found
    }
    return null
  }
  return { path, model, kernel }
}

function mapDifference(path: string, model: Map<unknown, unknown>, kernel: Map<unknown, unknown>): StateDifference | null {
  const keys = [...new Set([...model.keys(), ...kernel.keys()])].sort((a, b) => (a as number) - (b as number))
  for (const key of keys) {
    const at = `${path}[${JSON.stringify(key)}]`
    if (!model.has(key)) return { path: at, model: undefined, kernel: kernel.get(key) }
    if (!kernel.has(key)) return { path: at, model: model.get(key), kernel: undefined }
    const found = firstDifference(at, model.get(key), kernel.get(key))
    if (found !== null) return found
  }
  return null
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Set)
}

/** The first difference between two kernel states, ignoring ghost fields. */
export function diffStates(model: KernelState, kernel: KernelState): StateDifference | null {
  for (const key of Object.keys(model) as (keyof KernelState)[]) {
    if (key.startsWith('gs')) continue
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
