/**
 * Reading a whole image: the layout, the manifest blob, the signature blob and
 * every layer, each checked against what pins it. `verify` adds the signature and
 * the rollback floor on top; `inspect` and `sign` read through here unsigned.
 * @module
 */
import { ImageError } from '../errors.js'
import { formatBytes } from '../files.js'
import { readBlob, type Blob } from './blobs.js'
import { inflateModuleLayer, readCompressionHeader, type CompressionHeader } from './compression.js'
import { ANNOTATIONS, DOCUMENT_BYTES_MAX, LAYER_BYTES_MAX_DEFAULT, layoutFile, MEDIA_TYPES, openLayout, type Descriptor, type Layout } from './layout.js'
import { decodeManifest, type Layer, type Manifest } from './manifest.js'
import { decodeSignature, type Signature } from './signature.js'

/** How much an image reader reads. @public */
export interface ReadOptions {
  /** Bound on every blob and every inflated layer. @defaultValue 64 MiB */
  readonly layerBytesMax?: number
  /** Inflate module layers and check their uncompressed digests. @defaultValue true */
  readonly inflate?: boolean
}

/** One layer of a read image. @public */
export interface ImageLayer {
  readonly layer: Layer
  readonly file: string
  /** The blob as stored. */
  readonly blob: Uint8Array
  /** The compression header of a module layer; null for a data layer. */
  readonly header: CompressionHeader | null
  /** The layer's content: inflated for a module layer (null when not inflated), the blob itself for a data layer. */
  readonly content: Uint8Array | null
}

/** A signature blob as read. @public */
export interface SignatureBlob {
  readonly file: string
  readonly digest: string
  /** The blob as stored. */
  readonly bytes: Uint8Array
  readonly signature: Signature
}

/** An image read from disk, every digest checked. @public */
export interface LoadedImage {
  readonly dir: string
  readonly layout: Layout
  readonly manifestFile: string
  readonly manifestBytes: Uint8Array
  readonly manifestDigest: string
  readonly manifest: Manifest
  /** Every signature blob, in index order; none when the image is not signed. */
  readonly signatures: ReadonlyArray<SignatureBlob>
  readonly layers: ReadonlyArray<ImageLayer>
}

/** The manifest blob of `layout`, its size and digest checked (see {@link readBlob}). */
export function readManifestBlob(layout: Layout): Blob {
  return readBlob(layout.dir, layout.manifest, DOCUMENT_BYTES_MAX)
}

/** The signature blob `descriptor` of `layout` names; refuses what {@link readBlob} and {@link decodeSignature} refuse. */
export function readSignatureBlob(layout: Layout, descriptor: Descriptor): SignatureBlob {
  const blob = readBlob(layout.dir, descriptor, DOCUMENT_BYTES_MAX)
  return { file: blob.file, digest: descriptor.digest, bytes: blob.bytes, signature: decodeSignature(blob.bytes, blob.file) }
}

/** Every signature blob of `layout`, in index order (none if unsigned); refuses what {@link readSignatureBlob} refuses. */
export function readSignatureBlobs(layout: Layout): SignatureBlob[] {
  return layout.signatures.map((descriptor) => readSignatureBlob(layout, descriptor))
}

/** Refuses `index.json` annotations that name another module or version than the manifest does (an index edited after signing). */
export function checkAnnotations(layout: Layout, manifest: Manifest, indexFile: string): void {
  const annotations = layout.manifest.annotations ?? {}
  const expected: ReadonlyArray<[string, string]> = [
    [ANNOTATIONS.moduleName, manifest.name], [ANNOTATIONS.moduleVersion, manifest.version], [ANNOTATIONS.refName, manifest.version],
  ]
  for (const [key, value] of expected) {
    const found = annotations[key]
    if (found !== undefined && found !== value) {
      throw new ImageError(indexFile, 'inconsistent', `the manifest descriptor's annotation ${key} is ${JSON.stringify(found)} but the manifest says ${JSON.stringify(value)}`, 'mix-and-match')
    }
  }
}

/**
 * Reads every layer `manifest` pins. Refuses what {@link readBlob} and
 * {@link inflateModuleLayer} refuse, and layers whose contents add up to more than
 * the manifest's `limits.memoryBytes` (the image would occupy more than it is charged).
 */
export function readLayers(dir: string, manifest: Manifest, manifestFile: string, options: ReadOptions = {}): ImageLayer[] {
  const bytesMax = options.layerBytesMax ?? LAYER_BYTES_MAX_DEFAULT
  const layers = manifest.layers.map((layer): ImageLayer => {
    const blob = readBlob(dir, layer, bytesMax)
    if (layer.mediaType === MEDIA_TYPES.data) return { layer, file: blob.file, blob: blob.bytes, header: null, content: blob.bytes }
    if (options.inflate === false) {
      const { header } = readCompressionHeader(blob.bytes, blob.file)
      if (header.uncompressedSizeBytes > bytesMax) {
        throw new ImageError(blob.file, 'too-large', `declares ${header.uncompressedSizeBytes} uncompressed bytes, more than the bound of ${formatBytes(bytesMax)}`, 'endless data')
      }
      return { layer, file: blob.file, blob: blob.bytes, header, content: null }
    }
    const inflated = inflateModuleLayer(blob.bytes, blob.file, layer.mediaType, bytesMax)
    return { layer, file: blob.file, blob: blob.bytes, header: inflated.header, content: inflated.content }
  })
  const totalBytes = layers.reduce((sum, item) => sum + (item.header?.uncompressedSizeBytes ?? item.blob.length), 0)
  if (totalBytes > manifest.limits.memoryBytes) {
    throw new ImageError(manifestFile, 'inconsistent', `$.limits.memoryBytes: is ${manifest.limits.memoryBytes} but the layers hold ${totalBytes} bytes once inflated`)
  }
  return layers
}

/**
 * Reads an image without looking at who signed it: the layout, the manifest (its
 * digest and codec), every signature blob (its digest and header, not its
 * validity) and every layer.
 * @public
 */
export function readImage(dir: string, options: ReadOptions = {}): LoadedImage {
  const layout = openLayout(dir)
  const manifestBlob = readManifestBlob(layout)
  const signatures = readSignatureBlobs(layout)
  const manifest = decodeManifest(manifestBlob.bytes, manifestBlob.file)
  checkAnnotations(layout, manifest, layoutFile(dir, 'index.json'))
  const layers = readLayers(dir, manifest, manifestBlob.file, options)
  return { dir, layout, manifestFile: manifestBlob.file, manifestBytes: manifestBlob.bytes, manifestDigest: layout.manifest.digest, manifest, signatures, layers }
}
