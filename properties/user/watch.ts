/**
 * The user's properties in a property suite (`sila check --props FILE`): a
 * {@link UserHook} the suites call on every model state they reach. An `always`
 * property that a state breaks fails the scenario like a catalogue invariant (its
 * name is the failure's `invariant`, its sentence `says`), so fast-check and
 * `minimize` shrink it the same way. A `sometimes` property is looked for in every
 * generated run: the runs that reach a good state are counted, and the first is
 * kept to be shrunk into a witness (a scenario whose last state is a good one).
 * @module
 */
import type { KernelState } from '../../model/state.js'
import type { SuiteFailure, UserHook } from '../suite.js'
import type { UserProperty } from './define.js'

/** What one suite found out about one user property. @public */
export interface UserPropertyTally {
  readonly name: string
  readonly says: string
  readonly kind: 'always' | 'sometimes'
  /** Model states the property was asked of (generated runs, not shrinking). */
  readonly states: number
  /** `sometimes`: generated runs that reached a good state. */
  readonly runsReached: number
}

/** A property's failure at `step`: its name, its sentence, and the witness. */
export function propertyFailure(property: UserProperty, step: number, witness: { message: string; detail: unknown }): SuiteFailure {
  return { step, invariant: property.name, says: property.says, message: witness.message, witness: witness.detail }
}

/** A hook failing the first state where `property` (a `sometimes`) is satisfied: for shrinking its witness. */
export function reachHook(property: UserProperty): UserHook {
  return (state, step) => {
    const witness = property.test(state)
    return witness === null ? null : propertyFailure(property, step, witness)
  }
}

/** The user's properties over one suite's runs. */
export class PropertyWatch {
  private readonly always: ReadonlyArray<UserProperty>
  private readonly sometimes: ReadonlyArray<UserProperty>
  private states = 0
  private readonly reached = new Map<string, number>()
  private readonly reachedNow = new Map<string, number>()
  /** The first run that reached each `sometimes`: its scenario and the step (-1: the boot state). */
  readonly firstReached = new Map<string, { scenario: unknown[]; step: number }>()

  constructor(readonly properties: ReadonlyArray<UserProperty>) {
    this.always = properties.filter((p) => p.kind === 'always')
    this.sometimes = properties.filter((p) => p.kind === 'sometimes')
  }

  /** While shrinking: the `always` properties only, nothing counted. */
  readonly quiet: UserHook = (state, step) => this.brokenAlways(state, step)

  /** In a generated run: the `always` properties, and each `sometimes` not yet reached in this run. */
  readonly live: UserHook = (state: KernelState, step: number) => {
    this.states++
    for (const property of this.sometimes) {
      if (!this.reachedNow.has(property.name) && property.test(state) !== null) this.reachedNow.set(property.name, step)
    }
    return this.brokenAlways(state, step)
  }

  private brokenAlways(state: KernelState, step: number): SuiteFailure | null {
    for (const property of this.always) {
      const witness = property.test(state)
      if (witness !== null) return propertyFailure(property, step, witness)
    }
    return null
  }

  /** After a generated run of `scenario`. */
  endRun(scenario: ReadonlyArray<unknown>): void {
    for (const [name, step] of this.reachedNow) {
      this.reached.set(name, (this.reached.get(name) ?? 0) + 1)
      if (!this.firstReached.has(name)) this.firstReached.set(name, { scenario: [...scenario], step })
    }
    this.reachedNow.clear()
  }

  /** Each property's counts, in the order given. */
  tallies(): UserPropertyTally[] {
    return this.properties.map((p) => ({ name: p.name, says: p.says, kind: p.kind, states: this.states, runsReached: p.kind === 'sometimes' ? this.reached.get(p.name) ?? 0 : 0 }))
  }
}
