/**
 * `sila check --step-timeout`: a kernel whose step never returns is stopped and
 * reported as its suite's failure (ROBUST, the run under way, the unanswered step
 * and its syscall, a rerun command), the other suites of the same worker still
 * run, its trace is written but not stored, the rerun command stops at the same
 * step, and `sila replay` of the trace (watched) stops at the same step too. The fixture kernel is the impl with a step that loops forever after a
 * number of answers, in worker threads only; before looping it appends the
 * syscall it was given to a file, which the report must name.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { ROOT, distUrl, testStore, writePropsModule } from './run.js'
import { syscallText } from '../../checker/stepText.js'

const CLI = join(ROOT, 'dist', 'cli', 'main.js')
const IMPL = distUrl('impl/kernel.js')
const ABSTRACTION = distUrl('refinement/abstraction.js')

const HANGING_KERNEL = [
  'import { isMainThread } from \'node:worker_threads\'',
  'import { appendFileSync } from \'node:fs\'',
  `import { Kernel } from '${IMPL}'`,
  `import { abstractState } from '${ABSTRACTION}'`,
  'const AFTER = Number(process.env.HANG_AFTER)',
  'export const target = {',
  '  name: \'hangs\',',
  '  create(config, images) {',
  '    const kernel = Kernel.boot(config, images)',
  '    const step = kernel.step.bind(kernel)',
  '    let answered = 0',
  '    kernel.step = (syscall) => {',
  '      if (!isMainThread && answered === AFTER) {',
  '        appendFileSync(process.env.HANG_FILE, JSON.stringify(syscall) + \'\\n\')',
  '        for (;;) {}',
  '      }',
  '      answered++',
  '      return step(syscall)',
  '    }',
  '    return kernel',
  '  },',
  '  abstraction: { abstract: (kernel) => abstractState(kernel) },',
  '}',
].join('\n')

const dir = mkdtempSync(join(tmpdir(), 'sila-step-timeout-'))
const kernelFile = join(dir, 'hangs.mjs')
writeFileSync(kernelFile, HANGING_KERNEL)

function check(args: string[], hangFile: string, after = 5) {
  const started = Date.now()
  const run = spawnSync(process.execPath, [CLI, 'check', ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: 300_000,
    env: { ...process.env, SILA_STORE: testStore(), HANG_FILE: hangFile, HANG_AFTER: String(after) },
  })
  return { ...run, seconds: (Date.now() - started) / 1000 }
}

/** The syscalls the fixture kernel was given when it stopped answering, in order. */
function unanswered(file: string): unknown[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as unknown) : []
}

test('a kernel that stops answering fails its suite; the worker\'s next suite still runs', () => {
  const traces = join(dir, 'traces')
  const hangFile = join(dir, 'hangs-1.jsonl')
  const out = join(dir, 'results.json')
  const run = check(['refinement', 'isolation', '--workers', '1', '--runs', '40', '--seed', '7', '--step-timeout', '1', '--kernel', kernelFile, '--out', out, '--counterexamples', traces], hangFile)
  assert.is(run.status, 1, `${run.stdout}\n${run.stderr}`)
  assert.not.match(run.stderr, /at .*\.js:\d+/, 'no stack trace')
  // Both suites ran in the one worker: the second after the first's worker was stopped.
  const given = unanswered(hangFile)
  assert.is(given.length, 2, 'the kernel hung once in each suite')
  const results = JSON.parse(readFileSync(out, 'utf8')) as { passed: boolean; suites: Array<{ suite: string; failure: { invariant: string; step: number; message: string; path: string; file: string | null } | null }> }
  assert.is(results.passed, false)
  assert.equal(results.suites.map((suite) => suite.suite), ['refinement', 'isolation'])
  results.suites.forEach((suite, index) => {
    const failure = suite.failure!
    assert.ok(failure !== null, `${suite.suite} failed`)
    assert.is(failure.invariant, 'ROBUST')
    assert.ok(failure.file !== null && existsSync(failure.file), 'the trace is written (sila replay watches the kernel)')
    assert.not.ok(existsSync(join(testStore(), basename(failure.file!))), 'and not stored: a later check would wait the whole timeout on it')
    assert.match(failure.path, /^\d+$/, 'the run is named by its fast-check path')
    // The syscall the report names is the one the kernel was given. It had answered 5 steps, retaken ones included (the refinement suite undoes and retakes some), so the unanswered one is at most step 5.
    assert.ok(failure.message.includes(`did not answer step ${failure.step} (${syscallText(given[index])}) in run ${failure.path} within 1 s`), `${suite.suite}: ${failure.message} names ${syscallText(given[index])}`)
    assert.ok(failure.step >= 0 && failure.step <= 5, `step ${failure.step}`)
  })
  assert.is(readdirSync(traces).length, 2, 'a trace for each suite')
  assert.match(run.stdout, /FAILED ROBUST at step \d \(unshrunk \d+ steps: no answer, stopped\)/)
  // The step table runs the kernel up to the unanswered step and marks it.
  assert.match(run.stdout, /no answer +ROBUST ✗/)
  console.log(`  two suites stopped after 5 answers each with --step-timeout 1, in ${run.seconds.toFixed(1)} s`)
})

