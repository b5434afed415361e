/**
 * A user's kernel module through the CLI (`--kernel FILE`): a module that cannot
 * load or boot is the user's error, refused with exit 2 and one line naming the
 * file, line and column of their code — also when it fails only in check's worker
 * threads; a kernel whose step or abstraction throws while checking is a REF-1
 * failure of that kernel (exit 1, a counterexample), never sila's internal error.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, STACK_LINE, distUrl } from './run.js'

const CLI = join(ROOT, 'dist', 'cli', 'main.js')
const IMPL = distUrl('impl/kernel.js')
const ABSTRACTION = distUrl('refinement/abstraction.js')

/** The fixture modules, by file name. */
const MODULES: Record<string, string> = {
  'syntax.mjs': [
    '// a kernel with a syntax error on line 5',
    'export const target = {',
    '  name: \'broken\',',
    '  create: (config, images) => {',
    '    return { step( }',
    '  },',
    '}',
  ].join('\n'),
  'throws-loading.mjs': [
    'const table = undefined',
    'table.reserve(16)',
    'export const target = {}',
  ].join('\n'),
  'no-target.mjs': 'export const kernel = { create() {} }\n',
  'throwing-create.mjs': [
    'export const target = {',
    '  name: \'throws-at-boot\',',
    '  create(config, images) {',
    '    throw new Error(\'no memory for the boot container\')',
    '  },',
    '  abstraction: { abstract: () => null },',
    '}',
  ].join('\n'),
  // Boots in the main thread, where sila tries it first, but not in a worker thread.
  'worker-create.mjs': [
    'import { isMainThread } from \'node:worker_threads\'',
    `import { Kernel } from '${IMPL}'`,
    `import { abstractState } from '${ABSTRACTION}'`,
    'export const target = {',
    '  name: \'worker-create\',',
    '  create(config, images) {',
    '    if (!isMainThread) throw new TypeError(\'only the main thread has the slab\')',
    '    return Kernel.boot(config, images)',
    '  },',
    '  abstraction: { abstract: (kernel) => abstractState(kernel) },',
    '}',
  ].join('\n'),
  // Answers three syscalls, then throws from step.
  'step-throws-later.mjs': [
    `import { Kernel } from '${IMPL}'`,
    `import { abstractState } from '${ABSTRACTION}'`,
    'class Late {',
    '  constructor(inner) { this.inner = inner; this.steps = 0 }',
    '  step(syscall) {',
    '    if (++this.steps > 3) throw new Error(\'ran out of slots\')',
    '    return this.inner.step(syscall)',
    '  }',
    '}',
    'export const target = {',
    '  name: \'step-throws-later\',',
    '  create: (config, images) => new Late(Kernel.boot(config, images)),',
    '  abstraction: { abstract: (kernel) => abstractState(kernel.inner) },',
    '}',
  ].join('\n'),
  // The abstraction cannot read the state after the second step.
  'abstraction-throws-later.mjs': [
    `import { Kernel } from '${IMPL}'`,
    `import { abstractState } from '${ABSTRACTION}'`,
    'class Counting {',
    '  constructor(inner) { this.inner = inner; this.steps = 0 }',
    '  step(syscall) { this.steps++; return this.inner.step(syscall) }',
    '}',
    'export const target = {',
    '  name: \'abstraction-throws-later\',',
    '  create: (config, images) => new Counting(Kernel.boot(config, images)),',
    '  abstraction: {',
    '    abstract(kernel) {',
    '      if (kernel.steps > 2) throw new RangeError(\'cannot read the slot table\')',
    '      return abstractState(kernel.inner)',
    '    },',
    '  },',
    '}',
  ].join('\n'),
}

/** `FILE:LINE:COLUMN` of the first line of a fixture containing `marker`, the column at `at` in that line. */
function place(file: string, marker: string, at: string): string {
  const lines = MODULES[file]!.split('\n')
  const index = lines.findIndex((line) => line.includes(marker))
  return `${file}:${index + 1}:${lines[index]!.indexOf(at) + 1}`
}

let directory = ''
let runs = 0

/** `sila ARGS` in the fixtures' directory, each run with a counterexample store of its own there. */
function sila(...args: string[]) {
  const store = join(directory, 'stores', String(runs++))
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd: directory, encoding: 'utf8', env: { ...process.env, SILA_DEBUG: '', SILA_STORE: store }, timeout: 120_000 })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

const CHECK = ['--runs', '20', '--seed', '1', '--workers', '1']

test.before(() => {
  directory = mkdtempSync(join(tmpdir(), 'sila-own-kernel-'))
  for (const [name, text] of Object.entries(MODULES)) writeFileSync(join(directory, name), `${text}\n`)
})

test.after(() => {
  rmSync(directory, { recursive: true, force: true })
})

