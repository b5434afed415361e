import { test } from 'uvu'
import * as assert from 'node:assert/strict'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { ExactSyscallCodec, SYSCALL_CODECS, type SyscallKind } from '../../spec/syscalls.js'
import { fieldsOf } from '../../spec/exact.js'
import { ARGUMENT_CHECKS, isRecord } from '../../impl/validate.js'
import { INHERITED_NAMES, withStrayField } from '../../properties/generators.js'
import { LIMITS, NAMESPACES, VALID_IMAGE, describe } from './_support.js'

/** Does the model's codec decode `call` as a syscall of `kind`? */
function decodes(kind: string, call: unknown): boolean {
  const decoded = ExactSyscallCodec.decode(call)
  return E.isRight(decoded) && decoded.right.kind === kind
}

/** A well-formed syscall of every process kind. */
const VALID: ReadonlyArray<Record<string, unknown>> = [
  { kind: 'cap_copy', src: 0, dst: 5, rights: ['read'], badge: 3 }, { kind: 'cap_move', src: 0, dst: 5 }, { kind: 'cap_delete', slot: 1 },
  { kind: 'cap_revoke', slot: 1 }, { kind: 'cap_inspect', slot: 1 },
  { kind: 'container_create', parent: 0, dst: 5, limits: LIMITS[0], namespaces: NAMESPACES[1] }, { kind: 'container_destroy', slot: 1 },
  { kind: 'container_set_limits', slot: 1, limits: LIMITS[1] }, { kind: 'container_stats', slot: 1 },
  { kind: 'process_spawn', container: 0, image: VALID_IMAGE, uid: 0, slots: 4, grants: [{ slot: 0, rights: ['control'] }], dst: 5 },
  { kind: 'process_kill', slot: 1 }, { kind: 'process_list' },
  { kind: 'mem_alloc', sizeBytes: 1, executable: false, dst: 5 }, { kind: 'mem_map', slot: 1, perms: ['read'] }, { kind: 'mem_unmap', slot: 1 },
  { kind: 'ep_create', depth: 1, dst: 5 }, { kind: 'ep_send', slot: 1, payload: 'x', xfer: 2 }, { kind: 'ep_recv', slot: 1, dst: 2 },
  { kind: 'mount', path: '/a', slot: 1, rights: [] }, { kind: 'unmount', path: '/' }, { kind: 'resolve', path: '/a/b', dst: 5 },
  { kind: 'net_bind', port: 1, slot: 1 }, { kind: 'net_unbind', port: 65535 }, { kind: 'net_connect', port: 80, dst: 5 },
  { kind: 'svc_register', name: 'a', slot: 1 }, { kind: 'svc_unregister', name: 'a.b-c_d' }, { kind: 'svc_lookup', name: 'x', dst: 5 },
  { kind: 'io_submit', slot: 1, bytes: 1 },
].map((call) => ({ ...call, caller: 0 }))

const holey = (values: unknown[], hole: number): unknown[] => { const array = [...values]; delete array[hole]; return array }
const odd: ReadonlyArray<unknown> = [
  undefined, null, -0, 0, 1, -1, 0.5, NaN, Infinity, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 40 + 1, 2 ** 53, Number.MAX_SAFE_INTEGER, 4096, 4097, 65536, 100001,
  '', 'read', 'new', 'share', '/', '/..', '/a/', 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(4096), 'x'.repeat(4097), VALID_IMAGE, VALID_IMAGE.toUpperCase(),
  true, false, [], ['read'], ['read', 'admin'], holey(['read', 'write'], 0), [undefined], {}, { base: 0, count: 1 }, { base: 0, count: 0 },
  { base: -0, count: 2 ** 32 }, { base: 2 ** 32, count: 1 }, [{ slot: 0, rights: [] }], [{ slot: -1, rights: [] }], holey([{ slot: 0, rights: [] }, { slot: 1, rights: [] }], 0),
  new Array(64).fill({ slot: 0, rights: [] }), new Array(65).fill({ slot: 0, rights: [] }), [{ slot: 0, rights: ['fly'] }], [{ slot: 0 }], [{ rights: [] }], { ...LIMITS[0], devices: holey(['disk0', 'net0'], 1) }, { ...LIMITS[0], cpuWeight: 0 }, { ...LIMITS[0], memoryBytes: -0 },
  { ...NAMESPACES[0], pid: 'both' }, { ...NAMESPACES[1], user: { base: 1, count: 0 } }, Object.create({ slot: 1 }), new Date(0), [['read']],
]

