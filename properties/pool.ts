/**
 * The image pool and boot configuration property runs draw from (pipeline.md §5):
 * a valid signed image, and images that must be refused: wrong key, tampered layer,
 * tampered manifest, older version.
 * @module
 */
import { createHash } from 'node:crypto'
import type { ImageRecord } from '../spec/images.js'
import { type BootConfig, DEFAULT_BOOT } from '../spec/boot.js'

const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`

const SERVICE_REQUESTS: ImageRecord['manifest']['requests'] = [
  { kind: 'container', rights: ['read', 'write', 'execute', 'grant', 'control'], purpose: 'its own container, to nest' },
  { kind: 'endpoint', rights: ['read', 'write', 'grant'], purpose: 'a channel to its parent' },
  { kind: 'region', rights: ['read', 'write', 'control'], purpose: 'shared memory' },
  { kind: 'device', rights: ['write'], purpose: 'a device' },
]

function image(label: string, fields: Partial<ImageRecord>): ImageRecord {
  return {
    digest: digestOf(label), name: 'echo', version: '1.2.0', signer: 'release', signatureOk: true,
    manifest: { requests: SERVICE_REQUESTS, memoryBytes: 4096 }, ...fields,
  }
}

/** The pool, valid image first. */
export const IMAGE_POOL: ReadonlyArray<ImageRecord> = [
  image('valid', {}),
  image('wrong-key', { version: '1.2.1', signer: 'attacker' }),
  image('tampered-layer', { version: '1.2.2', signatureOk: false }),
  image('tampered-manifest', { version: '1.2.3', signatureOk: false, manifest: { requests: SERVICE_REQUESTS, memoryBytes: 1 } }),
  image('older', { version: '0.9.0' }),
]
export const VALID_IMAGE = IMAGE_POOL[0]!.digest

/** Property runs boot with the default configuration. */
export const PROPERTY_BOOT: BootConfig = DEFAULT_BOOT
