/**
 * The kernels the checkers can be pointed at, by name, so that worker threads can
 * load their own: `impl` (ours), `model` (the model wrapped as a kernel, a
 * baseline), `file:PATH` (a user's module exporting `target`, a
 * RefinementTarget: see docs/own-kernel.md) and `mutant:NAME` (a seeded bug).
 * @module
 */
import type { RefinementTarget } from '../refinement/target.js'
import { implTarget } from '../refinement/abstraction.js'
import { modelTarget } from '../refinement/model-target.js'
import { importKernelModule } from './user-module.js'

const TARGETS = new Map<string, RefinementTarget>([
  ['impl', implTarget as unknown as RefinementTarget],
  ['model', modelTarget as unknown as RefinementTarget],
])

/** A target already loaded (built in, or loaded before by {@link loadTarget}). */
export function resolveTarget(name: string): RefinementTarget {
  const target = TARGETS.get(name)
  if (target === undefined) throw new Error(`kernel target ${JSON.stringify(name)} is not loaded`)
  return target
}

/**
 * Loads a target by name (a module for `file:`, a mutant's copy for `mutant:`) and
 * remembers it. A user's module that cannot be loaded, or whose `create` throws, is
 * refused with a `KernelModuleError` (an input error: exit 2) naming its line.
 */
export async function loadTarget(name: string): Promise<RefinementTarget> {
  const known = TARGETS.get(name)
  if (known !== undefined) return known
  let target: RefinementTarget
  if (name.startsWith('file:')) {
    target = await importKernelModule(name.slice('file:'.length))
  } else if (name.startsWith('mutant:')) {
    const { MUTANTS } = await import('../mutants/catalogue.js')
    const { loadMutant } = await import('../mutants/materialize.js')
    const mutant = MUTANTS.find((m) => m.name === name.slice('mutant:'.length))
    if (mutant === undefined) throw new Error(`unknown mutant ${JSON.stringify(name.slice('mutant:'.length))}`)
    target = await loadMutant(mutant)
  } else {
    throw new Error(`unknown kernel target ${JSON.stringify(name)}: use impl, model, file:PATH or mutant:NAME`)
  }
  TARGETS.set(name, target)
  return target
}

/** The `sila replay` flags that step the same kernel: none for the impl, `--mutant NAME` or `--kernel PATH`. */
export function replayFlags(name: string): string {
  if (name.startsWith('mutant:')) return ` --mutant ${name.slice('mutant:'.length)}`
  if (name.startsWith('file:')) return ` --kernel ${name.slice('file:'.length)}`
  return name === 'model' ? ' --model-only' : ''
}
