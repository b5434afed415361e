import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ajvModule from 'ajv/dist/2020.js'
import formatsModule from 'ajv-formats'
import { boot } from '../../model/boot.js'
import type { ContainerObject } from '../../model/state.js'
import { PRESETS } from '../../spec/presets.js'
import { bootLabels } from '../../checker/audit/labels.js'
import { decodeSnapshot, encodeSnapshot } from '../../checker/audit/snapshot.js'
import { buildImage } from '../../pipeline/image/build.js'
import { generateKey, writeKeyFiles, type PrivateKey } from '../../pipeline/image/keys.js'
import { signImage } from '../../pipeline/image/sign.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const TRACES = ['examples/ipc-transfer.trace.json', 'examples/revoke-reaches-tables.trace.json']
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m

/** Runs the compiled `sila` from the repository root, as a user would. */
function sila(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SILA_DEBUG: '' }, timeout: 60_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

const work = mkdtempSync(join(tmpdir(), 'sila-audit-'))
const at = (name: string): string => join(work, name)

/** See audit.test.ts: the SARIF 2.1.0 schema from @microsoft/sarif-multitool-linux@5.7.0. */
const ajv = new ajvModule.default({ allErrors: true })
formatsModule.default(ajv)
const validateSarif = ajv.compile(JSON.parse(readFileSync(`${ROOT}test/audit/fixtures/sarif-schema-2.1.0.json`, 'utf8')) as object)

type SarifLog = { runs: Array<{ tool: { driver: { name: string } }; results: Array<{ ruleId: string; kind: string; level: string }> }> }
function failedRules(log: SarifLog): string[] {
  return log.runs[0]!.results.filter((result) => result.kind === 'fail').map((result) => result.ruleId)
}

/** cap-core's boot state with container A's endpoint usage set to 0: QUO-2 breaks. */
function wrongUsageState(file: string): string {
  const preset = PRESETS.find((entry) => entry.name === 'cap-core')!
  const state = boot(preset.boot, preset.images)
  const a = state.ksObjects.get(2) as ContainerObject
  const broken = { ...state, ksObjects: new Map(state.ksObjects).set(2, { ...a, usage: { ...a.usage, endpoints: 0 } }) }
  writeFileSync(file, encodeSnapshot({ state: broken, labels: bootLabels(preset.boot, state), source: 'hand-corrupted' }))
  return file
}

test.after(() => rmSync(work, { recursive: true, force: true }))

// ---- states and traces -----------------------------------------------------

for (const file of TRACES) {
  test(`sila audit ${file}: every invariant holds, exit 0`, () => {
    const run = sila('audit', file)
    assert.is(run.stderr, '')
    assert.is(run.status, 0, run.stdout)
    assert.match(run.stdout, /^CAP-1 +state +pass/m)
    assert.match(run.stdout, /^Authority graph \(the state after step \d+\)/m)
    assert.match(run.stdout, /^Who can reach what/m)
    assert.match(run.stdout, /All 20 applicable invariants held\.\n$/)
  })
}

test('sila audit --authority: a section per process with one-line derivations, in text and JSON; refused with dot and images', () => {
  const state = at('nested.state.json')
  assert.is(sila('audit', '--write-state', state, '--preset', 'nested').status, 0)
  const text = sila('audit', state, '--authority')
  assert.is(text.status, 0, text.stderr)
  assert.match(text.stdout, /^Authority \(static\): what each process may come to hold beyond what it holds/m)
  // pA receives E with read over E itself: init holds E's original and can send it.
  assert.match(text.stdout, /process 3 "pA" may hold endpoint 4 "E" \[read,write,grant\]: process 1 "init" holds it/)
  assert.not.match(sila('audit', state).stdout, /^Authority \(static\)/m)
  const json = JSON.parse(sila('audit', state, '--authority', '--format', 'json').stdout) as { authority: { subjects: Array<{ label: string; gains: Array<{ text: string; hops: Array<{ how: string }> }> }> } }
  const pA = json.authority.subjects.find((subject) => subject.label === 'process 3 "pA"')!
  assert.ok(pA.gains.some((gain) => gain.hops.map((hop) => hop.how).join(' ') === 'holds sends receives'))
  const dot = sila('audit', state, '--authority', '--format', 'dot')
  assert.is(dot.status, 2)
  assert.match(dot.stderr, /--authority goes with --format text or json/)
})

