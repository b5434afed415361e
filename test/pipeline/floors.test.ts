/**
 * Every rollback-floor predicate against one oracle (decisions.md, "Bugs planted
 * in the image pipeline": one semver-pair generator feeding every floor
 * predicate). A version meets a floor iff its semver 2.0.0 precedence is not below
 * the floor's (./_precedence.ts, written from the specification): so a pre-release
 * of the floor's own version is below it (kernel.md §4 step 2; decisions.md, the
 * pools hold `1.9.2-rc.1` below the floor 1.9.2 and expect RollbackDenied), and
 * build metadata is ignored.
 *
 * The predicates, each fed the same generated floor and versions near it:
 * - the pipeline's `checkFloor` (pipeline/image/verify.ts), which `verifyImage`,
 *   `addImage` and the ModuleManager call;
 * - the repository's `listRepository` (`belowFloor`), `resolveModule` (the
 *   eligible versions; also what `sila update-demo --repo` resolves through) and
 *   `raiseFloor` (floors only rise);
 * - the model kernel: `isAboveFloor`, and `process_spawn` answering RollbackDenied;
 * - the invariant IMG-1 (spec/invariants/lifecycle.ts) on a state whose floor rose
 *   above a running process;
 * - the impl kernel: `imageInfo`, its boot-time verdict per digest, and its
 *   `process_spawn`.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { DEFAULT_BOOT, type BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import { checkImg1 } from '../../spec/invariants/lifecycle.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import { isAboveFloor } from '../../model/objects/processes.js'
import type { KernelState } from '../../model/state.js'
import { Kernel } from '../../impl/kernel.js'
import { imageInfo } from '../../impl/objects/processes.js'
import { ImageError } from '../../pipeline/errors.js'
import { checkFloor } from '../../pipeline/image/verify.js'
import { listRepository, raiseFloor, repositoryFile } from '../../pipeline/repo/repository.js'
import { resolveModule } from '../../pipeline/repo/resolve.js'
import { cleanup, temporaryDirectory } from './_support.js'
import { meetsFloor, parseVersion, precedence, SPEC_EQUAL, SPEC_ORDERS } from './_precedence.js'

test.after(cleanup)

test('the oracle orders the semver 2.0.0 examples as the specification does', () => {
  for (const order of SPEC_ORDERS) {
    for (let low = 0; low < order.length; low++) {
      for (let high = 0; high < order.length; high++) {
        const expected = Math.sign(low - high)
        assert.is(precedence(order[low]!, order[high]!), expected, `${order[low]} vs ${order[high]}`)
      }
    }
  }
  for (const [a, b] of SPEC_EQUAL) {
    assert.is(precedence(a, b), 0, `${a} = ${b}`)
    assert.is(precedence(b, a), 0, `${b} = ${a}`)
  }
  // The edges the floors meet: a pre-release of the floor is below it, the floor's release above its pre-release.
  assert.not.ok(meetsFloor('1.9.2-rc.1', '1.9.2'))
  assert.ok(meetsFloor('1.9.2', '1.9.2-rc.1'))
  assert.ok(meetsFloor('1.9.2+b1', '1.9.2'))
  assert.not.ok(meetsFloor('1.9.10-0', '1.9.10'))
  assert.ok(meetsFloor('1.10.0-0', '1.9.10'))
  assert.throws(() => parseVersion('1.02.0'))
  assert.throws(() => parseVersion('1.2.0-01'))
})

// ---- the generator -----------------------------------------------------------

/** Components with their two-digit neighbours (9/10, 99/100) and small values. */
const COMPONENTS = [0, 1, 2, 9, 10, 11, 99, 100] as const
/** Pre-release tags: numeric (one and two digits), alphanumeric, dotted, with hyphens, upper case. */
const PRERELEASES = ['0', '1', '2', '9', '10', 'alpha', 'alpha.1', 'alpha.beta', 'beta', 'beta.2', 'beta.11', 'rc', 'rc.1', 'rc.2', 'rc.10', 'rc.1.1', 'x-y', 'A', '0.a'] as const
const BUILDS = ['b1', '001', 'exp.sha.5114f85'] as const

