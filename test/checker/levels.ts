/**
 * A breadth-first walk with an {@link ImplExpander}, as the general engine's
 * search makes it (each state loaded by its path, its fingerprint known), with
 * the states kept in a plain set: tests compare its counts per level between
 * settings of the expander.
 */
import type { ImplExpander } from '../../checker/explore/general.js'

/** Distinct states after each level and the transitions taken in it. */
export interface Levels {
  readonly states: number[]
  readonly transitions: number[]
}

/** Walks breadth-first from the boot state to `depthMax` (the expander is booted here). */
export function walkLevels(expander: ImplExpander, depthMax: number): Levels {
  const seen = new Set<string>()
  const key = () => `${expander.encoder.pair[0]}:${expander.encoder.pair[1]}`
  expander.boot()
  seen.add(key())
  const states: number[] = []
  const transitions: number[] = []
  let frontier: { path: number[]; pair: [number, number] }[] = [{ path: [], pair: [expander.encoder.pair[0]!, expander.encoder.pair[1]!] }]
  for (let depth = 0; depth < depthMax && frontier.length > 0; depth++) {
    const next: typeof frontier = []
    const before = expander.generated
    for (const { path, pair } of frontier) {
      expander.goTo(path, path.length)
      expander.knowLoaded(pair[0], pair[1])
      expander.expand(null, (action) => {
        if (!seen.has(key())) next.push({ path: [...path, action], pair: [expander.encoder.pair[0]!, expander.encoder.pair[1]!] })
        seen.add(key())
        return false
      })
    }
    states.push(seen.size)
    transitions.push(expander.generated - before)
    frontier = next
  }
  return { states, transitions }
}
