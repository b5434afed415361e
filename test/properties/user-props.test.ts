/**
 * User properties (spec/props.ts, properties/user/): each declarative kind catches
 * a state that breaks it and passes one where it holds; names are checked against
 * the declared system; properties in code answer through defineProperty.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEFAULT_BOOT, type BootConfig } from '../../spec/boot.js'
import { decodeOrThrow, InputError } from '../../spec/decode.js'
import { PropsFileCodec, type PropertyDecl } from '../../spec/props.js'
import { CAP_CORE } from '../../spec/presets.js'
import { bootNamed } from '../../model/boot.js'
import { step } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { resolveProps, type SystemNames } from '../../properties/user/resolve.js'
import { defineProperty } from '../../properties/user/define.js'

const IMAGE = CAP_CORE.images[0]!
const limits = { ...DEFAULT_BOOT.root.limits, memoryBytes: 1 << 20, processes: 4, endpoints: 4, cpuBudget: 1000, ioBytes: 1024 }
const share = { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' } as const

/** web and db (db holds a child container `dbChild`), an endpoint web writes and db reads, db's region. */
const CONFIG: BootConfig = {
  ...DEFAULT_BOOT,
  keyring: [{ keyId: IMAGE.signatures[0]!.signer }],
  system: {
    containers: [
      { name: 'web', parent: 'root', limits, namespaces: share },
      { name: 'db', parent: 'root', limits, namespaces: share },
      { name: 'dbChild', parent: 'db', limits: { ...limits, memoryBytes: 1 << 16, processes: 1, endpoints: 1, cpuBudget: 100, ioBytes: 64 }, namespaces: share },
    ],
    processes: [
      { name: 'front', container: 'web', image: IMAGE.digest, uid: 0, slots: 4 },
      { name: 'store', container: 'db', image: IMAGE.digest, uid: 0, slots: 4 },
      { name: 'helper', container: 'dbChild', image: IMAGE.digest, uid: 0, slots: 4 },
    ],
    objects: [
      { name: 'requests', kind: 'endpoint', owner: 'web', depth: 2 },
      { name: 'dbData', kind: 'region', owner: 'db', sizeBytes: 4096, executable: false },
    ],
    caps: [
      { holder: 'front', slot: 0, object: 'requests', rights: ['write', 'grant'] },
      { holder: 'store', slot: 0, object: 'requests', rights: ['read'] },
      { holder: 'store', slot: 1, object: 'dbData', rights: ['read', 'write', 'control'] },
    ],
  },
}

const system: SystemNames = bootNamed(CONFIG, CAP_CORE.images)
const ref = (name: string) => (system.state.ksObjects.get(system.names.get(name)!) as { ref: number }).ref

/** The state after `syscalls`, each of which must succeed. */
function after(...syscalls: unknown[]): KernelState {
  let state = system.state
  for (const syscall of syscalls) {
    const result = step(state, syscall)
    assert.is(result.outcome._tag, 'Right', `${JSON.stringify(syscall)} → ${JSON.stringify(result.outcome)}`)
    state = result.state
  }
  return state
}

const props = (...properties: unknown[]) => resolveProps(decodeOrThrow(PropsFileCodec, { format: 'sila-props/1', properties }, 'p.json'), 'p.json', system)
const one = (decl: Omit<PropertyDecl, 'name' | 'says'> & Record<string, unknown>) => props({ name: 'p', says: 'the property', ...decl })[0]!

test('names are resolved: the boot state carries the declared names', () => {
  for (const name of ['root', 'init', 'web', 'db', 'dbChild', 'front', 'store', 'helper', 'requests', 'dbData']) assert.ok(system.names.has(name), name)
  assert.equal([...system.devices.keys()], ['disk0', 'net0'])
})

