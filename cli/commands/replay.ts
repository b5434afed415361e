/**
 * `sila replay FILE`: re-executes a `sila-trace/1` trace on the model and prints the
 * step table, the violated invariants with their witnesses, and the steps whose
 * outcome differs from the recorded one (tooling.md §4). The logic lives in
 * `checker/replay.ts`; this file only reads the file and renders.
 * @module
 */
import { existsSync } from 'node:fs'
import { replayTrace, BOOT_STEP, type ReplayResult, type ReplayViolation } from '../../checker/replay.js'
import { TraceCodec, type Failure } from '../../spec/trace.js'
import { failureStepProblem, missingPropsFile, propertyNotStated, recordedUserProperty } from '../trace-consistency.js'
import { InputError } from '../../spec/decode.js'
import { chooseKernel, choiceText, kernelText, loadTarget, type KernelChoice } from '../../checker/targets.js'
import { loadModulesWithin } from '../../checker/user-module.js'
import { findModelMutant } from '../../mutants/model-mutants.js'
import { cleanMutants } from '../../mutants/materialize.js'
import type { ReplayOptions } from '../../checker/replay.js'
import type { RefinementTarget } from '../../refinement/target.js'
import { type Command, parseFlags, secondsFlag } from '../command.js'
import { watchReplayStalls } from '../../checker/replay-watch.js'
import { readJsonInput } from '../input.js'
import { withBootErrors } from '../../checker/audit/input.js'
import { EXIT, exitCodesHelp, formatJson, renderTable, say, UsageError, warn, wrapText } from '../output.js'
import { checkOutputs } from '../outputs.js'
import { anyPropertyCode, loadProps, systemNames } from '../../checker/props-input.js'
import { generatorName, replayReport, writeReport } from '../../checker/report/index.js'

/** `--step-timeout`'s default, as `sila check`'s and `sila explore`'s. */
const REPLAY_STEP_TIMEOUT_SECONDS = 60

const USAGE = `Usage: sila replay FILE [--impl | --mutant NAME | --model-mutant NAME | --kernel FILE | --model-only]
                        [--props FILE] [--step-timeout S] [--json] [--report DIR]

Re-executes a sila-trace/1 file on the model: boots from the trace's boot
configuration and image pool, runs every step, and checks every invariant in the
boot state and after every step. A step whose recorded outcome differs from the
model's is marked MISMATCH.

A kernel is stepped in lockstep: its answers are shown in the kernel column ('='
when it answered as the model did), and the first step where its outcome or
abstract state differs is reported with the differing path (REF-1). Which kernel:
the one a flag names; else the one the trace records as having produced it
(producedBy): a counterexample of 'sila check --mutant NAME' replays on that
mutant, one of 'sila explore --mutant NAME' on that copy of the model (as with
--model-mutant NAME), one of 'sila check --kernel FILE' on that module; else the
impl. The output's second line says which kernel, and why.

Options:
  --impl               step the impl
  --mutant NAME        step a seeded bug of the impl (see 'sila mutants --list')
  --model-mutant NAME  replay on a copy of the model with a seeded bug (see 'sila
                       explore --help') instead of the model, its invariants
                       checked at every step
  --kernel FILE        step your own kernel: a module exporting 'target' (docs/own-kernel.md)
  --model-only         replay on the model alone
  --props FILE         also ask your own properties (a sila-props/1 .json file or
                       a module; see 'sila check --help') of every state, by the
                       names of the trace's system. A trace whose recorded failure
                       is a user property (a counterexample or witness of 'sila
                       check --props' or 'sila explore --props') reloads the file
                       it names (failure.props, relative to the working directory)
                       and asks that property alone, unless --props names a file
                       (then every property of it); it says whether it reproduced.
                       A file not there, or no longer stating the property, is
                       refused (exit 2), as is a trace whose failure.step is
                       past its last step
  --step-timeout S     a kernel call (its boot, a step, the abstraction after it)
                       that has not returned after S seconds is the kernel's
                       divergence at that step ('no answer'): nothing more is
                       handed to it, the model replays the rest (default ${REPLAY_STEP_TIMEOUT_SECONDS}).
                       A --props property in code that has not returned is
                       NO ANSWER at that state and not asked again (a STALL
                       recorded by check or explore: reproduced). The kernel's
                       part and the properties' run first on a worker thread,
                       watched (one that loops only on a second run is not
                       caught); a --kernel or --props module whose loading does not
                       finish within S seconds is refused (exit 2)
  --json               print the result as JSON instead of a table
  --report DIR         write an HTML report (step timeline with the state changes
                       of every step, coverage charts, authority graph) to DIR/index.html
                       (DIR is created if missing; checked before the replay)
  -h, --help           show this help

${exitCodesHelp({ ok: 'every invariant held and every recorded outcome matched', failed: 'an invariant was violated, a recorded outcome differed, or the kernel diverged', internal: 'the model itself failed, or a bug in sila (SILA_DEBUG=1 shows the stack)' })}`

