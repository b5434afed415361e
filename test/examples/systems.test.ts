/**
 * The example systems (examples/systems/NAME/boot.json and props.json) and boot
 * files' image names: each example boots and explores, in lockstep with the impl
 * and on the general engine; its properties resolve, the one violated on purpose
 * is broken by a short path while the others hold along it; images named by
 * digest, pool name or path resolve alike, and a name or path that is no image is
 * refused with one line naming the file and the JSON path.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readBootFile, SHIPPED_IMAGES } from '../../cli/boot-file.js'
import { InputError } from '../../spec/decode.js'
import { readJsonInput } from '../../cli/input.js'
import { PropsFileCodec } from '../../spec/props.js'
import { bootNamed } from '../../model/boot.js'
import { step } from '../../model/step.js'
import type { KernelState } from '../../model/state.js'
import { resolveProps } from '../../properties/user/resolve.js'
import type { UserProperty } from '../../properties/user/define.js'
import { ROOT, sila, STACK_LINE } from '../cli/run.js'

const EXAMPLES = ['web-app', 'plugin-host'] as const
const bootFile = (name: string) => join('examples', 'systems', name, 'boot.json')
const directory = mkdtempSync(join(tmpdir(), 'sila-systems-'))
test.after(() => rmSync(directory, { recursive: true, force: true }))

/** The commands that take `--boot FILE`, each with the flags of a quick run. */
const BOOT_COMMANDS: ReadonlyArray<ReadonlyArray<string>> = [['explore', '--depth', '1']]

for (const name of EXAMPLES) {
  test(`${name}: boots in the model and the impl and explores in lockstep to depth 2 (--refine: REF-1 on every action)`, () => {
    const run = sila('explore', '--boot', bootFile(name), '--depth', '2', '--refine')
    assert.is(run.status, 0, run.stderr)
    // --refine against the impl runs on the general engine, which steps the impl and the model side by side.
    assert.match(run.stdout, /engine\s+general/)
    assert.match(run.stdout, /No invariant violated within the bounds\./)
  })

  test(`${name}: explores on the general engine to depth 3, its processes acting`, () => {
    const run = sila('explore', '--boot', bootFile(name), '--depth', '3')
    assert.is(run.status, 0, run.stderr)
    assert.match(run.stdout, /engine\s+general/)
    assert.match(run.stdout, new RegExp(`system\\s+${bootFile(name).replace(/[./]/g, '\\$&')}`))
    assert.match(run.stdout, name === 'web-app' ? /svc_lookup \d/ : /process_spawn \d/)
    assert.match(run.stdout, /No invariant violated within the bounds\./)
  })
}

test('a counterexample on a declared system holds the resolved boot (digests, keys inline) and replays without the boot file', () => {
  const trace = join(directory, 'revoke.trace.json')
  const run = sila('explore', '--boot', bootFile('plugin-host'), '--mutant', 'revoke-misses-messages', '--depth', '3', '--counterexample', trace)
  assert.is(run.status, 1, run.stderr)
  assert.match(run.stdout, /✗ CAP-3/)
  const written = JSON.parse(readFileSync(trace, 'utf8')) as { boot: { keyring: Array<Record<string, unknown>>; system: { processes: Array<{ image: string }> } }; images: Array<{ name: string }> }
  assert.match(written.boot.system.processes[0]!.image, /^sha256:[0-9a-f]{64}$/)
  assert.ok(typeof written.boot.keyring[0]!.publicKey === 'string' && !('keyFile' in written.boot.keyring[0]!))
  // The pool the search ran with: the file's three images and the eight explore forged beside them (two of each, two more below spellcheck's floor).
  assert.equal([...new Set(written.images.map((image) => image.name))].sort(), ['host', 'spellcheck', 'toolbar'])
  assert.is(written.images.length, 3 + 8)
  const replayed = sila('replay', trace)
  assert.is(replayed.status, 1, replayed.stderr)
  assert.match(replayed.stdout, /CAP-3/)
})

