/**
 * Verifying an image (pipeline.md §1, §2): every digest and size, the signature by
 * a trusted key over the manifest's digest, the rollback floor, then every layer
 * inflated within its bound and checked against its uncompressed digest. The
 * signature is checked before the manifest is parsed: nothing unsigned is decoded
 * beyond its digest.
 * @module
 */
import { gte } from 'semver'
import { own, type Floors } from '../codecs.js'
import { ImageError } from '../errors.js'
import { layoutFile, openLayout } from './layout.js'
import { decodeManifest, type Manifest } from './manifest.js'
import { checkAnnotations, readLayers, readManifestBlob, readSignatureBlob, type LoadedImage, type SignatureBlob } from './reader.js'
import { verifySignature } from './signature.js'
import type { Keyring } from './keys.js'

/** What an image is verified against. @public */
export interface VerifyOptions {
  /** The trusted public keys. */
  readonly keyring: Keyring
  /** The lowest acceptable version per module name. @defaultValue no floors */
  readonly floors?: Floors
  /** Where the floors came from, for messages (a floors file, a repository). */
  readonly floorsSource?: string
  /** Bound on every blob and every inflated layer. @defaultValue 64 MiB */
  readonly layerBytesMax?: number
}

/** An image whose every byte is pinned by a signature of a trusted key. @public */
export interface VerifiedImage extends LoadedImage {
  readonly signature: SignatureBlob
  /** Key id of the signer. */
  readonly signer: string
}

/**
 * Refuses a version below its name's rollback floor; `file` is named in the
 * refusal, and `floorsSource` (where the floors came from) when given.
 * @public
 */
export function checkFloor(manifest: Pick<Manifest, 'name' | 'version'>, floors: Floors | undefined, file: string, floorsSource?: string): void {
  const floor = own(floors, manifest.name)
  if (floor !== undefined && !gte(manifest.version, floor)) {
    const source = floorsSource === undefined ? '' : ` set in ${floorsSource}`
    throw new ImageError(file, 'rollback', `${manifest.name}@${manifest.version} is below the rollback floor ${floor}${source}`, 'rollback')
  }
}

/**
 * Verifies the image in `dir`. Refuses what the layout, blob, signature, manifest
 * and layer readers refuse, an unsigned image, a signature by a key outside the
 * keyring or that does not verify (arbitrary package), a version below its floor
 * (rollback), and any layer or manifest swapped from another image (mix-and-match).
 * @public
 */
export function verifyImage(dir: string, options: VerifyOptions): VerifiedImage {
  const layout = openLayout(dir)
  const manifestBlob = readManifestBlob(layout)
  const signature = readSignatureBlob(layout)
  if (signature === null) throw new ImageError(layoutFile(dir, 'index.json'), 'unsigned', 'the image has no signature', 'arbitrary package')
  const signer = verifySignature(signature.signature, signature.file, layout.manifest.digest, options.keyring)
  const manifest = decodeManifest(manifestBlob.bytes, manifestBlob.file)
  checkAnnotations(layout, manifest, layoutFile(dir, 'index.json'))
  checkFloor(manifest, options.floors, manifestBlob.file, options.floorsSource)
  const layers = readLayers(dir, manifest, manifestBlob.file, { inflate: true, ...(options.layerBytesMax === undefined ? {} : { layerBytesMax: options.layerBytesMax }) })
  return { dir, layout, manifestFile: manifestBlob.file, manifestBytes: manifestBlob.bytes, manifestDigest: layout.manifest.digest, manifest, signature, layers, signer }
}
