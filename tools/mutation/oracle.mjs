// The command Stryker's command runner runs for each mutant, in its sandbox: the
// check, `sila check --fail-fast --runs 50 --seed 42`, and tests (uvu): the
// comparison tests (test/refinement/*, test/impl/abstraction, test/checker/refine)
// for every mutant, and for a mutant of some impl files the tests of what the
// suites cannot see of them (TESTS_OF). A mutant is killed when either fails. Both
// run on a survivor, so the order changes only the time: a mutant of refinement/
// mostly weakens the comparison, which the tests catch in a few seconds and the
// check (on a correct impl) never, so for those the tests go first; for a mutant
// of the impl or of the abstraction, the check first (for an impl file, then its
// own tests, then the comparison tests).
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const UVU = fileURLToPath(new URL('../../node_modules/uvu/bin.js', import.meta.url))
/** Preloaded into every test run: a failing property is not shrunk (tools/mutation/no-shrink.mjs). */
const NO_SHRINK = new URL('./no-shrink.mjs', import.meta.url).href
const CHECK = ['dist/cli/main.js', 'check', '--fail-fast', '--runs', '50', '--seed', '42']
const COMPARISON = ['refinement/\\w+', 'impl/abstraction', 'checker/refine']

/**
 * Tests of what the suites, which compare the kernel with the model, do not see of
 * some impl files: a snapshot restored into another kernel, and undo along a
 * search's walk (the tables' and the kernel's restore), the count of verifications the kernel reports (images), and
 * the message ledger the impl keeps for the abstraction's ghost fields, which the
 * suites take from the model (ipc, and the abstraction itself: test/impl/lockstep
 * compares them).
 * Keyed by the mutated file's path under dist/ without `.js`, or a folder ending in `/`.
 */
const TESTS_OF = {
  'impl/tables/': ['impl/snapshot', 'impl/undo'],
  // Undo, snapshot reuse and restore (explore's search, not the suites'), and the boot configuration's edges.
  'impl/kernel': ['impl/snapshot', 'impl/undo', 'impl/lockstep'],
  'impl/images': ['pipeline/kernel-images'],
  // Spawn by the digest of a real image the kernel refused at boot, or of none: only kernels booted with real images have refused ones.
  'impl/objects/processes': ['pipeline/kernel-images'],
  'impl/objects/ipc': ['impl/lockstep'],
  // The ghost fields (the message ledger, the last message received per endpoint),
  // which the comparison leaves out and the model's IPC invariants read in explore.
  'refinement/abstraction': ['impl/lockstep'],
  // Boot refusals of declared systems: the suites boot valid configurations only.
  'impl/boot': ['impl/lockstep'],
  // Destroying an endpoint retires its ledger entries (discarded messages, the last
  // received), into a map shared with snapshots and copied on write (undo).
  'impl/destroy': ['impl/lockstep', 'impl/undo'],
  // Unmaps in every order (the mapping list's back links) and a declared cap to init
  // dropped (init is never destroyed): the suites reach them rarely or, for init, never.
  'impl/cdt': ['impl/lockstep'],
  // A new period clears the usage of containers that only did I/O, beside empty ones.
  'impl/objects/clock': ['impl/lockstep'],
  // The argument checks against the spec's codecs on every kind and odd values at every bound: the suites send well-formed syscalls mostly.
  'impl/validate': ['impl/validate'],
}

/** The file of dist/ (refinement/ or impl/, as `impl/tables/refs`) that holds the active mutant (Stryker's environment variable), or null. */
function mutatedFile() {
  const id = process.env.__STRYKER_ACTIVE_MUTANT__
  if (id === undefined) return null
  const marker = `stryMutAct_9fa48("${id}")`
  for (const tree of ['refinement', 'impl']) {
    for (const entry of readdirSync(join('dist', tree), { recursive: true })) {
      const file = join('dist', tree, String(entry))
      if (file.endsWith('.js') && readFileSync(file, 'utf8').includes(marker)) return file.slice('dist/'.length, -'.js'.length)
    }
  }
  return null
}

// The signed image pool the pipeline suite draws from is built once for the whole
// run and read back by every later check (pipeline/kernel/pool.ts, realPool): the
// pipeline is not mutated, so it is the same pool for every mutant.
process.env.SILA_POOL_CACHE ??= join(process.cwd(), '.sila-pool-cache')

const file = mutatedFile()
const extra = file === null ? [] : Object.entries(TESTS_OF).filter(([key]) => (key.endsWith('/') ? file.startsWith(key) : file === key)).flatMap(([, tests]) => tests)
/** The uvu run of the tests whose paths under dist/test match one of `names`, stopping at the first failure. */
const testsOf = (names) => ['--import', NO_SHRINK, UVU, 'dist/test', `(${names.join('|')})\\.test\\.js$`, '--bail']
const TESTS = testsOf([...COMPARISON, ...extra])
// abstraction.js aside: a wrong abstraction diverges at boot, which the check finds at once.
const inComparison = file !== null && file.startsWith('refinement/') && file !== 'refinement/abstraction'
// A mutant of the abstraction's incremental compare (most of the file) passes the
// check, which compares a correct kernel, and fails test/impl/abstraction within a
// second or two: that test goes first, alone.
const ABSTRACTION_TEST = testsOf(['impl/abstraction'])
// A survivor tested again (`npm run mutate -- --retest-survivors`) passed the check
// before; what can kill it now is a new test: the file's own tests go first, then
// the comparison tests, then the check (with `--own-tests`, only the file's own).
const retest = process.env.SILA_MUTATE_RETEST === '1'
const ownTests = [...(file === 'refinement/abstraction' ? [ABSTRACTION_TEST] : []), ...(extra.length > 0 ? [testsOf(extra)] : [])]
// For an impl file with tests of its own, those run before the comparison tests:
// a mutant the check misses there is mostly one only they kill (a boot refusal,
// an undo), and the comparison tests took 20–40 s under load before them.
const stages = process.env.SILA_MUTATE_OWN_TESTS === '1' ? ownTests : retest ? [...ownTests, testsOf(COMPARISON), CHECK]
  : inComparison ? [TESTS, CHECK] : file === 'refinement/abstraction' ? [ABSTRACTION_TEST, CHECK, TESTS] : [CHECK, ...ownTests, testsOf(COMPARISON)]
for (const stage of stages) {
  const run = spawnSync(process.execPath, stage, { stdio: 'inherit' })
  if (run.status !== 0) process.exit(run.status ?? 1)
}
