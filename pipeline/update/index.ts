/**
 * Live update (pipeline.md §4, seed 003 §4): a counter service in two versions
 * whose state formats differ, clients, a ModuleManager that updates the service
 * by a protocol of syscalls and messages (the service endpoint's receive cap
 * moves from V1 to V2; V1 resumes when V2 fails), and the UPD-1 monitor.
 * @module
 */
export { CounterV1StateCodec, CounterV2StateCodec, applyV1, applyV2, migrate, valueOf } from './counter.js'
export { ControlCodec, ReplyCodec, RequestCodec, decode, encode } from './messages.js'
export { UPDATE_PROTOCOLS } from './manager.js'
export { UPD1_CLAUSES, Upd1Monitor } from './monitor.js'
export { KernelStepper, LockstepStepper, ModelStepper, Runtime } from './runtime.js'
export { UPDATE_VARIANTS, UpdateEventCodec, decodeEvents, runScenario } from './scenario.js'
export { DEMO_SYSTEM, POOL_SYSTEM, SERVICE_NAME, imageLabel } from './system.js'
export { demoSchedule, messageText, timelineRows } from './demo.js'

export type { CounterModule, CounterV1State, CounterV2State } from './counter.js'
export type { Control, Reply, Request } from './messages.js'
export type { UpdateProtocol } from './manager.js'
export type { UpdateRecord, UpdateStats, Upd1Clause, Upd1Violation } from './monitor.js'
export type { UpdateResult } from './observer.js'
export type { Action, Actor, Stepper, TimelineEntry } from './runtime.js'
export type { ScenarioFailure, ScenarioOptions, ScenarioResult, UpdateEvent, UpdateVariant } from './scenario.js'
export type { ServiceImages, UpdateSystem } from './system.js'
