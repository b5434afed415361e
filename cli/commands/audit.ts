/**
 * `sila audit`: audits a state snapshot, a trace or an image directory
 * (tooling.md §5), and writes state snapshots. The work is in `checker/audit/`;
 * this file parses the command line, picks the renderer and writes the output.
 * @module
 */
import { readFileSync } from 'node:fs'
import { boot } from '../../model/boot.js'
import { PRESETS, type Preset } from '../../spec/presets.js'
import type { Trace } from '../../spec/trace.js'
import { readFloors } from '../../pipeline/codecs.js'
import { readKeyring } from '../../pipeline/image/keys.js'
import { renderDot } from '../../checker/audit/dot.js'
import { auditImage, type ImageAuditReport } from '../../checker/audit/image.js'
import { readAuditInput, withBootErrors, type AuditInput } from '../../checker/audit/input.js'
import { traceStateAt } from '../../checker/audit/invariants.js'
import { bootLabels } from '../../checker/audit/labels.js'
import { PolicyCodec } from '../../checker/audit/policy.js'
import { auditSnapshot, auditTrace, withProperties, type AuditReport } from '../../checker/audit/report.js'
import { auditProperties, snapshotNames } from '../../checker/audit/properties.js'
import { closureView } from '../../checker/audit/property-static.js'
import { actorProcesses } from '../../checker/audit/authority.js'
import { exploreProperties } from '../../checker/audit/property-explore.js'
import { bootFilePreset, refuseLargeAlphabet } from '../boot-file.js'
import type { ObjectId } from '../../spec/ids.js'
import { anyPropertyCode, loadProps, selectInvariants, systemNames, type SystemNames } from '../../checker/props-input.js'
import type { KernelState } from '../../model/state.js'
import { auditSarif, imageSarif } from '../../checker/audit/sarif.js'
import { encodeSnapshot } from '../../checker/audit/snapshot.js'
import { renderSvg } from '../../checker/audit/svg.js'
import { renderAuditText, renderImageText } from '../../checker/audit/text.js'
import { type Command, parseFlags, positiveIntegerFlag, secondsFlag } from '../command.js'
import { KernelModuleError, loadModulesWithin } from '../../checker/user-module.js'
import { firstSilentProperty } from '../../checker/property-ask.js'
import { readJsonInput } from '../input.js'
import { EXIT, exitCodesHelp, say, UsageError, writeOutputFile } from '../output.js'
import { checkOutputs } from '../outputs.js'
import { InputError } from '../../spec/decode.js'

const FORMATS = ['text', 'json', 'dot', 'svg', 'sarif'] as const
type Format = (typeof FORMATS)[number]
/** The format when --format is not given. @internal */
export const FORMAT_DEFAULT: Format = 'text'

