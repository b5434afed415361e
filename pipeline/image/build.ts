/**
 * Building an image (pipeline.md §1): the module compressed behind its header, data
 * layers as they are, the manifest pinning them all, written as an OCI image
 * layout into a fresh directory, all at once or not at all. The image is unsigned;
 * `sign` adds the signature.
 * @module
 */
import { ImageError } from '../errors.js'
import { formatBytes, jsonText, sha256Digest, writeTreeAtomic, type TreeFile } from '../files.js'
import { encodeModuleLayer, moduleMediaType, type CompressionAlgorithm } from './compression.js'
import { ANNOTATIONS, blobRelativePath, LAYER_BYTES_MAX_DEFAULT, makeIndex, MEDIA_TYPES, OCI_LAYOUT, type Descriptor } from './layout.js'
import { encodeManifest, makeManifest, type Layer, type ManifestInput } from './manifest.js'

/** A file given to `build`: its name (for messages) and its bytes. @public */
export interface SourceFile {
  readonly file: string
  readonly bytes: Uint8Array
}

/** What an image is built from. @public */
export interface BuildInput {
  /** The decoded manifest input and the file it came from. */
  readonly manifest: ManifestInput
  readonly manifestFile: string
  readonly module: SourceFile
  readonly data?: ReadonlyArray<SourceFile>
  /** @defaultValue `'brotli'` */
  readonly compression?: CompressionAlgorithm
  /** Bound on every layer. @defaultValue 64 MiB */
  readonly layerBytesMax?: number
}

/** A built image. @public */
export interface BuiltImage {
  readonly dir: string
  readonly manifestDigest: string
  readonly layers: ReadonlyArray<Layer>
}

/** The descriptor of the manifest in `index.json`, annotated with the module's name and version. */
export function manifestDescriptor(digest: string, size: number, name: string, version: string): Descriptor {
  return {
    mediaType: MEDIA_TYPES.manifest, digest, size,
    annotations: { [ANNOTATIONS.refName]: version, [ANNOTATIONS.moduleName]: name, [ANNOTATIONS.moduleVersion]: version },
  }
}

/**
 * Builds an unsigned image into `out`, which must not exist. Refuses a module or
 * data file over the bound, and a manifest whose `limits.memoryBytes` is smaller
 * than the layers it would hold.
 * @public
 */
export function buildImage(input: BuildInput, out: string): BuiltImage {
  const bytesMax = input.layerBytesMax ?? LAYER_BYTES_MAX_DEFAULT
  const sources = [input.module, ...(input.data ?? [])]
  for (const source of sources) {
    if (source.bytes.length > bytesMax) throw new ImageError(source.file, 'too-large', `is ${source.bytes.length} bytes, more than the layer bound of ${formatBytes(bytesMax)}`, 'endless data')
  }
  const contentBytes = sources.reduce((sum, source) => sum + source.bytes.length, 0)
  if (contentBytes > input.manifest.limits.memoryBytes) {
    throw new ImageError(input.manifestFile, 'inconsistent', `$.limits.memoryBytes: is ${input.manifest.limits.memoryBytes} but the module and data layers hold ${contentBytes} bytes`)
  }
  const compression = input.compression ?? 'brotli'
  const blobs: Uint8Array[] = []
  const layers: Layer[] = []
  const addLayer = (blob: Uint8Array, mediaType: Layer['mediaType'], role: Layer['role']): void => {
    blobs.push(blob)
    layers.push({ digest: sha256Digest(blob), mediaType, size: blob.length, role })
  }
  addLayer(encodeModuleLayer(input.module.bytes, compression), moduleMediaType(compression) as Layer['mediaType'], 'module')
  for (const data of input.data ?? []) addLayer(data.bytes, MEDIA_TYPES.data, 'data')
  const manifestBytes = encodeManifest(makeManifest(input.manifest, layers))
  const manifestDigest = sha256Digest(manifestBytes)
  const index = makeIndex(manifestDescriptor(manifestDigest, manifestBytes.length, input.manifest.name, input.manifest.version), [])
  const files = new Map<string, Uint8Array>([
    ['oci-layout', Buffer.from(jsonText(OCI_LAYOUT))],
    ['index.json', Buffer.from(jsonText(index))],
    [blobRelativePath(manifestDigest), manifestBytes],
  ])
  layers.forEach((layer, position) => files.set(blobRelativePath(layer.digest), blobs[position]!))
  writeTreeAtomic(out, [...files].map(([path, data]): TreeFile => ({ path, data })))
  return { dir: out, manifestDigest, layers }
}
