/**
 * ISO-2 over the rights a lookup hands out (kernel.md §6: "a lookup hands out a
 * child cap, never the entry"; `resolve` a child of the mounted cap, `net_connect`
 * and `svc_lookup` "a send-only child"), for every lookup, every kind of object
 * an entry can name, every set of rights the entry can have and every set the
 * new cap could be given. ISO-2 used to check only where the new cap came from:
 * a kernel whose `net_connect` handed out the entry's read and grant along with
 * write, made the same way in the model and the impl (so that they agree), broke
 * no invariant and passed `sila check`. The second test has the model itself make
 * the entries and look them up, and requires what it hands out to be what §6
 * says and ISO-2 to hold on its steps.
 * @module
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as O from 'fp-ts/lib/Option.js'
import * as E from 'fp-ts/lib/Either.js'
import { checkIso2 } from '../../spec/invariants/isolation.js'
import { checkState, checkStep } from '../../spec/invariants/index.js'
import { originalRights } from '../../spec/invariants/caps.js'
import { R_ALL, R_READ, R_WRITE, type RightsMask, isSubset, rightsNames } from '../../spec/rights.js'
import type { KernelObject, KernelState, ProcessObject } from '../../model/state.js'
import { step } from '../../model/step.js'
import { A, DISK, P, REGION, UNIT_OK, edit, found, patchObject, slotAt, stepOf, tableAt } from './_fixtures.js'
import { CODE, EP_A, NS_IPC_A, NS_NET_A, ZOMBIE, everyKindState } from './_world.js'

const started = Date.now()
const met = new Map<string, number>()
const count = (what: string) => met.set(what, (met.get(what) ?? 0) + 1)

/** P's creation index: P (in A) makes every lookup. */
const P_REF = 1
/** The empty slot of P each lookup puts its cap in. */
const DST = 3

type Lookup = 'resolve' | 'net_connect' | 'svc_lookup'

/** kernel.md §6: what each lookup may hand out of its entry's rights, written out here. */
const HANDS_OUT: Record<Lookup, RightsMask> = { resolve: R_ALL, net_connect: R_WRITE, svc_lookup: R_WRITE }

/** Every subset of a rights mask. */
function subsets(mask: RightsMask): RightsMask[] {
  const found: RightsMask[] = []
  for (let sub = 0; sub <= R_ALL; sub++) if ((sub & mask) === sub) found.push(sub)
  return found
}

/** An object's kind, with a process's status and a region's flavour. */
function variant(object: KernelObject): string {
  if (object.kind === 'process') return object.status === 'running' ? 'process' : 'zombie'
  if (object.kind === 'region') return object.executable ? 'code region' : 'data region'
  return object.kind
}

/**
 * The tables P looks names up in, one per lookup, each with an entry naming
 * `object` with `rights`: A's own mount table (any kind of object can be
 * mounted), net table and service directory (endpoints only: net_bind and
 * svc_register take endpoint caps).
 */
function withEntry(state: KernelState, lookup: Lookup, object: number, rights: RightsMask): { state: KernelState; entry: number; key: Record<string, unknown> } {
  const entry = 100
  const a = state.ksObjects.get(A) as Extract<KernelObject, { kind: 'container' }>
  const [table, name] = lookup === 'resolve' ? [a.namespaces.mount, '/k'] : lookup === 'net_connect' ? [NS_NET_A, '9'] : [NS_IPC_A, 'k']
  const key = lookup === 'resolve' ? { path: '/k' } : lookup === 'net_connect' ? { port: 9 } : { name: 'k' }
  const changed = edit(state, (work) => {
    work.ksCaps.set(entry, { id: entry, object, rights, badge: 0, parent: null, at: tableAt(table, name) })
    const namespace = work.ksNamespaces.get(table)!
    work.ksNamespaces.set(table, { ...namespace, entries: new Map([...namespace.entries, [name, entry]]) })
  })
  return { state: changed, entry, key }
}

/** The step of a successful lookup that put a child of `entry` with `rights` in P's slot DST. */
function lookupStep(before: KernelState, lookup: Lookup, entry: number, key: Record<string, unknown>, rights: RightsMask) {
  const object = before.ksCaps.get(entry)!.object
  const after = edit(before, (work) => {
    work.ksCaps.set(101, { id: 101, object, rights, badge: 0, parent: entry, at: slotAt(P, DST) })
    patchObject<ProcessObject>(work, P, (p) => ({ ...p, slots: p.slots.map((cap, slot) => (slot === DST ? 101 : cap)) }))
  })
  return stepOf(before, { kind: lookup, caller: P_REF, dst: DST, ...key }, UNIT_OK, after)
}

test('every invariant holds in the every-kind state, and P\'s slot for the lookups is empty', () => {
  const state = everyKindState()
  assert.equal(checkState(state), [])
  assert.is((state.ksObjects.get(P) as ProcessObject).slots[DST], null)
})

