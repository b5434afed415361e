/**
 * The committed report of the last StrykerJS run (`npm run mutate`): it decodes,
 * its files are the sources as they are now, every survivor is listed as
 * equivalent in mutants/equivalent.md and every line there is a survivor (so the
 * list cannot rot), and the score meets the target. Stryker is not run here.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  EQUIVALENT_LIST, EQUIVALENT_REASON, MUTATION_REPORT, MUTATION_TARGET, equivalentList, ignoredAsEquivalent, mutationScores, readMutationReport, shownEquivalent, sourceFiles, survivorKey, survivors, withEquivalentIgnored,
  type MutationReport,
} from '../../bench/mutation.js'
import { benchB10 } from '../../bench/run.js'
import { InputError } from '../../spec/decode.js'
import { ROOT } from '../cli/run.js'

const report = readMutationReport()

test('the committed mutation.json is a Stryker report of files of impl/ and refinement/, each as it is now', () => {
  assert.match(report.schemaVersion, /^\d/)
  const files = Object.keys(report.files).sort()
  const sources = [...sourceFiles('impl'), ...sourceFiles('refinement')]
  assert.ok(files.length > 0)
  for (const file of files) assert.ok(sources.includes(file), `${file} is not a source of impl/ or refinement/`)
  for (const [file, entry] of Object.entries(report.files)) {
    assert.is(entry.source, readFileSync(join(ROOT, file), 'utf8'), `${file} changed since the last npm run mutate: run it again`)
    assert.ok(entry.mutants.every((m) => m.status !== 'Pending'), file)
  }
})

test('every survivor is listed in mutants/equivalent.md, and every line there is a survivor or a mutant skipped as equivalent with that reason', () => {
  const listed = equivalentList(readFileSync(EQUIVALENT_LIST, 'utf8'))
  const found = survivors(report)
  const skipped = ignoredAsEquivalent(report)
  const unlisted = [...found.keys()].filter((key) => !listed.has(key))
  const stale = [...listed.keys()].filter((key) => !found.has(key) && !skipped.has(key))
  assert.equal(unlisted, [], 'survivors neither killed nor listed as equivalent')
  assert.equal(stale, [], 'lines of mutants/equivalent.md that name no survivor and no skipped mutant')
  for (const [key, reason] of listed) assert.ok(reason.trim().length >= 10, `${key}: give the reason it is equivalent`)
  for (const [key, mutant] of skipped) {
    const reason = listed.get(key)
    assert.ok(reason !== undefined && shownEquivalent(reason), `${key} was skipped as equivalent but is not listed as such`)
    assert.ok(mutant.statusReason!.includes(reason), `${key}: skipped with another reason than its line's`)
  }
})

test('the mutation score, the survivors shown equivalent left out, meets the target on the files of impl/ and refinement/ the report covers', () => {
  // The mutation score over the mutants that are not equivalent (killed ÷ (mutants − equivalent)):
  // Stryker's score counts an equivalent mutant as a survivor. A line marked NOT EQUIVALENT stays a survivor.
  const listed = equivalentList(readFileSync(EQUIVALENT_LIST, 'utf8'))
  const equivalent = [...survivors(report).entries()].filter(([key]) => listed.has(key) && shownEquivalent(listed.get(key)!))
  const { folders } = mutationScores(report)
  for (const folder of ['impl', 'refinement']) {
    const score = folders[folder]
    if (score === undefined) continue
    assert.ok(score.killed + score.timeout > 0, folder)
    const left = equivalent.filter(([, mutant]) => mutant.file.startsWith(`${folder}/`)).length
    const killed = score.killed + score.timeout
    const withoutEquivalent = killed / (killed + score.survived - left)
    assert.ok(withoutEquivalent >= MUTATION_TARGET, `${folder}/: ${(100 * withoutEquivalent).toFixed(1)} % of the mutants that are not equivalent`)
  }
})

test('scores: killed and timeouts over killed and survived, per file and per folder; the rest is excluded', () => {
  const mutant = (id: string, status: string, line = 1) => ({ id, mutatorName: 'ConditionalExpression', replacement: 'true', status, location: { start: { line, column: 5 }, end: { line, column: 9 } } })
  const made = {
    schemaVersion: '2', files: {
      'impl/a.ts': { language: 'typescript', source: '', mutants: [mutant('1', 'Killed'), mutant('2', 'Timeout'), mutant('3', 'Survived', 7), mutant('4', 'CompileError'), mutant('5', 'Ignored')] },
      'impl/b.ts': { language: 'typescript', source: '', mutants: [mutant('6', 'Killed')] },
      'refinement/c.ts': { language: 'typescript', source: '', mutants: [] },
    },
  } as MutationReport
  const scores = mutationScores(made)
  assert.equal(scores.files['impl/a.ts'], { killed: 1, timeout: 1, survived: 1, excluded: 2, score: 2 / 3 })
  assert.is(scores.folders['impl']!.score, 3 / 4)
  assert.is(scores.folders['refinement']!.score, 1)
  assert.equal([...survivors(made).keys()], ['impl/a.ts:7:5 ConditionalExpression "true"'])
  assert.is(survivorKey('impl/a.ts', made.files['impl/a.ts']!.mutants[2]!), 'impl/a.ts:7:5 ConditionalExpression "true"')
})

test('a chunk is seeded with the listed equivalent mutants as Ignored, with their reasons; NOT EQUIVALENT lines and other mutants are tested', () => {
  const at = (line: number, mutatorName: string, status: string) => ({ id: `${line}${mutatorName}`, mutatorName, replacement: 'x', status, location: { start: { line, column: 5 }, end: { line, column: 9 } } })
  const committed = {
    schemaVersion: '2', files: {
      // Two mutants of one key at line 5 (nested conditions starting at one column): both are ignored.
      'impl/a.ts': { language: 'typescript', source: 'A', mutants: [at(3, 'EqualityOperator', 'Survived'), at(3, 'ConditionalExpression', 'Killed'), at(4, 'BooleanLiteral', 'Survived'), at(5, 'BlockStatement', 'Ignored'), at(5, 'BlockStatement', 'Survived')] },
      'impl/b.ts': { language: 'typescript', source: 'B', mutants: [at(1, 'BooleanLiteral', 'Survived')] },
    },
  } as MutationReport
  const listed = new Map([
    ['impl/a.ts:3:5 EqualityOperator "x"', 'never equal'], ['impl/a.ts:4:5 BooleanLiteral "x"', 'NOT EQUIVALENT, not reached'],
    ['impl/a.ts:5:5 BlockStatement "x"', 'the block is dead'], ['impl/b.ts:1:5 BooleanLiteral "x"', 'unreachable'],
  ])
  const fresh = withEquivalentIgnored(committed, listed, null, ['impl/a.ts'])
  assert.equal(Object.keys(fresh.files), ['impl/a.ts'])
  assert.equal(fresh.files['impl/a.ts']!.mutants.map((m) => [m.mutatorName, m.status, m.statusReason]), [
    ['EqualityOperator', 'Ignored', `${EQUIVALENT_REASON}never equal`], ['BlockStatement', 'Ignored', `${EQUIVALENT_REASON}the block is dead`],
    ['BlockStatement', 'Ignored', `${EQUIVALENT_REASON}the block is dead`],
  ])
  // A chunk that ran before keeps its other results; one whose file has another source keeps that file as it is.
  const ran = { schemaVersion: '2', files: { 'impl/a.ts': { ...committed.files['impl/a.ts']! }, 'impl/b.ts': { language: 'typescript', source: 'B edited', mutants: [at(1, 'BooleanLiteral', 'Survived')] } } } as MutationReport
  const seeded = withEquivalentIgnored(committed, listed, ran, ['impl/a.ts', 'impl/b.ts'])
  assert.equal(seeded.files['impl/a.ts']!.mutants.map((m) => m.status), ['Killed', 'Survived', 'Ignored', 'Ignored', 'Ignored'])
  assert.equal(seeded.files['impl/b.ts'], ran.files['impl/b.ts'])
  assert.equal(ran.files['impl/a.ts']!.mutants.map((m) => m.status), ['Survived', 'Killed', 'Survived', 'Ignored', 'Survived'], 'the chunk read is not changed')
})

test('the equivalent list refuses a malformed line and a line given twice, naming the line', () => {
  const good = '- `impl/a.ts:7:5` ConditionalExpression `"true"`: the branch is dead code'
  assert.equal([...equivalentList(`# title\n\n${good}\n`).keys()], ['impl/a.ts:7:5 ConditionalExpression "true"'])
  for (const [text, problem] of [[`${good}\n- \`impl/a.ts:7\` Mutator \`"x"\`: no column`, /line 2: expected/], [`${good}\n${good}`, /line 2: .* listed twice/]] as const) {
    try {
      equivalentList(text, 'mutants/equivalent.md')
      assert.unreachable('accepted')
    } catch (error) {
      assert.instance(error, InputError)
      assert.match((error as InputError).problems.join('\n'), problem)
    }
  }
})

test('B10 reads the report (it does not run Stryker) and reports each folder against ≥ 95 %', () => {
  const rows = benchB10()
  assert.equal(rows.map((row) => row.id), ['B10', 'B10'])
  const { folders } = mutationScores(report)
  rows.forEach((row, index) => {
    const folder = ['impl', 'refinement'][index]!
    assert.ok(row.what.includes(`${folder}/`), row.what)
    const score = folders[folder]
    if (score === undefined) { assert.is(row.met, false); return }
    const all = sourceFiles(folder)
    const tested = all.filter((file) => report.files[file] !== undefined).length
    assert.ok(row.what.includes(`${tested} of ${all.length} files`), row.what)
    assert.is(row.measured, `${(100 * score.score).toFixed(1)} %`)
    // Met only when every file of the folder was mutated and the score is reached.
    assert.is(row.met, tested === all.length && score.score >= MUTATION_TARGET)
  })
  assert.ok(MUTATION_REPORT.endsWith(join('reports', 'mutation', 'mutation.json')))
})

test.run()
