/**
 * `sila-kernel/pipeline`: signed container images (OCI layouts, Brotli module
 * layers, ML-DSA keys and signatures), the module repository with semver resolution
 * and rollback floors, and the abstraction of an image to the model's symbolic image
 * record (see `pipeline/FORMAT.md`).
 * @module sila-kernel/pipeline
 */
export * from '../pipeline/index.js'

// The file formats' codecs and the types their signatures mention (pipeline/FORMAT.md).
export { BlobDigestCodec, DescriptorCodec, IndexCodec, decodeIndex } from '../pipeline/image/layout.js'
export type { Descriptor, OciIndex, Layout, DecodedIndex } from '../pipeline/image/layout.js'
export { LayerCodec } from '../pipeline/image/manifest.js'
export { CompressionHeaderCodec } from '../pipeline/image/compression.js'
export type { InflatedLayer } from '../pipeline/image/compression.js'
export { SignatureHeaderCodec } from '../pipeline/image/signature.js'
export type { SignatureBlob } from '../pipeline/image/reader.js'
export { KeyFileCodec, decodeKeyFile } from '../pipeline/image/keys.js'
export type { KeyFile } from '../pipeline/image/keys.js'
export { RepositoryIndexCodec, ModuleEntryCodec, VersionEntryCodec } from '../pipeline/repo/repository.js'
export type { RepositoryIndex, ModuleEntry, VersionEntry } from '../pipeline/repo/repository.js'
export { SIGNATURES_MAX } from '../pipeline/image/layout.js'
export { verifySignatures } from '../pipeline/image/verify.js'
export type { SignOptions } from '../pipeline/image/sign.js'
export type { SignatureSummary } from '../pipeline/image/inspect.js'
