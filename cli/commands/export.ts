/**
 * `sila export`: converts a counterexample trace to other formats (tooling.md §4). Planned.
 * @module
 */
import { plannedCommand } from '../command.js'

/** @public */
export const exportCommand = plannedCommand('export', 'convert a trace to ITF, JSON, a regression test or Markdown', `Usage: sila export FILE --format itf|json|test|md

Writes a sila-trace/1 file as an ITF trace (Quint, Apalache), JSON, a regression
test that fails until the bug is fixed, or a Markdown report.`)
