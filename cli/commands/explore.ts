/**
 * `sila explore`: bounded explicit-state model checking of the model (tooling.md
 * §3). The search is in `checker/explore/`; this file parses flags and renders.
 * @module
 */
import { type Command, conflict, integerFlag, parseFlags, positiveIntegerFlag, refuseTogether, secondsFlag } from '../command.js'
import { EXIT, exitCodesHelp, formatJson, renderTable, say, UsageError, warn, writeOutputFile } from '../output.js'
import { checkOutputs } from '../outputs.js'
import { basename, dirname, join } from 'node:path'
import { bootFilePreset, refuseLargeAlphabet, SHIPPED_IMAGES, systemDigest } from '../boot-file.js'
import { withForgedImages } from '../../checker/explore/forged-images.js'
import { PRESETS, type Preset } from '../../spec/presets.js'
import { InputError } from '../../spec/decode.js'
import { bootNamed } from '../../model/boot.js'
import { type Coverage, type Engine, exploreInWorker, exploreTrace, findPreset, witnessTrace } from '../../checker/explore/run.js'
import { actionVariant, alphabetKinds, presetActions } from '../../checker/explore/actions.js'
import { type CheckedSource, type PropertyVerdict, loadChecked } from '../../checker/explore/props.js'
import type { ExploreProgress, ExploreResult } from '../../checker/explore/search.js'
import { callerText, syscallText } from '../../checker/stepText.js'
import { exploreReport, generatorName, writeReport } from '../../checker/report/index.js'
import { loadTarget, replayFlags, resolveTarget, shellWord } from '../../checker/targets.js'
import { loadModulesWithin } from '../../checker/user-module.js'
import type { ProducedBy } from '../../spec/trace.js'
import { findModelMutant, MODEL_MUTANTS } from '../../mutants/model-mutants.js'
import { interruptedBefore } from '../interrupt.js'

/** What explore does when a flag is not given. @internal */
export const EXPLORE_DEFAULTS = { preset: 'cap-core', seed: 1, engine: 'auto', workers: 1, coverage: 'kind', counterexample: 'sila-explore-counterexample.trace.json', stepTimeoutSeconds: 60 } as const

const ENGINES: ReadonlyArray<Engine> = ['auto', 'compiled', 'general', 'model']

/** Who signs the images sila ships, for --help: each key id and the image names it signs (a key's own keyring entry trusts them). */
function shippedSigners(): string {
  const signs = new Map<string, Set<string>>()
  for (const image of SHIPPED_IMAGES) {
    for (const signature of image.signatures) if (signature.verifies) signs.set(signature.signer, (signs.get(signature.signer) ?? new Set()).add(image.name))
  }
  return [...signs].map(([signer, names]) => `"${signer}" (${[...names].sort().join(', ')})`).join(', ')
}

