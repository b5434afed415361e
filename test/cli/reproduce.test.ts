/**
 * Counterexamples reproduce: a trace records what produced it (`producedBy`),
 * `sila replay` replays on that kernel by default (a model mutant's included),
 * the Markdown export carries the exact commands, and `sila check --seed S --path P`
 * runs the failing case again. Every command runs as a user would, in a fresh
 * directory (so that check's counterexample store stays there).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readJsonInput } from '../../cli/input.js'
import { TraceCodec, type Trace } from '../../spec/trace.js'
import { MUTANTS } from '../../mutants/catalogue.js'
import { MODEL_MUTANTS } from '../../mutants/model-mutants.js'
import { ROOT, STACK_LINE, type Run } from './run.js'

const CLI = join(ROOT, 'dist', 'cli', 'main.js')
const DIRECTORY = mkdtempSync(join(tmpdir(), 'sila-reproduce-'))

function silaIn(cwd: string, ...args: string[]): Run {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, SILA_DEBUG: '' } })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

function sila(...args: string[]): Run {
  return silaIn(DIRECTORY, ...args)
}

/** The trace files in a directory. */
function traces(directory: string): string[] {
  return readdirSync(directory).filter((name) => name.endsWith('.trace.json')).map((name) => join(directory, name))
}

/** The words of a printed command line (no quoting needed for these). */
function words(line: string): string[] {
  return line.trim().split(/\s+/)
}

test('the two catalogues may share names (the same bug in the impl and in the model): the flags say which', () => {
  const shared = MODEL_MUTANTS.filter((model) => MUTANTS.some((mutant) => mutant.name === model.name)).map((mutant) => mutant.name)
  assert.ok(shared.includes('revoke-misses-messages'), 'the example below relies on a shared name')
})

test('explore --mutant: the trace records the model mutant; its replay-it command and a bare replay both exit 1 on that copy of the model', () => {
  const run = sila('explore', '--mutant', 'revoke-misses-messages', '--counterexample', 'explore.trace.json')
  assert.is(run.status, 1, run.stderr)
  const trace = readJsonInput(TraceCodec, join(DIRECTORY, 'explore.trace.json'))
  assert.equal(trace.producedBy, { kernel: 'model-mutant:revoke-misses-messages', command: 'sila explore --mutant revoke-misses-messages' })
  const printed = /replay it: npx (sila replay .+)$/m.exec(run.stdout)?.[1]
  assert.is(printed, 'sila replay explore.trace.json --model-mutant revoke-misses-messages')
  const replayed = sila(...words(printed!).slice(1))
  assert.is(replayed.status, 1, replayed.stdout)
  const bare = sila('replay', 'explore.trace.json')
  assert.is(bare.status, 1, bare.stdout)
  assert.match(bare.stdout, /^kernel: model mutant revoke-misses-messages \(the trace records that it produced the failure; --impl, --mutant, --model-mutant, --kernel or --model-only choose another\)$/m)
  assert.match(bare.stdout, /^ +1 +1 +cap_revoke slot=0 +ok +CAP-3$/m)
  assert.match(bare.stdout, /2 steps replayed on model mutant revoke-misses-messages: 1 violation\./)
  // Replayed on the model itself, and on the impl, the same steps break nothing.
  const model = sila('replay', 'explore.trace.json', '--model-only')
  assert.is(model.status, 0, model.stdout)
  assert.match(model.stdout, /^kernel: the model \(--model-only\)$/m)
  assert.is(sila('replay', 'explore.trace.json', '--impl').status, 0)
  const json = JSON.parse(sila('replay', 'explore.trace.json', '--json').stdout) as { kernel: string; kernelChosenBy: string }
  assert.equal([json.kernel, json.kernelChosenBy], ['model-mutant:revoke-misses-messages', 'trace'])
})

/** One run of check on a mutant, shared by the tests below. */
let checked: { run: Run; file: string; trace: Trace } | undefined
function checkOnMutant(): NonNullable<typeof checked> {
  if (checked !== undefined) return checked
  const run = sila('check', 'invariants', '--mutant', 'rebadge-allowed', '--seed', '7', '--runs', '300', '--workers', '1', '--counterexamples', 'cex')
  assert.is(run.status, 1, `${run.stdout}\n${run.stderr}`)
  const found = traces(join(DIRECTORY, 'cex'))
  assert.is(found.length, 1)
  checked = { run, file: found[0]!, trace: readJsonInput(TraceCodec, found[0]!) }
  return checked
}