const USAGE = `Usage: sila audit FILE|IMAGE-DIR [--format FORMAT] [--out FILE] [--at N] [--authority]
       sila audit --preset NAME|--boot FILE [--format FORMAT] [--out FILE] [--authority]
       sila audit FILE|--preset NAME|--boot FILE --props PROPS [--invariant NAME]... [--depth N]
       sila audit IMAGE-DIR --keyring KEYS [--floors FILE] [--policy FILE] [--format text|json|sarif]
       sila audit --write-state OUT TRACE [--at N]
       sila audit --write-state OUT --preset NAME|--boot FILE

Audits a state snapshot (sila-state/1), a trace (sila-trace/1, replayed on the
model), a preset's boot state or the boot state of a system you declare in a
boot file (as 'sila explore --boot' reads it): every invariant of the catalogue with pass or
fail and the witness (for a trace, the first step that violates it), the
authority graph (containers, processes, objects, caps as edges; caps that cross
containers marked) and who can reach what, through which transfers.

Audits an image directory: the signature and the signer against the keyring,
the rollback floor, every layer's digest and bound, and the manifest's requests
and memory against a policy file:
  {"format": "sila-policy/1", "caps": {"endpoint": ["read", "write"]}, "maxMemoryBytes": 1048576}

--write-state writes a sila-state/1 snapshot instead: the state at the end of a
trace (or after step N), or a preset's or a boot file's boot state.

Options:
  --format F         text, json, dot (Graphviz), svg, or sarif (SARIF 2.1.0) (default ${FORMAT_DEFAULT})
  --out FILE         write the output to FILE (atomically) instead of standard output
  --at N             stop the trace after step N (0-based; 'boot' for the boot state;
                     default: the end of the trace)
  --authority        add the static authority section: per process, what it may come
                     to hold beyond what it holds (through copies, IPC, namespace tables,
                     spawns, containers and objects created later), each with one
                     derivation; a sound over-approximation (text and json)
  --preset NAME      a preset's boot state (${PRESETS.map((preset) => preset.name).join(', ')})
  --boot FILE        the boot state of the system a boot file declares
                     (examples/systems/*/boot.json; see 'sila explore --help')
  --write-state OUT  write a state snapshot to OUT (not with --out, --format or the image flags)
  --keyring KEYS     trusted public keys: a key file or a directory of *.pub.json (images)
  --floors FILE      rollback floors, {"echo": "1.2.0"} (images)
  --policy FILE      a sila-policy/1 file (images)
  --props PROPS      also ask your own properties of the audited state (a
                     snapshot, the end of a trace or of --at, a preset's boot
                     state): each 'always' property holds or is VIOLATED now (with
                     the witness; a violation fails the audit), each 'sometimes'
                     is reached now or not. PROPS is a sila-props/1 JSON file
                     naming things by the names the system declares, or a
                     JavaScript module of defineProperty properties (see 'sila
                     check --help' and the README, "Your own properties").
                     A 'static' column says what the authority closure (as
                     --authority) says of each declared property for every run
                     from the state: 'proved' (nothing can break it, at any
                     depth), 'may fail' (with a derivation: a candidate attack),
                     'impossible' (a 'sometimes' no run reaches) or 'may'; no
                     verdict for bound and atLeast (quotas, queues) or for
                     properties in code
  --depth N          with --props and --preset or --boot: also explore the system
                     from its boot state to depth N, one search per 'always'
                     property, and give each property's 'explored' verdict beside
                     the static one (violated after k steps, held within depth N,
                     or held everywhere when the search was exhaustive); a
                     violation found fails the audit. 'sila explore --props' gives
                     the counterexample trace
  --invariant NAME   audit only this catalogue invariant (CAP-1 ... SCHED-1) or
                     user property; repeatable
  --step-timeout S   a --props property in code that has not returned after S
                     seconds, asked of the audited state or in a search of
                     --depth, is refused (exit 2, naming it and the state), as
                     one that throws is; so is a --props module whose loading
                     does not finish (default 60)
  -h, --help         show this help

The directory of --out and --write-state must exist; it is checked before the audit.

${exitCodesHelp({ ok: 'every invariant or check held (or the state was written)', failed: 'some invariant or check failed' })}`

const FLAGS = {
  format: { type: 'string' }, out: { type: 'string' }, at: { type: 'string' }, preset: { type: 'string' },
  'write-state': { type: 'string' }, authority: { type: 'boolean' }, keyring: { type: 'string' }, floors: { type: 'string' }, policy: { type: 'string' },
  props: { type: 'string' }, invariant: { type: 'string', multiple: true }, boot: { type: 'string' }, depth: { type: 'string' },
  'step-timeout': { type: 'string' },
} as const

/** `--step-timeout`'s default, as the other commands'. */
const AUDIT_STEP_TIMEOUT_SECONDS = 60

type Flags = NonNullable<ReturnType<typeof parseFlags<typeof FLAGS>>>['values']

function formatFlag(value: string | undefined): Format {
  if (value === undefined) return FORMAT_DEFAULT
  if (!(FORMATS as ReadonlyArray<string>).includes(value)) throw new UsageError(`--format expects one of ${FORMATS.join(', ')}, found ${JSON.stringify(value)}`, 'audit')
  return value as Format
}

/** The declared system of --preset or --boot, whose boot state is audited; undefined for FILE. */
function systemFlag(values: Flags): Preset | undefined {
  if (values.preset !== undefined && values.boot !== undefined) throw new UsageError('--preset and --boot exclude each other: give one', 'audit')
  if (values.boot !== undefined) return bootFilePreset(values.boot, 'audit')
  return values.preset === undefined ? undefined : presetFlag(values.preset)
}

/** How a report names a system's boot state. */
function systemSource(preset: Preset): { source: string; subject: string } {
  return preset.declared === true ? { source: `the system declared in ${preset.name} (boot state)`, subject: preset.name } : { source: `preset ${preset.name} (boot state)`, subject: `preset:${preset.name}` }
}

function presetFlag(name: string): Preset {
  const preset = PRESETS.find((entry) => entry.name === name)
  if (preset === undefined) throw new UsageError(`unknown preset ${JSON.stringify(name)}; expected one of ${PRESETS.map((entry) => entry.name).join(', ')}`, 'audit')
  return preset
}

