/**
 * Reading a boot file (`--boot FILE`): a declared system as a user writes it
 * (spec/boot.ts `BootFileCodec`), resolved to what the kernel takes: a boot
 * configuration whose processes name their images by digest, and the image pool.
 *
 * An image is named by a digest, a pool name (`NAME@VERSION`, or `NAME` when one
 * version is known) or the path of a built image directory (`./DIR`, relative to
 * the boot file). A built image is read and verified through the pipeline
 * (pipeline/symbolic.ts) against the boot keyring's public keys; names resolve
 * against the boot file's own built images first, then the images sila ships (the
 * presets' and the property pool's). The pool holds exactly the images the file
 * names: those its processes run and those in its `images` list. Every refusal is
 * an {@link InputError} of one line naming the file and the JSON path.
 * @module
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { BootFileCodec, imageRefKind, type BootConfig, type BootFile } from '../spec/boot.js'
import type { ImageRecord } from '../spec/images.js'
import { PRESETS, type Preset } from '../spec/presets.js'
import { InputError } from '../spec/decode.js'
import { boot } from '../model/boot.js'
import { BootError } from '../model/boot-system.js'
import { IMAGE_POOL } from '../properties/pool.js'
import { ImageError } from '../pipeline/errors.js'
import { decodeKeyFile, publicKeyFile, readPublicKey, type Keyring, type PublicKey } from '../pipeline/image/keys.js'
import { symbolicImage } from '../pipeline/symbolic.js'
import { declaredAlphabetSizes, declaredActors } from '../checker/explore/actions.js'
import { readJsonInput } from './input.js'
import { UsageError, warn } from './output.js'

/** The images sila ships, which a boot file may name without building them: the presets' and the property pool's. @public */
export const SHIPPED_IMAGES: ReadonlyArray<ImageRecord> = [...new Map([...PRESETS.flatMap((preset) => preset.images), ...IMAGE_POOL].map((image) => [image.digest, image])).values()]

/** A boot file resolved: the configuration the kernel boots and its image pool. @public */
export interface DeclaredSystem {
  readonly config: BootConfig
  readonly images: ReadonlyArray<ImageRecord>
}

const nameOf = (image: ImageRecord) => `${image.name}@${image.version}`

/** The first problem line of an image or key refusal. */
function firstProblem(error: InputError): string {
  return error.problems[0] ?? 'refused'
}

/**
 * The boot keyring as real public keys (those entries that carry one, or name a
 * key file), and the keyring as the kernel takes it (key id, algorithm, public key).
 */
function readKeyring(file: string, raw: BootFile): { keyring: BootConfig['keyring']; real: Keyring } {
  const real = new Map<string, PublicKey>()
  const keyring = raw.keyring.map((entry, index): BootConfig['keyring'][number] => {
    const path = `$.keyring[${index}]`
    if ('keyFile' in entry) {
      const keyFile = resolve(dirname(file), entry.keyFile)
      let key: PublicKey
      try {
        key = readPublicKey(keyFile)
      } catch (error) {
        if (!(error instanceof InputError)) throw error
        throw new InputError(file, [`${path}.keyFile: ${JSON.stringify(entry.keyFile)} is not a public key file: ${firstProblem(error)}`])
      }
      real.set(key.keyId, key)
      return { keyId: key.keyId, algorithm: key.algorithm, publicKey: publicKeyFile(key).publicKey }
    }
    if (entry.publicKey !== undefined) {
      try {
        const key = decodeKeyFile({ format: 'sila-key/1', algorithm: entry.algorithm ?? 'ML-DSA-65', keyId: entry.keyId, publicKey: entry.publicKey }, file)
        real.set(key.keyId, key)
      } catch (error) {
        if (!(error instanceof InputError)) throw error
        throw new InputError(file, [firstProblem(error).replace(/^\$/, path)])
      }
    }
    return entry
  })
  return { keyring, real }
}

/** Resolves the image references of a decoded boot file. */
class Resolver {
  /** Built images read so far, by absolute directory. */
  private readonly built = new Map<string, ImageRecord>()

  constructor(private readonly file: string, private readonly keyring: Keyring) {}

  private refuse(path: string, message: string): never {
    throw new InputError(this.file, [`${path}: ${message}`])
  }

