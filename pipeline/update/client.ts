/**
 * A client of the counter: a process with two slots. It makes its reply
 * endpoint (slot 0) and registers it as `counter.reply.<i>`, looks the service up
 * by name (slot 1: a send-only cap), then sends `add` requests naming its reply
 * endpoint and receives the replies. A request is *accepted* when its `ep_send`
 * succeeds; one refused with `QueueFull` is sent again later, same id. Now and
 * then it drops its send cap and looks the name up again.
 * @module
 */
import { type Request, ReplyCodec, decode, encode } from './messages.js'
import type { UpdateObserver } from './observer.js'
import { type Action, type Actor, type KernelView, errorCode, ok, received } from './runtime.js'
import { DEPTH, OUTSTANDING_MAX, SERVICE_NAME, replyName } from './system.js'

const REPLY = 0
const SEND = 1

export class Client implements Actor {
  ref: number | null = null
  readonly name: string
  /** Requests accepted and not yet answered, by id. */
  readonly outstanding = new Map<string, Request>()
  /** A request refused with `QueueFull`, to send again. */
  pending: Request | null = null
  /** When the run settles: no new requests, no new lookups. */
  draining = false
  private made = false
  private registered = false
  private connected = false
  private sequence = 0

  constructor(readonly index: number, private readonly observer: UpdateObserver) {
    this.name = `client ${index}`
  }

  get ready(): boolean {
    return this.made && this.registered && this.connected
  }

  /** Has a reply waiting, or can send (a request to retry or a new one, and room on the service endpoint). */
  runnable(view: KernelView): boolean {
    if (!this.ready || view.queueLength(this.ref, REPLY) > 0) return true
    const wantsToSend = this.pending !== null || (!this.draining && this.outstanding.size < OUTSTANDING_MAX)
    return wantsToSend && view.hasRoom(this.ref, SEND)
  }

  act(hint: number): Action | null {
    if (!this.made) return { syscall: { kind: 'ep_create', depth: DEPTH.reply, dst: REPLY }, done: (o) => { this.made = ok(o) } }
    if (!this.registered) return { syscall: { kind: 'svc_register', name: replyName(this.index), slot: REPLY }, done: (o) => { this.registered = ok(o) } }
    if (!this.connected) return this.lookUp()
    if (this.draining) {
      if (this.pending !== null && (hint % 2 === 0 || this.outstanding.size === 0)) return this.send(this.pending)
      return this.outstanding.size > 0 ? this.receive() : null
    }
    if (this.outstanding.size > 0 && hint % 4 === 3) return this.receive()
    if (hint % 13 === 12) {
      return { syscall: { kind: 'cap_delete', slot: SEND }, done: (o) => { if (ok(o)) { this.connected = false; this.observer.note(`${this.name} drops its send cap to look "${SERVICE_NAME}" up again`) } } }
    }
    if (this.pending !== null) return this.send(this.pending)
    if (this.outstanding.size < OUTSTANDING_MAX) {
      const request: Request = { type: 'request', requestId: `c${this.index}-${this.sequence++}`, op: 'add', n: 1 + (hint % 9), replyTo: replyName(this.index) }
      return this.send(request)
    }
    return this.receive()
  }

  private lookUp(): Action {
    return { syscall: { kind: 'svc_lookup', name: SERVICE_NAME, dst: SEND }, done: (o) => { this.connected = ok(o) } }
  }

  private send(request: Request): Action {
    return {
      syscall: { kind: 'ep_send', slot: SEND, payload: encode(request) },
      done: (outcome) => {
        if (ok(outcome)) {
          this.pending = null
          this.outstanding.set(request.requestId, request)
          this.observer.accepted(this.index, request)
          return
        }
        this.pending = request
        if (errorCode(outcome) === 'QueueFull') this.observer.note(`request ${request.requestId} refused (QueueFull): not accepted, to be sent again`)
      },
    }
  }

  private receive(): Action {
    return {
      syscall: { kind: 'ep_recv', slot: REPLY },
      done: (outcome) => {
        const message = received(outcome)
        if (message === null) return
        const reply = decode(ReplyCodec, message.payload)
        if (reply === null) return
        this.outstanding.delete(reply.requestId)
        this.observer.replyReceived(this.index, reply)
      },
    }
  }
}
