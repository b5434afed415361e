import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { abstractState } from '../../refinement/abstraction.js'
import { frame, sha256Digest } from '../../pipeline/files.js'
import { encodeModuleLayer, readCompressionHeader } from '../../pipeline/image/compression.js'
import { writeKeyFiles } from '../../pipeline/image/keys.js'
import { blobPath, MEDIA_TYPES } from '../../pipeline/image/layout.js'
import { readImage } from '../../pipeline/image/reader.js'
import { addImage, readRepository, repositoryFile, storedImagePath } from '../../pipeline/repo/repository.js'
import { LoadModuleRequestCodec, LoadModuleResponseCodec, decodeMessage, encodeMessage } from '../../pipeline/protocol/messages.js'
import { spawnStatus } from '../../pipeline/protocol/module-manager.js'
import { loadModule, MODULES_LIMITS, startLoader, type Loader, type LoaderOptions } from '../../pipeline/protocol/system.js'
import type { ExchangeEntry } from '../../pipeline/protocol/runtime.js'
import { sila } from '../cli/run.js'
import { assembleImage, cleanup, flipByte, key, keyringOf, layerOf, manifestWith, moduleBytes, signedImage, temporaryDirectory } from './_support.js'

test.after(cleanup)

const keyring = () => keyringOf(key('release'))

/**
 * A repository: echo 0.9.0 (below the floor), echo 1.2.0 (the floor, a Brotli
 * module layer) and plain 1.0.0 (a module layer stored uncompressed).
 */
function repository(): string {
  const repo = join(temporaryDirectory(), 'repo')
  addImage(repo, signedImage({ version: '0.9.0' }), { keyring: keyring() })
  addImage(repo, signedImage({ version: '1.2.0' }), { keyring: keyring(), raiseFloor: true })
  addImage(repo, signedImage({ name: 'plain', version: '1.0.0', compression: 'none' }), { keyring: keyring() })
  return repo
}

function start(repo: string, options: Partial<LoaderOptions> = {}): Loader {
  return startLoader({ repo, keyring: keyring(), ...options })
}

/** The blob files of a stored image: manifest, module layer. */
function stored(repo: string, name: string, version: string): { manifest: string; layer: string; digest: string } {
  const image = readImage(storedImagePath(repo, name, version), { inflate: false })
  return { manifest: image.manifestFile, layer: image.layers[0]!.file, digest: image.manifestDigest }
}

const messages = (loader: Loader) => loader.runtime.log.filter((entry): entry is Extract<ExchangeEntry, { kind: 'message' }> => entry.kind === 'message')

test('a valid module loads: the request and the layer go through both services, the kernel spawns it, the requester gets a cap to it', () => {
  const repo = repository()
  const loader = start(repo)
  const result = loadModule(loader, { requestId: 'r-1', moduleName: 'echo', versionConstraint: '^1.0.0' })
  assert.is(result.error, null)
  assert.equal(result.response, { requestId: 'r-1', status: 'Success', module: 'echo@1.2.0', pid: result.response?.pid })
  assert.type(result.response!.pid, 'number')
  assert.equal(result.child, { kind: 'cap', objectKind: 'process', rights: ['read', 'write', 'execute', 'grant', 'control'], badge: 0 })
  // The child exists: a running process of echo@1.2.0's manifest digest.
  const { digest } = stored(repo, 'echo', '1.2.0')
  const state = abstractState(loader.kernel)
  const children = [...state.ksObjects.values()].filter((object) => object.kind === 'process' && object.image === digest)
  assert.is(children.length, 1)
  assert.is(children[0]!.kind === 'process' && children[0]!.status, 'running')
  // The exchange: found by name, request with the reply cap, the layer inflated by the other service, the reply.
  assert.ok(loader.runtime.log.some((entry) => entry.kind === 'syscall' && entry.actor === 'requester-1' && entry.syscall['kind'] === 'svc_lookup' && entry.outcome._tag === 'Right'))
  assert.ok(loader.runtime.log.some((entry) => entry.kind === 'syscall' && entry.actor === 'module-manager' && entry.syscall['kind'] === 'svc_register' && entry.outcome._tag === 'Right'))
  assert.equal(messages(loader).map((message) => [message.from, message.to, message.type, message.cap]), [
    ['requester-1', 'module-manager', 'LoadModuleRequest', true],
    ['module-manager', 'decompression', 'DecompressRequest', true],
    ['decompression', 'module-manager', 'DecompressResponse', false],
    ['module-manager', 'requester-1', 'LoadModuleResponse', true],
  ])
  assert.is(loader.decompression.inflated, 1)
  // Every message is a payload of at most 4096 characters its codec accepts.
  for (const message of messages(loader)) assert.ok(message.payload.length <= 4096)
})

