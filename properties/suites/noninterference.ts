/**
 * NI-1, noninterference: containers A and B share no channel (no cap to a common
 * object, no namespace in common). Two runs agree on A's syscalls and differ in
 * B's; A's observations (the outcomes of its syscalls) must be identical. Checked
 * on the model and on the kernel.
 *
 * A scenario is a list of lane-tagged fragments: lane `A` runs in both runs, lane
 * `B1` only in the first, `B2` only in the second. A fragment names its caller by a
 * local index into its container's processes (creation order), so B's spawns do
 * not shift which process of A acts.
 * @module
 */
import fc from 'fast-check'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import { type KernelState, containerSubtree, getCap } from '../../model/state.js'
import type { Outcome } from '../../spec/results.js'
import { outcomeToJson } from '../../spec/results.js'
import { firstDifference } from '../../refinement/diff.js'
import { type Fragment, hopFragment, fillFragment, namespaceSyscall, nestFragment, singleSyscall, LIMIT_PRESETS } from '../generators.js'
import { IMAGE_POOL, PROPERTY_BOOT, VALID_IMAGE } from '../pool.js'
import type { Suite, SuiteContext, SuiteFailure } from '../suite.js'

type Lane = 'A' | 'B1' | 'B2'
interface LaneEvent { readonly lane: Lane; readonly local: number; readonly syscall: Record<string, unknown> }

const ALL = ['read', 'write', 'execute', 'grant', 'control']
/** Init makes A (slot 3) and B (slot 4), each with all namespaces new, and one process in each holding control of its container. */
export const NI_PREFIX: ReadonlyArray<Record<string, unknown>> = [
  { kind: 'container_create', caller: 0, parent: 0, dst: 3, limits: LIMIT_PRESETS[0], namespaces: { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base: 1000, count: 1000 } } },
  { kind: 'container_create', caller: 0, parent: 0, dst: 4, limits: LIMIT_PRESETS[0], namespaces: { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: { base: 2000, count: 1000 } } },
  { kind: 'process_spawn', caller: 0, container: 3, image: VALID_IMAGE, uid: 0, slots: 8, grants: [{ slot: 3, rights: ALL }], dst: 5 },
  { kind: 'process_spawn', caller: 0, container: 4, image: VALID_IMAGE, uid: 0, slots: 8, grants: [{ slot: 4, rights: ALL }], dst: 6 },
]

/** A kernel stepped by syscalls: the model (pure, threaded) or the target kernel (mutable). */
interface Runner { step(syscall: unknown): Outcome; processesOf(lane: 'A' | 'B'): number[] }

function modelRunner(): Runner {
  let state: KernelState = boot(PROPERTY_BOOT, IMAGE_POOL)
  const init = state.ksInit
  return {
    step(syscall) { const r = modelStep(state, syscall); state = r.state; return r.outcome },
    processesOf(lane) {
      const capId = (state.ksObjects.get(init) as { slots: ReadonlyArray<number | null> }).slots[lane === 'A' ? 3 : 4]
      if (capId === null || capId === undefined) return []
      const subtree = new Set(containerSubtree(state, getCap(state, capId).object))
      return state.ksProcessRefs.map((id, ref) => ({ id, ref })).filter(({ id }) => subtree.has(state.ksObjects.get(id)?.owner ?? -1)).map(({ ref }) => ref)
    },
  }
}

/** The kernel cannot tell us container membership without the abstraction; we ask it. */
function kernelRunner(context: SuiteContext): Runner {
  const kernel = context.target.create(PROPERTY_BOOT, IMAGE_POOL)
  return {
    step: (syscall) => kernel.step(syscall),
    processesOf(lane) {
      const state = context.target.abstraction.abstract(kernel)
      const capId = (state.ksObjects.get(state.ksInit) as { slots: ReadonlyArray<number | null> }).slots[lane === 'A' ? 3 : 4]
      if (capId === null || capId === undefined) return []
      const subtree = new Set(containerSubtree(state, getCap(state, capId).object))
      return state.ksProcessRefs.map((id, ref) => ({ id, ref })).filter(({ id }) => subtree.has(state.ksObjects.get(id)?.owner ?? -1)).map(({ ref }) => ref)
    },
  }
}

