/**
 * Output paths are checked before the work: every flag (or positional) that names
 * something a command writes, with a path that cannot be written, is refused at
 * once with exit 2 and one line naming the flag, the path and why — not found after
 * the run as an internal error (exit 70). Directories the tool owns are created
 * with their parents; a file's directory must exist.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findCommand } from '../../cli/commands/index.js'
import { UsageError } from '../../cli/output.js'
import { checkOutputs, outputProblem, type OutputKind } from '../../cli/outputs.js'
import { MUTANTS } from '../../mutants/catalogue.js'
import { ROOT, sila, STACK_LINE } from './run.js'

const TRACE = join(ROOT, 'examples/ipc-transfer.trace.json')

/** A scratch directory holding a regular file `file` and a directory `dir`. */
function withScratch(body: (at: (name: string) => string) => void | Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'sila-outputs-'))
  writeFileSync(join(root, 'file'), 'x')
  mkdirSync(join(root, 'dir'))
  return Promise.resolve(body((name) => join(root, name))).finally(() => rmSync(root, { recursive: true, force: true }))
}

/** Every file and directory under `root`, for "nothing was written". */
function tree(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()
}

/** Runs `sila <args>` in process; the UsageError it throws, and what it printed meanwhile. */
async function refusal(args: ReadonlyArray<string>): Promise<{ error: UsageError; stdout: string }> {
  const write = process.stdout.write
  const writeErr = process.stderr.write
  let stdout = ''
  process.stdout.write = ((chunk: string | Uint8Array) => { stdout += String(chunk); return true }) as typeof process.stdout.write
  process.stderr.write = (() => true) as typeof process.stderr.write
  try {
    await findCommand(args[0]!)!.run(args.slice(1))
  } catch (error) {
    if (error instanceof UsageError) return { error, stdout }
    throw new Error(`sila ${args.join(' ')}: not a usage error: ${String(error)}`)
  } finally {
    process.stdout.write = write
    process.stderr.write = writeErr
  }
  return assert.unreachable(`accepted: sila ${args.join(' ')}`) as never
}

test('outputProblem: what each kind of output needs', () => withScratch((at) => {
  const problem = (path: string, kind: OutputKind) => outputProblem({ name: '--x', path, kind })
  // A file: its directory must exist; an existing file is replaced.
  assert.is(problem(at('new.json'), 'file'), null)
  assert.is(problem(at('file'), 'file'), null)
  assert.is(problem(at('missing/new.json'), 'file'), `parent directory ${at('missing')} does not exist`)
  assert.is(problem(at('file/new.json'), 'file'), `parent directory ${at('file')} is not a directory`)
  assert.is(problem(at('dir'), 'file'), 'is a directory, expected a file')
  assert.is(problem(`${at('new')}/`, 'file'), "ends with '/', expected a file")
  assert.is(problem('', 'file'), 'is empty, expected a path')
  assert.is(problem('/dev/null', 'file'), 'is not a regular file (the file is replaced, atomically, by a rename)')
  // A directory the tool owns: created with its parents (mkdir -p) under a writable directory.
  assert.is(problem(at('dir'), 'directory'), null)
  assert.is(problem(at('new/deeper/still'), 'directory'), null)
  assert.is(problem(at('file'), 'directory'), 'is an existing file, expected a directory')
  assert.is(problem(at('file/sub/dir'), 'directory'), `cannot be created: ${at('file')} is not a directory`)
  // A directory created whole must not exist.
  assert.is(problem(at('dir'), 'new-directory'), 'already exists; it is not overwritten')
  assert.is(problem(at('new/image'), 'new-directory'), null)
  assert.ok(!existsSync(at('new')), 'nothing is created by the check')
}))

test('outputProblem: a directory that cannot be written (as a user other than root)', () => withScratch((at) => {
  if (process.getuid?.() === 0) {
    console.log('  (root writes anywhere: the permission case is checked only as another user)')
    return
  }
  mkdirSync(at('locked'))
  chmodSync(at('locked'), 0o500)
  try {
    assert.is(outputProblem({ name: '--out', path: at('locked/x.json'), kind: 'file' }), `parent directory ${at('locked')} is not writable`)
    assert.is(outputProblem({ name: '--report', path: at('locked'), kind: 'directory' }), 'is not writable')
    assert.is(outputProblem({ name: '--report', path: at('locked/a/b'), kind: 'directory' }), `cannot be created: ${at('locked')} is not writable`)
  } finally {
    chmodSync(at('locked'), 0o700)
  }
}))

test('checkOutputs names the flag, the path, a default, and two flags naming one file', () => withScratch((at) => {
  const message = (run: () => void) => {
    try { run() } catch (error) { if (error instanceof UsageError) return `${error.command}: ${error.message}`; throw error }
    return null
  }
  assert.is(message(() => checkOutputs('check', [{ name: '--out', path: undefined, kind: 'file' }, { name: '--junit', path: at('j.xml'), kind: 'file' }])), null)
  assert.is(message(() => checkOutputs('check', [{ name: '--junit', path: at('dir'), kind: 'file' }])), `check: --junit ${at('dir')}: is a directory, expected a file`)
  assert.is(message(() => checkOutputs('explore', [{ name: '--counterexample', path: at('dir'), kind: 'file', isDefault: true }])),
    `explore: --counterexample ${at('dir')} (the default): is a directory, expected a file`)
  assert.is(message(() => checkOutputs('check', [{ name: '--out', path: at('a.json'), kind: 'file' }, { name: '--junit', path: `${at('dir')}/../a.json`, kind: 'file' }])),
    `check: --out and --junit both name ${at('a.json')}: give each its own file`)
}))

