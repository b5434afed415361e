/**
 * What `sila audit FILE` was handed: a `sila-state/1` snapshot, a `sila-trace/1`
 * trace (told apart by their `format` field), or an image directory. Anything else
 * is refused with an {@link InputError} naming the file.
 * @module
 */
import { statSync } from 'node:fs'
import { decodeOrThrow, InputError, parseJson } from '../../spec/decode.js'
import { TRACE_FORMAT, TraceCodec, type Trace } from '../../spec/trace.js'
import { readInputText } from '../../cli/input.js'
import { decodeSnapshotValue, STATE_FORMAT, type Snapshot } from './snapshot.js'
import { isBootError } from '../../model/boot-system.js'

/** A decoded audit input. @public */
export type AuditInput =
  | { readonly kind: 'state'; readonly file: string; readonly text: string; readonly snapshot: Snapshot }
  | { readonly kind: 'trace'; readonly file: string; readonly text: string; readonly trace: Trace }
  | { readonly kind: 'image'; readonly dir: string }

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false // readInputText says why it cannot be read
  }
}

function formatOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>).format : undefined
}

/**
 * Reads and decodes `file`: a directory is an image; a file is JSON whose `format`
 * says whether it is a snapshot or a trace.
 * @public
 */
export function readAuditInput(file: string): AuditInput {
  if (isDirectory(file)) return { kind: 'image', dir: file }
  const text = readInputText(file)
  const value = parseJson(text, file)
  const format = formatOf(value)
  if (format === STATE_FORMAT) return { kind: 'state', file, text, snapshot: decodeSnapshotValue(value, file) }
  if (format === TRACE_FORMAT) return { kind: 'trace', file, text, trace: decodeOrThrow(TraceCodec, value, file) }
  const found = format === undefined ? 'no format field' : `format ${JSON.stringify(format)}`
  throw new InputError(file, [`$.format: expected "${STATE_FORMAT}" (a state snapshot) or "${TRACE_FORMAT}" (a trace), or give an image directory; found ${found}`])
}

/**
 * Runs `body`, which boots the configuration of the trace in `file` (on the model,
 * the impl, or both); a declared system the kernel cannot honour (a `BootError`
 * of either) becomes an {@link InputError} naming its place under `$.boot`, and
 * an image pool that names a digest twice one naming the image under `$.images`.
 * @public
 */
export function withBootErrors<A>(file: string, body: () => A): A {
  try {
    return body()
  } catch (error) {
    if (!isBootError(error)) throw error
    const detail = error.message.startsWith(`${error.path}: `) ? error.message.slice(error.path.length + 2) : error.message
    const place = error.path.startsWith('$.images[') ? error.path : `$.boot${error.path.replace(/^\$/, '')}`
    throw new InputError(file, [`${place}: ${detail}`])
  }
}
