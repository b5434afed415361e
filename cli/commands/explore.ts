/**
 * `sila explore`: bounded explicit-state model checking of the model (tooling.md
 * §3). The search is in `checker/explore/`; this file parses flags and renders.
 * @module
 */
import { type Command, parseFlags, positiveIntegerFlag } from '../command.js'
import { EXIT, formatJson, renderTable, say, UsageError, writeFileAtomic } from '../output.js'
import { readJsonInput } from '../input.js'
import { PRESETS, type Preset } from '../../spec/presets.js'
import { BootConfigCodec } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import { InputError } from '../../spec/decode.js'
import { boot } from '../../model/boot.js'
import { BootError } from '../../model/boot-system.js'
import { IMAGE_POOL } from '../../properties/pool.js'
import { type Engine, exploreInWorker, exploreTrace, findPreset } from '../../checker/explore/run.js'
import type { ExploreProgress, ExploreResult } from '../../checker/explore/search.js'
import { callerText, syscallText } from '../../checker/stepText.js'
import { exploreReport, generatorName, writeReport } from '../../checker/report/index.js'
import { resolveTarget } from '../../checker/targets.js'
import { findModelMutant, MODEL_MUTANTS } from '../../mutants/model-mutants.js'

const USAGE = `Usage: sila explore [--preset NAME | --boot FILE] [options]

Breadth-first explicit-state search, checking every invariant of the catalogue
in every state and on every transition; stops at the first violation with a
shortest path. States are compared up to renaming of identities and remembered
by 64-bit fingerprints (the collision probability is reported). Presets: ${PRESETS.map((p) => p.name).join(', ')}.

Engines (--engine): 'compiled' (what auto runs) is the fastest compiled engine
for the system: on cap-core and cap-core-3 a hand-written engine specialised to
them (packed states, 100,000+ states/s); on every other preset and every --boot
system the general engine, which steps the impl kernel and checks the model's
invariants on the abstraction of its states (state invariants once per new
state, step invariants on every transition), about 3× faster than the model
engine on nested (bench B9). 'general' forces the general engine (on cap-core
some 35× slower than the specialised one, bench B5); 'model' steps the model
itself, and --refine and --mutant (a copy of the model) need it. All count the
same states and transitions (tests compare them).

Options:
  --preset NAME      a preset (default cap-core)
  --boot FILE        a boot configuration with a declared system; its processes act
                     (their images: any of the presets' or the property pool's, by digest)
  --depth N          depth bound
  --states N         stop after N distinct states
  --time-limit S     stop after S seconds
  --refine           also step the impl along every transition (REF-1)
  --swarm I/N        diversified bounded search I of N (random action order and depth)
  --seed N           seed of the swarm's randomness (default 1)
  --engine E         auto | compiled | general | model (auto: compiled, or model for
                     --refine and --mutant)
  --workers N        threads for the compiled breadth-first search (default 1); states
                     are partitioned among them by fingerprint, the result is the same
  --mutant NAME      explore a copy of the model with a seeded bug (${MODEL_MUTANTS.map((m) => m.name).join(', ')})
  --counterexample F where to write a counterexample trace (default sila-explore-counterexample.trace.json)
  --out FILE         write the result as JSON (sila-explore/1), for 'sila merge'
  --report DIR       write an HTML report (summary, coverage chart, counterexample
                     timeline, authority graph) to DIR/index.html
  --json             print the result as JSON
  -h, --help         show this help

Exit: 0 no violation (complete or within bounds), 1 a violation, 2 refused input.`

const FLAGS = {
  preset: { type: 'string' }, boot: { type: 'string' }, depth: { type: 'string' }, states: { type: 'string' }, 'time-limit': { type: 'string' },
  refine: { type: 'boolean' }, swarm: { type: 'string' }, seed: { type: 'string' }, engine: { type: 'string' }, counterexample: { type: 'string' },
  out: { type: 'string' }, json: { type: 'boolean' }, mutant: { type: 'string' }, report: { type: 'string' }, workers: { type: 'string' },
} as const

