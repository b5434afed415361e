/**
 * `sila image keygen|build|sign|verify|inspect`: SILA container images as OCI image
 * layouts (pipeline.md §1). The work is done in `pipeline/image/`; this file parses
 * the command lines, reads the user's files and renders the results. A refused
 * image, key or file is an `ImageError` (an `InputError`): exit 2, naming the file.
 * @module
 */
import { mkdirSync } from 'node:fs'
import { readFloors } from '../../pipeline/codecs.js'
import { asWriteError, readJsonFile, readRegularFile } from '../../pipeline/files.js'
import { buildImage } from '../../pipeline/image/build.js'
import { COMPRESSION_ALGORITHMS, type CompressionAlgorithm } from '../../pipeline/image/compression.js'
import { inspectImage, type ImageSummary } from '../../pipeline/image/inspect.js'
import { DEFAULT_ALGORITHM, generateKey, isSignatureAlgorithm, readKeyring, readPrivateKey, SIGNATURE_ALGORITHMS, writeKeyFiles } from '../../pipeline/image/keys.js'
import { DOCUMENT_BYTES_MAX, LAYER_BYTES_MAX_DEFAULT } from '../../pipeline/image/layout.js'
import { ManifestInputCodec } from '../../pipeline/image/manifest.js'
import { signImage } from '../../pipeline/image/sign.js'
import { verifyImage } from '../../pipeline/image/verify.js'
import { type Command, parseFlags, positiveIntegerFlag, dispatchSubcommand } from '../command.js'
import { EXIT, exitCodesHelp, renderTable, say, UsageError } from '../output.js'
import { checkOutputs } from '../outputs.js'

/** Flags of a subcommand: like `FlagSpec`, and a string flag may repeat (`multiple`). */
type SubFlagSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly multiple?: boolean }>>
type SubFlagValues<F extends SubFlagSpec> = {
  readonly [K in keyof F]?: F[K]['type'] extends 'boolean' ? boolean : F[K]['multiple'] extends true ? string[] : string
}

/**
 * The flags of a subcommand, parsed as every command's are ({@link parseFlags}:
 * strict, `-h/--help`, negative numbers as values); a repeatable flag gives an
 * array. Null when help was asked for.
 * @internal
 */
export function parseSubcommand<F extends SubFlagSpec>(command: string, args: ReadonlyArray<string>, flags: F): { values: SubFlagValues<F>; positionals: string[] } | null {
  return parseFlags(command, args, flags, true) as unknown as { values: SubFlagValues<F>; positionals: string[] } | null
}

/** A flag that must be given. @internal */
export function required(command: string, flag: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`expects --${flag}`, command)
  return value
}

/** Exactly `count` positionals, named in the message when missing. @internal */
export function positionals(command: string, given: ReadonlyArray<string>, names: ReadonlyArray<string>): string[] {
  if (given.length !== names.length) {
    const extra = given.slice(names.length).map((arg) => JSON.stringify(arg)).join(' ')
    throw new UsageError(given.length < names.length ? `expects ${names.join(' ')}` : names.length === 0 ? `takes no positional argument, found ${extra}` : `expects exactly ${names.join(' ')}, found ${given.length} arguments (${extra} beyond)`, command)
  }
  return [...given]
}

/** The module layer's compression when --compression is not given. @internal */
export const COMPRESSION_DEFAULT: CompressionAlgorithm = 'brotli'

const LAYER_BYTES_FLAG = `  --layer-bytes-max N  bound on every blob and inflated layer (default ${LAYER_BYTES_MAX_DEFAULT}, 64 MiB)`

