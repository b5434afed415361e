/**
 * Boot configurations with names, for the model checker and the examples: the
 * `cap-core` preset of kernel.md §11 exactly, its 3-slot variant, `nested`, a
 * larger one with namespaces, nested containers, quotas and spawns, and
 * `all-syscalls`, whose alphabet has every syscall kind and every namespace mode.
 * @module
 */
import { createHash } from 'node:crypto'
import type { BootConfig } from './boot.js'
import type { ImageRecord } from './images.js'
import type { Limits } from './limits.js'

export interface Preset {
  readonly name: string
  readonly description: string
  readonly boot: BootConfig
  readonly images: ReadonlyArray<ImageRecord>
  /** The processes (creation indices) whose syscalls are the transitions. */
  readonly actors: ReadonlyArray<number>
  /**
   * A system declared in a boot file (`--boot FILE`) rather than shipped: its
   * alphabet is derived from the declaration (checker/explore/actions.ts
   * `declaredActions`).
   */
  readonly declared?: boolean
  /**
   * The digests of the pool's images that `sila explore` forged beside a declared
   * system's own (checker/explore/forged-images.ts): images an honest kernel
   * refuses to spawn, which the alphabet spawns without grants, as uid 0.
   */
  readonly forged?: ReadonlyArray<string>
}

