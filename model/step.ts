/**
 * The model's one entry point: `step(state, syscall) → {state, outcome}`, pure.
 *
 * The order follows kernel.md §8 (details in docs/decisions.md): the caller's state
 * first (it must name a running process whose container has CPU budget left), then
 * one CPU unit is charged whatever happens next, then the syscall is decoded exactly
 * (any malformed shape is `InvalidArgument`, a field its kind does not have included,
 * at any depth: `bagde` for `badge` is not ignored), then its handler runs its checks and, only
 * if they all pass, its effect. A failed syscall changes nothing but the charge.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { match } from 'ts-pattern'
import { type Syscall, type ProcessSyscall, ExactSyscallCodec, isSyscallKind } from '../spec/syscalls.js'
import { ProcessRefCodec } from '../spec/numbers.js'
import { syscallError } from '../spec/errors.js'
import type { Outcome } from '../spec/results.js'
import { type KernelState, type ProcessObject, getContainer, processByRef } from './state.js'
import type { Check, Done } from './checks.js'
import { available, charge } from './accounting.js'
import { draft, freeze } from './draft.js'
import { beginStepLog, noteBound, noteCheck } from './check-log.js'
import { capCopy, capDelete, capInspect, capMove, capRevoke } from './objects/caps.js'
import { containerCreate, containerDestroy, containerSetLimits, containerStats } from './objects/containers.js'
import { processKill, processList, processSpawn } from './objects/processes.js'
import { memAlloc, memMap, memUnmap } from './objects/memory.js'
import { epCreate, epRecv, epSend } from './objects/ipc.js'
import { mount, netBind, netConnect, netUnbind, resolve, svcLookup, svcRegister, svcUnregister, unmount } from './objects/namespaces.js'
import { ioSubmit } from './objects/devices.js'
import { schedRun, tick } from './objects/clock.js'

/** What one step gives: the next state and the syscall's outcome. */
export interface StepResult {
  readonly state: KernelState
  readonly outcome: Outcome
}

const refuse = (state: KernelState, code: Parameters<typeof syscallError>[0]): StepResult => ({ state, outcome: E.left(syscallError(code)) })

function fieldOf(value: unknown, field: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[field] : undefined
}

/** Caller state: a running process whose container has budget left this period. */
function lookupCaller(state: KernelState, raw: unknown): E.Either<StepResult, ProcessObject> {
  const ref = fieldOf(raw, 'caller')
  noteCheck('caller well formed', ProcessRefCodec.is(ref))
  if (!ProcessRefCodec.is(ref)) return E.left(refuse(state, 'InvalidArgument'))
  const process = processByRef(state, ref)
  noteCheck('caller running', process !== undefined && process.status === 'running')
  if (process === undefined || process.status !== 'running') return E.left(refuse(state, 'NotRunning'))
  if (state.ksCpuAccounting && !noteBound('CPU budget left', 1, available(state, getContainer(state, process.owner!), 'cpuBudget'))) {
    return E.left(refuse(state, 'BudgetExhausted'))
  }
  return E.right(process)
}

/** One CPU unit to the caller's container (when CPU accounting is on). */
function chargeCpu(state: KernelState, caller: ProcessObject): KernelState {
  if (!state.ksCpuAccounting) return state
  const work = draft(state)
  charge(work, caller.owner!, 'cpuBudget', 1)
  return freeze(work)
}

