/**
 * Every reader of the pipeline, fed random bytes, random JSON and mutations of valid
 * documents, either returns or throws an InputError naming the file it was given:
 * never a TypeError, a RangeError from zlib or a throw from the signature library.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { InputError } from '../../spec/decode.js'
import { FloorsCodec } from '../../pipeline/codecs.js'
import { decodeJson, parseJsonBytes } from '../../pipeline/files.js'
import { inflateModuleLayer } from '../../pipeline/image/compression.js'
import { decodeKeyFile, privateKeyFile, publicKeyFile } from '../../pipeline/image/keys.js'
import { blobPath, decodeIndex, MEDIA_TYPES } from '../../pipeline/image/layout.js'
import { decodeManifest } from '../../pipeline/image/manifest.js'
import { readImage } from '../../pipeline/image/reader.js'
import { decodeSignature, verifySignature } from '../../pipeline/image/signature.js'
import { verifyImage } from '../../pipeline/image/verify.js'
import { RepositoryIndexCodec } from '../../pipeline/repo/repository.js'
import { cleanup, key, keyringOf, signedImage } from './_support.js'

test.after(cleanup)

const RUNS = 200
const FILE = 'fuzzed-input'

/** Runs `read`; a throw that is not an InputError naming {@link FILE} fails the property. */
function onlyInputErrors(read: () => unknown): void {
  try {
    read()
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    assert.is(error.file, FILE)
    assert.ok(error.problems.length > 0)
  }
}

/** The valid documents mutations start from; made in `before` (the shared temporary directories are removed after each file's suite). */
let image = ''
let loaded: ReturnType<typeof readImage>
let VALID: Record<'manifest' | 'index' | 'signature' | 'layer' | 'publicKey' | 'privateKey' | 'repository', Uint8Array>

test.before(() => {
  image = signedImage({ data: ['{"config": 1}\n'] })
  loaded = readImage(image)
  VALID = {
    manifest: loaded.manifestBytes,
    index: readFileSync(join(image, 'index.json')),
    signature: loaded.signatures[0]!.bytes,
    layer: loaded.layers[0]!.blob,
    publicKey: Buffer.from(JSON.stringify(publicKeyFile(key('release')))),
    privateKey: Buffer.from(JSON.stringify(privateKeyFile(key('release')))),
    repository: Buffer.from(JSON.stringify({ format: 'sila-repository/1', modules: { echo: { floor: '1.0.0', versions: { '1.2.0': { digest: loaded.manifestDigest, signer: key('release').keyId, algorithm: 'ML-DSA-65' } } } } })),
  }
})

const bytesOf = (text: string) => new Uint8Array(Buffer.from(text))

/** A valid document with a few bytes overwritten, some removed, and perhaps truncated. */
function mutatedBytes(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.record({
    // Printable bytes as often as any byte: most random bytes only test the UTF-8 check.
    edits: fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 32, max: 126 }))), { minLength: 1, maxLength: 6 }),
    cut: fc.option(fc.nat({ max: valid.length }), { nil: undefined }),
  }).map(({ edits, cut }) => {
    const copy = Uint8Array.from(valid)
    for (const [position, value] of edits) copy[position] = value
    return cut === undefined ? copy : copy.subarray(0, cut)
  })
}

/** A valid JSON document with the value at a random path replaced or removed. */
function mutatedJson(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const document = JSON.parse(Buffer.from(valid).toString()) as unknown
  return fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined })).map(([path, value]) => {
    const copy = JSON.parse(JSON.stringify(document)) as unknown
    let parent: unknown = copy
    for (const [depth, choice] of path.entries()) {
      if (typeof parent !== 'object' || parent === null) break
      const keys = Object.keys(parent)
      if (keys.length === 0) break
      const chosen = keys[choice % keys.length]!
      const child = (parent as Record<string, unknown>)[chosen]
      if (depth === path.length - 1 || typeof child !== 'object' || child === null) {
        if (value === undefined) delete (parent as Record<string, unknown>)[chosen]
        else (parent as Record<string, unknown>)[chosen] = value
        break
      }
      parent = child
    }
    return bytesOf(JSON.stringify(copy))
  })
}

/** Random bytes, random JSON, byte mutations and JSON mutations of `valid`. */
function inputs(valid: Uint8Array, json: boolean): fc.Arbitrary<Uint8Array> {
  const random = [fc.uint8Array({ maxLength: 2048 }), fc.jsonValue().map((value) => bytesOf(JSON.stringify(value))), mutatedBytes(valid)]
  return fc.oneof(...random, ...(json ? [mutatedJson(valid)] : []))
}

const keyring = keyringOf(key('release'))

test('the manifest reader only returns or throws InputError', () => {
  fc.assert(fc.property(inputs(VALID.manifest, true), (bytes) => onlyInputErrors(() => decodeManifest(bytes, FILE))), { numRuns: RUNS })
})

test('the index reader only returns or throws InputError', () => {
  fc.assert(fc.property(inputs(VALID.index, true), (bytes) => onlyInputErrors(() => decodeIndex(bytes, FILE))), { numRuns: RUNS })
})

test('the key reader only returns or throws InputError, public and private', () => {
  for (const valid of [VALID.publicKey, VALID.privateKey]) {
    fc.assert(fc.property(inputs(valid, true), (bytes) => onlyInputErrors(() => decodeKeyFile(parseJsonBytes(bytes, FILE), FILE))), { numRuns: RUNS / 2 })
  }
})

test('the signature reader and verifier only return or throw InputError', () => {
  fc.assert(fc.property(inputs(VALID.signature, false), (bytes) => onlyInputErrors(() => {
    const signature = decodeSignature(bytes, FILE)
    verifySignature(signature, FILE, loaded.manifestDigest, keyring)
  })), { numRuns: RUNS })
})

test('the module layer reader only returns or throws InputError, within its bound', () => {
  fc.assert(fc.property(inputs(VALID.layer, false), (bytes) => onlyInputErrors(() => {
    const inflated = inflateModuleLayer(bytes, FILE, MEDIA_TYPES.moduleBrotli, 1 << 20)
    assert.ok(inflated.content.length <= 1 << 20)
  })), { numRuns: RUNS })
})

test('the repository and floors readers only return or throw InputError', () => {
  fc.assert(fc.property(inputs(VALID.repository, true), (bytes) => onlyInputErrors(() => decodeJson(RepositoryIndexCodec, parseJsonBytes(bytes, FILE), FILE))), { numRuns: RUNS })
  fc.assert(fc.property(fc.jsonValue(), (value) => onlyInputErrors(() => decodeJson(FloorsCodec, value, FILE))), { numRuns: RUNS / 2 })
})

test('verify on an image whose index.json is mutated only returns or throws InputError', () => {
  const indexFile = join(image, 'index.json')
  fc.assert(fc.property(inputs(VALID.index, true), (bytes) => {
    writeFileSync(indexFile, bytes)
    try {
      verifyImage(image, { keyring })
    } catch (error) {
      if (!(error instanceof InputError)) throw error
    }
  }), { numRuns: RUNS / 2 })
  writeFileSync(indexFile, VALID.index)
  assert.is(verifyImage(image, { keyring }).manifestDigest, loaded.manifestDigest)
  assert.ok(blobPath(image, loaded.manifestDigest).startsWith(image))
})

test.run()
