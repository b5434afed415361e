/**
 * The shape of a `sila` command and the flag parsing they share. Commands parse
 * their own flags with Node's `parseArgs` in strict mode; a refused flag becomes a
 * {@link UsageError}, which the top-level handler turns into a message and exit 2.
 * @module
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { EXIT, say, UsageError } from './output.js'

/** One `sila` subcommand. @public */
export interface Command {
  readonly name: string
  /** One line for `sila --help`. */
  readonly summary: string
  /** What `sila <name> --help` prints. */
  readonly usage: string
  /** Not yet available: `--help` still describes it, running it exits 2. */
  readonly planned: boolean
  /** Runs with the arguments after the command name; resolves to the exit code. */
  readonly run: (args: ReadonlyArray<string>) => Promise<number> | number
}

/** The flags a command knows: each takes a value (`string`) or not (`boolean`); none repeats. */
export type FlagSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly multiple?: boolean }>>
/** Parsed flag values: absent flags are undefined; a repeatable string flag is an array. */
export type FlagValues<F extends FlagSpec> = {
  readonly [K in keyof F]?: F[K]['type'] extends 'string' ? (F[K] extends { readonly multiple: true } ? string[] : string) : boolean
}
/** A parsed command line. @public */
export interface ParsedFlags<F extends FlagSpec> {
  readonly values: FlagValues<F>
  readonly positionals: ReadonlyArray<string>
}

/**
 * `parseArgs` in strict mode, with `-h/--help` always known, and its errors
 * (unknown option, missing value, stray positional) turned into a {@link UsageError}.
 * Returns null when help was asked for; the caller then prints its usage.
 */
export function parseFlags<F extends FlagSpec>(command: string, args: ReadonlyArray<string>, flags: F, allowPositionals: boolean): ParsedFlags<F> | null {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[]; tokens: Array<{ kind: string; name?: string; value?: string }> }
  try {
    parsed = parseArgs({ args: withNegativeValues(args, flags), options: { ...flags, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true, tokens: true }) as typeof parsed
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new UsageError(flagMessage(error as Error), command)
    throw error
  }
  if (parsed.values.help === true) return null
  // parseArgs keeps the last of a flag given twice: `--runs 5 --runs 7` would run 7 and say nothing. Only repeatable flags repeat.
  const given = new Map<string, string[]>()
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || token.name === undefined || token.name === 'help' || flags[token.name]?.multiple === true) continue
    given.set(token.name, [...(given.get(token.name) ?? []), token.value ?? ''])
  }
  for (const [name, values] of given) {
    if (values.length < 2) continue
    const shown = flags[name]!.type === 'string' ? ` (${values.map((value) => JSON.stringify(value)).join(', ')})` : ''
    throw new UsageError(`'--${name}' is given ${values.length} times${shown}; give it once`, command)
  }
  return { values: parsed.values as FlagValues<F>, positionals: parsed.positionals }
}

/** An argument that reads as a negative number: `-5`, `-0.5`, `-.5`, `-3/4`. */
const NEGATIVE_NUMBER = /^-\.?\d/

/**
 * The arguments with `--flag -5` given as `--flag=-5` when `--flag` takes a value:
 * `parseArgs` calls a value that starts with a dash ambiguous and refuses it in its
 * own words, but a negative number is no flag. Its value then meets the flag's own
 * check (`--runs expects a positive integer, found "-5"`), or is taken (`--seed -3`).
 * Nothing after `--` is touched.
 * @internal
 */
export function withNegativeValues(args: ReadonlyArray<string>, flags: FlagSpec): string[] {
  const joined: string[] = []
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!
    if (arg === '--') return [...joined, ...args.slice(index)]
    const next = args[index + 1]
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined
    if (name !== undefined && Object.hasOwn(flags, name) && flags[name]!.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      joined.push(`${arg}=${next}`)
      index++
    } else {
      joined.push(arg)
    }
  }
  return joined
}

/** The advice for script authors that `parseArgs` appends to some of its messages. */
const PARSE_ARGS_ADVICE = [
  /\. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- ".*"$/s,
  /\. This command does not take positional arguments$/,
]

/**
 * A `parseArgs` message without its advice for script authors ("To specify a
 * positional…"). The advice is cut by what it says, not at the first `. `: the
 * argument the message quotes is the user's, and may hold one (`'Two. Sentences'`).
 * @internal
 */
export function flagMessage(error: Error): string {
  return PARSE_ARGS_ADVICE.reduce((message, advice) => message.replace(advice, ''), error.message).replace(/\.$/, '')
}

/** A positive integer flag value, or a {@link UsageError} naming the flag. */
export function positiveIntegerFlag(command: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new UsageError(`--${flag} expects a positive integer, found ${JSON.stringify(value)}`, command)
  }
  return number
}

/** An integer flag value, negative ones included (a seed), or a {@link UsageError} naming the flag. @internal */
export function integerFlag(command: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(number)) throw new UsageError(`--${flag} expects an integer, found ${JSON.stringify(value)}`, command)
  return number
}

/** A positive number of seconds (`90`, `1.5`), or a {@link UsageError} naming the flag. @internal */
export function secondsFlag(command: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const seconds = Number(value)
  if (!/^\d+(\.\d+)?$/.test(value) || !(seconds > 0) || !Number.isFinite(seconds)) {
    throw new UsageError(`--${flag} expects a positive number of seconds, found ${JSON.stringify(value)}`, command)
  }
  return seconds
}

/**
 * Refuses two flags that contradict each other, naming both: each pair is two
 * flag names (without `--`) and why, and is refused when both were given.
 * @internal
 */
export function refuseTogether(command: string, values: Readonly<Record<string, unknown>>, pairs: ReadonlyArray<readonly [string, string, string]>): void {
  const given = (name: string) => values[name] !== undefined && values[name] !== false
  for (const [first, second, why] of pairs) {
    if (given(first) && given(second)) throw conflict(command, `--${first}`, `--${second}`, why)
  }
}

/** The refusal of two contradicting flags (`--preset` and `--boot`, or `--engine compiled` and `--refine`), naming both. @internal */
export function conflict(command: string, first: string, second: string, why: string): UsageError {
  return new UsageError(`${first} and ${second} exclude each other: ${why}`, command)
}

/** At most this many worker threads by default (`--workers` of check and mutants): the two cores of a CI runner. @internal */
export const WORKERS_DEFAULT_MAX = 2

/** The default `--workers`: {@link WORKERS_DEFAULT_MAX}, or fewer on fewer cores. @internal */
export function defaultWorkers(): number {
  return Math.min(WORKERS_DEFAULT_MAX, availableParallelism())
}


/**
 * A command made of subcommands (`sila image build`, `sila repo add`): dispatches on
 * the first argument, with `--help` and clear refusals for a missing or unknown one.
 */
export function dispatchSubcommand(command: string, usage: string, subcommands: Readonly<Record<string, (args: ReadonlyArray<string>) => number>>, args: ReadonlyArray<string>): number {
  const [first, ...rest] = args
  const names = Object.keys(subcommands)
  const expected = `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`
  if (first === '-h' || first === '--help') {
    say(usage)
    return EXIT.ok
  }
  if (first === undefined) throw new UsageError(`expects a subcommand: ${expected}`, command)
  if (!Object.hasOwn(subcommands, first)) throw new UsageError(`unknown subcommand ${JSON.stringify(first)}; expected ${expected}`, command)
  return subcommands[first]!(rest)
}
