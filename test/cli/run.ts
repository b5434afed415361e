/**
 * Runs the compiled `sila` as a user would, from the repository root, and captures
 * its exit code and both streams.
 * @module
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The repository root (this file is compiled to dist/test/cli/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/** `node dist/cli/main.js ...args` in the repository root. */
export function sila(...args: string[]): Run {
  const result = spawnSync(process.execPath, ['dist/cli/main.js', ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, SILA_DEBUG: '' }, timeout: 60_000,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** A stack trace line, as Node prints them. */
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m
