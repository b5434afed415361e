/**
 * The step guards of ISO-2, ISO-3, LIFE-1, IMG-2 and SCHED-1
 * (checker/explore/step-guards.ts) against the reference, on transitions a
 * correct kernel never takes. Random walks over the presets with namespaces of
 * their own; at each state every container_destroy, table change, lookup,
 * process_list, process_spawn and sched_run of the alphabet is stepped, and
 * after a successful step the tables are tampered with at random, as a wrong
 * kernel would leave them: an entry added to, replaced in or removed from any
 * table (the caller's own, a foreign one, one owned by another user
 * namespace), the cap a lookup gave re-parented to any live cap, a pid added to
 * what process_list answered; after a destroy, an object, cap or namespace of a
 * gone container left behind, a sibling moved under its parent, an identity
 * reused; after a spawn, a granted cap dropped, moved, re-parented, given more
 * rights (any, or all the manifest allows) or another object, a cap put in a
 * slot no grant fills, the new
 * process's creation index taken away, the image's manifest asking for less;
 * after a sched_run (here also of 5 and 9 quanta), a quantum given to another
 * process, added or dropped, or every quantum given to one. Before a spawn,
 * sometimes, the caller's grant caps are narrowed to the rights granted, so that
 * a granted cap raised to what the manifest allows goes beyond its parent. Before the step, sometimes, a caller's uid changes or an entry is
 * added to any table. Whenever the model's step invariants find a violation on
 * the abstraction, the guard must have said "might break"; and the guard must
 * vouch for some of each kind, or it saves nothing. The counts are printed:
 * violations of each invariant seen, and vouched transitions per kind.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import type { Kernel, KernelSnapshot } from '../../impl/kernel.js'
import { KIND_CONTAINER, KIND_FREE, KIND_NAMES, NONE, RES_COUNT, RES_CPU, RES_IO } from '../../impl/tables/objects.js'
import { rightsMask } from '../../spec/rights.js'
import { PLACE_FREE } from '../../impl/tables/caps.js'
import type { NamespaceRecord } from '../../impl/tables/namespaces.js'
import { implTarget } from '../../refinement/abstraction.js'
import { STEP_INVARIANTS } from '../../spec/invariants/index.js'
import { ALL_SYSCALLS, NESTED, type Preset } from '../../spec/presets.js'
import { DEFAULT_BOOT } from '../../spec/boot.js'
import { IMAGE_POOL, MATCHER_IMAGE } from '../../properties/pool.js'
import type { Outcome, Reply } from '../../spec/results.js'
import type { Violation } from '../../spec/invariants/types.js'
import type { KernelState } from '../../model/state.js'
import { type Action, presetActions } from '../../checker/explore/actions.js'
import { StepGuards } from '../../checker/explore/step-guards.js'
import { mulberry32 } from '../../checker/explore/search.js'
import { bootFilePreset } from '../../cli/boot-file.js'

const GUARDED_KINDS = new Set(['cap_revoke', 'container_destroy', 'mount', 'unmount', 'net_bind', 'net_unbind', 'svc_register', 'svc_unregister', 'resolve', 'net_connect', 'svc_lookup', 'process_list', 'process_spawn', 'sched_run'])

const abstract = (kernel: Kernel): KernelState => ({ ...implTarget.abstraction.abstract(kernel), gsFlows: new Map() })

/**
 * The guard's verdict on the step of action `index` just taken (the kernel holds
 * its successor, `beforeSnapshot` the state it was taken from, `before` that
 * state's abstraction), with `reply` as its answer; and the step invariants the
 * reference finds broken on it.
 */
function judged(kernel: Kernel, guards: StepGuards, index: number, action: Action, reply: Reply, beforeSnapshot: KernelSnapshot, before: KernelState): { mayBreak: boolean; found: Violation[] } {
  const afterSnapshot = kernel.snapshot()
  const atBefore = (read: () => void): void => { kernel.restore(beforeSnapshot); read(); kernel.restore(afterSnapshot) }
  const mayBreak = guards.mayBreak(kernel, index, action, reply, atBefore)
  const step = { before, syscall: action, outcome: E.right(reply), after: abstract(kernel) }
  return { mayBreak, found: STEP_INVARIANTS.map((invariant) => invariant.check(step)).flatMap((option) => (option._tag === 'Some' ? [option.value] : [])) }
}

