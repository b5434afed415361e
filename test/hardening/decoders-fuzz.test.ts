/**
 * Every JSON file a user hands `sila` (a boot configuration, a trace, an image
 * policy, a `sila-state/1` snapshot, the results files `sila merge` reads), fed
 * random bytes, random JSON and mutations of valid documents, is either accepted
 * (and then whatever reads it next — boot, replay, export, audit, merge — refuses
 * it only with an InputError) or refused with an InputError that names the file
 * and, for a decoding failure, the JSON path (`$…`). Never a TypeError, a
 * RangeError, a BootError escaping as an "internal error", or a crashed model.
 *
 * Each property counts how many mutated documents were refused and how many were
 * accepted, prints the counts, and fails if either is zero: a mutator that only
 * ever breaks documents (or never does) tests nothing downstream (or nothing).
 * The manifest, keys and image layout are fuzzed in test/pipeline/fuzz.test.ts.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import type * as t from 'io-ts'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InputError, decodeOrThrow } from '../../spec/decode.js'
import { BootConfigCodec, DEFAULT_BOOT, type BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import { CAP_CORE, NESTED, PRESETS } from '../../spec/presets.js'
import { TRACE_FORMAT, TraceCodec, type Trace } from '../../spec/trace.js'
import { outcomeToJson } from '../../spec/results.js'
import { checkState } from '../../spec/invariants/index.js'
import { boot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import { BootError as ModelBootError } from '../../model/boot-system.js'
import { Kernel } from '../../impl/kernel.js'
import { BootError as ImplBootError } from '../../impl/boot.js'
import { implTarget } from '../../refinement/abstraction.js'
import { diffStates } from '../../refinement/diff.js'
import { readInputText, readJsonInput } from '../../cli/input.js'
import { readBootFile } from '../../cli/boot-file.js'
import { readJsonFile } from '../../pipeline/files.js'
import { ManifestInputCodec } from '../../pipeline/image/manifest.js'
import { generateKey, publicKeyFile, readPublicKey } from '../../pipeline/image/keys.js'
import { replayCommand } from '../../cli/commands/replay.js'
import { exportCommand } from '../../cli/commands/export.js'
import { auditCommand } from '../../cli/commands/audit.js'
import { mergeCommand } from '../../cli/commands/merge.js'
import { POLICY_FORMAT, PolicyCodec, requestsBeyondPolicy } from '../../checker/audit/policy.js'
import { decodeSnapshot, encodeSnapshot } from '../../checker/audit/snapshot.js'
import { traceStateAt } from '../../checker/audit/invariants.js'
import { bootLabels } from '../../checker/audit/labels.js'
import { CHECK_FORMAT, CheckResultsCodec, ExploreResultsCodec, summarize } from '../../checker/results.js'
import { runSuite } from '../../properties/run.js'
import { explore } from '../../checker/explore/search.js'
import type { RefinementTarget } from '../../refinement/target.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const DIR = mkdtempSync(join(tmpdir(), 'sila-decoders-fuzz-'))
test.after(() => rmSync(DIR, { recursive: true, force: true }))

/** Seconds since `start`, for the printed counts. */
const since = (start: number) => `${((Date.now() - start) / 1000).toFixed(1)} s`

// ---- inputs -------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Kind = 'bytes' | 'json' | 'mutation'
interface Input { readonly kind: Kind; readonly bytes: Uint8Array }

/** An input as fast-check shows a counterexample: its kind and its text, not a byte array. */
function input(kind: Kind, bytes: Uint8Array): Input {
  return { kind, bytes, [fc.toStringMethod]: () => `${kind} ${JSON.stringify(Buffer.from(bytes).toString('utf8'))}` } as Input
}

/** Numbers a decoder must bound: negative, huge, fractional, past 2^53, or numbers in a string. */
const ODD_NUMBERS: ReadonlyArray<Json> = [-1, 0, 1, 2, 3, 7, 64, 4096, 4097, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 40 + 1, 2 ** 53, 2 ** 53 + 2, 1e21, 1e300, -1e300, 0.5, 'NaN', 'Infinity', '1']
/** Keys an object must not trip over, `__proto__` first. */
const ODD_KEYS: ReadonlyArray<string> = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'extra', '']

interface Edit { readonly at: number; readonly op: number; readonly pick: number; readonly value: Json; readonly key: string }

const isObject = (value: unknown): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value)
const clone = (value: Json): Json => JSON.parse(JSON.stringify(value)) as Json

/** Sets an own property, even `__proto__` (which plain assignment would take as the prototype). */
function put(parent: Record<string, Json> | Json[], key: string | number, value: Json): void {
  Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true })
}

