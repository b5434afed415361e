/**
 * `sila export FILE --format itf|json|test|md`: a `sila-trace/1` trace as an ITF
 * trace, a normalized trace, a regression test or a Markdown report (tooling.md §4).
 * The formats live in `checker/export/`; this file reads the trace, checks the
 * flags, and writes the text to standard output or, atomically, to `--out`.
 * @module
 */
import { EXPORT_FORMATS, exportTrace, isExportFormat } from '../../checker/export/index.js'
import { chooseKernel, type KernelChoice } from '../../checker/targets.js'
import { existsSync } from 'node:fs'
import { checkKernelModulePath } from '../../checker/user-module.js'
import { InputError } from '../../spec/decode.js'
import { TraceCodec, type Trace } from '../../spec/trace.js'
import { PropsFileCodec } from '../../spec/props.js'
import { regressionTest, type RegressionTestOptions } from '../../checker/export/test.js'
import { isPropsJson, loadProps, systemNames } from '../../checker/props-input.js'
import { failureStepProblem, missingPropsFile, propertyNotStated, recordedUserProperty } from '../trace-consistency.js'
import { type Command, parseFlags } from '../command.js'
import { readJsonInput } from '../input.js'
import { withBootErrors } from '../../checker/audit/input.js'
import { EXIT, exitCodesHelp, say, UsageError, warn, writeOutputFile } from '../output.js'
import { checkOutputs } from '../outputs.js'

const USAGE = `Usage: sila export FILE --format itf|json|test|md [--out PATH]
                  [--impl | --mutant NAME | --model-mutant NAME | --kernel FILE | --model-only]

Converts a sila-trace/1 file. Every format but test replays the trace on the model.

Formats:
  itf   the Informal Trace Format that Quint and Apalache use (and their trace
        viewers read): the boot state and the state after each step, with the
        variables objects, caps, namespaces, processRefs, messages, lastReceived,
        flows, lastSyscall, lastOutcome and violated; integers as {"#bigint": ...}
  json  the trace normalized: pretty-printed, every step's outcome the model's
        (a recorded outcome that differs is replaced, with a note on stderr)
  test  a uvu regression test that steps the kernel that failed (the one the
        trace records as having produced it, or the one a flag names) and the
        model in lockstep, and fails while the kernel diverges from the model, an
        invariant breaks on the model or a step's outcome differs from the
        recorded one. An ES module, JavaScript and TypeScript at once, importing
        sila-kernel and uvu by package name: save it as NAME.test.mjs and run it
        with 'node NAME.test.mjs' (or 'npx uvu DIR'); a .ts name is for a
        TypeScript test setup (tsx, a tsc build). For a counterexample or a
        witness of a user property (--props), it also asks that property, read
        from the file the trace names (failure.props, relative to the working
        directory): it fails while the property breaks (a witness's test: once
        no state of the trace reaches it). A property in code is watched as the
        kernel is (SILA_STEP_TIMEOUT): the test of a STALL fails at the state
        the property still does not answer
  md    a Markdown report: the failure with its witness, the boot configuration,
        the step table and the commands that reproduce it

Options:
  --format F          itf, json, test or md (required)
  --out PATH          write to PATH, atomically, instead of standard output (its
                      directory must exist; checked before the trace is read)
  --impl              test only: step the impl
  --mutant NAME       test only: step a seeded bug of the impl
  --model-mutant NAME test only: step a copy of the model with a seeded bug
  --kernel FILE       test only: step your own kernel module (docs/own-kernel.md)
  --model-only        test only: step the model alone (its invariants, the outcomes)
  -h, --help          show this help

${exitCodesHelp({ ok: 'written', internal: 'the model itself failed, or a bug in sila (SILA_DEBUG=1 shows the stack)' })}`

const FLAGS = {
  format: { type: 'string' }, out: { type: 'string' },
  impl: { type: 'boolean' }, mutant: { type: 'string' }, 'model-mutant': { type: 'string' }, kernel: { type: 'string' }, 'model-only': { type: 'boolean' },
} as const

