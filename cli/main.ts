#!/usr/bin/env node
/**
 * `sila`: the command-line entry point. It takes Ctrl-C first (cli/interrupt.ts),
 * before loading the rest of sila, then runs the command (cli/dispatch.ts, which
 * turns every error into its exit code).
 * @module
 */
import { installInterrupts } from './interrupt.js'

installInterrupts(process.argv[2])
await import('./dispatch.js')
