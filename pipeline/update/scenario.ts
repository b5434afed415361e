/**
 * Running a live-update scenario: the system is built (setup), then a list of
 * events is played — each schedules one process (a client, the old or new
 * instance, the ModuleManager), asks for an update, or ticks the clock — and then
 * the system is left to settle (drain): every process that has work or a message
 * waiting runs, in turn, until none has (clients keep sending while an update is
 * under way, and stop once none is). UPD-1 is checked after every step from
 * the end of setup on, and once more when the run has settled.
 * @module
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { intRange } from '../../spec/numbers.js'
import type { RefinementTarget } from '../../refinement/target.js'
import { type Divergence, describeDivergence } from '../../refinement/lockstep.js'
import { type CounterModule, type CounterV1State, type CounterV2State } from './counter.js'
import { Client } from './client.js'
import { ModuleManager, type UpdateProtocol } from './manager.js'
import { type UpdateRecord, type UpdateStats, type Upd1Clause, Upd1Monitor, type MonitoredWorld } from './monitor.js'
import { Operator } from './operator.js'
import { type Actor, KernelStepper, LockstepStepper, ModelStepper, Runtime, type StepInfo, type Stepper, type TimelineEntry } from './runtime.js'
import { CounterInstance } from './server.js'
import { CLIENTS_MAX, POOL_SYSTEM, type UpdateSystem } from './system.js'

/** How an update request goes: V2 takes over, V2 rejects the snapshot, or V2's image is refused at spawn. @public */
export const UPDATE_VARIANTS = ['ok', 'reject', 'refused'] as const
export type UpdateVariant = (typeof UPDATE_VARIANTS)[number]

const Hint = intRange(0, 2 ** 31 - 1, 'Hint')

const Quanta = t.partial({ quanta: intRange(1, 16, 'Quanta') })
const scheduled = <P extends t.Props>(props: P) => t.intersection([t.type(props), Quanta])

/**
 * One event of a scenario: run a process for `quanta` activations (default 1; its
 * `hint`, plus the activation's index, picks among its choices), ask for an
 * update, or tick the clock. @public
 */
export const UpdateEventCodec = t.union([
  scheduled({ kind: t.literal('client'), client: intRange(0, 1000, 'Client'), hint: Hint }),
  scheduled({ kind: t.literal('server'), instance: t.keyof({ v1: null, v2: null }), hint: Hint }),
  scheduled({ kind: t.literal('manager'), hint: Hint }),
  t.type({ kind: t.literal('operator'), variant: t.keyof({ ok: null, reject: null, refused: null }) }),
  t.type({ kind: t.literal('tick') }),
])
export type UpdateEvent = t.TypeOf<typeof UpdateEventCodec>

/** The events of a stored scenario that decode; others are skipped (a scenario from elsewhere never throws). */
export function decodeEvents(scenario: ReadonlyArray<unknown>): UpdateEvent[] {
  return scenario.flatMap((event) => { const decoded = UpdateEventCodec.decode(event); return E.isRight(decoded) ? [decoded.right] : [] })
}

export interface ScenarioOptions {
  /** Boot configuration and images (default: the property pool, so that traces replay). */
  readonly system?: UpdateSystem
  /** Number of clients, 1..8 (default 3). */
  readonly clients?: number
  /** The ModuleManager's protocol (default `move-endpoint`, the correct one). */
  readonly protocol?: UpdateProtocol
  /** The kernel to run in lockstep with the model (REF-1); without one the model alone runs. */
  readonly target?: RefinementTarget
  /** With a target: `false` runs it alone, and UPD-1 is checked on its abstracted state (default true). */
  readonly lockstep?: boolean
  /** Keep a timeline of every step. */
  readonly timeline?: boolean
  /** Most steps the drain may take (default 2000). */
  readonly drainSteps?: number
  /** Called after each step (coverage). */
  readonly onStep?: (info: StepInfo) => void
  /** The clauses of UPD-1 to check (default: all). */
  readonly clauses?: ReadonlyArray<Upd1Clause>
}

