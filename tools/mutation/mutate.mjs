// `npm run mutate`: StrykerJS over impl/ and refinement/ (tools/mutation/stryker.config.json),
// in chunks of files so that an interrupted run keeps what it finished: each chunk
// is one Stryker run with its own incremental file (reports/mutation/chunks/),
// merged at the end into reports/mutation/stryker-incremental.json, from which a
// last whole run (nothing left to test) writes reports/mutation/mutation.json and
// the HTML report. Later runs test again only what changed (Stryker's incremental
// mode). `--list` names the chunks, `--chunk N` runs chunk N only, `--from N`
// chunks N and after, `--files A,B`
// runs those files as one chunk, `--report` only merges and reports,
// `--retest-survivors` tests the survivors again, `--retest-timeouts` the timeouts
// (a loaded machine can time out a slow survivor), with `--own-tests` only by the
// file's own tests; `--concurrency N`
// is handed to Stryker. `--model`: the same over model/ instead
// (tools/mutation/stryker.model.config.mjs, reports/mutation-model/), with the
// check alone as the oracle: a measure of how far the generators reach, since a
// model mutant is killed only where the check's lockstep sees the model and the
// impl part (docs/decisions.md, "Mutation testing of the model").
// Run from the repository root.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EQUIVALENT_LIST, MUTATION_REPORT, equivalentList, isIgnoredAsEquivalent, readMutationReport, withEquivalentIgnored } from '../../dist/bench/mutation.js'

const MODEL = process.argv.includes('--model')
const CONFIG = MODEL ? 'tools/mutation/stryker.model.config.mjs' : 'tools/mutation/stryker.config.json'
const REPORTS = MODEL ? 'reports/mutation-model' : 'reports/mutation'
const CHUNKS_DIR = `${REPORTS}/chunks`
const MERGED = `${REPORTS}/stryker-incremental.json`
/** The folders mutated, in the order their files are dealt into chunks. */
const FOLDERS = MODEL ? ['model'] : ['refinement', 'impl']
/** Files of those folders not mutated: the model's coverage bookkeeping (which checks a handler makes), not the kernel's behaviour. */
const NOT_MUTATED = new Set(['model/check-catalogue.ts', 'model/check-log.ts'])
const STRYKER = fileURLToPath(new URL('../../node_modules/@stryker-mutator/core/bin/stryker.js', import.meta.url))
const PRELOAD = fileURLToPath(new URL('./typescript5.mjs', import.meta.url))
/** About this many source lines per chunk (a line makes about one mutant). */
const LINES_PER_CHUNK = 700

const runStarted = Date.now()
const minutes = (ms) => `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`

function sources(dir) {
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f)).filter((f) => statSync(f).isFile() && !NOT_MUTATED.has(f)).sort()
}

/** Files dealt into chunks of about LINES_PER_CHUNK lines, in path order, refinement/ first (or model/'s, --model). */
export function chunks() {
  const result = []
  let current = []
  let lines = 0
  for (const file of FOLDERS.flatMap(sources)) {
    const count = readFileSync(file, 'utf8').split('\n').length
    if (current.length > 0 && lines + count > LINES_PER_CHUNK) { result.push(current); current = []; lines = 0 }
    current.push(file)
    lines += count
  }
  if (current.length > 0) result.push(current)
  return result
}

const chunkFile = (files) => join(CHUNKS_DIR, `${files[0].replace(/[\\/]/g, '_').replace(/\.ts$/, '')}.json`)

function stryker(extra) {
  const run = spawnSync(process.execPath, ['--import', PRELOAD, STRYKER, 'run', CONFIG, ...passed, ...extra], { stdio: 'inherit' })
  if (run.status !== 0) { process.stderr.write(`mutate: stryker exited with ${run.status ?? run.signal}\n`); process.exit(run.status ?? 1) }
}

/** Stryker's JSON reports of the chunks, merged: the union of their files that are still mutated (schema mutation-testing-report-schema). */
function merge(files) {
  const reports = files.filter((f) => existsSync(f)).map((f) => JSON.parse(readFileSync(f, 'utf8')))
  if (reports.length === 0) return null
  const mutated = new Set(FOLDERS.flatMap(sources))
  return {
    ...reports[0],
    files: Object.fromEntries(Object.entries(Object.assign({}, ...reports.map((r) => r.files))).filter(([file]) => mutated.has(file))),
    testFiles: Object.assign({}, ...reports.map((r) => r.testFiles ?? {})),
  }
}