const USAGES = {
  keygen: `Usage: sila image keygen --out DIR [--algorithm ML-DSA-65|ML-DSA-87] [--name NAME]

Generates an ML-DSA key pair and writes DIR/NAME.key.json (the private key,
mode 0600) and DIR/NAME.pub.json (the public key, for keyrings). Existing
files are never overwritten. NAME defaults to the key id.

Options:
  --out DIR          directory for the key files (created if missing)
  --algorithm ALG    ${SIGNATURE_ALGORITHMS.join(' or ')} (default ${DEFAULT_ALGORITHM})
  --name NAME        base name of the two files: letters, digits, '.', '_', '-',
                     not starting with '.' (default: the key id)
  -h, --help         show this help

${exitCodesHelp({ ok: 'the key pair was written', usage: 'refused: a flag, the --out path, or a key file that exists already' })}`,
  build: `Usage: sila image build --manifest FILE --module FILE [--data FILE]... --out DIR

Builds an unsigned image: an OCI image layout in DIR (which must not exist)
holding the module compressed behind its header, each data file as a layer,
and a manifest pinning them. FILE for --manifest is JSON: name, version
(semver), entry, requests [{kind, rights, purpose}], limits {memoryBytes},
and optionally namespaces.

Options:
  --manifest FILE      the manifest input (JSON)
  --module FILE        the module binary
  --data FILE          a data or configuration layer (repeatable)
  --out DIR            the image directory to create (its parents are created if
                       missing; checked before the build)
  --compression ALG    ${COMPRESSION_ALGORITHMS.join(' or ')}, for the module layer (default ${COMPRESSION_DEFAULT})
${LAYER_BYTES_FLAG}
  -h, --help           show this help

${exitCodesHelp({ ok: 'the image was built', usage: 'refused: a flag, an input file, or an --out that exists already' })}`,
  sign: `Usage: sila image sign DIR --key PRIVATE.json [--add]

Checks the image in DIR whole, signs its manifest digest with the private
key, and references the signature from index.json (replacing any earlier one,
or with --add beside the signatures by other keys: one that verifies by a
trusted key is enough).

Options:
  --key FILE           a private key file written by 'sila image keygen'
  --add                keep the other keys' signatures (at most 16 in all)
${LAYER_BYTES_FLAG}
  -h, --help           show this help

${exitCodesHelp({ ok: 'signed', usage: 'refused: a flag, the key, or the image (the message names the file)' })}`,
  verify: `Usage: sila image verify DIR --keyring KEYS [--keyring KEYS]... [--floors FILE]

Verifies the image in DIR: every digest and size, the signature by a key of
the keyring over the manifest digest, the rollback floor, and every module
layer inflated within its declared size and the bound. KEYS is a public key
file or a directory of *.pub.json files. FILE maps module names to their
lowest acceptable version ({"echo": "1.2.0"}).

Options:
  --keyring KEYS       trusted public keys (repeatable)
  --floors FILE        rollback floors (JSON)
${LAYER_BYTES_FLAG}
  --json               print the result as JSON
  -h, --help           show this help

${exitCodesHelp({ ok: 'verified', usage: 'refused: a flag, or the image (the message names the file and the attack)' })}`,
  inspect: `Usage: sila image inspect DIR [--json]

Shows an image's manifest, requests, layers and signature header. Every digest
is checked, the inflated bytes of each module layer included (inflated within
its header's sizes and --layer-bytes-max, so a decompression bomb is refused,
not shown); the signature is not judged (use 'sila image verify').

Options:
  --json               print the summary as JSON
${LAYER_BYTES_FLAG}
  -h, --help           show this help

${exitCodesHelp({ ok: 'inspected, every digest matched', usage: 'refused: a flag, or the image (the message names the file)' })}`,
} as const

type Subcommand = keyof typeof USAGES

const USAGE = `Usage: sila image keygen|build|sign|verify|inspect ...

Works on SILA container images: OCI image layout directories with a manifest,
Brotli-compressed module layers and an ML-DSA signature (pipeline.md §1).

  sila image keygen --out DIR [--algorithm ML-DSA-65|ML-DSA-87] [--name N]
  sila image build --manifest FILE --module FILE [--data FILE]... --out DIR
  sila image sign DIR --key PRIVATE.json
  sila image verify DIR --keyring KEYS... [--floors FILE]
  sila image inspect DIR [--json]

Run 'sila image SUBCOMMAND --help' for each one's options.

${exitCodesHelp({ ok: 'done (built, signed, verified…)', usage: 'refused: a flag, a key, or an image (the message names the file)' })}`

function layerBytesMax(command: string, value: string | undefined): number {
  return positiveIntegerFlag(command, 'layer-bytes-max', value) ?? LAYER_BYTES_MAX_DEFAULT
}

