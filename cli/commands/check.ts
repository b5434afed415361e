/**
 * `sila check [SUITE...]`: the property suites (tooling.md §2). The flags are parsed
 * and validated here; running the suites is `runCheck(options)` in `properties/`,
 * not wired yet, so the command still answers "planned".
 * @module
 */
import { type Command, conflict, integerFlag, parseFlags, positiveIntegerFlag, refuseTogether, secondsFlag, WORKERS_DEFAULT_MAX } from '../command.js'
import { EXIT, exitCodesHelp, say, UsageError } from '../output.js'
import { checkOutputs } from '../outputs.js'
import { storeDirectory } from '../../checker/counterexample.js'
import { CHECK_DEFAULTS, runCheckCommand, runFailFast } from './check-run.js'

/** The suite names `sila check` accepts (tooling.md §2). @public */
export const SUITES = ['refinement', 'invariants', 'isolation', 'noninterference', 'quota', 'robustness', 'pipeline', 'update', 'systems', 'all'] as const
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
  /** `--path P`: fast-check's path of the one case to run (with `--seed`, one suite). */
  readonly path?: string | undefined
  /** `--props FILE`: the user's properties (a sila-props/1 .json file, or a JavaScript module). */
  readonly props?: string | undefined
  /** `--invariant NAME` (repeatable): only these catalogue invariants and user properties. */
  readonly invariants?: ReadonlyArray<string>
  /** `--fail-fast`: stop at the first failing run, unshrunk (the oracle of mutation testing). */
  readonly failFast?: boolean
  /** `--step-timeout S`: a worker whose kernel has not answered for S seconds is stopped and its suite fails (default {@link CHECK_DEFAULTS}.stepTimeoutSeconds). */
  readonly stepTimeoutSeconds?: number | undefined
  /** `--boot FILE`: the systems suite checks this declared system (a boot file, as explore --boot takes) instead of generated ones. */
  readonly boot?: string | undefined
}

