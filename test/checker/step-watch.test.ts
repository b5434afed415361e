/**
 * The explore watchdog's lanes (checker/explore/step-watch.ts) as the general
 * engine writes them, on one thread and on two: a kernel (the impl with a loop
 * planted in one syscall kind's step) that never returns is found inside its
 * step, and the lane's path and action are a path the impl takes from the boot
 * state (every step of it succeeds) ending with the first action of that kind
 * the search handed to the kernel. The searches run on worker threads, which
 * the test stops once the watch has told the stall.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Worker } from 'node:worker_threads'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { presetActions } from '../../checker/explore/actions.js'
import { StepWatch, newWatchMemory, watchLanes, type SearchStall } from '../../checker/explore/step-watch.js'
import { implTarget } from '../../refinement/abstraction.js'
import { CAP_CORE, NESTED } from '../../spec/presets.js'
import { decodeOrThrow } from '../../spec/decode.js'
import { PropsFileCodec } from '../../spec/props.js'
import { resolveProps } from '../../properties/user/resolve.js'
import { defineProperty } from '../../properties/user/define.js'
import { watchedProperties } from '../../checker/explore/props.js'
import { boot, bootNamed } from '../../model/boot.js'

const capCoreBoot = () => boot(CAP_CORE.boot, CAP_CORE.images)
import { ROOT, distUrl } from '../cli/run.js'

const dir = mkdtempSync(join(tmpdir(), 'sila-step-watch-'))

/** The impl, looping forever in a step of LOOP_ON's kind that succeeds (named `mutant:` so that the general engine searches it as an impl copy). */
const kernelFile = join(dir, 'loops.mjs')
writeFileSync(kernelFile, [
  `import { implTarget } from '${distUrl('refinement/abstraction.js')}'`,
  'export const target = {',
  '  ...implTarget, name: \'mutant:loops\',',
  '  create(config, images) {',
  '    const kernel = implTarget.create(config, images)',
  '    const step = kernel.step.bind(kernel)',
  '    kernel.step = (syscall) => { const outcome = step(syscall); if (syscall.kind === process.env.LOOP_ON && outcome._tag === \'Right\') for (;;) {} return outcome }',
  '    return kernel',
  '  },',
  '}',
].join('\n'))

/** The search, on a worker thread: one thread (`workers` 1) or the parallel engine's. */
const searchFile = join(dir, 'search.mjs')
writeFileSync(searchFile, [
  'import { workerData } from \'node:worker_threads\'',
  `import { exploreGeneral } from '${distUrl('checker/explore/general.js')}'`,
  `import { exploreGeneralParallel } from '${distUrl('checker/explore/general-parallel.js')}'`,
  `import { loadTarget } from '${distUrl('checker/targets.js')}'`,
  'const { preset, workers, watch, kernel } = workerData',
  'if (workers === 1) exploreGeneral({ preset, kernel: await loadTarget(kernel), watch })',
  'else await exploreGeneralParallel({ preset, workers, kernelName: kernel, watch })',
].join('\n'))

function stallOf(workers: number, loopOn: string): Promise<SearchStall> {
  const watch = newWatchMemory(workers)
  const worker = new Worker(searchFile, { workerData: { preset: NESTED, workers, watch, kernel: `file:${kernelFile}` }, env: { ...process.env, LOOP_ON: loopOn } })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { void worker.terminate(); reject(new Error('no stall told within 60 s')) }, 60_000)
    worker.on('error', reject)
    watchLanes(watch, 1000, (stall) => { clearTimeout(timer); void worker.terminate(); resolve(stall) })
  })
}

/** The stall's path is the impl's: each step succeeds from the boot state, and so does the action, of the looping kind. */
function assertPath(stall: SearchStall, loopOn: string): void {
  const actions = presetActions(NESTED)
  assert.is(stall.where, 'step')
  assert.ok(stall.path !== null)
  assert.is(String(actions[stall.action]!.kind), loopOn)
  const kernel = implTarget.create(NESTED.boot, NESTED.images)
  for (const index of stall.path!) assert.ok(E.isRight(kernel.step(actions[index]!)), `step ${String(actions[index]!.kind)} of the path succeeds`)
  assert.ok(E.isRight(kernel.step(actions[stall.action]!)), 'the action the kernel did not answer succeeds there')
  // No step of the path is of the looping kind: the kernel would have hung there first.
  assert.not.ok(stall.path!.some((index) => actions[index]!.kind === loopOn))
}

for (const workers of [1, 2]) {
  test(`the general engine on ${workers} thread${workers === 1 ? '' : 's'}: a step that never returns is found with its path`, async () => {
    const depths: number[] = []
    for (const loopOn of ['cap_copy', 'mem_map', 'ep_recv']) {
      const stall = await stallOf(workers, loopOn)
      assertPath(stall, loopOn)
      depths.push(stall.path!.length)
    }
    // Coverage: stalls at the boot state and deeper (a successful mem_map needs a region first, an ep_recv an endpoint and a message), so that the lane's path is exercised.
    assert.ok(depths[0] === 0 && depths[1]! >= 1 && depths[2]! >= 2, `depths ${depths.join(', ')}`)
    console.log(`  stalls found at depths ${depths.join(', ')} (cap_copy, mem_map, ep_recv)`)
  })
}

test('a lane answering within the timeout, or idle outside the kernel, is no stall; one inside a call past it is', async () => {
  // Generous margins: a loaded machine may run a timer late by a few hundred milliseconds.
  const timeout = 1000
  const watch = newWatchMemory(1)
  const lane = new StepWatch(watch, 0)
  const told: number[] = []
  const started = Date.now()
  const stop = watchLanes(watch, timeout, () => { told.push(Date.now() - started) })
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  // Inside a step nearly all the time, but each answered within 50 ms: the tick moves.
  lane.stepping(1)
  for (let round = 0; round < 30; round++) { await sleep(50); lane.answered(); lane.stepping(1) }
  lane.answered()
  // Outside the kernel for twice the timeout.
  await sleep(2 * timeout)
  assert.equal(told, [])
  // Inside one call past the timeout: told once, not before the timeout.
  const entered = Date.now() - started
  lane.stepping(2)
  await sleep(2 * timeout)
  stop()
  assert.is(told.length, 1)
  assert.ok(told[0]! - entered >= timeout, `told ${told[0]! - entered} ms after entering`)
})

test('properties in code are watched, declared ones kept as they are (their compiled evaluators are keyed by the property)', () => {
  const declared = resolveProps(decodeOrThrow(PropsFileCodec, {
    format: 'sila-props/1', properties: [{ name: 'A-caps', says: 'the processes of A hold at most two caps', kind: 'bound', measure: 'caps', container: 'A', max: 2 }],
  }, 'props.json'), 'props.json', bootNamed(CAP_CORE.boot, CAP_CORE.images))
  const coded = defineProperty('never', () => null, { says: 'never broken' })
  const watch = newWatchMemory(1)
  const lane = new StepWatch(watch, 0)
  const [kept, wrapped] = watchedProperties([...declared, coded], lane)
  assert.ok(kept === declared[0], 'the declared property is the same object')
  assert.ok(wrapped !== coded)
  const ticks = new Int32Array(watch, 0, 1)
  const before = ticks[0]!
  assert.is(wrapped!.test(capCoreBoot()), null)
  assert.is(ticks[0]!, before + 1, 'asking the property in code moved the tick')
})

test.after(() => rmSync(dir, { recursive: true, force: true }))

test.run()
