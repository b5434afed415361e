/**
 * The HTML report of `sila check`, `sila explore`, `sila replay` and `sila mutants`
 * (`--report DIR`): build the {@link Report} (build.ts), render it (page.ts), and
 * write DIR/index.html atomically.
 * @module
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeDirectory, writeOutputFile } from '../../cli/output.js'
import { renderReport, type Report } from './page.js'

export { checkReport, exploreReport, mutantsReport, replayReport } from './build.js'
export { renderReport, type Report } from './page.js'

/** `sila VERSION`, for the page's footer. */
export function generatorName(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }
    return `sila ${manifest.version ?? ''}`.trim()
  } catch {
    return 'sila'
  }
}

/** Renders `report` to `directory`/index.html (creating the directory); returns the file's path. */
export function writeReport(directory: string, report: Report): string {
  makeDirectory(directory)
  const file = join(directory, 'index.html')
  writeOutputFile(file, renderReport(report))
  return file
}