/** Widths past which a cell wraps, so that a step table fits a wide terminal. */
const SYSCALL_WIDTH = 64
const RESULT_WIDTH = 48
const DESCRIPTION_WIDTH = 86

function stepLabel(step: number): string {
  return step === BOOT_STEP ? 'boot' : String(step)
}

function resultCell(row: ReplayResult['rows'][number]): string {
  return row.mismatch ? `${row.result}  MISMATCH` : row.result
}

function failureText(failure: Failure): string {
  const where = failure.step === undefined ? '' : ` at step ${stepLabel(failure.step)}`
  const seed = failure.seed === undefined ? '' : ` (seed ${failure.seed}${failure.path === undefined ? '' : `, path ${failure.path}`})`
  // `property` is what found it (a suite, or explore); a user property's name is in `invariant`, its sentence in `says`.
  if (failure.says !== undefined) return `recorded failure: user property ${failure.invariant ?? '?'} (${failure.says}), found by ${failure.property}${where}${seed}`
  if (failure.stalledProperty !== undefined) return `recorded failure: ${failure.invariant ?? 'STALL'}, user property ${failure.stalledProperty} did not return${where === '' ? '' : ` asked of the state${where}`}, found by ${failure.property}${seed}`
  const invariant = failure.invariant === undefined ? '' : `, invariant ${failure.invariant}`
  return `recorded failure: property ${failure.property}${invariant}${where}${seed}`
}

/**
 * Whether a recorded user-property failure happened again: its property broke
 * (`always`), was reached (`sometimes`) or, recorded as a STALL, did not answer
 * again; null when the recorded failure is no user property of the props file.
 */
function reproduced(result: ReplayResult, failure: Failure | undefined): boolean | null {
  const name = recordedUserProperty(failure)
  const property = name === undefined ? undefined : result.properties?.find((p) => p.name === name)
  if (property === undefined) return null
  return failure?.stalledProperty !== undefined ? property.status === 'no answer' : property.status === 'violated' || property.status === 'reached'
}

/** The user properties: each one's finding, and whether the recorded one reproduced. */
function renderProperties(result: ReplayResult, failure: Failure | undefined): void {
  const properties = result.properties ?? []
  if (properties.length === 0) return
  say()
  say('Your properties:')
  for (const p of properties) {
    const where = p.step === null ? '' : ` at step ${stepLabel(p.step)}: ${p.message ?? ''}`
    say(`  ${p.name} (${p.kind}) ${p.status === 'violated' ? 'VIOLATED' : p.status === 'no answer' ? 'NO ANSWER' : p.status}${where}`)
  }
  const name = recordedUserProperty(failure)
  const recorded = properties.find((p) => p.name === name)
  if (recorded === undefined) return
  const again = reproduced(result, failure) === true
  if (failure?.stalledProperty !== undefined) {
    say(again
      ? `reproduced: ${recorded.name} did not answer at step ${stepLabel(recorded.step!)}${failure.step === undefined || failure.step === recorded.step ? '' : ` (recorded: step ${stepLabel(failure.step)})`}`
      : `NOT reproduced: ${recorded.name} answered in every state of this replay`)
    return
  }
  const what = recorded.kind === 'always' ? 'broken' : 'reached'
  say(again
    ? `reproduced: ${recorded.name} (${recorded.kind}, "${recorded.says}") is ${what} at step ${stepLabel(recorded.step!)}${failure?.step === undefined || failure.step === recorded.step ? '' : ` (recorded: step ${stepLabel(failure.step)})`}`
    : `NOT reproduced: ${recorded.name} (${recorded.kind}) is never ${what} in this replay`)
}

