/**
 * UPD-1, live update (pipeline.md §4): random interleavings of client requests
 * (three clients), scheduling of each instance and of the ModuleManager, and
 * update requests — to V2, to a V2 build that rejects V1's snapshot (rollback), or
 * to an image the kernel refuses to spawn. Each scenario runs on the kernel under
 * test in lockstep with the model (REF-1), and the UPD-1 monitor checks after
 * every step that the name resolves to exactly one live server, that every
 * accepted request is in exactly one place and is answered exactly once, and that
 * the counter's state carries over (pipeline/update/monitor.ts).
 *
 * A scenario is a list of events (pipeline/update/scenario.ts); the system is set
 * up before the events and left to settle after them, so `executed` is longer
 * than the scenario. A failure's `step` is the index of the event during which it
 * was found (the number of events: while settling); the witness gives the index of
 * the syscall.
 * @module
 */
import fc from 'fast-check'
import { type ScenarioFailure, type ScenarioResult, type UpdateEvent, decodeEvents, runScenario } from '../../pipeline/update/scenario.js'
import type { UpdateProtocol } from '../../pipeline/update/manager.js'
import { DEPTH } from '../../pipeline/update/system.js'
import type { Coverage } from '../coverage.js'
import type { Suite, SuiteContext, SuiteFailure } from '../suite.js'

/**
 * The invariant's name. `SuiteFailure['invariant']` lists the kernel's invariants
 * and the suites' own labels; UPD-1 is kernel.md's but not in that list, and this
 * suite adds it without editing the shared type.
 */
export const UPD_1 = 'UPD-1' as unknown as NonNullable<SuiteFailure['invariant']>

/** Clients in a property run. */
const CLIENTS = 3

/** Coverage cases of the update suite (runs that reached each). */
export const UPDATE_CASES = {
  committed: 'update: committed (V1 → V2)',
  rolledBack: 'update: rolled back (V2 rejected the snapshot)',
  refused: 'update: abandoned (V2 refused at spawn)',
  queued: 'update: a request queued during an update',
  inTransit: 'update: a request queued while the receive cap was in transit',
  full: 'update: the service endpoint full during an update',
  waiting: 'update: requests waiting in the endpoint while its receive cap moved',
} as const

const hint = fc.nat({ max: 9999 })
const variant = fc.constantFrom('ok' as const, 'ok' as const, 'ok' as const, 'reject' as const, 'reject' as const, 'refused' as const)
const quanta = (max: number) => fc.integer({ min: 1, max })

/**
 * One event. Processes run for a few activations at a time (the ModuleManager's
 * slices are longer: an update takes it some thirty syscalls), so that within a
 * scenario updates overlap with requests at every stage.
 */
export const updateEvent: fc.Arbitrary<UpdateEvent> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('client' as const), client: fc.nat({ max: CLIENTS - 1 }), hint, quanta: quanta(3) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('server' as const), instance: fc.constant('v1' as const), hint, quanta: quanta(4) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('server' as const), instance: fc.constant('v2' as const), hint, quanta: quanta(4) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('manager' as const), hint, quanta: quanta(8) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('operator' as const), variant }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'tick' as const }) },
)

/**
 * Scenarios of `maxSteps / 2` to `maxSteps` events, with an update requested in
 * the first third (so that it overlaps with requests), and maybe more later.
 */
export function updateScenarios(maxSteps: number): fc.Arbitrary<unknown[]> {
  const length = Math.max(1, maxSteps)
  return fc.tuple(fc.array(updateEvent, { minLength: Math.max(1, Math.floor(length / 2)), maxLength: length }), fc.nat(), variant)
    .map(([events, at, chosen]): unknown[] => {
      const scenario: unknown[] = [...events]
      scenario.splice(at % (1 + Math.floor(events.length / 3)), 0, { kind: 'operator', variant: chosen })
      return scenario.slice(0, length)
    })
}

function bump(coverage: Coverage, name: string): void {
  coverage.cases.set(name, (coverage.cases.get(name) ?? 0) + 1)
}

function recordCoverage(coverage: Coverage, result: ScenarioResult): void {
  const stats = result.stats
  if (stats.committed > 0) bump(coverage, UPDATE_CASES.committed)
  if (stats.rolledBack > 0) bump(coverage, UPDATE_CASES.rolledBack)
  if (stats.refusedAtSpawn > 0) bump(coverage, UPDATE_CASES.refused)
  if (stats.queuedDuringUpdate > 0) bump(coverage, UPDATE_CASES.queued)
  if (stats.queuedInTransit > 0) bump(coverage, UPDATE_CASES.inTransit)
  if (stats.waitingDuringUpdateMax >= DEPTH.service) bump(coverage, UPDATE_CASES.full)
  if (stats.waitingAtHandoff > 0) bump(coverage, UPDATE_CASES.waiting)
}

/** A scenario's failure as the runner reports it. */
export function suiteFailure(failure: ScenarioFailure): SuiteFailure {
  const divergence = failure.divergence
  const difference = divergence !== undefined && 'difference' in divergence ? { difference: divergence.difference } : {}
  return {
    step: failure.event,
    message: failure.kind === 'setup' ? `setup: ${failure.message}` : failure.message,
    invariant: failure.kind === 'REF-1' ? 'REF-1' : UPD_1,
    witness: { ...(failure.clause === undefined ? {} : { clause: failure.clause }), ...(failure.witness ?? {}), syscall: failure.step },
    ...difference,
  }
}

/** The check with a given protocol (the suite uses the correct one; tests use broken ones to see the check fail). */
export function checkUpdate(scenario: ReadonlyArray<unknown>, context: SuiteContext, protocol: UpdateProtocol = 'move-endpoint'): SuiteFailure | null {
  const coverage = context.coverage
  const result = runScenario(decodeEvents(scenario), {
    target: context.target, clients: CLIENTS, protocol,
    ...(coverage === null ? {} : { onStep: (info) => coverage.observe(info.syscall, info.outcome, info.after) }),
  })
  if (coverage !== null) recordCoverage(coverage, result)
  return result.failure === null ? null : suiteFailure(result.failure)
}

/** The suite for a protocol. */
export function updateSuiteFor(protocol: UpdateProtocol): Suite {
  return {
    name: 'update',
    description: 'live update: no request lost or duplicated, the name resolves to exactly one live server, state carries over (or V1 resumes intact)',
    covers: ['UPD-1', 'REF-1'],
    scenario: updateScenarios,
    check: (scenario, context) => checkUpdate(scenario, context, protocol),
    executed: (scenario) => runScenario(decodeEvents(scenario), { clients: CLIENTS, protocol }).executed,
  }
}

export const updateSuite: Suite = updateSuiteFor('move-endpoint')
