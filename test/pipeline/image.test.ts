import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { brotliCompressSync } from 'node:zlib'
import { sha256Digest, frame, jsonText } from '../../pipeline/files.js'
import { buildImage } from '../../pipeline/image/build.js'
import { encodeModuleLayer, inflateModuleLayer } from '../../pipeline/image/compression.js'
import { inspectImage } from '../../pipeline/image/inspect.js'
import { blobPath, MEDIA_TYPES, openLayout, type OciIndex } from '../../pipeline/image/layout.js'
import { encodeManifest } from '../../pipeline/image/manifest.js'
import { readImage } from '../../pipeline/image/reader.js'
import { signImage } from '../../pipeline/image/sign.js'
import { verifyImage } from '../../pipeline/image/verify.js'
import {
  assembleImage, cleanup, flipByte, key, keyringOf, layerOf, manifestInput, manifestWith, moduleBytes, refused, signedImage, temporaryDirectory,
} from './_support.js'

test.after(cleanup)

const trusted = () => keyringOf(key('release'), key('strong'))

function readIndex(dir: string): OciIndex {
  return JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as OciIndex
}

function writeIndex(dir: string, index: OciIndex): void {
  writeFileSync(join(dir, 'index.json'), jsonText(index))
}

/** Moves the blob of `digest` to the digest of its (changed) content, as a careful attacker would; returns the new digest. */
function readdress(dir: string, digest: string): string {
  const bytes = readFileSync(blobPath(dir, digest))
  const next = sha256Digest(bytes)
  renameSync(blobPath(dir, digest), blobPath(dir, next))
  return next
}

for (const label of ['release', 'strong'] as const) {
  test(`build, sign and verify round-trip with ${label === 'strong' ? 'ML-DSA-87' : 'ML-DSA-65'}`, () => {
    const dir = signedImage({ signer: key(label), data: ['{"a": 1}\n', 'plain text\n'] })
    const image = verifyImage(dir, { keyring: keyringOf(key(label)) })
    assert.is(image.signer, key(label).keyId)
    assert.is(image.signature.signature.header.algorithm, label === 'strong' ? 'ML-DSA-87' : 'ML-DSA-65')
    assert.is(image.manifest.name, 'echo')
    assert.is(image.manifest.version, '1.2.0')
    assert.equal(image.manifest.requests, manifestInput().requests)
    assert.equal(image.layers.map((layer) => layer.layer.role), ['module', 'data', 'data'])
    assert.equal(Buffer.from(image.layers[0]!.content!), Buffer.from(moduleBytes('echo')))
    assert.is(Buffer.from(image.layers[2]!.content!).toString(), 'plain text\n')
    assert.ok(image.layers[0]!.blob.length < moduleBytes('echo').length, 'the module layer is compressed')
    assert.is(image.layers[0]!.layer.mediaType, MEDIA_TYPES.moduleBrotli)
  })
}

