/**
 * Shared by the live-update tests: counting requests and replies from a run's
 * timeline — what the clients' syscalls show, independently of the UPD-1 monitor.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { ReplyCodec, RequestCodec, decode } from '../../pipeline/update/messages.js'
import type { Reply, Request } from '../../pipeline/update/messages.js'
import type { TimelineEntry } from '../../pipeline/update/runtime.js'

/** What the clients' own syscalls show: requests whose `ep_send` succeeded, replies their `ep_recv` returned. */
export interface ClientView {
  readonly accepted: Map<string, Request>
  /** Replies received, by request id (a list, to see duplicates). */
  readonly replies: Map<string, Reply[]>
}

export function clientView(timeline: ReadonlyArray<TimelineEntry>): ClientView {
  const accepted = new Map<string, Request>()
  const replies = new Map<string, Reply[]>()
  for (const entry of timeline) {
    if (!entry.actor.startsWith('client') || !E.isRight(entry.outcome)) continue
    const syscall = entry.syscall as { kind: string; payload?: unknown }
    if (syscall.kind === 'ep_send') {
      const request = decode(RequestCodec, syscall.payload)
      if (request !== null) accepted.set(request.requestId, request)
    } else if (syscall.kind === 'ep_recv' && entry.outcome.right.kind === 'message') {
      const reply = decode(ReplyCodec, entry.outcome.right.payload)
      if (reply !== null) replies.set(reply.requestId, [...(replies.get(reply.requestId) ?? []), reply])
    }
  }
  return { accepted, replies }
}

/** Every accepted request answered exactly once, and no reply to anything else. */
export function answeredExactlyOnce(view: ClientView): string | null {
  for (const id of view.accepted.keys()) {
    const count = view.replies.get(id)?.length ?? 0
    if (count !== 1) return `${id} answered ${count} times`
  }
  for (const id of view.replies.keys()) if (!view.accepted.has(id)) return `a reply to ${id}, never accepted`
  return null
}

/** The syscall index of the first timeline entry with a note containing `text`, or -1. */
export function noteAt(timeline: ReadonlyArray<TimelineEntry>, text: string): number {
  return timeline.find((entry) => entry.notes.some((note) => note.includes(text)))?.step ?? -1
}