const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`
const UNLIMITED = 2 ** 39

/** The empty image cap-core's processes run: signed, costs no memory, asks for nothing. */
export const CORE_IMAGE: ImageRecord = {
  digest: digestOf('cap-core image'), name: 'core', version: '1.0.0', signatures: [{ signer: 'core', verifies: true }],
  manifest: { requests: [], memoryBytes: 0 },
}

const coreLimits: Limits = { memoryBytes: 2, processes: 1, endpoints: 1, cpuBudget: UNLIMITED, ioBytes: UNLIMITED, cpuWeight: 1, devices: [] }
const shareAll = { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' } as const

function capCoreBoot(slots: number): BootConfig {
  return {
    root: { limits: { memoryBytes: 4, processes: 3, endpoints: 2, cpuBudget: 2 * UNLIMITED, ioBytes: 2 * UNLIMITED, cpuWeight: 1, devices: [] } },
    devices: [],
    keyring: [{ keyId: 'core' }],
    floors: {},
    init: { slots: 8 },
    cpuAccounting: false,
    system: {
      containers: [
        { name: 'A', parent: 'root', limits: coreLimits, namespaces: shareAll },
        { name: 'B', parent: 'root', limits: coreLimits, namespaces: shareAll },
      ],
      processes: [
        { name: 'pA', container: 'A', image: CORE_IMAGE.digest, uid: 0, slots },
        { name: 'pB', container: 'B', image: CORE_IMAGE.digest, uid: 0, slots },
      ],
      objects: [{ name: 'E', kind: 'endpoint', owner: 'A', depth: 1 }],
      caps: [
        { holder: 'pA', slot: 0, object: 'E', rights: ['read', 'write', 'grant'] },
        { holder: 'pB', slot: 0, object: 'E', rights: ['write'], parent: 'pA:0' },
      ],
    },
  }
}

/**
 * kernel.md §11: containers A and B under the root, one process each (`pA` = 1,
 * `pB` = 2) with 2 slots; endpoint E owned by A, depth 1; pA holds E's original
 * (read, write, grant), pB a write-only child. CPU accounting off; images empty.
 * (The processes cost one `processes` each, as every running process does here;
 * nothing in cap-core creates or kills processes, so the count is unaffected.)
 */
export const CAP_CORE: Preset = {
  name: 'cap-core',
  description: 'kernel.md §11: two containers, two 2-slot processes, one endpoint; exhaustive',
  boot: capCoreBoot(2), images: [CORE_IMAGE], actors: [1, 2],
}

/** cap-core with 3 slots per process: about 10^11 states, for bounded, swarm and bitstate runs. */
export const CAP_CORE_3: Preset = {
  name: 'cap-core-3',
  description: 'cap-core with 3 slots per process (too large for exhaustive search)',
  boot: capCoreBoot(3), images: [CORE_IMAGE], actors: [1, 2],
}

/** A service image for `nested`: asks for its container and an endpoint, costs 1 byte. */
export const NESTED_IMAGE: ImageRecord = {
  digest: digestOf('nested service'), name: 'svc', version: '1.0.0', signatures: [{ signer: 'core', verifies: true }],
  manifest: { requests: [{ kind: 'container', rights: ['read', 'write', 'execute', 'grant', 'control'] }, { kind: 'endpoint', rights: ['read', 'write', 'grant'] }], memoryBytes: 1 },
}
/** The same service, below the rollback floor. */
export const NESTED_OLD_IMAGE: ImageRecord = { ...NESTED_IMAGE, digest: digestOf('nested service old'), version: '0.9.0' }

/**
 * `nested`: the root, a container A with its own pid, mount and user namespaces
 * (uid 0 inside is 1000 outside) and a small quota, a process pA in it holding
 * control of A and an endpoint shared with init. pA can spawn a second process
 * into a child container it creates (nesting to depth 2 and 3), register and look
 * up services, allocate until its quota is full.
 */
export const NESTED: Preset = {
  name: 'nested',
  description: 'namespaces, nested containers, quotas and spawns (bounded by depth)',
  boot: {
    root: { limits: { memoryBytes: 64, processes: 8, endpoints: 8, cpuBudget: UNLIMITED, ioBytes: 64, cpuWeight: 2, devices: [] } },
    devices: [],
    keyring: [{ keyId: 'core' }],
    floors: { svc: '1.0.0' },
    init: { slots: 8 },
    cpuAccounting: false,
    system: {
      containers: [{ name: 'A', parent: 'root', limits: { memoryBytes: 4, processes: 3, endpoints: 2, cpuBudget: UNLIMITED / 2, ioBytes: 8, cpuWeight: 1, devices: [] }, namespaces: { pid: 'new', mount: 'new', net: 'share', ipc: 'share', user: { base: 1000, count: 100 } } }],
      processes: [{ name: 'pA', container: 'A', image: NESTED_IMAGE.digest, uid: 0, slots: 4 }],
      objects: [{ name: 'E', kind: 'endpoint', owner: 'root', depth: 1 }],
      caps: [
        { holder: 'init', slot: 3, object: 'E', rights: ['read', 'write', 'grant'] },
        { holder: 'pA', slot: 0, object: 'A', rights: ['read', 'write', 'execute', 'grant', 'control'] },
        { holder: 'pA', slot: 1, object: 'E', rights: ['write', 'grant'], parent: 'init:3' },
      ],
    },
  },
  images: [NESTED_IMAGE, NESTED_OLD_IMAGE],
  actors: [1, 2],
}

/** The device of `all-syscalls`, and the limits its container A starts with. */
export const ALL_SYSCALLS_DEVICE = 'disk0'
const allSyscallsLimits: Limits = { memoryBytes: 3, processes: 2, endpoints: 2, cpuBudget: 4, ioBytes: 2, cpuWeight: 2, devices: [ALL_SYSCALLS_DEVICE] }

/**
 * `all-syscalls`: every syscall kind in the alphabet (checker/explore/actions.ts),
 * with CPU accounting on. The root holds a device; container A has every namespace
 * of its own, uids 0..3 mapped to 1000..1003 outside, a small quota and a CPU
 * budget of 4 syscalls a period (so `BudgetExhausted` and `tick` matter); process
 * pA in A (3 slots) holds A's cap (all rights) in slot 0 and a badged child of an
 * endpoint E in slot 1; init holds E's original in slot 4 and the device in slot
 * 1. pA creates containers with every namespace mode (custom uid maps, shared pid
 * namespaces), spawns, sets limits, mounts, binds ports, registers services,
 * copies with badges and moves caps; init submits I/O and can send pA the device
 * over E. Explored to a depth bound.
 */
export const ALL_SYSCALLS: Preset = {
  name: 'all-syscalls',
  description: 'every syscall kind and namespace mode, badges, uid maps, a device, CPU accounting on (bounded by depth)',
  boot: {
    root: { limits: { memoryBytes: 8, processes: 4, endpoints: 4, cpuBudget: UNLIMITED, ioBytes: 8, cpuWeight: 2, devices: [ALL_SYSCALLS_DEVICE] } },
    devices: [{ name: ALL_SYSCALLS_DEVICE }],
    keyring: [{ keyId: 'core' }],
    floors: {},
    init: { slots: 5 },
    cpuAccounting: true,
    system: {
      containers: [{ name: 'A', parent: 'root', limits: allSyscallsLimits, namespaces: { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base: 1000, count: 4 } } }],
      processes: [{ name: 'pA', container: 'A', image: CORE_IMAGE.digest, uid: 0, slots: 3 }],
      objects: [{ name: 'E', kind: 'endpoint', owner: 'root', depth: 1 }],
      caps: [
        { holder: 'init', slot: 4, object: 'E', rights: ['read', 'write', 'grant'] },
        { holder: 'pA', slot: 0, object: 'A', rights: ['read', 'write', 'execute', 'grant', 'control'] },
        { holder: 'pA', slot: 1, object: 'E', rights: ['read', 'write', 'grant'], parent: 'init:4', badge: 5 },
      ],
    },
  },
  images: [CORE_IMAGE],
  actors: [0, 1],
}

export const PRESETS: ReadonlyArray<Preset> = [CAP_CORE, CAP_CORE_3, NESTED, ALL_SYSCALLS]
