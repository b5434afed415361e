/**
 * Static authority analysis (issue 16, item 4): for one state, what each
 * **process** could come to hold, through every way kernel.md §2–6 lets a cap
 * move, each fact with one derivation as evidence. It is a take-grant style
 * fixpoint over finite facts, a sound over-approximation: whatever any run from
 * the state makes a process hold is in the closure with rights within one fact's
 * (test/audit/authority-soundness.test.ts checks this against explore).
 *
 * **Entities.** Keys are strings:
 * - an object of the state: its id (`"7"`);
 * - containers created later under existing container N, at any depth, as one
 *   container `"N*"` (it is also the subject's container for what runs there);
 * - objects created later in container K (K = `"N"` or `"N*"`), one symbolic
 *   object per kind and owner: `"region@K"`, `"endpoint@K"`, and `"process@K"`,
 *   every process spawned later into K — which is also a **subject**;
 * - namespace tables: `"ns:ID"` for a table of the state, and `"mount@N*"`,
 *   `"net@N*"`, `"ipc@N*"` for every table a container created under N makes.
 *
 * **Rules** (a subject acts when it is a running process of the state, or a
 * `process@K` that some acting subject may spawn):
 * - *holds*: caps in slots, queued messages and tables are the seed;
 * - *create*: a subject of K creates `region@K` (read, write or execute, control)
 *   and `endpoint@K` (read, write, grant);
 * - *container*: `control` on container T creates `"N*"` (all rights; N is T's
 *   existing ancestor-or-self);
 * - *spawn*: `control` on container T spawns `process@T` (the spawner gets it with
 *   all rights), granting it a cap the spawner holds when some image of the pool
 *   that the kernel would run (a trusted signature, at or above its floor) asks
 *   for that kind (that device), with the rights both have;
 * - *ipc*: `write`+`grant` on endpoint E sends any held cap into E's queue;
 *   `read` on E receives whatever E's queue may hold (`ep_send`, `ep_recv`);
 * - *tables*: any subject of a container looks up its mount table (the entry's
 *   rights) and its net and ipc tables (`write` only); a subject that may change
 *   a table (uid 0 in the user namespace that owns it, host uid 0 if that is an
 *   ancestor of its own) publishes there: any held cap in a mount table, an
 *   endpoint held with `read` in net and ipc. A process of the state is checked
 *   exactly (`mayChangeTable`); a process spawned later into a container may be
 *   uid 0 in the owning user namespace when every uid map from the container's
 *   user namespace up to it has base 0 (the spawner picks the uid), and host uid
 *   0 when every map up to the root has;
 *   the new tables of containers created later are published to freely.
 * Copies (`cap_copy`, `mount` with fewer rights, grants with fewer rights) only
 * shrink rights: a fact stands for every subset of its rights. `cap_move` stays
 * inside one process.
 *
 * **Over-approximated** (sound, not exact): quotas, slot counts, queue depths,
 * the order of events and whether anyone makes the calls are ignored; a spawn
 * may grant what any runnable image asks for (not one image's whole matching),
 * whatever the container's allowed devices; a uid map's count is not checked; every process spawned into one
 * container is one subject, every container created under one existing container
 * one container, and their new tables are one table per kind; revocation,
 * deletion and destruction never take a fact back.
 *
 * **Precise** where it is cheap: rights are kept per fact as the masks seen
 * (those no other beats with more rights and a derivation no longer), not their union, so a region held `read, write` one way and
 * `read, execute` another is not reported as `write, execute`, and sending with
 * a transfer needs one cap with both `write` and `grant`.
 *
 * Rules can be left out (`omit`) to show that the soundness test notices.
 * @module
 */
