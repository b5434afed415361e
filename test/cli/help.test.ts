/**
 * Every command's and subcommand's `--help` shows the defaults of its options —
 * the values the code uses, read here from the same constants — and an "Exit
 * codes:" section whose codes are those of `EXIT`.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { COMMANDS, findCommand } from '../../cli/commands/index.js'
import { WORKERS_DEFAULT_MAX } from '../../cli/command.js'
import { EXIT } from '../../cli/output.js'
import { CHECK_DEFAULTS } from '../../cli/commands/check-run.js'
import { EXPLORE_DEFAULTS } from '../../cli/commands/explore.js'
import { FORMAT_DEFAULT } from '../../cli/commands/audit.js'
import { COMPRESSION_DEFAULT } from '../../cli/commands/image.js'
import { UPDATE_DEMO_DEFAULTS } from '../../cli/commands/update-demo.js'
import { MUTANTS_DEFAULTS } from '../../checker/mutants.js'
import { DEFAULT_ALGORITHM } from '../../pipeline/image/keys.js'
import { LAYER_BYTES_MAX_DEFAULT } from '../../pipeline/image/layout.js'
import { MODULES_LIMITS } from '../../pipeline/protocol/system.js'
import { sila } from './run.js'

/** The subcommands of the commands that have them. */
const SUBCOMMANDS: Readonly<Record<string, ReadonlyArray<string>>> = {
  image: ['keygen', 'build', 'sign', 'verify', 'inspect'], repo: ['add', 'list', 'resolve', 'floor'], pipeline: ['load'],
}

/** Every help text: each command's, and each subcommand's. */
const HELPS: ReadonlyArray<readonly string[]> = COMMANDS.flatMap((command) => [[command.name], ...(SUBCOMMANDS[command.name] ?? []).map((sub) => [command.name, sub])])

/** What `sila <words> --help` prints, run in process. */
async function help(words: ReadonlyArray<string>): Promise<string> {
  const write = process.stdout.write
  let text = ''
  process.stdout.write = ((chunk: string | Uint8Array) => { text += String(chunk); return true }) as typeof process.stdout.write
  try {
    assert.is(await findCommand(words[0]!)!.run([...words.slice(1), '--help']), EXIT.ok)
  } finally {
    process.stdout.write = write
  }
  return text
}

/** The lines of an option, from `  --flag` to the next option or blank line. */
function optionText(text: string, flag: string): string {
  const lines = text.split('\n')
  const start = lines.findIndex((line) => new RegExp(`^  ${flag}( |$)`).test(line))
  assert.ok(start >= 0, `${flag} is documented`)
  const end = lines.findIndex((line, index) => index > start && (/^  -/.test(line) || line === ''))
  return lines.slice(start, end).join(' ').replace(/\s+/g, ' ')
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

test('every command with subcommands is known here', () => {
  for (const command of COMMANDS) {
    const usage = command.usage
    if (/^Usage: sila \S+ [a-z-]+\|/.test(usage) || /Run 'sila \S+ SUBCOMMAND --help'|Run 'sila \S+ load --help'/.test(usage)) assert.ok(SUBCOMMANDS[command.name] !== undefined, command.name)
  }
})

test('every --help ends with an "Exit codes:" section listing EXIT\'s codes, 0, 2 and 70 always', async () => {
  const codes = new Set<number>(Object.values(EXIT))
  for (const words of HELPS) {
    const text = await help(words)
    const section = /\nExit codes:\n((?: {2}.*\n?)+)$/.exec(text)?.[1]
    assert.ok(section !== undefined, `sila ${words.join(' ')} --help has an Exit codes: section at its end`)
    const listed = [...section.matchAll(/^ {2}(\d+) +\S/gm)].map((match) => Number(match[1]))
    for (const code of listed) assert.ok(codes.has(code), `sila ${words.join(' ')}: ${code} is an exit code of EXIT`)
    for (const code of [EXIT.ok, EXIT.usage, EXIT.internal]) assert.ok(listed.includes(code), `sila ${words.join(' ')} --help lists exit ${code}`)
    assert.equal(listed, [...listed].sort((a, b) => a - b), 'in order')
  }
  for (const name of ['check', 'explore', 'mutants']) assert.ok((await help([name])).includes(`\n  ${EXIT.interrupted}  `), `${name} lists ${EXIT.interrupted} (Ctrl-C)`)
  assert.match(sila('--help').stdout, new RegExp(`\\nExit codes:\\n  0 .*\\n  1 .*\\n  2 .*\\n  70 .*\\n  130 `))
})

test('every option with a default shows it, from the constant the code uses', async () => {
  const defaults: Array<[string[], string, string | number]> = [
    [['check'], '--runs', CHECK_DEFAULTS.runs], [['check'], '--max-steps', CHECK_DEFAULTS.maxSteps],
    [['check'], '--counterexamples', CHECK_DEFAULTS.counterexamples], [['check'], '--workers', WORKERS_DEFAULT_MAX],
    [['explore'], '--preset', EXPLORE_DEFAULTS.preset], [['explore'], '--seed', EXPLORE_DEFAULTS.seed], [['explore'], '--engine', EXPLORE_DEFAULTS.engine],
    [['explore'], '--workers', EXPLORE_DEFAULTS.workers], [['explore'], '--counterexample', EXPLORE_DEFAULTS.counterexample],
    [['mutants'], '--runs', MUTANTS_DEFAULTS.runs], [['mutants'], '--seed', MUTANTS_DEFAULTS.seed], [['mutants'], '--workers', WORKERS_DEFAULT_MAX],
    [['audit'], '--format', FORMAT_DEFAULT],
    [['image', 'keygen'], '--algorithm', DEFAULT_ALGORITHM], [['image', 'build'], '--compression', COMPRESSION_DEFAULT],
    ...(['build', 'sign', 'verify', 'inspect'].map((sub): [string[], string, number] => [['image', sub], '--layer-bytes-max', LAYER_BYTES_MAX_DEFAULT])),
    [['repo', 'add'], '--layer-bytes-max', LAYER_BYTES_MAX_DEFAULT], [['repo', 'resolve'], '--layer-bytes-max', LAYER_BYTES_MAX_DEFAULT],
    [['pipeline', 'load'], '--layer-bytes-max', LAYER_BYTES_MAX_DEFAULT], [['pipeline', 'load'], '--modules-memory', MODULES_LIMITS.memoryBytes],
    [['update-demo'], '--seed', UPDATE_DEMO_DEFAULTS.seed], [['update-demo'], '--clients', UPDATE_DEMO_DEFAULTS.clients],
    [['update-demo'], '--protocol', UPDATE_DEMO_DEFAULTS.protocol], [['update-demo'], '--from', UPDATE_DEMO_DEFAULTS.from], [['update-demo'], '--to', UPDATE_DEMO_DEFAULTS.to],
  ]
  for (const [words, flag, value] of defaults) {
    const option = optionText(await help(words), flag)
    assert.match(option, new RegExp(`default '?${escape(String(value))}'?\\b|default '?${escape(String(value))}'?(\\)|;|$)`), `sila ${words.join(' ')} ${flag}: ${option}`)
  }
  // Options with no value to default to say what happens without them.
  for (const [words, flag] of [[['check'], '--seed'], [['check'], '--time-limit'], [['explore'], '--depth'], [['explore'], '--states'], [['audit'], '--at']] as const) {
    assert.match(optionText(await help(words), flag), /default: /, `sila ${words.join(' ')} ${flag}`)
  }
})

test.run()