/** Every output of every command, given a path that cannot be written, and why it cannot. */
function badOutputs(at: (name: string) => string): Array<{ args: string[]; named: string; path: string; why: string }> {
  const missing = at('missing/x.json')
  const noParent = `parent directory ${at('missing')} does not exist`
  const isDir = 'is a directory, expected a file'
  const isFile = 'is an existing file, expected a directory'
  const quick = { check: ['invariants', '--runs', '1', '--workers', '1'], explore: ['--depth', '1'], mutants: [MUTANTS[0]!.name, '--runs', '1', '--workers', '1'] }
  return [
    { args: ['check', ...quick.check, '--out', missing], named: '--out', path: missing, why: noParent },
    { args: ['check', ...quick.check, '--junit', at('dir')], named: '--junit', path: at('dir'), why: isDir },
    { args: ['check', ...quick.check, '--report', at('file')], named: '--report', path: at('file'), why: isFile },
    { args: ['check', ...quick.check, '--counterexamples', at('file/sub')], named: '--counterexamples', path: at('file/sub'), why: `cannot be created: ${at('file')} is not a directory` },
    { args: ['explore', ...quick.explore, '--out', missing], named: '--out', path: missing, why: noParent },
    { args: ['explore', ...quick.explore, '--counterexample', at('dir')], named: '--counterexample', path: at('dir'), why: isDir },
    { args: ['explore', ...quick.explore, '--report', at('file')], named: '--report', path: at('file'), why: isFile },
    { args: ['replay', TRACE, '--report', at('file')], named: '--report', path: at('file'), why: isFile },
    { args: ['export', TRACE, '--format', 'itf', '--out', at('dir')], named: '--out', path: at('dir'), why: isDir },
    { args: ['audit', TRACE, '--out', missing], named: '--out', path: missing, why: noParent },
    { args: ['audit', '--write-state', at('dir'), '--preset', 'cap-core'], named: '--write-state', path: at('dir'), why: isDir },
    { args: ['mutants', ...quick.mutants, '--out', at('dir')], named: '--out', path: at('dir'), why: isDir },
    { args: ['mutants', ...quick.mutants, '--report', at('file')], named: '--report', path: at('file'), why: isFile },
    { args: ['bench', 'B8', '--out', missing], named: '--out', path: missing, why: noParent },
    { args: ['merge', at('results.json'), '--out', at('dir')], named: '--out', path: at('dir'), why: isDir },
    { args: ['image', 'keygen', '--out', at('file')], named: '--out', path: at('file'), why: isFile },
    { args: ['image', 'build', '--manifest', at('m.json'), '--module', at('module.bin'), '--out', at('dir')], named: '--out', path: at('dir'), why: 'already exists; it is not overwritten' },
    { args: ['repo', 'add', at('file'), at('image'), '--keyring', at('keys')], named: 'REPO', path: at('file'), why: isFile },
  ]
}

test('in process: every output of every command is checked before the work starts', () => withScratch(async (at) => {
  const before = tree(at(''))
  const cases = badOutputs(at)
  for (const { args, named, path, why } of cases) {
    const { error, stdout } = await refusal(args)
    const command = args[0] === 'image' || args[0] === 'repo' ? `${args[0]} ${args[1]}` : args[0]
    assert.is(`${error.command}: ${error.message}`, `${command}: ${named} ${path}: ${why}`, args.join(' '))
    assert.is(stdout, '', `nothing was printed, so nothing ran: sila ${args.join(' ')}`)
    assert.equal(tree(at('')), before, `nothing was written: sila ${args.join(' ')}`)
  }
  console.log(`  ${cases.length} outputs of ${new Set(cases.map((entry) => entry.args[0])).size} commands refused before any work`)
}))

test('as a process: a bad --out is exit 2 and one line before anything runs, no stack, no internal error', () => withScratch((at) => {
  const check = sila('check', '--out', '/no/such/dir/x.json')
  assert.is(check.status, 2, check.stderr)
  assert.is(check.stdout, '')
  assert.is(check.stderr, "sila check: --out /no/such/dir/x.json: parent directory /no/such/dir does not exist\nRun 'sila check --help' for usage.\n")
  const explore = sila('explore', '--counterexample', at('dir'))
  assert.is(explore.status, 2, explore.stderr)
  assert.is(explore.stdout, '')
  assert.is(explore.stderr, `sila explore: --counterexample ${at('dir')}: is a directory, expected a file\nRun 'sila explore --help' for usage.\n`)
  for (const run of [check, explore]) {
    assert.not.match(run.stderr, STACK_LINE)
    assert.not.match(run.stderr, /internal error/)
  }
}))

test('as a process: --report and --counterexamples create their directory with its parents', () => withScratch((at) => {
  const run = sila('check', 'invariants', '--runs', '2', '--workers', '1', '--seed', '7', '--report', at('reports/check/today'), '--counterexamples', at('traces/new'), '--out', at('dir/results.json'))
  assert.is(run.status, 0, run.stderr)
  assert.ok(existsSync(at('reports/check/today/index.html')), 'the report was written in the directory it created')
  assert.ok(existsSync(at('dir/results.json')))
}))

test.run()