import type { CapId, NamespaceId, ObjectId, ObjectKind } from '../../spec/ids.js'
import { R_ALL, R_CONTROL, R_EXECUTE, R_GRANT, R_READ, R_WRITE, hasRights, isSubset, rightsMask, rightsNames, type RightName, type RightsMask } from '../../spec/rights.js'
import { isAboveFloor, isSignatureTrusted } from '../../model/objects/processes.js'
import { mayChangeTable, type KernelState } from '../../model/state.js'
import { objectLabel } from './labels.js'
import { within } from '../../properties/user/evaluate.js'

/** The transfer rules, by name (for `omit`). @public */
export const AUTHORITY_RULES = ['create', 'container', 'spawn', 'ipc', 'tables'] as const
/** One transfer rule. @public */
export type AuthorityRule = (typeof AUTHORITY_RULES)[number]

/** Options of {@link authorityClosure}. @public */
export interface ClosureOptions {
  /** Names for the state's objects (see bootLabels). */
  readonly labels?: ReadonlyMap<ObjectId, string>
  /** Rules left out: only for showing that the soundness test notices an unsound closure. */
  readonly omit?: ReadonlyArray<AuthorityRule>
  /**
   * The processes of the state that act (make syscalls); absent: every running
   * one. A system whose init only boots it (explore's presets and declared systems:
   * their actors) is read with init passive; processes spawned later always act.
   */
  readonly acting?: ReadonlyArray<ObjectId>
}

/** One step of a derivation; entity keys as in the module comment, `rights` those the cap has after the step. @public */
export type AuthorityHop =
  | { readonly how: 'holds'; readonly subject: string; readonly slot: number; readonly cap: CapId; readonly rights: ReadonlyArray<RightName> }
  | { readonly how: 'queued'; readonly endpoint: string; readonly seq: number; readonly cap: CapId; readonly rights: ReadonlyArray<RightName> }
  | { readonly how: 'in-table'; readonly table: string; readonly key: string; readonly cap: CapId; readonly rights: ReadonlyArray<RightName> }
  | { readonly how: 'creates'; readonly subject: string; readonly rights: ReadonlyArray<RightName> }
  | { readonly how: 'sends'; readonly subject: string; readonly endpoint: string; readonly rights: ReadonlyArray<RightName> }
  | { readonly how: 'receives'; readonly subject: string; readonly endpoint: string; readonly rights: ReadonlyArray<RightName> }
  | { readonly how: 'publishes'; readonly subject: string; readonly table: string; readonly rights: ReadonlyArray<RightName> }
  | { readonly how: 'looks-up'; readonly subject: string; readonly table: string; readonly rights: ReadonlyArray<RightName> }
  | { readonly how: 'grants'; readonly subject: string; readonly to: string; readonly rights: ReadonlyArray<RightName> }

/** A fact with its evidence: `subject` may come to hold a cap to `object` with `rights`, by `hops` (first step first). @public */
export interface Derivation {
  readonly subject: string
  readonly object: string
  readonly rights: RightsMask
  readonly hops: ReadonlyArray<AuthorityHop>
}

/** Whom a query is about: a process of the state, or every process of a container (see {@link AuthorityClosure.subjectsOf}). @public */
export type SubjectQuery = ObjectId | { readonly container: ObjectId; readonly subtree?: boolean } | { readonly key: string }
/** What a query is about: an object of the state, every object of a kind and/or owner (with `subtree`, of the owner's descendants too), or an entity key. @public */
export type ObjectQuery = ObjectId | { readonly kind?: ObjectKind; readonly owner?: ObjectId; readonly subtree?: boolean } | { readonly key: string }

/** A queue or table where a cap to an object may come to sit. @public */
export interface Placement {
  readonly where: 'queue' | 'table'
  /** The endpoint's entity key, or the table's (`ns:ID`, `mount@N*`, ...). */
  readonly place: string
  /** The container the place counts as in (container key), null when none. */
  readonly container: string | null
  /** How the cap gets there; its `subject` is the place. */
  readonly derivation: Derivation
}

/** Someone who may come to hold a cap to an object. @public */
export interface Holder {
  readonly subject: string
  /** The subject's container (`"N"` or `"N*"`) and the existing container it is in or under. */
  readonly container: string
  readonly existingContainer: ObjectId
  readonly derivation: Derivation
}

