/**
 * The optimized kernel: the same syscalls as the model (model/step.ts), built for
 * speed. Objects and caps are handles into typed-array tables with generation
 * counters and free lists; the CDT is intrusive; container counters are kept
 * incrementally; destruction is a worklist drained at the end of each syscall.
 * It shares only spec/ with the model.
 *
 * The order of checks is the model's (kernel.md §8, docs/decisions.md): the caller
 * first (a running process whose container has CPU budget left), then one CPU unit
 * is charged whatever happens next, then the arguments are checked (any malformed
 * shape is `InvalidArgument`), then the handler's checks and, only if they all
 * pass, its effect.
 * @module
 */
import { type BootConfig, configurationProblem } from '../spec/boot.js'
import type { ImageRecord } from '../spec/images.js'
import type { Outcome } from '../spec/results.js'
import type { Limits } from '../spec/limits.js'
import { BOUNDS } from '../spec/numbers.js'
import { R_ALL, R_WRITE } from '../spec/rights.js'
import type { KernelUnderTest } from '../refinement/target.js'
import { assert } from './assert.js'
import { type Fields, SCHED_RUN_FIELDS, TICK_FIELDS, fieldOf, hasFields, isNat, isProcessList, isQuanta, isRecord } from './validate.js'
import { E_BUDGET_EXHAUSTED, E_INVALID_ARGUMENT, E_NOT_RUNNING, failure } from './outcomes.js'
import { available, charge } from './accounting.js'
import { insertCap } from './cdt.js'
import { collectGarbage } from './destroy.js'
import { BootError, bootSystem } from './boot.js'
import { type ObjectTableSnapshot, KIND_CONTAINER, KIND_DEVICE, KIND_PROCESS, LIMIT_COLUMNS, NONE, NS_COLUMNS, ObjectTable, RES_CPU, RES_PROCESSES } from './tables/objects.js'
import { type CapTableSnapshot, CapTable, PLACE_SLOT } from './tables/caps.js'
import { type NamespaceSnapshot, NamespaceTable } from './tables/namespaces.js'
import { type RefTableSnapshot, RefTable } from './tables/refs.js'
import { capCopy, capDelete, capInspect, capMove, capRevoke } from './objects/caps.js'
import { containerCreate, containerDestroy, containerSetLimits, containerStats, freezeLimits } from './objects/containers.js'
import { type ImageInfo, imageInfo, processKill, processList, processSpawn } from './objects/processes.js'
import { type RealImages, ensureDistinctDigests, verifyRealImages } from './images.js'
import { memAlloc, memMap, memUnmap } from './objects/memory.js'
import { epCreate, epRecv, epSend } from './objects/ipc.js'
import { mount, netBind, netConnect, netUnbind, resolve, svcLookup, svcRegister, svcUnregister, unmount } from './objects/namespaces.js'
import { ioSubmit } from './objects/devices.js'
import { schedRun, tick } from './objects/clock.js'

/** Initial table sizes; tables double when full. @public */
export interface KernelCapacity {
  readonly objects: number
  readonly caps: number
}

const DEFAULT_CAPACITY: KernelCapacity = { objects: 16, caps: 32 }
const ROOT_UID_MAP = Object.freeze({ base: 0, count: BOUNDS.uidMax + 1 })
const BOOT_NAMESPACES = ['pid', 'mount', 'net', 'ipc', 'user'] as const
const BOOT_USER_NAMESPACE = 4

/**
 * Everything `restore` needs: typed arrays copied by `slice`, the few JS structures
 * deep-copied. Opaque outside the impl: keep it and hand it back to {@link Kernel.restore}.
 * @public
 */
export interface KernelSnapshot {
  /** @internal */
  readonly objects: ObjectTableSnapshot
  /** @internal */
  readonly caps: CapTableSnapshot
  /** @internal */
  readonly namespaces: NamespaceSnapshot
  /** @internal */
  readonly refs: RefTableSnapshot
  /** Root and init handles: a snapshot restores only into a kernel booted from the same configuration. @internal */
  readonly pinned: readonly [root: number, init: number]
  /** @internal */
  readonly counters: readonly [objectNext: number, capNext: number, namespaceNext: number, messageSeqNext: number]
  /** @internal */
  readonly ledger: readonly [sent: number, received: number, discarded: number]
  /** @internal */
  readonly retiredLastReceived: ReadonlyMap<number, number>
}

