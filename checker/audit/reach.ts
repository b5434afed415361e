/**
 * Who can reach what, and through which transfers (tooling.md §5): for every
 * container, the objects its processes hold or could come to hold if the holders
 * along the way cooperated, each with one path of transfers that gets it there.
 *
 * The computation is a fixpoint over these rules, an over-approximation in the
 * spirit of take-grant analysis (it ignores slot counts, quotas, manifests and
 * whether anyone actually makes the syscalls):
 * - **holds**: a process of C holds a cap to X in a slot;
 * - **receives**: C reaches endpoint E with `read`, and E's queue holds (or could
 *   hold) a cap to X: `ep_recv` hands it over;
 * - **sends**: C reaches endpoint E with `write` and `grant`, and reaches X: it can
 *   send X on E, so X could be queued there;
 * - **looks up**: a table of one of C's namespaces holds (or could hold) a cap to X
 *   (`resolve` gives the entry's rights; `net_connect` and `svc_lookup` its `write`);
 * - **publishes**: C has a running process with uid 0 in the user namespace that
 *   owns one of C's tables and reaches X (for `net` and `ipc`, an endpoint with
 *   `read`): it can mount or bind X there;
 * - **grants**: C reaches container K with `control` and reaches X: it can spawn a
 *   process into K granting X.
 * Rights are the union over every way found; the path is the first way found.
 * @module
 */
import type { CapId, NamespaceId, ObjectId, ObjectKind } from '../../spec/ids.js'
import { R_CONTROL, R_GRANT, R_READ, R_WRITE, hasRights, rightsNames, type RightName, type RightsMask } from '../../spec/rights.js'
import { mayChangeTable, type ContainerObject, type KernelState, type Namespace } from '../../model/state.js'
import { ownerContainer } from './graph.js'
import { objectLabel } from './labels.js'

/** One transfer on a path. @public */
export type Hop =
  | { readonly how: 'holds'; readonly container: ObjectId; readonly process: ObjectId; readonly slot: number; readonly cap: CapId }
  | { readonly how: 'queued'; readonly endpoint: ObjectId; readonly seq: number; readonly cap: CapId }
  | { readonly how: 'in-table'; readonly namespace: NamespaceId; readonly table: string; readonly key: string; readonly cap: CapId }
  | { readonly how: 'sends'; readonly container: ObjectId; readonly endpoint: ObjectId }
  | { readonly how: 'receives'; readonly container: ObjectId; readonly endpoint: ObjectId }
  | { readonly how: 'publishes'; readonly container: ObjectId; readonly namespace: NamespaceId; readonly table: string }
  | { readonly how: 'looks-up'; readonly container: ObjectId; readonly namespace: NamespaceId; readonly table: string }
  | { readonly how: 'grants'; readonly container: ObjectId; readonly to: ObjectId }

/** An object a container reaches. @public */
export interface Reached {
  readonly object: ObjectId
  readonly label: string
  readonly kind: ObjectKind | 'missing'
  /** The container that owns it. */
  readonly owner: ObjectId | null
  /** Owned by another container than the one reaching it. */
  readonly foreign: boolean
  /** Every right it may come to hold, over all the ways there. */
  readonly rights: ReadonlyArray<RightName>
  /** One way to get there, first transfer first (the first of {@link routes}). */
  readonly path: ReadonlyArray<Hop>
  /**
   * Ways there that together give {@link rights}: each with the rights that way
   * gives, each adding a right the ones before do not (so at most one a right).
   */
  readonly routes: ReadonlyArray<{ readonly rights: ReadonlyArray<RightName>; readonly path: ReadonlyArray<Hop> }>
}

/** What one container reaches, in object id order. @public */
export interface ContainerReach {
  readonly container: ObjectId
  readonly label: string
  readonly reaches: ReadonlyArray<Reached>
}

/** One way to an object, and the rights it gives. */
interface Route {
  readonly rights: RightsMask
  readonly path: ReadonlyArray<Hop>
}

/** A fact: rights to an object, and the ways that give them (each adding a right the ones before it do not). */
interface Fact {
  rights: RightsMask
  readonly routes: Route[]
}

