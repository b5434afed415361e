#!/usr/bin/env node
// `npm test`: runs every compiled test file with uvu, then checks uvu's own count.
// uvu exits 0 when a failing test's error cannot be formatted (an error whose
// `details` is not a string, for one): the test is then neither passed nor
// failed. Here, fewer passed and skipped tests than uvu counted is a failure.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const uvu = fileURLToPath(new URL('../node_modules/uvu/bin.js', import.meta.url))
const child = spawn(process.execPath, [uvu, 'dist/test', '\\.test\\.js$', ...process.argv.slice(2)], {
  stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}) },
})
let tail = ''
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk)
  tail = (tail + chunk.toString('utf8')).slice(-4096)
})
child.on('close', (code, signal) => {
  const count = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(tail.replace(/\x1b\[[0-9;]*m/g, ''))?.[1] ?? NaN)
  const [total, passed, skipped] = [count('Total'), count('Passed'), count('Skipped')]
  if (code !== 0 || signal !== null) process.exit(code ?? 1)
  if (!(passed + skipped === total)) {
    process.stderr.write(`npm test: uvu counted ${total} tests but ${passed} passed and ${skipped} were skipped: a test failed without being reported (look for a test whose dot is missing)\n`)
    process.exit(1)
  }
})