/**
 * The optimized kernel: {@link Kernel.boot} it from a boot configuration, then
 * {@link Kernel.step} it one syscall at a time; it answers as the model does.
 * {@link Kernel.snapshot} and {@link Kernel.restore} save and roll back its whole state.
 * Its tables and counters are public for the abstraction function
 * (`refinement/abstraction.ts`) and are not part of the API.
 * @public
 */
export class Kernel implements KernelUnderTest {
  /** @internal */
  readonly objects: ObjectTable
  /** @internal */
  readonly caps: CapTable
  /** @internal */
  readonly namespaces = new NamespaceTable()
  /** @internal */
  readonly refs = new RefTable(16)
  /** @internal */
  objectNext = 0
  /** @internal */
  capNext = 0
  /** @internal */
  namespaceNext = 0
  /** @internal */
  messageSeqNext = 0
  /** Handles of the pinned objects (the kernel holds them). @internal */
  root = NONE
  /** @internal */
  init = NONE
  /** @internal */
  readonly images: ReadonlyMap<string, ImageInfo>
  /** Digests of real images the kernel verified and refused that have no record (a manifest it cannot read): SignatureInvalid at spawn. */
  readonly refusedImages: ReadonlySet<string>
  /** How many real images the kernel verified at boot: one per distinct manifest digest. */
  readonly imageVerifications: number
  /** @internal */
  readonly keyring: ReadonlySet<string>
  /** @internal */
  readonly floors: ReadonlyMap<string, string>
  /** @internal */
  readonly cpuAccounting: boolean
  /** Ghost ledger (IPC-2) and the last received seq of destroyed endpoints. @internal */
  ledgerSent = 0
  /** @internal */
  ledgerReceived = 0
  /** @internal */
  ledgerDiscarded = 0
  /** @internal */
  retiredLastReceived = new Map<number, number>()
  /** Whether {@link retiredLastReceived} is shared with a snapshot: then it is copied before it changes. @internal */
  retiredShared = false
  /** Counts steps and restores: the incremental refinement check needs to know nothing else happened. @internal */
  journal = 0
  /** Scratch for process_spawn's grants (at most grantsMax). @internal */
  readonly grantCaps = new Int32Array(BOUNDS.grantsMax)
  /** @internal */
  readonly grantRights = new Int32Array(BOUNDS.grantsMax)
  /** Scratch for matching grants to manifest requests: the grant holding each request (-1: none), and visit marks. */
  readonly matchHolder: Int32Array
  readonly matchSeen: Int32Array

  private constructor(config: BootConfig, images: ReadonlyArray<ImageRecord>, capacity: KernelCapacity, real: RealImages | undefined) {
    this.objects = new ObjectTable(capacity.objects)
    this.caps = new CapTable(capacity.caps)
    this.keyring = new Set(config.keyring.map((key) => key.keyId))
    this.floors = new Map(Object.entries(config.floors))
    ensureDistinctDigests(images, real)
    const infos = new Map(images.map((image) => [image.digest, imageInfo(image, this.keyring, this.floors)]))
    const refused = new Set<string>()
    this.imageVerifications = 0
    if (real !== undefined) {
      // Real images: the kernel's own verdict, once per manifest digest.
      const verdicts = verifyRealImages(real, config.keyring)
      for (const [digest, trusted] of verdicts.trusted) {
        const record = verdicts.records.get(digest)
        if (record === undefined) refused.add(digest)
        else infos.set(digest, { ...imageInfo(record, this.keyring, this.floors), trusted })
      }
      this.imageVerifications = verdicts.verifications
    }
    this.images = infos
    this.refusedImages = refused
    let requestsMost = 1
    for (const info of infos.values()) requestsMost = Math.max(requestsMost, info.requestMasks.length)
    this.matchHolder = new Int32Array(requestsMost)
    this.matchSeen = new Int32Array(requestsMost)
    this.cpuAccounting = config.cpuAccounting ?? true
  }

