/**
 * What `sila image inspect` shows: an image's manifest, layers and signature
 * header, read as {@link readImage} reads it — every blob's digest checked and
 * every module layer inflated within its header's sizes and the bound, its
 * inflated bytes checked against the header's digest — but without judging the
 * signature (that is `verify`'s job). A layer that lies about what it holds (a
 * decompression bomb, a wrong uncompressed digest, a stream that is not Brotli)
 * is refused here as everywhere else, never shown as if it were whole.
 * @module
 */
import type { CapRequest } from '../../spec/images.js'
import type { NamespaceConfig } from '../../spec/limits.js'
import { readImage, type ReadOptions } from './reader.js'

/** One layer as `inspect` reports it. @public */
export interface LayerSummary {
  readonly role: 'module' | 'data'
  readonly mediaType: string
  readonly digest: string
  readonly sizeBytes: number
  readonly compression: 'brotli' | 'none'
  readonly uncompressedSizeBytes: number
  readonly uncompressedDigest: string | null
}

/** An image as `inspect` reports it. @public */
export interface ImageSummary {
  readonly dir: string
  readonly name: string
  readonly version: string
  readonly entry: string
  readonly manifest: { readonly digest: string; readonly sizeBytes: number }
  readonly memoryBytes: number
  readonly namespaces: NamespaceConfig | null
  readonly requests: ReadonlyArray<CapRequest>
  readonly layers: ReadonlyArray<LayerSummary>
  /** The first signature's header; null when unsigned. Not verified. */
  readonly signature: SignatureSummary | null
  /** Every signature's header, in index order (an image may carry several, by different keys). Not verified. */
  readonly signatures: ReadonlyArray<SignatureSummary>
}

/** A signature blob's header, as `inspect` reports it. @public */
export interface SignatureSummary {
  readonly algorithm: string
  readonly keyId: string
  readonly digest: string
}

/** Summarizes the image in `dir`; refuses what {@link readImage} refuses (it inflates every module layer, within the bound). @public */
export function inspectImage(dir: string, options: Omit<ReadOptions, 'inflate'> = {}): ImageSummary {
  const image = readImage(dir, { ...options, inflate: true })
  const { manifest } = image
  const signatures = image.signatures.map((blob): SignatureSummary => ({ algorithm: blob.signature.header.algorithm, keyId: blob.signature.header.keyId, digest: blob.digest }))
  return {
    dir, name: manifest.name, version: manifest.version, entry: manifest.entry,
    manifest: { digest: image.manifestDigest, sizeBytes: image.manifestBytes.length },
    memoryBytes: manifest.limits.memoryBytes,
    namespaces: manifest.namespaces ?? null,
    requests: manifest.requests,
    layers: image.layers.map((item) => ({
      role: item.layer.role, mediaType: item.layer.mediaType, digest: item.layer.digest, sizeBytes: item.layer.size,
      compression: item.header?.algorithm ?? 'none',
      uncompressedSizeBytes: item.header?.uncompressedSizeBytes ?? item.blob.length,
      uncompressedDigest: item.header?.uncompressedDigest ?? null,
    })),
    signature: signatures[0] ?? null,
    signatures,
  }
}