/** Live cap handles of the kernel. */
function liveCaps(kernel: Kernel): number[] {
  const caps: number[] = []
  for (let cap = 0; cap < kernel.caps.top; cap++) if (kernel.caps.place[cap] !== PLACE_FREE) caps.push(cap)
  return caps
}

/** Namespace `id`'s record, marked changed (as the kernel marks what it changes). */
function changed(kernel: Kernel, id: number): NamespaceRecord {
  const record = kernel.namespaces.get(id)
  kernel.namespaces.touch(record)
  return record
}

/** Containers of the kernel now: handle → serial. */
function containersOf(kernel: Kernel): Map<number, number> {
  const found = new Map<number, number>()
  for (let handle = 0; handle < kernel.objects.top; handle++) if (kernel.objects.kind[handle] === KIND_CONTAINER) found.set(handle, kernel.objects.serial[handle]!)
  return found
}

/**
 * After a step that took containers away (`before`: the containers before it),
 * a remnant of one, drawn with `random`: an object still owned by it, a cap
 * still naming it, a namespace still created by it, a sibling moved under its
 * parent, or another object given its identity. Its name, or null.
 */
function remnant(kernel: Kernel, before: ReadonlyMap<number, number>, random: () => number): string | null {
  const pick = <T>(items: ReadonlyArray<T>): T => items[Math.floor(random() * items.length)]!
  const objects = kernel.objects
  const gone = [...before].filter(([handle, serial]) => objects.kind[handle] !== KIND_CONTAINER || objects.serial[handle] !== serial).map(([handle]) => handle)
  if (gone.length === 0) return null
  const handle = pick(gone)
  const live: number[] = []
  for (let other = 0; other < objects.top; other++) if (objects.kind[other] !== KIND_FREE && other !== kernel.root) live.push(other)
  if (live.length === 0) return null
  const other = pick(live)
  switch (Math.floor(random() * 5)) {
    case 0: objects.owner[other] = handle; objects.touch(other); return 'owner kept'
    case 1: {
      const caps = liveCaps(kernel)
      if (caps.length === 0) return null
      const cap = pick(caps)
      kernel.caps.object[cap] = handle
      kernel.caps.touch(cap)
      return 'cap kept'
    }
    case 2: {
      const records = [...kernel.namespaces.records.keys()]
      ;(changed(kernel, pick(records)) as { creator: number }).creator = before.get(handle)!
      return 'namespace kept'
    }
    case 3: {
      const containers = [...containersOf(kernel).keys()].filter((container) => container !== kernel.root)
      if (containers.length === 0) return null
      const container = pick(containers)
      objects.parent[container] = objects.parent[handle]!
      // Half the time it reserves exactly one unit of one resource: the parent keeps one unit too many (the bound).
      const limits = objects.limits[container]
      if (random() < 0.5 && limits !== null && limits !== undefined) {
        const resource = pick(['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes'] as const)
        objects.limits[container] = { ...limits, memoryBytes: 0, processes: 0, endpoints: 0, cpuBudget: 0, ioBytes: 0, [resource]: 1 }
        objects.touch(container)
        return 'reservation one over'
      }
      objects.touch(container)
      return 'reservation kept'
    }
    default: objects.serial[other] = before.get(handle)!; objects.touch(other); return 'identity kept'
  }
}