test('the ipc example shows the crossing send cap in the text and in DOT', () => {
  assert.match(sila('audit', TRACES[0]!).stdout, /slot 0: -w-g- badge 7 → endpoint 4 \(of container 0 "root"\) {2}CROSSES/)
  const dot = sila('audit', '--format', 'dot', TRACES[0]!)
  assert.is(dot.status, 0)
  assert.ok(dot.stdout.startsWith('digraph authority {'))
  assert.match(dot.stdout, /subgraph "cluster_0"[\s\S]*subgraph "cluster_5"/)
  assert.match(dot.stdout, /"o6" -> "o4" \[[^\n]*color="red"[^\n]*crosses="true"\]/)
})

test('--format svg --out writes an SVG of the graph', () => {
  const run = sila('audit', '--format', 'svg', '--out', at('ipc.svg'), TRACES[0]!)
  assert.is(run.status, 0, run.stderr)
  assert.match(run.stdout, /^wrote .*ipc\.svg: every applicable invariant held$/m)
  const svg = readFileSync(at('ipc.svg'), 'utf8')
  assert.ok(svg.startsWith('<svg'))
  assert.match(svg, /<g id="node1" class="node">/)
  assert.match(svg, /container 0 &quot;root&quot;/)
})

test('--write-state writes the final state of a trace, or after step N, and it audits clean', () => {
  const run = sila('audit', '--write-state', at('ipc.state.json'), TRACES[0]!)
  assert.is(run.status, 0, run.stderr)
  assert.match(run.stdout, /wrote .*ipc\.state\.json: the state after step 10 of examples\/ipc-transfer\.trace\.json/)
  const snapshot = decodeSnapshot(readFileSync(at('ipc.state.json'), 'utf8'), 'ipc.state.json')
  assert.is(snapshot.labels?.get(0), 'root')
  assert.is(sila('audit', '--write-state', at('ipc-6.state.json'), '--at', '6', TRACES[0]!).status, 0)
  const six = decodeSnapshot(readFileSync(at('ipc-6.state.json'), 'utf8'), 'x')
  assert.ok([...six.state.ksObjects.values()].some((object) => object.kind === 'endpoint' && object.queue.length === 1))
  const audit = sila('audit', at('ipc-6.state.json'))
  assert.is(audit.status, 0, audit.stdout)
  assert.match(audit.stdout, /^QUO-3 +step +n\/a/m)
  assert.match(audit.stdout, /^Caps in queued messages:\n {2}on endpoint 4: queued seq 0: rw--c → region 7/m)
  assert.equal(readdirSync(work).filter((name) => name.endsWith('.tmp')), [], 'no temporary files left')
})

test('--write-state --preset writes a preset\'s boot state; --preset audits it directly', () => {
  for (const preset of PRESETS) {
    const file = at(`${preset.name}.state.json`)
    assert.is(sila('audit', '--write-state', file, '--preset', preset.name).status, 0, preset.name)
    assert.equal(decodeSnapshot(readFileSync(file, 'utf8'), file).state, boot(preset.boot, preset.images))
    assert.is(sila('audit', file).status, 0, preset.name)
  }
  const direct = sila('audit', '--preset', 'cap-core')
  assert.is(direct.status, 0)
  assert.match(direct.stdout, /process 5 "pB" \(ref 2, running\)\n {8}slot 0: -w--- → endpoint 6 "E" \(of container 2 "A"\) {2}CROSSES/)
})