test('the rerun command a stalled suite prints stops at the same step of the same run', () => {
  const hangFile = join(dir, 'hangs-2.jsonl')
  // Its traces go to the test's directory, not the repository's root.
  const traces = join(dir, 'rerun-traces')
  const first = check(['refinement', '--workers', '1', '--runs', '40', '--seed', '11', '--step-timeout', '1', '--kernel', kernelFile, '--counterexamples', traces], hangFile, 3)
  assert.is(first.status, 1, `${first.stdout}\n${first.stderr}`)
  const rerun = /rerun it: npx sila check (.*)$/m.exec(first.stdout)?.[1]
  assert.ok(rerun !== undefined, first.stdout)
  assert.match(rerun!, /--path \d+ .*--kernel .*--step-timeout 1/)
  const args = rerun!.split(' ').slice(0).map((word) => word.replace(/^'(.*)'$/, '$1'))
  const again = check([...args, '--counterexamples', traces], hangFile, 3)
  assert.is(again.status, 1, `${again.stdout}\n${again.stderr}`)
  const given = unanswered(hangFile)
  assert.is(given.length, 2)
  assert.equal(given[1], given[0], 'the rerun stopped at the same syscall')
  const message = (output: string) => /✗ refinement: (.*)$/m.exec(output)?.[1]
  assert.is(message(again.stdout), message(first.stdout))
})

