/**
 * `sila merge`: combines the results of sharded `sila check` jobs (tooling.md §7):
 * runs and coverage add up, and the merged run failed if any shard failed.
 * @module
 */
import { CheckResultsCodec, checkShards, checkSwarmJobs, ExploreResultsCodec, mergeExplore, mergeResults } from '../../checker/results.js'
import { basename } from 'node:path'
import { InputError, parseJson } from '../../spec/decode.js'
import { type Command, parseFlags } from '../command.js'
import { readInputText, readJsonInput } from '../input.js'
import { EXIT, exitCodesHelp, formatJson, renderTable, say, UsageError, warn, writeOutputFile } from '../output.js'
import { checkOutputs } from '../outputs.js'

const USAGE = `Usage: sila merge RESULT.json... [--out FILE] [--json]

Combines the results written by 'sila check --shard I/N --out FILE' jobs into
one summary: runs and coverage add up; a suite failed if it failed in any shard.
Runs of different seeds add up; for one seed, each shard counts once and a whole
run alone (a shard given twice, or a whole run beside its shards, is refused,
naming the file); a missing shard is warned of. All share --max-steps and --props.
Also combines 'sila explore --swarm I/N --out FILE' jobs of one system:
transitions add up, the distinct count is a sum over jobs (an upper bound), the
shortest violation wins; a job given twice, one past its swarm's count, or one of
another system or without --swarm, is refused. The user properties (--props)
are printed with their merged verdicts: violated or witnessed in any job, held
or vacuous in all; with the trace of the violation or witness kept.

Options:
  --out FILE  write the merged results (sila-check/1 or sila-explore/1 JSON); its
              directory must exist
  --json      print the merged results as JSON
  -h, --help  show this help

${exitCodesHelp({ ok: 'every shard passed (no swarm job found a violation)', failed: 'some shard failed (or found a violation)' })}`

function run(args: ReadonlyArray<string>): number {
  const parsed = parseFlags('merge', args, { out: { type: 'string' }, json: { type: 'boolean' } } as const, true)
  if (parsed === null) {
    say(USAGE)
    return EXIT.ok
  }
  if (parsed.positionals.length === 0) throw new UsageError('expects at least one results file', 'merge')
  checkOutputs('merge', [{ name: '--out', path: parsed.values.out, kind: 'file' }])
  const formats = parsed.positionals.map((file) => (parseJson(readInputText(file), file) as { format?: unknown } | null)?.format)
  // Results of one kind: a version or kind that is neither, or check shards beside swarm jobs, said as such (not as a check file's wrong format).
  const known = ['sila-check/1', 'sila-explore/1']
  for (const [index, format] of formats.entries()) {
    const file = parsed.positionals[index]!
    if (format !== undefined && !known.includes(format as string)) {
      const found = JSON.stringify(format) ?? String(format)
      throw new InputError(file, [`$.format: expected "sila-check/1" (sila check --out) or "sila-explore/1" (sila explore --out), found ${found.length > 40 ? `${found.slice(0, 37)}...` : found}`])
    }
    if (format !== undefined && known.includes(formats[0] as string) && format !== formats[0]) {
      throw new InputError(file, [`$.format: "${format as string}", but ${basename(parsed.positionals[0]!)} is "${formats[0] as string}": merge check shards or swarm jobs, not both`])
    }
  }
  if (formats.every((format) => format === 'sila-explore/1')) return mergeExploreFiles(parsed.positionals, parsed.values)
  const files = parsed.positionals.map((file) => ({ file, results: readJsonInput(CheckResultsCodec, file) }))
  const missing = checkShards(files)
  for (const warning of missing) warn(`sila merge: warning: ${warning}`)
  const merged = mergeResults(files.map((entry) => entry.results))
  if (parsed.values.out !== undefined) writeOutputFile(parsed.values.out, `${JSON.stringify(merged, null, 2)}\n`)
  if (parsed.values.json === true) say(formatJson(merged))
  else {
    say(renderTable([{ header: 'suite' }, { header: 'runs', align: 'right' }, { header: 'steps', align: 'right' }, { header: 'result' }],
      merged.suites.map((s) => [s.suite, String(s.runs), String(s.coverage.steps), s.failure === null ? 'passed' : `FAILED ${s.failure.invariant}: ${s.failure.message}`])))
    sayPropertyVerdicts((merged.properties ?? []).map((p) => ({
      name: p.name, kind: p.kind, status: p.status, file: p.file,
      message: p.message ?? (p.kind === 'sometimes' ? `reached in ${p.runsReached} of ${p.runs} runs` : `asked of ${p.states} states in ${p.runs} runs`),
    })))
    say(`${parsed.positionals.length} result files merged: ${merged.passed ? 'all passed' : 'FAILED'}${missing.length === 0 ? '' : ` (${missing.length === 1 ? 'a seed lacks shards' : 'seeds lack shards'}: see the warning)`}`)
  }
  return merged.passed ? EXIT.ok : EXIT.failed
}

function mergeExploreFiles(files: ReadonlyArray<string>, values: { out?: string; json?: boolean }): number {
  const jobs = files.map((file) => ({ file, results: readJsonInput(ExploreResultsCodec, file) }))
  for (const warning of checkSwarmJobs(jobs)) warn(`sila merge: warning: ${warning}`)
  const merged = mergeExplore(jobs.map((entry) => entry.results))
  if (values.out !== undefined) writeOutputFile(values.out, `${JSON.stringify(merged, null, 2)}\n`)
  if (values.json === true) say(formatJson(merged))
  else {
    say(renderTable([{ header: 'measure' }, { header: 'value', align: 'right' }], [
      ['swarm jobs', String(merged.jobs)], ['preset', merged.preset],
      ['distinct states', `${merged.distinct.toLocaleString('en')}${merged.distinctIsUpperBound ? ' (sum over jobs: an upper bound)' : ''}`],
      ['states generated', merged.generated.toLocaleString('en')], ['deepest', String(merged.depth)],
      ['violation', merged.violation === null ? 'none' : `${merged.violation.invariant} in ${merged.violation.path.length} steps: ${merged.violation.message}`],
    ]))
    if (merged.counterexample !== undefined && merged.counterexample !== null) say(`counterexample: ${merged.counterexample} (written by the job that found it)`)
    const violation = merged.violation
    sayPropertyVerdicts((merged.properties ?? []).map((p) => ({
      name: p.name, kind: p.kind, status: p.status, file: p.file,
      // A job's "a shortest counterexample follows" points at a table merge does not print: the violation's own words instead.
      message: p.status === 'violated' && violation !== null && violation.invariant === p.name ? `${violation.message}; after ${violation.path.length} step${violation.path.length === 1 ? '' : 's'}` : p.message,
    })))
  }
  return merged.violation === null ? EXIT.ok : EXIT.failed
}

/** The user properties (--props) the jobs checked, each with its merged verdict: what one run would print of them. */
function sayPropertyVerdicts(verdicts: ReadonlyArray<{ name: string; kind: string; status: string; message?: string | undefined; file?: string | null | undefined }>): void {
  if (verdicts.length === 0) return
  say()
  say('User properties:')
  for (const v of verdicts) {
    const detail = [v.message, v.file === undefined || v.file === null ? undefined : `trace: ${v.file}`].filter((part) => part !== undefined && part !== '').join('; ')
    say(`  ${v.name} (${v.kind}): ${v.status}${detail === '' ? '' : ` — ${detail}`}`)
  }
}

/** @public */
export const mergeCommand: Command = { name: 'merge', summary: 'combine the JSON results of sharded check jobs', usage: USAGE, planned: false, run }
