/**
 * The model wrapped as a kernel under test: the smallest example of the
 * `RefinementTarget` interface, and a baseline (it refines itself trivially) for
 * checking the suites themselves.
 * @module
 */
import { boot } from '../model/boot.js'
import { step, type StepResult } from '../model/step.js'
import type { KernelState } from '../model/state.js'
import type { Outcome } from '../spec/results.js'
import type { KernelUnderTest, RefinementTarget } from './target.js'

/** A model state stepped by the model's `step`, or by another step function (a model mutant's). */
export class ModelKernel implements KernelUnderTest {
  constructor(public state: KernelState, private readonly stepOf: (state: KernelState, syscall: unknown) => StepResult = step) {}
  step(syscall: unknown): Outcome {
    const result = this.stepOf(this.state, syscall)
    this.state = result.state
    return result.outcome
  }
}

export const modelTarget: RefinementTarget<ModelKernel> = {
  name: 'model',
  create: (config, images) => new ModelKernel(boot(config, images)),
  abstraction: { abstract: (kernel) => kernel.state },
}
