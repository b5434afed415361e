import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { SUITE_WEIGHTS, dealSuites } from '../../checker/check.js'
import { SUITE_NAMES, type SuiteName } from '../../properties/suite.js'

const loadOf = (lane: ReadonlyArray<SuiteName>) => lane.reduce((sum, suite) => sum + SUITE_WEIGHTS[suite], 0)
const heaviest = (lanes: ReadonlyArray<ReadonlyArray<SuiteName>>) => Math.max(...lanes.map(loadOf))

/** The lightest heaviest lane over every way of dealing `suites` to `count` non-empty lanes, by enumeration. */
function optimum(suites: ReadonlyArray<SuiteName>, count: number): number {
  let best = Infinity
  const total = count ** suites.length
  for (let code = 0; code < total; code++) {
    const loads = new Array<number>(count).fill(0)
    const used = new Array<boolean>(count).fill(false)
    let rest = code
    for (const suite of suites) { const to = rest % count; rest = Math.floor(rest / count); loads[to] += SUITE_WEIGHTS[suite]; used[to] = true }
    if (used.every(Boolean)) best = Math.min(best, Math.max(...loads))
  }
  return best
}

test('dealSuites: every suite once, in its order within a lane, no lane empty, and the heaviest lane as light as any dealing makes it', () => {
  let checked = 0
  fc.assert(fc.property(fc.subarray([...SUITE_NAMES], { minLength: 1 }), fc.integer({ min: 1, max: 4 }), (suites, count) => {
    const lanes = dealSuites(suites, count)
    assert.is(lanes.length, Math.min(count, suites.length))
    assert.ok(lanes.every((lane) => lane.length > 0), JSON.stringify(lanes))
    assert.equal(lanes.flat().sort(), [...suites].sort())
    for (const lane of lanes) assert.equal(lane, suites.filter((suite) => lane.includes(suite)), 'a lane keeps the order given')
    // Small enough to enumerate: the dealing found is the best one.
    if (Math.min(count, suites.length) ** suites.length <= 20_000) { assert.ok(Math.abs(heaviest(lanes) - optimum(suites, lanes.length)) < 1e-9); checked++ }
  }), { seed: 7, numRuns: 300 })
  assert.ok(checked >= 100, `compared with the enumerated optimum ${checked} times`)
  console.log(`  dealSuites: 300 subsets and lane counts, ${checked} compared with every dealing`)
})

test('dealSuites: the default check\'s two workers are closer than round-robin left them', () => {
  const roundRobin: SuiteName[][] = [[], []]
  SUITE_NAMES.forEach((suite, index) => roundRobin[index % 2]!.push(suite))
  const dealt = dealSuites(SUITE_NAMES, 2)
  assert.ok(heaviest(dealt) <= heaviest(roundRobin))
  assert.ok(Math.abs(heaviest(dealt) - optimum(SUITE_NAMES, 2)) < 1e-9)
  console.log(`  two workers: heaviest lane ${heaviest(dealt).toFixed(1)} (round-robin ${heaviest(roundRobin).toFixed(1)}) of ${loadOf(SUITE_NAMES).toFixed(1)} weighed`)
})

test.run()
