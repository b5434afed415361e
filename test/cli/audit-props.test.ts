/**
 * `sila audit --boot FILE --props PROPS [--depth N]` on the example systems, as the
 * README tour runs it: each property's verdict now, the static column (proved, may
 * fail with a derivation, impossible, may), and with --depth the explored column
 * beside it; a run the explore found breaking a property fails the audit. Flags
 * that cannot go together are refused with exit 2.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sila, writePropsModule } from './run.js'

const WEB = 'examples/systems/web-app'
const dir = mkdtempSync(join(tmpdir(), 'sila-audit-props-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

interface Row { name: string; status: string; static?: { verdict: string; evidence?: string[] }; explored?: { status: string; steps?: number; depth: number; complete: boolean } }

test('static view: every declared property of the web app has its verdict, a may-fail one its derivation; nothing fails without --depth', () => {
  const run = sila('audit', '--boot', `${WEB}/boot.json`, '--props', `${WEB}/props.json`, '--format', 'json')
  assert.is(run.status, 0, run.stderr)
  const rows = JSON.parse(run.stdout).properties as Row[]
  const byName = new Map(rows.map((row) => [row.name, row]))
  assert.is(byName.get('frontend-never-reaches-db')?.static?.verdict, 'may fail')
  assert.match(byName.get('frontend-never-reaches-db')!.static!.evidence![0]!, /db-queries.*→/)
  assert.is(byName.get('one-frontend')?.static, undefined, 'a bound has no static verdict')
  assert.is(byName.get('frontend-can-reach-shop')?.static?.verdict, 'may')
  for (const row of rows) assert.is(row.explored, undefined)
  const text = sila('audit', '--boot', `${WEB}/boot.json`, '--props', `${WEB}/props.json`)
  assert.match(text.stdout, /static/)
  assert.match(text.stdout, /Static view \(derivations/)
})

test('--depth: the explored column beside the static one; the attack the static view suspects is found, and fails the audit', () => {
  const run = sila('audit', '--boot', `${WEB}/boot.json`, '--props', `${WEB}/props.json`, '--depth', '3', '--format', 'json')
  assert.is(run.status, 1, 'a violation found by the explore fails the audit')
  const rows = JSON.parse(run.stdout).properties as Row[]
  const attack = rows.find((row) => row.name === 'frontend-never-reaches-db')!
  assert.is(attack.status, 'holds', 'it holds in the boot state')
  assert.is(attack.explored?.status, 'violated')
  assert.is(attack.explored?.steps, 2)
  // The closure ignores quotas: frontend may create an endpoint (web's endpoint quota is 0) that postgres finds in the shared directory.
  const held = rows.find((row) => row.name === 'db-never-leaks-to-web')!
  assert.is(held.static?.verdict, 'may fail')
  assert.is(held.explored?.status, 'held', 'the static view may fail, the explore says held within the depth: both are said')
  assert.is(held.explored?.depth, 3)
  const proved = rows.find((row) => row.name === 'frontend-never-writes-orders')!
  assert.is(proved.static?.verdict, 'proved', 'init only boots the system: nothing hands the orders region over')
  assert.is(proved.explored?.status, 'held')
  assert.is(rows.find((row) => row.name === 'frontend-can-reach-shop')?.explored?.status, 'witnessed')
  const text = sila('audit', '--boot', `${WEB}/boot.json`, '--props', `${WEB}/props.json`, '--depth', '3')
  assert.match(text.stdout, /db-never-leaks-to-web \(may fail; explored: held within depth 3/)
  assert.match(text.stdout, /VIOLATED \(2 steps\)/)
})

test('a property in code that does not return is refused (exit 2) naming it and the state, asked of the audited state or in a search of --depth; one that answers is audited as before', () => {
  // nested boots two processes: the audited boot state is answered, the state after a spawn is not.
  const props = writePropsModule(join(dir, 'loops.mjs'), [
    'defineProperty(\'fine\', () => null, { says: \'never broken\' })',
    'defineProperty(\'loops-later\', (state) => { if (PROCESSES(state) >= 3) for (;;) {} return null }, { says: \'loops on three processes\' })',
    'defineProperty(\'loops-now\', () => { for (;;) {} }, { says: \'never answers\' })',
  ])
  const now = sila('audit', '--preset', 'nested', '--props', props, '--step-timeout', '1')
  assert.is(now.status, 2, now.stdout + now.stderr)
  assert.match(now.stderr, /loops\.mjs: the check of property "loops-now" did not return within 1 s asked of the audited state \(--step-timeout\)/)
  assert.is(now.stdout, '', 'nothing half-written')
  const later = sila('audit', '--preset', 'nested', '--props', props, '--invariant', 'fine', '--invariant', 'loops-later', '--depth', '2', '--step-timeout', '1')
  assert.is(later.status, 2, later.stdout + later.stderr)
  assert.match(later.stderr, /the check of property "loops-later" did not return within 1 s asked of the state after step 0 \(process_spawn .*\) \(--step-timeout\), in the search of --depth/)
  // Without the looping ones, the same audit and search run to their end.
  const fine = sila('audit', '--preset', 'nested', '--props', props, '--invariant', 'fine', '--depth', '2', '--step-timeout', '1', '--format', 'json')
  assert.is(fine.status, 0, fine.stderr)
  const rows = JSON.parse(fine.stdout).properties as Row[]
  assert.equal(rows.map((row) => [row.name, row.status, row.explored?.status]), [['fine', 'holds', 'held']])
})

test('refused with exit 2: --depth without --props, --depth on a snapshot, --preset with --boot, --depth 0', () => {
  const snapshot = join(dir, 'web.state.json')
  assert.is(sila('audit', '--write-state', snapshot, '--boot', `${WEB}/boot.json`).status, 0)
  const cases: ReadonlyArray<readonly [string[], RegExp]> = [
    [['--boot', `${WEB}/boot.json`, '--depth', '2'], /--depth explores for your properties: it goes with --props/],
    [[snapshot, '--props', `${WEB}/props.json`, '--depth', '2'], /--depth explores from a boot state: it goes with --preset or --boot/],
    [['--preset', 'cap-core', '--boot', `${WEB}/boot.json`], /--preset and --boot exclude each other/],
    [['--boot', `${WEB}/boot.json`, '--props', `${WEB}/props.json`, '--depth', '0'], /--depth expects a positive integer/],
  ]
  for (const [args, message] of cases) {
    const run = sila('audit', ...args)
    assert.is(run.status, 2, args.join(' '))
    assert.match(run.stderr, message)
  }
  // The snapshot of the declared system keeps its names: its props file reads against them.
  const fromSnapshot = sila('audit', snapshot, '--props', `${WEB}/props.json`, '--format', 'json')
  assert.is(fromSnapshot.status, 0, fromSnapshot.stderr)
  assert.is((JSON.parse(fromSnapshot.stdout).properties as Row[]).length, 6)
})

test.run()