const args = process.argv.slice(2)
/** Options handed to every Stryker run as they are. */
const passed = ['--concurrency'].flatMap((flag) => (args.includes(flag) ? [flag, args[args.indexOf(flag) + 1]] : []))
const filesFlag = args.indexOf('--files')
const all = filesFlag >= 0 ? [args[filesFlag + 1].split(',')] : chunks()
if (args.includes('--list')) {
  all.forEach((files, index) => process.stdout.write(`${index}: ${files.join(' ')}\n`))
  process.exit(0)
}
mkdirSync(CHUNKS_DIR, { recursive: true })
// The committed report, read before any chunk overwrites it: its mutants that the
// equivalent list names are seeded into each chunk's incremental file as Ignored
// (bench/mutation.ts, withEquivalentIgnored), so that Stryker does not test them.
// (The model's run has no list of equivalent mutants: its survivors are read, not scored against a target.)
const committed = !MODEL && !args.includes('--with-equivalent') && existsSync(MUTATION_REPORT) ? readMutationReport() : null
const listed = committed === null ? null : equivalentList(readFileSync(EQUIVALENT_LIST, 'utf8'))
// After better generators or tests: Stryker's incremental mode cannot know that the
// command runner's tests changed, so the survivors are dropped from the incremental
// files of the chunks run and tested again (killed mutants stay killed: the oracle
// only grows).
const retestTimeouts = args.includes('--retest-timeouts')
const retestSurvivors = args.includes('--retest-survivors')
if (retestSurvivors || retestTimeouts) {
  for (const file of all.map(chunkFile).filter((f) => existsSync(f))) {
    const name = file
    const report = JSON.parse(readFileSync(file, 'utf8'))
    let dropped = 0
    for (const entry of Object.values(report.files)) {
      const kept = entry.mutants.filter((m) => !(retestSurvivors && (m.status === 'Survived' || m.status === 'NoCoverage')) && !(retestTimeouts && m.status === 'Timeout'))
      dropped += entry.mutants.length - kept.length
      entry.mutants = kept
    }
    writeFileSync(file, JSON.stringify(report))
    process.stdout.write(`mutate: ${dropped} ${retestSurvivors ? 'survivors' : 'timeouts'} of ${name} to test again\n`)
  }
  // They passed the check once (or ran out of time): the oracle runs the tests first
  // (tools/mutation/oracle-plan.mjs), and each stage has twice its usual budget
  // (tools/mutation/sila-runner.mjs).
  process.env.SILA_MUTATE_RETEST = '1'
  // `--own-tests`: after a new test of a file, only the file's own tests (the
  // oracle's TESTS_OF) run on its survivors: a mutant the new test kills is killed,
  // any other stays a survivor (never the other way), at a fraction of the time.
  if (args.includes('--own-tests')) process.env.SILA_MUTATE_OWN_TESTS = '1'
}
const only = args.indexOf('--chunk') >= 0 ? Number(args[args.indexOf('--chunk') + 1]) : null
// `--from N`: chunks N and after (a run from scratch stopped after chunk N - 1 goes on).
const from = args.indexOf('--from') >= 0 ? Number(args[args.indexOf('--from') + 1]) : 0
if (!args.includes('--report')) {
  all.forEach((files, index) => {
    if ((only !== null && only !== index) || index < from) return
    process.stdout.write(`\nmutate: chunk ${index + 1} of ${all.length}: ${files.join(', ')}\n`)
    const file = chunkFile(files)
    if (args.includes('--with-equivalent') && existsSync(file)) {
      const report = JSON.parse(readFileSync(file, 'utf8'))
      for (const entry of Object.values(report.files)) entry.mutants = entry.mutants.filter((m) => !isIgnoredAsEquivalent(m))
      writeFileSync(file, JSON.stringify(report))
    }
    if (committed !== null) {
      const seeded = withEquivalentIgnored(committed, listed, existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null, files)
      writeFileSync(file, JSON.stringify(seeded))
      const count = Object.values(seeded.files).flatMap((entry) => entry.mutants).filter(isIgnoredAsEquivalent).length
      process.stdout.write(`mutate: ${count} mutants listed as equivalent are not tested (--with-equivalent tests them)\n`)
    }
    const started = Date.now()
    stryker(['--mutate', files.join(','), '--incrementalFile', file])
    process.stdout.write(`mutate: chunk ${index + 1} of ${all.length} took ${minutes(Date.now() - started)}\n`)
  })
}
// Every chunk that has run (the chunking may have changed since), newest last.
const done = readdirSync(CHUNKS_DIR).filter((f) => f.endsWith('.json')).map((f) => join(CHUNKS_DIR, f))
  .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
const merged = merge(done)
if (merged === null) { process.stderr.write('mutate: no chunk has run yet\n'); process.exit(1) }
writeFileSync(MERGED, JSON.stringify(merged))
// The whole report: every file some chunk has tested (all of them after a full run), nothing left to test.
const everything = FOLDERS.flatMap(sources)
const tested = Object.keys(merged.files).sort()
process.stdout.write(`\nmutate: the report of ${tested.length} of ${everything.length} files from the chunks\n`)
stryker(tested.length === everything.length ? [] : ['--mutate', tested.join(',')])
spawnSync(process.execPath, ['scripts/mutation-score.mjs', `${REPORTS}/mutation.json`], { stdio: 'inherit' })
process.stdout.write(`mutate: ${minutes(Date.now() - runStarted)} in all\n`)
