/**
 * Inputs found wrongly taken, or taken to a bad end, by the eighteenth session's
 * audit of every file and flag a user hands `sila` (docs/decisions.md, "Every
 * input refused by name, audited again"). Each was accepted before its fix: a
 * device named as every system's root container or init, a floor keyed by no
 * module name, a results file with numbers no run writes (and a message calling
 * a negative-bounded integer "positive"), `export --format test --kernel` of a
 * path that is no module, a declared process whose slots make an alphabet no
 * memory holds (minutes of work, then the worker's heap, said as a flag's
 * mistake), and key files named to be hidden.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import * as E from 'fp-ts/lib/Either.js'
import { distUrl, ROOT, sila, STACK_LINE, testStore } from '../cli/run.js'
import { intRange } from '../../spec/numbers.js'
import { formatErrors } from '../../spec/decode.js'
import { bootFilePreset } from '../../cli/boot-file.js'
import { withForgedImages } from '../../checker/explore/forged-images.js'
import { declaredAlphabetSizes, presetActions } from '../../checker/explore/actions.js'

const directory = mkdtempSync(join(tmpdir(), 'sila-inputs-audit-'))
test.after(() => rmSync(directory, { recursive: true, force: true }))

const WEB = join(ROOT, 'examples', 'systems', 'web-app')
const TRACE = 'examples/ipc-transfer.trace.json'

/** `text` as a regular expression matching it literally. */
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** A refusal: exit 2, no stack, no internal error, and `pattern` in the message. */
function refused(run: ReturnType<typeof sila>, pattern: RegExp): void {
  assert.is(run.status, 2, `${run.stdout}\n${run.stderr}`)
  assert.not.match(run.stderr, /internal error/)
  assert.not.match(run.stderr, STACK_LINE)
  assert.match(run.stderr, pattern)
}

/** web-app's boot file changed by `change`, written beside a copy of its keys and images (its paths are relative to it). */
function webApp(name: string, change: (boot: Record<string, any>) => void): string {
  const dir = join(directory, name)
  if (!existsSync(dir)) {
    mkdirSync(dir)
    for (const entry of readdirSync(WEB)) spawnSync('cp', ['-r', join(WEB, entry), dir])
  }
  const boot = JSON.parse(readFileSync(join(WEB, 'boot.json'), 'utf8')) as Record<string, any>
  change(boot)
  const file = join(dir, 'boot.json')
  writeFileSync(file, JSON.stringify(boot))
  return file
}

test('a device named root or init is refused at its path (a cap naming it would name the root container or init), in boot files and traces', () => {
  for (const [name, what] of [['root', 'every system\'s root container'], ['init', 'the process that boots every system']] as const) {
    const file = webApp(`device-${name}`, (boot) => { boot.devices = [{ name }]; boot.init.slots = 9 })
    refused(sila('explore', '--boot', file, '--depth', '1'), new RegExp(`boot\\.json: \\$\\.devices\\[0\\]\\.name: "${name}" is the name of ${what}: a device may not take it`))
    refused(sila('audit', '--boot', file), new RegExp(`\\$\\.devices\\[0\\]\\.name: "${name}" is the name of`))
    const trace = JSON.parse(readFileSync(join(ROOT, TRACE), 'utf8')) as Record<string, any>
    trace.boot.devices[0].name = name
    trace.boot.root.limits.devices = trace.boot.root.limits.devices.map((device: string, index: number) => (index === 0 ? name : device))
    const traceFile = join(directory, `device-${name}.trace.json`)
    writeFileSync(traceFile, JSON.stringify(trace))
    refused(sila('replay', traceFile), new RegExp(`device-${name}\\.trace\\.json: \\$\\.boot\\.devices\\[0\\]\\.name: "${name}" is the name of`))
  }
  // A device named otherwise, even rootfs, still boots.
  const other = webApp('device-rootfs', (boot) => { boot.devices = [{ name: 'rootfs' }]; boot.init.slots = 9 })
  assert.is(sila('explore', '--boot', other, '--depth', '1').status, 0)
})