/** The example's properties against its declared system, by name. */
function propertiesOf(name: string): { state: KernelState; images: ReturnType<typeof readBootFile>['images']; properties: Map<string, UserProperty> } {
  const { config, images } = readBootFile(join(ROOT, bootFile(name)))
  const system = bootNamed(config, images)
  const file = join(ROOT, 'examples', 'systems', name, 'props.json')
  const properties = resolveProps(readJsonInput(PropsFileCodec, file), file, system)
  return { state: system.state, images, properties: new Map(properties.map((property) => [property.name, property])) }
}

/**
 * Runs `syscalls` from `state` (each must succeed), checking after each one that
 * every `always` property but `violated` holds; returns the states reached.
 */
function walk(state: KernelState, properties: Map<string, UserProperty>, violated: string, syscalls: ReadonlyArray<unknown>): KernelState[] {
  const states = [state]
  for (const syscall of syscalls) {
    const result = step(states[states.length - 1]!, syscall)
    assert.is(result.outcome._tag, 'Right', `${JSON.stringify(syscall)} → ${JSON.stringify(result.outcome)}`)
    states.push(result.state)
    for (const property of properties.values()) {
      if (property.kind === 'always' && property.name !== violated) assert.is(property.test(result.state), null, `${property.name} after ${JSON.stringify(syscall)}`)
    }
  }
  return states
}

test('web-app props: each holds at boot; the front end reaches the db through the shared directory in two steps, and the shop API too', () => {
  const { state, properties } = propertiesOf('web-app')
  assert.equal([...properties.keys()].sort(), ['db-never-leaks-to-web', 'frontend-can-reach-shop', 'frontend-never-reaches-db', 'frontend-never-writes-orders', 'one-frontend', 'orders-stay-in-db'])
  for (const property of properties.values()) if (property.kind === 'always') assert.is(property.test(state), null, property.name)
  const violated = properties.get('frontend-never-reaches-db')!
  const reachable = properties.get('frontend-can-reach-shop')!
  assert.is(reachable.test(state), null, 'the front end holds nothing of the shop at boot')
  // frontend = 1, shop = 2, postgres = 3 (creation indices, in declaration order).
  const attack = walk(state, properties, violated.name, [
    { kind: 'svc_register', caller: 3, name: 'db-queries', slot: 0 },
    { kind: 'svc_lookup', caller: 1, name: 'db-queries', dst: 0 },
  ])
  assert.is(violated.test(attack[1]!), null)
  assert.ok(violated.test(attack[2]!), 'the front end holds a cap to db-queries')
  const witness = walk(state, properties, violated.name, [
    { kind: 'svc_register', caller: 2, name: 'shop-api', slot: 0 },
    { kind: 'svc_lookup', caller: 1, name: 'shop-api', dst: 0 },
  ])
  assert.ok(reachable.test(witness[2]!), 'the front end can reach the shop API')
})

test('plugin-host props: the editor can spawn the vendor-signed plugin, not the stranger-signed one, and hand it its settings in three steps', () => {
  const { state, images, properties } = propertiesOf('plugin-host')
  assert.equal([...properties.keys()].sort(), ['a-plugin-can-get-work', 'one-plugin-at-a-time', 'plugins-never-hold-host', 'settings-never-reach-plugins'])
  for (const property of properties.values()) if (property.kind === 'always') assert.is(property.test(state), null, property.name)
  const image = (name: string) => images.find((record) => record.name === name)!.digest
  // editor = 1; its slots: 0 the plugins container, 1 the mailbox, 2 the settings, 3 free.
  const spawn = (name: string) => ({ kind: 'process_spawn', caller: 1, container: 0, image: image(name), uid: 0, slots: 2, grants: [{ slot: 1, rights: ['read'] }], dst: 3 })
  const refused = step(state, spawn('toolbar')).outcome
  assert.equal(refused, { _tag: 'Left', left: refused._tag === 'Left' ? refused.left : null })
  assert.match(JSON.stringify(refused), /SignatureInvalid/)
  // The editor controls plugins but cannot give it a second process: host has none left (the editor's, plugins' reservation).
  const plugins = readBootFile(join(ROOT, bootFile('plugin-host'))).config.system!.containers!.find((container) => container.name === 'plugins')!.limits
  const raise = step(state, { kind: 'container_set_limits', caller: 1, slot: 0, limits: { ...plugins, processes: 2, memoryBytes: 2 * plugins.memoryBytes } }).outcome
  assert.match(JSON.stringify(raise), /"Left".*QuotaExceeded.*processes/)
  assert.is(step(state, { kind: 'container_set_limits', caller: 1, slot: 0, limits: { ...plugins, memoryBytes: 2 * plugins.memoryBytes } }).outcome._tag, 'Right', 'memory host still has')
  const violated = properties.get('settings-never-reach-plugins')!
  const states = walk(state, properties, violated.name, [
    spawn('spellcheck'),
    { kind: 'ep_send', caller: 1, slot: 1, payload: 0, xfer: 2 },
    { kind: 'ep_recv', caller: 2, slot: 0, dst: 1 },
  ])
  assert.ok(properties.get('a-plugin-can-get-work')!.test(states[1]!), 'a plugin runs and may read the mailbox')
  assert.is(violated.test(states[2]!), null, 'the settings are on their way, not held')
  assert.ok(violated.test(states[3]!), 'the plugin holds the settings')
})