interface Entry {
  readonly rights: RightsMask
  readonly hops: ReadonlyArray<AuthorityHop>
}

/**
 * Facts by place (a subject, an endpoint's queue, a table), then by object; per
 * object the entries no other entry beats on both counts (rights ⊇ and a
 * derivation no longer), so that a weaker query gets its shortest evidence.
 */
class Places {
  readonly byPlace = new Map<string, Map<string, Entry[]>>()
  changed = false

  of(place: string): ReadonlyMap<string, ReadonlyArray<Entry>> {
    return this.byPlace.get(place) ?? new Map()
  }

  /** A copy of the place's facts, safe to iterate while adding. */
  list(place: string): Array<[string, Entry]> {
    return [...this.of(place)].flatMap(([object, entries]) => entries.map((entry): [string, Entry] => [object, entry]))
  }

  add(place: string, object: string, rights: RightsMask, hops: ReadonlyArray<AuthorityHop>): void {
    const facts = this.byPlace.get(place) ?? new Map<string, Entry[]>()
    this.byPlace.set(place, facts)
    const entries = facts.get(object) ?? []
    if (entries.some((entry) => isSubset(rights, entry.rights) && entry.hops.length <= hops.length)) return
    facts.set(object, [...entries.filter((entry) => !(isSubset(entry.rights, rights) && entry.hops.length >= hops.length)), { rights, hops }])
    this.changed = true
  }
}

const TABLES = ['mount', 'net', 'ipc'] as const
type TableKind = (typeof TABLES)[number]
const REGION_RIGHTS = [R_READ | R_WRITE | R_CONTROL, R_READ | R_EXECUTE | R_CONTROL]

const names = rightsNames

/** The static closure of one state: queries, labels, and the abstraction of later states onto its entities. @public */
export class AuthorityClosure {
  private readonly holdings = new Places()
  private readonly queues = new Places()
  private readonly tables = new Places()
  private readonly omit: ReadonlySet<AuthorityRule>
  private readonly acting: ReadonlySet<ObjectId> | undefined
  private readonly labels: ReadonlyMap<ObjectId, string>
  /** Containers of the state, in id order. */
  readonly containers: ReadonlyArray<ObjectId>
  /** Rounds the fixpoint took. */
  rounds = 0
  /** What a spawn may grant: the requests of every image in the pool that is trusted and at or above its floor. */
  /** Whether the pool has an image the kernel would run at all. */
  private readonly spawnable: boolean
  private readonly requests: ReadonlyArray<{ readonly kind: ObjectKind; readonly device: string | undefined; readonly rights: RightsMask }>

  constructor(readonly state: KernelState, options: ClosureOptions = {}) {
    this.omit = new Set(options.omit ?? [])
    this.acting = options.acting === undefined ? undefined : new Set(options.acting)
    this.labels = options.labels ?? new Map()
    const runnable = [...state.ksImages.values()].filter((image) => isSignatureTrusted(state, image) && isAboveFloor(state, image))
    this.spawnable = runnable.length > 0
    this.requests = runnable.flatMap((image) => image.manifest.requests.map((request) => ({ kind: request.kind, device: request.device, rights: rightsMask(request.rights) })))
    this.containers = [...state.ksObjects.values()].filter((object) => object.kind === 'container').map((object) => object.id).sort((a, b) => a - b)
    this.seed()
    this.run()
  }

  // ---- entities -------------------------------------------------------------

  /** The existing container a container key is or is under (`"4"`, `"4*"` → 4). */
  private baseOf(container: string): ObjectId {
    return Number.parseInt(container, 10)
  }

  /** The container a subject runs in. */
  containerOf(subject: string): string {
    if (subject.startsWith('process@')) return subject.slice('process@'.length)
    const owner = this.state.ksObjects.get(Number(subject))?.owner
    return owner === undefined || owner === null ? '' : String(owner)
  }

