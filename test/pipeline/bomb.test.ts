/**
 * Decompression bombs, measured (pipeline.md §1: "a layer whose uncompressed size
 * exceeds its header or a configured bound"; §2: endless data). A Brotli payload of
 * 405 bytes that inflates to 512 MiB of zeros goes, with a bound of 1 MiB, through
 * every path that inflates a module layer: `inflateModuleLayer` itself
 * (compression.ts), the DecompressionService answering a `DecompressRequest`
 * (decompression.ts), `readImage` and `verifyImage` on the directory, and the
 * kernel's verifier on the bytes. Its header claims 4 KiB, exactly the bound, or
 * 512 MiB. Every path must refuse it as endless data, and the refusal must come
 * while inflating at most about what the header allows: the peak resident memory
 * of the process doing it (VmHWM, read in a child process of its own per case)
 * may grow by at most 64 MiB, an eighth of the bomb. An honest layer of
 * exactly the bound goes through the same paths and is accepted, so that the bound
 * is not simply refusing everything.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, createBrotliCompress } from 'node:zlib'
import { MEDIA_TYPES } from '../../pipeline/image/layout.js'
import { assembleImage, cleanup, key, layerOf, manifestWith, temporaryDirectory } from './_support.js'

test.after(cleanup)

// Set when this file's tests start (uvu imports every file first, then runs them in turn).
let started = performance.now()
const MIB = 1024 * 1024
/** The configured bound every path is given. */
const BOUND_BYTES = MIB
/** What the bomb inflates to. */
const BOMB_BYTES = 512 * MIB
/** The most the peak resident memory may grow while a path refuses the bomb: an eighth of it, 64 times the bound. */
const GROWTH_BYTES_MAX = 64 * MIB
const PATHS = ['compression', 'service', 'reader', 'verify', 'kernel'] as const
type InflatePath = (typeof PATHS)[number]

/** A Brotli stream of `sizeBytes` zeros, compressed in 1 MiB steps so that the zeros are never all in memory. */
async function zerosCompressed(sizeBytes: number): Promise<Uint8Array> {
  const compressor = createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_LGWIN]: 24 } })
  const parts: Buffer[] = []
  compressor.on('data', (part: Buffer) => parts.push(part))
  const ended = new Promise<void>((resolve, reject) => {
    compressor.on('end', resolve)
    compressor.on('error', reject)
  })
  const zeros = Buffer.alloc(MIB)
  for (let written = 0; written < sizeBytes; written += MIB) compressor.write(zeros.subarray(0, Math.min(MIB, sizeBytes - written)))
  compressor.end()
  await ended
  return new Uint8Array(Buffer.concat(parts))
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** A module layer blob (FORMAT.md: header line, newline, payload) whose header claims `claimedBytes` of zeros. */
function layerClaiming(payload: Uint8Array, claimedBytes: number): Uint8Array {
  // The digest of what an honest layer of that claim would hold: the bomb is refused for its size, not its digest.
  const claimed = claimedBytes <= 16 * MIB ? sha256(new Uint8Array(claimedBytes)) : `sha256:${'0'.repeat(64)}`
  const header = { format: 'sila-layer/1', algorithm: 'brotli', compressedSizeBytes: payload.length, uncompressedSizeBytes: claimedBytes, uncompressedDigest: claimed }
  return new Uint8Array(Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), payload]))
}

interface Case {
  readonly name: string
  readonly dir: string
  readonly layerFile: string
  readonly layerDigest: string
  readonly manifestDigest: string
  readonly bomb: boolean
}

/** What the child reports for one case. */
interface Measured {
  readonly name: string
  /** Whether the peak was reset just before this case (else it is the child's peak since it started). */
  readonly reset: boolean
  readonly growthBytes: number
  readonly accepted?: boolean
  readonly refused?: string
  readonly attack?: string | null
  readonly message?: string
  readonly threw?: string
}

/**
 * The child: for its case, prepares the input (files read, service registered),
 * collects garbage, resets the peak resident memory (/proc/self/clear_refs, so
 * that the peak starts at what is resident now), runs the path, and reports the
 * peak's growth and the outcome as one JSON line.
 */
