/**
 * `sila check --boot FILE`: the systems suite on the user's own declared system
 * (examples/systems/plugin-host), as README "sila check" says: it runs alone,
 * boots the file as written in every run, asks the user's properties by the
 * system's own names, and a failure's trace boots the file's system and replays
 * on the kernel that failed; wrong files and wrong suites are refused (exit 2).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, STACK_LINE, type Run, silaWithStore } from './run.js'
import { readBootFile } from '../../cli/boot-file.js'
import { SYSCALL_KINDS } from '../../spec/syscalls.js'

const SYSTEM = join(ROOT, 'examples', 'systems', 'plugin-host')
const BOOT = join(SYSTEM, 'boot.json')
const DIR = mkdtempSync(join(tmpdir(), 'sila-check-boot-'))
process.on('exit', () => rmSync(DIR, { recursive: true, force: true }))

/** `sila ...args` with a counterexample store of this file's own (the failures found here are kept there, not in the store test/cli/fail-fast asserts empty). */
const sila = (...args: string[]): Run => silaWithStore(join(DIR, 'store'), 120_000, ...args)

test('check --boot runs the systems suite alone on the file\'s system, and passes on the impl', () => {
  const run = sila('check', '--boot', BOOT, '--runs', '150', '--seed', '4', '--json', '--counterexamples', DIR)
  assert.is(run.status, 0, run.stderr)
  const summary = JSON.parse(run.stdout) as { passed: boolean; suites: Array<{ suite: string; runs: number; coverage: { steps: number; kindOk: Record<string, number>; kindFailed: Record<string, number>; errors: Record<string, number> } }> }
  assert.equal(summary.suites.map((suite) => suite.suite), ['systems'])
  assert.is(summary.suites[0]!.runs, 150)
  const coverage = summary.suites[0]!.coverage
  assert.ok(coverage.steps > 150 * 10, `${coverage.steps} steps`)
  // The user's system gets every call, not only the explore alphabet's (given-system-calls.ts): tables no two processes share, slots past a CSpace, init's children in every container, tick.
  const tried = (kind: string) => (coverage.kindOk[kind] ?? 0) + (coverage.kindFailed[kind] ?? 0)
  assert.equal(SYSCALL_KINDS.filter((kind) => tried(kind) === 0), [], 'every syscall kind tried')
  for (const kind of ['mount', 'resolve', 'net_bind', 'container_create', 'tick']) assert.ok((coverage.kindOk[kind] ?? 0) > 0, `${kind} succeeds`)
  assert.ok((coverage.errors.InvalidSlot ?? 0) > 0, 'a slot past a CSpace')
  const report = join(DIR, 'report')
  const text = sila('check', '--boot', BOOT, '--runs', '20', '--seed', '4', '--counterexamples', DIR, '--report', report)
  assert.match(text.stdout, new RegExp(`sila check: systems of ${BOOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} · 20 runs`))
  // The systems suite builds no double faults: its pairs are said not to be measured, not listed as 0 of 481 met.
  assert.match(text.stdout, /^Check pairs: not measured here/m)
  assert.match(text.stdout, /^Deep states reached \(of the default check's list: your system may allow none of some/m)
  assert.not.match(text.stdout, /Check pairs \(two checks/)
  assert.match(readFileSync(join(report, 'index.html'), 'utf8'), /No counterexample: the boot state of .*plugin-host\/boot\.json, which every run started from/)
})

test('check --boot with a seeded bug: the counterexample\'s trace boots the file\'s system, names --boot in its command, and replays the divergence', () => {
  const run = sila('check', '--boot', BOOT, '--runs', '300', '--seed', '5', '--mutant', 'copy-amplifies-rights', '--counterexamples', DIR)
  assert.is(run.status, 1, run.stdout + run.stderr)
  assert.match(run.stdout, /✗ systems: /)
  const file = readdirSync(DIR).find((name) => name.startsWith('sila-counterexample-systems-'))
  assert.ok(file !== undefined, 'a trace is written')
  const trace = JSON.parse(readFileSync(join(DIR, file!), 'utf8')) as { boot: unknown; images: Array<{ digest: string }>; steps: unknown[]; producedBy: { command: string }; failure: { step: number } }
  const system = readBootFile(BOOT)
  assert.equal(trace.boot, JSON.parse(JSON.stringify(system.config)), 'the trace boots the system of the file')
  assert.equal(trace.images.map((image) => image.digest).sort(), system.images.map((image) => image.digest).sort())
  assert.ok(trace.failure.step >= 0 && trace.failure.step < trace.steps.length, `the failing step ${trace.failure.step} is one of the trace's ${trace.steps.length}`)
  assert.match(trace.producedBy.command, /--boot /)
  // The lengths printed count syscalls, as the trace does (the scenario's configuration is not a step).
  const shrunk = /shrunk (\d+) → (\d+) steps/.exec(run.stdout)
  assert.ok(shrunk !== null, run.stdout)
  assert.is(Number(shrunk![2]), trace.steps.length, shrunk![0])
  assert.ok(Number(shrunk![1]) >= trace.steps.length, shrunk![0])
  const replayed = sila('replay', join(DIR, file!))
  assert.is(replayed.status, 1, replayed.stdout + replayed.stderr)
  assert.match(replayed.stdout, /diverged at step \d+/)
  assert.is(sila('replay', join(DIR, file!), '--impl').status, 0)
})

test('check --boot --props: the properties name the file\'s system, and a sometimes-property is witnessed', () => {
  const run = sila('check', '--boot', BOOT, '--props', join(SYSTEM, 'props.json'), '--runs', '1000', '--seed', '3', '--counterexamples', DIR)
  assert.ok(run.status === 0 || run.status === 1, run.stderr)
  assert.match(run.stdout, /plugins-never-hold-host\s+always\s+held/)
  assert.match(run.stdout, /one-plugin-at-a-time\s+always\s+held/)
  assert.match(run.stdout, /a-plugin-can-get-work\s+sometimes\s+witnessed/)
})

test('check --boot --out records the boot file and a digest of its system; sila merge refuses to merge it with a check of generated systems', () => {
  const mine = join(DIR, 'mine.json')
  const generated = join(DIR, 'generated.json')
  assert.is(sila('check', '--boot', BOOT, '--runs', '10', '--seed', '1', '--shard', '0/2', '--out', mine, '--counterexamples', DIR).status, 0)
  assert.is(sila('check', 'systems', '--runs', '10', '--seed', '1', '--shard', '1/2', '--out', generated, '--counterexamples', DIR).status, 0)
  const recorded = JSON.parse(readFileSync(mine, 'utf8')) as { boot?: string; system?: string }
  assert.is(recorded.boot, BOOT)
  assert.match(recorded.system ?? '', /^sha256:[0-9a-f]{64}$/)
  const merged = sila('merge', mine, generated)
  assert.is(merged.status, 2)
  assert.match(merged.stderr, /generated\.json: \$\.system: null, not "sha256:[0-9a-f]+" as in mine\.json: merged runs share the system --boot declares/)
})

test('check --boot of a system whose init has 4,096 slots: its calls naming two slots take a bounded few, so the run is quick and small', () => {
  type Process = { image: string }
  const config = JSON.parse(readFileSync(BOOT, 'utf8')) as { init: { slots: number }; images: string[]; keyring: Array<{ keyFile?: string }>; system: { processes: Process[] } }
  const large = join(DIR, 'large-init.json')
  // The file's paths are relative to it: made absolute for the copy written elsewhere.
  const path = (relative: string) => (relative.startsWith('./') ? join(SYSTEM, relative) : relative)
  writeFileSync(large, JSON.stringify({
    ...config, init: { slots: 4096 },
    images: config.images.map(path),
    keyring: config.keyring.map((key) => (key.keyFile === undefined ? key : { keyFile: path(key.keyFile) })),
    system: { ...config.system, processes: config.system.processes.map((process) => ({ ...process, image: path(process.image) })) },
  }))
  const run = sila('check', '--boot', large, '--runs', '20', '--seed', '1', '--json', '--counterexamples', DIR)
  assert.is(run.status, 0, run.stderr)
  assert.is((JSON.parse(run.stdout) as { suites: Array<{ runs: number }> }).suites[0]!.runs, 20)
})

test('check --boot refuses another suite, a wrong file and a system with no process (exit 2, no stack)', () => {
  const other = sila('check', 'refinement', '--boot', BOOT)
  assert.is(other.status, 2)
  assert.match(other.stderr, /--boot expects the systems suite alone, found suite "refinement"/)
  const bad = join(DIR, 'bad-boot.json')
  writeFileSync(bad, JSON.stringify({ root: { limits: {} }, devices: [], keyring: [], floors: {}, init: { slots: 4 } }))
  const refused = sila('check', '--boot', bad)
  assert.is(refused.status, 2)
  assert.match(refused.stderr, /bad-boot\.json: \$\.root\.limits\.memoryBytes/)
  const idle = join(DIR, 'idle-boot.json')
  writeFileSync(idle, JSON.stringify({ root: { limits: { memoryBytes: 8, processes: 2, endpoints: 1, cpuBudget: 10, ioBytes: 0, cpuWeight: 1, devices: [] } }, devices: [], keyring: [], floors: {}, init: { slots: 4 } }))
  const nothing = sila('check', '--boot', idle)
  assert.is(nothing.status, 2)
  assert.match(nothing.stderr, /declares no processes/)
  for (const run of [other, refused, nothing]) assert.not.match(run.stderr, STACK_LINE)
})

test.run()