test('a hand-corrupted state: exit 1, the invariant and its witness in text, JSON and SARIF', () => {
  const file = wrongUsageState(at('wrong-usage.state.json'))
  const text = sila('audit', file)
  assert.is(text.status, 1)
  assert.match(text.stdout, /^QUO-2 +state +FAIL/m)
  assert.match(text.stdout, /QUO-2: container 2: endpoints usage 0 but its live objects cost 1\n {4}witness: \{ "container": 2, "resource": "endpoints", "usage": 0, "expected": 1/)
  assert.match(text.stdout, /1 of 13 applicable invariants failed\.\n$/)
  const json = JSON.parse(sila('audit', '--format', 'json', file).stdout) as { status: string; invariants: Array<{ id: string; status: string }> }
  assert.is(json.status, 'fail')
  assert.equal(json.invariants.filter((result) => result.status === 'fail').map((result) => result.id), ['QUO-2'])
  const sarif = sila('audit', '--format', 'sarif', '--out', at('wrong-usage.sarif'), file)
  assert.is(sarif.status, 1)
  assert.match(sarif.stdout, /wrote .*wrong-usage\.sarif: 1 invariant failed \(QUO-2\)/)
  const log = JSON.parse(readFileSync(at('wrong-usage.sarif'), 'utf8')) as SarifLog
  assert.ok(validateSarif(log), JSON.stringify(validateSarif.errors))
  assert.is(log.runs[0]!.tool.driver.name, 'sila audit')
  assert.equal(failedRules(log), ['QUO-2'])
})

test('malformed inputs exit 2 with a message that names the file and the place, and no stack', () => {
  const bad = sila('audit', 'examples/bad-trace.json')
  assert.is(bad.status, 2)
  assert.match(bad.stderr, /^sila: examples\/bad-trace\.json: \$\.steps\[2\]\.syscall\.rights\[0\]: expected one of: read, write, execute, grant, control, found "admin"$/m)
  const snapshot = JSON.parse(readFileSync(wrongUsageState(at('valid.state.json')), 'utf8')) as { state: Record<string, unknown> }
  snapshot.state.ksRoot = 'zero'
  writeFileSync(at('broken.state.json'), JSON.stringify(snapshot))
  const state = sila('audit', at('broken.state.json'))
  assert.is(state.status, 2)
  assert.match(state.stderr, /broken\.state\.json: \$\.state\.ksRoot: expected a non-negative integer, found "zero"/)
  writeFileSync(at('other.json'), '{"format": "sila-results/1"}')
  assert.match(sila('audit', at('other.json')).stderr, /other\.json: \$\.format: expected "sila-state\/1" \(a state snapshot\) or "sila-trace\/1" \(a trace\), or give an image directory; found format "sila-results\/1"/)
  writeFileSync(at('not.json'), 'digraph {')
  assert.match(sila('audit', at('not.json')).stderr, /not\.json: not valid JSON/)
  assert.match(sila('audit', at('absent.json')).stderr, /absent\.json: cannot read: no such file/)
  assert.match(sila('audit', '--out', at('no/such/dir/x.txt'), TRACES[0]!).stderr, /^sila audit: --out \S+x\.txt: parent directory \S+no\/such\/dir does not exist$/m)
  for (const args of [['examples/bad-trace.json'], [at('broken.state.json')], [at('other.json')], [at('not.json')], [at('absent.json')], ['--out', at('no/such/dir/x.txt'), TRACES[0]!]]) {
    const run = sila('audit', ...args)
    assert.is(run.status, 2, args.join(' '))
    assert.not.match(run.stderr, STACK_LINE)
  }
})

test('usage errors exit 2: no file, two files, a bad format, --at past the trace, --at on a state', () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /expects a FILE/],
    [[TRACES[0]!, TRACES[1]!], /expects exactly one FILE/],
    [['--format', 'pdf', TRACES[0]!], /--format expects one of text, json, dot, svg, sarif/],
    [['--at', '11', TRACES[0]!], /--at 11: the trace has 11 steps \(0 to 10\)/],
    [['--at', 'two', TRACES[0]!], /--at expects a step number or 'boot'/],
    [['--preset', 'nope'], /unknown preset "nope"/],
    [['--write-state', at('x.json')], /--write-state expects one TRACE/],
    [['--policy', 'p.json', TRACES[0]!], /--policy applies to an image directory/],
  ]
  for (const [args, message] of cases) {
    const run = sila('audit', ...args)
    assert.is(run.status, 2, args.join(' '))
    assert.match(run.stderr, message, args.join(' '))
  }
  assert.is(sila('audit', '--help').status, 0)
})

