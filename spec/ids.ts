/**
 * The names of things in the kernel's vocabulary.
 *
 * Processes never see these identities (kernel.md §1); they exist for the kernels'
 * own bookkeeping, for traces and for invariant witnesses.
 * @module
 */
import * as t from 'io-ts'

/** Identity of a kernel object, assigned in creation order from 0. @public */
export type ObjectId = number
/** Identity of a capability (a node of the derivation tree), assigned in creation order. @public */
export type CapId = number
/** Identity of a namespace (pid, mount, net, ipc or user), assigned in creation order. @public */
export type NamespaceId = number
/** A slot number in a process's CSpace. @public */
export type SlotIndex = number
/**
 * How traces, schedulers and the clock name a process: its **creation index**, the
 * number of processes created before it since boot. Init is process 0, the first
 * spawned process is 1, and an index is never reused. It is deterministic from the
 * trace alone, so model and impl (whose handles differ) agree on it.
 * @public
 */
export type ProcessRef = number

/** The kinds of kernel objects (kernel.md §1). @public */
export const OBJECT_KINDS = ['container', 'process', 'region', 'endpoint', 'device'] as const
export type ObjectKind = (typeof OBJECT_KINDS)[number]
/** An object kind by name, as files and replies spell it. */
export const ObjectKindCodec = t.keyof(Object.fromEntries(OBJECT_KINDS.map((kind) => [kind, null])) as Record<ObjectKind, null>)

/** The namespace kinds a container has (kernel.md §6). */
export const NAMESPACE_KINDS = ['pid', 'mount', 'net', 'ipc', 'user'] as const
export type NamespaceKind = (typeof NAMESPACE_KINDS)[number]
