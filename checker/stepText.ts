/**
 * Short text of a step for step tables: who called, and the syscall as its kind plus
 * compact arguments (`cap_copy src=0 dst=3 rights=[read]`). Total over any value,
 * since robustness traces hold malformed syscalls.
 * @module
 */
import { CLOCK_KINDS, type SyscallKind } from '../spec/syscalls.js'

const LIMIT_KEYS: Readonly<Record<string, string>> = {
  memoryBytes: 'mem', processes: 'proc', endpoints: 'ep', cpuBudget: 'cpu', ioBytes: 'io', cpuWeight: 'weight', devices: 'dev',
}
const DIGEST = /^sha256:[0-9a-f]{64}$/
const PLAIN = /^[A-Za-z0-9._/:-]+$/
/** Nesting depth and text length past which values are elided, so that hostile traces stay printable. */
const DEPTH_MAX = 4
const TEXT_LENGTH_MAX = 200

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The caller column: the creation index, `clock` for the clock's syscalls, `?` when there is none. @public */
export function callerText(syscall: unknown): string {
  if (!isRecord(syscall)) return '?'
  if (typeof syscall.caller === 'number') return String(syscall.caller)
  if (CLOCK_KINDS.includes(syscall.kind as SyscallKind)) return 'clock'
  return syscall.caller === undefined ? '?' : compactValue(syscall.caller, 0)
}

/** The syscall column. @public */
export function syscallText(syscall: unknown): string {
  return elide(rawSyscallText(syscall))
}

function rawSyscallText(syscall: unknown): string {
  if (!isRecord(syscall) || typeof syscall.kind !== 'string') return `(malformed) ${compactValue(syscall, 0)}`
  const args = Object.entries(syscall)
    .filter(([key]) => key !== 'kind' && key !== 'caller')
    .map(([key, value]) => `${key}=${argumentText(key, value)}`)
  return [compactValue(syscall.kind, 0), ...args].join(' ')
}

function elide(text: string): string {
  const points = [...text]
  return points.length <= TEXT_LENGTH_MAX ? text : `${points.slice(0, TEXT_LENGTH_MAX - 1).join('')}…`
}

function argumentText(key: string, value: unknown): string {
  if (key === 'payload' && typeof value === 'string') return JSON.stringify(value)
  if (key === 'limits' && isRecord(value)) {
    return `{${Object.entries(value).map(([name, amount]) => `${LIMIT_KEYS[name] ?? name}=${compactValue(amount, 1)}`).join(',')}}`
  }
  if (key === 'namespaces' && isRecord(value)) {
    const own = Object.entries(value).filter(([, mode]) => mode !== 'share')
    return own.length === 0 ? 'share' : `{${own.map(([name, mode]) => `${name}:${compactValue(mode, 1)}`).join(',')}}`
  }
  if (key === 'grants' && Array.isArray(value)) {
    return `[${value.map((grant) => (isRecord(grant) && Object.keys(grant).length === 2 && 'slot' in grant && 'rights' in grant
      ? `${compactValue(grant.slot, 1)}:${compactValue(grant.rights, 1)}`
      : compactValue(grant, 1))).join(',')}]`
  }
  return compactValue(value, 0)
}

/** JSON-like, without quotes around plain strings and keys, digests shortened. */
function compactValue(value: unknown, depth: number): string {
  if (typeof value === 'string') {
    if (DIGEST.test(value)) return `${value.slice(0, 15)}…`
    return PLAIN.test(value) ? value : JSON.stringify(value)
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (depth >= DEPTH_MAX) return '…'
  if (Array.isArray(value)) return `[${value.map((item) => compactValue(item, depth + 1)).join(',')}]`
  if (isRecord(value)) return `{${Object.entries(value).map(([key, item]) => `${key}:${compactValue(item, depth + 1)}`).join(',')}}`
  return typeof value
}
