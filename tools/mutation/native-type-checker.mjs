// A Stryker checker plugin (`"checkers": ["native-typescript"]`): which mutants do
// not compile, decided by the project's own TypeScript 7 (native) compiler in one
// program per group of mutants, instead of StrykerJS's TypeScript checker, which
// rebuilds a TypeScript 5 program for every mutant (or small group) and took
// about 1.7 s a mutant here: more than testing it.
//
// Each mutant becomes a copy of its file, with the mutant applied, written beside
// the original in a private copy of the project's sources (same folder, so its
// relative imports resolve the same): `kernel.__sila_m123.ts`. One `tsc --noEmit`
// checks the group's copies together with the project, sharing the types of
// everything they import. A copy is a module of its own, so it can have errors an
// unmutated copy also has (a class declared twice is two types: `this` is no
// longer the original's class); those are read from an unmutated copy of the
// same file in the same program (`kernel.__sila_base.ts`) and subtracted, after
// moving positions past the mutant by the length it changed. A mutant is a
// compile error when its copy has an error the unmutated copy does not.
//
// What this does not see: an error in another file caused by the mutant (a changed
// inferred type of an export), since no file imports the copy. Such a mutant is
// tested instead (docs/decisions.md, "Mutation testing").
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CheckStatus } from '@stryker-mutator/api/check'
import { commonTokens, declareClassPlugin, PluginKind } from '@stryker-mutator/api/plugin'
import { sourceKey } from './oracle-plan.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc')
const TSCONFIG = 'tsconfig.mutation.json'
/** What the private copy of the project leaves out: everything but sources. */
const NOT_SOURCES = new Set(['node_modules', '.git', 'dist', 'reports', 'tools', '.stryker-tmp', 'coverage', 'tour', '.sila', 'docs', 'examples'])
/** Mutants per group: one tsc run each (most of a run's cost is the project itself). */
const GROUP_SIZE = 300
const BASE = '__sila_base'
const copyName = (file, tag) => file.replace(/\.ts$/, `.${tag}.ts`)
const ERROR_LINE = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/

/** A mutant applied to its file's text (Stryker's positions are zero-based). */
export function applied(text, { start, end }, replacement) {
  const lines = text.split('\n')
  const offset = (position) => lines.slice(0, position.line).reduce((sum, line) => sum + line.length + 1, 0) + position.column
  return text.slice(0, offset(start)) + replacement + text.slice(offset(end))
}

/** Where a position in the mutated copy was in the original: the same before the mutant, moved back after it, `null` inside it. */
export function original(line, column, { start, end }, replacement) {
  const inserted = replacement.split('\n')
  const endLine = start.line + inserted.length - 1
  const endColumn = (inserted.length === 1 ? start.column : 0) + inserted[inserted.length - 1].length
  if (line < start.line || (line === start.line && column < start.column)) return { line, column }
  if (line < endLine || (line === endLine && column < endColumn)) return null
  return line === endLine ? { line: end.line, column: end.column + column - endColumn } : { line: line - endLine + end.line, column }
}

/** Whether a position of the original text is inside a mutant's span. */
function within({ line, column }, { start, end }) {
  return (line > start.line || (line === start.line && column >= start.column)) && (line < end.line || (line === end.line && column < end.column))
}

/** tsc's errors (`--pretty false`) by file, each with its zero-based position, code and whole message (continuation lines included). */
function parseErrors(output) {
  const byFile = new Map()
  let last = null
  for (const line of output.split('\n')) {
    const match = ERROR_LINE.exec(line)
    if (match !== null) {
      last = { line: Number(match[2]) - 1, column: Number(match[3]) - 1, code: match[4], message: match[5] }
      const file = match[1].replace(/\\/g, '/')
      if (!byFile.has(file)) byFile.set(file, [])
      byFile.get(file).push(last)
    } else if (last !== null && line.startsWith(' ')) {
      last.message += `\n${line}`
    }
  }
  return byFile
}

/** The private copies' folder names in the system's temporary folder: the prefix, then the checker's pid. */
const PREFIX = 'sila-typecheck-'
const ORPHAN = new RegExp(`^${PREFIX}(\\d+)-`)

