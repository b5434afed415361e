// Preloaded (`node --import`) into the oracle's test runs (tools/mutation/oracle.mjs):
// a failing property stops at its first counterexample instead of shrinking it.
// The verdict on a mutant is the same (the property fails either way), but
// shrinking a failure of test/impl/abstraction took up to a minute under load,
// so that mutants the test kills ran past Stryker's timeout.
import fc from 'fast-check'

fc.configureGlobal({ ...fc.readConfigureGlobal(), endOnFailure: true })
