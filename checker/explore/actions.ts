/**
 * The transition alphabet of each preset: every syscall its actors may make, over
 * every slot number. The list is fixed per preset; a syscall that fails in a state
 * is not a transition from it (kernel.md §11).
 * @module
 */
import { RIGHT_NAMES, type RightName } from '../../spec/rights.js'
import type { Preset } from '../../spec/presets.js'
import { NESTED_IMAGE, NESTED_OLD_IMAGE } from '../../spec/presets.js'

export type Action = Readonly<Record<string, unknown>>

/** Every subset of the five rights (32), the empty and the full set included. */
export const RIGHT_SUBSETS: ReadonlyArray<RightName[]> = Array.from({ length: 32 }, (_, mask) => RIGHT_NAMES.filter((_, bit) => (mask & (1 << bit)) !== 0))

/** kernel.md §11's transitions for one process with `slots` slots. */
export function capCoreActions(caller: number, slots: number): Action[] {
  const actions: Action[] = []
  const range = Array.from({ length: slots }, (_, slot) => slot)
  for (const dst of range) actions.push({ kind: 'mem_alloc', caller, sizeBytes: 1, executable: false, dst })
  for (const dst of range) actions.push({ kind: 'ep_create', caller, depth: 1, dst })
  for (const src of range) for (const dst of range) if (dst !== src) for (const rights of RIGHT_SUBSETS) actions.push({ kind: 'cap_copy', caller, src, dst, rights })
  for (const slot of range) actions.push({ kind: 'cap_delete', caller, slot }, { kind: 'cap_revoke', caller, slot })
  for (const slot of range) {
    actions.push({ kind: 'ep_send', caller, slot, payload: 0 })
    for (const xfer of range) actions.push({ kind: 'ep_send', caller, slot, payload: 0, xfer })
  }
  for (const slot of range) {
    actions.push({ kind: 'ep_recv', caller, slot })
    for (const dst of range) actions.push({ kind: 'ep_recv', caller, slot, dst })
  }
  return actions
}

const SMALL_RIGHTS: ReadonlyArray<RightName[]> = [['read', 'write', 'execute', 'grant', 'control'], ['write'], ['read'], []]
const CHILD_LIMITS = { memoryBytes: 2, processes: 1, endpoints: 1, cpuBudget: 2 ** 36, ioBytes: 4, cpuWeight: 1, devices: [] }

/** The `nested` preset's broader alphabet: containers, spawns, namespaces, memory and IPC over a few values. */
export function nestedActions(caller: number, slots: number): Action[] {
  const actions: Action[] = []
  const range = Array.from({ length: slots }, (_, slot) => slot)
  for (const dst of range) {
    actions.push({ kind: 'mem_alloc', caller, sizeBytes: 1, executable: false, dst }, { kind: 'ep_create', caller, depth: 1, dst })
    actions.push({ kind: 'svc_lookup', caller, name: 'svc', dst }, { kind: 'resolve', caller, path: '/data', dst })
    for (const parent of range) if (parent !== dst) {
      actions.push({ kind: 'container_create', caller, parent, dst, limits: CHILD_LIMITS, namespaces: { pid: 'new', mount: 'share', net: 'share', ipc: 'share', user: 'share' } })
      for (const image of [NESTED_IMAGE.digest, NESTED_OLD_IMAGE.digest]) actions.push({ kind: 'process_spawn', caller, container: parent, image, uid: 0, slots: 2, grants: [{ slot: parent, rights: SMALL_RIGHTS[0] }], dst })
    }
  }
  for (const slot of range) {
    actions.push({ kind: 'cap_delete', caller, slot }, { kind: 'cap_revoke', caller, slot }, { kind: 'container_destroy', caller, slot }, { kind: 'process_kill', caller, slot })
    actions.push({ kind: 'svc_register', caller, name: 'svc', slot }, { kind: 'mount', caller, path: '/data', slot, rights: ['write'] })
    actions.push({ kind: 'mem_map', caller, slot, perms: ['read', 'write'] }, { kind: 'ep_send', caller, slot, payload: 0 }, { kind: 'ep_recv', caller, slot })
    for (const rights of SMALL_RIGHTS) for (const dst of range) if (dst !== slot) actions.push({ kind: 'cap_copy', caller, src: slot, dst, rights })
  }
  actions.push({ kind: 'svc_unregister', caller, name: 'svc' }, { kind: 'unmount', caller, path: '/data' }, { kind: 'process_list', caller })
  return actions
}

/** The alphabet of a preset. */
export function presetActions(preset: Preset): Action[] {
  const slotsOf = (ref: number) => preset.boot.system?.processes?.[ref - 1]?.slots ?? 2
  if (preset.name === 'nested') return preset.actors.flatMap((ref) => nestedActions(ref, ref === 1 ? slotsOf(1) : 2)).concat([{ kind: 'tick' }])
  return preset.actors.flatMap((ref) => capCoreActions(ref, slotsOf(ref)))
}
