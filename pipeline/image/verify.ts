/**
 * Verifying an image (pipeline.md §1, §2): every digest and size, a signature by
 * a trusted key over the manifest's digest (an image may carry several, by
 * different keys: one that verifies is enough, as for the kernel, kernel.md §4),
 * the rollback floor, then every layer inflated within its bound and checked
 * against its uncompressed digest. The signature is checked before the manifest is
 * parsed: nothing unsigned is decoded beyond its digest.
 * @module
 */
import { gte } from 'semver'
import { own, type Floors } from '../codecs.js'
import { ImageError } from '../errors.js'
import { layoutFile, openLayout, type Layout } from './layout.js'
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
  /** Judge only the signature blob of this digest, as if the image carried no other. @defaultValue any of them */
  readonly signature?: string
}

/** An image whose every byte is pinned by a signature of a trusted key. @public */
export interface VerifiedImage extends Omit<LoadedImage, 'signatures'> {
  /** The signature that verifies (the first in index order). */
  readonly signature: SignatureBlob
  /** Key id of its signer. */
  readonly signer: string
}

/**
 * The first signature of `layout` by a key of `keyring` that verifies over its
 * manifest's digest (only the one of digest `only`, when given). Refuses an
 * unsigned image, and otherwise gives the refusal of the first signature by a key
 * of the keyring, or failing that of the first signature: a blob that cannot be
 * read, of another manifest, by an unknown key, or that does not verify.
 * @public
 */
export function verifySignatures(layout: Layout, keyring: Keyring, only?: string): SignatureBlob {
  const descriptors = layout.signatures.filter((descriptor) => only === undefined || descriptor.digest === only)
  if (descriptors.length === 0) {
    throw new ImageError(layoutFile(layout.dir, 'index.json'), 'unsigned', only === undefined ? 'the image has no signature' : `the image has no signature blob ${only}`, 'arbitrary package')
  }
  const refusals: Array<{ error: ImageError; byKeyring: boolean }> = []
  for (const descriptor of descriptors) {
    let blob: SignatureBlob | null = null
    try {
      blob = readSignatureBlob(layout, descriptor)
      verifySignature(blob.signature, blob.file, layout.manifest.digest, keyring)
      return blob
    } catch (error) {
      if (!(error instanceof ImageError)) throw error
      refusals.push({ error, byKeyring: blob !== null && keyring.has(blob.signature.header.keyId) })
    }
  }
  throw (refusals.find((refusal) => refusal.byKeyring) ?? refusals[0]!).error
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
 * Verifies the image in `dir`. Refuses what the layout, blob, manifest and layer
 * readers refuse, an image with no signature by a key of the keyring that
 * verifies (see {@link verifySignatures}: arbitrary package), a version below its
 * floor (rollback), and any layer or manifest swapped from another image
 * (mix-and-match).
 * @public
 */
export function verifyImage(dir: string, options: VerifyOptions): VerifiedImage {
  const layout = openLayout(dir)
  const manifestBlob = readManifestBlob(layout)
  const signature = verifySignatures(layout, options.keyring, options.signature)
  const signer = signature.signature.header.keyId
  const manifest = decodeManifest(manifestBlob.bytes, manifestBlob.file)
  checkAnnotations(layout, manifest, layoutFile(dir, 'index.json'))
  checkFloor(manifest, options.floors, manifestBlob.file, options.floorsSource)
  const layers = readLayers(dir, manifest, manifestBlob.file, { inflate: true, ...(options.layerBytesMax === undefined ? {} : { layerBytesMax: options.layerBytesMax }) })
  return { dir, layout, manifestFile: manifestBlob.file, manifestBytes: manifestBlob.bytes, manifestDigest: layout.manifest.digest, manifest, signature, layers, signer }
}
