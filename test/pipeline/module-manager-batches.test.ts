/**
 * The ModuleManager over batches of requests against a repository tampered with
 * in generated ways (decisions.md, "Bugs planted in the image pipeline": a
 * ModuleManager property over batches against a tampered repository).
 *
 * A small repository is built and signed once. Each run copies it, sets its
 * floors, tampers with it (before the kernel boots from it, so the kernel holds
 * the tampered bytes, or after, so the kernel holds the genuine ones and only the
 * ModuleManager's own checks stand between the requester and a wrong module),
 * then sends a batch of requests at once, from as many requesters. Each answer is
 * checked against an oracle written from pipeline.md §1–§3 (./_precedence.ts for
 * the versions):
 *
 * - it carries the id its request came with (ids repeat across a batch, and some
 *   are the ModuleManager's own inner ids or its fallback `unknown`);
 * - an unknown module or a constraint no stored version meets is
 *   ManifestPolicyError; a constraint only versions below the floor meet is
 *   RollbackDenied; otherwise the highest satisfying version at or above the floor
 *   is the one resolved (never a lower one when it fails);
 * - the resolved version loads (Success, a cap to the process, `module` naming
 *   it) iff its stored image is intact: the repository records its signed
 *   manifest, the image's index names that manifest, every pinned blob hashes to
 *   its name, and a signature by the trusted key over that manifest is listed
 *   and intact; otherwise BinarySignatureError;
 * - the ModuleManager asks the kernel to spawn exactly the images of the
 *   successful loads, each the genuine image of the version resolved: a package it
 *   should have refused never reaches `process_spawn`.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { frame, sha256Digest } from '../../pipeline/files.js'
import { encodeModuleLayer, readCompressionHeader } from '../../pipeline/image/compression.js'
import { ANNOTATIONS, MEDIA_TYPES, type Descriptor } from '../../pipeline/image/layout.js'
import { readImage } from '../../pipeline/image/reader.js'
import { signManifest } from '../../pipeline/image/signature.js'
import { addImage, repositoryFile, storedImagePath, type RepositoryIndex } from '../../pipeline/repo/repository.js'
import type { LoadModuleRequest } from '../../pipeline/protocol/messages.js'
import { startLoader, startRequester } from '../../pipeline/protocol/system.js'
import { assembleImage, cleanup, key, keyringOf, layerOf, manifestWith, moduleBytes, signedImage, temporaryDirectory } from './_support.js'
import { highest, meetsFloor, satisfies } from './_precedence.js'

test.after(cleanup)

const keyring = () => keyringOf(key('release'))

// ---- the repository, built and signed once ------------------------------------

/** The stored modules: echo (Brotli module layers) around two-digit and pre-release versions, plain (stored uncompressed). */
const STORED = [
  { name: 'echo', version: '1.0.0', compression: 'brotli' },
  { name: 'echo', version: '1.1.0-rc.1', compression: 'brotli' },
  { name: 'echo', version: '1.1.0', compression: 'brotli' },
  { name: 'echo', version: '1.2.0', compression: 'brotli' },
  { name: 'echo', version: '1.10.0', compression: 'brotli' },
  { name: 'echo', version: '2.0.0-alpha', compression: 'brotli' },
  { name: 'plain', version: '0.9.0', compression: 'none' },
  { name: 'plain', version: '1.0.0', compression: 'none' },
] as const

/** What the oracle knows of a stored image as it was added: its manifest and the blobs it pins, and the trusted signature. */
interface Genuine {
  readonly name: string
  readonly version: string
  readonly digest: string
  /** The release key's signature blob over `digest`. */
  readonly signature: string
  /** Blobs the manifest pins (its layers). */
  readonly layers: ReadonlyArray<string>
  /** The attacker's signature over `digest`, and its descriptor. */
  readonly forged: { readonly bytes: Uint8Array; readonly descriptor: Descriptor }
  /** The same module signed by the release key, but its module layer's header pins other content. */
  readonly liar: { readonly dir: string; readonly digest: string }
}

