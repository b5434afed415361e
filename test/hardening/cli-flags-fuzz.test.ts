/**
 * `sila`'s command lines, fuzzed: random command names (the real ones and random
 * strings), each command's real flags mixed with unknown ones, values that are
 * random strings, numbers, empty, very long or `--`-prefixed.
 *
 * Each command (and subcommand) parses its flags with Node's `parseArgs` in strict
 * mode, first thing. The flag specification of every one is read off the command
 * itself: `parseArgs` is swapped, once, for a probe that records the configuration
 * it is called with and throws before anything runs. With that specification, the
 * real `parseArgs` is an oracle for what a command line is: refused, `--help`, or
 * accepted. The refused and `--help` ones are safe to run (nothing happens before
 * the flags are parsed), in-process and, for a few dozen, as `node
 * dist/cli/main.js` with the top-level dispatcher and its error reporting; the
 * accepted ones would do real work (check, explore, bench…) and are not run,
 * except through `sila check`'s pure validator.
 *
 * `sila` departs from `parseArgs` in one way, which the oracle restates: a flag that
 * takes a value takes a negative number (`--runs -5` is `--runs=-5`), where
 * `parseArgs` would call it ambiguous in its own words. Every numeric flag of every
 * parser is then fed negative numbers, and every pair of flags that contradict
 * each other is given together: each is answered in sila's words, naming the flag
 * or both flags, and never as an internal error.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import util from 'node:util'
import { syncBuiltinESMExports } from 'node:module'
import { spawn } from 'node:child_process'
import { COMMANDS, findCommand } from '../../cli/commands/index.js'
import type { Command } from '../../cli/command.js'
import { positiveIntegerFlag } from '../../cli/command.js'
import { UsageError } from '../../cli/output.js'
import { parseCheckArgs } from '../../cli/commands/check.js'
import { join } from 'node:path'
import { ROOT, STACK_LINE } from '../cli/run.js'

const SEED = Number(process.env.SILA_FUZZ_SEED ?? 20240612)
const SPAWNS = 40

type ParseArgsConfig = NonNullable<Parameters<typeof util.parseArgs>[0]>
type Options = NonNullable<ParseArgsConfig['options']>

/** One parser of a command line: `check`, `image build`, `pipeline load`… */
interface Parser {
  readonly name: string
  /** The arguments that select it after `sila`: `['image', 'build']`. */
  readonly prefix: ReadonlyArray<string>
  readonly command: Command
  readonly options: Options
  readonly allowPositionals: boolean
}

const realParseArgs = util.parseArgs
class Probe extends Error {}

/** Subcommand names from a dispatcher's refusal: `unknown subcommand "--probe"; expected keygen, build or sign`. */
function subcommandsIn(message: string): string[] {
  const listed = /expected (.+)$/.exec(message)?.[1]
  return listed === undefined ? [] : listed.split(/, | or /)
}

/** Every command's and subcommand's flag specification, as it hands it to `parseArgs`. */
async function probeParsers(): Promise<Parser[]> {
  const last: { seen?: ParseArgsConfig } = {}
  const seenNow = (): ParseArgsConfig | undefined => last.seen
  const parsers: Parser[] = []
  const probe = async (command: Command, prefix: string[]): Promise<UsageError | null> => {
    delete last.seen
    try {
      await command.run([...prefix.slice(1), '--probe'])
    } catch (error) {
      if (error instanceof UsageError && seenNow() === undefined) return error
      if (!(error instanceof Probe)) throw error
    }
    const seen = seenNow()
    if (seen === undefined) throw new Error(`${prefix.join(' ')} does not parse its flags first`)
    assert.is(seen.strict, true, `${prefix.join(' ')} parses in strict mode`)
    const name = prefix.join(' ')
    // Shown by name in fast-check's counterexamples.
    parsers.push({ name, prefix, command, options: seen.options ?? {}, allowPositionals: seen.allowPositionals ?? false, [fc.toStringMethod]: () => JSON.stringify(name) } as Parser)
    return null
  }
  ;(util as { parseArgs: unknown }).parseArgs = (config: ParseArgsConfig) => { last.seen = config; throw new Probe() }
  syncBuiltinESMExports()
  try {
    for (const command of COMMANDS) {
      const refusal = await probe(command, [command.name])
      if (refusal === null) continue
      const subcommands = subcommandsIn(refusal.message)
      assert.ok(subcommands.length > 0, `${command.name}: ${refusal.message}`)
      for (const subcommand of subcommands) assert.is(await probe(command, [command.name, subcommand]), null, `${command.name} ${subcommand}`)
    }
  } finally {
    ;(util as { parseArgs: unknown }).parseArgs = realParseArgs
    syncBuiltinESMExports()
  }
  return parsers
}

