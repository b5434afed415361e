/**
 * Hand-built states for the invariant tests. `richState()` extends the boot state
 * with one of everything (a child container with its own pid, user and mount
 * namespaces, an endpoint with a queued message, a mapped region, a spawned
 * process holding a granted cap, table entries), every invariant holding. Tests
 * break one thing at a time with `edit`.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import * as assert from 'uvu/assert'
import { boot } from '../../model/boot.js'
import { DEFAULT_BOOT } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import type { Limits } from '../../spec/limits.js'
import { R_ALL, R_CONTROL, R_GRANT, R_READ, R_WRITE } from '../../spec/rights.js'
import type { Reply } from '../../spec/results.js'
import type { SyscallError } from '../../spec/errors.js'
import { type Cap, type CapLocation, type KernelObject, type KernelState, type Namespace, flowKey } from '../../model/state.js'
import { type Draft, draft, freeze } from '../../model/draft.js'
import { collectGarbage, destroyContainer } from '../../model/destroy.js'
import type { StepContext, Violation } from '../../spec/invariants/types.js'

/** Root container (object 0). */
export const ROOT = 0
/** Device `disk0` (object 1). */
export const DISK = 1
/** Init (object 3, process 0). */
export const INIT = 3
/** Child container A of the root (object 4), with its own pid, user and mount namespaces. */
export const A = 4
/** Endpoint owned by the root (object 5), depth 2, one message queued. */
export const EP = 5
/** Data region owned by the root (object 6), mapped by init. */
export const REGION = 6
/** Process P in A (object 7, process 1). */
export const P = 7

/** Init's cap to the root container (slot 0). */
export const CAP_ROOT = 0
/** Init's original cap to A (slot 3). */
export const CAP_A = 3
/** Init's original cap to EP, read+write+grant (slot 4). */
export const CAP_EP = 4
/** Init's original cap to REGION (slot 5), through which init maps it. */
export const CAP_REGION = 5
/** Init's original cap to P (slot 6). */
export const CAP_P = 6
/** P's write-only child of CAP_EP (P's slot 0), granted at spawn. */
export const CAP_P_EP = 7
/** A read child of CAP_REGION at `/data` in A's mount table. */
export const CAP_MOUNT_ENTRY = 8
/** A read+write child of CAP_EP at port 80 in the root's net table. */
export const CAP_PORT_ENTRY = 9

/** The root's pid namespace. */
export const NS_PID_ROOT = 0
/** The root's net table (shared by A). */
export const NS_NET_ROOT = 2
/** The root's service directory (shared by A). */
export const NS_IPC_ROOT = 3
/** The root user namespace (identity map). */
export const NS_USER_ROOT = 4
/** A's pid namespace. */
export const NS_PID_A = 5
/** A's user namespace: local uid 0 is host uid 1000. */
export const NS_USER_A = 6
/** A's mount table, owned by NS_USER_A. */
export const NS_MOUNT_A = 7

/** Digest of P's image. */
export const DIGEST = `sha256:${'a'.repeat(64)}`
/** P's image: signed by `release`, above the `echo` floor, asks for one write endpoint. */
export const IMAGE: ImageRecord = {
  digest: DIGEST, name: 'echo', version: '1.10.0', signatures: [{ signer: 'release', verifies: true }],
  manifest: { requests: [{ kind: 'endpoint', rights: ['write'] }], memoryBytes: 4096 },
}

/** A's limits. */
export const LIMITS_A: Limits = { memoryBytes: 10_000, processes: 4, endpoints: 4, cpuBudget: 100, ioBytes: 1000, cpuWeight: 50, devices: ['disk0'] }

/** The boot state of the default configuration. */
export function bootState(): KernelState {
  return boot(DEFAULT_BOOT)
}

/** A copy of `state` changed by `change` (the input is never touched). */
export function edit(state: KernelState, change: (work: Draft) => void): KernelState {
  const work = draft(state)
  change(work)
  return freeze(work)
}

/** Replaces an object in a draft by a changed copy. */
export function patchObject<T extends KernelObject>(work: Draft, id: number, change: (object: T) => T): void {
  work.ksObjects.set(id, change(work.ksObjects.get(id) as T))
}

/** Replaces a cap in a draft by a changed copy. */
export function patchCap(work: Draft, id: number, change: (cap: Cap) => Cap): void {
  work.ksCaps.set(id, change(work.ksCaps.get(id)!))
}

/** A slot location. */
export const slotAt = (process: number, slot: number): CapLocation => ({ place: 'slot', process, slot })
/** A table-entry location. */
export const tableAt = (namespace: number, key: string): CapLocation => ({ place: 'table', namespace, key })

function addNamespaces(work: Draft): void {
  const uidMap = work.ksNamespaces.get(NS_PID_ROOT)!.uidMap
  const base = { entries: new Map<string, number>(), uidMap, pidNext: 1 }
  const namespaces: Namespace[] = [
    { ...base, id: NS_PID_A, kind: 'pid', creator: A, parent: NS_PID_ROOT, userNamespace: NS_USER_A, pidNext: 2 },
    { ...base, id: NS_USER_A, kind: 'user', creator: A, parent: NS_USER_ROOT, userNamespace: NS_USER_ROOT, uidMap: { base: 1000, count: 1000 } },
    { ...base, id: NS_MOUNT_A, kind: 'mount', creator: A, parent: null, userNamespace: NS_USER_A, entries: new Map([['/data', CAP_MOUNT_ENTRY]]) },
  ]
  for (const namespace of namespaces) work.ksNamespaces.set(namespace.id, namespace)
  const rootNet = work.ksNamespaces.get(NS_NET_ROOT)!
  work.ksNamespaces.set(NS_NET_ROOT, { ...rootNet, entries: new Map([['80', CAP_PORT_ENTRY]]) })
  const rootPid = work.ksNamespaces.get(NS_PID_ROOT)!
  work.ksNamespaces.set(NS_PID_ROOT, { ...rootPid, pidNext: 3 })
}

