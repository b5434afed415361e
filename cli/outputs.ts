/**
 * Output paths, checked before any work starts. A command names every file and
 * directory it will write (`--out`, `--junit`, `--report`, `REPO`…) and
 * {@link checkOutputs} refuses, with a {@link UsageError} (exit 2) naming the flag,
 * the path and why, the ones that could not be written: a file whose parent
 * directory is missing or is not writable, a file that is a directory, a directory
 * that is a file. Without it a bad `--out` was found only after a long run, as an
 * internal error.
 *
 * What is checked is what an experienced user expects (docs/decisions.md): a
 * directory the tool owns (`--report DIR`, `--counterexamples DIR`) is created
 * later with `mkdir -p`, so only its nearest existing ancestor must be a writable
 * directory; a file's parent directory must exist already: a typo in it is refused,
 * not created. Nothing is written here: whether the file system lets a file be
 * created in a directory is asked by creating an empty one and removing it.
 * @module
 */
import { accessSync, closeSync, constants, openSync, rmSync, statSync, type Stats } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { UsageError } from './output.js'

/**
 * What a command will write at a path:
 * - `file`: a file, written atomically (replaced if it exists);
 * - `directory`: a directory to write into, created with its parents if missing;
 * - `new-directory`: a directory created whole, which must not exist yet.
 * @public
 */
export type OutputKind = 'file' | 'directory' | 'new-directory'

/** One output of a command line. @public */
export interface Output {
  /** How the user named it: `--out`, or a positional's name such as `REPO`. */
  readonly name: string
  /** The path; an absent optional output is skipped. */
  readonly path: string | undefined
  readonly kind: OutputKind
  /** The path was not given but is the option's default: said so in a refusal. */
  readonly isDefault?: boolean
}

/** A path that cannot even be looked up, and why. */
class Unreachable extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path} cannot be looked up: ${reason}`)
  }
}

const LOOKUP_ERRORS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied', EPERM: 'operation not permitted', ELOOP: 'too many symbolic links', ENAMETOOLONG: 'name too long',
}

/** The path's status (following links), null when nothing is there, or an {@link Unreachable}. */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path)
  } catch (error) {
    const code = (error as { code?: string }).code ?? ''
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw new Unreachable(path, LOOKUP_ERRORS[code] ?? (error as Error).message)
  }
}

/**
 * Whether a file can be created in `directory`: its permissions allow it, and the
 * file system agrees. The second is asked by creating an empty file of a name no
 * one uses and removing it at once: root passes every permission check, but
 * `/sys`, `/proc` or a read-only mount still refuse it, and that refusal came only
 * when the output was written, after the whole run.
 */
function writable(directory: string): boolean {
  try {
    accessSync(directory, constants.W_OK | constants.X_OK)
  } catch {
    return false
  }
  const probe = join(directory, `.sila-probe-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    closeSync(openSync(probe, 'wx'))
  } catch {
    return false
  }
  rmSync(probe, { force: true })
  return true
}

/** Why a directory to write in is unusable, or null: it must be a directory, writable. */
function directoryProblem(directory: string, role: string): string | null {
  const stats = statOrNull(directory)
  if (stats === null) return `${role} ${directory} does not exist`
  if (!stats.isDirectory()) return `${role} ${directory} is not a directory`
  if (!writable(directory)) return `${role} ${directory} is not writable`
  return null
}

/** The nearest ancestor of `path` that exists (the root always does), and whether it is `path` itself. */
function nearestExisting(path: string): { path: string; stats: Stats } {
  let current = resolve(path)
  for (;;) {
    const stats = statOrNull(current)
    if (stats !== null) return { path: current, stats }
    const parent = dirname(current)
    if (parent === current) throw new Error(`the root of ${path} does not exist`)
    current = parent
  }
}

/** Why `output` cannot be written, or null when it can. @internal */
export function outputProblem(output: Output & { readonly path: string }): string | null {
  if (output.path === '') return 'is empty, expected a path'
  try {
    return problemAt(output.path, output.kind)
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error
    return error.path === output.path ? `cannot be looked up: ${error.reason}` : error.message
  }
}

function problemAt(path: string, kind: OutputKind): string | null {
  const stats = statOrNull(path)
  if (kind === 'file') {
    if (stats?.isDirectory() === true) return 'is a directory, expected a file'
    if (stats !== null && !stats.isFile()) return 'is not a regular file (the file is replaced, atomically, by a rename)'
    if (/[/\\]$/.test(path)) return "ends with '/', expected a file"
    return directoryProblem(dirname(path), 'parent directory')
  }
  if (kind === 'new-directory' && stats !== null) return 'already exists; it is not overwritten'
  if (stats !== null) {
    if (!stats.isDirectory()) return 'is an existing file, expected a directory'
    return writable(path) ? null : 'is not writable'
  }
  // Missing: it is created with its parents, under the nearest directory that exists.
  const ancestor = nearestExisting(path)
  if (!ancestor.stats.isDirectory()) return `cannot be created: ${ancestor.path} is not a directory`
  return writable(ancestor.path) ? null : `cannot be created: ${ancestor.path} is not writable`
}

/**
 * Refuses, before any work, an output that cannot be written, and two file
 * outputs that name the same file: a {@link UsageError} of `command` naming the
 * flag (or positional), the path and why.
 * @public
 */
export function checkOutputs(command: string, outputs: ReadonlyArray<Output>): void {
  const given = outputs.filter((output): output is Output & { readonly path: string } => output.path !== undefined)
  for (const output of given) {
    const problem = outputProblem(output)
    if (problem !== null) throw new UsageError(`${output.name} ${output.path}${output.isDefault === true ? ' (the default)' : ''}: ${problem}`, command)
  }
  const files = given.filter((output) => output.kind === 'file')
  for (const [index, output] of files.entries()) {
    const same = files.slice(index + 1).find((other) => resolve(other.path) === resolve(output.path))
    if (same !== undefined) throw new UsageError(`${output.name} and ${same.name} both name ${output.path}: give each its own file`, command)
  }
}