/** Every place in the document a value sits: (parent, key), the root included. */
function places(holder: { doc: Json }): Array<{ parent: Record<string, Json> | Json[]; key: string | number }> {
  const found: Array<{ parent: Record<string, Json> | Json[]; key: string | number }> = [{ parent: holder as unknown as Record<string, Json>, key: 'doc' }]
  const walk = (value: Json) => {
    if (Array.isArray(value)) value.forEach((item, index) => { found.push({ parent: value, key: index }); walk(item) })
    else if (isObject(value)) for (const key of Object.keys(value)) { found.push({ parent: value, key }); walk(value[key]!) }
  }
  walk(holder.doc)
  return found
}

/** Every string in the document: names a plausible edit may swap for one another. */
function strings(value: Json): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  return isObject(value) ? Object.values(value).flatMap(strings) : []
}

/** The same type, another value: a number moved a little, another string of the document, a boolean flipped. */
function nudge(current: Json, edit: Edit, doc: Json): Json {
  if (typeof current === 'number') return [current + 1, current - 1, current * 2, 0, Math.floor(current / 2)][edit.pick % 5]!
  if (typeof current === 'string') { const all = strings(doc); return all[edit.pick % all.length]! }
  if (typeof current === 'boolean') return !current
  return edit.value
}

/**
 * Deletes, replaces, renumbers, duplicates, adds a key or nudges (same type, other
 * value) at one random place. Nudges and deletions of optional fields keep many
 * documents decodable, so that what reads the decoded value is exercised too.
 */
function applyEdit(holder: { doc: Json }, generated: Edit): void {
  // A copy: fast-check may hand the same generated object to two edits, and the document must stay a tree.
  const edit = { ...generated, value: clone(generated.value) }
  const all = places(holder)
  const { parent, key } = all[edit.at % all.length]!
  const current = (parent as Record<string | number, Json>)[key]!
  switch (edit.op % 7) {
    case 5:
    case 6:
      put(parent, key, nudge(current, edit, holder.doc))
      return
    case 0: // delete the key (or the array element)
      if (Array.isArray(parent)) parent.splice(key as number, 1)
      else if (parent === (holder as unknown)) holder.doc = null
      else delete parent[key as string]
      return
    case 1: // replace with random JSON
      put(parent, key, edit.value)
      return
    case 2: // an odd number
      put(parent, key, ODD_NUMBERS[edit.pick % ODD_NUMBERS.length]!)
      return
    case 3: // duplicate an array element
      if (Array.isArray(current) && current.length > 0) current.splice(edit.pick % current.length, 0, clone(current[edit.pick % current.length]!))
      else if (Array.isArray(parent)) parent.splice(key as number, 0, clone(current))
      else put(parent, key, [clone(current), clone(current)])
      return
    case 4: { // add a key
      const target = isObject(current) ? current : isObject(parent) && parent !== (holder as unknown) ? parent : null
      const name = edit.pick % 3 === 0 ? edit.key : ODD_KEYS[edit.pick % ODD_KEYS.length]!
      if (target === null) put(parent, key, edit.value)
      else put(target, name, edit.value)
      return
    }
  }
}

const editArb: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(), op: fc.nat(), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, key: fc.string({ maxLength: 8 }),
})

const bytesOf = (text: string) => new Uint8Array(Buffer.from(text))

/** One of `valid`, with one to three edits, pretty-printed or not, sometimes truncated. */
function mutated(valid: ReadonlyArray<Json>): fc.Arbitrary<Input> {
  return fc.record({
    which: fc.nat({ max: valid.length - 1 }),
    edits: fc.array(editArb, { minLength: 1, maxLength: 3 }),
    indent: fc.constantFrom(0, 2),
    cut: fc.oneof({ arbitrary: fc.constant(undefined), weight: 7 }, { arbitrary: fc.nat(), weight: 1 }),
  }).map(({ which, edits, indent, cut }) => {
    const holder = { doc: clone(valid[which]!) }
    for (const edit of edits) applyEdit(holder, edit)
    const text = JSON.stringify(holder.doc, null, indent) ?? ''
    return input('mutation', bytesOf(cut === undefined ? text : text.slice(0, cut % (text.length + 1))))
  })
}

/** Random bytes, random JSON (some of it an object with the right `format`), and mutated valid documents. */
function inputs(valid: ReadonlyArray<Json>, format?: string): fc.Arbitrary<Input> {
  const json = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }).map((object) => (format === undefined ? object : { ...object, format })),
  )
  return fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes) => input('bytes', bytes)), weight: 1 },
    { arbitrary: json.map((value) => input('json', bytesOf(JSON.stringify(value)))), weight: 1 },
    { arbitrary: mutated(valid), weight: 4 },
  )
}