/** The images a `--boot` file's declared processes may run: the presets' and the property pool's, by digest. */
const BOOT_FILE_IMAGES: ReadonlyArray<ImageRecord> = [...new Map([...PRESETS.flatMap((preset) => preset.images), ...IMAGE_POOL].map((image) => [image.digest, image])).values()]

function presetFrom(values: { preset?: string; boot?: string }): Preset {
  if (values.boot !== undefined) {
    const config = readJsonInput(BootConfigCodec, values.boot)
    const processes = config.system?.processes?.length ?? 0
    if (processes === 0) throw new UsageError(`${values.boot}: declares no processes (system.processes), so nothing acts`, 'explore')
    const images = BOOT_FILE_IMAGES
    // Boot it here, so that a declaration the kernel cannot honour is refused naming the file and the path.
    try {
      boot(config, images)
    } catch (error) {
      if (!(error instanceof BootError)) throw error
      throw new InputError(values.boot, [error.message])
    }
    return { name: 'nested', description: `boot configuration ${values.boot}`, boot: config, images, actors: Array.from({ length: processes }, (_, i) => i + 1) }
  }
  const preset = findPreset(values.preset ?? 'cap-core')
  if (preset === undefined) throw new UsageError(`unknown preset ${JSON.stringify(values.preset)}; presets: ${PRESETS.map((p) => p.name).join(', ')}`, 'explore')
  return preset
}

function parseSwarm(value: string | undefined, seed: number): { index: number; count: number; seed: number } | undefined {
  if (value === undefined) return undefined
  const match = /^(\d+)\/(\d+)$/.exec(value)
  if (match === null || Number(match[2]) < 1 || Number(match[1]) >= Number(match[2])) throw new UsageError(`--swarm expects I/N with 0 <= I < N, found ${JSON.stringify(value)}`, 'explore')
  return { index: Number(match[1]), count: Number(match[2]), seed }
}

function report(result: ExploreResult): void {
  say(renderTable([{ header: 'measure' }, { header: 'value', align: 'right' }], [
    ['preset', result.preset], ['engine', result.engine], ['complete', result.complete ? 'yes (exhaustive within the bounds)' : result.interrupted === true ? 'no (interrupted)' : 'no'],
    ['distinct states', result.distinct.toLocaleString('en')], ['states generated', result.generated.toLocaleString('en')],
    ['depth', String(result.depth)], ['queue left', result.queue.toLocaleString('en')], ['time', `${(result.durationMs / 1000).toFixed(1)} s`],
    ['distinct states/s', result.statesPerSecond.toLocaleString('en')], ['fingerprint collision probability', result.collisionProbability.toExponential(2)],
    ['peak memory', `${(process.resourceUsage().maxRSS / 2 ** 10).toFixed(0)} MiB (resident, every thread)`],
  ]))
  say()
  say(`Transitions by syscall kind: ${Object.entries(result.coverage).sort().map(([kind, n]) => `${kind} ${n.toLocaleString('en')}`).join(', ')}`)
}