interface Fixture {
  readonly template: string
  readonly genuine: ReadonlyArray<Genuine>
}

function signatureDescriptor(bytes: Uint8Array, subject: string): Descriptor {
  return { mediaType: MEDIA_TYPES.signature, digest: sha256Digest(bytes), size: bytes.length, annotations: { [ANNOTATIONS.signatureSubject]: subject } }
}

/** A signed image of `name@version` whose module layer's header lies about its content (signed by the release key, as a careless publisher would). */
function liarImage(name: string, version: string, compression: 'brotli' | 'none'): string {
  const blob = encodeModuleLayer(moduleBytes(`${name}@${version} liar`), compression)
  const { header, payload } = readCompressionHeader(blob, 'liar')
  const lying = frame({ ...header, uncompressedDigest: sha256Digest(Buffer.from(`not ${name}@${version}`)) }, payload)
  const data = Buffer.from('{"greeting": "hello"}\n')
  const mediaType = compression === 'brotli' ? MEDIA_TYPES.moduleBrotli : MEDIA_TYPES.moduleStored
  const manifest = { ...manifestWith([layerOf(lying, mediaType, 'module'), layerOf(data, MEDIA_TYPES.data, 'data')], version), name }
  return assembleImage(join(temporaryDirectory(), 'liar'), manifest, [lying, data], key('release'))
}

function buildFixture(): Fixture {
  const template = join(temporaryDirectory(), 'repo')
  const genuine = STORED.map(({ name, version, compression }): Genuine => {
    const added = addImage(template, signedImage({ name, version, module: `${name}@${version}`, compression }), { keyring: keyring() })
    const image = readImage(added.path, { inflate: false })
    assert.is(image.signatures.length, 1)
    const bytes = signManifest(added.digest, key('attacker'))
    const liar = liarImage(name, version, compression)
    return {
      name, version, digest: added.digest, signature: image.signatures[0]!.digest,
      layers: image.manifest.layers.map((layer) => layer.digest),
      forged: { bytes, descriptor: signatureDescriptor(bytes, added.digest) },
      liar: { dir: liar, digest: readImage(liar, { inflate: false }).manifestDigest },
    }
  })
  return { template, genuine }
}

// ---- tampering ----------------------------------------------------------------

/**
 * What may be done to a stored image. `target` and `source` index {@link STORED}.
 * The two that copy another version's image whole leave two stored versions
 * holding one manifest: done before boot, startLoader must still boot (it gives
 * the kernel that manifest once) and load every version left intact.
 */
type Tamper =
  | { readonly kind: 'flip-blob'; readonly target: number; readonly part: 'manifest' | 'signature' | 'layer'; readonly which: number; readonly at: number }
  | { readonly kind: 'drop-signature'; readonly target: number; readonly how: 'from-index' | 'blob-deleted' }
  | { readonly kind: 'attacker-signature'; readonly target: number }
  | { readonly kind: 'cosigned-by-attacker'; readonly target: number; readonly first: boolean }
  | { readonly kind: 'other-signature'; readonly target: number; readonly source: number }
  | { readonly kind: 'redirect-entry'; readonly target: number; readonly source: number }
  | { readonly kind: 'swap-image'; readonly target: number; readonly source: number }
  | { readonly kind: 'redirect-whole'; readonly target: number; readonly source: number }
  | { readonly kind: 'liar'; readonly target: number }

const indexOf = fc.noBias(fc.nat({ max: STORED.length - 1 }))
const otherPair = fc.tuple(indexOf, fc.noBias(fc.nat({ max: STORED.length - 2 }))).map(([target, other]) => ({ target, source: other >= target ? other + 1 : other }))
/** Which of several (taken modulo their count), without fast-check's bias towards small numbers: every blob and byte alike. */
const anyOf = fc.noBias(fc.nat({ max: 1 << 20 }))

