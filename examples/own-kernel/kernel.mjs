// A kernel of your own, checked against the SILA model: a module that exports
// `target`, with `create(bootConfig, images)` returning a kernel whose
// `step(syscall)` answers like the model (an fp-ts Either of error or reply), and
// `abstraction.abstract(kernel)` giving the model state it stands for.
//
// This example wraps the project's impl and adds one bug of the kind a
// hand-written syscall layer makes: cap_inspect forgets to report the badge.
//
//   npx sila check --kernel examples/own-kernel/kernel.mjs refinement
//
// finds it and prints a short counterexample. See docs/own-kernel.md.
import { Kernel } from 'sila-kernel/impl'
import { abstractState } from 'sila-kernel/refinement'

class ForgetfulKernel {
  constructor(inner) { this.inner = inner }
  step(syscall) {
    const outcome = this.inner.step(syscall)
    if (outcome._tag === 'Right' && outcome.right.kind === 'cap') return { _tag: 'Right', right: { ...outcome.right, badge: 0 } }
    return outcome
  }
}

export const target = {
  name: 'forgetful-kernel',
  create: (config, images) => new ForgetfulKernel(Kernel.boot(config, images)),
  abstraction: { abstract: (kernel) => abstractState(kernel.inner) },
}