const CHILD = String.raw`
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
const [distRoot, path, configFile] = process.argv.slice(2)
const config = JSON.parse(readFileSync(configFile, 'utf8'))
const load = (relative) => import(pathToFileURL(join(distRoot, relative)).href)
const { ImageError } = await load('pipeline/errors.js')
const { MEDIA_TYPES } = await load('pipeline/image/layout.js')
const peakBytes = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024
const resetPeak = () => { try { writeFileSync('/proc/self/clear_refs', '5'); return true } catch { return false } }
const keyring = new Map([[config.key.keyId, { algorithm: config.key.algorithm, keyId: config.key.keyId, publicKey: new Uint8Array(Buffer.from(config.key.publicKey, 'base64')) }]])
const bootKeyring = [{ keyId: config.key.keyId, algorithm: config.key.algorithm, publicKey: config.key.publicKey }]

async function pathOf(name) {
  if (name === 'compression') {
    const { inflateModuleLayer } = await load('pipeline/image/compression.js')
    return { prepare: (c) => readFileSync(c.layerFile), run: (bytes, c) => ({ accepted: inflateModuleLayer(bytes, c.layerFile, MEDIA_TYPES.moduleBrotli, config.bound).content.length === config.bound }) }
  }
  if (name === 'service') {
    const { DecompressionService } = await load('pipeline/protocol/decompression.js')
    return {
      prepare: () => {
        const service = new DecompressionService(config.repo, new Map(), config.bound)
        service.activate({ ref: 1, name: 'decompression', call: () => ({ _tag: 'Right', right: { kind: 'registered' } }), message: () => {}, note: () => {} })
        return service
      },
      run: (service, c) => {
        let reply = null
        const request = JSON.stringify({ requestId: 'bomb-1', layerDigest: c.layerDigest })
        const call = (syscall) => {
          if (syscall.kind === 'ep_recv') return { _tag: 'Right', right: { kind: 'message', payload: request, cap: 'received', badge: 1 } }
          if (syscall.kind === 'ep_send') reply = JSON.parse(syscall.payload)
          return { _tag: 'Right', right: { kind: 'done' } }
        }
        service.activate({ ref: 1, name: 'decompression', call, message: () => {}, note: () => {} })
        if (reply === null) return { threw: 'no DecompressResponse' }
        return reply.status === 'Success' ? { accepted: reply.uncompressedSizeBytes === config.bound } : { refused: 'Error', message: reply.error, attack: /endless data/.test(reply.error) ? 'endless data' : null }
      },
    }
  }
  if (name === 'reader') {
    const { readImage } = await load('pipeline/image/reader.js')
    return { prepare: () => null, run: (_, c) => (readImage(c.dir, { layerBytesMax: config.bound }), { accepted: true }) }
  }
  if (name === 'verify') {
    const { verifyImage } = await load('pipeline/image/verify.js')
    return { prepare: () => null, run: (_, c) => (verifyImage(c.dir, { keyring, layerBytesMax: config.bound }), { accepted: true }) }
  }
  const { KernelImageVerifier } = await load('pipeline/kernel/verify.js')
  const { loadImageBytes } = await load('pipeline/kernel/bytes.js')
  return {
    prepare: (c) => loadImageBytes(c.dir),
    run: (bytes, c) => {
      const verdict = new KernelImageVerifier({ layerBytesMax: config.bound }).verify(bytes, c.manifestDigest, bootKeyring)
      return verdict.trusted ? { accepted: true } : { refused: 'untrusted', message: verdict.reason, attack: /endless data/.test(verdict.reason) ? 'endless data' : null }
    },
  }
}

const chosen = await pathOf(path)
const results = []
for (const c of config.cases) {
  const input = chosen.prepare(c)
  globalThis.gc()
  const reset = resetPeak()
  const before = peakBytes()
  let outcome
  try {
    outcome = chosen.run(input, c)
  } catch (error) {
    outcome = error instanceof ImageError ? { refused: error.reason, attack: error.attack, message: error.message } : { threw: String(error && error.stack || error) }
  }
  results.push({ name: c.name, reset, growthBytes: peakBytes() - before, ...outcome })
}
console.log(JSON.stringify(results))
`

let cases: Case[] = []
let root = ''
let childFile = ''
const distRoot = fileURLToPath(new URL('../../', import.meta.url))