function renderResult(file: string, result: ReplayResult, failure: Failure | undefined, choice: KernelChoice): void {
  const kernelName = choice.kernel
  say(file)
  say(choiceText(choice))
  if (result.description !== null) for (const line of wrapText(result.description, DESCRIPTION_WIDTH)) say(`  ${line}`)
  if (failure !== undefined) say(failureText(failure))
  const kindOf = new Map((result.properties ?? []).map((p) => [p.name, p.kind]))
  const silentAt = new Map((result.properties ?? []).filter((p) => p.status === 'no answer').map((p) => [p.name, p.step]))
  say()
  say(renderTable(
    [
      { header: 'step', align: 'right' }, { header: 'caller', align: 'right' }, { header: 'syscall', widthMax: SYSCALL_WIDTH },
      { header: 'result', widthMax: RESULT_WIDTH }, ...(result.rows[0]?.kernel === null ? [] : [{ header: kernelName, widthMax: 30 }]), { header: 'invariants' },
    ],
    result.rows.map((row) => [
      stepLabel(row.step), row.caller, row.malformed && !row.syscall.startsWith('(malformed)') ? `${row.syscall} (malformed)` : row.syscall, resultCell(row),
      ...(row.kernel === null ? [] : [row.kernel]),
      row.violated.length === 0 && row.user.length === 0 ? 'ok'
        : [...row.violated, ...row.user.map((name) => (silentAt.get(name) === row.step ? `${name} (no answer)` : kindOf.get(name) === 'sometimes' ? `${name} ✓` : name))].join(','),
    ]),
  ))
  if (result.divergence !== null) {
    const d = result.divergence
    say()
    const label = `${kernelName}:`.padEnd(Math.max(6, kernelName.length + 1))
    if (d.what === 'unanswered') {
      const call = d.path === 'create' ? 'its boot (create)' : d.path === 'abstraction' ? 'the abstraction of its state after it' : 'its step'
      say(`The kernel (${kernelName}) did not answer at step ${stepLabel(d.step)}: ${call} had not returned after ${String(d.kernel).replace(/^no answer within /, '')} (--step-timeout), and was handed nothing more.`)
      say(`  ${'model:'.padEnd(label.length)} ${formatJson(d.model, 96, '  ')}`)
      return renderTail(result, failure, kernelName)
    }
    say(`The kernel (${kernelName}) diverges from the model at step ${stepLabel(d.step)} (${d.what}) at ${d.path}:`)
    say(`  ${'model:'.padEnd(label.length)} ${formatJson(d.model, 96, '  ')}`)
    say(`  ${label} ${formatJson(d.kernel, 96, '  ')}`)
  }
  renderTail(result, failure, kernelName)
}

/** Mismatches, violations, the user properties and the summary line: what follows the table and the kernel's divergence. */
function renderTail(result: ReplayResult, failure: Failure | undefined, kernelName: string): void {
  if (result.mismatches.length > 0) {
    say()
    say('Mismatches (recorded outcome vs the model\'s):')
    for (const mismatch of result.mismatches) {
      say(`  step ${mismatch.step}: expected ${JSON.stringify(mismatch.expected)}`)
      say(`  ${' '.repeat(String(mismatch.step).length + 5)}  actual ${JSON.stringify(mismatch.actual)}`)
    }
  }
  if (result.violations.length > 0) {
    say()
    say('Violations:')
    for (const group of groupViolations(result.violations)) {
      const first = group[0]!
      const later = group.length === 1 ? '' : ` (and at ${group.length - 1} later step${group.length === 2 ? '' : 's'}: ${stepList(group.slice(1))})`
      say(`  ${first.invariant} at step ${stepLabel(first.step)}${later}: ${first.message}`)
      say(`    witness: ${formatJson(first.witness, 96, '    ')}`)
    }
  }
  renderProperties(result, failure)
  say()
  say(summary(result, kernelName))
}

/** Violations with the same invariant and message, in order of first occurrence: a broken state often stays broken. */
function groupViolations(violations: ReadonlyArray<ReplayViolation>): ReplayViolation[][] {
  const groups = new Map<string, ReplayViolation[]>()
  for (const violation of violations) {
    const key = `${violation.invariant}\u0000${violation.message}`
    groups.set(key, [...(groups.get(key) ?? []), violation])
  }
  return [...groups.values()]
}

function stepList(violations: ReadonlyArray<ReplayViolation>): string {
  const labels = violations.map((violation) => stepLabel(violation.step))
  return labels.length <= 8 ? labels.join(', ') : `${labels.slice(0, 7).join(', ')}, …, ${labels[labels.length - 1]}`
}

