import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readJsonInput } from '../../cli/input.js'
import { TraceCodec, type Trace } from '../../spec/trace.js'
import { PACKAGE_NAME, regressionTest } from '../../checker/export/test.js'
import { ROOT, distUrl, writePropsModule } from '../cli/run.js'

const IPC = 'examples/ipc-transfer.trace.json'
const REVOKE = 'examples/revoke-reaches-tables.trace.json'
const OWN_KERNEL = 'examples/own-kernel/kernel.mjs'
/** This file's compiled directory, dist/test/export/: inside the package, so `sila-kernel/...` resolves by self-reference. */
const HERE = fileURLToPath(new URL('./', import.meta.url))
const CLI = join(ROOT, 'dist', 'cli', 'main.js')
const ENV = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', SILA_DEBUG: '' }

function load(file: string): Trace {
  return readJsonInput(TraceCodec, join(ROOT, file))
}

interface Run {
  readonly status: number | null
  readonly output: string
  readonly pid: number
}

function node(args: string[], cwd: string): Run {
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 120_000, env: ENV })
  return { status: result.status, output: `${result.stdout}${result.stderr}`, pid: result.pid }
}

/** `sila ARGS` run in `cwd` (so that check's counterexample store stays in there). */
function silaIn(cwd: string, ...args: string[]): Run {
  return node([CLI, ...args], cwd)
}

/**
 * A fresh directory under dist/test/export/ (inside the package) for the body.
 * The generated files are named .test.mjs, which uvu's runs of dist/test (*.js)
 * never pick up, and the directory is removed afterwards.
 */