// ---- verdicts -----------------------------------------------------------------

/** Accepted and refused counts per input kind. */
class Tally {
  private readonly start = Date.now()
  private readonly counts = new Map<Kind, { refused: number; accepted: number }>()

  add(kind: Kind, verdict: 'refused' | 'accepted'): void {
    const entry = this.counts.get(kind) ?? { refused: 0, accepted: 0 }
    entry[verdict]++
    this.counts.set(kind, entry)
  }

  of(kind: Kind): { refused: number; accepted: number } {
    return this.counts.get(kind) ?? { refused: 0, accepted: 0 }
  }

  /** Prints the counts and fails unless mutations were both refused and accepted. */
  report(name: string): void {
    const mutations = this.of('mutation')
    const others = (['bytes', 'json'] as const).map((kind) => `random ${kind}: ${this.of(kind).refused} refused, ${this.of(kind).accepted} accepted`).join('; ')
    console.log(`  ${name} mutations: ${mutations.refused} refused, ${mutations.accepted} accepted (${others}); ${since(this.start)}`)
    assert.ok(mutations.refused > 0, `${name}: no mutated document was refused`)
    assert.ok(mutations.accepted > 0, `${name}: no mutated document was accepted`)
  }
}

/** A refusal as the CLI prints it: the file, then lines that each name a JSON path (or say the text is not JSON). */
function assertInputError(error: unknown, ...files: string[]): asserts error is InputError {
  if (!(error instanceof InputError)) throw error
  assert.ok(files.includes(error.file), `the refusal names ${files.join(' or ')}, not ${error.file}`)
  assert.ok(error.problems.length > 0, 'an InputError says what is wrong')
  assert.ok(error.message.startsWith(`${error.file}: `), error.message)
  for (const problem of error.problems) assert.match(problem, /^(\$|not valid JSON: )/, `a problem line names a JSON path: ${problem}`)
  // As the CLI prints it: `sila: FILE: problem`, then one line per further problem, none longer than 200 characters.
  for (const line of `sila: ${error.message}`.split('\n')) assert.ok(line.length <= 200, `a line of ${line.length} characters: ${line}`)
}