function summary(result: ReplayResult, kernelName: string): string {
  const steps = `${result.stepCount} step${result.stepCount === 1 ? '' : 's'} replayed${kernelName.startsWith('model-mutant:') ? ` on ${kernelText(kernelName)}` : ''}`
  const recorded = result.rows.filter((row) => row.expected !== null).length
  const lockstep = result.rows[0]?.kernel === null ? '' : `, the ${kernelName === 'impl' ? 'impl' : `kernel (${kernelName})`} agreed with the model at every step`
  if (result.status === 'ok' && recorded === 0) return `${steps}: every invariant held${lockstep}; the trace records no outcomes to compare.`
  if (result.status === 'ok') return `${steps}: every invariant held${lockstep}, all ${recorded} recorded outcome${recorded === 1 ? '' : 's'} matched.`
  if (result.status === 'crashed') return `${steps} before the model failed.`
  const parts = [
    result.violations.length > 0 ? `${result.violations.length} violation${result.violations.length === 1 ? '' : 's'}` : '',
    result.mismatches.length > 0 ? `${result.mismatches.length} mismatch${result.mismatches.length === 1 ? '' : 'es'}` : '',
    brokenProperties(result),
    result.divergence !== null ? `the ${kernelName === 'impl' ? 'impl' : `kernel (${kernelName})`} ${result.divergence.what === 'unanswered' ? 'did not answer' : 'diverged'} at step ${stepLabel(result.divergence.step)}` : '',
  ].filter((part) => part !== '')
  return `${steps}: ${parts.join(', ')}.`
}

function brokenProperties(result: ReplayResult): string {
  const broken = (result.properties ?? []).filter((p) => p.status === 'violated').map((p) => p.name)
  const silent = (result.properties ?? []).filter((p) => p.status === 'no answer').map((p) => p.name)
  return [
    broken.length === 0 ? '' : `user propert${broken.length === 1 ? 'y' : 'ies'} ${broken.join(', ')} broken`,
    silent.length === 0 ? '' : `user propert${silent.length === 1 ? 'y' : 'ies'} ${silent.join(', ')} did not answer`,
  ].filter((part) => part !== '').join(', ')
}

function exitCode(result: ReplayResult): number {
  return result.status === 'ok' ? EXIT.ok : result.status === 'failed' ? EXIT.failed : EXIT.internal
}

/**
 * The kernel chosen, loaded: a target to step in lockstep, or a model mutant's step
 * replacing the model's. One the trace names that cannot be loaded is the trace
 * refused, naming the file and the path; one a flag names, the flag refused.
 */
async function loadChoice(file: string, choice: KernelChoice): Promise<{ target?: RefinementTarget; options: ReplayOptions }> {
  const refuse = (message: string): Error => choice.by === 'trace'
    ? new InputError(file, [`$.producedBy.kernel: ${message} (--impl, --mutant, --model-mutant, --kernel or --model-only choose another kernel)`])
    : new UsageError(message, 'replay')
  if (choice.kernel === 'model') return { options: {} }
  if (choice.kernel.startsWith('model-mutant:')) {
    const mutant = findModelMutant(choice.kernel.slice('model-mutant:'.length))
    if (mutant === undefined) throw refuse(`unknown model mutant ${JSON.stringify(choice.kernel.slice('model-mutant:'.length))}`)
    return { options: { step: mutant.step } }
  }
  try {
    return { target: await loadTarget(choice.kernel), options: {} }
  } catch (error) {
    // A user's module that cannot load already names its file and line (checker/user-module.ts).
    if (error instanceof InputError && choice.by === 'flag') throw error
    throw refuse((error as Error).message.split('\n')[0]!)
  }
}

