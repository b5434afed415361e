import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { R_ALL, R_GRANT, R_READ, R_WRITE } from '../../spec/rights.js'
import type { Reply } from '../../spec/results.js'
import type { SyscallError } from '../../spec/errors.js'
import type { CapRequest } from '../../spec/images.js'
import { checkImg1, checkImg2, checkLife1, unmatchedGrants } from '../../spec/invariants/lifecycle.js'
import type { Cap, KernelObject, KernelState } from '../../model/state.js'
import {
  A, CAP_A, CAP_EP, CAP_P, CAP_PORT_ENTRY, DIGEST, EP, FAILED, IMAGE, INIT, LIMITS_A, NS_MOUNT_A, P, ROOT, UNIT_OK,
  bootState, edit, found, patchCap, patchObject, richState, slotAt, stepOf,
  afterDestroyingA,
} from './_fixtures.js'

type Container = Extract<KernelObject, { kind: 'container' }>
type Process = Extract<KernelObject, { kind: 'process' }>

// ---- LIFE-1 ----------------------------------------------------------------

const destroyA = { kind: 'container_destroy', caller: 0, slot: 3 }

/** The rich state after init destroys A. */
const afterDestroyA = (): KernelState => afterDestroyingA(richState())

test('LIFE-1 holds for a step in the boot state and a real destroy of A', () => {
  assert.ok(O.isNone(checkLife1(stepOf(bootState(), { kind: 'cap_inspect', caller: 0, slot: 0 }, UNIT_OK, bootState()))))
  const after = afterDestroyA()
  assert.not.ok(after.ksObjects.has(A))
  assert.not.ok(after.ksObjects.has(P))
  assert.ok(O.isNone(checkLife1(stepOf(richState(), destroyA, UNIT_OK, after))))
})

test('LIFE-1 reports a container still live after a successful container_destroy', () => {
  const v = found(checkLife1(stepOf(richState(), destroyA, UNIT_OK, richState())), 'LIFE-1')
  assert.equal(v.witness, { container: A })
  assert.ok(O.isNone(checkLife1(stepOf(richState(), destroyA, FAILED, richState()))))
})

test('LIFE-1 reports an object of a destroyed container that remains', () => {
  const after = edit(richState(), (work) => {
    work.ksObjects.delete(A)
    work.ksCaps.delete(CAP_A)
  })
  const v = found(checkLife1(stepOf(richState(), destroyA, UNIT_OK, after)), 'LIFE-1')
  assert.equal(v.witness, { container: A, object: P, kind: 'process' })
})

test('LIFE-1 reports a cap that still names a destroyed object', () => {
  const after = edit(afterDestroyA(), (work) => work.ksCaps.set(CAP_P, richState().ksCaps.get(CAP_P)!))
  const v = found(checkLife1(stepOf(richState(), destroyA, UNIT_OK, after)), 'LIFE-1')
  assert.equal(v.witness, { cap: CAP_P, object: P, at: slotAt(INIT, 6) })
})

test('LIFE-1 reports a namespace of a destroyed container that remains', () => {
  const after = edit(afterDestroyA(), (work) => work.ksNamespaces.set(NS_MOUNT_A, { ...richState().ksNamespaces.get(NS_MOUNT_A)!, entries: new Map() }))
  const v = found(checkLife1(stepOf(richState(), destroyA, UNIT_OK, after)), 'LIFE-1')
  assert.equal(v.witness, { container: A, namespace: NS_MOUNT_A })
})

test("LIFE-1 reports a parent whose reservations still count the destroyed child", () => {
  const ghost: Container = { ...(richState().ksObjects.get(A) as Container), id: 40, usage: { memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0 } }
  const after = edit(afterDestroyA(), (work) => {
    work.ksObjects.set(40, ghost)
    work.ksCaps.set(40, { id: 40, object: 40, rights: R_ALL, badge: 0, parent: null, at: slotAt(INIT, 3) })
  })
  const v = found(checkLife1(stepOf(richState(), destroyA, UNIT_OK, after)), 'LIFE-1')
  assert.equal(v.witness, {
    parent: ROOT, containers: [A], resource: 'memoryBytes', reservedBefore: LIMITS_A.memoryBytes, reservedAfter: LIMITS_A.memoryBytes, returned: LIMITS_A.memoryBytes,
  })
})

test('LIFE-1 applies to any step after which a container is gone', () => {
  const after = edit(richState(), (work) => {
    work.ksObjects.delete(A)
    work.ksCaps.delete(CAP_A)
  })
  const v = found(checkLife1(stepOf(richState(), { kind: 'cap_delete', caller: 0, slot: 3 }, UNIT_OK, after)), 'LIFE-1')
  assert.is(v.witness['container'], A)
})

