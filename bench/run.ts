/**
 * The benchmarks B1–B6 and B8 of tooling.md §8, measured in one run on this
 * machine and reported as ratios and rates against their targets (never asserted:
 * the machines are shared and noisy). `sila bench` (cli/commands/bench.ts) runs
 * and prints them; `npm run bench` runs this file, which hands over to it.
 * @module
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { cpus, totalmem } from 'node:os'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import fc from 'fast-check'
import { boot } from '../model/boot.js'
import { ModelKernel } from '../refinement/model-target.js'
import { Lockstep } from '../refinement/lockstep.js'
import { resolveTarget } from '../checker/targets.js'
import { syscallSequence, BALANCED, flatten } from '../properties/generators.js'
import { IMAGE_POOL, PROPERTY_BOOT } from '../properties/pool.js'
import type { KernelUnderTest } from '../refinement/target.js'
import { BENCH_BOOT, MIXED_ROUND, populate, prepareMixed } from './workloads.js'
import { realPool } from '../pipeline/kernel/pool.js'
import { bootWithImages } from '../pipeline/kernel/boot.js'
import { KernelImageVerifier } from '../pipeline/kernel/verify.js'
import { exploreGeneral } from '../checker/explore/general.js'
import { CAP_CORE } from '../spec/presets.js'
import { INVARIANT_IDS } from '../spec/invariants/types.js'
import { PropsFileCodec } from '../spec/props.js'
import { decodeOrThrow } from '../spec/decode.js'
import { bootNamed } from '../model/boot.js'
import { resolveProps } from '../properties/user/resolve.js'
import { MUTATION_TARGET, mutationScores, percent, readMutationReport, sourceFiles } from './mutation.js'
import { InputError } from '../spec/decode.js'

export interface BenchRow { readonly id: string; readonly what: string; readonly measured: string; readonly target: string; readonly met: boolean }

const impl = () => resolveTarget('impl')

/** Syscalls per second of the mixed round on `kernel`, over at least `timeMs`. */
function mixedRate(kernel: KernelUnderTest, timeMs: number): number {
  prepareMixed(kernel)
  let steps = 0
  const started = performance.now()
  let elapsed = 0
  while (elapsed < timeMs) {
    for (let round = 0; round < 64; round++) for (const syscall of MIXED_ROUND) kernel.step(syscall)
    steps += 64 * MIXED_ROUND.length
    elapsed = performance.now() - started
  }
  return (steps / elapsed) * 1000
}

function freshImpl(objects: number): KernelUnderTest {
  const kernel = impl().create(BENCH_BOOT, [])
  populate(kernel, objects)
  return kernel
}

export function benchB1(): BenchRow[] {
  const rate = mixedRate(freshImpl(10_000), 1500)
  const model = new ModelKernel(boot(BENCH_BOOT, []))
  populate(model, 10_000)
  const modelRate = mixedRate(model, 1500)
  return [
    { id: 'B1', what: 'impl syscalls/s, mixed workload, 10^4 live objects', measured: `${Math.round(rate).toLocaleString('en')}/s`, target: '≥ 2,000,000/s', met: rate >= 2_000_000 },
    { id: 'B1', what: 'impl ÷ model, same workload', measured: `${(rate / modelRate).toFixed(0)}×`, target: '≥ 50×', met: rate / modelRate >= 50 },
  ]
}

export function benchB2(): BenchRow[] {
  const small = mixedRate(freshImpl(1_000), 1000)
  const large = mixedRate(freshImpl(1_000_000), 1000)
  const growth = small / large
  return [{ id: 'B2', what: 'impl cost per syscall, 10^6 vs 10^3 live objects', measured: `${growth.toFixed(2)}× (${Math.round(small).toLocaleString('en')}/s → ${Math.round(large).toLocaleString('en')}/s)`, target: '≤ 1.5×', met: growth <= 1.5 }]
}

/** Time to revoke a cap with `count` descendants (mount-table children of one cap). */
function revokeMs(count: number): number {
  const kernel = impl().create(BENCH_BOOT, [])
  kernel.step({ kind: 'ep_create', caller: 0, depth: 1, dst: 3 })
  for (let index = 0; index < count; index++) kernel.step({ kind: 'mount', caller: 0, path: `/e/${index}`, slot: 3, rights: ['write'] })
  const started = performance.now()
  kernel.step({ kind: 'cap_revoke', caller: 0, slot: 3 })
  return performance.now() - started
}