/** Runs `body` with standard output and error swallowed (the commands print tables and JSON). */
async function quietly<T>(body: () => T | Promise<T>): Promise<T> {
  const out = process.stdout.write
  const err = process.stderr.write
  const swallow = (() => true) as unknown as typeof process.stdout.write
  process.stdout.write = swallow
  process.stderr.write = swallow
  try {
    return await body()
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}

/** A command's exit code, or its InputError (the only refusal a decoded file may still meet). */
async function commandExit(file: string, run: () => number | Promise<number>): Promise<number | 'refused'> {
  try {
    return await quietly(run)
  } catch (error) {
    assertInputError(error, file)
    return 'refused'
  }
}

// ---- valid documents -----------------------------------------------------------

const readExample = (name: string) => JSON.parse(readFileSync(join(ROOT, 'examples', name), 'utf8')) as Json
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as Json

/** Every preset's images: a mutated declared system may name any of them. */
const IMAGES: ReadonlyArray<ImageRecord> = [...new Map(PRESETS.flatMap((preset) => preset.images).map((image) => [image.digest, image])).values()]

/** A trace with a declared system (so that mutations reach boot's refusals) and a malformed step. */
const NESTED_TRACE: Trace = {
  format: TRACE_FORMAT,
  description: 'nested: pA inspects its caps and sends on the shared endpoint',
  boot: NESTED.boot,
  images: [...NESTED.images],
  steps: [
    { syscall: { kind: 'cap_inspect', caller: 1, slot: 0 } },
    { syscall: { kind: 'ep_send', caller: 1, slot: 1, payload: 7 } },
    { malformed: true, syscall: { kind: 'ep_send', caller: 1, slot: -1 } },
    { syscall: { kind: 'ep_recv', caller: 0, slot: 3 } },
  ],
} as unknown as Trace

const TRACES: ReadonlyArray<Json> = [
  readExample('ipc-transfer.trace.json'), readExample('revoke-reaches-tables.trace.json'), readExample('bad-trace.json'), asJson(NESTED_TRACE),
]

/** A policy that lets the examples' images through, and one that does not. */
const POLICIES: ReadonlyArray<Json> = [
  { format: POLICY_FORMAT, caps: { endpoint: ['read', 'write', 'grant'], region: ['read', 'write'] }, maxMemoryBytes: 1 << 24 },
  { format: POLICY_FORMAT, caps: { container: ['read'], process: [], device: ['write'], endpoint: ['write'] }, maxMemoryBytes: 1024 },
]
/** Requests of every kind, to check a decoded policy against. */
const REQUESTS = IMAGES.flatMap((image) => image.manifest.requests).concat([
  { kind: 'process', rights: ['read', 'control'] }, { kind: 'device', rights: ['write'] }, { kind: 'region', rights: ['read', 'execute'] },
])

/** Snapshots of a declared system's boot state (with labels) and of a trace's last state. */
const stateDocuments = memo((): Json[] => {
  const trace = readJsonInput(TraceCodec, join(ROOT, 'examples', 'ipc-transfer.trace.json'))
  const nestedState = boot(NESTED.boot, NESTED.images)
  return [
    encodeSnapshot({ state: nestedState, source: 'preset nested (boot state)', labels: bootLabels(NESTED.boot, nestedState) }),
    encodeSnapshot({ state: traceStateAt(trace, trace.steps.length), source: 'ipc-transfer: the end' }),
  ].map((text) => JSON.parse(text) as Json)
})

/** Results files as `sila check --out` and `sila explore --out` write them (every field they write), checked to decode exactly. */
const resultsDocuments = memo(() => {
  const suite = runSuite('invariants', { suites: ['invariants'], runs: 2, seed: 1, maxSteps: 4, target: implTarget as unknown as RefinementTarget })
  const summary = summarize(suite, null)
  const checkValid = [
    { format: CHECK_FORMAT, seed: 1, runs: 2, maxSteps: 4, shard: null, passed: true, suites: [summary] },
    { format: CHECK_FORMAT, seed: 1, runs: 2, maxSteps: 4, shard: { index: 0, count: 2 }, passed: false, suites: [{ ...summary, failure: { invariant: 'CAP-1', step: 3, message: 'broken', path: '0:1', shrunkLength: 2, file: 'x.trace.json' } }] },
  ].map(asJson)
  const explored = explore({ preset: CAP_CORE, depthMax: 2 })
  const exploreValid = [
    { format: 'sila-explore/1', ...explored, counterexample: null, peakMemoryBytes: 1 << 26, neverTaken: ['cap_inspect'] },
    { format: 'sila-explore/1', ...explored, swarm: { index: 1, count: 4, seed: 3 }, violation: { invariant: 'CAP-1', message: 'broken', witness: {}, path: [{ kind: 'cap_inspect', caller: 1, slot: 0 }] }, counterexample: 'c.trace.json' },
  ].map(asJson)
  for (const [codec, documents, name] of [[CheckResultsCodec, checkValid, 'check'], [ExploreResultsCodec, exploreValid, 'explore']] as const) {
    for (const document of documents) decodeOrThrow(codec as t.Mixed, JSON.parse(JSON.stringify(document)), `valid ${name} results`)
  }
  return { checkValid, exploreValid }
})

function memo<T>(make: () => T): () => T {
  let made: { value: T } | undefined
  return () => (made ??= { value: make() }).value
}

// ---- the properties -------------------------------------------------------------

/** Fixed, so that CI is deterministic; `SILA_FUZZ_SEED` and `SILA_FUZZ_SCALE` (a run multiplier) explore further by hand. */
const SEED = Number(process.env.SILA_FUZZ_SEED ?? 20240611)
const runs = (n: number) => Math.round(n * Number(process.env.SILA_FUZZ_SCALE ?? 1))

test('boot configurations: decoded, then booted by the model and the impl alike, or refused with an InputError', () => {
  const file = join(DIR, 'boot.json')
  const tally = new Tally()
  let booted = 0
  let bootRefused = 0
  const valid = [DEFAULT_BOOT, CAP_CORE.boot, NESTED.boot].map(asJson)
  fc.assert(fc.property(inputs(valid), (input) => {
    writeFileSync(file, input.bytes)
    let config: BootConfig
    try {
      config = readJsonInput(BootConfigCodec, file)
    } catch (error) {
      assertInputError(error, file)
      tally.add(input.kind, 'refused')
      return
    }
    tally.add(input.kind, 'accepted')
    // A configuration that decodes boots on both kernels, or both refuse it with a BootError naming the same place.
    let model: ReturnType<typeof boot> | ModelBootError
    let impl: Kernel | ImplBootError
    try { model = boot(config, IMAGES) } catch (error) { if (!(error instanceof ModelBootError)) throw error; model = error }
    try { impl = Kernel.boot(config, IMAGES) } catch (error) { if (!(error instanceof ImplBootError)) throw error; impl = error }
    if (model instanceof ModelBootError || impl instanceof ImplBootError) {
      assert.ok(model instanceof ModelBootError && impl instanceof ImplBootError, `model ${model instanceof Error ? model.message : 'booted'}, impl ${impl instanceof Error ? impl.message : 'booted'}`)
      assert.match(model.path, /^\$\./)
      assert.is(impl.path, model.path)
      bootRefused++
      return
    }
    booted++
    checkState(model)
    assert.is(diffStates(model, implTarget.abstraction.abstract(impl)), null, 'the impl boots to the model\'s state')
  }), { numRuns: runs(1200), seed: SEED, includeErrorInReport: true })
  tally.report('boot configuration')
  console.log(`  boot configuration: of those decoded, ${booted} booted, ${bootRefused} refused by boot on both kernels`)
  assert.ok(booted > 0 && bootRefused > 0, 'decoded configurations both booted and were refused by boot')
})

test('traces: decoded, then replayed, exported and audited; refused only with an InputError', async () => {
  const file = join(DIR, 'trace.json')
  const tally = new Tally()
  const exits = new Map<string, number>()
  const formats = ['json', 'md', 'itf', 'test'] as const
  let index = 0
  await fc.assert(fc.asyncProperty(inputs(TRACES, TRACE_FORMAT), async (input) => {
    writeFileSync(file, input.bytes)
    try {
      readJsonInput(TraceCodec, file)
    } catch (error) {
      assertInputError(error, file)
      tally.add(input.kind, 'refused')
      return
    }
    tally.add(input.kind, 'accepted')
    // What the user runs next on a trace that decoded: every one may refuse it only with an InputError (a
    // declared system boot cannot honour), and the model never crashes (exit 70).
    const turn = index++
    const runs: Array<[string, () => number | Promise<number>]> = [
      [turn % 2 === 0 ? 'replay' : 'replay --model-only', () => replayCommand.run(turn % 2 === 0 ? [file, '--json'] : [file, '--model-only'])],
      [`export ${formats[turn % formats.length]}`, () => exportCommand.run([file, '--format', formats[turn % formats.length]!])],
      ['audit', () => auditCommand.run([file, '--format', turn % 2 === 0 ? 'json' : 'text'])],
    ]
    for (const [name, run] of runs) {
      const exit = await commandExit(file, run)
      assert.ok(exit === 'refused' || exit === 0 || exit === 1, `${name} exited ${exit}`)
      const key = `${name.split(' ')[0]} ${exit === 'refused' ? 'refused' : `exit ${exit}`}`
      exits.set(key, (exits.get(key) ?? 0) + 1)
    }
  }), { numRuns: runs(1000), seed: SEED, includeErrorInReport: true })
  tally.report('trace')
  console.log(`  trace: downstream of decoding: ${[...exits].sort().map(([key, n]) => `${key}: ${n}`).join(', ')}`)
})

test('policies: decoded and applied to requests of every kind, or refused with an InputError', () => {
  const file = join(DIR, 'policy.json')
  const tally = new Tally()
  fc.assert(fc.property(inputs(POLICIES, POLICY_FORMAT), (input) => {
    writeFileSync(file, input.bytes)
    try {
      const policy = readJsonInput(PolicyCodec, file)
      for (const finding of requestsBeyondPolicy(REQUESTS, policy)) assert.type(finding.reason, 'string')
      tally.add(input.kind, 'accepted')
    } catch (error) {
      assertInputError(error, file)
      tally.add(input.kind, 'refused')
    }
  }), { numRuns: runs(600), seed: SEED, includeErrorInReport: true })
  tally.report('policy')
})

test('state snapshots: decoded and audited in every format, or refused with an InputError', async () => {
  const file = join(DIR, 'state.json')
  const tally = new Tally()
  const valid = stateDocuments()
  const formats = ['text', 'json', 'dot', 'sarif'] as const
  let index = 0
  await fc.assert(fc.asyncProperty(inputs(valid, 'sila-state/1'), async (input) => {
    writeFileSync(file, input.bytes)
    try {
      decodeSnapshot(readInputText(file), file)
    } catch (error) {
      assertInputError(error, file)
      tally.add(input.kind, 'refused')
      return
    }
    tally.add(input.kind, 'accepted')
    // A snapshot may describe a broken state on purpose: the audit judges it, it does not crash on it.
    const exit = await commandExit(file, () => auditCommand.run([file, '--format', formats[index++ % formats.length]!]))
    assert.ok(exit === 0 || exit === 1, `audit exited ${exit}`)
  }), { numRuns: runs(800), seed: SEED, includeErrorInReport: true })
  tally.report('state snapshot')
})

test('merge results files (sila-check/1, sila-explore/1): decoded and merged, or refused with an InputError', async () => {
  const checkFile = join(DIR, 'check-results.json')
  const exploreFile = join(DIR, 'explore-results.json')
  const tally = new Tally()
  const { checkValid, exploreValid } = resultsDocuments()
  let index = 0
  await fc.assert(fc.asyncProperty(fc.oneof(inputs(checkValid, CHECK_FORMAT), inputs(exploreValid, 'sila-explore/1')), async (input) => {
    writeFileSync(checkFile, input.bytes)
    // Alone, or merged with a valid file of each kind; printed as a table or as JSON.
    const turn = index++
    const partner = turn % 3 === 1 ? [exploreFile] : turn % 3 === 2 ? [join(DIR, 'check-partner.json')] : []
    writeFileSync(exploreFile, JSON.stringify(exploreValid[0]))
    writeFileSync(join(DIR, 'check-partner.json'), JSON.stringify(checkValid[0]))
    try {
      const exit = await quietly(() => mergeCommand.run([checkFile, ...partner, ...(turn % 2 === 0 ? ['--json'] : [])]))
      assert.ok(exit === 0 || exit === 1, `merge exited ${exit}`)
      if (partner.length === 0) tally.add(input.kind, 'accepted')
    } catch (error) {
      // The fuzzed file, or the valid partner when the fuzzed one decoded as the other kind of results.
      assertInputError(error, checkFile, ...partner)
      if (partner.length === 0) tally.add(input.kind, 'refused')
    }
  }), { numRuns: runs(600), seed: SEED, includeErrorInReport: true })
  tally.report('merge results')
})

// ---- exact decoding: an added field is named -------------------------------------

/** A key as a refusal's path shows it. */
const keyPath = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`)

/** Every plain object of a document, with its JSON path. */
function objectsOf(doc: Json): Array<{ object: Record<string, Json>; path: string }> {
  const found: Array<{ object: Record<string, Json>; path: string }> = []
  const walk = (value: Json, path: string) => {
    if (Array.isArray(value)) value.forEach((item, index) => walk(item, `${path}[${index}]`))
    else if (isObject(value)) {
      found.push({ object: value, path })
      for (const key of Object.keys(value)) walk(value[key]!, `${path}${keyPath(key)}`)
    }
  }
  walk(doc, '$')
  return found
}

/** A file kind the CLI reads, its valid documents, and how the CLI reads it (throwing its refusal). */
interface ExactKind {
  readonly name: string
  readonly documents: () => ReadonlyArray<Json>
  /** Objects whose keys are data (records) or whose content is free (a witness, a malformed step's syscall): a key added there may be fine. */
  readonly open: (path: string, doc: Json) => boolean
  readonly read: (file: string) => unknown
}

const withinAny = (path: string, prefixes: ReadonlyArray<string>) => prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`))
const malformedStep = (path: string, doc: Json) => {
  const step = /^\$\.steps\[(\d+)\]\.syscall/.exec(path)
  return step !== null && ((doc as { steps: Array<{ malformed?: boolean }> }).steps[Number(step[1])]?.malformed === true)
}

