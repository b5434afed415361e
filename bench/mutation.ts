/**
 * The mutation score of the last StrykerJS run (`npm run mutate`), read from its
 * report `reports/mutation/mutation.json` (Stryker's own JSON schema,
 * mutation-testing-report-schema), and the list of survivors shown equivalent
 * (`mutants/equivalent.md`). Nothing here runs Stryker: B10 of `sila bench` and
 * `scripts/mutation-score.mjs` read the committed report.
 *
 * Score = killed ÷ (killed + survived). A timeout counts as killed (the mutant made
 * the check loop); mutants that do not compile, crash Stryker or are ignored (the
 * impl's assertions, docs/decisions.md) count neither way.
 * @module
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { formatErrors, InputError, parseJson } from '../spec/decode.js'

/** The repository root (this module runs from `dist/bench/`). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const MUTATION_REPORT = join(ROOT, 'reports', 'mutation', 'mutation.json')
export const EQUIVALENT_LIST = join(ROOT, 'mutants', 'equivalent.md')
/** The target of issue 14: at least this score on impl/ and on refinement/. */
export const MUTATION_TARGET = 0.95

const Position = t.type({ line: t.number, column: t.number })
const MutantStatus = t.keyof({ Killed: null, Survived: null, NoCoverage: null, CompileError: null, RuntimeError: null, Timeout: null, Ignored: null, Pending: null })
const Mutant = t.intersection([
  t.type({ id: t.string, mutatorName: t.string, location: t.type({ start: Position, end: Position }), status: MutantStatus }),
  t.partial({ replacement: t.string, statusReason: t.string }),
])
/** The part of Stryker's JSON report read here. */
export const MutationReport = t.type({
  schemaVersion: t.string,
  files: t.record(t.string, t.type({ language: t.string, source: t.string, mutants: t.array(Mutant) })),
})
export type MutationReport = t.TypeOf<typeof MutationReport>
export type MutantJson = t.TypeOf<typeof Mutant>

export function readMutationReport(file = MUTATION_REPORT): MutationReport {
  let text: string
  try { text = readFileSync(file, 'utf8') } catch { throw new InputError(file, ['cannot read the mutation report: run `npm run mutate` first']) }
  // Not exact: Stryker's schema has many more fields (thresholds, config, each mutant's tests…), read or not.
  const decoded = MutationReport.decode(parseJson(text, file))
  if (E.isLeft(decoded)) throw new InputError(file, formatErrors(decoded.left))
  return decoded.right
}

/** The counts of one file or folder. */
export interface Score {
  readonly killed: number
  readonly timeout: number
  readonly survived: number
  /** Compile errors, runtime errors and ignored mutants: not in the score. */
  readonly excluded: number
  /** killed (timeouts included) ÷ (killed + survived); 1 when there is nothing to score. */
  readonly score: number
}

function scoreOf(mutants: ReadonlyArray<MutantJson>): Score {
  const count = (...statuses: string[]) => mutants.filter((m) => statuses.includes(m.status)).length
  const killed = count('Killed')
  const timeout = count('Timeout')
  const survived = count('Survived', 'NoCoverage')
  const detected = killed + timeout
  return { killed, timeout, survived, excluded: mutants.length - detected - survived, score: detected + survived === 0 ? 1 : detected / (detected + survived) }
}

/** The score of each file, of each top folder (impl, refinement, …), and of all. */
export function mutationScores(report: MutationReport): { files: Record<string, Score>; folders: Record<string, Score>; all: Score } {
  const files: Record<string, Score> = {}
  const byFolder = new Map<string, MutantJson[]>()
  for (const [file, entry] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
    files[file] = scoreOf(entry.mutants)
    const folder = file.split('/')[0]!
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), ...entry.mutants])
  }
  return {
    files,
    folders: Object.fromEntries([...byFolder].map(([folder, mutants]) => [folder, scoreOf(mutants)])),
    all: scoreOf(Object.values(report.files).flatMap((entry) => entry.mutants)),
  }
}

/** How a survivor is named in `mutants/equivalent.md`: file:line:column, mutator, replacement. */
export function survivorKey(file: string, mutant: MutantJson): string {
  return `${file}:${mutant.location.start.line}:${mutant.location.start.column} ${mutant.mutatorName} ${JSON.stringify(mutant.replacement ?? '')}`
}

/** Every survivor of the report, by its key. */
export function survivors(report: MutationReport): Map<string, MutantJson & { file: string }> {
  const found = new Map<string, MutantJson & { file: string }>()
  for (const [file, entry] of Object.entries(report.files)) {
    for (const mutant of entry.mutants) if (mutant.status === 'Survived' || mutant.status === 'NoCoverage') found.set(survivorKey(file, mutant), { ...mutant, file })
  }
  return found
}

