/**
 * `sila explore --step-timeout` and `sila replay --step-timeout`: a user's kernel
 * whose step (or boot, or abstraction) never returns ends the search with a
 * ROBUST counterexample whose shortest path ends at the unanswered call, written
 * like any other; and `sila replay` of it stops handing the kernel syscalls at
 * that step, marks it `no answer` and fails, instead of hanging. The fixture
 * kernel is the impl with a loop planted on one syscall kind, anywhere or only
 * once another kind has succeeded (so that the shortest path has two steps).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, distUrl, testStore, writePropsModule } from './run.js'

const CLI = join(ROOT, 'dist', 'cli', 'main.js')
const IMPL = distUrl('impl/kernel.js')
const ABSTRACTION = distUrl('refinement/abstraction.js')

/**
 * Loops on LOOP_ON's syscall kind: in its step (LOOP_IN=step), in the
 * abstraction after it (abstract), or in its boot (create); with LOOP_AFTER, only
 * once a syscall of that kind has succeeded on the same kernel.
 */
const LOOPING_KERNEL = [
  `import { Kernel } from '${IMPL}'`,
  `import { abstractState } from '${ABSTRACTION}'`,
  'const { LOOP_ON, LOOP_IN, LOOP_AFTER } = process.env',
  'export const target = {',
  '  name: \'loops\',',
  '  create(config, images) {',
  '    if (LOOP_IN === \'create\') for (;;) {}',
  '    const kernel = Kernel.boot(config, images)',
  '    const step = kernel.step.bind(kernel)',
  '    const snapshot = kernel.snapshot.bind(kernel)',
  '    const restore = kernel.restore.bind(kernel)',
  '    let armed = LOOP_AFTER === undefined',
  '    kernel.step = (syscall) => {',
  '      if (armed && syscall.kind === LOOP_ON) {',
  '        if (LOOP_IN === \'step\') for (;;) {}',
  '        kernel.looping = true',
  '      }',
  '      const outcome = step(syscall)',
  '      if (syscall.kind === LOOP_AFTER && outcome._tag === \'Right\') armed = true',
  '      return outcome',
  '    }',
  // The search restores kernels between actions: what armed the loop is part of the state.
  '    kernel.snapshot = () => ({ inner: snapshot(), armed })',
  '    kernel.restore = (saved) => { restore(saved.inner); armed = saved.armed; kernel.looping = false }',
  '    return kernel',
  '  },',
  '  abstraction: { abstract: (kernel) => { if (kernel.looping) for (;;) {} return abstractState(kernel) } },',
  '}',
].join('\n')

const dir = mkdtempSync(join(tmpdir(), 'sila-explore-step-timeout-'))
const kernelFile = join(dir, 'loops.mjs')
writeFileSync(kernelFile, LOOPING_KERNEL)

interface Loop { readonly on: string; readonly in: 'step' | 'abstract' | 'create'; readonly after?: string }

function sila(args: string[], loop: Loop) {
  const started = Date.now()
  const run = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir, encoding: 'utf8', timeout: 300_000,
    env: { ...process.env, SILA_STORE: testStore(), LOOP_ON: loop.on, LOOP_IN: loop.in, ...(loop.after === undefined ? {} : { LOOP_AFTER: loop.after }) },
  })
  return { ...run, seconds: (Date.now() - started) / 1000 }
}

interface TraceFile {
  readonly steps: Array<{ syscall: { kind: string } }>
  readonly failure: { invariant: string; step: number; message: string }
  readonly producedBy: { kernel: string; command: string }
}

interface ReplayJson {
  readonly status: string
  readonly divergence: { step: number; what: string; path: string } | null
  readonly unanswered?: { where: string; step: number; timeoutMs: number }
  readonly rows: Array<{ step: number; kernel: string | null }>
}

/** Explores `nested` against the looping kernel, then replays the counterexample (text and JSON); returns all three. */
function exploreThenReplay(loop: Loop, name: string) {
  const trace = join(dir, `${name}.trace.json`)
  const out = join(dir, `${name}.results.json`)
  const report = join(dir, `${name}-report`)
  // --report steps the kernel along the path again, in the main thread: it must not make the call that hung.
  const explore = sila(['explore', '--preset', 'nested', '--kernel', kernelFile, '--step-timeout', '1', '--counterexample', trace, '--out', out, '--report', report], loop)
  assert.is(explore.status, 1, `${explore.stdout}\n${explore.stderr}`)
  assert.not.match(explore.stderr, /at .*\.js:\d+/, 'no stack trace')
  assert.ok(existsSync(join(report, 'index.html')))
  // The results file (with the unanswered call) is one sila merge reads.
  const merged = sila(['merge', out], loop)
  assert.match(merged.stdout, /violation +ROBUST in \d+ steps?: /, merged.stderr)
  const written = JSON.parse(readFileSync(trace, 'utf8')) as TraceFile
  const replay = sila(['replay', trace, '--step-timeout', '1'], loop)
  const json = sila(['replay', trace, '--step-timeout', '1', '--json'], loop)
  assert.is(replay.status, 1, `${replay.stdout}\n${replay.stderr}`)
  assert.is(json.status, 1, json.stderr)
  return { explore, written, replay, json: JSON.parse(json.stdout) as ReplayJson }
}

