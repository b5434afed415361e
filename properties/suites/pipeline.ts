/**
 * The `pipeline` suite (pipeline.md §3, §5): the model and the kernel booted from
 * the same real, signed image pool — the model from its symbolic records
 * (`symbolicImage`), the kernel from the exact bytes, which it verifies itself —
 * run generated sequences in lockstep. Outcomes and abstract states must agree
 * (REF-1, `ksImages` included: the kernel's own verdicts are the model's
 * signatures' `verifies`), and IMG-1/IMG-2 must hold after every step. The pool
 * holds an image signed by two keys, the first untrusted (valid: one entry per
 * digest, with all its signatures, kernel.md §4).
 *
 * Scenarios are the generators' fragments with their images drawn from the real
 * pool (each symbolic pool image stands for the real one in the same place), a
 * probe that spawns every refused pool image at the start and every other one at
 * the end, and a few pool spawns inserted anywhere. Before
 * each run, a pool that offers one of its digests twice (the same bytes, another
 * byte set, or other signatures under that manifest) must be refused at boot by
 * the model and by the kernel. A few spawns name a near miss of a pool digest (a
 * hex digit changed, a prefix, a letter in upper case, `sha256:` dropped or in
 * upper case): refused by both, NotFound or InvalidArgument. The coverage records,
 * per run, which pool image met which verdict (`pool LABEL: VERDICT`), which near
 * miss met which (`pool near miss (FORM): VERDICT`) and the duplicate refused.
 * @module
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { invariantById, type InvariantId, type StepContext, type Violation } from '../../spec/invariants/index.js'
import type { KernelState } from '../../model/state.js'
import type { Outcome } from '../../spec/results.js'
import type { BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import type { ImageBytes, RealImages } from '../../impl/images.js'
import { boot } from '../../model/boot.js'
import { type Divergence, Lockstep, type LockstepStep, abstractOrUnreadable, describeDivergence } from '../../refinement/lockstep.js'
import type { KernelUnderTest, RefinementTarget } from '../../refinement/target.js'
import { realImages } from '../../pipeline/kernel/boot.js'
import { POOL_LABELS, POOL_VERDICTS, realPool, type PoolLabel, type RealPool } from '../../pipeline/kernel/pool.js'
import { KernelImageVerifier } from '../../pipeline/kernel/verify.js'
import { BALANCED, flatten, syscallSequence } from '../generators.js'
import { IMAGE_POOL } from '../pool.js'
import { type Suite, type SuiteContext, type SuiteFailure, violationFailure } from '../suite.js'

const IMAGE_INVARIANTS: ReadonlyArray<InvariantId> = ['IMG-1', 'IMG-2']

/** IMG-1 and IMG-2 (only: the suites of the whole catalogue check the rest) on a state, or on a step. */
function imageViolations(state: KernelState, step?: StepContext): Violation[] {
  return IMAGE_INVARIANTS.flatMap((id) => {
    const invariant = invariantById(id)
    const found = invariant.scope === 'state' ? invariant.check(state) : step === undefined ? O.none : invariant.check(step)
    return O.isSome(found) ? [found.value] : []
  })
}
/** The image verdicts the coverage counts per pool image. */
const VERDICTS: ReadonlySet<string> = new Set(['success', 'SignatureInvalid', 'RollbackDenied'])
const PROBE_SLOT = 15
const ALL_RIGHTS = ['read', 'write', 'execute', 'grant', 'control']

/** The real pool, and the symbolic digest → real digest map the scenarios are rewritten with. */
function pool(): { real: RealPool; substitute: ReadonlyMap<string, string>; labels: ReadonlyMap<string, PoolLabel> } {
  const real = realPool()
  return {
    real,
    substitute: new Map(IMAGE_POOL.map((image, index) => [image.digest, real.images[index]!.record.digest])),
    labels: new Map(real.images.map((image) => [image.record.digest, image.label])),
  }
}

/** A syscall with its image, if a symbolic pool digest, replaced by the real one. */
function withRealImage(syscall: Record<string, unknown>, substitute: ReadonlyMap<string, string>): Record<string, unknown> {
  const image = syscall['image']
  if (syscall['kind'] !== 'process_spawn' || typeof image !== 'string') return syscall
  const real = substitute.get(image)
  return real === undefined ? syscall : { ...syscall, image: real }
}

