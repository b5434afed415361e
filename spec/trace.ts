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
import { ExactSyscallCodec, SyscallCodec } from './syscalls.js'
import type { Problem } from './exact.js'
import { OutcomeJsonCodec } from './results.js'
import { stringMatching } from './numbers.js'

export const TRACE_FORMAT = 'sila-trace/1'

const WellFormedStep = t.intersection([t.type({ syscall: SyscallCodec }), t.partial({ malformed: t.literal(false), outcome: OutcomeJsonCodec })])
/** A step's syscall said to be malformed: anything but a well-formed syscall (a flag left on one would hide a typo the other way). */
const NotWellFormed = new t.Type<unknown>(
  'a malformed syscall',
  (u): u is unknown => !ExactSyscallCodec.is(u),
  (u, context) => {
    if (!ExactSyscallCodec.is(u)) return t.success(u)
    const statement = 'a well-formed syscall, yet the step says "malformed": true (remove the flag)'
    return t.failures([{ value: u, context, message: statement, statement } as Problem])
  },
  t.identity,
)
const MalformedStep = t.intersection([t.type({ malformed: t.literal(true), syscall: NotWellFormed }), t.partial({ outcome: OutcomeJsonCodec })])
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
    /** For a user property (spec/props.ts): its sentence, and the `--props` file that states it, as given. */
    says: t.string,
    props: t.string,
    /**
     * STALL: the user property (of `props`) that did not return within the
     * step timeout, asked of the state after `step`; sila replay asks it
     * there again, watched, and reports it unanswered.
     */
    stalledProperty: t.string,
  }),
])
export type Failure = t.TypeOf<typeof FailureCodec>

/**
 * The kernel a trace's failure was found on: `impl`, `model` (the model itself, by
 * `sila explore`), `mutant:NAME` (a seeded bug of the impl), `model-mutant:NAME` (a
 * seeded bug in a copy of the model) or `file:PATH` (a user's kernel module, the
 * path as given to `--kernel`, relative to the directory the command ran in).
 */
export const KernelNameCodec = stringMatching(/^(?:impl|model|(?:mutant|model-mutant):[A-Za-z0-9][A-Za-z0-9._-]*|file:.+)$/, 4096, 'a kernel name (impl, model, mutant:NAME, model-mutant:NAME or file:PATH)')
export type KernelName = t.TypeOf<typeof KernelNameCodec>

/**
 * What produced the trace: the kernel its failure was found on, and the command
 * that found it (`sila check … --seed S --path P`, `sila explore …`), with that
 * command's `--seed` and fast-check's `path` of the failing case. `sila replay`
 * replays on that kernel unless told otherwise. Optional: traces written before
 * it, and hand-written ones, do not say.
 */
export const ProducedByCodec = t.intersection([
  t.type({ kernel: KernelNameCodec }),
  t.partial({ command: t.string, seed: t.number, path: t.string }),
])
export type ProducedBy = t.TypeOf<typeof ProducedByCodec>

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
    producedBy: ProducedByCodec,
  }),
])
export type Trace = t.TypeOf<typeof TraceCodec>