/** Facts keyed by a place (container, endpoint queue, table), then by object. */
class Facts {
  private readonly byPlace = new Map<number, Map<ObjectId, Fact>>()
  changed = false

  of(place: number): ReadonlyMap<ObjectId, Fact> {
    return this.byPlace.get(place) ?? new Map()
  }

  /** Records `rights` to `object` at `place`; notes a change if it is new or the rights grew. */
  add(place: number, object: ObjectId, rights: RightsMask, path: ReadonlyArray<Hop>): void {
    const facts = this.byPlace.get(place) ?? new Map<ObjectId, Fact>()
    this.byPlace.set(place, facts)
    const known = facts.get(object)
    if (known === undefined) {
      facts.set(object, { rights, routes: [{ rights, path }] })
      this.changed = true
    } else if ((known.rights | rights) !== known.rights) {
      // A way that gives a right none before gives: kept with its own rights, so that every right shown has its way shown.
      known.rights |= rights
      known.routes.push({ rights, path })
      this.changed = true
    }
  }
}

/** The mutable state of one reachability computation. */
interface Work {
  readonly state: KernelState
  readonly containers: ReadonlyArray<ContainerObject>
  readonly reach: Facts
  readonly queues: Facts
  readonly tables: Facts
}

const TABLE_KINDS = ['mount', 'net', 'ipc'] as const

/** The caps the state holds now: in slots, queues and tables. */
function seed(work: Work): void {
  for (const cap of work.state.ksCaps.values()) {
    const at = cap.at
    if (at.place === 'slot') {
      const container = work.state.ksObjects.get(at.process)?.owner
      if (container !== undefined && container !== null) work.reach.add(container, cap.object, cap.rights, [{ how: 'holds', container, process: at.process, slot: at.slot, cap: cap.id }])
    } else if (at.place === 'message') {
      work.queues.add(at.endpoint, cap.object, cap.rights, [{ how: 'queued', endpoint: at.endpoint, seq: at.seq, cap: cap.id }])
    } else {
      const table = work.state.ksNamespaces.get(at.namespace)?.kind ?? 'missing'
      work.tables.add(at.namespace, cap.object, cap.rights, [{ how: 'in-table', namespace: at.namespace, table, key: at.key, cap: cap.id }])
    }
  }
}

/** Receives from and sends on every endpoint the container reaches. */
function endpointRules(work: Work, container: ObjectId): void {
  for (const [endpoint, fact] of [...work.reach.of(container)]) {
    if (work.state.ksObjects.get(endpoint)?.kind !== 'endpoint') continue
    if (hasRights(fact.rights, R_READ)) {
      for (const [object, queued] of [...work.queues.of(endpoint)]) for (const route of [...queued.routes]) work.reach.add(container, object, route.rights, [...route.path, { how: 'receives', container, endpoint }])
    }
    if (hasRights(fact.rights, R_WRITE | R_GRANT)) {
      for (const [object, held] of [...work.reach.of(container)]) for (const route of [...held.routes]) work.queues.add(endpoint, object, route.rights, [...route.path, { how: 'sends', container, endpoint }])
    }
  }
}

/** Whether a running process of the container may change the table (uid 0 in the user namespace that owns it; host uid 0 for an ancestor's). */
function canPublish(state: KernelState, container: ObjectId, namespace: Namespace): boolean {
  return [...state.ksObjects.values()].some((object) => {
    if (object.kind !== 'process' || object.owner !== container || object.status !== 'running') return false
    try {
      return mayChangeTable(state, object, namespace.userNamespace)
    } catch {
      return false // a broken state (a missing container or namespace): the invariants report it
    }
  })
}

/** What a table entry may hold: anything in a mount table, an endpoint the binder can receive on otherwise. */
function publishable(state: KernelState, table: string, object: ObjectId, rights: RightsMask): boolean {
  return table === 'mount' || (state.ksObjects.get(object)?.kind === 'endpoint' && hasRights(rights, R_READ))
}