const PARSERS = await probeParsers()

type Verdict = { readonly kind: 'refused'; readonly message: string } | { readonly kind: 'help' } | { readonly kind: 'accepted' }

/** A negative number, as an argument: `-5`, `-0.5`, `-.5`, `-3/4`. */
const NEGATIVE = /^-\.?\d/

/** The arguments as sila reads them: `--flag -5` is `--flag=-5` for a flag that takes a value (before any `--`). */
function asSilaReads(parser: Parser, args: ReadonlyArray<string>): string[] {
  const end = args.indexOf('--')
  const head = end === -1 ? [...args] : args.slice(0, end)
  const read: string[] = []
  for (let index = 0; index < head.length; index++) {
    const option = parser.options[head[index]!.replace(/^--/, '')]
    if (head[index]!.startsWith('--') && option?.type === 'string' && NEGATIVE.test(head[index + 1] ?? '')) {
      read.push(`${head[index]}=${head[++index]}`)
    } else {
      read.push(head[index]!)
    }
  }
  return end === -1 ? read : [...read, ...args.slice(end)]
}

/** What `parseArgs` makes of `args` (as sila reads them) for `parser`. */
function oracle(parser: Parser, args: ReadonlyArray<string>): Verdict {
  try {
    const { values, tokens } = realParseArgs({ args: asSilaReads(parser, args), options: parser.options, allowPositionals: parser.allowPositionals, strict: true, tokens: true })
    if (values.help === true) return { kind: 'help' }
    // sila refuses a flag given twice (parseArgs would keep the last), unless it repeats by design.
    const names = tokens.flatMap((token) => (token.kind === 'option' && (parser.options[token.name] as { multiple?: boolean } | undefined)?.multiple !== true ? [token.name] : []))
    const twice = names.find((name, index) => names.indexOf(name) !== index)
    return twice === undefined ? { kind: 'accepted' } : { kind: 'refused', message: `'--${twice}' is given more than once` }
  } catch (error) {
    assert.match(String((error as { code?: unknown }).code), /^ERR_PARSE_ARGS/)
    return { kind: 'refused', message: (error as Error).message }
  }
}

/** Seconds since `start`, for the printed counts. */
const since = (start: number) => `${((Date.now() - start) / 1000).toFixed(1)} s`

// ---- command lines -------------------------------------------------------------

const NO_NUL = (text: string) => !text.includes('\u0000')
/** Values a flag may be given: random text, numbers, nothing, a lot, flags, and sentences. */
const valueArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }).filter(NO_NUL),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constant(''),
  fc.nat({ max: 3000 }).map((n) => 'v'.repeat(n + 1000)),
  fc.string({ maxLength: 8 }).map((text) => `--${text}`),
  fc.constantFrom('-', '--', '-1', '0', '1', 'NaN', '1e999', '0x10', 'a. b', 'Two. Sentences', '../x', '1/0', '0/3', 'all'),
  negativeArb(),
)

/** Negative numbers as a user types them: integers, decimals, huge, `-3/4`. */
function negativeArb(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.integer({ max: -1 }).map(String),
    fc.double({ max: -Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }).map(String),
    fc.constantFrom('-0', '-.5', '-1e3', '-9007199254740993', '-3/4', '-0x10'),
  )
}

/** Argument vectors for `parser`: its own flags (bare, with a value, `--flag=value`), unknown flags, positionals, `-h`… */
function argsFor(parser: Parser): fc.Arbitrary<string[]> {
  const names = Object.keys(parser.options).filter((name) => name !== 'help')
  const flag = names.length === 0 ? fc.constant('--help') : fc.constantFrom(...names).map((name) => `--${name}`)
  const unknown = fc.stringMatching(/^[a-z][a-z-]{0,10}$/).filter((name) => !Object.hasOwn(parser.options, name)).map((name) => `--${name}`)
  const group = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(flag, fc.option(valueArb, { nil: undefined })).map(([name, value]) => (value === undefined ? [name] : [name, value])) },
    { weight: 2, arbitrary: fc.tuple(flag, valueArb).map(([name, value]) => [`${name}=${value}`]) },
    { weight: 1, arbitrary: unknown.map((name) => [name]) },
    { weight: 2, arbitrary: valueArb.map((value) => [value]) },
    { weight: 1, arbitrary: fc.constantFrom(['-h'], ['--help'], ['--'], ['-x'], ['-hx'], ['-'], ['--=x'], ['--help=yes']) },
  )
  return fc.array(group, { maxLength: 5 }).map((groups) => groups.flat())
}

