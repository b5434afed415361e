/**
 * The watchdog of `sila check`: a kernel whose step never returns (a loop in a
 * user's `--kernel`, or a seeded bug) must be reported like any other failure,
 * not hang the check. Each worker keeps a few counters in shared memory (which
 * suite, which generated run, how many steps its kernel answered, whether it is
 * inside the kernel now, a tick on every kernel call and every run) and the text
 * of the syscall it last handed the kernel; the main thread looks at them every
 * second, and a worker whose tick has not moved for the step timeout is stopped.
 * Its suite then fails with the run under way, regenerated from the suite's seed
 * and fast-check path (the suites' generators are deterministic), as its
 * unshrunk counterexample. Writing the text costs a few microseconds a step,
 * against the hundreds a checked step takes.
 * @module
 */
import fc from 'fast-check'
import { Worker } from 'node:worker_threads'
import { watchCalls } from './explore/step-watch.js'
import type { KernelUnderTest, RefinementTarget } from '../refinement/target.js'
import { SUITES } from '../properties/registry.js'
import { SUITE_NAMES, scenarioSteps, setupSteps, type SuiteName } from '../properties/suite.js'
import { NOT_A_RUN, THE_GIVEN_PATH, type CounterExample, type SuiteResult } from '../properties/run.js'
import type { CoverageJson } from '../properties/coverage.js'
import { syscallText } from './stepText.js'
import type { UserProperty } from '../properties/user/define.js'
import { announcedProperties } from './props-input.js'

/** The counters a worker keeps for the watchdog, as indices into its Int32Array. */
const TICKS = 0
const WHERE = 1
const SUITE = 2
const RUN = 3
const STEP = 4
const TEXT_LENGTH = 5
/** The user property being asked (its index in the list {@link watchedProperties} wrapped), while {@link WHERE} is {@link IN_PROPERTY}. */
const PROPERTY = 6
/** The state the user properties are being asked of, where the asker counts states (a replay: its step, -1 at boot). */
const ASKED_AT = 7
/** How many Int32 counters a worker's watch holds. */
const WATCH_CELLS = 8
/** Room for the syscall's text (checker/stepText.ts bounds it well below). */
const TEXT_BYTES = 2048

/** A worker's watch: counters, and the text of the syscall last handed to its kernel, in memory the main thread shares. */
export interface Watch {
  readonly cells: Int32Array
  readonly text: Uint8Array
}

/** What a worker is doing, as {@link WHERE} holds it: outside the kernel, inside one of its three entry points, or asking a user property. */
const OUTSIDE = 0
const IN_STEP = 1
const IN_CREATE = 2
const IN_ABSTRACT = 3
const IN_PROPERTY = 4


/** A new watch for one worker: shared memory it writes and the main thread reads. */
export function newWatch(): Watch {
  const memory = new SharedArrayBuffer(WATCH_CELLS * Int32Array.BYTES_PER_ELEMENT + TEXT_BYTES)
  const cells = new Int32Array(memory, 0, WATCH_CELLS)
  cells[SUITE] = -1
  cells[RUN] = NOT_A_RUN
  return { cells, text: new Uint8Array(memory, WATCH_CELLS * Int32Array.BYTES_PER_ELEMENT, TEXT_BYTES) }
}

/**
 * `target` with its entry points counted in `cells`: each kernel it creates has
 * its `step` wrapped (an own property shadowing the class's method), and `create`
 * and `abstract` are wrapped too. A kernel object that cannot take the property
 * (frozen) is stepped unwatched: a hang there is then reported as no progress
 * outside the kernel.
 */
export function watchedTarget(target: RefinementTarget, watch: Watch): RefinementTarget {
  const { cells, text } = watch
  const encoder = new TextEncoder()
  const wrapped = new WeakSet<object>()
  /** `run` inside the kernel's entry point `where`; the tick moves as it returns (or throws). */
  const inside = <T>(where: number, run: () => T): T => {
    cells[WHERE] = where
    try { return run() } finally { cells[WHERE] = OUTSIDE; Atomics.add(cells, TICKS, 1) }
  }
  const abstraction = target.abstraction
  const compare = abstraction.compare
  return {
    ...target,
    // Every argument passes through: the pipeline suite hands the impl the pool's real bytes as a third.
    create: ((...args: unknown[]) => {
      const kernel = inside(IN_CREATE, () => (target.create as (...all: unknown[]) => KernelUnderTest).apply(target, args))
      cells[STEP] = 0
      if (wrapped.has(kernel)) return kernel
      const inner = kernel.step
      try {
        Object.defineProperty(kernel, 'step', {
          configurable: true, writable: true,
          value: (syscall: unknown) => {
            cells[TEXT_LENGTH] = encoder.encodeInto(syscallText(syscall), text).written
            const outcome = inside(IN_STEP, () => inner.call(kernel, syscall))
            cells[STEP]++
            return outcome
          },
        })
        wrapped.add(kernel)
      } catch { /* a frozen kernel object: stepped unwatched */ }
      return kernel
    }) as RefinementTarget['create'],
    abstraction: {
      ...abstraction,
      abstract: (kernel) => inside(IN_ABSTRACT, () => abstraction.abstract(kernel)),
      ...(compare === undefined ? {} : { compare: (kernel: KernelUnderTest, model: Parameters<typeof compare>[1]) => inside(IN_ABSTRACT, () => compare.call(abstraction, kernel, model)) }),
    },
  }
}