test('a syntax error is refused naming the file, the line and the column (Node gives none for an imported module)', () => {
  for (const command of [['check', 'refinement', ...CHECK], ['replay', join(ROOT, 'examples', 'ipc-transfer.trace.json')]]) {
    const run = sila(...command, '--kernel', 'syntax.mjs')
    assert.is(run.status, 2, run.stderr)
    assert.is(run.stderr, `sila: ${place('syntax.mjs', 'step(', '}')}: SyntaxError: Unexpected token '}'\n`)
  }
})

test('a module that throws while loading is refused naming the line of the throw', () => {
  const run = sila('check', 'refinement', ...CHECK, '--kernel', 'throws-loading.mjs')
  assert.is(run.status, 2, run.stderr)
  assert.is(run.stderr, `sila: ${place('throws-loading.mjs', 'reserve', 'reserve')}: the module threw while loading: TypeError: Cannot read properties of undefined (reading 'reserve')\n`)
})

test('a module without a target, or no module at all, is refused naming the file', () => {
  const missing = sila('check', 'refinement', ...CHECK, '--kernel', 'no-target.mjs')
  assert.is(missing.status, 2)
  assert.is(missing.stderr, 'sila: no-target.mjs: exports no \'target\' with create(config, images) and abstraction.abstract(kernel) (docs/own-kernel.md)\n')
  const absent = sila('replay', join(ROOT, 'examples', 'ipc-transfer.trace.json'), '--kernel', 'absent.mjs')
  assert.is(absent.status, 2)
  assert.is(absent.stderr, 'sila: absent.mjs: no such file\n')
})

test('a create() that throws is refused (exit 2) naming the line of the throw, by check and by replay, without a stack', () => {
  const expected = `sila: ${place('throwing-create.mjs', 'throw new', 'new')}: create(config, images) threw Error: no memory for the boot container\n`
  const checked = sila('check', 'refinement', ...CHECK, '--kernel', 'throwing-create.mjs')
  assert.is(checked.status, 2, checked.stderr)
  assert.is(checked.stderr, expected)
  assert.not.match(checked.stdout, /FAILED|internal error/)
  const replayed = sila('replay', join(ROOT, 'examples', 'ipc-transfer.trace.json'), '--kernel', 'throwing-create.mjs')
  assert.is(replayed.status, 2, replayed.stderr)
  assert.is(replayed.stderr, expected)
  assert.not.match(`${checked.stderr}${replayed.stderr}`, STACK_LINE)
})

test('a create() that throws only in the worker threads reaches the main thread as the user\'s error, not as 70', () => {
  const run = sila('check', 'refinement', 'invariants', ...CHECK, '--kernel', 'worker-create.mjs')
  assert.is(run.status, 2, run.stderr)
  assert.is(run.stderr, `sila: ${place('worker-create.mjs', 'isMainThread)', 'new')}: create(config, images) threw TypeError: only the main thread has the slab\n`)
})

test('a step that throws after a while is a REF-1 failure of the kernel: exit 1 with a shrunk counterexample', () => {
  const run = sila('check', 'refinement', 'noninterference', 'robustness', ...CHECK, '--kernel', 'step-throws-later.mjs', '--counterexamples', 'cex-step')
  assert.is(run.status, 1, run.stderr)
  assert.match(run.stdout, /✗ refinement: kernel threw: Error: ran out of slots/)
  assert.match(run.stdout, /✗ noninterference: .*threw.*Error: ran out of slots/)
  assert.match(run.stdout, /✗ robustness: kernel threw: Error: ran out of slots/)
  assert.match(run.stdout, /FAILED REF-1 at step 3 \(shrunk \d+ → 4 steps\)/)
  assert.is(readdirSync(join(directory, 'cex-step')).filter((name) => name.endsWith('.trace.json')).length, 3)
  assert.is(run.stderr.includes('internal error'), false, run.stderr)
})

test('an abstraction that cannot read the kernel\'s state is a REF-1 failure in every suite and in replay', () => {
  const checked = sila('check', 'refinement', 'pipeline', 'update', ...CHECK, '--kernel', 'abstraction-throws-later.mjs', '--counterexamples', 'cex-abstraction')
  assert.is(checked.status, 1, checked.stderr)
  for (const suite of ['refinement', 'pipeline', 'update']) assert.match(checked.stdout, new RegExp(`✗ ${suite}: the abstraction cannot read the kernel's state.*cannot read the slot table`))
  const replayed = sila('replay', join(ROOT, 'examples', 'ipc-transfer.trace.json'), '--kernel', 'abstraction-throws-later.mjs')
  assert.is(replayed.status, 1, replayed.stderr)
  assert.match(replayed.stdout, /diverges from the model at step 2 \((exception|unreadable)\)/)
  assert.match(replayed.stdout, /cannot read the slot table/)
})

test.run()
