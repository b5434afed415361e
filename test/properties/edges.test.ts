/**
 * The edge fragments' faulted calls are what they claim: each call built to break
 * some checks is refused by one of them, by its only one when it breaks one, and,
 * when it breaks two, by the one the handler runs first; coverage then counts the
 * pair; each call built to succeed does. Pool images at the bounds of §4's image
 * checks meet their verdicts. And the generators, at `sila check`'s default runs,
 * decide every check of the catalogue both ways, meet every bound exactly and one
 * past it, and meet the reachable check pairs, for more than one seed.
 * @module
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { boot } from '../../model/boot.js'
import { step } from '../../model/step.js'
import { lastStepChecks, logChecks } from '../../model/check-log.js'
import { CHECK_CATALOGUE, CHECK_PAIRS, checkError } from '../../model/check-catalogue.js'
import { brokenChecks, builtToSucceed, edgeFragment } from '../../properties/edges.js'
import { IMAGE_POOL, POOL_INDEX, PROPERTY_BOOT } from '../../properties/pool.js'
import { Coverage, type CoverageJson, checkGaps, pairGaps } from '../../properties/coverage.js'
import { SUITES } from '../../properties/registry.js'
import { SUITE_NAMES, suiteEnvironment } from '../../properties/suite.js'
import { suiteSeed } from '../../properties/run.js'

const ORDER = new Map(CHECK_CATALOGUE.map((check, index) => [check.name, index]))

test('every faulted call is refused by the check it breaks first, with that check\'s error', () => {
  logChecks(true)
  const coverage = new Coverage()
  let faultedCalls = 0
  let pairs = 0
  let validCalls = 0
  fc.assert(fc.property(edgeFragment(1), (fragment) => {
    let state = boot(PROPERTY_BOOT, IMAGE_POOL)
    for (const syscall of fragment) {
      const result = step(state, syscall)
      state = result.state
      coverage.observe(syscall, result.outcome, null)
      const broken = brokenChecks(syscall)
      if (builtToSucceed(syscall)) {
        validCalls++
        assert.ok(E.isRight(result.outcome), `${JSON.stringify(syscall)} was built to succeed but was refused by ${lastStepChecks().at(-1)?.check}`)
      }
      if (broken === undefined) continue
      faultedCalls++
      if (broken.length > 1) pairs++
      const first = [...broken].sort((a, b) => ORDER.get(a)! - ORDER.get(b)!)[0]!
      assert.ok(E.isLeft(result.outcome), `${JSON.stringify(syscall)} breaks ${broken.join(', ')} but succeeded`)
      const events = lastStepChecks()
      const decider = events[events.length - 1]!
      assert.is(decider.check, first, `${JSON.stringify(syscall)} breaks ${broken.join(', ')}`)
      const code = E.isLeft(result.outcome) ? (result.outcome.left.code === 'QuotaExceeded' ? `QuotaExceeded(${result.outcome.left.resource})` : result.outcome.left.code) : ''
      assert.is(code, checkError(first), first)
    }
  }), { numRuns: 800, seed: 11 })
  logChecks(false)
  assert.ok(faultedCalls > 800 && pairs > 200 && validCalls > 100, `${faultedCalls} faulted calls, ${pairs} with two faults, ${validCalls} built to succeed`)
  const gaps = pairGaps(coverage.toJson().pairs ?? {})
  assert.ok(gaps.reached > 250, `${gaps.reached} pairs met`)
  // Every pair counted is one the catalogue orders.
  const known = new Set(CHECK_PAIRS.map((pair) => pair.key))
  for (const key of Object.keys(coverage.toJson().pairs ?? {})) assert.ok(known.has(key), `${key} is not a pair of CHECK_PAIRS`)
})

test('the catalogue\'s errors are the model\'s: a refusal answers the error of the check that decided it', () => {
  logChecks(true)
  let state = boot(PROPERTY_BOOT, IMAGE_POOL)
  const spawn = (image: number, dst: number) => ({ kind: 'process_spawn', caller: 0, container: 0, image: IMAGE_POOL[image]!.digest, uid: 0, slots: 2, grants: [], dst })
  const verdicts: string[] = []
  const edges: string[] = []
  for (const [index, image] of [POOL_INDEX.atFloor, POOL_INDEX.prerelease, POOL_INDEX.twin, POOL_INDEX.otherName, POOL_INDEX.split, POOL_INDEX.unsigned].entries()) {
    const result = step(state, spawn(image, 3 + index))
    state = result.state
    verdicts.push(E.isRight(result.outcome) ? 'success' : result.outcome.left.code)
    const floor = lastStepChecks().find((event) => event.check === 'process_spawn: version at or above the floor')
    edges.push(floor?.edge ?? '-')
  }
  logChecks(false)
  assert.equal(verdicts, ['success', 'RollbackDenied', 'SignatureInvalid', 'success', 'SignatureInvalid', 'SignatureInvalid'])
  assert.equal(edges, ['at-bound', 'one-past', '-', '-', '-', '-'])
})

/**
 * What `sila check` counts at its default runs (1000 per suite, 60 steps, the same
 * seeds per suite), with the model alone: each suite's generated scenarios, stepped.
 * (The update suite's steps add nothing the others miss.)
 */
