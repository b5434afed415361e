/**
 * Where a JSON value sits in its file's text: the region of the value at a JSON
 * pointer (RFC 6901), as lines and columns, so that a SARIF result can point at
 * step 7 of a trace. A small scanner over text that `JSON.parse` already accepted.
 * @module
 */

/** A region of a text file, 1-based lines and columns, end exclusive. @public */
export interface TextRegion {
  readonly startLine: number
  readonly startColumn: number
  readonly endLine: number
  readonly endColumn: number
  readonly charOffset: number
  readonly charLength: number
}

/** A JSON pointer from path segments: `['steps', 3]` → `/steps/3`. @public */
export function jsonPointer(segments: ReadonlyArray<string | number>): string {
  return segments.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')
}

/** A cursor over JSON text. */
class Scanner {
  constructor(readonly text: string, public at = 0) {}

  skipSpace(): void {
    while (/\s/.test(this.text[this.at] ?? '')) this.at++
  }

  /** Skips a string starting at the cursor and returns its value. */
  string(): string {
    const start = this.at
    this.at++
    while (this.text[this.at] !== '"') this.at += this.text[this.at] === '\\' ? 2 : 1
    this.at++
    return JSON.parse(this.text.slice(start, this.at)) as string
  }

  /** Skips the value starting at the cursor. */
  value(): void {
    this.skipSpace()
    const first = this.text[this.at]
    if (first === '"') return void this.string()
    if (first === '{' || first === '[') return this.container(() => undefined)
    while (this.at < this.text.length && !/[\s,\]}]/.test(this.text[this.at]!)) this.at++
  }

  /**
   * Walks the object or array at the cursor; `visit(key)` is called at each member's
   * value (cursor on it) and returns true to stop there.
   */
  container(visit: (key: string) => boolean | undefined): void {
    const isObject = this.text[this.at] === '{'
    this.at++
    for (let index = 0; ; index++) {
      this.skipSpace()
      if (this.text[this.at] === '}' || this.text[this.at] === ']') return void this.at++
      let key = String(index)
      if (isObject) {
        key = this.string()
        this.skipSpace()
        this.at++ // the colon
        this.skipSpace()
      }
      if (visit(key) === true) return
      this.value()
      this.skipSpace()
      if (this.text[this.at] === ',') this.at++
    }
  }
}

/** Line and column (1-based) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  return { line, column: offset - before.lastIndexOf('\n') }
}

/** The offset where the value at `segments` starts, or null when there is none. */
function valueStart(scanner: Scanner, segments: ReadonlyArray<string | number>): number | null {
  for (const segment of segments) {
    scanner.skipSpace()
    if (scanner.text[scanner.at] !== '{' && scanner.text[scanner.at] !== '[') return null
    let found = false
    scanner.container((key) => (found = key === String(segment)))
    if (!found) return null
  }
  scanner.skipSpace()
  return scanner.at
}

/**
 * The region of the value at `segments` in JSON `text`, or null when the text has
 * no such value (or is not JSON).
 * @public
 */
export function regionOf(text: string, segments: ReadonlyArray<string | number>): TextRegion | null {
  try {
    JSON.parse(text)
  } catch {
    return null
  }
  const scanner = new Scanner(text)
  const start = valueStart(scanner, segments)
  if (start === null) return null
  scanner.value()
  const from = lineColumn(text, start)
  const to = lineColumn(text, scanner.at)
  return { startLine: from.line, startColumn: from.column, endLine: to.line, endColumn: to.column, charOffset: start, charLength: scanner.at - start }
}