const lineArb: fc.Arbitrary<{ parser: Parser; args: string[] }> = fc.constantFrom(...PARSERS).chain((parser) => argsFor(parser).map((args) => ({ parser, args })))

/** The argument (or a flag of it: `--out` of `--out=x`, `-x` of `-hx`) a refusal quotes. */
function namesAnArgument(message: string, args: ReadonlyArray<string>): boolean {
  const candidates = args.flatMap((arg) => [arg, ...[arg.split('=')[0]!, ...(/^-[^-]/.test(arg) ? [...arg.slice(1)].map((c) => `-${c}`) : [])].filter((c) => c !== '')])
  return candidates.some((c) => message.includes(`'${c}'`) || message.includes(`'${c} <value>'`) || message.includes(`, ${c}'`) || message.includes(`, ${c} <value>'`))
}

/** Runs `body` capturing what it prints. */
async function captured<T>(body: () => T | Promise<T>): Promise<{ value: T; stdout: string; stderr: string }> {
  const out = process.stdout.write
  const err = process.stderr.write
  let stdout = ''
  let stderr = ''
  process.stdout.write = ((chunk: string | Uint8Array) => { stdout += String(chunk); return true }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true }) as typeof process.stderr.write
  try {
    return { value: await body(), stdout, stderr }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}

/** Checks a refusal as `sila` would report it: a UsageError of that command, quoting the offending argument, in a line or three. */
function assertRefusal(error: unknown, parser: Parser, args: ReadonlyArray<string>): asserts error is UsageError {
  if (!(error instanceof UsageError)) throw error
  assert.is(error.command, parser.name)
  assert.ok(namesAnArgument(error.message, args), `the refusal quotes the argument in full: ${JSON.stringify(error.message)} for ${JSON.stringify(args)}`)
  assert.not.match(error.message, /To specify a positional argument/, 'no advice for script authors')
  const newlinesInArgs = args.join('').split('\n').length - 1
  assert.ok(error.message.split('\n').length <= 3 + newlinesInArgs, `one line or three: ${JSON.stringify(error.message)}`)
}

// ---- in-process --------------------------------------------------------------------

test('every command and subcommand was probed for its flags', () => {
  const names = PARSERS.map((parser) => parser.name)
  console.log(`  probed ${names.length} parsers: ${names.join(', ')}`)
  for (const command of COMMANDS) assert.ok(names.some((name) => name === command.name || name.startsWith(`${command.name} `)), command.name)
  assert.ok(names.includes('image build') && names.includes('repo add') && names.includes('pipeline load'))
})

test('in process: refused command lines throw a UsageError naming the command and the argument; --help prints the usage', async () => {
  const start = Date.now()
  const counts = { refused: 0, help: 0, accepted: 0 }
  await fc.assert(fc.asyncProperty(lineArb, async ({ parser, args }) => {
    const verdict = oracle(parser, args)
    counts[verdict.kind]++
    if (verdict.kind === 'accepted') return // would do the command's real work
    const run = () => parser.command.run([...parser.prefix.slice(1), ...args])
    if (verdict.kind === 'help') {
      const { value, stdout, stderr } = await captured(run)
      assert.is(value, 0)
      assert.is(stderr, '')
      assert.match(stdout, /^Usage: sila /)
      if (parser.prefix.length === 1) assert.is(stdout, `${parser.command.usage}\n`)
      return
    }
    try {
      await captured(run)
    } catch (error) {
      assertRefusal(error, parser, args)
      return
    }
    assert.unreachable(`accepted: ${JSON.stringify(args)}`)
  }), { numRuns: 1000, seed: SEED, includeErrorInReport: true })
  console.log(`  in-process command lines: ${counts.refused} refused (exit 2), ${counts.help} --help (exit 0), ${counts.accepted} accepted by the parser (not run); ${since(start)}`)
  for (const [outcome, count] of Object.entries(counts)) assert.ok(count > 0, `no command line was ${outcome}`)
})

