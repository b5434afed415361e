#!/usr/bin/env node
// `npm test`: runs every compiled test file with uvu, then checks uvu's own count.
// uvu exits 0 when a failing test's error cannot be formatted (an error whose
// `details` is not a string, for one): the test is then neither passed nor
// failed. Here, fewer passed and skipped tests than uvu counted is a failure.
// At the end it names the slowest test files (uvu prints a file's name as it
// starts it), so that a CI run near its time limit says where the time went.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const uvu = fileURLToPath(new URL('../node_modules/uvu/bin.js', import.meta.url))
const child = spawn(process.execPath, [uvu, 'dist/test', '\\.test\\.js$', ...process.argv.slice(2)], {
  stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}) },
})
let tail = ''
/** Each test file's wall time, in the order uvu ran them; `current` is the one under way. */
const durations = []
let current = null
let pending = ''
const plain = (text) => text.replace(/\x1b\[[0-9;]*m/g, '')
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk)
  const text = chunk.toString('utf8')
  tail = (tail + text).slice(-4096)
  const lines = (pending + text).split('\n')
  pending = lines.pop() ?? ''
  for (const line of lines) {
    const name = plain(line).trim()
    if (!/^\S+\.test\.js$/.test(name)) continue
    const now = Date.now()
    if (current !== null) durations.push({ file: current.file, ms: now - current.started })
    current = { file: name, started: now }
  }
})
/** The slowest files, after uvu's summary. */
function printSlowest() {
  if (current !== null) durations.push({ file: current.file, ms: Date.now() - current.started })
  const total = durations.reduce((sum, { ms }) => sum + ms, 0)
  if (durations.length === 0) return
  const slowest = [...durations].sort((a, b) => b.ms - a.ms).slice(0, 10)
  process.stdout.write(`\nSlowest test files (of ${durations.length}, ${(total / 1000).toFixed(0)} s in all):\n`)
  for (const { file, ms } of slowest) process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${file}\n`)
}
child.on('close', (code, signal) => {
  const count = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(tail.replace(/\x1b\[[0-9;]*m/g, ''))?.[1] ?? NaN)
  const [total, passed, skipped] = [count('Total'), count('Passed'), count('Skipped')]
  printSlowest()
  if (code !== 0 || signal !== null) process.exit(code ?? 1)
  if (!(passed + skipped === total)) {
    process.stderr.write(`npm test: uvu counted ${total} tests but ${passed} passed and ${skipped} were skipped: a test failed without being reported (look for a test whose dot is missing)\n`)
    process.exit(1)
  }
})
