/**
 * What a decoded `sila-trace/1` file must also be to be replayed or exported: its
 * parts consistent with each other (the codec checks each part alone).
 * @module
 */
import type { Failure, Trace } from '../spec/trace.js'
import { listed } from '../spec/exact.js'

/**
 * A trace whose recorded failure sits past its last step (a step removed by hand,
 * or the steps of another trace): replaying it would say every invariant held
 * without a word on the failure it claims. Only for traces replayed step for step
 * (a `scenario` of `sila check` numbers its failure in the suite's own steps).
 */
export function failureStepProblem(trace: Trace): string | null {
  const step = trace.failure?.step
  if (step === undefined || trace.scenario !== undefined) return null
  if (Number.isInteger(step) && step >= -1 && step < trace.steps.length) return null
  const n = trace.steps.length
  return `$.failure.step: ${step}, but the trace has ${n} step${n === 1 ? '' : 's'} (so ${n === 0 ? '-1, the boot state' : `-1, the boot state, to ${n - 1}`}): a step was removed, or the failure is another trace's`
}

/**
 * The props file a trace's failure names (`failure.props`, relative to the working
 * directory) is not there: said at the trace's path, with `remedy` (what to run instead).
 */
export function missingPropsFile(propsFile: string, remedy: string): string {
  return `$.failure.props: no file ${JSON.stringify(propsFile)} here (the path is relative to where the trace was written): ${remedy}`
}

/** The property a trace's failure names is not among `known`, the properties of `propsFile`: said at the trace's path. */
export function propertyNotStated(name: string, propsFile: string, known: ReadonlyArray<string>, remedy?: string): string {
  return `$.failure.invariant: ${JSON.stringify(name)} is not a property of ${propsFile} (it has ${known.length === 0 ? 'none' : listed(known, 60)})${remedy === undefined ? '' : `: ${remedy}`}`
}

/**
 * The user property a trace's recorded failure is about, for replay and export
 * to ask again: one broken or reached (`says`; its name is the failure's
 * `invariant`, if it has one), or one that did not return (a STALL's
 * `stalledProperty`); undefined otherwise.
 */
export function recordedUserProperty(failure: Failure | undefined): string | undefined {
  return failure?.says !== undefined ? failure.invariant : failure?.stalledProperty
}
