/**
 * `sila update-demo`: the live update of pipeline.md §4, run once and shown. The
 * counter service runs as V1 (counter@1.0.0) with clients sending requests; the
 * ModuleManager updates it to V2 (counter@2.0.0, another state format) while the
 * clients keep sending. Every step is a syscall on the impl, in lockstep with the
 * model; UPD-1 is checked after each. The work is in `pipeline/update/`.
 * @module
 */
import { type Command, integerFlag, parseFlags, positiveIntegerFlag, refuseTogether } from '../command.js'
import { EXIT, exitCodesHelp, formatJson, renderTable, say, UsageError } from '../output.js'
import { implTarget } from '../../refinement/abstraction.js'
import type { RefinementTarget } from '../../refinement/target.js'
import { UPDATE_PROTOCOLS, type UpdateProtocol } from '../../pipeline/update/manager.js'
import { type ScenarioResult, type UpdateVariant, runScenario } from '../../pipeline/update/scenario.js'
import { CLIENTS_MAX, DEMO_SYSTEM, SERVICE_NAME, imageLabel } from '../../pipeline/update/system.js'
import { repositoryUpdate, type RepositoryUpdate, type RepositoryVersion } from '../../pipeline/update/repository.js'
import { isConstraint } from '../../pipeline/repo/resolve.js'
import { readKeyring } from '../../pipeline/image/keys.js'
import { demoSchedule, timelineRows } from '../../pipeline/update/demo.js'
import { migrate } from '../../pipeline/update/counter.js'

/**
 * What the demo does when a flag is not given: seed 5 is a schedule where a request
 * also arrives while the receive cap is in transit; move-endpoint is the protocol
 * that works (the others are broken on purpose); V1 and V2 are ^1 and ^2 in a
 * repository.
 * @internal
 */
export const UPDATE_DEMO_DEFAULTS = { seed: 5, clients: 3, protocol: 'move-endpoint', from: '^1', to: '^2' } as const satisfies {
  seed: number; clients: number; protocol: UpdateProtocol; from: string; to: string
}

const USAGE = `Usage: sila update-demo [--repo DIR --keyring KEYS] [--fail-v2 | --refuse-v2] [--clients N] [--seed S] [options]

Runs the live update of the counter service from V1 (counter@1.0.0, state
{count}) to V2 (counter@2.0.0, state {total, ops}) while clients keep sending
requests, and prints the timeline: every step is a syscall of one process (init,
the ModuleManager MM, V1, V2, the clients), on the impl in lockstep with the
model. The service endpoint's receive cap moves from V1 to V2 with V1's
snapshot, so requests queued during the update wait in the endpoint. Then it
prints the UPD-1 verdict: every accepted request answered exactly once, the
name resolved to exactly one live server at every step, V2's state equal to
the migration of V1's final state (or, after a rollback, V1's state intact).

With --repo, V1 and V2 are the images stored in a module repository ('sila repo
add'), resolved by semver (--from, --to): the kernel gets their exact bytes and
verifies each one itself when it is spawned, against --keyring. An image
tampered with after it was added is refused at spawn and the update abandoned,
V1 serving on. Without --repo, the images are built in (symbolic, as in the
property suites). Either way the services' code is the host runtime's (V1 and
V2 handlers of pipeline/update/server.ts): the kernel sees images, not code.

Options:
  --repo DIR         take V1 and V2 from this module repository
  --keyring KEYS     trusted public keys (a .pub.json file or a directory; repeatable; with --repo)
  --name NAME        the module's name in the repository (default ${SERVICE_NAME})
  --from RANGE       V1's semver range (default ${UPDATE_DEMO_DEFAULTS.from})
  --to RANGE         V2's semver range (default ${UPDATE_DEMO_DEFAULTS.to})
  --fail-v2          V2 rejects V1's snapshot: V2 sends the receive cap back, V1 resumes
  --refuse-v2        V2's image is signed by an unknown key: the kernel refuses to spawn it
                     (built-in images only; with --repo, tamper with the stored V2 instead);
                     --fail-v2 and --refuse-v2 exclude each other
  --clients N        clients sending requests (1 to ${CLIENTS_MAX}, default ${UPDATE_DEMO_DEFAULTS.clients})
  --seed S           seed of the schedule, any integer (default ${UPDATE_DEMO_DEFAULTS.seed})
  --protocol NAME    the ModuleManager's protocol: ${UPDATE_PROTOCOLS.join(', ')}
                     (default ${UPDATE_DEMO_DEFAULTS.protocol}; the others are broken on purpose)
  --all              show every step (by default, runs of polls that found nothing are folded);
                     not with --json, which prints no timeline
  --json             print the verdict and counts as JSON instead
  -h, --help         show this help

${exitCodesHelp({ ok: 'UPD-1 (and REF-1) held', failed: 'a violation was found' })}`