/**
 * The user's properties with their `test` counted in `watch`, as the kernel's
 * calls are: one that does not return is a stall `where: 'property'`, naming
 * it (its index here). Declared properties (a sila-props/1 file) are sila's own
 * evaluators, which return: they are kept as they are.
 */
export function watchedProperties(properties: ReadonlyArray<UserProperty>, { cells }: Watch): UserProperty[] {
  return announcedProperties(properties, {
    asking: (index) => { cells[PROPERTY] = index; cells[WHERE] = IN_PROPERTY },
    answered: () => { cells[WHERE] = OUTSIDE; Atomics.add(cells, TICKS, 1) },
  })
}

/** Told before the user properties are asked of the state after step `step` (a replay's; -1: the boot state), for {@link Stall.askedAt}. */
export function askingAt({ cells }: Watch): (step: number) => void {
  return (step) => { cells[ASKED_AT] = step }
}

/** Told as each scenario starts (`CheckOptions.onRun`): records its suite and run, and ticks. */
export function runRecorder({ cells }: Watch): (suite: SuiteName, run: number) => void {
  return (suite, run) => {
    cells[SUITE] = SUITE_NAMES.indexOf(suite)
    cells[RUN] = run
    cells[STEP] = 0
    // No syscall handed yet in this run: a stall before its first step is not read as at the last run's.
    cells[TEXT_LENGTH] = 0
    Atomics.add(cells, TICKS, 1)
  }
}

/** The tick a watch is at: it moves on every kernel call and every run. */
export function ticksOf(watch: Watch): number {
  return Atomics.load(watch.cells, TICKS)
}

/** Whether the worker is inside one of the kernel's entry points, or asking a user property, now. */
export function insideKernel({ cells }: Watch): boolean {
  return Atomics.load(cells, WHERE) !== OUTSIDE
}

/** What a stopped worker was doing when it stopped answering. */
export interface Stall {
  readonly suite: SuiteName | null
  /** The generated run (fast-check's run index), {@link THE_GIVEN_PATH} or {@link NOT_A_RUN}. */
  readonly run: number
  /** Steps its latest kernel had answered in this run (retaken steps too: at least the unanswered one's index). */
  readonly step: number
  /** The text of the syscall last handed to the kernel (stepText.ts). */
  readonly syscall: string
  readonly where: 'step' | 'create' | 'abstract' | 'property' | 'outside'
  /** With `where: 'property'`: the index of the user property asked, in the list {@link watchedProperties} wrapped. */
  readonly property: number
  /** With `where: 'property'`, where the asker counts states ({@link askingAt}): the step of the state it was asked of. */
  readonly askedAt: number
}

export function stallOf({ cells, text }: Watch): Stall {
  const suite = Atomics.load(cells, SUITE)
  const where = Atomics.load(cells, WHERE)
  return {
    suite: suite < 0 ? null : SUITE_NAMES[suite]!, run: Atomics.load(cells, RUN), step: Atomics.load(cells, STEP),
    syscall: new TextDecoder().decode(text.slice(0, Atomics.load(cells, TEXT_LENGTH))),
    where: where === IN_STEP ? 'step' : where === IN_CREATE ? 'create' : where === IN_ABSTRACT ? 'abstract' : where === IN_PROPERTY ? 'property' : 'outside',
    property: Atomics.load(cells, PROPERTY),
    askedAt: Atomics.load(cells, ASKED_AT),
  }
}

/**
 * Runs `script` on a worker thread, handed `workerData` and a new watch (as
 * `watch`), timing only the calls it makes inside a kernel or a user property:
 * the stall of one that has not returned within `timeoutMs`, or null once the
 * worker ends (it says it is done, fails or exits: the calling thread then
 * meets any failure itself). The worker is stopped either way.
 */
export function watchedWorker(script: URL, workerData: object, timeoutMs: number): Promise<Stall | null> {
  const watch = newWatch()
  const worker = new Worker(script, { workerData: { ...workerData, watch } })
  return new Promise((resolve) => {
    const finish = (found: Stall | null) => { stop(); void worker.terminate(); resolve(found) }
    // The time between calls (the model's work, loading the modules) is not timed.
    const stop = watchCalls([{ inside: () => insideKernel(watch), ticks: () => ticksOf(watch) }], timeoutMs, () => finish(stallOf(watch)))
    worker.on('message', () => finish(null))
    worker.on('error', () => finish(null))
    worker.on('exit', () => finish(null))
  })
}

