/**
 * Device I/O (kernel.md §7), mirroring model/objects/devices.ts: `write` on a Device
 * cap, the device in the container's allowed set, and `ioBytes` left in this
 * period (IO-1).
 * @module
 * @internal
 */
import type { Outcome } from '../../spec/results.js'
import { R_WRITE } from '../../spec/rights.js'
import type { Kernel } from '../kernel.js'
import { type Fields, isIoSubmit } from '../validate.js'
import { lookupCapTo } from '../checks.js'
import { available, charge } from '../accounting.js'
import { E_INVALID_ARGUMENT, E_PERMISSION_DENIED, OK, failure, quotaCode } from '../outcomes.js'
import { KIND_DEVICE, RES_IO } from '../tables/objects.js'
import { limitsOf } from './containers.js'

export function ioSubmit(k: Kernel, caller: number, call: Fields): Outcome {
  if (!isIoSubmit(call)) return failure(E_INVALID_ARGUMENT)
  const container = k.objects.owner[caller]
  const cap = lookupCapTo(k, caller, call['slot'] as number, KIND_DEVICE, R_WRITE)
  if (cap < 0) return failure(cap)
  if (!limitsOf(k, container).devices.includes(k.objects.text[k.caps.object[cap]]!)) return failure(E_PERMISSION_DENIED)
  const bytes = call['bytes'] as number
  if (available(k, container, RES_IO) < bytes) return failure(quotaCode(RES_IO))
  charge(k, container, RES_IO, bytes)
  return OK
}
