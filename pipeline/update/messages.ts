/**
 * The live update's messages (pipeline.md §4): every one is a JSON text in an IPC
 * payload (a string of at most 4096 characters, kernel.md §5), decoded with an
 * io-ts codec by whoever receives it. Clients and the counter service exchange
 * requests and replies; the ModuleManager, the old and the new instance exchange
 * the update's control messages.
 * @module
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { BOUNDS, NameCodec, intRange } from '../../spec/numbers.js'
import { CounterV1StateCodec } from './counter.js'

const Amount = intRange(0, BOUNDS.payloadIntMax, 'Amount')

/** `{op: 'add', n}` from a client; the reply goes to the endpoint registered under `replyTo`. @public */
export const RequestCodec = t.type({
  type: t.literal('request'),
  requestId: t.string,
  op: t.literal('add'),
  n: Amount,
  replyTo: NameCodec,
})
export type Request = t.TypeOf<typeof RequestCodec>

/** The counter's value after the request was applied, and which instance applied it. @public */
export const ReplyCodec = t.type({
  type: t.literal('reply'),
  requestId: t.string,
  count: t.number,
  served: t.string,
})
export type Reply = t.TypeOf<typeof ReplyCodec>

/** What a cap carried by a bootstrap message is for. */
export const BootstrapRoleCodec = t.keyof({ service: null, status: null, handoff: null, rollback: null, return: null })
export type BootstrapRole = t.TypeOf<typeof BootstrapRoleCodec>

/**
 * How the old instance hands over: `endpoint` moves the service endpoint's receive
 * cap with the snapshot (the protocol); `state-only` sends the state and keeps the
 * cap (the seed's first iteration, where the directory is re-pointed instead).
 */
export const HandoffCodec = t.keyof({ endpoint: null, 'state-only': null })
export type Handoff = t.TypeOf<typeof HandoffCodec>

/** Control messages on an instance's control endpoint and on the ModuleManager's status endpoint. @public */
export const ControlCodec = t.union([
  /** Carries a cap the receiver needs (ModuleManager → instance). */
  t.type({ type: t.literal('bootstrap'), role: BootstrapRoleCodec }),
  /** ModuleManager → old instance; carries a send cap to the hand-off endpoint. */
  t.type({ type: t.literal('prepare-for-update'), handoff: HandoffCodec, drain: t.boolean }),
  /** Old instance → hand-off endpoint; carries the service endpoint's receive cap (handoff `endpoint`). */
  t.type({ type: t.literal('snapshot'), format: t.literal('counter/1'), state: CounterV1StateCodec }),
  /** ModuleManager → new instance, once the old one has let go of the receive cap: read the hand-off endpoint. */
  t.type({ type: t.literal('take-over') }),
  /** New instance → return endpoint when it could not take over; carries the receive cap back. */
  t.type({ type: t.literal('return'), reason: t.string }),
  /** ModuleManager → old instance, once the new one has let go of the receive cap: read the return endpoint. */
  t.type({ type: t.literal('resume'), reason: t.string }),
  /** Instances → ModuleManager. `standby`: the new instance holds its bootstrap caps and waits. */
  t.type({ type: t.literal('standby'), instance: t.string }),
  t.type({ type: t.literal('handed-off'), instance: t.string }),
  t.type({ type: t.literal('healthy'), instance: t.string }),
  t.type({ type: t.literal('ingest-failed'), instance: t.string, reason: t.string }),
  /** Operator (init) → ModuleManager: load `module` from `image` and update the service to it. */
  t.type({ type: t.literal('update'), module: t.string, image: t.string }),
])
export type Control = t.TypeOf<typeof ControlCodec>

/** Any message of the example, as it travels: a payload string. */
export type Message = Request | Reply | Control

/** The payload of a message. */
export function encode(message: Message): string {
  const text = JSON.stringify(message)
  if (text.length > BOUNDS.payloadLengthMax) throw new Error(`update: a ${message.type} message is ${text.length} characters, more than a payload holds`)
  return text
}

/** The message in `payload` if it is valid for `codec`, else null (a server ignores what it cannot read). */
export function decode<A>(codec: t.Decoder<unknown, A>, payload: unknown): A | null {
  if (typeof payload !== 'string') return null
  let value: unknown
  try {
    value = JSON.parse(payload)
  } catch {
    return null
  }
  const decoded = codec.decode(value)
  return E.isRight(decoded) ? decoded.right : null
}