// ---- images ----------------------------------------------------------------

const release = generateKey('ML-DSA-65', new Uint8Array(32).fill(1))
const attacker = generateKey('ML-DSA-65', new Uint8Array(32).fill(2))

/** Builds echo@`version` (asking for an endpoint and a region) into a fresh directory, signed by `signer` unless null. */
function image(name: string, version: string, signer: PrivateKey | null): string {
  const dir = at(name)
  buildImage({
    manifest: {
      name: 'echo', version, entry: 'main', limits: { memoryBytes: 1 << 20 },
      requests: [{ kind: 'endpoint', rights: ['read', 'write', 'grant'] }, { kind: 'region', rights: ['read', 'write'] }],
    },
    manifestFile: 'manifest.json', module: { file: 'module.bin', bytes: Buffer.from('echo module '.repeat(100)) }, compression: 'brotli',
  }, dir)
  if (signer !== null) signImage(dir, signer)
  return dir
}

function keyring(key: PrivateKey, name: string): string {
  const dir = at(`keys-${name}`)
  mkdirSync(dir, { recursive: true })
  return writeKeyFiles(dir, key, name).publicFile
}

function policy(name: string, value: unknown): string {
  writeFileSync(at(name), JSON.stringify(value))
  return at(name)
}

const GENEROUS = { format: 'sila-policy/1', caps: { endpoint: ['read', 'write', 'grant'], region: ['read', 'write'] }, maxMemoryBytes: 1 << 24 }

test('an image signed by a trusted key, above its floor, within policy: every check passes, exit 0', () => {
  const dir = image('good', '1.2.0', release)
  writeFileSync(at('floors.json'), '{"echo": "1.0.0"}')
  const run = sila('audit', dir, '--keyring', keyring(release, 'release'), '--floors', at('floors.json'), '--policy', policy('generous.json', GENEROUS))
  assert.is(run.status, 0, run.stdout + run.stderr)
  for (const id of ['image/signature', 'image/keyring', 'image/rollback', 'image/layers', 'policy/requests', 'policy/memory']) assert.match(run.stdout, new RegExp(`^${id} +pass`, 'm'), id)
  assert.match(run.stdout, /\(image echo@1\.2\.0\)/)
  assert.match(run.stdout, /Every applicable check passed\.\n$/)
})

test('two signatures, the trusted one tampered with: the tampered blob is the finding, not only the untrusted signer', () => {
  const dir = image('two-signatures', '1.2.0', release)
  signImage(dir, attacker, { add: true })
  const blobs = join(dir, 'blobs', 'sha256')
  const releaseBlob = readdirSync(blobs).map((name) => join(blobs, name)).find((file) => readFileSync(file, 'latin1').startsWith('{"format":"sila-signature/1"') && readFileSync(file, 'latin1').slice(0, 400).includes(release.keyId))!
  const bytes = readFileSync(releaseBlob)
  bytes[bytes.length - 50] = bytes[bytes.length - 50]! ^ 1
  writeFileSync(releaseBlob, bytes)
  const json = JSON.parse(sila('audit', dir, '--keyring', keyring(release, 'two-signatures'), '--format', 'json').stdout) as { checks: Array<{ id: string; status: string; message: string; file: string }> }
  const signature = json.checks.find((entry) => entry.id === 'image/signature')!
  assert.is(signature.status, 'fail')
  assert.is(signature.file, releaseBlob, 'the tampered blob is named')
  assert.match(signature.message, /^the signature cannot be read: its content has digest .*tampered with or swapped/)
  assert.match(signature.message, new RegExp(`the image's other signatures do not verify \\(.*signed by key ${attacker.keyId}, which is not in the keyring`))
  assert.is(json.checks.find((entry) => entry.id === 'image/keyring')!.status, 'fail')
})