/** Whether Stryker did not test `mutant` because the equivalent list names it ({@link withEquivalentIgnored}). */
export function isIgnoredAsEquivalent(mutant: Pick<MutantJson, 'status' | 'statusReason'>): boolean {
  return mutant.status === 'Ignored' && (mutant.statusReason ?? '').startsWith(EQUIVALENT_REASON)
}

/** Whether a reason of the equivalent list shows the mutant equivalent (a NOT EQUIVALENT line names a survivor still to kill). */
export function shownEquivalent(reason: string): boolean {
  return !reason.startsWith('NOT EQUIVALENT')
}

/** Every mutant Stryker did not test because the equivalent list names it, by its key. */
export function ignoredAsEquivalent(report: MutationReport): Map<string, MutantJson & { file: string }> {
  const found = new Map<string, MutantJson & { file: string }>()
  for (const [file, entry] of Object.entries(report.files)) {
    for (const mutant of entry.mutants) if (isIgnoredAsEquivalent(mutant)) found.set(survivorKey(file, mutant), { ...mutant, file })
  }
  return found
}

/** One line of the equivalent list: `- \`file:line:column\` Mutator \`"replacement"\`: why it is equivalent`. */
const ENTRY = /^- `([^`\s]+:\d+:\d+)` (\w+) `(".*")`: (.+)$/

/** The entries of `mutants/equivalent.md` (lines starting with `- \``), by survivor key, with their reasons. */
export function equivalentList(text: string, file = EQUIVALENT_LIST): Map<string, string> {
  const entries = new Map<string, string>()
  const problems: string[] = []
  text.split('\n').forEach((line, index) => {
    if (!line.startsWith('- `')) return
    const match = ENTRY.exec(line)
    if (match === null) { problems.push(`line ${index + 1}: expected - \`file:line:column\` Mutator \`"replacement"\`: reason`); return }
    const key = `${match[1]} ${match[2]} ${match[3]}`
    if (entries.has(key)) problems.push(`line ${index + 1}: ${key} is listed twice`)
    entries.set(key, match[4]!)
  })
  if (problems.length > 0) throw new InputError(file, problems)
  return entries
}

/** The start of Stryker's reason for a mutant it did not test because mutants/equivalent.md lists it ({@link withEquivalentIgnored}). */
export const EQUIVALENT_REASON = 'equivalent, mutants/equivalent.md: '

/**
 * A chunk's incremental file (a Stryker report) in which every mutant of `files`
 * that the equivalent list names (a NOT EQUIVALENT line aside) is Ignored with
 * its listed reason, taken from the committed report: with the command runner's
 * single test and no coverage, Stryker reuses every result of its incremental
 * file, so a listed equivalent mutant is not tested again (it cost the whole
 * oracle and could only survive again) and the score leaves it out. A file the
 * chunk already holds with another source keeps its own results (the committed
 * positions would not fit it); Stryker maps positions across later edits of a
 * file itself.
 */
export function withEquivalentIgnored(committed: MutationReport, listed: ReadonlyMap<string, string>, chunk: MutationReport | null, files: ReadonlyArray<string>): MutationReport {
  const out: MutationReport = chunk === null ? { ...committed, files: {} } : { ...chunk, files: { ...chunk.files } }
  for (const file of files) {
    const entry = committed.files[file]
    if (entry === undefined) continue
    const held = out.files[file]
    if (held !== undefined && held.source !== entry.source) continue
    // Every mutant of a listed key: nested conditions that start at one column make two of one key.
    const ignored: MutantJson[] = []
    const keys = new Set<string>()
    for (const mutant of entry.mutants) {
      const reason = listed.get(survivorKey(file, mutant))
      if (reason === undefined || !shownEquivalent(reason)) continue
      ignored.push({ ...mutant, status: 'Ignored', statusReason: EQUIVALENT_REASON + reason })
      keys.add(survivorKey(file, mutant))
    }
    const kept = (held?.mutants ?? []).filter((mutant) => !keys.has(survivorKey(file, mutant)))
    out.files[file] = { ...entry, mutants: [...kept, ...ignored] }
  }
  return out
}

/** The TypeScript sources of a folder of the repository (`impl`, `refinement`), as the report names them. */
export function sourceFiles(folder: string): string[] {
  const dir = join(ROOT, folder)
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => `${folder}/${f.split('\\').join('/')}`).sort()
}

/** Percent with one decimal, e.g. `96.4 %`. */
export function percent(score: number): string {
  return `${(100 * score).toFixed(1)} %`
}
