/**
 * `sila mutants`: runs the suites and the checker against seeded kernel bugs (tooling.md §6). Planned.
 * @module
 */
import { plannedCommand } from '../command.js'

/** @public */
export const mutantsCommand = plannedCommand('mutants', 'run the suites against seeded kernel bugs and print the kill matrix', `Usage: sila mutants [MUTANT...] [options]

Runs the property suites and the model checker against each seeded bug of the
impl and prints which mutant was killed by what, how fast, and how short the
shrunk counterexample was.`)
