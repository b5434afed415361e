/**
 * The image as an OCI image layout directory (pipeline.md §1): `oci-layout`,
 * `index.json` and content-addressed `blobs/sha256/<hex>`, with SILA's own media
 * types. This file holds the names and codecs of the layout and its one reader of
 * the unsigned parts, `oci-layout` and `index.json`.
 * @module
 */
import * as t from 'io-ts'
import { join, resolve, sep } from 'node:path'
import { BOUNDS, intRange } from '../../spec/numbers.js'
import { ImageError } from '../errors.js'
import { decodeJson, parseJsonBytes, readRegularFile } from '../files.js'

/** Media types of the layout's documents and blobs. @public */
export const MEDIA_TYPES = {
  /** The OCI index, `index.json`. */
  index: 'application/vnd.oci.image.index.v1+json',
  /** The SILA manifest blob (JSON). */
  manifest: 'application/vnd.sila.manifest.v1+json',
  /** A module layer: compression header, then a Brotli payload. */
  moduleBrotli: 'application/vnd.sila.module.layer.v1+brotli',
  /** A module layer: compression header (algorithm `none`), then the bytes as they are. */
  moduleStored: 'application/vnd.sila.module.layer.v1',
  /** A data layer: initial data or configuration, the bytes as they are, no header. */
  data: 'application/vnd.sila.data.layer.v1',
  /** The signature blob: a header line, then the raw ML-DSA signature. */
  signature: 'application/vnd.sila.signature.v1',
} as const

/** Annotations SILA puts on the manifest descriptor in `index.json`. @public */
export const ANNOTATIONS = {
  /** The OCI tag: the module's version. */
  refName: 'org.opencontainers.image.ref.name',
  moduleName: 'dev.sila.module.name',
  moduleVersion: 'dev.sila.module.version',
  /** On the signature descriptor: the digest of the manifest it signs. */
  signatureSubject: 'dev.sila.signature.subject',
} as const

/** The contents of `oci-layout`. */
export const OCI_LAYOUT = { imageLayoutVersion: '1.0.0' } as const

/** Default bound on any blob and on any inflated layer: 64 MiB (the endless-data defence). @public */
export const LAYER_BYTES_MAX_DEFAULT = 64 * 1024 * 1024
/** `index.json` and the manifest blob are at most 1 MiB. */
export const DOCUMENT_BYTES_MAX = 1024 * 1024
/** An image carries at most this many signatures (each by its own key). @public */
export const SIGNATURES_MAX = 16

const HEX64 = /^[0-9a-f]{64}$/

/** A blob digest as OCI descriptors carry it: `sha256:<64 lowercase hex>`. */
export const BlobDigestCodec = new t.Type<string, string, unknown>(
  'Digest',
  (u): u is string => typeof u === 'string' && u.startsWith('sha256:') && HEX64.test(u.slice(7)),
  (u, c) => (typeof u === 'string' && u.startsWith('sha256:') && HEX64.test(u.slice(7)) ? t.success(u) : t.failure(u, c, 'expected sha256:<64 hex digits>')),
  t.identity,
)

const AnnotationsCodec = t.record(t.string, t.string)

/** An OCI content descriptor. */
export const DescriptorCodec = t.intersection([
  t.type({ mediaType: t.string, digest: BlobDigestCodec, size: intRange(0, BOUNDS.bytesMax, 'Size') }),
  t.partial({ annotations: AnnotationsCodec, artifactType: t.string }),
])
export type Descriptor = t.TypeOf<typeof DescriptorCodec>

/** `index.json`: an OCI image index. */
export const IndexCodec = t.intersection([
  t.type({ schemaVersion: t.literal(2), manifests: t.array(DescriptorCodec) }),
  t.partial({ mediaType: t.literal(MEDIA_TYPES.index), annotations: AnnotationsCodec }),
])
export type OciIndex = t.TypeOf<typeof IndexCodec>

/** The parts of an image found through `index.json`. */
export interface Layout {
  readonly dir: string
  readonly index: OciIndex
  readonly manifest: Descriptor
  /** The signature descriptors, in index order; none when the image is not signed. */
  readonly signatures: ReadonlyArray<Descriptor>
}

/** Paths of the layout's fixed files. */
export function layoutFile(dir: string, name: 'oci-layout' | 'index.json'): string {
  return join(dir, name)
}

/** `true` when `text` looks like a file path rather than a digest: a separator, `..`, or a leading `/` or drive. */
function looksLikePath(text: string): boolean {
  return text.includes('/') || text.includes('\\') || text.includes('..') || /^[A-Za-z]:/.test(text.replace(/^sha256:/, ''))
}

/**
 * Refuses descriptor digests that are paths (`../x`, `/etc/x`, `sha256:../../x`)
 * before any codec sees them, so that the refusal says what it is. Looks at every
 * `digest` field of a JSON document, at any depth; returns nothing when there is none.
 */
export function refusePathDigests(value: unknown, file: string): void {
  // Depth first in document order, with a stack of its own: a document nested thousands deep is read, not a stack overflow.
  const pending: Array<{ readonly value: unknown; readonly path: string; readonly key: string | null }> = [{ value, path: '$', key: null }]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value: node, path, key } = next
    if (key === 'digest' && typeof node === 'string' && looksLikePath(node)) {
      throw new ImageError(file, 'unsafe-path', `${path}: expected sha256:<64 hex digits>, found the path ${JSON.stringify(node.slice(0, 80))}; paths out of blobs/sha256/ are refused`)
    }
    if (Array.isArray(node)) {
      for (let index = node.length - 1; index >= 0; index--) pending.push({ value: node[index], path: `${path}[${index}]`, key: null })
    } else if (typeof node === 'object' && node !== null) {
      const entries = Object.entries(node)
      for (let index = entries.length - 1; index >= 0; index--) pending.push({ value: entries[index]![1], path: keyPath(path, entries[index]![0]), key: entries[index]![0] })
    }
  }
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
}