test('a step that never returns: a ROBUST counterexample ending at it; its replay stops there', () => {
  const { explore, written, replay, json } = exploreThenReplay({ on: 'svc_register', in: 'step' }, 'step')
  // Breadth first, every action is tried at boot (--kernel refines every action, refused ones included): the shortest path is that one step.
  assert.is(written.steps.length, 1)
  assert.is(written.steps[0]!.syscall.kind, 'svc_register')
  assert.is(written.failure.invariant, 'ROBUST')
  assert.is(written.failure.step, 0)
  assert.match(written.failure.message, /^the kernel did not answer step 0 \(svc_register .*\) within 1 s/)
  assert.is(written.producedBy.kernel, `file:${kernelFile}`)
  assert.match(written.producedBy.command, /--step-timeout 1/)
  assert.match(explore.stdout, /✗ ROBUST: the kernel did not answer step 0/)
  // The replay hands the kernel nothing past the unanswered step, and says so.
  assert.match(replay.stdout, /svc_register .* no answer /)
  assert.match(replay.stdout, /did not answer at step 0: its step had not returned after 1 s/)
  assert.equal(json.unanswered, { where: 'step', step: 0, timeoutMs: 1000 })
  assert.equal(json.divergence && { step: json.divergence.step, what: json.divergence.what, path: json.divergence.path }, { step: 0, what: 'unanswered', path: 'step' })
  console.log(`  explore stopped in ${explore.seconds.toFixed(1)} s with --step-timeout 1`)
})

test('a loop reached only after another syscall succeeded: the two-step shortest path, reproduced by replay', () => {
  const { written, replay, json } = exploreThenReplay({ on: 'svc_register', in: 'step', after: 'cap_copy' }, 'after')
  assert.equal(written.steps.map((step) => step.syscall.kind), ['cap_copy', 'svc_register'])
  assert.is(written.failure.step, 1)
  // Step 0 was answered (and agreed with the model); step 1 was not; nothing came after it.
  assert.equal(json.rows.map((row) => row.kernel), ['=', '=', 'no answer'])
  assert.equal(json.unanswered, { where: 'step', step: 1, timeoutMs: 1000 })
  assert.match(replay.stdout, /2 steps replayed: .*did not answer at step 1\./)
})

