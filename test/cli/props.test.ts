/**
 * `--props FILE` and `--invariant NAME` end to end, as a user runs them: `sila
 * check` finds a violated property (exit 1, a counterexample naming it and its
 * sentence) that `sila replay` reproduces; a `sometimes` is witnessed (a witness
 * trace that replays) or, unreachable, warned about as vacuous; `sila audit` says
 * which properties hold in a state; a broken props file is refused with exit 2 and
 * one line naming the file and the JSON path; a module with a syntax error or a
 * throwing check is refused at its file:line:column.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { sila, ROOT, STACK_LINE } from './run.js'
import { selectInvariants, loadProps, systemNames } from '../../checker/props-input.js'
import { defineProperty } from '../../properties/user/define.js'
import { InputError } from '../../spec/decode.js'
import { UsageError } from '../../cli/output.js'
import { IMAGE_POOL, PROPERTY_BOOT } from '../../properties/pool.js'
import { mergeProperties, type PropertySummary } from '../../checker/results.js'

const PROPS = 'examples/props/check.json'
const dir = mkdtempSync(join(tmpdir(), 'sila-props-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

function write(name: string, text: string): string {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

/** A trace on the system 'sila check' boots: init copies its two device caps (5 caps in all). */
const GROWN = write('grown.trace.json', JSON.stringify({
  format: 'sila-trace/1', boot: PROPERTY_BOOT, images: IMAGE_POOL,
  steps: [{ syscall: { kind: 'cap_copy', caller: 0, src: 1, dst: 5, rights: ['write'] } }, { syscall: { kind: 'cap_copy', caller: 0, src: 2, dst: 6, rights: ['write'] } }],
}))

/** The trace file a check printed after `label: `. */
function printed(stdout: string, label: string): string {
  const match = new RegExp(`^${label}: (\\S+)`, 'm').exec(stdout)
  assert.ok(match !== null, `no "${label}:" line in:\n${stdout}`)
  return match![1]!
}