/** A version as parts; `text` puts them together. */
interface Parts {
  readonly core: readonly [number, number, number]
  readonly prerelease: string | null
  readonly build: string | null
}

function text(parts: Parts, withBuild = true): string {
  return `${parts.core.join('.')}${parts.prerelease === null ? '' : `-${parts.prerelease}`}${withBuild && parts.build !== null ? `+${parts.build}` : ''}`
}

const component = fc.constantFrom(...COMPONENTS)
const prereleaseTag = fc.constantFrom(...PRERELEASES)
/** `value` one time in `outOf`, null otherwise. */
const sometimes = <T>(value: fc.Arbitrary<T>, outOf: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: outOf - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: value })
const build = sometimes(fc.constantFrom(...BUILDS), 4)

const floorParts: fc.Arbitrary<Parts> = fc.record({
  core: fc.tuple(component, component, component),
  prerelease: sometimes(prereleaseTag, 3),
  build,
})

/** A component near `value`: the same, one either side, its two-digit neighbour, or any. */
function near(value: number): fc.Arbitrary<number> {
  const neighbour = value === 9 ? 10 : value === 10 ? 9 : value === 99 ? 100 : value === 100 ? 99 : value
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(value) },
    { weight: 2, arbitrary: fc.constant(value + 1) },
    { weight: 2, arbitrary: fc.constant(Math.max(0, value - 1)) },
    { weight: 1, arbitrary: fc.constant(neighbour) },
    { weight: 1, arbitrary: component },
  )
}

/** A version near `floor`: each component near the floor's, a pre-release at or around the floor's, maybe build metadata. */
function versionNear(floor: Parts): fc.Arbitrary<Parts> {
  const prerelease: fc.Arbitrary<string | null> = fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.constant(floor.prerelease) },
    { weight: 1, arbitrary: fc.constant(floor.prerelease === null ? '0' : `${floor.prerelease}.1`) },
    { weight: 3, arbitrary: prereleaseTag },
  )
  return fc.record({ core: fc.tuple(near(floor.core[0]), near(floor.core[1]), near(floor.core[2])), prerelease, build })
}

/** One run: a floor and one to six versions near it. */
const floorRun = floorParts.chain((floor) => fc.record({ floor: fc.constant(floor), versions: fc.array(versionNear(floor), { minLength: 1, maxLength: 6 }) }))

// ---- what the runs reached ---------------------------------------------------

/** Coverage counts, over every pair of a floor and a version. */
const reached = {
  pairs: 0, below: 0, meets: 0, samePrecedence: 0, equalButBuild: 0, floorPrerelease: 0, releaseOfPrereleaseFloor: 0,
  twoDigitDecides: 0, prereleaseAboveFloor: 0, componentAboveCoreBelow: 0,
}

function count(floor: Parts, version: Parts): void {
  const order = precedence(text(version), text(floor))
  reached.pairs++
  if (order < 0) reached.below++
  else reached.meets++
  if (order === 0) reached.samePrecedence++
  if (order === 0 && text(version) !== text(floor)) reached.equalButBuild++
  const sameCore = version.core.every((part, index) => part === floor.core[index])
  if (sameCore && floor.prerelease === null && version.prerelease !== null) reached.floorPrerelease++
  if (sameCore && floor.prerelease !== null && version.prerelease === null) reached.releaseOfPrereleaseFloor++
  if (!sameCore && version.prerelease !== null && order > 0) reached.prereleaseAboveFloor++
  // The first component that differs is a 9/10 or 99/100 pair: a string comparison would get it wrong.
  const first = version.core.findIndex((part, index) => part !== floor.core[index])
  if (first >= 0) {
    const pair = [version.core[first]!, floor.core[first]!].sort((a, b) => a - b).join('/')
    if (pair === '9/10' || pair === '99/100' || pair === '9/100' || pair === '2/10' || pair === '1/10') reached.twoDigitDecides++
    // A later component larger although the version is below: a component-wise "all >=" check fails here.
    if (order < 0 && version.core.some((part, index) => index > first && part > floor.core[index]!)) reached.componentAboveCoreBelow++
  }
}

// ---- the predicates ----------------------------------------------------------

