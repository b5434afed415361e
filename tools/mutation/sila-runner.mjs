// A Stryker test-runner plugin (`"testRunner": "sila"`, tools/mutation/stryker.config.json):
// the mutation oracle (tools/mutation/oracle-plan.mjs) with the check run in
// process. Stryker's command runner started a new Node process per mutant, which
// loaded all of dist/ again before the check's first run; most mutants fail in
// that first run, so loading was most of their cost. Here a worker thread
// (tools/mutation/sila-runner-worker.mjs) loads dist/ once and runs the check for
// each mutant by switching Stryker's active mutant at run time. What it cannot do
// in process goes to a fresh process with the mutant active from the start, as
// before: the test stages (uvu test files), and the check of a static mutant (one
// that runs while the modules load, which the worker records).
//
// Each stage has its own time budget, BUDGET_FACTOR times its time with no mutant
// (measured once per runner, in the same conditions) plus BUDGET_SLACK_MS: a
// mutant that loops in the check is stopped there (the worker is terminated and
// started again), not after the whole oracle's time. A child that runs past its
// budget is killed (SIGKILL), so a looping mutant leaves no process behind.
// Stryker's own timeout (timeoutMS) is only the backstop.
import { spawn } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { commonTokens, declareClassPlugin, PluginKind } from '@stryker-mutator/api/plugin'
import { DryRunStatus, MutantRunStatus, TestStatus } from '@stryker-mutator/api/test-runner'
import { CHECK, sourceKey, stagesFor } from './oracle-plan.mjs'

const UVU = fileURLToPath(new URL('../../node_modules/uvu/bin.js', import.meta.url))
/** Preloaded into every test run: no shrinking, and the first failing test ends the run (tools/mutation/test-preload.mjs). */
const TEST_PRELOAD = new URL('./test-preload.mjs', import.meta.url).href
const WORKER = new URL('./sila-runner-worker.mjs', import.meta.url)
const CHECK_ARGS = ['dist/cli/main.js', 'check', '--fail-fast', '--runs', String(CHECK.runs), '--seed', String(CHECK.seed)]
/** A stage's budget: this many times its time with no mutant, plus BUDGET_SLACK_MS (a retest doubles the factor). */
const BUDGET_FACTOR = 2
const BUDGET_SLACK_MS = 5000
/** The one test Stryker is told of, named as the command runner named it, so that incremental results carry over. */
const ALL = { id: 'all', name: 'All tests' }
/** The tail of a failing stage's output kept as the failure message. */
const OUTPUT_TAIL = 4000

/** `SILA_MUTATE_LOG=FILE`: one JSON line per mutant (its stages, their times and outcomes), for finding where a run's time goes. */
const LOG = process.env.SILA_MUTATE_LOG
const retest = process.env.SILA_MUTATE_RETEST === '1'
const ownTestsOnly = process.env.SILA_MUTATE_OWN_TESTS === '1'
// The signed image pool the pipeline suite draws from is built once for the whole
// run and read back by every later check (pipeline/kernel/pool.ts, realPool): the
// pipeline is not mutated, so it is the same pool for every mutant.
process.env.SILA_POOL_CACHE ??= `${process.cwd()}/.sila-pool-cache`

/** The uvu run of the test files under dist/test matching one of `names`, stopping at the first failing test. */
const testArgs = (names) => ['--import', TEST_PRELOAD, UVU, 'dist/test', `(${names.join('|')})\\.test\\.js$`]

/** The failing test's line (tools/mutation/uvu-first-failure.mjs prints it with ✘), or the failure's first line. */
const failedTest = (failure) => (/✘ .*/.exec(failure)?.[0] ?? failure.split('\n')[0]).slice(0, 200)

export class SilaTestRunner {
  static inject = [commonTokens.logger]

  constructor(logger) {
    this.logger = logger
    /** Each stage's time with no mutant, by stage name. */
    this.baselines = new Map()
    /** The ids of the mutants that run while the modules load. */
    this.static = new Set()
    this.worker = null
    this.ready = null
  }

  capabilities() {
    // A static mutant is always tested in a fresh process, and the worker never
    // loads with a mutant active: every run is as if the environment were reloaded.
    return { reloadEnvironment: true }
  }

  async init() {
    this.start()
    await this.ready
  }

