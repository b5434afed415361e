import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ImageRecordCodec } from '../../spec/images.js'
import { sha256Digest, jsonText } from '../../pipeline/files.js'
import { blobPath, type OciIndex } from '../../pipeline/image/layout.js'
import { readImage } from '../../pipeline/image/reader.js'
import { signImage } from '../../pipeline/image/sign.js'
import { symbolicImage, symbolicTrust } from '../../pipeline/symbolic.js'
import { cleanup, flipByte, key, keyringOf, manifestInput, refused, signedImage } from './_support.js'

test.after(cleanup)

const keyring = () => keyringOf(key('release'))

test('a valid image maps to a record the model accepts: manifest digest, signer, requests, memory', () => {
  const dir = signedImage()
  const record = symbolicImage(dir, keyring())
  assert.ok(ImageRecordCodec.is(record))
  assert.equal(record, {
    digest: readImage(dir).manifestDigest, name: 'echo', version: '1.2.0', signatures: [{ signer: key('release').keyId, verifies: true }],
    manifest: { requests: manifestInput().requests, memoryBytes: manifestInput().limits.memoryBytes },
  })
})

test('the pool the model draws from, made real: wrong key, tampered layer, tampered manifest, older version, unsigned', () => {
  const wrongKey = symbolicImage(signedImage({ signer: key('attacker') }), keyring())
  assert.equal(wrongKey.signatures, [{ signer: key('attacker').keyId, verifies: false }])

  const tamperedLayer = signedImage()
  const layer = readImage(tamperedLayer).layers[0]!
  flipByte(layer.file, 50)
  const layerRecord = symbolicImage(tamperedLayer, keyring())
  assert.equal(layerRecord.signatures, [{ signer: key('release').keyId, verifies: false }])

  // A manifest edited and moved to its new digest: the record shows the edit and the new digest, unsigned.
  const tamperedManifest = signedImage()
  const index = JSON.parse(readFileSync(join(tamperedManifest, 'index.json'), 'utf8')) as OciIndex
  const manifestFile = blobPath(tamperedManifest, index.manifests[0]!.digest)
  writeFileSync(manifestFile, readFileSync(manifestFile, 'utf8').replace('"memoryBytes": 1048576', '"memoryBytes": 1048577'))
  const digest = sha256Digest(readFileSync(manifestFile))
  renameSync(manifestFile, blobPath(tamperedManifest, digest))
  index.manifests[0] = { ...index.manifests[0]!, digest }
  index.manifests[1]!.annotations!['dev.sila.signature.subject'] = digest
  writeFileSync(join(tamperedManifest, 'index.json'), jsonText(index))
  const manifestRecord = symbolicImage(tamperedManifest, keyring())
  assert.is(manifestRecord.digest, digest)
  assert.is(manifestRecord.manifest.memoryBytes, 1048577)
  assert.equal(manifestRecord.signatures, [{ signer: key('release').keyId, verifies: false }])

  // Floors are the model's business: an older version still verifies.
  const older = symbolicImage(signedImage({ version: '0.9.0' }), keyring())
  assert.is(older.version, '0.9.0')
  assert.equal(older.signatures, [{ signer: key('release').keyId, verifies: true }])

  const unsigned = symbolicImage(signedImage({ signer: null }), keyring())
  assert.equal(unsigned.signatures, [])
})

test('an image signed by two keys: one record with both signatures, each judged alone; a layer tampered with breaks both', () => {
  const dir = signedImage({ signer: key('attacker') })
  signImage(dir, key('release'), { add: true })
  const record = symbolicImage(dir, keyring())
  assert.equal(record.signatures, [{ signer: key('attacker').keyId, verifies: false }, { signer: key('release').keyId, verifies: true }])
  // Trusting both keys, both verify.
  assert.equal(symbolicImage(dir, keyringOf(key('release'), key('attacker'))).signatures.map((signature) => signature.verifies), [true, true])
  flipByte(readImage(dir).layers[0]!.file, 50)
  assert.equal(symbolicImage(dir, keyring()).signatures, [{ signer: key('attacker').keyId, verifies: false }, { signer: key('release').keyId, verifies: false }])
})

test('records written with one signer and signatureOk still decode, as a list of one signature', () => {
  const old = { digest: `sha256:${'c'.repeat(64)}`, name: 'echo', version: '1.2.0', signer: 'release', signatureOk: false, manifest: { requests: [], memoryBytes: 1 } }
  const decoded = ImageRecordCodec.decode(old)
  assert.ok(decoded._tag === 'Right')
  assert.equal(decoded.right, { digest: old.digest, name: 'echo', version: '1.2.0', signatures: [{ signer: 'release', verifies: false }], manifest: old.manifest })
  assert.ok(ImageRecordCodec.decode({ ...old, signer: 7 })._tag === 'Left')
  // A device name on a request of another kind is refused.
  assert.ok(ImageRecordCodec.decode({ ...old, manifest: { requests: [{ kind: 'endpoint', rights: ['write'], device: 'disk0' }], memoryBytes: 1 } })._tag === 'Left')
  assert.ok(ImageRecordCodec.decode({ ...old, manifest: { requests: [{ kind: 'device', rights: ['write'], device: 'disk0' }], memoryBytes: 1 } })._tag === 'Right')
})

test('an image with no readable manifest has no record: refused', () => {
  const dir = signedImage()
  writeFileSync(join(dir, 'index.json'), '{"schemaVersion": 2}')
  refused(() => symbolicImage(dir, keyring()), 'malformed')
})

test('the keyring and floors map onto the boot configuration', () => {
  const trust = symbolicTrust(keyringOf(key('release'), key('strong')), { echo: '1.0.0' })
  assert.equal(trust.keyring.map((entry) => [entry.keyId, entry.algorithm]), [[key('release').keyId, 'ML-DSA-65'], [key('strong').keyId, 'ML-DSA-87']])
  assert.equal(trust.floors, { echo: '1.0.0' })
  assert.is(Buffer.from(trust.keyring[0]!.publicKey!, 'base64').length, 1952)
})

test.run()