  /** The kind of an entity (`missing` for an id that names nothing live). */
  kindOf(key: string): ObjectKind | 'missing' {
    const at = key.indexOf('@')
    if (at >= 0) return key.slice(0, at) as ObjectKind
    if (key.endsWith('*')) return 'container'
    return this.state.ksObjects.get(Number(key))?.kind ?? 'missing'
  }

  /** The container charged for an entity (a container's is its parent), as a container key; null for the root or a missing object. */
  ownerOf(key: string): string | null {
    const at = key.indexOf('@')
    if (at >= 0) return key.slice(at + 1)
    if (key.endsWith('*')) return key.slice(0, -1)
    const owner = this.state.ksObjects.get(Number(key))?.owner
    return owner === undefined || owner === null ? null : String(owner)
  }

  /** How text names an entity or a table. */
  label(key: string): string {
    if (key.startsWith('ns:')) return `${this.state.ksNamespaces.get(Number(key.slice(3)))?.kind ?? 'missing'} table ${key.slice(3)}`
    const at = key.indexOf('@')
    if (at >= 0) {
      const [kind, container] = [key.slice(0, at), key.slice(at + 1)]
      if ((TABLES as ReadonlyArray<string>).includes(kind)) return `the new ${kind} tables of ${this.label(container)}`
      return kind === 'process' ? `a process spawned later into ${this.label(container)}` : `${kind === 'endpoint' ? 'an' : 'a'} ${kind} created later in ${this.label(container)}`
    }
    if (key.endsWith('*')) return `a container created later under ${this.label(key.slice(0, -1))}`
    return objectLabel(this.state, this.labels, Number(key))
  }

  /** The tables of kind `kind` a subject of container `container` uses. */
  private tablesOf(container: string, kind: TableKind): string[] {
    const existing = this.state.ksObjects.get(this.baseOf(container))
    if (existing?.kind !== 'container') return []
    const own = `ns:${existing.namespaces[kind]}`
    return container.endsWith('*') ? [own, `${kind}@${container}`] : [own]
  }

  /** Whether a subject may change `table`: uid 0 in the user namespace that owns it, host uid 0 if that is an ancestor's. */
  private mayAdminister(subject: string, table: string): boolean {
    if (!table.startsWith('ns:')) return true // a new table of a container created later
    const owner = this.state.ksNamespaces.get(Number(table.slice(3)))?.userNamespace
    if (owner === undefined) return false
    if (!subject.startsWith('process@')) {
      const process = this.state.ksObjects.get(Number(subject))
      if (process?.kind !== 'process') return false
      try {
        return mayChangeTable(this.state, process, owner)
      } catch {
        return false // a broken state (a missing container or namespace): the invariants report it
      }
    }
    const container = this.state.ksObjects.get(this.baseOf(this.containerOf(subject)))
    if (container?.kind !== 'container') return false
    // The spawner picks the uid: 0 maps to 0 in `owner` when every map below it
    // has base 0, and (an ancestor's table) to host uid 0 when every map has.
    let offset = 0
    let reached = false
    for (let at: NamespaceId | null = container.namespaces.user; at !== null;) {
      if (at === owner) {
        if (offset !== 0) return false
        if (at === container.namespaces.user) return true
        reached = true
      }
      const namespace = this.state.ksNamespaces.get(at)
      if (namespace === undefined) return false
      offset += namespace.uidMap.base
      at = namespace.parent
    }
    return reached && offset === 0
  }

  // ---- the fixpoint ---------------------------------------------------------

  private seed(): void {
    for (const cap of this.state.ksCaps.values()) {
      const at = cap.at
      const object = String(cap.object)
      if (at.place === 'slot') {
        const subject = String(at.process)
        this.holdings.add(subject, object, cap.rights, [{ how: 'holds', subject, slot: at.slot, cap: cap.id, rights: names(cap.rights) }])
      } else if (at.place === 'message') {
        this.queues.add(String(at.endpoint), object, cap.rights, [{ how: 'queued', endpoint: String(at.endpoint), seq: at.seq, cap: cap.id, rights: names(cap.rights) }])
      } else {
        this.tables.add(`ns:${at.namespace}`, object, cap.rights, [{ how: 'in-table', table: `ns:${at.namespace}`, key: at.key, cap: cap.id, rights: names(cap.rights) }])
      }
    }
  }

