/**
 * A user's module (`--kernel FILE`, or `--props FILE` in JavaScript) that cannot be used is the user's error,
 * not sila's: a module that does not load (a syntax error, a throw while loading, a
 * missing file or export) or a `create()` that throws is refused with exit 2 and one
 * line naming the user's file, line and column. Node gives no location for a syntax
 * error in a dynamically imported module, so `node --check` is asked for it; for a
 * runtime throw the place is the first stack frame inside the user's file.
 *
 * A throw of `step` or of the abstraction while checking is not refused here: it is
 * a REF-1 failure of the kernel under test (docs/decisions.md).
 * @module
 */
import { spawnSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { Worker, isMainThread } from 'node:worker_threads'
import { extname, isAbsolute, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { InputError } from '../spec/decode.js'
import { BootError } from '../model/boot-system.js'
import { BootError as ImplBootError } from '../impl/boot.js'
import type { RefinementTarget } from '../refinement/target.js'

/** A user's kernel module refused: `file` is `PATH:LINE:COLUMN` when the place is known. */
export class KernelModuleError extends InputError {
  constructor(file: string, problem: string) {
    super(file, [problem])
    this.name = 'KernelModuleError'
  }
}

/** sila's own compiled code (`dist/`): frames there are not the user's. */
const SILA_DIST = fileURLToPath(new URL('../', import.meta.url))

interface Place { readonly path: string; readonly line: number; readonly column?: number }

function pathOf(location: string): string {
  return location.startsWith('file://') ? fileURLToPath(location) : location
}

/** Node's header of a compile error, `FILE:LINE`, the source line, and a caret under the column. */
function arrowPlace(text: string): Place | null {
  const lines = text.split('\n')
  const header = /^(.+):(\d+)$/.exec(lines[0] ?? '')
  if (header === null || !(header[1]!.startsWith('file://') || isAbsolute(header[1]!))) return null
  const caret = (lines[2] ?? '').search(/\^/)
  return { path: pathOf(header[1]!), line: Number(header[2]), ...(caret < 0 ? {} : { column: caret + 1 }) }
}

const FRAME = /^\s*at (?:async )?(?:[^(]*\()?(.+?):(\d+):(\d+)\)?$/

function stackPlaces(stack: string): Place[] {
  return stack.split('\n').map((line) => FRAME.exec(line)).filter((match) => match !== null)
    .map((match) => ({ path: pathOf(match[1]!), line: Number(match[2]), column: Number(match[3]) }))
}

/** A path as the user reads it: the module as they named it, else relative to the working directory when below it. */
function shown(path: string, module: string, given: string): string {
  if (path === module) return given
  const local = relative(process.cwd(), path)
  return local !== '' && !local.startsWith('..') && !isAbsolute(local) ? local : path
}

function placeText(place: Place | null, module: string, given: string): string {
  if (place === null) return given
  return `${shown(place.path, module, given)}:${place.line}${place.column === undefined ? '' : `:${place.column}`}`
}

/** The user's code that threw: the first frame in their module, else the first outside sila and Node. */
function throwPlace(error: unknown, module: string): Place | null {
  const stack = error instanceof Error ? error.stack ?? '' : ''
  const arrow = arrowPlace(stack)
  if (arrow !== null) return arrow
  const places = stackPlaces(stack)
  return places.find((place) => place.path === module)
    ?? places.find((place) => isAbsolute(place.path) && !place.path.startsWith(SILA_DIST) && !place.path.startsWith(`node:`))
    ?? null
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : textOf(error)
  const [first, ...rest] = text.split('\n')
  return rest.length === 0 ? first! : `${first} …`
}

/** A thrown value as text, whatever it is (an object without a prototype has no toString). */
function textOf(value: unknown): string {
  try {
    return String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

/** Where a syntax error is: Node's own header if it gave one, else `node --check` on the module. */
function syntaxPlace(error: Error, module: string): Place | null {
  const arrow = arrowPlace(error.stack ?? '')
  if (arrow !== null) return arrow
  const checked = spawnSync(process.execPath, ['--check', module], { encoding: 'utf8', timeout: 30_000 })
  return checked.status === 0 ? null : arrowPlace(checked.stderr ?? '')
}

/**
 * What a user's module is, for the messages refusing it: `kernel` (`--kernel FILE`,
 * exporting `target`) or `properties` (`--props FILE`, exporting an array of properties).
 */
export interface UserModuleKind {
  /** The refusal for a path that is not a file. */
  readonly notAFile: string
}

const KERNEL_MODULE: UserModuleKind = { notAFile: 'not a file: a kernel is a JavaScript module exporting \'target\' (docs/own-kernel.md)' }

/** What Node says of a module path it cannot import for its extension alone (`.json` it reads as JSON, `.ts` and others it refuses). */
const NOT_JAVASCRIPT_JSON = 'not a JavaScript module: Node reads it as JSON (a module ends in .js, .mjs or .cjs)'
const NOT_JAVASCRIPT_EXTENSION = 'not a JavaScript module: Node imports .js, .mjs and .cjs files (compile TypeScript first)'

/** The absolute path of the user's module at `given`; a {@link KernelModuleError} when there is no file there. */
function moduleFile(given: string, kind: UserModuleKind): string {
  const module = resolve(given)
  let stats
  try { stats = statSync(module) } catch { throw new KernelModuleError(given, 'no such file') }
  if (!stats.isFile()) throw new KernelModuleError(given, kind.notAFile)
  return module
}

/**
 * Refuses a `--kernel FILE` that is no module Node could import, from its path
 * alone (none of its code runs): missing, not a file, or of an extension Node
 * does not import as a module. `sila export --format test --kernel FILE` writes a
 * test that imports the module when it runs; a path refused here would only fail
 * there. A {@link KernelModuleError}, as {@link importUserModule} refuses the same.
 */
export function checkKernelModulePath(given: string): void {
  moduleFile(given, KERNEL_MODULE)
  const extension = extname(given).toLowerCase()
  if (extension === '.json') throw new KernelModuleError(given, NOT_JAVASCRIPT_JSON)
  if (extension !== '' && !['.js', '.mjs', '.cjs'].includes(extension)) throw new KernelModuleError(given, NOT_JAVASCRIPT_EXTENSION)
}

/**
 * How long a user's module may take to load (its top-level code, its imports)
 * before it is refused (default 60 s, as the step timeout's), and the flag that
 * allows longer, if the command has one ({@link loadModulesWithin}).
 */
export const userModuleLoad: { timeoutMs: number; flag: string | null } = { timeoutMs: 60_000, flag: null }

/** A command's `--step-timeout S` bounds the loading of its user modules too. */
export function loadModulesWithin(stepTimeoutSeconds: number): void {
  userModuleLoad.timeoutMs = stepTimeoutSeconds * 1000
  userModuleLoad.flag = '--step-timeout S'
}

/** The exit code of a thread (or process) whose top-level await can no longer settle. */
const UNSETTLED_AWAIT = 13

/** Modules this thread has probed (by path): each is probed once. */
const probed = new Set<string>()

/**
 * Loads `module` on a worker thread first ({@link userModuleLoad}): a module
 * whose loading has not finished after the timeout (a loop at its top level),
 * never can (an await that never settles), or ends the process, is a
 * {@link KernelModuleError}. Only
 * the main thread probes: the commands load every user module there before their
 * workers start, so a worker never meets one that hangs.
 */
async function probeLoad(module: string, given: string): Promise<void> {
  if (!isMainThread || probed.has(module)) return
  const { timeoutMs } = userModuleLoad
  const worker = new Worker(new URL('./user-module-probe.js', import.meta.url), { workerData: { url: pathToFileURL(module).href }, stdout: true, stderr: true })
  // What the probe's thread did: loaded the module, threw (left to this thread's import, which names the line), ran out of time, or ended (its exit code).
  const outcome = await new Promise<'loaded' | 'threw' | 'timeout' | number>((done) => {
    const timer = setTimeout(() => done('timeout'), timeoutMs)
    const finish = (how: 'loaded' | 'threw' | number) => { clearTimeout(timer); done(how) }
    worker.once('message', (message) => finish(message === 'loaded' ? 'loaded' : 'threw'))
    worker.once('error', () => finish('threw'))
    worker.once('exit', (code) => finish(code))
  })
  worker.removeAllListeners()
  void worker.terminate()
  if (outcome === 'timeout') throw new KernelModuleError(given, `the module did not finish loading within ${timeoutMs / 1000} s (its top-level code, or a module it imports, does not return${userModuleLoad.flag === null ? '' : `; ${userModuleLoad.flag} allows longer`})`)
  // Node ends a thread whose top-level await can no longer settle with code 13; any other end is the module's process.exit.
  if (outcome === UNSETTLED_AWAIT) throw new KernelModuleError(given, 'the module never finished loading: its top-level code awaits something that never settles')
  if (typeof outcome === 'number') throw new KernelModuleError(given, `the module ended the process while loading (process.exit(${outcome}))`)
  probed.add(module)
}

/**
 * Imports the user's module at `given` (a path, relative to the working directory)
 * and returns its exports. A module that is missing, is not JavaScript, has a
 * syntax error (refused at `FILE:LINE:COLUMN`) or throws while loading (refused at
 * the line of the user's code that threw) is a {@link KernelModuleError}: exit 2;
 * so is one whose loading does not finish ({@link probeLoad}).
 */
export async function importUserModule(given: string, kind: UserModuleKind): Promise<Record<string, unknown>> {
  const module = moduleFile(given, kind)
  await probeLoad(module, given)
  try {
    return await import(pathToFileURL(module).href) as Record<string, unknown>
  } catch (error) {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
    if (typeof code === 'string' && /^ERR_IMPORT_(ASSERTION|ATTRIBUTE)_/.test(code)) throw new KernelModuleError(given, NOT_JAVASCRIPT_JSON)
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') throw new KernelModuleError(given, NOT_JAVASCRIPT_EXTENSION)
    if (error instanceof SyntaxError) {
      const place = syntaxPlace(error, module)
      throw new KernelModuleError(place === null ? given : placeText(place, module, given), `${firstLine(error)}${place === null ? ' (in this module or one it imports)' : ''}`)
    }
    if (typeof code === 'string' && code.startsWith('ERR_')) throw new KernelModuleError(given, firstLine(error).replace(/^Error: /, ''))
    throw new KernelModuleError(placeText(throwPlace(error, module), module, given), `the module threw while loading: ${firstLine(error)}`)
  }
}

/**
 * Where in the user's module `error` was thrown (`FILE:LINE:COLUMN`, or the module
 * as given when no frame is theirs): for refusing a throw of their code after loading.
 */
export function userPlace(error: unknown, given: string): string {
  return placeText(throwPlace(error, resolve(given)), resolve(given), given)
}

/** The first line of a thrown value, `Name: message`. */
export { firstLine as thrownLine }

/** Imports the module at `given` and returns its exported target; anything wrong is a {@link KernelModuleError}. */
export async function importKernelModule(given: string): Promise<RefinementTarget> {
  const exported = await importUserModule(given, KERNEL_MODULE) as { target?: unknown; default?: unknown }
  const found = exported.target ?? exported.default
  if (!isTarget(found)) throw new KernelModuleError(given, 'exports no \'target\' with create(config, images) and abstraction.abstract(kernel) (docs/own-kernel.md)')
  return guarded(found, resolve(given), given)
}

function isTarget(value: unknown): value is RefinementTarget {
  const candidate = value as Partial<RefinementTarget> | undefined
  return typeof candidate?.create === 'function' && typeof candidate.abstraction?.abstract === 'function'
}

/**
 * The user's target with a `create` whose throw is refused naming the line of their
 * code (a boot configuration sila itself cannot boot stays a {@link BootError}, and
 * the trace naming it is refused instead). `step` and the abstraction are the user's
 * own, unwrapped: the checkers report their throws as refinement failures.
 */
function guarded(target: RefinementTarget, module: string, given: string): RefinementTarget {
  // Every argument is passed on (the pipeline suite gives the impl a third one).
  const create = (...args: unknown[]): ReturnType<RefinementTarget['create']> => {
    try {
      return (target.create as (...a: unknown[]) => ReturnType<RefinementTarget['create']>).apply(target, args)
    } catch (error) {
      if (error instanceof BootError || error instanceof ImplBootError || error instanceof InputError) throw error
      throw new KernelModuleError(placeText(throwPlace(error, module), module, given), `create(config, images) threw ${firstLine(error)}`)
    }
  }
  return { name: typeof target.name === 'string' ? target.name : `file:${given}`, abstraction: target.abstraction, create: create as RefinementTarget['create'] }
}