test('the kernel verified every stored image itself, once per manifest digest', () => {
  const loader = start(repository())
  assert.is(loader.repository.images.length, 3)
  assert.is(loader.kernel.imageVerifications, 3)
  assert.is(loader.verifier.signatureChecks, 3)
  for (const image of loader.repository.images) assert.is(loader.kernel.images.get(image.recorded)?.trusted, true, `${image.name}@${image.version}`)
  loadModule(loader, { requestId: 'a', moduleName: 'echo' })
  loadModule(loader, { requestId: 'b', moduleName: 'echo' })
  assert.is(loader.verifier.verifications, 3)
})

test('a module stored uncompressed needs no DecompressionService; parameters wait on an endpoint in the module\'s slot 0', () => {
  const loader = start(repository())
  const result = loadModule(loader, { requestId: 'p', moduleName: 'plain', parameters: { greeting: 'hi', level: 3 } })
  assert.is(result.response?.status, 'Success', JSON.stringify(result))
  assert.not.ok(messages(loader).some((message) => message.type === 'DecompressRequest'))
  const state = abstractState(loader.kernel)
  const child = [...state.ksObjects.values()].find((object) => object.kind === 'process' && object.image === loader.repository.images.find((image) => image.name === 'plain')!.recorded)
  assert.ok(child !== undefined && child.kind === 'process')
  const endpoint = state.ksObjects.get(state.ksCaps.get(child.slots[0]!)!.object)
  assert.ok(endpoint?.kind === 'endpoint')
  assert.equal(endpoint.queue.map((message) => message.payload), ['{"greeting":"hi","level":3}'])
})

test('a tampered layer: the ModuleManager\'s reader refuses it (mix-and-match), and a compromised ModuleManager is stopped by the kernel', () => {
  const repo = repository()
  const { layer, digest } = stored(repo, 'echo', '1.2.0')
  flipByte(layer, 100)
  const honest = loadModule(start(repo), { requestId: 't-1', moduleName: 'echo' })
  assert.is(honest.response?.status, 'BinarySignatureError')
  assert.match(honest.response!.error!, /mix-and-match attack/)
  const compromised = start(repo, { compromised: true })
  assert.is(compromised.kernel.images.get(digest)?.trusted, false)
  const result = loadModule(compromised, { requestId: 't-2', moduleName: 'echo' })
  assert.is(result.response?.status, 'BinarySignatureError')
  assert.match(result.response!.error!, /SignatureInvalid/)
  assert.is(result.child, null)
})

test('a tampered manifest: refused by the reader, and unknown to the kernel (its bytes hash otherwise)', () => {
  const repo = repository()
  const { manifest } = stored(repo, 'echo', '1.2.0')
  flipByte(manifest, 30)
  const honest = loadModule(start(repo), { requestId: 'm-1', moduleName: 'echo' })
  assert.is(honest.response?.status, 'BinarySignatureError')
  assert.match(honest.response!.error!, /tampered with or swapped/)
  const result = loadModule(start(repo, { compromised: true }), { requestId: 'm-2', moduleName: 'echo' })
  assert.is(result.response?.status, 'BinarySignatureError')
  assert.match(result.response!.error!, /verified no image/)
})

test('a tampered signature: the package check refuses it, and so does the kernel', () => {
  const repo = repository()
  const dir = storedImagePath(repo, 'echo', '1.2.0')
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> }
  const signature = blobPath(dir, index.manifests[1]!.digest)
  const bytes = readFileSync(signature)
  bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0x40
  writeFileSync(signature, bytes)
  const honest = loadModule(start(repo), { requestId: 's-1', moduleName: 'echo' })
  assert.is(honest.response?.status, 'BinarySignatureError')
  const result = loadModule(start(repo, { compromised: true }), { requestId: 's-2', moduleName: 'echo' })
  assert.is(result.response?.status, 'BinarySignatureError')
  assert.match(result.response!.error!, /SignatureInvalid/)
})

