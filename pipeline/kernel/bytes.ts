/**
 * Loading an image's exact bytes for the kernel (pipeline.md §3 step 3): the
 * manifest blob, every signature blob and every layer blob the manifest names, read
 * through the layout with the pipeline's bounded readers but **not** checked
 * against their digests: judging them is the kernel's job, and a tampered blob must
 * reach it as it is. Only the unsigned scaffolding (`oci-layout`, `index.json`) has
 * to make sense for the bytes to be found at all.
 * @module
 */
import { manifestDigest, type ImageBytes } from '../../impl/images.js'
import { ImageError } from '../errors.js'
import { parseJsonBytes, readRegularFile } from '../files.js'
import { blobPath, DOCUMENT_BYTES_MAX, LAYER_BYTES_MAX_DEFAULT, openLayout } from '../image/layout.js'
import { readRepository, storedImagePath } from '../repo/repository.js'

export type { ImageBytes } from '../../impl/images.js'

/** Options of {@link loadImageBytes}. @public */
export interface LoadBytesOptions {
  /** Bound on every blob. @defaultValue 64 MiB */
  readonly layerBytesMax?: number
}

/** The digests of the layers a manifest names, if its bytes are JSON with a `layers` array; none otherwise. */
function layerDigests(manifest: Uint8Array, file: string): string[] {
  let value: unknown
  try {
    value = parseJsonBytes(manifest, file)
  } catch (error) {
    if (error instanceof ImageError) return []
    throw error
  }
  const layers = (value as { layers?: unknown } | null)?.layers
  if (!Array.isArray(layers)) return []
  return layers.flatMap((layer) => {
    const digest = (layer as { digest?: unknown } | null)?.digest
    return typeof digest === 'string' ? [digest] : []
  })
}

/**
 * The bytes of the image in `dir`. Refuses (with an {@link ImageError}) only a
 * layout whose `oci-layout` or `index.json` cannot be read, and a missing or
 * oversized manifest blob: there is then nothing to hand the kernel. A missing or
 * unreadable signature or layer blob is left out; the kernel refuses the image.
 * @public
 */
export function loadImageBytes(dir: string, options: LoadBytesOptions = {}): ImageBytes {
  const bound = options.layerBytesMax ?? LAYER_BYTES_MAX_DEFAULT
  const layout = openLayout(dir)
  const manifestFile = blobPath(dir, layout.manifest.digest)
  const manifest = readRegularFile(manifestFile, DOCUMENT_BYTES_MAX)
  const optional = (read: () => Uint8Array): Uint8Array | null => {
    try {
      return read()
    } catch (error) {
      if (error instanceof ImageError) return null
      throw error
    }
  }
  const signatures = layout.signatures.flatMap((descriptor) => optional(() => readRegularFile(blobPath(dir, descriptor.digest), DOCUMENT_BYTES_MAX)) ?? [])
  const layers = new Map<string, Uint8Array>()
  for (const digest of layerDigests(manifest, manifestFile)) {
    if (layers.has(digest)) continue
    const bytes = optional(() => readRegularFile(blobPath(dir, digest), bound))
    if (bytes !== null) layers.set(digest, bytes)
  }
  return { manifest, layers, signatures }
}

/** One image of a repository, as loaded for the kernel. @public */
export interface RepositoryImage {
  readonly name: string
  readonly version: string
  /** The manifest digest the repository recorded. */
  readonly recorded: string
  readonly dir: string
  readonly bytes: ImageBytes
}

/** What {@link loadRepositoryImages} found: the images it could load, and why it left out the others. @public */
export interface RepositoryImages {
  readonly images: ReadonlyArray<RepositoryImage>
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly version: string; readonly reason: string }>
}

/**
 * The bytes of every image stored in the repository `repo`, in name and version
 * order. Refuses a repository whose `repository.json` cannot be read; an image whose
 * layout cannot be opened is skipped with its reason (the kernel will not know it),
 * and so is all but one of the stored images that hold the same manifest (a swapped
 * or mirrored directory): the kernel takes each manifest digest once, and a pool
 * naming one twice would not boot at all, so one bad directory would stop every
 * load. The one kept is stored where the repository records that manifest, if one
 * is; else the first in name and version order.
 * @public
 */
export function loadRepositoryImages(repo: string, options: LoadBytesOptions = {}): RepositoryImages {
  const { index } = readRepository(repo)
  const images: RepositoryImage[] = []
  const skipped: Array<{ name: string; version: string; reason: string }> = []
  const holders = new Map<string, number>()
  for (const name of Object.keys(index.modules).sort()) {
    const module = index.modules[name]!
    for (const version of Object.keys(module.versions)) {
      const dir = storedImagePath(repo, name, version)
      try {
        const image: RepositoryImage = { name, version, recorded: module.versions[version]!.digest, dir, bytes: loadImageBytes(dir, options) }
        const digest = manifestDigest(image.bytes)
        const held = holders.get(digest)
        if (held === undefined) {
          holders.set(digest, images.length)
          images.push(image)
          continue
        }
        // The copy kept is the one stored where the repository records that manifest, if only one is.
        const [kept, dropped] = images[held]!.recorded !== digest && image.recorded === digest ? [image, images[held]!] : [images[held]!, image]
        images[held] = kept
        skipped.push({ name: dropped.name, version: dropped.version, reason: `holds the manifest ${digest} that ${kept.name}@${kept.version} holds too (the kernel is given each manifest once)` })
      } catch (error) {
        if (!(error instanceof ImageError)) throw error
        skipped.push({ name, version, reason: error.message })
      }
    }
  }
  return { images, skipped }
}