  start() {
    const worker = new Worker(WORKER, { workerData: { cwd: process.cwd(), runs: CHECK.runs, seed: CHECK.seed } })
    this.worker = worker
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (message) => {
        if (message.type !== 'ready') return
        worker.off('message', onMessage)
        worker.off('error', reject)
        for (const id of message.static) this.static.add(id)
        resolve()
      }
      worker.on('message', onMessage)
      worker.once('error', reject)
    })
  }

  async restart() {
    const old = this.worker
    this.start()
    await old.terminate()
  }

  async dispose() {
    await this.worker?.terminate()
  }

  /** The in-process check with `id` active (undefined: none): `{ failure }` (null: passed) or `{ timeout: true }`. */
  async checkInProcess(id, budget) {
    await this.ready
    const worker = this.worker
    return new Promise((resolve) => {
      const done = (outcome, restart) => {
        clearTimeout(timer)
        worker.off('message', onMessage)
        worker.off('error', onError)
        worker.off('exit', onExit)
        if (restart) void this.restart()
        resolve(outcome)
      }
      const onMessage = (message) => { if (message.type === 'verdict') done({ failure: message.failure }, false) }
      const onError = (error) => done({ failure: `the check threw: ${error?.stack ?? error}` }, true)
      const onExit = (code) => done({ failure: `the check's worker exited with code ${code}` }, true)
      const timer = setTimeout(() => done({ timeout: true }, true), budget)
      worker.on('message', onMessage)
      worker.on('error', onError)
      worker.on('exit', onExit)
      worker.postMessage({ id })
    })
  }

  /** A fresh Node process running `args` with `id` active from the start: `{ failure }` or `{ timeout: true }`. */
  inChild(args, id, budget) {
    return new Promise((resolve) => {
      const env = id === undefined ? process.env : { ...process.env, __STRYKER_ACTIVE_MUTANT__: id }
      const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
      let output = ''
      const keep = (chunk) => { output = (output + chunk).slice(-OUTPUT_TAIL) }
      child.stdout.on('data', keep)
      child.stderr.on('data', keep)
      let timedOut = false
      const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL') }, budget)
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        if (timedOut) resolve({ timeout: true })
        else resolve({ failure: code === 0 ? null : `exit ${code ?? signal}: ${output}` })
      })
    })
  }

  /** Runs one stage for `id`; the stage's baseline is measured first, once, with no mutant. */
  async runStage(stage, id, isStatic) {
    const name = stage.kind === 'check' ? (isStatic ? 'check (fresh process)' : 'check') : `tests ${stage.names.join('|')}`
    const run = (mutant, budget) => stage.kind === 'tests' ? this.inChild(testArgs(stage.names), mutant, budget)
      : isStatic ? this.inChild(CHECK_ARGS, mutant, budget) : this.checkInProcess(mutant, budget)
    if (!this.baselines.has(name)) {
      // Twice, the second timed: the first run of the in-process check includes compiling it (about twice as long).
      for (const timed of [false, true]) {
        const started = Date.now()
        const clean = await run(undefined, 20 * 60_000)
        if (clean.timeout || clean.failure !== null) throw new Error(`${name} fails with no mutant active: ${clean.failure ?? 'timed out'}`)
        if (timed) this.baselines.set(name, Date.now() - started)
      }
    }
    const budget = Math.round((retest ? 2 : 1) * BUDGET_FACTOR * this.baselines.get(name) + BUDGET_SLACK_MS)
    return { name, budget, ...(await run(id, budget)) }
  }

  async dryRun() {
    const started = Date.now()
    try {
      await this.runStage({ kind: 'check' }, undefined, false)
    } catch (error) {
      return { status: DryRunStatus.Complete, tests: [{ ...ALL, status: TestStatus.Failed, failureMessage: error.message, timeSpentMs: Date.now() - started }] }
    }
    return { status: DryRunStatus.Complete, tests: [{ ...ALL, status: TestStatus.Success, timeSpentMs: Date.now() - started }] }
  }

  async mutantRun({ activeMutant }) {
    const isStatic = this.static.has(activeMutant.id)
    const file = sourceKey(activeMutant.fileName)
    const stages = []
    const verdict = await this.verdict(file, activeMutant.id, isStatic, stages)
    if (LOG !== undefined) appendFileSync(LOG, `${JSON.stringify({ id: activeMutant.id, file, static: isStatic, status: verdict.status, stages })}\n`)
    return verdict
  }

  /** The stages for a mutant of `file` until one fails; each stage's name, time and outcome is pushed on `stages`. */
  async verdict(file, id, isStatic, stages) {
    try {
      for (const stage of stagesFor(file, { retest, ownTestsOnly })) {
        const started = Date.now()
        const outcome = await this.runStage(stage, id, isStatic)
        stages.push({ name: outcome.name, ms: Date.now() - started, outcome: outcome.timeout ? 'timeout' : outcome.failure === null ? 'passed' : 'failed', ...(outcome.failure ? { failure: failedTest(outcome.failure) } : {}) })
        if (outcome.timeout) return { status: MutantRunStatus.Timeout, reason: `${outcome.name} ran past its budget of ${(outcome.budget / 1000).toFixed(1)} s` }
        if (outcome.failure !== null) return { status: MutantRunStatus.Killed, failureMessage: `${outcome.name}: ${outcome.failure}`, killedBy: [ALL.id], nrOfTests: 1 }
      }
    } catch (error) {
      return { status: MutantRunStatus.Error, errorMessage: error.message }
    }
    return { status: MutantRunStatus.Survived, nrOfTests: 1 }
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.TestRunner, 'sila', SilaTestRunner)]