function addObjects(work: Draft): void {
  patchObject<Extract<KernelObject, { kind: 'container' }>>(work, ROOT, (root) => ({
    ...root, usage: { memoryBytes: 100, processes: 1, endpoints: 1, cpuBudget: 20, ioBytes: 0 },
  }))
  work.ksObjects.set(A, {
    kind: 'container', id: A, owner: ROOT, parent: ROOT, limits: LIMITS_A,
    usage: { memoryBytes: 4096, processes: 1, endpoints: 0, cpuBudget: 3, ioBytes: 10 },
    namespaces: { pid: NS_PID_A, mount: NS_MOUNT_A, net: NS_NET_ROOT, ipc: NS_IPC_ROOT, user: NS_USER_A },
  })
  work.ksObjects.set(EP, { kind: 'endpoint', id: EP, owner: ROOT, depth: 2, queue: [{ seq: 1, payload: 7, badge: 0, cap: null }] })
  work.ksObjects.set(REGION, { kind: 'region', id: REGION, owner: ROOT, sizeBytes: 100, executable: false })
  work.ksObjects.set(P, {
    kind: 'process', id: P, owner: A, ref: 1, uid: 0, status: 'running', slots: [CAP_P_EP, null, null, null], mappings: [],
    pids: new Map([[NS_PID_A, 1], [NS_PID_ROOT, 2]]), image: DIGEST, imageBytes: 4096,
  })
  patchObject<Extract<KernelObject, { kind: 'process' }>>(work, INIT, (init) => ({
    ...init,
    slots: init.slots.map((cap, slot) => [CAP_A, CAP_EP, CAP_REGION, CAP_P][slot - 3] ?? cap),
    mappings: [{ cap: CAP_REGION, region: REGION, perms: R_READ | R_WRITE }],
  }))
}

function addCaps(work: Draft): void {
  const caps: Cap[] = [
    { id: CAP_A, object: A, rights: R_ALL, badge: 0, parent: null, at: slotAt(INIT, 3) },
    { id: CAP_EP, object: EP, rights: R_READ | R_WRITE | R_GRANT, badge: 0, parent: null, at: slotAt(INIT, 4) },
    { id: CAP_REGION, object: REGION, rights: R_READ | R_WRITE | R_CONTROL, badge: 0, parent: null, at: slotAt(INIT, 5) },
    { id: CAP_P, object: P, rights: R_ALL, badge: 0, parent: null, at: slotAt(INIT, 6) },
    { id: CAP_P_EP, object: EP, rights: R_WRITE, badge: 0, parent: CAP_EP, at: slotAt(P, 0) },
    { id: CAP_MOUNT_ENTRY, object: REGION, rights: R_READ, badge: 0, parent: CAP_REGION, at: tableAt(NS_MOUNT_A, '/data') },
    { id: CAP_PORT_ENTRY, object: EP, rights: R_READ | R_WRITE, badge: 0, parent: CAP_EP, at: tableAt(NS_NET_ROOT, '80') },
  ]
  for (const cap of caps) work.ksCaps.set(cap.id, cap)
}

/** The boot state plus one of everything; every invariant holds in it. */
export function richState(): KernelState {
  return edit(boot(DEFAULT_BOOT, [IMAGE]), (work) => {
    addNamespaces(work)
    addObjects(work)
    addCaps(work)
    work.ksProcessRefs = [INIT, P]
    work.ksObjectNext = 8
    work.ksCapNext = 10
    work.ksNamespaceNext = 8
    work.ksMessageSeqNext = 2
    work.gsMessages = { sent: 2, received: 1, discarded: 0 }
    work.gsLastReceived = new Map([[EP, 0]])
    work.gsFlows = new Map([[flowKey(P, ROOT), R_ALL], [flowKey(EP, A), R_WRITE]])
  })
}

/** A transition built by hand. */
export function stepOf(before: KernelState, syscall: unknown, outcome: E.Either<SyscallError, Reply>, after: KernelState): StepContext {
  return { before, syscall, outcome, after }
}

/** A successful outcome with a unit reply. */
export const UNIT_OK = E.right<SyscallError, Reply>({ kind: 'unit' })
/** A failed outcome. */
export const FAILED = E.left<SyscallError, Reply>({ code: 'PermissionDenied' })

/** The violation a predicate found, checked to be of `invariant`; fails the test when it found none. */
export function found(result: O.Option<Violation>, invariant: string): Violation {
  assert.ok(O.isSome(result), `expected a ${invariant} violation, found none`)
  const violation = (result as O.Some<Violation>).value
  assert.is(violation.invariant, invariant)
  return violation
}

/** `state` after init destroys container A, by the model's own destroy and its garbage fixpoint. */
export function afterDestroyingA(state: KernelState): KernelState {
  return edit(state, (work) => {
    destroyContainer(work, work.ksObjects.get(A) as Extract<KernelObject, { kind: 'container' }>)
    collectGarbage(work)
  })
}