const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('flip-blob' as const), target: indexOf, part: fc.constantFrom('manifest' as const, 'signature' as const, 'layer' as const, 'layer' as const), which: anyOf, at: anyOf }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop-signature' as const), target: indexOf, how: fc.constantFrom('from-index' as const, 'blob-deleted' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('attacker-signature' as const), target: indexOf }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cosigned-by-attacker' as const), target: indexOf, first: fc.boolean() }) },
  { weight: 1, arbitrary: otherPair.map((pair) => ({ kind: 'other-signature' as const, ...pair })) },
  { weight: 1, arbitrary: otherPair.map((pair) => ({ kind: 'redirect-entry' as const, ...pair })) },
  { weight: 1, arbitrary: otherPair.map((pair) => ({ kind: 'swap-image' as const, ...pair })) },
  { weight: 2, arbitrary: otherPair.map((pair) => ({ kind: 'redirect-whole' as const, ...pair })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('liar' as const), target: indexOf }) },
)

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T
}

interface IndexJson { manifests: Descriptor[] }

function blobFile(dir: string, digest: string): string {
  return join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length))
}

/** Replaces the repository's record of `target` with `digest` (signer and algorithm kept). */
function recordDigest(repo: string, target: Genuine, digest: string): void {
  const index = readJson<RepositoryIndex>(repositoryFile(repo))
  index.modules[target.name]!.versions[target.version]!.digest = digest
  writeFileSync(repositoryFile(repo), JSON.stringify(index))
}


/** The directory of `image` as it was added (the fixture's template). */
function genuineDir(fixture: Fixture, image: Genuine): string {
  return storedImagePath(fixture.template, image.name, image.version)
}

/** The blob of `dir` a flip hits: its manifest, one of its signatures, or one of the layers its manifest names (as far as the manifest still reads). */
function blobToFlip(dir: string, change: Extract<Tamper, { kind: 'flip-blob' }>): { readonly digest: string; readonly what: string } {
  const listed = readJson<IndexJson>(join(dir, 'index.json')).manifests
  const pick = <T>(items: ReadonlyArray<T>): T => items[change.which % items.length]!
  const manifest = { digest: listed[0]!.digest, what: 'manifest' }
  if (change.part === 'manifest') return manifest
  const signatures = listed.slice(1).filter((descriptor) => existsSync(blobFile(dir, descriptor.digest)))
  if (change.part === 'signature') return signatures.length > 0 ? { digest: pick(signatures).digest, what: 'signature' } : manifest
  let layers: Array<{ digest: string; mediaType: string }> = []
  try {
    layers = (JSON.parse(readFileSync(blobFile(dir, manifest.digest), 'utf8')) as { layers: typeof layers }).layers.filter((layer) => existsSync(blobFile(dir, layer.digest)))
  } catch {
    return manifest
  }
  if (layers.length === 0) return manifest
  const layer = pick(layers)
  return { digest: layer.digest, what: layer.mediaType === MEDIA_TYPES.data ? 'data layer' : 'module layer' }
}