  /**
   * Boots (kernel.md §10, decisions.md "Boot order"): root container, devices, init,
   * the five root namespaces, and init's caps. Ids are the model's. `real` images
   * are verified here, once per manifest digest (impl/images.ts); their records
   * join `images`. The pool (`images`, then `real`'s) names each digest at most
   * once: else a `BootError` at `$.images[n]` naming the digest.
   */
  static boot(config: BootConfig, images: ReadonlyArray<ImageRecord> = [], capacity: KernelCapacity = DEFAULT_CAPACITY, real?: RealImages): Kernel {
    const problem = configurationProblem(config)
    if (problem !== null) throw new BootError(problem.path, problem.message)
    const kernel = new Kernel(config, images, capacity, real)
    kernel.bootRoot(config.root.limits)
    config.devices.forEach((device) => kernel.bootDevice(device.name))
    kernel.bootInit(config.init.slots)
    insertCap(kernel, kernel.root, R_ALL, 0, NONE, PLACE_SLOT, kernel.init, 0, null)
    for (let index = 0; index < config.devices.length; index++) {
      insertCap(kernel, index + 1, R_WRITE, 0, NONE, PLACE_SLOT, kernel.init, index + 1, null)
    }
    if (config.system !== undefined) bootSystem(kernel, config.system, config.devices)
    kernel.beginStep()
    return kernel
  }

  private bootRoot(limits: Limits): void {
    const objects = this.objects
    this.root = objects.alloc(KIND_CONTAINER, this.objectNext++, NONE)
    assert(this.root === 0, 'boot.root.handle')
    objects.row[this.root] = objects.rows.alloc()
    objects.parent[this.root] = NONE
    objects.childHead[this.root] = NONE
    objects.limits[this.root] = freezeLimits(limits)
    const row = objects.row[this.root]
    const names = ['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes', 'cpuWeight'] as const
    names.forEach((name, column) => { objects.rows.limits[row * LIMIT_COLUMNS + column] = limits[name] })
    BOOT_NAMESPACES.forEach((kind, id) => {
      this.namespaces.add({ id, kind, creator: 0, parent: null, userNamespace: BOOT_USER_NAMESPACE, entries: new Map(), uidMap: ROOT_UID_MAP, pidNext: kind === 'pid' ? 2 : 1, mark: 0 })
      objects.rows.namespaces[row * NS_COLUMNS + id] = id
    })
    this.namespaceNext = BOOT_NAMESPACES.length
    objects.created[this.root] = Object.freeze([])
  }

  private bootDevice(name: string): void {
    const device = this.objects.alloc(KIND_DEVICE, this.objectNext++, this.root)
    this.objects.text[device] = name
  }

  /** Init: process 0, uid 0, in the root container, charged one process (model/boot.ts). */
  private bootInit(slots: number): void {
    const objects = this.objects
    const init = objects.alloc(KIND_PROCESS, this.objectNext++, this.root)
    this.init = init
    objects.ref[init] = this.refs.push(init, objects.gen[init], objects.serial[init])
    objects.uid[init] = 0
    objects.running[init] = 1
    objects.slotCount[init] = slots
    objects.cspace[init] = new Int32Array(slots).fill(NONE)
    objects.mapHead[init] = objects.mapTail[init] = NONE
    objects.bytes[init] = 0
    objects.pids[init] = new Map([[0, 1]])
    objects.linkRunning(init)
    charge(this, this.root, RES_PROCESSES, 1)
  }

  /** The namespace of `column` (NS_*) of a container. @internal */
  namespaceOf(container: number, column: number): number {
    assert(this.objects.kind[container] === KIND_CONTAINER, 'kernel.namespace.container')
    return this.objects.rows.namespaces[this.objects.row[container] * NS_COLUMNS + column]
  }

  /** The process a creation index names, if it is still an object (generation-checked), else NONE. @internal */
  processOfRef(ref: number): number {
    const refs = this.refs
    if (ref >= refs.count) return NONE
    const handle = refs.handle[ref]
    if (!this.objects.isLive(handle, refs.gen[ref])) return NONE
    assert(this.objects.kind[handle] === KIND_PROCESS, 'kernel.ref.kind')
    assert(this.objects.ref[handle] === ref, 'kernel.ref.back')
    return handle
  }

