/**
 * `sila repo`: manages a module repository (pipeline.md §2). Planned.
 * @module
 */
import { plannedCommand } from '../command.js'

/** @public */
export const repoCommand = plannedCommand('repo', 'add images to a module repository and resolve versions', `Usage: sila repo add|list|resolve ...

A directory of images indexed by module name and version; resolution takes a
semver constraint and refuses rollback, unsigned and oversized packages.`)
