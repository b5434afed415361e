/**
 * Internals shared by the invariant families: building violations, finding the
 * first failure in a list, and reading a step's syscall safely (it may be
 * malformed, so every field is checked before use).
 * @module
 * @internal
 */
import * as O from 'fp-ts/lib/Option.js'
import * as E from 'fp-ts/lib/Either.js'
import type { ObjectId, ProcessRef } from '../ids.js'
import type { Reply } from '../results.js'
import type { SyscallKind } from '../syscalls.js'
import type { KernelState, ProcessObject } from '../../model/state.js'
import type { InvariantId, StepContext, Violation } from './types.js'

/** A violation of `invariant`, with a plain-JSON witness. @internal */
export function violation(invariant: InvariantId, message: string, witness: Record<string, unknown>): O.Option<Violation> {
  return O.some({ invariant, message, witness })
}

/** The first `Some` that `check` gives over `items`, in order. @internal */
export function firstViolation<T>(items: Iterable<T>, check: (item: T) => O.Option<Violation>): O.Option<Violation> {
  for (const item of items) {
    const found = check(item)
    if (O.isSome(found)) return found
  }
  return O.none
}

/** The first `Some` among several checks, run lazily in order. @internal */
export function firstOf(...checks: ReadonlyArray<() => O.Option<Violation>>): O.Option<Violation> {
  return firstViolation(checks, (check) => check())
}

/** A step's syscall as a record of fields, or undefined when it is not an object. @internal */
export type SyscallFields = Readonly<Record<string, unknown>>

/**
 * The syscall of a step when it is of one of `kinds` and succeeded, with its
 * reply; undefined otherwise (a failed syscall changes nothing worth checking).
 * @internal
 */
export function successfulSyscall(step: StepContext, kinds: ReadonlyArray<SyscallKind>): { fields: SyscallFields; reply: Reply } | undefined {
  if (E.isLeft(step.outcome)) return undefined
  const fields = syscallFields(step.syscall)
  if (fields === undefined || !kinds.includes(fields['kind'] as SyscallKind)) return undefined
  return { fields, reply: step.outcome.right }
}

/** The syscall's fields, if it is a non-null object. @internal */
export function syscallFields(syscall: unknown): SyscallFields | undefined {
  return typeof syscall === 'object' && syscall !== null && !Array.isArray(syscall) ? (syscall as SyscallFields) : undefined
}

/** A natural-number field of a syscall, or undefined when absent or not one. @internal */
export function natField(fields: SyscallFields, key: string): number | undefined {
  const value = fields[key]
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined
}

/** The process a creation index names in `state`, if it is still a process object. @internal */
export function processOfRef(state: KernelState, ref: ProcessRef): ProcessObject | undefined {
  const id = state.ksProcessRefs[ref]
  if (id === undefined) return undefined
  const object = state.ksObjects.get(id)
  return object?.kind === 'process' ? object : undefined
}

/** The caller's process (by its `caller` field) in `state`. @internal */
export function callerProcess(state: KernelState, fields: SyscallFields): ProcessObject | undefined {
  const caller = natField(fields, 'caller')
  return caller === undefined ? undefined : processOfRef(state, caller)
}

/** The container charged for an object; a container with no owner (the root) is its own. @internal */
export function ownerOf(object: { readonly id: ObjectId; readonly owner: ObjectId | null }): ObjectId {
  return object.owner ?? object.id
}

/** Containers present in `state`, in the state's order. @internal */
export function containersOf(state: KernelState) {
  return [...state.ksObjects.values()].flatMap((object) => (object.kind === 'container' ? [object] : []))
}

/** Processes present in `state`, in the state's order. @internal */
export function processesOf(state: KernelState) {
  return [...state.ksObjects.values()].flatMap((object) => (object.kind === 'process' ? [object] : []))
}
