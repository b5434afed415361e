/**
 * User properties in `sila explore` (`--props FILE`, `--invariant NAME`): what a
 * search checks besides the catalogue, evaluated on every NEW distinct state
 * (a state seen before was evaluated then), so that breadth first the first state
 * found breaking an `always` property, or satisfying a `sometimes` one, is at the
 * least depth: a shortest trace.
 *
 * - `always`: a state breaking it ends the search with a counterexample like a
 *   catalogue invariant's, named by the property and carrying its sentence.
 * - `sometimes`: the first state satisfying it gives a witness (its path kept) and
 *   the property is not evaluated again; the search goes on. One never satisfied
 *   is, at the end, a vacuity warning: "not reached within depth N / S states" —
 *   or "unreachable" when the search was exhaustive.
 *
 * The model engine evaluates each property's own test on its states. The general
 * engine (which steps the impl) decides the properties of a `sila-props/1` file on
 * the impl's tables (impl-props.ts) and abstracts only the states that hit, for
 * the witness; properties written in code read the abstraction of every new state.
 *
 * Worker threads cannot receive functions: a search carries where its properties
 * came from ({@link CheckedSource}) and each thread loads them again.
 * @module
 */
import type { StepWatch } from './step-watch.js'
import { INVARIANT_IDS, type InvariantId } from '../../spec/invariants/types.js'
import type { Preset } from '../../spec/presets.js'
import type { KernelState } from '../../model/state.js'
import { bootNamed } from '../../model/boot.js'
import type { UserProperty } from '../../properties/user/define.js'
import type { Witness } from '../../properties/user/evaluate.js'
import { planOf } from '../../properties/user/resolve.js'
import { announcedProperties, loadProps, selectInvariants } from '../props-input.js'
import { compileImplTest, type ImplTest, type PropsKernel } from './impl-props.js'

/** Where a search's properties come from: the `--props` file (as given) and the `--invariant` names. */
export interface CheckedSource {
  readonly props?: string
  readonly invariants: ReadonlyArray<string>
}

/** What a search checks: the catalogue invariants chosen, the user properties, and where they came from. */
export interface Checked {
  readonly catalogue: ReadonlyArray<InvariantId>
  readonly user: ReadonlyArray<UserProperty>
  readonly source: CheckedSource
}

/** The properties of `source` for the system of `preset`; a file or name that cannot be used is refused (an `InputError` or `UsageError`: exit 2). */
export async function loadChecked(source: CheckedSource, preset: Preset): Promise<Checked> {
  const user = source.props === undefined ? [] : await loadProps(source.props, bootNamed(preset.boot, preset.images))
  const selection = selectInvariants(source.invariants, user, 'explore')
  return { catalogue: selection.catalogue, user: selection.user, source }
}

/** Does `checked` leave out some of the catalogue? */
export function narrowsCatalogue(checked: Checked | undefined): boolean {
  return checked !== undefined && checked.catalogue.length < INVARIANT_IDS.length
}

/** A property's verdict at the end of a search. */
export interface PropertyVerdict {
  readonly name: string
  readonly says: string
  readonly kind: 'always' | 'sometimes'
  /**
   * `held` (an always, within the bounds or everywhere when complete), `violated`,
   * `witnessed` (a sometimes found), `vacuous` (a sometimes not found within the
   * bounds: not a pass), `unreachable` (a sometimes not found by an exhaustive search).
   */
  readonly status: 'held' | 'violated' | 'witnessed' | 'vacuous' | 'unreachable'
  /** The witness's sentence, or why a sometimes is vacuous. */
  readonly message: string
  /** A sometimes found: the witness's own sentence, its detail, and a shortest path to it (breadth first; a swarm job's path is not shortest). */
  readonly witnessMessage?: string
  readonly witness?: unknown
  readonly path?: ReadonlyArray<unknown>
}

/** A state that breaks an `always` property or satisfies a `sometimes` one. */
export interface PropertyHit {
  readonly property: UserProperty
  readonly witness: Witness
}

/** What one evaluation found: the always property broken (the first, in file order) and the sometimes ones found. */
export interface Hits {
  readonly violated: PropertyHit | null
  readonly found: ReadonlyArray<PropertyHit>
}

interface Watched {
  readonly property: UserProperty
  readonly impl: ImplTest | null
}

/**
 * `user` with each property written in code (a module's) telling `lane` while
 * its `test` runs, so that one that never returns is the watchdog's stall
 * (step-watch.ts) with the state it was asked of ({@link announcedProperties}).
 */
export function watchedProperties(user: ReadonlyArray<UserProperty>, lane: StepWatch): UserProperty[] {
  return announcedProperties(user, lane)
}

/**
 * The user properties of one search (one thread): evaluates them on new states
 * and remembers which `sometimes` are still looked for.
 */
export class PropertyWatch {
  private readonly always: ReadonlyArray<Watched>
  private sometimes: Watched[]
  /** Sometimes properties found, by name: the witness and the path (the engine's actions). */
  readonly witnessed = new Map<string, { readonly witness: Witness; readonly path: ReadonlyArray<unknown> }>()

  constructor(readonly user: ReadonlyArray<UserProperty>) {
    const watched = user.map((property): Watched => {
      const plan = planOf(property)
      return { property, impl: plan === undefined ? null : compileImplTest(plan) }
    })
    this.always = watched.filter((w) => w.property.kind === 'always')
    this.sometimes = watched.filter((w) => w.property.kind === 'sometimes')
  }