/** Does `change` to the repository `repo`; says what it did (for the coverage counts). */
function apply(repo: string, fixture: Fixture, change: Tamper): string {
  const target = fixture.genuine[change.target]!
  const dir = storedImagePath(repo, target.name, target.version)
  const indexFile = join(dir, 'index.json')
  switch (change.kind) {
    case 'flip-blob': {
      const blob = blobToFlip(dir, change)
      const file = blobFile(dir, blob.digest)
      const bytes = readFileSync(file)
      const position = change.at % bytes.length
      bytes[position] = bytes[position]! ^ 0x01
      writeFileSync(file, bytes)
      return `flip-blob (${blob.what})`
    }
    case 'drop-signature': {
      const index = readJson<IndexJson>(indexFile)
      if (change.how === 'from-index') writeFileSync(indexFile, JSON.stringify({ ...index, manifests: index.manifests.slice(0, 1) }))
      else for (const descriptor of index.manifests.slice(1)) rmSync(blobFile(dir, descriptor.digest), { force: true })
      return `drop-signature (${change.how})`
    }
    case 'attacker-signature':
    case 'cosigned-by-attacker': {
      const index = readJson<IndexJson>(indexFile)
      // The forgery signs the genuine manifest: it is added only where the index still names that manifest.
      if (index.manifests[0]!.digest !== target.digest) return `${change.kind} (not done: another manifest)`
      writeFileSync(blobFile(dir, target.forged.descriptor.digest), target.forged.bytes)
      const others = index.manifests.slice(1).filter((descriptor) => descriptor.digest !== target.forged.descriptor.digest)
      const signatures = change.kind === 'attacker-signature' ? [target.forged.descriptor]
        : change.first ? [target.forged.descriptor, ...others] : [...others, target.forged.descriptor]
      writeFileSync(indexFile, JSON.stringify({ ...index, manifests: [index.manifests[0]!, ...signatures] }))
      return change.kind
    }
    case 'other-signature': {
      // The release key's genuine signature, over another image's manifest.
      const source = fixture.genuine[change.source]!
      const bytes = readFileSync(blobFile(genuineDir(fixture, source), source.signature))
      writeFileSync(blobFile(dir, source.signature), bytes)
      const index = readJson<IndexJson>(indexFile)
      writeFileSync(indexFile, JSON.stringify({ ...index, manifests: [index.manifests[0]!, signatureDescriptor(bytes, source.digest)] }))
      return change.kind
    }
    case 'redirect-entry':
      recordDigest(repo, target, fixture.genuine[change.source]!.digest)
      return change.kind
    case 'swap-image':
    case 'redirect-whole': {
      const source = fixture.genuine[change.source]!
      rmSync(dir, { recursive: true, force: true })
      cpSync(genuineDir(fixture, source), dir, { recursive: true })
      if (change.kind === 'redirect-whole') recordDigest(repo, target, source.digest)
      return change.kind
    }
    case 'liar':
      rmSync(dir, { recursive: true, force: true })
      cpSync(target.liar.dir, dir, { recursive: true })
      recordDigest(repo, target, target.liar.digest)
      return `liar (${target.name === 'echo' ? 'Brotli, inflated by the DecompressionService' : 'stored, checked by the ModuleManager'})`
  }
}

// ---- the oracle -----------------------------------------------------------------

/**
 * Whether the stored image of `image` is intact (pipeline.md §1–§2): the
 * repository records its signed manifest and the image's files are.
 */
function isIntact(repo: string, image: Genuine): boolean {
  const index = readJson<RepositoryIndex>(repositoryFile(repo))
  return index.modules[image.name]?.versions[image.version]?.digest === image.digest && hasIntactFiles(repo, image)
}

/**
 * Whether the directory of `image` holds it intact: its index names the signed
 * manifest, the manifest and every layer it pins hash to their names, and the
 * release key's signature over it is listed and intact (other signatures may come
 * and go: one trusted signature that verifies is enough). What the kernel is
 * handed at boot is these files, whatever the repository records.
 */
function hasIntactFiles(repo: string, image: Genuine): boolean {
  const dir = storedImagePath(repo, image.name, image.version)
  const listed = readJson<IndexJson>(join(dir, 'index.json')).manifests
  if (listed[0]?.digest !== image.digest) return false
  const hashes = (digest: string) => existsSync(blobFile(dir, digest)) && sha256Digest(readFileSync(blobFile(dir, digest))) === digest
  if (!hashes(image.digest) || !image.layers.every(hashes)) return false
  return listed.slice(1).some((descriptor) => descriptor.digest === image.signature) && hashes(image.signature)
}

type Status = 'Success' | 'ManifestPolicyError' | 'RollbackDenied' | 'BinarySignatureError'

