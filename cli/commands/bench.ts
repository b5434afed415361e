/**
 * `sila bench`: the performance benchmarks (tooling.md §8), measured on this machine
 * and printed against their targets. The measuring is `bench/run.ts`; this parses
 * flags and renders. `npm run bench` is this command too.
 * @module
 */
import { type Command, conflict, parseFlags, refuseTogether } from '../command.js'
import { EXIT, exitCodesHelp, formatJson, renderTable, say, UsageError, warn, writeOutputFile } from '../output.js'
import { checkOutputs } from '../outputs.js'
import type { BenchReport } from '../../bench/run.js'

const USAGE = `Usage: sila bench [ID...] [--json] [--out FILE] [--markdown]
       sila bench --list

Measures the performance benchmarks on this machine (impl throughput, scaling
with live objects, revoke, lockstep checking, exhaustive explore, a full check,
image spawn) and prints each measurement against its target, with the machine
it ran on (CPU, cores, memory, Node version). With no ID it runs them all, which
takes a while (B1 ~1.5 min, B5 ~12 min, B9 ~8 min, B6 a full 'sila check'); name IDs
to run only those, e.g. 'sila bench B2 B4'. A progress line per benchmark goes
to stderr. B7 (seeded bugs) is measured by 'sila mutants'. 'npm run bench' runs
this command.

Options:
  --list      list the benchmark IDs, what each measures and about how long it
              takes (takes no other flag nor ID)
  --json      print the rows, the time each benchmark took and the machine as JSON
  --out FILE  write that JSON (sila-bench/1) to FILE (checked before the benchmarks run)
  --markdown  print the table as Markdown (the README's Benchmarks table); not with --json
  -h, --help  show this help

${exitCodesHelp({
  ok: 'the benchmarks ran, whether or not every target was met: they are measurements, and shared machines are noisy, so a missed target is reported in the "met" column and the last line, not as a failure exit',
  usage: 'refused: an unknown ID, a flag or the --out path',
  internal: 'a benchmark broke (B4 found a divergence, B8 a refused spawn), or a bug in sila',
})}`

type Bench = typeof import('../../bench/run.js')

/** The requested ids, in order and without repeats; an unknown one is a usage error naming the valid ones. */
function requested(bench: Bench, positionals: ReadonlyArray<string>): string[] {
  const known = bench.BENCHMARK_LIST.map((b) => b.id)
  const ids: string[] = []
  for (const given of positionals) {
    const id = known.find((k) => k.toUpperCase() === given.toUpperCase()) ?? given.toUpperCase()
    if (!known.includes(id)) {
      const hint = id === 'B7' ? " (B7, the seeded bugs, is measured by 'sila mutants')" : ''
      throw new UsageError(`unknown benchmark ${JSON.stringify(given)}${hint}; expected one of ${known.join(', ')}`, 'bench')
    }
    if (!ids.includes(id)) ids.push(id)
  }
  return ids.length > 0 ? ids : known
}

function table(report: BenchReport, markdown: boolean): string {
  const cells = report.rows.map((row) => [row.id, row.what, row.measured, row.target, row.met ? 'yes' : 'NO'])
  if (markdown) {
    const line = (row: ReadonlyArray<string>) => `| ${row.join(' | ')} |`
    return [line(['id', 'what', 'measured', 'target', 'met']), line(['---', '---', '---', '---', '---']), ...cells.map((row) => line(row[4] === 'NO' ? [...row.slice(0, 4), '**no**'] : row))].join('\n')
  }
  return renderTable([{ header: 'id' }, { header: 'what', widthMax: 48 }, { header: 'measured', widthMax: 36 }, { header: 'target' }, { header: 'met' }], cells)
}

function summary(report: BenchReport): string {
  const seconds = report.benchmarks.reduce((sum, b) => sum + b.seconds, 0)
  const missed = report.rows.filter((row) => !row.met)
  const ran = `${report.benchmarks.length} benchmark${report.benchmarks.length === 1 ? '' : 's'} in ${seconds.toFixed(1)} s`
  if (missed.length === 0) return `${ran}: ${report.rows.length === 1 ? 'its target' : `all ${report.rows.length} targets`} met`
  return `${ran}: ${missed.length} of ${report.rows.length} targets not met (${missed.map((row) => row.id).join(', ')}); a measurement, not a failure: exit 0`
}

async function run(args: ReadonlyArray<string>): Promise<number> {
  const parsed = parseFlags('bench', args, { list: { type: 'boolean' }, json: { type: 'boolean' }, out: { type: 'string' }, markdown: { type: 'boolean' } } as const, true)
  if (parsed === null) {
    say(USAGE)
    return EXIT.ok
  }
  refuseTogether('bench', parsed.values, [['json', 'markdown', 'each is a way to print the table']])
  if (parsed.values.list === true) {
    const other = (['json', 'out', 'markdown'] as const).find((flag) => parsed.values[flag] !== undefined)
    if (other !== undefined) throw conflict('bench', '--list', `--${other}`, '--list only names the benchmarks, it measures nothing')
  }
  // Loaded here, not at the top: the benchmarks pull in the checker and the pipeline.
  const bench: Bench = await import('../../bench/run.js')
  if (parsed.values.list === true) {
    if (parsed.positionals.length > 0) throw new UsageError('--list takes no benchmark IDs', 'bench')
    say(renderTable([{ header: 'id' }, { header: 'measures', widthMax: 72 }, { header: 'takes', align: 'right' }], bench.BENCHMARK_LIST.map((b) => [b.id, b.measures, b.takes])))
    return EXIT.ok
  }
  const ids = requested(bench, parsed.positionals)
  checkOutputs('bench', [{ name: '--out', path: parsed.values.out, kind: 'file' }])
  let lineOpen = false
  let report: BenchReport
  try {
    report = bench.runBenchmarks(ids, {
      start: (b, index) => {
        process.stderr.write(`bench: [${index + 1}/${ids.length}] ${b.id} ${b.measures} (${b.takes}) ... `)
        lineOpen = true
      },
      end: (_, seconds) => {
        process.stderr.write(`${seconds.toFixed(1)} s\n`)
        lineOpen = false
      },
    })
  } finally {
    if (lineOpen) process.stderr.write('\n')
  }
  const json = `${JSON.stringify(report, null, 2)}\n`
  if (parsed.values.out !== undefined) writeOutputFile(parsed.values.out, json)
  if (parsed.values.json === true) {
    say(formatJson(report))
  } else {
    say(`machine: ${bench.machine(report.machine)}`)
    say()
    say(table(report, parsed.values.markdown === true))
    say()
    say(summary(report))
  }
  if (parsed.values.out !== undefined && parsed.values.json !== true) warn(`bench: wrote ${parsed.values.out}`)
  return EXIT.ok
}

/** @public */
export const benchCommand: Command = { name: 'bench', summary: 'measure the benchmarks (B1-B10, B5p) against their targets and print their table', usage: USAGE, planned: false, run }