test('a floor keyed by no module name is refused at its key, in boot files and traces; a module name is taken', () => {
  for (const key of ['', 'postgres ', 'a/b', 'x'.repeat(65)]) {
    const file = webApp('floors', (boot) => { boot.floors = { [key]: '1.0.0' } })
    // The path quotes the key, shortened past 32 characters.
    const path = `$.floors[${JSON.stringify(key.length > 32 ? `${key.slice(0, 29)}...` : key)}]`
    refused(sila('explore', '--boot', file, '--depth', '1'), new RegExp(`boot\\.json: ${escape(path)}: expected a key that is a module name`))
  }
  const trace = JSON.parse(readFileSync(join(ROOT, TRACE), 'utf8')) as Record<string, any>
  trace.boot.floors = { ' echo': '1.0.0' }
  const traceFile = join(directory, 'floors.trace.json')
  writeFileSync(traceFile, JSON.stringify(trace))
  refused(sila('replay', traceFile), /floors\.trace\.json: \$\.boot\.floors\[" echo"\]: expected a key that is a module name/)
  const named = webApp('floors', (boot) => { boot.floors = { postgres: '16.0.0', 'shop-api': '1.0.0' } })
  assert.is(sila('explore', '--boot', named, '--depth', '1').status, 0)
})

test('merge refuses numbers no explore writes: a probability past [0, 1], a negative rate or step, a fractional seed or byte count', () => {
  const out = join(directory, 'explore.json')
  const run = sila('explore', '--preset', 'cap-core', '--depth', '1', '--swarm', '0/2', '--seed', '3', '--out', out)
  assert.is(run.status, 0, run.stderr)
  const written = JSON.parse(readFileSync(out, 'utf8')) as Record<string, any>
  const cases: Array<[(results: Record<string, any>) => void, RegExp]> = [
    [(r) => { r.collisionProbability = 1.5 }, /\$\.collisionProbability: expected a probability, a number from 0 to 1, found 1\.5/],
    [(r) => { r.collisionProbability = -1 }, /\$\.collisionProbability: expected a probability, a number from 0 to 1, found -1/],
    [(r) => { r.statesPerSecond = -3 }, /\$\.statesPerSecond: expected a non-negative number, found -3/],
    [(r) => { r.durationMs = -1 }, /\$\.durationMs: expected a non-negative number, found -1/],
    [(r) => { r.peakMemoryBytes = 1.5 }, /\$\.peakMemoryBytes: expected a non-negative integer, found 1\.5/],
    [(r) => { r.swarm.seed = 1.5 }, /\$\.swarm\.seed: expected an integer, found 1\.5/],
    // -1 is the boot's (an unanswered create): below it, or between, is no step.
    [(r) => { r.violation = { invariant: 'ROBUST', message: 'm', path: [], unanswered: { where: 'step', step: -2, timeoutMs: 5 } } }, /\$\.violation\.unanswered\.step: expected an integer of at least -1, found -2/],
    [(r) => { r.violation = { invariant: 'ROBUST', message: 'm', path: [], unanswered: { where: 'step', step: 0.5, timeoutMs: 5 } } }, /\$\.violation\.unanswered\.step: expected an integer of at least -1, found 0\.5/],
  ]
  for (const [change, pattern] of cases) {
    const results = structuredClone(written)
    change(results)
    const file = join(directory, 'bad-results.json')
    writeFileSync(file, JSON.stringify(results))
    refused(sila('merge', file), new RegExp(`bad-results\\.json: ${pattern.source}`))
  }
  // What explore writes is taken as it is, and a probability of exactly 0 or 1 too.
  for (const probability of [0, 1]) {
    writeFileSync(join(directory, 'edge.json'), JSON.stringify({ ...written, collisionProbability: probability }))
    assert.is(sila('merge', join(directory, 'edge.json')).status, 0)
  }
})

