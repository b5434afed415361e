/**
 * The raw fingerprints' cache (checker/explore/raw-fingerprints.ts): a successor
 * met before with the same handles takes its canonical fingerprint from the
 * cache instead of the encoder. Searched with the cache and without, level by
 * level, the general engine must find the same states and transitions; with
 * `verifyGuards` every incremental raw fingerprint is compared with one computed
 * whole and every hit with the encoder. The cache must also hit (else it
 * proves nothing), and a change left out of the kernel's dirty lists must show.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { type Levels, walkLevels } from './levels.js'
import { ImplExpander } from '../../checker/explore/general.js'
import { presetActions } from '../../checker/explore/actions.js'
import { RawFingerprints } from '../../checker/explore/raw-fingerprints.js'
import { Kernel } from '../../impl/kernel.js'
import { implTarget } from '../../refinement/abstraction.js'
import { ALL_SYSCALLS, CAP_CORE, CAP_CORE_3, NESTED, type Preset } from '../../spec/presets.js'
import { bootConfigOf, eachDeclaredSystem, generatedPreset, systemArb } from './systems.js'

interface Counts extends Levels {
  readonly hits: number
  readonly misses: number
}

/**
 * Breadth-first to `depthMax` with the cache on or off, and with `verifyGuards`
 * or as a search runs (a hit then skips the encoder): states and transitions
 * per level, and the cache's hits.
 */
function levels(preset: Preset, depthMax: number, rawFingerprints: boolean, verifyGuards: boolean): Counts {
  const expander = new ImplExpander(preset, undefined, { rawFingerprints, verifyGuards })
  return { ...walkLevels(expander, depthMax), hits: expander.raw?.hits ?? 0, misses: expander.raw?.misses ?? 0 }
}

/** The cache on (as a search runs it), off, and on with every sum and hit verified (which throws on a mismatch): the same levels. */
function compare(preset: Preset, depthMax: number): Counts {
  const cached = levels(preset, depthMax, true, false)
  const plain = levels(preset, depthMax, false, false)
  const verified = levels(preset, depthMax, true, true)
  for (const [other, name] of [[plain, 'without the cache'], [verified, 'verified']] as const) {
    assert.equal(cached.states, other.states, `${preset.name}: states per level, with the cache and ${name}`)
    assert.equal(cached.transitions, other.transitions, `${preset.name}: transitions per level, with the cache and ${name}`)
  }
  assert.is(plain.hits + plain.misses, 0, 'off means off')
  return cached
}

const share = (counts: Counts) => `${counts.hits.toLocaleString('en')} of ${(counts.hits + counts.misses).toLocaleString('en')} lookups hit (${Math.round((100 * counts.hits) / Math.max(1, counts.hits + counts.misses))} %)`

test('presets: the same states and transitions per level with the cache and without, and the cache hits', () => {
  for (const [preset, depthMax] of [[CAP_CORE, 6], [CAP_CORE_3, 4], [NESTED, 4], [ALL_SYSCALLS, 3]] as const) {
    const counts = compare(preset, depthMax)
    assert.ok(counts.hits > counts.misses / 4, `${preset.name}: the cache hits (${share(counts)})`)
    console.log(`  ${preset.name} to depth ${depthMax}: ${counts.states.at(-1)!.toLocaleString('en')} states, levels equal; ${share(counts)}`)
  }
})

test('generated declared systems: the same states and transitions per level with the cache and without', () => {
  let systems = 0
  let hits = 0
  let lookups = 0
  fc.assert(fc.property(systemArb, (shape) => {
    const config = bootConfigOf(shape)
    if (typeof config === 'string') return
    const counts = compare(generatedPreset(config, `generated system ${systems}`), 3)
    hits += counts.hits
    lookups += counts.hits + counts.misses
    systems++
  }), { numRuns: 25, seed: 20_261_204 })
  console.log(`  ${systems} generated systems to depth 3: levels equal; ${hits.toLocaleString('en')} of ${lookups.toLocaleString('en')} lookups hit`)
  assert.ok(systems >= 15)
  assert.ok(hits > 0, 'the cache hits on generated systems')
})

test('generated declared systems, as --boot explores them (services, spawns, kills): the same', () => {
  let hits = 0
  let lookups = 0
  const systems = eachDeclaredSystem(20, 20_261_204, (preset) => {
    const counts = compare(preset, 3)
    hits += counts.hits
    lookups += counts.hits + counts.misses
  })
  console.log(`  ${systems} generated declared systems to depth 3: levels equal; ${hits.toLocaleString('en')} of ${lookups.toLocaleString('en')} lookups hit`)
  assert.ok(systems >= 15)
  assert.ok(hits > 0, 'the cache hits on generated declared systems')
})