/**
 * Removes the private copies of checkers that are gone: Stryker ends its checker
 * processes by killing them (its checker worker does not pass on `dispose`), so
 * their copies stay behind until the next checker starts.
 */
function removeOrphans() {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(ORPHAN.exec(name)?.[1])
    if (!Number.isInteger(pid) || pid === process.pid) continue
    let alive = true
    try { process.kill(pid, 0) } catch (error) { alive = error.code !== 'ESRCH' }
    if (!alive) rmSync(join(tmpdir(), name), { recursive: true, force: true })
  }
}

export class NativeTypeChecker {
  static inject = [commonTokens.logger]

  constructor(logger) {
    this.logger = logger
    this.project = null
  }

  async init() {
    removeOrphans()
    this.project = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`))
    for (const entry of readdirSync(ROOT, { withFileTypes: true })) {
      if (NOT_SOURCES.has(entry.name)) continue
      cpSync(join(ROOT, entry.name), join(this.project, entry.name), { recursive: true })
    }
    symlinkSync(join(ROOT, 'node_modules'), join(this.project, 'node_modules'), 'dir')
    // A process that exits removes its copy; one that is killed leaves it to the next checker (removeOrphans).
    process.once('exit', () => this.removeProject())
    const errors = this.tsc()
    if (errors.size > 0) throw new Error(`the project does not type-check before any mutant (${TSCONFIG}): ${[...errors.keys()].join(', ')}`)
  }

  /** For a caller that disposes its checker (Stryker's checker worker does not: see removeOrphans). */
  async dispose() {
    this.removeProject()
  }

  removeProject() {
    if (this.project !== null) rmSync(this.project, { recursive: true, force: true })
    this.project = null
  }

  /** One `tsc --noEmit` of the private project: its errors by file (relative to the project). */
  tsc() {
    const run = spawnSync(process.execPath, [TSC, '--noEmit', '--pretty', 'false', '-p', TSCONFIG], { cwd: this.project, encoding: 'utf8', maxBuffer: 1 << 28 })
    if (run.error !== undefined) throw run.error
    return parseErrors(run.stdout)
  }

  async group(mutants) {
    const groups = []
    for (let at = 0; at < mutants.length; at += GROUP_SIZE) groups.push(mutants.slice(at, at + GROUP_SIZE).map((mutant) => mutant.id))
    return groups
  }

  async check(mutants) {
    const results = {}
    const written = []
    const write = (file, text) => { writeFileSync(join(this.project, file), text); written.push(join(this.project, file)) }
    const texts = new Map()
    // The mutated source's path in the project (a checker may be handed the sandbox's path of it).
    const project = (mutant) => `${sourceKey(mutant.fileName)}.ts`
    for (const mutant of mutants) {
      const file = project(mutant)
      if (!texts.has(file)) {
        texts.set(file, readFileSync(join(ROOT, file), 'utf8'))
        write(copyName(file, BASE), texts.get(file))
      }
      write(copyName(file, `__sila_m${mutant.id}`), applied(texts.get(file), mutant.location, mutant.replacement))
    }
    let errors
    try {
      errors = this.tsc()
    } finally {
      for (const path of written) unlinkSync(path)
    }
    const key = (file, tag, error, position) => `${position === null ? 'inside' : `${position.line}:${position.column}`} ${error.code} ${error.message.replaceAll(copyName(file, tag).replace(/\.ts$/, ''), '<copy>')}`
    for (const mutant of mutants) {
      const file = project(mutant)
      // The unmutated copy's errors, at their original positions; one inside the mutated span counts as inside.
      const base = new Set((errors.get(copyName(file, BASE)) ?? []).map((error) => key(file, BASE, error, within(error, mutant.location) ? null : error)))
      const tag = `__sila_m${mutant.id}`
      const fresh = (errors.get(copyName(file, tag)) ?? []).filter((error) => !base.has(key(file, tag, error, original(error.line, error.column, mutant.location, mutant.replacement))))
      results[mutant.id] = fresh.length === 0 ? { status: CheckStatus.Passed }
        : { status: CheckStatus.CompileError, reason: fresh.map((error) => `${file}(${error.line + 1},${error.column + 1}) in the mutated copy: error ${error.code}: ${error.message}`).join('\n') }
    }
    return results
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Checker, 'native-typescript', NativeTypeChecker)]