test('check --props: a violated always property is a shrunk counterexample naming it and its sentence (exit 1); replay reproduces it', () => {
  const out = join(dir, 'violated')
  const run = sila('check', 'invariants', '--runs', '20', '--seed', '7', '--workers', '1', '--props', PROPS, '--invariant', 'few-caps', '--counterexamples', out)
  assert.is(run.status, 1, run.stderr)
  assert.match(run.stdout, /FAILED few-caps at step \d+/)
  assert.match(run.stdout, /property few-caps: the processes of root hold at most 4 caps/)
  assert.match(run.stdout, /few-caps\s+always\s+VIOLATED/)
  const file = printed(run.stdout, 'counterexample')
  const trace = JSON.parse(readFileSync(resolve(ROOT, file), 'utf8')) as { failure: { invariant: string; says: string; props: string } }
  assert.is(trace.failure.invariant, 'few-caps')
  assert.is(trace.failure.props, PROPS)
  assert.match(trace.failure.says, /at most 4 caps/)
  const replay = sila('replay', file)
  assert.is(replay.status, 1, replay.stdout + replay.stderr)
  assert.match(replay.stdout, /reproduced: few-caps \(always, "the processes of root hold at most 4 caps[^"]*"\) is broken at step \d+/)
  // Without the props file, a trace whose failure is a user property cannot be judged: refused, not passed.
  const bare = write('bare.trace.json', JSON.stringify({ ...trace, failure: { ...trace.failure, props: undefined } }))
  const refused = sila('replay', bare)
  assert.is(refused.status, 2)
  assert.match(refused.stderr, /\$\.failure: the recorded failure is the user property "few-caps".*give --props FILE/)
})

test('check --props --json: a reachable sometimes is witnessed (a witness trace that replays), an unreachable one vacuous; held counts states', () => {
  const out = join(dir, 'sometimes')
  const run = sila('check', 'invariants', '--runs', '30', '--seed', '3', '--workers', '1', '--props', PROPS, '--json', '--counterexamples', out,
    '--invariant', 'no-grant-on-net0', '--invariant', 'a-second-process', '--invariant', 'init-grants-disk0')
  assert.is(run.status, 0, run.stderr)
  const summary = JSON.parse(run.stdout) as { props: string; properties: PropertySummary[] }
  assert.is(summary.props, PROPS)
  const byName = new Map(summary.properties.map((p) => [p.name, p]))
  assert.equal([...byName.keys()], ['no-grant-on-net0', 'a-second-process', 'init-grants-disk0'])
  assert.is(byName.get('no-grant-on-net0')!.status, 'held')
  assert.ok(byName.get('no-grant-on-net0')!.states > 30)
  const witnessed = byName.get('a-second-process')!
  assert.is(witnessed.status, 'witnessed')
  assert.ok(witnessed.runsReached > 0 && witnessed.runsReached <= witnessed.runs)
  assert.ok(witnessed.file !== null && existsSync(resolve(ROOT, witnessed.file)), String(witnessed.file))
  const vacuous = byName.get('init-grants-disk0')!
  assert.is(vacuous.status, 'vacuous')
  assert.is(vacuous.runsReached, 0)
  assert.is(vacuous.runs, 30)
  const replay = sila('replay', witnessed.file!)
  assert.is(replay.status, 0, replay.stdout + replay.stderr)
  assert.match(replay.stdout, /reproduced: a-second-process \(sometimes, "a second process can come to run"\) is reached at step \d+/)
})

test('check --props: the vacuity warning is printed, and does not change the exit code', () => {
  const run = sila('check', 'refinement', '--runs', '10', '--seed', '1', '--workers', '1', '--props', PROPS, '--invariant', 'init-grants-disk0', '--counterexamples', dir)
  assert.is(run.status, 0, run.stderr)
  assert.match(run.stdout, /warning: init-grants-disk0 \(sometimes\) was not reached within 10 runs of ≤ 60 steps: this is not a pass/)
})

test('check --props with a module: the runnable example examples/props/in-code.mjs is checked', () => {
  const run = sila('check', 'invariants', '--runs', '15', '--seed', '3', '--workers', '1', '--props', 'examples/props/in-code.mjs', '--json', '--counterexamples', dir)
  assert.is(run.status, 0, run.stderr)
  const statuses = (JSON.parse(run.stdout) as { properties: PropertySummary[] }).properties.map((p) => `${p.name} ${p.status}`)
  assert.equal(statuses, ['root-lives held', 'queues-within-depth held', 'a-message-waits witnessed'])
})

test('a broken props file is refused with exit 2 and one line naming the file and the JSON path', () => {
  const property = { name: 'p', says: 'x', kind: 'never-holds', subject: { process: 'init' }, object: { device: 'disk0' }, rights: ['grant'] }
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['wrong kind', { ...property, kind: 'never-hold' }, /\$\.properties\[0\]\.kind/],
    ['unknown process', { ...property, subject: { process: 'inti' } }, /\$\.properties\[0\]\.subject\.process: no process named "inti"; did you mean "init"\?/],
    ['unknown field', { ...property, right: ['grant'] }, /\$\.properties\[0\]\.right: unknown field; did you mean "rights"\?/],
    ['bad rights', { ...property, rights: ['fly'] }, /\$\.properties\[0\]\.rights\[0\]/],
  ]
  for (const [what, decl, path] of cases) {
    const file = write(`${what.replace(/ /g, '-')}.json`, JSON.stringify({ format: 'sila-props/1', properties: [decl] }))
    for (const args of [['check', 'refinement', '--runs', '1'], ['audit', GROWN]]) {
      const run = sila(...args, '--props', file)
      assert.is(run.status, 2, `${what}: ${run.stdout}${run.stderr}`)
      const lines = run.stderr.trim().split('\n')
      assert.is(lines.length, 1, `${what}: ${run.stderr}`)
      assert.ok(lines[0]!.startsWith(`sila: ${file}: `), `${what}: ${lines[0]}`)
      assert.match(lines[0]!, path, what)
      assert.not.match(run.stderr, STACK_LINE)
    }
  }
})

test('a props module with a syntax error is refused at file:line:col; a check that throws at the line that threw (exit 2)', () => {
  const broken = write('broken.mjs', "import { defineProperty } from 'sila-kernel/properties'\nexport default [\n  defineProperty('x', (state) => state.ksCaps.size >>> , {}),\n]\n")
  const run = sila('check', 'refinement', '--runs', '1', '--props', broken)
  assert.is(run.status, 2, run.stdout + run.stderr)
  assert.match(run.stderr, new RegExp(`^sila: ${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: SyntaxError`))
  const throwing = write('throwing.mjs', "export default [{ name: 'boom', says: 'explodes', kind: 'always', test: (state) => {\n  throw new Error('no such thing')\n} }]\n")
  const thrown = sila('check', 'refinement', '--runs', '2', '--workers', '1', '--props', throwing)
  assert.is(thrown.status, 2, thrown.stdout + thrown.stderr)
  assert.match(thrown.stderr, /throwing\.mjs:2:\d+: the check of property "boom" threw Error: no such thing/)
  const notArray = write('not-array.mjs', 'export const properties = 3\n')
  const refused = sila('audit', '--preset', 'nested', '--props', notArray)
  assert.is(refused.status, 2)
  assert.match(refused.stderr, /not-array\.mjs: its properties export is not an array of properties/)
})