/**
 * What a request must get: a status; once resolved, the version; whether the
 * ModuleManager's own checks pass, so that it asks the kernel to spawn the
 * genuine image of that version.
 */
interface Expected {
  readonly status: Status
  readonly resolved: Genuine | null
  readonly spawns: boolean
  readonly why: string
}

/**
 * The answer pipeline.md §2–§3 gives `request` against the repository as it now
 * is, with a kernel that verified at boot the images whose manifest digests are
 * `booted` (it spawns only those: §3 step 3; a refused or unknown digest is
 * BinarySignatureError).
 */
function expectedAnswer(repo: string, fixture: Fixture, request: LoadModuleRequest, booted: ReadonlySet<string>): Expected {
  const module = readJson<RepositoryIndex>(repositoryFile(repo)).modules[request.moduleName]
  if (module === undefined) return { status: 'ManifestPolicyError', resolved: null, spawns: false, why: 'unknown module' }
  const versions = Object.keys(module.versions)
  const meeting = versions.filter((version) => satisfies(version, request.versionConstraint))
  const eligible = meeting.filter((version) => module.floor === null || meetsFloor(version, module.floor))
  const version = highest(eligible)
  if (version === null) {
    return meeting.length > 0
      ? { status: 'RollbackDenied', resolved: null, spawns: false, why: 'only versions below the floor satisfy' }
      : { status: 'ManifestPolicyError', resolved: null, spawns: false, why: 'nothing satisfies' }
  }
  const resolved = fixture.genuine.find((image) => image.name === request.moduleName && image.version === version)!
  if (!isIntact(repo, resolved)) return { status: 'BinarySignatureError', resolved, spawns: false, why: 'not intact' }
  return booted.has(resolved.digest)
    ? { status: 'Success', resolved, spawns: true, why: 'intact' }
    : { status: 'BinarySignatureError', resolved, spawns: true, why: 'intact now, but not when the kernel booted' }
}

// ---- requests and batches --------------------------------------------------------

/** Ids that repeat, and near-misses of the ModuleManager's own: its inner ids (`mm-N`) and its fallback `unknown`. */
const REQUEST_IDS = ['a', 'b', 'r-1', 'r.2', 'x:y', 'mm-1', 'mm-2', 'unknown'] as const
/** Versions around the stored ones: each stored version, its neighbours, pre-releases at and around them, two-digit ones. */
const CONSTRAINT_VERSIONS = ['0.9.0', '1.0.0', '1.0.1', '1.1.0-rc.1', '1.1.0-rc.2', '1.1.0', '1.2.0', '1.9.0', '1.10.0', '2.0.0-0', '2.0.0-alpha', '2.0.0'] as const
const OPERATORS = ['', '=', '>=', '>=', '>', '<', '<=', '^', '^', '~'] as const

const term = fc.tuple(fc.constantFrom(...OPERATORS), fc.constantFrom(...CONSTRAINT_VERSIONS)).map(([operator, version]) => `${operator}${version}`)
const constraint: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant('*') },
  { weight: 4, arbitrary: term },
  { weight: 2, arbitrary: fc.tuple(term, term).map(([low, high]) => `${low} ${high}`) },
)

const request: fc.Arbitrary<LoadModuleRequest> = fc.record({
  requestId: fc.constantFrom(...REQUEST_IDS),
  moduleName: fc.constantFrom('echo', 'echo', 'echo', 'plain', 'plain', 'ghost'),
  versionConstraint: constraint,
  parameters: fc.option(fc.constant({ greeting: 'hi', level: 3 }), { nil: undefined, freq: 4 }),
}).map(({ requestId, moduleName, versionConstraint, parameters }): LoadModuleRequest => ({
  requestId, moduleName, ...(versionConstraint === undefined ? {} : { versionConstraint }), ...(parameters === undefined ? {} : { parameters: { ...parameters } }),
}))