const USAGE = `Usage: sila explore [--preset NAME | --boot FILE] [options]

Breadth-first explicit-state search, checking every invariant of the catalogue
in every state and on every transition; stops at the first violation with a
shortest path. States are compared up to renaming of identities and remembered
by 64-bit fingerprints (the collision probability is reported). Presets: ${PRESETS.map((p) => p.name).join(', ')}.

Engines (--engine): 'compiled' (what auto runs) is the fastest compiled engine
for the system: on cap-core and cap-core-3 a hand-written engine specialised to
them (packed states, 100,000+ states/s); on every other preset and every --boot
system the general engine, which steps the impl kernel and checks every
invariant on every transition (state invariants once per new state) with fast
checks on the impl's tables, the model's own invariant functions deciding
wherever those cannot vouch, and a successor met before with the same handles
takes its fingerprint from a cache instead of being encoded again (bench B9,
2026-12-04: 23-93x the model engine on nested and the example systems,
23,000-62,000 states/s, its short runs moving by a third; every syscall kind
has a step guard). The general engine checks the dirty lists its undo,
cache and guards trust against a fresh kernel (before a violation is reported,
when a step throws, and every 4,096th state): a step that leaves a change out
stops the search with a KernelBug naming it (exit 1); a step in which the kernel
throws by itself is a counterexample (REF-1, "the kernel threw"). What it finds
it found on the impl: the trace names the impl, which sila replay then steps. 'general' forces
the general engine (on cap-core 0.25-0.31x the specialised one in bench B5:
30,500-48,300 states/s over the whole space, 1.57-1.86x that with --workers 2,
the machine's speed varying); 'model' steps the
model itself, and
--mutant (a copy of the model) and --kernel (your kernel, which the model
drives) need it. --refine against the impl runs on the general engine (also
with --workers): every action tried in every state, refused ones included, is
stepped on the model from the abstraction of the state expanded, and the two
must agree. All three count the same
states and transitions (over the whole of cap-core 8,743,660 states, depth 22,
109,283,233 transitions): identities are relabelled by first reach, and
symmetric objects nothing reaches are tried in every order, the least encoding
kept. The summary counts the transitions taken by syscall kind and names the
kinds of the alphabet none took ("Never taken": each of their actions was
refused in every state searched, so the search says nothing of them;
"neverTaken" in --json); --coverage variant counts and names variants instead.

Your own properties (--props FILE, a sila-props/1 file or a module of
defineProperty properties; README "Your own properties"): each is evaluated on
every new state. A broken 'always' property stops the search like an invariant:
a shortest counterexample, naming the property and its sentence, written and
replayable. A 'sometimes' property found gives a witness: a shortest trace to
the good state, written beside the counterexample, named after it
(sila-explore-witness-NAME.trace.json by default; --counterexample X.json
or X.trace.json gives X-witness-NAME.trace.json), and the search goes on; one never
found is a vacuity warning ("not reached within depth N / S states: this is
not a pass"), or "unreachable" when the search was exhaustive; neither changes
the exit code. The verdicts (held, violated, witnessed, vacuous, unreachable)
are printed and are under "properties" in --json and --out. The specialised
cap-core engine cannot read them: with --props (or --invariant) cap-core runs
on the general engine.

A sila-props/1 file: {"format": "sila-props/1", "properties": [{"name": N,
"says": SENTENCE, "kind": K, ...}]}, names as the system declares them (and
root, init); a container stands with its nested ones. The kinds:
  never-holds  subject {"process": P} | {"container": C}, object, rights [...]
  confined     object, within [C, ...]: every cap to it stays inside them
  no-flow      from C, to C (both: true): nothing one writes the other reads
  bound        measure (memoryBytes processes endpoints cpuBudget ioBytes caps
               running | queued), container C | endpoint E, max N
  sometimes    when [{"holds": {subject, object, rights}} | {"flow": {from, to}}
               | {"atLeast": {measure, container|endpoint, value}}, ...]
An object is {"name": N}, {"device": D}, or {"kind": K} and/or {"owner": C}.

Options:
  --preset NAME      a preset (default ${EXPLORE_DEFAULTS.preset})
  --boot FILE        a boot file declaring your system (examples/systems/*/boot.json);
                     --preset and --boot exclude each other. An image (a process's
                     "image", an entry of the optional "images" list: the pool, which
                     holds exactly the images the file names) is NAME@VERSION (or NAME
                     when one version is known), ./DIR of a built, signed image
                     (relative to FILE; verified against the keyring, whose entries
                     may be {"keyFile": "./keys/NAME.pub.json"}), or sha256:DIGEST.
                     Names resolve against the file's built images, then those sila
                     ships (${[...new Set(SHIPPED_IMAGES.map((image) => image.name))].sort().join(', ')}; an unknown name is refused listing each version).
                     Their signers, by key id: ${shippedSigners()};
                     a keyring entry {"keyId": "release", "algorithm": "ML-DSA-65"}
                     trusts one.
                     The declared processes act (and the first one they spawn): they
                     copy (read or write only, or write with a badge one past
                     any declared), move, delete, revoke, create endpoints
                     (depth 1 and 2),
                     1-byte data and code regions and regions filling a
                     container's memory at boot or one byte past it, send,
                     receive, map (read-write, read-execute, and write-execute,
                     which W^X refuses), unmap, submit I/O (1 byte, or a
                     container's whole budget), list processes, kill, spawn the
                     pool's images into containers they hold (as uid 0, and as
                     the last uid the container maps and the first it does
                     not), and spawn images an attacker could put beside the
                     pool's (each unsigned, signed by a key outside the keyring,
                     and, where its name has a floor, below it and at the
                     floor's prerelease: an honest kernel refuses them all),
                     destroy containers and set the limits
                     of those they control (each used resource -1, +1 or + all
                     the parent had left at boot, memory and processes combined;
                     one at a time at its floor, what the container used and
                     reserved at boot, or one below or above it; a device
                     dropped or added; another container's weight or
                     one more), create children in them (empty, in every
                     namespace mode, with the parent's whole uid range or one
                     past it; or all the parent had left at boot, or one more
                     of a resource, or a device it does not allow), and pass caps
                     through every namespace table two of them share
                     (two processes of one container, or 'share' up to a common
                     owner): services named after the declared endpoints (ipc),
                     a port per endpoint (net: 1, 2, ...), a path per declared
                     object (mount: /NAME, or /shared when there is none; any
                     rights). The clock ticks (with CPU accounting) and runs the
                     scheduler over twice the declared weights' sum. A cap may
                     name a device.
                     The alphabet grows with the cube of a process's slots (a spawn
                     names a container, a destination and a granted slot): 17 slots
                     each make web-app's 220 actions 88,240; any size up to
                     2,097,152 actions runs, slower; a larger one is refused
                     (exit 2), naming the slots of the process with the most.
  --depth N          depth bound (default: no bound)
  --states N         stop after N distinct states (default: no bound)
  --time-limit S     stop after S seconds (default: no limit)
  --step-timeout S   a kernel call (a step, its boot, the abstraction) that has
                     not returned after S seconds stops the search: a ROBUST
                     violation (every syscall gets an answer) whose shortest path
                     ends with the unanswered step, written like any other (sila
                     replay stops at the same step); watched: your --kernel and
                     the impl the general engine steps; a --props property in
                     code that does not return is a STALL, its shortest path
                     written as a trace (sila replay asks the property there,
                     watched, and reports it unanswered); a --kernel or --props
                     module whose loading
                     does not finish within S seconds is refused (exit 2)
                     (default ${EXPLORE_DEFAULTS.stepTimeoutSeconds})
  --props FILE       also check your properties, named by the system's names (the
                     preset's, or the --boot file's): FILE.json is sila-props/1,
                     any other FILE a JavaScript module exporting properties
  --invariant NAME   check only this catalogue invariant (CAP-1, ...) or property
                     of --props; repeatable (default: the catalogue and every property)
  --refine           also step the model on every action tried, refused ones included:
                     the impl's answer and abstract state are the model's (REF-1);
                     on the general engine (auto), about the model engine's speed;
                     a --boot system's processes also inspect caps and read
                     container stats (cap_inspect, container_stats: only the
                     model's answers can tell theirs wrong)
  --kernel FILE      --refine against your own kernel: a module exporting 'target'
                     (docs/own-kernel.md); on the model engine
  --swarm I/N        diversified bounded search I of N (random action order and depth)
  --seed N           seed of the swarm's randomness, any integer; with --swarm only
                     (default ${EXPLORE_DEFAULTS.seed})
  --engine E         ${ENGINES.join(' | ')} (default ${EXPLORE_DEFAULTS.engine}: compiled, or model
                     for --kernel and --mutant); compiled: the specialised engine on
                     cap-core and cap-core-3, the general one (steps the impl) elsewhere
                     and with --refine; compiled and general: not with --kernel or --mutant
  --workers N        threads for the compiled breadth-first search (default ${EXPLORE_DEFAULTS.workers}); each
                     fingerprint has an owner thread that says whether it is new; the
                     result is the same; more than 1 not with --swarm; with --states
                     the search runs on one core (the bound is then met exactly)
  --mutant NAME      explore a copy of the model with a seeded bug (${MODEL_MUTANTS.map((m) => m.name).join(', ')})
  --counterexample F where to write a counterexample trace (with --out DIR/NAME.json:
                     DIR/sila-explore-counterexample-NAME.trace.json; default ${EXPLORE_DEFAULTS.counterexample})
  --out FILE         write the result as JSON (sila-explore/1), for 'sila merge'; no
                     timing or memory in it: the same flags give the same bytes
  --report DIR       write an HTML report (summary, coverage chart, counterexample
                     timeline, authority graph) to DIR/index.html (DIR is created if missing)
  --coverage BY      kind (default) or variant: count the transitions taken by
                     syscall kind, or by variant (a copy's rights and badge, a
                     region's kind, a map's perms, an endpoint's depth, a spawn's
                     uid and grant, a child's namespaces and reservation, ...),
                     and name the variants no state took ("Never taken"), where
                     a kind taken may hide variants never taken
  --json             print the result as JSON, with time, states/s and peak memory
  -h, --help         show this help

Output paths are checked before the search: a file's directory must exist.

${exitCodesHelp({ ok: 'no violation (the search was complete, or within its bounds); witnesses and vacuity warnings do not change it', failed: 'an invariant or always property was violated: a shortest path was written; or the kernel searched broke a contract the general engine relies on (a KernelBug message names the step; nothing written)', interrupted: 'interrupted (Ctrl-C): what was searched so far was reported and written' })}`