test('in process: sila check\'s validator and the positive integer flags return a value or throw a UsageError naming the flag', () => {
  const start = Date.now()
  const checkParser = PARSERS.find((parser) => parser.name === 'check')!
  const counts = { valid: 0, refusedFlags: 0, refusedValues: 0 }
  const suites = fc.constantFrom('refinement', 'invariants', 'all', 'robustness', 'nope', '')
  fc.assert(fc.property(fc.array(fc.oneof(argsFor(checkParser), suites.map((suite) => [suite])), { maxLength: 3 }).map((parts) => parts.flat()), (args) => {
    try {
      parseCheckArgs(args)
      counts.valid++
    } catch (error) {
      if (oracle(checkParser, args).kind === 'refused') {
        assertRefusal(error, checkParser, args)
        counts.refusedFlags++
        return
      }
      if (!(error instanceof UsageError)) throw error
      assert.is(error.command, 'check')
      assert.match(error.message, /^(--[a-z-]+ expects |unknown suite |--[a-z-]+( \S+)? and --[a-z-]+( .+)? exclude each other: |--path needs the --seed |--path names a case of one suite)/)
      counts.refusedValues++
    }
  }), { numRuns: 1000, seed: SEED, includeErrorInReport: true })
  console.log(`  check command lines: ${counts.valid} valid, ${counts.refusedFlags} refused by the parser, ${counts.refusedValues} refused for a value; ${since(start)}`)
  for (const [outcome, count] of Object.entries(counts)) assert.ok(count > 0, `no check command line was ${outcome}`)
  fc.assert(fc.property(valueArb, (value) => {
    try {
      const n = positiveIntegerFlag('explore', 'depth', value)!
      assert.ok(Number.isSafeInteger(n) && n >= 1 && String(n) === value.replace(/^0+(?=\d)/, ''), value)
    } catch (error) {
      if (!(error instanceof UsageError)) throw error
      assert.is(error.message, `--depth expects a positive integer, found ${JSON.stringify(value)}`)
    }
  }), { numRuns: 500, seed: SEED })
})

// ---- negative numbers and contradicting flags ------------------------------------------

/** A flag whose value is a number, and what to give with it so that its value is what gets judged. */
interface NumericFlag {
  /** Arguments that come first: positionals and required flags. */
  readonly context: ReadonlyArray<string>
  /** A negative integer is a valid value (a seed): it is then taken, and `after` is refused next, with `refusal`. */
  readonly negativeInteger?: { readonly after: ReadonlyArray<string>; readonly refusal: string | RegExp }
  /** The least integer the flag takes (check's --seed: fast-check's 32 bits); one below it is refused as out of range. */
  readonly min?: number
}

const TRACE = join(ROOT, 'examples/ipc-transfer.trace.json')
const PLAIN: NumericFlag = { context: [] }
const LAYERS = (context: ReadonlyArray<string>): Record<string, NumericFlag> => ({ 'layer-bytes-max': { context } })

/** Every flag of every parser that takes a number. */
const NUMERIC: Readonly<Record<string, Readonly<Record<string, NumericFlag>>>> = {
  check: {
    runs: PLAIN, 'max-steps': PLAIN, workers: PLAIN, shard: PLAIN, 'time-limit': PLAIN, 'step-timeout': PLAIN,
    seed: { context: [], negativeInteger: { after: ['--max-steps', '0'], refusal: '--max-steps expects a positive integer, found "0"' }, min: -(2 ** 31) },
  },
  explore: {
    depth: PLAIN, states: PLAIN, 'time-limit': PLAIN, swarm: PLAIN, workers: PLAIN, 'step-timeout': PLAIN,
    seed: { context: ['--swarm', '0/2'], negativeInteger: { after: ['--depth', '0'], refusal: '--depth expects a positive integer, found "0"' } },
  },
  mutants: {
    runs: PLAIN, workers: PLAIN,
    seed: { context: [], negativeInteger: { after: ['--runs', '0'], refusal: '--runs expects a positive integer, found "0"' } },
  },
  replay: { 'step-timeout': { context: [TRACE] } },
  audit: { at: { context: [TRACE] }, depth: { context: ['--preset', 'cap-core', '--props', 'no-props.json'] }, 'step-timeout': { context: ['--preset', 'cap-core', '--props', 'no-props.json'] } },
  'image build': LAYERS(['--manifest', 'm.json', '--module', 'module.bin', '--out', 'never-built']),
  'image sign': LAYERS(['no-image-dir']),
  'image verify': LAYERS(['no-image-dir', '--keyring', 'no-keys']),
  'image inspect': LAYERS(['no-image-dir']),
  'repo add': LAYERS(['no-repo', 'no-image-dir', '--keyring', 'no-keys']),
  'repo resolve': LAYERS(['no-repo', 'counter', '^1']),
  'pipeline load': { ...LAYERS(['--repo', 'no-repo', '--keyring', 'no-keys', 'counter']), 'modules-memory': { context: ['--repo', 'no-repo', '--keyring', 'no-keys', 'counter'] } },
  'update-demo': {
    clients: PLAIN,
    seed: { context: [], negativeInteger: { after: ['--protocol', 'nope'], refusal: /^--protocol expects one of / } },
  },
}

