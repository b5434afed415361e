/**
 * `sila check [SUITE...]`: the property suites (tooling.md §2). The flags are parsed
 * and validated here; running the suites is `runCheck(options)` in `properties/`,
 * not wired yet, so the command still answers "planned".
 * @module
 */
import { type Command, parseFlags, positiveIntegerFlag } from '../command.js'
import { EXIT, say, UsageError } from '../output.js'
import { runCheckCommand } from './check-run.js'

/** The suite names `sila check` accepts (tooling.md §2). @public */
export const SUITES = ['refinement', 'invariants', 'isolation', 'noninterference', 'quota', 'robustness', 'pipeline', 'update', 'all'] as const
export type SuiteName = (typeof SUITES)[number]

/** The validated command line of `sila check`. @public */
export interface CheckArgs {
  readonly suites: ReadonlyArray<SuiteName>
  readonly runs: number | undefined
  readonly seed: number | undefined
  readonly maxSteps: number | undefined
  readonly workers: number | undefined
  /** `--shard i/n`: this job runs shard `index` (0-based) of `count`. */
  readonly shard: { readonly index: number; readonly count: number } | undefined
  readonly timeLimitSeconds: number | undefined
  readonly junit: string | undefined
  readonly json: boolean
  readonly out: string | undefined
  readonly counterexamples: string | undefined
  /** The kernel checked against the model: impl (default), model, file:PATH or mutant:NAME. */
  readonly target: string
  /** `--report DIR`: write the HTML report to DIR/index.html. */
  readonly report?: string | undefined
}

const USAGE = `Usage: sila check [SUITE...] [options]

Runs property suites over generated syscall sequences. SUITE is one of
${SUITES.join(', ')} (default: all).

Options:
  --runs N            runs per suite
  --seed N            seed of the random generator (same seed, same run)
  --max-steps N       longest generated sequence
  --workers N         worker threads
  --shard I/N         run shard I of N (0 <= I < N)
  --time-limit S      stop after S seconds
  --kernel FILE       check your own kernel: a module exporting 'target' (docs/own-kernel.md)
  --mutant NAME       check a seeded bug instead of the impl (see 'sila mutants --list')
  --out FILE          write the results (sila-check/1 JSON) for 'sila merge'
  --counterexamples D directory for counterexample traces (default: --out's
                      directory, else .); each failure is also kept in the store
                      .sila/counterexamples (SILA_STORE=DIR names another), whose
                      scenarios later runs try first
  --junit FILE        write JUnit XML
  --report DIR        write an HTML report (summary, coverage charts, counterexample
                      timeline, authority graph) to DIR/index.html
  --json              print the summary as JSON
  -h, --help          show this help`

const FLAGS = {
  runs: { type: 'string' }, seed: { type: 'string' }, 'max-steps': { type: 'string' }, workers: { type: 'string' },
  shard: { type: 'string' }, 'time-limit': { type: 'string' }, junit: { type: 'string' }, json: { type: 'boolean' },
  out: { type: 'string' }, counterexamples: { type: 'string' }, kernel: { type: 'string' }, mutant: { type: 'string' },
  report: { type: 'string' },
} as const

function isSuite(name: string): name is SuiteName {
  return (SUITES as ReadonlyArray<string>).includes(name)
}

function parseShard(value: string | undefined): CheckArgs['shard'] {
  if (value === undefined) return undefined
  const match = /^(\d+)\/(\d+)$/.exec(value)
  const index = Number(match?.[1])
  const count = Number(match?.[2])
  if (match === null || count < 1 || index >= count) throw new UsageError(`--shard expects I/N with 0 <= I < N, found ${JSON.stringify(value)}`, 'check')
  return { index, count }
}

function parseSeed(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const seed = Number(value)
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(seed)) throw new UsageError(`--seed expects an integer, found ${JSON.stringify(value)}`, 'check')
  return seed
}

function parseSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const seconds = Number(value)
  if (!/^\d+(\.\d+)?$/.test(value) || !(seconds > 0)) throw new UsageError(`--time-limit expects a positive number of seconds, found ${JSON.stringify(value)}`, 'check')
  return seconds
}

/** Validates the command line of `sila check`; null when `--help` was asked for. @public */
export function parseCheckArgs(args: ReadonlyArray<string>): CheckArgs | null {
  const parsed = parseFlags('check', args, FLAGS, true)
  if (parsed === null) return null
  const unknown = parsed.positionals.filter((name) => !isSuite(name))
  if (unknown.length > 0) throw new UsageError(`unknown suite ${JSON.stringify(unknown[0])}; suites: ${SUITES.join(', ')}`, 'check')
  const values = parsed.values
  return {
    suites: parsed.positionals.length === 0 ? ['all'] : (parsed.positionals as SuiteName[]),
    runs: positiveIntegerFlag('check', 'runs', values.runs),
    seed: parseSeed(values.seed),
    maxSteps: positiveIntegerFlag('check', 'max-steps', values['max-steps']),
    workers: positiveIntegerFlag('check', 'workers', values.workers),
    shard: parseShard(values.shard),
    timeLimitSeconds: parseSeconds(values['time-limit']),
    junit: values.junit,
    json: values.json === true,
    out: values.out,
    counterexamples: values.counterexamples,
    target: values.kernel !== undefined ? `file:${values.kernel}` : values.mutant !== undefined ? `mutant:${values.mutant}` : 'impl',
    report: values.report,
  }
}

async function run(args: ReadonlyArray<string>): Promise<number> {
  const options = parseCheckArgs(args)
  if (options === null) {
    say(USAGE)
    return EXIT.ok
  }
  return runCheckCommand(options)
}

/** @public */
export const checkCommand: Command = {
  name: 'check',
  summary: 'run the property suites over generated syscall sequences',
  usage: USAGE,
  planned: false,
  run,
}