test('ISO-2, every lookup, entry kind, entry rights and handed-out rights: beyond what §6 hands out is reported', () => {
  const state = everyKindState()
  const mountable = [A, P, ZOMBIE, REGION, CODE, EP_A, DISK]
  for (const lookup of ['resolve', 'net_connect', 'svc_lookup'] as const) {
    for (const object of lookup === 'resolve' ? mountable : [EP_A]) {
      const kind = variant(state.ksObjects.get(object)!)
      const original = originalRights(state.ksObjects.get(object)!)
      for (const entryRights of subsets(original)) {
        const { state: before, entry, key } = withEntry(state, lookup, object, entryRights)
        for (const rights of subsets(original)) {
          const result = checkIso2(lookupStep(before, lookup, entry, key, rights))
          const allowed = isSubset(rights, entryRights & HANDS_OUT[lookup])
          const what = `${lookup} of a ${kind} entry with ${rightsNames(entryRights).join('+') || 'no rights'} giving ${rightsNames(rights).join('+') || 'no rights'}`
          if (allowed) {
            assert.ok(O.isNone(result), what)
            count(`${lookup} within`)
            continue
          }
          const v = found(result, 'ISO-2')
          assert.equal([v.witness['cap'], v.witness['parent']], [101, entry], what)
          count(`${lookup} ${kind} beyond`)
          if ((rights & ~entryRights) === 0) count(`${lookup} within the entry, beyond the lookup`)
        }
      }
    }
  }
})

test('ISO-2 still reports a child of an entry in another table, whatever its rights', () => {
  const state = everyKindState()
  const { state: before, entry } = withEntry(state, 'svc_lookup', EP_A, R_WRITE)
  // net_connect answered with a child of a service-directory entry: not the caller's net table.
  const v = found(checkIso2(lookupStep(before, 'net_connect', entry, { port: 9 }, R_WRITE)), 'ISO-2')
  assert.is(v.witness['parent'], entry)
  count('wrong table')
})

/**
 * The model makes the entries and the lookups itself: P mounts each cap it holds
 * with every subset of its rights and resolves it; binds and registers a copy of
 * its endpoint cap with every subset of its rights that has read, and connects
 * and looks it up. What lands in DST has §6's rights, and every invariant holds
 * on each lookup step.
 */
test('the model\'s own lookups hand out what kernel.md §6 says, and every invariant holds on them', () => {
  const state = everyKindState()
  const p = state.ksObjects.get(P) as ProcessObject
  const run = (from: KernelState, syscall: Record<string, unknown>) => {
    const result = step(from, syscall)
    assert.ok(E.isRight(result.outcome), `${JSON.stringify(syscall)}: ${JSON.stringify(result.outcome)}`)
    return { before: from, syscall, after: result.state, outcome: result.outcome }
  }
  const check = (lookup: Lookup, done: ReturnType<typeof run>, entryRights: RightsMask, what: string) => {
    assert.equal(checkStep(done), [], what)
    const cap = done.after.ksCaps.get((done.after.ksObjects.get(P) as ProcessObject).slots[DST]!)!
    assert.is(cap.rights, entryRights & HANDS_OUT[lookup], what)
    count(`model ${lookup}`)
  }
  for (const slot of [0, 1, 2]) {
    const held = state.ksCaps.get(p.slots[slot]!)!
    for (const rights of subsets(held.rights)) {
      const mounted = run(state, { kind: 'mount', caller: P_REF, path: '/m', slot, rights: rightsNames(rights) }).after
      check('resolve', run(mounted, { kind: 'resolve', caller: P_REF, path: '/m', dst: DST }), rights, `resolve of slot ${slot} mounted with ${rights}`)
    }
  }
  const endpoint = 2
  for (const rights of subsets(state.ksCaps.get(p.slots[endpoint]!)!.rights).filter((r) => (r & R_READ) !== 0)) {
    const copied = run(state, { kind: 'cap_copy', caller: P_REF, src: endpoint, dst: DST, rights: rightsNames(rights) }).after
    const bound = run(run(copied, { kind: 'net_bind', caller: P_REF, port: 9, slot: DST }).after, { kind: 'svc_register', caller: P_REF, name: 'k', slot: DST }).after
    const freed = run(bound, { kind: 'cap_delete', caller: P_REF, slot: DST }).after
    check('net_connect', run(freed, { kind: 'net_connect', caller: P_REF, port: 9, dst: DST }), rights, `net_connect of an entry with ${rights}`)
    check('svc_lookup', run(freed, { kind: 'svc_lookup', caller: P_REF, name: 'k', dst: DST }), rights, `svc_lookup of an entry with ${rights}`)
  }
})

test('coverage: every lookup, entry kind and way of going beyond was met (floors asserted)', () => {
  const seconds = (Date.now() - started) / 1000
  console.log(`  lookups (${seconds.toFixed(1)} s): ${[...met].sort().map(([what, n]) => `${what} ${n}`).join(', ')}`)
  const floors: Array<[string, number]> = [
    ...['container', 'process', 'zombie', 'data region', 'code region', 'endpoint', 'device'].map((kind): [string, number] => [`resolve ${kind} beyond`, 1]),
    ['net_connect endpoint beyond', 1], ['svc_lookup endpoint beyond', 1],
    ['resolve within', 100], ['net_connect within', 8], ['svc_lookup within', 8],
    // §6's send-only rule alone: rights the entry has, which a connect or lookup must still not hand out.
    ['net_connect within the entry, beyond the lookup', 8], ['svc_lookup within the entry, beyond the lookup', 8],
    ['wrong table', 1], ['model resolve', 18], ['model net_connect', 4], ['model svc_lookup', 4],
  ]
  for (const [what, floor] of floors) assert.ok((met.get(what) ?? 0) >= floor, `met ${met.get(what) ?? 0} < ${floor}: ${what}`)
})

test.run()