export function benchB3(): BenchRow[] {
  const tenth = revokeMs(100_000)
  const full = revokeMs(1_000_000)
  return [
    { id: 'B3', what: 'revoke of a subtree of 10^6 caps', measured: `${full.toFixed(0)} ms`, target: '≤ 1000 ms', met: full <= 1000 },
    { id: 'B3', what: 'revoke 10^6 ÷ 10^5 (linear ≈ 10)', measured: `${(full / tenth).toFixed(1)}×`, target: '≤ 15×', met: full / tenth <= 15 },
  ]
}

export function benchB4(): BenchRow[] {
  const sequences = fc.sample(syscallSequence(BALANCED, 25), { numRuns: 1200, seed: 42 }).map((f) => flatten(f, 40))
  const run = (batch: ReadonlyArray<unknown[]>): number => {
    let steps = 0
    for (const sequence of batch) {
      const lockstep = new Lockstep(impl(), PROPERTY_BOOT, IMAGE_POOL)
      for (const syscall of sequence) {
        const { divergence } = lockstep.step(syscall)
        steps++
        if (divergence !== null) throw new Error(`bench B4: divergence ${JSON.stringify(divergence)}`)
      }
    }
    return steps
  }
  // The first 200 sequences warm the JIT up and are not timed (a check run is seconds to minutes long).
  run(sequences.slice(0, 200))
  const started = performance.now()
  const steps = run(sequences.slice(200))
  const rate = (steps / (performance.now() - started)) * 1000
  return [{ id: 'B4', what: 'lockstep refinement checking (incremental compare)', measured: `${Math.round(rate).toLocaleString('en')} steps/s`, target: '≥ 20,000 steps/s', met: rate >= 20_000 }]
}

/** The compiled `sila` (B5 and B6 run it as a user does). */
const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url))

export interface ExploreRun { rate: number; seconds: number; peak: number; distinct: number; generated: number; depth: number; complete: boolean }

/** One run of `sila explore` in its own process (so that its peak memory is its own). */
function exploreRun(args: ReadonlyArray<string>): ExploreRun {
  const run = spawnSync(process.execPath, [CLI, 'explore', ...args, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (run.status !== 0) throw new Error(`bench: sila explore ${args.join(' ')} exited ${run.status}: ${run.stderr.slice(-500)}`)
  const result = JSON.parse(run.stdout) as { statesPerSecond: number; durationMs: number; peakMemoryBytes: number; distinct: number; generated: number; depth: number; complete: boolean }
  return { rate: result.statesPerSecond, seconds: result.durationMs / 1000, peak: result.peakMemoryBytes, distinct: result.distinct, generated: result.generated, depth: result.depth, complete: result.complete }
}

/** The cap-core state space, as every engine must count it (docs/decisions.md). */
const CAP_CORE_SPACE = { distinct: 8_743_660, depth: 22, generated: 109_283_233 }

/**
 * B5: exhaustive cap-core through the general engine (the one every declared
 * system runs on), on one core and with two workers, its memory per state
 * beyond the runtime's baseline (the peak of a search to depth 1), and the
 * specialised cap-core engine on one core for the ratio. Every run must count
 * the whole space: 8,743,660 states, depth 22, 109,283,233 transitions.
 */
export function benchB5(): BenchRow[] {
  const baseline = exploreRun(['--preset', 'cap-core', '--engine', 'general', '--depth', '1'])
  const general = exploreRun(['--preset', 'cap-core', '--engine', 'general'])
  const two = exploreRun(['--preset', 'cap-core', '--engine', 'general', '--workers', '2'])
  const specialised = exploreRun(['--preset', 'cap-core'])
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`
  const whole = (run: ExploreRun) => run.complete && run.distinct === CAP_CORE_SPACE.distinct && run.depth === CAP_CORE_SPACE.depth && run.generated === CAP_CORE_SPACE.generated
  const perState = (general.peak - baseline.peak) / Math.max(general.distinct, 1)
  return [
    { id: 'B5', what: `explore cap-core exhaustively on one core, general engine (${general.distinct.toLocaleString('en')} states, depth ${general.depth}, ${general.generated.toLocaleString('en')} transitions)`, measured: `${general.rate.toLocaleString('en')} states/s in ${general.seconds.toFixed(0)} s`, target: '≥ 120,000 states/s, the whole space', met: whole(general) && general.rate >= 120_000 },
    { id: 'B5', what: `the same, peak memory beyond the runtime's baseline (${mib(general.peak)} resident, baseline ${mib(baseline.peak)})`, measured: `${perState.toFixed(0)} bytes/state`, target: '≤ 100 bytes/state', met: perState <= 100 },
    { id: 'B5', what: 'the same, --workers 2 ÷ one core', measured: `${(two.rate / Math.max(general.rate, 1)).toFixed(2)}× (${two.rate.toLocaleString('en')} states/s in ${two.seconds.toFixed(0)} s, ${mib(two.peak)})`, target: '≥ 1.6×, the whole space', met: whole(two) && two.rate >= 1.6 * general.rate },
    { id: 'B5', what: `general ÷ the specialised cap-core engine on one core (${specialised.rate.toLocaleString('en')} states/s in ${specialised.seconds.toFixed(0)} s, ${mib(specialised.peak)})`, measured: `${(general.rate / Math.max(specialised.rate, 1)).toFixed(2)}×`, target: '≥ 1 (the general engine as fast)', met: whole(specialised) && general.rate >= specialised.rate },
  ]
}

const EXAMPLE_SYSTEMS = fileURLToPath(new URL('../../examples/systems/', import.meta.url))

/**
 * The fewest states a B9 search holds: a search of a second or less measures the
 * JIT's warm-up (about a third of a second cold on web-app's first four levels,
 * a fifth of that warm) as much as the engine, and a checker's rate is its rate
 * over a real search (the issue's own baseline used 20-second runs).
 */
export const B9_MIN_STATES = 100_000

/**
 * The systems B9 explores: the `nested` preset, and every example system a user
 * declares, that is every folder of examples/systems/ with a boot.json.
 */
export function b9Systems(): ReadonlyArray<{ readonly name: string; readonly args: ReadonlyArray<string> }> {
  const examples = readdirSync(EXAMPLE_SYSTEMS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(EXAMPLE_SYSTEMS, entry.name, 'boot.json'))).map((entry) => entry.name).sort()
  return [
    { name: 'nested', args: ['--preset', 'nested'] },
    ...examples.map((name) => ({ name, args: ['--boot', join(EXAMPLE_SYSTEMS, name, 'boot.json')] })),
  ]
}