/** Why a run failed. */
export interface ScenarioFailure {
  readonly kind: 'UPD-1' | 'REF-1' | 'setup'
  /** Which clause of UPD-1. */
  readonly clause?: Upd1Clause
  readonly message: string
  /** Index of the executed syscall after which it was found. */
  readonly step: number
  /** Index of the event being played (-1: setup; the number of events: the drain). */
  readonly event: number
  readonly witness?: Readonly<Record<string, unknown>>
  readonly divergence?: Divergence
}

export interface ScenarioResult {
  readonly failure: ScenarioFailure | null
  readonly executed: unknown[]
  readonly timeline: TimelineEntry[]
  readonly stats: UpdateStats
  /** Each update: how it ended, the states handed over. */
  readonly updates: ReadonlyArray<UpdateRecord>
  /** Steps the setup took. */
  readonly setupSteps: number
  /** The instance serving at the end, and its state. */
  readonly serving: { readonly name: string; readonly module: CounterModule; readonly state: CounterV1State | CounterV2State } | null
  /** The counter's value after the last applied request. */
  readonly value: number
}

const SETUP_STEPS_MAX = 400
/** The clock ticks at least this often (per-period CPU budgets reset). */
const TICK_EVERY = 300
/** Requests for updates an operator may send in one run. */
const UPDATE_REQUESTS_MAX = 2