/** A run threw at an event; on the kernel's side that is a refinement failure (the model never throws). */
class RunThrew extends Error {
  constructor(readonly event: number, readonly error: unknown) {
    super(`threw ${event < 0 ? 'in the common prefix' : `at event ${event}`}: ${String(error)}`)
  }
}

/** Runs one of the two runs; returns the resolved syscalls and A's observations by event index. */
function runOnce(runner: Runner, events: ReadonlyArray<LaneEvent>, which: 'B1' | 'B2', coverage: SuiteContext['coverage'] = null): { executed: unknown[]; observed: Map<number, unknown> } {
  const executed: unknown[] = []
  for (const syscall of NI_PREFIX) {
    try { runner.step(syscall) } catch (error) { throw new RunThrew(-1, error) }
    executed.push(syscall)
  }
  const observed = new Map<number, unknown>()
  events.forEach((event, index) => {
    if (event.lane !== 'A' && event.lane !== which) return
    let syscall: Record<string, unknown>
    let outcome: Outcome
    try {
      const processes = event.syscall.kind === 'tick' ? [] : runner.processesOf(event.lane === 'A' ? 'A' : 'B')
      if (event.syscall.kind !== 'tick' && processes.length === 0) {
        // The lane has no process left (it destroyed its own container): nobody acts.
        // Handing the syscall to init instead would let a third party act in the lane.
        if (event.lane === 'A') observed.set(index, 'no process')
        return
      }
      syscall = event.syscall.kind === 'tick' ? event.syscall : { ...event.syscall, caller: processes[event.local % processes.length] }
      outcome = runner.step(syscall)
    } catch (error) {
      throw new RunThrew(index, error)
    }
    coverage?.observe(syscall, outcome, null)
    executed.push(syscall)
    if (event.lane === 'A') observed.set(index, outcomeToJson(outcome))
  })
  return { executed, observed }
}

function compareRuns(make: () => Runner, events: ReadonlyArray<LaneEvent>, side: string, coverage: SuiteContext['coverage'] = null): SuiteFailure | null {
  const first = runOnce(make(), events, 'B1', coverage)
  const second = runOnce(make(), events, 'B2')
  for (const [index, outcome] of first.observed) {
    const difference = firstDifference('outcome', outcome, second.observed.get(index))
    if (difference !== null) {
      return { step: index, invariant: 'NI-1', message: `${side}: A's observation at event ${index} depends on B's syscalls`, witness: { event: events[index], run1: outcome, run2: second.observed.get(index) } }
    }
  }
  return null
}

const laneFragment = fc.record({
  lane: fc.constantFrom<Lane>('A', 'A', 'B1', 'B2'),
  local: fc.integer({ min: 0, max: 3 }),
  fragment: fc.oneof(
    { weight: 5, arbitrary: singleSyscall.map((s): Fragment => [s]) },
    { weight: 2, arbitrary: nestFragment.map((f): Fragment => f.map((s) => ({ ...s, parent: 0 }))) },
    { weight: 2, arbitrary: hopFragment },
    { weight: 1, arbitrary: fillFragment },
    { weight: 2, arbitrary: namespaceSyscall.map((s): Fragment => [s]) },
    { weight: 1, arbitrary: fc.constant<Fragment>([{ kind: 'tick' }]) },
  ),
}).map(({ lane, local, fragment }) => fragment.map((syscall): LaneEvent => ({ lane: syscall.kind === 'tick' ? 'A' : lane, local, syscall })))

export const noninterferenceSuite: Suite = {
  name: 'noninterference',
  description: "A's observations are the same whatever B does, when A and B share no channel",
  covers: ['NI-1'],
  scenario: (maxSteps) => fc.array(laneFragment, { minLength: 1, maxLength: Math.max(1, Math.ceil(maxSteps / 1.5)) }).map((f) => f.flat().slice(0, maxSteps)),
  check(scenario, context) {
    const events = scenario as ReadonlyArray<LaneEvent>
    const onModel = compareRuns(modelRunner, events, 'model', context.coverage)
    if (onModel !== null) return onModel
    try {
      return compareRuns(() => kernelRunner(context), events, 'kernel')
    } catch (error) {
      if (!(error instanceof RunThrew)) throw error
      return { step: error.event, invariant: 'REF-1', message: `kernel ${error.message}`, witness: { event: events[error.event] } }
    }
  },
  executed: (scenario) => runOnce(modelRunner(), scenario as ReadonlyArray<LaneEvent>, 'B2').executed,
}