const FLAGS = {
  preset: { type: 'string' }, boot: { type: 'string' }, depth: { type: 'string' }, states: { type: 'string' }, 'time-limit': { type: 'string' },
  refine: { type: 'boolean' }, swarm: { type: 'string' }, seed: { type: 'string' }, engine: { type: 'string' }, counterexample: { type: 'string' },
  out: { type: 'string' }, json: { type: 'boolean' }, mutant: { type: 'string' }, report: { type: 'string' }, workers: { type: 'string' }, kernel: { type: 'string' },
  props: { type: 'string' }, invariant: { type: 'string', multiple: true }, coverage: { type: 'string' }, 'step-timeout': { type: 'string' },
} as const

const COVERAGES: ReadonlyArray<Coverage> = ['kind', 'variant']

function presetFrom(values: { preset?: string; boot?: string }): Preset {
  if (values.boot !== undefined) {
    const declared = withForgedImages(bootFilePreset(values.boot, 'explore'))
    refuseLargeAlphabet(values.boot, declared)
    return declared
  }
  const preset = findPreset(values.preset ?? EXPLORE_DEFAULTS.preset)
  if (preset === undefined) throw new UsageError(`unknown preset ${JSON.stringify(values.preset)}; presets: ${PRESETS.map((p) => p.name).join(', ')}`, 'explore')
  return preset
}