// ---- IMG-1 -----------------------------------------------------------------

const withImage = (change: Partial<typeof IMAGE>) => edit(richState(), (work) => { work.ksImages = new Map([[DIGEST, { ...IMAGE, ...change }]]) })

test('IMG-1 holds in the boot state (init runs no image) and the rich state', () => {
  assert.ok(O.isNone(checkImg1(bootState())))
  assert.ok(O.isNone(checkImg1(richState())))
})

test('IMG-1 reports an image whose signature does not verify', () => {
  const v = found(checkImg1(withImage({ signatures: [{ signer: 'release', verifies: false }] })), 'IMG-1')
  assert.equal(v.witness, { process: P, ref: 1, image: DIGEST, name: 'echo', version: '1.10.0', signatures: [{ signer: 'release', verifies: false }], floor: '1.9.2' })
})

test('IMG-1 reports an image signed by a key outside the keyring, and an unsigned one', () => {
  const v = found(checkImg1(withImage({ signatures: [{ signer: 'dev', verifies: true }] })), 'IMG-1')
  assert.equal([v.witness['process'], v.witness['signatures']], [P, [{ signer: 'dev', verifies: true }]])
  assert.match(v.message, /untrusted keys \(dev\)/)
  assert.match(found(checkImg1(withImage({ signatures: [] })), 'IMG-1').message, /unsigned/)
})

test('IMG-1: one signature by a trusted key that verifies is enough, whatever the others', () => {
  const untrustedFirst = [{ signer: 'dev', verifies: true }, { signer: 'release', verifies: true }]
  assert.ok(O.isNone(checkImg1(withImage({ signatures: untrustedFirst }))))
  assert.ok(O.isNone(checkImg1(withImage({ signatures: [{ signer: 'release', verifies: false }, { signer: 'release', verifies: true }] }))))
  // A verifying signature by an untrusted key and a trusted one that does not verify: neither is enough.
  assert.match(found(checkImg1(withImage({ signatures: [{ signer: 'dev', verifies: true }, { signer: 'release', verifies: false }] })), 'IMG-1').message, /whose signature does not verify/)
})

test('IMG-1 reports an image below its rollback floor', () => {
  const state = edit(richState(), (work) => { work.ksFloors = new Map([['echo', '2.0.0']]) })
  const v = found(checkImg1(state), 'IMG-1')
  assert.equal([v.witness['process'], v.witness['version'], v.witness['floor']], [P, '1.10.0', '2.0.0'])
})

test('IMG-1 reports a process running an unknown image, and ignores dead ones', () => {
  const state = edit(richState(), (work) => patchObject<Process>(work, P, (p) => ({ ...p, image: `sha256:${'b'.repeat(64)}` })))
  const v = found(checkImg1(state), 'IMG-1')
  assert.equal(v.witness, { process: P, ref: 1, image: `sha256:${'b'.repeat(64)}` })
  assert.ok(O.isNone(checkImg1(edit(state, (work) => patchObject<Process>(work, P, (p) => ({ ...p, status: 'dead' }))))))
})

// ---- IMG-2 -----------------------------------------------------------------

const Q = 8
const spawnReply = E.right<SyscallError, Reply>({ kind: 'spawned', pid: 3 })
const spawn = (grants: Array<{ slot: number; rights: string[] }>) => ({
  kind: 'process_spawn', caller: 0, container: 3, image: DIGEST, uid: 0, slots: 2, grants, dst: 7,
})

/** `before` after init spawned Q (object 8, ref 2) in A with caps `granted` in its slots. */
function afterSpawn(before: KernelState, granted: ReadonlyArray<Omit<Cap, 'at'> | null>): KernelState {
  return edit(before, (work) => {
    work.ksObjects.set(Q, {
      kind: 'process', id: Q, owner: A, ref: 2, uid: 0, status: 'running', slots: granted.map((cap) => cap?.id ?? null), mappings: [],
      pids: new Map([[5, 2], [0, 3]]), image: DIGEST, imageBytes: 4096,
    })
    granted.forEach((cap, slot) => { if (cap !== null) work.ksCaps.set(cap.id, { ...cap, at: slotAt(Q, slot) }) })
    work.ksCaps.set(20, { id: 20, object: Q, rights: R_ALL, badge: 0, parent: null, at: slotAt(INIT, 7) })
    patchObject<Process>(work, INIT, (init) => ({ ...init, slots: init.slots.map((c, s) => (s === 7 ? 20 : c)) }))
    work.ksProcessRefs = [...work.ksProcessRefs, Q]
  })
}

