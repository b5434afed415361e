/**
 * What a step changed: every path of the model state whose value differs between
 * the state before and the state after, with both values as compact text. Only the
 * state a reader reasons about is compared: objects, caps, namespaces, images,
 * keyring, floors and CPU accounting. Allocation counters and ghost fields (`gs*`)
 * are left out. Pure.
 * @module
 */
import type { KernelState } from '../../model/state.js'
import { rightsNames } from '../../spec/rights.js'

/** One changed path: `objects[3].slots[2]`, `caps[7]`, with its values (`∅` when absent). */
export interface StateChange {
  readonly path: string
  readonly before: string
  readonly after: string
}

/** The fields compared, and the names paths start with. */
const FIELDS: ReadonlyArray<readonly [keyof KernelState, string]> = [
  ['ksObjects', 'objects'], ['ksCaps', 'caps'], ['ksNamespaces', 'namespaces'],
  ['ksImages', 'images'], ['ksKeyring', 'keyring'], ['ksFloors', 'floors'], ['ksCpuAccounting', 'cpuAccounting'],
]

/** Text of an absent value. */
export const ABSENT = '∅'
const TEXT_MAX = 160
const DEPTH_MAX = 4

/** Changes from `before` to `after`, in field order then key order; at most `limit`. */
export function stateChanges(before: KernelState, after: KernelState, limit = 200): { changes: StateChange[]; more: number } {
  const changes: StateChange[] = []
  let count = 0
  const add = (path: string, from: unknown, to: unknown, key: string) => {
    count++
    if (changes.length < limit) changes.push({ path, before: valueText(from, key), after: valueText(to, key) })
  }
  for (const [field, name] of FIELDS) walk(name, before[field], after[field], add, name)
  return { changes, more: count - changes.length }
}

type Add = (path: string, before: unknown, after: unknown, key: string) => void

/** Recurses where both sides are containers of the same shape; anything else is a leaf change. */
function walk(path: string, before: unknown, after: unknown, add: Add, key: string): void {
  if (Object.is(before, after)) return
  if (before instanceof Map && after instanceof Map) {
    const keys = [...new Set([...before.keys(), ...after.keys()])].sort(compareKeys)
    for (const k of keys) walk(`${path}[${keyText(k)}]`, before.has(k) ? before.get(k) : undefined, after.has(k) ? after.get(k) : undefined, add, String(k))
    return
  }
  if (before instanceof Set && after instanceof Set) {
    if (before.size !== after.size || [...before].some((v) => !after.has(v))) add(path, before, after, key)
    return
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let index = 0; index < Math.max(before.length, after.length); index++) {
      walk(`${path}[${index}]`, index < before.length ? before[index] : undefined, index < after.length ? after[index] : undefined, add, key)
    }
    return
  }
  if (isRecord(before) && isRecord(after) && before.kind === after.kind) {
    for (const k of [...new Set([...Object.keys(before), ...Object.keys(after)])]) walk(`${path}.${k}`, before[k], after[k], add, k)
    return
  }
  add(path, before, after, key)
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0
}

function keyText(key: unknown): string {
  return typeof key === 'number' ? String(key) : JSON.stringify(key)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Set)
}

/** Compact text of a value: JSON-like, plain strings unquoted, rights masks by name, long text elided. */
export function valueText(value: unknown, key = ''): string {
  const text = compact(value, key, 0)
  const points = [...text]
  return points.length <= TEXT_MAX ? text : `${points.slice(0, TEXT_MAX - 1).join('')}…`
}

const PLAIN = /^[A-Za-z0-9._/:-]+$/

function compact(value: unknown, key: string, depth: number): string {
  if (value === undefined) return ABSENT
  if (value === null) return 'null'
  if (typeof value === 'number') return (key === 'rights' || key === 'perms') && Number.isInteger(value) && value >= 0 ? `[${rightsNames(value).join(',')}]` : String(value)
  if (typeof value === 'string') return /^sha256:[0-9a-f]{64}$/.test(value) ? `${value.slice(0, 15)}…` : PLAIN.test(value) ? value : JSON.stringify(value)
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (depth >= DEPTH_MAX) return '…'
  if (value instanceof Map) return `{${[...value.entries()].map(([k, v]) => `${compact(k, '', depth + 1)}:${compact(v, String(k), depth + 1)}`).join(',')}}`
  if (value instanceof Set) return `{${[...value].map((v) => compact(v, key, depth + 1)).join(',')}}`
  if (Array.isArray(value)) return `[${value.map((v) => compact(v, key, depth + 1)).join(',')}]`
  if (isRecord(value)) return `{${Object.entries(value).map(([k, v]) => `${k}:${compact(v, k, depth + 1)}`).join(',')}}`
  return typeof value
}