function parseSwarm(value: string | undefined, seed: number): { index: number; count: number; seed: number } | undefined {
  if (value === undefined) return undefined
  const match = /^(\d+)\/(\d+)$/.exec(value)
  if (match === null || Number(match[2]) < 1 || Number(match[1]) >= Number(match[2])) throw new UsageError(`--swarm expects I/N with 0 <= I < N, found ${JSON.stringify(value)}`, 'explore')
  return { index: Number(match[1]), count: Number(match[2]), seed }
}

/**
 * Where a counterexample trace goes: the file named, else beside the results file
 * (`--out DIR/x.json`, or `DIR/x.trace.json`, → `DIR/sila-explore-counterexample-x.trace.json`: swarm jobs
 * sharing a directory keep theirs apart, and a glob for results files does not
 * take it for one), else the working directory.
 */
export function counterexampleFile(values: { counterexample?: string; out?: string }): string {
  if (values.counterexample !== undefined) return values.counterexample
  if (values.out === undefined) return 'sila-explore-counterexample.trace.json'
  return join(dirname(values.out), `sila-explore-counterexample-${basename(values.out).replace(/(\.trace)?\.json$/i, '')}.trace.json`)
}

/**
 * Where the witness of a `sometimes` property goes: beside the counterexample,
 * `counterexample` in its name replaced by `witness-NAME` (else `-witness-NAME`
 * added before `.trace.json`).
 */
export function witnessFile(counterexample: string, name: string): string {
  const base = basename(counterexample).replace(/(\.trace)?\.json$/i, '')
  const named = base.includes('counterexample') ? base.replace('counterexample', `witness-${name}`) : `${base}-witness-${name}`
  return join(dirname(counterexample), `${named}.trace.json`)
}