const KEY_FILES = memo(() => [generateKey('ML-DSA-65', new Uint8Array(32).fill(7)), generateKey('ML-DSA-87', new Uint8Array(32).fill(9))].map((key) => asJson(publicKeyFile(key))))
const MANIFESTS = memo(() => {
  const v1 = JSON.parse(readFileSync(join(ROOT, 'examples', 'counter', 'v1', 'manifest.json'), 'utf8')) as Record<string, Json>
  return [v1, { ...v1, version: '1.1.0', namespaces: { pid: 'new', mount: 'share', net: 'new', ipc: 'share', user: { base: 1000, count: 10 } } }] as Json[]
})

/** Boot files (`--boot FILE`) naming shipped images by NAME@VERSION, NAME and digest, with an `images` list. */
const BOOT_FILES = memo(() => {
  const named = JSON.parse(JSON.stringify(NESTED.boot)) as { system: { processes: Array<{ image: string }> } } & Record<string, Json>
  named.system.processes[0]!.image = 'svc@1.0.0'
  const listed = { ...JSON.parse(JSON.stringify(CAP_CORE.boot)) as Record<string, Json>, images: ['core', 'svc@0.9.0', NESTED.images[0]!.digest] }
  return [named as Json, listed as Json]
})

const EXACT_KINDS: ReadonlyArray<ExactKind> = [
  { name: 'boot configuration', documents: () => [DEFAULT_BOOT, CAP_CORE.boot, NESTED.boot].map(asJson), open: (path) => path === '$.floors', read: (file) => readJsonInput(BootConfigCodec, file) },
  { name: 'boot file', documents: BOOT_FILES, open: (path) => path === '$.floors', read: (file) => readBootFile(file) },
  { name: 'trace', documents: () => TRACES.filter((trace) => { try { return decodeOrThrow(TraceCodec, trace, 'trace') !== undefined } catch { return false } }), open: (path, doc) => withinAny(path, ['$.failure.witness', '$.scenario']) || path === '$.boot.floors' || malformedStep(path, doc), read: (file) => replayCommand.run([file]) },
  { name: 'policy', documents: () => POLICIES, open: () => false, read: (file) => readJsonInput(PolicyCodec, file) },
  { name: 'state snapshot', documents: stateDocuments, open: () => false, read: (file) => auditCommand.run([file]) },
  { name: 'check results', documents: () => resultsDocuments().checkValid, open: (path) => /^\$\.suites\[\d+\]\.coverage\.(kindOk|kindFailed|errors|cases|checks|pairs)$/.test(path) || /^\$\.suites\[\d+\]\.coverage\.checks\[/.test(path), read: (file) => mergeCommand.run([file]) },
  { name: 'explore results', documents: () => resultsDocuments().exploreValid, open: (path) => path === '$.coverage' || withinAny(path, ['$.violation.witness', '$.violation.path']), read: (file) => mergeCommand.run([file]) },
  { name: 'image manifest', documents: MANIFESTS, open: () => false, read: (file) => readJsonFile(ManifestInputCodec, file, 1 << 20, { followLinks: true }) },
  { name: 'key file', documents: KEY_FILES, open: () => false, read: (file) => readPublicKey(file) },
]

/** A near miss of a field's name that no codec knows: `badge_`, or one letter's case changed (`Badge`). */
function nearMiss(name: string, pick: number): string {
  const at = pick % name.length
  const letter = name[at]!
  if (pick % 2 === 0 || letter.toLowerCase() === letter.toUpperCase()) return `${name}_`
  return `${name.slice(0, at)}${letter === letter.toLowerCase() ? letter.toUpperCase() : letter.toLowerCase()}${name.slice(at + 1)}`
}

test('exact decoding: every file kind\'s valid documents are read as they are', async () => {
  for (const kind of EXACT_KINDS) {
    for (const [index, document] of kind.documents().entries()) {
      const file = join(DIR, `valid-${index}.json`)
      writeFileSync(file, JSON.stringify(document))
      await quietly(() => kind.read(file))
    }
  }
})

test('exact decoding: a valid document with a field added at any depth is refused, naming the field, one line under 200 characters', async () => {
  const counts = new Map<string, number>()
  let near = 0
  await fc.assert(fc.asyncProperty(
    fc.record({
      kind: fc.nat(), doc: fc.nat(), place: fc.nat(), pick: fc.nat(), indent: fc.constantFrom(0, 2), value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
      key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...ODD_KEYS), fc.constant(null)),
    }),
    async ({ kind: kindPick, doc: docPick, place, pick, indent, value, key: drawn }) => {
      const kind = EXACT_KINDS[kindPick % EXACT_KINDS.length]!
      const documents = kind.documents()
      const doc = clone(documents[docPick % documents.length]!)
      const targets = objectsOf(doc).filter(({ path }) => !kind.open(path, doc))
      const { object, path: parent } = targets[place % targets.length]!
      const siblings = Object.keys(object)
      // null: a near miss of a field the object has (a typo), which must be answered with "did you mean".
      const isNear = drawn === null && siblings.length > 0
      const key = isNear ? nearMiss(siblings[pick % siblings.length]!, pick) : (drawn ?? 'extra')
      fc.pre(!Object.hasOwn(object, key))
      put(object, key, value)
      const file = join(DIR, `exact-${kind.name.replace(/ /g, '-')}.json`)
      writeFileSync(file, JSON.stringify(doc, null, indent))
      let refusal: InputError | undefined
      try {
        await quietly(() => kind.read(file))
      } catch (error) {
        assertInputError(error, file)
        refusal = error
      }
      if (refusal === undefined) return assert.unreachable(`${kind.name}: accepted with ${JSON.stringify(key)} added at ${parent}`)
      const path = `${parent}${keyPath(key)}`
      assert.equal(refusal.problems.length, 1, `${kind.name}: only the added field is wrong: ${refusal.message}`)
      assert.match(refusal.problems[0]!, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: unknown field; (did you mean "[^"]+"\\?|known fields: .+)$`))
      if (isNear) {
        assert.match(refusal.problems[0]!, /did you mean/, `a near miss of ${JSON.stringify(key)}`)
        near++
      }
      counts.set(kind.name, (counts.get(kind.name) ?? 0) + 1)
    },
  ), { numRuns: runs(800), seed: SEED, includeErrorInReport: true })
  console.log(`  exact decoding: refused (by file kind) ${[...counts].map(([name, n]) => `${name}: ${n}`).join(', ')}; ${near} near misses answered with "did you mean"`)
  assert.is(counts.size, EXACT_KINDS.length, 'every file kind was tried')
  assert.ok(near > 0)
})