/** How many steps `--at` keeps: `boot` → 0, N → N + 1; all of them without the flag. */
function stepsToRun(value: string | undefined, trace: Trace): number {
  if (value === undefined) return trace.steps.length
  if (value === 'boot') return 0
  if (!/^\d+$/.test(value)) throw new UsageError(`--at expects a step number or 'boot', found ${JSON.stringify(value)}`, 'audit')
  const step = Number(value)
  if (step >= trace.steps.length) throw new UsageError(`--at ${step}: the trace has ${trace.steps.length} steps (0 to ${trace.steps.length - 1})`, 'audit')
  return step + 1
}

function toolVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }
  return manifest.version ?? '0.0.0'
}

/** Writes `text` to `--out` (and says so), or prints it. */
function emit(text: string, out: string | undefined, summary: string): void {
  if (out === undefined) {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    return
  }
  writeOutputFile(out, text.endsWith('\n') ? text : `${text}\n`)
  say(`wrote ${out}: ${summary}`)
}

function refuseFlags(values: Flags, names: ReadonlyArray<keyof Flags>, reason: string): void {
  const given = names.filter((name) => values[name] !== undefined)
  if (given.length > 0) throw new UsageError(`--${String(given[0])} ${reason}`, 'audit')
}

// ---- --write-state ---------------------------------------------------------

function writeState(out: string, values: Flags, positionals: ReadonlyArray<string>): number {
  const system = systemFlag(values)
  if (system !== undefined) {
    if (positionals.length > 0) throw new UsageError(`--${values.boot === undefined ? 'preset' : 'boot'} takes the place of FILE: give one or the other`, 'audit')
    refuseFlags(values, ['at'], `applies to a trace, not to --${values.boot === undefined ? 'preset' : 'boot'}`)
    const state = boot(system.boot, system.images)
    const { source } = systemSource(system)
    writeOutputFile(out, encodeSnapshot({ state, source, labels: bootLabels(system.boot, state) }))
    say(`wrote ${out}: ${source.replace(/ \(boot state\)$/, '')}, its boot state (${state.ksObjects.size} objects, ${state.ksCaps.size} caps)`)
    return EXIT.ok
  }
  if (positionals.length !== 1) throw new UsageError('--write-state expects one TRACE (or --preset NAME, or --boot FILE)', 'audit')
  const input = readAuditInput(positionals[0]!)
  if (input.kind !== 'trace') throw new UsageError(`--write-state reads a sila-trace/1 file; ${positionals[0]} is ${input.kind === 'image' ? 'a directory' : 'a state snapshot already'}`, 'audit')
  const steps = stepsToRun(values.at, input.trace)
  const { state, labels } = withBootErrors(input.file, () => {
    const reached = traceStateAt(input.trace, steps)
    return { state: reached, labels: bootLabels(input.trace.boot, boot(input.trace.boot, input.trace.images)) }
  })
  const where = steps === 0 ? 'the boot state' : `the state after step ${steps - 1}`
  writeOutputFile(out, encodeSnapshot({ state, source: `${input.file}: ${where}`, labels }))
  say(`wrote ${out}: ${where} of ${input.file} (${state.ksObjects.size} objects, ${state.ksCaps.size} caps)`)
  return EXIT.ok
}

// ---- states and traces -----------------------------------------------------

function summaryOf(report: AuditReport): string {
  const failed = [...report.invariants.filter((result) => result.status === 'fail').map((result) => result.id), ...(report.properties ?? []).filter((row) => row.status === 'violated').map((row) => row.name)]
  return failed.length === 0 ? 'every applicable invariant held' : `${failed.length} invariant${failed.length === 1 ? '' : 's'} failed (${failed.join(', ')})`
}

function titleOf(report: AuditReport): string {
  const { subject } = report
  if (subject.kind === 'state') return `${subject.file}${subject.description === null ? '' : `: ${subject.description}`}`
  return `${subject.file}: ${subject.steps === 0 ? 'the boot state' : `the state after step ${subject.steps! - 1}`}`
}

async function renderReport(report: AuditReport, format: Format, text: string | undefined): Promise<string> {
  switch (format) {
    case 'text':
      return renderAuditText(report)
    case 'json':
      return JSON.stringify(report, null, 2)
    case 'dot':
      return renderDot(report.graph, titleOf(report))
    case 'svg':
      return renderSvg(renderDot(report.graph, titleOf(report)))
    case 'sarif':
      return JSON.stringify(auditSarif(report, toolVersion(), text), null, 2)
  }
}

