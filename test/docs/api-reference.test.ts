/**
 * docs/api/, the API reference, is generated from the code (`npm run docs`: TypeDoc
 * and its Markdown plugin, on TypeScript 5, in the tools/api-docs workspace). Here it
 * is generated again into a fresh directory: TypeDoc must report no warning (no
 * exported signature mentioning a type the reference leaves out, no broken
 * `{@link}`), and the result must be the checked-in docs/api/ file for file, so a
 * change to an export or a doc comment cannot leave the reference behind.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { ROOT } from '../cli/run.js'

/** Every file under `dir`, relative to it, sorted. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  const files: string[] = []
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name)
      if (entry.isDirectory()) walk(path)
      else files.push(relative(dir, path))
    }
  }
  walk(dir)
  return files.sort()
}

/** The first difference between two trees of text files, or null when they are the same. */
export function firstTreeDifference(expected: string, actual: string): string | null {
  const [want, have] = [listFiles(expected), listFiles(actual)]
  const missing = have.filter((file) => !want.includes(file))
  if (missing.length > 0) return `${missing[0]} is generated but not checked in`
  const stale = want.filter((file) => !have.includes(file))
  if (stale.length > 0) return `${stale[0]} is checked in but no longer generated`
  for (const file of want) {
    const [before, after] = [readFileSync(join(expected, file), 'utf8'), readFileSync(join(actual, file), 'utf8')]
    if (before === after) continue
    const [a, b] = [before.split('\n'), after.split('\n')]
    const line = a.findIndex((text, index) => text !== b[index])
    const at = line < 0 ? a.length : line
    return `${file} differs at line ${at + 1}: checked in ${JSON.stringify(a[at] ?? '(end)')}, generated ${JSON.stringify(b[at] ?? '(end)')}`
  }
  return null
}

test('firstTreeDifference finds an added, a removed and a changed file, and nothing in equal trees', () => {
  const fixture = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'sila-tree-'))
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true })
      writeFileSync(join(dir, file), text)
    }
    return dir
  }
  const base = fixture({ 'a.md': 'one\ntwo\n', 'sub/b.md': 'x\n' })
  const dirs = [base, fixture({ 'a.md': 'one\ntwo\n', 'sub/b.md': 'x\n' }), fixture({ 'a.md': 'one\ntwo\n' }), fixture({ 'a.md': 'one\nTWO\n', 'sub/b.md': 'x\n' }), fixture({ 'a.md': 'one\ntwo\n', 'sub/b.md': 'x\n', 'c.md': '' })]
  try {
    assert.is(firstTreeDifference(base, dirs[1]!), null)
    assert.is(firstTreeDifference(base, dirs[2]!), 'sub/b.md is checked in but no longer generated')
    assert.is(firstTreeDifference(base, dirs[3]!), 'a.md differs at line 2: checked in "two", generated "TWO"')
    assert.is(firstTreeDifference(base, dirs[4]!), 'c.md is generated but not checked in')
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }
})

test('docs/api/ is what TypeDoc generates from the code now, without a warning', () => {
  const out = mkdtempSync(join(tmpdir(), 'sila-api-'))
  try {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/.test(name)))
    const result = spawnSync('npm', ['run', '--silent', 'docs', '--', '--out', out], { cwd: ROOT, encoding: 'utf8', env: { ...env, NO_COLOR: '1' }, timeout: 240_000 })
    const log = `${result.stdout}\n${result.stderr}`
    assert.is(result.status, 0, `npm run docs exited ${result.status}:\n${log}`)
    assert.not.match(log, /\[warning\]|\[error\]/)
    const difference = firstTreeDifference(join(ROOT, 'docs', 'api'), out)
    assert.is(difference, null, `docs/api/ is out of date (${difference}): run npm run docs and commit docs/api/`)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})

test.run()
