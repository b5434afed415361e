/**
 * Content-addressed blobs: a blob is read only through a descriptor (digest and
 * size), and only if its bytes are exactly what the descriptor pins.
 * @module
 */
import { blobPath } from './layout.js'
import { ImageError } from '../errors.js'
import { formatBytes, readRegularFile, sha256Digest } from '../files.js'

/** What a blob is read through: the digest that names it and the size it must have. */
export interface BlobRef {
  readonly digest: string
  readonly size: number
}

/** A blob read and checked against its descriptor. */
export interface Blob {
  readonly file: string
  readonly bytes: Uint8Array
}

/**
 * Reads the blob `ref` of the layout `dir`, at most `bytesMax` bytes. Refuses a
 * digest that is a path, a missing or symlinked blob, a descriptor or file over the
 * bound and a file longer than its descriptor (endless data), a file shorter than
 * its descriptor (truncated), and bytes whose sha256 is not the digest (tampered,
 * or swapped in from another image: mix-and-match).
 */
export function readBlob(dir: string, ref: BlobRef, bytesMax: number): Blob {
  const file = blobPath(dir, ref.digest)
  if (ref.size > bytesMax) throw new ImageError(file, 'too-large', `its descriptor declares ${ref.size} bytes, more than the bound of ${formatBytes(bytesMax)}`, 'endless data')
  const bytes = readRegularFile(file, bytesMax, { declaredBytes: ref.size })
  if (bytes.length < ref.size) throw new ImageError(file, 'size-mismatch', `is truncated: ${bytes.length} bytes, its descriptor declares ${ref.size}`)
  const actual = sha256Digest(bytes)
  if (actual !== ref.digest) throw new ImageError(file, 'digest-mismatch', `its content has digest ${actual}, expected ${ref.digest}: tampered with or swapped`, 'mix-and-match')
  return { file, bytes }
}
