/**
 * The general engine on several cores (`sila explore --workers N`), on the
 * shared parallel driver (parallel.ts) with the discoverer expanding: the
 * worker that finds a new state expands it at the next level, and the state's
 * owner (by fingerprint) only says whether it is new. A batch carries the
 * candidates' paths and fingerprints. So a state's successors stay on one
 * worker, as on one core: they share their path and many of their successors.
 * A worker done with its frontier takes chunks of the others' (parallel.ts).
 * The worker that takes a transition checks its step invariants (every
 * transition, into a new state or not) and, when the successor is new to it
 * (its own and unseen, or sent for the first time), its state invariants. The
 * result is the sequential search's: the same distinct states, transitions and
 * depth (a test compares them), and a counterexample of the same, shortest,
 * length.
 * @module
 */
import type { Preset } from '../../spec/presets.js'
import { presetActions } from './actions.js'
import { comparePaths, exploreParallel } from './parallel.js'
import type { ExploreOptions, ExploreResult } from './search.js'
import type { CheckedSource } from './props.js'

/** Successors of a level for one owner: their paths (back to back) and fingerprints. */
export interface Batch {
  readonly paths: ArrayBuffer
  readonly fingerprints: ArrayBuffer
  readonly size: number
}

/** How a worker tells a violation: the invariant, and the path to it (action indexes). */
export interface PathViolation {
  readonly invariant: string
  readonly message: string
  readonly witness: unknown
  /** A user property's sentence, when the violation is one. */
  readonly says?: string
  readonly path: number[]
}

/** What a worker is started with. */
export interface WorkerSetup {
  readonly preset: Preset
  readonly index: number
  readonly count: number
  /** Set to 1 by the coordinator to stop (a time limit, Ctrl-C). */
  readonly stop: SharedArrayBuffer
  /** A kernel target's name (checker/targets.ts), for an impl mutant; the impl when absent. */
  readonly kernel?: string
  /** The `--props` file and `--invariant` names, loaded again by each worker. */
  readonly checked?: CheckedSource
  /** `--refine`: every action tried is stepped on the model too (REF-1 on the kernel searched). */
  readonly refine?: boolean
  /** Tests: 32-bit paths whatever the alphabet's size (general.ts: PathArray). */
  readonly widePaths?: boolean
  /** `--step-timeout`: the watchdog's memory (step-watch.ts), of which this worker writes lane `index`. */
  readonly watch?: SharedArrayBuffer
}

/** Exhaustive (or depth-, state- or time-bounded) breadth-first search with the general engine on `workers` threads. */
export function exploreGeneralParallel(options: ExploreOptions & { readonly workers: number; readonly kernelName?: string; readonly widePaths?: boolean }): Promise<ExploreResult> {
  // As each worker's expander: --refine also steps a declared system's reading syscalls.
  const actions = presetActions(options.preset, { readers: options.refine !== undefined })
  // --refine checks the kernel searched: the impl, or the impl mutant it names.
  const kernelName = options.kernelName ?? (options.refine !== undefined && options.refine.name !== 'impl' ? options.refine.name : undefined)
  return exploreParallel<Batch, PathViolation>(options, {
    name: 'general',
    discoverer: true,
    actions,
    script: new URL('./general-worker.js', import.meta.url),
    setup: (index, count, stop): WorkerSetup => ({
      preset: options.preset, index, count, stop, ...(kernelName === undefined ? {} : { kernel: kernelName }),
      ...(options.refine === undefined ? {} : { refine: true }),
      ...(options.widePaths === true ? { widePaths: true } : {}),
      ...(options.watch === undefined ? {} : { watch: options.watch }),
      ...(options.checked === undefined ? {} : { checked: options.checked.source }),
    }),
    transfer: (batch) => [batch.paths, batch.fingerprints],
    compare: (a, b) => comparePaths(a.path, b.path),
    resolve: (broken) => Promise.resolve({
      invariant: broken.invariant, message: broken.message, witness: broken.witness, ...(broken.says === undefined ? {} : { says: broken.says }),
      path: broken.path.map((action) => actions[action]!),
    }),
  })
}
