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
import { DigestCodec, SemverCodec } from './images.js'
import { NamespaceConfigCodec } from './limits.js'
import { RightsCodec } from './rights.js'

/**
 * An initial system, declared rather than built by syscalls (in the spirit of
 * seL4's CapDL): containers, processes, endpoints and regions, and the caps that
 * processes start with. Boot creates them after init, in declaration order
 * (containers, then processes, then objects, then caps); init receives the
 * original caps of the declared containers and processes in its slots after the
 * devices, in that order. A cap's `parent` names an earlier declared cap as
 * `holder:slot`; without it the cap is a root of the derivation tree.
 */
export const SystemCodec = t.partial({
  containers: t.array(t.type({ name: NameCodec, parent: NameCodec, limits: LimitsCodec, namespaces: NamespaceConfigCodec })),
  processes: t.array(t.type({ name: NameCodec, container: NameCodec, image: DigestCodec, uid: intRange(0, BOUNDS.uidMax, 'Uid'), slots: intRange(1, BOUNDS.slotCountMax, 'SlotCount') })),
  objects: t.array(t.union([
    t.type({ name: NameCodec, kind: t.literal('endpoint'), owner: NameCodec, depth: intRange(1, BOUNDS.queueDepthMax, 'Depth') }),
    t.type({ name: NameCodec, kind: t.literal('region'), owner: NameCodec, sizeBytes: intRange(1, BOUNDS.bytesMax, 'Bytes'), executable: t.boolean }),
  ])),
  caps: t.array(t.intersection([
    t.type({ holder: NameCodec, slot: intRange(0, BOUNDS.slotCountMax - 1, 'Slot'), object: NameCodec, rights: RightsCodec }),
    t.partial({ parent: t.string, badge: intRange(0, BOUNDS.badgeMax, 'Badge') }),
  ])),
})
export type SystemDescription = t.TypeOf<typeof SystemCodec>

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
    /** Containers, processes, objects and caps that exist from boot. */
    system: SystemCodec,
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
