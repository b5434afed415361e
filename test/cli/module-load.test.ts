/**
 * A user's module (`--kernel FILE`, `--props FILE` in code) whose loading never
 * finishes — a loop at its top level, an await that never settles — is refused
 * (exit 2, naming the module, within the command's `--step-timeout`) by every
 * command that loads one, instead of hanging it, and so is one that ends the
 * process while loading; one that loads slowly but within the timeout is used as
 * ever.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Run, STACK_LINE, distUrl, sila } from './run.js'

const dir = mkdtempSync(join(tmpdir(), 'sila-module-load-'))
const file = (name: string, text: string): string => { const path = join(dir, name); writeFileSync(path, text); return path }

const IMPL_TARGET = `export { implTarget as target } from '${distUrl('refinement/abstraction.js')}'\n`
const loopingKernel = file('loops.mjs', `for (;;) {}\n${IMPL_TARGET}`)
const unsettledKernel = file('unsettled.mjs', `await new Promise(() => {})\n${IMPL_TARGET}`)
// A loop in a module the kernel imports, not in the kernel itself.
file('loops-inside.mjs', 'for (;;) {}\nexport const nothing = 0\n')
const importsLooping = file('imports-looping.mjs', `import './loops-inside.mjs'\n${IMPL_TARGET}`)
const exitingKernel = file('exits.mjs', `process.exit(0)\n${IMPL_TARGET}`)
const loopingProps = file('loops-props.mjs', 'export default []\nwhile (true) {}\n')
// Busy for half a second while loading, then a kernel like any other.
const slowKernel = file('slow.mjs', `const until = Date.now() + 500\nwhile (Date.now() < until) {}\n${IMPL_TARGET}`)
const TRACE = 'examples/ipc-transfer.trace.json'

function refusedLoading(run: Run, module: string, seconds: number | null, what: string): void {
  assert.is(run.status, 2, `${what}: ${run.stderr}`)
  const expected = seconds === null ? 'never finished loading: its top-level code awaits something that never settles' : `did not finish loading within ${seconds} s`
  assert.ok(run.stderr.includes(`${module}: the module ${expected}`), `${what}: ${run.stderr}`)
  assert.not.match(run.stderr, STACK_LINE, what)
}

test('check, explore and replay refuse a kernel that loops while loading, after --step-timeout', () => {
  refusedLoading(sila('check', '--kernel', loopingKernel, '--step-timeout', '1', '--runs', '1'), loopingKernel, 1, 'check')
  refusedLoading(sila('explore', '--kernel', loopingKernel, '--step-timeout', '1', '--depth', '1'), loopingKernel, 1, 'explore')
  const replay = sila('replay', TRACE, '--kernel', loopingKernel, '--step-timeout', '2')
  refusedLoading(replay, loopingKernel, 2, 'replay')
  assert.ok(replay.stderr.includes('--step-timeout S allows longer'), replay.stderr)
})

test('a loop in a module the kernel imports is refused the same way', () => {
  refusedLoading(sila('replay', TRACE, '--kernel', importsLooping, '--step-timeout', '1'), importsLooping, 1, 'replay')
})

test('a kernel whose top-level await never settles is refused at once', () => {
  const started = Date.now()
  refusedLoading(sila('check', '--kernel', unsettledKernel, '--runs', '1'), unsettledKernel, null, 'check')
  // Not after the default 60 s timeout: the probe's thread ended with nothing left to run.
  assert.ok(Date.now() - started < 30_000, `${Date.now() - started} ms`)
})

test('a kernel that ends the process while loading is refused, not taken for a clean exit', () => {
  const run = sila('replay', TRACE, '--kernel', exitingKernel)
  assert.is(run.status, 2, run.stderr)
  assert.ok(run.stderr.includes(`${exitingKernel}: the module ended the process while loading (process.exit(0))`), run.stderr)
})

test('properties in code that loop while loading are refused by check, explore and audit', () => {
  refusedLoading(sila('check', '--props', loopingProps, '--step-timeout', '1', '--runs', '1'), loopingProps, 1, 'check')
  refusedLoading(sila('explore', '--props', loopingProps, '--step-timeout', '1', '--depth', '1'), loopingProps, 1, 'explore')
  // audit's --step-timeout bounds the loading too, and its refusal names the flag.
  const audit = sila('audit', '--props', loopingProps, TRACE, '--step-timeout', '1')
  refusedLoading(audit, loopingProps, 1, 'audit')
  assert.ok(audit.stderr.includes('--step-timeout S allows longer'), audit.stderr)
})

test('a kernel that takes half a second to load is used', () => {
  const run = sila('replay', TRACE, '--kernel', slowKernel, '--step-timeout', '5', '--json')
  assert.ok(run.status === 0 || run.status === 1, run.stderr)
  const result = JSON.parse(run.stdout) as { kernel: string; divergence: unknown }
  assert.is(result.kernel, `file:${slowKernel}`)
  assert.is(result.divergence, null)
})

test.after(() => rmSync(dir, { recursive: true, force: true }))
test.run()
