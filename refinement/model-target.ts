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

/** The model as a mutable kernel: it keeps the current state and steps it, with the model's `step` or another step function (a model mutant's). @public */
export class ModelKernel implements KernelUnderTest {
  /** @param state - the state to start from (usually the model's {@link boot} state) */
  constructor(public state: KernelState, private readonly stepOf: (state: KernelState, syscall: unknown) => StepResult = step) {}
  /** Steps the model's state with `syscall` and answers its outcome. */
  step(syscall: unknown): Outcome {
    const result = this.stepOf(this.state, syscall)
    this.state = result.state
    return result.outcome
  }
}

/** The model as a refinement target: its abstraction is the identity. @public */
export const modelTarget: RefinementTarget<ModelKernel> = {
  name: 'model',
  create: (config, images) => new ModelKernel(boot(config, images)),
  abstraction: { abstract: (kernel) => kernel.state },
}