/** What `stalledResult` needs of the check. */
export interface StallContext {
  /** The suite's fast-check seed (seedOfSuite). */
  readonly seed: number
  readonly maxSteps: number
  /** `--path`, when the check ran one case. */
  readonly path?: string
  readonly timeoutMs: number
  readonly durationMs: number
  /** The user properties the workers ask, by name, in their order (a stall's `property` indexes them). */
  readonly properties?: ReadonlyArray<string>
  /** The suite's last progress (runs and coverage so far). */
  readonly runs: number
  readonly coverage: CoverageJson
}

/**
 * The result of a suite whose worker was stopped: failed, with the run under way
 * (regenerated from the seed and its path) as the counterexample, unshrunk. The
 * failure is ROBUST (every syscall gets an answer) when the kernel did not return;
 * STALL naming the user property when one of theirs did not return (their code
 * is watched as the kernel's calls are); STALL alone when the worker made no
 * progress elsewhere outside the kernel.
 */
export function stalledResult(suite: SuiteName, stall: Stall, context: StallContext): SuiteResult {
  const path = stall.run === THE_GIVEN_PATH ? context.path ?? '' : stall.run >= 0 ? String(stall.run) : ''
  const scenario = path === '' ? [] : scenarioAt(suite, context.seed, context.maxSteps, path)
  const executed = scenario.length === 0 ? [] : SUITES[suite].executed(scenario)
  const seconds = `${(context.timeoutMs / 1000).toLocaleString('en')} s`
  // A failure's step counts the scenario's syscalls; the trace's (executed) may have setup steps before them.
  const offset = setupSteps(executed.length, scenario.length)
  // The unanswered step: the last of the run's syscalls with its text within the steps answered (a suite may retake steps, so the count is only a bound), else the count.
  let index = Math.min(stall.step, executed.length - 1)
  while (index >= 0 && syscallText(executed[index]) !== stall.syscall) index--
  // A property asked before the run's kernel answered a step was asked of the boot state.
  const step = stall.where === 'property' && stall.step === 0 ? offset - 1 : index >= 0 ? index : stall.step
  const property = stall.where === 'property' ? context.properties?.[stall.property] : undefined
  const shown = stall.syscall === '' ? '' : ` (${stall.syscall})`
  const which = path === '' ? (stall.run === NOT_A_RUN ? ' while replaying a stored scenario, shrinking or finding a witness' : '') : ` in run ${path}`
  const message = stall.where === 'step'
    ? `the kernel did not answer step ${step - offset}${shown}${which} within ${seconds}: the check stopped it (every syscall must get an answer)`
    : stall.where === 'create' ? `the kernel's create (its boot) did not return${which} within ${seconds}: the check stopped it`
      : stall.where === 'abstract' ? `the abstraction did not return after step ${step - offset}${shown}${which} within ${seconds}: the check stopped it`
        : property !== undefined ? `the user property ${property} did not return within ${seconds} asked of the ${step - offset < 0 ? 'boot state' : `state after step ${step - offset}${shown}`}${which}: the check stopped it`
        : `no progress for ${seconds} outside the kernel${stall.syscall === '' ? '' : `, after step ${step - offset}${shown}`}${which} (a user property's code, or a step of a frozen kernel object that could not be watched): the check stopped it`
  const counterexample: CounterExample = {
    suite, seed: context.seed, path, scenario,
    failure: {
      step: stall.where === 'create' ? -1 : Math.max(-1, step - offset), invariant: stall.where === 'outside' || stall.where === 'property' ? 'STALL' : 'ROBUST', message,
      ...(property === undefined ? {} : { stalledProperty: property }),
    },
    lengthBefore: scenarioSteps(SUITES[suite], scenario), fromStore: false, stalled: true,
  }
  return { suite, seed: context.seed, runs: context.runs, interrupted: true, durationMs: context.durationMs, coverage: context.coverage, counterexample }
}

/** The scenario suite `suite`'s seed generates at fast-check `path` (the suites' runs are deterministic in seed and path). */
export function scenarioAt(suite: SuiteName, seed: number, maxSteps: number, path: string): unknown[] {
  let found: unknown[] = []
  let first = true
  try {
    fc.check(fc.property(SUITES[suite].scenario(maxSteps), (scenario) => {
      if (first) { found = [...scenario]; first = false }
      return true
    }), { seed, path, numRuns: 1 })
  } catch { /* a path fast-check cannot walk: no scenario */ }
  return found
}