/** One tampering of the kernel's tables, drawn with `random` (`only`: an entry added); its name, or null when none applied. */
function tamper(kernel: Kernel, action: Action, random: () => number, only?: 'add'): string | null {
  const pick = <T>(items: ReadonlyArray<T>): T => items[Math.floor(random() * items.length)]!
  const caps = liveCaps(kernel)
  const tables = [...kernel.namespaces.records.values()].filter((record) => record.kind === 'mount' || record.kind === 'net' || record.kind === 'ipc')
  switch (only === 'add' ? 0 : Math.floor(random() * 5)) {
    case 0: {
      if (tables.length === 0 || caps.length === 0) return null
      changed(kernel, pick(tables).id).entries.set(`planted${Math.floor(random() * 3)}`, pick(caps))
      return 'entry added'
    }
    case 1: {
      const full = tables.filter((record) => record.entries.size > 0)
      if (full.length === 0 || caps.length === 0) return null
      const record = pick(full)
      changed(kernel, record.id).entries.set(pick([...record.entries.keys()]), pick(caps))
      return 'entry replaced'
    }
    case 2: {
      const full = tables.filter((record) => record.entries.size > 0)
      if (full.length === 0) return null
      const record = pick(full)
      changed(kernel, record.id).entries.delete(pick([...record.entries.keys()]))
      return 'entry removed'
    }
    case 3: {
      const fields = action as Readonly<Record<string, unknown>>
      if (typeof fields['dst'] !== 'number' || caps.length === 0) return null
      const process = kernel.processOfRef(fields['caller'] as number)
      const cap = process === NONE ? NONE : kernel.objects.cspace[process]![fields['dst']] ?? NONE
      if (cap === NONE) return null
      kernel.caps.parent[cap] = pick([...caps, NONE])
      kernel.caps.touch(cap)
      return 'lookup re-parented'
    }
    default: return null
  }
}

/**
 * After a successful cap_revoke, the revoked cap given a child it should not
 * have: a live cap (one of its own object when there is one) re-parented to it,
 * as a revoke that missed a child or made one would leave it. Its name, or null.
 */
function revokeTamper(kernel: Kernel, action: Action, random: () => number): string | null {
  const fields = action as Readonly<Record<string, unknown>>
  const process = kernel.processOfRef(fields['caller'] as number)
  const revoked = process === NONE ? NONE : kernel.objects.cspace[process]![fields['slot'] as number] ?? NONE
  if (revoked === NONE) return null
  const others = liveCaps(kernel).filter((cap) => cap !== revoked)
  const same = others.filter((cap) => kernel.caps.object[cap] === kernel.caps.object[revoked])
  const from = same.length > 0 ? same : others
  if (from.length === 0) return null
  const cap = from[Math.floor(random() * from.length)]!
  kernel.caps.parent[cap] = revoked
  kernel.caps.touch(cap)
  return 'revoke left a child'
}

/**
 * After a successful spawn, one thing of the new process's start changed, drawn
 * with `random`: a granted cap dropped, moved to another slot, re-parented, given
 * more rights or another object; a live cap put in a slot no grant fills; the
 * new creation index taken away; the image's manifest asking for less. Its name,
 * or null when none applied.
 */