  /** Running processes of the state, and `process@T` for every T some acting subject may hold with `control`. */
  private actingSubjects(): string[] {
    const acting = [...this.state.ksObjects.values()].filter((object) => object.kind === 'process' && object.status === 'running' && (this.acting === undefined || this.acting.has(object.id))).map((object) => String(object.id))
    if (this.omit.has('spawn') || !this.spawnable) return acting
    for (let index = 0; index < acting.length; index++) {
      for (const [object, entries] of this.holdings.of(acting[index]!)) {
        const spawned = `process@${object}`
        if (this.kindOf(object) === 'container' && entries.some((entry) => hasRights(entry.rights, R_CONTROL)) && !acting.includes(spawned)) acting.push(spawned)
      }
    }
    return acting
  }

  private run(): void {
    do {
      this.rounds++
      this.holdings.changed = this.queues.changed = this.tables.changed = false
      for (const subject of this.actingSubjects()) {
        const container = this.containerOf(subject)
        if (container === '') continue
        if (!this.omit.has('create')) this.createRule(subject, container)
        for (const [object, entry] of this.holdings.list(subject)) {
          const kind = this.kindOf(object)
          if (kind === 'container' && hasRights(entry.rights, R_CONTROL)) this.controlRules(subject, object, entry.hops)
          if (kind === 'endpoint' && !this.omit.has('ipc')) this.ipcRules(subject, object, entry.rights)
        }
        if (!this.omit.has('tables')) this.tableRules(subject, container)
      }
    } while (this.holdings.changed || this.queues.changed || this.tables.changed)
  }

  private createRule(subject: string, container: string): void {
    for (const rights of REGION_RIGHTS) this.holdings.add(subject, `region@${container}`, rights, [{ how: 'creates', subject, rights: names(rights) }])
    const endpoint = R_READ | R_WRITE | R_GRANT
    this.holdings.add(subject, `endpoint@${container}`, endpoint, [{ how: 'creates', subject, rights: names(endpoint) }])
  }

  /**
   * `control` on container `target` (held by `control`'s hops): create containers
   * under it, spawn into it granting what the subject holds. What is created is
   * derived from how the subject came to control the container.
   */
  private controlRules(subject: string, target: string, control: ReadonlyArray<AuthorityHop>): void {
    const all = names(R_ALL)
    if (!this.omit.has('container')) this.holdings.add(subject, `${this.baseOf(target)}*`, R_ALL, [...control, { how: 'creates', subject, rights: all }])
    if (this.omit.has('spawn')) return
    if (!this.spawnable) return // no image in the pool can be spawned
    const spawned = `process@${target}`
    this.holdings.add(subject, spawned, R_ALL, [...control, { how: 'creates', subject, rights: all }])
    for (const [object, held] of this.holdings.list(subject)) {
      for (const request of this.requests) {
        if (request.kind !== this.kindOf(object) || (request.device !== undefined && request.device !== this.deviceName(object))) continue
        const rights = held.rights & request.rights
        this.holdings.add(spawned, object, rights, [...held.hops, { how: 'grants', subject, to: spawned, rights: names(rights) }])
      }
    }
  }

  private deviceName(object: string): string | null {
    const found = this.state.ksObjects.get(Number(object))
    return found?.kind === 'device' ? found.name : null
  }