test('check --mutant: the trace records the mutant, the seed, the path and the command; replay with no flags exits 1 on that mutant', () => {
  const { file, trace } = checkOnMutant()
  const producedBy = trace.producedBy!
  assert.is(producedBy.kernel, 'mutant:rebadge-allowed')
  assert.is(producedBy.seed, 7)
  assert.match(producedBy.path!, /^\d+(:\d+)*$/)
  assert.is(producedBy.path, trace.failure!.path)
  assert.is(producedBy.command, `sila check invariants --seed 7 --path ${producedBy.path} --max-steps 60 --mutant rebadge-allowed`)
  const replayed = sila('replay', file)
  assert.is(replayed.status, 1, replayed.stdout)
  assert.match(replayed.stdout, /^kernel: mutant rebadge-allowed \(the trace records that it produced the failure; /m)
  assert.match(replayed.stdout, /The kernel \(mutant:rebadge-allowed\) diverges from the model at step \d+/)
  // A flag overrides the record: the impl agrees with the model on these steps.
  const impl = sila('replay', file, '--impl')
  assert.is(impl.status, 0, impl.stdout)
  assert.match(impl.stdout, /^kernel: the impl \(--impl\)$/m)
  assert.match(impl.stdout, /the impl agreed with the model at every step/)
})

test('a trace without producedBy replays on the impl, saying so; one naming a kernel that cannot be loaded is refused naming the path, exit 2', () => {
  const { trace } = checkOnMutant()
  const { producedBy: _, ...old } = trace
  writeFileSync(join(DIRECTORY, 'old.trace.json'), JSON.stringify(old))
  const replayed = sila('replay', 'old.trace.json')
  assert.is(replayed.status, 0, replayed.stdout)
  assert.match(replayed.stdout, /^kernel: the impl \(the default: the trace does not record which kernel produced it\)$/m)
  writeFileSync(join(DIRECTORY, 'gone.trace.json'), JSON.stringify({ ...trace, producedBy: { kernel: 'file:no/such/kernel.mjs' } }))
  const gone = sila('replay', 'gone.trace.json')
  assert.is(gone.status, 2, gone.stdout)
  assert.match(gone.stderr, /^sila: gone\.trace\.json: \$\.producedBy\.kernel: .*no\/such\/kernel\.mjs.* \(--impl, --mutant, --model-mutant, --kernel or --model-only choose another kernel\)$/m)
  assert.is(sila('replay', 'gone.trace.json', '--impl').status, 0)
  assert.not.match(gone.stderr, STACK_LINE)
  writeFileSync(join(DIRECTORY, 'bad.trace.json'), JSON.stringify({ ...trace, producedBy: { kernel: 'mutant:' } }))
  const bad = sila('replay', 'bad.trace.json')
  assert.is(bad.status, 2)
  assert.match(bad.stderr, /bad\.trace\.json: .*\$\.producedBy\.kernel/)
})

test('check prints the command that reruns exactly the failing case; run, it reproduces the same counterexample', () => {
  const { run, trace } = checkOnMutant()
  const printed = /^rerun it: npx (sila check .+)$/m.exec(run.stdout)?.[1]
  assert.is(printed, trace.producedBy!.command)
  const again = sila(...words(printed!).slice(1), '--counterexamples', 'again', '--workers', '1')
  assert.is(again.status, 1, again.stdout)
  assert.match(again.stdout, new RegExp(`invariants · the case at path ${trace.producedBy!.path} · ≤ 60 steps · seed 7`))
  // One case: no coverage lists (each would name nearly every check as never met).
  assert.match(again.stdout, /^Coverage: not reported for a --path rerun \(one case\)/m)
  assert.not.match(again.stdout, /Never decided a refusal/)
  assert.match(run.stdout, /Never decided a refusal|checks decided both ways/, 'the full run reports coverage')
  const found = traces(join(DIRECTORY, 'again'))
  assert.is(found.length, 1)
  const reproduced = readJsonInput(TraceCodec, found[0]!)
  assert.equal(reproduced.steps, trace.steps)
  assert.equal(reproduced.failure, trace.failure)
  // The same case on the impl passes.
  const impl = sila('check', 'invariants', '--seed', '7', '--path', trace.producedBy!.path!, '--workers', '1', '--counterexamples', 'impl')
  assert.is(impl.status, 0, impl.stdout)
})

test('--path needs --seed and one suite, and a path of numbers', () => {
  for (const [args, message] of [
    [['check', 'invariants', '--path', '1:2'], /--path needs the --seed of the run that printed it/],
    [['check', '--seed', '1', '--path', '1:2'], /--path names a case of one suite: give exactly one SUITE/],
    [['check', 'invariants', 'quota', '--seed', '1', '--path', '1:2'], /--path names a case of one suite/],
    [['check', 'invariants', '--seed', '1', '--path', '1:x'], /--path expects fast-check's path, numbers separated by ':'/],
  ] as const) {
    const run = sila(...args)
    assert.is(run.status, 2, args.join(' '))
    assert.match(run.stderr, message)
  }
  assert.match(sila('check', '--help').stdout, /--path P +with --seed and one SUITE: run exactly the case/)
})

test('the Markdown export of a check counterexample carries the exact commands', () => {
  const { file, trace } = checkOnMutant()
  const md = sila('export', file, '--format', 'md')
  assert.is(md.status, 0, md.stderr)
  const block = /## Reproduce\n\n.*\n\n```sh\n([\s\S]*?)\n```\n$/.exec(md.stdout)?.[1]
  assert.is(block, `sila replay ${file} --mutant rebadge-allowed\n${trace.producedBy!.command}`)
  assert.ok(readFileSync(file, 'utf8').includes('"producedBy"'))
})

test.after(() => rmSync(DIRECTORY, { recursive: true, force: true }))

test.run()
