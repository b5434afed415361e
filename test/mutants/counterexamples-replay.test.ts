/**
 * Every seeded bug's counterexample, as `sila check --mutant` writes it, fails
 * again when replayed from the file on that mutant: the trace alone (its boot,
 * images and steps, and the kernel it records) reproduces what the run found.
 * A failure that depends on something the trace does not carry (the real bytes
 * of the pipeline suite's images, state left by an earlier run) would replay as
 * "agreed" and is caught here, for every mutant of the catalogue.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { counterexampleTrace } from '../../checker/counterexample.js'
import { replayTrace } from '../../checker/replay.js'
import { MUTANTS } from '../../mutants/catalogue.js'
import { cleanMutants, loadMutant } from '../../mutants/materialize.js'
import { runSuite } from '../../properties/run.js'
import { SUITE_NAMES } from '../../properties/suite.js'
import { TraceCodec } from '../../spec/trace.js'

/** What `sila mutants` runs each suite with (checker/mutants.ts MUTANTS_DEFAULTS), fewer runs first. */
const SEED = 42
const MAX_STEPS = 40
const ROUNDS = [30, 300]

test.after(() => cleanMutants())

test('every mutant a suite kills: its shrunk counterexample, written as a trace and read back, fails again on replay', async () => {
  const bySuite = new Map<string, number>()
  const unkilled: string[] = []
  for (const mutant of MUTANTS) {
    const target = await loadMutant(mutant)
    let found = null
    for (const runs of ROUNDS) {
      for (const suite of SUITE_NAMES) {
        // Where a suite kills it (fail fast), then that suite again as sila check runs it: shrunk.
        if (runSuite(suite, { suites: SUITE_NAMES, runs, seed: SEED, maxSteps: MAX_STEPS, target, failFast: true }).counterexample === null) continue
        found = runSuite(suite, { suites: SUITE_NAMES, runs, seed: SEED, maxSteps: MAX_STEPS, target }).counterexample
        if (found !== null) break
      }
      if (found !== null) break
    }
    if (found === null) { unkilled.push(mutant.name); continue }
    const written = JSON.parse(JSON.stringify(counterexampleTrace(found, { kernel: `mutant:${mutant.name}` }))) as unknown
    const decoded = TraceCodec.decode(written)
    assert.ok(decoded._tag === 'Right', `${mutant.name}: its trace does not decode`)
    const replay = replayTrace(decoded.right, target)
    assert.ok(replay.status !== 'ok', `${mutant.name}: its ${found.suite} counterexample (${found.scenario.length} steps, ${found.failure.invariant ?? 'no invariant'}: ${found.failure.message}) replays from the trace with every step agreed`)
    bySuite.set(found.suite, (bySuite.get(found.suite) ?? 0) + 1)
  }
  // Mutants no suite kills at these settings are the checker's (explore --refine): their traces are tested by the explore tests.
  console.log(`  counterexamples replayed: ${[...bySuite].map(([suite, count]) => `${suite} ${count}`).join(', ')}; left to the checker: ${unkilled.join(', ') || 'none'}`)
  assert.ok((bySuite.get('pipeline') ?? 0) > 0, 'no mutant was killed by the pipeline suite: the real-pool replay was not reached')
  assert.ok(MUTANTS.length - unkilled.length >= 30, `only ${MUTANTS.length - unkilled.length} mutants killed by a suite`)
})

test.run()