function keygen(args: ReadonlyArray<string>): number {
  const command = 'image keygen'
  const parsed = parseSubcommand(command, args, { out: { type: 'string' }, algorithm: { type: 'string' }, name: { type: 'string' } })
  if (parsed === null) return help('keygen')
  positionals(command, parsed.positionals, [])
  const out = required(command, 'out', parsed.values.out)
  const algorithm = parsed.values.algorithm ?? DEFAULT_ALGORITHM
  if (!isSignatureAlgorithm(algorithm)) throw new UsageError(`--algorithm expects ${SIGNATURE_ALGORITHMS.join(' or ')}, found ${JSON.stringify(algorithm)}`, command)
  const name = parsed.values.name
  // Not starting with '.': NAME.key.json and NAME.pub.json would be hidden files ("..key.json" for --name .), which ls does not show.
  if (name !== undefined && !/^(?!\.)[A-Za-z0-9._-]{1,64}$/.test(name)) throw new UsageError(`--name expects a file name of [A-Za-z0-9._-] not starting with '.', found ${JSON.stringify(name)}`, command)
  checkOutputs(command, [{ name: '--out', path: out, kind: 'directory' }])
  const key = generateKey(algorithm)
  try {
    mkdirSync(out, { recursive: true })
  } catch (error) {
    throw asWriteError(error, out)
  }
  const files = writeKeyFiles(out, key, name ?? key.keyId)
  say(`key ${key.keyId} (${algorithm})`)
  say(`  private  ${files.privateFile}  (mode 0600: keep it secret)`)
  say(`  public   ${files.publicFile}`)
  return EXIT.ok
}

function build(args: ReadonlyArray<string>): number {
  const command = 'image build'
  const parsed = parseSubcommand(command, args, {
    manifest: { type: 'string' }, module: { type: 'string' }, data: { type: 'string', multiple: true }, out: { type: 'string' },
    compression: { type: 'string' }, 'layer-bytes-max': { type: 'string' },
  })
  if (parsed === null) return help('build')
  positionals(command, parsed.positionals, [])
  const manifestFile = required(command, 'manifest', parsed.values.manifest)
  const moduleFile = required(command, 'module', parsed.values.module)
  const out = required(command, 'out', parsed.values.out)
  const compression = parsed.values.compression ?? COMPRESSION_DEFAULT
  if (!(COMPRESSION_ALGORITHMS as ReadonlyArray<string>).includes(compression)) {
    throw new UsageError(`--compression expects ${COMPRESSION_ALGORITHMS.join(' or ')}, found ${JSON.stringify(compression)}`, command)
  }
  const bytesMax = layerBytesMax(command, parsed.values['layer-bytes-max'])
  checkOutputs(command, [{ name: '--out', path: out, kind: 'new-directory' }])
  const manifest = readJsonFile(ManifestInputCodec, manifestFile, DOCUMENT_BYTES_MAX, { followLinks: true })
  const read = (file: string) => ({ file, bytes: readRegularFile(file, bytesMax, { followLinks: true }) })
  const built = buildImage({
    manifest, manifestFile, module: read(moduleFile), data: (parsed.values.data ?? []).map(read),
    compression: compression as CompressionAlgorithm, layerBytesMax: bytesMax,
  }, out)
  say(`built ${manifest.name}@${manifest.version} in ${built.dir} (unsigned)`)
  say(`  manifest  ${built.manifestDigest}`)
  for (const layer of built.layers) say(`  ${layer.role.padEnd(8)}  ${layer.digest}  ${layer.size} bytes`)
  return EXIT.ok
}

function sign(args: ReadonlyArray<string>): number {
  const command = 'image sign'
  const parsed = parseSubcommand(command, args, { key: { type: 'string' }, add: { type: 'boolean' }, 'layer-bytes-max': { type: 'string' } })
  if (parsed === null) return help('sign')
  const [dir] = positionals(command, parsed.positionals, ['DIR'])
  const bytesMax = layerBytesMax(command, parsed.values['layer-bytes-max'])
  const key = readPrivateKey(required(command, 'key', parsed.values.key))
  const signed = signImage(dir!, key, { layerBytesMax: bytesMax, add: parsed.values.add === true })
  const kept = signed.kept.length === 0 ? '' : `, beside the signature${signed.kept.length === 1 ? '' : 's'} by ${signed.kept.join(', ')}`
  say(`signed ${dir} with ${key.keyId} (${key.algorithm})${signed.replaced === null ? '' : `, replacing the signature by ${signed.replaced}`}${kept}`)
  say(`  manifest   ${signed.manifestDigest}`)
  say(`  signature  ${signed.signatureDigest}`)
  return EXIT.ok
}

