/**
 * The live update with the service's versions taken from a module repository
 * (`sila update-demo --repo DIR --keyring KEYS`): V1 and V2 are resolved there by
 * semver, and the kernel gets their exact bytes, which it verifies itself at
 * spawn against the keyring; the model sees them as symbolic records read from
 * the same directories (`symbolicImage`). The ModuleManager and the clients are
 * boot components, as in `sila pipeline load`: symbolic images trusted by the
 * boot loader.
 *
 * Resolution checks only what the repository index promises (the version is
 * stored, above the floor, under its recorded manifest digest): the signature and
 * every byte are judged by the kernel when the ModuleManager spawns V2, so an
 * image tampered with after it was added is refused there and the update is
 * abandoned with V1 still serving.
 * @module
 */
import type { BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import { implTarget } from '../../refinement/abstraction.js'
import type { RefinementTarget } from '../../refinement/target.js'
import type { Keyring } from '../image/keys.js'
import { ImageError } from '../errors.js'
import { resolveModule, type Resolution } from '../repo/resolve.js'
import { bootWithImages } from '../kernel/boot.js'
import { loadImageBytes, type ImageBytes } from '../kernel/bytes.js'
import { symbolicImage, symbolicTrust } from '../symbolic.js'
import { DEMO_SYSTEM, SERVICE_NAME, type UpdateSystem } from './system.js'

/** What to take from the repository. @public */
export interface RepositoryUpdateOptions {
  readonly repo: string
  readonly keyring: Keyring
  /** The module's name. @defaultValue `counter` */
  readonly name?: string
  /** V1's semver constraint. @defaultValue `^1` */
  readonly from?: string
  /** V2's semver constraint. @defaultValue `^2` */
  readonly to?: string
}

/** One version taken from the repository: where it is, and what the model knows of it. @public */
export interface RepositoryVersion {
  readonly resolution: Resolution
  /** The model's record; null when the manifest cannot even be read (the kernel will not know the image either). */
  readonly record: ImageRecord | null
  readonly bytes: ImageBytes
}

/** An update system over repository images, and the kernel that verifies them. @public */
export interface RepositoryUpdate {
  readonly system: UpdateSystem
  /** Our impl, booted with the two images' bytes (the boot components as records). */
  readonly target: RefinementTarget
  readonly v1: RepositoryVersion
  readonly v2: RepositoryVersion
}

function version(repo: string, name: string, constraint: string, role: string, keyring: Keyring): RepositoryVersion {
  const resolution = resolveModule(repo, name, constraint)
  if (resolution === null) throw new ImageError(repo, 'missing', `holds no ${name} version satisfying ${JSON.stringify(constraint)} (for ${role})`)
  let record: ImageRecord | null
  try {
    // Whether the image verifies against the trusted keys, read independently of the kernel's verifier.
    record = symbolicImage(resolution.path, keyring)
  } catch (error) {
    if (!(error instanceof ImageError)) throw error
    record = null
  }
  return { resolution, record, bytes: loadImageBytes(resolution.path) }
}

/**
 * Resolves V1 and V2 in the repository and builds the system the update runs in:
 * the default boot with the keyring and the repository's floor for the module
 * added to its trust anchors. Throws an {@link ImageError} when a version cannot
 * be resolved (unknown module, nothing satisfies, below the floor, index and
 * layout disagree).
 * @public
 */
export function repositoryUpdate(options: RepositoryUpdateOptions): RepositoryUpdate {
  const name = options.name ?? SERVICE_NAME
  const v1 = version(options.repo, name, options.from ?? '^1', 'V1', options.keyring)
  const v2 = version(options.repo, name, options.to ?? '^2', 'V2', options.keyring)
  const trust = symbolicTrust(options.keyring, v1.resolution.floor === null ? {} : { [name]: v1.resolution.floor })
  // One pool entry per digest (kernel.md §4): V1 and V2 may resolve to the same image.
  const same = v1.resolution.digest === v2.resolution.digest
  const records = (same ? [v1.record] : [v1.record, v2.record]).filter((record): record is ImageRecord => record !== null)
  const boot: BootConfig = {
    ...DEMO_SYSTEM.boot,
    keyring: [...DEMO_SYSTEM.boot.keyring, ...trust.keyring.filter((key) => !DEMO_SYSTEM.boot.keyring.some((known) => known.keyId === key.keyId))],
    floors: { ...DEMO_SYSTEM.boot.floors, ...trust.floors },
  }
  const components = DEMO_SYSTEM.images.filter((image) => image.digest === DEMO_SYSTEM.modules.manager || image.digest === DEMO_SYSTEM.modules.client)
  const system: UpdateSystem = {
    boot,
    images: [...components, ...records],
    modules: { ...DEMO_SYSTEM.modules, v1: v1.resolution.digest, v2: v2.resolution.digest, refused: v2.resolution.digest },
  }
  const bytes = same ? [v1.bytes] : [v1.bytes, v2.bytes]
  const target: RefinementTarget = {
    name: 'impl (repository images)',
    abstraction: implTarget.abstraction as unknown as RefinementTarget['abstraction'],
    create: (config) => bootWithImages(config, bytes, { records: components }),
  }
  return { system, target, v1, v2 }
}
