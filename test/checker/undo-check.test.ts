/**
 * The general engine's dirty-list self-checks (checker/explore/general.ts):
 * every step's dirty lists must name all it changed, since the one-step undo,
 * the raw fingerprints and the step guards read them. A kernel whose step leaves a
 * change out of them is taken back wrongly, and the states searched after it
 * are made up: the engine must stop with a KernelBug naming the step, never
 * report an invariant violation that no replay shows (without the check, a
 * cap_delete that leaves its slot out reports CAP-4 after one step on
 * cap-core, a violation the model engine does not find).
 *
 * The leaky kernels here are the impl with one table's dirty list emptied
 * after a successful step of one kind: the objects' (a CSpace slot, a queue
 * slot), the caps' or the namespaces' (a service table entry).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { exploreGeneral, type SearchTarget } from '../../checker/explore/general.js'
import { implTarget } from '../../refinement/abstraction.js'
import type { RefinementTarget } from '../../refinement/target.js'
import type { Kernel } from '../../impl/kernel.js'
import { ALL_SYSCALLS, CAP_CORE, NESTED } from '../../spec/presets.js'
import type { Preset } from '../../spec/presets.js'
import { bootFilePreset } from '../../cli/boot-file.js'
import { eachDeclaredSystem } from './systems.js'

type Table = 'objects' | 'caps' | 'namespaces'

/** The impl, but a successful step of `kind` for which `when` holds forgets what it changed in `table`. */
function leaky(kind: string, table: Table, when: (kernel: Kernel) => boolean = () => true): SearchTarget {
  return {
    ...implTarget,
    // Named as a mutant so that --refine may search it (general.ts: searchable).
    name: `mutant:leaky-${kind}-${table}`,
    create: (config: Preset['boot'], images: Preset['images']) => {
      const kernel = implTarget.create(config, images)
      const step = kernel.step.bind(kernel)
      kernel.step = (syscall: unknown) => {
        const outcome = step(syscall)
        if (E.isRight(outcome) && (syscall as { kind?: unknown }).kind === kind && when(kernel)) kernel[table].dirtyCount = 0
        return outcome
      }
      return kernel
    },
  } as unknown as SearchTarget
}

const WEB_APP = 'examples/systems/web-app/boot.json'

type Result = ReturnType<typeof exploreGeneral>

/** Runs `search`: the KernelBug it threw, or what it returned. Anything else thrown fails. */
function outcomeOf(search: () => Result, what: string): string | Result {
  try {
    return search()
  } catch (error) {
    const message = (error as Error).message
    assert.match(message, /^KernelBug: a step changed something its dirty lists do not name/, `${what}: ${message}`)
    return message
  }
}

/** Runs `search`, which must stop with the dirty lists' KernelBug; returns its message. */
function kernelBug(search: () => Result, what: string): string {
  const outcome = outcomeOf(search, what)
  if (typeof outcome === 'string') return outcome
  assert.unreachable(`${what}: no KernelBug; it found ${outcome.distinct} states${outcome.violation === null ? '' : `, and ${outcome.violation.invariant} at length ${outcome.violation.path.length}`}`)
  return ''
}

