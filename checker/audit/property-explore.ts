/**
 * The explored column of `sila audit --props --depth N`: a bounded breadth-first
 * explore of the audited system from its boot state, so that what the static
 * closure says a run *may* do (property-static.ts) stands beside what the search
 * found within N steps. Each `always` property gets a search of its own (explore
 * stops at the first violation, and one property's must not hide another's); the
 * `sometimes` properties share one. The catalogue is left out: the audit's
 * invariant section covers it, and `sila explore` checks it along the way.
 * @module
 */
import type { Preset } from '../../spec/presets.js'
import type { UserProperty } from '../../properties/user/define.js'
import { exploreInWorker } from '../explore/run.js'
import type { ExploreResult } from '../explore/search.js'
import type { CheckedSource } from '../explore/props.js'
import { KernelModuleError } from '../user-module.js'
import { syscallText } from '../stepText.js'
import type { ExploredVerdict } from './properties.js'

/** Bounds of the search. */
export interface ExploreBounds {
  readonly depth: number
  /** Stop a search after this many distinct states (each search on its own). */
  readonly statesMax?: number
  /** A property (or kernel call) that has not returned for this long stops the search, and the audit refuses the property. */
  readonly stepTimeoutMs: number
}

/**
 * One bounded search for `user` (properties of `source.props`), on a watched
 * worker thread as `sila explore` runs it: a property in code that does not
 * return is refused (a KernelModuleError naming it and the state), as one that
 * throws is.
 */
async function search(preset: Preset, user: ReadonlyArray<UserProperty>, source: CheckedSource, bounds: ExploreBounds): Promise<ExploreResult> {
  const running = exploreInWorker({
    options: { preset, depthMax: bounds.depth, ...(bounds.statesMax === undefined ? {} : { statesMax: bounds.statesMax }) },
    engine: 'auto',
    // Those properties alone: the catalogue is the audit's invariant section.
    checked: { ...(source.props === undefined ? {} : { props: source.props }), invariants: user.map((property) => property.name) },
    stepTimeoutMs: bounds.stepTimeoutMs,
  }, () => {})
  const result = await running.result
  const violation = result.violation
  if (violation?.stalledProperty !== undefined) {
    // The state it was asked of: the one the shortest path reaches.
    const last = violation.path.length - 1
    const state = last < 0 ? 'the boot state' : `the state after step ${last} (${syscallText(violation.path[last])})`
    throw new KernelModuleError(source.props ?? 'the props file', `the check of property ${JSON.stringify(violation.stalledProperty)} did not return within ${(bounds.stepTimeoutMs / 1000).toLocaleString('en')} s asked of ${state} (--step-timeout), in the search of --depth`)
  }
  return result
}

function verdictOf(result: ExploreResult, name: string): ExploredVerdict {
  const found = result.properties?.find((verdict) => verdict.name === name)
  const extent = { depth: result.depth, distinct: result.distinct, complete: result.complete }
  // The general engine gives a verdict for every property it was handed.
  if (found === undefined) throw new Error(`KernelBug: the search gave no verdict for ${name}`)
  if (found.status === 'violated') {
    const steps = result.violation?.path.length ?? 0
    return { status: 'violated', message: `violated after ${steps} step${steps === 1 ? '' : 's'} (a shortest path): ${result.violation?.message ?? ''}`, steps, ...extent }
  }
  return { status: found.status, message: found.message, ...(found.path === undefined ? {} : { steps: found.path.length }), ...extent }
}

/**
 * Each property's verdict from bounded explores of `preset` (by name). `source`
 * names the props file for the searches' workers and traces.
 */
export async function exploreProperties(preset: Preset, properties: ReadonlyArray<UserProperty>, source: CheckedSource, bounds: ExploreBounds): Promise<Map<string, ExploredVerdict>> {
  const verdicts = new Map<string, ExploredVerdict>()
  for (const property of properties.filter((p) => p.kind === 'always')) {
    verdicts.set(property.name, verdictOf(await search(preset, [property], source, bounds), property.name))
  }
  const sometimes = properties.filter((p) => p.kind === 'sometimes')
  if (sometimes.length > 0) {
    const result = await search(preset, sometimes, source, bounds)
    for (const property of sometimes) verdicts.set(property.name, verdictOf(result, property.name))
  }
  return verdicts
}