function reportOf(input: Exclude<AuditInput, { kind: 'image' }>, values: Flags): AuditReport {
  if (input.kind === 'state') {
    refuseFlags(values, ['at'], 'applies to a trace, not to a state snapshot')
    return auditSnapshot(input.snapshot, input.file, { authority: values.authority === true })
  }
  const steps = stepsToRun(values.at, input.trace)
  return withBootErrors(input.file, () => auditTrace(input.trace, input.file, steps, { authority: values.authority === true }))
}

function presetReport(preset: Preset, values: Flags): { report: AuditReport; text: undefined } {
  refuseFlags(values, ['at'], `applies to a trace, not to --${values.boot === undefined ? 'preset' : 'boot'}`)
  const state = boot(preset.boot, preset.images)
  const { source, subject } = systemSource(preset)
  const report = auditSnapshot({ format: 'sila-state/1', state, source, labels: bootLabels(preset.boot, state) }, subject, { authority: values.authority === true, acting: actorProcesses(preset.actors, state) })
  return { report, text: undefined }
}

/**
 * The audited state and the names its props file is read against: a snapshot's
 * labels, a trace's or a preset's declared system.
 */
function auditedSystem(input: Exclude<AuditInput, { kind: 'image' }> | undefined, preset: Preset | undefined, values: Flags): { state: KernelState; system: SystemNames } {
  if (input === undefined) {
    const system = systemNames(preset!.boot, preset!.images)
    return { state: system.state, system }
  }
  if (input.kind === 'state') return { state: input.snapshot.state, system: snapshotNames(input.snapshot.state, input.snapshot.labels ?? new Map()) }
  const trace = input.trace
  return withBootErrors(input.file, () => ({ state: traceStateAt(trace, stepsToRun(values.at, trace)), system: systemNames(trace.boot, trace.images) }))
}

/** `--props` and `--invariant`: the user properties' rows in the audited state, the invariants narrowed. */
async function withUserProperties(report: AuditReport, input: Exclude<AuditInput, { kind: 'image' }> | undefined, preset: Preset | undefined, values: Flags, depth: number | undefined, stepTimeoutSeconds: number): Promise<AuditReport> {
  const names = values.invariant ?? []
  if (depth !== undefined && values.props === undefined) throw new UsageError('--depth explores for your properties: it goes with --props', 'audit')
  if (depth !== undefined && preset === undefined) throw new UsageError('--depth explores from a boot state: it goes with --preset or --boot, not with a FILE (a snapshot or a trace names no system to start from)', 'audit')
  // The search of --depth makes the system's whole alphabet: one too large for memory is refused before the audit's work.
  if (depth !== undefined && values.boot !== undefined && preset !== undefined) refuseLargeAlphabet(values.boot, preset)
  if (values.props === undefined && names.length === 0) return report
  const { state, system } = auditedSystem(input, preset, values)
  const properties = values.props === undefined ? [] : await loadProps(values.props, system)
  const selection = selectInvariants(names, properties, 'audit')
  const labels = new Map<ObjectId, string>([...system.names, ...system.devices].map(([name, id]) => [id, name]))
  // Properties in code are asked first on a watched worker: one that does not return is refused, as one that throws is.
  if (values.props !== undefined && anyPropertyCode(selection.user)) {
    const silent = await firstSilentProperty({ file: values.props, names: selection.user.map((property) => property.name), state, system }, stepTimeoutSeconds * 1000)
    if (silent !== null) throw new KernelModuleError(values.props, `the check of property ${JSON.stringify(silent)} did not return within ${stepTimeoutSeconds.toLocaleString('en')} s asked of the audited state (--step-timeout)`)
  }
  const rows = values.props === undefined ? [] : auditProperties(state, selection.user, closureView(labels, preset === undefined ? undefined : actorProcesses(preset.actors, state)))
  if (depth === undefined || rows.length === 0) return withProperties(report, rows, names.length === 0 ? undefined : selection.catalogue)
  const explored = await exploreProperties(preset!, selection.user, { props: values.props!, invariants: names }, { depth, stepTimeoutMs: stepTimeoutSeconds * 1000 })
  const withExplored = rows.map((row) => { const verdict = explored.get(row.name); return verdict === undefined ? row : { ...row, explored: verdict } })
  return withProperties(report, withExplored, names.length === 0 ? undefined : selection.catalogue)
}