async function run(args: ReadonlyArray<string>): Promise<number> {
  const parsed = parseFlags('export', args, FLAGS, true)
  if (parsed === null) {
    say(USAGE)
    return EXIT.ok
  }
  if (parsed.positionals.length !== 1) throw new UsageError(parsed.positionals.length === 0 ? 'expects a trace FILE' : 'expects exactly one FILE', 'export')
  const format = parsed.values.format
  if (format === undefined) throw new UsageError(`expects --format ${EXPORT_FORMATS.join('|')}`, 'export')
  if (!isExportFormat(format)) throw new UsageError(`unknown format ${JSON.stringify(format)}; expected one of ${EXPORT_FORMATS.join(', ')}`, 'export')
  const values = parsed.values
  const kernelFlag = ['impl', 'mutant', 'model-mutant', 'kernel', 'model-only'].find((flag) => values[flag as keyof typeof values] !== undefined)
  if (kernelFlag !== undefined && format !== 'test') throw new UsageError(`--${kernelFlag} applies only to --format test`, 'export')
  if (format === 'test' && values.out !== undefined && /\.c[jt]s$/.test(values.out)) {
    throw new UsageError(`--out ${values.out}: the regression test is an ES module (import statements), not CommonJS: name it .mjs`, 'export')
  }
  checkOutputs('export', [{ name: '--out', path: parsed.values.out, kind: 'file' }])
  let choice: KernelChoice
  try {
    choice = await chooseKernel(values, undefined)
  } catch (error) {
    throw new UsageError((error as Error).message, 'export')
  }
  // The test imports the module when it runs: a path Node could not import is refused now, not there.
  if (values.kernel !== undefined) checkKernelModulePath(values.kernel)
  const file = parsed.positionals[0]!
  const trace = readJsonInput(TraceCodec, file)
  const inconsistent = failureStepProblem(trace)
  if (inconsistent !== null) throw new InputError(file, [inconsistent])
  const kernel = choice.by === 'flag' ? { kernel: choice.kernel } : {}
  const outFile = values.out === undefined ? {} : { outFile: values.out }
  const property = format === 'test' ? await recordedProperty(file, trace) : undefined
  const result = property === undefined
    ? withBootErrors(file, () => exportTrace(trace, format, { source: file, ...kernel, ...outFile }))
    : { text: withBootErrors(file, () => regressionTest(trace, { source: file, ...kernel, ...outFile, property })), notes: [] }
  for (const note of result.notes) warn(`sila export: ${note}`)
  if (parsed.values.out === undefined) {
    process.stdout.write(result.text)
  } else {
    writeOutputFile(parsed.values.out, result.text)
  }
  return EXIT.ok
}

/**
 * The user property a counterexample or witness of `--props` records (one broken
 * or reached, or one that did not return: a STALL), for the regression test to
 * ask: the test of a trace whose failure is the system's, not the kernel's, would
 * otherwise pass from the start. Read from the file the trace names
 * (`failure.props`, relative to the working directory), as `sila replay` reads it.
 */
async function recordedProperty(file: string, trace: Trace): Promise<RegressionTestOptions['property']> {
  const failure = trace.failure
  if (failure === undefined || (failure.says === undefined && failure.stalledProperty === undefined)) return undefined
  const name = recordedUserProperty(failure) ?? ''
  if (failure.props === undefined) throw new InputError(file, [`$.failure: the recorded failure is the user property ${JSON.stringify(name)}${failure.says === undefined ? ' (it did not return)' : ''}, but no props file (failure.props) states it`])
  const propsFile = failure.props
  if (!existsSync(propsFile)) {
    throw new InputError(file, [missingPropsFile(propsFile, 'export from there')])
  }
  // Loaded as replay loads it (every problem of the file, or of its names in the trace's system, refused here rather than in the test).
  const loaded = await loadProps(propsFile, withBootErrors(file, () => systemNames(trace.boot, trace.images)))
  const property = loaded.find((p) => p.name === name)
  if (property === undefined) throw new InputError(file, [propertyNotStated(name, propsFile, loaded.map((p) => p.name))])
  if (!isPropsJson(propsFile)) return { name, kind: property.kind, source: propsFile, module: propsFile }
  const declaration = readJsonInput(PropsFileCodec, propsFile).properties.find((p) => p.name === name)
  return { name, kind: property.kind, source: propsFile, declaration }
}

/** @public */
export const exportCommand: Command = {
  name: 'export',
  summary: 'convert a trace to ITF, normalized JSON, a regression test or Markdown',
  usage: USAGE,
  planned: false,
  run,
}
