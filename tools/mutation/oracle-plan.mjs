// What kills a mutant, in which order: the stages of the mutation oracle, which
// the runner (tools/mutation/sila-runner.mjs) runs one after the other until one
// fails. A stage is the check, `sila check --fail-fast --runs 50 --seed 42`, or a
// set of uvu test files. The comparison tests (test/refinement/*,
// test/impl/abstraction, test/checker/refine) run for every mutant, and for a
// mutant of some impl files the tests of what the suites cannot see of them
// (TESTS_OF). A mutant is killed when a stage fails. Every stage runs on a
// survivor, so the order changes only the time: a mutant of refinement/ mostly
// weakens the comparison, which the tests catch in a few seconds and the check (on
// a correct impl) never, so for those the tests go first; for a mutant of the impl
// or of the abstraction, the check first (for an impl file, then its own tests,
// then the comparison tests).

/** The check's configuration: the default suites, 50 runs each, one seed. */
export const CHECK = { runs: 50, seed: 42 }
export const COMPARISON = ['refinement/\\w+', 'impl/abstraction', 'checker/refine']

/**
 * Tests of what the suites, which compare the kernel with the model, do not see of
 * some impl files: a snapshot restored into another kernel, and undo along a
 * search's walk (the tables' and the kernel's restore), the count of verifications the kernel reports (images), and
 * the message ledger the impl keeps for the abstraction's ghost fields, which the
 * suites take from the model (ipc, and the abstraction itself: test/impl/lockstep
 * compares them).
 * Keyed by the mutated file's path without `.ts`, or a folder ending in `/`.
 */
export const TESTS_OF = {
  // A container's child list (unlinks in every order: test/impl/children) besides undo and snapshots.
  'impl/tables/': ['impl/children', 'impl/snapshot', 'impl/undo'],
  // Undo, snapshot reuse and restore (explore's search, not the suites'), and the boot configuration's edges.
  'impl/kernel': ['impl/snapshot', 'impl/undo', 'impl/lockstep'],
  'impl/images': ['pipeline/kernel-images'],
  // Spawn by the digest of a real image the kernel refused at boot, or of none: only kernels booted with real images have refused ones.
  'impl/objects/processes': ['pipeline/kernel-images'],
  'impl/objects/ipc': ['impl/lockstep'],
  // Table changes across nested user namespaces (ISO-3's host uid): the suites' generators rarely nest a base-0 map under another.
  'impl/objects/namespaces': ['impl/lockstep'],
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

/**
 * Model files (`--model`) that the check's suites, which boot one fixed
 * configuration, cannot compare with the impl: boot, whose declared systems
 * test/impl/lockstep boots on both kernels (changed at every place, generated,
 * and refused alike), before the check (which kills few of them).
 */
export const MODEL_COMPARISON = {
  'model/boot': ['impl/lockstep'],
  'model/boot-system': ['impl/lockstep'],
}

/** Impl files whose own tests (TESTS_OF) run before the check: the check passes on most of their mutants. */
export const OWN_TESTS_FIRST = ['impl/boot']

/** The mutated file's key for TESTS_OF (`impl/tables/refs`) from a source path, relative or absolute. */
export function sourceKey(fileName) {
  const path = fileName.replace(/\\/g, '/')
  const at = Math.max(path.lastIndexOf('/impl/'), path.lastIndexOf('/refinement/'), path.lastIndexOf('/model/'))
  return (at >= 0 ? path.slice(at + 1) : path).replace(/\.ts$/, '')
}

/**
 * The stages for a mutant of `file` (a sourceKey), as `{ kind: 'check' }` or
 * `{ kind: 'tests', names }` (uvu test files under dist/test matching one of the names).
 * `retest`: a survivor tested again (`npm run mutate -- --retest-survivors`)
 * passed the check before; what can kill it now is a new test: the file's own
 * tests go first, then the comparison tests, then the check; `ownTestsOnly`
 * (`--own-tests`) runs only the file's own.
 */
export function stagesFor(file, { retest = false, ownTestsOnly = false } = {}) {
  const check = { kind: 'check' }
  const tests = (names) => ({ kind: 'tests', names })
  const extra = Object.entries(TESTS_OF).filter(([key]) => (key.endsWith('/') ? file.startsWith(key) : file === key)).flatMap(([, names]) => names)
  // A mutant of the abstraction's incremental compare (most of the file) passes the
  // check, which compares a correct kernel, and fails test/impl/abstraction within a
  // second or two: that test goes first, alone.
  const abstractionTest = tests(['impl/abstraction'])
  const ownTests = [...(file === 'refinement/abstraction' ? [abstractionTest] : []), ...(extra.length > 0 ? [tests(extra)] : [])]
  if (ownTestsOnly) return ownTests
  // A mutant of the model (--model): the comparisons with the impl alone, which
  // is what is measured (do the generators reach the states where the mutant's
  // answer differs?); a unit test of the model killing it would hide a
  // generator's gap.
  if (file.startsWith('model/')) return MODEL_COMPARISON[file] === undefined ? [check] : [tests(MODEL_COMPARISON[file]), check]
  if (retest) return [...ownTests, tests(COMPARISON), check]
  // abstraction.ts aside: a wrong abstraction diverges at boot, which the check finds at once.
  if (file.startsWith('refinement/') && file !== 'refinement/abstraction') return [tests([...COMPARISON, ...extra]), check]
  // The abstraction: its own test, then test/impl/lockstep (its boot tests kill the
  // mutants that only matter at boot, in a second or two), then the check, then the
  // other comparison tests.
  if (file === 'refinement/abstraction') return [...ownTests, check, tests(COMPARISON.filter((name) => name !== 'impl/abstraction'))]
  // Boot's mutants are boot refusals the suites never see (they boot valid
  // systems): in the run of 2026-12-03, 129 passed the check (3–5 s) before
  // test/impl/lockstep killed them, so its tests go first.
  if (OWN_TESTS_FIRST.includes(file)) return [...ownTests, check, tests(COMPARISON)]
  // For an impl file with tests of its own, those run before the comparison tests:
  // a mutant the check misses there is mostly one only they kill (an undo, a
  // ledger entry), and the comparison tests took 20–40 s under load before them.
  return [check, ...ownTests, tests(COMPARISON)]
}