function spawn(image: string, fields: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return { kind: 'process_spawn', caller: 0, container: 0, image, uid: 0, slots: 8, grants: [], dst: PROBE_SLOT, ...fields }
}

/** A pool spawn anywhere: a few callers and containers, any pool image, sometimes granting the container. */
const poolSpawn = fc
  .record({ caller: fc.constantFrom(0, 0, 1, 2), container: fc.constantFrom(0, 0, 3, 4), label: fc.integer({ min: 0, max: POOL_LABELS.length - 1 }), grant: fc.boolean(), dst: fc.integer({ min: 6, max: 15 }) })

/** The pool images every kernel must refuse, by index. */
const REFUSED = POOL_LABELS.flatMap((label, index) => (POOL_VERDICTS[label] === 'success' ? [] : [index]))

/**
 * How a spawn may miss a pool digest (kernel.md §4: an image is named by its
 * manifest digest, exactly): its hex with one digit changed, cut short, or with a
 * letter in upper case, or kept whole; written after `sha256:`, after `SHA256:`,
 * or bare. Kept whole after `sha256:` it is the digest itself, so that one is
 * drawn as a changed digit. The model answers NotFound for the changed digit
 * after `sha256:` (well formed, in no pool) and InvalidArgument for every other
 * (kernel.md §8: malformed); the kernel must answer the same.
 */
const NEAR_MISS_HEX = ['one hex digit', 'prefix', 'upper case', 'whole'] as const
const NEAR_MISS_SCHEMES = ['sha256:', 'SHA256:', ''] as const
const nearMissSpawn = fc.record({
  label: fc.integer({ min: 0, max: POOL_LABELS.length - 1 }), hex: fc.constantFrom(...NEAR_MISS_HEX),
  // The well-formed scheme half the time: a miss that is a valid digest is the one a loose lookup would take.
  scheme: fc.oneof({ weight: 2, arbitrary: fc.constant(NEAR_MISS_SCHEMES[0]) }, { weight: 1, arbitrary: fc.constantFrom(...NEAR_MISS_SCHEMES.slice(1)) }),
  position: fc.integer({ min: 0, max: 63 }), step: fc.integer({ min: 1, max: 15 }),
})

/** The near miss of `digest` (`sha256:<64 hex>`) that `miss` describes; never `digest` itself. */
function nearMissOf(digest: string, miss: { hex: (typeof NEAR_MISS_HEX)[number]; scheme: (typeof NEAR_MISS_SCHEMES)[number]; position: number; step: number }): string {
  const hex = digest.slice('sha256:'.length)
  const changedDigit = () => `${hex.slice(0, miss.position)}${((Number.parseInt(hex[miss.position]!, 16) + miss.step) % 16).toString(16)}${hex.slice(miss.position + 1)}`
  const letter = [...hex].findIndex((digit, index) => index >= miss.position && /[a-f]/.test(digit))
  const upper = letter < 0 ? hex.toUpperCase() : `${hex.slice(0, letter)}${hex[letter]!.toUpperCase()}${hex.slice(letter + 1)}`
  const text = { 'one hex digit': changedDigit(), prefix: hex.slice(0, miss.position), 'upper case': upper, whole: hex }[miss.hex]
  return miss.hex === 'whole' && miss.scheme === 'sha256:' ? `sha256:${changedDigit()}` : `${miss.scheme}${text}`
}

/**
 * The way `image` misses one of `digests` (`'one hex digit'`, `'prefix, bare'`,
 * …), or null when it is one of them or near none. For the coverage: the check
 * reads it back from the spawn, whoever generated it.
 */
export function nearMissForm(image: unknown, digests: ReadonlyArray<string>): string | null {
  if (typeof image !== 'string' || digests.includes(image)) return null
  const scheme = image.startsWith('sha256:') ? '' : /^sha256:/i.test(image) ? ', SHA256:' : ', bare'
  const text = image.replace(/^sha256:/i, '')
  for (const digest of digests) {
    const hex = digest.slice('sha256:'.length)
    if (text === hex) return `whole${scheme}`
    if (text.toLowerCase() === hex) return `upper case${scheme}`
    if (text.length < hex.length && hex.startsWith(text)) return `prefix${scheme}`
    if (text.length === hex.length && [...text].filter((digit, index) => digit !== hex[index]).length === 1) return `one hex digit${scheme}`
  }
  return null
}

