/**
 * The image pipeline: SILA container images as OCI layouts, ML-DSA keys and
 * signatures, the module repository, and the abstraction to the model's symbolic
 * images (pipeline.md §1, §2, §5).
 * @module
 */
export { ImageError } from './errors.js'
export { FloorsCodec, ModuleNameCodec, readFloors } from './codecs.js'
export { ANNOTATIONS, LAYER_BYTES_MAX_DEFAULT, MEDIA_TYPES, openLayout } from './image/layout.js'
export { ManifestCodec, ManifestInputCodec, decodeManifest } from './image/manifest.js'
export { COMPRESSION_ALGORITHMS, encodeModuleLayer, inflateModuleLayer } from './image/compression.js'
export { DEFAULT_ALGORITHM, SIGNATURE_ALGORITHMS, generateKey, keyIdOf, readKeyring, readPrivateKey, readPublicKey, writeKeyFiles } from './image/keys.js'
export { SIGNATURE_DOMAIN, decodeSignature, signManifest, signedMessage, verifySignature } from './image/signature.js'
export { buildImage } from './image/build.js'
export { signImage } from './image/sign.js'
export { readImage } from './image/reader.js'
export { checkFloor, verifyImage } from './image/verify.js'
export { inspectImage } from './image/inspect.js'
export { addImage, listRepository, raiseFloor, readRepository } from './repo/repository.js'
export { isConstraint, resolveModule } from './repo/resolve.js'
export { symbolicImage, symbolicTrust } from './symbolic.js'

export type { Attack, Refusal } from './errors.js'
export type { Floors } from './codecs.js'
export type { Manifest, ManifestInput, Layer } from './image/manifest.js'
export type { CompressionAlgorithm, CompressionHeader } from './image/compression.js'
export type { Keyring, PrivateKey, PublicKey, SignatureAlgorithm } from './image/keys.js'
export type { Signature, SignatureHeader } from './image/signature.js'
export type { BuildInput, BuiltImage, SourceFile } from './image/build.js'
export type { SignedImage } from './image/sign.js'
export type { ImageLayer, LoadedImage, ReadOptions } from './image/reader.js'
export type { VerifiedImage, VerifyOptions } from './image/verify.js'
export type { ImageSummary, LayerSummary } from './image/inspect.js'
export type { AddOptions, AddResult, ListedVersion, Repository } from './repo/repository.js'
export type { Resolution, ResolveOptions } from './repo/resolve.js'
export type { SymbolicOptions } from './symbolic.js'
