/**
 * `sila explore --boot FILE`: a declared system's processes run images of the
 * presets or the property pool, and a declaration the kernel cannot honour is
 * refused naming the file and the JSON path (found by the decoder fuzzing).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NESTED } from '../../spec/presets.js'
import { sila, STACK_LINE } from './run.js'
import { kernelBugOf } from '../../cli/commands/explore.js'

const directory = mkdtempSync(join(tmpdir(), 'sila-explore-boot-'))
test.after(() => rmSync(directory, { recursive: true, force: true }))

test('a boot file whose declared processes run a preset image explores', () => {
  const file = join(directory, 'nested.json')
  writeFileSync(file, JSON.stringify(NESTED.boot))
  const run = sila('explore', '--boot', file, '--depth', '2')
  assert.is(run.status, 0, run.stderr)
  assert.match(run.stdout, /No invariant violated within the bounds\./)
  assert.match(run.stdout, /process_spawn \d+/)
  assert.match(run.stdout, /engine\s+general/, 'a declared system runs on the general engine')
})

test('the kinds of the alphabet no transition took are named: web-app\'s processes hold no container, so they never destroy, kill or spawn', () => {
  const webApp = sila('explore', '--boot', 'examples/systems/web-app/boot.json', '--depth', '3')
  assert.is(webApp.status, 0, webApp.stderr)
  assert.match(webApp.stdout, /\nNever taken \(refused in every state searched\): container_destroy, process_kill, process_spawn\n/)
  const json = sila('explore', '--boot', 'examples/systems/web-app/boot.json', '--depth', '2', '--json')
  assert.is(json.status, 0, json.stderr)
  assert.equal((JSON.parse(json.stdout) as { neverTaken: string[] }).neverTaken, ['container_destroy', 'process_kill', 'process_spawn'])
  // plugin-host's editor controls plugins: every kind of its alphabet is taken by depth 3, and no line says otherwise.
  const pluginHost = sila('explore', '--boot', 'examples/systems/plugin-host/boot.json', '--depth', '3')
  assert.is(pluginHost.status, 0, pluginHost.stderr)
  assert.match(pluginHost.stdout, /container_set_limits \d/)
  assert.not.match(pluginHost.stdout, /Never taken/)
  // Stopped partway through the boot state (--states 3): the kinds not yet tried are not said to be refused everywhere.
  const cut = sila('explore', '--preset', 'cap-core', '--states', '3')
  assert.is(cut.status, 0, cut.stderr)
  assert.match(cut.stdout, /\nNot taken in the transitions tried \(the search stopped partway through a state, whose other actions it did not try\): .*cap_delete/)
  assert.not.match(cut.stdout, /Never taken/)
})

test('--coverage variant counts transitions by variant, names the variants never taken, and adds up to the kinds\' counts', () => {
  const args = ['explore', '--boot', 'examples/systems/plugin-host/boot.json', '--depth', '3', '--json']
  const byKind = sila(...args)
  const byVariant = sila(...args, '--coverage', 'variant')
  assert.is(byKind.status, 0, byKind.stderr)
  assert.is(byVariant.status, 0, byVariant.stderr)
  const kinds = JSON.parse(byKind.stdout) as { coverage: Record<string, number>; distinct: number; neverTaken: string[] }
  const variants = JSON.parse(byVariant.stdout) as { coverage: Record<string, number>; distinct: number; neverTaken: string[]; coverageBy: string }
  assert.is(variants.coverageBy, 'variant')
  assert.is(variants.distinct, kinds.distinct, 'the same search')
  // Each variant names its kind first: summed by kind, the variants give the kinds' counts exactly.
  const summed: Record<string, number> = {}
  for (const [variant, n] of Object.entries(variants.coverage)) {
    const kind = variant.split(' ')[0]!
    summed[kind] = (summed[kind] ?? 0) + n
  }
  assert.equal(summed, kinds.coverage)
  assert.ok(Object.keys(variants.coverage).length > Object.keys(kinds.coverage).length + 5, `${Object.keys(variants.coverage).length} variants taken`)
  // Write-execute maps are offered and W^X refuses them in every state: never taken, while their kind is.
  assert.ok(variants.neverTaken.includes('mem_map [write execute]'), variants.neverTaken.join('; '))
  assert.ok((kinds.coverage.mem_map ?? 0) > 0 && !kinds.neverTaken.includes('mem_map'))
  for (const variant of variants.neverTaken) assert.is(variants.coverage[variant], undefined, variant)
  const text = sila('explore', '--boot', 'examples/systems/plugin-host/boot.json', '--depth', '2', '--coverage', 'variant')
  assert.match(text.stdout, /\nTransitions by variant:\n {2}cap_copy \[/)
  assert.match(text.stdout, /\nNever taken \(refused in every state searched\):\n(?: {2}.+\n)* {2}mem_map \[write execute\]\n/)
  const wrong = sila('explore', '--coverage', 'kinds')
  assert.is(wrong.status, 2)
  assert.match(wrong.stderr, /--coverage expects kind or variant, found "kinds"/)
})

test('--engine: cap-core runs on its specialised engine unless general or model is asked; all count alike', () => {
  const counts = (stdout: string) => /distinct states\s+([\d,]+)[\s\S]*states generated\s+([\d,]+)/.exec(stdout)?.slice(1)
  const runs = (['auto', 'compiled', 'general', 'model'] as const).map((engine) => ({ engine, run: sila('explore', '--preset', 'cap-core', '--depth', '3', '--engine', engine) }))
  for (const { engine, run } of runs) assert.is(run.status, 0, `${engine}: ${run.stderr}`)
  assert.match(runs[0]!.run.stdout, /engine\s+compiled/)
  assert.match(runs[1]!.run.stdout, /engine\s+compiled/)
  assert.match(runs[2]!.run.stdout, /engine\s+general/)
  assert.match(runs[3]!.run.stdout, /engine\s+model/)
  for (const { engine, run } of runs) assert.equal(counts(run.stdout), counts(runs[3]!.run.stdout), engine)
  const bad = sila('explore', '--engine', 'fast')
  assert.is(bad.status, 2)
  assert.match(bad.stderr, /--engine expects auto, compiled, general or model/)
})

test('a KernelBug thrown by the search (the kernel searched broke what the engine relies on) is told as found, exit 1; other failures stay usage errors', () => {
  // As it arrives from the search's worker thread: the stack text of an Error, once or twice wrapped.
  assert.is(kernelBugOf(new Error('Error: KernelBug: a step changed something (action 44)\n    at ImplExpander.throwBreach (general.js:1:1)')), 'KernelBug: a step changed something (action 44)')
  assert.is(kernelBugOf(new Error('Error: Error: KernelBug: namespaces.get')), 'KernelBug: namespaces.get')
  assert.is(kernelBugOf(new Error('KernelBug: direct')), 'KernelBug: direct')
  assert.is(kernelBugOf(new Error('the general engine refines the kernel it steps')), null)
  assert.is(kernelBugOf(new Error('Error: not a KernelBug: said later')), null)
})

test('a declared process in a container that does not exist: refused with the file and the path, exit 2', () => {
  const config = JSON.parse(JSON.stringify(NESTED.boot)) as { system: { processes: Array<{ container: string }> } }
  config.system.processes[0]!.container = 'nowhere'
  const file = join(directory, 'bad.json')
  writeFileSync(file, JSON.stringify(config))
  const run = sila('explore', '--boot', file, '--depth', '2')
  assert.is(run.status, 2)
  assert.match(run.stderr, /bad\.json: \$\.system\.processes\[0\]\.container: no declared object or device named "nowhere"/)
  assert.not.match(run.stderr, STACK_LINE)
})

test.run()
