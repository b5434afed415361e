/**
 * The images an attacker could put in a declared system's pool beside its own:
 * the explorer adds them, so that a search of a user's system also asks whether
 * the kernel runs what it must refuse (IMG-1: a trusted signer, at or above the
 * floor). For each image of the pool (kernel.md §4's checks, each met once):
 * - its manifest with every signature failing to verify (`unsigned`), under the
 *   same name and version, so that a kernel that decides trust by name and
 *   version rather than by the record gives it the genuine one's verdict;
 * - its manifest signed, verifiably, by a key outside the keyring (`foreign key`);
 * - when its name has an anti-rollback floor, its manifest signed as it is at a
 *   release below the floor and at the floor's own prerelease (which semver
 *   orders below the floor: a comparison that drops the tag lets it through).
 * An honest kernel refuses to spawn every one of them, so they add refusals to
 * the alphabet, never a state; they are spawned without grants, as uid 0 (with
 * a container cap and a free slot, nothing else is checked before the image's
 * trust and floor: model/check-catalogue.ts). A counterexample's trace
 * carries the pool it was found with, forged images included, so it replays.
 * @module
 */
import { createHash } from 'node:crypto'
import semver from 'semver'
import type { ImageRecord } from '../../spec/images.js'
import type { Preset } from '../../spec/presets.js'

/** What a forged image is, as its digest's seed and a reader's label say. */
export type Forgery = 'unsigned' | 'foreign key' | 'below floor' | 'floor prerelease'

/** A forged image of the pool, and what it forges. */
export interface ForgedImage {
  readonly image: ImageRecord
  readonly forgery: Forgery
  /** The digest of the genuine image it is made from. */
  readonly from: string
}

/** A release below `floor`: the last non-zero part one less, the parts after it 0; null below 0.0.0. */
function releaseBelow(floor: string): string | null {
  const parsed = semver.parse(floor)
  if (parsed === null) return null
  const { major, minor, patch } = parsed
  if (parsed.prerelease.length > 0) return semver.lt(`${major}.${minor}.${patch}-0`, floor) ? `${major}.${minor}.${patch}-0` : releaseBelow(`${major}.${minor}.${patch}`)
  if (patch > 0) return `${major}.${minor}.${patch - 1}`
  if (minor > 0) return `${major}.${minor - 1}.0`
  if (major > 0) return `${major - 1}.0.0`
  return null
}

/** A key id that no key of `keyring` has. */
function foreignKeyId(keyring: ReadonlyArray<string>): string {
  let id = 'forged-signer'
  while (keyring.includes(id)) id = `${id}-x`
  return id
}

/**
 * The forged images of a declared system's pool ({@link withForgedImages}), in
 * the pool's order, each once; none for a pool that is empty.
 */
export function forgedImages(preset: Preset): ForgedImage[] {
  const keyring = preset.boot.keyring.map((key) => key.keyId)
  const floors: Readonly<Record<string, string>> = preset.boot.floors
  const foreign = foreignKeyId(keyring)
  const taken = new Set(preset.images.map((image) => image.digest))
  const forged: ForgedImage[] = []
  const add = (from: ImageRecord, forgery: Forgery, change: Partial<ImageRecord>) => {
    const digest = `sha256:${createHash('sha256').update(`${from.digest} ${forgery}`).digest('hex')}`
    if (taken.has(digest)) return
    taken.add(digest)
    forged.push({ image: { ...from, ...change, digest }, forgery, from: from.digest })
  }
  for (const image of preset.images) {
    const signatures = image.signatures.length > 0 ? image.signatures : [{ signer: keyring[0] ?? foreign, verifies: true }]
    add(image, 'unsigned', { signatures: signatures.map((signature) => ({ ...signature, verifies: false })) })
    add(image, 'foreign key', { signatures: [{ signer: foreign, verifies: true }] })
    const floor = floors[image.name]
    if (floor === undefined) continue
    const below = releaseBelow(floor)
    if (below !== null) add(image, 'below floor', { version: below })
    if (semver.prerelease(floor) === null) add(image, 'floor prerelease', { version: `${floor}-0` })
  }
  return forged
}

/** A declared system with {@link forgedImages} added to its pool (after its own images); a shipped preset as it is. */
export function withForgedImages(preset: Preset): Preset {
  if (preset.declared !== true) return preset
  const forged = forgedImages(preset)
  if (forged.length === 0) return preset
  return { ...preset, images: [...preset.images, ...forged.map((entry) => entry.image)], forged: forged.map((entry) => entry.image.digest) }
}
