/**
 * `sila merge`: combines the results of sharded `sila check` jobs (tooling.md §7):
 * runs and coverage add up, and the merged run failed if any shard failed.
 * @module
 */
import { CheckResultsCodec, mergeResults } from '../../checker/results.js'
import { type Command, parseFlags } from '../command.js'
import { readJsonInput } from '../input.js'
import { EXIT, formatJson, renderTable, say, UsageError, writeFileAtomic } from '../output.js'

const USAGE = `Usage: sila merge RESULT.json... [--out FILE] [--json]

Combines the results written by 'sila check --shard I/N --out FILE' jobs into
one summary: runs and coverage add up; a suite failed if it failed in any shard.

Options:
  --out FILE  write the merged results (sila-check/1 JSON)
  --json      print the merged results as JSON
  -h, --help  show this help

Exit: 0 every shard passed, 1 some shard failed, 2 a file was refused.`

function run(args: ReadonlyArray<string>): number {
  const parsed = parseFlags('merge', args, { out: { type: 'string' }, json: { type: 'boolean' } } as const, true)
  if (parsed === null) {
    say(USAGE)
    return EXIT.ok
  }
  if (parsed.positionals.length === 0) throw new UsageError('expects at least one results file', 'merge')
  const merged = mergeResults(parsed.positionals.map((file) => readJsonInput(CheckResultsCodec, file)))
  if (parsed.values.out !== undefined) writeFileAtomic(parsed.values.out, `${JSON.stringify(merged, null, 2)}\n`)
  if (parsed.values.json === true) say(formatJson(merged))
  else {
    say(renderTable([{ header: 'suite' }, { header: 'runs', align: 'right' }, { header: 'steps', align: 'right' }, { header: 'result' }],
      merged.suites.map((s) => [s.suite, String(s.runs), String(s.coverage.steps), s.failure === null ? 'passed' : `FAILED ${s.failure.invariant}: ${s.failure.message}`])))
    say(`${parsed.positionals.length} result files merged: ${merged.passed ? 'all passed' : 'FAILED'}`)
  }
  return merged.passed ? EXIT.ok : EXIT.failed
}

/** @public */
export const mergeCommand: Command = { name: 'merge', summary: 'combine the JSON results of sharded check jobs', usage: USAGE, planned: false, run }