/**
 * The depth bound B9 takes a system to, by one rule for every system: the first
 * level at which a breadth-first search holds {@link B9_MIN_STATES} states (a
 * probe with `--states`, which stops inside that level), or the whole space when
 * it is smaller. On 2026-12-05: nested 5, plugin-host 5, web-app 7.
 */
export function b9Depth(args: ReadonlyArray<string>): number {
  const probe = exploreRun([...args, '--states', String(B9_MIN_STATES)])
  return probe.complete ? probe.depth : probe.depth + 1
}

/** How many times B9 runs each general-engine search (a run of a few seconds moves by up to a third from one to the next). */
export const B9_GENERAL_RUNS = 5

/** The run of median rate among `runs` (an odd count), and the least and greatest rates. */
export function medianRun(runs: ReadonlyArray<ExploreRun>): { readonly median: ExploreRun; readonly least: number; readonly most: number } {
  const sorted = [...runs].sort((a, b) => a.rate - b.rate)
  return { median: sorted[(sorted.length - 1) >> 1]!, least: sorted[0]!.rate, most: sorted[sorted.length - 1]!.rate }
}

/**
 * B9: each system of {@link b9Systems} to its depth bound ({@link b9Depth}) with
 * the general engine (the default of every system but cap-core) and with the
 * model engine: the same states and transitions, the general engine's rate, and
 * the time ratio. The general engine's searches last a few seconds, so start-up
 * and the machine's moods weigh: each runs {@link B9_GENERAL_RUNS} times (each a fresh process) and
 * the median is reported, with the range; every run must count the model
 * engine's states and transitions.
 */