test('a stored image copied over another version (the same manifest twice): the loader still boots, the copy is refused, the others load', () => {
  const repo = repository()
  addImage(repo, signedImage({ version: '1.3.0' }), { keyring: keyring() })
  const original = storedImagePath(repo, 'echo', '1.2.0')
  cpSync(original, storedImagePath(repo, 'echo', '1.3.0'), { recursive: true, force: true })
  // Both directories now hold 1.2.0's files; the kernel is given that manifest once.
  const loader = start(repo)
  assert.equal(loader.repository.skipped.map((entry) => `${entry.name}@${entry.version}`), ['echo@1.3.0'])
  assert.match(loader.repository.skipped[0]!.reason, /holds the manifest sha256:[0-9a-f]{64} that echo@1\.2\.0 holds too/)
  const copy = loadModule(loader, { requestId: 'c-1', moduleName: 'echo', versionConstraint: '1.3.0' })
  assert.is(copy.response?.status, 'BinarySignatureError')
  const intact = loadModule(start(repo), { requestId: 'c-2', moduleName: 'echo', versionConstraint: '1.2.0' })
  assert.is(intact.response?.status, 'Success')
  assert.is(intact.response?.module, 'echo@1.2.0')
})

test('a module layer stored under several versions, tampered under all but one: the DecompressionService inflates the intact copy', () => {
  const repo = repository()
  addImage(repo, signedImage({ version: '1.3.0' }), { keyring: keyring() })
  const newer = stored(repo, 'echo', '1.3.0')
  // Every older version stores the same module layer; each of their copies is tampered, whichever the service would read first.
  for (const version of ['0.9.0', '1.2.0']) {
    const older = stored(repo, 'echo', version)
    assert.is(older.layer.slice(older.layer.lastIndexOf('/')), newer.layer.slice(newer.layer.lastIndexOf('/')), `${version} stores the same module layer`)
    flipByte(older.layer, 40)
  }
  const intact = loadModule(start(repo), { requestId: 'l-1', moduleName: 'echo', versionConstraint: '1.3.0' })
  assert.is(intact.response?.status, 'Success')
  const tampered = loadModule(start(repo), { requestId: 'l-2', moduleName: 'echo', versionConstraint: '1.2.0' })
  assert.is(tampered.response?.status, 'BinarySignatureError')
})

test('an older version is RollbackDenied: by the repository\'s floor, and by the kernel\'s when the ModuleManager ignores it', () => {
  const repo = repository()
  const honest = loadModule(start(repo), { requestId: 'o-1', moduleName: 'echo', versionConstraint: '0.9.0' })
  assert.is(honest.response?.status, 'RollbackDenied')
  assert.match(honest.response!.error!, /rollback attack/)
  const result = loadModule(start(repo, { compromised: true }), { requestId: 'o-2', moduleName: 'echo', versionConstraint: '<1.0.0' })
  assert.is(result.response?.status, 'RollbackDenied')
  assert.match(result.response!.error!, /process_spawn: RollbackDenied/)
})

test('a container that cannot pay for the image: InsufficientResourcesError', () => {
  const loader = start(repository(), { modulesLimits: { ...MODULES_LIMITS, memoryBytes: 1000 } })
  const result = loadModule(loader, { requestId: 'q', moduleName: 'echo' })
  assert.is(result.response?.status, 'InsufficientResourcesError')
  assert.match(result.response!.error!, /QuotaExceeded\(memoryBytes\)/)
  const full = start(repository(), { modulesLimits: { ...MODULES_LIMITS, processes: 1 } })
  assert.is(loadModule(full, { requestId: 'q-1', moduleName: 'echo' }).response?.status, 'Success')
  assert.is(loadModule(full, { requestId: 'q-2', moduleName: 'echo' }).response?.status, 'InsufficientResourcesError')
})

test('an unknown module or an unsatisfiable constraint: ManifestPolicyError', () => {
  const loader = start(repository())
  assert.is(loadModule(loader, { requestId: 'u-1', moduleName: 'nothing' }).response?.status, 'ManifestPolicyError')
  const none = loadModule(loader, { requestId: 'u-2', moduleName: 'echo', versionConstraint: '>=5.0.0' })
  assert.is(none.response?.status, 'ManifestPolicyError')
  assert.match(none.response!.error!, /no stored version/)
})