  private ipcRules(subject: string, endpoint: string, rights: RightsMask): void {
    if (hasRights(rights, R_READ)) {
      for (const [object, queued] of this.queues.list(endpoint)) {
        this.holdings.add(subject, object, queued.rights, [...queued.hops, { how: 'receives', subject, endpoint, rights: names(queued.rights) }])
      }
    }
    if (hasRights(rights, R_WRITE | R_GRANT)) {
      for (const [object, held] of this.holdings.list(subject)) {
        this.queues.add(endpoint, object, held.rights, [...held.hops, { how: 'sends', subject, endpoint, rights: names(held.rights) }])
      }
    }
  }

  private tableRules(subject: string, container: string): void {
    for (const kind of TABLES) {
      for (const table of this.tablesOf(container, kind)) {
        for (const [object, entry] of this.tables.list(table)) {
          const rights = kind === 'mount' ? entry.rights : entry.rights & R_WRITE
          this.holdings.add(subject, object, rights, [...entry.hops, { how: 'looks-up', subject, table, rights: names(rights) }])
        }
        if (!this.mayAdminister(subject, table)) continue
        for (const [object, held] of this.holdings.list(subject)) {
          if (kind !== 'mount' && (this.kindOf(object) !== 'endpoint' || !hasRights(held.rights, R_READ))) continue
          this.tables.add(table, object, held.rights, [...held.hops, { how: 'publishes', subject, table, rights: names(held.rights) }])
        }
      }
    }
  }

  // ---- queries --------------------------------------------------------------

  /** Every subject with facts: processes of the state, then processes spawned later. */
  subjects(): string[] {
    const keys = [...this.holdings.byPlace.keys()]
    const existing = keys.filter((key) => !key.startsWith('process@')).sort((a, b) => Number(a) - Number(b))
    return [...existing, ...keys.filter((key) => key.startsWith('process@')).sort()]
  }

  /** The subjects a query names: a process; or a container's processes of the state, those spawned into it later, and those of containers created under it later (with `subtree`, of its descendants' too). */
  subjectsOf(query: SubjectQuery): string[] {
    if (typeof query === 'number') return [String(query)]
    if ('key' in query) return [query.key]
    const containers = new Set([query.container])
    if (query.subtree === true) {
      for (let grew = true; grew;) {
        grew = false
        for (const object of this.state.ksObjects.values()) {
          if (object.kind === 'container' && object.parent !== null && containers.has(object.parent) && !containers.has(object.id)) { containers.add(object.id); grew = true }
        }
      }
    }
    const found: string[] = []
    for (const object of this.state.ksObjects.values()) if (object.kind === 'process' && object.owner !== null && containers.has(object.owner)) found.push(String(object.id))
    for (const container of containers) found.push(`process@${container}`, `process@${container}*`)
    return found
  }

  /** Whether an entity matches an object query (an owner matches the containers created under it later too). */
  private matches(key: string, query: ObjectQuery): boolean {
    if (typeof query === 'number') return key === String(query)
    if ('key' in query) return key === query.key
    if (query.kind !== undefined && this.kindOf(key) !== query.kind) return false
    if (query.owner === undefined) return true
    const owner = this.ownerOf(key)
    if (query.subtree === true) return this.inside(owner, query.owner)
    return owner === String(query.owner) || owner === `${query.owner}*`
  }

  /** The derivation of the shortest fact that `subject` may hold `object` with at least `rights`, if any. */
  fact(subject: string, object: string, rights: RightsMask): Derivation | null {
    const entries = this.holdings.of(subject).get(object) ?? []
    let best: Entry | null = null
    for (const entry of entries) if (isSubset(rights, entry.rights) && (best === null || entry.hops.length < best.hops.length)) best = entry
    return best === null ? null : { subject, object, rights: best.rights, hops: best.hops }
  }

  /** Every fact: per subject and object, each rights mask kept with its derivation. */
  facts(): Derivation[] {
    return this.subjects().flatMap((subject) => [...this.holdings.of(subject)].flatMap(([object, entries]) => entries.map((entry) => ({ subject, object, rights: entry.rights, hops: entry.hops }))))
  }