function spawnTamper(kernel: Kernel, action: Action, random: () => number, restoreImages: Array<() => void>): string | null {
  const pick = <T>(items: ReadonlyArray<T>): T => items[Math.floor(random() * items.length)]!
  const { objects, caps } = kernel
  const process = kernel.processOfRef(kernel.refs.count - 1)
  if (process === NONE) return null
  const cspace = objects.cspace[process]!
  const grants = ((action as Readonly<Record<string, unknown>>)['grants'] as unknown[]).length
  const live = liveCaps(kernel)
  const granted = grants === 0 ? NONE : cspace[Math.floor(random() * grants)]!
  switch (Math.floor(random() * 8)) {
    case 0: {
      if (granted === NONE) return null
      cspace[caps.slot[granted]!] = NONE
      objects.touch(process)
      return 'grant dropped'
    }
    case 1: {
      if (granted === NONE || cspace.length < 2) return null
      const slot = caps.slot[granted]!
      const other = (slot + 1 + Math.floor(random() * (cspace.length - 1))) % cspace.length
      const displaced = cspace[other]!
      cspace[other] = granted
      cspace[slot] = displaced
      caps.slot[granted] = other
      if (displaced !== NONE) { caps.slot[displaced] = slot; caps.touch(displaced) }
      caps.touch(granted)
      objects.touch(process)
      return 'grant moved'
    }
    case 2: {
      if (granted === NONE) return null
      caps.parent[granted] = pick([...live, NONE])
      caps.touch(granted)
      return 'grant re-parented'
    }
    case 3: {
      if (granted === NONE) return null
      if (random() < 0.5) {
        caps.rights[granted] = caps.rights[granted]! | (1 << Math.floor(random() * 6))
        caps.touch(granted)
        return 'grant rights raised'
      }
      // Raised to every right the manifest's requests of its kind allow: beyond a narrowed parent, within the manifest.
      const kind = KIND_NAMES[objects.kind[caps.object[granted]!]!]
      const requests = kernel.images.get((action as Readonly<Record<string, unknown>>)['image'] as string)?.record.manifest.requests ?? []
      const allowed = requests.filter((request) => request.kind === kind).reduce((mask, request) => mask | rightsMask(request.rights), 0)
      if ((allowed & ~caps.rights[granted]!) === 0) return null
      caps.rights[granted] = allowed
      caps.touch(granted)
      return 'grant rights raised to the manifest'
    }
    case 4: {
      if (granted === NONE) return null
      const others: number[] = []
      for (let handle = 0; handle < objects.top; handle++) if (objects.kind[handle] !== KIND_FREE) others.push(handle)
      caps.object[granted] = pick(others)
      caps.touch(granted)
      return 'grant object changed'
    }
    case 5: {
      const empty = [...cspace.keys()].filter((slot) => slot >= grants && cspace[slot] === NONE)
      if (empty.length === 0 || live.length === 0) return null
      cspace[pick(empty)] = pick(live)
      objects.touch(process)
      return 'slot filled'
    }
    case 6: {
      // The new process's creation index taken away, as if the step had created none.
      kernel.refs.count--
      return 'no new creation index'
    }
    default: {
      // The manifest asks for less: one request dropped or narrowed to no rights.
      const digest = (action as Readonly<Record<string, unknown>>)['image'] as string
      const images = kernel.images as unknown as Map<string, { record: { manifest: { requests: ReadonlyArray<{ rights: ReadonlyArray<string> }> } } }>
      const info = images.get(digest)
      if (info === undefined || info.record.manifest.requests.length === 0) return null
      const requests = info.record.manifest.requests
      const drop = Math.floor(random() * requests.length)
      const fewer = random() < 0.5 ? requests.filter((_, index) => index !== drop) : requests.map((request, index) => (index === drop ? { ...request, rights: [] } : request))
      images.set(digest, { ...info, record: { ...info.record, manifest: { ...info.record.manifest, requests: fewer } } } as never)
      restoreImages.push(() => images.set(digest, info))
      return 'manifest narrowed'
    }
  }
}

/** Before a spawn: the caller's cap in each grant slot narrowed to the rights the grant asks and control (so the spawn, which needs control on its container's slot, may still succeed); whether one changed. */
function narrowGrantSources(kernel: Kernel, action: Action): boolean {
  const fields = action as Readonly<Record<string, unknown>>
  const caller = kernel.processOfRef(fields['caller'] as number)
  if (caller === NONE) return false
  let narrowed = false
  for (const grant of fields['grants'] as ReadonlyArray<{ slot: number; rights: Parameters<typeof rightsMask>[0] }>) {
    const cap = kernel.objects.cspace[caller]![grant.slot] ?? NONE
    const narrow = rightsMask([...grant.rights, 'control'])
    if (cap === NONE || kernel.caps.rights[cap] === narrow) continue
    kernel.caps.rights[cap] = narrow
    kernel.caps.touch(cap)
    narrowed = true
  }
  return narrowed
}

/** A sched_run's answer changed, drawn with `random`: a quantum given to another creation index, one more, one fewer, or all to one process. */
function schedTamper(kernel: Kernel, processes: ReadonlyArray<number>, random: () => number): { processes: number[]; name: string } | null {
  const refs = kernel.refs.count
  const changed = [...processes]
  switch (Math.floor(random() * 4)) {
    case 3:
      // One process runs every quantum: past the bound once a run is long enough.
      if (changed.length < 2) return null
      return { processes: changed.map(() => changed[0]!), name: 'one process runs all' }
    case 0:
      if (changed.length === 0) return null
      changed[Math.floor(random() * changed.length)] = Math.floor(random() * (refs + 1))
      return { processes: changed, name: 'quantum given to another' }
    case 1:
      changed.splice(Math.floor(random() * (changed.length + 1)), 0, Math.floor(random() * refs))
      return { processes: changed, name: 'quantum added' }
    default:
      if (changed.length === 0) return null
      changed.splice(Math.floor(random() * changed.length), 1)
      return { processes: changed, name: 'quantum dropped' }
  }
}

