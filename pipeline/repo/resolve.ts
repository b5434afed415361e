/**
 * Resolving a module by name and semver constraint (pipeline.md §2), with the
 * `semver` package's `maxSatisfying`: the highest stored version that satisfies the
 * constraint and is not below the name's rollback floor. The chosen image is checked
 * against the digest the repository recorded for it and, given a keyring, verified
 * whole.
 * @module
 */
import { gte, lt, maxSatisfying, validRange } from 'semver'
import { own } from '../codecs.js'
import { ImageError } from '../errors.js'
import { layoutFile, openLayout } from '../image/layout.js'
import type { Keyring } from '../image/keys.js'
import { verifyImage } from '../image/verify.js'
import { readRepository, storedImagePath } from './repository.js'

/** A resolved module version. @public */
export interface Resolution {
  readonly name: string
  readonly version: string
  readonly digest: string
  readonly signer: string
  readonly floor: string | null
  /** The stored image's directory. */
  readonly path: string
  /** Whether the image was verified against a keyring (not only its recorded digest). */
  readonly verified: boolean
}

/** Options of {@link resolveModule}. @public */
export interface ResolveOptions {
  /** Verify the chosen image's signature and every byte. @defaultValue only its manifest digest is checked */
  readonly keyring?: Keyring
  readonly layerBytesMax?: number
}

/** Whether `constraint` is a semver range the `semver` package accepts. @public */
export function isConstraint(constraint: string): boolean {
  return validRange(constraint) !== null
}

/**
 * Resolves `name` under `constraint` in the repository `dir`; null when no stored
 * version satisfies it. Refuses a constraint that is not a semver range, an unknown
 * module, a constraint that only versions below the floor satisfy (rollback), a
 * stored image whose manifest digest is not the recorded one (mix-and-match), and,
 * with a keyring, anything {@link verifyImage} refuses. The highest satisfying
 * version is never skipped for a lower one because it fails: that would turn
 * corruption into a downgrade.
 * @public
 */
export function resolveModule(dir: string, name: string, constraint: string, options: ResolveOptions = {}): Resolution | null {
  if (!isConstraint(constraint)) throw new ImageError(`constraint ${JSON.stringify(constraint)}`, 'malformed', 'not a semver range (such as ^1.2.0 or >=1.2.0 <2.0.0)')
  const repository = readRepository(dir)
  const module = own(repository.index.modules, name)
  if (module === undefined) throw new ImageError(repository.file, 'missing', `holds no module named ${JSON.stringify(name)}`)
  const versions = Object.keys(module.versions)
  const floor = module.floor
  const eligible = versions.filter((version) => floor === null || gte(version, floor))
  const version = maxSatisfying(eligible, constraint)
  if (version === null) {
    const below = maxSatisfying(versions.filter((candidate) => floor !== null && lt(candidate, floor)), constraint)
    if (below !== null) {
      throw new ImageError(repository.file, 'rollback', `only ${name}@${below} and older satisfy ${JSON.stringify(constraint)}, below the rollback floor ${floor}`, 'rollback')
    }
    return null
  }
  const entry = module.versions[version]!
  const path = storedImagePath(dir, name, version)
  const layout = openLayout(path)
  if (layout.manifest.digest !== entry.digest) {
    throw new ImageError(layoutFile(path, 'index.json'), 'digest-mismatch', `names the manifest ${layout.manifest.digest} but the repository recorded ${entry.digest} for ${name}@${version}`, 'mix-and-match')
  }
  if (options.keyring !== undefined) {
    const floors = floor === null ? {} : { [name]: floor }
    const image = verifyImage(path, { keyring: options.keyring, floors, floorsSource: repository.file, ...(options.layerBytesMax === undefined ? {} : { layerBytesMax: options.layerBytesMax }) })
    if (image.manifest.name !== name || image.manifest.version !== version) {
      throw new ImageError(image.manifestFile, 'inconsistent', `is ${image.manifest.name}@${image.manifest.version}, stored as ${name}@${version}`, 'mix-and-match')
    }
  }
  return { name, version, digest: entry.digest, signer: entry.signer, floor, path, verified: options.keyring !== undefined }
}