/**
 * Every call made from `call` by putting `value` in one place: a field, a field
 * of a record field, an element of an array field, or a field of such an
 * element (a grant's slot or rights); a call with no field but its kind and
 * caller gets `value` as an extra field.
 */
function withValue(call: Record<string, unknown>, value: unknown): Array<Record<string, unknown>> {
  const keys = Object.keys(call).filter((key) => key !== 'kind' && key !== 'caller')
  if (keys.length === 0) return [{ ...call, extra: value }]
  return keys.flatMap((key) => {
    const field = call[key]
    const calls = [{ ...call, [key]: value }]
    if (isRecord(field)) for (const inner of Object.keys(field)) calls.push({ ...call, [key]: { ...field, [inner]: value } })
    if (Array.isArray(field)) {
      field.forEach((element: unknown, index) => {
        calls.push({ ...call, [key]: field.map((other: unknown, at) => (at === index ? value : other)) })
        if (isRecord(element)) for (const inner of Object.keys(element)) calls.push({ ...call, [key]: field.map((other: unknown, at) => (at === index ? { ...element, [inner]: value } : other)) })
      })
    }
    return calls
  })
}

/** A valid syscall with one value put in one place ({@link withValue}): an odd one or anything. */
const mutated: fc.Arbitrary<Record<string, unknown>> = fc.tuple(fc.constantFrom(...VALID), fc.oneof(fc.constantFrom(...odd), fc.anything()), fc.nat())
  .map(([call, value, pick]) => {
    const calls = withValue(call, value)
    return calls[pick % calls.length]!
  })

test('the hand-written argument checks accept exactly what the spec codecs decode', () => {
  for (const call of VALID) {
    assert.ok(decodes(call['kind'] as string, call), describe(call))
    assert.ok(ARGUMENT_CHECKS[call['kind'] as string]!(call), describe(call))
  }
  fc.assert(fc.property(mutated, (call) => {
    const expected = decodes(call['kind'] as string, call)
    assert.equal(ARGUMENT_CHECKS[call['kind'] as string]!(call), expected, describe(call))
  }), { numRuns: 20000, seed: 1 })
})

/** Every record of `call`: the call, its record fields, the records in its array fields, and theirs (a uid map). */
function recordsOf(call: Record<string, unknown>): number {
  let count = 1
  for (const value of Object.values(call)) {
    if (isRecord(value)) count += recordsOf(value)
    if (Array.isArray(value)) for (const item of value) if (isRecord(item)) count += recordsOf(item)
  }
  return count
}

/** The path of the record of `stray` that holds a key its counterpart in `call` does not, or null. */
function strayPlace(call: Record<string, unknown>, stray: Record<string, unknown>, path = '$'): string | null {
  if (Object.keys(stray).some((key) => !Object.hasOwn(call, key))) return path
  for (const key of Object.keys(call)) {
    const [from, to] = [call[key], stray[key]]
    if (isRecord(from) && isRecord(to)) {
      const found = strayPlace(from, to, `${path}.${key}`)
      if (found !== null) return found
    }
    if (Array.isArray(from) && Array.isArray(to)) {
      for (let index = 0; index < from.length; index++) {
        const [item, other] = [from[index] as unknown, to[index] as unknown]
        const found = isRecord(item) && isRecord(other) ? strayPlace(item, other, `${path}.${key}[${index}]`) : null
        if (found !== null) return found
      }
    }
  }
  return null
}

