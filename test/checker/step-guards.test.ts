/**
 * The step guards of ISO-2, ISO-3 and LIFE-1 (checker/explore/step-guards.ts)
 * against the reference, on transitions a correct kernel never takes. Random
 * walks over the presets with namespaces of their own; at each state every
 * container_destroy, table change, lookup and process_list of the alphabet is
 * stepped, and after a successful step the tables are tampered with at random,
 * as a wrong kernel would leave them: an entry added to, replaced in or removed
 * from any table (the caller's own, a foreign one, one owned by another user
 * namespace), the cap a lookup gave re-parented to any live cap, a pid added to
 * what process_list answered; after a destroy, an object, cap or namespace of a
 * gone container left behind, a sibling moved under its parent, an identity
 * reused. Before the step, sometimes, a caller's uid changes or an entry is
 * added to any table. Whenever the model's step invariants find a violation on
 * the abstraction, the guard must have said "might break"; and the guard must
 * vouch for some of each kind, or it saves nothing. The counts are printed:
 * violations of each invariant seen, and vouched transitions per kind.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import type { Kernel } from '../../impl/kernel.js'
import { KIND_CONTAINER, KIND_FREE, NONE } from '../../impl/tables/objects.js'
import { PLACE_FREE } from '../../impl/tables/caps.js'
import type { NamespaceRecord } from '../../impl/tables/namespaces.js'
import { implTarget } from '../../refinement/abstraction.js'
import { STEP_INVARIANTS } from '../../spec/invariants/index.js'
import { ALL_SYSCALLS, NESTED, type Preset } from '../../spec/presets.js'
import type { Outcome } from '../../spec/results.js'
import type { KernelState } from '../../model/state.js'
import { type Action, presetActions } from '../../checker/explore/actions.js'
import { StepGuards } from '../../checker/explore/step-guards.js'
import { mulberry32 } from '../../checker/explore/search.js'

const GUARDED_KINDS = new Set(['container_destroy', 'mount', 'unmount', 'net_bind', 'net_unbind', 'svc_register', 'svc_unregister', 'resolve', 'net_connect', 'svc_lookup', 'process_list'])

const abstract = (kernel: Kernel): KernelState => ({ ...implTarget.abstraction.abstract(kernel), gsFlows: new Map() })

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

test('ISO-2, ISO-3 and LIFE-1 guards: every violation the reference finds on tampered tables, the guard lets through to it; and they vouch', () => {
  const violations = new Map<string, number>()
  const vouched = new Map<string, number>()
  const tampers = new Map<string, number>()
  let transitions = 0
  let tripped = 0
  for (const [preset, seed] of [[NESTED, 1], [ALL_SYSCALLS, 2], [NESTED, 3], [ALL_SYSCALLS, 4]] as Array<[Preset, number]>) {
    const random = mulberry32(seed)
    const actions = presetActions(preset)
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
        if (changedBefore) {
          guards.load(kernel)
          stepBefore = abstract(kernel)
        }
        guards.beforeStep(kernel, index, action)
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
        if (E.isRight(outcome)) {
          transitions++
          const planted = random() >= 0.6 ? null : action.kind === 'container_destroy' ? remnant(kernel, containersBefore, random) : tamper(kernel, action, random)
          if (planted !== null) tampers.set(planted, (tampers.get(planted) ?? 0) + 1)
          let reply = outcome.right
          if (reply.kind === 'pids' && random() < 0.5) {
            reply = { kind: 'pids', pids: [...reply.pids, 1 + Math.floor(random() * 4)] }
            tampers.set('pid added', (tampers.get('pid added') ?? 0) + 1)
          }
          const afterSnapshot = kernel.snapshot()
          const atBefore = (read: () => void): void => { kernel.restore(beforeSnapshot); read(); kernel.restore(afterSnapshot) }
          const mayBreak = guards.mayBreak(kernel, index, action, reply, atBefore)
          const step = { before: stepBefore, syscall: action, outcome: E.right(reply), after: abstract(kernel) }
          const found = STEP_INVARIANTS.map((invariant) => invariant.check(step)).flatMap((option) => (option._tag === 'Some' ? [option.value] : []))
          for (const violation of found) violations.set(violation.invariant, (violations.get(violation.invariant) ?? 0) + 1)
          if (found.length > 0) assert.ok(mayBreak, `${preset.name}: the guard vouched for ${String(action.kind)} (action ${index}), which breaks ${found[0]!.invariant}: ${found[0]!.message}`)
          if (!mayBreak) vouched.set(String(action.kind), (vouched.get(String(action.kind)) ?? 0) + 1)
        }
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
  console.log(`  ${transitions} successful destroys, table changes, lookups and process_lists (${tripped} steps tripped an assertion on tables tampered with before); tampered: ${list(tampers)}`)
  console.log(`  violations the reference found: ${list(violations)}; vouched by the guards: ${list(vouched)}`)
  for (const invariant of ['ISO-2', 'ISO-3', 'LIFE-1']) assert.ok((violations.get(invariant) ?? 0) > 0, `the tampering must reach ${invariant} violations`)
  for (const kind of ['container_destroy', 'mount', 'unmount', 'svc_register', 'svc_lookup', 'resolve', 'process_list']) assert.ok((vouched.get(kind) ?? 0) > 0, `the guards never vouch for ${kind}`)
})

test.run()