test.before(async () => {
  started = performance.now()
  root = temporaryDirectory()
  const bombPayload = await zerosCompressed(BOMB_BYTES)
  assert.ok(bombPayload.length < 64 * 1024, `the bomb's payload is ${bombPayload.length} bytes`)
  const honestPayload = new Uint8Array(brotliCompressSync(new Uint8Array(BOUND_BYTES)))
  const layers: ReadonlyArray<readonly [string, Uint8Array, boolean]> = [
    ['honest', layerClaiming(honestPayload, BOUND_BYTES), false],
    ['claims-4k', layerClaiming(bombPayload, 4096), true],
    ['claims-bound', layerClaiming(bombPayload, BOUND_BYTES), true],
    ['claims-all', layerClaiming(bombPayload, BOMB_BYTES), true],
  ]
  // Each image a repository entry too (images/NAME/VERSION/), where the DecompressionService finds its blobs.
  const repo = join(root, 'repo')
  cases = layers.map(([name, blob, bomb]) => {
    const dir = join(repo, 'images', name, '1.0.0')
    mkdirSync(dir, { recursive: true })
    const manifest = { ...manifestWith([layerOf(blob, MEDIA_TYPES.moduleBrotli, 'module')], '1.0.0'), name }
    assembleImage(dir, manifest, [blob], key('release'))
    const manifestDigest = sha256(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`))
    const layerDigest = sha256(blob)
    const layerFile = join(dir, 'blobs', 'sha256', layerDigest.slice(7))
    assert.ok(existsSync(layerFile) && existsSync(join(dir, 'blobs', 'sha256', manifestDigest.slice(7))), name)
    return { name, dir, layerFile, layerDigest, manifestDigest, bomb }
  })
  const release = key('release')
  writeFileSync(join(root, 'config.json'), JSON.stringify({
    bound: BOUND_BYTES, repo, cases,
    key: { keyId: release.keyId, algorithm: release.algorithm, publicKey: Buffer.from(release.publicKey).toString('base64') },
  }))
  childFile = join(root, 'child.mjs')
  writeFileSync(childFile, CHILD)
})

/**
 * Runs one child for `path` and one case: a fresh process per case, since memory
 * an earlier case freed stays resident and would hide a later case's growth.
 */
function measure(path: InflatePath, only: Case): Measured {
  const configFile = join(root, `config-${path}-${only.name}.json`)
  writeFileSync(configFile, JSON.stringify({ ...JSON.parse(readFileSync(join(root, 'config.json'), 'utf8')), cases: [only] }))
  const child = spawnSync(process.execPath, ['--expose-gc', childFile, distRoot, path, configFile], { encoding: 'utf8', timeout: 180_000 })
  assert.is(child.status, 0, `the ${path} child for ${only.name}: ${child.stderr}`)
  const measured = JSON.parse(child.stdout.trim().split('\n').pop()!) as Measured[]
  assert.is(measured.length, 1)
  return measured[0]!
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`

for (const path of PATHS) {
  test(`${path}: the bomb refused as endless data within ${mib(GROWTH_BYTES_MAX)} of peak memory; an honest layer at the bound accepted`, () => {
    const measured = cases.map((c) => measure(path, c))
    console.log(`  ${path}: ${measured.map((result) => `${result.name} ${result.accepted === true ? 'accepted' : result.refused ?? result.threw} +${mib(result.growthBytes)}${result.reset ? '' : ' (peak not reset)'}`).join(', ')}`)
    for (const result of measured) {
      const expected = cases.find((c) => c.name === result.name)!
      assert.is(result.threw, undefined, `${path} ${result.name}: ${result.threw}`)
      if (!expected.bomb) {
        assert.is(result.accepted, true, `${path} ${result.name}: an honest layer of exactly the bound is accepted (${result.message ?? ''})`)
        continue
      }
      assert.not.ok(result.accepted, `${path} ${result.name}: the bomb is refused`)
      assert.is(result.attack, 'endless data', `${path} ${result.name}: ${result.message}`)
      if (path === 'compression' || path === 'reader' || path === 'verify') assert.is(result.refused, 'too-large', `${path} ${result.name}: ${result.message}`)
      assert.ok(result.growthBytes <= GROWTH_BYTES_MAX, `${path} ${result.name}: the peak grew by ${mib(result.growthBytes)} while refusing a ${mib(BOMB_BYTES)} bomb under a ${mib(BOUND_BYTES)} bound`)
    }
  })
}

test('timing', () => {
  console.log(`  bomb: ${((performance.now() - started) / 1000).toFixed(1)} s`)
})

test.run()
