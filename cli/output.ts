/**
 * What every command shares for talking to its user: usage errors, aligned tables,
 * and files written atomically (tooling.md §9: a temporary file, then a rename).
 * @module
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { InputError, writeRefusal } from '../spec/decode.js'

/** Exit codes of `sila`, one meaning each. @public */
export const EXIT = {
  /** Everything held. */
  ok: 0,
  /** The command ran and found a failure (an invariant, a mismatch, a killed property). */
  failed: 1,
  /** The user's input was refused: bad flag, unknown command, malformed file, planned command. */
  usage: 2,
  /** A bug in `sila` itself (EX_SOFTWARE of sysexits.h). */
  internal: 70,
  /** Stopped by Ctrl-C; what was found so far was written (128 + SIGINT). */
  interrupted: 130,
} as const
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** What exit 2 and exit 70 mean for every command, unless it says more. */
const EXIT_MEANINGS: Readonly<Partial<Record<keyof typeof EXIT, string>>> = {
  usage: 'refused: a flag, an input file or an output path (the message says which)',
  internal: 'internal error, a bug in sila (SILA_DEBUG=1 shows the stack)',
}

/**
 * The "Exit codes:" section of a command's `--help`: the codes are {@link EXIT}'s,
 * the meanings the command's own (`ok`, `failed`, `interrupted`…), with exit 2 and
 * exit 70 always listed.
 * @public
 */
export function exitCodesHelp(meanings: Readonly<Partial<Record<keyof typeof EXIT, string>>>): string {
  const all = { ...EXIT_MEANINGS, ...meanings }
  const lines = (Object.keys(EXIT) as Array<keyof typeof EXIT>)
    .filter((key) => all[key] !== undefined)
    .flatMap((key) => wrapText(all[key]!, 73).map((line, index) => `  ${(index === 0 ? String(EXIT[key]) : '').padEnd(5)}${line}`))
  return ['Exit codes:', ...lines].join('\n')
}

/**
 * A refused command line: unknown command, bad flag, missing argument. The top-level
 * handler prints the message (and a hint to `--help`) and exits with {@link EXIT.usage}.
 * @public
 */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** How a column is aligned. */
export type Align = 'left' | 'right'

/** One column of a {@link renderTable | table}. @public */
export interface Column {
  readonly header: string
  /** @defaultValue `'left'` */
  readonly align?: Align
  /** Widest a cell may be; a longer cell wraps onto continuation lines. @defaultValue no limit */
  readonly widthMax?: number
}

/** Display width of a cell: code points, so `…` and `≤` count as one. */
function cellWidth(text: string): number {
  return [...text].length
}

function pad(text: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - cellWidth(text)))
  return align === 'right' ? fill + text : text + fill
}

/**
 * Breaks `text` into lines of at most `widthMax` code points, at spaces where it can
 * and inside a word only when the word alone is too long.
 * @public
 */
export function wrapText(text: string, widthMax: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    let rest = word
    if (cellWidth(word) > widthMax) {
      // A word too long for a line is cut into whole lines, its code points spread once (a 100,000-quanta sched_run's cell was quadratic).
      if (line !== '') lines.push(line)
      const points = [...word]
      let at = 0
      for (; points.length - at > widthMax; at += widthMax) lines.push(points.slice(at, at + widthMax).join(''))
      rest = points.slice(at).join('')
      line = ''
    }
    const candidate = line === '' ? rest : `${line} ${rest}`
    if (cellWidth(candidate) <= widthMax) {
      line = candidate
    } else {
      lines.push(line)
      line = rest
    }
  }
  lines.push(line)
  return lines
}

/**
 * Renders rows as a plain-text table: a header, a rule of dashes, then the rows,
 * columns separated by two spaces and aligned per column. A cell wider than its
 * column's `widthMax` wraps onto continuation lines. Trailing spaces are trimmed.
 * @public
 */
export function renderTable(columns: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const wrapped = rows.map((row) => columns.map((column, index) => {
    const cell = row[index] ?? ''
    return column.widthMax === undefined ? [cell] : wrapText(cell, column.widthMax)
  }))
  // A reduce, not Math.max(...): a spread passes every row as an argument, which overflows the stack past about 100,000 rows.
  const widths = columns.map((column, index) =>
    wrapped.reduce((widest, row) => row[index]!.reduce((wide, cell) => Math.max(wide, cellWidth(cell)), widest), cellWidth(column.header)))
  const line = (cells: ReadonlyArray<string>): string =>
    columns.map((column, index) => pad(cells[index] ?? '', widths[index]!, column.align ?? 'left')).join('  ').trimEnd()
  const body = wrapped.flatMap((row) => {
    const height = Math.max(...row.map((cell) => cell.length))
    return Array.from({ length: height }, (_, lineIndex) => line(row.map((cell) => cell[lineIndex] ?? '')))
  })
  return [line(columns.map((column) => column.header)), widths.map((width) => '-'.repeat(width)).join('  ')].concat(body).join('\n')
}

/** A marker no JSON text a user handed in holds, standing for a negative zero while JSON.stringify runs. */
const NEGATIVE_ZERO = `-0:${randomBytes(8).toString('hex')}`

/**
 * `JSON.stringify(value, null, space)`, except that a negative zero is written
 * `-0` (JSON.stringify writes `0`; `-0` is valid JSON, which JSON.parse reads
 * back as -0): a counterexample whose syscall named slot -0 replays as written.
 * @public
 */