/** The user properties' verdicts: witnesses (with their trace files), vacuity warnings, what held. */
function reportProperties(verdicts: ReadonlyArray<PropertyVerdict & { file?: string | null }>): void {
  say()
  say('User properties:')
  for (const verdict of verdicts) {
    const mark = verdict.status === 'held' ? '✓' : verdict.status === 'violated' ? '✗' : verdict.status === 'witnessed' ? '◆' : '⚠'
    const label = verdict.status === 'witnessed' ? 'witness' : verdict.status === 'vacuous' ? 'vacuity warning' : verdict.status
    say(`  ${mark} ${verdict.name} (${verdict.kind}): ${verdict.says}`)
    say(`      ${label}: ${verdict.message}${verdict.file === undefined || verdict.file === null ? '' : `; trace: ${verdict.file}`}`)
  }
}

/**
 * The kinds of `preset`'s alphabet that no transition of the search took: each
 * action of them was refused in every state searched, so the search says nothing
 * of what they would do (a system whose processes never hold a container, say).
 * By variant (`--coverage variant`): the alphabet's variants no transition took
 * (checker/explore/actions.ts's actionVariant), where coverage is by variant.
 */
export function kindsNeverTaken(preset: Preset, coverage: Readonly<Record<string, number>>, readers = false, by: Coverage = 'kind'): string[] {
  const offered = by === 'kind' ? alphabetKinds(preset, readers) : [...new Set(presetActions(preset, { readers }).map(actionVariant))]
  return offered.filter((key) => (coverage[key] ?? 0) === 0).sort()
}

function report(result: ExploreResult, declared: boolean, never: ReadonlyArray<string>, by: Coverage, cutShort: boolean): void {
  say(renderTable([{ header: 'measure' }, { header: 'value', align: 'right' }], [
    [declared ? 'system' : 'preset', result.preset], ['engine', result.engine], ['complete', result.complete ? 'yes (exhaustive within the bounds)' : result.interrupted === true ? 'no (interrupted)' : 'no'],
    ['distinct states', result.distinct.toLocaleString('en')], ['states generated', result.generated.toLocaleString('en')],
    ['depth', String(result.depth)], ['queue left', result.queue.toLocaleString('en')], ['time', `${(result.durationMs / 1000).toFixed(1)} s`],
    ['distinct states/s', result.statesPerSecond.toLocaleString('en')], ['fingerprint collision probability', result.collisionProbability.toExponential(2)],
    ['peak memory', `${(process.resourceUsage().maxRSS / 2 ** 10).toFixed(0)} MiB (resident, every thread)`],
  ]))
  say()
  const entries = Object.entries(result.coverage).sort().map(([key, n]) => `${key} ${n.toLocaleString('en')}`)
  // Variants are many and their names hold commas: one a line.
  if (by === 'variant') say(`Transitions by variant:\n${entries.map((entry) => `  ${entry}`).join('\n')}`)
  else say(`Transitions by syscall kind: ${entries.join(', ')}`)
  if (never.length === 0) return
  // A search that stopped while expanding a state (a violation, --states, --time-limit, Ctrl-C) did not try every action there.
  const heading = cutShort ? 'Not taken in the transitions tried (the search stopped partway through a state, whose other actions it did not try)' : 'Never taken (refused in every state searched)'
  if (by === 'variant') say(`${heading}:\n${never.map((key) => `  ${key}`).join('\n')}`)
  else say(`${heading}: ${never.join(', ')}`)
}

/**
 * What produced a counterexample: the impl when the general engine found it (it
 * steps the impl: a bug there shows only when the replay steps the impl too,
 * which then diverges from the model's recorded outcomes) or `--refine` did
 * (REF-1), your kernel for a divergence of `--kernel`, else the model (the model
 * engine, or the specialised cap-core engine, a compiled form of it) or the
 * model mutant searched; and the command, with the flags that decide what the
 * search finds.
 */
function exploreProducedBy(values: { [flag: string]: string | string[] | boolean | undefined }, invariant: string, mutant: string | undefined, engine: string): ProducedBy {
  const refined = typeof values.kernel === 'string' ? `file:${values.kernel}` : 'impl'
  // The kernel that diverged (REF-1) or did not answer (ROBUST, the watchdog) is the one to replay.
  const kernel = (invariant === 'REF-1' || invariant === 'ROBUST') && (values.refine === true || typeof values.kernel === 'string') ? refined
    : engine === 'general' ? 'impl' : mutant === undefined ? 'model' : `model-mutant:${mutant}`
  const flags: string[] = []
  for (const flag of ['preset', 'boot', 'props', 'mutant', 'kernel', 'depth', 'states', 'swarm', 'seed', 'engine', 'step-timeout']) {
    const value = values[flag]
    if (typeof value === 'string' && (flag !== 'seed' || values.swarm !== undefined)) flags.push(`--${flag} ${shellWord(value)}`)
  }
  const invariants = values.invariant
  if (Array.isArray(invariants)) for (const name of invariants) flags.push(`--invariant ${shellWord(name)}`)
  if (values.refine === true) flags.push('--refine')
  const seed = values.swarm === undefined ? undefined : Number(values.seed ?? 1)
  return { kernel, command: ['sila explore', ...flags].join(' '), ...(seed === undefined ? {} : { seed }) }
}

