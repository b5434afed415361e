/**
 * `--props FILE` and `--invariant NAME`, shared by `sila check`, `sila explore`,
 * `sila audit` and `sila replay`: reading the user's properties and choosing what
 * a checker checks.
 *
 * A `.json` file is a `sila-props/1` document (spec/props.ts), decoded exactly and
 * resolved against the declared system being checked (properties/user/resolve.ts):
 * every problem is refused at once, one line each, naming the file and the JSON
 * path. Any other file is a JavaScript module whose `properties` export (or default
 * export) is an array of properties made with `defineProperty`
 * (`sila-kernel/properties`); it is loaded like `--kernel FILE`
 * (checker/user-module.ts): a syntax error or a throw while loading is refused at
 * `FILE:LINE:COLUMN`, and so is a throw of a property's check while checking.
 * Either way: exit 2.
 * @module
 */
import { extname } from 'node:path'
import { readJsonInput } from '../cli/input.js'
import { UsageError } from '../cli/output.js'
import { InputError } from '../spec/decode.js'
import { listed, nearest } from '../spec/exact.js'
import { INVARIANT_IDS, type InvariantId } from '../spec/invariants/types.js'
import { PropsFileCodec } from '../spec/props.js'
import type { BootConfig } from '../spec/boot.js'
import type { ImageRecord } from '../spec/images.js'
import { bootNamed } from '../model/boot.js'
import { CheckAnswerError, NAME_PATTERN, type UserProperty } from '../properties/user/define.js'
import type { Witness } from '../properties/user/evaluate.js'
import { planOf, resolveProps, type SystemNames } from '../properties/user/resolve.js'
import type { KernelState } from '../model/state.js'
import { importUserModule, KernelModuleError, thrownLine, userPlace } from './user-module.js'

export type { UserProperty } from '../properties/user/define.js'
export type { SystemNames } from '../properties/user/resolve.js'

const PROPS_MODULE = { notAFile: 'not a file: a props file is a sila-props/1 JSON file (.json) or a JavaScript module exporting properties' }

/** The declared system of a boot configuration and its image pool, as a props file names it. */
export function systemNames(config: BootConfig, images: ReadonlyArray<ImageRecord>): SystemNames {
  return bootNamed(config, images)
}

/** Is `file` a `sila-props/1` document (a `.json` file) rather than a module? */
export function isPropsJson(file: string): boolean {
  return extname(file).toLowerCase() === '.json'
}

/**
 * The properties of `file` for the declared `system`, in file order; anything
 * wrong with the file is an {@link InputError} (exit 2) naming the file and where.
 */
export async function loadProps(file: string, system: SystemNames): Promise<UserProperty[]> {
  if (isPropsJson(file)) return resolveProps(readJsonInput(PropsFileCodec, file), file, system)
  const exported = await importUserModule(file, PROPS_MODULE)
  try {
    return fromModule(file, exported)
  } catch (error) {
    // Reading the exports ran the module's code (a getter, a Proxy's trap).
    if (error instanceof InputError || error instanceof KernelModuleError) throw error
    throw new KernelModuleError(userPlace(error, file), `reading its exports threw ${thrownLine(error)}`)
  }
}

/** What a module's property must look like: a problem with it, or null. */
function shapeProblem(value: unknown, path: string): string | null {
  if (typeof value !== 'object' || value === null) return `${path}: expected a property made with defineProperty(name, check, { says, kind }), found ${value === null ? 'null' : typeof value}`
  const candidate = value as Partial<Record<keyof UserProperty, unknown>>
  if (typeof candidate.name !== 'string' || !NAME_PATTERN.test(candidate.name)) return `${path}.name: expected 1 to 64 letters, digits, '.', '_' or '-', found ${JSON.stringify(candidate.name) ?? 'nothing'}`
  if (typeof candidate.says !== 'string') return `${path}.says: expected a sentence, found ${typeof candidate.says}`
  if (candidate.kind !== 'always' && candidate.kind !== 'sometimes') return `${path}.kind: expected "always" or "sometimes", found ${JSON.stringify(candidate.kind) ?? 'nothing'}`
  if (typeof candidate.test !== 'function') return `${path}.test: expected a function of the state (use defineProperty), found ${typeof candidate.test}`
  return null
}

/** The properties a module exports, checked and with their checks guarded. */
function fromModule(file: string, exported: Record<string, unknown>): UserProperty[] {
  const key = exported.properties !== undefined ? 'properties' : 'default'
  const found = exported[key]
  if (!Array.isArray(found)) {
    throw new KernelModuleError(file, found === undefined
      ? "exports no properties: 'export default [defineProperty(...), ...]' (or 'export const properties = [...]')"
      : `its ${key} export is not an array of properties (found ${typeof found})`)
  }
  const problems: string[] = []
  const seen = new Map<string, number>()
  const properties: UserProperty[] = []
  found.forEach((value: unknown, index) => {
    const path = `${key}[${index}]`
    const problem = shapeProblem(value, path)
    if (problem !== null) { problems.push(problem); return }
    const property = value as UserProperty
    const first = seen.get(property.name)
    if (first !== undefined) problems.push(`${path}.name: ${JSON.stringify(property.name)} is also the name of ${key}[${first}]`)
    else if ((INVARIANT_IDS as ReadonlyArray<string>).includes(property.name)) problems.push(`${path}.name: ${JSON.stringify(property.name)} is the name of a catalogue invariant`)
    seen.set(property.name, first ?? index)
    properties.push(guardedProperty(property, file, path))
  })
  if (problems.length > 0) throw new InputError(file, problems)
  if (properties.length === 0) throw new InputError(file, [`${key}: lists no property`])
  return properties
}