/** One run: floors, tampers (each before or after the kernel boots), a batch of requests. */
const scenario = fc.record({
  echoFloor: fc.constantFrom(null, '1.0.0', '1.1.0-rc.1', '1.1.0', '1.2.0', '1.5.0', '1.10.0', '2.0.0-alpha', '3.0.0'),
  plainFloor: fc.constantFrom(null, '0.9.0', '1.0.0', '1.0.1'),
  // A tamper may be aimed at the version a request of the batch resolves to (`aim`: which request), or hit any stored version.
  tampers: fc.array(fc.record({ change: tamper, afterBoot: fc.boolean(), aim: fc.option(fc.nat({ max: 5 }), { nil: null, freq: 5 }) }), { maxLength: 3 }),
  batch: fc.array(request, { minLength: 1, maxLength: 6 }),
})
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never
/** A tamper with its target settled, and when it is done. */
interface Placed {
  readonly change: Tamper
  readonly afterBoot: boolean
  /** What it did, once done. */
  done?: string
}

/** Sets the repository's floors (before boot: the kernel takes its floors from the repository). */
function setFloors(repo: string, floors: Readonly<Record<string, string | null>>): void {
  const index = readJson<RepositoryIndex>(repositoryFile(repo))
  for (const [name, floor] of Object.entries(floors)) index.modules[name]!.floor = floor
  writeFileSync(repositoryFile(repo), JSON.stringify(index))
}

// ---- coverage --------------------------------------------------------------------

const reached = {
  runs: 0, requests: 0, Success: 0, ManifestPolicyError: 0, RollbackDenied: 0, BinarySignatureError: 0,
  unknownModule: 0, duplicateIds: 0, innerIdNearMiss: 0, batchesOfThreeOrMore: 0, prereleaseResolved: 0,
  tamperedBeforeBoot: 0, tamperedAfterBoot: 0, successBesideTamper: 0, refusedWithLowerSatisfying: 0, cosignedLoads: 0,
  /** Loads the DecompressionService's answer failed (the ModuleManager answers them from another place). */
  decompressionErrors: 0,
}
/** Refusals of a resolved version, by the kinds of tamper done to it (and when). */
const refusedBy = new Map<string, number>()
const bump = (map: Map<string, number>, what: string) => map.set(what, (map.get(what) ?? 0) + 1)

function countRun(run: Scenario, tampers: ReadonlyArray<Placed>, expected: ReadonlyArray<Expected>, fixture: Fixture): void {
  reached.runs++
  const ids = run.batch.map((load) => load.requestId)
  if (new Set(ids).size < ids.length) reached.duplicateIds++
  if (ids.some((id) => id.startsWith('mm-') || id === 'unknown')) reached.innerIdNearMiss++
  if (run.batch.length >= 3) reached.batchesOfThreeOrMore++
  for (const { afterBoot } of tampers) {
    if (afterBoot) reached.tamperedAfterBoot++
    else reached.tamperedBeforeBoot++
  }
  expected.forEach((answer, position) => {
    reached.requests++
    reached[answer.status]++
    if (answer.why === 'unknown module') reached.unknownModule++
    const resolved = answer.resolved
    if (resolved === null) return
    if (resolved.version.includes('-')) reached.prereleaseResolved++
    const index = fixture.genuine.indexOf(resolved)
    const onIt = tampers.filter(({ change }) => change.target === index)
    if (answer.status === 'Success' && tampers.some(({ change }) => fixture.genuine[change.target]!.name === resolved.name && change.target !== index)) reached.successBesideTamper++
    if (answer.status === 'Success' && onIt.some(({ change }) => change.kind === 'cosigned-by-attacker')) reached.cosignedLoads++
    if (answer.status === 'BinarySignatureError') {
      for (const { done, afterBoot } of onIt) bump(refusedBy, `${done!}${afterBoot ? ' after boot' : ' before boot'}`)
      // Another version satisfies too: the ModuleManager must not fall back to it.
      const load = run.batch[position]!
      if (fixture.genuine.some((image) => image.name === resolved.name && image !== resolved && satisfies(image.version, load.versionConstraint))) reached.refusedWithLowerSatisfying++
    }
  })
}

