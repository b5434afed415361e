import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { keyIdOf, readKeyring, readPrivateKey, readPublicKey, writeKeyFiles } from '../../pipeline/image/keys.js'
import { cleanup, key, refused, temporaryDirectory } from './_support.js'

test.after(cleanup)

test('keygen writes the private key with mode 0600 and the public key beside it', () => {
  const dir = temporaryDirectory()
  const pair = key('release')
  const files = writeKeyFiles(dir, pair, 'release')
  assert.is(statSync(files.privateFile).mode & 0o777, 0o600)
  assert.is(statSync(files.publicFile).mode & 0o777 & 0o600, 0o600)
  assert.equal(readdirSync(dir).sort(), ['release.key.json', 'release.pub.json'], 'no temporary file left behind')
  const text = JSON.parse(readFileSync(files.privateFile, 'utf8')) as Record<string, string>
  assert.equal(Object.keys(text).sort(), ['algorithm', 'format', 'keyId', 'publicKey', 'secretKey'])
  assert.is(text.format, 'sila-key/1')
  assert.is(text.algorithm, 'ML-DSA-65')
  const publicText = JSON.parse(readFileSync(files.publicFile, 'utf8')) as Record<string, string>
  assert.is(publicText.secretKey, undefined)
})

test('a key file round-trips, and the key id is the first 16 hex digits of sha256(publicKey)', () => {
  for (const label of ['release', 'strong'] as const) {
    const dir = temporaryDirectory()
    const pair = key(label)
    const files = writeKeyFiles(dir, pair, label)
    const privateKey = readPrivateKey(files.privateFile)
    const publicKey = readPublicKey(files.publicFile)
    assert.is(privateKey.keyId, createHash('sha256').update(pair.publicKey).digest('hex').slice(0, 16))
    assert.is(keyIdOf(publicKey.publicKey), pair.keyId)
    assert.equal(Buffer.from(privateKey.secretKey), Buffer.from(pair.secretKey))
    assert.is(publicKey.algorithm, label === 'strong' ? 'ML-DSA-87' : 'ML-DSA-65')
    assert.equal([...readKeyring([dir]).keys()], [pair.keyId])
  }
})

test('key files are never overwritten', () => {
  const dir = temporaryDirectory()
  writeKeyFiles(dir, key('release'), 'k')
  const before = readFileSync(join(dir, 'k.key.json'))
  refused(() => writeKeyFiles(dir, key('attacker'), 'k'), 'exists')
  assert.equal(readFileSync(join(dir, 'k.key.json')), before)
})

test('a private key readable by others is refused; so is a private key in a keyring', () => {
  const dir = temporaryDirectory()
  const files = writeKeyFiles(dir, key('release'), 'k')
  chmodSync(files.privateFile, 0o644)
  const error = refused(() => readPrivateKey(files.privateFile), 'permissions')
  assert.match(error.message, /mode 0644/)
  chmodSync(files.privateFile, 0o600)
  refused(() => readKeyring([files.privateFile]), 'malformed')
  refused(() => readPrivateKey(files.publicFile), 'malformed')
})

test('a key file that lies is refused: wrong key id, unknown algorithm, wrong length, mismatched secret key', () => {
  const dir = temporaryDirectory()
  const files = writeKeyFiles(dir, key('release'), 'k')
  const original = JSON.parse(readFileSync(files.publicFile, 'utf8')) as Record<string, string>
  const write = (name: string, value: unknown) => {
    const file = join(dir, name)
    writeFileSync(file, JSON.stringify(value), { mode: 0o600 })
    return file
  }
  assert.match(refused(() => readPublicKey(write('id.pub.json', { ...original, keyId: '0000000000000000' })), 'inconsistent').message, /\$\.keyId/)
  assert.match(refused(() => readPublicKey(write('alg.pub.json', { ...original, algorithm: 'RSA-4096' })), 'unknown-algorithm').message, /RSA-4096/)
  refused(() => readPublicKey(write('short.pub.json', { ...original, publicKey: Buffer.from('short').toString('base64') })), 'malformed')
  refused(() => readPublicKey(write('b64.pub.json', { ...original, publicKey: '!!!!' })), 'malformed')
  const other = JSON.parse(readFileSync(writeKeyFiles(dir, key('attacker'), 'other').privateFile, 'utf8')) as Record<string, string>
  assert.match(refused(() => readPrivateKey(write('mixed.key.json', { ...original, secretKey: other.secretKey })), 'inconsistent').message, /not the secret key/)
  refused(() => readPublicKey(join(dir, 'missing.pub.json')), 'missing')
  refused(() => readKeyring([temporaryDirectory()]), 'missing')
})

test.run()