test('an image audit reports each failed check on its own: policy, keyring, signature, rollback', () => {
  const dir = image('strict', '1.2.0', release)
  const keys = keyring(release, 'release2')
  const narrow = policy('narrow.json', { format: 'sila-policy/1', caps: { endpoint: ['write'] }, maxMemoryBytes: 1024 })
  const run = sila('audit', dir, '--keyring', keys, '--policy', narrow)
  assert.is(run.status, 1)
  assert.match(run.stdout, /^image\/signature +pass/m)
  assert.match(run.stdout, /^image\/rollback +n\/a +no rollback floors given/m)
  assert.match(run.stdout, /^policy\/requests +FAIL +\$\.requests\[0\] requests read, grant on an endpoint cap/m)
  assert.match(run.stdout, /^policy\/memory +FAIL +\$\.limits\.memoryBytes: 1048576 bytes, more than the policy's 1024/m)
  const json = JSON.parse(sila('audit', dir, '--keyring', keys, '--policy', narrow, '--format', 'json').stdout) as { checks: Array<{ id: string; message: string; details: { requests?: unknown } }> }
  const requests = json.checks.find((entry) => entry.id === 'policy/requests')!
  assert.is(requests.message, '$.requests[0] requests read, grant on an endpoint cap, beyond the policy\'s write; $.requests[1] requests a region cap, a kind the policy does not allow')
  assert.equal(requests.details.requests, [
    { index: 0, kind: 'endpoint', requested: ['read', 'write', 'grant'], allowed: ['write'], reason: 'requests read, grant on an endpoint cap, beyond the policy\'s write' },
    { index: 1, kind: 'region', requested: ['read', 'write'], allowed: null, reason: 'requests a region cap, a kind the policy does not allow' },
  ])
  const foreign = sila('audit', dir, '--keyring', keyring(attacker, 'attacker'))
  assert.is(foreign.status, 1)
  assert.match(foreign.stdout, /^image\/signature +FAIL +signed by key \S+, which is not in the keyring/m)
  assert.match(foreign.stdout, /^image\/keyring +FAIL +signed by \S+, which is not in the keyring/m)
  const unsigned = sila('audit', image('unsigned', '1.2.0', null), '--keyring', keys)
  assert.is(unsigned.status, 1)
  assert.match(unsigned.stdout, /^image\/signature +FAIL +the image has no signature/m)
  assert.match(unsigned.stdout, /^image\/keyring +n\/a/m)
  writeFileSync(at('high-floors.json'), '{"echo": "2.0.0"}')
  const old = sila('audit', dir, '--keyring', keys, '--floors', at('high-floors.json'), '--format', 'sarif')
  assert.is(old.status, 1)
  const log = JSON.parse(old.stdout) as SarifLog
  assert.ok(validateSarif(log), JSON.stringify(validateSarif.errors))
  assert.equal(failedRules(log), ['image/rollback'])
})

test('image audits refuse what is not an image, a missing keyring, a bad policy, and --format dot', () => {
  const dir = image('plain', '1.2.0', release)
  const keys = keyring(release, 'release3')
  mkdirSync(at('empty-dir'))
  const cases: Array<[string[], RegExp]> = [
    [[at('empty-dir'), '--keyring', keys], /empty-dir/],
    [[dir], /is a directory, so an image to audit, which expects --keyring/],
    [[dir, '--keyring', keys, '--policy', policy('typo.json', { ...GENEROUS, maxMemory: 1 })], /typo\.json: \$\.maxMemory: unknown field; did you mean "maxMemoryBytes"\?$/m],
    [[dir, '--keyring', keys, '--policy', policy('kinds.json', { ...GENEROUS, caps: { socket: ['read'] } })], /kinds\.json: \$\.caps\.socket: unknown field; known fields: container, process, region, endpoint, device$/m],
    [[dir, '--keyring', keys, '--format', 'dot'], /--format dot draws the authority graph of a state or trace/],
  ]
  for (const [args, message] of cases) {
    const run = sila('audit', ...args)
    assert.is(run.status, 2, `${args.join(' ')}: ${run.stdout}`)
    assert.match(run.stderr, message, args.join(' '))
    assert.not.match(run.stderr, STACK_LINE)
  }
})

test.run()
