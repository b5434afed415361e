/**
 * A small process runtime for the loading protocol (pipeline.md §3): a service is
 * a kernel process (spawned by init with the caps it needs) plus a TypeScript
 * handler that, whenever the kernel's scheduler runs that process, issues that
 * process's syscalls — `ep_recv` on its endpoint, `ep_send` of replies — and
 * returns. Everything a handler does goes through `Kernel.step` with its own
 * creation index as the caller: a service has exactly the authority its caps give.
 *
 * The runtime drives the clock: each round is a `tick` (a new budget period) and a
 * `sched_run`; each quantum the kernel hands to a process with a handler is one
 * activation of that handler, in the kernel's order.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { outcomeText, type Outcome } from '../../spec/results.js'
import type { KernelUnderTest } from '../../refinement/target.js'

/** One line of the exchange: a syscall, a message (decoded), or a note by an actor. @public */
export type ExchangeEntry =
  | { readonly kind: 'syscall'; readonly actor: string; readonly syscall: Readonly<Record<string, unknown>>; readonly outcome: Outcome; readonly idle: boolean }
  | { readonly kind: 'message'; readonly from: string; readonly to: string; readonly type: string; readonly payload: string; readonly cap: boolean }
  | { readonly kind: 'note'; readonly actor: string; readonly text: string }

/** What a handler is given when its process runs. @public */
export interface ProcessContext {
  /** The process's creation index (its `caller`). */
  readonly ref: number
  readonly name: string
  /** Issues a syscall as this process. `idle` marks a poll that found nothing (left out of printed exchanges). */
  call(syscall: Readonly<Record<string, unknown>>, options?: { readonly idle?: (outcome: Outcome) => boolean }): Outcome
  /** Records a message this process sent, for the exchange. */
  message(entry: { readonly from: string; readonly to: string; readonly type: string; readonly payload: string; readonly cap: boolean }): void
  note(text: string): void
}

/** A process's code: runs for one quantum, issuing its syscalls, then returns. @public */
export interface ProcessHandler {
  activate(process: ProcessContext): void
}

/** An `ep_recv` or `svc_lookup` that found nothing is a poll, not news. */
export const isPoll = (outcome: Outcome): boolean => E.isLeft(outcome) && (outcome.left.code === 'QueueEmpty' || outcome.left.code === 'NotFound')

/** Runs handlers of kernel processes when the kernel schedules them. @public */
export class Runtime {
  readonly log: ExchangeEntry[] = []
  private readonly handlers = new Map<number, { readonly name: string; readonly handler: ProcessHandler }>()
  private readonly names = new Map<number, string>([[0, 'init']])
  /** Creation index of the last process spawned through the runtime (init is 0; boot declares no others). */
  lastSpawned = 0

  constructor(readonly kernel: KernelUnderTest, private readonly quantaPerRound = 16) {}

  /** Names a process (for the exchange) and gives it a handler, if it has code to run. */
  attach(ref: number, name: string, handler?: ProcessHandler): void {
    this.names.set(ref, name)
    if (handler !== undefined) this.handlers.set(ref, { name, handler })
  }

  nameOf(ref: number): string {
    return this.names.get(ref) ?? `process ${ref}`
  }

  /** A syscall by the process `ref`, logged. */
  call(ref: number, syscall: Readonly<Record<string, unknown>>, idle?: (outcome: Outcome) => boolean): Outcome {
    const full = { ...syscall, caller: ref }
    const outcome = this.kernel.step(full)
    // Creation indices count successful spawns: every spawn goes through here.
    if (syscall['kind'] === 'process_spawn' && E.isRight(outcome)) this.lastSpawned++
    this.log.push({ kind: 'syscall', actor: this.nameOf(ref), syscall: full, outcome, idle: idle?.(outcome) ?? false })
    return outcome
  }

  private context(ref: number, name: string): ProcessContext {
    return {
      ref, name,
      call: (syscall, options) => this.call(ref, syscall, options?.idle),
      message: (entry) => this.log.push({ kind: 'message', ...entry }),
      note: (text) => this.log.push({ kind: 'note', actor: name, text }),
    }
  }

  /**
   * Rounds of `tick` then `sched_run`, activating the handler of each process the
   * kernel runs, until `done()` holds (checked after every activation) or
   * `roundsMax` rounds have passed. Returns whether `done()` held.
   */
  run(done: () => boolean, roundsMax = 200): boolean {
    for (let round = 0; round < roundsMax; round++) {
      this.kernel.step({ kind: 'tick' })
      const ran = this.kernel.step({ kind: 'sched_run', quanta: this.quantaPerRound })
      if (E.isLeft(ran) || ran.right.kind !== 'ran') throw new Error(`sched_run answered ${outcomeText(ran)}`)
      for (const ref of ran.right.processes) {
        const entry = this.handlers.get(ref)
        if (entry === undefined) continue
        entry.handler.activate(this.context(ref, entry.name))
        if (done()) return true
      }
    }
    return done()
  }
}