  /** Starts a step: the dirty lists of the incremental refinement check begin again. */
  private beginStep(): void {
    this.journal++
    this.objects.beginEpoch()
    this.caps.beginEpoch()
    this.namespaces.beginEpoch()
  }

  /** Executes one syscall (possibly malformed). Never throws on any input. */
  step(syscall: unknown): Outcome {
    const outcome = this.stepOnce(syscall)
    // A step that touched nothing (a refusal, without CPU accounting) leaves the kernel equal to what it was: undo stays fast.
    if (this.equalAt === this.journal - 1 && this.objects.dirtyCount === 0 && this.caps.dirtyCount === 0 && this.namespaces.dirtyCount === 0) this.equalAt = this.journal
    return outcome
  }

  private stepOnce(syscall: unknown): Outcome {
    this.beginStep()
    const kind = fieldOf(syscall, 'kind')
    const ref = fieldOf(syscall, 'caller')
    // The clock's syscalls have no caller; one that names a caller is a process's, and malformed.
    if ((kind === 'tick' || kind === 'sched_run') && ref === undefined) return stepClock(this, kind, syscall)
    if (!isNat(ref)) return failure(E_INVALID_ARGUMENT)
    const caller = this.processOfRef(ref)
    if (caller === NONE || this.objects.running[caller] === 0) return failure(E_NOT_RUNNING)
    if (this.cpuAccounting) {
      const container = this.objects.owner[caller]
      if (available(this, container, RES_CPU) < 1) return failure(E_BUDGET_EXHAUSTED)
      charge(this, container, RES_CPU, 1)
    }
    if (!isRecord(syscall)) return failure(E_INVALID_ARGUMENT)
    const outcome = dispatch(this, caller, kind, syscall)
    if (this.objects.worklistCount > 0) collectGarbage(this)
    return outcome
  }

  /** The snapshot the kernel was last equal to (taken or restored), and the journal then: {@link undo} needs both. */
  private equalTo: KernelSnapshot | null = null
  private equalAt = -1

  /**
   * A copy of the whole state; the kernel and the snapshot share nothing mutable.
   * `reuse`: an older snapshot of this kernel that nothing will restore any more
   * (the general engine's, for a path it left): its buffers are overwritten where
   * they fit instead of allocating new ones; it must not be used after.
   */
  snapshot(reuse?: KernelSnapshot): KernelSnapshot {
    if (reuse !== undefined && reuse === this.equalTo) reuse = undefined
    const saved: KernelSnapshot = {
      objects: this.objects.snapshot(reuse?.objects), caps: this.caps.snapshot(reuse?.caps), namespaces: this.namespaces.snapshot(), refs: this.refs.snapshot(),
      pinned: [this.root, this.init],
      counters: [this.objectNext, this.capNext, this.namespaceNext, this.messageSeqNext],
      ledger: [this.ledgerSent, this.ledgerReceived, this.ledgerDiscarded],
      retiredLastReceived: this.shareRetired(),
    }
    this.equalTo = saved
    this.equalAt = this.journal
    return saved
  }

  /**
   * {@link restore}, faster when the kernel has taken exactly one step since it
   * was equal to `saved` (snapshot or restore): then only what that step touched
   * (its dirty lists) is copied back. Otherwise, or when the step grew a table or
   * added or removed a namespace, a full restore. The state is the same either way.
   */
  undo(saved: KernelSnapshot): void {
    if (this.equalTo === saved && this.journal === this.equalAt) return
    if (this.equalTo !== saved || this.journal !== this.equalAt + 1 || !this.undoTouched(saved)) { this.restore(saved); return }
    this.journal += 2
    this.equalAt = this.journal
  }

  private undoTouched(saved: KernelSnapshot): boolean {
    // Each table refuses what it cannot take back in place (it grew; a namespace was
    // added or removed) before it changes anything. A refusal after another table's
    // fast restore is then followed by the full restore, which rewrites every table.
    if (!this.namespaces.restoreTouched(saved.namespaces) || !this.objects.restoreTouched(saved.objects) || !this.caps.restoreTouched(saved.caps)) return false
    this.refs.restore(saved.refs)
    this.restoreCounters(saved)
    this.retiredLastReceived = saved.retiredLastReceived as Map<number, number>
    this.retiredShared = true
    return true
  }