  /** Is there anything left to evaluate? */
  get idle(): boolean {
    return this.always.length === 0 && this.sometimes.length === 0
  }

  /** Evaluates a new model state (the model engine). */
  checkModel(state: KernelState): Hits | null {
    if (this.idle) return null
    let violated: PropertyHit | null = null
    for (const { property } of this.always) {
      const witness = property.test(state)
      if (witness !== null) { violated = { property, witness }; break }
    }
    let found: PropertyHit[] | null = null
    for (const { property } of this.sometimes) {
      const witness = property.test(state)
      if (witness !== null) (found ??= []).push({ property, witness })
    }
    return this.hits(violated, found)
  }

  /**
   * Evaluates a new impl state (the general engine): compiled evaluators on the
   * tables; the abstraction (`abstract`, made at most once here) for properties in
   * code and for the witness of a hit.
   */
  checkImpl(kernel: PropsKernel, abstract: () => KernelState): Hits | null {
    if (this.idle) return null
    this.model = null
    let violated: PropertyHit | null = null
    for (const watched of this.always) {
      const witness = this.implTest(watched, kernel, abstract)
      if (witness !== null) { violated = { property: watched.property, witness }; break }
    }
    let found: PropertyHit[] | null = null
    for (const watched of this.sometimes) {
      const witness = this.implTest(watched, kernel, abstract)
      if (witness !== null) (found ??= []).push({ property: watched.property, witness })
    }
    this.model = null
    return this.hits(violated, found)
  }

  /** The abstraction of the state {@link checkImpl} is evaluating, once made. */
  private model: KernelState | null = null

  /** One property on an impl state: its compiled evaluator first; the abstraction only when it hits (or has none). */
  private implTest(watched: Watched, kernel: PropsKernel, abstract: () => KernelState): Witness | null {
    if (watched.impl !== null && !watched.impl(kernel)) return null
    this.model ??= abstract()
    const witness = watched.property.test(this.model)
    if (witness === null && watched.impl !== null) {
      throw new Error(`KernelBug: the compiled evaluator of property ${JSON.stringify(watched.property.name)} disagrees with its test on the model state`)
    }
    return witness
  }

  private hits(violated: PropertyHit | null, found: PropertyHit[] | null): Hits | null {
    if (violated === null && found === null) return null
    return { violated, found: found ?? [] }
  }

  /** Records a sometimes property found (at `path`); it is not evaluated again. */
  witness(hit: PropertyHit, path: ReadonlyArray<unknown>): void {
    if (this.witnessed.has(hit.property.name)) return
    this.witnessed.set(hit.property.name, { witness: hit.witness, path })
    this.forget([hit.property.name])
  }

  /** Stops looking for these sometimes properties (another thread found them). */
  forget(names: ReadonlyArray<string>): void {
    this.sometimes = this.sometimes.filter((w) => !names.includes(w.property.name))
  }
}

/** How far a search went, for a vacuity warning. */
export interface SearchExtent {
  readonly complete: boolean
  readonly depth: number
  readonly distinct: number
  /** The always property that stopped the search, if one did. */
  readonly violated: string | null
  /** Stopped by an interrupt (Ctrl-C). */
  readonly interrupted: boolean
  /** A swarm job: depth first, witnesses not shortest. */
  readonly swarm: boolean
}

const steps = (count: number) => `${count} step${count === 1 ? '' : 's'}`

/** The verdict of every user property of a search, in file order. */
export function verdicts(user: ReadonlyArray<UserProperty>, witnessed: ReadonlyMap<string, { readonly witness: Witness; readonly path: ReadonlyArray<unknown> }>, extent: SearchExtent): PropertyVerdict[] {
  const bounds = `${extent.distinct.toLocaleString('en')} states`
  return user.map((property): PropertyVerdict => {
    const base = { name: property.name, says: property.says, kind: property.kind }
    if (property.kind === 'always') {
      if (extent.violated === property.name) return { ...base, status: 'violated', message: 'a shortest counterexample follows' }
      const message = extent.complete ? 'holds in every reachable state'
        : extent.violated !== null ? `not broken in the ${bounds} searched before ${extent.violated} stopped the search (depth ${extent.depth} complete); run with --invariant ${property.name} to search on`
          : `held within depth ${extent.depth} / ${bounds}`
      return { ...base, status: 'held', message }
    }
    const found = witnessed.get(property.name)
    if (found !== undefined) {
      const shortest = extent.swarm ? '' : ' (a shortest path)'
      return { ...base, status: 'witnessed', message: `${found.witness.message}; after ${steps(found.path.length)}${shortest}`, witnessMessage: found.witness.message, witness: found.witness.detail, path: found.path }
    }
    if (extent.complete) return { ...base, status: 'unreachable', message: 'no reachable state satisfies it (the search was exhaustive)' }
    const why = extent.violated !== null ? `not reached before ${extent.violated} stopped the search (depth ${extent.depth}, ${bounds})`
      : extent.interrupted ? `not reached before the search was interrupted (depth ${extent.depth}, ${bounds})` : `not reached within depth ${extent.depth} / ${bounds}`
    return { ...base, status: 'vacuous', message: `${why}: this is not a pass` }
  })
}
