/**
 * The suites by name, in the order `sila check` runs them.
 * @module
 */
import type { Suite, SuiteName } from './suite.js'
import { invariantsSuite, isolationSuite, quotaSuite, refinementSuite } from './suites/sequences.js'
import { noninterferenceSuite } from './suites/noninterference.js'
import { robustnessSuite } from './suites/robustness.js'
import { pipelineSuite } from './suites/pipeline.js'
import { updateSuite } from './suites/update.js'
import { systemsSuite } from './suites/systems.js'

/** Every suite by name. @public */
export const SUITES: Readonly<Record<SuiteName, Suite>> = {
  refinement: refinementSuite,
  invariants: invariantsSuite,
  isolation: isolationSuite,
  quota: quotaSuite,
  noninterference: noninterferenceSuite,
  robustness: robustnessSuite,
  pipeline: pipelineSuite,
  update: updateSuite,
  systems: systemsSuite,
}