test('a step that leaves a change out of its dirty lists never gives a wrong answer: the search stops with a KernelBug naming it, or finds what the honest impl finds', async () => {
  const webApp = (await bootFilePreset(WEB_APP, 'explore')) as Preset
  const cases: ReadonlyArray<readonly [Preset, string, Table, number]> = [
    [CAP_CORE, 'cap_delete', 'objects', 3],
    [CAP_CORE, 'ep_send', 'objects', 3],
    [CAP_CORE, 'cap_copy', 'caps', 3],
    [CAP_CORE, 'cap_revoke', 'caps', 4],
    [webApp, 'svc_register', 'namespaces', 3],
    [webApp, 'svc_unregister', 'namespaces', 4],
    [webApp, 'svc_register', 'caps', 4],
    [NESTED, 'process_spawn', 'objects', 3],
  ]
  let stopped = 0
  let answered = 0
  for (const [preset, kind, table, depthMax] of cases) {
    const target = leaky(kind, table)
    const honest = exploreGeneral({ preset, depthMax })
    assert.is(honest.violation, null, `${preset.name} to depth ${depthMax}: nothing to find`)
    // --refine also steps a declared system's reading syscalls (more transitions, the same states): compared with the honest impl refined.
    let refined: Result | null = null
    const honestWith = (refine: boolean): Result => (refine ? (refined ??= exploreGeneral({ preset, depthMax, refine: implTarget as unknown as RefinementTarget })) : honest)
    let caught = 0
    const modes = [
      ['fast checks and raw fingerprints', { fastChecks: true, rawFingerprints: true }],
      ['reference checks', { fastChecks: false, rawFingerprints: false }],
      ['a swarm job', { swarm: { seed: 7, index: 0, count: 1 } }],
      ['--refine', { refine: target as unknown as RefinementTarget }],
    ] as const
    for (const [label, options] of modes) {
      const what = `${preset.name}, ${kind} leaving ${table} out, ${label}`
      const outcome = outcomeOf(() => exploreGeneral({ preset, kernel: target, depthMax: 'swarm' in options ? 8 : depthMax, ...options }), what)
      if (typeof outcome === 'string') {
        assert.ok(outcome.includes(`"kind":"${kind}"`), `${what}: names the step: ${outcome}`)
        caught++
        stopped++
      } else {
        // What the leak changes no later step reads in this mode: the answer must be the honest one.
        assert.is(outcome.violation, null, `${what}: no violation made up`)
        if (!('swarm' in options)) {
          const expected = honestWith('refine' in options)
          assert.is(outcome.distinct, expected.distinct, `${what}: the same states`)
          assert.is(outcome.generated, expected.generated, `${what}: the same transitions`)
        }
        answered++
      }
    }
    assert.ok(caught > 0, `${preset.name}, ${kind} leaving ${table} out: caught in some mode`)
  }
  console.log(`  ${cases.length} leaks (objects, caps, namespaces) in 4 modes: ${stopped} stopped with a KernelBug naming the step, ${answered} gave the honest answer (a leak no later step reads there)`)
})

test('a leak that starts deep is caught before a violation it makes up is reported, sampled or not', () => {
  // The leak begins once the kernel has made three caps more than at boot: never at the boot state, where the first check runs.
  const booted = implTarget.create(CAP_CORE.boot, CAP_CORE.images) as unknown as { capNext: number }
  const from = booted.capNext + 3
  const target = leaky('cap_delete', 'objects', (kernel) => (kernel as unknown as { capNext: number }).capNext >= from)
  for (const selfCheckEvery of [Number.POSITIVE_INFINITY, 64, 1]) {
    const message = kernelBug(() => exploreGeneral({ preset: CAP_CORE, kernel: target, depthMax: 8, fastChecks: true, rawFingerprints: true, selfCheckEvery }), `sampled every ${selfCheckEvery}`)
    assert.ok(message.includes('"kind":"cap_delete"'), message)
  }
  // Without the leak, nothing is violated there.
  assert.is(exploreGeneral({ preset: CAP_CORE, depthMax: 8 }).violation, null)
})

test('our impl passes the self-checks with every expanded state sampled, on the presets, the example systems and generated declared systems', async () => {
  const webApp = (await bootFilePreset(WEB_APP, 'explore')) as Preset
  const pluginHost = (await bootFilePreset('examples/systems/plugin-host/boot.json', 'explore')) as Preset
  const same = (preset: Preset, depthMax: number): number => {
    const checked = exploreGeneral({ preset, depthMax, selfCheckEvery: 1 })
    const plain = exploreGeneral({ preset, depthMax })
    assert.is(checked.distinct, plain.distinct, preset.name)
    assert.is(checked.generated, plain.generated, preset.name)
    assert.is(checked.violation?.invariant, plain.violation?.invariant, preset.name)
    return checked.distinct
  }
  let states = 0
  for (const [preset, depthMax] of [[CAP_CORE, 5], [NESTED, 3], [ALL_SYSCALLS, 3], [webApp, 4], [pluginHost, 4]] as const) states += same(preset, depthMax)
  const systems = eachDeclaredSystem(12, 20_261_204, (preset) => { states += same(preset, 3) })
  assert.ok(systems >= 8)
  console.log(`  ${states.toLocaleString('en')} states, every one sampled (cap-core, nested, all-syscalls, web-app, plugin-host and ${systems} generated declared systems): no self-check fired`)
})

test.run()