/** An error's first line, without the "Error: " a worker's stack text puts before it (once per thread it crossed). */
function firstLine(error: unknown): string {
  return String((error as Error).message ?? error).split('\n')[0]!.replace(/^(Error: )+/, '')
}

/** What a search that threw says, if it is a KernelBug (the kernel searched is wrong: exit 1, nothing written); null for any other failure. */
export function kernelBugOf(error: unknown): string | null {
  const line = firstLine(error)
  return line.startsWith('KernelBug: ') ? line : null
}

async function run(args: ReadonlyArray<string>): Promise<number> {
  const parsed = parseFlags('explore', args, FLAGS, false)
  if (parsed === null) { say(USAGE); return EXIT.ok }
  const values = parsed.values
  refuseTogether('explore', values, [['preset', 'boot', 'each names the system to explore']])
  if (values.seed !== undefined && values.swarm === undefined) throw new UsageError('--seed applies only to --swarm: the breadth-first search has no randomness', 'explore')
  const engine = (values.engine ?? EXPLORE_DEFAULTS.engine) as Engine
  if (!ENGINES.includes(engine)) throw new UsageError(`--engine expects ${ENGINES.slice(0, -1).join(', ')} or ${ENGINES[ENGINES.length - 1]}, found ${JSON.stringify(values.engine)}`, 'explore')
  if ((engine === 'compiled' || engine === 'general') && values.kernel !== undefined) throw conflict('explore', `--engine ${engine}`, '--kernel', 'the compiled engines step our impl; your kernel is refined on the model engine (use --engine model, or auto)')
  if (engine === 'compiled' && values.mutant !== undefined) throw conflict('explore', '--engine compiled', '--mutant', 'the compiled engine has no seeded bugs (use --engine model)')
  const seed = integerFlag('explore', 'seed', values.seed) ?? EXPLORE_DEFAULTS.seed
  const timeLimit = secondsFlag('explore', 'time-limit', values['time-limit'])
  const stepTimeout = secondsFlag('explore', 'step-timeout', values['step-timeout']) ?? EXPLORE_DEFAULTS.stepTimeoutSeconds
  loadModulesWithin(stepTimeout)
  const depthMax = positiveIntegerFlag('explore', 'depth', values.depth)
  const statesMax = positiveIntegerFlag('explore', 'states', values.states)
  const workersAsked = positiveIntegerFlag('explore', 'workers', values.workers) ?? EXPLORE_DEFAULTS.workers
  // The workers learn which states are new only when a level ends, so they would meet --states up to a whole level late,
  // with other counts than one core's: a bound on states is searched on one core, exactly.
  const workers = statesMax !== undefined && workersAsked > 1 ? 1 : workersAsked
  if (workers !== workersAsked) warn(`sila explore: --states ${statesMax} is met exactly on one core only (the workers learn which states are new at the end of each level): searching on one core`)
  const coverage = (values.coverage ?? EXPLORE_DEFAULTS.coverage) as Coverage
  if (!COVERAGES.includes(coverage)) throw new UsageError(`--coverage expects kind or variant, found ${JSON.stringify(values.coverage)}`, 'explore')
  const swarm = parseSwarm(values.swarm, seed)
  if (swarm !== undefined && workers > 1) throw conflict('explore', `--workers ${workers}`, '--swarm', 'a swarm job runs on one core (run more jobs instead)')
  if (engine === 'general' && values.mutant !== undefined) throw conflict('explore', '--engine general', '--mutant', 'the general engine steps the impl, which has no copy of the model\'s seeded bugs (use --engine model)')
  const mutant = values.mutant === undefined ? undefined : findModelMutant(values.mutant)
  if (values.mutant !== undefined && mutant === undefined) throw new UsageError(`unknown model mutant ${JSON.stringify(values.mutant)}; mutants: ${MODEL_MUTANTS.map((m) => m.name).join(', ')}`, 'explore')
  const counterexample = counterexampleFile(values)
  checkOutputs('explore', [
    { name: '--out', path: values.out, kind: 'file' },
    { name: '--report', path: values.report, kind: 'directory' },
    { name: '--counterexample', path: counterexample, kind: 'file', isDefault: values.counterexample === undefined },
  ])
  const preset = presetFrom(values)
  // Loaded here so that a wrong props file or --invariant name is refused before the search (the worker loads them again).
  const source: CheckedSource | undefined = values.props === undefined && values.invariant === undefined ? undefined
    : { ...(values.props === undefined ? {} : { props: values.props }), invariants: values.invariant ?? [] }
  if (source !== undefined) await loadChecked(source, preset)
  const progress = (p: ExploreProgress) => {
    const line = `explore: ${p.distinct.toLocaleString('en')} distinct · ${p.generated.toLocaleString('en')} generated · depth ${p.depth} · queue ${p.queue.toLocaleString('en')} · ${Math.round((p.distinct / Math.max(p.elapsedMs, 1)) * 1000).toLocaleString('en')} states/s`
    process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`)
  }
  const refine = values.kernel !== undefined ? `file:${values.kernel}` : values.refine === true ? 'impl' : undefined
  // Your kernel is loaded here first (the search's worker loads it again): one that cannot load, or never finishes loading, is refused (exit 2).
  if (refine !== undefined && refine.startsWith('file:')) await loadTarget(refine)
  const running = exploreInWorker({
    options: {
      preset,
      ...(depthMax === undefined ? {} : { depthMax }),
      ...(statesMax === undefined ? {} : { statesMax }),
      ...(timeLimit === undefined ? {} : { timeLimitMs: timeLimit * 1000 }),
      ...(swarm === undefined ? {} : { swarm }),
      workers,
    },
    // auto: checker/explore/run.ts's chooseEngine (the model engine for a user's kernel or a model mutant).
    engine,
    ...(coverage === 'kind' ? {} : { coverage }),
    ...(refine === undefined ? {} : { refine }),
    ...(mutant === undefined ? {} : { mutant: mutant.name }),
    ...(source === undefined ? {} : { checked: source }),
    stepTimeoutMs: stepTimeout * 1000,
  }, values.json === true ? () => {} : progress)
  // Ctrl-C: the search stops and what it found so far is reported and written; exit 130.
  const onInterrupt = () => running.stop()
  process.once('SIGINT', onInterrupt)
  // Ctrl-C during start-up (cli/interrupt.ts kept it): stop at once, reporting what there is.
  if (interruptedBefore()) onInterrupt()
  let result: ExploreResult
  try {
    result = await running.result
  } catch (error) {
    if (error instanceof InputError) throw error
    // The kernel searched broke a contract the engine relies on (general.ts: the dirty-list self-checks): a bug found in it, not in the flags.
    const kernelBug = kernelBugOf(error)
    if (kernelBug !== null) { warn(`sila explore: ${kernelBug}`); return EXIT.failed }
    // A search too large for memory (its worker's heap is full) is not a flag's mistake: say what bounds it.
    if ((error as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY') throw new UsageError('the search ran out of memory (its worker\'s heap is full): bound it with --depth or --states, or search a smaller system', 'explore')
    throw new UsageError(firstLine(error), 'explore')
  } finally {
    process.off('SIGINT', onInterrupt)
  }
  if (values.json !== true && process.stderr.isTTY) process.stderr.write('\r\x1b[K')
  let file: string | null = null
  let producedBy: ProducedBy | null = null
  // A user property that never returned (STALL) is written too: sila replay asks the properties watched, and stops it at the same state.
  if (result.violation !== null) {
    file = counterexample
    producedBy = exploreProducedBy(values, result.violation.invariant, mutant?.name, result.engine)
    writeOutputFile(file, `${JSON.stringify(exploreTrace(preset, result, producedBy, values.props), null, 2)}\n`)
  }
  // Each sometimes property found: its witness, a trace of its own beside the counterexample's.
  const properties = result.properties?.map((verdict) => {
    if (verdict.status !== 'witnessed') return verdict
    const trace = witnessFile(counterexample, verdict.name)
    writeOutputFile(trace, `${JSON.stringify(witnessTrace(preset, verdict, exploreProducedBy(values, verdict.name, mutant?.name, result.engine), values.props), null, 2)}\n`)
    return { ...verdict, file: trace }
  })
  // The results file holds what was searched and found, not how fast: the same flags give the same bytes.
  const { durationMs, statesPerSecond, ...found } = result
  const results = { format: 'sila-explore/1', ...found, system: systemDigest(preset.boot, preset.images), ...(coverage === 'variant' ? { coverageBy: coverage } : {}), ...(properties === undefined ? {} : { props: values.props, properties }), counterexample: file }
  const neverTaken = kindsNeverTaken(preset, result.coverage, refine !== undefined, coverage)
  const json = { ...results, neverTaken, durationMs, statesPerSecond, peakMemoryBytes: process.resourceUsage().maxRSS * 1024 }
  if (values.out !== undefined) writeOutputFile(values.out, `${JSON.stringify(results, null, 2)}\n`)
  const reportFile = values.report === undefined ? null : writeReport(values.report, await exploreReport({
    preset, result, counterexampleFile: file, generator: generatorName(),
    ...(refine === undefined ? {} : { refine: await loadTarget(refine) }), ...(mutant === undefined ? {} : { step: mutant.step, mutant: mutant.name }),
  }))
  if (reportFile !== null && values.json !== true) say(`report: ${reportFile}`)
  const exitCode = result.violation !== null ? EXIT.failed : result.interrupted === true ? EXIT.interrupted : EXIT.ok
  if (values.json === true) { say(formatJson(json)); return exitCode }
  const depthReached = depthMax !== undefined && result.depth >= depthMax
  const cutShort = !result.complete && (result.violation !== null || result.interrupted === true || (statesMax !== undefined && result.distinct >= statesMax) || !depthReached)
  report(result, preset.declared === true, neverTaken, coverage, cutShort)
  if (properties !== undefined && properties.length > 0) reportProperties(properties)
  if (result.violation !== null) {
    say()
    say(`✗ ${result.violation.invariant}: ${result.violation.message}`)
    if (result.violation.says !== undefined) say(`  (user property: ${result.violation.says})`)
    const caller = callerColumn(preset)
    say(`a shortest path (${result.violation.path.length} step${result.violation.path.length === 1 ? '' : 's'}):`)
    say(renderTable([{ header: 'step', align: 'right' }, { header: 'caller', align: 'right' }, { header: 'syscall' }],
      result.violation.path.map((syscall, index) => [String(index), caller(syscall), syscallText(syscall)])))
    // A call that did not return is stopped by replay's watch at the same step: with this search's timeout, when one was given.
    const timed = values['step-timeout'] !== undefined && (result.violation.unanswered !== undefined || result.violation.stalledProperty !== undefined)
    say(`counterexample: ${file}; replay it: npx sila replay ${shellWord(file!)}${replayFlags(producedBy!.kernel)}${timed ? ` --step-timeout ${values['step-timeout']}` : ''}`)
    return EXIT.failed
  }
  say(result.interrupted === true ? 'Interrupted: no invariant violated in what was searched.' : result.complete ? 'No invariant violated: the search was exhaustive.' : 'No invariant violated within the bounds.')
  return exitCode
}

/** The caller column's text for each step: the process's creation index, and its declared name when the system names it (`3 postgres`). */
function callerColumn(preset: Preset): (syscall: unknown) => string {
  const { state, names } = bootNamed(preset.boot, preset.images)
  const nameOf = new Map([...names].map(([name, id]) => [id, name]))
  return (syscall) => {
    const caller = callerText(syscall)
    const id = /^\d+$/.test(caller) ? state.ksProcessRefs[Number(caller)] : undefined
    const name = id === undefined ? undefined : nameOf.get(id)
    return name === undefined ? caller : `${caller} ${name}`
  }
}

/** @public */
export const exploreCommand: Command = {
  name: 'explore', summary: "search the model's state space breadth-first for invariant violations", usage: USAGE, planned: false, run,
}
