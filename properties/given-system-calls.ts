/**
 * The calls `sila check --boot FILE` steps on a user's own system besides the
 * alphabet `sila explore --boot` searches it with (checker/explore/actions.ts
 * `declaredActions`). That alphabet is cut to what can move authority between
 * the system's processes, so that a search stays finite: a table no two
 * processes share gets no calls, a container no process governs gets no
 * children, a slot past a CSpace is never named. A property suite has no state
 * space to keep small, and a kernel's mistakes are as likely in a table one
 * process owns as in a shared one, so the `systems` suite on a given system also
 * steps, for init and every actor:
 * - every table call (mount, unmount, resolve; net_bind, net_connect,
 *   net_unbind; svc_register, svc_lookup, svc_unregister) on the caller's own
 *   tables, shared or not, with the system's names (its endpoints' for
 *   services, its first object's for a path) and one it never binds;
 * - a slot one past the caller's CSpace in each slot argument of the cap,
 *   IPC, memory, process and container calls, and of every table call and
 *   io_submit (InvalidSlot);
 * - io_submit of 1 byte, of each container's I/O budget and one byte more, on
 *   every slot, devices or not;
 * - `tick`, CPU accounting on or off;
 * - init's children and limits in every container it holds (the root's
 *   included), not only in those a declared process governs.
 * Generated systems (the default check) keep the explore alphabet alone.
 * @module
 */
import type { Preset } from '../spec/presets.js'
import type { RightName } from '../spec/rights.js'
import { BOUNDS } from '../spec/numbers.js'
import { type Action, type ChildConfig, SPAWNED_SLOTS, childConfigs, limitVariants } from '../checker/explore/actions.js'
import type { Limits } from '../spec/limits.js'

/** The rights the wider table calls mount with: one, and two. */
const MOUNT_RIGHTS: ReadonlyArray<RightName[]> = [['read'], ['read', 'write']]
/** A name no declaration uses, for lookups and unregisters of what was never bound. */
const UNBOUND = 'unbound'
/** Ports: the first two and the last there is. */
const PORTS = [1, 2, BOUNDS.portMax]

/** Up to this many slots, the calls naming two of init's slots name every pair; past it, {@link pairedSlots}. */
const PAIRED_SLOTS_ALL = 32

/**
 * The slots a call naming two of init's slots takes both from: all of
 * them in a CSpace of up to {@link PAIRED_SLOTS_ALL}; in a larger one the
 * first {@link PAIRED_SLOTS_ALL} (where boot puts init's caps, and the empty
 * slots after them) and the last, so that init's children and spawns stay
 * linear in its CSpace rather than square (a boot file may give init 4,096
 * slots).
 */
export function pairedSlots(count: number): number[] {
  const first = Array.from({ length: Math.min(count, PAIRED_SLOTS_ALL) }, (_, slot) => slot)
  return count > PAIRED_SLOTS_ALL ? [...first, count - 1] : first
}

/** The names of the root and of every declared container: whose children and limits init's calls vary. */
function allContainerNames(preset: Preset): string[] {
  return ['root', ...(preset.boot.system?.containers ?? []).map((container) => container.name)]
}

/**
 * init's calls that name containers by slot, added to `actions`: each of
 * `limits` set on every slot, then, over {@link pairedSlots}, each of
 * `children` created and each of `images` spawned (no grant, uid 0) in the
 * container one slot holds, at another. (Added in place: there may be more
 * than a spread's arguments.)
 */
export function addInitContainerCalls(actions: Action[], slots: number, limits: ReadonlyArray<Limits>, children: ReadonlyArray<ChildConfig>, images: ReadonlyArray<string>): void {
  for (let slot = 0; slot < slots; slot++) for (const set of limits) actions.push({ kind: 'container_set_limits', caller: 0, slot, limits: set })
  const paired = pairedSlots(slots)
  for (const slot of paired) {
    for (const dst of paired) {
      if (dst === slot) continue
      for (const child of children) actions.push({ kind: 'container_create', caller: 0, parent: slot, dst, limits: child.limits, namespaces: child.namespaces })
      for (const image of images) actions.push({ kind: 'process_spawn', caller: 0, container: slot, image, uid: 0, slots: SPAWNED_SLOTS, grants: [], dst })
    }
  }
}