test('CAP-3, ISO-2, ISO-3, LIFE-1, IMG-2 and SCHED-1 guards: every violation the reference finds on tampered tables, the guard lets through to it; and they vouch', () => {
  const violations = new Map<string, number>()
  const vouched = new Map<string, number>()
  const tampers = new Map<string, number>()
  let transitions = 0
  let tripped = 0
  for (const [preset, seed] of [[NESTED, 1], [ALL_SYSCALLS, 2], [NESTED, 3], [ALL_SYSCALLS, 4]] as Array<[Preset, number]>) {
    const random = mulberry32(seed)
    // Longer runs than the preset's (one quantum), so that a run can leave a share by more than the bound;
    // and spawns granting less than the manifest allows, so that a granted cap can be raised beyond its (narrowed) parent within it.
    const actions = presetActions(preset).flatMap((action): Action[] => {
      if (action.kind === 'sched_run') return [action, { kind: 'sched_run', quanta: 5 }, { kind: 'sched_run', quanta: 9 }]
      const grants = (action as Readonly<Record<string, unknown>>)['grants'] as ReadonlyArray<{ slot: number }> | undefined
      if (action.kind !== 'process_spawn' || grants === undefined || grants.length === 0) return [action]
      return [action, { ...action, grants: grants.map((grant) => ({ ...grant, rights: ['read'] })) }]
    })
    const guards = new StepGuards(actions)
    const kernel = implTarget.create(preset.boot, preset.images) as unknown as Kernel
    const boot = kernel.snapshot()
    const tableActions = actions.filter((action) => GUARDED_KINDS.has(String(action.kind)))
    for (let walk = 0; walk < 600; walk++) {
      // Walks of 15 steps from boot, so that the states stay near what a search reaches first.
      if (walk % 15 === 0) kernel.restore(boot)
      const here = kernel.snapshot()
      guards.load(kernel)
      const before = abstract(kernel)
      for (let index = 0; index < actions.length; index++) {
        const action = actions[index]!
        if (!GUARDED_KINDS.has(String(action.kind))) continue
        // Sometimes the state before differs from what the walk reached: the caller's
        // uid (the kernel's own check may then refuse), or an entry in any table (so
        // that tables owned by other user namespaces hold entries to take away).
        const fields = action as Readonly<Record<string, number>>
        const caller = kernel.processOfRef(fields['caller']!)
        let changedBefore = false
        let stepBefore = before
        if (caller !== NONE && random() < 0.2) {
          kernel.objects.uid[caller] = [0, 1, 2, 1000][Math.floor(random() * 4)]!
          kernel.objects.touch(caller)
          changedBefore = true
        }
        if (random() < 0.3 && tamper(kernel, action, random, 'add') !== null) changedBefore = true
        if (action.kind === 'process_spawn' && random() < 0.3 && narrowGrantSources(kernel, action)) changedBefore = true
        if (changedBefore) {
          guards.load(kernel)
          stepBefore = abstract(kernel)
        }
        guards.beforeStep(kernel, index)
        const containersBefore = containersOf(kernel)
        const beforeSnapshot = kernel.snapshot()
        let outcome: Outcome
        try {
          outcome = kernel.step(action)
        } catch {
          // A table tampered with before the step can trip the kernel's own assertions: nothing to compare.
          tripped++
          kernel.restore(here)
          if (changedBefore) guards.load(kernel)
          continue
        }
        const restoreImages: Array<() => void> = []
        if (E.isRight(outcome)) {
          transitions++
          const planted = random() >= 0.6 ? null
            : action.kind === 'container_destroy' ? remnant(kernel, containersBefore, random)
              : action.kind === 'process_spawn' ? spawnTamper(kernel, action, random, restoreImages)
                : action.kind === 'cap_revoke' ? revokeTamper(kernel, action, random)
                  : action.kind === 'sched_run' ? null : tamper(kernel, action, random)
          if (planted !== null) tampers.set(planted, (tampers.get(planted) ?? 0) + 1)
          let reply = outcome.right
          if (reply.kind === 'ran' && random() < 0.5) {
            const changed = schedTamper(kernel, reply.processes, random)
            if (changed !== null) {
              reply = { kind: 'ran', processes: changed.processes }
              tampers.set(changed.name, (tampers.get(changed.name) ?? 0) + 1)
            }
          }
          if (reply.kind === 'pids' && random() < 0.5) {
            reply = { kind: 'pids', pids: [...reply.pids, 1 + Math.floor(random() * 4)] }
            tampers.set('pid added', (tampers.get('pid added') ?? 0) + 1)
          }
          const { mayBreak, found } = judged(kernel, guards, index, action, reply, beforeSnapshot, stepBefore)
          for (const violation of found) violations.set(violation.invariant, (violations.get(violation.invariant) ?? 0) + 1)
          if (found.length > 0) assert.ok(mayBreak, `${preset.name}: the guard vouched for ${String(action.kind)} (action ${index}), which breaks ${found[0]!.invariant}: ${found[0]!.message}`)
          if (!mayBreak) vouched.set(String(action.kind), (vouched.get(String(action.kind)) ?? 0) + 1)
        }
        for (const undo of restoreImages) undo()
        kernel.restore(here)
        if (changedBefore) guards.load(kernel)
      }
      // On along a random successful action, half the time a table change or lookup (so that tables fill and lookups find).
      for (let tries = 0; tries < 20; tries++) {
        const from = random() < 0.5 ? tableActions : actions
        const outcome = kernel.step(from[Math.floor(random() * from.length)]!)
        if (E.isRight(outcome)) break
      }
    }
  }
  const list = (map: Map<string, number>) => [...map].sort().map(([key, count]) => `${key} ${count}`).join(', ')
  console.log(`  ${transitions} successful destroys, table changes, lookups, process_lists, spawns and sched_runs (${tripped} steps tripped an assertion on tables tampered with before); tampered: ${list(tampers)}`)
  console.log(`  violations the reference found: ${list(violations)}; vouched by the guards: ${list(vouched)}`)
  for (const invariant of ['CAP-3', 'ISO-2', 'ISO-3', 'LIFE-1', 'IMG-2', 'SCHED-1']) assert.ok((violations.get(invariant) ?? 0) > 0, `the tampering must reach ${invariant} violations`)
  for (const kind of ['container_destroy', 'mount', 'unmount', 'svc_register', 'svc_lookup', 'resolve', 'process_list', 'process_spawn', 'sched_run']) assert.ok((vouched.get(kind) ?? 0) > 0, `the guards never vouch for ${kind}`)
})