  /** Reads the built image at `ref` (a path relative to the boot file). */
  load(ref: string, path: string): ImageRecord {
    const dir = isAbsolute(ref) ? ref : resolve(dirname(this.file), ref)
    const known = this.built.get(dir)
    if (known !== undefined) return known
    if (!existsSync(dir)) this.refuse(path, `${JSON.stringify(ref)} is not a built image: no such directory (paths are relative to the boot file)`)
    let image: ImageRecord
    try {
      image = symbolicImage(dir, this.keyring)
    } catch (error) {
      if (!(error instanceof ImageError)) throw error
      const where = error.file === dir ? '' : `${error.file.startsWith(`${dir}/`) ? error.file.slice(dir.length + 1) : error.file}: `
      this.refuse(path, `${JSON.stringify(ref)} is not a built image (${where}${firstProblem(error)})`)
    }
    this.built.set(dir, image)
    return image
  }

  /** The image `ref` names; a path must have been {@link load}ed. */
  resolve(ref: string, path: string): ImageRecord {
    const kind = imageRefKind(ref)
    const candidates = [...this.built.values(), ...SHIPPED_IMAGES]
    if (kind === 'path') return this.load(ref, path)
    if (kind === 'digest') {
      const image = candidates.find((candidate) => candidate.digest === ref)
      if (image === undefined) this.refuse(path, `no image has the digest ${ref}; name a built image by its path (./DIR) or a known one by NAME@VERSION: ${this.known()}`)
      return image
    }
    const [name, version] = ref.split('@') as [string, string | undefined]
    const matches = (images: ReadonlyArray<ImageRecord>) => images.filter((image) => image.name === name && (version === undefined || image.version === version))
    // The boot file's own images first: a built image named like a shipped one is the one meant.
    const own = matches([...this.built.values()])
    const found = own.length > 0 ? own : matches(SHIPPED_IMAGES)
    if (found.length === 0) this.refuse(path, `no image named ${JSON.stringify(ref)}; known: ${this.known()}`)
    const versions = [...new Set(found.map(nameOf))]
    if (versions.length > 1) this.refuse(path, `${JSON.stringify(ref)} names ${versions.length} versions (${versions.join(', ')}); say which, as NAME@VERSION`)
    if (found.length > 1) this.refuse(path, `${found.length} images are named ${versions[0]} (digests ${found.map((image) => `${image.digest.slice(0, 15)}…`).join(', ')}); name one by its path or digest`)
    return found[0]!
  }

  /** Every image a name may resolve to, as NAME@VERSION. */
  private known(): string {
    return [...new Set([...this.built.values(), ...SHIPPED_IMAGES].map(nameOf))].sort().join(', ')
  }
}

/**
 * Reads, decodes and resolves the boot file `file`, and boots it once in the model
 * so that a declaration the kernel cannot honour is refused here, naming the path.
 * @public
 */
export function readBootFile(file: string): DeclaredSystem {
  const raw = readJsonInput(BootFileCodec, file)
  const { keyring, real } = readKeyring(file, raw)
  const resolver = new Resolver(file, real)
  const processes = raw.system?.processes ?? []
  const listed = raw.images ?? []
  // Built images first, so that a name may refer to any built image of the file.
  listed.forEach((ref, index) => { if (imageRefKind(ref) === 'path') resolver.load(ref, `$.images[${index}]`) })
  processes.forEach((process, index) => { if (imageRefKind(process.image) === 'path') resolver.load(process.image, `$.system.processes[${index}].image`) })
  const listedImages = listed.map((ref, index) => resolver.resolve(ref, `$.images[${index}]`))
  // kernel.md §4: a boot whose pool names one digest twice is refused, naming the digest (a process may run an image the list names too).
  listedImages.forEach((image, index) => {
    const first = listedImages.findIndex((other) => other.digest === image.digest)
    if (first < index) throw new InputError(file, [`$.images[${index}]: names ${image.digest} again (as $.images[${first}] does): the pool names each image once`])
  })
  const processImages = processes.map((process, index) => resolver.resolve(process.image, `$.system.processes[${index}].image`))
  const images = [...new Map([...listedImages, ...processImages].map((image) => [image.digest, image])).values()]
  const { images: _listed, system, ...rest } = raw
  const config: BootConfig = {
    ...rest, keyring,
    ...(system === undefined ? {} : { system: { ...system, ...(system.processes === undefined ? {} : { processes: system.processes.map((process, index) => ({ ...process, image: processImages[index]!.digest })) }) } }),
  }
  try {
    boot(config, images)
  } catch (error) {
    if (!(error instanceof BootError)) throw error
    throw new InputError(file, [error.message + untrustedHint(error.message, processImages, keyring)])
  }
  // An allowed device no one declares boots (an allowed set is a set of names), but in a file a user writes it is most likely a typo.
  const declared = new Set(config.devices.map((device) => device.name))
  config.root.limits.devices.forEach((name, index) => {
    if (!declared.has(name)) warn(`sila: warning: ${file}: $.root.limits.devices[${index}]: ${JSON.stringify(name)} is allowed but no device of $.devices has that name`)
  })
  return { config, images }
}

