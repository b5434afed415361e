/**
 * Seeded bugs in a copy of the model, for showing that `sila explore` finds them
 * with a shortest trace. Each replaces one handler of the model with a variant
 * that makes one realistic mistake, and leaves every other syscall to the model.
 * (The impl's mutants, which `sila mutants` runs, are kept apart from these.)
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { step as modelStep, type StepResult } from '../model/step.js'
import type { ObjectId } from '../spec/ids.js'
import { type KernelState, type ProcessObject, capDescendants, getContainer, processByRef } from '../model/state.js'
import { lookupSlot, ensureEmptySlot, slotOf } from '../model/checks.js'
import { draft, freeze, newObjectId } from '../model/draft.js'
import { collectGarbage } from '../model/destroy.js'
import { R_GRANT, R_READ, R_WRITE, rightsMask } from '../spec/rights.js'
import { ExactSyscallCodec } from '../spec/syscalls.js'
import { UNIT } from '../spec/results.js'
import { deleteCap, insertCap, revokeCap } from '../model/cdt.js'
import { available, charge } from '../model/accounting.js'

export interface ModelMutant {
  readonly name: string
  readonly description: string
  /** The real-world bug it is modelled on, where there is one. */
  readonly reference: string
  readonly step: (state: KernelState, syscall: unknown) => StepResult
}

/**
 * Runs `handler` for syscalls of `kind` from a running caller, the model
 * otherwise (and where the handler returns null). The handler gets the state
 * after the model's CPU charge (one unit to the caller's container whatever the
 * syscall does, when CPU accounting is on) and the caller in it, so that a
 * mutant differs from the model only in the mistake it makes.
 */
function replacing(kind: string, handler: (state: KernelState, caller: ProcessObject, call: Record<string, unknown>) => StepResult | null): ModelMutant['step'] {
  return (state, syscall) => {
    if (!ExactSyscallCodec.is(syscall) || syscall.kind !== kind) return modelStep(state, syscall)
    const ref = (syscall as { caller?: unknown }).caller
    const caller = typeof ref === 'number' ? processByRef(state, ref) : undefined
    if (caller === undefined || caller.status !== 'running' || caller.owner === null) return modelStep(state, syscall)
    const charged = chargedFor(state, caller.owner)
    if (charged === null) return modelStep(state, syscall)
    return handler(charged, processByRef(charged, caller.ref)!, syscall as unknown as Record<string, unknown>) ?? modelStep(state, syscall)
  }
}

/** The state after the model's CPU charge to `container`; null where the model refuses before charging (no budget left). */
function chargedFor(state: KernelState, container: ObjectId): KernelState | null {
  if (!state.ksCpuAccounting) return state
  if (available(state, getContainer(state, container), 'cpuBudget') < 1) return null
  const work = draft(state)
  charge(work, container, 'cpuBudget', 1)
  return freeze(work)
}

export const MODEL_MUTANTS: ReadonlyArray<ModelMutant> = [
  {
    name: 'copy-grants-requested-rights',
    description: 'cap_copy gives the rights asked for instead of checking they are within the source\'s',
    reference: 'seLe4n audit H-01 (mint grants requested rights instead of requested ∩ source)',
    step: replacing('cap_copy', (state, caller, call) => {
      const source = lookupSlot(state, caller, call.src as number)
      if (E.isLeft(source) || E.isLeft(ensureEmptySlot(caller, call.dst as number))) return null
      const work = draft(state)
      const id = work.ksCapNext++
      work.ksCaps.set(id, { id, object: source.right.object, rights: rightsMask(call.rights as never), badge: source.right.badge, parent: source.right.id, at: slotOf(caller, call.dst as number) })
      work.ksObjects.set(caller.id, { ...caller, slots: caller.slots.map((s, i) => (i === call.dst ? id : s)) })
      return { state: freeze(work), outcome: E.right(UNIT) }
    }),
  },
  {
    name: 'revoke-misses-messages',
    description: 'cap_revoke removes descendants in slots and tables but not those inside queued messages',
    reference: 'kernel.md §2: revoke reaches caps in queued messages',
    step: replacing('cap_revoke', (state, caller, call) => {
      return pipe(lookupSlot(state, caller, call.slot as number), E.match(() => null, (cap) => {
        const work = draft(state)
        for (const descendant of capDescendants(work, cap.id)) if (descendant.at.place !== 'message' && work.ksCaps.has(descendant.id)) deleteCap(work, descendant.id)
        collectGarbage(work)
        return { state: freeze(work), outcome: E.right(UNIT) }
      }))
    }),
  },
  {
    name: 'revoke-deletes-self',
    description: 'cap_revoke deletes the target cap as well as its descendants',
    reference: 'research bug catalogue #9 (revoke deletes the target cap too); the impl mutant of that name is its twin',
    step: replacing('cap_revoke', (state, caller, call) => {
      return pipe(lookupSlot(state, caller, call.slot as number), E.match(() => null, (cap) => {
        const work = draft(state)
        revokeCap(work, cap.id)
        deleteCap(work, cap.id)
        collectGarbage(work)
        return { state: freeze(work), outcome: E.right(UNIT) }
      }))
    }),
  },
  {
    name: 'endpoint-quota-off-by-one',
    description: 'ep_create admits while the endpoints available are ≥ 0 instead of ≥ 1: one endpoint past the limit',
    reference: 'research bug catalogue #18 (admission off by one); the impl mutant of that name is its twin',
    // Only the case the off-by-one changes (nothing available, the slot empty) differs from the model: it admits.
    step: replacing('ep_create', (state, caller, call) => {
      const container = getContainer(state, caller.owner!)
      if (available(state, container, 'endpoints') !== 0 || E.isLeft(ensureEmptySlot(caller, call.dst as number))) return null
      const work = draft(state)
      const id = newObjectId(work)
      work.ksObjects.set(id, { kind: 'endpoint', id, owner: container.id, depth: call.depth as number, queue: [] })
      charge(work, container.id, 'endpoints', 1)
      insertCap(work, { object: id, rights: R_READ | R_WRITE | R_GRANT, badge: 0, parent: null, at: slotOf(caller, call.dst as number) })
      return { state: freeze(work), outcome: E.right(UNIT) }
    }),
  },
]

export function findModelMutant(name: string): ModelMutant | undefined {
  return MODEL_MUTANTS.find((mutant) => mutant.name === name)
}

