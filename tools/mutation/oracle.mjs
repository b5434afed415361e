// The command Stryker's command runner runs for each mutant, in its sandbox: the
// check, `sila check --fail-fast --runs 50 --seed 42`, and the comparison tests
// (uvu: test/refinement/*, test/impl/abstraction, test/checker/refine). A mutant
// is killed when either fails. Both run on a survivor, so the order changes only
// the time: a mutant of refinement/ mostly weakens the comparison, which the
// tests catch in a few seconds and the check (on a correct impl) never, so for
// those the tests go first; for a mutant of the impl or of the abstraction, the
// check first.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const UVU = fileURLToPath(new URL('../../node_modules/uvu/bin.js', import.meta.url))
const CHECK = ['dist/cli/main.js', 'check', '--fail-fast', '--runs', '50', '--seed', '42']
const TESTS = [UVU, 'dist/test', '(refinement/\\w+|impl/abstraction|checker/refine)\\.test\\.js$', '--bail']

/**
 * Whether the active mutant (Stryker's environment variable) lives in refinement/'s
 * comparison (abstraction.js aside: a wrong abstraction diverges at boot, which the
 * check finds at once).
 */
function inRefinement() {
  const id = process.env.__STRYKER_ACTIVE_MUTANT__
  if (id === undefined) return false
  const marker = `stryMutAct_9fa48("${id}")`
  return readdirSync('dist/refinement').some((file) => file.endsWith('.js') && file !== 'abstraction.js' && readFileSync(join('dist/refinement', file), 'utf8').includes(marker))
}

const stages = inRefinement() ? [TESTS, CHECK] : [CHECK, TESTS]
for (const stage of stages) {
  const run = spawnSync(process.execPath, stage, { stdio: 'inherit' })
  if (run.status !== 0) process.exit(run.status ?? 1)
}
