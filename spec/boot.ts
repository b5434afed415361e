/**
 * The boot configuration (kernel.md §10): the root container's limits, the devices,
 * the trusted keyring, the anti-rollback floors and the init process. Every trace
 * starts from one.
 *
 * At boot the kernel creates, in this order: the root container (object 0), the
 * devices (objects 1..d, owned by the root), and init (process 0, uid 0, in the root
 * container). Init's slot 0 holds the root container's original cap (all rights),
 * slots 1..d the devices' original caps (`write`). The root container and init are
 * *pinned*: the kernel holds them, so they are live without a cap naming them.
 * @module
 */
import * as t from 'io-ts'
import { LimitsCodec, type Limits } from './limits.js'
import { intRange, NameCodec, BOUNDS } from './numbers.js'
import { SemverCodec } from './images.js'

export const KeyCodec = t.intersection([
  t.type({ keyId: t.string }),
  t.partial({ algorithm: t.keyof({ 'ML-DSA-65': null, 'ML-DSA-87': null }), publicKey: t.string }),
])

export const BootConfigCodec = t.intersection([
  t.type({
    root: t.type({ limits: LimitsCodec }),
    devices: t.array(t.type({ name: NameCodec })),
    keyring: t.array(KeyCodec),
    /** Anti-rollback floor per module name. */
    floors: t.record(t.string, SemverCodec),
    init: t.type({ slots: intRange(1, BOUNDS.slotCountMax, 'SlotCount') }),
  }),
  t.partial({
    /** Per-syscall CPU charging and `BudgetExhausted` (default on; the `cap-core` preset turns it off). */
    cpuAccounting: t.boolean,
  }),
])
export type BootConfig = t.TypeOf<typeof BootConfigCodec>

const GENEROUS: Limits = {
  memoryBytes: 1 << 30, processes: 64, endpoints: 64, cpuBudget: 10_000, ioBytes: 1 << 20, cpuWeight: 100, devices: ['disk0', 'net0'],
}

/** The default boot configuration: `sila check` and the examples start from it. */
export const DEFAULT_BOOT: BootConfig = {
  root: { limits: GENEROUS },
  devices: [{ name: 'disk0' }, { name: 'net0' }],
  keyring: [{ keyId: 'release', algorithm: 'ML-DSA-65' }],
  floors: { echo: '1.0.0' },
  init: { slots: 16 },
  cpuAccounting: true,
}