  /**
   * May the process (or any process of the container) come to hold a cap to the
   * object (or to any object matching) with at least `rights`? The shortest
   * derivation found, or null when no run from the state can do it.
   */
  mayHold(process: SubjectQuery, object: ObjectQuery, rights: RightsMask = 0): Derivation | null {
    let best: Derivation | null = null
    for (const subject of this.subjectsOf(process)) {
      for (const key of this.holdings.of(subject).keys()) {
        if (!this.matches(key, object)) continue
        const found = this.fact(subject, key, rights)
        if (found !== null && (best === null || found.hops.length < best.hops.length)) best = found
      }
    }
    return best
  }

  /**
   * Where else than in a slot a cap to the object (or to any object matching) with
   * at least `rights` may come to sit: endpoint queues and namespace tables, each
   * place with its shortest derivation and the container it counts as in (a
   * queue's endpoint's owner, a table's creator; null when it has none).
   */
  placements(object: ObjectQuery, rights: RightsMask = 0): Placement[] {
    const found: Placement[] = []
    for (const [where, places] of [['queue', this.queues], ['table', this.tables]] as const) {
      for (const [place, facts] of places.byPlace) {
        let best: Derivation | null = null
        for (const [key, entries] of facts) {
          if (!this.matches(key, object)) continue
          for (const entry of entries) {
            if (isSubset(rights, entry.rights) && (best === null || entry.hops.length < best.hops.length)) best = { subject: place, object: key, rights: entry.rights, hops: entry.hops }
          }
        }
        if (best !== null) found.push({ where, place, container: where === 'queue' ? this.ownerOf(place) : this.tableContainer(place), derivation: best })
      }
    }
    return found
  }

  /** The container a table counts as in: its namespace's creator, or the container created later that makes it. */
  private tableContainer(table: string): string | null {
    if (!table.startsWith('ns:')) return table.slice(table.indexOf('@') + 1)
    const creator = this.state.ksNamespaces.get(Number(table.slice(3)))?.creator
    return creator === undefined || creator === null ? null : String(creator)
  }

  /** Is container key `container` (`"N"` or `"N*"`) container `top` or nested in it? A container created later under N is inside `top` when N is. */
  inside(container: string | null, top: ObjectId): boolean {
    return container !== null && container !== '' && within(this.state, this.baseOf(container), top)
  }

  /** Every subject that may come to hold a cap to the object (or to any object matching) with at least `rights`, with its shortest derivation. */
  holders(object: ObjectQuery, rights: RightsMask = 0): Holder[] {
    return this.subjects().flatMap((subject) => {
      const found = this.mayHold({ key: subject }, object, rights)
      if (found === null) return []
      const container = this.containerOf(subject)
      return [{ subject, container, existingContainer: this.baseOf(container), derivation: found }]
    })
  }

  /**
   * The entity of this closure that object `id` of `later` (a state reached from
   * this one) is: itself if it existed here, else its symbolic object (for a
   * container, `"N*"` with N its nearest ancestor that existed here).
   */
  locate(later: KernelState, id: ObjectId): string {
    if (this.state.ksObjects.has(id)) return String(id)
    const object = later.ksObjects.get(id)
    if (object === undefined) return String(id)
    if (object.kind === 'container') return this.locateContainer(later, id)
    return `${object.kind}@${this.locateContainer(later, object.owner ?? id)}`
  }

  private locateContainer(later: KernelState, id: ObjectId): string {
    if (this.state.ksObjects.has(id)) return String(id)
    for (let at = later.ksObjects.get(id); at?.kind === 'container' && at.parent !== null; at = later.ksObjects.get(at.parent)) {
      if (this.state.ksObjects.has(at.parent)) return `${at.parent}*`
    }
    return `${id}*`
  }
}

/** The processes of `state` that a system's actors (creation indexes) name, for {@link ClosureOptions.acting}. @public */
export function actorProcesses(actors: ReadonlyArray<number>, state: KernelState): ObjectId[] {
  return actors.flatMap((ref) => { const id = state.ksProcessRefs[ref]; return id === undefined ? [] : [id] })
}

