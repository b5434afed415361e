/**
 * `sila bench`: the performance benchmarks (tooling.md §8). Planned.
 * @module
 */
import { plannedCommand } from '../command.js'

/** @public */
export const benchCommand = plannedCommand('bench', 'measure the benchmarks B1-B8 and print their table', `Usage: sila bench [ID...]

Runs the benchmarks (impl throughput, scaling, revoke, lockstep checking, explore,
check, mutants, spawn) and prints a table with the machine it ran on.`)
