/**
 * `sila pipeline load`: the module loading protocol of seed 003 §2 on the impl
 * (pipeline.md §3). Boots a kernel with every image of a repository (the kernel
 * verifies each one's bytes itself), starts the ModuleManager and the
 * DecompressionService as processes, sends a `LoadModuleRequest` from a requester
 * process, runs the kernel's scheduler until the reply comes, and prints the
 * message exchange and the reply. The work is done in `pipeline/protocol/`.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { manifestDigest } from '../../impl/images.js'
import { readKeyring } from '../../pipeline/image/keys.js'
import { LAYER_BYTES_MAX_DEFAULT } from '../../pipeline/image/layout.js'
import { isConstraint } from '../../pipeline/repo/resolve.js'
import { ModuleNameCodec } from '../../pipeline/codecs.js'
import { LoadModuleRequestCodec, ParametersCodec, type LoadModuleRequest } from '../../pipeline/protocol/messages.js'
import { BOUNDS } from '../../spec/numbers.js'
import { loadModule, MODULES_LIMITS, startLoader, type Loader, type LoadResult } from '../../pipeline/protocol/system.js'
import type { ExchangeEntry } from '../../pipeline/protocol/runtime.js'
import { syscallText } from '../../checker/stepText.js'
import { outcomeText } from '../../spec/results.js'
import { type Command, positiveIntegerFlag } from '../command.js'
import { EXIT, exitCodesHelp, say, UsageError } from '../output.js'
import { parseSubcommand } from './image.js'

const LOAD_USAGE = `Usage: sila pipeline load --repo DIR --keyring KEYS [--keyring KEYS]... NAME [CONSTRAINT]

Boots a kernel with every image stored in the repository DIR: the kernel gets
their exact bytes and verifies each one's ML-DSA signature and digests itself,
against the keyring. Init starts the ModuleManager and the DecompressionService
as processes (each registers its endpoint in the service directory), then a
requester process sends LoadModuleRequest {NAME, CONSTRAINT} to the
ModuleManager with a cap to its reply endpoint. The ModuleManager resolves the
module, checks the package, has each compressed layer inflated by the
DecompressionService, and asks the kernel to spawn it; the reply goes back to the
requester. Prints the kernel's verdicts, the message exchange and the reply.

Options:
  --repo DIR             the module repository
  --keyring KEYS         trusted public keys: a .pub.json file or a directory (repeatable)
  --parameters JSON      initial parameters for the module (a flat JSON object)
  --modules-memory N     memory (bytes) of the container modules are loaded into
                         (default ${MODULES_LIMITS.memoryBytes})
  --compromised          a ModuleManager that skips its own checks: the kernel's remain
  --syscalls             print every syscall of the exchange (sends, receives and polls included)
  --layer-bytes-max N    bound on every blob and inflated layer (default ${LAYER_BYTES_MAX_DEFAULT})
  --json                 print the result and the exchange as JSON
  -h, --help             show this help

${exitCodesHelp({ ok: 'loaded (the reply was Success)', failed: 'the load was refused (any other status, or no reply)', usage: 'refused: a flag, the repository or the keyring' })}`

const USAGE = `Usage: sila pipeline load ...

The module loading protocol (seed 003 section 2) on the kernel: services that are
processes, messages through endpoints, the kernel verifying what it spawns.

  sila pipeline load --repo DIR --keyring KEYS... NAME [CONSTRAINT]

Run 'sila pipeline load --help' for its options.

${exitCodesHelp({ ok: 'loaded', failed: 'the load was refused', usage: 'refused: a flag, the repository or the keyring' })}`

function entryText(entry: ExchangeEntry): string {
  switch (entry.kind) {
    case 'syscall': return `  ${entry.actor.padEnd(16)} ${syscallText(entry.syscall)} → ${outcomeText(entry.outcome)}`
    case 'message': return `  ${entry.from} → ${entry.to}: ${entry.type}${entry.cap ? ' (with a cap)' : ''}\n      ${entry.payload}`
    case 'note': return `  ${entry.actor.padEnd(16)} ${entry.text}`
  }
}

function verdicts(loader: Loader): string[] {
  return loader.repository.images.map((image) => {
    const digest = manifestDigest(image.bytes)
    const verdict = loader.verifier.verdicts.get(digest)
    const trusted = loader.kernel.images.get(digest)?.trusted ?? false
    const below = loader.kernel.images.get(digest)?.aboveFloor === false ? ', below its rollback floor' : ''
    return `  ${`${image.name}@${image.version}`.padEnd(20)} ${digest.slice(0, 23)}…  ${trusted ? `trusted${below}` : `refused: ${verdict?.reason ?? 'not verified'}`}`
  })
}

function replyText(result: LoadResult): string {
  const { response } = result
  if (response === null) return `no reply: ${result.error ?? 'unknown'}`
  const pid = response.pid === undefined ? '' : ` pid ${response.pid ?? '-'}`
  const child = result.child?.kind === 'cap' ? ` (the reply carried a cap to the new ${result.child.objectKind}: [${result.child.rights.join(',')}])` : ''
  return `${response.status}${response.module === undefined ? '' : ` ${response.module}`}${pid}${child}${response.error === undefined ? '' : `\n  ${response.error}`}`
}

function load(args: ReadonlyArray<string>): number {
  const command = 'pipeline load'
  const parsed = parseSubcommand(command, args, {
    repo: { type: 'string' }, keyring: { type: 'string', multiple: true }, parameters: { type: 'string' }, 'modules-memory': { type: 'string' },
    compromised: { type: 'boolean' }, syscalls: { type: 'boolean' }, 'layer-bytes-max': { type: 'string' }, json: { type: 'boolean' },
  })
  if (parsed === null) {
    say(LOAD_USAGE)
    return EXIT.ok
  }
  const repo = parsed.values.repo
  if (repo === undefined || repo === '') throw new UsageError('expects --repo DIR', command)
  const sources = parsed.values.keyring ?? []
  if (sources.length === 0) throw new UsageError('expects --keyring: the kernel and the ModuleManager trust only these keys', command)
  if (parsed.positionals.length < 1 || parsed.positionals.length > 2) throw new UsageError(parsed.positionals.length === 0 ? 'expects NAME [CONSTRAINT]' : `expects NAME [CONSTRAINT], found ${parsed.positionals.length} arguments`, command)
  const [name, constraint] = parsed.positionals as [string, string | undefined]
  if (!ModuleNameCodec.is(name)) throw new UsageError(`NAME is not a module name: ${JSON.stringify(name)}`, command)
  if (constraint !== undefined && !isConstraint(constraint)) throw new UsageError(`CONSTRAINT is not a semver range: ${JSON.stringify(constraint)} (examples: '^1.2.0', '>=1.2.0 <2.0.0')`, command)
  let parameters: LoadModuleRequest['parameters']
  if (parsed.values.parameters !== undefined) {
    let value: unknown
    try {
      value = JSON.parse(parsed.values.parameters)
    } catch (error) {
      throw new UsageError(`--parameters is not JSON: ${(error as Error).message}`, command)
    }
    if (!ParametersCodec.is(value) || Array.isArray(value)) throw new UsageError('--parameters expects a flat JSON object of strings, numbers and booleans', command)
    parameters = value
  }
  const request: LoadModuleRequest = { requestId: 'load-1', moduleName: name, ...(constraint === undefined ? {} : { versionConstraint: constraint }), ...(parameters === undefined ? {} : { parameters }) }
  // The request travels as one IPC message, whose payload the kernel bounds.
  const length = JSON.stringify(LoadModuleRequestCodec.encode(request)).length
  if (length > BOUNDS.payloadLengthMax) {
    throw new UsageError(`the LoadModuleRequest (NAME, CONSTRAINT and --parameters) is ${length} characters of JSON; a message carries at most ${BOUNDS.payloadLengthMax}`, command)
  }
  const layerBytesMax = positiveIntegerFlag(command, 'layer-bytes-max', parsed.values['layer-bytes-max']) ?? LAYER_BYTES_MAX_DEFAULT
  const memory = parsed.values['modules-memory']
  if (memory !== undefined && (!/^\d+$/.test(memory) || !Number.isSafeInteger(Number(memory)))) throw new UsageError(`--modules-memory expects a number of bytes, found ${JSON.stringify(memory)}`, command)
  const loader = startLoader({
    repo, keyring: readKeyring(sources), compromised: parsed.values.compromised === true, layerBytesMax,
    ...(memory === undefined ? {} : { modulesLimits: { ...MODULES_LIMITS, memoryBytes: Number(memory) } }),
  })
  const result = loadModule(loader, request)
  // By default the sends and receives that went through show as the messages they carried, and polls are left out.
  const exchange = loader.runtime.log.filter((entry) => parsed.values.syscalls === true || entry.kind !== 'syscall'
    || (!entry.idle && !(E.isRight(entry.outcome) && (entry.syscall['kind'] === 'ep_send' || entry.syscall['kind'] === 'ep_recv'))))
  if (parsed.values.json === true) {
    say(JSON.stringify({
      request, response: result.response, child: result.child, error: result.response === null ? result.error : null,
      kernel: {
        verifications: loader.kernel.imageVerifications,
        images: loader.repository.images.map((image) => {
          const digest = manifestDigest(image.bytes)
          return { name: image.name, version: image.version, digest, trusted: loader.kernel.images.get(digest)?.trusted ?? false, reason: loader.verifier.verdicts.get(digest)?.reason ?? '' }
        }),
        skipped: loader.repository.skipped,
      },
      exchange: exchange.map((entry) => (entry.kind === 'syscall' ? { ...entry, outcome: E.isRight(entry.outcome) ? { ok: true, reply: entry.outcome.right } : { ok: false, error: entry.outcome.left } } : entry)),
    }, null, 2))
  } else {
    say(`kernel booted with ${loader.repository.images.length} image${loader.repository.images.length === 1 ? '' : 's'} from ${repo}, each verified by the kernel (${loader.kernel.imageVerifications} verification${loader.kernel.imageVerifications === 1 ? '' : 's'}, one per manifest digest):`)
    for (const line of verdicts(loader)) say(line)
    for (const skipped of loader.repository.skipped) say(`  ${`${skipped.name}@${skipped.version}`.padEnd(20)} not loaded: ${skipped.reason}`)
    say('')
    say(`exchange${parsed.values.compromised === true ? ' (compromised ModuleManager)' : ''}:`)
    for (const entry of exchange) say(entryText(entry))
    say('')
    say(`reply: ${replyText(result)}`)
  }
  return result.response?.status === 'Success' ? EXIT.ok : EXIT.failed
}

function run(args: ReadonlyArray<string>): number {
  const [first, ...rest] = args
  if (first === '-h' || first === '--help') {
    say(USAGE)
    return EXIT.ok
  }
  if (first === undefined) throw new UsageError('expects a subcommand: load', 'pipeline')
  if (first !== 'load') throw new UsageError(`unknown subcommand ${JSON.stringify(first)}; expected load`, 'pipeline')
  return load(rest)
}

/** @public */
export const pipelineCommand: Command = {
  name: 'pipeline',
  summary: 'load a module through the ModuleManager and DecompressionService processes',
  usage: USAGE,
  planned: false,
  run,
}
