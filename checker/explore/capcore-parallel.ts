/**
 * The compiled cap-core search on several cores (`sila explore --workers N`),
 * on the shared parallel driver (parallel.ts): a batch carries the successors'
 * canonical bytes and (parent id, action) pairs; a shortest counterexample path
 * is rebuilt from the workers' parent links. The result is the sequential
 * search's: the same distinct states, transitions and depth (a test compares them).
 * @module
 */
import { Successors } from './capcore.js'
import { exploreParallel } from './parallel.js'
import type { ExploreOptions, ExploreResult } from './search.js'

/** Successors of a level for one owner: canonical bytes, and (parent id, action) pairs. */
export interface Batch {
  readonly bytes: ArrayBuffer
  readonly meta: ArrayBuffer
  readonly size: number
}

/** How a worker tells a violation: its packed state and its global id. */
export interface PackedViolation {
  readonly invariant: string
  readonly message: string
  readonly state: number[]
  readonly id: number
}

/** A worker's parent links, as the coordinator asks for them after a violation. */
export interface Links {
  readonly parents: ArrayBuffer
  readonly via: ArrayBuffer
}

/** Rebuilds the actions from the boot state to state `id`, from each worker's parent links. */
export function pathTo(id: number, links: ReadonlyArray<{ parents: Int32Array; via: Int32Array }>): number[] {
  const count = links.length
  const path: number[] = []
  for (let at = id; ;) {
    const own = links[at % count]!
    const local = Math.floor(at / count)
    const action = own.via[local]!
    if (action < 0) break
    path.push(action)
    at = own.parents[local]!
  }
  return path.reverse()
}

/** Exhaustive (or depth-, state- or time-bounded) breadth-first search of a cap-core preset on `workers` threads. */
export function exploreCapCoreParallel(options: ExploreOptions & { readonly workers: number }): Promise<ExploreResult> {
  const { actions } = new Successors(options.preset)
  return exploreParallel<Batch, PackedViolation>(options, {
    name: 'compiled',
    actions,
    script: new URL('./capcore-worker.js', import.meta.url),
    setup: (index, count, stop) => ({ preset: options.preset, index, count, stop }),
    transfer: (batch) => [batch.bytes, batch.meta],
    compare: (a, b) => a.id - b.id,
    async resolve(broken, peers) {
      const answers = await Promise.all(peers.map((peer) => peer.ask({ type: 'extra' })))
      const links = answers.map((answer) => {
        const { parents, via } = (answer as { value: Links }).value
        return { parents: new Int32Array(parents), via: new Int32Array(via) }
      })
      return { invariant: broken.invariant, message: broken.message, witness: { state: broken.state }, path: pathTo(broken.id, links).map((action) => actions[action]!) }
    },
  })
}
