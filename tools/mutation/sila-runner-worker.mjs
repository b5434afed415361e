// The worker thread of the mutation runner (tools/mutation/sila-runner.mjs). It
// loads the sandbox's instrumented dist/ once, with no mutant active, recording
// which mutants run while the modules load (static mutants: the runner tests those
// in a fresh process instead, loaded with the mutant active). Then, for each
// message `{ id }`, it makes that mutant active and runs the check, the same as
// `sila check --fail-fast --runs 50 --seed 42` (cli/commands/check-run.ts,
// firstFailure), and answers `{ failure }`: null when every suite passed, else
// what failed. `id` undefined runs the check with no mutant (the baseline).
import { parentPort, workerData } from 'node:worker_threads'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const dist = join(workerData.cwd, 'dist')
const load = (path) => import(pathToFileURL(join(dist, path)).href)
// Stryker's namespace, the object the instrumented code reads the active mutant from.
const ns = (globalThis.__stryker__ ??= {})
ns.silaLoading = true
ns.silaStatic = {}
for (const tree of ['impl', 'refinement', 'model']) {
  for (const entry of readdirSync(join(dist, tree), { recursive: true }).map(String).filter((f) => f.endsWith('.js')).sort()) await load(join(tree, entry))
}
const { CHECK_DEFAULTS, firstFailure } = await load('cli/commands/check-run.js')
const { SUITE_NAMES } = await load('properties/suite.js')
const { loadTarget } = await load('checker/targets.js')
const { IMAGE_POOL, PROPERTY_BOOT } = await load('properties/pool.js')
const { forgetBootedKernels } = await load('properties/suites/pipeline.js')
ns.silaLoading = false
const target = await loadTarget('impl')

const { runs, seed } = workerData

parentPort.on('message', ({ id }) => {
  ns.activeMutant = id
  // The pipeline suite keeps a booted kernel per thread and restores it in later
  // runs: booted under another mutant (or none), it would hide this mutant's boot.
  forgetBootedKernels()
  let failure = null
  try {
    // As the CLI: the property boot first (a kernel that cannot boot it fails here).
    target.create(PROPERTY_BOOT, IMAGE_POOL)
    const failed = firstFailure(target, SUITE_NAMES, runs, seed, CHECK_DEFAULTS.maxSteps)
    if (failed !== null) failure = `${failed.suite}: ${failed.result.counterexample.failure.message} (${failed.roundRuns} runs)`
  } catch (error) {
    failure = `the check threw: ${error instanceof Error ? error.stack ?? error.message : String(error)}`
  } finally {
    ns.activeMutant = undefined
  }
  parentPort.postMessage({ type: 'verdict', failure })
})
parentPort.postMessage({ type: 'ready', static: Object.keys(ns.silaStatic) })