/** Writes `config` (a boot file's JSON) beside a copy of plugin-host's images and keys, and returns its path. */
function pluginHostWith(file: string, edit: (config: Record<string, any>) => void): string {
  const dir = join(directory, file.replace(/\.json$/, ''))
  cpSync(join(ROOT, 'examples', 'systems', 'plugin-host'), dir, { recursive: true })
  const config = JSON.parse(readFileSync(join(dir, 'boot.json'), 'utf8')) as Record<string, any>
  edit(config)
  writeFileSync(join(dir, file), JSON.stringify(config))
  return join(dir, file)
}

test('image names: a digest, NAME@VERSION, NAME and a path name the same image; a key file and an inline public key the same key', () => {
  const reference = readBootFile(join(ROOT, bootFile('plugin-host')))
  const host = reference.images.find((image) => image.name === 'host')!
  assert.is(reference.config.system!.processes![0]!.image, host.digest)
  assert.ok(host.signatures.some((signature) => signature.verifies), 'the host image verifies by the vendor key')
  assert.ok(reference.images.find((image) => image.name === 'toolbar')!.signatures.every((signature) => !signature.verifies), 'toolbar is signed by a key outside the keyring')
  const publicKey = JSON.parse(readFileSync(join(ROOT, 'examples', 'systems', 'plugin-host', 'keys', 'vendor.pub.json'), 'utf8')) as { keyId: string; algorithm: string; publicKey: string }
  const forms: Array<[string, (config: Record<string, any>) => void]> = [
    ['digest.json', (config) => { config.system.processes[0].image = host.digest; config.images.push('./images/host') }],
    ['versioned.json', (config) => { config.system.processes[0].image = 'host@3.2.0'; config.images.push('./images/host') }],
    ['bare.json', (config) => { config.system.processes[0].image = 'host'; config.images.push('./images/host') }],
    ['inline-key.json', (config) => { config.keyring = [{ keyId: publicKey.keyId, algorithm: publicKey.algorithm, publicKey: publicKey.publicKey }] }],
  ]
  for (const [file, edit] of forms) {
    const resolved = readBootFile(pluginHostWith(file, edit))
    assert.equal(resolved.config.system, reference.config.system, file)
    assert.equal(resolved.config.keyring, reference.config.keyring, file)
    assert.equal(new Set(resolved.images.map((image) => image.digest)), new Set(reference.images.map((image) => image.digest)), file)
    for (const args of BOOT_COMMANDS) {
      const run = sila(...args, '--boot', pluginHostWith(file, edit))
      assert.is(run.status, 0, `${args[0]} ${file}: ${run.stderr}`)
    }
  }
  // A shipped image by its pool name: cap-core's empty image.
  const shipped = readBootFile(pluginHostWith('shipped.json', (config) => { config.images = ['core@1.0.0', './images/spellcheck'] }))
  assert.ok(shipped.images.some((image) => image.digest === SHIPPED_IMAGES.find((record) => record.name === 'core')!.digest))
  assert.not.ok(shipped.images.some((image) => image.name === 'toolbar'), 'the pool holds the images the file names, no others')
})

