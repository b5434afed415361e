/**
 * Module layers: a compression header line, then the payload (Brotli from
 * `node:zlib`, or the bytes as they are). The header states the algorithm, both
 * sizes and the digest of the uncompressed bytes, and inflation is bounded by the
 * smaller of the declared size and the configured bound (decompression bombs).
 * @module
 */
import * as t from 'io-ts'
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib'
import { BOUNDS, intRange } from '../../spec/numbers.js'
import { ImageError } from '../errors.js'
import { decodeJson, formatBytes, frame, sha256Digest, splitFramed } from '../files.js'
import { BlobDigestCodec, MEDIA_TYPES } from './layout.js'

/** Compression algorithms a module layer may use. @public */
export const COMPRESSION_ALGORITHMS = ['brotli', 'none'] as const
/** A compression algorithm. @public */
export type CompressionAlgorithm = (typeof COMPRESSION_ALGORITHMS)[number]

/** A module layer's header line never exceeds this (1 KiB). */
export const COMPRESSION_HEADER_BYTES_MAX = 1024

/** The header line of a module layer. @public */
export const CompressionHeaderCodec = t.type({
  format: t.literal('sila-layer/1'),
  algorithm: t.keyof({ brotli: null, none: null }),
  compressedSizeBytes: intRange(0, BOUNDS.bytesMax, 'Size'),
  uncompressedSizeBytes: intRange(0, BOUNDS.bytesMax, 'Size'),
  uncompressedDigest: BlobDigestCodec,
})
export type CompressionHeader = t.TypeOf<typeof CompressionHeaderCodec>

/** The media type of a module layer compressed with `algorithm`. */
export function moduleMediaType(algorithm: CompressionAlgorithm): string {
  return algorithm === 'brotli' ? MEDIA_TYPES.moduleBrotli : MEDIA_TYPES.moduleStored
}

/** A module layer blob holding `content`, compressed with `algorithm`: header line, then payload. @public */
export function encodeModuleLayer(content: Uint8Array, algorithm: CompressionAlgorithm): Uint8Array {
  const payload = algorithm === 'brotli'
    ? brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: content.length } })
    : content
  const header: CompressionHeader = {
    format: 'sila-layer/1', algorithm, compressedSizeBytes: payload.length, uncompressedSizeBytes: content.length, uncompressedDigest: sha256Digest(content),
  }
  return frame(header, payload)
}

/** Decodes a module layer's header line; refuses an unknown algorithm by name, then anything that fails the codec. */
export function readCompressionHeader(bytes: Uint8Array, file: string): { header: CompressionHeader; payload: Uint8Array } {
  const framed = splitFramed(bytes, file, COMPRESSION_HEADER_BYTES_MAX)
  const algorithm = (framed.header as { algorithm?: unknown } | null)?.algorithm
  if (typeof algorithm === 'string' && !(COMPRESSION_ALGORITHMS as ReadonlyArray<string>).includes(algorithm)) {
    throw new ImageError(file, 'unknown-algorithm', `$.algorithm: unknown compression algorithm ${JSON.stringify(algorithm.slice(0, 40))}; known: ${COMPRESSION_ALGORITHMS.join(', ')}`)
  }
  return { header: decodeJson(CompressionHeaderCodec, framed.header, file), payload: framed.payload }
}

/** A module layer's header and its inflated content. */
export interface InflatedLayer {
  readonly header: CompressionHeader
  readonly content: Uint8Array
}

/**
 * Inflates a module layer blob of media type `mediaType`, refusing: a header that
 * fails its codec or names an unknown algorithm, a header whose algorithm is not
 * the media type's, a payload whose length is not the header's compressed size, a
 * declared uncompressed size over `bytesMax`, a payload that inflates past the
 * declared size (decompression bomb) or to fewer bytes, a corrupt Brotli stream,
 * and inflated bytes whose digest is not the header's.
 */
export function inflateModuleLayer(bytes: Uint8Array, file: string, mediaType: string, bytesMax: number): InflatedLayer {
  const { header, payload } = readCompressionHeader(bytes, file)
  if (moduleMediaType(header.algorithm) !== mediaType) {
    throw new ImageError(file, 'inconsistent', `the header says ${header.algorithm} but the layer's media type is ${mediaType}`)
  }
  if (payload.length !== header.compressedSizeBytes) {
    const longer = payload.length > header.compressedSizeBytes
    throw new ImageError(file, longer ? 'too-large' : 'size-mismatch', `the payload is ${payload.length} bytes, its header declares ${header.compressedSizeBytes}`, longer ? 'endless data' : null)
  }
  if (header.uncompressedSizeBytes > bytesMax) {
    throw new ImageError(file, 'too-large', `declares ${header.uncompressedSizeBytes} uncompressed bytes, more than the bound of ${formatBytes(bytesMax)}`, 'endless data')
  }
  const content = header.algorithm === 'none' ? payload : inflateBrotli(payload, header.uncompressedSizeBytes, file)
  if (content.length > header.uncompressedSizeBytes) {
    throw new ImageError(file, 'too-large', `inflates past the ${header.uncompressedSizeBytes} bytes its header declares (a decompression bomb)`, 'endless data')
  }
  if (content.length < header.uncompressedSizeBytes) {
    throw new ImageError(file, 'size-mismatch', `inflates to ${content.length} bytes, its header declares ${header.uncompressedSizeBytes}`)
  }
  const actual = sha256Digest(content)
  if (actual !== header.uncompressedDigest) {
    throw new ImageError(file, 'digest-mismatch', `the inflated content has digest ${actual}, its header declares ${header.uncompressedDigest}`, 'mix-and-match')
  }
  return { header, content }
}

/** Inflates at most `sizeBytes` bytes: zlib stops and throws as soon as the output would exceed it. */
function inflateBrotli(payload: Uint8Array, sizeBytes: number, file: string): Uint8Array {
  try {
    return brotliDecompressSync(payload, { maxOutputLength: Math.max(1, sizeBytes) })
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ImageError(file, 'too-large', `inflates past the ${sizeBytes} bytes its header declares (a decompression bomb)`, 'endless data')
    }
    throw new ImageError(file, 'malformed', `not a valid Brotli stream: ${(error as Error).message}`)
  }
}