/** The flags that take a value other than a number (names, paths, formats, ranges); `path` is check's fast-check replay path. */
const OTHER_VALUES: ReadonlyArray<string> = [
  'out', 'junit', 'counterexamples', 'counterexample', 'report', 'kernel', 'mutant', 'preset', 'boot', 'engine', 'format', 'import-root',
  'write-state', 'keyring', 'floors', 'policy', 'algorithm', 'name', 'manifest', 'module', 'data', 'compression', 'key', 'repo', 'parameters',
  'protocol', 'from', 'to', 'path', 'model-mutant', 'props', 'invariant', 'coverage',
]

const numericCases = Object.entries(NUMERIC).flatMap(([name, flags]) => Object.entries(flags).map(([flag, spec]) => ({ parser: PARSERS.find((p) => p.name === name)!, flag, spec })))

/**
 * What a negative `value` of a numeric flag gets: refused, naming the flag and the
 * value; or, a negative integer for a seed, taken, and then the flag after it refused.
 */
function negativeAnswer(flag: string, spec: NumericFlag, value: string): { after: ReadonlyArray<string>; refusal: string | RegExp; taken: boolean } {
  const integer = /^-\d+$/.test(value) && Number.isSafeInteger(Number(value))
  if (integer && spec.negativeInteger !== undefined && spec.min !== undefined && Number(value) < spec.min) {
    return { after: [], refusal: new RegExp(`^--${flag} expects an integer from ${spec.min} to \\d+ \\(.*\\), found ${value}$`), taken: false }
  }
  if (integer && spec.negativeInteger !== undefined) return { ...spec.negativeInteger, taken: true }
  return { after: [], refusal: new RegExp(`^--${flag} expects .*, found ${JSON.stringify(value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), taken: false }
}

/** Two flags that contradict each other: the arguments in groups (shuffled, a value joined by '=' or not), and the flags the refusal names. */
interface Conflict { readonly parser: string; readonly groups: ReadonlyArray<ReadonlyArray<string>>; readonly names: readonly [string, string] }

const CONFLICTS: ReadonlyArray<Conflict> = [
  { parser: 'check', groups: [['--kernel', 'k.mjs'], ['--mutant', 'm']], names: ['--kernel', '--mutant'] },
  { parser: 'check', groups: [['--shard', '2/3'], ['--runs', '2']], names: ['--shard', '--runs'] },
  { parser: 'explore', groups: [['--preset', 'cap-core'], ['--boot', 'b.json']], names: ['--preset', '--boot'] },
  { parser: 'explore', groups: [['--engine', 'compiled'], ['--kernel', 'k.mjs']], names: ['--engine', '--kernel'] },
  { parser: 'explore', groups: [['--engine', 'general'], ['--kernel', 'k.mjs']], names: ['--engine', '--kernel'] },
  { parser: 'explore', groups: [['--engine', 'compiled'], ['--mutant', 'revoke-misses-messages']], names: ['--engine', '--mutant'] },
  { parser: 'explore', groups: [['--workers', '2'], ['--swarm', '0/2']], names: ['--workers', '--swarm'] },
  { parser: 'explore', groups: [['--seed', '-3'], ['--depth', '2']], names: ['--seed', '--swarm'] },
  { parser: 'replay', groups: [['t.json'], ['--mutant', 'm'], ['--kernel', 'k.mjs']], names: ['--mutant', '--kernel'] },
  { parser: 'replay', groups: [['t.json'], ['--model-only'], ['--kernel', 'k.mjs']], names: ['--model-only', '--kernel'] },
  { parser: 'audit', groups: [['--write-state', 's.json'], ['--out', 'o.txt'], ['--preset', 'cap-core']], names: ['--out', '--write-state'] },
  { parser: 'mutants', groups: [['--list'], ['--runs', '3']], names: ['--list', '--runs'] },
  { parser: 'mutants', groups: [['--list'], ['--json']], names: ['--list', '--json'] },
  { parser: 'bench', groups: [['--json'], ['--markdown']], names: ['--json', '--markdown'] },
  { parser: 'bench', groups: [['--list'], ['--out', 'b.json']], names: ['--list', '--out'] },
  { parser: 'update-demo', groups: [['--fail-v2'], ['--refuse-v2']], names: ['--fail-v2', '--refuse-v2'] },
  { parser: 'update-demo', groups: [['--all'], ['--json']], names: ['--all', '--json'] },
  { parser: 'update-demo', groups: [['--name', 'counter']], names: ['--name', '--repo'] },
]

/** A conflict's command line: its groups shuffled, each `--flag value` as one or two arguments. */
const conflictArb: fc.Arbitrary<{ conflict: Conflict; args: string[] }> = fc.constantFrom(...CONFLICTS).chain((conflict) =>
  fc.tuple(fc.shuffledSubarray([...conflict.groups], { minLength: conflict.groups.length }), fc.array(fc.boolean(), { minLength: conflict.groups.length, maxLength: conflict.groups.length }))
    .map(([groups, joined]) => ({ conflict, args: groups.flatMap((group, index) => (group.length === 2 && group[0]!.startsWith('--') && joined[index] ? [`${group[0]}=${group[1]}`] : [...group])) })))

/** What a conflict's refusal must be: one line, in sila's words, naming both flags. */
function assertConflictRefusal(message: string, conflict: Conflict): void {
  for (const name of conflict.names) assert.ok(new RegExp(`(^|[ (])${name}\\b`).test(message), `names ${name}: ${JSON.stringify(message)}`)
  assert.not.match(message, /\n/)
  assert.not.match(message, /ambiguous|Did you forget|To specify/)
}

/** Runs a parser in process; the UsageError it must throw. */
async function usageErrorOf(parser: Parser, args: ReadonlyArray<string>): Promise<UsageError> {
  try {
    await captured(() => parser.command.run([...parser.prefix.slice(1), ...args]))
  } catch (error) {
    if (error instanceof UsageError) return error
    throw new Error(`${parser.name} ${JSON.stringify(args)}: not a usage error (exit 70 or an input error): ${String(error)}`)
  }
  return assert.unreachable(`accepted: sila ${parser.name} ${JSON.stringify(args)}`) as never
}

test('every flag that takes a value is known as a number or not', () => {
  for (const parser of PARSERS) {
    for (const [flag, option] of Object.entries(parser.options)) {
      if (option.type !== 'string') continue
      const numeric = NUMERIC[parser.name]?.[flag] !== undefined
      assert.ok(numeric !== OTHER_VALUES.includes(flag), `sila ${parser.name} --${flag}: list it in NUMERIC or in OTHER_VALUES (exactly one)`)
    }
  }
  for (const { parser, flag } of numericCases) assert.is(parser.options[flag]?.type, 'string', `sila ${parser.name} --${flag}`)
  console.log(`  ${numericCases.length} numeric flags in ${Object.keys(NUMERIC).length} parsers`)
})

test('in process: a negative number for any numeric flag, as --flag N or --flag=N, is answered in sila\'s words', async () => {
  const start = Date.now()
  const counts = { refused: 0, taken: 0 }
  await fc.assert(fc.asyncProperty(fc.constantFrom(...numericCases), negativeArb(), fc.boolean(), async ({ parser, flag, spec }, value, joined) => {
    const flagArgs = joined ? [`--${flag}=${value}`] : [`--${flag}`, value]
    const answer = negativeAnswer(flag, spec, value)
    const args = [...spec.context, ...flagArgs, ...answer.after]
    const error = await usageErrorOf(parser, args)
    assert.is(error.command, parser.name)
    assert.not.match(error.message, /ambiguous|Did you forget|To specify/, 'not parseArgs\' words')
    if (typeof answer.refusal === 'string') assert.is(error.message, answer.refusal, `${parser.name} ${JSON.stringify(args)}`)
    else assert.match(error.message, answer.refusal, `${parser.name} ${JSON.stringify(args)}`)
    counts[answer.taken ? 'taken' : 'refused']++
  }), { numRuns: 600, seed: SEED, includeErrorInReport: true })
  console.log(`  negative numbers: ${counts.refused} refused naming the flag, ${counts.taken} taken as a seed; ${since(start)}`)
  assert.ok(counts.refused > 0 && counts.taken > 0)
  // And the seed is what the run uses.
  assert.is(parseCheckArgs(['--seed', '-3'])?.seed, -3)
  assert.is(parseCheckArgs(['--seed=-2147483648'])?.seed, -2147483648)
})

test('in process: two flags that contradict each other are refused, naming both, in any order', async () => {
  const seen = new Set<Conflict>()
  await fc.assert(fc.asyncProperty(conflictArb, async ({ conflict, args }) => {
    const parser = PARSERS.find((p) => p.name === conflict.parser)!
    assert.is(oracle(parser, args).kind, 'accepted', 'parseArgs itself accepts the line')
    const error = await usageErrorOf(parser, args)
    assert.is(error.command, parser.name)
    assertConflictRefusal(error.message, conflict)
    seen.add(conflict)
  }), { numRuns: 300, seed: SEED, includeErrorInReport: true })
  assert.is(seen.size, CONFLICTS.length, 'every conflict was tried')
})

test('in process: every real command name is found, nothing else is', () => {
  const names = new Set(COMMANDS.map((command) => command.name))
  fc.assert(fc.property(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 12 })), (name) => {
    assert.is(findCommand(name)?.name, names.has(name) ? name : undefined)
  }), { numRuns: 300, seed: SEED })
})

test('regression: a refusal quotes an argument holding ". " in full, and still drops parseArgs\' advice', async () => {
  const refusal = async (args: string[]): Promise<string> => {
    const command = findCommand(args[0]!)!
    try {
      await captured(() => command.run(args.slice(1)))
    } catch (error) {
      if (!(error instanceof UsageError)) throw error
      return `${error.command}: ${error.message}`
    }
    return assert.unreachable(`accepted: ${JSON.stringify(args)}`) as never
  }
  // The message used to be cut at the first ". ", inside the user's argument: "Unexpected argument 'Two".
  assert.is(await refusal(['update-demo', 'Two. Sentences']), 'update-demo: Unexpected argument \'Two. Sentences\'')
  assert.is(await refusal(['check', '--no. such']), 'check: Unknown option \'--no. such\'')
  assert.is(await refusal(['image', 'inspect', '--no. such']), 'image inspect: Unknown option \'--no. such\'')
  assert.is(await refusal(['check', '--frobnicate']), 'check: Unknown option \'--frobnicate\'')
  assert.is(await refusal(['explore', '--json=yes']), 'explore: Option \'--json\' does not take an argument')
  assert.is(await refusal(['explore', '--depth']), 'explore: Option \'--depth <value>\' argument missing')
})

// ---- as a user runs it ------------------------------------------------------------

interface Spawned { readonly status: number | null; readonly stdout: string; readonly stderr: string }

function silaAsync(args: ReadonlyArray<string>): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/cli/main.js', ...args], { cwd: ROOT, env: { ...process.env, SILA_DEBUG: '' }, timeout: 60_000 })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

/** A command line sure to be refused, or to be `--help`, and what `sila` must answer. */
interface Case {
  readonly kind: string
  readonly args: ReadonlyArray<string>
  readonly check: (run: Spawned) => void
}

const usageFooter = (prefix: string) => `Run '${prefix} --help' for usage.\n`
const commandNames = new Set(COMMANDS.map((command) => command.name))
const text = fc.string({ unit: 'grapheme', maxLength: 16 }).filter(NO_NUL)

function refusedBy(prefix: string, message: string | RegExp): (run: Spawned) => void {
  return (run) => {
    assert.is(run.status, 2, run.stderr)
    assert.is(run.stdout, '')
    if (typeof message === 'string') assert.is(run.stderr, `${prefix}: ${message}\n${usageFooter(prefix)}`)
    else assert.match(run.stderr, message)
  }
}

const casesArb: fc.Arbitrary<Case> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(text.filter((name) => !commandNames.has(name) && name !== 'help' && !name.startsWith('-')), fc.array(text, { maxLength: 2 }))
    .map(([name, rest]): Case => ({ kind: 'unknown command', args: [name, ...rest], check: refusedBy('sila', `unknown command ${JSON.stringify(name)}`) })) },
  { weight: 2, arbitrary: text.map((rest) => `-${rest}`).filter((flag) => !['-h', '--help', '-v', '--version'].includes(flag))
    .map((flag): Case => ({ kind: 'option before the command', args: [flag, 'check'], check: refusedBy('sila', `unknown option ${JSON.stringify(flag)}; the command comes first`) })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('image', 'repo', 'pipeline'), text.filter((name) => name !== '-h' && name !== '--help'))
    .filter(([command, name]) => !PARSERS.some((parser) => parser.name === `${command} ${name}`))
    .map(([command, name]): Case => ({ kind: 'unknown subcommand', args: [command, name], check: refusedBy(`sila ${command}`, new RegExp(`^sila ${command}: unknown subcommand .+; expected .+\\n${usageFooter(`sila ${command}`).replace(/[.*+?^${}()|[\]\\']/g, '\\$&')}$`)) })) },
  { weight: 8, arbitrary: lineArb.filter(({ parser, args }) => oracle(parser, args).kind === 'refused').map(({ parser, args }): Case => ({
    kind: 'refused flags', args: [...parser.prefix, ...args],
    check: (run) => {
      assert.is(run.status, 2, run.stderr)
      assert.is(run.stdout, '')
      assert.ok(run.stderr.startsWith(`sila ${parser.name}: `), run.stderr)
      assert.ok(run.stderr.endsWith(`\n${usageFooter(`sila ${parser.name}`)}`), run.stderr)
      assert.ok(namesAnArgument(run.stderr, args), `quotes the argument: ${run.stderr}`)
    },
  })) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...PARSERS), fc.constantFrom('--help', '-h')).map(([parser, flag]): Case => ({
    kind: 'help', args: [...parser.prefix, flag],
    check: (run) => {
      assert.is(run.status, 0, run.stderr)
      assert.is(run.stderr, '')
      assert.match(run.stdout, /^Usage: sila /)
      if (parser.prefix.length === 1) assert.is(run.stdout, `${parser.command.usage}\n`)
    },
  })) },
  { weight: 1, arbitrary: fc.constantFrom(...COMMANDS).map((command): Case => ({
    kind: 'help', args: ['help', command.name], check: (run) => { assert.is(run.status, 0, run.stderr); assert.is(run.stdout, `${command.usage}\n`) },
  })) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...numericCases), negativeArb(), fc.boolean()).map(([{ parser, flag, spec }, value, joined]): Case => {
    const answer = negativeAnswer(flag, spec, value)
    return {
      kind: 'negative number', args: [...parser.prefix, ...spec.context, ...(joined ? [`--${flag}=${value}`] : [`--${flag}`, value]), ...answer.after],
      check: (run) => {
        refusedBy(`sila ${parser.name}`, /./)(run)
        const [line, footer] = run.stderr.split('\n')
        assert.is(footer, usageFooter(`sila ${parser.name}`).trimEnd())
        const message = line!.slice(`sila ${parser.name}: `.length)
        if (typeof answer.refusal === 'string') assert.is(message, answer.refusal)
        else assert.match(message, answer.refusal)
      },
    }
  }) },
  { weight: 3, arbitrary: conflictArb.map(({ conflict, args }): Case => ({
    kind: 'conflicting flags', args: [...conflict.parser.split(' '), ...args],
    check: (run) => {
      refusedBy(`sila ${conflict.parser}`, /./)(run)
      const [line, footer, rest] = run.stderr.split('\n')
      assert.is(footer, usageFooter(`sila ${conflict.parser}`).trimEnd())
      assert.is(rest, '')
      assertConflictRefusal(line!.slice(`sila ${conflict.parser}: `.length), conflict)
    },
  })) },
)

/** Fixed cases: no command at all, the top-level help and version. */
const FIXED: ReadonlyArray<Case> = [
  { kind: 'no command', args: [], check: (run) => { assert.is(run.status, 2); assert.match(run.stderr, /^sila: property suites/); assert.match(run.stderr, /Usage: sila <command> \[options\]/) } },
  { kind: 'help', args: ['--help'], check: (run) => { assert.is(run.status, 0); assert.match(run.stdout, /Usage: sila <command> \[options\]/) } },
  { kind: 'version', args: ['--version'], check: (run) => { assert.is(run.status, 0); assert.match(run.stdout, /^\d+\.\d+\.\d+\n$/) } },
]

test(`as a process: at most ${SPAWNS} command lines exit 2 with a message and no stack, or 0 for --help`, async () => {
  const start = Date.now()
  const cases = [...FIXED, ...fc.sample(casesArb, { numRuns: SPAWNS - FIXED.length, seed: SEED })]
  assert.ok(cases.length <= SPAWNS)
  const results: Spawned[] = new Array(cases.length)
  let next = 0
  const worker = async () => { while (next < cases.length) { const index = next++; results[index] = await silaAsync(cases[index]!.args) } }
  await Promise.all([worker(), worker(), worker()])
  const counts = new Map<string, number>()
  const exits = new Map<number | null, number>()
  cases.forEach((entry, index) => {
    const run = results[index]!
    const where = `sila ${JSON.stringify(entry.args).slice(0, 300)} (${entry.kind})`
    try {
      assert.not.match(run.stderr, STACK_LINE, 'no stack trace')
      assert.not.match(run.stderr, /^sila: internal error/m)
      entry.check(run)
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}\nstdout: ${run.stdout.slice(0, 500)}\nstderr: ${run.stderr.slice(0, 500)}`)
    }
    counts.set(entry.kind, (counts.get(entry.kind) ?? 0) + 1)
    exits.set(run.status, (exits.get(run.status) ?? 0) + 1)
  })
  console.log(`  spawned ${cases.length}: ${[...counts].map(([kind, n]) => `${kind} ${n}`).join(', ')}; exit 2: ${exits.get(2) ?? 0}, exit 0: ${exits.get(0) ?? 0}; ${since(start)}`)
  for (const kind of ['unknown command', 'option before the command', 'unknown subcommand', 'refused flags', 'help', 'negative number', 'conflicting flags']) assert.ok((counts.get(kind) ?? 0) > 0, `no ${kind} case`)
  assert.ok((exits.get(2) ?? 0) > 0 && (exits.get(0) ?? 0) > 0)
})

test.run()
