// Preloaded (`node --import`) into the mutation oracle's test runs
// (tools/mutation/sila-runner.mjs): a failing property stops at its first
// counterexample instead of shrinking it, and `uvu` resolves to
// tools/mutation/uvu-first-failure.mjs, which exits at the first failing test.
// The verdict on a mutant is the same either way (a test fails or none does);
// shrinking a failure of test/impl/abstraction took up to a minute under load, so
// that mutants the test kills ran past their time, and the tests after a failing
// one only cost time.
import { register } from 'node:module'
import fc from 'fast-check'

fc.configureGlobal({ ...fc.readConfigureGlobal(), endOnFailure: true })
register('./uvu-first-failure-hooks.mjs', import.meta.url)