export function benchB9(systems = b9Systems()): BenchRow[] {
  return systems.flatMap(({ name, args }) => {
    const depth = b9Depth(args)
    const runs = Array.from({ length: B9_GENERAL_RUNS }, () => exploreRun([...args, '--depth', String(depth)]))
    const { median: general, least, most } = medianRun(runs)
    const model = exploreRun([...args, '--engine', 'model', '--depth', String(depth)])
    const same = runs.every((run) => run.distinct === model.distinct && run.generated === model.generated)
    const range = `median of ${runs.length} runs, ${least.toLocaleString('en')}–${most.toLocaleString('en')}`
    return [
      { id: 'B9', what: `explore ${name} to depth ${depth} on one core, general engine (${general.distinct.toLocaleString('en')} states, ${general.generated.toLocaleString('en')} transitions${same ? '' : `; the model engine: ${model.distinct.toLocaleString('en')}, ${model.generated.toLocaleString('en')}`})`, measured: `${general.rate.toLocaleString('en')} states/s in ${general.seconds.toFixed(1)} s (${range})`, target: '≥ 50,000 states/s, the model engine\'s states', met: general.rate >= 50_000 && same },
      { id: 'B9', what: `${name}: general ÷ model engine (model: ${model.rate.toLocaleString('en')} states/s in ${model.seconds.toFixed(1)} s)`, measured: `${(model.seconds / Math.max(general.seconds, 1e-3)).toFixed(1)}× faster`, target: 'faster', met: general.seconds < model.seconds },
    ]
  })
}

/** B5p's three properties on cap-core: a never-holds, a no-flow and a bound, all holding within the bound (so the whole space is searched). */
const B5P_PROPS = {
  format: 'sila-props/1',
  properties: [
    { name: 'pB-no-read-E', says: 'pB never holds E with read', kind: 'never-holds', subject: { process: 'pB' }, object: { name: 'E' }, rights: ['read'] },
    { name: 'no-flow-A-B', says: 'no information flows from A to B', kind: 'no-flow', from: 'A', to: 'B' },
    { name: 'A-caps', says: 'the processes of A hold at most two caps', kind: 'bound', measure: 'caps', container: 'A', max: 2 },
  ],
}

/**
 * B5p: what user properties cost the search. cap-core to a depth bound on the
 * general engine (what `--props` runs there) with the catalogue alone and with
 * the catalogue and three properties, in this process, alternately, three times
 * each; rates are per second of this process's CPU time (the machine is shared),
 * and the best of each is kept.
 */
export function benchB5p(depth = 7): BenchRow[] {
  const checked = { catalogue: [...INVARIANT_IDS], user: resolveProps(decodeOrThrow(PropsFileCodec, B5P_PROPS, 'B5p'), 'B5p', bootNamed(CAP_CORE.boot, CAP_CORE.images)), source: { invariants: [] } }
  const timed = (withProps: boolean) => {
    const before = process.cpuUsage()
    const result = exploreGeneral({ preset: CAP_CORE, depthMax: depth, ...(withProps ? { checked } : {}) })
    const used = process.cpuUsage(before)
    return { rate: Math.round(result.distinct / ((used.user + used.system) / 1e6)), result }
  }
  let plain = { rate: 0, distinct: 0 }
  let withProps = { rate: 0, distinct: 0, held: false }
  for (let round = 0; round < 3; round++) {
    const a = timed(false)
    if (a.rate > plain.rate) plain = { rate: a.rate, distinct: a.result.distinct }
    const b = timed(true)
    if (b.rate > withProps.rate) withProps = { rate: b.rate, distinct: b.result.distinct, held: b.result.properties?.every((v) => v.status === 'held') === true }
  }
  const cost = 1 - withProps.rate / Math.max(plain.rate, 1)
  return [{
    id: 'B5p', what: `explore cap-core to depth ${depth}, general engine (${plain.distinct.toLocaleString('en')} states): with 3 user properties (never-holds, no-flow, bound) against without (${plain.rate.toLocaleString('en')} states per CPU second)`,
    measured: `${withProps.rate.toLocaleString('en')} states per CPU second: ${cost > 0 ? `${(cost * 100).toFixed(1)} % slower` : `no cost measured (${(cost * 100).toFixed(1)} %)`}`,
    target: '≤ 25 % slower, same states', met: cost <= 0.25 && withProps.distinct === plain.distinct && withProps.held,
  }]
}

/** B6: the default `sila check` run, as a user runs it. */
export function benchB6(): BenchRow[] {
  const started = performance.now()
  const run = spawnSync(process.execPath, [CLI, 'check', '--seed', '1'], { encoding: 'utf8' })
  const seconds = (performance.now() - started) / 1000
  return [{ id: 'B6', what: 'sila check, default run (all suites, 2 workers)', measured: `${seconds.toFixed(1)} s (exit ${run.status})`, target: '≤ 60 s', met: seconds <= 60 && run.status === 0 }]
}