test('never-holds: holds at boot; broken once the db hands its region to the front end', () => {
  const p = one({ kind: 'never-holds', subject: { container: 'web' }, object: { name: 'dbData' }, rights: ['read'] })
  assert.is(p.kind, 'always')
  assert.is(p.test(system.state), null)
  const state = after(
    { kind: 'cap_copy', caller: ref('front'), src: 0, dst: 1, rights: ['write', 'grant'] },
  )
  assert.is(p.test(state), null, 'a copy of front\'s own cap is not dbData')
  const any = one({ kind: 'never-holds', subject: { process: 'store' }, object: { kind: 'region' } })
  const witness = any.test(system.state)
  assert.ok(witness !== null)
  assert.match(witness!.message, /process store holds cap \d+ to region dbData/)
  const control = one({ kind: 'never-holds', subject: { process: 'store' }, object: { name: 'dbData' }, rights: ['execute'] })
  assert.is(control.test(system.state), null, 'rights ⊇ execute: store has no execute')
})

test('a container subject covers its nested containers; an owner selector covers objects created later', () => {
  const p = one({ kind: 'never-holds', subject: { container: 'db' }, object: { kind: 'endpoint', owner: 'db' } })
  assert.is(p.test(system.state), null)
  const created = after({ kind: 'ep_create', caller: ref('helper'), dst: 0, depth: 1 })
  const witness = p.test(created)
  assert.ok(witness !== null, 'helper lives in dbChild, inside db, and its new endpoint is owned inside db')
  assert.match(witness!.message, /process helper/)
})

test('confined: dbData stays in db until a cap to it is queued on web\'s endpoint', () => {
  const p = one({ kind: 'confined', object: { name: 'dbData' }, within: ['db'] })
  assert.is(p.test(system.state), null)
  const shared = after(
    { kind: 'ep_create', caller: ref('store'), dst: 2, depth: 1 },
    { kind: 'ep_send', caller: ref('store'), slot: 2, payload: 0, xfer: 1 },
  )
  assert.is(p.test(shared), null, 'queued on an endpoint db owns: still inside db')
  const out = one({ kind: 'confined', object: { name: 'dbData' }, within: ['web'] })
  assert.match(out.test(system.state)!.message, /slot 1 of process store, in container db/)
})

test('no-flow: web writes requests and db reads it, so web → db flows and db → web does not', () => {
  assert.ok(one({ kind: 'no-flow', from: 'web', to: 'db' }).test(system.state) !== null)
  assert.is(one({ kind: 'no-flow', from: 'db', to: 'web' }).test(system.state), null)
  assert.ok(one({ kind: 'no-flow', from: 'db', to: 'web', both: true }).test(system.state) !== null)
})

test('bound: caps, running processes, usage and queue length', () => {
  assert.is(one({ kind: 'bound', measure: 'caps', container: 'db', max: 2 }).test(system.state), null)
  assert.match(one({ kind: 'bound', measure: 'caps', container: 'db', max: 1 }).test(system.state)!.message, /caps of container db is 2 > 1/)
  assert.ok(one({ kind: 'bound', measure: 'running', container: 'db', max: 1 }).test(system.state) !== null, 'store and helper (nested) run')
  assert.ok(one({ kind: 'bound', measure: 'memoryBytes', container: 'db', max: 0 }).test(system.state) !== null)
  const queued = one({ kind: 'bound', measure: 'queued', endpoint: 'requests', max: 0 })
  assert.is(queued.test(system.state), null)
  assert.ok(queued.test(after({ kind: 'ep_send', caller: ref('front'), slot: 0, payload: 7 })) !== null)
})

test('sometimes: a state where every condition holds is a witness', () => {
  const p = one({ kind: 'sometimes', when: [{ atLeast: { measure: 'queued', endpoint: 'requests', value: 1 } }, { holds: { subject: { process: 'front' }, object: { name: 'requests' }, rights: ['write'] } }] })
  assert.is(p.kind, 'sometimes')
  assert.is(p.test(system.state), null)
  assert.match(p.test(after({ kind: 'ep_send', caller: ref('front'), slot: 0, payload: 7 }))!.message, /queued of endpoint requests is 1 ≥ 1; process front holds/)
})

