/**
 * The kernels `sila check` can be pointed at, by name, so that worker threads can
 * build their own: `impl` (ours) and, later, the seeded mutants.
 * @module
 */
import type { RefinementTarget } from '../refinement/target.js'
import { implTarget } from '../refinement/abstraction.js'
import { modelTarget } from '../refinement/model-target.js'

const TARGETS = new Map<string, () => RefinementTarget>([
  ['impl', () => implTarget as unknown as RefinementTarget],
  ['model', () => modelTarget as unknown as RefinementTarget],
])

/** Adds a target (used by the mutant catalogue). */
export function registerTarget(name: string, make: () => RefinementTarget): void {
  TARGETS.set(name, make)
}

export function resolveTarget(name: string): RefinementTarget {
  const make = TARGETS.get(name)
  if (make === undefined) throw new Error(`unknown kernel target ${JSON.stringify(name)}`)
  return make()
}