/**
 * A request of the matcher image changed, drawn with `random`: its device name
 * set to the other device or taken away, its kind changed, its rights cut to
 * one, or the request dropped. Returns how to put the record back.
 */
function narrowMatcher(kernel: Kernel, random: () => number): () => void {
  const images = kernel.images as unknown as Map<string, ImageInfoLike>
  const info = images.get(MATCHER_IMAGE)!
  const requests = info.record.manifest.requests
  const at = Math.floor(random() * requests.length)
  const request = requests[at]!
  const kinds = ['container', 'process', 'region', 'endpoint', 'device'] as const
  const changed = [
    { ...request, device: request.device === 'disk0' ? 'net0' : 'disk0', kind: 'device' as const },
    (({ device: _, ...rest }) => rest)(request),
    { ...request, kind: kinds[Math.floor(random() * kinds.length)]!, device: undefined },
    { ...request, rights: request.rights.slice(0, 1) },
    null,
  ][Math.floor(random() * 5)]
  const fewer = requests.flatMap((entry, index) => (index !== at ? [entry] : changed === null ? [] : [JSON.parse(JSON.stringify(changed)) as typeof entry]))
  images.set(MATCHER_IMAGE, { ...info, record: { ...info.record, manifest: { ...info.record.manifest, requests: fewer } } })
  return () => images.set(MATCHER_IMAGE, info)
}

