/**
 * Device I/O (kernel.md §7): `write` on a Device cap, the device in the container's
 * allowed set, and `ioBytes` left in this period (IO-1).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { SyscallOf } from '../../spec/syscalls.js'
import { R_WRITE } from '../../spec/rights.js'
import { quotaExceeded, syscallError } from '../../spec/errors.js'
import { UNIT } from '../../spec/results.js'
import { type KernelState, type ProcessObject, getContainer } from '../state.js'
import { type Check, type Done, ensure, ensureWithin, lookupCapTo } from '../checks.js'
import { draft, freeze } from '../draft.js'
import { available, charge } from '../accounting.js'

export function ioSubmit(state: KernelState, caller: ProcessObject, call: SyscallOf<'io_submit'>): Check<Done> {
  const container = getContainer(state, caller.owner!)
  return pipe(
    lookupCapTo(state, caller, call.slot, 'device', R_WRITE),
    E.chainFirst(({ object }) => ensure(container.limits.devices.includes(object.name), 'PermissionDenied', 'device in the container\'s set')),
    E.chainFirst(() => ensureWithin('ioBytes quota', call.bytes, available(state, container, 'ioBytes'), quotaExceeded('ioBytes'))),
    E.map(() => {
      const work = draft(state)
      charge(work, container.id, 'ioBytes', call.bytes)
      return { state: freeze(work), reply: UNIT }
    }),
  )
}
