import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { step } from '../../model/step.js'
import {
  DISK_SLOT, IMAGES, INIT, NET_SLOT, ROOT, ROOT_SLOT, bootWith, expectOk, failsWith, limits, must, sc, succeeds, usageOf, world,
} from './fixtures.js'

const io = suite('io_submit')

io('success: the bytes are charged to the caller\'s container for this period', () => {
  const before = bootWith()
  const { state, reply } = succeeds(before, sc.io(INIT, DISK_SLOT, 1000))
  assert.equal(reply, { kind: 'unit' })
  assert.equal(usageOf(state, ROOT), { memoryBytes: 0, processes: 1, endpoints: 0, cpuBudget: 1, ioBytes: 1000 })
  const s2 = must(state, sc.io(INIT, NET_SLOT, 24))
  assert.is(usageOf(s2, ROOT).ioBytes, 1024)
  assert.equal(s2.ksObjects.get(1), before.ksObjects.get(1), 'the device object itself does not change')
})
io('success: exactly what is left; one byte more is QuotaExceeded(ioBytes)', () => {
  const w = world({ image: IMAGES.wantsDevice.digest, grants: [{ slot: DISK_SLOT, rights: ['write'] }] }) // C: 4096 io bytes
  const state = must(w.state, sc.io(w.child, 0, 4000))
  expectOk(step(state, sc.io(w.child, 0, 96)).outcome)
  failsWith(state, sc.io(w.child, 0, 97), 'QuotaExceeded', 'ioBytes')
  assert.is(usageOf(state, w.container).ioBytes, 4000)
  assert.is(usageOf(state, ROOT).ioBytes, 0)
})
io('InvalidArgument: bytes 0, negative, fractional, huge, a string, missing', () => {
  for (const bytes of [0, -1, 1.5, 2 ** 40 + 1, '10', undefined]) failsWith(bootWith(), { ...sc.io(INIT, DISK_SLOT, 1), bytes }, 'InvalidArgument')
})
io('InvalidSlot', () => { failsWith(bootWith(), sc.io(INIT, 16, 1), 'InvalidSlot') })
io('EmptySlot', () => { failsWith(bootWith(), sc.io(INIT, 5, 1), 'EmptySlot') })
io('WrongKind: not a device', () => { failsWith(bootWith(), sc.io(INIT, ROOT_SLOT, 1), 'WrongKind') })
io('InsufficientRights: a device cap without write', () => {
  failsWith(must(bootWith(), sc.copy(INIT, DISK_SLOT, 5, [])), sc.io(INIT, 5, 1), 'InsufficientRights')
})
/** C may use disk0 and net0; P holds net0; then C loses net0. */
function deviceRemoved() {
  const w = world({ limits: limits({ devices: ['disk0', 'net0'] }), image: IMAGES.wantsDevice.digest, grants: [{ slot: NET_SLOT, rights: ['write'] }] })
  return { ...w, state: must(w.state, sc.setLimits(INIT, w.containerSlot, limits({ devices: ['disk0'] }))) }
}
io('PermissionDenied: the device is not in the container\'s allowed set', () => {
  const w = deviceRemoved()
  failsWith(w.state, sc.io(w.child, 0, 1), 'PermissionDenied')
})
io('precedence: PermissionDenied before QuotaExceeded; InsufficientRights before PermissionDenied', () => {
  const w = deviceRemoved()
  failsWith(w.state, sc.io(w.child, 0, 5000), 'PermissionDenied')
  failsWith(must(w.state, sc.copy(w.child, 0, 1, [])), sc.io(w.child, 1, 5000), 'InsufficientRights')
})
io.run()
