import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, STACK_LINE } from './run.js'
import { TraceCodec } from '../../spec/trace.js'

/** A kernel whose state the abstraction cannot read after its first successful ep_create (test/fixtures). */
const KERNEL = join(ROOT, 'dist', 'test', 'fixtures', 'unreadable-kernel.js')

/** `sila ...args` run in `cwd` (the check's counterexample store is written there, not in the repository). */
function silaIn(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, SILA_DEBUG: '' }, timeout: 120_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

function traceIn(file: string) {
  const trace: unknown = JSON.parse(readFileSync(file, 'utf8'))
  assert.ok(TraceCodec.is(trace), `${file} is a sila-trace/1 trace`)
  return trace
}

test('check pipeline against a kernel the abstraction cannot read: exit 1, the summary, a shrunk counterexample naming what', () => {
  const directory = mkdtempSync(join(tmpdir(), 'sila-unreadable-'))
  try {
    const run = silaIn(directory, 'check', 'pipeline', '--runs', '20', '--seed', '1', '--workers', '1', '--kernel', KERNEL, '--counterexamples', directory)
    assert.is(run.status, 1, run.stderr)
    assert.not.match(run.stderr, STACK_LINE)
    assert.match(run.stdout, /^pipeline +\d+ +\d+ +[\d.]+ s +FAILED REF-1 at step \d+ \(shrunk \d+ → [1-3] steps?\)$/m)
    assert.match(run.stdout, /✗ pipeline: the abstraction cannot read the kernel's state: object handle \d+ holds kind 200/)
    const files = readdirSync(directory).filter((name) => name.startsWith('sila-counterexample-pipeline-'))
    assert.is(files.length, 1)
    const trace = traceIn(join(directory, files[0]!))
    assert.is(trace.failure!.invariant, 'REF-1')
    assert.match(JSON.stringify(trace.failure!.witness), /"unreadable":"object handle \d+ holds kind 200, no kind of live object"/)
    // The ep_create that corrupts the table, after at most the spawn of the process that makes it (and the creation of its container).
    assert.ok(trace.steps.length <= 3)
    assert.is((trace.steps[trace.steps.length - 1]!.syscall as { kind: string }).kind, 'ep_create')
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
})

test('explore --kernel (refine against it) with a kernel the abstraction cannot read: exit 1, the summary, a counterexample trace', () => {
  const directory = mkdtempSync(join(tmpdir(), 'sila-unreadable-'))
  try {
    const file = join(directory, 'found.trace.json')
    const run = silaIn(directory, 'explore', '--preset', 'cap-core', '--depth', '3', '--kernel', KERNEL, '--counterexample', file)
    assert.is(run.status, 1, run.stderr)
    assert.not.match(run.stderr, STACK_LINE)
    assert.match(run.stdout, /distinct states/)
    assert.match(run.stdout, /✗ REF-1: the abstraction cannot read the kernel's state after the action: object handle \d+ holds kind 200/)
    assert.match(run.stdout, new RegExp(`replay it: npx sila replay ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --kernel `))
    assert.ok(existsSync(file))
    const trace = traceIn(file)
    assert.is(trace.failure!.invariant, 'REF-1')
    // The ep_create that corrupts the table, after at most the spawn of the process that makes it.
    assert.ok(trace.steps.length <= 2)
    assert.is((trace.steps[trace.steps.length - 1]!.syscall as { kind: string }).kind, 'ep_create')
    const replay = silaIn(directory, 'replay', file, '--kernel', KERNEL)
    assert.is(replay.status, 1)
    assert.match(replay.stdout, /diverges from the model at step 0 \(unreadable\) at abstraction/)
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
})

test.run()
