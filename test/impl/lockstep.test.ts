import { test } from 'uvu'
import * as assert from 'node:assert/strict'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { type BootConfig, BootConfigCodec, DEFAULT_BOOT } from '../../spec/boot.js'
import { CAP_CORE, CORE_IMAGE, NESTED, PRESETS } from '../../spec/presets.js'
import { boot } from '../../model/boot.js'
import { Kernel } from '../../impl/kernel.js'
import { syscallSequence, BALANCED } from '../../properties/generators.js'
import { step as modelStep } from '../../model/step.js'
import { abstractState, compareImpl } from '../../refinement/abstraction.js'
import { diffStates } from '../../refinement/diff.js'
import { ALL, CONFIGS, IMAGE_POOL, LIMITS, NAMESPACES, NO_CPU_BOOT, PREAMBLE, Pair, RWG, TIGHT_BOOT, VALID_IMAGE, sequence } from './_support.js'
import { MATCHER_IMAGE } from '../../properties/pool.js'
import { IMAGES, bootConfigOf, systemArb } from '../checker/systems.js'

const SLOW = process.env['SLOW'] === '1'

/** How many uids the named container's user namespace maps: its own map's, or (sharing) its parent's, up to the root's 2^32. */
function uidRange(system: NonNullable<BootConfig['system']>, name: string): number {
  for (let at = system.containers?.find((container) => container.name === name); at !== undefined; at = system.containers!.find((container) => container.name === at!.parent)) {
    if (at.namespaces.user !== 'share') return at.namespaces.user.count
  }
  return 2 ** 32
}

