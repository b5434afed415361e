/**
 * `sila repo add|list|resolve|floor`: a module repository (pipeline.md §2). The work
 * is done in `pipeline/repo/`; this file parses the command lines and renders the
 * results. Refusals name the attack they stop (arbitrary package, rollback,
 * mix-and-match, endless data) and exit 2.
 * @module
 */
import { readKeyring } from '../../pipeline/image/keys.js'
import { LAYER_BYTES_MAX_DEFAULT } from '../../pipeline/image/layout.js'
import { addImage, listRepository, raiseFloor, readRepository } from '../../pipeline/repo/repository.js'
import { isConstraint, resolveModule } from '../../pipeline/repo/resolve.js'
import { SemverCodec } from '../../spec/images.js'
import { type Command, positiveIntegerFlag, dispatchSubcommand } from '../command.js'
import { EXIT, exitCodesHelp, renderTable, say, UsageError, warn } from '../output.js'
import { checkOutputs } from '../outputs.js'
import { parseSubcommand, positionals } from './image.js'

const USAGES = {
  add: `Usage: sila repo add REPO DIR --keyring KEYS [--keyring KEYS]... [--raise-floor]

Verifies the image in DIR (signature by a key of the keyring, every digest,
every layer, not below its name's rollback floor) and stores exactly the
verified bytes under REPO/images/NAME/VERSION/, then records it in
REPO/repository.json. REPO is created if it does not exist. A version that is
already stored with other content is refused.

Options:
  --keyring KEYS       trusted public keys: a .pub.json file or a directory (repeatable)
  --raise-floor        raise the name's rollback floor to this version
  --layer-bytes-max N  bound on every blob and inflated layer (default ${LAYER_BYTES_MAX_DEFAULT})
  -h, --help           show this help

${exitCodesHelp({ ok: 'added (or already present with the same content)', usage: 'refused: a flag, REPO, or the image (a bad signature, a rollback, a tampered layer…)' })}`,
  list: `Usage: sila repo list REPO [--json]

Lists every stored module version with its manifest digest, signer and the
name's rollback floor; versions below the floor are kept but never resolved.

Options:
  --json      print the list as JSON
  -h, --help  show this help

${exitCodesHelp({ ok: 'listed', usage: 'refused: a flag, or a malformed repository' })}`,
  resolve: `Usage: sila repo resolve REPO NAME CONSTRAINT [--keyring KEYS]... [--json]

Prints the highest stored version of NAME that satisfies the semver
CONSTRAINT (such as '^1.2.0' or '>=1.2.0 <2.0.0') and is not below the
rollback floor. The stored image's manifest digest is checked against the
repository; with --keyring the image is verified whole.

Options:
  --keyring KEYS       verify the chosen image against these keys (repeatable)
  --layer-bytes-max N  bound on every blob and inflated layer (default ${LAYER_BYTES_MAX_DEFAULT})
  --json               print the resolution as JSON
  -h, --help           show this help

${exitCodesHelp({ ok: 'resolved', failed: 'no stored version satisfies CONSTRAINT', usage: 'refused: a flag, a rollback, a tampered image, a malformed repository' })}`,
  floor: `Usage: sila repo floor REPO NAME VERSION

Raises the rollback floor of NAME to VERSION: no version below it will be
added or resolved again. Floors only rise; lowering one is refused.

Options:
  -h, --help  show this help

${exitCodesHelp({ ok: 'the floor was raised', usage: 'refused: lowering a floor, an unknown name, a malformed repository' })}`,
} as const

type Subcommand = keyof typeof USAGES

const USAGE = `Usage: sila repo add|list|resolve|floor ...

A directory of signed images indexed by module name and version, with a
rollback floor per name (pipeline.md §2). Resolution takes a semver constraint
and refuses rollback, unsigned, tampered and oversized packages by name.

  sila repo add REPO DIR --keyring KEYS... [--raise-floor]
  sila repo list REPO [--json]
  sila repo resolve REPO NAME 'CONSTRAINT' [--keyring KEYS...] [--json]
  sila repo floor REPO NAME VERSION

Run 'sila repo SUBCOMMAND --help' for each one's options.

${exitCodesHelp({ ok: 'done', failed: 'resolve: no stored version satisfies the constraint', usage: 'refused: a flag, an image or a repository (the message names the file and the attack)' })}`

function help(subcommand: Subcommand): number {
  say(USAGES[subcommand])
  return EXIT.ok
}