  /** The retired endpoints' last received, shared with a snapshot from now on (retireEndpoint copies before it writes). */
  private shareRetired(): ReadonlyMap<number, number> {
    this.retiredShared = true
    return this.retiredLastReceived
  }

  /** The counters and the ghost ledger as saved (indexed, not destructured: no iterator on the undo path). */
  private restoreCounters(saved: KernelSnapshot): void {
    const counters = saved.counters
    this.objectNext = counters[0]
    this.capNext = counters[1]
    this.namespaceNext = counters[2]
    this.messageSeqNext = counters[3]
    const ledger = saved.ledger
    this.ledgerSent = ledger[0]
    this.ledgerReceived = ledger[1]
    this.ledgerDiscarded = ledger[2]
  }

  /** Puts the kernel back in a snapshot's state; the snapshot stays usable for further restores. */
  restore(saved: KernelSnapshot): void {
    assert(saved.pinned[0] === this.root, 'kernel.restore.root')
    assert(saved.pinned[1] === this.init, 'kernel.restore.init')
    this.objects.restore(saved.objects)
    this.caps.restore(saved.caps)
    this.namespaces.restore(saved.namespaces)
    this.refs.restore(saved.refs)
    this.restoreCounters(saved)
    this.retiredLastReceived = saved.retiredLastReceived as Map<number, number>
    this.retiredShared = true
    this.journal += 2
    this.equalTo = saved
    this.equalAt = this.journal
  }
}

/** The clock's syscalls: no caller, no charge. */
function stepClock(k: Kernel, kind: 'tick' | 'sched_run', syscall: unknown): Outcome {
  if (!isRecord(syscall)) return failure(E_INVALID_ARGUMENT)
  if (kind === 'tick') return hasFields(syscall, TICK_FIELDS) ? tick(k) : failure(E_INVALID_ARGUMENT)
  return hasFields(syscall, SCHED_RUN_FIELDS) && isQuanta(syscall['quanta']) ? schedRun(k, syscall['quanta']) : failure(E_INVALID_ARGUMENT)
}

/** Runs a process syscall's handler by kind; unknown kinds (and the clock's, named by a caller) are malformed. */
function dispatch(k: Kernel, caller: number, kind: unknown, call: Fields): Outcome {
  switch (kind) {
    case 'cap_copy': return capCopy(k, caller, call)
    case 'cap_move': return capMove(k, caller, call)
    case 'cap_delete': return capDelete(k, caller, call)
    case 'cap_revoke': return capRevoke(k, caller, call)
    case 'cap_inspect': return capInspect(k, caller, call)
    case 'ep_send': return epSend(k, caller, call)
    case 'ep_recv': return epRecv(k, caller, call)
    case 'ep_create': return epCreate(k, caller, call)
    case 'mem_alloc': return memAlloc(k, caller, call)
    case 'mem_map': return memMap(k, caller, call)
    case 'mem_unmap': return memUnmap(k, caller, call)
    case 'container_create': return containerCreate(k, caller, call)
    case 'container_destroy': return containerDestroy(k, caller, call)
    case 'container_set_limits': return containerSetLimits(k, caller, call)
    case 'container_stats': return containerStats(k, caller, call)
    case 'process_spawn': return processSpawn(k, caller, call)
    case 'process_kill': return processKill(k, caller, call)
    case 'process_list': return isProcessList(call) ? processList(k, caller) : failure(E_INVALID_ARGUMENT)
    case 'mount': return mount(k, caller, call)
    case 'unmount': return unmount(k, caller, call)
    case 'resolve': return resolve(k, caller, call)
    case 'net_bind': return netBind(k, caller, call)
    case 'net_unbind': return netUnbind(k, caller, call)
    case 'net_connect': return netConnect(k, caller, call)
    case 'svc_register': return svcRegister(k, caller, call)
    case 'svc_unregister': return svcUnregister(k, caller, call)
    case 'svc_lookup': return svcLookup(k, caller, call)
    case 'io_submit': return ioSubmit(k, caller, call)
    default: return failure(E_INVALID_ARGUMENT)
  }
}
