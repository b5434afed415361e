/**
 * Acceptance traces written from kernel.md alone (test/fixtures/acceptance/): each
 * states one rule of the design document, with its section, in its `description`,
 * and records every step's outcome as the text says it should be. Each replays on
 * the model with the impl in lockstep: every recorded outcome must match, every
 * invariant hold, and the impl agree with the model (REF-1).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, readdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { replayTrace } from '../../checker/replay.js'
import { implTarget } from '../../refinement/abstraction.js'
import type { RefinementTarget } from '../../refinement/target.js'
import { decodeOrThrow } from '../../spec/decode.js'
import { TraceCodec } from '../../spec/trace.js'

// dist/test/acceptance → the source folder of the fixtures
const FOLDER = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'acceptance')
const FILES = readdirSync(FOLDER).filter((name) => name.endsWith('.json')).sort()

test('the acceptance folder holds traces', () => {
  assert.ok(FILES.length >= 25, `only ${FILES.length} traces in ${FOLDER}`)
})

for (const name of FILES) {
  test(`acceptance trace ${name} replays clean on the model and the impl`, () => {
    const file = join(FOLDER, name)
    const trace = decodeOrThrow(TraceCodec, JSON.parse(readFileSync(file, 'utf8')), file)
    assert.ok(typeof trace.description === 'string' && /§\d/.test(trace.description), `${name}: the description names no section of kernel.md`)
    assert.ok(trace.steps.every((step) => step.outcome !== undefined), `${name}: a step without a recorded outcome`)
    const replayed = replayTrace(trace, implTarget as unknown as RefinementTarget)
    const detail = JSON.stringify({ mismatches: replayed.mismatches, violations: replayed.violations, divergence: replayed.divergence, crash: replayed.crash })
    assert.is(replayed.status, 'ok', `${name}: ${detail}`)
  })
}

test.run()
