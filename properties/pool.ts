/**
 * The image pool and boot configuration property runs draw from (pipeline.md §5):
 * a valid signed image, images that must be refused (wrong key, tampered layer,
 * tampered manifest, older version), a valid image with two signatures, the
 * first by a key outside the keyring (kernel.md §4: one entry per digest, valid
 * when any signature verifies by a trusted key), and a valid image whose requests
 * overlap, so that which request a grant takes matters (kernel.md §4: grants are
 * matched to requests by what they grant).
 *
 * Then every check §4 makes on an image, at its bound, one past it, and with a
 * colliding key: a version exactly at the rollback floor (echo 1.9.2) and a
 * prerelease of it, which semver orders just below (1.9.2-rc.1); a `twin` with the
 * name and version of the valid image but other bytes, signed by the attacker (a
 * verdict cached by name and version instead of by digest gives it the valid
 * image's); an unsigned image; a `split` image whose release signature does not
 * verify while its attacker signature does (trust needs both on one signature); a
 * `borrowed` release signature of another manifest; an image of another name,
 * below echo's floor, which no floor governs; and an image whose layers fill the
 * memory its manifest declares exactly, and one whose manifest declares one byte
 * less than its layers hold (the verifier refuses it). Last, an image below the
 * floor and signed by the attacker only: it fails two checks at once, so the order
 * of the signature and floor checks shows (kernel.md §4: the signature first).
 *
 * The versions sit around echo's floor of 1.9.2 (spec/boot.ts `DEFAULT_BOOT`) so
 * that only semver's order gives every verdict: the valid image is 1.10.0 and
 * the other echo images 1.10.x (as strings, or major.minor as strings, these sort
 * below 1.9.2), the matcher is 2.0.0 (its minor is below the floor's), and the
 * older image is 1.9.1, below the floor by its patch alone; the image below the
 * floor signed by the attacker is 1.8.10.
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

/**
 * The `matcher` image's requests: two endpoints (one read-only), two devices (one
 * naming disk0), a region and a container. An endpoint grant of `read` fits both
 * endpoint requests and disk0 fits both device requests: taken first-fit in grant
 * order, `read` then `write` (or disk0 then net0) finds no request left, though a
 * matching exists.
 */
export const MATCHER_REQUESTS: ImageRecord['manifest']['requests'] = [
  { kind: 'endpoint', rights: ['read', 'write', 'grant'], purpose: 'a channel it may pass caps on' },
  { kind: 'endpoint', rights: ['read'], purpose: 'a channel it only reads' },
  { kind: 'device', rights: ['write'], purpose: 'any device' },
  { kind: 'device', rights: ['write'], device: 'disk0', purpose: 'its disk' },
  { kind: 'region', rights: ['read', 'write', 'control'], purpose: 'shared memory' },
  { kind: 'container', rights: ['read', 'write', 'execute', 'grant', 'control'], purpose: 'its own container' },
]

/** Memory the `memory-exact` image's layers hold once inflated, exactly what its manifest declares. */
export const EXACT_MEMORY_BYTES = 2048

function image(label: string, fields: Partial<ImageRecord>): ImageRecord {
  return {
    digest: digestOf(label), name: 'echo', version: '1.10.0', signatures: [{ signer: 'release', verifies: true }],
    manifest: { requests: SERVICE_REQUESTS, memoryBytes: 4096 }, ...fields,
  }
}

/** The pool, valid image first (pipeline/kernel/pool.ts builds the same images for real, in this order). */
export const IMAGE_POOL: ReadonlyArray<ImageRecord> = [
  image('valid', {}),
  // The attacker's signatures verify by the attacker's key, which the keyring does not hold.
  image('wrong-key', { version: '1.10.1', signatures: [{ signer: 'attacker', verifies: true }] }),
  image('tampered-layer', { version: '1.10.2', signatures: [{ signer: 'release', verifies: false }] }),
  image('tampered-manifest', { version: '1.10.3', signatures: [{ signer: 'release', verifies: false }], manifest: { requests: SERVICE_REQUESTS, memoryBytes: 1 } }),
  image('older', { version: '1.9.1' }),
  image('cosigned', { version: '1.10.4', signatures: [{ signer: 'attacker', verifies: true }, { signer: 'release', verifies: true }] }),
  image('matcher', { version: '2.0.0', manifest: { requests: MATCHER_REQUESTS, memoryBytes: 4096 } }),
  image('at-floor', { version: '1.9.2' }),
  image('prerelease', { version: '1.9.2-rc.1' }),
  image('twin', { signatures: [{ signer: 'attacker', verifies: true }] }),
  image('unsigned', { version: '1.10.5', signatures: [] }),
  image('split', { version: '1.10.6', signatures: [{ signer: 'release', verifies: false }, { signer: 'attacker', verifies: true }] }),
  image('borrowed', { version: '1.10.7', signatures: [{ signer: 'release', verifies: false }] }),
  image('other-name', { name: 'probe', version: '0.1.0' }),
  image('memory-exact', { version: '1.10.8', manifest: { requests: SERVICE_REQUESTS, memoryBytes: EXACT_MEMORY_BYTES } }),
  image('memory-short', { version: '1.10.9', signatures: [{ signer: 'release', verifies: false }], manifest: { requests: SERVICE_REQUESTS, memoryBytes: EXACT_MEMORY_BYTES - 1 } }),
  image('older-forged', { version: '1.8.10', signatures: [{ signer: 'attacker', verifies: true }] }),
]
export const VALID_IMAGE = IMAGE_POOL[0]!.digest
/** The pool image whose requests overlap ({@link MATCHER_REQUESTS}). */
export const MATCHER_IMAGE = IMAGE_POOL[6]!.digest
/** Pool images by what they test (indices into {@link IMAGE_POOL}, the same in the real pool). */
export const POOL_INDEX = {
  wrongKey: 1, tamperedLayer: 2, older: 4, atFloor: 7, prerelease: 8, twin: 9, unsigned: 10, split: 11, borrowed: 12, otherName: 13, memoryExact: 14, memoryShort: 15, olderForged: 16,
} as const

/** Property runs boot with the default configuration. */
export const PROPERTY_BOOT: BootConfig = DEFAULT_BOOT