/**
 * B8: one real, signed image spawned 10,000 times (spawn, kill, delete the cap) on
 * a kernel booted with the real pool's bytes (one entry per digest: a second copy
 * would be refused at boot): the kernel verifies each manifest digest once at
 * boot, and spawn only reads the verdict.
 */
export function benchB8(): BenchRow[] {
  const pool = realPool()
  const valid = pool.image('valid')
  const verifier = new KernelImageVerifier()
  const kernel = bootWithImages(pool.config, pool.bytes, { verifier })
  const digests = new Set(pool.records.map((record) => record.digest)).size
  const atBoot = { images: verifier.verifications, signatures: verifier.signatureChecks }
  const spawn = { kind: 'process_spawn', caller: 0, container: 0, image: valid.record.digest, uid: 0, slots: 1, grants: [], dst: 15 }
  const kill = { kind: 'process_kill', caller: 0, slot: 15 }
  const drop = { kind: 'cap_delete', caller: 0, slot: 15 }
  const count = 10_000
  let spawning = 0
  const started = performance.now()
  for (let index = 0; index < count; index++) {
    if (index % 1000 === 0) kernel.step({ kind: 'tick' })
    const before = performance.now()
    const outcome = kernel.step(spawn)
    spawning += performance.now() - before
    if (outcome._tag !== 'Right') throw new Error(`bench B8: spawn ${index} answered ${JSON.stringify(outcome)}`)
    kernel.step(kill)
    kernel.step(drop)
  }
  // The rate counts whole cycles (spawn, kill, delete): the spawns alone are faster.
  const rate = (count / (performance.now() - started)) * 1000
  const spawnRate = (count / spawning) * 1000
  const during = verifier.verifications - atBoot.images
  return [
    { id: 'B8', what: `spawn + kill + cap_delete of one signed image, ${count.toLocaleString('en')} times`, measured: `${Math.round(rate).toLocaleString('en')} spawns/s (spawn alone ${Math.round(spawnRate).toLocaleString('en')}/s)`, target: '≥ 50,000/s', met: rate >= 50_000 },
    {
      id: 'B8', what: `image verifications (${pool.bytes.length} images, ${digests} digests; ML-DSA checks ${atBoot.signatures})`,
      measured: `${atBoot.images} at boot, ${during} during the spawns`, target: '1 per digest', met: atBoot.images === digests && kernel.imageVerifications === digests && during === 0,
    },
  ]
}

/**
 * B10: the mutation score of impl/ and refinement/ in the report of the last
 * `npm run mutate` (reports/mutation/mutation.json, StrykerJS's JSON). It reads
 * the report and does not run Stryker (a whole run takes the better part of an
 * hour): run `npm run mutate` first to measure the code as it is.
 */
export function benchB10(): BenchRow[] {
  let scores
  try { scores = mutationScores(readMutationReport()) } catch (error) {
    if (!(error instanceof InputError)) throw error
    return [{ id: 'B10', what: 'mutation score (StrykerJS), from reports/mutation/mutation.json', measured: `no report: ${error.problems[0] ?? 'unreadable'}`, target: `≥ ${percent(MUTATION_TARGET)}`, met: false }]
  }
  return ['impl', 'refinement'].map((folder) => {
    const score = scores.folders[folder]
    const sources = sourceFiles(folder)
    const tested = sources.filter((file) => scores.files[file] !== undefined).length
    const target = `≥ ${percent(MUTATION_TARGET)} over the folder, every file mutated`
    if (score === undefined) return { id: 'B10', what: `mutation score of ${folder}/ (StrykerJS, last npm run mutate)`, measured: 'not in the report', target, met: false }
    return {
      id: 'B10', what: `mutation score of ${folder}/ (StrykerJS, last npm run mutate: ${tested} of ${sources.length} files, ${score.killed + score.timeout} killed, ${score.survived} survived)`,
      measured: percent(score.score), target, met: tested === sources.length && score.score >= MUTATION_TARGET,
    }
  })
}

/** The machine a run measured: the figures only mean something next to it. */
export interface MachineInfo { readonly cpu: string; readonly cores: number; readonly memoryGiB: number; readonly node: string }

export function machineInfo(): MachineInfo {
  return { cpu: cpus()[0]?.model ?? 'unknown CPU', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version }
}

export function machine(info: MachineInfo = machineInfo()): string {
  return `${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, Node ${info.node}`
}

