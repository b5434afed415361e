/**
 * Every `sila` command, in the order `sila --help` lists them.
 * @module
 */
import type { Command } from '../command.js'
import { checkCommand } from './check.js'
import { replayCommand } from './replay.js'
import { exploreCommand } from './explore.js'
import { exportCommand } from './export.js'
import { mergeCommand } from './merge.js'
import { auditCommand } from './audit.js'
import { mutantsCommand } from './mutants.js'
import { imageCommand } from './image.js'
import { repoCommand } from './repo.js'
import { benchCommand } from './bench.js'
import { pipelineCommand } from './pipeline.js'
import { updateDemoCommand } from './update-demo.js'

/** @public */
export const COMMANDS: ReadonlyArray<Command> = [
  checkCommand, replayCommand, exploreCommand, exportCommand, mergeCommand,
  auditCommand, mutantsCommand, imageCommand, repoCommand, pipelineCommand, benchCommand,
  updateDemoCommand,
]

/** The command called `name`, if there is one. */
export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name)
}