test('a user property that stops answering fails its suite as STALL naming it, after the step whose state it was asked; its trace replays to the same stall', () => {
  // The property boot has fewer processes: the suites spawn the third within a few steps.
  const props = writePropsModule(join(dir, 'loops.mjs'), [
    'defineProperty(\'fine\', () => null, { says: \'never broken\' })',
    'defineProperty(\'loops\', (state) => { if (PROCESSES(state) >= 3) for (;;) {} return null }, { says: \'loops on three processes\' })',
  ])
  const out = join(dir, 'stall.json')
  const traces = join(dir, 'stall-traces')
  const run = check(['invariants', '--workers', '1', '--runs', '40', '--seed', '3', '--step-timeout', '1', '--props', props, '--out', out, '--counterexamples', traces], join(dir, 'unused'))
  assert.is(run.status, 1, `${run.stdout}\n${run.stderr}`)
  const failure = (JSON.parse(readFileSync(out, 'utf8')) as { suites: Array<{ failure: { invariant: string; step: number; message: string; file: string | null } | null }> }).suites[0]!.failure!
  assert.is(failure.invariant, 'STALL')
  assert.match(failure.message, new RegExp(`^the user property loops did not return within 1 s asked of the state after step ${failure.step} \\(.+\\) in run \\d+: the check stopped it$`))
  // The kernel answered that step: the table marks the stall, not a missing answer.
  assert.match(run.stdout, / = +STALL ✗/)
  assert.not.match(run.stdout, /no answer/)
  assert.match(run.stdout, /FAILED STALL at step \d+ \(unshrunk \d+ steps: loops did not answer, stopped\)/)
  // Written (not stored), naming the property and the props file; the state it was asked of has three processes.
  assert.ok(failure.file !== null && existsSync(failure.file), 'a trace written')
  const trace = JSON.parse(readFileSync(failure.file!, 'utf8')) as { steps: Array<{ syscall: { kind: string }; outcome: { ok: boolean } }>; failure: { invariant: string; step: number; stalledProperty?: string; props?: string } }
  assert.equal([trace.failure.invariant, trace.failure.stalledProperty, trace.failure.props], ['STALL', 'loops', props])
  assert.match(run.stdout, new RegExp(`replay it: npx sila replay .* --step-timeout 1`))
  const replay = spawnSync(process.execPath, [CLI, 'replay', failure.file!, '--step-timeout', '1', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, SILA_STORE: testStore() } })
  assert.is(replay.status, 1, `${replay.stdout}\n${replay.stderr}`)
  const replayed = JSON.parse(replay.stdout) as { reproduced: boolean; properties: Array<{ name: string; status: string; step: number | null }>; rows: Array<{ step: number; user: string[] }> }
  assert.is(replayed.reproduced, true)
  assert.equal(replayed.properties.map((p) => [p.name, p.status]), [['loops', 'no answer']])
  // Asked of the first state with three processes, and not after.
  const stalledAt = replayed.properties[0]!.step!
  assert.is(stalledAt, trace.failure.step, 'the step the check recorded')
  assert.equal(replayed.rows.filter((row) => row.user.includes('loops')).map((row) => row.step), [stalledAt])
  assert.equal(trace.steps.slice(0, stalledAt + 1).filter((step) => step.syscall.kind === 'process_spawn' && step.outcome.ok).length > 0, true, 'a spawn reached it')
})

test('a kernel that loops on one syscall kind: the trace check writes replays to the same unanswered step', () => {
  const loops = join(dir, 'loops.mjs')
  writeFileSync(loops, [
    `import { Kernel } from '${IMPL}'`,
    `import { abstractState } from '${ABSTRACTION}'`,
    'export const target = {',
    '  name: \'loops\',',
    '  create(config, images) {',
    '    const kernel = Kernel.boot(config, images)',
    '    const step = kernel.step.bind(kernel)',
    // On every thread: check's step table stops before the unanswered step, and replay hands it to a watched worker only.
    '    kernel.step = (syscall) => { if (syscall.kind === \'ep_send\') for (;;) {} return step(syscall) }',
    '    return kernel',
    '  },',
    '  abstraction: { abstract: (kernel) => abstractState(kernel) },',
    '}',
  ].join('\n'))
  const traces = join(dir, 'loop-traces')
  const out = join(dir, 'loop-results.json')
  const run = check(['refinement', '--workers', '1', '--runs', '40', '--seed', '5', '--step-timeout', '1', '--kernel', loops, '--out', out, '--counterexamples', traces], join(dir, 'unused'))
  assert.is(run.status, 1, `${run.stdout}\n${run.stderr}`)
  const failure = (JSON.parse(readFileSync(out, 'utf8')) as { suites: Array<{ failure: { invariant: string; step: number; file: string | null } | null }> }).suites[0]!.failure!
  assert.is(failure.invariant, 'ROBUST')
  const replayCommand = /replay it: npx sila replay (.*)$/m.exec(run.stdout)?.[1]
  assert.ok(replayCommand !== undefined && replayCommand.includes('--step-timeout 1'), run.stdout)
  const trace = JSON.parse(readFileSync(failure.file!, 'utf8')) as { steps: Array<{ syscall: { kind: string } }>; scenario: unknown[] }
  const offset = trace.steps.length - trace.scenario.length
  // The unanswered step is the run's first ep_send.
  assert.is(trace.steps.findIndex((step) => step.syscall.kind === 'ep_send'), failure.step + offset)
  const replay = spawnSync(process.execPath, [CLI, 'replay', failure.file!, '--step-timeout', '1', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, SILA_STORE: testStore() } })
  assert.is(replay.status, 1, replay.stderr)
  const replayed = JSON.parse(replay.stdout) as { unanswered: { where: string; step: number }; rows: Array<{ step: number; kernel: string }> }
  assert.equal(replayed.unanswered, { where: 'step', step: failure.step + offset, timeoutMs: 1000 })
  assert.is(replayed.rows.find((row) => row.step === failure.step + offset)!.kernel, 'no answer')
  assert.ok(replayed.rows.filter((row) => row.step > failure.step + offset).every((row) => row.kernel === 'not stepped'))
})