interface ImageInfoLike { record: { manifest: { requests: ReadonlyArray<{ kind: string; rights: ReadonlyArray<string>; device?: string }> } } }

test('IMG-2 guard: grants matched to overlapping requests and named devices as the model matches them', () => {
  // DEFAULT_BOOT: init holds the root container (slot 0) and the devices disk0 and net0 (slots 1, 2); an endpoint and a region are added.
  const kernel = implTarget.create(DEFAULT_BOOT, IMAGE_POOL) as unknown as Kernel
  for (const setup of [{ kind: 'ep_create', caller: 0, depth: 1, dst: 10 }, { kind: 'mem_alloc', caller: 0, sizeBytes: 512, executable: false, dst: 12 }]) assert.ok(E.isRight(kernel.step(setup)))
  const grantsOf = [{ slot: 0, rights: ['control'] }, { slot: 1, rights: ['write'] }, { slot: 2, rights: ['write'] }, { slot: 10, rights: ['read'] }, { slot: 10, rights: ['read', 'write', 'grant'] }, { slot: 12, rights: ['read', 'write'] }]
  const random = mulberry32(7)
  const actions: Action[] = []
  for (let index = 0; index < 200; index++) {
    const grants = grantsOf.filter(() => random() < 0.5).sort(() => random() - 0.5)
    actions.push({ kind: 'process_spawn', caller: 0, container: 0, image: MATCHER_IMAGE, uid: 0, slots: 8, grants, dst: 14 })
  }
  const guards = new StepGuards(actions)
  const here = kernel.snapshot()
  let spawned = 0
  let vouched = 0
  const violations = new Map<string, number>()
  for (const [index, action] of actions.entries()) {
    guards.load(kernel)
    const before = abstract(kernel)
    guards.beforeStep(kernel, index)
    const beforeSnapshot = kernel.snapshot()
    const outcome = kernel.step(action)
    if (E.isLeft(outcome)) { kernel.restore(here); continue }
    spawned++
    // Half the time the manifest asks otherwise, or a granted cap names the other device or another object.
    let undo = (): void => {}
    const process = kernel.processOfRef(kernel.refs.count - 1)
    const grants = ((action as Readonly<Record<string, unknown>>)['grants'] as unknown[]).length
    if (random() < 0.35) undo = narrowMatcher(kernel, random)
    else if (random() < 0.5 && grants > 0) {
      const cap = kernel.objects.cspace[process]![Math.floor(random() * grants)]!
      const others: number[] = []
      for (let handle = 0; handle < kernel.objects.top; handle++) if (kernel.objects.kind[handle] !== KIND_FREE && handle !== kernel.caps.object[cap]) others.push(handle)
      kernel.caps.object[cap] = others[Math.floor(random() * others.length)]!
      kernel.caps.touch(cap)
    }
    const { mayBreak, found } = judged(kernel, guards, index, action, outcome.right, beforeSnapshot, before)
    for (const violation of found) violations.set(violation.message.replace(/\d+/g, 'N'), (violations.get(violation.message.replace(/\d+/g, 'N')) ?? 0) + 1)
    if (found.length > 0) assert.ok(mayBreak, `the guard vouched for spawn ${index} (${JSON.stringify((action as Readonly<Record<string, unknown>>)['grants'])}), which breaks ${found[0]!.invariant}: ${found[0]!.message}`)
    if (!mayBreak) vouched++
    undo()
    kernel.restore(here)
  }
  console.log(`  ${spawned} of ${actions.length} matcher spawns succeeded; the guard vouched for ${vouched}; the reference found: ${[...violations].map(([message, count]) => `${message} ${count}`).join('; ')}`)
  assert.ok(vouched > 20, 'the guard vouches for matcher spawns')
  assert.ok([...violations.keys()].some((message) => message.includes('fits no distinct manifest request')), 'the changes reach unmatched grants')
})

/**
 * After any successful step, the accounting of a container drawn at random
 * (the caller's, an ancestor's or a foreign one) changed as a wrong kernel
 * would leave it: a usage raised, a per-period counter (CPU, I/O) moved either
 * way, a limit moved, or the container's identity taken by another (its handle
 * reused under a new serial, as if it were destroyed and a new one made).
 */