/** The slots of caller `caller` (0: init), and one past them. */
function slotsOf(preset: Preset, caller: number): { readonly range: number[]; readonly past: number } {
  const processes = preset.boot.system?.processes ?? []
  const count = caller === 0 ? preset.boot.init.slots : processes[caller - 1]?.slots ?? SPAWNED_SLOTS
  return { range: Array.from({ length: count }, (_, slot) => slot), past: count }
}

/** The byte counts io_submit is tried with: 1, and each container's I/O budget and one byte more. */
function ioBytes(preset: Preset): number[] {
  const budgets = [preset.boot.root.limits.ioBytes, ...(preset.boot.system?.containers ?? []).map((container) => container.limits.ioBytes)]
  return [...new Set([1, ...budgets.flatMap((budget) => [budget, budget + 1])])].filter((bytes) => bytes >= 1 && bytes <= BOUNDS.bytesMax).sort((a, b) => a - b)
}

/** The calls above, for `preset` (a given system's, as the `systems` suite makes it). */
export function givenSystemCalls(preset: Preset): Action[] {
  const objects = preset.boot.system?.objects ?? []
  const endpoints = objects.filter((object) => object.kind === 'endpoint').map((object) => object.name)
  const names = [...endpoints, UNBOUND]
  // Two paths, so that a mount and a resolve of the same path meet often in a run: a declared object's name (any path when none) and one never mounted.
  const paths = [`/${objects[0]?.name ?? 'shared'}`, `/${UNBOUND}`]
  const sizes = ioBytes(preset)
  const actions: Action[] = []
  for (const caller of [0, ...preset.actors]) {
    const { range, past } = slotsOf(preset, caller)
    const slots = [...range, past]
    for (const slot of slots) {
      for (const path of paths) {
        for (const rights of MOUNT_RIGHTS) actions.push({ kind: 'mount', caller, path, slot, rights })
        actions.push({ kind: 'resolve', caller, path, dst: slot })
      }
      for (const port of PORTS) actions.push({ kind: 'net_bind', caller, port, slot }, { kind: 'net_connect', caller, port, dst: slot })
      for (const name of names) actions.push({ kind: 'svc_register', caller, name, slot }, { kind: 'svc_lookup', caller, name, dst: slot })
      for (const bytes of sizes) actions.push({ kind: 'io_submit', caller, slot, bytes })
    }
    for (const path of paths) actions.push({ kind: 'unmount', caller, path })
    for (const port of PORTS) actions.push({ kind: 'net_unbind', caller, port })
    for (const name of names) actions.push({ kind: 'svc_unregister', caller, name })
    // A slot one past the CSpace, in each slot argument of the calls that name one.
    const other = range.length > 0 ? range[0]! : past
    actions.push(
      { kind: 'cap_copy', caller, src: past, dst: other, rights: ['read'] }, { kind: 'cap_copy', caller, src: other, dst: past, rights: ['read'] },
      { kind: 'cap_move', caller, src: past, dst: other }, { kind: 'cap_move', caller, src: other, dst: past },
      { kind: 'cap_delete', caller, slot: past }, { kind: 'cap_revoke', caller, slot: past }, { kind: 'cap_inspect', caller, slot: past },
      { kind: 'ep_send', caller, slot: past, payload: 0 }, { kind: 'ep_send', caller, slot: other, payload: 0, xfer: past },
      { kind: 'ep_recv', caller, slot: past }, { kind: 'ep_recv', caller, slot: other, dst: past },
      { kind: 'ep_create', caller, depth: 1, dst: past }, { kind: 'mem_alloc', caller, sizeBytes: 1, executable: false, dst: past },
      { kind: 'mem_map', caller, slot: past, perms: ['read'] }, { kind: 'mem_unmap', caller, slot: past },
      { kind: 'process_kill', caller, slot: past }, { kind: 'container_destroy', caller, slot: past }, { kind: 'container_stats', caller, slot: past },
    )
  }
  actions.push({ kind: 'tick' })
  // init's children and limits in every container it may hold.
  const containers = allContainerNames(preset)
  addInitContainerCalls(actions, preset.boot.init.slots, limitVariants(preset, containers), childConfigs(preset, containers), [])
  return actions
}