/** Plays `events` (see the module comment). Deterministic: the same events give the same run. @public */
export function runScenario(events: ReadonlyArray<UpdateEvent>, options: ScenarioOptions = {}): ScenarioResult {
  const system = options.system ?? POOL_SYSTEM
  const clientCount = Math.min(CLIENTS_MAX, Math.max(1, options.clients ?? 3))
  const stepper: Stepper = options.target === undefined ? new ModelStepper(system.boot, system.images)
    : options.lockstep === false ? new KernelStepper(options.target, system.boot, system.images)
    : new LockstepStepper(options.target, system.boot, system.images)
  const instances: CounterInstance[] = []
  let eventIndex = -1
  let runtime: Runtime | null = null
  let manager: ModuleManager | null = null
  const world: MonitoredWorld = {
    get instances() { return instances },
    get managerRef() { return manager?.ref ?? null },
    get updating() { return manager?.updating ?? false },
    get step() { return (runtime?.steps ?? 0) - 1 },
    note: (text) => runtime?.note(text),
  }
  const monitor = new Upd1Monitor(world, options.clauses)
  const run = new Runtime(stepper, {
    timeline: options.timeline ?? false,
    afterStep: (info) => { monitor.afterStep(info.after); options.onStep?.(info) },
  })
  runtime = run
  const newest = () => run.view.newestRef()
  const load = (module: CounterModule): CounterInstance => {
    const successors = instances.filter((instance) => instance.module !== 'counter-v1').length
    const name = module === 'counter-v1' ? 'V1' : successors === 0 ? 'V2' : `V2#${successors + 1}`
    const instance = new CounterInstance(name, module, monitor)
    instance.ref = newest()
    instances.push(instance)
    return instance
  }
  const mm = new ModuleManager(system.modules.v1, options.protocol ?? 'move-endpoint', load, monitor)
  manager = mm
  const clients = Array.from({ length: clientCount }, (_, index) => new Client(index, monitor))
  const operator = new Operator(system, clientCount, (role) => {
    if (role === 'manager') mm.ref = newest()
    else clients[role.client]!.ref = newest()
  }, monitor)

  const stopped = () => monitor.violation !== null || stepper.divergence !== null
  let lastTick = 0
  const clockIfDue = () => {
    if (run.steps - lastTick < TICK_EVERY) return
    lastTick = run.steps
    run.clock({ kind: 'tick' })
  }

  // Setup: each process runs its boot until the service serves and every client is connected.
  const isSetUp = () => operator.ready && mm.phase === 'idle' && instances[0]?.mode === 'serving' && clients.every((client) => client.ready)
  const booting = (actor: Actor) => actor === operator ? !operator.ready : actor === mm ? mm.phase === 'booting' : actor instanceof Client ? !actor.ready : (actor as CounterInstance).mode === 'booting'
  // The service first, then the clients (which look it up).
  for (const group of [() => [operator, mm, ...instances], () => clients]) {
    for (let round = 0; group().some(booting) && !stopped() && run.steps < SETUP_STEPS_MAX; round++) {
      for (const actor of group()) if (booting(actor)) run.activate(actor, round)
    }
  }
  const setupSteps = run.steps
  const result = (failure: ScenarioFailure | null): ScenarioResult => {
    const serving = instances.find((instance) => run.view.isRunning(instance.ref) && instance.isServing) ?? null
    return {
      failure, executed: run.executed, timeline: run.timeline, stats: monitor.stats, updates: monitor.updates, setupSteps, value: monitor.value,
      serving: serving === null ? null : { name: serving.name, module: serving.module, state: serving.state },
    }
  }
  const failed = (): ScenarioFailure | null => {
    if (stepper.divergence !== null) return divergenceFailure(stepper.divergence, eventIndex)
    const violation = monitor.violation
    return violation === null ? null : { kind: 'UPD-1', clause: violation.clause, message: violation.message, step: violation.step, event: eventIndex, witness: violation.witness }
  }
  if (!isSetUp()) return result(failed() ?? { kind: 'setup', message: 'the system could not be set up', step: run.steps - 1, event: -1 })
  monitor.start()

  // The events.
  let updateRequests = 0
  for (eventIndex = 0; eventIndex < events.length && !stopped(); eventIndex++) {
    clockIfDue()
    const event = events[eventIndex]!
    const slice = (actor: Actor | undefined, hint: number, quanta = 1) => {
      for (let quantum = 0; actor !== undefined && quantum < quanta && !stopped(); quantum++) if (!run.activate(actor, hint + quantum)) break
    }
    switch (event.kind) {
      case 'client':
        slice(clients[event.client % clientCount], event.hint, event.quanta)
        break
      case 'server':
        slice(event.instance === 'v1' ? instances[0] : instances.length > 1 ? instances[instances.length - 1] : undefined, event.hint, event.quanta)
        break
      case 'manager':
        slice(mm, event.hint, event.quanta)
        break
      case 'operator':
        if (updateRequests++ >= UPDATE_REQUESTS_MAX) break
        operator.requestUpdate(event.variant === 'reject' ? 'counter-v2-rejecting' : 'counter-v2', event.variant === 'refused' ? system.modules.refused : system.modules.v2)
        run.activate(operator, 0)
        break
      case 'tick':
        lastTick = run.steps
        run.clock({ kind: 'tick' })
        break
    }
  }
  if (stopped()) return result(failed())

  // The drain: whoever has work or a waiting message runs, until nobody does. Clients keep
  // sending while an update is under way (so that every update runs under load), then stop.
  eventIndex = events.length
  const drainLimit = run.steps + (options.drainSteps ?? 2000)
  // Each process counts its own turns, so that its choices cycle whatever the others do.
  const turns = new Map<Actor, number>()
  let settled = false
  while (!stopped() && run.steps < drainLimit) {
    let ran = false
    for (const actor of [operator, mm, ...instances, ...clients]) {
      if (stopped()) break
      for (const client of clients) client.draining = !mm.updating
      if (!run.view.isRunning(actor.ref) || !actor.runnable(run.view)) continue
      clockIfDue()
      const turn = turns.get(actor) ?? 0
      turns.set(actor, turn + 1)
      if (run.activate(actor, turn)) ran = true
    }
    if (!ran) {
      settled = true
      break
    }
  }
  if (!stopped()) {
    const serving = instances.find((instance) => run.view.isRunning(instance.ref) && instance.isServing) ?? null
    monitor.finish(serving, mm.phase === 'idle')
    if (monitor.violation !== null && !settled) {
      const violation = monitor.violation
      monitor.violation = { ...violation, message: `the system did not settle in ${options.drainSteps ?? 2000} steps: ${violation.message}` }
    }
  }
  return result(failed())
}

function divergenceFailure(divergence: Divergence, event: number): ScenarioFailure {
  const described = describeDivergence(divergence)
  return { kind: 'REF-1', message: described.message, step: divergence.step, event, divergence, ...(described.witness === undefined ? {} : { witness: described.witness }) }
}
