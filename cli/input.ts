/**
 * Reading a user's file: read, parse, decode with the spec's codec made exact (a
 * field the format does not have is refused). Every refusal is an {@link InputError}
 * that names the file and, for a decoding failure, the JSON path (tooling.md §9).
 * @module
 */
import { readFileSync, statSync } from 'node:fs'
import type * as t from 'io-ts'
import { decodeOrThrow, InputError, parseJson, readRefusal } from '../spec/decode.js'

/** Input files larger than this are refused before parsing (256 MiB). */
const INPUT_BYTES_MAX = 256 * 1024 * 1024

/** The text of `file`, or an {@link InputError} saying why it cannot be read. */
export function readInputText(file: string): string {
  try {
    const size = statSync(file).size
    if (size > INPUT_BYTES_MAX) throw new InputError(file, [`too large: ${size} bytes, at most ${INPUT_BYTES_MAX}`])
    return readFileSync(file, 'utf8')
  } catch (error) {
    if (error instanceof InputError) throw error
    throw new InputError(file, [`cannot read: ${readRefusal(error)}`])
  }
}

/** Reads `file` as JSON and decodes it with `codec`. @public */
export function readJsonInput<A, O>(codec: t.Type<A, O, unknown>, file: string): A {
  return decodeOrThrow(codec, parseJson(readInputText(file), file), file)
}
