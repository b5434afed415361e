/**
 * The kernels the checkers can be pointed at, by name, so that worker threads can
 * load their own: `impl` (ours), `model` (the model wrapped as a kernel, a
 * baseline), `file:PATH` (a user's module exporting `target`, a
 * RefinementTarget: see docs/own-kernel.md), `mutant:NAME` (a seeded bug of the
 * impl) and `model-mutant:NAME` (a seeded bug in a copy of the model, wrapped as
 * a kernel as the model is). A trace records the name of the kernel that
 * produced it (`producedBy.kernel`).
 * @module
 */
import type { RefinementTarget } from '../refinement/target.js'
import { implTarget } from '../refinement/abstraction.js'
import { boot } from '../model/boot.js'
import { ModelKernel, modelTarget } from '../refinement/model-target.js'
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
  } else if (name.startsWith('model-mutant:')) {
    const { findModelMutant } = await import('../mutants/model-mutants.js')
    const mutant = findModelMutant(name.slice('model-mutant:'.length))
    if (mutant === undefined) throw new Error(`unknown model mutant ${JSON.stringify(name.slice('model-mutant:'.length))}`)
    const modelMutant: RefinementTarget<ModelKernel> = {
      name, create: (config, images) => new ModelKernel(boot(config, images), mutant.step), abstraction: { abstract: (kernel) => kernel.state },
    }
    target = modelMutant as unknown as RefinementTarget
  } else {
    throw new Error(`unknown kernel target ${JSON.stringify(name)}: use impl, model, file:PATH, mutant:NAME or model-mutant:NAME`)
  }
  TARGETS.set(name, target)
  return target
}

/**
 * The flags of `sila replay` and `sila export --format test` that choose the
 * kernel: `--impl`, `--model-only`, `--mutant NAME`, `--model-mutant NAME` or
 * `--kernel PATH`.
 */
export function kernelFlags(name: string): string {
  if (name.startsWith('mutant:')) return `--mutant ${name.slice('mutant:'.length)}`
  if (name.startsWith('model-mutant:')) return `--model-mutant ${name.slice('model-mutant:'.length)}`
  if (name.startsWith('file:')) return `--kernel ${shellWord(name.slice('file:'.length))}`
  return name === 'model' ? '--model-only' : '--impl'
}

/** The `sila replay` flags that step the same kernel, with a leading space: none for the impl. */
export function replayFlags(name: string): string {
  return name === 'impl' ? '' : ` ${kernelFlags(name)}`
}

/** A kernel as prose: `the impl`, `the model`, `mutant copy-amplifies-rights`, `model mutant …`, `your kernel k.mjs`. */
export function kernelText(name: string): string {
  if (name.startsWith('mutant:')) return `mutant ${name.slice('mutant:'.length)}`
  if (name.startsWith('model-mutant:')) return `model mutant ${name.slice('model-mutant:'.length)}`
  if (name.startsWith('file:')) return `your kernel ${name.slice('file:'.length)}`
  return name === 'model' ? 'the model' : 'the impl'
}

/** A word for a shell command line: quoted unless it holds only plain characters. */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9._\/:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`
}

/** `mutant:NAME` for a seeded bug of the impl (`sila mutants --list`); throws for an unknown name. */
export async function mutantKernel(name: string): Promise<string> {
  const { MUTANTS } = await import('../mutants/catalogue.js')
  if (!MUTANTS.some((mutant) => mutant.name === name)) throw new Error(`unknown mutant ${JSON.stringify(name)}: see 'sila mutants --list'`)
  return `mutant:${name}`
}

/**
 * `model-mutant:NAME` for a seeded bug in a copy of the model (`sila explore
 * --help`); throws for an unknown name. (Some bugs are seeded in both, under the
 * same name: the flag says which.)
 */
export async function modelMutantKernel(name: string): Promise<string> {
  const { MODEL_MUTANTS } = await import('../mutants/model-mutants.js')
  if (!MODEL_MUTANTS.some((mutant) => mutant.name === name)) throw new Error(`unknown model mutant ${JSON.stringify(name)}; model mutants: ${MODEL_MUTANTS.map((mutant) => mutant.name).join(', ')}`)
  return `model-mutant:${name}`
}

/** How a command chose the kernel: a flag, the trace's `producedBy`, or the default (the impl). */
export interface KernelChoice {
  /** A kernel name; `model` is the model alone. */
  readonly kernel: string
  readonly by: 'flag' | 'trace' | 'default'
  /** The flag that chose it, for `by: 'flag'`. */
  readonly flag?: string
}

/** The kernel-choosing flags of `sila replay` and `sila export`. */
export interface KernelFlagValues {
  readonly impl?: boolean | undefined
  readonly 'model-only'?: boolean | undefined
  readonly mutant?: string | undefined
  readonly 'model-mutant'?: string | undefined
  readonly kernel?: string | undefined
}

/**
 * The kernel to replay a trace on: the one a flag names, else the one the trace
 * records as its producer, else the impl. Throws (a usage error for the command)
 * when flags exclude each other or a mutant is unknown.
 */
export async function chooseKernel(values: KernelFlagValues, producedBy: string | undefined): Promise<KernelChoice> {
  const chosen = [
    values.impl === true ? '--impl' : null, values['model-only'] === true ? '--model-only' : null, values.mutant === undefined ? null : '--mutant',
    values['model-mutant'] === undefined ? null : '--model-mutant', values.kernel === undefined ? null : '--kernel',
  ].filter((flag) => flag !== null)
  if (chosen.length > 1) throw new Error(`${chosen.join(' and ')} exclude each other`)
  if (values.impl === true) return { kernel: 'impl', by: 'flag', flag: '--impl' }
  if (values['model-only'] === true) return { kernel: 'model', by: 'flag', flag: '--model-only' }
  if (values.mutant !== undefined) return { kernel: await mutantKernel(values.mutant), by: 'flag', flag: `--mutant ${values.mutant}` }
  if (values['model-mutant'] !== undefined) return { kernel: await modelMutantKernel(values['model-mutant']), by: 'flag', flag: `--model-mutant ${values['model-mutant']}` }
  if (values.kernel !== undefined) return { kernel: `file:${values.kernel}`, by: 'flag', flag: `--kernel ${values.kernel}` }
  return producedBy === undefined ? { kernel: 'impl', by: 'default' } : { kernel: producedBy, by: 'trace' }
}

/** One line saying which kernel is replayed and why. */
export function choiceText(choice: KernelChoice): string {
  const why = choice.by === 'flag' ? `(${choice.flag})`
    : choice.by === 'trace' ? '(the trace records that it produced the failure; --impl, --mutant, --model-mutant, --kernel or --model-only choose another)'
      : '(the default: the trace does not record which kernel produced it)'
  return `kernel: ${kernelText(choice.kernel)} ${why}`
}
