/**
 * What syscalls answer. A result holds no global identity (kernel.md §1): only
 * kinds, rights, badges, local pids, payloads and counters. `sched_run` is the
 * clock's, so it may name processes by {@link ProcessRef}.
 * @module
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { RightsCodec } from './rights.js'
import { LimitsCodec } from './limits.js'
import { SyscallErrorCodec, type SyscallError, errorText } from './errors.js'
import { BadgeCodec, Nat, PayloadCodec, ProcessRefCodec } from './numbers.js'
import { ObjectKindCodec } from './ids.js'

const Amounts = t.type({ memoryBytes: Nat, processes: Nat, endpoints: Nat, cpuBudget: Nat, ioBytes: Nat })

export const ReplyCodec = t.union([
  t.type({ kind: t.literal('unit') }),
  t.type({ kind: t.literal('cap'), objectKind: ObjectKindCodec, rights: RightsCodec, badge: BadgeCodec }),
  t.type({ kind: t.literal('stats'), limits: LimitsCodec, usage: Amounts, reserved: Amounts }),
  t.type({ kind: t.literal('spawned'), pid: t.union([Nat, t.null]) }),
  t.type({ kind: t.literal('pids'), pids: t.array(Nat) }),
  t.type({ kind: t.literal('message'), payload: PayloadCodec, badge: BadgeCodec, cap: t.keyof({ none: null, received: null, dropped: null }) }),
  t.type({ kind: t.literal('ran'), processes: t.array(ProcessRefCodec) }),
])
/** A successful syscall's answer. @public */
export type Reply = t.TypeOf<typeof ReplyCodec>

/** A syscall's outcome: an error or a reply. @public */
export type Outcome = E.Either<SyscallError, Reply>

export const UNIT: Reply = { kind: 'unit' }

/** How traces store an outcome. */
export const OutcomeJsonCodec = t.union([
  t.type({ ok: t.literal(true), reply: ReplyCodec }),
  t.type({ ok: t.literal(false), error: SyscallErrorCodec }),
])
export type OutcomeJson = t.TypeOf<typeof OutcomeJsonCodec>

export function outcomeToJson(outcome: Outcome): OutcomeJson {
  return E.isRight(outcome) ? { ok: true, reply: outcome.right } : { ok: false, error: outcome.left }
}

/** Short text of an outcome for step tables. */
export function outcomeText(outcome: Outcome): string {
  if (E.isLeft(outcome)) return errorText(outcome.left)
  const reply = outcome.right
  switch (reply.kind) {
    case 'unit': return 'ok'
    case 'cap': return `ok ${reply.objectKind} [${reply.rights.join(',')}]${reply.badge ? ` badge ${reply.badge}` : ''}`
    case 'stats': return `ok usage mem=${reply.usage.memoryBytes} proc=${reply.usage.processes} ep=${reply.usage.endpoints} cpu=${reply.usage.cpuBudget} io=${reply.usage.ioBytes}`
    case 'spawned': return `ok pid ${reply.pid ?? '-'}`
    case 'pids': return `ok pids [${reply.pids.join(',')}]`
    case 'message': return `ok ${JSON.stringify(reply.payload)}${reply.badge ? ` badge ${reply.badge}` : ''}${reply.cap === 'none' ? '' : ` cap ${reply.cap}`}`
    case 'ran': return `ok ran [${reply.processes.join(',')}]`
  }
}