const USAGE = `Usage: sila check [SUITE...] [options]

Runs property suites over generated syscall sequences. SUITE is one of
${SUITES.join(', ')} (default: all). Every suite steps the kernel in
lockstep with the model; all but 'systems' start from one boot configuration,
and 'systems' boots a generated declared system (boot.system: containers,
processes, objects, caps) in each run and steps the calls explore --boot would.

Options:
  --runs N            runs per suite (default ${CHECK_DEFAULTS.runs})
  --seed N            seed of the random generator, an integer from -2^31 to
                      2^31-1 (same seed, same run; default: from the clock, printed)
  --max-steps N       longest generated sequence (default ${CHECK_DEFAULTS.maxSteps}, at most 100,000)
  --workers N         worker threads (default ${WORKERS_DEFAULT_MAX}, or 1 on one core)
  --shard I/N         run shard I of N (0 <= I < N): the run count is split among
                      the shards, so N is at most --runs (default: the whole run);
                      each shard draws its own cases from a seed derived from
                      --seed and its index, so merged shards are not the whole
                      run's cases (a 'sometimes' one reaches may be vacuous in another)
  --time-limit S      stop starting runs after S seconds, shared by the suites each
                      worker runs in turn (a run under way finishes; default: no limit)
  --step-timeout S    a kernel step (or boot, or abstraction, or a user property)
                      that has not returned after S seconds is stopped: its suite
                      FAILS (ROBUST: every syscall gets an answer; STALL naming
                      a user property that did not return) with the run under
                      way, unshrunk, its unanswered step and a 'rerun it'
                      command; its trace is written, not stored ('sila replay'
                      stops at the same step), and the worker's other suites
                      go on; a --kernel whose
                      create does not return, or a --kernel or --props module
                      whose loading does not finish, is refused (exit 2)
                      (default ${CHECK_DEFAULTS.stepTimeoutSeconds})
  --kernel FILE       check your own kernel: a module exporting 'target' (docs/own-kernel.md)
  --mutant NAME       check a seeded bug instead of the impl (see 'sila mutants --list');
                      --kernel and --mutant exclude each other (default: the impl)
  --out FILE          write the results (sila-check/1 JSON) for 'sila merge'
  --counterexamples D directory for counterexample traces, created if missing
                      (with --out: its directory; default '${CHECK_DEFAULTS.counterexamples}'); each failure is also kept in the store
                      .sila/counterexamples (SILA_STORE=DIR names another), whose
                      scenarios later runs try first
  --junit FILE        write JUnit XML
  --report DIR        write an HTML report (summary, coverage charts, counterexample
                      timeline, authority graph) to DIR/index.html (DIR is created
                      if missing)
  --json              print the summary as JSON
  --boot FILE         check your own declared system (a boot file, as explore
                      --boot takes: examples/systems/*/boot.json) with the
                      systems suite alone: every run boots it as written, then
                      steps the calls explore --boot would search it with, and
                      init's; --props then names its objects
  --props FILE        also check your own properties on every model state the
                      suites refinement, invariants, isolation, quota, robustness
                      and pipeline reach, or with --boot the systems suite (the
                      boot state and after every step).
                      FILE is a sila-props/1 JSON file (.json) naming things of the
                      checked system: root, init, the devices disk0 and net0, and
                      objects by kind or owner; or a JavaScript module (.js, .mjs)
                      exporting properties made with defineProperty from
                      'sila-kernel/properties' (README: "Your own properties").
                      A broken 'always' property fails like an invariant: a shrunk
                      counterexample naming it and its sentence. A 'sometimes'
                      property reached in some run gets a shrunk witness trace
                      (sila-witness-*.trace.json); reached in no run, a vacuity
                      warning (not a pass; the exit code does not change)
  --invariant NAME    check only this catalogue invariant (CAP-1 ... SCHED-1) or
                      user property; repeatable. The suites still run, each
                      checking the chosen invariants it is about; refinement
                      (REF-1), noninterference (NI-1), robustness and update
                      check their own relations regardless: name SUITEs to
                      leave them out (e.g. 'sila check invariants --invariant CAP-1')
  --fail-fast         a quick yes/no: the suites run on one thread in rounds of
                      a hundredth, a tenth, then all of the runs, and the first
                      failing run ends the check (exit 1), unshrunk, nothing
                      written, the store not read (the oracle of 'npm run mutate');
                      --props, --invariant and --step-timeout apply (a kernel
                      call or property that does not return fails the check,
                      printing the command that reruns that run)
  --path P            with --seed and one SUITE: run exactly the case fast-check's
                      path P names (a failure prints the command: 'rerun it: npx sila
                      check SUITE --seed S --path P ...'); the stored counterexamples
                      are not tried first, and no coverage is printed (one case)
  -h, --help          show this help

Output paths are checked before the suites run: a file's directory must exist.

${exitCodesHelp({ ok: 'every suite passed', failed: 'a suite failed: its shrunk counterexample was written', interrupted: "interrupted (Ctrl-C): what was found so far was reported and written" })}`

