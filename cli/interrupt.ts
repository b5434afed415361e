/**
 * Ctrl-C from the first moment: the entry point (cli/main.ts) installs this
 * listener before it loads the rest of sila, so that an interrupt during start-up
 * (loading and compiling sila's modules, booting a large system: a second or more
 * on a busy machine) is not Node's default, which ends the process at once with
 * nothing reported or written. For the commands that report what they found when
 * interrupted (check, explore, mutants) the interrupt is kept, and the command,
 * once its own listener is in place, acts on it ({@link interruptedBefore}); a
 * second Ctrl-C ends the process at once. Every other command ends with exit 130
 * at the first, as by default.
 * @module
 */

/** The commands that stop and report on Ctrl-C. */
const REPORTING = new Set(['check', 'explore', 'mutants'])

/**
 * Signals this close together are one Ctrl-C. Node can emit one SIGINT twice
 * within a millisecond (seen while a worker thread starts: 2 runs in 30 of
 * `timeout -s INT 0.4 sila explore`), and a second emit taken for a second
 * Ctrl-C ended the run with nothing reported; no one presses Ctrl-C twice
 * within a quarter of a second.
 */
const SAME_INTERRUPT_MS = 250

let interrupts = 0
let last = Number.NEGATIVE_INFINITY
let reporting = false

/** Installs the listener (once, first thing): `command` is the first argument, the command's name. @internal */
export function installInterrupts(command: string | undefined): void {
  reporting = command !== undefined && REPORTING.has(command)
  process.on('SIGINT', () => {
    const now = performance.now()
    const repeat = now - last < SAME_INTERRUPT_MS
    last = now
    if (repeat) return
    interrupts++
    // A command's own listener took the first interrupt, or none will: end now, as Node's default would (128 + SIGINT).
    if (!reporting || interrupts > 1) process.exit(130)
  })
}

/** Whether Ctrl-C came before the command's own listener was installed: the command then stops at once, reporting what it has. @internal */
export function interruptedBefore(): boolean {
  return interrupts > 0
}