// ---- the property ----------------------------------------------------------------

/** The files of a directory, by path relative to it. */
function filesOf(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>()
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name)
      files.set(path.slice(dir.length + 1), readFileSync(path))
    }
  }
  return files
}

/**
 * The working repository: one copy of the template, put back after each run by
 * rewriting only what differs (copying the whole repository each run costs more
 * than the run on a slow disk).
 */
interface Workspace {
  readonly fixture: Fixture
  readonly repo: string
  readonly snapshot: ReadonlyMap<string, Buffer>
}

let workspace: Workspace | null = null

function openWorkspace(): Workspace {
  if (workspace !== null) return workspace
  const fixture = buildFixture()
  const repo = join(temporaryDirectory(), 'work')
  cpSync(fixture.template, repo, { recursive: true })
  workspace = { fixture, repo, snapshot: filesOf(fixture.template) }
  return workspace
}

/** Puts the working repository back as the template is: differing files rewritten, missing ones written, extra ones removed. */
function restore({ repo, snapshot }: Workspace): void {
  const now = filesOf(repo)
  for (const path of now.keys()) if (!snapshot.has(path)) rmSync(join(repo, path))
  for (const [path, bytes] of snapshot) {
    if (now.get(path)?.equals(bytes) === true) continue
    mkdirSync(dirname(join(repo, path)), { recursive: true })
    writeFileSync(join(repo, path), bytes)
  }
}

/**
 * The tampers with their targets settled: an aimed one hits the version one of
 * the requests that resolve resolves to (when one does), keeping its source
 * another image.
 */
function place(repo: string, fixture: Fixture, run: Scenario): Placed[] {
  const resolving = run.batch.flatMap((load) => expectedAnswer(repo, fixture, load, new Set()).resolved ?? [])
  return run.tampers.map(({ change, afterBoot, aim }): Placed => {
    const placed = { change, afterBoot }
    if (aim === null || resolving.length === 0) return placed
    const resolved = resolving[aim % resolving.length]!
    const target = fixture.genuine.indexOf(resolved)
    const source = 'source' in change && change.source === target ? { source: (target + 1) % STORED.length } : {}
    return { ...placed, change: { ...change, target, ...source } as Tamper }
  })
}

