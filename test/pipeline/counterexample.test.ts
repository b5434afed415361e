/**
 * A pipeline-suite counterexample boots, in its trace, from the real signed pool
 * its scenario names (not the symbolic property pool): replayed, each spawn meets
 * the kernel's real verdict, and the step table `sila check` prints shows it.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { counterexampleTrace } from '../../checker/counterexample.js'
import { replayTrace } from '../../checker/replay.js'
import { implTarget } from '../../refinement/abstraction.js'
import type { RefinementTarget } from '../../refinement/target.js'
import { POOL_LABELS, POOL_VERDICTS, realPool } from '../../pipeline/kernel/pool.js'
import { PROPERTY_BOOT } from '../../properties/pool.js'
import { suiteEnvironment } from '../../properties/suite.js'
import { SUITES } from '../../properties/registry.js'
import { sila } from '../cli/run.js'
import { cleanup, temporaryDirectory } from './_support.js'

test.after(cleanup)

const spawnOf = (image: string, dst: number) => ({ kind: 'process_spawn', caller: 0, container: 0, image, uid: 0, slots: 4, grants: [], dst })

test('the pipeline suite runs on the real pool; the others on the property boot', () => {
  const pool = realPool()
  assert.equal(suiteEnvironment(SUITES.pipeline).images.map((image) => image.digest), pool.records.map((image) => image.digest))
  assert.equal(suiteEnvironment(SUITES.pipeline).config.keyring, pool.config.keyring)
  assert.is(suiteEnvironment(SUITES.refinement).config, PROPERTY_BOOT)
})

test('a pipeline counterexample trace replays each pool spawn with the kernel\'s verdict', () => {
  const pool = realPool()
  // Init has slots 3 to 15 free: each spawn that succeeds takes the next.
  let free = 3
  const scenario = POOL_LABELS.map((label) => spawnOf(pool.image(label).record.digest, POOL_VERDICTS[label] === 'success' ? free++ : 15))
  const trace = counterexampleTrace({
    suite: 'pipeline', seed: 1, path: '', scenario, lengthBefore: scenario.length, fromStore: false,
    failure: { step: 0, message: 'made up for the test', invariant: 'REF-1' },
  })
  const recorded = trace.steps.map((step) => (step.outcome === undefined ? 'none' : step.outcome.ok ? 'success' : step.outcome.error.code))
  assert.equal(recorded, POOL_LABELS.map((label) => POOL_VERDICTS[label]))
  const replayed = replayTrace(trace, implTarget as unknown as RefinementTarget)
  assert.is(replayed.status, 'ok')
  assert.equal(replayed.mismatches, [])
})

test('sila check pipeline --mutant prints the real verdicts, and the trace replays the failure on that mutant', () => {
  const dir = temporaryDirectory()
  const checked = sila('check', 'pipeline', '--mutant', 'signature-unchecked', '--seed', '3', '--runs', '50', '--workers', '1', '--counterexamples', dir)
  assert.is(checked.status, 1, checked.stderr)
  assert.match(checked.stdout, /SignatureInvalid +ok pid/)
  assert.not.match(checked.stdout, /ImageUnknown/)
  assert.match(checked.stdout, /replay it: npx sila replay \S+ --mutant signature-unchecked/)
  const file = join(dir, readdirSync(dir).find((name) => name.endsWith('.trace.json'))!)
  assert.match(readFileSync(file, 'utf8'), new RegExp(realPool().records[0]!.digest))
  const onImpl = sila('replay', file, '--impl')
  assert.is(onImpl.status, 0, onImpl.stdout)
  const onMutant = sila('replay', file, '--mutant', 'signature-unchecked')
  assert.is(onMutant.status, 1, onMutant.stdout)
  assert.match(onMutant.stdout, /The kernel \(mutant:signature-unchecked\) diverges from the model at step 0/)
  // Without a flag, on the mutant the trace records as its producer.
  const recorded = sila('replay', file)
  assert.is(recorded.status, 1, recorded.stdout)
  assert.match(recorded.stdout, /The kernel \(mutant:signature-unchecked\) diverges from the model at step 0/)
})

test.run()