test('a signed layer whose header lies about its content: the DecompressionService finds out, BinarySignatureError', () => {
  const repo = repository()
  // Signed by the release key, but the header pins the digest of other content: refused by addImage, so stored by hand.
  const blob = encodeModuleLayer(moduleBytes('liar'), 'brotli')
  const { header, payload } = readCompressionHeader(blob, 'liar')
  const lying = frame({ ...header, uncompressedDigest: sha256Digest(Buffer.from('something else')) }, payload)
  const manifest = { ...manifestWith([layerOf(lying, MEDIA_TYPES.moduleBrotli, 'module')], '1.0.0'), name: 'liar' }
  const dir = assembleImage(join(temporaryDirectory(), 'liar'), manifest, [lying], key('release'))
  cpSync(dir, storedImagePath(repo, 'liar', '1.0.0'), { recursive: true })
  const index = readRepository(repo).index
  const digest = readImage(dir, { inflate: false }).manifestDigest
  writeFileSync(repositoryFile(repo), JSON.stringify({ ...index, modules: { ...index.modules, liar: { floor: null, versions: { '1.0.0': { digest, signer: key('release').keyId, algorithm: 'ML-DSA-65' } } } } }))
  const loader = start(repo)
  const result = loadModule(loader, { requestId: 'l', moduleName: 'liar' })
  assert.is(result.response?.status, 'BinarySignatureError')
  assert.match(result.response!.error!, /could not inflate layer 0/)
  assert.ok(messages(loader).some((message) => message.type === 'DecompressResponse' && message.payload.includes('"status":"Error"')))
  // The kernel, which inflates too, had refused it already.
  assert.is(loader.kernel.images.get(digest)?.trusted, false)
})

test('messages: codecs refuse what is not a message, and replies fit the payload bound', () => {
  assert.equal(decodeMessage(LoadModuleRequestCodec, '{"requestId":"a","moduleName":"echo"}'), { ok: true, value: { requestId: 'a', moduleName: 'echo' } })
  assert.not.ok(decodeMessage(LoadModuleRequestCodec, 7).ok)
  assert.not.ok(decodeMessage(LoadModuleRequestCodec, '{').ok)
  assert.not.ok(decodeMessage(LoadModuleRequestCodec, '{"requestId":"a","moduleName":".."}').ok)
  assert.not.ok(decodeMessage(LoadModuleRequestCodec, '{"requestId":"a","moduleName":"echo","versionConstraint":"not a range"}').ok)
  assert.not.ok(decodeMessage(LoadModuleRequestCodec, 'x'.repeat(4097)).ok)
  const long = encodeMessage(LoadModuleResponseCodec, { requestId: 'a', status: 'BinarySignatureError', error: 'x'.repeat(10_000) })
  assert.ok(long.length <= 4096)
  assert.ok(decodeMessage(LoadModuleResponseCodec, long).ok)
  assert.is(spawnStatus({ _tag: 'Left', left: { code: 'QuotaExceeded', resource: 'processes' } }), 'InsufficientResourcesError')
  assert.is(spawnStatus({ _tag: 'Left', left: { code: 'PolicyDenied' } }), 'ManifestPolicyError')
  assert.is(spawnStatus({ _tag: 'Left', left: { code: 'InvalidSlot' } }), 'KernelInternalError')
})

test('sila pipeline load: prints the exchange and the reply; exit 0 loaded, 1 refused, 2 bad input', () => {
  const repo = repository()
  const keys = temporaryDirectory()
  writeKeyFiles(keys, key('release'), 'release')
  const ok = sila('pipeline', 'load', '--repo', repo, '--keyring', keys, 'echo', '^1.0.0')
  assert.is(ok.status, 0, ok.stderr)
  assert.match(ok.stdout, /each verified by the kernel \(3 verifications/)
  assert.match(ok.stdout, /requester-1 → module-manager: LoadModuleRequest \(with a cap\)/)
  assert.match(ok.stdout, /module-manager → decompression: DecompressRequest/)
  assert.match(ok.stdout, /reply: Success echo@1\.2\.0 pid \d+ \(the reply carried a cap to the new process/)
  const json = JSON.parse(sila('pipeline', 'load', '--repo', repo, '--keyring', keys, '--json', 'echo').stdout) as { response: { status: string }; kernel: { verifications: number } }
  assert.is(json.response.status, 'Success')
  assert.is(json.kernel.verifications, 3)
  flipByte(stored(repo, 'echo', '1.2.0').layer, 60)
  const refused = sila('pipeline', 'load', '--repo', repo, '--keyring', keys, 'echo')
  assert.is(refused.status, 1)
  assert.match(refused.stdout, /reply: BinarySignatureError/)
  assert.match(refused.stdout, /refused as a mix-and-match attack/)
  const kernel = sila('pipeline', 'load', '--repo', repo, '--keyring', keys, '--compromised', 'echo')
  assert.is(kernel.status, 1)
  assert.match(kernel.stdout, /process_spawn .* → SignatureInvalid/)
  assert.is(sila('pipeline', 'load', '--keyring', keys, 'echo').status, 2)
  assert.is(sila('pipeline', 'load', '--repo', repo, '--keyring', keys, 'echo', 'not a range').status, 2)
  assert.is(sila('pipeline', 'load', '--repo', join(repo, 'missing'), '--keyring', keys, 'echo').status, 2)
})

test.run()
