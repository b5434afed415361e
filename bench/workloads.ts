/**
 * Workloads for the benchmarks: boot configurations sized for many live objects,
 * a way to populate a kernel with N live objects through syscalls, and a mixed
 * steady-state loop that returns to the same state after each round.
 * @module
 */
import type { BootConfig } from '../spec/boot.js'
import type { KernelUnderTest } from '../refinement/target.js'

/** Room for a million objects: regions of one byte, a big CPU budget, big tables. */
export const BENCH_BOOT: BootConfig = {
  root: { limits: { memoryBytes: 2 ** 40, processes: 1024, endpoints: 1024, cpuBudget: 2 ** 40, ioBytes: 2 ** 40, cpuWeight: 100, devices: ['disk0', 'net0'] } },
  devices: [{ name: 'disk0' }, { name: 'net0' }],
  keyring: [{ keyId: 'release' }],
  floors: {},
  init: { slots: 64 },
  cpuAccounting: true,
}

/**
 * Makes `count` live regions, each kept alive only by a mount-table entry (so that
 * CSpace size does not bound the object count): allocate into slot 8, mount it,
 * delete the slot's cap.
 */
export function populate(kernel: KernelUnderTest, count: number): void {
  for (let index = 0; index < count; index++) {
    kernel.step({ kind: 'mem_alloc', caller: 0, sizeBytes: 1, executable: false, dst: 8 })
    kernel.step({ kind: 'mount', caller: 0, path: `/r/${index}`, slot: 8, rights: ['read'] })
    kernel.step({ kind: 'cap_delete', caller: 0, slot: 8 })
  }
}

/** Sets up what the mixed loop uses: an endpoint in slot 3 and a region in slot 5. */
export function prepareMixed(kernel: KernelUnderTest): void {
  kernel.step({ kind: 'ep_create', caller: 0, depth: 4, dst: 3 })
  kernel.step({ kind: 'mem_alloc', caller: 0, sizeBytes: 64, executable: false, dst: 5 })
}

/**
 * One round of a mixed workload (copies, inspects, IPC with a cap transfer,
 * allocation, mapping, deletion, a namespace lookup) that leaves the state as it
 * found it. Built once; the same objects are stepped every round.
 */
export const MIXED_ROUND: ReadonlyArray<Record<string, unknown>> = [
  { kind: 'cap_copy', caller: 0, src: 3, dst: 4, rights: ['write', 'grant'], badge: 9 },
  { kind: 'cap_inspect', caller: 0, slot: 4 },
  { kind: 'ep_send', caller: 0, slot: 4, payload: 1, xfer: 5 },
  { kind: 'ep_send', caller: 0, slot: 3, payload: 2 },
  { kind: 'ep_recv', caller: 0, slot: 3, dst: 6 },
  { kind: 'ep_recv', caller: 0, slot: 3 },
  { kind: 'mem_map', caller: 0, slot: 6, perms: ['read'] },
  { kind: 'mem_unmap', caller: 0, slot: 6 },
  { kind: 'cap_delete', caller: 0, slot: 6 },
  { kind: 'cap_revoke', caller: 0, slot: 3 },
  { kind: 'mem_alloc', caller: 0, sizeBytes: 128, executable: false, dst: 7 },
  { kind: 'cap_move', caller: 0, src: 7, dst: 9 },
  { kind: 'cap_delete', caller: 0, slot: 9 },
  { kind: 'cap_copy', caller: 0, src: 5, dst: 4, rights: [] },
  { kind: 'cap_delete', caller: 0, slot: 4 },
  { kind: 'process_list', caller: 0 },
  { kind: 'cap_inspect', caller: 0, slot: 99 },
  { kind: 'tick' },
]
