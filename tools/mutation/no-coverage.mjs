// Part of Stryker's build command (tools/mutation/stryker.config.json), run in
// the sandbox after tsc: every instrumented file of dist/ defines
// `stryCov_9fa48`, which counts each mutant's coverage on every call, even with
// coverageAnalysis "off" (the command runner's only choice). Those counts are
// never read, and in the kernel's hot paths they cost most of the run time, so
// the function is made empty. Mutant switching (`stryMutAct_9fa48`) is untouched.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const COVER = /function stryCov_9fa48\(\) \{[\s\S]*?\n    cover\.apply\(null, arguments\);\n\}/
let files = 0
for (const tree of ['impl', 'refinement', 'model']) {
  for (const entry of readdirSync(join('dist', tree), { recursive: true })) {
    const file = join('dist', tree, String(entry))
    if (!file.endsWith('.js')) continue
    const text = readFileSync(file, 'utf8')
    if (!text.includes('function stryCov_9fa48()')) continue
    if (!COVER.test(text)) throw new Error(`${file}: Stryker's coverage function has an unexpected shape`)
    writeFileSync(file, text.replace(COVER, 'function stryCov_9fa48() {}'))
    files++
  }
}
process.stdout.write(`no-coverage: emptied stryCov_9fa48 in ${files} instrumented file(s)\n`)