/**
 * For a declared process refused because no trusted key signs its image: who
 * does sign it (the images sila ships are signed by key ids a user cannot guess),
 * and whom the keyring trusts, so that the fix is in the message.
 */
function untrustedHint(message: string, processImages: ReadonlyArray<ImageRecord>, keyring: ReadonlyArray<{ readonly keyId: string }>): string {
  const match = /^\$\.system\.processes\[(\d+)\]\.image: not signed by a trusted key/.exec(message)
  const image = match === null ? undefined : processImages[Number(match[1])]
  if (image === undefined) return ''
  const signers = [...new Set(image.signatures.filter((signature) => signature.verifies).map((signature) => JSON.stringify(signature.signer)))]
  const trusted = keyring.length === 0 ? 'trusts no key' : `trusts ${keyring.map((key) => JSON.stringify(key.keyId)).join(', ')}`
  return signers.length === 0 ? `; no valid signature is on it (the keyring ${trusted})` : `; it is signed by ${signers.join(', ')}, the keyring ${trusted}`
}

/**
 * The system of a boot file as a preset for the checkers: its declared processes
 * act, and so does the first process they spawn when one of them holds a
 * container cap (checker/explore/actions.ts `declaredActions`). Refuses a file
 * that declares no process (nothing would act), as a usage error of `command`.
 * @public
 */
export function bootFilePreset(file: string, command: string): Preset {
  const { config, images } = readBootFile(file)
  if ((config.system?.processes ?? []).length === 0) throw new UsageError(`${file}: declares no processes (system.processes), so nothing acts`, command)
  return declaredPreset(file, `the system declared in ${file}`, config, images)
}

/**
 * The most actions a declared system's alphabet may have for a search (2^21,
 * 2,097,152). The alphabet is made in memory, about 200 bytes an action, and the
 * search keeps tables of its own for each: web-app with one process of 64 slots
 * (1,569,750 actions) searched to depth 1 in 12 s at a 1.4 GB peak, with 88 slots
 * (4,082,382) in 45 s at 3.4 GB, and with 128 (12,568,342) its worker ran out of
 * heap after 110 s, before the first level was done (2026-12-07).
 */
export const ALPHABET_ACTIONS_MAX = 2 ** 21

/**
 * Refuses a declared system whose alphabet has more than {@link ALPHABET_ACTIONS_MAX}
 * actions, before any is made, naming the process with the most (its `slots`: a
 * process's actions grow with the cube of its slots). `preset` is what the search
 * takes (its forged images included); counted with the reads `--refine` adds.
 */
export function refuseLargeAlphabet(file: string, preset: Preset): void {
  const { perCaller, total } = declaredAlphabetSizes(preset, true)
  if (total <= ALPHABET_ACTIONS_MAX) return
  const processes = preset.boot.system?.processes ?? []
  const largest = processes.reduce((best, _, index) => ((perCaller[index] ?? 0) > (perCaller[best] ?? 0) ? index : best), 0)
  const process = processes[largest]!
  const count = (n: number) => n.toLocaleString('en')
  throw new InputError(file, [
    `$.system.processes[${largest}].slots: ${process.slots} slots give ${JSON.stringify(process.name)} ${count(perCaller[largest] ?? 0)} actions (an action names up to three slots), the system ${count(total)}: a search takes at most ${count(ALPHABET_ACTIONS_MAX)}`,
  ])
}

/**
 * A declared system (a boot configuration with `system.processes`, and the pool
 * of images its processes may spawn) as a preset for the checkers: the declared
 * processes act, and so does the first process they spawn when one of them holds
 * a container cap. What {@link bootFilePreset} makes of a boot file, and the
 * differential tests of generated systems.
 * @public
 */
export function declaredPreset(name: string, description: string, config: BootConfig, images: ReadonlyArray<ImageRecord>): Preset {
  return { name, description, boot: config, images, actors: declaredActors(config.system), declared: true }
}

/** A system by content: a digest of its boot configuration and images, which `sila merge` compares (a path names it only for one working directory). @public */
export function systemDigest(config: BootConfig, images: ReadonlyArray<ImageRecord>): string {
  return `sha256:${createHash('sha256').update(JSON.stringify({ boot: config, images })).digest('hex')}`
}