const FLAGS = {
  runs: { type: 'string' }, seed: { type: 'string' }, 'max-steps': { type: 'string' }, workers: { type: 'string' },
  shard: { type: 'string' }, 'time-limit': { type: 'string' }, junit: { type: 'string' }, json: { type: 'boolean' },
  out: { type: 'string' }, counterexamples: { type: 'string' }, kernel: { type: 'string' }, mutant: { type: 'string' },
  report: { type: 'string' }, path: { type: 'string' }, props: { type: 'string' }, invariant: { type: 'string', multiple: true },
  'fail-fast': { type: 'boolean' }, 'step-timeout': { type: 'string' }, boot: { type: 'string' },
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

/** Validates the command line of `sila check`; null when `--help` was asked for. @public */
export function parseCheckArgs(args: ReadonlyArray<string>): CheckArgs | null {
  const parsed = parseFlags('check', args, FLAGS, true)
  if (parsed === null) return null
  const unknown = parsed.positionals.filter((name) => !isSuite(name))
  if (unknown.length > 0) throw new UsageError(`unknown suite ${JSON.stringify(unknown[0])}; suites: ${SUITES.join(', ')}`, 'check')
  const values = parsed.values
  refuseTogether('check', values, [['kernel', 'mutant', 'each names the kernel to check'],
    ...(['workers', 'shard', 'path', 'time-limit', 'out', 'junit', 'report', 'json', 'counterexamples'] as const)
      .map((flag) => ['fail-fast', flag, 'a fail-fast check runs in one thread, stops at the first failure and writes nothing'] as const)])
  const runs = positiveIntegerFlag('check', 'runs', values.runs)
  const shard = parseShard(values.shard)
  if (shard !== undefined && shard.count > (runs ?? CHECK_DEFAULTS.runs)) {
    throw conflict('check', `--shard ${values.shard}`, `--runs ${runs ?? `${CHECK_DEFAULTS.runs} (the default)`}`, `${shard.count} shards of ${runs ?? CHECK_DEFAULTS.runs} runs leave some shards none`)
  }
  // Your system is booted by the systems suite; the others start from their own boot configurations, and would not check it.
  const others = parsed.positionals.filter((name) => name !== 'systems')
  if (values.boot !== undefined && others.length > 0) throw new UsageError(`--boot expects the systems suite alone, found suite ${JSON.stringify(others[0])}: a boot file is checked by the systems suite (the other suites start from boot configurations of their own)`, 'check')
  return {
    suites: values.boot !== undefined ? ['systems'] : parsed.positionals.length === 0 ? ['all'] : (parsed.positionals as SuiteName[]),
    runs,
    seed: boundedFlag('seed', integerFlag('check', 'seed', values.seed), SEED_MIN, SEED_MAX, 'fast-check\'s seeds are 32-bit: two seeds 2^32 apart would be one run'),
    maxSteps: boundedFlag('max-steps', positiveIntegerFlag('check', 'max-steps', values['max-steps']), 1, MAX_STEPS_MAX, 'one run\'s sequence is held whole, and a time limit cannot stop a run under way'),
    workers: positiveIntegerFlag('check', 'workers', values.workers),
    shard,
    timeLimitSeconds: secondsFlag('check', 'time-limit', values['time-limit']),
    junit: values.junit,
    json: values.json === true,
    out: values.out,
    counterexamples: values.counterexamples,
    target: values.kernel !== undefined ? `file:${values.kernel}` : values.mutant !== undefined ? `mutant:${values.mutant}` : 'impl',
    report: values.report,
    path: parsePath(values.path, values.seed, parsed.positionals),
    props: values.props,
    invariants: values.invariant ?? [],
    ...(values['fail-fast'] === true ? { failFast: true } : {}),
    stepTimeoutSeconds: secondsFlag('check', 'step-timeout', values['step-timeout']),
    ...(values.boot === undefined ? {} : { boot: values.boot }),
  }
}

/** The seeds --seed takes: fast-check's 32-bit seeds, each once. */
const SEED_MIN = -(2 ** 31)
const SEED_MAX = 2 ** 31 - 1
/** The longest sequence --max-steps allows. */
const MAX_STEPS_MAX = 100_000

/** `value` (already parsed) within [min, max], or a {@link UsageError} saying why the bound is there. */
function boundedFlag(flag: string, value: number | undefined, min: number, max: number, why: string): number | undefined {
  if (value !== undefined && (value < min || value > max)) throw new UsageError(`--${flag} expects an integer from ${min} to ${max} (${why}), found ${value}`, 'check')
  return value
}

function parsePath(value: string | undefined, seed: string | undefined, suites: ReadonlyArray<string>): string | undefined {
  if (value === undefined) return undefined
  if (!/^\d+(?::\d+)*$/.test(value)) throw new UsageError(`--path expects fast-check's path, numbers separated by ':' such as 12:0:3, found ${JSON.stringify(value)}`, 'check')
  if (seed === undefined) throw new UsageError('--path needs the --seed of the run that printed it', 'check')
  if (suites.length !== 1 || suites[0] === 'all') throw new UsageError('--path names a case of one suite: give exactly one SUITE', 'check')
  return value
}

async function run(args: ReadonlyArray<string>): Promise<number> {
  const options = parseCheckArgs(args)
  if (options === null) {
    say(USAGE)
    return EXIT.ok
  }
  checkOutputs('check', [
    { name: '--out', path: options.out, kind: 'file' },
    { name: '--junit', path: options.junit, kind: 'file' },
    { name: '--report', path: options.report, kind: 'directory' },
    { name: '--counterexamples', path: options.counterexamples ?? CHECK_DEFAULTS.counterexamples, kind: 'directory', isDefault: options.counterexamples === undefined },
    // The store is written too when a run fails: a store that cannot be is refused now, not after the run has found something.
    { name: 'the counterexample store (SILA_STORE=DIR names another)', path: storeDirectory(), kind: 'directory' },
  ])
  return options.failFast === true ? runFailFast(options) : runCheckCommand(options)
}

/** @public */
export const checkCommand: Command = {
  name: 'check',
  summary: 'run the property suites over generated syscall sequences',
  usage: USAGE,
  planned: false,
  run,
}
