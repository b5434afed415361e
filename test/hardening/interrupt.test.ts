import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url))

/** Starts `sila ARGS`, sends Ctrl-C (SIGINT) after `afterMs`, resolves with the exit code and output. */
function interrupted(args: string[], afterMs: number, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => { stdout += chunk })
    child.stderr.on('data', (chunk) => { stderr += chunk })
    const timer = setTimeout(() => child.kill('SIGINT'), afterMs)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

for (const [name, args] of [
  ['check', ['check', '--runs', '1000000', '--seed', '3', '--out', 'out.json']],
  ['explore', ['explore', '--preset', 'cap-core', '--out', 'out.json']],
  ['mutants', ['mutants', '--runs', '1000000', '--out', 'out.json']],
] as const) {
  test(`Ctrl-C during ${name} writes what was found and exits 130`, async () => {
    const directory = mkdtempSync(join(tmpdir(), `sila-interrupt-${name}-`))
    try {
      const run = await interrupted([...args], 2500, directory)
      assert.is(run.code, 130, run.stderr)
      assert.ok(existsSync(join(directory, 'out.json')), 'the results file is written')
      const written = JSON.parse(readFileSync(join(directory, 'out.json'), 'utf8')) as Record<string, unknown>
      assert.ok(typeof written.format === 'string')
      assert.match(run.stdout, /Interrupted/)
      assert.not.match(run.stderr, /\n\s+at /, 'no stack trace')
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })
}

test.run()