function generatedCoverage(seed: number): CoverageJson {
  const coverage = new Coverage()
  for (const [index, name] of SUITE_NAMES.entries()) {
    if (name === 'update') continue
    const suite = SUITES[name]
    const { config, images } = suiteEnvironment(suite)
    const start = boot(config, images)
    for (const scenario of fc.sample(suite.scenario(60), { numRuns: 1000, seed: suiteSeed(seed, index) })) {
      // The systems suite boots each scenario's own system (none when the model refuses it: such a run steps nothing).
      const executed = suite.executed(scenario)
      const own = suiteEnvironment(suite, scenario)
      let state = own.config === config || executed.length === 0 ? start : boot(own.config, own.images)
      for (const syscall of executed) {
        const result = step(state, syscall)
        state = result.state
        coverage.observe(syscall, result.outcome, null)
      }
      coverage.endRun()
    }
  }
  return coverage.toJson()
}

for (const seed of [42, 1234]) {
  test(`the generators decide every check both ways, meet every bound and the reachable check pairs (seed ${seed})`, () => {
    const coverage = generatedCoverage(seed)
    const gaps = checkGaps(coverage.checks ?? {})
    assert.equal(gaps.neverFail, [], 'checks never decided a refusal')
    assert.equal(gaps.neverOk, [], 'checks never on a successful path')
    assert.equal(gaps.edgesMissed, [], 'bounds never met exactly or missed by one')
    // Not one of them by a single step: each check decided at least a few times each way.
    const counts = (name: string) => coverage.checks?.[name] ?? { ok: 0, fail: 0 }
    const rare = CHECK_CATALOGUE.filter((check) => counts(check.name).fail < 3 || counts(check.name).ok < 3).map((check) => check.name)
    assert.equal(rare, [], 'checks decided fewer than 3 times one way')
    const pairs = pairGaps(coverage.pairs ?? {})
    assert.equal(pairs.missed.map((pair) => pair.key), [], `${pairs.reached} of ${pairs.total} pairs met`)
    // Nor by luck: each reachable pair met at least twice (the rarest, about six times a run on average).
    const met = CHECK_PAIRS.filter((pair) => pair.unreachable === undefined).map((pair) => ({ key: pair.key, count: coverage.pairs?.[pair.key] ?? 0 }))
    assert.equal(met.filter((pair) => pair.count < 2).map((pair) => pair.key), [], 'pairs met only once')
    const least = Math.min(...met.map((pair) => pair.count))
    console.log(`  seed ${seed}: ${pairs.reached} of ${pairs.total} reachable check pairs met, the rarest ${least} times`)
    for (const pair of pairs.unreachable) assert.is(coverage.pairs?.[pair.key] ?? 0, 0, `${pair.key} is marked unreachable but was met`)
  })
}

test.run()