const NAME = 'echo'
const KEY = 'release'

function digestOf(label: string): string {
  return `sha256:${createHash('sha256').update(`floors:${label}`).digest('hex')}`
}

/** Records of distinct versions (no build metadata: ImageRecordCodec and the repository's codecs refuse it), one per version. */
function recordsOf(versions: ReadonlyArray<string>): ImageRecord[] {
  return versions.map((version) => ({
    digest: digestOf(version), name: NAME, version, signatures: [{ signer: KEY, verifies: true }],
    manifest: { requests: [], memoryBytes: 4096 },
  }))
}

const configWith = (floors: Readonly<Record<string, string>>): BootConfig => ({ ...DEFAULT_BOOT, init: { slots: 32 }, floors })
const spawnOf = (image: string, dst: number) => ({ kind: 'process_spawn', caller: 0, container: 0, image, uid: 0, slots: 2, grants: [], dst })

/** Whether `body` throws an {@link ImageError} for a rollback; any other outcome is `false`, other errors rethrown. */
function refusedAsRollback(body: () => unknown): boolean {
  try {
    body()
    return false
  } catch (error) {
    if (!(error instanceof ImageError)) throw error
    return error.reason === 'rollback'
  }
}

/** The pipeline's checkFloor, on every version as it is written (build metadata included). */
function checkPipeline(floor: string, versions: ReadonlyArray<string>): void {
  for (const version of versions) {
    const expected = !meetsFloor(version, floor)
    assert.is(refusedAsRollback(() => checkFloor({ name: NAME, version }, { [NAME]: floor }, 'manifest.json')), expected, `checkFloor: ${version} against the floor ${floor}`)
    // A floor of another name, or none, never refuses.
    assert.not.ok(refusedAsRollback(() => checkFloor({ name: NAME, version }, { other: floor }, 'manifest.json')), `checkFloor: ${version}, floor on another name`)
    assert.not.ok(refusedAsRollback(() => checkFloor({ name: NAME, version }, undefined, 'manifest.json')), `checkFloor: ${version}, no floors`)
  }
}

/** The model kernel: isAboveFloor, then spawns (RollbackDenied iff below); IMG-1 on a state whose floor rose. */
function checkModel(floor: string, versions: ReadonlyArray<string>): void {
  const records = recordsOf(versions)
  let state: KernelState = boot(configWith({ [NAME]: floor }), records)
  const unfloored = boot(configWith({}), records)
  records.forEach((record, index) => {
    const meets = meetsFloor(record.version, floor)
    assert.is(isAboveFloor(state, record), meets, `model isAboveFloor: ${record.version} against ${floor}`)
    const result = modelStep(state, spawnOf(record.digest, 16 + index))
    if (meets) assert.ok(E.isRight(result.outcome), `model spawn of ${record.version} (floor ${floor}): ${JSON.stringify(result.outcome)}`)
    else assert.equal(result.outcome, E.left({ code: 'RollbackDenied' }), `model spawn of ${record.version} (floor ${floor})`)
    state = result.state
    // IMG-1: the process runs (spawned with no floor), then the floor is the generated one.
    const running = modelStep(unfloored, spawnOf(record.digest, 16))
    assert.ok(E.isRight(running.outcome), `spawn without a floor: ${JSON.stringify(running.outcome)}`)
    const violation = checkImg1({ ...running.state, ksFloors: new Map([[NAME, floor]]) })
    assert.is(O.isSome(violation), !meets, `IMG-1 with ${record.version} running under the floor ${floor}: ${JSON.stringify(violation)}`)
  })
}

/** The impl kernel: imageInfo, its boot verdicts, then spawns. */
function checkImpl(floor: string, versions: ReadonlyArray<string>): void {
  const records = recordsOf(versions)
  const floors = new Map([[NAME, floor]])
  const kernel = Kernel.boot(configWith({ [NAME]: floor }), records)
  records.forEach((record, index) => {
    const meets = meetsFloor(record.version, floor)
    assert.is(imageInfo(record, new Set([KEY]), floors).aboveFloor, meets, `impl imageInfo: ${record.version} against ${floor}`)
    assert.is(kernel.images.get(record.digest)?.aboveFloor, meets, `impl boot verdict: ${record.version} against ${floor}`)
    const outcome = kernel.step(spawnOf(record.digest, 16 + index))
    if (meets) assert.ok(E.isRight(outcome), `impl spawn of ${record.version} (floor ${floor}): ${JSON.stringify(outcome)}`)
    else assert.equal(outcome, E.left({ code: 'RollbackDenied' }), `impl spawn of ${record.version} (floor ${floor})`)
  })
}