test('a field its record does not have, in every record of every kind, any name, any value: refused by both (kernel.md §8)', () => {
  let calls = 0
  let records = 0
  const places = new Set<string>()
  for (const call of VALID) {
    records += recordsOf(call)
    for (let pick = 0; pick < 200; pick++) {
      const stray = withStrayField(call, pick)
      calls++
      places.add(`${call['kind']}${strayPlace(call, stray) ?? ' (no stray field)'}`)
      assert.equal(decodes(call['kind'] as string, stray), false, describe(stray))
      assert.equal(ARGUMENT_CHECKS[call['kind'] as string]!(stray), false, describe(stray))
    }
    // A name every object inherits, as the call's own key (as JSON.parse makes it), is a field the call does not have.
    for (const name of INHERITED_NAMES) {
      const parsed = JSON.parse(JSON.stringify({ ...call, [name]: 1 }).replace(/}$/, `,${JSON.stringify(name)}:1}`)) as Record<string, unknown>
      assert.equal(decodes(call['kind'] as string, parsed), false, name)
      assert.equal(ARGUMENT_CHECKS[call['kind'] as string]!(parsed), false, name)
    }
  }
  // An optional field named with undefined is the call without it; a required one inherited is not the call's.
  const recv = { kind: 'ep_recv', caller: 0, slot: 1, dst: undefined }
  assert.equal(decodes('ep_recv', recv), true)
  assert.equal(ARGUMENT_CHECKS['ep_recv']!(recv), true)
  const inherited = Object.assign(Object.create({ slot: 1 }) as Record<string, unknown>, { kind: 'cap_delete', caller: 0 })
  assert.equal(decodes('cap_delete', inherited), false)
  assert.equal(ARGUMENT_CHECKS['cap_delete']!(inherited), false)
  // Every record of every kind was given a stray field (the call, its limits, namespaces, uid map, each grant).
  assert.equal(places.size, records, [...places].join(' '))
  console.log(`  ${calls.toLocaleString('en')} calls with a stray field, in ${places.size} of the ${records} records of ${VALID.length} kinds`)
})

test('a call whose fields are its own but whose prototype is not a plain object\'s: what is inherited is not a field (every kind)', () => {
  for (const call of VALID) {
    const kind = call['kind'] as string
    // An enumerable field of the prototype is not the call's (Object.keys does not list it): the call is well formed.
    const inheritsStray = Object.assign(Object.create({ note: 1, bagde: 2 }) as Record<string, unknown>, call)
    // With no prototype at all, only its own fields.
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, call)
    for (const record of [inheritsStray, bare]) {
      assert.equal(decodes(kind, record), true, kind)
      assert.equal(ARGUMENT_CHECKS[kind]!(record), true, kind)
    }
    // A required field held by the prototype only is missing (checked for every required field of the kind).
    for (const field of fieldsOf(SYSCALL_CODECS[kind as SyscallKind])!.required.filter((key) => key !== 'kind' && key !== 'caller')) {
      const { [field]: inherited, ...own } = call
      const record = Object.assign(Object.create({ [field]: inherited }) as Record<string, unknown>, own)
      assert.equal(decodes(kind, record), false, `${kind}.${field}`)
      assert.equal(ARGUMENT_CHECKS[kind]!(record), false, `${kind}.${field}`)
    }
  }
})

test('every odd value in every field, nested field and field of a nested element of every kind: the checks agree with the codecs', () => {
  // Exhaustive, so that each bound (a grant list of 64 and 65, a payload of 4096
  // and 4097 characters, …) meets each field that has it.
  let calls = 0
  const agree = (call: Record<string, unknown>): void => {
    calls++
    assert.equal(ARGUMENT_CHECKS[call['kind'] as string]!(call), decodes(call['kind'] as string, call), describe(call))
  }
  for (const call of VALID) for (const value of odd) withValue(call, value).forEach(agree)
  console.log(`  ${calls.toLocaleString('en')} calls checked against the codecs`)
})

test.run()
