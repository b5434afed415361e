import { test } from 'uvu'
import * as assert from 'node:assert/strict'
import { DEFAULT_BOOT } from '../../spec/boot.js'
import { Kernel } from '../../impl/kernel.js'
import { KernelBug, assert as kernelAssert } from '../../impl/assert.js'
import { KIND_PROCESS, KIND_REGION, NONE, ObjectTable } from '../../impl/tables/objects.js'
import { ALL, IMAGE_POOL, Pair, VALID_IMAGE } from './_support.js'

test('object table: a freed handle comes back with a new generation, so the old handle is stale', () => {
  const table = new ObjectTable(2)
  const root = table.alloc(1, 0, NONE)
  table.row[root] = table.rows.alloc()
  const first = table.alloc(KIND_REGION, 1, root)
  const generation = table.gen[first]
  assert.ok(table.isLive(first, generation))
  table.free(first)
  assert.ok(!table.isLive(first, generation))
  const second = table.alloc(KIND_REGION, 2, root)
  assert.equal(second, first, 'the free list hands the same index back')
  assert.notEqual(table.gen[second], generation)
  assert.ok(!table.isLive(first, generation), 'the old handle does not alias the new object')
  assert.ok(table.isLive(second, table.gen[second]))
  for (let index = 0; index < 40; index++) table.alloc(KIND_REGION, 3 + index, root)
  assert.ok(table.capacity >= 42, 'columns doubled')
  assert.ok(table.isLive(second, table.gen[second]), 'growth keeps handles and generations')
})

test('a caller whose process is gone stays NotRunning even when its handle is reused by a new process', () => {
  const pair = new Pair(DEFAULT_BOOT)
  const spawn = (dst: number) => ({ kind: 'process_spawn', caller: 0, container: 0, image: VALID_IMAGE, uid: 0, slots: 2, grants: [], dst })
  pair.run([spawn(5), { kind: 'mem_alloc', caller: 1, sizeBytes: 1, executable: false, dst: 0 }])
  const handle = pair.kernel.processOfRef(1)
  const generation = pair.kernel.objects.gen[handle]
  pair.run([{ kind: 'process_kill', caller: 0, slot: 5 }, { kind: 'cap_delete', caller: 0, slot: 5 }])
  assert.equal(pair.kernel.processOfRef(1), NONE)
  pair.run([spawn(5)])
  const reused = pair.kernel.processOfRef(2)
  assert.equal(reused, handle, 'the new process got the freed handle')
  assert.notEqual(pair.kernel.objects.gen[reused], generation)
  assert.equal(pair.kernel.objects.kind[reused], KIND_PROCESS)
  pair.run([{ kind: 'cap_inspect', caller: 1, slot: 0 }, { kind: 'mem_alloc', caller: 2, sizeBytes: 1, executable: false, dst: 0 }])
  assert.deepStrictEqual(pair.kernel.step({ kind: 'cap_inspect', caller: 1, slot: 0 }), { _tag: 'Left', left: { code: 'NotRunning' } })
})

test('the destruction worklist skips entries whose object was freed meanwhile (generation check)', () => {
  const pair = new Pair(DEFAULT_BOOT)
  pair.run([
    { kind: 'container_create', caller: 0, parent: 0, dst: 5, limits: DEFAULT_BOOT.root.limits && { ...DEFAULT_BOOT.root.limits, memoryBytes: 1 << 20, processes: 4, endpoints: 4, cpuBudget: 100, ioBytes: 10 }, namespaces: { pid: 'new', mount: 'new', net: 'share', ipc: 'share', user: 'share' } },
    { kind: 'process_spawn', caller: 0, container: 5, image: VALID_IMAGE, uid: 0, slots: 4, grants: [{ slot: 5, rights: ALL }], dst: 6 },
    { kind: 'ep_create', caller: 1, depth: 2, dst: 1 },
    { kind: 'mem_alloc', caller: 1, sizeBytes: 8, executable: false, dst: 2 },
    { kind: 'ep_send', caller: 1, slot: 1, payload: 0, xfer: 2 },
    { kind: 'cap_delete', caller: 1, slot: 2 },
    { kind: 'cap_delete', caller: 0, slot: 5 },
    { kind: 'cap_delete', caller: 0, slot: 6 },
    { kind: 'cap_delete', caller: 1, slot: 0 },
    { kind: 'process_list', caller: 0 },
  ])
  assert.equal(pair.kernel.objects.liveCount, 4, 'root, two devices and init remain')
})

test('internal assertions throw KernelBug, never a syscall error', () => {
  assert.throws(() => kernelAssert(false, 'test.code'), (error: unknown) => error instanceof KernelBug && error.code === 'test.code')
  const kernel = Kernel.boot(DEFAULT_BOOT, IMAGE_POOL)
  kernel.refs.handle[0] = 1 // a device's handle, live with generation 0: the creation index now names a non-process
  assert.throws(() => kernel.step({ kind: 'process_list', caller: 0 }), KernelBug)
})

test.run()
