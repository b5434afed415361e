/**
 * `sila explore`: bounded explicit-state model checking of the model (tooling.md §3). Planned.
 * @module
 */
import { plannedCommand } from '../command.js'

/** @public */
export const exploreCommand = plannedCommand('explore', 'search the model\'s state space breadth-first for invariant violations', `Usage: sila explore [PRESET | --boot FILE] [options]

Explicit-state search over the model from a preset (cap-core, cap-core-3) or a boot
configuration, within bounds, checking every invariant in every state; --refine
also steps the impl in lockstep; --swarm I/N runs one diversified bounded search.`)
