import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { boot } from '../../model/boot.js'
import { step } from '../../model/step.js'
import { explore } from '../../checker/explore/search.js'
import { presetActions } from '../../checker/explore/actions.js'
import { findPreset } from '../../checker/explore/run.js'
import { ALL_SYSCALLS } from '../../spec/presets.js'
import { SYSCALL_KINDS, SyscallCodec } from '../../spec/syscalls.js'
import { NamespaceConfigCodec } from '../../spec/limits.js'
import { implTarget } from '../../refinement/abstraction.js'
import type { RefinementTarget } from '../../refinement/target.js'

/** The `kind` literal of one member of the syscall union (a `t.type`, or a `t.intersection` whose first part is one). */
function kindOf(codec: t.Mixed): string {
  const base = codec instanceof t.IntersectionType ? (codec.types as t.Mixed[])[0]! : codec
  assert.ok(base instanceof t.InterfaceType, `${codec.name}: a type with props`)
  const kind = (base as t.InterfaceType<t.Props>).props['kind']
  assert.ok(kind instanceof t.LiteralType, `${codec.name}: kind is a literal`)
  return String((kind as t.LiteralType<string>).value)
}

/** Every mode of every namespace, read off the codec: `new`/`share`, and `map` for a uid map. */
function namespaceModes(): Map<string, Set<string>> {
  const codec = (NamespaceConfigCodec as unknown as t.InterfaceType<t.Props>).props
  const modes = new Map<string, Set<string>>()
  for (const [namespace, type] of Object.entries(codec)) {
    const members = type instanceof t.UnionType ? (type.types as t.Mixed[]) : [type]
    const set = new Set<string>()
    for (const member of members) {
      if (member instanceof t.KeyofType) for (const key of Object.keys(member.keys as object)) set.add(key)
      else if (member instanceof t.LiteralType) set.add(String(member.value))
      else set.add('map')
    }
    modes.set(namespace, set)
  }
  return modes
}

const actions = presetActions(ALL_SYSCALLS)

test('all-syscalls: its alphabet has every syscall kind of the union, each action well formed', () => {
  const union = (SyscallCodec.types as unknown as t.Mixed[]).map(kindOf)
  assert.equal(new Set(union), new Set(SYSCALL_KINDS), 'the union and the codec table agree')
  const inAlphabet = new Set(actions.map((action) => String(action['kind'])))
  assert.equal(union.filter((kind) => !inAlphabet.has(kind)), [], 'kinds missing from the alphabet')
  for (const action of actions) assert.ok(SyscallCodec.is(action), JSON.stringify(action))
  assert.is(findPreset('all-syscalls'), ALL_SYSCALLS)
})

test('all-syscalls: container_create covers every mode of every namespace (uid maps and shared pid namespaces included), each from the boot state', () => {
  const booted = boot(ALL_SYSCALLS.boot, ALL_SYSCALLS.images)
  const modes = namespaceModes()
  assert.equal([...modes.keys()].sort(), ['ipc', 'mount', 'net', 'pid', 'user'])
  const seen = new Map<string, Set<string>>([...modes.keys()].map((namespace) => [namespace, new Set<string>()]))
  for (const action of actions) {
    if (action['kind'] !== 'container_create' || E.isLeft(step(booted, action).outcome)) continue
    for (const [namespace, mode] of Object.entries(action['namespaces'] as Record<string, unknown>)) seen.get(namespace)!.add(typeof mode === 'string' ? mode : 'map')
  }
  for (const [namespace, all] of modes) assert.equal([...all].filter((mode) => !seen.get(namespace)!.has(mode)), [], `${namespace}: modes missing`)
})

test('all-syscalls: badges, cap_move, set_limits, a device and CPU accounting are in it', () => {
  assert.ok(actions.some((action) => action['kind'] === 'cap_copy' && action['badge'] !== undefined))
  assert.ok(ALL_SYSCALLS.boot.cpuAccounting === true)
  assert.ok(ALL_SYSCALLS.boot.devices.length > 0)
  assert.ok(ALL_SYSCALLS.boot.system!.caps!.some((cap) => (cap.badge ?? 0) !== 0))
})

test('all-syscalls to depth 2: no violation on the model, nor with --refine on the impl; namespace modes and spawns succeed', () => {
  const model = explore({ preset: ALL_SYSCALLS, depthMax: 2 })
  assert.is(model.violation, null, JSON.stringify(model.violation))
  assert.ok(model.distinct > 200, `${model.distinct} states`)
  for (const kind of ['container_create', 'container_set_limits', 'cap_move', 'process_spawn', 'io_submit', 'net_bind', 'tick', 'sched_run']) {
    assert.ok((model.coverage[kind] ?? 0) > 0, `${kind} never succeeded`)
  }
  const refined = explore({ preset: ALL_SYSCALLS, depthMax: 2, refine: implTarget as unknown as RefinementTarget })
  assert.is(refined.violation, null, JSON.stringify(refined.violation))
  assert.is(refined.distinct, model.distinct)
})

test.run()