async function run(args: ReadonlyArray<string>): Promise<number> {
  const parsed = parseFlags('explore', args, FLAGS, false)
  if (parsed === null) { say(USAGE); return EXIT.ok }
  const values = parsed.values
  const preset = presetFrom(values)
  const engine = (values.engine ?? 'auto') as Engine
  if (!['auto', 'model', 'compiled', 'general'].includes(engine)) throw new UsageError(`--engine expects auto, compiled, general or model, found ${JSON.stringify(values.engine)}`, 'explore')
  const seed = values.seed === undefined ? 1 : Number(values.seed)
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed expects an integer, found ${JSON.stringify(values.seed)}`, 'explore')
  const timeLimit = values['time-limit'] === undefined ? undefined : Number(values['time-limit'])
  if (timeLimit !== undefined && !(timeLimit > 0)) throw new UsageError(`--time-limit expects a positive number of seconds`, 'explore')
  const mutant = values.mutant === undefined ? undefined : findModelMutant(values.mutant)
  if (values.mutant !== undefined && mutant === undefined) throw new UsageError(`unknown model mutant ${JSON.stringify(values.mutant)}; mutants: ${MODEL_MUTANTS.map((m) => m.name).join(', ')}`, 'explore')
  const progress = (p: ExploreProgress) => {
    const line = `explore: ${p.distinct.toLocaleString('en')} distinct · ${p.generated.toLocaleString('en')} generated · depth ${p.depth} · queue ${p.queue.toLocaleString('en')} · ${Math.round((p.distinct / Math.max(p.elapsedMs, 1)) * 1000).toLocaleString('en')} states/s`
    process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`)
  }
  const engineChosen: Engine = (values.refine === true || mutant !== undefined) && engine === 'auto' ? 'model' : engine
  const running = exploreInWorker({
    options: {
      preset,
      ...(values.depth === undefined ? {} : { depthMax: positiveIntegerFlag('explore', 'depth', values.depth)! }),
      ...(values.states === undefined ? {} : { statesMax: positiveIntegerFlag('explore', 'states', values.states)! }),
      ...(timeLimit === undefined ? {} : { timeLimitMs: timeLimit * 1000 }),
      ...(values.swarm === undefined ? {} : { swarm: parseSwarm(values.swarm, seed)! }),
      ...(values.workers === undefined ? {} : { workers: positiveIntegerFlag('explore', 'workers', values.workers)! }),
    },
    engine: engineChosen,
    ...(values.refine === true ? { refine: 'impl' } : {}),
    ...(mutant === undefined ? {} : { mutant: mutant.name }),
  }, values.json === true ? () => {} : progress)
  // Ctrl-C: the search stops and what it found so far is reported and written; exit 130.
  const onInterrupt = () => running.stop()
  process.once('SIGINT', onInterrupt)
  let result: ExploreResult
  try {
    result = await running.result
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]!.replace(/^Error: /, ''), 'explore')
  } finally {
    process.off('SIGINT', onInterrupt)
  }
  if (values.json !== true && process.stderr.isTTY) process.stderr.write('\r\x1b[K')
  let file: string | null = null
  if (result.violation !== null) {
    file = values.counterexample ?? 'sila-explore-counterexample.trace.json'
    writeFileAtomic(file, `${JSON.stringify(exploreTrace(preset, result), null, 2)}\n`)
  }
  const json = { format: 'sila-explore/1', ...result, counterexample: file, peakMemoryBytes: process.resourceUsage().maxRSS * 1024 }
  if (values.out !== undefined) writeFileAtomic(values.out, `${JSON.stringify(json, null, 2)}\n`)
  const reportFile = values.report === undefined ? null : writeReport(values.report, await exploreReport({
    preset, result, counterexampleFile: file, generator: generatorName(),
    ...(values.refine === true ? { refine: resolveTarget('impl') } : {}), ...(mutant === undefined ? {} : { step: mutant.step, mutant: mutant.name }),
  }))
  if (reportFile !== null && values.json !== true) say(`report: ${reportFile}`)
  const exitCode = result.violation !== null ? EXIT.failed : result.interrupted === true ? EXIT.interrupted : EXIT.ok
  if (values.json === true) { say(formatJson(json)); return exitCode }
  report(result)
  if (result.violation !== null) {
    say()
    say(`✗ ${result.violation.invariant}: ${result.violation.message}`)
    say(`a shortest path (${result.violation.path.length} steps):`)
    say(renderTable([{ header: 'step', align: 'right' }, { header: 'caller', align: 'right' }, { header: 'syscall' }],
      result.violation.path.map((syscall, index) => [String(index), callerText(syscall), syscallText(syscall)])))
    say(`counterexample: ${file}; replay it: npx sila replay ${file}`)
    return EXIT.failed
  }
  say(result.interrupted === true ? 'Interrupted: no invariant violated in what was searched.' : result.complete ? 'No invariant violated: the search was exhaustive.' : 'No invariant violated within the bounds.')
  return exitCode
}

/** @public */
export const exploreCommand: Command = {
  name: 'explore', summary: "search the model's state space breadth-first for invariant violations", usage: USAGE, planned: false, run,
}
