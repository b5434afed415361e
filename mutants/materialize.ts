/**
 * Writes a mutant into its own copy of the compiled kernel and loads it: the
 * compiled `spec/`, `model/`, `impl/` and `refinement/` trees are copied into a
 * temporary directory, the one file is patched, and the copy's abstraction is
 * imported. The real impl is never touched and has no mutant flags.
 * @module
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { RefinementTarget } from '../refinement/target.js'
import type { Mutant } from './catalogue.js'

/** The compiled tree this module runs from (`dist/`). */
const DIST = fileURLToPath(new URL('..', import.meta.url))
const PACKAGE = dirname(DIST.replace(/[\\/]$/, ''))
const TREES = ['spec', 'model', 'impl', 'refinement']

/**
 * The `node_modules` directory the compiled kernel takes its dependencies from: the
 * package's own in a clone; the one the package is installed in (its parent) when
 * it is a dependency of another project, where npm puts them side by side.
 */
function dependenciesDirectory(): string | null {
  for (let dir = PACKAGE; ; dir = dirname(dir)) {
    const modules = basename(dir) === 'node_modules' ? dir : join(dir, 'node_modules')
    if (existsSync(join(modules, 'io-ts'))) return modules
    if (dirname(dir) === dir) return null
  }
}

/** Applies the mutant's patch to `text`; refuses unless the text occurs exactly once. */
export function patchText(mutant: Mutant, text: string): string {
  const first = text.indexOf(mutant.find)
  if (first < 0) throw new Error(`mutant ${mutant.name}: text not found in ${mutant.file}`)
  if (text.indexOf(mutant.find, first + 1) >= 0) throw new Error(`mutant ${mutant.name}: text occurs more than once in ${mutant.file}`)
  return text.slice(0, first) + mutant.replace + text.slice(first + mutant.find.length)
}

/**
 * The directory holding the mutant's copy of the kernel (made if missing). `.ready`
 * names the build it was copied from: a copy another checkout left under the same
 * pid (its dependencies' link gone with it) is made again rather than reused.
 */
export function materialize(mutant: Mutant, root = join(tmpdir(), `sila-mutants-${process.pid}`)): string {
  const directory = join(root, mutant.name)
  const ready = join(directory, '.ready')
  const linked = dependenciesDirectory() === null || existsSync(join(directory, 'node_modules'))
  if (existsSync(ready) && readFileSync(ready, 'utf8') === DIST && linked) return directory
  rmSync(directory, { recursive: true, force: true })
  mkdirSync(directory, { recursive: true })
  for (const tree of TREES) cpSync(join(DIST, tree), join(directory, tree), { recursive: true, filter: (source) => !source.endsWith('.map') && !source.endsWith('.d.ts') })
  writeFileSync(join(directory, 'package.json'), '{"type":"module"}\n')
  const modules = dependenciesDirectory()
  if (modules !== null) symlinkSync(modules, join(directory, 'node_modules'), 'dir')
  const file = join(directory, mutant.file)
  writeFileSync(file, patchText(mutant, readFileSync(file, 'utf8')))
  writeFileSync(ready, DIST)
  return directory
}

/**
 * The mutant as a refinement target. Its abstraction compares the whole state at
 * every step (no incremental compare), so that no write the mutant makes can hide.
 */
export async function loadMutant(mutant: Mutant, root?: string): Promise<RefinementTarget> {
  const directory = materialize(mutant, root)
  const module = await import(pathToFileURL(join(directory, 'refinement', 'abstraction.js')).href) as { implTarget: RefinementTarget }
  const target = module.implTarget
  return { name: `mutant:${mutant.name}`, create: target.create, abstraction: { abstract: target.abstraction.abstract, ...(target.abstraction.ghosts === undefined ? {} : { ghosts: target.abstraction.ghosts }) } }
}

/** Removes the copies made under `root`. */
export function cleanMutants(root = join(tmpdir(), `sila-mutants-${process.pid}`)): void {
  rmSync(root, { recursive: true, force: true })
}
