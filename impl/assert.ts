/**
 * Internal assertions of the impl (style.md §4, "Carries over to `impl/`"): a broken
 * invariant is a programmer error, never a syscall error, so it throws
 * {@link KernelBug} and is never caught inside the kernel.
 * @module
 */

/** A broken internal invariant of the impl. `code` names the check that failed. @public */
export class KernelBug extends Error {
  constructor(readonly code: string) {
    super(`KernelBug: ${code}`)
    this.name = 'KernelBug'
  }
}

/**
 * Always-on, allocation-free check: `code` is a string literal, so a passing
 * assertion costs one branch.
 * @internal
 */
export function assert(condition: boolean, code: string): asserts condition {
  if (!condition) throw new KernelBug(code)
}