test('a check whose kernel differs from the model at boot writes a results file merge reads (the failure at step -1)', () => {
  // Its abstraction says the message counter is one on from the first state: REF-1 at boot, step -1.
  const kernel = join(directory, 'boot-differs.mjs')
  writeFileSync(kernel, [
    `import { Kernel } from '${distUrl('impl/kernel.js')}'`,
    `import { abstractState } from '${distUrl('refinement/abstraction.js')}'`,
    'export const target = {',
    '  name: \'boot-differs\',',
    '  create: (config, images) => ({ inner: Kernel.boot(config, images), step(syscall) { return this.inner.step(syscall) } }),',
    '  abstraction: { abstract: (kernel) => { const state = abstractState(kernel.inner); return { ...state, ksMessageSeqNext: state.ksMessageSeqNext + 1 } } },',
    '}',
  ].join('\n'))
  const out = join(directory, 'boot-differs.json')
  const run = sila('check', 'robustness', '--kernel', kernel, '--runs', '5', '--seed', '1', '--out', out, '--counterexamples', join(directory, 'boot-differs-cex'))
  assert.is(run.status, 1, run.stderr)
  const written = JSON.parse(readFileSync(out, 'utf8')) as { suites: Array<{ failure: { step: number } | null }> }
  assert.is(written.suites[0]!.failure!.step, -1)
  const merged = sila('merge', out)
  assert.is(merged.status, 1, merged.stderr)
  assert.match(merged.stdout, /robustness .*FAILED REF-1/)
  // Below -1 is no step.
  writeFileSync(join(directory, 'step-2.json'), JSON.stringify({ ...written, suites: [{ ...written.suites[0], failure: { ...written.suites[0]!.failure, step: -2 } }] }))
  refused(sila('merge', join(directory, 'step-2.json')), /step-2\.json: \$\.suites\[0\]\.failure\.step: expected an integer of at least -1, found -2/)
})

test('an integer codec bounded below by a negative number is never described as positive', () => {
  const said = (min: number, value: unknown) => {
    const result = intRange(min, Number.MAX_SAFE_INTEGER, 'N').decode(value)
    assert.ok(E.isLeft(result))
    return formatErrors(result.left)[0]!
  }
  assert.is(said(Number.MIN_SAFE_INTEGER, 1.5), '$: expected an integer, found 1.5')
  assert.is(said(-5, -6), '$: expected an integer of at least -5, found -6')
  assert.is(said(0, -1), '$: expected a non-negative integer, found -1')
  assert.is(said(1, 0), '$: expected a positive integer, found 0')
})

test('export --format test --kernel refuses a path no module import could take (a directory, JSON, TypeScript), as replay does, and writes nothing', () => {
  const dir = join(directory, 'kernel-dir')
  mkdirSync(dir, { recursive: true })
  const json = join(directory, 'kernel.json')
  writeFileSync(json, '{}')
  const typescript = join(directory, 'kernel.ts')
  writeFileSync(typescript, 'export const target = {}')
  const out = join(directory, 'exported.test.mjs')
  refused(sila('export', TRACE, '--format', 'test', '--kernel', dir, '--out', out), /kernel-dir: not a file: a kernel is a JavaScript module exporting 'target'/)
  refused(sila('export', TRACE, '--format', 'test', '--kernel', json, '--out', out), /kernel\.json: not a JavaScript module: Node reads it as JSON/)
  refused(sila('export', TRACE, '--format', 'test', '--kernel', typescript, '--out', out), /kernel\.ts: not a JavaScript module: Node imports \.js, \.mjs and \.cjs files/)
  refused(sila('export', TRACE, '--format', 'test', '--kernel', join(directory, 'none.mjs'), '--out', out), /none\.mjs: no such file/)
  assert.not.ok(existsSync(out))
  // replay says the same of the directory and the JSON file.
  refused(sila('replay', TRACE, '--kernel', dir), /kernel-dir: not a file: a kernel is a JavaScript module exporting 'target'/)
  refused(sila('replay', TRACE, '--kernel', json), /kernel\.json: not a JavaScript module: Node reads it as JSON/)
  // A module is still exported.
  const run = sila('export', TRACE, '--format', 'test', '--kernel', 'examples/own-kernel/kernel.mjs', '--out', out)
  assert.is(run.status, 0, run.stderr)
  assert.ok(existsSync(out))
})

