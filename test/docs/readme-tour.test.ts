/**
 * The README's tour, run as written: every command of the blocks between
 * `<!-- tour:begin -->` and `<!-- tour:end -->`, in order, in a clean copy of the
 * repository (the files git knows of, the installed dependencies linked in, built
 * with `tsc` as `npm ci`'s `prepare` does), each with the exit code its comment
 * states (`exit N`; 0 otherwise). A few outputs are checked for what the README
 * says they show.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ROOT } from '../cli/run.js'

/** One command of the tour and the exit code its comment promises. */
export interface TourCommand {
  readonly line: string
  readonly exit: number
}

/** The tour's commands, block by block, from the README's text. */
export function tourCommands(readme: string): TourCommand[] {
  const commands: TourCommand[] = []
  for (const [, block] of readme.matchAll(/<!-- tour:begin -->\n```sh\n([\s\S]*?)```\n<!-- tour:end -->/g)) {
    for (const line of block!.split('\n')) {
      if (line.trim() === '') continue
      const comment = line.indexOf(' # ')
      const exit = comment < 0 ? null : /\bexit (\d+)\b/.exec(line.slice(comment))
      commands.push({ line: (comment < 0 ? line : line.slice(0, comment)).trim(), exit: exit === null ? 0 : Number(exit[1]) })
    }
  }
  return commands
}

/** The files of the repository a clone would have: tracked, plus new ones git does not ignore. */
function repositoryFiles(): string[] {
  const listed = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`)
  return listed.stdout.split('\0').filter((file) => file !== '' && existsSync(join(ROOT, file)))
}

/** A clean copy of the repository in a fresh directory, built. */
function cleanCopy(): string {
  const copy = mkdtempSync(join(tmpdir(), 'sila-tour-'))
  for (const file of repositoryFiles()) {
    mkdirSync(dirname(join(copy, file)), { recursive: true })
    cpSync(join(ROOT, file), join(copy, file))
  }
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir')
  const built = spawnSync('npx', ['tsc', '-p', '.'], { cwd: copy, encoding: 'utf8' })
  if (built.status !== 0) throw new Error(`tsc failed in the copy: ${built.stdout}${built.stderr}`)
  return copy
}

test('the tour is found in the README: two blocks, commands with their exit codes', () => {
  const commands = tourCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'))
  assert.ok(commands.length >= 20, `${commands.length} commands`)
  assert.ok(commands.some((command) => command.exit === 1))
  assert.ok(commands.every((command) => /^(npx sila|node examples\/)/.test(command.line)), 'every command runs sila or an example')
})

/** What some outputs must show, by a fragment of their command. */
const SHOWS: ReadonlyArray<readonly [string, RegExp]> = [
  ['check --report', /All suites passed in/],
  ['--mutant copy-amplifies-rights --counterexamples', /replay it: npx sila replay tour\/cex\/\S+ --mutant copy-amplifies-rights/],
  ['--preset cap-core', /No invariant violated: the search was exhaustive\./],
  ['update-demo', /UPD-1 held\./],
  ["counter '^2' --compromised", /SignatureInvalid/],
]

test('the tour runs as written in a clean copy of the repository', () => {
  const commands = tourCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'))
  const copy = cleanCopy()
  const timings: string[] = []
  const outputs: string[] = []
  try {
    for (const command of commands) {
      const started = Date.now()
      const run = spawnSync('bash', ['-c', command.line], { cwd: copy, encoding: 'utf8', env: { ...process.env, SILA_DEBUG: '' }, timeout: 15 * 60_000, maxBuffer: 64 << 20 })
      timings.push(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${command.line.slice(0, 100)}`)
      assert.is(run.status, command.exit, `${command.line}\nexit ${run.status}, expected ${command.exit}\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-2000)}`)
      outputs.push(run.stdout)
      for (const [fragment, shows] of SHOWS) if (command.line.includes(fragment)) assert.match(run.stdout, shows, command.line)
    }
    const last = outputs[outputs.length - 1]!
    assert.match(last, /abandoned \(V2 refused at spawn\)/)
    assert.match(last, /V1 \(counter-v1\) serves/)
    assert.ok(existsSync(join(copy, 'tour', 'report', 'index.html')))
    assert.ok(existsSync(join(copy, 'tour', 'graph.svg')))
    process.stdout.write(`\n  the README tour, ${commands.length} commands:\n${timings.map((line) => `  ${line}`).join('\n')}\n`)
  } finally {
    rmSync(copy, { recursive: true, force: true })
  }
})

test.run()
