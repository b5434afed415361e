/**
 * The manifest blob (pipeline.md §1): what a module is, what it asks for and the
 * digests of its layers. It is JSON, validated on every read and never trusted:
 * its digest is what the signature covers, so it pins every layer.
 * @module
 */
import * as t from 'io-ts'
import { CapRequestCodec, SemverCodec } from '../../spec/images.js'
import { NamespaceConfigCodec } from '../../spec/limits.js'
import { BOUNDS, intRange, stringMatching } from '../../spec/numbers.js'
import { ModuleNameCodec } from '../codecs.js'
import { ImageError } from '../errors.js'
import { decodeJson, parseJsonBytes } from '../files.js'
import { BlobDigestCodec, MEDIA_TYPES, refusePathDigests } from './layout.js'

/** The entry point a module starts at: a symbol name, at most 128 characters. */
export const EntryCodec = stringMatching(/^[A-Za-z_][A-Za-z0-9_.:-]*$/, 128, 'Entry')

/** What a layer is for: module code, or initial data and configuration. @public */
export const LayerRoleCodec = t.keyof({ module: null, data: null })
export type LayerRole = t.TypeOf<typeof LayerRoleCodec>

/** One layer as the manifest pins it. @public */
export const LayerCodec = t.type({
  digest: BlobDigestCodec,
  mediaType: t.keyof({ [MEDIA_TYPES.moduleBrotli]: null, [MEDIA_TYPES.moduleStored]: null, [MEDIA_TYPES.data]: null }),
  size: intRange(0, BOUNDS.bytesMax, 'Size'),
  role: LayerRoleCodec,
})
export type Layer = t.TypeOf<typeof LayerCodec>

/** The image's resource limits. */
export const ManifestLimitsCodec = t.type({
  /** Memory the image occupies once mapped: at least the sum of its inflated layers. */
  memoryBytes: intRange(0, BOUNDS.bytesMax, 'ImageBytes'),
})

const manifestFields = {
  name: ModuleNameCodec,
  version: SemverCodec,
  entry: EntryCodec,
  requests: t.array(CapRequestCodec),
  limits: ManifestLimitsCodec,
}

/** What `sila image build --manifest FILE` reads: the manifest without its layers. @public */
export const ManifestInputCodec = t.intersection([t.type(manifestFields), t.partial({ namespaces: NamespaceConfigCodec })])
export type ManifestInput = t.TypeOf<typeof ManifestInputCodec>

/** The manifest blob. @public */
export const ManifestCodec = t.intersection([
  t.type({ mediaType: t.literal(MEDIA_TYPES.manifest), ...manifestFields, layers: t.array(LayerCodec) }),
  t.partial({ namespaces: NamespaceConfigCodec }),
])
export type Manifest = t.TypeOf<typeof ManifestCodec>

/** The manifest of `input` with `layers`, fields in a fixed order so that equal inputs give equal bytes. */
export function makeManifest(input: ManifestInput, layers: ReadonlyArray<Layer>): Manifest {
  return {
    mediaType: MEDIA_TYPES.manifest, name: input.name, version: input.version, entry: input.entry,
    requests: input.requests.map((request) => ({
      kind: request.kind, rights: [...request.rights],
      ...(request.device === undefined ? {} : { device: request.device }), ...(request.purpose === undefined ? {} : { purpose: request.purpose }),
    })),
    limits: { memoryBytes: input.limits.memoryBytes },
    ...(input.namespaces === undefined ? {} : { namespaces: input.namespaces }),
    layers: layers.map((layer) => ({ digest: layer.digest, mediaType: layer.mediaType, size: layer.size, role: layer.role })),
  }
}

/** The bytes of a manifest blob. */
export function encodeManifest(manifest: Manifest): Uint8Array {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8')
}

/**
 * Decodes manifest bytes read from `file`. Refuses invalid UTF-8 or JSON, a layer
 * digest that is a path, anything that fails {@link ManifestCodec}, a layer whose
 * role and media type disagree, and a manifest without a module layer.
 */
export function decodeManifest(bytes: Uint8Array, file: string): Manifest {
  const raw = parseJsonBytes(bytes, file)
  refusePathDigests(raw, file)
  const manifest = decodeJson(ManifestCodec, raw, file)
  manifest.layers.forEach((layer, position) => {
    const isModule = layer.mediaType !== MEDIA_TYPES.data
    if (isModule !== (layer.role === 'module')) {
      throw new ImageError(file, 'malformed', `$.layers[${position}]: role ${layer.role} does not go with media type ${layer.mediaType}`)
    }
  })
  if (!manifest.layers.some((layer) => layer.role === 'module')) throw new ImageError(file, 'malformed', '$.layers: expected at least one module layer, found none')
  return manifest
}
