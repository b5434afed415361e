/**
 * Changes planted at known places of real model states, for the tests of the
 * comparisons (refinement/diff.ts, the impl's incremental compare): every leaf of
 * a state can be reached and changed, in a deep copy or in a copy that shares
 * every untouched entry with the original, as the model's own step does.
 */
import type { KernelState } from '../../model/state.js'

/** Where a leaf of a state can be changed: the steps to it, and the path diff.ts names it by. */
export interface Place { readonly steps: ReadonlyArray<string | number | { map: unknown }>; readonly path: string; readonly leaf: unknown }

export function places(value: unknown, path: string, steps: Place['steps'], out: Place[]): Place[] {
  if (value instanceof Map) for (const [key, inner] of value) places(inner, `${path}[${JSON.stringify(key)}]`, [...steps, { map: key }], out)
  else if (value instanceof Set) out.push({ steps, path, leaf: value })
  else if (Array.isArray(value)) value.forEach((inner, index) => places(inner, `${path}[${index}]`, [...steps, index], out))
  else if (typeof value === 'object' && value !== null) for (const [key, inner] of Object.entries(value)) places(inner, `${path}.${key}`, [...steps, key], out)
  else if (value !== undefined) out.push({ steps, path, leaf: value })
  return out
}

/** A deep copy that shares nothing (structuredClone keeps two references to one object as one). */
export function copyOf(value: unknown): unknown {
  if (value instanceof Map) return new Map([...value].map(([key, inner]) => [key, copyOf(inner)]))
  if (value instanceof Set) return new Set(value)
  if (Array.isArray(value)) return value.map(copyOf)
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, copyOf(inner)]))
  return value
}

/** A copy of `state` with the leaf at `place` changed (a Set gains a member). */
export function changed(state: KernelState, place: Place): KernelState {
  const copy = copyOf(state) as Record<string, unknown>
  let parent: unknown = copy
  for (const step of place.steps.slice(0, -1)) parent = typeof step === 'object' ? (parent as Map<unknown, unknown>).get(step.map) : (parent as Record<string | number, unknown>)[step]
  const last = place.steps[place.steps.length - 1]!
  const leaf = place.leaf
  const other = otherThan(leaf)
  if (typeof last === 'object') (parent as Map<unknown, unknown>).set(last.map, other)
  else (parent as Record<string | number, unknown>)[last] = other
  return copy as unknown as KernelState
}

/** At most `count` of the places, spread over all of them (every field keeps a chance). */
export function spread(all: Place[], count = 150): Place[] {
  const stride = Math.max(1, Math.floor(all.length / count))
  return all.filter((_, index) => index % stride === 0)
}

/** The value a planted change puts in place of `leaf`. */
function otherThan(leaf: unknown): unknown {
  return leaf instanceof Set ? new Set([...leaf, -1]) : typeof leaf === 'number' ? leaf + 1 : typeof leaf === 'string' ? `${leaf}x` : typeof leaf === 'boolean' ? !leaf : 0
}

/**
 * A copy of `state` with what is at `steps` replaced by `at(value)`, sharing
 * everything off the path: the Maps, arrays and records on the path are new,
 * every other entry is the original's own (what the model's step hands an
 * incremental compare).
 */
function rebuiltAlong(state: KernelState, steps: Place['steps'], at: (value: unknown) => unknown): KernelState {
  const rebuild = (value: unknown, depth: number): unknown => {
    if (depth === steps.length) return at(value)
    const step = steps[depth]!
    if (typeof step === 'object') {
      const map = new Map(value as Map<unknown, unknown>)
      map.set(step.map, rebuild(map.get(step.map), depth + 1))
      return map
    }
    if (Array.isArray(value)) {
      const array = value.slice()
      array[step as number] = rebuild(array[step as number], depth + 1)
      return array
    }
    const record = value as Record<string | number, unknown>
    return { ...record, [step]: rebuild(record[step], depth + 1) }
  }
  return rebuild(state, 0) as KernelState
}

/** A copy of `state` with the leaf at `place` changed, sharing everything off the path to it. */
export function changedShared(state: KernelState, place: Place): KernelState {
  return rebuiltAlong(state, place.steps, () => otherThan(place.leaf))
}

/** Where an array of a state is: the steps to it (every array, however deep: slots, mappings, queues, process indexes). */
export function arrays(value: unknown, steps: Place['steps'], out: Array<Place['steps']>): Array<Place['steps']> {
  if (value instanceof Map) for (const [key, inner] of value) arrays(inner, [...steps, { map: key }], out)
  else if (Array.isArray(value)) { out.push(steps); value.forEach((inner, index) => arrays(inner, [...steps, index], out)) }
  else if (typeof value === 'object' && value !== null && !(value instanceof Set)) for (const [key, inner] of Object.entries(value)) arrays(inner, [...steps, key], out)
  return out
}

/** A copy of `state` (shared off the path) whose array at `steps` lost its last element, or gained a copy of it (an empty one gains a 0). */
export function resizedArray(state: KernelState, steps: Place['steps'], grow: boolean): KernelState {
  return rebuiltAlong(state, steps, (value) => {
    const array = (value as unknown[]).slice()
    if (grow) array.push(array.length === 0 ? 0 : array[array.length - 1])
    else array.pop()
    return array
  })
}