const FLAGS = {
  'fail-v2': { type: 'boolean' }, 'refuse-v2': { type: 'boolean' }, clients: { type: 'string' }, seed: { type: 'string' },
  protocol: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' },
  repo: { type: 'string' }, keyring: { type: 'string', multiple: true }, name: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
} as const

function parseProtocol(value: string | undefined): UpdateProtocol {
  if (value === undefined) return UPDATE_DEMO_DEFAULTS.protocol
  if (!(UPDATE_PROTOCOLS as ReadonlyArray<string>).includes(value)) throw new UsageError(`--protocol expects one of ${UPDATE_PROTOCOLS.join(', ')}, found ${JSON.stringify(value)}`, 'update-demo')
  return value as UpdateProtocol
}

const stateText = (state: unknown): string => JSON.stringify(state)

/** The lines of the verdict. */
function verdict(result: ScenarioResult): string[] {
  const stats = result.stats
  const steps = result.executed.length
  const lines: string[] = []
  const failure = result.failure
  if (failure === null) lines.push('UPD-1 held.')
  else if (failure.kind === 'REF-1') lines.push(`REF-1 FAILED at step ${failure.step}: ${failure.message}`)
  else lines.push(`UPD-1 FAILED at step ${failure.step}${failure.clause === undefined ? '' : ` (${failure.clause})`}: ${failure.message}`)
  lines.push(`  requests  ${stats.accepted} accepted, ${stats.answered} answered${failure === null ? ' exactly once each; none lost, none duplicated' : ''}`)
  lines.push(`  during    ${stats.queuedDuringUpdate} accepted while the update was under way (${stats.queuedInTransit} while the receive cap was in transit); ${stats.waitingAtHandoff} waited in the endpoint while its receive cap moved; at most ${stats.waitingDuringUpdateMax} waiting at once`)
  for (const update of result.updates) {
    const outcome = update.result === null ? 'did not finish' : update.result === 'committed' ? 'committed' : update.result === 'rolled-back' ? 'rolled back' : 'abandoned (V2 refused at spawn)'
    lines.push(`  update    to ${update.module}: ${outcome}`)
    if (update.result === 'committed' && update.finalOld !== null && update.ingested !== null) {
      lines.push(`  state     migrate(V1's final state ${stateText(update.finalOld)}) = ${stateText(migrate(update.finalOld))}; V2 took over with ${stateText(update.ingested)}`)
    } else if (update.result === 'rolled-back' && update.snapshot !== null && update.resumed !== null) {
      lines.push(`  state     V1 handed off ${stateText(update.snapshot)} and resumed with ${stateText(update.resumed)}`)
    }
  }
  if (failure === null) lines.push(`  name      "${SERVICE_NAME}" resolved to exactly one live server after each of the ${steps - result.setupSteps} steps after setup`)
  if (result.serving !== null) lines.push(`  end       ${result.serving.name} (${result.serving.module}) serves with ${stateText(result.serving.state)}; the answered requests add up to ${result.value}`)
  if (failure === null || failure.kind !== 'REF-1') lines.push(`REF-1 held: the impl agreed with the model at each of the ${steps} steps.`)
  if (failure?.witness !== undefined && Object.keys(failure.witness).length > 0) lines.push(`witness: ${formatJson(failure.witness)}`)
  return lines
}