/** Looks up and publishes in the tables of the container's namespaces. */
function tableRules(work: Work, container: ContainerObject): void {
  for (const table of TABLE_KINDS) {
    const id = container.namespaces[table]
    const namespace = work.state.ksNamespaces.get(id)
    if (namespace === undefined) continue
    for (const [object, entry] of [...work.tables.of(id)]) {
      for (const route of [...entry.routes]) work.reach.add(container.id, object, table === 'mount' ? route.rights : route.rights & R_WRITE, [...route.path, { how: 'looks-up', container: container.id, namespace: id, table }])
    }
    if (!canPublish(work.state, container.id, namespace)) continue
    for (const [object, held] of [...work.reach.of(container.id)]) {
      for (const route of [...held.routes]) {
        if (publishable(work.state, table, object, route.rights)) work.tables.add(id, object, route.rights, [...route.path, { how: 'publishes', container: container.id, namespace: id, table }])
      }
    }
  }
}

/** Grants everything the container reaches to the containers it controls. */
function grantRules(work: Work, container: ObjectId): void {
  for (const [target, fact] of [...work.reach.of(container)]) {
    if (target === container || work.state.ksObjects.get(target)?.kind !== 'container' || !hasRights(fact.rights, R_CONTROL)) continue
    for (const [object, held] of [...work.reach.of(container)]) for (const route of [...held.routes]) work.reach.add(target, object, route.rights, [...route.path, { how: 'grants', container, to: target }])
  }
}

function reachedOf(state: KernelState, labels: ReadonlyMap<ObjectId, string>, container: ObjectId, object: ObjectId, fact: Fact): Reached {
  const found = state.ksObjects.get(object)
  const owner = found === undefined ? null : ownerContainer(found)
  return {
    object, label: objectLabel(state, labels, object), kind: found?.kind ?? 'missing', owner, foreign: owner !== container,
    rights: rightsNames(fact.rights), path: fact.routes[0]!.path,
    routes: fact.routes.map((route) => ({ rights: rightsNames(route.rights), path: route.path })),
  }
}

/**
 * For every live container of `state` (in id order), the objects it can reach and
 * one path to each (see the module comment for the rules).
 * @public
 */
export function reachability(state: KernelState, labels: ReadonlyMap<ObjectId, string> = new Map()): ContainerReach[] {
  const containers = [...state.ksObjects.values()].filter((object): object is ContainerObject => object.kind === 'container').sort((a, b) => a.id - b.id)
  const work: Work = { state, containers, reach: new Facts(), queues: new Facts(), tables: new Facts() }
  seed(work)
  do {
    work.reach.changed = work.queues.changed = work.tables.changed = false
    for (const container of containers) {
      endpointRules(work, container.id)
      tableRules(work, container)
      grantRules(work, container.id)
    }
  } while (work.reach.changed || work.queues.changed || work.tables.changed)
  return containers.map((container) => ({
    container: container.id,
    label: objectLabel(state, labels, container.id),
    reaches: [...work.reach.of(container.id)].sort(([a], [b]) => a - b).map(([object, fact]) => reachedOf(state, labels, container.id, object, fact)),
  }))
}

/** One hop as words, naming objects with `name`. @public */
export function hopText(hop: Hop, name: (id: ObjectId) => string): string {
  switch (hop.how) {
    case 'holds':
      return `${name(hop.process)} holds it in slot ${hop.slot} (cap ${hop.cap})`
    case 'queued':
      return `queued on ${name(hop.endpoint)} (seq ${hop.seq}, cap ${hop.cap})`
    case 'in-table':
      return `in ${hop.table} table ${hop.namespace} at ${hop.key} (cap ${hop.cap})`
    case 'sends':
      return `${name(hop.container)} sends it on ${name(hop.endpoint)}`
    case 'receives':
      return `${name(hop.container)} receives it from ${name(hop.endpoint)}`
    case 'publishes':
      return `${name(hop.container)} publishes it in ${hop.table} table ${hop.namespace}`
    case 'looks-up':
      return `${name(hop.container)} looks it up in ${hop.table} table ${hop.namespace}`
    case 'grants':
      return `${name(hop.container)} grants it to a process it spawns in ${name(hop.to)}`
  }
}
