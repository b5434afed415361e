/**
 * Codecs the pipeline adds to the spec's: module names that are safe as directory
 * names, records whose keys are checked (io-ts `t.record` with a refined domain
 * silently drops bad keys), and the rollback floors file.
 * @module
 */
import * as t from 'io-ts'
import { NameCodec } from '../spec/numbers.js'
import { SemverCodec } from '../spec/images.js'
import { readJsonFile } from './files.js'
import { exact, expectedOf } from '../spec/exact.js'

/** A module name: a spec {@link NameCodec} that is also a safe directory name (never `.` or `..`). @public */
export const ModuleNameCodec = new t.Type<string, string, unknown>(
  'ModuleName',
  (u): u is string => NameCodec.is(u) && u !== '.' && u !== '..',
  (u, c) => (NameCodec.is(u) && u !== '.' && u !== '..' ? t.success(u) : t.failure(u, c, 'expected a module name ([A-Za-z0-9._-], 1 to 64 characters, not . or ..)')),
  t.identity,
)

/** A JSON object whose every key passes `key` and every value passes `value`; a bad key is a failure, not dropped. */
export function recordOf<V, VO>(key: t.Type<string, string, unknown>, valueCodec: t.Type<V, VO, unknown>, name: string): t.Type<Record<string, V>, Record<string, VO>, unknown> {
  // The values are decoded exactly: a record is a closed codec's leaf, not looked into by `exact`.
  const value = exact(valueCodec)
  const isPlainObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u)
  return new t.Type<Record<string, V>, Record<string, VO>, unknown>(
    name,
    (u): u is Record<string, V> => isPlainObject(u) && Object.entries(u).every(([k, v]) => key.is(k) && value.is(v)),
    (u, c) => {
      if (!isPlainObject(u)) return t.failure(u, c, 'expected an object')
      const errors: t.Errors = []
      const result: Record<string, V> = Object.create(null) as Record<string, V>
      for (const [k, v] of Object.entries(u)) {
        const keyContext = t.appendContext(c, k, key, k)
        const keyResult = key.validate(k, keyContext)
        if (keyResult._tag === 'Left') {
          errors.push(...keyResult.left.map((error) => ({ ...error, message: `expected a key that is ${expectedOf(error)}` })))
          continue
        }
        const valueResult = value.validate(v, t.appendContext(c, k, value, v))
        if (valueResult._tag === 'Left') errors.push(...valueResult.left)
        else result[k] = valueResult.right
      }
      return errors.length > 0 ? t.failures(errors) : t.success(result)
    },
    (a) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, value.encode(v)])),
  )
}

/** `record[key]` if `key` is the record's own property: never an inherited `constructor` or `__proto__`. */
export function own<V>(record: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined
}

/** Rollback floors: the lowest version of each module name that may be accepted. @public */
export const FloorsCodec = recordOf(ModuleNameCodec, SemverCodec, 'Floors')
/** Rollback floors by module name. @public */
export type Floors = t.TypeOf<typeof FloorsCodec>

/** Floors files larger than this are refused (1 MiB). */
const FLOORS_BYTES_MAX = 1024 * 1024

/** Reads a floors file (`{"echo": "1.2.0"}`); refuses bad JSON, bad module names and versions that are not semver. @public */
export function readFloors(file: string): Floors {
  return readJsonFile(FloorsCodec, file, FLOORS_BYTES_MAX, { followLinks: true })
}