/** A repository index holding `versions` of echo under `floor` (no images: these predicates read only the index). */
function writeIndex(dir: string, floor: string, versions: ReadonlyArray<string>): void {
  const entries = Object.fromEntries(versions.map((version) => [version, { digest: digestOf(version), signer: '0123456789abcdef', algorithm: 'ML-DSA-65' }]))
  writeFileSync(repositoryFile(dir), JSON.stringify({ format: 'sila-repository/1', modules: { [NAME]: { floor, versions: entries } } }))
}

/** The repository: listRepository's belowFloor, resolveModule of each exact version, raiseFloor to each version. */
function checkRepository(dir: string, floor: string, versions: ReadonlyArray<string>): void {
  writeIndex(dir, floor, versions)
  const listed = new Map(listRepository(dir).map((row) => [row.version, row.belowFloor]))
  assert.is(listed.size, versions.length)
  for (const version of versions) {
    const meets = meetsFloor(version, floor)
    assert.is(listed.get(version), !meets, `listRepository belowFloor: ${version} against ${floor}`)
    // Only this version satisfies the exact constraint: refused as a rollback iff it is below (else the missing image is the refusal).
    assert.is(refusedAsRollback(() => resolveModule(dir, NAME, version)), !meets, `resolveModule ${version} with the floor ${floor}`)
    // Floors only rise: lowering refused, raising or keeping it accepted.
    assert.is(refusedAsRollback(() => raiseFloor(dir, NAME, version)), !meets, `raiseFloor from ${floor} to ${version}`)
    writeIndex(dir, floor, versions)
  }
}

test('every floor predicate agrees with semver precedence on versions near the floor', () => {
  const started = performance.now()
  const dir = temporaryDirectory()
  fc.assert(fc.property(floorRun, ({ floor, versions }) => {
    const raw = versions.map((version) => text(version))
    const plain = [...new Set(versions.map((version) => text(version, false)))]
    const floorPlain = text(floor, false)
    for (const version of versions) count(floor, version)
    checkPipeline(text(floor), raw)
    checkModel(floorPlain, plain)
    checkImpl(floorPlain, plain)
    checkRepository(dir, floorPlain, plain)
  }), { seed: 20261207, numRuns: 600, includeErrorInReport: true })
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`  floor pairs: ${Object.entries(reached).map(([what, n]) => `${what} ${n}`).join(', ')} (${seconds} s)`)
  // The property stays about the edges: each kind of pair is reached, in numbers.
  assert.ok(reached.pairs >= 1600, `pairs: ${reached.pairs}`)
  assert.ok(reached.below >= reached.pairs * 0.2 && reached.meets >= reached.pairs * 0.2, 'both sides of the floor')
  assert.ok(reached.samePrecedence >= 80, `at the floor: ${reached.samePrecedence}`)
  assert.ok(reached.equalButBuild >= 30, `at the floor but for build metadata: ${reached.equalButBuild}`)
  assert.ok(reached.floorPrerelease >= 50, `a pre-release of the floor's version: ${reached.floorPrerelease}`)
  assert.ok(reached.releaseOfPrereleaseFloor >= 25, `the release of a pre-release floor: ${reached.releaseOfPrereleaseFloor}`)
  assert.ok(reached.twoDigitDecides >= 200, `a two-digit neighbour decides: ${reached.twoDigitDecides}`)
  assert.ok(reached.prereleaseAboveFloor >= 150, `a pre-release of a later core: ${reached.prereleaseAboveFloor}`)
  assert.ok(reached.componentAboveCoreBelow >= 80, `below with a later component above: ${reached.componentAboveCoreBelow}`)
})

test.run()
