/**
 * `sila mutants`: the kill matrix of the seeded bugs (tooling.md §6). The running
 * is `checker/mutants.ts`; this parses flags and renders.
 * @module
 */
import { type Command, conflict, defaultWorkers, integerFlag, parseFlags, positiveIntegerFlag, WORKERS_DEFAULT_MAX } from '../command.js'
import { EXIT, exitCodesHelp, formatJson, renderTable, say, UsageError, writeOutputFile } from '../output.js'
import { checkOutputs } from '../outputs.js'
import { MUTANTS_DEFAULTS, findMutants, median, runMutants, type MutantResult } from '../../checker/mutants.js'
import { MUTANTS } from '../../mutants/catalogue.js'
import { cleanMutants } from '../../mutants/materialize.js'
import { generatorName, mutantsReport, writeReport } from '../../checker/report/index.js'
import { interruptedBefore } from '../interrupt.js'

const USAGE = `Usage: sila mutants [NAME...] [options]

Runs every property suite and the model checker (explore --refine on cap-core)
against each seeded bug — a one-line variant of the impl kept apart from it — and
prints the kill matrix: which suites and checkers kill it, the time to kill, and
the length of the shrunk counterexample. ${MUTANTS.length} mutants; 'sila mutants --list' names them.

Options:
  --list          list the catalogue and exit (takes no other flag nor NAME)
  --runs N        runs per suite (default ${MUTANTS_DEFAULTS.runs})
  --seed N        seed, any integer (default ${MUTANTS_DEFAULTS.seed})
  --workers N     worker threads (default ${WORKERS_DEFAULT_MAX}, or 1 on one core)
  --json          print the matrix as JSON
  --out FILE      write the matrix as JSON
  --report DIR    write an HTML report (kill matrix, charts) to DIR/index.html
                  (DIR is created if missing)
  -h, --help      show this help

Output paths are checked before the mutants run: a file's directory must exist.

${exitCodesHelp({ ok: 'every mutant was killed', failed: 'some mutant survived', interrupted: 'interrupted (Ctrl-C): the mutants that finished were reported and written' })}`

function matrix(results: ReadonlyArray<MutantResult>): string {
  return renderTable([
    { header: 'mutant' }, { header: 'family' }, { header: 'killed by', widthMax: 44 }, { header: 'time', align: 'right' }, { header: 'shrunk', align: 'right' },
  ], results.map((r) => [
    r.name, r.family,
    r.kills.length === 0 ? 'SURVIVED' : r.kills.map((k) => `${k.by}${k.invariant === 'REF-1' ? '' : ` (${k.invariant})`}`).join(', '),
    r.first === null ? '-' : `${(r.first.timeMs / 1000).toFixed(2)} s`,
    r.first === null ? '-' : String(Math.min(...r.kills.map((k) => k.shrunkLength))),
  ]))
}

async function run(args: ReadonlyArray<string>): Promise<number> {
  const parsed = parseFlags('mutants', args, { list: { type: 'boolean' }, runs: { type: 'string' }, seed: { type: 'string' }, workers: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' }, report: { type: 'string' } } as const, true)
  if (parsed === null) { say(USAGE); return EXIT.ok }
  if (parsed.values.list === true) {
    const other = (['runs', 'seed', 'workers', 'json', 'out', 'report'] as const).find((flag) => parsed.values[flag] !== undefined)
    if (other !== undefined) throw conflict('mutants', '--list', `--${other}`, '--list only names the catalogue, it runs nothing')
    if (parsed.positionals.length > 0) throw new UsageError(`--list takes no mutant NAME, found ${JSON.stringify(parsed.positionals[0])}`, 'mutants')
    say(renderTable([{ header: 'mutant' }, { header: 'family' }, { header: 'mistake', widthMax: 70 }, { header: 'modelled on', widthMax: 50 }],
      MUTANTS.map((m) => [m.name, m.family, m.description, m.reference ?? '-'])))
    return EXIT.ok
  }
  let mutants
  try { mutants = findMutants(parsed.positionals) } catch (error) { throw new UsageError((error as Error).message, 'mutants') }
  const seed = integerFlag('mutants', 'seed', parsed.values.seed) ?? MUTANTS_DEFAULTS.seed
  const options = { ...MUTANTS_DEFAULTS, runs: positiveIntegerFlag('mutants', 'runs', parsed.values.runs) ?? MUTANTS_DEFAULTS.runs, seed }
  const workers = positiveIntegerFlag('mutants', 'workers', parsed.values.workers) ?? defaultWorkers()
  checkOutputs('mutants', [{ name: '--out', path: parsed.values.out, kind: 'file' }, { name: '--report', path: parsed.values.report, kind: 'directory' }])
  const started = Date.now()
  let done = 0
  const running = runMutants(mutants, options, workers, (result) => {
    done++
    if (parsed.values.json !== true) process.stderr.write(`mutants: ${done}/${mutants.length} · ${result.name} ${result.first === null ? 'SURVIVED' : `killed by ${result.first.by}`}\n`)
  })
  // Ctrl-C: stop, and report the mutants that finished; exit 130.
  let interrupted = false
  const onInterrupt = () => { interrupted = true; running.stop() }
  process.once('SIGINT', onInterrupt)
  // Ctrl-C during start-up (cli/interrupt.ts kept it): stop at once, reporting what there is.
  if (interruptedBefore()) onInterrupt()
  const results = await running.results
  process.off('SIGINT', onInterrupt)
  cleanMutants()
  const killed = results.filter((r) => r.first !== null)
  const summary = {
    format: 'sila-mutants/1', seed, runs: options.runs, mutants: results.length, killed: killed.length, interrupted,
    medianTimeToKillMs: median(killed.map((r) => r.first!.timeMs)),
    medianShrunkLength: median(killed.map((r) => Math.min(...r.kills.map((k) => k.shrunkLength)))),
    durationMs: Date.now() - started, results,
  }
  if (parsed.values.out !== undefined) writeOutputFile(parsed.values.out, `${JSON.stringify(summary, null, 2)}\n`)
  const reportFile = parsed.values.report === undefined ? null
    : writeReport(parsed.values.report, await mutantsReport({ results, seed, runs: options.runs, durationMs: summary.durationMs, generator: generatorName() }))
  if (parsed.values.json === true) say(formatJson(summary))
  else {
    say(matrix(results))
    say()
    if (reportFile !== null) say(`report: ${reportFile}`)
    say(`${killed.length} of ${results.length} mutants killed · median time to kill ${(summary.medianTimeToKillMs / 1000).toFixed(2)} s · median shrunk length ${summary.medianShrunkLength} steps · ${((Date.now() - started) / 1000).toFixed(0)} s in all`)
  }
  if (interrupted) {
    say(`Interrupted after ${results.length} of ${mutants.length} mutants.`)
    return EXIT.interrupted
  }
  return killed.length === results.length ? EXIT.ok : EXIT.failed
}

/** @public */
export const mutantsCommand: Command = { name: 'mutants', summary: 'run the suites against seeded kernel bugs and print the kill matrix', usage: USAGE, planned: false, run }
