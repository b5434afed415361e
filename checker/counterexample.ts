/**
 * Counterexample files: a failure of a property suite, written as a `sila-trace/1`
 * trace (boot configuration, image pool, the executed syscalls with the model's
 * outcomes, the failure with seed and path) that `sila replay` re-executes, and the
 * counterexample store (`.sila/counterexamples/` in the working directory, or the
 * directory `SILA_STORE` names) whose traces later runs replay first (as
 * Hypothesis's example database does).
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { boot } from '../model/boot.js'
import { step as modelStep } from '../model/step.js'
import { ExactSyscallCodec } from '../spec/syscalls.js'
import { outcomeToJson } from '../spec/results.js'
import { TRACE_FORMAT, TraceCodec, type ProducedBy, type Trace, type TraceStep } from '../spec/trace.js'
import { InputError } from '../spec/decode.js'
import { suiteEnvironment } from '../properties/suite.js'
import { SUITES } from '../properties/registry.js'
import type { CounterExample } from '../properties/run.js'
import { jsonText, makeDirectory, writeOutputFile } from '../cli/output.js'

/** Where failures are kept between runs: `$SILA_STORE` if set, else `.sila/counterexamples`. */
export function storeDirectory(): string {
  const named = process.env.SILA_STORE
  return named === undefined || named === '' ? join('.sila', 'counterexamples') : named
}

/** The JSON-safe form of a value (NaN, Infinity and undefined become strings/null as JSON has them; a negative zero stays, as jsonText writes it). */
function jsonSafe(value: unknown): unknown {
  const negativeZero = `-0:${randomBytes(8).toString('hex')}`
  const text = JSON.stringify(value, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? negativeZero : v)) ?? 'null'
  return JSON.parse(text, (_, v: unknown) => (v === negativeZero ? -0 : v))
}

/**
 * The trace of a counterexample: its syscalls re-run on the model to record
 * outcomes; `producedBy` when given; `props`, the `--props` file as given, when its
 * failure is a user property's (or the witness of one).
 */
export function counterexampleTrace(example: CounterExample, producedBy?: ProducedBy, props?: string): Trace {
  const suite = SUITES[example.suite]
  const executed = suite.executed(example.scenario)
  const environment = suiteEnvironment(suite, example.scenario)
  // No syscall, no model state needed: a systems run whose boot the model refuses (and the kernel booted) has none.
  let state = executed.length === 0 ? null : boot(environment.config, environment.images)
  const steps: TraceStep[] = executed.map((syscall) => {
    const result = modelStep(state!, syscall)
    state = result.state
    const outcome = outcomeToJson(result.outcome)
    return ExactSyscallCodec.is(syscall) ? { syscall, outcome } : { malformed: true as const, syscall: jsonSafe(syscall), outcome }
  })
  const failure = example.failure
  return {
    format: TRACE_FORMAT,
    description: `${example.suite}: ${failure.message}`,
    boot: environment.config,
    images: [...environment.images],
    steps,
    failure: {
      property: example.suite,
      ...(failure.invariant === undefined ? {} : { invariant: failure.invariant }),
      ...(failure.says === undefined ? {} : { says: failure.says, ...(props === undefined ? {} : { props }) }),
      // A property that did not return: replay asks it again, watched, from the props file.
      ...(failure.stalledProperty === undefined ? {} : { stalledProperty: failure.stalledProperty, ...(props === undefined ? {} : { props }) }),
      step: failure.step,
      message: failure.message,
      witness: jsonSafe({ ...(failure.witness === undefined ? {} : { witness: failure.witness }), ...(failure.difference === undefined ? {} : { difference: failure.difference }), ...(failure.kernel === undefined ? {} : { kernel: E.isLeft(failure.kernel) ? failure.kernel.left : failure.kernel.right }) }),
      seed: example.seed,
      path: example.path,
    },
    scenario: jsonSafe(example.scenario) as unknown[],
    ...(producedBy === undefined ? {} : { producedBy }),
  }
}

/** A stable name for a counterexample's file. */
export function counterexampleName(example: CounterExample): string {
  const hash = createHash('sha256').update(JSON.stringify(jsonSafe(example.scenario))).digest('hex').slice(0, 12)
  return `${example.suite}-${hash}.trace.json`
}

/**
 * Writes the trace (atomically) to `directory` and keeps a copy in the store
 * (unless `store` is false). Returns the file written.
 */
export function saveCounterexample(example: CounterExample, directory: string, producedBy?: ProducedBy, props?: string, store = true): string {
  const text = `${jsonText(counterexampleTrace(example, producedBy, props), 2)}\n`
  const name = counterexampleName(example)
  // The file the user is told of first: if the store then cannot be written, the counterexample is not lost with it.
  makeDirectory(directory)
  const file = join(directory, `sila-counterexample-${name}`)
  writeOutputFile(file, text)
  if (!store) return file
  const stored = storeDirectory()
  makeDirectory(stored)
  writeOutputFile(join(stored, name), text)
  return file
}

/**
 * Writes the witness of a `sometimes` user property (a run that reaches a good
 * state: not a failure, so not kept in the store) to `directory`. Returns the file.
 */
export function saveWitness(example: CounterExample, directory: string, producedBy: ProducedBy | undefined, props: string | undefined): string {
  const trace = counterexampleTrace(example, producedBy, props)
  const text = `${jsonText({ ...trace, description: `witness of ${example.failure.invariant ?? 'a property'} (${example.suite}): ${example.failure.message}` }, 2)}\n`
  makeDirectory(directory)
  const file = join(directory, `sila-witness-${example.failure.invariant ?? 'property'}-${counterexampleName(example)}`)
  writeOutputFile(file, text)
  return file
}

/**
 * The stored scenarios, suite by suite. Unreadable files are skipped (they are a
 * cache, not the user's input) and `onSkipped` told each: a damaged entry no
 * longer replays the failure it kept, which the user should hear of.
 */
export function loadStore(onSkipped: (file: string, why: string) => void = () => {}): { suite: string; scenario: unknown[] }[] {
  const store = storeDirectory()
  if (!existsSync(store)) return []
  if (!statSync(store).isDirectory()) throw new InputError(store, ['not a directory: the counterexample store (SILA_STORE names another)'])
  const found: { suite: string; scenario: unknown[] }[] = []
  for (const name of readdirSync(store).sort()) {
    if (!name.endsWith('.trace.json')) continue
    try {
      const decoded = TraceCodec.decode(JSON.parse(readFileSync(join(store, name), 'utf8')))
      if (E.isRight(decoded) && decoded.right.failure !== undefined && decoded.right.scenario !== undefined) {
        found.push({ suite: decoded.right.failure.property, scenario: decoded.right.scenario })
      } else onSkipped(join(store, name), E.isLeft(decoded) ? 'not a sila-trace/1 trace' : 'a trace without the failure and scenario a check stores')
    } catch (error) {
      onSkipped(join(store, name), error instanceof SyntaxError ? 'not valid JSON' : 'cannot be read')
    }
  }
  return found
}
