/**
 * `sila` once its entry point (cli/main.ts) has taken Ctrl-C: dispatches to a
 * command of `cli/commands/`, and owns the one place that turns an error into an exit code:
 * a refused input ({@link InputError}, {@link UsageError}) is a message and exit 2,
 * anything else is a bug in sila, exit 70, with a stack only under `SILA_DEBUG=1`.
 * @module
 */
import { readFileSync } from 'node:fs'
import { InputError } from '../spec/decode.js'
import { COMMANDS, findCommand } from './commands/index.js'
import { EXIT, exitCodesHelp, renderTable, say, UsageError, warn } from './output.js'

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }
  return manifest.version ?? 'unknown'
}

function help(): string {
  const lines = renderTable(
    [{ header: 'command' }, { header: 'what it does' }],
    COMMANDS.map((command) => [command.name, `${command.summary}${command.planned ? ' (planned)' : ''}`]),
  ).split('\n').slice(2).map((line) => `  ${line}`)
  return [
    'sila: property suites, model checking, replay and audit for the SILA capability kernel',
    '',
    'Usage: sila <command> [options]',
    '       sila <command> --help',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  -h, --help     show this help',
    '  -v, --version  print the version',
    '',
    exitCodesHelp({ ok: 'everything held', failed: 'a failure was found', interrupted: 'interrupted (Ctrl-C): what was found so far was reported' }),
  ].join('\n')
}

async function dispatch(argv: ReadonlyArray<string>): Promise<number> {
  const [first, ...rest] = argv
  if (first === undefined) {
    warn(help())
    return EXIT.usage
  }
  if (first === '-h' || first === '--help') {
    say(help())
    return EXIT.ok
  }
  if (first === '-v' || first === '--version') {
    say(version())
    return EXIT.ok
  }
  if (first === 'help') {
    const topic = rest[0]
    if (topic === undefined) {
      say(help())
      return EXIT.ok
    }
    const command = findCommand(topic)
    if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(topic)}`)
    say(command.usage)
    return EXIT.ok
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option ${JSON.stringify(first)}; the command comes first`)
  const command = findCommand(first)
  if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(first)}`)
  return command.run(rest)
}

/** Maps an error to its message and exit code. */
function report(error: unknown): number {
  if (error instanceof UsageError) {
    const prefix = error.command === undefined ? 'sila' : `sila ${error.command}`
    warn(`${prefix}: ${error.message}`)
    warn(`Run '${prefix} --help' for usage.`)
    return EXIT.usage
  }
  if (error instanceof InputError) {
    warn(`sila: ${error.file}: ${error.problems.join('\n  ')}`)
    return EXIT.usage
  }
  const message = error instanceof Error ? error.message : String(error)
  warn(`sila: internal error: ${message}`)
  if (process.env.SILA_DEBUG === '1' && error instanceof Error && error.stack !== undefined) warn(error.stack)
  return EXIT.internal
}

// A closed pipe (`sila replay … | head`) is not an error of sila's.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok)
  throw error
})

try {
  process.exitCode = await dispatch(process.argv.slice(2))
} catch (error) {
  process.exitCode = report(error)
}