/** The static authority closure of `state` (see the module comment). @public */
export function authorityClosure(state: KernelState, options: ClosureOptions = {}): AuthorityClosure {
  return new AuthorityClosure(state, options)
}

function rightsText(rights: ReadonlyArray<RightName>): string {
  return `[${rights.join(',')}]`
}

/** One hop as words. @public */
export function authorityHopText(hop: AuthorityHop, label: (key: string) => string): string {
  const rights = rightsText(hop.rights)
  switch (hop.how) {
    case 'holds':
      return `${label(hop.subject)} holds it${rights} (slot ${hop.slot})`
    case 'queued':
      return `it is queued${rights} on ${label(hop.endpoint)}`
    case 'in-table':
      return `it is in ${label(hop.table)} at ${JSON.stringify(hop.key)}${rights}`
    case 'creates':
      return `${label(hop.subject)} creates it${rights}`
    case 'sends':
      return `${label(hop.subject)} sends it${rights} on ${label(hop.endpoint)}`
    case 'receives':
      return `${label(hop.subject)} receives it${rights} from ${label(hop.endpoint)}`
    case 'publishes':
      return `${label(hop.subject)} publishes it${rights} in ${label(hop.table)}`
    case 'looks-up':
      return `${label(hop.subject)} looks it up${rights} in ${label(hop.table)}`
    case 'grants':
      return `${label(hop.subject)} grants it${rights} to ${label(hop.to)}`
  }
}

/** A derivation on one line: `process 4 "pB" may hold region 9 [read,write]: … → … → …`. @public */
export function derivationText(closure: AuthorityClosure, derivation: Derivation): string {
  const label = (key: string) => closure.label(key)
  return `${label(derivation.subject)} may hold ${label(derivation.object)} ${rightsText(names(derivation.rights))}: ${derivation.hops.map((hop) => authorityHopText(hop, label)).join(' → ')}`
}

/** One thing a subject may come to hold beyond its caps now, for reports. @public */
export interface AuthorityGain {
  readonly object: string
  readonly label: string
  readonly rights: ReadonlyArray<RightName>
  /** The derivation on one line. */
  readonly text: string
  readonly hops: ReadonlyArray<AuthorityHop>
}

/** What one subject may come to hold beyond what it holds now. @public */
export interface SubjectAuthority {
  readonly subject: string
  readonly label: string
  readonly container: string
  readonly gains: ReadonlyArray<AuthorityGain>
}

/** The static authority section of an audit (`sila audit --authority`). @public */
export interface AuthoritySection {
  /** Facts in the closure, and the rounds its fixpoint took. */
  readonly facts: number
  readonly rounds: number
  readonly subjects: ReadonlyArray<SubjectAuthority>
}

/**
 * Per subject (the state's processes, then the processes that may be spawned
 * later), every fact of the closure that no cap it holds now already gives.
 * @public
 */
export function authoritySection(closure: AuthorityClosure): AuthoritySection {
  const held = new Map<string, RightsMask[]>()
  for (const cap of closure.state.ksCaps.values()) {
    if (cap.at.place !== 'slot') continue
    const key = `${cap.at.process}|${cap.object}`
    held.set(key, [...(held.get(key) ?? []), cap.rights])
  }
  const facts = closure.facts()
  const subjects = closure.subjects().map((subject): SubjectAuthority => {
    const gains = facts
      .filter((fact) => fact.subject === subject && !(held.get(`${subject}|${fact.object}`) ?? []).some((rights) => isSubset(fact.rights, rights)))
      .map((fact) => ({ object: fact.object, label: closure.label(fact.object), rights: names(fact.rights), text: derivationText(closure, fact), hops: fact.hops }))
    return { subject, label: closure.label(subject), container: closure.containerOf(subject), gains }
  })
  return { facts: facts.length, rounds: closure.rounds, subjects }
}