/** Runs a process syscall's handler; each handler is one short function in `objects/`. */
function dispatch(state: KernelState, caller: ProcessObject, call: ProcessSyscall): Check<Done> {
  return match(call)
    .with({ kind: 'cap_copy' }, (c) => capCopy(state, caller, c))
    .with({ kind: 'cap_move' }, (c) => capMove(state, caller, c))
    .with({ kind: 'cap_delete' }, (c) => capDelete(state, caller, c))
    .with({ kind: 'cap_revoke' }, (c) => capRevoke(state, caller, c))
    .with({ kind: 'cap_inspect' }, (c) => capInspect(state, caller, c))
    .with({ kind: 'container_create' }, (c) => containerCreate(state, caller, c))
    .with({ kind: 'container_destroy' }, (c) => containerDestroy(state, caller, c))
    .with({ kind: 'container_set_limits' }, (c) => containerSetLimits(state, caller, c))
    .with({ kind: 'container_stats' }, (c) => containerStats(state, caller, c))
    .with({ kind: 'process_spawn' }, (c) => processSpawn(state, caller, c))
    .with({ kind: 'process_kill' }, (c) => processKill(state, caller, c))
    .with({ kind: 'process_list' }, () => processList(state, caller))
    .with({ kind: 'mem_alloc' }, (c) => memAlloc(state, caller, c))
    .with({ kind: 'mem_map' }, (c) => memMap(state, caller, c))
    .with({ kind: 'mem_unmap' }, (c) => memUnmap(state, caller, c))
    .with({ kind: 'ep_create' }, (c) => epCreate(state, caller, c))
    .with({ kind: 'ep_send' }, (c) => epSend(state, caller, c))
    .with({ kind: 'ep_recv' }, (c) => epRecv(state, caller, c))
    .with({ kind: 'mount' }, (c) => mount(state, caller, c))
    .with({ kind: 'unmount' }, (c) => unmount(state, caller, c))
    .with({ kind: 'resolve' }, (c) => resolve(state, caller, c))
    .with({ kind: 'net_bind' }, (c) => netBind(state, caller, c))
    .with({ kind: 'net_unbind' }, (c) => netUnbind(state, caller, c))
    .with({ kind: 'net_connect' }, (c) => netConnect(state, caller, c))
    .with({ kind: 'svc_register' }, (c) => svcRegister(state, caller, c))
    .with({ kind: 'svc_unregister' }, (c) => svcUnregister(state, caller, c))
    .with({ kind: 'svc_lookup' }, (c) => svcLookup(state, caller, c))
    .with({ kind: 'io_submit' }, (c) => ioSubmit(state, caller, c))
    .exhaustive()
}

function isClockSyscall(call: Syscall): call is Extract<Syscall, { kind: 'tick' | 'sched_run' }> {
  return call.kind === 'tick' || call.kind === 'sched_run'
}

/** The clock's syscalls: no caller, no charge. */
function stepClock(state: KernelState, raw: unknown): StepResult {
  const decoded = ExactSyscallCodec.decode(raw)
  noteCheck('arguments well formed', E.isRight(decoded) && isClockSyscall(decoded.right))
  if (E.isLeft(decoded) || !isClockSyscall(decoded.right)) return refuse(state, 'InvalidArgument')
  const done = match(decoded.right)
    .with({ kind: 'tick' }, () => tick(state))
    .with({ kind: 'sched_run' }, (c) => schedRun(state, c))
    .exhaustive()
  return { state: done.state, outcome: E.right(done.reply) }
}

/** Executes one syscall on the model. Never throws on any input; never mutates `state`. */
export function step(state: KernelState, syscall: unknown): StepResult {
  const kind = fieldOf(syscall, 'kind')
  const clock = kind === 'tick' || kind === 'sched_run'
  // Check coverage counts a clock syscall that names a caller (a malformed one) apart.
  beginStepLog(isSyscallKind(kind) && !(clock && fieldOf(syscall, 'caller') !== undefined) ? kind : 'malformed')
  // The clock's syscalls have no caller; one that names a caller is a process's, and malformed.
  if (clock && fieldOf(syscall, 'caller') === undefined) return stepClock(state, syscall)
  const caller = lookupCaller(state, syscall)
  if (E.isLeft(caller)) return caller.left
  const charged = chargeCpu(state, caller.right)
  const decoded = isSyscallKind(kind) ? ExactSyscallCodec.decode(syscall) : E.left([])
  noteCheck('arguments well formed', E.isRight(decoded) && !isClockSyscall(decoded.right))
  if (E.isLeft(decoded) || isClockSyscall(decoded.right)) return refuse(charged, 'InvalidArgument')
  const result = dispatch(charged, processByRef(charged, caller.right.ref)!, decoded.right)
  return E.isLeft(result) ? { state: charged, outcome: result } : { state: result.right.state, outcome: E.right(result.right.reply) }
}