function refused(properties: unknown[]): string[] {
  try {
    props(...properties)
  } catch (error) {
    assert.instance(error, InputError)
    return (error as InputError).problems
  }
  assert.unreachable('accepted')
  return []
}

test('names the system does not declare, or declares as another kind, are refused with the path', () => {
  const base = { says: 's', kind: 'never-holds', object: { name: 'dbData' } }
  assert.equal(refused([{ name: 'a', ...base, subject: { process: 'frnt' } }]), ['$.properties[0].subject.process: no process named "frnt"; did you mean "front"?'])
  assert.equal(refused([{ name: 'a', ...base, subject: { container: 'front' } }]), ['$.properties[0].subject.container: "front" is a process, not a container'])
  assert.equal(refused([{ name: 'a', ...base, subject: {} }]), ['$.properties[0].subject: names exactly one of "process" or "container" (found neither)'])
  assert.equal(refused([{ name: 'a', says: 's', kind: 'bound', measure: 'queued', container: 'db', max: 1 }]), ['$.properties[0]: "queued" counts the messages of one "endpoint" (and no "container")'])
  assert.equal(refused([{ name: 'a', ...base, subject: { process: 'front' }, object: { name: 'dbData', kind: 'region' } }]), ['$.properties[0].object: "name" picks one object and goes alone (found "name", "kind")'])
  assert.equal(refused([{ name: 'a', says: 's', kind: 'confined', object: { device: 'disk9' }, within: ['db'] }]), ['$.properties[0].object.device: no device named "disk9"; did you mean "disk0"?'])
  assert.equal(refused([{ name: 'CAP-1', ...base, subject: { process: 'front' } }, { name: 'x', ...base, subject: { process: 'front' } }, { name: 'x', ...base, subject: { process: 'front' } }]), [
    '$.properties[0].name: "CAP-1" is the name of a catalogue invariant',
    '$.properties[2].name: "x" is also the name of $.properties[1]',
  ])
})

test('the file is decoded exactly: unknown fields and kinds are refused with the path', () => {
  const decode = (value: unknown) => {
    try { decodeOrThrow(PropsFileCodec, value, 'p.json') } catch (error) { return (error as InputError).problems }
    return []
  }
  assert.equal(decode({ format: 'sila-props/1', properties: [{ name: 'a', says: 's', kind: 'never-hold', subject: { process: 'x' }, object: { name: 'y' } }] }), ['$.properties[0].kind: unknown kind "never-hold"; did you mean "never-holds"?'])
  const extra = decode({ format: 'sila-props/1', properties: [{ name: 'a', says: 's', kind: 'no-flow', from: 'x', to: 'y', both: true, extra: 1 }] })
  assert.is(extra.length, 1)
  assert.match(extra[0]!, /^\$\.properties\[0\]\.extra: unknown field/)
  assert.equal(decode({ format: 'sila-props/1', properties: [{ name: 'a', says: 's', kind: 'never-holds', subject: { process: 'x' }, object: { name: 'y' }, rights: ['wrte'] }] }), ['$.properties[0].rights[0]: expected one of: read, write, execute, grant, control, found "wrte"'])
})

test('defineProperty: a sentence or a witness means broken (always) or found (sometimes); bad names are refused', () => {
  const always = defineProperty('few-caps', (state) => (state.ksCaps.size > 100 ? `${state.ksCaps.size} caps` : null), { says: 'at most 100 caps' })
  assert.is(always.test(system.state), null)
  const found = defineProperty('has-caps', (state) => state.ksCaps.size > 0 && { message: 'caps exist', detail: { caps: state.ksCaps.size } }, { kind: 'sometimes' })
  assert.equal(found.test(system.state), { message: 'caps exist', detail: { caps: system.state.ksCaps.size } })
  assert.is(found.says, 'has-caps')
  assert.throws(() => defineProperty('no spaces', () => null), /not 1 to 64 letters/)
})

test.run()