/** Namespaces all shared with the parent (a declared container's plainest configuration). */
const SHARE_ALL = { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' } as const

/** What `make` (a boot) gives: 'booted', or the error's name and message (to compare two kernels' refusals). */
function failure(make: () => unknown): string {
  try {
    make()
    return 'booted'
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`
  }
}

// The boot tests first: a mutant of impl/boot.ts (npm run mutate) runs this file and stops at its first failure.
test('boot configurations at their edges (init with as many slots as its caps need, no device, no cpuAccounting flag) boot and step alike; init with fewer slots is refused alike', () => {
  // init has init.slots slots, which hold the root container's cap and the
  // devices' caps (kernel.md §10), and CPU accounting is on unless the
  // configuration says otherwise: the suites' configurations never go near either.
  const { cpuAccounting: _, ...withoutFlag } = DEFAULT_BOOT
  const edges: ReadonlyArray<[string, BootConfig]> = [
    ['init.slots 3, two devices', { ...DEFAULT_BOOT, init: { slots: 3 } }],
    ['init.slots 1, no device', { ...DEFAULT_BOOT, devices: [], root: { limits: { ...DEFAULT_BOOT.root.limits, devices: [] } }, init: { slots: 1 } }],
    ['no cpuAccounting flag', withoutFlag],
  ]
  for (const [label, config] of edges) {
    assert.ok(E.isRight(BootConfigCodec.decode(config)), `${label}: the codec takes it`)
    const pair = new Pair(config)
    assert.equal(pair.model.ksCpuAccounting, config.cpuAccounting ?? true, label)
    assert.equal((pair.model.ksObjects.get(pair.model.ksInit) as unknown as { slots: unknown[] }).slots.length, config.init.slots, `${label}: init has the slots configured`)
    fc.assert(fc.property(sequence, (syscalls) => { new Pair(config).run(syscalls) }), { numRuns: 20, seed: 31 })
  }
  // Fewer slots than init's caps need: the codec takes them, both kernels refuse them at the same path.
  const refused: ReadonlyArray<[string, BootConfig, string]> = [
    ['init.slots 2, two devices', { ...DEFAULT_BOOT, init: { slots: 2 } }, '$.init.slots'],
    ['init.slots 1, two devices', { ...DEFAULT_BOOT, init: { slots: 1 } }, '$.init.slots'],
    ['init.slots 1, one device', { ...DEFAULT_BOOT, devices: [{ name: 'disk0' }], init: { slots: 1 } }, '$.init.slots'],
  ]
  for (const [label, config, path] of refused) {
    assert.ok(E.isRight(BootConfigCodec.decode(config)), `${label}: the codec takes it`)
    const expected = failure(() => boot(config))
    assert.ok(expected.startsWith(`BootError: ${path}: `), `${label}: ${expected}`)
    assert.equal(failure(() => Kernel.boot(config)), expected, label)
  }
})

test('table changes across nested user namespaces (ISO-3): model and impl refuse uid 0 of a base-0 map under another map on the ancestor\'s tables, and allow it where the chain is host uid 0 or the table is its own namespace\'s', () => {
  // (examples/nested-user-namespace.trace.json tells the same story; the mutation sandbox has no examples/.)
  // D: its own user namespace (uids base..base+9) and tables; G: D's child sharing D's tables, with its own user map or D's.
  const codes = (base: number, user: 'share' | { base: number; count: number }): string[] => {
    const pair = new Pair(DEFAULT_BOOT)
    pair.run([
      { kind: 'ep_create', caller: 0, depth: 2, dst: 3 },
      { kind: 'container_create', caller: 0, parent: 0, dst: 4, limits: LIMITS[0], namespaces: { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base, count: 10 } } },
      { kind: 'container_create', caller: 0, parent: 4, dst: 5, limits: LIMITS[1], namespaces: { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user } },
      { kind: 'process_spawn', caller: 0, container: 5, image: VALID_IMAGE, uid: 0, slots: 4, grants: [{ slot: 3, rights: RWG }], dst: 6 },
    ])
    const changes = [
      { kind: 'mount', caller: 1, path: '/x', slot: 0, rights: ['read'] },
      { kind: 'svc_register', caller: 1, name: 'x', slot: 0 },
      { kind: 'net_bind', caller: 1, port: 80, slot: 0 },
    ]
    return changes.map((syscall) => {
      const outcome = modelStep(pair.model, syscall).outcome
      pair.step(syscall)
      return E.isRight(outcome) ? 'ok' : outcome.left.code
    })
  }
  // G's uid 0 is uid 0 of D (base 0) but host uid 2000: D's tables are an ancestor's.
  assert.deepEqual(codes(2000, { base: 0, count: 1 }), ['PermissionDenied', 'PermissionDenied', 'PermissionDenied'])
  // G's uid 0 is uid 5 of D.
  assert.deepEqual(codes(2000, { base: 5, count: 5 }), ['PermissionDenied', 'PermissionDenied', 'PermissionDenied'])
  // Every map from G up has base 0: host uid 0.
  assert.deepEqual(codes(0, { base: 0, count: 1 }), ['ok', 'ok', 'ok'])
  // G in D's own user namespace: uid 0 there changes the tables it owns, whatever the host uid.
  assert.deepEqual(codes(2000, 'share'), ['ok', 'ok', 'ok'])
})

test('declared systems changed at one place: model and impl boot them alike or refuse them alike, with the same path and words', () => {
  // Generated systems the model boots, then one change: a number moved to its
  // neighbours or to another number of the same system (bounds, collisions), a
  // name to another name of the system (a duplicate, a container for a process…)
  // or to nothing, an element dropped or given twice, a flag flipped, a cap given
  // a badge, a parent cap or a slot past the holder's, a badged cap given a child
  // with a badge of its own or none, init's slots at their bound or one short, a
  // process's image a digest of no image, a container given one more device; a
  // name may also become a device's, an image's digest or a digest of no image. Every check of boot
  // (impl/boot.ts, model/boot-system.ts) is reached both ways: the counts say so.
  const outcomes = new Map<string, number>()
  /** A digest of no image of the pool. */
  const NO_IMAGE = `sha256:${'e'.repeat(64)}`
  fc.assert(fc.property(systemArb, fc.infiniteStream(fc.nat()), (shape, picks) => {
    const config = bootConfigOf(shape)
    if (typeof config === 'string') return
    const pick = picks[Symbol.iterator]()
    const next = (n: number) => (pick.next().value as number) % n
    const system = config.system!
    const all = leaves(system)
    const numbers = [...new Set(all.map((leaf) => leaf.value).filter((value) => typeof value === 'number'))] as number[]
    // Names a string may become: the system's names, the devices', an image of the pool and a digest of none.
    const names = [...new Set([
      ...all.filter((leaf) => leaf.path.at(-1) === 'name').map((leaf) => leaf.value as string), 'root', 'init', 'nowhere',
      ...config.devices.map((device) => device.name), IMAGES[0]!.digest, NO_IMAGE,
    ])]
    const capNames = (system.caps ?? []).map((cap) => `${cap.holder}:${cap.slot}`)
    for (let round = 0; round < 6; round++) {
      const leaf = all[next(all.length)]!
      let changed: unknown
      let initSlots = config.init.slots
      let rootLimits = config.root.limits
      const choice = next(14)
      if (choice === 0 && leaf.path.length >= 2) changed = replaced(system, leaf.path.slice(0, 2), undefined)
      else if (choice === 1 && leaf.path.length >= 2) {
        const [field, index] = leaf.path as [string, number]
        const list = (system as unknown as Record<string, unknown[]>)[field]!
        changed = { ...system, [field]: [...list, list[index]] }
      } else if (choice === 2 && leaf.path[0] === 'caps' && leaf.path.length >= 2) {
        const index = leaf.path[1] as number
        // The holder's last slot and one past it (init's count when the holder is not a declared process).
        const slots = system.processes?.find((process) => process.name === system.caps![index]!.holder)?.slots ?? config.init.slots
        const extra = [{ badge: 1 + next(3) }, { parent: capNames[next(capNames.length)] ?? 'init:0' }, { slot: slots - next(2) }, { rights: ['read', 'write', 'execute', 'grant', 'control'] }][next(4)]!
        changed = replaced(system, ['caps', index], { ...system.caps![index]!, ...extra })
      } else if (choice === 4) {
        // init's slots at their bound: after the devices' caps, one original cap per declared container and process.
        initSlots = Math.max(1, config.devices.length + 1 + (system.containers?.length ?? 0) + (system.processes?.length ?? 0) - next(2))
        changed = system
      } else if (choice === 5 && (system.caps?.length ?? 0) >= 2) {
        // A badged cap and a later one made its child (same object and rights) with a badge of its own, the same or another.
        const caps = system.caps!
        const parent = next(caps.length - 1)
        const child = parent + 1 + next(caps.length - parent - 1)
        const badged = { ...caps[parent]!, badge: 1 + next(3) }
        // The child's own badge: the same, another, or none (it then inherits its parent's).
        const { badge: _own, ...unbadged } = caps[child]!
        const made = { ...unbadged, object: badged.object, rights: badged.rights, parent: `${badged.holder}:${badged.slot}`, ...(next(3) === 0 ? {} : { badge: 1 + next(3) }) }
        changed = { ...system, caps: caps.map((cap, index) => (index === parent ? badged : index === child ? made : cap)) }
      } else if (choice === 6 && (system.processes?.length ?? 0) > 0) {
        // A process's image: a digest of no image in the pool, or an image of the pool that does not verify, or is below its floor, or another.
        const index = next(system.processes!.length)
        changed = replaced(system, ['processes', index, 'image'], [NO_IMAGE, ...IMAGES.map((image) => image.digest)][next(IMAGES.length + 1)])
      } else if (choice === 7 && (system.containers?.length ?? 0) > 0 && config.devices.length > 0) {
        // A container asks for one more of the boot's devices (which its parent may not have).
        const index = next(system.containers!.length)
        const limits = system.containers![index]!.limits
        changed = replaced(system, ['containers', index, 'limits', 'devices'], [...new Set([...limits.devices, config.devices[next(config.devices.length)]!.name])])
      } else if (choice === 8) {
        // The root's processes limit near what init and the declared processes and reservations take.
        const processes = (system.processes ?? []).filter((process) => process.container === 'root').length + (system.containers ?? []).filter((container) => container.parent === 'root').reduce((sum, container) => sum + container.limits.processes, 0)
        rootLimits = { ...rootLimits, processes: Math.max(1, processes + 1 - next(3)) }
        changed = system
      } else if (choice === 9 && (system.containers?.length ?? 0) > 0) {
        // A container's uid map at its parent's range, one over, or far over (the root's range is every uid: 2^32).
        const index = next(system.containers!.length)
        const entry = system.containers![index]!
        const range = uidRange(system, entry.parent)
        const base = [0, 1, range - 1][next(3)]!
        const count = Math.max(1, range - base + [0, 1, 0][next(3)]!)
        changed = replaced(system, ['containers', index, 'namespaces', 'user'], { base: Math.max(0, Math.min(base, 2 ** 32 - 1)), count })
      } else if (choice === 10) {
        // init's slots below what the devices' caps take.
        initSlots = Math.max(1, config.devices.length + 1 - next(2))
        changed = system
      } else if (choice === 11 && (system.containers?.length ?? 0) > 0) {
        // A container's parent named as a process or a device: not a container.
        const index = next(system.containers!.length)
        const others = [...(system.processes ?? []).map((process) => process.name), 'init', ...config.devices.map((device) => device.name)]
        changed = replaced(system, ['containers', index, 'parent'], others[next(others.length)]!)
      } else if (choice === 12 && (system.caps?.length ?? 0) >= 2) {
        // A cap made the child of an earlier one (declared before it, so the order is right) that names another object or holds fewer rights.
        const caps = system.caps!
        const child = 1 + next(caps.length - 1)
        const parent = caps[next(child)]!
        const rights = next(2) === 0 ? caps[child]!.rights : ['read', 'write', 'execute', 'grant', 'control']
        changed = replaced(system, ['caps', child], { ...caps[child]!, rights, parent: `${parent.holder}:${parent.slot}` })
      } else if (choice === 13 && (system.containers?.length ?? 0) > 0) {
        // A container's memory exactly what its children reserve and its processes' images cost (and maybe its regions), or one byte short.
        const index = next(system.containers!.length)
        const name = system.containers![index]!.name
        const images = (system.processes ?? []).filter((process) => process.container === name)
          .reduce((sum, process) => sum + (IMAGES.find((image) => image.digest === process.image)?.manifest.memoryBytes ?? 0), 0)
        const children = (system.containers ?? []).filter((container) => container.parent === name).reduce((sum, container) => sum + container.limits.memoryBytes, 0)
        const regions = (system.objects ?? []).reduce((sum, object) => sum + (object.kind === 'region' && object.owner === name ? object.sizeBytes : 0), 0)
        const memoryBytes = Math.max(0, children + images + (next(2) === 0 ? regions : 0) - next(2))
        changed = replaced(system, ['containers', index, 'limits', 'memoryBytes'], memoryBytes)
      } else if (typeof leaf.value === 'number') {
        const value = leaf.value
        changed = replaced(system, leaf.path, [value + 1, value - 1, 0, numbers[next(numbers.length)]!][next(4)])
      } else if (typeof leaf.value === 'string') changed = replaced(system, leaf.path, names[next(names.length)])
      else if (typeof leaf.value === 'boolean') changed = replaced(system, leaf.path, !leaf.value)
      else continue
      const changedConfig = { ...config, root: { limits: rootLimits }, init: { slots: initSlots }, system: changed } as BootConfig
      // What the boot file's decoder refuses never reaches a kernel (sila-boot files are decoded first).
      if (E.isLeft(BootConfigCodec.decode(changedConfig))) { outcomes.set('decoder', (outcomes.get('decoder') ?? 0) + 1); continue }
      const expected = failure(() => boot(changedConfig, IMAGES))
      const got = failure(() => Kernel.boot(changedConfig, IMAGES))
      assert.equal(got, expected, JSON.stringify(changed))
      if (expected === 'booted') assert.equal(diffStates(boot(changedConfig, IMAGES), abstractState(Kernel.boot(changedConfig, IMAGES))), null)
      // The refusal without the name or number the change put in it: what check refused.
      const kind = expected === 'booted' ? 'booted' : expected.replace(/\[\d+\]/g, '[]').replace(/"[^"]*"/g, '"…"').replace(/\d+/g, 'n').slice(0, 90)
      outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1)
    }
  }), { numRuns: 300, seed: 21 })
  const refusals = [...outcomes.keys()].filter((kind) => kind !== 'booted' && kind !== 'decoder')
  const refused = refusals.reduce((sum, kind) => sum + outcomes.get(kind)!, 0)
  console.log(`  boot: ${outcomes.get('booted') ?? 0} changed systems booted by both, ${refused} refused alike (${refusals.length} kinds of refusal), ${outcomes.get('decoder') ?? 0} refused by the decoder`)
  assert.ok((outcomes.get('booted') ?? 0) > 100)
  assert.ok(refusals.length >= 15, refusals.join('\n'))
  // Each check added on 2026-12-05 is reached (init short of slots, a uid map past the parent's range, an image that does not verify or is below its floor).
  // And (2026-12-06, from the model's mutation run) a container's parent that is not a container, a cap's parent naming another object or fewer rights.
  for (const reached of ['$.init.slots', '.namespaces.user', 'not signed by a trusted key', 'is below the floor', '.parent: is not a container', 'names another object', 'cannot afford n memoryBytes']) {
    assert.ok(refusals.some((kind) => kind.includes(reached)), `no change reached ${reached}:\n${refusals.join('\n')}`)
  }
})

test('a declared process\'s uid at its container\'s user map: the last mapped uid boots, the count and one past it are refused alike', () => {
  // nested's A maps uids 0..count-1 (uid 0 inside is 1000 outside).
  const system = NESTED.boot.system!
  const count = (system.containers![0]!.namespaces.user as { count: number }).count
  const verdicts = [count - 1, count, count + 1].map((uid) => {
    const config = { ...NESTED.boot, system: { ...system, processes: system.processes!.map((entry) => ({ ...entry, uid })) } } as BootConfig
    const expected = failure(() => boot(config, NESTED.images))
    assert.equal(failure(() => Kernel.boot(config, NESTED.images)), expected, `uid ${uid}`)
    return expected
  })
  assert.equal(verdicts[0], 'booted')
  for (const verdict of verdicts.slice(1)) assert.match(verdict, /processes\[0\]\.uid/)
})

test('random sequences over small slots, with garbage: same outcomes and states after every step', () => {
  for (const config of CONFIGS) {
    fc.assert(fc.property(sequence, (syscalls) => { new Pair(config).run(syscalls) }), { numRuns: SLOW ? 2000 : 150, seed: 7 })
  }
})

test('presets with declared systems (cap-core, cap-core-3, nested): boot and random sequences', () => {
  for (const preset of PRESETS) {
    fc.assert(fc.property(sequence, (syscalls) => { new Pair(preset.boot, preset.images).run(syscalls) }), { numRuns: SLOW ? 500 : 60, seed: 3 })
  }
})

test('declared systems: both kernels boot them alike, and refuse bad declarations alike', () => {
  const system = CAP_CORE.boot.system!
  new Pair(CAP_CORE.boot, CAP_CORE.images).run([{ kind: 'cap_inspect', caller: 1, slot: 0 }, { kind: 'cap_delete', caller: 2, slot: 1 }, { kind: 'cap_revoke', caller: 2, slot: 0 }, { kind: 'mem_alloc', caller: 2, sizeBytes: 1, executable: false, dst: 1 }])
  const broken = [
    { ...system, objects: [...system.objects!, { name: 'R', kind: 'region' as const, owner: 'B', sizeBytes: 1, executable: false }] },
    { ...system, caps: [{ holder: 'pA', slot: 0, object: 'E', rights: ['control'] }] },
    { ...system, caps: [{ holder: 'pB', slot: 0, object: 'E', rights: ['write'], parent: 'pA:0' }] },
    { ...system, containers: [...system.containers!, { name: 'C', parent: 'A', limits: { ...LIMITS[2], memoryBytes: 3 }, namespaces: NAMESPACES[0] }] },
    { ...system, processes: [...system.processes!, { name: 'pC', container: 'nowhere', image: CORE_IMAGE.digest, uid: 0, slots: 1 }] },
  ]
  for (const declared of broken) {
    const config = { ...CAP_CORE.boot, system: declared } as BootConfig
    const expected = failure(() => boot(config, CAP_CORE.images))
    assert.notEqual(expected, 'booted')
    assert.equal(failure(() => Kernel.boot(config, CAP_CORE.images)), expected)
  }
})

test('the property suites\' generator (deep preamble, hops, fills, namespaces, quotas)', () => {
  fc.assert(fc.property(syscallSequence(BALANCED, 12), (fragments) => { new Pair(DEFAULT_BOOT).run(fragments.flat()) }), { numRuns: SLOW ? 1000 : 150, seed: 11 })
})

const ep = (caller: number, dst: number, depth = 2) => ({ kind: 'ep_create', caller, depth, dst })
const send = (caller: number, slot: number, payload: unknown, xfer?: number) => ({ kind: 'ep_send', caller, slot, payload, ...(xfer === undefined ? {} : { xfer }) })
const recv = (caller: number, slot: number, dst?: number) => ({ kind: 'ep_recv', caller, slot, ...(dst === undefined ? {} : { dst }) })
const copy = (caller: number, src: number, dst: number, rights: string[] = ALL, badge?: number) => ({ kind: 'cap_copy', caller, src, dst, rights, ...(badge === undefined ? {} : { badge }) })
const del = (caller: number, slot: number) => ({ kind: 'cap_delete', caller, slot })
const revoke = (caller: number, slot: number) => ({ kind: 'cap_revoke', caller, slot })

test('hand-written: an endpoint whose only cap is queued on itself stays live; dropping it destroys it', () => {
  new Pair(DEFAULT_BOOT).run([
    ep(0, 5, 1), send(0, 5, 1, 5), del(0, 5),
    ep(0, 5), ep(0, 6), send(0, 5, 'a', 6), send(0, 5, 'b', 5), del(0, 6), recv(0, 5), recv(0, 5, 5), recv(0, 5), del(0, 5),
  ])
})

test('hand-written: an endpoint destroyed with several messages queued, a later one carrying the only cap to another endpoint, its queue wrapped or not', () => {
  // Every queued message is discarded, and the cap it carries deleted (its object dies with it).
  for (const wrapped of [false, true]) {
    new Pair(DEFAULT_BOOT).run([
      ep(0, 5, 3), ep(0, 6), send(0, 5, 'a'), ...(wrapped ? [recv(0, 5), send(0, 5, 'b'), send(0, 5, 'c')] : [send(0, 5, 'b')]), send(0, 5, 'd', 6),
      del(0, 5), { kind: 'process_list', caller: 0 },
    ])
  }
})

test('hand-written: ep_recv drops a carried cap whose object then dies, cascading into a container destroy', () => {
  new Pair(DEFAULT_BOOT).run([
    ...PREAMBLE,
    { kind: 'container_create', caller: 0, parent: 0, dst: 7, limits: LIMITS[1], namespaces: NAMESPACES[2] },
    send(0, 3, 9, 7), del(0, 7), recv(2, 1, 1), recv(2, 1),
    send(0, 3, 1, 5), del(0, 5), recv(1, 1),
    { kind: 'container_stats', caller: 0, slot: 0 }, { kind: 'process_list', caller: 0 }, { kind: 'sched_run', quanta: 7 },
  ])
})

test('hand-written: one syscall drops the last caps to a container and to an object it owns, in either order', () => {
  // Both are queued for destruction; when the container goes first (its cap
  // dropped last, collected first), its destruction takes the object with it and
  // the object's own queue entry must find it gone. Process 1 makes container C
  // (under its container A) and a process Q in C, holds the only caps to both,
  // and init kills it: its slots are emptied in order.
  for (const [processSlot, containerSlot] of [[3, 5], [5, 3]] as const) {
    const pair = new Pair(DEFAULT_BOOT).run([
      ...PREAMBLE,
      { kind: 'container_create', caller: 1, parent: 0, dst: containerSlot, limits: LIMITS[2], namespaces: NAMESPACES[0] },
      { kind: 'process_spawn', caller: 1, container: containerSlot, image: VALID_IMAGE, uid: 0, slots: 2, grants: [], dst: processSlot },
    ])
    const live = pair.kernel.objects.liveCount
    pair.step({ kind: 'process_kill', caller: 0, slot: 5 })
    // Process 1 is a zombie while init names it; C and Q are gone.
    assert.equal(pair.kernel.objects.liveCount, live - 2, `slots ${processSlot}, ${containerSlot}: the container and its process are gone`)
  }
})

test('hand-written: the run queue after destroys of containers holding a zombie, and of objects on handles that held running processes', () => {
  // A zombie (killed, still named) left the run queue when it died; destroying its
  // container must not unlink it again after the queue moved on (a process
  // spawned since is last). And a running process freed with its container
  // leaves its handle to later objects: an endpoint there, destroyed with its
  // own container, was never in the queue. process_list and sched_run read the queue.
  const spawn = (caller: number, container: number, dst: number) => ({ kind: 'process_spawn', caller, container, image: VALID_IMAGE, uid: 0, slots: 2, grants: [], dst })
  const create = (dst: number) => ({ kind: 'container_create', caller: 0, parent: 0, dst, limits: LIMITS[1], namespaces: NAMESPACES[0] })
  const list = { kind: 'process_list', caller: 0 }
  const zombie = new Pair(DEFAULT_BOOT).run([
    ...PREAMBLE, create(7), spawn(0, 7, 8), { kind: 'process_kill', caller: 0, slot: 8 }, spawn(0, 0, 9),
    { kind: 'container_destroy', caller: 0, slot: 7 }, list, { kind: 'sched_run', quanta: 3 },
  ])
  const reused = new Pair(DEFAULT_BOOT).run([
    ...PREAMBLE, create(7), spawn(0, 7, 8), spawn(0, 7, 9), spawn(0, 0, 10), { kind: 'container_destroy', caller: 0, slot: 7 },
    // C2 takes the container's handle, process 6 the second process's, and its endpoint the first's.
    create(7), spawn(0, 7, 8), ep(6, 0), spawn(0, 0, 9), { kind: 'container_destroy', caller: 0, slot: 7 }, list, { kind: 'sched_run', quanta: 3 },
  ])
  for (const pair of [zombie, reused]) {
    const outcome = modelStep(pair.model, list).outcome
    assert.ok(E.isRight(outcome) && outcome.right.kind === 'pids' && outcome.right.pids.length >= 4, `${JSON.stringify(outcome)}: the processes spawned after the first destroy are listed`)
  }
})

test('hand-written: a process destroying its own container dies with it; mappings, tables and queues go', () => {
  new Pair(DEFAULT_BOOT).run([
    ...PREAMBLE,
    { kind: 'mem_alloc', caller: 1, sizeBytes: 512, executable: false, dst: 2 },
    { kind: 'mem_map', caller: 1, slot: 2, perms: ['read', 'write'] },
    { kind: 'ep_create', caller: 1, depth: 3, dst: 3 },
    { kind: 'svc_register', caller: 1, name: 'echo', slot: 3 },
    { kind: 'svc_lookup', caller: 1, name: 'echo', dst: 4 },
    send(1, 4, 'x', 2), send(1, 1, 'y', 3), send(1, 3, 'z'),
    { kind: 'mount', caller: 1, path: '/data', slot: 2, rights: ['read'] },
    { kind: 'net_bind', caller: 1, port: 80, slot: 3 },
    { kind: 'container_destroy', caller: 1, slot: 0 },
    { kind: 'cap_inspect', caller: 1, slot: 0 },
    recv(0, 3, 7), recv(0, 3, 7), { kind: 'container_stats', caller: 0, slot: 0 },
  ])
})

test('hand-written: revoke reaches slots, tables and queued messages; mappings made through revoked caps go', () => {
  new Pair(DEFAULT_BOOT).run([
    ...PREAMBLE,
    { kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: true, dst: 7 },
    copy(0, 7, 8, ['read', 'execute', 'control']), { kind: 'mem_map', caller: 0, slot: 8, perms: ['read', 'execute'] },
    send(0, 3, 0, 7), { kind: 'mount', caller: 0, path: '/bin', slot: 7, rights: ['read'] },
    { kind: 'resolve', caller: 2, path: '/bin', dst: 2 }, { kind: 'mem_map', caller: 2, slot: 2, perms: ['read'] },
    revoke(0, 7), recv(1, 1, 3), { kind: 'mem_unmap', caller: 0, slot: 8 }, { kind: 'resolve', caller: 0, path: '/bin', dst: 9 },
    { kind: 'cap_move', caller: 0, src: 7, dst: 9 }, { kind: 'mem_map', caller: 0, slot: 9, perms: ['read'] }, { kind: 'cap_move', caller: 0, src: 9, dst: 10 },
    del(0, 10),
  ])
})

test('hand-written: badges, spawn policy and every spawn error in order', () => {
  new Pair(DEFAULT_BOOT).run([
    ep(0, 5), copy(0, 5, 6, ['write'], 42), copy(0, 6, 7, ['write'], 1), copy(0, 1, 8, ['write'], 1), copy(0, 6, 8, ['write']), send(0, 8, 'b'), recv(0, 5),
    { kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 0, slots: 1, grants: [{ slot: 0, rights: [] }, { slot: 5, rights: [] }], dst: 9 },
    { kind: 'process_spawn', caller: 0, container: 0, image: `sha256:${'1'.repeat(64)}`, uid: 0, slots: 4, grants: [], dst: 9 },
    { kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 0, slots: 4, grants: [{ slot: 5, rights: RWG }], dst: 9 },
    { kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 0, slots: 4, grants: [{ slot: 0, rights: ALL }, { slot: 5, rights: RWG }, { slot: 8, rights: ['write'] }, { slot: 2, rights: ['write'] }], dst: 9 },
    { kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 2 ** 32 - 1, slots: 4, grants: [], dst: 10 },
    { kind: 'io_submit', caller: 1, slot: 3, bytes: 10 }, { kind: 'io_submit', caller: 0, slot: 1, bytes: 2 ** 20 }, { kind: 'io_submit', caller: 0, slot: 1, bytes: 10 },
    { kind: 'process_kill', caller: 0, slot: 9 }, { kind: 'process_kill', caller: 0, slot: 9 }, { kind: 'cap_inspect', caller: 0, slot: 9 }, del(0, 9),
  ])
})

test('hand-written: grants matched by what they grant: subsets, any order, first-fit traps, no matching, named devices', () => {
  const spawn = (grants: unknown[], dst = 14) => ({ kind: 'process_spawn', caller: 0, container: 0, image: MATCHER_IMAGE, uid: 0, slots: 8, grants, dst })
  const [read, write, rwg] = [['read'], ['write'], RWG].map((rights) => ({ slot: 10, rights }))
  const disk = { slot: 1, rights: ['write'] }
  const net = { slot: 2, rights: ['write'] }
  const region = { slot: 12, rights: ['read', 'write'] }
  const container = { slot: 0, rights: ['control'] }
  const pair = new Pair(DEFAULT_BOOT).run([ep(0, 10), { kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst: 12 }])
  const outcomes: string[] = []
  for (const grants of [
    [disk], [container, region], [region, net, container, disk, read, rwg], [read, write], [disk, net], [read, disk, write, net, container],
    [write, write], [net, net], [read, read, read], [rwg, read, net, disk, region, container, container], [{ slot: 12, rights: ['read', 'control', 'write', 'execute'] }],
  ]) {
    const before = pair.model.ksProcessRefs.length
    pair.step(spawn(grants))
    outcomes.push(pair.model.ksProcessRefs.length > before ? 'spawned' : 'refused')
    pair.step({ kind: 'cap_delete', caller: 0, slot: 14 })
  }
  assert.deepEqual(outcomes, [...Array(6).fill('spawned'), ...Array(5).fill('refused')])
})

test('one digest, one pool entry: a pool naming a digest twice is refused by both kernels, at the same place, naming the digest', () => {
  const [valid, wrongKey] = IMAGE_POOL
  for (const images of [
    [...IMAGE_POOL, valid!],
    [valid!, { ...valid!, signatures: [{ signer: 'attacker', verifies: true }] }],
    [wrongKey!, valid!, { ...wrongKey!, signatures: [{ signer: 'release', verifies: true }] }],
    [valid!, { ...valid!, manifest: { ...valid!.manifest, memoryBytes: 1 } }],
  ]) {
    const expected = failure(() => boot(DEFAULT_BOOT, images))
    assert.match(expected, new RegExp(`^BootError: \\$\\.images\\[${images.length - 1}\\]: the image pool names ${images.at(-1)!.digest} a second time`))
    assert.equal(failure(() => Kernel.boot(DEFAULT_BOOT, images)), expected)
  }
})

test('a declared cap may name a device: both boot it and let its holder submit I/O; a declared name that is a device\'s is refused alike', () => {
  const image = IMAGE_POOL.find((record) => record.signatures.some((signature) => signature.verifies))!
  const driver = (caps: ReadonlyArray<{ slot: number; object: string; rights: Array<'write' | 'read'> }>, name = 'driver'): BootConfig => ({
    ...DEFAULT_BOOT,
    floors: {},
    system: { processes: [{ name, container: 'root', image: image.digest, uid: 0, slots: 2 }], caps: caps.map((cap) => ({ ...cap, holder: name })) },
  })
  const pair = new Pair(driver([{ slot: 1, object: 'net0', rights: ['write'] }]))
  // The driver (process ref 1) writes to net0 through the declared cap; its slot 0 is empty.
  const ioUsed = () => { const root = pair.model.ksObjects.get(pair.model.ksRoot)!; return root.kind === 'container' ? root.usage.ioBytes : -1 }
  pair.step({ kind: 'io_submit', caller: 1, slot: 1, bytes: 3 })
  assert.equal(ioUsed(), 3)
  pair.step({ kind: 'io_submit', caller: 1, slot: 0, bytes: 3 })
  assert.equal(ioUsed(), 3, 'an empty slot submits nothing')
  const cases: ReadonlyArray<[BootConfig, string]> = [
    [driver([{ slot: 0, object: 'disk0', rights: ['read'] }]), '$.system.caps[0].rights: more than a device cap can carry'],
    [driver([], 'disk0'), '$.system.processes[0]: the name "disk0" is a device\'s'],
    [driver([{ slot: 0, object: 'tape0', rights: ['write'] }]), '$.system.caps[0].object: no declared object or device named "tape0"'],
    // Named before it is declared, or naming itself: said so, at the place it is declared.
    [{ ...DEFAULT_BOOT, system: { containers: [{ name: 'Q', parent: 'P', limits: LIMITS[0]!, namespaces: SHARE_ALL }, { name: 'P', parent: 'root', limits: LIMITS[0]!, namespaces: SHARE_ALL }] } },
      '$.system.containers[0].parent: "P" is declared later, at $.system.containers[1]: boot creates in declaration order (containers, then processes, then objects), so what is named must come before what names it'],
    [{ ...DEFAULT_BOOT, system: { containers: [{ name: 'P', parent: 'P', limits: LIMITS[0]!, namespaces: SHARE_ALL }] } }, '$.system.containers[0].parent: "P" names the entry itself: it must name one declared before it'],
    [{ ...DEFAULT_BOOT, floors: {}, system: { processes: [{ name: 'p', container: 'C', image: image.digest, uid: 0, slots: 2 }], containers: [{ name: 'C', parent: 'root', limits: LIMITS[0]!, namespaces: SHARE_ALL }] } }, 'BOOTS'],
  ]
  for (const [config, message] of cases) {
    const expected = failure(() => boot(config, IMAGE_POOL))
    // Containers are created before processes whatever the file's order of keys: a process may name a container listed after it in the file.
    if (message === 'BOOTS') { assert.equal(expected, 'booted'); assert.equal(failure(() => Kernel.boot(config, IMAGE_POOL)), 'booted'); continue }
    assert.equal(expected, `BootError: ${message}`)
    assert.equal(failure(() => Kernel.boot(config, IMAGE_POOL)), expected)
  }
})

test('each device named once: refused alike, at the same path; allowed devices none declares, or a subset of them, boot alike', () => {
  const withDevices = (devices: string[], allowed: string[]): BootConfig => ({ ...DEFAULT_BOOT, devices: devices.map((name) => ({ name })), root: { limits: { ...DEFAULT_BOOT.root.limits, devices: allowed } } })
  const cases: ReadonlyArray<[BootConfig, string]> = [
    [withDevices(['disk0', 'disk0'], ['disk0']), '$.devices[1].name: the device "disk0" is declared twice'],
    [withDevices(['disk0', 'net0', 'net0'], []), '$.devices[2].name: the device "net0" is declared twice'],
    [withDevices(['a', 'a'], ['b']), '$.devices[1].name: the device "a" is declared twice'],
  ]
  for (const [config, message] of cases) {
    const expected = failure(() => boot(config, IMAGE_POOL))
    assert.equal(expected, `BootError: ${message}`)
    assert.equal(failure(() => Kernel.boot(config, IMAGE_POOL)), expected)
  }
  for (const config of [withDevices(['disk0', 'net0'], ['net0']), withDevices(['disk0'], []), withDevices([], []), withDevices(['disk0'], ['disk0', 'net0']), withDevices([], ['tape0'])]) {
    assert.equal(failure(() => boot(config, IMAGE_POOL)), 'booted')
    assert.equal(failure(() => Kernel.boot(config, IMAGE_POOL)), 'booted')
  }
})

test('one pool entry, several signatures: trusted when any one verifies by a trusted key, whatever the order', () => {
  const [valid] = IMAGE_POOL
  const spawn = { kind: 'process_spawn', caller: 0, container: 0, image: valid!.digest, uid: 0, slots: 8, grants: [], dst: 14 }
  const cases: Array<[ReadonlyArray<{ signer: string; verifies: boolean }>, boolean]> = [
    [[{ signer: 'attacker', verifies: true }, { signer: 'release', verifies: true }], true],
    [[{ signer: 'release', verifies: true }, { signer: 'attacker', verifies: true }], true],
    [[{ signer: 'release', verifies: false }, { signer: 'release', verifies: true }], true],
    [[{ signer: 'attacker', verifies: true }, { signer: 'release', verifies: false }], false],
    [[], false],
  ]
  for (const [signatures, trusted] of cases) {
    const pair = new Pair(DEFAULT_BOOT, [{ ...valid!, signatures: [...signatures] }])
    pair.step(spawn)
    assert.equal(pair.model.ksProcessRefs.length, trusted ? 2 : 1, JSON.stringify(signatures))
  }
})

test('hand-written: budgets and quotas in a tight configuration', () => {
  const pair = new Pair(TIGHT_BOOT)
  pair.run([
    { kind: 'container_create', caller: 0, parent: 0, dst: 3, limits: LIMITS[2], namespaces: NAMESPACES[0] },
    { kind: 'container_set_limits', caller: 0, slot: 3, limits: LIMITS[1] },
    { kind: 'container_set_limits', caller: 0, slot: 3, limits: { ...LIMITS[2], cpuBudget: 50 } },
    { kind: 'process_spawn', caller: 0, container: 3, image: VALID_IMAGE, uid: 0, slots: 4, grants: [{ slot: 3, rights: ALL }], dst: 4 },
    { kind: 'container_set_limits', caller: 0, slot: 3, limits: { ...LIMITS[2], memoryBytes: 1 } },
  ])
  for (let index = 0; index < 70; index++) pair.step({ kind: 'mem_alloc', caller: index % 2, sizeBytes: 700, executable: false, dst: 5 + (index % 3) })
  pair.run([{ kind: 'tick' }, { kind: 'container_stats', caller: 1, slot: 0 }, { kind: 'container_destroy', caller: 0, slot: 3 }, { kind: 'container_stats', caller: 0, slot: 0 }])
})

test('hand-written: namespaces: uid 0 inside a child user namespace is not root outside; lookups see only own tables', () => {
  new Pair(NO_CPU_BOOT).run([
    ...PREAMBLE,
    { kind: 'svc_register', caller: 0, name: 'log', slot: 3 }, { kind: 'svc_register', caller: 0, name: 'log', slot: 3 },
    { kind: 'svc_lookup', caller: 1, name: 'log', dst: 2 }, { kind: 'svc_lookup', caller: 2, name: 'log', dst: 2 },
    { kind: 'ep_create', caller: 1, depth: 1, dst: 2 }, { kind: 'svc_register', caller: 1, name: 'log', slot: 2 }, { kind: 'net_bind', caller: 1, port: 443, slot: 2 },
    { kind: 'net_connect', caller: 1, port: 443, dst: 3 }, { kind: 'net_connect', caller: 0, port: 443, dst: 7 }, { kind: 'net_unbind', caller: 1, port: 443 },
    { kind: 'process_spawn', caller: 1, container: 0, image: VALID_IMAGE, uid: 5, slots: 2, grants: [], dst: 4 },
    { kind: 'process_list', caller: 1 }, { kind: 'process_list', caller: 0 }, { kind: 'svc_unregister', caller: 0, name: 'log' }, { kind: 'svc_unregister', caller: 1, name: 'log' },
    { kind: 'unmount', caller: 0, path: '/' },
  ])
})

test('hand-written: a dropped cap that was its container\'s last destroys the receiver\'s own container; the rest of the queue is discarded', () => {
  const setup = [
    { kind: 'container_create', caller: 0, parent: 0, dst: 4, limits: LIMITS[0], namespaces: NAMESPACES[2] },
    { kind: 'process_spawn', caller: 0, container: 4, image: VALID_IMAGE, uid: 0, slots: 4, grants: [{ slot: 4, rights: ALL }], dst: 5 },
    ep(1, 1, 3), send(1, 1, 1, 0), send(1, 1, 2), send(1, 1, 3, 1), del(1, 0), del(0, 4),
  ]
  new Pair(DEFAULT_BOOT).run([...setup, recv(1, 1), { kind: 'cap_inspect', caller: 1, slot: 1 }, { kind: 'process_list', caller: 0 }, { kind: 'cap_inspect', caller: 0, slot: 5 }, del(0, 5)])
  new Pair(DEFAULT_BOOT).run([...setup, recv(1, 1, 0), recv(1, 1, 2), recv(1, 1, 3), { kind: 'container_destroy', caller: 1, slot: 0 }, { kind: 'process_list', caller: 0 }])
})

test('hand-written: a new period clears every container\'s usage, whatever the rows beside it hold (with CPU accounting off, I/O only)', () => {
  // Containers in creation order, in four arrangements: empty ones (no process)
  // and ones whose process writes to a device; with CPU accounting off (their usage
  // is then I/O only) and on. After each tick every writer may write its whole
  // I/O quota again, and the states are compared after every step.
  const create = (dst: number) => ({ kind: 'container_create', caller: 0, parent: 0, dst, limits: LIMITS[0], namespaces: NAMESPACES[0] })
  const writer = (container: number, dst: number) => ({
    kind: 'process_spawn', caller: 0, container, image: VALID_IMAGE, uid: 0, slots: 8, dst,
    grants: [{ slot: container, rights: ALL }, { slot: 5, rights: RWG }, { slot: 6, rights: ['read', 'write'] }, { slot: 1, rights: ['write'] }],
  })
  const io = (caller: number, bytes: number) => ({ kind: 'io_submit', caller, slot: 3, bytes })
  const reached = { writes: 0 }
  for (const arrangement of [['empty', 'writer'], ['writer', 'empty'], ['empty', 'empty', 'writer', 'writer'], ['writer', 'writer', 'empty']]) {
    for (const config of [{ ...DEFAULT_BOOT, cpuAccounting: false }, DEFAULT_BOOT]) {
      const syscalls: Array<Record<string, unknown>> = [ep(0, 5, 1), { kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst: 6 }]
      let writers = 0
      arrangement.forEach((role, index) => {
        syscalls.push(create(7 + 2 * index))
        if (role === 'writer') syscalls.push(writer(7 + 2 * index, 8 + 2 * index), io(++writers, 1000))
      })
      const again = Array.from({ length: writers }, (_, index) => io(index + 1, LIMITS[0]!.ioBytes))
      const pair = new Pair(config)
      for (const syscall of [...syscalls, { kind: 'tick' }, ...again, { kind: 'tick' }, ...again]) {
        if (syscall.kind === 'io_submit') {
          const outcome = modelStep(pair.model, syscall).outcome
          assert.ok(E.isRight(outcome), `${JSON.stringify(syscall)}: ${JSON.stringify(outcome)}`)
          reached.writes++
        }
        pair.step(syscall)
      }
      // The quota is full: one more byte in this period, answered alike by both.
      pair.run(again.map((call) => ({ ...call, bytes: 1 })))
    }
  }
  // Two configurations, three writes per writer, six writers in all.
  assert.equal(reached.writes, 2 * 3 * (1 + 1 + 2 + 2))
})

test('hand-written: three mappings undone in every order, by unmap or by deleting the cap, then made again', () => {
  const regions = [7, 8, 9]
  const orders = regions.flatMap((a) => regions.filter((b) => b !== a).map((b) => [a, b, regions.find((c) => c !== a && c !== b)!]))
  for (const order of orders) {
    for (const undo of ['unmap', 'delete'] as const) {
      new Pair(DEFAULT_BOOT).run([
        ...regions.flatMap((slot) => [{ kind: 'mem_alloc', caller: 0, sizeBytes: 256, executable: false, dst: slot }, { kind: 'mem_map', caller: 0, slot, perms: ['read'] }]),
        ...order.flatMap((slot, index) => [
          undo === 'unmap' ? { kind: 'mem_unmap', caller: 0, slot } : del(0, slot),
          // After the first undo, the last one mapped again: the list's tail moves.
          ...(index === 0 && undo === 'unmap' ? [{ kind: 'mem_map', caller: 0, slot, perms: ['read', 'write'] }, { kind: 'mem_unmap', caller: 0, slot: order[2]! }, { kind: 'mem_map', caller: 0, slot: order[2]!, perms: ['read'] }] : []),
        ]),
        ...regions.map((slot) => ({ kind: 'mem_unmap', caller: 0, slot })),
      ])
    }
  }
})

test('hand-written: init outlives the last cap that names it (declared caps to init, deleted, revoked, or dropped with their holder)', () => {
  const system = NESTED.boot.system!
  const declared = (caps: NonNullable<typeof system.caps>) => ({ ...NESTED.boot, system: { ...system, caps: [...system.caps!, ...caps] } }) as BootConfig
  const toInit = { object: 'init', rights: ['read', 'write', 'grant', 'control'] as Array<'read' | 'write' | 'grant' | 'control'> }
  const inspect = { kind: 'cap_inspect', caller: 0, slot: 3 }
  new Pair(declared([{ holder: 'pA', slot: 2, ...toInit }]), NESTED.images).run([del(1, 2), inspect, { kind: 'process_list', caller: 0 }])
  new Pair(declared([{ holder: 'init', slot: 4, ...toInit }]), NESTED.images).run([del(0, 4), inspect, ep(0, 4)])
  new Pair(declared([{ holder: 'init', slot: 4, ...toInit }, { holder: 'pA', slot: 2, ...toInit, parent: 'init:4' }]), NESTED.images).run([revoke(0, 4), del(0, 4), inspect, { kind: 'sched_run', quanta: 2 }])
  new Pair(declared([{ holder: 'pA', slot: 2, ...toInit }]), NESTED.images).run([{ kind: 'process_kill', caller: 0, slot: 3 }, inspect])
  new Pair(declared([{ holder: 'pA', slot: 2, ...toInit }]), NESTED.images).run([{ kind: 'container_destroy', caller: 1, slot: 0 }, inspect, { kind: 'process_list', caller: 0 }])
})

test('hand-written: zombies, self-kill, and a cycle-kept endpoint doomed with its container', () => {
  new Pair(DEFAULT_BOOT).run([
    ...PREAMBLE,
    { kind: 'process_kill', caller: 0, slot: 5 }, { kind: 'cap_copy', caller: 0, src: 5, dst: 7, rights: ['read'] }, { kind: 'cap_inspect', caller: 0, slot: 7 },
    { kind: 'process_spawn', caller: 2, container: 0, image: VALID_IMAGE, uid: 0, slots: 3, grants: [], dst: 2 },
    { kind: 'process_kill', caller: 2, slot: 2 }, { kind: 'cap_move', caller: 2, src: 2, dst: 3 },
    ep(0, 8, 1), send(0, 8, 0, 8), { kind: 'cap_copy', caller: 0, src: 4, dst: 9, rights: ALL },
    { kind: 'process_spawn', caller: 0, container: 4, image: VALID_IMAGE, uid: 0, slots: 3, grants: [{ slot: 8, rights: RWG }, { slot: 6, rights: ['control'] }], dst: 10 },
    { kind: 'process_kill', caller: 4, slot: 1 }, del(0, 8), ep(4, 2, 1), send(4, 2, 0, 2), del(4, 2),
    { kind: 'process_kill', caller: 0, slot: 6 }, { kind: 'cap_inspect', caller: 0, slot: 6 },
    { kind: 'container_destroy', caller: 0, slot: 9 }, del(0, 5), del(0, 6), { kind: 'cap_inspect', caller: 0, slot: 7 }, del(0, 7),
    { kind: 'container_stats', caller: 0, slot: 0 },
  ])
})

test('malformed inputs of every shape are InvalidArgument and never throw', () => {
  const weird: unknown[] = [
    null, undefined, 0, NaN, 'cap_delete', [], [0], () => 0, Symbol('x'), { kind: 'cap_delete', caller: -0, slot: -0 },
    { kind: 'cap_delete', caller: NaN, slot: 0 }, { kind: 'cap_delete', caller: 0, slot: NaN }, { kind: 'cap_delete', caller: 0.5, slot: 0 },
    { kind: 'cap_copy', caller: 0, src: 0, dst: 5, rights: [, 'read'] }, { kind: 'mem_map', caller: 0, slot: 0, perms: ['write', 'execute'] },
    { kind: 'mem_map', caller: 0, slot: 0, perms: [] }, { kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 0, slots: 1, grants: [, { slot: 0, rights: [] }], dst: 5 },
    Object.defineProperty({ caller: 0, slot: 0 }, 'kind', { get: () => 'cap_inspect', enumerable: true }),
    Object.create({ kind: 'cap_inspect', caller: 0, slot: 0 }), { kind: 'ep_send', caller: 0, slot: 0, payload: 'x'.repeat(4097) },
    { kind: 'tick', caller: 'x' }, { kind: 'sched_run', quanta: 100001 }, { kind: 'toString', caller: 0 }, { kind: '__proto__', caller: 0 },
    { kind: 'container_create', caller: 0, parent: 0, dst: 5, limits: { ...LIMITS[0], devices: [, 'disk0'] }, namespaces: NAMESPACES[0] },
    { kind: 'container_create', caller: 0, parent: 0, dst: 5, limits: LIMITS[0], namespaces: { ...NAMESPACES[0], user: { base: -1, count: 1 } } },
  ]
  const pair = new Pair(DEFAULT_BOOT)
  for (const syscall of weird) pair.step(syscall)
  assert.ok(pair.steps === weird.length)
})

/** A step taken on both, then the impl corrupted through its own table API (as a buggy handler would). */
function assertSameDifference(pair: Pair): void {
  const incremental = compareImpl(pair.kernel, pair.model)
  const full = diffStates(pair.model, abstractState(pair.kernel))
  assert.notEqual(full, null)
  assert.deepStrictEqual(incremental, full)
}

test('compare finds what the full comparison finds: a corrupted impl, or a model that moved alone', () => {
  const pair = new Pair(DEFAULT_BOOT).run([...PREAMBLE, send(0, 3, 5), { kind: 'mount', caller: 0, path: '/d', slot: 1, rights: ['write'] }])
  const snapshot = pair.kernel.snapshot()
  const model = pair.model
  const endpointOf = (p: Pair) => p.kernel.caps.object[p.kernel.objects.cspace[p.kernel.init]![3]!]
  const corruptions: Array<(p: Pair) => void> = [
    (p) => { p.kernel.objects.rows.usage[0] += 1; p.kernel.objects.touch(0) },
    (p) => { p.kernel.caps.rights[0] = 1; p.kernel.caps.touch(0) },
    (p) => { const ns = p.kernel.namespaces.get(0); ns.pidNext = 99; p.kernel.namespaces.touch(ns) },
    (p) => { p.kernel.objects.ring[endpointOf(p)]!.payload[0] = 6; p.kernel.objects.touch(endpointOf(p)) },
    (p) => { p.kernel.objects.uid[p.kernel.init] = 3; p.kernel.objects.touch(p.kernel.init) },
    (p) => { const cspace = p.kernel.objects.cspace[p.kernel.init]!; [cspace[1], cspace[2]] = [cspace[2]!, cspace[1]!]; p.kernel.objects.touch(p.kernel.init) },
    (p) => { p.kernel.objects.pids[p.kernel.init] = new Map([[0, 7]]); p.kernel.objects.touch(p.kernel.init) },
  ]
  for (const corrupt of corruptions) {
    pair.kernel.restore(snapshot)
    pair.model = model
    pair.check('restored')
    pair.step({ kind: 'cap_inspect', caller: 0, slot: 0 })
    const stepped = modelStep(pair.model, { kind: 'process_list', caller: 1 })
    pair.model = stepped.state
    pair.kernel.step({ kind: 'process_list', caller: 1 })
    corrupt(pair)
    assertSameDifference(pair)
  }
  pair.kernel.restore(snapshot)
  pair.model = model
  pair.check('restored')
  pair.kernel.step({ kind: 'cap_inspect', caller: 0, slot: 0 })
  pair.model = modelStep(pair.model, { kind: 'mem_alloc', caller: 0, sizeBytes: 1, executable: false, dst: 9 }).state
  assertSameDifference(pair)
})

/** Every leaf of a JSON value: its path (keys and indexes) and the value there. */
function leaves(value: unknown, path: ReadonlyArray<string | number> = []): Array<{ path: ReadonlyArray<string | number>; value: unknown }> {
  if (Array.isArray(value)) return value.length === 0 ? [{ path, value }] : value.flatMap((inner, index) => leaves(inner, [...path, index]))
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([key, inner]) => leaves(inner, [...path, key]))
  return [{ path, value }]
}

/** A copy of `value` with the leaf (or array) at `path` replaced by `by` (undefined: removed). */
function replaced(value: unknown, path: ReadonlyArray<string | number>, by: unknown): unknown {
  if (path.length === 0) return by
  const [head, ...rest] = path
  if (Array.isArray(value)) {
    const copy = value.slice()
    if (rest.length === 0 && by === undefined) copy.splice(head as number, 1)
    else copy[head as number] = replaced(copy[head as number], rest, by)
    return copy
  }
  const copy = { ...(value as Record<string, unknown>) }
  if (rest.length === 0 && by === undefined) delete copy[head as string]
  else copy[head as string] = replaced(copy[head as string], rest, by)
  return copy
}

test.run()
