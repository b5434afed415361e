/**
 * Runs the compiled `sila` as a user would, from the repository root, and captures
 * its exit code and both streams. Its counterexample store is a temporary directory
 * of the test process (`SILA_STORE`), never the repository's `.sila/`: a test leaves
 * nothing that a later `sila check` would replay.
 * @module
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** The repository root (this file is compiled to dist/test/cli/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The file URL of a compiled module (`impl/kernel.js`), for the kernel and property modules tests write. */
export function distUrl(path: string): string {
  return pathToFileURL(join(ROOT, 'dist', path)).href
}

/** The text of a property check counting the processes of the state it is given (`PROCESSES(state)`), for property modules tests write. */
export const PROCESSES = 'const PROCESSES = (state) => [...state.ksObjects.values()].filter((o) => o.kind === \'process\').length'

/**
 * Writes a module of user properties at `file` (a `--props` module, as a user
 * writes one): `definitions`, each the text of a `defineProperty(...)` call, are
 * its default export; the text of {@link PROCESSES} comes before them. Returns `file`.
 */
export function writePropsModule(file: string, definitions: ReadonlyArray<string>): string {
  writeFileSync(file, [`import { defineProperty } from '${distUrl('api/properties.js')}'`, PROCESSES, 'export default [', ...definitions.map((text) => `  ${text},`), ']'].join('\n'))
  return file
}

export interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

let store: string | null = null

/** The counterexample store of the commands {@link sila} runs: made once per test process, removed when it exits. */
export function testStore(): string {
  if (store === null) {
    const made = mkdtempSync(join(tmpdir(), 'sila-test-store-'))
    process.on('exit', () => rmSync(made, { recursive: true, force: true }))
    store = made
  }
  return store
}

/** `node dist/cli/main.js ...args` in the repository root, with the test process's own store. */
export function sila(...args: string[]): Run {
  return silaAt('dist/cli/main.js', ...args)
}

/** {@link sila} run from another built tree's cli/main.js (`main`, a path from the repository root or absolute). */
export function silaAt(main: string, ...args: string[]): Run {
  return silaRun(main, testStore(), 60_000, args)
}

/** {@link sila} with the counterexample store `store` (a test whose checks fail keeps what they store apart from the one other tests look at), up to `timeoutMs`. */
export function silaWithStore(store: string, timeoutMs: number, ...args: string[]): Run {
  return silaRun('dist/cli/main.js', store, timeoutMs, args)
}

function silaRun(main: string, store: string, timeoutMs: number, args: ReadonlyArray<string>): Run {
  const result = spawnSync(process.execPath, [main, ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, SILA_DEBUG: '', SILA_STORE: store }, timeout: timeoutMs,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** A stack trace line, as Node prints them. */
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m