function scenarioOf(maxSteps: number): fc.Arbitrary<unknown[]> {
  return fc
    .tuple(
      fc.shuffledSubarray(REFUSED, { minLength: REFUSED.length, maxLength: REFUSED.length }),
      syscallSequence(BALANCED, Math.max(1, Math.ceil(maxSteps / 1.6))),
      fc.array(fc.tuple(fc.nat(), poolSpawn), { maxLength: 3 }),
      // Last, so that the parts before it draw as they did before it was added.
      fc.array(fc.tuple(fc.nat(), nearMissSpawn), { maxLength: 2 }),
    )
    .map(([refused, fragments, extra, near]) => {
      const { real, substitute } = pool()
      const digest = (index: number) => real.images[index]!.record.digest
      // Every refused pool image first (nothing is spawned, creation indices stay the fragments'), the valid ones last.
      const valid = POOL_LABELS.flatMap((label, index) => (index > 0 && POOL_VERDICTS[label] === 'success' ? [spawn(digest(index)), { kind: 'cap_delete', caller: 0, slot: PROBE_SLOT }] : []))
      const body: Record<string, unknown>[] = flatten(fragments, Math.max(1, maxSteps - 1 - refused.length - valid.length - extra.length - near.length)).map((syscall) => withRealImage(syscall, substitute))
      for (const [at, choice] of extra) {
        const grants = choice.grant ? [{ slot: choice.container, rights: ALL_RIGHTS }] : []
        body.splice(at % (body.length + 1), 0, spawn(digest(choice.label), { caller: choice.caller, container: choice.container, grants, dst: choice.dst }))
      }
      // A near miss refused changes nothing (kernel.md §8), so it may go anywhere; one the kernel wrongly takes diverges there.
      for (const [at, miss] of near) body.splice(at % (body.length + 1), 0, spawn(nearMissOf(digest(miss.label), miss)))
      return [...refused.map((index) => spawn(digest(index))), ...body, ...valid, spawn(digest(0))]
    })
}

/** Targets that take real images as `create`'s third argument: ours, and its mutants (copies of it). */
function takesRealImages(target: RefinementTarget): boolean {
  return target.name === 'impl' || target.name.startsWith('mutant:')
}

interface Booted {
  readonly kernel: KernelUnderTest & { snapshot(): unknown; restore(saved: unknown): void }
  readonly saved: unknown
}
/** One booted kernel per target `create` (and thread): later runs restore its boot state instead of verifying again. */
let booted = new WeakMap<RefinementTarget['create'], Booted>()

/**
 * Forgets the kernels booted so far, so that the next run of each target boots
 * (and verifies the pool) again. For a caller that changes the code under test
 * between runs in one thread: the mutation runner switches the active mutant
 * (tools/mutation/sila-runner-worker.mjs), and a boot kept from another mutant's
 * run would hide a mutant of the boot or take on another's damage.
 */
export function forgetBootedKernels(): void {
  booted = new WeakMap()
}

function hasSnapshots(kernel: KernelUnderTest): kernel is Booted['kernel'] {
  const candidate = kernel as Partial<Booted['kernel']>
  return typeof candidate.snapshot === 'function' && typeof candidate.restore === 'function'
}

/**
 * The kernel under test booted from the pool's bytes (or, for a target that takes
 * no real images, from its records). A target whose kernels snapshot is booted
 * (and so verifies the pool) once per thread; each run then starts from a restore
 * of that boot state.
 */
function bootTarget(target: RefinementTarget, real: RealPool): RefinementTarget {
  const fresh = bootFromPool(target, real)
  return {
    name: target.name,
    abstraction: target.abstraction,
    create: (config) => {
      const known = booted.get(target.create)
      if (known !== undefined) {
        known.kernel.restore(known.saved)
        return known.kernel
      }
      const kernel = fresh(config)
      if (hasSnapshots(kernel)) booted.set(target.create, { kernel, saved: kernel.snapshot() })
      return kernel
    },
  }
}