/** One benchmark of tooling.md §8: what it measures, about how long it takes here, and the measuring. */
export interface Benchmark {
  readonly id: string
  readonly measures: string
  /** Wall time on a 2-core AMD EPYC (most of B1 is populating the model with 10^4 objects). */
  readonly takes: string
  readonly run: () => BenchRow[]
}

/** Every benchmark, in the order a full run takes them. B7 (seeded bugs) is `sila mutants`. */
export const BENCHMARK_LIST: ReadonlyArray<Benchmark> = [
  { id: 'B1', measures: 'impl syscalls/s on a mixed workload with 10^4 live objects, and impl ÷ model', takes: '~90 s', run: benchB1 },
  { id: 'B2', measures: 'impl cost per syscall as live objects grow from 10^3 to 10^6', takes: '~5 s', run: benchB2 },
  { id: 'B3', measures: 'revoke of a subtree of 10^6 caps, and its growth from 10^5', takes: '~2 s', run: benchB3 },
  { id: 'B4', measures: 'lockstep refinement checking, steps/s', takes: '~2 s', run: benchB4 },
  { id: 'B5', measures: 'exhaustive explore of cap-core through the general engine on one core and with --workers 2: states/s, bytes per state beyond the baseline; the specialised cap-core engine on one core against it', takes: '~12 min', run: benchB5 },
  { id: 'B5p', measures: 'explore cap-core to depth 7 (general engine) with three user properties against without: the cost of --props', takes: '~2 min', run: () => benchB5p() },
  { id: 'B6', measures: "the default 'sila check' run, wall time", takes: '~40 s', run: benchB6 },
  { id: 'B8', measures: 'spawn + kill of one signed image 10^4 times, and image verifications', takes: '~1 s', run: benchB8 },
  { id: 'B9', measures: 'explore nested and each example system of examples/systems/, each to the first depth holding 100,000 states (nested 5, plugin-host 5, web-app 7): the general engine (their default; the median of 5 runs) against the model engine, same states, states/s, time ratio', takes: '~25 min', run: () => benchB9() },
  { id: 'B10', measures: "the mutation score of impl/ and refinement/ in the last 'npm run mutate' report (reads it; does not run Stryker)", takes: '~1 s', run: benchB10 },
]

export const BENCHMARKS: Readonly<Record<string, () => BenchRow[]>> = Object.fromEntries(BENCHMARK_LIST.map((b) => [b.id, b.run]))

/** What `sila bench --json` prints and `--out` writes. */
export interface BenchReport {
  readonly format: 'sila-bench/1'
  /** When the run started (ISO 8601). */
  readonly date: string
  readonly machine: MachineInfo
  /** Wall time of each benchmark, in the order run. */
  readonly benchmarks: ReadonlyArray<{ readonly id: string; readonly seconds: number }>
  readonly rows: ReadonlyArray<BenchRow>
  /** Every row met its target. */
  readonly met: boolean
}

/**
 * Runs the benchmarks `ids` (known ids of {@link BENCHMARKS}) in order, telling
 * `progress` when each starts and ends. A target not met is a row with
 * `met: false`, not an error.
 */
export function runBenchmarks(
  ids: ReadonlyArray<string>,
  progress: { start?: (benchmark: Benchmark, index: number) => void; end?: (benchmark: Benchmark, seconds: number) => void } = {},
): BenchReport {
  const date = new Date().toISOString()
  const benchmarks: { id: string; seconds: number }[] = []
  const rows: BenchRow[] = []
  const chosen = ids.map((id) => {
    const benchmark = BENCHMARK_LIST.find((b) => b.id === id)
    if (benchmark === undefined) throw new Error(`bench: unknown benchmark ${JSON.stringify(id)}`)
    return benchmark
  })
  chosen.forEach((benchmark, index) => {
    const id = benchmark.id
    progress.start?.(benchmark, index)
    const started = performance.now()
    rows.push(...benchmark.run())
    const seconds = Math.round(performance.now() - started) / 1000
    benchmarks.push({ id, seconds })
    progress.end?.(benchmark, seconds)
  })
  return { format: 'sila-bench/1', date, machine: machineInfo(), benchmarks, rows, met: rows.every((row) => row.met) }
}

/**
 * `npm run bench [-- ID... --json ...]` is `sila bench`: the same command, flags and
 * exit codes. Not awaited at the top level: the command imports this module, which
 * must have finished evaluating by then.
 */
function main(): void {
  process.argv.splice(2, 0, 'bench')
  void import('../cli/main.js')
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) main()
