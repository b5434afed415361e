/**
 * `sila export --format md`: a Markdown report of a trace, for an issue or a pull
 * request: title and description, the recorded failure (property, invariant,
 * step, seed, path, witness), the boot configuration, the step table of
 * `sila replay` with what the model answers now (a model mutant's counterexample:
 * what that mutated copy of the model answers), and the commands that reproduce
 * it: with `producedBy`, the replay on the kernel that produced it and the command
 * that found it.
 *
 * Text from the trace is escaped: plain text for Markdown's emphasis, link and
 * HTML characters, code spans with a fence longer than any backtick run inside,
 * and `|` in table cells (GitHub's tables split on it even inside code spans).
 * @module
 */
import { BOOT_STEP, replayTrace, type ReplayResult } from '../replay.js'
import type { Failure, Trace } from '../../spec/trace.js'
import type { BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import { kernelFlags, kernelText, shellWord } from '../targets.js'
import { producingModel } from './producer.js'
import { formatJson } from '../../cli/output.js'

/** What the report names. @public */
export interface MarkdownOptions {
  /** The trace file's path, as the replay command names it. */
  readonly source?: string
}

// ---- escaping ----------------------------------------------------------------

/** Plain text inside a line: characters Markdown would read as emphasis, links, HTML or code are escaped. */
function text(value: string): string {
  return value.replace(/\r?\n/g, ' ').replace(/[\\`*_[\]<>|~]/g, '\\$&')
}

/** A paragraph of plain text: also a start that would make a heading, a list or a quote. */
function paragraph(value: string): string {
  return text(value).replace(/^#/, '\\#').replace(/^([+-]) /, '\\$1 ').replace(/^(\d+)([.)]) /, '$1\\$2 ')
}

function longestRun(value: string, mark: string): number {
  let longest = 0
  let run = 0
  for (const character of value) {
    run = character === mark ? run + 1 : 0
    longest = Math.max(longest, run)
  }
  return longest
}

/** A code span: the fence is one backtick longer than any run inside. */
function code(value: string): string {
  const flat = value.replace(/\r?\n/g, ' ')
  const fence = '`'.repeat(longestRun(flat, '`') + 1)
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${flat}${pad}${fence}`
}

/** A fenced block, the fence longer than any backtick run inside. */
function block(language: string, value: string): string {
  const fence = '`'.repeat(Math.max(3, longestRun(value, '`') + 1))
  return `${fence}${language}\n${value}\n${fence}`
}

/** A table cell: `|` escaped, whatever it is inside. */
function cell(value: string): string {
  return value.replace(/\|/g, '\\|')
}

function row(cells: ReadonlyArray<string>): string {
  return `| ${cells.map(cell).join(' | ')} |`
}

// ---- sections ----------------------------------------------------------------

function stepLabel(step: number): string {
  return step === BOOT_STEP ? 'boot' : String(step)
}

function title(trace: Trace, source: string): string {
  const failure = trace.failure
  if (failure === undefined) return `# Trace ${text(source)}`
  return `# Counterexample: ${text(failure.property)}${failure.invariant === undefined ? '' : `, ${text(failure.invariant)}`}`
}

function failureSection(failure: Failure): string[] {
  const items = [`- **Property:** ${code(failure.property)}`]
  if (failure.invariant !== undefined) items.push(`- **Invariant:** ${code(failure.invariant)}`)
  if (failure.step !== undefined) items.push(`- **Step:** ${failure.step === BOOT_STEP ? 'the boot state' : String(failure.step)}`)
  if (failure.seed !== undefined) items.push(`- **Seed:** ${code(String(failure.seed))}`)
  if (failure.path !== undefined && failure.path !== '') items.push(`- **Path:** ${code(failure.path)}`)
  if (failure.replayPath !== undefined) items.push(`- **Replay path:** ${code(failure.replayPath)}`)
  if (failure.message !== undefined) items.push(`- **Message:** ${text(failure.message)}`)
  const witness = failure.witness === undefined ? [] : ['', '**Witness:**', '', block('json', formatJson(failure.witness, 96))]
  return ['## Failure', '', ...items, ...witness]
}

function imageLine(image: ImageRecord): string {
  const requests = image.manifest.requests.map((request) => `${request.kind} [${request.rights.join(',')}]`).join(', ')
  const signatures = image.signatures.length === 0 ? 'unsigned'
    : `signed by ${image.signatures.map((signature) => `${code(signature.signer)}${signature.verifies ? '' : ' (signature invalid)'}`).join(' and ')}`
  return `  - ${code(image.name)} ${text(image.version)}, ${code(`${image.digest.slice(0, 19)}…`)}, ${signatures}`
    + `; ${image.manifest.memoryBytes} bytes${requests === '' ? '' : `; requests ${code(requests)}`}`
}

function bootSection(config: BootConfig, images: ReadonlyArray<ImageRecord>): string[] {
  const limits = config.root.limits
  const amounts = `memoryBytes=${limits.memoryBytes} processes=${limits.processes} endpoints=${limits.endpoints} cpuBudget=${limits.cpuBudget} ioBytes=${limits.ioBytes} cpuWeight=${limits.cpuWeight} devices=[${limits.devices.join(',')}]`
  const devices = config.devices.map((device, index) => `${code(device.name)} (object ${index + 1})`).join(', ')
  const keyring = config.keyring.map((key) => `${code(key.keyId)}${key.algorithm === undefined ? '' : ` (${key.algorithm})`}`).join(', ')
  const floors = Object.entries(config.floors).map(([name, version]) => `${code(name)} ≥ ${text(version)}`).join(', ')
  return [
    '## Boot configuration',
    '',
    `- **Root container limits:** ${code(amounts)}`,
    `- **Devices:** ${devices === '' ? 'none' : devices}`,
    `- **Keyring:** ${keyring === '' ? 'empty' : keyring}`,
    `- **Anti-rollback floors:** ${floors === '' ? 'none' : floors}`,
    `- **Init:** ${config.init.slots} slots`,
    `- **CPU accounting:** ${config.cpuAccounting === false ? 'off' : 'on'}`,
    `- **Images:** ${images.length === 0 ? 'none' : ''}`.trimEnd(),
    ...images.map(imageLine),
  ]
}

function stepTable(result: ReplayResult): string[] {
  const rows = result.rows.map((replayed) => row([
    stepLabel(replayed.step),
    replayed.caller,
    replayed.step === BOOT_STEP ? '-' : code(replayed.malformed && !replayed.syscall.startsWith('(malformed)') ? `${replayed.syscall} (malformed)` : replayed.syscall),
    replayed.step === BOOT_STEP ? replayed.result : `${code(replayed.result)}${replayed.mismatch ? ' **MISMATCH**' : ''}`,
    replayed.violated.length === 0 ? 'ok' : `**${replayed.violated.join(', ')}**`,
  ]))
  return ['| step | caller | syscall | result | invariants |', '| ---: | ---: | --- | --- | --- |', ...rows]
}

function plural(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`
}

function summary(result: ReplayResult, on: string): string {
  const steps = `${plural(result.stepCount, 'step')} replayed on ${text(on)}`
  if (result.crash !== null) return `${steps}; ${text(on)} then failed at step ${result.crash.step}: ${text(result.crash.message)}.`
  const recorded = result.rows.filter((replayed) => replayed.expected !== null).length
  const invariants = result.violations.length === 0 ? 'every invariant held' : plural(result.violations.length, 'violation')
  const outcomes = recorded === 0 ? 'the trace records no outcomes to compare'
    : result.mismatches.length === 0 ? `all ${plural(recorded, 'recorded outcome')} matched`
      : plural(result.mismatches.length, 'mismatch', 'mismatches')
  return `${steps}: ${invariants}, ${outcomes}.`
}

function findings(result: ReplayResult, on: string): string[] {
  const lines: string[] = []
  if (result.mismatches.length > 0) {
    lines.push('', '### Mismatches', '', `Recorded outcome, then what ${text(on)} answers:`, '')
    // Each line names what answered: `model`, or the model mutant the trace was replayed on.
    const answerer = on === 'the model' ? 'model' : text(on)
    for (const mismatch of result.mismatches) {
      lines.push(`- step ${mismatch.step}: recorded ${code(JSON.stringify(mismatch.expected))}, ${answerer} ${code(JSON.stringify(mismatch.actual))}`)
    }
  }
  if (result.violations.length > 0) {
    lines.push('', '### Violations', '')
    for (const violation of result.violations) {
      lines.push(`- ${code(violation.invariant)} at step ${stepLabel(violation.step)}: ${text(violation.message)}`, '', block('json', formatJson(violation.witness, 96)), '')
    }
    lines.pop()
  }
  return lines
}

/**
 * The `--step-timeout S` a replay of `trace` needs to stop where its finder
 * stopped (a call that did not return: ROBUST, STALL), as that command gave it;
 * '' otherwise (the replay's default, 60 s, stops it too, later).
 */
function stepTimeoutFlag(trace: Trace): string {
  const invariant = trace.failure?.invariant
  if (invariant !== 'ROBUST' && invariant !== 'STALL') return ''
  const given = / --step-timeout (\S+)/.exec(trace.producedBy?.command ?? '')
  return given === null ? '' : ` --step-timeout ${given[1]!}`
}

function replaySection(trace: Trace, source: string): string[] {
  const producedBy = trace.producedBy
  if (producedBy === undefined) return ['## Reproduce', '', 'Replay the trace:', '', block('sh', `sila replay ${shellWord(source)}`)]
  const commands = [`sila replay ${shellWord(source)} ${kernelFlags(producedBy.kernel)}${stepTimeoutFlag(trace)}`, ...(producedBy.command === undefined ? [] : [producedBy.command])]
  const again = producedBy.command === undefined ? '' : `, or run again the command that found it${producedBy.path === undefined ? '' : ' (exactly its case: the seed and fast-check\'s path)'}`
  return ['## Reproduce', '', `Replay the trace on ${text(kernelText(producedBy.kernel))}, the kernel that produced it${again}:`, '', block('sh', commands.join('\n'))]
}

/**
 * The Markdown report of `trace`. It replays the trace on the model for the step
 * table; a failure of the model is reported in the summary line, not thrown.
 * @public
 */
export function markdownReport(trace: Trace, options: MarkdownOptions = {}): string {
  const source = options.source ?? 'TRACE'
  // A counterexample of a model mutant is replayed on that mutated copy of the model, which shows it.
  const model = producingModel(trace)
  const result = replayTrace(trace, undefined, { step: model.step })
  const on = model.text
  const sections = [
    [title(trace, source), ...(trace.description === undefined ? [] : ['', paragraph(trace.description)]), '', `Source: ${code(source)} (sila-trace/1, ${plural(trace.steps.length, 'step')}).`],
    ...(trace.failure === undefined ? [] : [failureSection(trace.failure)]),
    bootSection(trace.boot, trace.images),
    ['## Steps', '', ...stepTable(result), '', summary(result, on), ...findings(result, on)],
    replaySection(trace, source),
  ]
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`
}