test('the alphabet counted without making it equals the one made, on the examples and on processes of more slots', () => {
  for (const [name, slots] of [['web-app', null], ['plugin-host', null], ['web-app', 5], ['web-app', 17], ['plugin-host', 9]] as const) {
    const source = join(ROOT, 'examples', 'systems', name)
    const file = slots === null ? join(source, 'boot.json') : (() => {
      const dir = join(directory, `${name}-${slots}`)
      mkdirSync(dir, { recursive: true })
      for (const entry of readdirSync(source)) spawnSync('cp', ['-r', join(source, entry), dir])
      const boot = JSON.parse(readFileSync(join(source, 'boot.json'), 'utf8')) as Record<string, any>
      boot.system.processes[0].slots = slots
      writeFileSync(join(dir, 'boot.json'), JSON.stringify(boot))
      return join(dir, 'boot.json')
    })()
    for (const preset of [bootFilePreset(file, 'explore'), withForgedImages(bootFilePreset(file, 'explore'))]) {
      for (const readers of [false, true]) {
        const sizes = declaredAlphabetSizes(preset, readers)
        assert.is(sizes.total, presetActions(preset, { readers }).length, `${name} ${slots ?? ''} readers=${readers}`)
        assert.is(sizes.perCaller.length, preset.actors.length)
      }
    }
  }
})

test('a declared process whose slots make an alphabet too large for memory is refused at once, naming its slots; the largest valid slots too', () => {
  for (const slots of [128, 4096]) {
    const file = webApp(`slots-${slots}`, (boot) => { boot.system.processes[0].slots = slots })
    const started = Date.now()
    refused(sila('explore', '--boot', file, '--depth', '1'), new RegExp(`boot\\.json: \\$\\.system\\.processes\\[0\\]\\.slots: ${slots} slots give "frontend" [\\d,]+ actions \\(an action names up to three slots\\), the system [\\d,]+: a search takes at most 2,097,152`))
    refused(sila('audit', '--boot', file, '--props', join(WEB, 'props.json'), '--depth', '1'), /\$\.system\.processes\[0\]\.slots: \d+ slots give "frontend"/)
    assert.ok(Date.now() - started < 30_000, 'refused before any search')
  }
  // Without --depth, audit makes no alphabet: the large system is audited (its properties now and statically).
  const audited = sila('audit', '--boot', webApp('slots-4096', (boot) => { boot.system.processes[0].slots = 4096 }), '--props', join(WEB, 'props.json'))
  assert.is(audited.status, 0, audited.stderr)
  assert.match(audited.stdout, /frontend-never-reaches-db/)
  // Under the bound it is searched.
  const small = webApp('slots-12', (boot) => { boot.system.processes[0].slots = 12 })
  assert.is(sila('explore', '--boot', small, '--depth', '1').status, 0)
})

test('a search whose worker runs out of heap says so and what bounds it, not the heap\'s words as a flag\'s mistake', () => {
  const file = webApp('slots-64', (boot) => { boot.system.processes[0].slots = 64 })
  const result = spawnSync(process.execPath, ['--max-old-space-size=150', join(ROOT, 'dist', 'cli', 'main.js'), 'explore', '--boot', file, '--depth', '1'], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, SILA_DEBUG: '', SILA_STORE: testStore() }, timeout: 120_000,
  })
  refused({ status: result.status, stdout: result.stdout, stderr: result.stderr }, /sila explore: the search ran out of memory \(its worker's heap is full\): bound it with --depth or --states, or search a smaller system/)
})

test('image keygen refuses a --name that would make hidden key files', () => {
  const keys = join(directory, 'keys')
  for (const name of ['.', '..', '.release']) {
    refused(sila('image', 'keygen', '--out', keys, '--name', name), new RegExp(`--name expects a file name of \\[A-Za-z0-9._-\\] not starting with '\\.', found ${JSON.stringify(name).replace(/\./g, '\\.')}`))
  }
  assert.not.ok(existsSync(keys) && readdirSync(keys).length > 0)
  assert.is(sila('image', 'keygen', '--out', keys, '--name', 'release.2').status, 0)
  assert.equal(readdirSync(keys).sort(), ['release.2.key.json', 'release.2.pub.json'])
})

test.run()
