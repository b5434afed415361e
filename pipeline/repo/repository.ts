/**
 * The module repository (pipeline.md §2): a directory with `repository.json`, an
 * index from module name to versions and a rollback floor per name, and the images
 * themselves under `images/<name>/<version>/`. Images enter only verified (a
 * trusted signature, at or above the floor), and what is stored is exactly the bytes
 * that were verified. Floors only rise.
 * @module
 */
import * as t from 'io-ts'
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import { compare, gt, lt } from 'semver'
import { writeFileAtomic } from '../../cli/output.js'
import { SemverCodec } from '../../spec/images.js'
import { stringMatching } from '../../spec/numbers.js'
import { ModuleNameCodec, own, recordOf, type Floors } from '../codecs.js'
import { ImageError } from '../errors.js'
import { asWriteError, exists, jsonText, readJsonFile, writeTreeAtomic, type TreeFile } from '../files.js'
import { blobRelativePath, BlobDigestCodec, makeIndex, OCI_LAYOUT } from '../image/layout.js'
import type { Keyring } from '../image/keys.js'
import { verifyImage, type VerifiedImage } from '../image/verify.js'

/** The name of a repository's index file. */
export const REPOSITORY_FILE = 'repository.json'
/** `repository.json` files larger than this are refused (16 MiB). */
const REPOSITORY_BYTES_MAX = 16 * 1024 * 1024

/** One stored version of a module. @public */
export const VersionEntryCodec = t.type({
  digest: BlobDigestCodec,
  signer: stringMatching(/^[0-9a-f]{16}$/, 16, 'KeyId'),
  algorithm: t.keyof({ 'ML-DSA-65': null, 'ML-DSA-87': null }),
})
export type VersionEntry = t.TypeOf<typeof VersionEntryCodec>

/** One module: its rollback floor and its versions. @public */
export const ModuleEntryCodec = t.type({
  /** The lowest version that may be added or resolved; null for none. Only rises. */
  floor: t.union([SemverCodec, t.null]),
  versions: recordOf(SemverCodec, VersionEntryCodec, 'Versions'),
})
export type ModuleEntry = t.TypeOf<typeof ModuleEntryCodec>

/** `repository.json`. @public */
export const RepositoryIndexCodec = t.type({
  format: t.literal('sila-repository/1'),
  modules: recordOf(ModuleNameCodec, ModuleEntryCodec, 'Modules'),
})
export type RepositoryIndex = t.TypeOf<typeof RepositoryIndexCodec>

/** A repository as read. @public */
export interface Repository {
  readonly dir: string
  readonly file: string
  readonly index: RepositoryIndex
}

/** The path of `repository.json` in `dir`. */
export function repositoryFile(dir: string): string {
  return join(dir, REPOSITORY_FILE)
}

/**
 * Reads the repository in `dir`. Refuses a missing or symlinked `repository.json`,
 * invalid JSON, and anything that fails {@link RepositoryIndexCodec}: a module name
 * that is not a safe directory name, a version or floor that is not semver.
 * @public
 */
export function readRepository(dir: string): Repository {
  const file = repositoryFile(dir)
  return { dir, file, index: readJsonFile(RepositoryIndexCodec, file, REPOSITORY_BYTES_MAX) }
}

/** The directory of `name@version` in a repository; refuses one that would leave `images/`. @public */
export function storedImagePath(dir: string, name: string, version: string): string {
  if (!ModuleNameCodec.is(name) || !SemverCodec.is(version)) throw new ImageError(repositoryFile(dir), 'unsafe-path', `${JSON.stringify(name)}@${JSON.stringify(version)} is not a safe image path`)
  const root = resolve(dir, 'images')
  const path = resolve(root, name, version)
  if (!path.startsWith(root + sep)) throw new ImageError(repositoryFile(dir), 'unsafe-path', `${name}@${version} resolves outside images/`)
  return join(dir, 'images', name, version)
}

function emptyIndex(): RepositoryIndex {
  return { format: 'sila-repository/1', modules: {} }
}

/** Sorted copies: modules by name, versions by semver, so the file diffs well. */
function canonical(index: RepositoryIndex): RepositoryIndex {
  // Object.fromEntries defines own properties: a module called __proto__ stays a module.
  const modules = Object.fromEntries(Object.keys(index.modules).sort().map((name) => {
    const entry = index.modules[name]!
    const versions = Object.fromEntries(Object.keys(entry.versions).sort(compare).map((version) => [version, entry.versions[version]!]))
    return [name, { floor: entry.floor, versions }]
  }))
  return { format: index.format, modules }
}

function writeRepository(dir: string, index: RepositoryIndex): void {
  try {
    writeFileAtomic(repositoryFile(dir), jsonText(canonical(index)))
  } catch (error) {
    throw asWriteError(error, repositoryFile(dir))
  }
}

/** The repository in `dir`, or an empty one (not yet written) if `dir` is missing or an empty directory. */
function openOrEmpty(dir: string): Repository {
  if (exists(repositoryFile(dir))) return readRepository(dir)
  if (exists(dir)) {
    if (!statSync(dir).isDirectory()) throw new ImageError(dir, 'unwritable', 'is a file, not a repository directory')
    if (readdirSync(dir).length > 0) throw new ImageError(repositoryFile(dir), 'missing', 'no such file: the directory is not empty and is not a repository')
  }
  return { dir, file: repositoryFile(dir), index: emptyIndex() }
}

/** What `addImage` did. @public */
export interface AddResult {
  readonly name: string
  readonly version: string
  readonly digest: string
  readonly signer: string
  /** `false` when the same version with the same digest was already there. */
  readonly added: boolean
  readonly floor: string | null
  readonly path: string
}