function verify(args: ReadonlyArray<string>): number {
  const command = 'image verify'
  const parsed = parseSubcommand(command, args, {
    keyring: { type: 'string', multiple: true }, floors: { type: 'string' }, 'layer-bytes-max': { type: 'string' }, json: { type: 'boolean' },
  })
  if (parsed === null) return help('verify')
  const [dir] = positionals(command, parsed.positionals, ['DIR'])
  const sources = parsed.values.keyring ?? []
  if (sources.length === 0) throw new UsageError('expects --keyring (a public key file or a directory of them)', command)
  const bytesMax = layerBytesMax(command, parsed.values['layer-bytes-max'])
  const keyring = readKeyring(sources)
  const floors = parsed.values.floors === undefined ? undefined : readFloors(parsed.values.floors)
  const image = verifyImage(dir!, { keyring, ...(floors === undefined ? {} : { floors, floorsSource: parsed.values.floors! }), layerBytesMax: bytesMax })
  const inflatedBytes = image.layers.reduce((sum, layer) => sum + (layer.content?.length ?? 0), 0)
  const algorithm = image.signature.signature.header.algorithm
  if (parsed.values.json === true) {
    say(JSON.stringify({
      dir, verified: true, name: image.manifest.name, version: image.manifest.version, manifest: image.manifestDigest,
      signer: image.signer, algorithm, layers: image.layers.length, contentBytes: inflatedBytes,
    }, null, 2))
  } else {
    say(`verified ${image.manifest.name}@${image.manifest.version} (${dir})`)
    say(`  manifest   ${image.manifestDigest}`)
    say(`  signed by  ${image.signer} (${algorithm})`)
    say(`  layers     ${image.layers.length} (${inflatedBytes} bytes of content), every digest matches`)
  }
  return EXIT.ok
}

function inspect(args: ReadonlyArray<string>): number {
  const command = 'image inspect'
  const parsed = parseSubcommand(command, args, { json: { type: 'boolean' }, 'layer-bytes-max': { type: 'string' } })
  if (parsed === null) return help('inspect')
  const [dir] = positionals(command, parsed.positionals, ['DIR'])
  const summary = inspectImage(dir!, { layerBytesMax: layerBytesMax(command, parsed.values['layer-bytes-max']) })
  if (parsed.values.json === true) say(JSON.stringify(summary, null, 2))
  else renderSummary(summary)
  return EXIT.ok
}

function renderSummary(summary: ImageSummary): void {
  const namespaces = summary.namespaces === null
    ? 'shared with the parent (none configured)'
    : Object.entries(summary.namespaces).map(([kind, value]) => `${kind}=${typeof value === 'string' ? value : `uid ${value.base}+${value.count}`}`).join(' ')
  const signature = summary.signatures.length === 0 ? 'none (unsigned)'
    : `${summary.signatures.map((blob) => `${blob.algorithm} by ${blob.keyId}`).join(', ')} (not verified here: use sila image verify)`
  say(renderTable([{ header: 'field' }, { header: 'value' }], [
    ['image', summary.dir], ['name', summary.name], ['version', summary.version], ['entry', summary.entry],
    ['manifest', `${summary.manifest.digest} (${summary.manifest.sizeBytes} bytes)`], ['memory', `${summary.memoryBytes} bytes`],
    ['namespaces', namespaces], ['signature', signature],
  ]).split('\n').slice(2).join('\n'))
  say()
  say('Requests:')
  say(summary.requests.length === 0 ? '  (none)' : renderTable(
    [{ header: 'kind' }, { header: 'rights' }, { header: 'purpose', widthMax: 60 }],
    summary.requests.map((request) => [request.kind, request.rights.join(','), request.purpose ?? '']),
  ))
  say()
  say('Layers:')
  say(renderTable(
    [{ header: '#', align: 'right' }, { header: 'role' }, { header: 'compression' }, { header: 'size', align: 'right' }, { header: 'uncompressed', align: 'right' }, { header: 'digest' }],
    summary.layers.map((layer, position) => [String(position), layer.role, layer.compression, String(layer.sizeBytes), String(layer.uncompressedSizeBytes), layer.digest]),
  ))
}

function help(subcommand: Subcommand): number {
  say(USAGES[subcommand])
  return EXIT.ok
}

const SUBCOMMANDS: Readonly<Record<Subcommand, (args: ReadonlyArray<string>) => number>> = { keygen, build, sign, verify, inspect }

function run(args: ReadonlyArray<string>): number {
  return dispatchSubcommand('image', USAGE, SUBCOMMANDS, args)
}

/** @public */
export const imageCommand: Command = {
  name: 'image',
  summary: 'build, sign, verify and inspect SILA container images',
  usage: USAGE,
  planned: false,
  run,
}
