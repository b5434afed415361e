/**
 * `sila mutants` without the printing: every seeded bug run against every suite
 * and against the model checker (explore --refine on cap-core), giving the kill
 * matrix — which suites and checkers kill each mutant, how fast, and how short the
 * shrunk counterexample is.
 * @module
 */
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { SUITE_NAMES, type SuiteName } from '../properties/suite.js'
import { exampleSteps, runSuite } from '../properties/run.js'
import { explore } from './explore/search.js'
import { CAP_CORE } from '../spec/presets.js'
import { MUTANTS, type Mutant } from '../mutants/catalogue.js'
import { loadMutant } from '../mutants/materialize.js'

export interface Kill {
  /** A suite name, or `explore` for the model checker. */
  readonly by: SuiteName | 'explore'
  readonly timeMs: number
  readonly shrunkLength: number
  readonly invariant: string
}

export interface MutantResult {
  readonly name: string
  readonly family: string
  readonly description: string
  readonly reference: string | null
  readonly kills: ReadonlyArray<Kill>
  /** The fastest kill, or null if it survived everything. */
  readonly first: Kill | null
}

export interface MutantsOptions {
  readonly runs: number
  readonly seed: number
  readonly maxSteps: number
  readonly exploreDepth: number
}

export const MUTANTS_DEFAULTS: MutantsOptions = { runs: 300, seed: 42, maxSteps: 40, exploreDepth: 4 }

/** Runs one mutant against every suite and the checker. */
export async function runMutant(mutant: Mutant, options: MutantsOptions): Promise<MutantResult> {
  const target = await loadMutant(mutant)
  const kills: Kill[] = []
  for (const suite of SUITE_NAMES) {
    const started = performance.now()
    const result = runSuite(suite, { suites: SUITE_NAMES, runs: options.runs, seed: options.seed, maxSteps: options.maxSteps, target })
    const example = result.counterexample
    if (example !== null) kills.push({ by: suite, timeMs: performance.now() - started, shrunkLength: exampleSteps(example), invariant: example.failure.invariant ?? 'unknown' })
  }
  const started = performance.now()
  const checked = explore({ preset: CAP_CORE, depthMax: options.exploreDepth, refine: target })
  if (checked.violation !== null) kills.push({ by: 'explore', timeMs: performance.now() - started, shrunkLength: checked.violation.path.length, invariant: checked.violation.invariant })
  const first = kills.reduce<Kill | null>((best, kill) => (best === null || kill.timeMs < best.timeMs ? kill : best), null)
  return { name: mutant.name, family: mutant.family, description: mutant.description, reference: mutant.reference ?? null, kills, first }
}

export function findMutants(names: ReadonlyArray<string>): Mutant[] {
  if (names.length === 0) return [...MUTANTS]
  return names.map((name) => {
    const mutant = MUTANTS.find((m) => m.name === name)
    if (mutant === undefined) throw new Error(`unknown mutant ${JSON.stringify(name)}`)
    return mutant
  })
}

export function median(values: ReadonlyArray<number>): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * Runs mutants over `workers` threads (dealt round-robin). `results` holds them in
 * catalogue order; after `stop()` (Ctrl-C) it holds the ones that finished.
 */
export function runMutants(mutants: ReadonlyArray<Mutant>, options: MutantsOptions, workers: number, onResult?: (result: MutantResult) => void): { results: Promise<MutantResult[]>; stop: () => void } {
  const lanes: string[][] = Array.from({ length: Math.max(1, Math.min(workers, mutants.length)) }, () => [])
  mutants.forEach((mutant, index) => lanes[index % lanes.length]!.push(mutant.name))
  const script = new URL('./mutants-worker.js', import.meta.url)
  const collected = new Map<string, MutantResult>()
  const threads: Worker[] = []
  const finished = Promise.all(lanes.map((names) => new Promise<void>((resolve, reject) => {
    const worker = new Worker(script, { workerData: { names, options } })
    threads.push(worker)
    worker.on('message', (message: { type: string; result?: MutantResult; message?: string }) => {
      if (message.type === 'result') { collected.set(message.result!.name, message.result!); onResult?.(message.result!) }
      else if (message.type === 'error') reject(new Error(message.message))
    })
    worker.on('error', reject)
    worker.on('exit', () => resolve())
  })))
  return {
    results: finished.then(() => mutants.filter((m) => collected.has(m.name)).map((m) => collected.get(m.name)!)),
    stop: () => { for (const thread of threads) void thread.terminate() },
  }
}