test('an abstraction that never returns, and a boot that never returns', () => {
  const abstract = exploreThenReplay({ on: 'svc_register', in: 'abstract' }, 'abstract')
  assert.is(abstract.written.failure.step, 0)
  assert.match(abstract.written.failure.message, /^the abstraction did not return after step 0 \(svc_register .*\) within 1 s/)
  assert.equal(abstract.json.unanswered, { where: 'abstract', step: 0, timeoutMs: 1000 })
  assert.match(abstract.replay.stdout, /= \(abstraction: no answer\)/)
  const create = exploreThenReplay({ on: 'none', in: 'create' }, 'create')
  assert.is(create.written.steps.length, 0)
  assert.match(create.written.failure.message, /^the kernel's create \(its boot\) did not return within 1 s/)
  assert.equal(create.json.unanswered, { where: 'create', step: -1, timeoutMs: 1000 })
  assert.equal(create.json.rows.map((row) => row.kernel), ['no answer (create)'])
})

test('replay --report of an unanswered step marks it and steps the kernel no further', () => {
  const trace = join(dir, 'after.trace.json')
  const report = join(dir, 'report')
  const run = sila(['replay', trace, '--step-timeout', '1', '--report', report], { on: 'svc_register', in: 'step', after: 'cap_copy' })
  assert.is(run.status, 1, `${run.stdout}\n${run.stderr}`)
  assert.match(readFileSync(join(report, 'index.html'), 'utf8'), /no answer/)
})

test('a user property in code that never returns: STALL with the path to the state it was asked of, on every engine; its trace replays to the same stall', () => {
  // nested boots two processes: the third, by a spawn, is one step away.
  const props = writePropsModule(join(dir, 'loops-props.mjs'), [
    'defineProperty(\'fine\', () => null, { says: \'never broken\' })',
    'defineProperty(\'loops\', (state) => { if (PROCESSES(state) >= 3) for (;;) {} return null }, { says: \'loops on three processes\' })',
  ])
  for (const engine of [['--engine', 'general'], ['--engine', 'model'], ['--workers', '2']]) {
    const trace = join(dir, `stall-${engine.join('')}.trace.json`)
    const run = sila(['explore', '--preset', 'nested', ...engine, '--props', props, '--step-timeout', '1', '--counterexample', trace, '--json'], { on: 'none', in: 'step' })
    assert.is(run.status, 1, `${engine.join(' ')}: ${run.stdout}\n${run.stderr}`)
    const result = JSON.parse(run.stdout) as { violation: { invariant: string; message: string; path: Array<{ kind: string }> }; counterexample: string | null }
    assert.is(result.violation.invariant, 'STALL', engine.join(' '))
    assert.match(result.violation.message, /^the user property loops did not return within 1 s asked of the state after step 0 \(process_spawn /)
    assert.equal(result.violation.path.map((syscall) => syscall.kind), ['process_spawn'])
    assert.is(result.counterexample, trace)
    const written = JSON.parse(readFileSync(trace, 'utf8')) as TraceFile & { failure: { stalledProperty?: string; props?: string } }
    assert.equal({ invariant: written.failure.invariant, step: written.failure.step, stalledProperty: written.failure.stalledProperty, props: written.failure.props },
      { invariant: 'STALL', step: 0, stalledProperty: 'loops', props }, engine.join(' '))
    assert.equal(written.steps.map((step) => step.syscall.kind), ['process_spawn'])
  }
  // The trace names the props file and the property: replay asks it (alone) on a watched thread, and stops it at the same state.
  const trace = join(dir, 'stall---enginegeneral.trace.json')
  const replay = sila(['replay', trace, '--step-timeout', '1'], { on: 'none', in: 'step' })
  assert.is(replay.status, 1, `${replay.stdout}\n${replay.stderr}`)
  assert.match(replay.stdout, /recorded failure: STALL, user property loops did not return asked of the state at step 0/)
  assert.match(replay.stdout, /loops \(always\) NO ANSWER at step 0: did not return within 1 s \(--step-timeout\), and was not asked again/)
  assert.match(replay.stdout, /reproduced: loops did not answer at step 0\n/)
  assert.match(replay.stdout, /user property loops did not answer\./)
  assert.ok(replay.seconds < 60, `the replay stopped the property at its timeout (${replay.seconds} s)`)
  const json = sila(['replay', trace, '--step-timeout', '1', '--json'], { on: 'none', in: 'step' })
  assert.is(json.status, 1, json.stderr)
  const replayed = JSON.parse(json.stdout) as { status: string; reproduced: boolean; properties: Array<{ name: string; status: string; step: number | null }> }
  assert.is(replayed.status, 'failed')
  assert.is(replayed.reproduced, true)
  assert.equal(replayed.properties.map((p) => [p.name, p.status, p.step]), [['loops', 'no answer', 0]])
  // Given the whole file, both are asked: the one that answers holds, the other stops answering at the same state.
  const whole = sila(['replay', trace, '--props', props, '--step-timeout', '1', '--json'], { on: 'none', in: 'step' })
  assert.is(whole.status, 1, whole.stderr)
  assert.equal((JSON.parse(whole.stdout) as typeof replayed).properties.map((p) => [p.name, p.status, p.step]), [['fine', 'held', null], ['loops', 'no answer', 0]])
  // Against the impl in lockstep too: the kernel answers everything, the property does not.
  const impl = sila(['replay', trace, '--impl', '--step-timeout', '1', '--json'], { on: 'none', in: 'step' })
  assert.is(impl.status, 1, impl.stderr)
  const withImpl = JSON.parse(impl.stdout) as typeof replayed & { divergence: unknown }
  assert.is(withImpl.divergence, null)
  assert.equal(withImpl.properties.map((p) => [p.name, p.status, p.step]), [['loops', 'no answer', 0]])
})

test('--step-timeout is refused when not a positive number of seconds', () => {
  for (const command of [['explore', '--preset', 'nested'], ['replay', join(dir, 'step.trace.json')]]) {
    for (const value of ['0', 'soon']) {
      const run = sila([...command, '--step-timeout', value], { on: 'none', in: 'step' })
      assert.is(run.status, 2, run.stderr)
      assert.match(run.stderr, /--step-timeout expects a positive number of seconds/)
    }
  }
})

test.after(() => rmSync(dir, { recursive: true, force: true }))

test.run()
