/**
 * Names for objects in audits. The model knows objects by id only; a boot
 * configuration names the root (`root`), init (`init`), the devices and every
 * container, process, endpoint and region its `system` declares. Boot creates the
 * declared objects right after init in declaration order (containers, processes,
 * then objects: spec/boot.ts), so the n-th declaration is object `init + n`.
 * @module
 */
import type { BootConfig } from '../../spec/boot.js'
import type { ObjectId } from '../../spec/ids.js'
import type { KernelState } from '../../model/state.js'

/** A declared name and the kind of object it must be. */
interface Declared {
  readonly name: string
  readonly kind: 'container' | 'process' | 'endpoint' | 'region'
}

function declaredInOrder(boot: BootConfig): Declared[] {
  const system = boot.system ?? {}
  return [
    ...(system.containers ?? []).map((c) => ({ name: c.name, kind: 'container' as const })),
    ...(system.processes ?? []).map((p) => ({ name: p.name, kind: 'process' as const })),
    ...(system.objects ?? []).map((o) => ({ name: o.name, kind: o.kind })),
  ]
}

/**
 * The names `boot` gives to the objects of `state` (its boot state, or any later
 * state: ids are never reused). A declared name is used only if the object with the
 * expected id exists and is of the declared kind.
 * @public
 */
export function bootLabels(boot: BootConfig, state: KernelState): Map<ObjectId, string> {
  const labels = new Map<ObjectId, string>([[state.ksRoot, 'root'], [state.ksInit, 'init']])
  declaredInOrder(boot).forEach((declared, index) => {
    const id = state.ksInit + 1 + index
    if (state.ksObjects.get(id)?.kind === declared.kind) labels.set(id, declared.name)
  })
  return labels
}

/**
 * How an audit names object `id`: its kind and id, and its name when it has one
 * (`container 2 "A"`, `device 1 "disk0"`, `region 9`).
 * @public
 */
export function objectLabel(state: KernelState, labels: ReadonlyMap<ObjectId, string>, id: ObjectId): string {
  const object = state.ksObjects.get(id)
  const kind = object?.kind ?? 'missing object'
  const name = labels.get(id) ?? (object?.kind === 'device' ? object.name : undefined)
  return name === undefined ? `${kind} ${id}` : `${kind} ${id} "${name}"`
}
