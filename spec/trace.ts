/**
 * The native trace file, `sila-trace/1` (tooling.md §4): a boot configuration, the
 * image pool, the syscall steps, and optionally the failure it demonstrates.
 *
 * A step's `syscall` must be a well-formed syscall, unless the step says
 * `"malformed": true`: robustness counterexamples are made of garbage syscalls, and
 * the flag keeps a typo in a hand-written trace from passing as one.
 * @module
 */
import * as t from 'io-ts'
import { BootConfigCodec } from './boot.js'
import { ImageRecordCodec } from './images.js'
import { SyscallCodec } from './syscalls.js'
import { OutcomeJsonCodec } from './results.js'

export const TRACE_FORMAT = 'sila-trace/1'

const WellFormedStep = t.intersection([t.type({ syscall: SyscallCodec }), t.partial({ malformed: t.literal(false), outcome: OutcomeJsonCodec })])
const MalformedStep = t.intersection([t.type({ malformed: t.literal(true), syscall: t.unknown }), t.partial({ outcome: OutcomeJsonCodec })])
export const TraceStepCodec = t.union([WellFormedStep, MalformedStep])
export type TraceStep = t.TypeOf<typeof TraceStepCodec>

export const FailureCodec = t.intersection([
  t.type({ property: t.string }),
  t.partial({
    invariant: t.string,
    /** Index of the step after which it failed (-1: the boot state). */
    step: t.number,
    witness: t.unknown,
    message: t.string,
    seed: t.number,
    path: t.string,
    replayPath: t.string,
  }),
])
export type Failure = t.TypeOf<typeof FailureCodec>

export const TraceCodec = t.intersection([
  t.type({
    format: t.literal(TRACE_FORMAT),
    boot: BootConfigCodec,
    images: t.array(ImageRecordCodec),
    steps: t.array(TraceStepCodec),
  }),
  t.partial({
    failure: FailureCodec,
    description: t.string,
    /** The property suite's own scenario (for example lane-tagged steps), replayed first by later runs. */
    scenario: t.array(t.unknown),
  }),
])
export type Trace = t.TypeOf<typeof TraceCodec>