test('--invariant: an unknown name is refused (exit 2) with a did-you-mean; known ones narrow what check and audit report', () => {
  const typo = sila('check', '--invariant', 'CAP-l')
  assert.is(typo.status, 2)
  assert.match(typo.stderr, /--invariant "CAP-l": no catalogue invariant or user property has this name; did you mean "CAP-1"\?/)
  const user = sila('check', '--props', PROPS, '--invariant', 'few-cap')
  assert.is(user.status, 2)
  assert.match(user.stderr, /did you mean "few-caps"\?/)
  const audit = sila('audit', '--preset', 'nested', '--invariant', 'ISO-1', '--format', 'json')
  assert.is(audit.status, 0, audit.stderr)
  assert.equal((JSON.parse(audit.stdout) as { invariants: { id: string }[] }).invariants.map((i) => i.id), ['ISO-1'])
})

test('audit --props: each property holds or is violated in the audited state (text, JSON, SARIF); a violation fails the audit', () => {
  const trace = GROWN
  const text = sila('audit', trace, '--props', PROPS)
  assert.is(text.status, 1, text.stdout + text.stderr)
  assert.match(text.stdout, /few-caps\s+always\s+VIOLATED/)
  assert.match(text.stdout, /few-caps violated: caps of container root is 5 > 4/)
  assert.match(text.stdout, /no-grant-on-net0\s+always\s+holds/)
  const atBoot = sila('audit', trace, '--at', 'boot', '--props', PROPS, '--format', 'json')
  assert.is(atBoot.status, 0, atBoot.stderr)
  const rows = (JSON.parse(atBoot.stdout) as { properties: { name: string; status: string }[] }).properties
  assert.equal(rows.map((r) => `${r.name} ${r.status}`), ['no-grant-on-net0 holds', 'few-caps holds', 'a-second-process not reached', 'init-grants-disk0 not reached'])
  const sarif = JSON.parse(sila('audit', trace, '--props', PROPS, '--format', 'sarif').stdout) as { runs: { results: { ruleId: string; kind: string }[] }[] }
  const result = sarif.runs[0]!.results.find((r) => r.ruleId === 'few-caps')
  assert.is(result?.kind, 'fail')
})

test('selectInvariants: none named is everything; names pick catalogue ids and user properties; an unknown one is a UsageError', () => {
  const user = [defineProperty('mine', () => null), defineProperty('often', () => null, { kind: 'sometimes' })]
  const all = selectInvariants([], user)
  assert.is(all.catalogue.length, 20)
  assert.is(all.user.length, 2)
  const some = selectInvariants(['often', 'ISO-2', 'CAP-1'], user)
  assert.equal(some.catalogue, ['CAP-1', 'ISO-2'])
  assert.equal(some.user.map((p) => p.name), ['often'])
  assert.throws(() => selectInvariants(['mien'], user), (error: unknown) => error instanceof UsageError && /did you mean "mine"/.test(error.message))
})

test('loadProps: a module\'s properties are checked for shape, names unique and not the catalogue\'s, every problem listed', async () => {
  const file = write('shapes.mjs', "export default [{ name: 'CAP-1', says: 's', kind: 'always', test: () => null }, { name: 'a', says: 's', kind: 'often', test: () => null }, { name: 'b', says: 's', kind: 'always' }, 7]\n")
  try {
    await loadProps(file, systemNames(PROPERTY_BOOT, IMAGE_POOL))
    assert.unreachable('loaded')
  } catch (error) {
    assert.instance(error, InputError)
    assert.equal((error as InputError).problems, [
      'default[0].name: "CAP-1" is the name of a catalogue invariant',
      'default[1].kind: expected "always" or "sometimes", found "often"',
      'default[2].test: expected a function of the state (use defineProperty), found undefined',
      'default[3]: expected a property made with defineProperty(name, check, { says, kind }), found number',
    ])
  }
})

test('mergeProperties: counts add up across shards; violated and witnessed win', () => {
  const part = (status: PropertySummary['status'], runs: number, file: string | null): PropertySummary => ({ name: 'p', says: 's', kind: 'sometimes', status, states: runs * 10, runs, runsReached: status === 'witnessed' ? 1 : 0, file })
  const [merged] = mergeProperties([part('vacuous', 5, null), part('witnessed', 7, 'w.json'), part('vacuous', 3, null)])
  assert.equal(merged, { ...part('witnessed', 15, 'w.json'), states: 150, runsReached: 1 })
})

test.run()