function runScenario(run: Scenario): void {
  const space = openWorkspace()
  const { repo, fixture } = space
  try {
    setFloors(repo, { echo: run.echoFloor, plain: run.plainFloor })
    const tampers = place(repo, fixture, run)
    for (const entry of tampers.filter((placed) => !placed.afterBoot)) entry.done = apply(repo, fixture, entry.change)
    const booted = new Set(fixture.genuine.filter((image) => hasIntactFiles(repo, image)).map((image) => image.digest))
    const loader = startLoader({ repo, keyring: keyring() })
    for (const entry of tampers.filter((placed) => placed.afterBoot)) entry.done = apply(repo, fixture, entry.change)
    const expected = run.batch.map((load) => expectedAnswer(repo, fixture, load, booted))
    countRun(run, tampers, expected, fixture)
    const requesters = run.batch.map((load) => startRequester(loader, load))
    const logStart = loader.runtime.log.length
    loader.runtime.run(() => requesters.every((requester) => requester.done), 100 + 100 * run.batch.length)
    requesters.forEach((requester, position) => {
      const load = run.batch[position]!
      const want = expected[position]!
      const what = `request ${position} ${JSON.stringify(load)} (${want.why}${want.resolved === null ? '' : `, resolves ${want.resolved.name}@${want.resolved.version}`})`
      assert.ok(requester.done && requester.error === null, `${what}: ${requester.error ?? 'no reply'}`)
      const response = requester.response!
      assert.is(response.requestId, load.requestId, `${what}: answered under another id`)
      assert.is(response.status, want.status, `${what}: answered ${response.status}${response.module === undefined ? '' : ` ${response.module}`}${response.error === undefined ? '' : `: ${response.error}`}`)
      if (want.status === 'Success') {
        assert.is(response.module, `${want.resolved!.name}@${want.resolved!.version}`, `${what}: loaded another version`)
        assert.ok(requester.child !== null && requester.child.kind === 'cap' && requester.child.objectKind === 'process', `${what}: no cap to the process`)
      } else {
        assert.is(requester.child, null, `${what}: a cap came with a refusal`)
      }
    })
    // Exactly one reply per request, and exactly the successes' genuine images were spawned.
    assert.is(loader.moduleManager.replies.length, run.batch.length, 'one reply per request')
    reached.decompressionErrors += loader.runtime.log.slice(logStart).filter((entry) => entry.kind === 'message' && entry.type === 'DecompressResponse' && entry.payload.includes('"status":"Error"')).length
    const spawned = loader.runtime.log.slice(logStart).flatMap((entry) => (entry.kind === 'syscall' && entry.actor === 'module-manager' && entry.syscall['kind'] === 'process_spawn' ? [String(entry.syscall['image'])] : []))
    const genuine = expected.flatMap((want) => (want.spawns ? [want.resolved!.digest] : []))
    assert.equal(spawned.sort(), genuine.sort(), 'the ModuleManager asks the kernel to spawn exactly the intact images it resolved')
  } finally {
    restore(space)
  }
}

test('the ModuleManager over generated batches against a tampered repository: ids, statuses, the version loaded, what reaches the kernel', () => {
  const started = performance.now()
  fc.assert(fc.property(scenario, runScenario), { seed: Number(process.env["MM_SEED"] ?? 20261208), numRuns: 250, includeErrorInReport: true })
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`  batches: ${Object.entries(reached).map(([what, n]) => `${what} ${n}`).join(', ')} (${seconds} s)`)
  console.log(`  refused, by what was done to the version resolved: ${[...refusedBy].sort().map(([what, n]) => `${what} ${n}`).join(', ')}`)
  // Floors on what the runs reached, so the property cannot go vacuous.
  assert.ok(reached.requests >= 400, `requests: ${reached.requests}`)
  for (const status of ['Success', 'ManifestPolicyError', 'RollbackDenied', 'BinarySignatureError'] as const) assert.ok(reached[status] >= 40, `${status}: ${reached[status]}`)
  assert.ok(reached.duplicateIds >= 30 && reached.innerIdNearMiss >= 30 && reached.batchesOfThreeOrMore >= 60, 'ids repeat and near-miss, batches overlap')
  assert.ok(reached.prereleaseResolved >= 15 && reached.unknownModule >= 30, 'pre-releases resolved, unknown modules asked for')
  assert.ok(reached.tamperedBeforeBoot >= 40 && reached.tamperedAfterBoot >= 40, 'tampering before and after boot')
  assert.ok(reached.successBesideTamper >= 15 && reached.refusedWithLowerSatisfying >= 30 && reached.cosignedLoads >= 4 && reached.decompressionErrors >= 5, 'tampers next to intact loads, no downgrade, extra signatures, the DecompressionService refusing')
  const kinds = ['flip-blob (manifest)', 'flip-blob (signature)', 'flip-blob (module layer)', 'flip-blob (data layer)', 'drop-signature', 'attacker-signature',
    'other-signature', 'redirect-entry', 'swap-image', 'redirect-whole', 'liar', 'liar (Brotli']
  for (const kind of kinds) {
    const total = [...refusedBy].filter(([what]) => what.startsWith(kind) && !what.includes('not done')).reduce((sum, [, n]) => sum + n, 0)
    assert.ok(total >= 5, `refusals of a resolved version after ${kind}: ${total}`)
  }
})

test.run()