function withDirectory<T>(body: (directory: string) => T): T {
  const directory = mkdtempSync(join(HERE, 'tmp-'))
  try {
    return body(directory)
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}

/** Writes the generated test for `trace` as an .mjs file and runs it with node, from the repository root. */
function runGenerated(trace: Trace, kernel?: string): Run {
  return withDirectory((directory) => {
    const file = join(directory, 'regression.test.mjs')
    writeFileSync(file, regressionTest(trace, { source: 'generated.trace.json', ...(kernel === undefined ? {} : { kernel }) }))
    return node([file], ROOT)
  })
}

/** The one counterexample trace a `sila check` wrote into `directory`. */
function counterexampleIn(directory: string): string {
  const found = readdirSync(directory).filter((name) => name.endsWith('.trace.json'))
  assert.is(found.length, 1, found.join(', '))
  return join(directory, found[0]!)
}

for (const file of [IPC, REVOKE]) {
  test(`${file}: the generated test steps the impl (the trace names no kernel) with the model and passes`, () => {
    const trace = load(file)
    const text = regressionTest(trace)
    assert.match(text, /^const KERNEL = "impl"$/m)
    const run = runGenerated(trace)
    assert.is(run.status, 0, run.output)
    assert.match(run.output, new RegExp(`Passed:\\s+${trace.steps.length + 1}\\b`))
  })
}

test('a recorded outcome that the model no longer gives makes it fail, naming the step', () => {
  const trace = load(IPC)
  const reply = { kind: 'cap' as const, objectKind: 'endpoint' as const, rights: ['write' as const, 'grant' as const], badge: 8 }
  const altered: Trace = { ...trace, steps: trace.steps.map((traceStep, index) => (index === 4 ? { ...traceStep, outcome: { ok: true as const, reply } } : traceStep)) }
  const run = runGenerated(altered)
  assert.is.not(run.status, 0, run.output)
  assert.match(run.output, /step 4: the model's outcome differs from the recorded one/)
  assert.match(run.output, new RegExp(`Total:\\s+${trace.steps.length + 1}\\s+Passed:\\s+${trace.steps.length}\\b`))
})

test('a broken invariant makes it fail, and a step without a recorded outcome is checked against the invariants only', () => {
  const trace = load(REVOKE)
  // The root container may hold no process, but init is one: QUO-1 from the boot on.
  const broken: Trace = {
    ...trace,
    boot: { ...trace.boot, root: { limits: { ...trace.boot.root.limits, processes: 0 } } },
    steps: [{ syscall: trace.steps[0]!.syscall } as Trace['steps'][number]],
    failure: { property: 'quota', invariant: 'QUO-1', step: -1 },
  }
  const run = runGenerated(broken, 'model')
  assert.is.not(run.status, 0, run.output)
  assert.match(run.output, /boot: every invariant holds, the model boots as the model does \(the recorded failure\)/)
  assert.match(run.output, /invariants violated in the boot state/)
  // uvu's diff shows spaces as middle dots.
  assert.match(run.output, /QUO-1:[ ·]container[ ·]0:[ ·]processes[ ·]usage[ ·]1/)
  assert.match(run.output, /step 0: invariants violated/)
  assert.not.match(run.output, /outcome differs/)
})

test("a mutant's counterexample (sila check --mutant): the exported test fails on that mutant where it diverges, and passes exported for the impl", () => {
  withDirectory((directory) => {
    const checked = silaIn(directory, 'check', 'refinement', '--mutant', 'copy-amplifies-rights', '--seed', '1', '--runs', '200', '--counterexamples', 'cex', '--workers', '1')
    assert.is(checked.status, 1, checked.output)
    const trace = counterexampleIn(join(directory, 'cex'))
    const exported = silaIn(directory, 'export', trace, '--format', 'test', '--out', 'regression.test.mjs')
    assert.is(exported.status, 0, exported.output)
    const text = readFileSync(join(directory, 'regression.test.mjs'), 'utf8')
    assert.match(text, /^const KERNEL = "mutant:copy-amplifies-rights"$/m)
    const failing = node(['regression.test.mjs'], directory)
    assert.is(failing.status, 1, failing.output)
    assert.match(failing.output, /FAIL {2}"step \d+: caller \d+: cap_copy [^"]*\(the recorded failure\)"/)
    assert.match(failing.output, /step \d+: mutant copy-amplifies-rights diverges from the model/)
    assert.match(failing.output, /the[ ·]kernel[ ·]answered[ ·]\S+,[ ·]the[ ·]model[ ·]InsufficientRights/)
    // The same trace replayed against the impl: the impl agrees with the model.
    const forImpl = silaIn(directory, 'export', trace, '--format', 'test', '--impl', '--out', 'impl.test.mjs')
    assert.is(forImpl.status, 0, forImpl.output)
    assert.match(readFileSync(join(directory, 'impl.test.mjs'), 'utf8'), /^ \* Regression test generated by `sila export \S+ --format test --impl`\.$/m)
    const passing = node(['impl.test.mjs'], directory)
    assert.is(passing.status, 0, passing.output)
    assert.match(passing.output, /Passed:\s+\d+\s+Skipped:\s+0/)
    assert.not.match(passing.output, /FAIL/)
    // The mutant's copy of the compiled kernel is removed when the test ends.
    assert.not.ok(existsSync(join(tmpdir(), `sila-mutants-${failing.pid}`)), 'the copy is removed')
  })
})

test("a model mutant's counterexample (sila explore --mutant): the exported test fails on the mutated copy of the model, and passes with --model-only", () => {
  withDirectory((directory) => {
    const explored = silaIn(directory, 'explore', '--mutant', 'revoke-misses-messages', '--counterexample', 'cex.trace.json')
    assert.is(explored.status, 1, explored.output)
    assert.is(silaIn(directory, 'export', 'cex.trace.json', '--format', 'test', '--out', 'mutant.test.mjs').status, 0)
    const failing = node(['mutant.test.mjs'], directory)
    assert.is(failing.status, 1, failing.output)
    assert.match(failing.output, /step 1: model mutant revoke-misses-messages diverges from the model/)
    assert.is(silaIn(directory, 'export', 'cex.trace.json', '--format', 'test', '--model-only', '--out', 'model.test.mjs').status, 0)
    const passing = node(['model.test.mjs'], directory)
    assert.is(passing.status, 0, passing.output)
  })
})

test('--kernel FILE: the test loads your module by a path relative to itself, and fails while its bug is there', () => {
  withDirectory((directory) => {
    // The example kernel forgets the badge cap_inspect reports; the ipc example inspects a badged cap at step 4.
    mkdirSync(join(directory, 'sub'))
    const out = join(directory, 'sub', 'own.test.mjs')
    const exported = silaIn(ROOT, 'export', IPC, '--format', 'test', '--kernel', OWN_KERNEL, '--out', out)
    assert.is(exported.status, 0, exported.output)
    assert.match(readFileSync(out, 'utf8'), /^const KERNEL = `file:\$\{fileURLToPath\(new URL\("(\.\.\/)+examples\/own-kernel\/kernel\.mjs", import\.meta\.url\)\)\}`$/m)
    // Run from elsewhere: the module is found relative to the test file.
    const failing = node([out], tmpdir())
    assert.is(failing.status, 1, failing.output)
    assert.match(failing.output, /FAIL {2}"step 4: caller 1: cap_inspect/)
    assert.match(failing.output, /step 4: your kernel \S+kernel\.mjs diverges from the model/)
    const missing = silaIn(ROOT, 'export', IPC, '--format', 'test', '--kernel', 'no-such-kernel.mjs')
    assert.is(missing.status, 2, missing.output)
    // Refused as replay refuses it (checker/user-module.ts checkKernelModulePath).
    assert.match(missing.output, /no-such-kernel\.mjs: no such file$/m)
  })
})

test('in a project that has sila-kernel installed, the imports resolve by package name', () => {
  const project = mkdtempSync(join(tmpdir(), 'sila-consumer-'))
  try {
    mkdirSync(join(project, 'node_modules'))
    symlinkSync(ROOT, join(project, 'node_modules', PACKAGE_NAME), 'dir')
    symlinkSync(join(ROOT, 'node_modules', 'uvu'), join(project, 'node_modules', 'uvu'), 'dir')
    writeFileSync(join(project, 'package.json'), '{"name":"consumer","private":true}\n')
    mkdirSync(join(project, 'test'))
    writeFileSync(join(project, 'test', 'ipc.test.mjs'), regressionTest(load(IPC), { source: IPC }))
    const run = node(['test/ipc.test.mjs'], project)
    assert.is(run.status, 0, run.output)
    assert.match(run.output, /Passed:\s+12\b/)
  } finally {
    rmSync(project, { recursive: true, force: true })
  }
})

test('the generated text: header, imports by package name only, no type annotations; TypeScript accepts it under strict', () => {
  const trace = { ...load(IPC), failure: { property: 'isolation', invariant: 'ISO-1', step: 3, seed: 7, message: 'a */ in a message' } }
  const text = regressionTest(trace, { source: IPC })
  assert.ok(text.startsWith(`/**\n * Regression test generated by \`sila export ${IPC} --format test\`.`))
  assert.match(text, /Recorded failure: property isolation, invariant ISO-1, at step 3, seed 7\./)
  assert.match(text, /a \*\\\/ in a message/)
  assert.match(text, /It steps the impl and the model together/)
  assert.is(text.indexOf('*/'), text.indexOf(' */\nimport') + 1, 'the header comment ends once, before the imports')
  const imports = [...text.matchAll(/^import .* from '([^']+)'$/gm)].map((match) => match[1]!)
  assert.ok(imports.length >= 6)
  assert.ok(imports.every((specifier) => ['uvu', 'uvu/assert'].includes(specifier) || specifier.startsWith(`${PACKAGE_NAME}/`)), imports.join(', '))
  assert.ok(imports.includes(`${PACKAGE_NAME}/refinement`), 'it reuses the lockstep checker')
  assert.not.match(text, /\b(?:const|let) \w+: /, 'no annotated declarations')
  assert.not.match(text, /\(\w+: \w+/, 'no annotated parameters')
  assert.match(regressionTest(trace, { kernel: 'mutant:copy-amplifies-rights' }), /generated by `sila export TRACE --format test --mutant copy-amplifies-rights`/)
  withDirectory((directory) => {
    const file = join(directory, 'regression.test.ts')
    writeFileSync(file, regressionTest(trace, { source: IPC, kernel: 'file:examples/own-kernel/kernel.mjs', outFile: file }))
    const checked = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--ignoreConfig', '--noEmit', '--strict', '--module', 'nodenext',
      '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', file], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
    assert.is(checked.status, 0, `${checked.stdout}${checked.stderr}`)
  })
})

test('a kernel step that never returns fails its step test after SILA_STEP_TIMEOUT seconds; later steps are not run', () => {
  const trace = load(IPC)
  const sends = trace.steps.map((step, index) => ((step.syscall as { kind?: string }).kind === 'ep_send' ? index : -1)).filter((index) => index >= 0)
  assert.ok(sends.length > 0 && sends[0]! < trace.steps.length - 1, 'the trace sends, and has steps after its first send')
  withDirectory((directory) => {
    const kernel = join(directory, 'loops.mjs')
    writeFileSync(kernel, [
      `import { implTarget } from '${distUrl('refinement/abstraction.js')}'`,
      'export const target = { ...implTarget, name: \'loops\', create(config, images) {',
      '  const kernel = implTarget.create(config, images)',
      '  const step = kernel.step.bind(kernel)',
      '  kernel.step = (syscall) => { if (syscall.kind === \'ep_send\') for (;;) {} return step(syscall) }',
      '  return kernel',
      '} }',
    ].join('\n'))
    const file = join(directory, 'regression.test.mjs')
    writeFileSync(file, regressionTest(trace, { source: IPC, kernel: `file:${kernel}`, outFile: file }))
    const result = spawnSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...ENV, SILA_STEP_TIMEOUT: '1' } })
    const output = `${result.stdout}${result.stderr}`
    assert.is(result.status, 1, output)
    assert.match(output, new RegExp(`step ${sends[0]}: no answer`))
    assert.match(output, /did not answer the step within 1 s/)
    // The steps before it ran and passed; none after it was registered.
    assert.match(output, new RegExp(`Total:\\s+${sends[0]! + 2}\\b`))
    assert.match(output, new RegExp(`Passed:\\s+${sends[0]! + 1}\\b`))
  })
})

