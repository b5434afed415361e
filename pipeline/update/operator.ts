/**
 * Init as the operator: at boot it makes the `apps` and `clients` containers, the
 * ModuleManager's status endpoint `U`, and spawns the ModuleManager (granting it
 * control of `apps` and `U`) and the clients. Later it asks for updates by
 * sending `update` messages on `U`.
 * @module
 */
import type { CounterModule } from './counter.js'
import { encode } from './messages.js'
import type { UpdateObserver } from './observer.js'
import { Plan } from './plan.js'
import type { Action, Actor, KernelView } from './runtime.js'
import { ALL_RIGHTS, APPS_LIMITS, CLIENTS_LIMITS, DEPTH, SLOTS, type UpdateSystem } from './system.js'
import { SHARE_ALL } from '../../spec/limits.js'

/** Binds a handler to the process just spawned (the loader's half of `process_spawn`). */
export type Loader = (role: 'manager' | { client: number }) => void

export class Operator implements Actor {
  readonly name = 'init'
  readonly ref = 0
  private readonly plan = new Plan()
  private readonly apps: number
  private readonly clientsContainer: number
  readonly status: number

  constructor(system: UpdateSystem, clients: number, load: Loader, private readonly observer: UpdateObserver) {
    const first = 1 + system.boot.devices.length
    this.apps = first
    this.clientsContainer = first + 1
    this.status = first + 2
    const manager = first + 3
    this.plan.then(
      () => ({ syscall: { kind: 'container_create', parent: 0, dst: this.apps, limits: APPS_LIMITS, namespaces: SHARE_ALL } }),
      () => ({ syscall: { kind: 'container_create', parent: 0, dst: this.clientsContainer, limits: CLIENTS_LIMITS, namespaces: SHARE_ALL } }),
      () => ({ syscall: { kind: 'ep_create', depth: DEPTH.status, dst: this.status } }),
      () => ({
        syscall: {
          kind: 'process_spawn', container: this.apps, image: system.modules.manager, uid: 0, slots: SLOTS.manager,
          grants: [{ slot: this.apps, rights: ALL_RIGHTS }, { slot: this.status, rights: ['read', 'write', 'grant'] }], dst: manager,
        },
        ok: () => load('manager'),
      }),
      ...Array.from({ length: clients }, (_, client) => () => ({
        syscall: { kind: 'process_spawn', container: this.clientsContainer, image: system.modules.client, uid: 0, slots: SLOTS.client, grants: [], dst: manager + 1 + client },
        ok: () => load({ client }),
      })),
    )
  }

  get ready(): boolean {
    return this.plan.length === 0
  }

  /** Queues an `update` request to the ModuleManager. */
  requestUpdate(module: CounterModule, image: string): void {
    this.plan.then(() => ({
      syscall: { kind: 'ep_send', slot: this.status, payload: encode({ type: 'update', module, image }) },
      ok: () => this.observer.note(`operator asks the ModuleManager to update "counter" to ${module}`),
    }))
  }

  runnable(_view: KernelView): boolean {
    return this.plan.length > 0
  }

  act(): Action | null {
    return this.plan.next((syscall, code) => this.observer.note(`init: ${syscall.kind} refused (${code})`))
  }
}
