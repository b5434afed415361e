#!/usr/bin/env node
// Prints the mutation score per folder and per file of the last `npm run mutate`
// (reports/mutation/mutation.json, or the file named), and how many survivors
// mutants/equivalent.md lists. Needs the build (dist/). Score = killed ÷ (killed +
// survived), timeouts counted as killed (bench/mutation.ts).
import { readFileSync } from 'node:fs'
import { EQUIVALENT_LIST, MUTATION_TARGET, equivalentList, mutationScores, percent, readMutationReport, sourceFiles, survivors } from '../dist/bench/mutation.js'

const report = readMutationReport(process.argv[2])
const { files, folders, all } = mutationScores(report)
const row = (name, s) => `${name.padEnd(34)} ${percent(s.score).padStart(8)} ${String(s.killed).padStart(7)} ${String(s.timeout).padStart(8)} ${String(s.survived).padStart(9)} ${String(s.excluded).padStart(9)}`
console.log(`${'file'.padEnd(34)} ${'score'.padStart(8)} ${'killed'.padStart(7)} ${'timeout'.padStart(8)} ${'survived'.padStart(9)} ${'excluded'.padStart(9)}`)
for (const [file, score] of Object.entries(files)) console.log(row(file, score))
console.log()
for (const [folder, score] of Object.entries(folders)) console.log(row(`${folder}/`, score))
console.log(row('all', all))
// The model's report (node tools/mutation/mutate.mjs --model) is read, not held to a target: its survivors are the states the check's generators do not reach (or mutants with no effect there).
const modelReport = Object.keys(folders).every((folder) => folder === 'model')
const listed = modelReport ? new Map() : equivalentList(readFileSync(EQUIVALENT_LIST, 'utf8'))
const found = survivors(report)
const left = [...found.keys()].filter((key) => !listed.has(key))
if (!modelReport) console.log(`\n${listed.size} survivors listed as equivalent in mutants/equivalent.md; ${left.length} survivors neither killed nor listed${left.length === 0 ? '' : ' (the line, then the mutant):'}`)
else console.log(`\n${left.length} survivors of the model${left.length === 0 ? '' : ' (the line, then the mutant):'}`)
for (const key of left) {
  const mutant = found.get(key)
  const line = report.files[mutant.file].source.split('\n')[mutant.location.start.line - 1].trim()
  console.log(`  ${key}\n      ${line.slice(0, 150)}`)
}
for (const folder of modelReport ? ['model'] : ['impl', 'refinement']) {
  const all = sourceFiles(folder)
  const untested = all.filter((file) => files[file] === undefined)
  const score = folders[folder]?.score ?? 0
  const verdict = modelReport ? '(no target: a measure of the generators\' reach)' : `target ≥ ${percent(MUTATION_TARGET)} over the folder (every file mutated) ${untested.length === 0 && score >= MUTATION_TARGET ? 'met' : 'not met'}`
  console.log(`${folder}/: ${percent(score)} over ${all.length - untested.length} of ${all.length} files; ${verdict}${untested.length === 0 ? '' : ` (not run yet: ${untested.join(', ')})`}`)
}