/**
 * `target` as the pipeline suite runs it, without the per-thread boot cache:
 * each kernel booted from the real pool's bytes (verified at boot), so that a
 * replay of a pipeline counterexample meets what the run met — a kernel's
 * mistake in verifying the bytes (a cache keyed by name, say) is invisible
 * from the pool's records alone, which carry only verdicts.
 * @public
 */
export function realPoolTarget(target: RefinementTarget): RefinementTarget {
  return { name: target.name, abstraction: target.abstraction, create: bootFromPool(target, realPool()) }
}

/** A fresh kernel of `target` booted on `config` from the pool's bytes (or, for a target that takes no real images, its records). */
function bootFromPool(target: RefinementTarget, real: RealPool): (config: BootConfig) => KernelUnderTest {
  const create = target.create as (config: BootConfig, images: ReadonlyArray<ImageRecord>, real?: RealImages) => KernelUnderTest
  return (config) => (takesRealImages(target) ? create(config, [], realImages(real.bytes, new KernelImageVerifier())) : create(config, real.records))
}

/** Whether a trace's boot and images are the real pool's (a pipeline counterexample's), so that {@link realPoolTarget} replays it. @public */
export function bootsRealPool(config: BootConfig, images: ReadonlyArray<ImageRecord>): boolean {
  const real = realPool()
  return JSON.stringify(config) === JSON.stringify(real.config) && JSON.stringify(images) === JSON.stringify(real.records)
}

/** The coverage case of a run whose duplicate-digest pool both sides refused. */
export const DUPLICATE_REFUSED = 'pool: a digest offered twice, refused at boot'
/** The coverage cases of runs that spawned a near miss of a pool digest: `NEAR_MISS_CASE (FORM): VERDICT`. */
export const NEAR_MISS_CASE = 'pool near miss'

/** `image` under the same manifest digest, changed by `form`: the same bytes, a layer changed, or its signatures reversed or dropped. */
function sameDigest(image: ImageBytes, form: number): ImageBytes {
  switch (form % 4) {
    case 0: return image
    case 1: {
      const layers = new Map(image.layers)
      const [digest, bytes] = [...layers][0]!
      const changed = Uint8Array.from(bytes)
      changed[0] = changed[0]! ^ 1
      return { ...image, layers: layers.set(digest, changed) }
    }
    case 2: return { ...image, signatures: [...image.signatures].reverse() }
    default: return { ...image, signatures: [] }
  }
}

/**
 * A pool that names the digest of pool image `pick` twice must be refused at boot
 * (kernel.md §4: one entry per digest), by the model and by the kernel under test,
 * each naming the digest, the kernel also naming the place the model names (the
 * second entry's JSON path). Cheap for a kernel that checks digests before verifying.
 */
function checkDuplicateRefused(target: RefinementTarget, real: RealPool, pick: number): SuiteFailure | null {
  const entry = real.images[pick % real.images.length]!
  const digest = entry.record.digest
  const names = (error: unknown) => error instanceof Error && error.message.includes(digest)
  let model = 'booted'
  // Where the model's refusal points (`$.images[n]`, the second entry): the kernel's must point there too.
  let place = ''
  try {
    boot(real.config, [...real.records, { ...entry.record, signatures: entry.record.signatures.slice(1) }])
  } catch (error) {
    model = names(error) ? 'refused' : `threw ${String(error)}`
    place = typeof (error as { path?: unknown }).path === 'string' ? (error as { path: string }).path : ''
  }
  const namesPlace = (error: unknown) => names(error) && (error as Error).message.includes(place)
  let kernel = 'booted'
  const create = target.create as (config: BootConfig, images: ReadonlyArray<ImageRecord>, real?: RealImages) => KernelUnderTest
  try {
    if (takesRealImages(target)) create(real.config, [], realImages([...real.bytes, sameDigest(entry.bytes, pick >> 3)], new KernelImageVerifier()))
    else create(real.config, [...real.records, { ...entry.record, signatures: entry.record.signatures.slice(1) }])
  } catch (error) {
    kernel = namesPlace(error) ? 'refused' : names(error) ? `refused without naming ${place}: ${String(error)}` : `threw ${String(error)}`
  }
  if (model === 'refused' && kernel === 'refused') return null
  return { step: -1, invariant: 'REF-1', message: `a pool naming ${digest} (${entry.label}) twice: the model ${model}, the kernel ${kernel}` }
}

