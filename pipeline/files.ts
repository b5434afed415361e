/**
 * Bytes on disk for the pipeline: bounded reads that refuse symlinks and oversized
 * files, JSON parsing into {@link ImageError}s, and writes that never leave a
 * half-written result (a temporary file or directory, then a rename or a link).
 * @module
 */
import { closeSync, chmodSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { dirname, join } from 'node:path'
import type * as t from 'io-ts'
import { decodeOrThrow, readRefusal, writeRefusal } from '../spec/decode.js'
import { ImageError, refuseAs } from './errors.js'
import { removeStaleSiblings, temporarySibling } from '../cli/output.js'

/** `sha256:<hex>` of `bytes`. @public */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** A byte count for people: `1234 bytes`, `64 MiB`. */
export function formatBytes(count: number): string {
  if (count >= 1024 * 1024 && count % (1024 * 1024) === 0) return `${count / (1024 * 1024)} MiB`
  return `${count} byte${count === 1 ? '' : 's'}`
}

/** How {@link readRegularFile} reads. */
export interface ReadFileOptions {
  /** The size a descriptor declares: a longer file is refused before it is read. */
  readonly declaredBytes?: number
  /** Follow a symbolic link (a file the user names); never inside a layout or repository. @defaultValue false */
  readonly followLinks?: boolean
}

/**
 * Reads a whole regular file of at most `bytesMax` bytes. Refuses a missing file, a
 * symlink (unless `followLinks`: inside a layout it could point anywhere) or
 * anything else that is not a regular file, and a file over the bound, or longer
 * than `declaredBytes` when given, before reading a byte of it.
 */
export function readRegularFile(file: string, bytesMax: number, options: ReadFileOptions = {}): Uint8Array {
  const { declaredBytes } = options
  let size: number
  try {
    const stat = options.followLinks === true ? statSync(file) : lstatSync(file)
    if (stat.isSymbolicLink()) throw new ImageError(file, 'unsafe-path', 'is a symbolic link; only regular files are read')
    if (!stat.isFile()) throw new ImageError(file, 'unsafe-path', stat.isDirectory() ? 'is a directory, expected a file' : 'is not a regular file')
    size = stat.size
  } catch (error) {
    if (error instanceof ImageError) throw error
    throw new ImageError(file, (error as { code?: string }).code === 'ENOENT' ? 'missing' : 'malformed', `cannot read: ${readRefusal(error)}`)
  }
  if (size > bytesMax) throw new ImageError(file, 'too-large', `is ${size} bytes, more than the bound of ${formatBytes(bytesMax)}`, 'endless data')
  if (declaredBytes !== undefined && size > declaredBytes) throw new ImageError(file, 'too-large', `is ${size} bytes, longer than the ${declaredBytes} its descriptor declares`, 'endless data')
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (error) {
    throw new ImageError(file, 'malformed', `cannot read: ${readRefusal(error)}`)
  }
  const limit = Math.min(bytesMax, declaredBytes ?? bytesMax)
  if (bytes.length > limit) throw new ImageError(file, 'too-large', `grew to ${bytes.length} bytes while being read, more than ${formatBytes(limit)}`, 'endless data')
  return bytes
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** Parses UTF-8 JSON bytes read from `file`; refuses invalid UTF-8 and invalid JSON. */
export function parseJsonBytes(bytes: Uint8Array, file: string): unknown {
  let text: string
  try {
    text = UTF8.decode(bytes)
  } catch {
    throw new ImageError(file, 'malformed', 'not valid UTF-8 text')
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new ImageError(file, 'malformed', `not valid JSON: ${(error as Error).message}`)
  }
}

/** Decodes `value` read from `file` with `codec`, refusing with the JSON path of each failure. */
export function decodeJson<A, O>(codec: t.Type<A, O, unknown>, value: unknown, file: string): A {
  return refuseAs('malformed', () => decodeOrThrow(codec, value, file))
}

/** Reads `file` (at most `bytesMax` bytes) as JSON and decodes it with `codec`. */
export function readJsonFile<A, O>(codec: t.Type<A, O, unknown>, file: string, bytesMax: number, options: ReadFileOptions = {}): A {
  return decodeJson(codec, parseJsonBytes(readRegularFile(file, bytesMax, options), file), file)
}

/** JSON text as the pipeline stores it: two-space indentation and a final newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}


function writeAndSync(file: string, data: Uint8Array, mode: number): void {
  const descriptor = openSync(file, 'wx', mode)
  try {
    writeSync(descriptor, data)
    fsyncSync(descriptor)
  } finally {
    closeSync(descriptor)
  }
  chmodSync(file, mode)
}

/**
 * Writes a new file that must not exist yet, with `mode` from its first byte: the
 * bytes go to a temporary file created with that mode, which is then hard-linked to
 * `file` (failing if it exists, so nothing is ever overwritten) and removed.
 */
export function writeNewFile(file: string, data: string | Uint8Array, mode: number): void {
  removeStaleSiblings(file)
  const temporary = temporarySibling(file, 'tmp')
  try {
    writeAndSync(temporary, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, mode)
    linkSync(temporary, file)
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') throw new ImageError(file, 'exists', 'already exists; it is not overwritten')
    throw asWriteError(error, file)
  } finally {
    removeQuietly(temporary)
  }
}

/** Best-effort removal of a temporary file or directory: the error being reported matters more. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true })
  } catch {
    // Nothing was created there, or it cannot be removed; either way the original error is what to report.
  }
}

/** One file of a directory tree: its path relative to the tree's root, and its bytes. */
export interface TreeFile {
  readonly path: string
  readonly data: Uint8Array
}

/**
 * Creates the directory `target` with exactly `files` in it, or nothing: the tree is
 * written into a temporary sibling directory, every file flushed, and the directory
 * renamed to `target` at the end. Refuses if `target` exists.
 */
export function writeTreeAtomic(target: string, files: ReadonlyArray<TreeFile>): void {
  if (exists(target)) throw new ImageError(target, 'exists', 'already exists; it is not overwritten')
  try {
    mkdirSync(dirname(target), { recursive: true })
  } catch (error) {
    const code = (error as { code?: string }).code
    throw code === 'EEXIST' ? new ImageError(target, 'unwritable', 'cannot write: a parent is not a directory') : asWriteError(error, target)
  }
  removeStaleSiblings(target)
  const temporary = temporarySibling(target, 'tmpdir')
  try {
    mkdirSync(temporary, { recursive: false, mode: 0o755 })
    for (const file of files) {
      const path = join(temporary, file.path)
      mkdirSync(dirname(path), { recursive: true })
      writeAndSync(path, file.data, 0o644)
    }
    renameSync(temporary, target)
  } catch (error) {
    removeQuietly(temporary)
    if ((error as { code?: string }).code === 'ENOTEMPTY' || (error as { code?: string }).code === 'EEXIST') {
      throw new ImageError(target, 'exists', 'already exists; it is not overwritten')
    }
    throw asWriteError(error, target)
  }
}

/** A file-system error writing `target` as an {@link ImageError}, when it is the user's to fix; anything else unchanged. */
export function asWriteError(error: unknown, target: string): unknown {
  const reason = writeRefusal(error)
  return reason === null ? error : new ImageError(target, 'unwritable', `cannot write: ${reason}`)
}

/** Whether anything (a file, a directory, a dangling link) exists at `path`. */
export function exists(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}

/** Removes a file if it is there. */
export function removeFile(path: string): void {
  try {
    unlinkSync(path)
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error
  }
}

/** A blob framed as one JSON header line, a newline, then payload bytes. */
export interface FramedBytes {
  readonly header: unknown
  /** Bytes of the header line, newline included. */
  readonly headerBytes: number
  readonly payload: Uint8Array
}

/**
 * Splits a framed blob into its JSON header and payload. Refuses a blob with no
 * newline in its first `headerBytesMax` bytes and a header that is not JSON.
 */
export function splitFramed(bytes: Uint8Array, file: string, headerBytesMax: number): FramedBytes {
  const newline = bytes.subarray(0, headerBytesMax + 1).indexOf(0x0a)
  if (newline < 0) throw new ImageError(file, 'malformed', `expected a JSON header line of at most ${headerBytesMax} bytes ending in a newline, found none`)
  const header = parseJsonBytes(bytes.subarray(0, newline), file)
  return { header, headerBytes: newline + 1, payload: bytes.subarray(newline + 1) }
}

/** A framed blob: the header as one JSON line, a newline, then the payload. */
export function frame(header: unknown, payload: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), payload])
}
