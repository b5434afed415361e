/**
 * `sila audit`: audits a state snapshot, a trace or an image (tooling.md §5). Planned.
 * @module
 */
import { plannedCommand } from '../command.js'

/** @public */
export const auditCommand = plannedCommand('audit', 'audit a state, trace or image against the invariant catalogue and policy', `Usage: sila audit STATE|TRACE|IMAGE-DIR [--format text|json|sarif] [--policy FILE]

For a state or trace: every invariant with pass/fail and witness, and the authority
graph (Graphviz DOT, SVG). For an image: signature, keyring, rollback floor,
manifest requests against a policy, layer digests and bounds.`)