export function jsonText(value: unknown, space?: number): string {
  const text = JSON.stringify(value, (_, item: unknown) => (Object.is(item, -0) ? NEGATIVE_ZERO : item), space)
  return text.split(`"${NEGATIVE_ZERO}"`).join('-0')
}

function inlineJson(value: unknown): string {
  if (Object.is(value, -0)) return '-0'
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(inlineJson).join(', ')}]`
  const entries = Object.entries(value)
  return entries.length === 0 ? '{}' : `{ ${entries.map(([key, item]) => `${JSON.stringify(key)}: ${inlineJson(item)}`).join(', ')} }`
}

/**
 * JSON text for people: an object or array that fits in `widthMax` columns (with its
 * indentation) stays on one line, a larger one is broken one member per line.
 * @public
 */
export function formatJson(value: unknown, widthMax = 100, indent = ''): string {
  const flat = inlineJson(value)
  if (typeof value !== 'object' || value === null || indent.length + flat.length <= widthMax) return flat
  const inner = `${indent}  `
  if (Array.isArray(value)) return `[\n${value.map((item) => inner + formatJson(item, widthMax, inner)).join(',\n')}\n${indent}]`
  const members = Object.entries(value).map(([key, item]) => `${inner}${JSON.stringify(key)}: ${formatJson(item, widthMax, inner)}`)
  return `{\n${members.join(',\n')}\n${indent}}`
}

/**
 * A fresh name beside `target` for writing it atomically:
 * `.NAME.PID.RANDOM.SUFFIX`, hidden, on the same file system, and naming the
 * process that writes it, so that {@link removeStaleSiblings} can tell one
 * left by a process that is gone (killed mid-write, Ctrl-C during a
 * synchronous write) from one being written now.
 * @public
 */
export function temporarySibling(target: string, suffix: 'tmp' | 'tmpdir'): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.${suffix}`)
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM'
  }
}

/**
 * Removes the temporary siblings of `target` ({@link temporarySibling}) that a
 * process no longer running left behind: a write interrupted before its rename
 * leaves its hidden file or directory (a whole image, possibly large), and the
 * next write of the same target clears it. Ones whose process still runs are
 * left alone (a concurrent writer's). Quiet: whatever cannot be read or removed
 * stays, and the write goes on.
 * @public
 */
export function removeStaleSiblings(target: string): void {
  const prefix = `.${basename(target)}.`
  let names: string[]
  try {
    names = readdirSync(dirname(target))
  } catch {
    return
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const found = /^(\d+)\.[0-9a-f]{8}\.(tmp|tmpdir)$/.exec(name.slice(prefix.length))
    if (found === null) continue
    const pid = Number(found[1])
    if (pid === process.pid || processAlive(pid)) continue
    try {
      rmSync(join(dirname(target), name), { recursive: true, force: true })
    } catch {
      // Left for the next write: this one does not depend on it.
    }
  }
}

/**
 * Writes `data` to `path` so that a reader sees either the old file or the whole new
 * one, never a part: the bytes go to a temporary file in the same directory (so the
 * rename stays on one file system), are flushed, and the file is renamed over `path`.
 * On any failure the temporary file is removed and the error rethrown.
 * @public
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  removeStaleSiblings(path)
  const temporary = temporarySibling(path, 'tmp')
  let descriptor: number | undefined
  try {
    descriptor = openSync(temporary, 'wx', 0o644)
    writeSync(descriptor, typeof data === 'string' ? Buffer.from(data, 'utf8') : data)
    fsyncSync(descriptor)
    closeSync(descriptor)
    descriptor = undefined
    renameSync(temporary, path)
  } catch (error) {
    if (descriptor !== undefined) closeSync(descriptor)
    rmSync(temporary, { force: true })
    throw error
  }
}

/**
 * {@link writeFileAtomic} for a path the user named: a file system that refuses
 * it (permission denied, read-only, full, ...: checkOutputs cannot foresee all,
 * root's access checks pass where the file system says no) is the user's input
 * refused, an {@link InputError} naming the path (exit 2), not an internal error.
 * @public
 */
export function writeOutputFile(path: string, data: string | Uint8Array): void {
  try {
    writeFileAtomic(path, data)
  } catch (error) {
    const reason = writeRefusal(error)
    if (reason === null) throw error
    throw new InputError(path, [`cannot write: ${reason}`])
  }
}

/**
 * `mkdir -p` for a directory the user named, one level at a time: Node's own
 * recursive mkdir never returns under a file system that answers ENOENT to every
 * mkdir (`/proc`), and a refusal is the user's input refused ({@link InputError}).
 * @public
 */
export function makeDirectory(path: string): void {
  const missing: string[] = []
  for (let current = resolve(path); ; current = dirname(current)) {
    const stats = statOrNull(current)
    if (stats !== null) {
      if (!stats.isDirectory()) throw new InputError(path, [`cannot create: ${current} is not a directory`])
      break
    }
    if (dirname(current) === current) break
    missing.push(current)
  }
  for (const directory of missing.reverse()) {
    try {
      mkdirSync(directory)
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EEXIST' && statOrNull(directory)?.isDirectory() === true) continue
      throw new InputError(path, [`cannot create ${directory}: ${writeRefusal(error) ?? (error as Error).message}`])
    }
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path)
  } catch {
    return null
  }
}

/** Prints a line to standard output. */
export function say(text = ''): void {
  process.stdout.write(`${text}\n`)
}

/** Prints a line to standard error. */
export function warn(text: string): void {
  process.stderr.write(`${text}\n`)
}