function add(args: ReadonlyArray<string>): number {
  const command = 'repo add'
  const parsed = parseSubcommand(command, args, { keyring: { type: 'string', multiple: true }, 'raise-floor': { type: 'boolean' }, 'layer-bytes-max': { type: 'string' } })
  if (parsed === null) return help('add')
  const [repo, dir] = positionals(command, parsed.positionals, ['REPO', 'DIR'])
  const sources = parsed.values.keyring ?? []
  if (sources.length === 0) throw new UsageError('expects --keyring: images enter a repository only with a trusted signature', command)
  const layerBytesMax = positiveIntegerFlag(command, 'layer-bytes-max', parsed.values['layer-bytes-max']) ?? LAYER_BYTES_MAX_DEFAULT
  checkOutputs(command, [{ name: 'REPO', path: repo, kind: 'directory' }])
  const result = addImage(repo!, dir!, {
    keyring: readKeyring(sources), raiseFloor: parsed.values['raise-floor'] === true, layerBytesMax,
  })
  say(`${result.added ? 'added' : 'already present:'} ${result.name}@${result.version} signed by ${result.signer}`)
  say(`  manifest  ${result.digest}`)
  say(`  stored    ${result.path}`)
  say(`  floor     ${result.floor ?? 'none'}`)
  return EXIT.ok
}

function list(args: ReadonlyArray<string>): number {
  const command = 'repo list'
  const parsed = parseSubcommand(command, args, { json: { type: 'boolean' } })
  if (parsed === null) return help('list')
  const [repo] = positionals(command, parsed.positionals, ['REPO'])
  const rows = listRepository(repo!)
  if (parsed.values.json === true) {
    say(JSON.stringify({ repository: repo, modules: readRepository(repo!).index.modules }, null, 2))
    return EXIT.ok
  }
  if (rows.length === 0) {
    say(`${repo}: no images`)
    return EXIT.ok
  }
  say(renderTable(
    [{ header: 'name' }, { header: 'version' }, { header: 'floor' }, { header: 'signer' }, { header: 'algorithm' }, { header: 'manifest' }],
    rows.map((row) => [row.name, row.belowFloor ? `${row.version} (below floor)` : row.version, row.floor ?? '-', row.signer, row.algorithm, row.digest]),
  ))
  return EXIT.ok
}

function resolve(args: ReadonlyArray<string>): number {
  const command = 'repo resolve'
  const parsed = parseSubcommand(command, args, { keyring: { type: 'string', multiple: true }, json: { type: 'boolean' }, 'layer-bytes-max': { type: 'string' } })
  if (parsed === null) return help('resolve')
  const [repo, name, constraint] = positionals(command, parsed.positionals, ['REPO', 'NAME', 'CONSTRAINT'])
  if (!isConstraint(constraint!)) throw new UsageError(`CONSTRAINT is not a semver range: ${JSON.stringify(constraint)} (examples: '^1.2.0', '>=1.2.0 <2.0.0')`, command)
  const sources = parsed.values.keyring ?? []
  const resolution = resolveModule(repo!, name!, constraint!, {
    ...(sources.length === 0 ? {} : { keyring: readKeyring(sources) }),
    layerBytesMax: positiveIntegerFlag(command, 'layer-bytes-max', parsed.values['layer-bytes-max']) ?? LAYER_BYTES_MAX_DEFAULT,
  })
  if (resolution === null) {
    const versions = listRepository(repo!).filter((row) => row.name === name).map((row) => row.version)
    if (parsed.values.json === true) say(JSON.stringify({ name, constraint, resolved: null, available: versions }, null, 2))
    warn(`sila repo resolve: no stored version of ${name} satisfies ${JSON.stringify(constraint)} (stored: ${versions.join(', ')})`)
    return EXIT.failed
  }
  if (parsed.values.json === true) {
    say(JSON.stringify({ constraint, resolved: resolution }, null, 2))
  } else {
    say(`${resolution.name}@${resolution.version}`)
    say(`  manifest  ${resolution.digest}`)
    say(`  signer    ${resolution.signer}${resolution.verified ? ' (verified)' : ' (digest checked; pass --keyring to verify the signature)'}`)
    say(`  floor     ${resolution.floor ?? 'none'}`)
    say(`  path      ${resolution.path}`)
  }
  return EXIT.ok
}

function floor(args: ReadonlyArray<string>): number {
  const command = 'repo floor'
  const parsed = parseSubcommand(command, args, {})
  if (parsed === null) return help('floor')
  const [repo, name, version] = positionals(command, parsed.positionals, ['REPO', 'NAME', 'VERSION'])
  if (!SemverCodec.is(version)) throw new UsageError(`VERSION is not a semantic version: ${JSON.stringify(version)}`, command)
  const result = raiseFloor(repo!, name!, version)
  say(`floor of ${result.name}: ${result.previous ?? 'none'} -> ${result.floor}`)
  return EXIT.ok
}

const SUBCOMMANDS: Readonly<Record<Subcommand, (args: ReadonlyArray<string>) => number>> = { add, list, resolve, floor }

function run(args: ReadonlyArray<string>): number {
  return dispatchSubcommand('repo', USAGE, SUBCOMMANDS, args)
}

/** @public */
export const repoCommand: Command = {
  name: 'repo',
  summary: 'add images to a module repository and resolve versions',
  usage: USAGE,
  planned: false,
  run,
}
