/**
 * The DecompressionService (seed 003 §2 step 2, the seed's DeepCompressionService):
 * a process with its own endpoint, registered in the service directory as
 * `decompression`. For each `DecompressRequest {requestId, layerDigest}` it reads
 * the blob with that digest from the repository (checking that its bytes are that
 * digest), inflates it behind its compression header within the bound
 * (decompression bombs refused), checks the inflated bytes against the digest the
 * header pins, and answers `DecompressResponse` on the reply cap that came with the
 * request.
 * @module
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { ImageError } from '../errors.js'
import { readRegularFile, sha256Digest } from '../files.js'
import { inflateModuleLayer, moduleMediaType, readCompressionHeader } from '../image/compression.js'
import { LAYER_BYTES_MAX_DEFAULT } from '../image/layout.js'
import { DecompressRequestCodec, DecompressResponseCodec, decodeMessage, encodeMessage, type DecompressResponse } from './messages.js'
import { isPoll, type ProcessContext, type ProcessHandler } from './runtime.js'

/** The DecompressionService's CSpace: its endpoint (granted by init), and where a request's reply cap lands. */
export const DECOMPRESSION_SLOTS = { endpoint: 0, reply: 1, count: 4 } as const
/** Its name in the service directory. */
export const DECOMPRESSION_SERVICE = 'decompression'

/**
 * The paths of every blob stored in the repository `repo`, by the digest that
 * names them: one blob may be stored under several versions, and a tampered copy
 * in one of them must not hide an intact copy in another.
 */
function blobIndex(repo: string): Map<string, string[]> {
  const index = new Map<string, string[]>()
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir).sort()
    } catch {
      return []
    }
  }
  for (const name of list(join(repo, 'images'))) {
    for (const version of list(join(repo, 'images', name))) {
      const blobs = join(repo, 'images', name, version, 'blobs', 'sha256')
      for (const hex of list(blobs)) {
        if (!/^[0-9a-f]{64}$/.test(hex)) continue
        const paths = index.get(`sha256:${hex}`)
        if (paths === undefined) index.set(`sha256:${hex}`, [join(blobs, hex)])
        else paths.push(join(blobs, hex))
      }
    }
  }
  return index
}

/** The DecompressionService's code. @public */
export class DecompressionService implements ProcessHandler {
  private registered = false
  private index: Map<string, string[]> | null = null
  /** Layers inflated so far. */
  inflated = 0

  /**
   * @param repo the repository it reads blobs from
   * @param clients names of its clients by the badge of the caps init gave them (for the exchange)
   */
  constructor(private readonly repo: string, private readonly clients: ReadonlyMap<number, string> = new Map(), private readonly layerBytesMax = LAYER_BYTES_MAX_DEFAULT) {}

  activate(process: ProcessContext): void {
    if (!this.registered) {
      this.registered = E.isRight(process.call({ kind: 'svc_register', name: DECOMPRESSION_SERVICE, slot: DECOMPRESSION_SLOTS.endpoint }))
      return
    }
    const received = process.call({ kind: 'ep_recv', slot: DECOMPRESSION_SLOTS.endpoint, dst: DECOMPRESSION_SLOTS.reply }, { idle: isPoll })
    if (E.isLeft(received) || received.right.kind !== 'message') return
    const { payload, cap, badge } = received.right
    const client = this.clients.get(badge) ?? `badge ${badge}`
    const request = decodeMessage(DecompressRequestCodec, payload)
    if (cap !== 'received') {
      process.note(`request without a reply cap (${cap}): dropped`)
      return
    }
    const response: DecompressResponse = request.ok
      ? this.inflate(request.value.requestId, request.value.layerDigest)
      : { requestId: 'unknown', layerDigest: `sha256:${'0'.repeat(64)}`, status: 'Error', error: request.error }
    const text = encodeMessage(DecompressResponseCodec, response)
    process.call({ kind: 'ep_send', slot: DECOMPRESSION_SLOTS.reply, payload: text })
    process.message({ from: process.name, to: client, type: 'DecompressResponse', payload: text, cap: false })
    process.call({ kind: 'cap_delete', slot: DECOMPRESSION_SLOTS.reply })
  }

  /**
   * Reads the blob `layerDigest` from the repository and inflates it; every
   * refusal is an `Error` response naming it. Of several stored copies, the first
   * whose bytes are that digest is the blob; with none, the first copy's refusal.
   */
  private inflate(requestId: string, layerDigest: string): DecompressResponse {
    this.index ??= blobIndex(this.repo)
    const files = this.index.get(layerDigest)
    if (files === undefined) return { requestId, layerDigest, status: 'Error', error: `no blob ${layerDigest} in the repository` }
    let refusal: ImageError | null = null
    for (const file of files) {
      let matched = false
      try {
        const bytes = readRegularFile(file, this.layerBytesMax)
        const actual = sha256Digest(bytes)
        if (actual !== layerDigest) throw new ImageError(file, 'digest-mismatch', `its content has digest ${actual}, expected ${layerDigest}: tampered with or swapped`, 'mix-and-match')
        matched = true
        const { header } = readCompressionHeader(bytes, file)
        const { content } = inflateModuleLayer(bytes, file, moduleMediaType(header.algorithm), this.layerBytesMax)
        this.inflated++
        return { requestId, layerDigest, status: 'Success', uncompressedDigest: sha256Digest(content), uncompressedSizeBytes: content.length }
      } catch (error) {
        if (!(error instanceof ImageError)) throw error
        refusal ??= error
        // Bytes that are the digest but do not inflate are the blob itself: no other copy can differ.
        if (matched) break
      }
    }
    return { requestId, layerDigest, status: 'Error', error: refusal!.message }
  }
}
