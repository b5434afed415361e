import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sila, STACK_LINE } from './run.js'

const COMMANDS = ['check', 'replay', 'explore', 'export', 'merge', 'audit', 'mutants', 'image', 'repo', 'bench']

test('--help lists every command, one line each, and exits 0', () => {
  const run = sila('--help')
  assert.is(run.status, 0)
  for (const name of COMMANDS) assert.match(run.stdout, new RegExp(`^  ${name} +\\S`, 'm'), name)
  assert.match(run.stdout, /^ {2}replay +re-execute .*[^)]$/m, 'replay is available')
  assert.match(run.stdout, /^ {2}check +run .*[^)]$/m, 'check is available')
})

test('help and help <command> print the same as --help and <command> --help', () => {
  assert.is(sila('help').stdout, sila('--help').stdout)
  const usage = sila('help', 'replay')
  assert.is(usage.status, 0)
  assert.is(usage.stdout, sila('replay', '--help').stdout)
  assert.match(usage.stdout, /Usage: sila replay FILE/)
})

test('every command has its own usage', () => {
  for (const name of COMMANDS) {
    const run = sila(name, '--help')
    assert.is(run.status, 0, name)
    assert.match(run.stdout, new RegExp(`Usage: sila ${name}`), name)
  }
})

test('every command is built: none is listed as planned', () => {
  const run = sila('--help')
  assert.is(run.status, 0)
  assert.not.match(run.stdout, /planned/)
})

test('check validates its flags, then runs the suites', () => {
  assert.is(sila('check', '--runs', 'ten').status, 2)
  assert.match(sila('check', '--runs', 'ten').stderr, /--runs expects a positive integer/)
  assert.match(sila('check', '--shard', '3/2').stderr, /--shard expects I\/N/)
  assert.match(sila('check', 'nonsense').stderr, /unknown suite "nonsense"/)
  const run = sila('check', 'invariants', '--runs', '10', '--seed', '42', '--workers', '1')
  assert.is(run.status, 0, run.stderr)
  assert.match(run.stdout, /invariants +10 +\d+ +[\d.]+ s +passed/)
  assert.match(run.stdout, /Deep states reached/)
})

test('an unknown command exits 2 without a stack trace', () => {
  const run = sila('frobnicate')
  assert.is(run.status, 2)
  assert.match(run.stderr, /sila: unknown command "frobnicate"/)
  assert.not.match(run.stderr, STACK_LINE)
})

test('an unknown flag exits 2 without a stack trace', () => {
  for (const args of [['replay', '--frobnicate', 'examples/ipc-transfer.trace.json'], ['--frobnicate'], ['check', '--runs']]) {
    const run = sila(...args)
    assert.is(run.status, 2, args.join(' '))
    assert.match(run.stderr, /^sila( \w+)?: /, args.join(' '))
    assert.match(run.stderr, /--help/, args.join(' '))
    assert.not.match(run.stderr, STACK_LINE, args.join(' '))
  }
})

test('no command at all prints the help to stderr and exits 2', () => {
  const run = sila()
  assert.is(run.status, 2)
  assert.match(run.stderr, /Usage: sila <command>/)
})

test('--version prints the package version', () => {
  const run = sila('--version')
  assert.is(run.status, 0)
  assert.match(run.stdout, /^\d+\.\d+\.\d+\n$/)
})

test.run()