const grantOf = (id: number, parent: number, rights = R_WRITE) => ({ id, object: EP, rights, badge: 0, parent })

test('IMG-2 holds for a spawn that grants what the manifest asks', () => {
  const after = afterSpawn(richState(), [grantOf(10, CAP_EP), null])
  assert.ok(O.isNone(checkImg2(stepOf(richState(), spawn([{ slot: 4, rights: ['write'] }]), spawnReply, after))))
  assert.ok(O.isNone(checkImg2(stepOf(bootState(), { kind: 'cap_inspect', caller: 0, slot: 0 }, UNIT_OK, bootState()))))
})

test("IMG-2 reports an initial cap that is not a child of the caller's grant cap", () => {
  const after = afterSpawn(richState(), [grantOf(10, CAP_PORT_ENTRY), null])
  const v = found(checkImg2(stepOf(richState(), spawn([{ slot: 4, rights: ['write'] }]), spawnReply, after)), 'IMG-2')
  assert.equal(v.witness, { caller: 0, process: Q, ref: 2, image: DIGEST, slot: 0, cap: 10, parent: CAP_PORT_ENTRY, grantSlot: 4, expectedParent: CAP_EP })
})

test("IMG-2 reports an initial cap with rights beyond the caller's cap", () => {
  const before = edit(richState(), (work) => patchCap(work, CAP_EP, (cap) => ({ ...cap, rights: R_READ | R_GRANT })))
  const after = afterSpawn(before, [grantOf(10, CAP_EP), null])
  const v = found(checkImg2(stepOf(before, spawn([{ slot: 4, rights: ['write'] }]), spawnReply, after)), 'IMG-2')
  assert.equal([v.witness['cap'], v.witness['rights'], v.witness['parentRights']], [10, ['write'], ['read', 'grant']])
})

test('IMG-2 reports a cap in a slot no grant filled', () => {
  const after = afterSpawn(richState(), [grantOf(10, CAP_EP), grantOf(11, CAP_EP)])
  const v = found(checkImg2(stepOf(richState(), spawn([{ slot: 4, rights: ['write'] }]), spawnReply, after)), 'IMG-2')
  assert.equal([v.witness['process'], v.witness['slot'], v.witness['cap']], [Q, 1, 11])
})

test('IMG-2 reports grants that cannot each be charged to a distinct manifest request', () => {
  const after = afterSpawn(richState(), [grantOf(10, CAP_EP), grantOf(11, CAP_EP)])
  const grants = [{ slot: 4, rights: ['write'] }, { slot: 4, rights: ['write'] }]
  const v = found(checkImg2(stepOf(richState(), spawn(grants), spawnReply, after)), 'IMG-2')
  assert.equal([v.witness['process'], v.witness['slot'], v.witness['cap'], v.witness['kind']], [Q, 1, 11, 'endpoint'])
})

test('IMG-2 reports a successful spawn that made no process', () => {
  const v = found(checkImg2(stepOf(richState(), spawn([]), spawnReply, richState())), 'IMG-2')
  assert.equal(v.witness, { caller: 0 })
})

test('unmatchedGrants finds a matching that a greedy pass would miss', () => {
  const cap = (id: number, rights: number): Cap => ({ id, object: EP, rights, badge: 0, parent: CAP_EP, at: slotAt(Q, id) })
  const requests: CapRequest[] = [{ kind: 'endpoint', rights: ['read', 'write'] }, { kind: 'endpoint', rights: ['write'] }]
  const granted = [{ slot: 0, cap: cap(0, R_WRITE), kind: 'endpoint' as const, device: null }, { slot: 1, cap: cap(1, R_READ | R_WRITE), kind: 'endpoint' as const, device: null }]
  assert.equal(unmatchedGrants(granted, requests), [])
  assert.equal(unmatchedGrants(granted, requests.slice(1)).map((g) => g.slot), [1])
})

test('unmatchedGrants: a device request that names a device fits only that device', () => {
  const cap = (id: number): Cap => ({ id, object: 1, rights: R_WRITE, badge: 0, parent: null, at: slotAt(Q, id) })
  const requests: CapRequest[] = [{ kind: 'device', rights: ['write'], device: 'disk0' }, { kind: 'device', rights: ['write'] }]
  const disk = { slot: 0, cap: cap(0), kind: 'device' as const, device: 'disk0' }
  const net = { slot: 1, cap: cap(1), kind: 'device' as const, device: 'net0' }
  assert.equal(unmatchedGrants([net, disk], requests), [])
  assert.equal(unmatchedGrants([net, { ...net, slot: 2 }], requests).map((g) => g.slot), [2])
})

test.run()
