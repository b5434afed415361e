/**
 * `sila export --format json`: the trace normalized. Members in one order (format,
 * description, boot, images, steps, failure, scenario, producedBy), `malformed` kept only where
 * true, and every step's `outcome` the model's (a model mutant's counterexample: that mutant's), so that the file records what the
 * model answers now. A recorded outcome that differs is replaced, and reported, so
 * that the caller can say so: the replacement hides a difference `sila replay`
 * would flag.
 * @module
 */
import { replayTrace, type ReplayMismatch } from '../replay.js'
import { TRACE_FORMAT, type Trace, type TraceStep } from '../../spec/trace.js'
import { formatJson } from '../../cli/output.js'
import { producingModel } from './producer.js'

/** The normalized trace and the steps whose recorded outcome it replaced. @public */
export interface NormalizedTrace {
  readonly trace: Trace
  readonly replaced: ReadonlyArray<ReplayMismatch>
}

/**
 * Normalizes `trace` (see the module comment). The model failing is a bug of the
 * model: it throws rather than writing a trace cut short.
 * @public
 */
export function normalizeTrace(trace: Trace): NormalizedTrace {
  // A model mutant's counterexample keeps that mutant's outcomes (producer.ts).
  const result = replayTrace(trace, undefined, { step: producingModel(trace).step })
  if (result.crash !== null) throw new Error(`the model failed at step ${result.crash.step}: ${result.crash.message}`)
  const steps = trace.steps.map((traceStep, index): TraceStep => {
    const outcome = result.rows[index + 1]!.outcome!
    return traceStep.malformed === true ? { malformed: true, syscall: traceStep.syscall, outcome } : { syscall: traceStep.syscall, outcome }
  })
  const normalized: Trace = {
    format: TRACE_FORMAT,
    ...(trace.description === undefined ? {} : { description: trace.description }),
    boot: trace.boot,
    images: trace.images,
    steps,
    ...(trace.failure === undefined ? {} : { failure: trace.failure }),
    ...(trace.scenario === undefined ? {} : { scenario: trace.scenario }),
    // Which kernel failed: replay, the regression test and the report step it again (dropping it would replay a mutant's failure on the impl, which passes).
    ...(trace.producedBy === undefined ? {} : { producedBy: trace.producedBy }),
  }
  return { trace: normalized, replaced: result.mismatches }
}

/** A trace as text: JSON broken over lines where a value does not fit 100 columns, as the examples are. @public */
export function traceJsonText(trace: Trace): string {
  return `${formatJson(trace, 100)}\n`
}
