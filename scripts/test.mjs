#!/usr/bin/env node
// `npm test`: runs every compiled test file (dist/test/**/*.test.js) with uvu, then
// checks uvu's own count.
//
// Two lanes. With no arguments it starts two uvu processes at once: lane 1 runs the
// heavy files (HEAVY below), lane 2 every other test file. On CI's two cores the
// suite then takes about as long as its heaviest file instead of the sum of all.
// Lane 2's output streams live as one lane's did; lane 1's is kept and printed as
// one block after lane 2 has finished, and is appended as it comes to a file in the
// system's temporary folder (its path is printed first: `tail -f` it to follow).
// A lane that fails does not stop the other: both finish and both are reported.
// After both, every test file must have been started in exactly one lane.
//
// One lane, as before: `npm test -- PATTERN...` (or `node scripts/test.mjs
// PATTERN...`) runs only the test files whose path under dist/test matches one of
// the PATTERNs (regular expressions, case-insensitive, as uvu's), in one uvu
// process; options (`-b`, `-i REGEX`...) are passed to uvu. `SILA_TEST_LANES=1`
// runs every test file in one process, as before the lanes.
//
// uvu exits 0 when a failing test's error cannot be formatted (an error whose
// `details` is not a string, for one): the test is then neither passed nor
// failed. Here, fewer passed and skipped tests than uvu counted is a failure (each
// lane's own count). At the end it names the slowest test files of both lanes (uvu
// prints a file's name as it starts it), so that a CI run near its time limit says
// where the time went.
import { spawn } from 'node:child_process'
import { appendFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Lane 1's files, by path under dist/test. checker/general.test.js alone took 2,396 s
 * of a 3,725 s CI run (the model engine, on one core); everything else together
 * takes about 22 minutes, so it runs beside the rest. A file here that no longer
 * exists fails the run: keep the list in step with test/.
 */
const HEAVY = ['checker/general.test.js']

/** Where the compiled tests are, from the package root (npm runs scripts there). */
const DIR = 'dist/test'
const ALL = '\\.test\\.js$'
const uvu = fileURLToPath(new URL('../node_modules/uvu/bin.js', import.meta.url))
const env = { ...process.env, ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}) }
const plain = (text) => text.replace(/\x1b\[[0-9;]*m/g, '')
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\//g, '[\\\\/]')

/** uvu's options that take a value (the argument after them is not a pattern). */
const VALUED = new Set(['-i', '--ignore', '-r', '--require', '-C', '--cwd'])

/**
 * The arguments: uvu's options as given, and the patterns. uvu itself takes one
 * pattern (the second positional argument) and ignores any further one, so the
 * patterns are folded into it, together with `.test.js$` (a pattern alone would
 * also pick up the source maps, declarations and helpers next to the tests).
 */
function parseArguments(args) {
  const options = []
  const patterns = []
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]
    if (arg.startsWith('-')) {
      options.push(arg)
      if (VALUED.has(arg) && index + 1 < args.length) options.push(args[++index])
    } else patterns.push(arg)
  }
  const pattern = patterns.length === 0 ? ALL : `^(?=[\\s\\S]*(?:${patterns.map((p) => `(?:${p})`).join('|')}))[\\s\\S]*${ALL}`
  return { options, pattern }
}

/**
 * Starts one uvu process and follows its output: the files in the order uvu
 * started them with their wall times, and the tail that holds its summary.
 * `out` receives every chunk of its stdout (and of its stderr, when `stderr` is
 * 'pipe'). Resolves when it has closed.
 */
function runLane(name, uvuArgs, out, stderr) {
  const started = Date.now()
  const child = spawn(process.execPath, [uvu, ...uvuArgs], { stdio: ['inherit', 'pipe', stderr], env })
  let tail = ''
  let pending = ''
  let current = null
  /** Each test file's wall time, in the order uvu ran them; `current` is the one under way. */
  const durations = []
  child.stdout.on('data', (chunk) => {
    out(chunk)
    const text = chunk.toString('utf8')
    tail = (tail + text).slice(-4096)
    const lines = (pending + text).split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const file = plain(line).trim()
      if (!/^\S+\.test\.js$/.test(file)) continue
      const now = Date.now()
      if (current !== null) durations.push({ lane: name, file: current.file, ms: now - current.started })
      current = { file, started: now }
    }
  })
  if (stderr === 'pipe') child.stderr.on('data', out)
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      const now = Date.now()
      if (current !== null) durations.push({ lane: name, file: current.file, ms: now - current.started })
      // uvu's summary is the last thing it prints: the last of each label, not a test's own output above it.
      const count = (label) => Number([...plain(tail).matchAll(new RegExp(`${label}:\\s+(\\d+)`, 'g'))].at(-1)?.[1] ?? NaN)
      resolve({ name, code, signal, durations, ms: now - started, total: count('Total'), passed: count('Passed'), skipped: count('Skipped') })
    })
  })
}

/** What is wrong with a lane that has closed, if anything (the lane's name first when there are two). */
function problems(lane, prefix) {
  const found = []
  if (lane.signal !== null) found.push(`${prefix}uvu was killed by ${lane.signal}`)
  else if (lane.code !== 0) found.push(`${prefix}uvu exited with code ${lane.code}`)
  else if (!(lane.passed + lane.skipped === lane.total)) {
    found.push(`${prefix}uvu counted ${lane.total} tests but ${lane.passed} passed and ${lane.skipped} were skipped: a test failed without being reported (look for a test whose dot is missing)`)
  }
  return found
}

