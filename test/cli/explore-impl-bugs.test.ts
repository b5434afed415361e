/**
 * A bug in the impl itself, found by `sila explore --boot` (the general engine
 * steps the impl): the counterexample names the impl as what produced it, so
 * that `sila replay` steps the impl beside the model and shows the failure
 * again, where a trace naming the model replayed the model alone and found
 * nothing. A step that throws (a kernel assertion) is a counterexample too (REF-1,
 * the kernel threw), with its shortest path, on one core and with --workers.
 * Each bug is planted in a copy of the built tree, as a user's own change to the
 * impl would be, and the copy's own `sila` is run.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MUTANTS } from '../../mutants/catalogue.js'
import { patchText } from '../../mutants/materialize.js'
import { TraceCodec } from '../../spec/trace.js'
import { ROOT, sila, silaAt as run } from './run.js'

const directory = mkdtempSync(join(tmpdir(), 'sila-impl-bugs-'))
const PLUGIN_HOST = join(ROOT, 'examples/systems/plugin-host/boot.json')

/** A copy of the built tree (tests left out) with the seeded bug `name` planted in its impl; the path of its cli/main.js. */
function plantedSila(name: string): string {
  const mutant = MUTANTS.find((entry) => entry.name === name)!
  const tree = join(directory, name)
  cpSync(join(ROOT, 'dist'), tree, { recursive: true, filter: (source) => !source.startsWith(join(ROOT, 'dist', 'test')) && !source.endsWith('.map') && !source.endsWith('.d.ts') })
  writeFileSync(join(tree, 'package.json'), readFileSync(join(ROOT, 'package.json')))
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir')
  const file = join(tree, mutant.file)
  writeFileSync(file, patchText(mutant, readFileSync(file, 'utf8')))
  return join(tree, 'cli', 'main.js')
}

/** The trace written at `file`, decoded. */
function traceAt(file: string) {
  const decoded = TraceCodec.decode(JSON.parse(readFileSync(file, 'utf8')))
  assert.ok(decoded._tag === 'Right', `${file} decodes as a trace`)
  return decoded.right
}

/**
 * A declared system where a process controls its own container (which holds two
 * processes and, nested in another with a user namespace of its own, the tables
 * of its parent): it can create a child there and destroy the container above it.
 * Images and key are web-app's.
 */
function nestedSystem(): string {
  const images = join(ROOT, 'examples/systems/web-app/images')
  const limits = (memoryBytes: number, processes: number, endpoints: number) => ({ memoryBytes, processes, endpoints, cpuBudget: 50, ioBytes: 0, cpuWeight: 1, devices: [] })
  const file = join(directory, 'nested-system.json')
  writeFileSync(file, JSON.stringify({
    root: { limits: limits(2048, 8, 6) },
    devices: [],
    keyring: [{ keyFile: join(ROOT, 'examples/systems/web-app/keys/team.pub.json') }],
    floors: {},
    init: { slots: 8 },
    cpuAccounting: false,
    images: [join(images, 'frontend'), join(images, 'shop-api')],
    system: {
      containers: [
        { name: 'outer', parent: 'root', limits: limits(600, 3, 2), namespaces: { pid: 'new', mount: 'new', net: 'share', ipc: 'new', user: { base: 1000, count: 10 } } },
        { name: 'inner', parent: 'outer', limits: limits(300, 2, 1), namespaces: { pid: 'new', mount: 'share', net: 'share', ipc: 'share', user: 'share' } },
      ],
      processes: [
        { name: 'a', container: 'inner', image: 'frontend@1.4.0', uid: 0, slots: 2 },
        { name: 'b', container: 'inner', image: 'shop-api@2.0.0', uid: 1, slots: 3 },
      ],
      objects: [{ name: 'q', kind: 'endpoint', owner: 'inner', depth: 2 }],
      caps: [
        { holder: 'a', slot: 0, object: 'q', rights: ['read', 'write', 'grant'] },
        { holder: 'b', slot: 0, object: 'q', rights: ['write'], badge: 7 },
        { holder: 'b', slot: 1, object: 'inner', rights: ['read', 'control'] },
      ],
    },
  }))
  return file
}

test('an impl bug found by explore --boot: the trace names the impl, and sila replay shows it again (the honest impl does not)', () => {
  const planted = plantedSila('signature-unchecked')
  const counterexample = join(directory, 'unsigned.trace.json')
  const found = run(planted, 'explore', '--boot', PLUGIN_HOST, '--depth', '2', '--counterexample', counterexample)
  assert.is(found.status, 1, found.stderr)
  assert.match(found.stdout, /✗ IMG-1/)
  assert.match(found.stdout, new RegExp(`replay it: npx sila replay ${counterexample.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`), 'no --model-only: the replay steps the impl')
  const trace = traceAt(counterexample)
  assert.is(trace.producedBy?.kernel, 'impl')
  assert.is(trace.steps.length, 1)
  const spawn = trace.steps[0]!.syscall as { kind: string; image: string }
  assert.is(spawn.kind, 'process_spawn')
  // The spawned image is a forged one (unsigned), carried in the trace's pool.
  const image = trace.images.find((entry) => entry.digest === spawn.image)!
  assert.ok(image.signatures.every((signature) => !signature.verifies))
  const replayed = run(planted, 'replay', counterexample)
  assert.is(replayed.status, 1, replayed.stdout)
  assert.match(replayed.stdout, /kernel: the impl/)
  assert.match(replayed.stdout, /the impl diverged at step 0/)
  // The trace read by the honest sila: the impl agrees with the model, and the model breaks nothing.
  const honest = sila('replay', counterexample)
  assert.is(honest.status, 0, honest.stdout)
  assert.match(honest.stdout, /the impl agreed with the model at every step/)
})

test('a kernel assertion that fails in a step: REF-1 (the kernel threw) at the end of a shortest path, one core and --workers 2, and replayed', () => {
  const planted = plantedSila('destroy-keeps-nested-namespaces')
  const system = nestedSystem()
  for (const workers of ['1', '2']) {
    const counterexample = join(directory, `threw-${workers}.trace.json`)
    const found = run(planted, 'explore', '--boot', system, '--depth', '3', '--workers', workers, '--counterexample', counterexample)
    assert.is(found.status, 1, found.stderr)
    assert.match(found.stdout, /✗ REF-1: the kernel threw: .*namespaces\.get/, `--workers ${workers}`)
    const trace = traceAt(counterexample)
    assert.equal(trace.steps.map((step) => (step.syscall as { kind: string }).kind), ['container_create', 'container_destroy'], `--workers ${workers}: create a child, destroy the parent`)
    assert.is(trace.producedBy?.kernel, 'impl')
    const replayed = run(planted, 'replay', counterexample)
    assert.is(replayed.status, 1, replayed.stdout)
    assert.match(replayed.stdout, /diverges from the model at step 1 \(exception\)/)
  }
  // The honest impl: nothing to find there.
  const honest = sila('explore', '--boot', system, '--depth', '3')
  assert.is(honest.status, 0, honest.stderr)
})

test.after(() => rmSync(directory, { recursive: true, force: true }))

test.run()
