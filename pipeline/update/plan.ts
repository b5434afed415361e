/**
 * A handler that follows a plan: a queue of syscalls built when their turn comes
 * (so that they can pick a free slot then), each with what to do on success and
 * on refusal. A refusal for a full queue or a spent budget is retried; any other
 * ends the item and calls its `fail`.
 * @module
 */
import type { Outcome } from '../../spec/results.js'
import { type Action, errorCode } from './runtime.js'

/** One planned syscall. */
export interface Planned {
  readonly syscall: Action['syscall']
  readonly ok?: (outcome: Outcome) => void
  readonly fail?: (code: string) => void
}

export class Plan {
  private readonly items: Array<() => Planned> = []

  get length(): number {
    return this.items.length
  }

  /** Adds syscalls at the end. */
  then(...items: Array<() => Planned>): void {
    this.items.push(...items)
  }

  /** Drops what is left (after a refusal that ends the plan). */
  clear(): void {
    this.items.length = 0
  }

  /** The next syscall as an action, or null when the plan is done. */
  next(onRefused: (syscall: Action['syscall'], code: string) => void): Action | null {
    const make = this.items[0]
    if (make === undefined) return null
    const planned = make()
    return {
      syscall: planned.syscall,
      done: (outcome) => {
        const code = errorCode(outcome)
        if (code === 'QueueFull' || code === 'BudgetExhausted') return
        this.items.shift()
        if (code === null) planned.ok?.(outcome)
        else if (planned.fail !== undefined) planned.fail(code)
        else onRefused(planned.syscall, code)
      },
    }
  }
}