async function run(args: ReadonlyArray<string>): Promise<number> {
  const parsed = parseFlags('replay', args, {
    json: { type: 'boolean' }, 'model-only': { type: 'boolean' }, report: { type: 'string' }, mutant: { type: 'string' }, kernel: { type: 'string' }, impl: { type: 'boolean' },
    'model-mutant': { type: 'string' }, props: { type: 'string' }, 'step-timeout': { type: 'string' },
  }, true)
  if (parsed === null) {
    say(USAGE)
    return EXIT.ok
  }
  if (parsed.positionals.length !== 1) throw new UsageError(parsed.positionals.length === 0 ? 'expects a trace FILE' : 'expects exactly one FILE', 'replay')
  const file = parsed.positionals[0]!
  const values = parsed.values
  const stepTimeout = secondsFlag('replay', 'step-timeout', values['step-timeout']) ?? REPLAY_STEP_TIMEOUT_SECONDS
  loadModulesWithin(stepTimeout)
  checkOutputs('replay', [{ name: '--report', path: values.report, kind: 'directory' }])
  let choice: KernelChoice
  try {
    choice = await chooseKernel(values, undefined)
  } catch (error) {
    throw error instanceof InputError ? error : new UsageError((error as Error).message, 'replay')
  }
  const trace = readJsonInput(TraceCodec, file)
  const inconsistent = failureStepProblem(trace)
  if (inconsistent !== null) throw new InputError(file, [inconsistent])
  if (choice.by === 'default') choice = await chooseKernel({}, trace.producedBy?.kernel)
  const { target, options } = await loadChoice(file, choice)
  const propsFile = values.props ?? trace.failure?.props
  // The user property the recorded failure is about (broken, reached, or did not return).
  const recordedUser = recordedUserProperty(trace.failure)
  if (propsFile === undefined && recordedUser !== undefined) {
    throw new InputError(file, [`$.failure: the recorded failure is the user property ${JSON.stringify(recordedUser)}${trace.failure?.says === undefined ? ' (it did not return)' : ''}, and the trace names no props file: give --props FILE`])
  }
  // The user's properties are resolved against the trace's own system (a name it does not declare: exit 2).
  // The file the trace names is read from the working directory: one that is not there is the trace's problem to explain, at its path.
  if (values.props === undefined && propsFile !== undefined && !existsSync(propsFile)) {
    throw new InputError(file, [missingPropsFile(propsFile, 'replay from there, or give --props FILE')])
  }
  const loaded = propsFile === undefined ? [] : await loadProps(propsFile, withBootErrors(file, () => systemNames(trace.boot, trace.images)))
  // The props file the trace names is there to judge its recorded failure: that property alone (the checker that
  // wrote it may have asked no other, --invariant). A props file given with --props is asked whole.
  const recordedProperty = values.props === undefined && recordedUser !== undefined ? loaded.filter((p) => p.name === recordedUser) : []
  // A recorded property the file no longer states cannot be asked: replaying the others would print no verdict on it.
  if (values.props === undefined && recordedUser !== undefined && recordedProperty.length === 0) {
    throw new InputError(file, [propertyNotStated(recordedUser, propsFile ?? 'the props file', loaded.map((p) => p.name), "give --props FILE to ask another file's")])
  }
  const properties = recordedProperty.length === 1 ? recordedProperty : loaded
  try {
    // The kernel's calls and the properties' code first, watched on worker threads: a call that does not return is where the
    // replay stops handing the kernel syscalls, or stops asking that property. Declared properties are sila's own code.
    const watchedProps = propsFile !== undefined && anyPropertyCode(properties) ? { file: propsFile, names: properties.map((p) => p.name) } : null
    const { unanswered, stalled } = target === undefined && watchedProps === null ? { unanswered: null, stalled: [] }
      : await watchReplayStalls(target === undefined ? null : choice.kernel, trace, stepTimeout * 1000, watchedProps)
    // A declared system boot cannot honour is the trace refused (exit 2), not an internal error.
    const result = withBootErrors(file, () => replayTrace(trace, target, { ...options, properties, stalled, ...(unanswered === null ? {} : { unanswered }) }))
    const reportFile = parsed.values.report === undefined ? null
      : writeReport(parsed.values.report, await replayReport({ file, trace, result, ...(target === undefined ? {} : { target }), generator: generatorName() }))
    if (parsed.values.json === true) {
      const { crash, ...rest } = result
      say(JSON.stringify({
        file, kernel: choice.kernel === 'model' ? null : choice.kernel, kernelChosenBy: choice.by, ...rest, recordedFailure: trace.failure ?? null,
        producedBy: trace.producedBy ?? null, crash: crash === null ? null : { step: crash.step, message: crash.message },
        ...(propsFile === undefined ? {} : { props: propsFile, reproduced: reproduced(result, trace.failure) }),
      }, null, 2))
    } else {
      renderResult(file, result, trace.failure, choice)
      if (reportFile !== null) say(`report: ${reportFile}`)
    }
    if (result.crash !== null) {
      warn(`sila: internal error: the model failed at step ${result.crash.step}: ${result.crash.message}`)
      if (process.env.SILA_DEBUG === '1' && result.crash.stack !== undefined) warn(result.crash.stack)
    }
    return exitCode(result)
  } finally {
    if (choice.kernel.startsWith('mutant:')) cleanMutants()
  }
}

/** @public */
export const replayCommand: Command = {
  name: 'replay',
  summary: 're-execute a sila-trace/1 file on the model, checking every invariant',
  usage: USAGE,
  planned: false,
  run,
}
