/**
 * `sila export FILE --format itf|json|test|md`: a `sila-trace/1` trace as an ITF
 * trace, a normalized trace, a regression test or a Markdown report (tooling.md §4).
 * The formats live in `checker/export/`; this file reads the trace, checks the
 * flags, and writes the text to standard output or, atomically, to `--out`.
 * @module
 */
import { EXPORT_FORMATS, exportTrace, isExportFormat, DEFAULT_IMPORT_ROOT, isImportRoot } from '../../checker/export/index.js'
import { InputError } from '../../spec/decode.js'
import { TraceCodec } from '../../spec/trace.js'
import { type Command, parseFlags } from '../command.js'
import { readJsonInput } from '../input.js'
import { withBootErrors } from '../../checker/audit/input.js'
import { EXIT, exitCodesHelp, say, UsageError, warn, writeFileAtomic } from '../output.js'
import { checkOutputs } from '../outputs.js'

const USAGE = `Usage: sila export FILE --format itf|json|test|md [--out PATH]

Converts a sila-trace/1 file. Every format but test replays the trace on the model.

Formats:
  itf   the Informal Trace Format that Quint and Apalache use (and their trace
        viewers read): the boot state and the state after each step, with the
        variables objects, caps, namespaces, processRefs, messages, lastReceived,
        flows, lastSyscall, lastOutcome and violated; integers as {"#bigint": ...}
  json  the trace normalized: pretty-printed, every step's outcome the model's
        (a recorded outcome that differs is replaced, with a note on stderr)
  test  a uvu regression test that replays the trace on the model and fails while
        an invariant breaks or a step's outcome differs from the recorded one.
        Save it as test/regressions/NAME.test.ts: its imports are relative to that
        directory (see --import-root). It is TypeScript and plain JavaScript at
        once, so it also runs as an .mjs file with node
  md    a Markdown report: the failure with its witness, the boot configuration,
        the step table and the commands that reproduce it

Options:
  --format F          itf, json, test or md (required)
  --out PATH          write to PATH, atomically, instead of standard output (its
                      directory must exist; checked before the trace is read)
  --import-root DIR   test only: relative path from the test file to the directory
                      holding model/, spec/ and checker/ (default ${DEFAULT_IMPORT_ROOT})
  -h, --help          show this help

${exitCodesHelp({ ok: 'written', internal: 'the model itself failed, or a bug in sila (SILA_DEBUG=1 shows the stack)' })}`

const FLAGS = { format: { type: 'string' }, out: { type: 'string' }, 'import-root': { type: 'string' } } as const

const WRITE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
}

/** Writes `text` to `path` atomically; a file system refusal is the user's input refused. */
function writeOut(path: string, text: string): void {
  try {
    writeFileAtomic(path, text)
  } catch (error) {
    const code = (error as { code?: string }).code ?? ''
    throw new InputError(path, [`cannot write: ${WRITE_ERRORS[code] ?? (error as Error).message}`])
  }
}

function run(args: ReadonlyArray<string>): number {
  const parsed = parseFlags('export', args, FLAGS, true)
  if (parsed === null) {
    say(USAGE)
    return EXIT.ok
  }
  if (parsed.positionals.length !== 1) throw new UsageError(parsed.positionals.length === 0 ? 'expects a trace FILE' : 'expects exactly one FILE', 'export')
  const format = parsed.values.format
  if (format === undefined) throw new UsageError(`expects --format ${EXPORT_FORMATS.join('|')}`, 'export')
  if (!isExportFormat(format)) throw new UsageError(`unknown format ${JSON.stringify(format)}; expected one of ${EXPORT_FORMATS.join(', ')}`, 'export')
  const importRoot = parsed.values['import-root']
  if (importRoot !== undefined && format !== 'test') throw new UsageError('--import-root applies only to --format test', 'export')
  if (importRoot !== undefined && !isImportRoot(importRoot.replace(/\/+$/, ''))) {
    throw new UsageError(`--import-root expects a relative path such as ../.., found ${JSON.stringify(importRoot)}`, 'export')
  }
  checkOutputs('export', [{ name: '--out', path: parsed.values.out, kind: 'file' }])
  const file = parsed.positionals[0]!
  const trace = readJsonInput(TraceCodec, file)
  const result = withBootErrors(file, () => exportTrace(trace, format, { source: file, ...(importRoot === undefined ? {} : { importRoot }) }))
  for (const note of result.notes) warn(`sila export: ${note}`)
  if (parsed.values.out === undefined) {
    process.stdout.write(result.text)
  } else {
    writeOut(parsed.values.out, result.text)
  }
  return EXIT.ok
}

/** @public */
export const exportCommand: Command = {
  name: 'export',
  summary: 'convert a trace to ITF, normalized JSON, a regression test or Markdown',
  usage: USAGE,
  planned: false,
  run,
}