test('a change left out of the dirty lists shows: the incremental raw fingerprint is no longer the whole one', () => {
  const kernel = implTarget.create(CAP_CORE.boot, CAP_CORE.images) as Kernel
  const raw = new RawFingerprints()
  raw.load(kernel)
  const loaded = [raw.pair[0], raw.pair[1]]
  assert.equal(raw.whole(kernel), loaded, 'loaded: the sum is the whole')
  // The first cap_copy of cap-core's alphabet that succeeds: a cap allocated and a slot written, both in the dirty lists.
  const copy = presetActions(CAP_CORE).find((action) => action.kind === 'cap_copy' && E.isRight(implTarget.create(CAP_CORE.boot, CAP_CORE.images).step(action)))
  assert.ok(copy !== undefined, 'cap-core can copy a cap')
  assert.ok(E.isRight(kernel.step(copy)), 'the copy succeeds')
  raw.successor(kernel)
  const stepped = [raw.pair[0], raw.pair[1]]
  assert.not.equal(stepped, loaded, 'a step that changes the state changes the raw fingerprint')
  assert.equal(raw.whole(kernel), stepped, 'the incremental fingerprint is the whole one')
  // A change the step did not record: the rights of a cap it did not touch, written behind the dirty lists' back.
  const touched = new Set<number>()
  for (let index = 1; index < kernel.caps.dirtyCount; index += 2) touched.add(kernel.caps.dirty[index]!)
  let cap = 0
  while (cap < kernel.caps.top && (touched.has(cap) || !kernel.caps.isLive(cap))) cap++
  assert.ok(cap < kernel.caps.top, 'a cap the step did not touch')
  kernel.caps.rights[cap] ^= 1
  const whole = raw.whole(kernel)
  raw.successor(kernel)
  assert.equal([raw.pair[0], raw.pair[1]], stepped, 'the incremental fingerprint does not see it')
  assert.not.equal(whole, stepped, 'the whole one does (which verifyGuards compares)')
})

test('the cache doubles as it fills, up to 2^23 entries, and keeps what it held', () => {
  const raw = new RawFingerprints()
  const canonical = new Uint32Array(2)
  const out = new Uint32Array(2)
  // Raw fingerprint i is two mixes of i (as spread as real fingerprints); its canonical one is derived from i, so every hit can be checked.
  const mix = (x: number, seed: number): number => {
    let h = Math.imul(x ^ seed, 0x85ebca6b)
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    return (h ^ (h >>> 16)) >>> 0
  }
  const give = (i: number): void => {
    raw.pair[0] = mix(i, 0x2545f491)
    raw.pair[1] = mix(i, 0x9e3779b9)
    canonical[0] = i ^ 0x5bd1e995
    canonical[1] = Math.imul(i, 7)
    raw.remember(canonical)
  }
  const found = (i: number): boolean => {
    raw.pair[0] = mix(i, 0x2545f491)
    raw.pair[1] = mix(i, 0x9e3779b9)
    if (!raw.lookup(out)) return false
    assert.equal([out[0], out[1]], [(i ^ 0x5bd1e995) >>> 0, Math.imul(i, 7) >>> 0], `entry ${i}: the canonical fingerprint it was given`)
    return true
  }
  assert.is(raw.cacheEntries, 1 << 18, 'it starts at 2^18 entries')
  let given = 1
  while (raw.cacheEntries === 1 << 18) give(given++)
  assert.is(given - 1, (1 << 17) + 1, 'it doubles when given more entries than half its slots')
  assert.is(raw.cacheEntries, 1 << 19)
  // Direct-mapped and lossy: an entry may have been replaced in its slot before the growth, never after it.
  let kept = 0
  for (let i = 1; i < given; i++) if (found(i)) kept++
  assert.ok(kept > (given - 1) * 0.7, `most entries survive the growth (${kept} of ${given - 1})`)
  while (given < 12_000_000) give(given++)
  assert.is(raw.cacheEntries, 1 << 23, 'it stops at 2^23 entries')
  let recent = 0
  for (let i = given - 1000; i < given; i++) if (found(i)) recent++
  assert.ok(recent > 900, `the newest entries are found (${recent} of 1,000)`)
})

test.run()
