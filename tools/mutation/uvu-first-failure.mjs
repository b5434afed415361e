// What `uvu` resolves to in the mutation oracle's test runs (registered by
// tools/mutation/test-preload.mjs): the part of uvu's API the tests use (`test`,
// `suite`, hooks, `only`, `skip`, `run`, and `exec` for uvu's CLI), running the
// registered tests in the same order, but ending the process with exit code 1 at
// the first failing test. uvu's own `--bail` stops only after the failing suite
// has run all its tests, and a test file is mostly one suite: a mutant that the
// first test kills paid for the whole file.
const queue = []
// uvu's CLI (uvu/run) pushes each file's name here before importing it; the names are not needed.
globalThis.UVU_QUEUE ??= []

function context(state) {
  return { tests: [], only: [], before: [], after: [], beforeEach: [], afterEach: [], skips: 0, state }
}

async function runSuite({ name, tests, only, before, after, beforeEach, afterEach, state }) {
  const chosen = only.length > 0 ? only : tests
  let passed = 0
  try {
    for (const hook of before) await hook(state)
    for (const test of chosen) {
      state.__test__ = test.name
      try {
        for (const hook of beforeEach) await hook(state)
        await test.handler(state)
        for (const hook of afterEach) await hook(state)
        passed++
      } catch (error) {
        process.stdout.write(`✘ ${name === '' ? '' : `${name} › `}${test.name}\n${error?.stack ?? error}\n`)
        process.exit(1)
      }
    }
  } finally {
    state.__test__ = ''
    for (const hook of after) await hook(state)
  }
  return passed
}

export function suite(name = '', state = {}) {
  let ctx = context(state)
  const test = (testName, handler) => { ctx.tests.push({ name: testName, handler }) }
  test.only = (testName, handler) => { ctx.only.push({ name: testName, handler }) }
  test.skip = () => { ctx.skips++ }
  test.before = (hook) => { ctx.before.push(hook) }
  test.before.each = (hook) => { ctx.beforeEach.push(hook) }
  test.after = (hook) => { ctx.after.push(hook) }
  test.after.each = (hook) => { ctx.afterEach.push(hook) }
  test.run = () => {
    queue.push({ name, ...ctx })
    ctx = context(ctx.state)
  }
  return test
}

export const test = suite()

/** Runs every queued suite in order (uvu's CLI calls it after importing the test files). */
export async function exec() {
  let passed = 0
  for (const queued of queue.splice(0)) passed += await runSuite(queued)
  process.stdout.write(`passed: ${passed}\n`)
  process.exitCode = 0
}
