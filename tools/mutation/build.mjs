// Stryker's build command (tools/mutation/stryker.config.json), run in the
// sandbox (no shell there, so one script): the project's own tsc (TypeScript 7,
// from the repository root: the sandbox gets its node_modules only after the
// build), then the coverage counters replaced. Every instrumented file of dist/
// defines `stryCov_9fa48`, which counts each mutant's coverage on every call, even
// with coverageAnalysis "off". Those counts are never read, and in the kernel's
// hot paths they cost most of the run time. What the runner needs instead is which
// mutants run while the modules load (static mutants: a table built at the top of
// a module), since its worker loads the modules once with no mutant active
// (tools/mutation/sila-runner.mjs): the new function records the ids it is called
// with while the worker sets `__stryker__.silaLoading`, and otherwise (and after
// loading) replaces itself with an empty function at its first call. Mutant
// switching (`stryMutAct_9fa48`) is untouched.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url))
const built = spawnSync(process.execPath, [TSC, '-p', '.'], { stdio: 'inherit' })
if (built.status !== 0) process.exit(built.status ?? 1)

const COVER = /function stryCov_9fa48\(\) \{[\s\S]*?\n    cover\.apply\(null, arguments\);\n\}/
const STATIC_RECORDER = `function stryCov_9fa48() {
  var ns = stryNS_9fa48();
  if (ns.silaLoading !== true) { stryCov_9fa48 = function () {}; return; }
  for (var i = 0; i < arguments.length; i++) ns.silaStatic[arguments[i]] = true;
}`
let files = 0
for (const tree of ['impl', 'refinement', 'model']) {
  for (const entry of readdirSync(join('dist', tree), { recursive: true })) {
    const file = join('dist', tree, String(entry))
    if (!file.endsWith('.js')) continue
    const text = readFileSync(file, 'utf8')
    if (!text.includes('function stryCov_9fa48()')) continue
    if (!COVER.test(text)) throw new Error(`${file}: Stryker's coverage function has an unexpected shape`)
    writeFileSync(file, text.replace(COVER, STATIC_RECORDER))
    files++
  }
}
process.stdout.write(`build: replaced stryCov_9fa48 (static mutants recorded while loading) in ${files} instrumented file(s)\n`)
