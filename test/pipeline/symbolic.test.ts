import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ImageRecordCodec } from '../../spec/images.js'
import { sha256Digest, jsonText } from '../../pipeline/files.js'
import { blobPath, type OciIndex } from '../../pipeline/image/layout.js'
import { readImage } from '../../pipeline/image/reader.js'
import { symbolicImage, symbolicTrust } from '../../pipeline/symbolic.js'
import { cleanup, flipByte, key, keyringOf, manifestInput, refused, signedImage } from './_support.js'

test.after(cleanup)

const keyring = () => keyringOf(key('release'))

test('a valid image maps to a record the model accepts: manifest digest, signer, requests, memory', () => {
  const dir = signedImage()
  const record = symbolicImage(dir, keyring())
  assert.ok(ImageRecordCodec.is(record))
  assert.equal(record, {
    digest: readImage(dir).manifestDigest, name: 'echo', version: '1.2.0', signer: key('release').keyId, signatureOk: true,
    manifest: { requests: manifestInput().requests, memoryBytes: manifestInput().limits.memoryBytes },
  })
})

test('the pool the model draws from, made real: wrong key, tampered layer, tampered manifest, older version, unsigned', () => {
  const wrongKey = symbolicImage(signedImage({ signer: key('attacker') }), keyring())
  assert.is(wrongKey.signer, key('attacker').keyId)
  assert.is(wrongKey.signatureOk, false)

  const tamperedLayer = signedImage()
  const layer = readImage(tamperedLayer).layers[0]!
  flipByte(layer.file, 50)
  const layerRecord = symbolicImage(tamperedLayer, keyring())
  assert.is(layerRecord.signatureOk, false)
  assert.is(layerRecord.signer, key('release').keyId)

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
  assert.is(manifestRecord.signatureOk, false)

  // Floors are the model's business: an older version is still signatureOk.
  const older = symbolicImage(signedImage({ version: '0.9.0' }), keyring())
  assert.is(older.version, '0.9.0')
  assert.is(older.signatureOk, true)

  const unsigned = symbolicImage(signedImage({ signer: null }), keyring())
  assert.is(unsigned.signer, '')
  assert.is(unsigned.signatureOk, false)
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