/**
 * The path of a blob: `DIR/blobs/sha256/<hex>`. Refuses a digest that is not
 * `sha256:<64 hex>` and, as a second check, any result outside `DIR/blobs/sha256/`.
 */
export function blobPath(dir: string, digest: string): string {
  const text: string = digest
  if (!BlobDigestCodec.is(digest)) throw new ImageError(join(dir, 'blobs'), looksLikePath(text) ? 'unsafe-path' : 'malformed', `not a blob digest: ${JSON.stringify(text.slice(0, 80))}`)
  const root = resolve(dir, 'blobs', 'sha256')
  const path = resolve(root, digest.slice(7))
  if (!path.startsWith(root + sep)) throw new ImageError(join(dir, 'blobs'), 'unsafe-path', `digest ${digest} resolves outside blobs/sha256/`)
  return join(dir, 'blobs', 'sha256', digest.slice(7))
}

/** The relative path of a blob inside a layout, for writing one. */
export function blobRelativePath(digest: string): string {
  return `blobs/sha256/${digest.slice(7)}`
}

/** The `index.json` of an image whose manifest is `manifest`, signed by the signature blobs `signatures` (none: unsigned). */
export function makeIndex(manifest: Descriptor, signatures: ReadonlyArray<Descriptor>): OciIndex {
  return { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [manifest, ...signatures] }
}

/** What `index.json` says: the index, its manifest descriptor and its signature descriptors. */
export interface DecodedIndex {
  readonly index: OciIndex
  readonly manifest: Descriptor
  readonly signatures: ReadonlyArray<Descriptor>
}

/**
 * Decodes the bytes of `index.json` read from `file`. Refuses invalid UTF-8 or
 * JSON, a digest that is a path, an index that fails its codec, an index without
 * exactly one SILA manifest, with more than {@link SIGNATURES_MAX} signatures, one
 * signature blob listed twice, or any other media type, a manifest descriptor over
 * the document bound, and a signature descriptor whose subject is not the manifest
 * (a signature taken from another image).
 */
export function decodeIndex(bytes: Uint8Array, file: string): DecodedIndex {
  const raw = parseJsonBytes(bytes, file)
  refusePathDigests(raw, file)
  const index = decodeJson(IndexCodec, raw, file)
  const manifests: Descriptor[] = []
  const signatures: Descriptor[] = []
  index.manifests.forEach((descriptor, position) => {
    if (descriptor.mediaType === MEDIA_TYPES.manifest) manifests.push(descriptor)
    else if (descriptor.mediaType === MEDIA_TYPES.signature) signatures.push(descriptor)
    else throw new ImageError(file, 'malformed', `$.manifests[${position}].mediaType: expected ${MEDIA_TYPES.manifest} or ${MEDIA_TYPES.signature}, found ${JSON.stringify(descriptor.mediaType.slice(0, 80))}`)
  })
  if (manifests.length !== 1) throw new ImageError(file, 'malformed', `$.manifests: expected exactly one ${MEDIA_TYPES.manifest} descriptor, found ${manifests.length}`)
  if (signatures.length > SIGNATURES_MAX) throw new ImageError(file, 'malformed', `$.manifests: expected at most ${SIGNATURES_MAX} ${MEDIA_TYPES.signature} descriptors, found ${signatures.length}`)
  const manifest = manifests[0]!
  if (manifest.size > DOCUMENT_BYTES_MAX) throw new ImageError(file, 'too-large', `the manifest descriptor declares ${manifest.size} bytes, more than ${DOCUMENT_BYTES_MAX}`, 'endless data')
  signatures.forEach((signature, position) => {
    if (signatures.findIndex((other) => other.digest === signature.digest) !== position) {
      throw new ImageError(file, 'malformed', `$.manifests: the signature blob ${signature.digest} is listed twice`)
    }
    const subject = signature.annotations?.[ANNOTATIONS.signatureSubject]
    if (subject !== manifest.digest) {
      throw new ImageError(file, 'inconsistent', `the signature descriptor's ${ANNOTATIONS.signatureSubject} is ${JSON.stringify(subject ?? null)}, not the manifest ${manifest.digest}`, 'mix-and-match')
    }
  })
  return { index, manifest, signatures }
}

/**
 * Reads `oci-layout` and `index.json` of the image in `dir`. Refuses a missing or
 * symlinked file, an `oci-layout` other than version 1.0.0, and what
 * {@link decodeIndex} refuses.
 */
export function openLayout(dir: string): Layout {
  const layoutPath = layoutFile(dir, 'oci-layout')
  decodeJson(t.type({ imageLayoutVersion: t.literal(OCI_LAYOUT.imageLayoutVersion) }), parseJsonBytes(readRegularFile(layoutPath, 4096), layoutPath), layoutPath)
  const indexPath = layoutFile(dir, 'index.json')
  return { dir, ...decodeIndex(readRegularFile(indexPath, DOCUMENT_BYTES_MAX), indexPath) }
}