test('a kernel whose create never returns is refused (exit 2) naming its module, not waited on', () => {
  const never = join(dir, 'never-boots.mjs')
  writeFileSync(never, [
    `import { abstractState } from '${ABSTRACTION}'`,
    'export const target = { name: \'never-boots\', create() { for (;;) {} }, abstraction: { abstract: (kernel) => abstractState(kernel) } }',
  ].join('\n'))
  const run = check(['refinement', '--runs', '5', '--step-timeout', '1', '--kernel', never], join(dir, 'unused'))
  assert.is(run.status, 2, `${run.stdout}\n${run.stderr}`)
  assert.match(run.stderr, /never-boots\.mjs: create\(config, images\) did not return within 1 s \(--step-timeout\)/)
  assert.is(run.stdout, '', 'refused before the check starts')
})

test('check --fail-fast is watched: a kernel that stops answering fails it, and the rerun it prints stops at the same syscall', () => {
  const hangFile = join(dir, 'hangs-fail-fast.jsonl')
  const run = check(['refinement', '--fail-fast', '--runs', '20', '--seed', '7', '--step-timeout', '1', '--kernel', kernelFile], hangFile)
  assert.is(run.status, 1, `${run.stdout}\n${run.stderr}`)
  assert.match(run.stdout, /^✗ refinement: the kernel did not answer step \d+ \(.+\) in run \d+ within 1 s: the check stopped it/m)
  const rerun = /rerun it without --fail-fast to see its steps and write its trace: npx sila (check refinement --seed 7 --path (\d+) --max-steps 60 --kernel \S+ --step-timeout 1)\n/.exec(run.stdout)
  assert.ok(rerun !== null, run.stdout)
  assert.match(run.stdout, /FAILED in [\d.]+ s\.\n$/)
  const again = check([...rerun[1]!.split(' ').slice(1), '--counterexamples', join(dir, 'fail-fast-traces')], hangFile)
  assert.is(again.status, 1, `${again.stdout}\n${again.stderr}`)
  const given = unanswered(hangFile)
  assert.is(given.length, 2, 'the kernel hung once in each')
  assert.equal(given[1], given[0], 'the rerun stopped at the same syscall')
  const message = (output: string) => /✗ refinement: (.*)$/m.exec(output)?.[1]
  assert.is(message(again.stdout), message(run.stdout))
})

test('--step-timeout is refused when not a positive number of seconds', () => {
  for (const [args, expected] of [
    [['--step-timeout', '0'], /--step-timeout expects a positive number of seconds/],
    [['--step-timeout', 'soon'], /--step-timeout expects a positive number of seconds/],
  ] as const) {
    const run = check([...args], join(dir, 'unused'))
    assert.is(run.status, 2, run.stderr)
    assert.match(run.stderr, expected)
  }
})

test.after(() => rmSync(dir, { recursive: true, force: true }))

test.run()