function verdictOf(outcome: Outcome): string {
  if (E.isRight(outcome)) return 'success'
  return outcome.left.code === 'QuotaExceeded' ? `QuotaExceeded(${outcome.left.resource})` : outcome.left.code
}

/** A divergence of the kernel from the model, as the REF-1 failure of its step. */
function refinementFailure(divergence: Divergence, step?: LockstepStep | null): SuiteFailure {
  const described = describeDivergence(divergence)
  return {
    step: divergence.step, message: described.message, invariant: 'REF-1',
    ...(described.difference === undefined ? {} : { difference: described.difference }),
    ...(described.witness === undefined ? {} : { witness: described.witness }),
    ...(step === null || step === undefined ? {} : { model: step.model, kernel: step.kernel }),
  }
}

function checkPipeline(scenario: ReadonlyArray<unknown>, context: SuiteContext): SuiteFailure | null {
  const { real, labels } = pool()
  const duplicate = checkDuplicateRefused(context.target, real, scenario.length)
  if (duplicate !== null) return duplicate
  context.coverage?.cases.set(DUPLICATE_REFUSED, (context.coverage.cases.get(DUPLICATE_REFUSED) ?? 0) + 1)
  const target = bootTarget(context.target, real)
  const lockstep = new Lockstep(target, real.config, real.records)
  const atBoot = lockstep.compareStates(-1)
  if (atBoot !== null) return refinementFailure(atBoot)
  const user = context.user ?? null
  const atBootUser = user?.(lockstep.model, -1) ?? null
  if (atBootUser !== null) return atBootUser
  const seen = new Set<string>()
  const digests = real.images.map((image) => image.record.digest)
  for (let index = 0; index < scenario.length; index++) {
    const syscall = scenario[index]
    const before = lockstep.model
    const { step, divergence } = lockstep.step(syscall)
    if (divergence !== null) return refinementFailure(divergence, step)
    context.coverage?.observe(syscall, step!.model, lockstep.model)
    const label = labels.get((syscall as { image?: unknown }).image as string)
    const verdict = verdictOf(step!.model)
    const isSpawn = (syscall as { kind?: unknown }).kind === 'process_spawn'
    if (label !== undefined && isSpawn && VERDICTS.has(verdict)) seen.add(`pool ${label}: ${verdict}`)
    const near = isSpawn && label === undefined ? nearMissForm((syscall as { image?: unknown }).image, digests) : null
    if (near !== null) seen.add(`${NEAR_MISS_CASE} (${near}): ${verdict}`)
    const failure = violationFailure(index, imageViolations(lockstep.model, { before, syscall, outcome: step!.model, after: lockstep.model }), undefined, context.catalogue)
    if (failure !== null) return { ...failure, model: step!.model, kernel: step!.kernel }
    const broken = user?.(lockstep.model, index) ?? null
    if (broken !== null) return broken
  }
  const read = abstractOrUnreadable(target, lockstep.kernel)
  if ('unreadable' in read) return refinementFailure({ kind: 'unreadable', step: scenario.length - 1, what: read.unreadable })
  const abstracted = { ...read.state, gsMessages: lockstep.model.gsMessages, gsFlows: lockstep.model.gsFlows, gsLastReceived: lockstep.model.gsLastReceived }
  const failure = violationFailure(scenario.length - 1, imageViolations(abstracted), undefined, context.catalogue)
  if (failure !== null) return { ...failure, message: `on the abstracted kernel: ${failure.message}` }
  // Runs that met each (pool image, verdict) pair, next to the deep cases.
  if (context.coverage !== null) for (const key of seen) context.coverage.cases.set(key, (context.coverage.cases.get(key) ?? 0) + 1)
  return null
}

export const pipelineSuite: Suite = {
  name: 'pipeline',
  description: 'model and impl booted from a real signed image pool (the impl verifies the bytes itself): same outcomes and states, IMG-1/IMG-2',
  covers: ['REF-1', 'IMG-1', 'IMG-2'],
  scenario: scenarioOf,
  check: checkPipeline,
  executed: (scenario) => [...scenario],
  environment: () => ({ config: realPool().config, images: realPool().records }),
}