test('the on-disk layout: oci-layout, index.json with one annotated manifest and the signature, content-addressed blobs', () => {
  const dir = signedImage()
  assert.equal(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' })
  const index = readIndex(dir)
  assert.is(index.schemaVersion, 2)
  assert.is(index.mediaType, 'application/vnd.oci.image.index.v1+json')
  assert.equal(index.manifests.map((descriptor) => descriptor.mediaType), [MEDIA_TYPES.manifest, MEDIA_TYPES.signature])
  assert.equal(index.manifests[0]!.annotations, { 'org.opencontainers.image.ref.name': '1.2.0', 'dev.sila.module.name': 'echo', 'dev.sila.module.version': '1.2.0' })
  assert.is(index.manifests[1]!.annotations!['dev.sila.signature.subject'], index.manifests[0]!.digest)
  for (const name of readdirSync(join(dir, 'blobs', 'sha256'))) {
    assert.is(sha256Digest(readFileSync(join(dir, 'blobs', 'sha256', name))), `sha256:${name}`)
  }
  const signature = readFileSync(blobPath(dir, index.manifests[1]!.digest))
  const header = JSON.parse(signature.subarray(0, signature.indexOf(0x0a)).toString()) as Record<string, string>
  assert.equal(header, { format: 'sila-signature/1', algorithm: 'ML-DSA-65', keyId: key('release').keyId, subject: index.manifests[0]!.digest })
  assert.is(signature.length - signature.indexOf(0x0a) - 1, 3309)
  const manifest = JSON.parse(readFileSync(blobPath(dir, index.manifests[0]!.digest), 'utf8')) as { layers: { digest: string }[] }
  const layer = readFileSync(blobPath(dir, manifest.layers[0]!.digest))
  const layerHeader = JSON.parse(layer.subarray(0, layer.indexOf(0x0a)).toString()) as Record<string, unknown>
  assert.equal(Object.keys(layerHeader), ['format', 'algorithm', 'compressedSizeBytes', 'uncompressedSizeBytes', 'uncompressedDigest'])
  assert.is(layerHeader.uncompressedDigest, sha256Digest(moduleBytes('echo')))
})

test('building twice from the same input gives the same manifest digest; the output directory must not exist', () => {
  const first = signedImage({ signer: null })
  const second = signedImage({ signer: null })
  assert.is(openLayout(first).manifest.digest, openLayout(second).manifest.digest)
  const error = refused(() => buildImage({ manifest: manifestInput(), manifestFile: 'm.json', module: { file: 'm.bin', bytes: moduleBytes('x') } }, first), 'exists')
  assert.match(error.file, /image$/)
  assert.equal(readdirSync(join(first, '..')), ['image'], 'no temporary directory left behind')
})

test('build refuses a manifest whose memory is smaller than its layers, naming the JSON path', () => {
  const dir = join(temporaryDirectory(), 'image')
  const error = refused(() => buildImage({ manifest: { ...manifestInput(), limits: { memoryBytes: 10 } }, manifestFile: 'manifest.json', module: { file: 'm.bin', bytes: moduleBytes('x') } }, dir), 'inconsistent')
  assert.is(error.file, 'manifest.json')
  assert.match(error.message, /\$\.limits\.memoryBytes/)
  assert.not.ok(existsSync(dir))
})

test('an output that cannot be written is refused, not a crash', () => {
  const parent = join(temporaryDirectory(), 'a-file')
  writeFileSync(parent, 'not a directory')
  const error = refused(() => buildImage({ manifest: manifestInput(), manifestFile: 'm.json', module: { file: 'm.bin', bytes: moduleBytes('x') } }, join(parent, 'image')), 'unwritable')
  assert.match(error.message, /cannot write: a parent is not a directory/)
  // A missing parent is created.
  const nested = join(temporaryDirectory(), 'new', 'parent', 'image')
  buildImage({ manifest: manifestInput(), manifestFile: 'm.json', module: { file: 'm.bin', bytes: moduleBytes('x') } }, nested)
  assert.is(inspectImage(nested).name, 'echo')
})

test('an image stored without compression verifies too', () => {
  const dir = signedImage({ compression: 'none' })
  const image = verifyImage(dir, { keyring: trusted() })
  assert.is(image.layers[0]!.layer.mediaType, MEDIA_TYPES.moduleStored)
  assert.is(image.layers[0]!.header!.algorithm, 'none')
})

test('inspect reports the manifest, layers and signature header', () => {
  const summary = inspectImage(signedImage())
  assert.is(summary.name, 'echo')
  assert.is(summary.signature!.keyId, key('release').keyId)
  assert.equal(summary.layers.map((layer) => [layer.role, layer.compression]), [['module', 'brotli'], ['data', 'none']])
  assert.is(summary.layers[0]!.uncompressedSizeBytes, moduleBytes('echo').length)
  assert.is(inspectImage(signedImage({ signer: null })).signature, null)
})

test('sign replaces an earlier signature and removes its blob', () => {
  const dir = signedImage({ signer: key('attacker') })
  const before = readdirSync(join(dir, 'blobs', 'sha256')).length
  const signed = signImage(dir, key('release'))
  assert.is(signed.replaced, key('attacker').keyId)
  assert.is(readdirSync(join(dir, 'blobs', 'sha256')).length, before)
  assert.is(verifyImage(dir, { keyring: keyringOf(key('release')) }).signer, key('release').keyId)
})

test('sign --add keeps the other keys\' signatures: the image is trusted when any one verifies by a key of the keyring', () => {
  const dir = signedImage({ signer: key('attacker') })
  const signed = signImage(dir, key('release'), { add: true })
  assert.equal([signed.replaced, signed.kept], [null, [key('attacker').keyId]])
  assert.equal(inspectImage(dir).signatures.map((signature) => signature.keyId), [key('attacker').keyId, key('release').keyId])
  assert.is(verifyImage(dir, { keyring: keyringOf(key('release')) }).signer, key('release').keyId)
  assert.is(verifyImage(dir, { keyring: keyringOf(key('attacker')) }).signer, key('attacker').keyId)
  // Judged alone, each signature is what it is.
  refused(() => verifyImage(dir, { keyring: keyringOf(key('release')), signature: readIndex(dir).manifests[1]!.digest }), 'untrusted-key', 'arbitrary package')
  // Neither key trusted: the refusal is the first signature's; a trusted key's bad signature is preferred.
  refused(() => verifyImage(dir, { keyring: keyringOf(key('strong')) }), 'untrusted-key', 'arbitrary package')
  // Re-signing by the same key replaces that key's signature only.
  const again = signImage(dir, key('release'), { add: true })
  assert.equal([again.replaced, again.kept], [key('release').keyId, [key('attacker').keyId]])
  assert.is(readIndex(dir).manifests.length, 3)
  assert.is(readdirSync(join(dir, 'blobs', 'sha256')).filter((name) => `sha256:${name}` === signed.signatureDigest).length, 0)
  // Without --add, every earlier signature goes.
  const alone = signImage(dir, key('strong'))
  assert.is(alone.replaced, `${key('attacker').keyId}, ${key('release').keyId}`)
  assert.equal(inspectImage(dir).signatures.map((signature) => signature.keyId), [key('strong').keyId])
})

test('a layout with a signature listed twice, or more than 16 signatures, is refused; a signature of another manifest among others too', () => {
  const dir = signedImage()
  const index = readIndex(dir)
  writeIndex(dir, { ...index, manifests: [...index.manifests, index.manifests[1]!] })
  refused(() => openLayout(dir), 'malformed')
  writeIndex(dir, { ...index, manifests: [index.manifests[0]!, ...Array.from({ length: 17 }, () => index.manifests[1]!)] })
  assert.match(refused(() => openLayout(dir), 'malformed').message, /at most 16/)
  const other = signedImage({ version: '1.3.0' })
  writeIndex(dir, { ...index, manifests: [...index.manifests, readIndex(other).manifests[1]!] })
  refused(() => openLayout(dir), 'inconsistent', 'mix-and-match')
})

test('an unsigned image and a signature by an untrusted key are refused as arbitrary packages', () => {
  const unsigned = refused(() => verifyImage(signedImage({ signer: null }), { keyring: trusted() }), 'unsigned', 'arbitrary package')
  assert.match(unsigned.file, /index\.json$/)
  const dir = signedImage({ signer: key('attacker') })
  const error = refused(() => verifyImage(dir, { keyring: trusted() }), 'untrusted-key', 'arbitrary package')
  assert.is(error.file, blobPath(dir, readIndex(dir).manifests[1]!.digest))
  assert.match(error.message, new RegExp(`signed by key ${key('attacker').keyId}, which is not in the keyring`))
  assert.match(error.message, /refused as an arbitrary package attack/)
})

test('flipping any single byte of any stored blob makes verify fail with a digest mismatch naming that blob', () => {
  const dir = signedImage({ data: ['{"config": true}\n', 'x'] })
  const blobs = readdirSync(join(dir, 'blobs', 'sha256'))
  assert.is(blobs.length, 5, 'manifest, signature, module and two data layers')
  for (const name of blobs) {
    const file = join(dir, 'blobs', 'sha256', name)
    const size = readFileSync(file).length
    for (const position of new Set([0, 1, Math.floor(size / 2), size - 1].filter((index) => index < size))) {
      const restore = flipByte(file, position)
      const error = refused(() => verifyImage(dir, { keyring: trusted() }), 'digest-mismatch', 'mix-and-match')
      assert.is(error.file, file, `${name} at ${position}`)
      restore()
    }
  }
  verifyImage(dir, { keyring: trusted() })
})

test('a tampered manifest moved to its new digest no longer carries the signature', () => {
  const dir = signedImage()
  const index = readIndex(dir)
  const manifestFile = blobPath(dir, index.manifests[0]!.digest)
  writeFileSync(manifestFile, readFileSync(manifestFile, 'utf8').replace('"memoryBytes": 1048576', '"memoryBytes": 1048577'))
  const digest = readdress(dir, index.manifests[0]!.digest)
  index.manifests[0] = { ...index.manifests[0]!, digest, size: readFileSync(blobPath(dir, digest)).length }
  index.manifests[1]!.annotations!['dev.sila.signature.subject'] = digest
  writeIndex(dir, index)
  // The signature's own header still names the old manifest: a signature of another manifest.
  refused(() => verifyImage(dir, { keyring: trusted() }), 'inconsistent', 'mix-and-match')
})

test('a signature whose bytes were changed and moved to their new digest does not verify', () => {
  const dir = signedImage()
  const index = readIndex(dir)
  const file = blobPath(dir, index.manifests[1]!.digest)
  const bytes = readFileSync(file)
  for (const position of [bytes.indexOf(0x0a) + 1, bytes.length - 40, bytes.length - 1]) {
    const restore = flipByte(file, position)
    const digest = readdress(dir, index.manifests[1]!.digest)
    writeIndex(dir, { ...index, manifests: [index.manifests[0]!, { ...index.manifests[1]!, digest }] })
    refused(() => verifyImage(dir, { keyring: trusted() }), 'bad-signature', 'arbitrary package')
    renameSync(blobPath(dir, digest), file)
    restore()
    writeIndex(dir, index)
  }
  verifyImage(dir, { keyring: trusted() })
})

test('mix-and-match: a layer, the manifest or the signature swapped in from another image is refused', () => {
  const target = signedImage({ module: 'echo', data: ['AAAA'] })
  const other = signedImage({ module: 'other', version: '1.3.0', data: ['BBBB'] })
  const targetManifest = readImage(target).manifest
  const otherImage = readImage(other)
  // The other image's data layer (same size) copied over this one's.
  const dataFile = blobPath(target, targetManifest.layers[1]!.digest)
  const savedData = readFileSync(dataFile)
  writeFileSync(dataFile, otherImage.layers[1]!.blob)
  const swappedData = refused(() => verifyImage(target, { keyring: trusted() }), 'digest-mismatch', 'mix-and-match')
  assert.match(swappedData.message, /tampered with or swapped \(refused as a mix-and-match attack\)/)
  writeFileSync(dataFile, savedData)
  // The other image's module layer: another size, refused before its digest is even computed.
  const layerFile = blobPath(target, targetManifest.layers[0]!.digest)
  const saved = readFileSync(layerFile)
  writeFileSync(layerFile, otherImage.layers[0]!.blob)
  try {
    verifyImage(target, { keyring: trusted() })
    assert.unreachable('a swapped module layer verified')
  } catch (caught) {
    assert.ok(['digest-mismatch', 'size-mismatch', 'too-large'].includes((caught as { reason?: string }).reason ?? ''), String(caught))
  }
  writeFileSync(layerFile, saved)
  // The other image's manifest (with its blobs) referenced from this index, keeping this signature.
  const swapped = join(temporaryDirectory(), 'swapped')
  cpSync(target, swapped, { recursive: true })
  for (const name of readdirSync(join(other, 'blobs', 'sha256'))) cpSync(join(other, 'blobs', 'sha256', name), join(swapped, 'blobs', 'sha256', name))
  const index = readIndex(target)
  const otherIndex = readIndex(other)
  writeIndex(swapped, { ...index, manifests: [otherIndex.manifests[0]!, index.manifests[1]!] })
  refused(() => verifyImage(swapped, { keyring: trusted() }), 'inconsistent', 'mix-and-match')
  // ... and with the subject annotation edited to match: the signature's header still disagrees.
  writeIndex(swapped, { ...index, manifests: [otherIndex.manifests[0]!, { ...index.manifests[1]!, annotations: { 'dev.sila.signature.subject': otherIndex.manifests[0]!.digest } }] })
  const error = refused(() => verifyImage(swapped, { keyring: trusted() }), 'inconsistent', 'mix-and-match')
  assert.match(error.message, /signs the manifest sha256:[0-9a-f]{64}, not this image's/)
  // The other image's signature on this manifest.
  writeIndex(swapped, { ...index, manifests: [index.manifests[0]!, otherIndex.manifests[1]!] })
  refused(() => verifyImage(swapped, { keyring: trusted() }), 'inconsistent', 'mix-and-match')
  verifyImage(target, { keyring: trusted() })
})

test('index annotations that disagree with the signed manifest are refused', () => {
  const dir = signedImage()
  const index = readIndex(dir)
  index.manifests[0]!.annotations!['dev.sila.module.version'] = '9.9.9'
  writeIndex(dir, index)
  const error = refused(() => verifyImage(dir, { keyring: trusted() }), 'inconsistent', 'mix-and-match')
  assert.match(error.file, /index\.json$/)
})

test('a truncated blob and a blob longer than its descriptor are refused', () => {
  const dir = signedImage()
  const layer = readImage(dir).manifest.layers[0]!
  const file = blobPath(dir, layer.digest)
  const bytes = readFileSync(file)
  writeFileSync(file, bytes.subarray(0, bytes.length - 10))
  assert.match(refused(() => verifyImage(dir, { keyring: trusted() }), 'size-mismatch').message, /truncated/)
  writeFileSync(file, Buffer.concat([bytes, Buffer.alloc(1000)]))
  refused(() => verifyImage(dir, { keyring: trusted() }), 'too-large', 'endless data')
  writeFileSync(file, bytes)
  refused(() => verifyImage(dir, { keyring: trusted(), layerBytesMax: 100 }), 'too-large', 'endless data')
})

test('decompression bombs: a header that claims little but inflates to much, and one beyond the bound', () => {
  const bomb = Buffer.alloc(8 * 1024 * 1024)
  const payload = brotliCompressSync(bomb)
  const lying = frame({ format: 'sila-layer/1', algorithm: 'brotli', compressedSizeBytes: payload.length, uncompressedSizeBytes: 1000, uncompressedDigest: sha256Digest(bomb.subarray(0, 1000)) }, payload)
  const dir = assembleImage(temporaryDirectory(), manifestWith([layerOf(lying, MEDIA_TYPES.moduleBrotli, 'module')]), [lying], key('release'))
  const error = refused(() => verifyImage(dir, { keyring: trusted() }), 'too-large', 'endless data')
  assert.match(error.message, /inflates past the 1000 bytes its header declares/)
  // An honest header beyond the configured bound is refused before inflating.
  const honest = encodeModuleLayer(Buffer.alloc(2 * 1024 * 1024), 'brotli')
  const big = assembleImage(temporaryDirectory(), { ...manifestWith([layerOf(honest, MEDIA_TYPES.moduleBrotli, 'module')]), limits: { memoryBytes: 4 << 20 } }, [honest], key('release'))
  assert.match(refused(() => verifyImage(big, { keyring: trusted(), layerBytesMax: 1024 * 1024 }), 'too-large', 'endless data').message, /more than the bound of 1 MiB/)
  verifyImage(big, { keyring: trusted() })
  // A header claiming 100 MiB is refused by the default 64 MiB bound without inflating anything.
  const tiny = brotliCompressSync(Buffer.from('x'))
  const claim = frame({ format: 'sila-layer/1', algorithm: 'brotli', compressedSizeBytes: tiny.length, uncompressedSizeBytes: 100 * 1024 * 1024, uncompressedDigest: sha256Digest(Buffer.from('x')) }, tiny)
  const claimed = assembleImage(temporaryDirectory(), { ...manifestWith([layerOf(claim, MEDIA_TYPES.moduleBrotli, 'module')]), limits: { memoryBytes: 200 << 20 } }, [claim], key('release'))
  assert.match(refused(() => verifyImage(claimed, { keyring: trusted() }), 'too-large', 'endless data').message, /64 MiB/)
})

test('a layer that inflates to fewer bytes, or to other bytes, than its header says is refused', () => {
  const content = Buffer.from('module code')
  const short = frame({ format: 'sila-layer/1', algorithm: 'brotli', compressedSizeBytes: brotliCompressSync(content).length, uncompressedSizeBytes: 50, uncompressedDigest: sha256Digest(content) }, brotliCompressSync(content))
  refused(() => inflateModuleLayer(short, 'layer', MEDIA_TYPES.moduleBrotli, 1 << 20), 'size-mismatch')
  const other = frame({ format: 'sila-layer/1', algorithm: 'none', compressedSizeBytes: content.length, uncompressedSizeBytes: content.length, uncompressedDigest: sha256Digest(Buffer.from('other bytes')) }, content)
  refused(() => inflateModuleLayer(other, 'layer', MEDIA_TYPES.moduleStored, 1 << 20), 'digest-mismatch', 'mix-and-match')
  refused(() => inflateModuleLayer(other, 'layer', MEDIA_TYPES.moduleBrotli, 1 << 20), 'inconsistent')
})

test('inspect refuses every layer that lies about what it holds, as verify does (it is never shown as whole)', () => {
  const content = Buffer.from('module code')
  const packed = brotliCompressSync(content)
  const bomb = Buffer.alloc(8 * 1024 * 1024)
  const bombPayload = brotliCompressSync(bomb)
  const header = { format: 'sila-layer/1', algorithm: 'brotli', compressedSizeBytes: packed.length, uncompressedSizeBytes: content.length, uncompressedDigest: sha256Digest(content) }
  const lies: ReadonlyArray<[string, Uint8Array, string]> = [
    ['a bomb whose header claims 1,000 bytes', frame({ ...header, compressedSizeBytes: bombPayload.length, uncompressedSizeBytes: 1000, uncompressedDigest: sha256Digest(bomb.subarray(0, 1000)) }, bombPayload), 'too-large'],
    ['inflated bytes of another digest', frame({ ...header, uncompressedDigest: sha256Digest(Buffer.from('other bytes')) }, packed), 'digest-mismatch'],
    ['fewer inflated bytes than the header says', frame({ ...header, uncompressedSizeBytes: content.length + 5 }, packed), 'size-mismatch'],
    ['a payload that is not Brotli', frame({ ...header, compressedSizeBytes: content.length }, content), 'malformed'],
    ['a compressed size the payload does not have', frame({ ...header, compressedSizeBytes: packed.length + 1 }, packed), 'size-mismatch'],
  ]
  for (const [what, layer, reason] of lies) {
    const dir = assembleImage(temporaryDirectory(), manifestWith([layerOf(layer, MEDIA_TYPES.moduleBrotli, 'module')]), [layer], key('release'))
    let verifyReason = ''
    try { verifyImage(dir, { keyring: trusted() }) } catch (caught) { verifyReason = (caught as { reason?: string }).reason ?? String(caught) }
    assert.ok(verifyReason !== '', `verify accepted ${what}`)
    let inspectReason = ''
    try { inspectImage(dir) } catch (caught) { inspectReason = (caught as { reason?: string }).reason ?? String(caught) }
    assert.is(inspectReason, verifyReason, `inspect on ${what}`)
    assert.is(inspectReason, reason, what)
  }
})

test('unknown compression and signature algorithms are refused by name', () => {
  const content = Buffer.from('module code')
  const zstd = frame({ format: 'sila-layer/1', algorithm: 'zstd', compressedSizeBytes: content.length, uncompressedSizeBytes: content.length, uncompressedDigest: sha256Digest(content) }, content)
  const dir = assembleImage(temporaryDirectory(), manifestWith([layerOf(zstd, MEDIA_TYPES.moduleBrotli, 'module')]), [zstd], key('release'))
  assert.match(refused(() => verifyImage(dir, { keyring: trusted() }), 'unknown-algorithm').message, /unknown compression algorithm "zstd"/)
  const image = signedImage()
  const index = readIndex(image)
  const file = blobPath(image, index.manifests[1]!.digest)
  const bytes = readFileSync(file)
  const header = JSON.parse(bytes.subarray(0, bytes.indexOf(0x0a)).toString()) as Record<string, string>
  writeFileSync(file, frame({ ...header, algorithm: 'SLH-DSA-SHAKE-256f' }, bytes.subarray(bytes.indexOf(0x0a) + 1)))
  const digest = readdress(image, index.manifests[1]!.digest)
  writeIndex(image, { ...index, manifests: [index.manifests[0]!, { ...index.manifests[1]!, digest, size: readFileSync(blobPath(image, digest)).length }] })
  assert.match(refused(() => verifyImage(image, { keyring: trusted() }), 'unknown-algorithm').message, /unknown signature algorithm "SLH-DSA-SHAKE-256f"/)
})

test('paths out of the layout are refused: ../ and absolute digests, and symlinked blobs', () => {
  const dir = signedImage()
  const index = readIndex(dir)
  for (const digest of ['sha256:../../../etc/passwd', '../index.json', '/etc/passwd', 'sha256:/etc/passwd']) {
    writeIndex(dir, { ...index, manifests: [{ ...index.manifests[0]!, digest }, index.manifests[1]!] })
    const error = refused(() => verifyImage(dir, { keyring: trusted() }), 'unsafe-path')
    assert.match(error.file, /index\.json$/)
    assert.match(error.message, /\$\.manifests\[0\]\.digest/)
  }
  writeIndex(dir, index)
  // A layer digest that is a path, in a manifest (read unsigned, by inspect).
  const unsigned = signedImage({ signer: null })
  const unsignedIndex = readIndex(unsigned)
  const manifestFile = blobPath(unsigned, unsignedIndex.manifests[0]!.digest)
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { layers: { digest: string }[] }
  manifest.layers[0]!.digest = 'sha256:../../../../tmp/x'
  writeFileSync(manifestFile, encodeManifest(manifest as never))
  const digest = readdress(unsigned, unsignedIndex.manifests[0]!.digest)
  writeIndex(unsigned, { ...unsignedIndex, manifests: [{ ...unsignedIndex.manifests[0]!, digest, size: readFileSync(blobPath(unsigned, digest)).length }] })
  assert.match(refused(() => inspectImage(unsigned), 'unsafe-path').message, /\$\.layers\[0\]\.digest/)
  // A blob that is a symbolic link, even to the right bytes.
  const layer = readImage(dir).manifest.layers[1]!
  const file = blobPath(dir, layer.digest)
  const outside = join(temporaryDirectory(), 'outside')
  cpSync(file, outside)
  rmSync(file)
  symlinkSync(outside, file)
  assert.match(refused(() => verifyImage(dir, { keyring: trusted() }), 'unsafe-path').message, /symbolic link/)
})

test('a manifest that fails its codec is refused with its JSON path', () => {
  const unsigned = signedImage({ signer: null })
  const index = readIndex(unsigned)
  const manifestFile = blobPath(unsigned, index.manifests[0]!.digest)
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { requests: { rights: string[] }[] }
  manifest.requests[0]!.rights = ['read', 'admin']
  writeFileSync(manifestFile, encodeManifest(manifest as never))
  const digest = readdress(unsigned, index.manifests[0]!.digest)
  writeIndex(unsigned, { ...index, manifests: [{ ...index.manifests[0]!, digest, size: readFileSync(blobPath(unsigned, digest)).length }] })
  const error = refused(() => inspectImage(unsigned), 'malformed')
  assert.is(error.file, blobPath(unsigned, digest))
  assert.match(error.message, /\$\.requests\[0\]\.rights\[1\]: expected .*found "admin"/)
})

test('rollback floors: verify refuses a version below its name\'s floor', () => {
  const dir = signedImage({ version: '1.2.0' })
  verifyImage(dir, { keyring: trusted(), floors: { echo: '1.2.0', other: '9.0.0' } })
  const error = refused(() => verifyImage(dir, { keyring: trusted(), floors: { echo: '1.2.1' }, floorsSource: 'floors.json' }), 'rollback', 'rollback')
  assert.match(error.message, /echo@1\.2\.0 is below the rollback floor 1\.2\.1 set in floors\.json \(refused as a rollback attack\)/)
})

test.run()