function accountingTamper(kernel: Kernel, random: () => number): string | null {
  const objects = kernel.objects
  const containers = [...containersOf(kernel).keys()]
  if (containers.length === 0) return null
  const handle = containers[Math.floor(random() * containers.length)]!
  const row = objects.row[handle]! * RES_COUNT
  const limits = objects.limits[handle]
  const choice = Math.floor(random() * 4)
  if (choice === 0) objects.rows.usage[row + Math.floor(random() * 3)]! += 1
  else if (choice === 1) objects.rows.usage[row + (random() < 0.5 ? RES_CPU : RES_IO)]! += random() < 0.5 ? 1 : -1
  else if (choice === 2 && limits !== null && limits !== undefined) {
    const field = (['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes', 'cpuWeight'] as const)[Math.floor(random() * 6)]!
    objects.limits[handle] = { ...limits, [field]: limits[field] + 1 }
  } else if (choice === 3 && handle !== kernel.root) objects.serial[handle] = kernel.objectNext + 1
  else return null
  objects.touch(handle)
  return ['usage raised', 'period counter moved', 'limit moved', 'container replaced'][choice]!
}

test('QUO-3 and LIFE-1 guards on every syscall kind: a foreign container\'s accounting or identity changed by the step is never vouched for', () => {
  const violations = new Map<string, number>()
  const tampers = new Map<string, number>()
  let transitions = 0
  let vouched = 0
  const webApp = bootFilePreset('examples/systems/web-app/boot.json', 'explore')
  const pluginHost = bootFilePreset('examples/systems/plugin-host/boot.json', 'explore')
  for (const [preset, seed] of [[NESTED, 11], [ALL_SYSCALLS, 12], [webApp, 13], [pluginHost, 14]] as Array<[Preset, number]>) {
    const random = mulberry32(seed)
    const actions = presetActions(preset)
    const guards = new StepGuards(actions)
    const kernel = implTarget.create(preset.boot, preset.images) as unknown as Kernel
    const boot = kernel.snapshot()
    for (let walk = 0; walk < 150; walk++) {
      if (walk % 15 === 0) kernel.restore(boot)
      const here = kernel.snapshot()
      guards.load(kernel)
      const before = abstract(kernel)
      for (let index = 0; index < actions.length; index++) {
        // A third of the alphabet in each state, all of it over the walks.
        if (random() >= 0.35) continue
        const action = actions[index]!
        guards.beforeStep(kernel, index)
        const beforeSnapshot = kernel.snapshot()
        const outcome = kernel.step(action)
        if (E.isRight(outcome)) {
          transitions++
          const planted = random() < 0.6 ? accountingTamper(kernel, random) : null
          if (planted !== null) tampers.set(planted, (tampers.get(planted) ?? 0) + 1)
          const { mayBreak, found } = judged(kernel, guards, index, action, outcome.right, beforeSnapshot, before)
          for (const invariant of new Set(found.map((violation) => violation.invariant))) violations.set(invariant, (violations.get(invariant) ?? 0) + 1)
          if (found.length > 0) assert.ok(mayBreak, `${preset.name}: the guard vouched for ${String(action.kind)} (action ${index}, ${planted ?? 'nothing tampered'}), which breaks ${found[0]!.invariant}`)
          if (!mayBreak) vouched++
        }
        kernel.restore(here)
      }
      for (let tries = 0; tries < 20; tries++) if (E.isRight(kernel.step(actions[Math.floor(random() * actions.length)]!))) break
    }
  }
  const list = (map: Map<string, number>) => [...map].sort().map(([key, count]) => `${key} ${count}`).join(', ')
  console.log(`  ${transitions} successful steps of every kind on nested, all-syscalls, web-app and plugin-host; tampered: ${list(tampers)}; violations the reference found: ${list(violations)}; ${vouched} vouched by the guards`)
  for (const invariant of ['QUO-3', 'LIFE-1']) assert.ok((violations.get(invariant) ?? 0) > 0, `the tampering must reach ${invariant} violations`)
  assert.ok(vouched > transitions / 4, 'the guards vouch for untampered steps')
})

test.run()
