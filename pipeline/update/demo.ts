/**
 * The demo's schedule and its timeline text. The schedule is drawn from a seed:
 * clients and V1 warm up, the operator asks for the update, then clients keep
 * sending while the ModuleManager, V1 and V2 are scheduled among them. The
 * timeline shows each syscall with its message summarized, and folds runs of
 * polls that found nothing.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Outcome } from '../../spec/results.js'
import { outcomeText } from '../../spec/results.js'
import { ControlCodec, ReplyCodec, RequestCodec, decode } from './messages.js'
import type { TimelineEntry } from './runtime.js'
import type { UpdateEvent, UpdateVariant } from './scenario.js'
import { type UpdateSystem, imageLabel } from './system.js'

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The demo's events: warm-up, the update request, then load among the update's steps. @public */
export function demoSchedule(seed: number, clients: number, variant: UpdateVariant, length = 140): UpdateEvent[] {
  const next = random(seed)
  const pick = (n: number) => Math.floor(next() * n)
  const hint = () => pick(10000)
  const client = (): UpdateEvent => ({ kind: 'client', client: pick(clients), hint: hint(), quanta: 1 + pick(2) })
  const events: UpdateEvent[] = []
  for (let index = 0; index < 24; index++) events.push(next() < 0.6 ? client() : { kind: 'server', instance: 'v1', hint: hint(), quanta: 1 + pick(2) })
  events.push({ kind: 'operator', variant })
  for (let index = 0; index < length; index++) {
    const roll = next()
    if (roll < 0.4) events.push(client())
    else if (roll < 0.6) events.push({ kind: 'server', instance: 'v1', hint: hint(), quanta: 1 + pick(3) })
    else if (roll < 0.8) events.push({ kind: 'server', instance: 'v2', hint: hint(), quanta: 1 + pick(3) })
    else events.push({ kind: 'manager', hint: hint(), quanta: 1 + pick(4) })
  }
  return events
}

/** A message payload in a few words. */
export function messageText(payload: unknown): string {
  const request = decode(RequestCodec, payload)
  if (request !== null) return `request ${request.requestId} add ${request.n}`
  const reply = decode(ReplyCodec, payload)
  if (reply !== null) return `reply ${reply.requestId} = ${reply.count} (${reply.served})`
  const control = decode(ControlCodec, payload)
  if (control === null) return JSON.stringify(payload)
  switch (control.type) {
    case 'bootstrap': return `bootstrap ${control.role}`
    case 'prepare-for-update': return `prepare-for-update (hand-off ${control.handoff}${control.drain ? '' : ', no drain'})`
    case 'snapshot': return `snapshot ${JSON.stringify(control.state)}`
    case 'update': return `update to ${control.module}`
    case 'return': case 'resume': return control.type
    case 'ingest-failed': return `ingest-failed (${control.instance})`
    case 'standby': case 'handed-off': case 'healthy': return `${control.type} (${control.instance})`
    case 'take-over': return 'take-over'
  }
}

const SHOWN_ARGUMENTS: Readonly<Record<string, ReadonlyArray<string>>> = {
  ep_send: ['slot', 'xfer'], ep_recv: ['slot', 'dst'], ep_create: ['depth', 'dst'], svc_lookup: ['name', 'dst'], svc_register: ['name', 'slot'],
  svc_unregister: ['name'], cap_copy: ['src', 'dst', 'rights'], cap_delete: ['slot'], process_kill: ['slot'], container_destroy: ['slot'],
  container_create: ['parent', 'dst'], mem_alloc: ['sizeBytes', 'dst'], mem_map: ['slot', 'perms'],
}

/** The syscall column: kind, the arguments that matter, the message sent. */
export function syscallSummary(syscall: unknown, system: UpdateSystem): string {
  const call = syscall as Record<string, unknown>
  const kind = String(call.kind)
  if (kind === 'process_spawn') return `process_spawn ${imageLabel(system, String(call.image))} container=${String(call.container)} dst=${String(call.dst)}`
  const shown = (SHOWN_ARGUMENTS[kind] ?? []).filter((key) => call[key] !== undefined).map((key) => `${key}=${Array.isArray(call[key]) ? `[${(call[key] as unknown[]).join(',')}]` : String(call[key])}`)
  const message = kind === 'ep_send' ? ` ${messageText(call.payload)}` : ''
  return `${kind} ${shown.join(' ')}${message}`.trim()
}

/** The outcome column: a received message summarized. */
export function outcomeSummary(outcome: Outcome): string {
  if (E.isRight(outcome) && outcome.right.kind === 'message') return `ok: ${messageText(outcome.right.payload)}${outcome.right.cap === 'none' ? '' : ` + cap ${outcome.right.cap}`}`
  return outcomeText(outcome)
}

/** Timeline rows (step, actor, syscall, outcome, notes), with runs of empty polls folded. */
export function timelineRows(timeline: ReadonlyArray<TimelineEntry>, system: UpdateSystem, everything = false): string[][] {
  const rows: string[][] = []
  let folded = 0
  let first = -1
  const flush = () => {
    if (folded > 0) rows.push([folded === 1 ? String(first) : `${first}…`, '', `(${folded} poll${folded === 1 ? '' : 's'} found nothing)`, '', ''])
    folded = 0
  }
  for (const entry of timeline) {
    const empty = E.isLeft(entry.outcome) && entry.outcome.left.code === 'QueueEmpty' && entry.notes.length === 0
    if (empty && !everything) {
      if (folded === 0) first = entry.step
      folded++
      continue
    }
    flush()
    rows.push([String(entry.step), entry.actor, syscallSummary(entry.syscall, system), outcomeSummary(entry.outcome), entry.notes.join('; ')])
  }
  flush()
  return rows
}