// ---- images ----------------------------------------------------------------

function imageReport(dir: string, values: Flags): ImageAuditReport {
  refuseFlags(values, ['at'], 'applies to a trace, not to an image')
  refuseFlags(values, ['authority'], 'applies to a state or a trace, not to an image')
  if (values.keyring === undefined) throw new UsageError(`${dir} is a directory, so an image to audit, which expects --keyring (a public key file or a directory of them)`, 'audit')
  const floors = values.floors === undefined ? undefined : readFloors(values.floors)
  const policy = values.policy === undefined ? undefined : readJsonInput(PolicyCodec, values.policy)
  return auditImage(dir, {
    keyring: readKeyring([values.keyring]), keyringSource: values.keyring,
    ...(floors === undefined ? {} : { floors, floorsSource: values.floors! }),
    ...(policy === undefined ? {} : { policy, policySource: values.policy! }),
  })
}

function renderImage(report: ImageAuditReport, format: Format): string {
  if (format === 'dot' || format === 'svg') throw new UsageError(`--format ${format} draws the authority graph of a state or trace; an image has none (use text, json or sarif)`, 'audit')
  if (format === 'json') return JSON.stringify(report, null, 2)
  if (format === 'sarif') return JSON.stringify(imageSarif(report, toolVersion()), null, 2)
  return renderImageText(report)
}

// ---- the command -----------------------------------------------------------

async function audit(values: Flags, positionals: ReadonlyArray<string>): Promise<number> {
  const format = formatFlag(values.format)
  const depth = positiveIntegerFlag('audit', 'depth', values.depth)
  const stepTimeoutSeconds = secondsFlag('audit', 'step-timeout', values['step-timeout']) ?? AUDIT_STEP_TIMEOUT_SECONDS
  loadModulesWithin(stepTimeoutSeconds)
  const system = systemFlag(values)
  if (system !== undefined && positionals.length > 0) throw new UsageError(`--${values.boot === undefined ? 'preset' : 'boot'} takes the place of FILE: give one or the other`, 'audit')
  if (system === undefined && positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'expects a FILE (a state, a trace or an image directory), --preset NAME or --boot FILE' : 'expects exactly one FILE', 'audit')
  const input = system === undefined ? readAuditInput(positionals[0]!) : undefined
  if (input?.kind === 'image') {
    refuseFlags(values, ['props', 'invariant', 'depth', 'step-timeout'], 'applies to a state, a trace or a system, not to an image')
    const report = imageReport(input.dir, values)
    const failed = report.checks.filter((entry) => entry.status === 'fail').length
    emit(renderImage(report, format), values.out, failed === 0 ? 'every applicable check passed' : `${failed} check${failed === 1 ? '' : 's'} failed`)
    return report.status === 'pass' ? EXIT.ok : EXIT.failed
  }
  refuseFlags(values, ['keyring', 'floors', 'policy'], 'applies to an image directory')
  if (values.authority === true && (format === 'dot' || format === 'svg' || format === 'sarif')) throw new UsageError(`--authority goes with --format text or json, not ${format}`, 'audit')
  const { report: audited, text } = input === undefined ? presetReport(system!, values) : { report: reportOf(input, values), text: input.text }
  const report = await withUserProperties(audited, input, system, values, depth, stepTimeoutSeconds)
  emit(await renderReport(report, format, text), values.out, summaryOf(report))
  return report.status === 'pass' ? EXIT.ok : EXIT.failed
}

async function run(args: ReadonlyArray<string>): Promise<number> {
  const parsed = parseFlags('audit', args, FLAGS, true)
  if (parsed === null) {
    say(USAGE)
    return EXIT.ok
  }
  const out = parsed.values['write-state']
  if (out !== undefined) refuseFlags(parsed.values, ['format', 'out', 'keyring', 'floors', 'policy', 'authority', 'props', 'invariant', 'depth', 'step-timeout'], 'does not go with --write-state')
  checkOutputs('audit', [{ name: '--write-state', path: out, kind: 'file' }, { name: '--out', path: parsed.values.out, kind: 'file' }])
  if (out !== undefined) return writeState(out, parsed.values, parsed.positionals)
  return audit(parsed.values, parsed.positionals)
}

/** @public */
export const auditCommand: Command = {
  name: 'audit',
  summary: 'audit a state, trace or image: invariants, authority graph, reachability, SARIF',
  usage: USAGE,
  planned: false,
  run,
}