/** The property with a check whose throw is refused at the line of the user's code (exit 2), not taken for a violation. */
function guardedProperty(property: UserProperty, file: string, path: string): UserProperty {
  const test = property.test
  return {
    name: property.name, says: property.says, kind: property.kind, origin: `${file} ${path}`,
    test: (state) => {
      let witness: unknown
      try {
        witness = test.call(property, state)
      } catch (error) {
        // An answer defineProperty refused: the module's, said as it is (no frame of theirs threw it).
        if (error instanceof CheckAnswerError) throw new KernelModuleError(file, error.message)
        throw new KernelModuleError(userPlace(error, file), `the check of property ${JSON.stringify(property.name)} threw ${thrownLine(error)}`)
      }
      const problem = witnessProblem(witness)
      if (problem !== null) throw new KernelModuleError(file, `the check of property ${JSON.stringify(property.name)} answered ${problem}`)
      return witness as Witness | null
    },
  }
}

/**
 * What is wrong with a property's answer, or null: it is null, or a message and
 * a detail of JSON data (null, booleans, finite numbers, strings, arrays and
 * plain objects, no cycle), which traces, results files and worker threads carry.
 * A BigInt, a function or a cycle in it failed only when it was written.
 */
function witnessProblem(witness: unknown): string | null {
  if (witness === null) return null
  if (typeof witness !== 'object' || typeof (witness as { message?: unknown }).message !== 'string') return 'something other than null or { message, detail }'
  const detail = (witness as { detail?: unknown }).detail
  if (!isPlainRecord(detail)) return 'a detail that is not a plain object'
  return jsonProblem(detail, 'detail', new Set())
}

/** Why `value` (at `path`, inside the objects `open`) is not JSON data, or null; 64 levels at most. */
function jsonProblem(value: unknown, path: string, open: Set<object>): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null
  if (typeof value === 'number') return Number.isFinite(value) ? null : `a detail whose ${path} is ${value}, not JSON`
  if (!Array.isArray(value) && !isPlainRecord(value)) return `a detail whose ${path} is ${typeof value === 'object' ? 'an object of a class' : `a ${typeof value}`}, not JSON`
  if (open.has(value)) return `a detail whose ${path} contains itself, not JSON`
  if (open.size >= 64) return `a detail nested deeper than 64 at ${path}`
  open.add(value)
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((item, index) => [`${path}[${index}]`, item]) : Object.entries(value).filter(([, item]) => item !== undefined).map(([key, item]) => [`${path}.${key}`, item])
  for (const [inner, item] of entries) {
    const problem = jsonProblem(item, inner, open)
    if (problem !== null) return problem
  }
  open.delete(value)
  return null
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype = Object.getPrototypeOf(value) as unknown
  return prototype === Object.prototype || prototype === null
}

/** What `--invariant` chose: catalogue invariants and user properties. */
export interface Selection {
  /** The catalogue invariants checked, in catalogue order. */
  readonly catalogue: InvariantId[]
  /** The user properties checked, in file order. */
  readonly user: UserProperty[]
}

/**
 * The catalogue invariants and user properties `--invariant NAME` (repeatable)
 * names; none given: the whole catalogue and every user property. A name that is
 * neither is a {@link UsageError} (exit 2) of `command`, with a "did you mean" or
 * the known names.
 */
export function selectInvariants(names: ReadonlyArray<string>, userProps: ReadonlyArray<UserProperty>, command = 'check'): Selection {
  if (names.length === 0) return { catalogue: [...INVARIANT_IDS], user: [...userProps] }
  const known = [...INVARIANT_IDS, ...userProps.map((property) => property.name)]
  for (const name of names) {
    if (known.includes(name)) continue
    const guess = nearest(name, known) ?? nearest(name.toUpperCase(), [...INVARIANT_IDS])
    const users = userProps.length === 0 ? ' (no --props file gives user properties)' : ''
    throw new UsageError(`--invariant ${JSON.stringify(name)}: no catalogue invariant or user property has this name${guess !== undefined ? `; did you mean ${JSON.stringify(guess)}?` : `; known: ${listed(known, 400)}`}${users}`, command)
  }
  return {
    catalogue: INVARIANT_IDS.filter((id) => names.includes(id)),
    user: userProps.filter((property) => names.includes(property.name)),
  }
}

/** What is told of each property call a watchdog times: which property is asked (its index in the list), and that it answered (returned or threw). */
export interface PropertyCalls {
  asking(index: number): void
  answered(): void
}

/**
 * `properties` with each one written in code (a module's) telling `calls`
 * while its `test` runs, so that a watchdog can stop one that never returns
 * and name it. Declared ones (sila-props/1) are sila's own evaluators, which
 * return, and are kept as they are (their compiled plans are keyed by the property).
 */
export function announcedProperties(properties: ReadonlyArray<UserProperty>, calls: PropertyCalls): UserProperty[] {
  return properties.map((property, index) => planOf(property) !== undefined ? property : {
    ...property,
    test: (state: KernelState) => {
      calls.asking(index)
      try { return property.test(state) } finally { calls.answered() }
    },
  })
}

/** Whether any of `properties` is the user's code (a module's), which {@link announcedProperties} announces. */
export function anyPropertyCode(properties: ReadonlyArray<UserProperty>): boolean {
  return properties.some((property) => planOf(property) === undefined)
}