// ---- regressions found by the properties above ------------------------------------

/** ipc-transfer with `edit` applied, written to `name`. */
function editedExample(name: string, edit: (trace: Record<string, any>) => void): string {
  const trace = JSON.parse(readFileSync(join(ROOT, 'examples', 'ipc-transfer.trace.json'), 'utf8')) as Record<string, any>
  edit(trace)
  const file = join(DIR, name)
  writeFileSync(file, JSON.stringify(trace))
  return file
}

test('regression: a trace whose declared system boot cannot honour is refused (exit 2) by replay and export, not an internal error', async () => {
  const file = editedExample('unbootable.trace.json', (trace) => {
    trace.boot.system = { processes: [{ name: 'p', container: 'nowhere', image: trace.images[0].digest, uid: 0, slots: 2 }] }
  })
  const expected = '$.boot.system.processes[0].container: no declared object or device named "nowhere"'
  // With the impl in lockstep the impl boots first (its BootError), with --model-only the model (its own BootError).
  // (`--format test` writes a test that boots when it runs, so it has nothing to refuse.)
  for (const run of [() => replayCommand.run([file]), () => replayCommand.run([file, '--model-only']), ...(['json', 'md', 'itf'] as const).map((format) => () => exportCommand.run([file, '--format', format]))]) {
    const exit = await commandExit(file, run)
    if (exit !== 'refused') assert.unreachable(`accepted, exit ${exit}`)
  }
  try {
    await quietly(() => replayCommand.run([file]))
  } catch (error) {
    assertInputError(error, file)
    assert.equal(error.problems, [expected])
  }
  // And as the user sees it.
  const { spawnSync } = await import('node:child_process')
  const run = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'replay', file], { encoding: 'utf8', env: { ...process.env, SILA_DEBUG: '' }, timeout: 60_000 })
  assert.is(run.status, 2, run.stderr)
  assert.is(run.stderr, `sila: ${file}: ${expected}\n`)
})