test('image names: an unknown name, an ambiguous one, a path that is no image, an unknown digest, a malformed name, a missing key file: exit 2, one line with the file and the path', () => {
  const cases: Array<[string, (config: Record<string, any>) => void, RegExp]> = [
    ['unknown.json', (config) => { config.system.processes[0].image = 'web@2.0.0' }, /unknown\.json: \$\.system\.processes\[0\]\.image: no image named "web@2\.0\.0"; known: .*spellcheck@1\.1\.0, svc@0\.9\.0/],
    ['ambiguous.json', (config) => { config.images.push('svc') }, /ambiguous\.json: \$\.images\[2\]: "svc" names 2 versions \(svc@1\.0\.0, svc@0\.9\.0\); say which, as NAME@VERSION/],
    ['not-image.json', (config) => { config.images[1] = './keys' }, /not-image\.json: \$\.images\[1\]: "\.\/keys" is not a built image \(oci-layout: cannot read: no such file\)/],
    ['no-dir.json', (config) => { config.system.processes[0].image = './images/nothing' }, /no-dir\.json: \$\.system\.processes\[0\]\.image: "\.\/images\/nothing" is not a built image: no such directory/],
    ['digest.json', (config) => { config.images[0] = `sha256:${'0'.repeat(64)}` }, /digest\.json: \$\.images\[0\]: no image has the digest sha256:0{64}/],
    ['malformed.json', (config) => { config.images[0] = 'spellcheck@one' }, /malformed\.json: \$\.images\[0\]: expected an image: sha256:<64 hex>, NAME@VERSION, NAME or \.\/PATH of a built image, found "spellcheck@one"/],
    ['no-key.json', (config) => { config.keyring = [{ keyFile: './keys/missing.pub.json' }] }, /no-key\.json: \$\.keyring\[0\]\.keyFile: "\.\/keys\/missing\.pub\.json" is not a public key file: cannot read: no such file/],
  ]
  for (const [file, edit, expected] of cases) {
    const path = pluginHostWith(file, edit)
    assert.throws(() => readBootFile(path), (error: unknown) => error instanceof InputError && error.problems.length === 1 && expected.test(`${error.file}: ${error.problems[0]}`), file)
    for (const args of BOOT_COMMANDS) {
      const run = sila(...args, '--boot', path)
      assert.is(run.status, 2, `${args[0]} ${file}: ${run.stdout}`)
      assert.match(run.stderr, expected)
      assert.is(run.stderr.trim().split('\n').length, 1, `${args[0]} ${file}: one line: ${run.stderr}`)
      assert.not.match(run.stderr, STACK_LINE)
    }
  }
})

test('image names, fuzzed: any string where an image goes is resolved or refused in one line naming its path, never a crash', () => {
  const file = pluginHostWith('fuzz.json', () => {})
  const base = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>
  const pieces = fc.constantFrom('spellcheck', 'toolbar', 'host', 'echo', 'core', '@', '1.1.0', '3.2.0', '.', '/', './images/', '../', 'sha256:', '0'.repeat(64), 'x', '\0', ' ')
  const refArb = fc.oneof(fc.string(), fc.array(pieces, { maxLength: 5 }).map((parts) => parts.join('')))
  fc.assert(fc.property(refArb, fc.boolean(), (ref, inList) => {
    const config = JSON.parse(JSON.stringify(base)) as Record<string, any>
    if (inList) config.images.push(ref)
    else config.system.processes[0].image = ref
    writeFileSync(file, JSON.stringify(config))
    const path = inList ? '$.images[2]' : '$.system.processes[0].image'
    try {
      readBootFile(file)
    } catch (error) {
      assert.ok(error instanceof InputError, String(error))
      assert.is(error.problems.length, 1, error.message)
      assert.ok(error.problems[0]!.startsWith(`${path}:`), error.message)
    }
  }), { numRuns: 300, seed: 16 })
})

test.run()