/** The slowest files, after uvu's summary. */
function printSlowest(durations, laneNames) {
  if (durations.length === 0) return
  const total = durations.reduce((sum, { ms }) => sum + ms, 0)
  const slowest = [...durations].sort((a, b) => b.ms - a.ms).slice(0, 10)
  process.stdout.write(`\nSlowest test files (of ${durations.length}, ${(total / 1000).toFixed(0)} s in all):\n`)
  for (const { lane, file, ms } of slowest) process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${file}${laneNames ? `  (${lane})` : ''}\n`)
}

/** The test files under `dir`, as uvu names them (their paths under it). */
function testFiles(dir, under = '') {
  return readdirSync(join(dir, under)).flatMap((entry) => {
    const name = join(under, entry)
    if (/node_modules/i.test(name)) return []
    if (statSync(join(dir, name)).isDirectory()) return testFiles(dir, name)
    return new RegExp(ALL, 'i').test(name) ? [name] : []
  })
}

const args = process.argv.slice(2)

if (args.length > 0 || process.env.SILA_TEST_LANES === '1') {
  // One lane, as before.
  const { options, pattern } = parseArguments(args)
  const lane = await runLane('one lane', [DIR, pattern, ...options], (chunk) => process.stdout.write(chunk), 'inherit')
  printSlowest(lane.durations, false)
  if (lane.code !== 0 || lane.signal !== null) process.exit(lane.code ?? 1)
  for (const problem of problems(lane, '')) {
    process.stderr.write(`npm test: ${problem}\n`)
    process.exitCode = 1
  }
} else {
  let files
  try {
    files = testFiles(DIR)
  } catch (error) {
    process.stderr.write(`npm test: no test files under ${DIR} (${error.message}); build first: tsc -p .\n`)
    process.exit(1)
  }
  const heavy = files.filter((file) => HEAVY.some((path) => new RegExp(`^${escape(path)}$`, 'i').test(file)))
  const stale = HEAVY.filter((path) => !heavy.some((file) => new RegExp(`^${escape(path)}$`, 'i').test(file)))
  if (stale.length > 0) {
    process.stderr.write(`npm test: lane 1's ${stale.join(', ')} is not a test file under ${DIR}: update HEAVY in scripts/test.mjs (SILA_TEST_LANES=1 runs everything in one lane)\n`)
    process.exit(1)
  }
  const heavyPattern = `^(?:${HEAVY.map(escape).join('|')})$`
  const log = join(tmpdir(), `sila-test-lane-1-${process.pid}.log`)
  writeFileSync(log, '')
  const title = heavy.join(', ')
  process.stdout.write(`npm test: two uvu processes at once. Lane 1: ${title}; its output is printed after lane 2's, and appended as it comes to ${log}\n`)
  process.stdout.write(`npm test: lane 2: the other ${files.length - heavy.length} test files, below.\n\n`)
  const kept = []
  let first = null
  const lane1 = runLane('lane 1', [DIR, heavyPattern], (chunk) => { kept.push(chunk); appendFileSync(log, chunk) }, 'pipe').then((lane) => (first = lane))
  const second = await runLane('lane 2', [DIR, ALL, '--ignore', heavyPattern], (chunk) => process.stdout.write(chunk), 'inherit')
  if (first === null) process.stdout.write(`npm test: lane 2 finished in ${(second.ms / 1000).toFixed(0)} s; waiting for lane 1 (${title}), whose output so far is in ${log}\n`)
  first = await lane1
  process.stdout.write(`\n--- lane 1: ${title} (${(first.ms / 1000).toFixed(0)} s) ---\n`)
  for (const chunk of kept) process.stdout.write(chunk)
  process.stdout.write(`--- end of lane 1 ---\n`)
  const sum = (key) => first[key] + second[key]
  process.stdout.write(`\n  Both lanes: Total ${sum('total')}, Passed ${sum('passed')}, Skipped ${sum('skipped')} (lane 1: ${first.total} / ${first.passed} / ${first.skipped} in ${(first.ms / 1000).toFixed(0)} s; lane 2: ${second.total} / ${second.passed} / ${second.skipped} in ${(second.ms / 1000).toFixed(0)} s)\n`)
  printSlowest([...first.durations, ...second.durations], true)
  const found = [...problems(first, `lane 1 (${title}): `), ...problems(second, 'lane 2: ')]
  if (found.length === 0) {
    // Every test file in exactly one lane: uvu matches patterns its own way, so count what it started.
    const started = [...first.durations, ...second.durations].map(({ lane, file }) => ({ lane, file }))
    for (const file of files) {
      const lanes = started.filter((entry) => entry.file === file).map(({ lane }) => lane)
      if (lanes.length !== 1) found.push(`${file} was started ${lanes.length === 0 ? 'in neither lane' : `${lanes.length} times (${lanes.join(', ')})`}`)
    }
  }
  for (const problem of found) process.stderr.write(`npm test: ${problem}\n`)
  const code = [first, second].find((lane) => lane.code !== 0 && lane.code !== null)?.code
  if (found.length > 0) process.exit(code ?? 1)
}