test('regression: a field limits do not know is refused in a trace, and a kernel handed one in a step marked malformed refuses the call', async () => {
  // A trace is decoded exactly: the field is named, not dropped (it used to be dropped, so a typo went unseen).
  const refused = editedExample('extra-limits.trace.json', (trace) => { trace.boot.root.limits.junk = 'x'.repeat(1000) })
  try {
    readJsonInput(TraceCodec, refused)
    assert.unreachable('accepted')
  } catch (error) {
    assertInputError(error, refused)
    assert.equal(error.problems, ['$.boot.root.limits.junk: unknown field; known fields: memoryBytes, processes, endpoints, cpuBudget, ioBytes, cpuWeight, devices'])
  }
  // A raw syscall (a step marked malformed hands it to the kernels as it is) may carry one: kernel.md §8 makes it a
  // malformed argument, InvalidArgument from both kernels, and nothing but the CPU charge changes (it used to be kept
  // by neither and the call run as if the field were not there).
  const file = editedExample('extra-limits-step.trace.json', (trace) => {
    // Step 2 created a container; with the field it creates none.
    trace.steps[2].syscall.limits.junk = { nested: [1, 2, 3] }
    trace.steps[2].malformed = true
    trace.steps[2].outcome = { ok: false, error: { code: 'InvalidArgument' } }
    trace.steps = trace.steps.slice(0, 3)
    delete trace.failure
  })
  const trace = readJsonInput(TraceCodec, file)
  let model = boot(trace.boot, trace.images)
  const impl = Kernel.boot(trace.boot, trace.images)
  for (const step of trace.steps) {
    const stepped = modelStep(model, step.syscall)
    model = stepped.state
    assert.equal(outcomeToJson(stepped.outcome), step.outcome)
    assert.equal(outcomeToJson(impl.step(step.syscall)), step.outcome)
  }
  const limits = [...model.ksObjects.values()].flatMap((object) => (object.kind === 'container' ? [object.limits] : []))
  assert.is(limits.length, 1, 'the root container alone: step 2 created nothing')
  assert.is(diffStates(model, implTarget.abstraction.abstract(impl)), null)
  assert.is(await commandExit(file, () => replayCommand.run([file])), 0, 'every recorded outcome (the InvalidArgument included) matches, the impl agrees')
  for (const format of ['itf', 'json', 'md', 'test'] as const) assert.is(await commandExit(file, () => exportCommand.run([file, '--format', format])), 0, format)
  assert.is(await commandExit(file, () => auditCommand.run([file, '--format', 'json'])), 0)
})

test.run()
