/**
 * `sila export` (tooling.md §4): a `sila-trace/1` trace in another format. One
 * module per format; this one names the formats and picks the module. Pure: each
 * format returns text, and `cli/commands/export.ts` reads and writes the files.
 * @module
 */
import type { Trace } from '../../spec/trace.js'
import { formatJson } from '../../cli/output.js'
import { toItf } from './itf.js'
import { normalizeTrace, traceJsonText } from './json.js'
import { regressionTest } from './test.js'
import { markdownReport } from './md.js'

/** The formats, in the order `--help` lists them. @public */
export const EXPORT_FORMATS = ['itf', 'json', 'test', 'md'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** Is `name` one of {@link EXPORT_FORMATS}? @public */
export function isExportFormat(name: string): name is ExportFormat {
  return (EXPORT_FORMATS as ReadonlyArray<string>).includes(name)
}

/** What every format may use. @public */
export interface ExportOptions {
  /** The trace file's path, as the output names it. */
  readonly source?: string
  /** `test` only: the kernel the test steps (default: the trace's `producedBy.kernel`, else the impl). */
  readonly kernel?: string
  /** `test` only: where the test is written (a `file:` kernel's path is embedded relative to it). */
  readonly outFile?: string
}

/** The exported text, and notes for the user (things the export changed). @public */
export interface ExportResult {
  readonly text: string
  readonly notes: ReadonlyArray<string>
}

/** Exports `trace` as `format`. @public */
export function exportTrace(trace: Trace, format: ExportFormat, options: ExportOptions = {}): ExportResult {
  switch (format) {
    case 'itf':
      return { text: `${formatJson(toItf(trace, options), 100)}\n`, notes: [] }
    case 'json': {
      const normalized = normalizeTrace(trace)
      const notes = normalized.replaced.map((mismatch) =>
        `step ${mismatch.step}: the recorded outcome ${JSON.stringify(mismatch.expected)} differs from the model's; written the model's ${JSON.stringify(mismatch.actual)}`)
      return { text: traceJsonText(normalized.trace), notes }
    }
    case 'test':
      return { text: regressionTest(trace, options), notes: [] }
    case 'md':
      return { text: markdownReport(trace, options), notes: [] }
  }
}

export type { ItfOptions, ItfState, ItfStateView, ItfTrace } from './itf.js'
export type { ItfShape, ItfValue, JsonValue } from './itfValue.js'
export type { NormalizedTrace } from './json.js'
export type { RegressionTestOptions } from './test.js'
export type { MarkdownOptions } from './md.js'
export { encodeItfStates, ITF_VARS, itfViews, ofItf, toItf } from './itf.js'
export { decodeItfValue, encodeItfValue } from './itfValue.js'
export { normalizeTrace, traceJsonText } from './json.js'
export { PACKAGE_NAME, regressionTest } from './test.js'
export { markdownReport } from './md.js'
