/**
 * `sila image`: builds, signs and inspects OCI image layouts (pipeline.md §1). Planned.
 * @module
 */
import { plannedCommand } from '../command.js'

/** @public */
export const imageCommand = plannedCommand('image', 'build, sign, verify and inspect SILA container images', `Usage: sila image build|sign|verify|inspect ...

Works on SILA container images: OCI image layout directories with a manifest,
compressed module layers and an ML-DSA signature.`)