test('a user property in code is watched too: the test of a STALL fails at the state it does not answer; one that answers is asked as before', () => {
  withDirectory((directory) => {
    const props = writePropsModule(join(directory, 'props.mjs'), [
      'defineProperty(\'loops\', (state) => { if (PROCESSES(state) >= 3) for (;;) {} return null }, { says: \'loops on three processes\' })',
      'defineProperty(\'two\', (state) => (PROCESSES(state) >= 3 ? \'a third process\' : null), { says: \'at most two processes\' })',
    ])
    const cases = [
      { invariant: 'loops', expected: /step 0: user property loops did not answer within 1 s/ },
      { invariant: 'two', expected: /step 0: user property two is broken \("at most two processes"\)/ },
    ]
    for (const { invariant, expected } of cases) {
      const trace = join(directory, `${invariant}.trace.json`)
      const found = silaIn(directory, 'explore', '--preset', 'nested', '--props', props, '--invariant', invariant, '--step-timeout', '1', '--counterexample', trace)
      assert.is(found.status, 1, found.output)
      const file = join(directory, `${invariant}.test.mjs`)
      const exported = silaIn(directory, 'export', trace, '--format', 'test', '--out', file)
      assert.is(exported.status, 0, exported.output)
      const text = readFileSync(file, 'utf8')
      assert.match(text, /watchReplayStalls\(/)
      assert.match(text, /Its code is watched as the kernel is/)
      const result = spawnSync(process.execPath, [file], { cwd: directory, encoding: 'utf8', timeout: 120_000, env: { ...ENV, SILA_STEP_TIMEOUT: '1' } })
      const output = `${result.stdout}${result.stderr}`
      assert.is(result.status, 1, output)
      assert.match(output, expected)
      // The boot state passes (two processes); the one step fails.
      assert.match(output, /Total:\s+2\b/)
      assert.match(output, /Passed:\s+1\b/)
    }
  })
})

test('a "__proto__" key in a malformed syscall is embedded through JSON.parse and survives', () => {
  const trace = load(REVOKE)
  const hostile = JSON.parse('{"malformed": true, "syscall": {"kind": "cap_delete", "caller": 0, "__proto__": {"slot": 3}}}') as Trace['steps'][number]
  const withProto: Trace = { ...trace, steps: [...trace.steps, { ...hostile, outcome: { ok: false, error: { code: 'InvalidArgument' } } }] }
  const text = regressionTest(withProto)
  assert.match(text, /^const RECORDED = JSON\.parse\("/m)
  const run = runGenerated(withProto)
  assert.is(run.status, 0, run.output)
})

test.run()