/** The files of a verified image, exactly its verified bytes (the signature that verified, not the others), with a fresh `index.json`. */
function verifiedTree(image: VerifiedImage): TreeFile[] {
  const signature = image.layout.signatures.find((descriptor) => descriptor.digest === image.signature.digest)!
  const files = new Map<string, Uint8Array>([
    ['oci-layout', Buffer.from(jsonText(OCI_LAYOUT))],
    ['index.json', Buffer.from(jsonText(makeIndex(image.layout.manifest, [signature])))],
    [blobRelativePath(image.manifestDigest), image.manifestBytes],
    [blobRelativePath(image.signature.digest), image.signature.bytes],
  ])
  for (const layer of image.layers) files.set(blobRelativePath(layer.layer.digest), layer.blob)
  return [...files].map(([path, data]) => ({ path, data }))
}

/** Options of {@link addImage}. @public */
export interface AddOptions {
  readonly keyring: Keyring
  /** Raise the name's floor to this version once added. @defaultValue false */
  readonly raiseFloor?: boolean
  readonly layerBytesMax?: number
}

/**
 * Adds the image in `imageDir` to the repository in `dir` (created, once the image
 * has verified, if missing).
 * Refuses what {@link verifyImage} refuses, with the repository's floors: an
 * untrusted or bad signature (arbitrary package), a version below its name's floor
 * (rollback), any byte not pinned by the signature; and a version already present
 * with another digest (a published version never changes). The image is written
 * into a temporary directory and renamed into place, then `repository.json` is
 * replaced atomically.
 * @public
 */
export function addImage(dir: string, imageDir: string, options: AddOptions): AddResult {
  const repository = openOrEmpty(dir)
  const floors: Floors = Object.fromEntries(Object.entries(repository.index.modules).flatMap(([name, entry]) => (entry.floor === null ? [] : [[name, entry.floor]])))
  const image = verifyImage(imageDir, { keyring: options.keyring, floors, floorsSource: repository.file, ...(options.layerBytesMax === undefined ? {} : { layerBytesMax: options.layerBytesMax }) })
  const { name, version } = image.manifest
  const target = storedImagePath(dir, name, version)
  const module = own(repository.index.modules, name) ?? { floor: null, versions: {} }
  const present = own(module.versions, version)
  const newFloor = options.raiseFloor === true && (module.floor === null || gt(version, module.floor)) ? version : module.floor
  const result = { name, version, digest: image.manifestDigest, signer: image.signer, floor: newFloor, path: target }
  if (present !== undefined) {
    if (present.digest !== image.manifestDigest) {
      throw new ImageError(repository.file, 'exists', `already holds ${name}@${version} with manifest ${present.digest}, not ${image.manifestDigest}: a published version never changes`)
    }
    if (newFloor !== module.floor) writeRepository(dir, { ...repository.index, modules: { ...repository.index.modules, [name]: { ...module, floor: newFloor } } })
    return { ...result, added: false }
  }
  // A new repository is a repository from its first file on: an add interrupted after this leaves an empty one, not a directory every later command refuses.
  if (!exists(repository.file)) {
    try {
      mkdirSync(dir, { recursive: true })
    } catch (error) {
      throw asWriteError(error, repository.file)
    }
    writeRepository(dir, repository.index)
  }
  // A directory left by an interrupted add is not in the index: it is replaced.
  if (exists(target)) rmSync(target, { recursive: true, force: true })
  writeTreeAtomic(target, verifiedTree(image))
  const entry: VersionEntry = { digest: image.manifestDigest, signer: image.signer, algorithm: image.signature.signature.header.algorithm }
  writeRepository(dir, { ...repository.index, modules: { ...repository.index.modules, [name]: { floor: newFloor, versions: { ...module.versions, [version]: entry } } } })
  return { ...result, added: true }
}

/**
 * Raises the rollback floor of `name` to `version`. Refuses an unknown module and a
 * floor lower than the current one: floors only rise (lowering one would let a
 * rollback through).
 * @public
 */
export function raiseFloor(dir: string, name: string, version: string): { name: string; previous: string | null; floor: string } {
  const repository = readRepository(dir)
  const module = own(repository.index.modules, name)
  if (module === undefined) throw new ImageError(repository.file, 'missing', `holds no module named ${JSON.stringify(name)}`)
  if (module.floor !== null && lt(version, module.floor)) {
    throw new ImageError(repository.file, 'rollback', `the floor of ${name} is ${module.floor}; lowering it to ${version} is refused, floors only rise`, 'rollback')
  }
  writeRepository(dir, { ...repository.index, modules: { ...repository.index.modules, [name]: { ...module, floor: version } } })
  return { name, previous: module.floor, floor: version }
}

/** One row of `sila repo list`. @public */
export interface ListedVersion {
  readonly name: string
  readonly version: string
  readonly digest: string
  readonly signer: string
  readonly algorithm: string
  readonly floor: string | null
  /** Below the floor: kept, never resolved. */
  readonly belowFloor: boolean
}

/** Every stored version, by name then version. @public */
export function listRepository(dir: string): ListedVersion[] {
  const { index } = readRepository(dir)
  return Object.keys(index.modules).sort().flatMap((name) => {
    const module = index.modules[name]!
    return Object.keys(module.versions).sort(compare).map((version) => ({
      name, version, ...module.versions[version]!, floor: module.floor, belowFloor: module.floor !== null && lt(version, module.floor),
    }))
  })
}