/** The images the update runs with: built in, or V1 and V2 from a repository (with the lines that say where they came from). */
function imagesOf(values: { repo?: string; keyring?: string[]; name?: string; from?: string; to?: string }): { repository: RepositoryUpdate | null; lines: string[] } {
  if (values.repo === undefined) {
    const stray = (['keyring', 'name', 'from', 'to'] as const).find((flag) => values[flag] !== undefined)
    if (stray !== undefined) throw new UsageError(`--${stray} needs --repo`, 'update-demo')
    return { repository: null, lines: [] }
  }
  const sources = values.keyring ?? []
  if (sources.length === 0) throw new UsageError('--repo expects --keyring: the kernel trusts only these keys', 'update-demo')
  for (const [flag, range] of [['from', values.from], ['to', values.to]] as const) {
    if (range !== undefined && !isConstraint(range)) throw new UsageError(`--${flag} expects a semver range (such as ^1 or >=2.0.0 <3.0.0), found ${JSON.stringify(range)}`, 'update-demo')
  }
  const repository = repositoryUpdate({
    repo: values.repo, keyring: readKeyring(sources),
    ...(values.name === undefined ? {} : { name: values.name }), from: values.from ?? UPDATE_DEMO_DEFAULTS.from, to: values.to ?? UPDATE_DEMO_DEFAULTS.to,
  })
  const described = (role: string, found: RepositoryVersion) => {
    const verdict = found.record === null ? 'its manifest cannot be read: the kernel will not know it'
      : found.record.signatures.some((signature) => signature.verifies) ? `signed by ${found.record.signatures.filter((signature) => signature.verifies).map((signature) => signature.signer).join(', ')}, verifies against the keyring` : 'does NOT verify against the keyring: the kernel will refuse to spawn it'
    return `  ${role}  ${found.resolution.name}@${found.resolution.version}  ${found.resolution.digest.slice(0, 19)}…  ${verdict}`
  }
  return { repository, lines: [`Images from the repository ${values.repo} (the kernel verifies their bytes at spawn):`, described('V1', repository.v1), described('V2', repository.v2)] }
}

function run(args: ReadonlyArray<string>): number {
  const parsed = parseFlags('update-demo', args, FLAGS, false)
  if (parsed === null) {
    say(USAGE)
    return EXIT.ok
  }
  const values = parsed.values
  refuseTogether('update-demo', values, [
    ['fail-v2', 'refuse-v2', 'V2 either rejects the snapshot or is never spawned'],
    ['all', 'json', '--all shows every step of the timeline, which --json does not print'],
  ])
  const clients = positiveIntegerFlag('update-demo', 'clients', values.clients) ?? UPDATE_DEMO_DEFAULTS.clients
  if (clients > CLIENTS_MAX) throw new UsageError(`--clients expects 1 to ${CLIENTS_MAX}, found ${clients}`, 'update-demo')
  const seed = integerFlag('update-demo', 'seed', values.seed) ?? UPDATE_DEMO_DEFAULTS.seed
  const protocol = parseProtocol(values.protocol)
  const variant: UpdateVariant = values['fail-v2'] === true ? 'reject' : values['refuse-v2'] === true ? 'refused' : 'ok'
  const source = imagesOf(values)
  if (source.repository !== null && variant === 'refused') throw new UsageError('--refuse-v2 uses the built-in images; with --repo, tamper with a byte of the stored V2 to see the kernel refuse it', 'update-demo')
  const system = source.repository?.system ?? DEMO_SYSTEM
  const result = runScenario(demoSchedule(seed, clients, variant), {
    system, clients, protocol, target: source.repository?.target ?? (implTarget as unknown as RefinementTarget), timeline: values.json !== true,
  })
  const code = result.failure === null ? EXIT.ok : EXIT.failed
  if (values.json === true) {
    say(formatJson({ held: result.failure === null, failure: result.failure === null ? null : { kind: result.failure.kind, clause: result.failure.clause ?? null, step: result.failure.step, message: result.failure.message }, stats: result.stats, updates: result.updates, serving: result.serving, value: result.value, steps: result.executed.length }))
    return code
  }
  const target = variant === 'reject' ? ' (V2 rejects the snapshot)' : variant === 'refused' ? ' (V2 signed by an unknown key)' : ''
  say(`sila update-demo: ${imageLabel(system, system.modules.v1)} → ${imageLabel(system, system.modules.v2)}${target} · ${clients} client${clients === 1 ? '' : 's'} · seed ${seed} · protocol ${protocol}`)
  for (const line of source.lines) say(line)
  say('Every step is one syscall on the impl, in lockstep with the model; UPD-1 is checked after each.')
  say()
  say(renderTable([
    { header: 'step', align: 'right' }, { header: 'actor' }, { header: 'syscall', widthMax: 58 }, { header: 'outcome', widthMax: 40 }, { header: 'notes', widthMax: 64 },
  ], timelineRows(result.timeline, system, values.all === true)))
  say()
  for (const line of verdict(result)) say(line)
  return code
}

/** @public */
export const updateDemoCommand: Command = {
  name: 'update-demo',
  summary: 'run the live update of the counter service (V1 → V2) and check UPD-1',
  usage: USAGE,
  planned: false,
  run,
}
