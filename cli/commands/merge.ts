/**
 * `sila merge`: combines the JSON results of sharded or swarm jobs (tooling.md §7). Planned.
 * @module
 */
import { plannedCommand } from '../command.js'

/** @public */
export const mergeCommand = plannedCommand('merge', 'combine the JSON results of sharded check and swarm explore jobs', `Usage: sila merge RESULT.json... [--json]

Combines the results written by 'sila check --shard I/N' and
'sila explore --swarm I/N' jobs into one summary.`)
