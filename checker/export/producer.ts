/**
 * Which model an export replays a trace on: the model, or — for a
 * counterexample a model mutant produced (`producedBy.kernel` is
 * `model-mutant:NAME`) — that mutated copy of the model, so that the export
 * shows the failure that was found rather than the correct model passing.
 * Every format that replays (itf, json, md) reads it here.
 * @module
 */
import { step as modelStep } from '../../model/step.js'
import { findModelMutant } from '../../mutants/model-mutants.js'
import type { Trace } from '../../spec/trace.js'
import { kernelText } from '../targets.js'

/** The step function an export replays `trace` with, and how to name it. @public */
export interface ProducingModel {
  readonly step: typeof modelStep
  /** Null for the model itself, else the mutant's kernel name (`model-mutant:NAME`). */
  readonly mutant: string | null
  /** "the model", or the mutant named as the CLI names kernels. */
  readonly text: string
}

/** The model `trace` is replayed on by the exports (see the module comment). @public */
export function producingModel(trace: Pick<Trace, 'producedBy'>): ProducingModel {
  const kernel = trace.producedBy?.kernel
  const mutant = kernel?.startsWith('model-mutant:') === true ? findModelMutant(kernel.slice('model-mutant:'.length)) : undefined
  return mutant === undefined ? { step: modelStep, mutant: null, text: 'the model' } : { step: mutant.step, mutant: kernel!, text: kernelText(kernel!) }
}
