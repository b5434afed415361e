/**
 * `sila-kernel/spec`: the vocabulary the model and the impl share — identities,
 * rights, errors, limits, image records, syscalls, replies and outcomes, boot
 * configurations and the `sila-trace/1` trace format — each an io-ts codec, with the
 * decoding helpers that turn a refusal into a message naming the file and the JSON
 * path; and the boot presets that `sila explore` searches.
 *
 * ```ts
 * import { BootConfigCodec, CAP_CORE, decodeOrThrow, parseJson } from 'sila-kernel/spec'
 *
 * const text = JSON.stringify(CAP_CORE.boot) // as read from a file
 * const config = decodeOrThrow(BootConfigCodec, parseJson(text, 'boot.json'), 'boot.json')
 * console.log(config.system?.processes?.map((process) => process.name))
 * ```
 * @module sila-kernel/spec
 */
export * from '../spec/index.js'
export type { Preset } from '../spec/presets.js'
export { PRESETS, CAP_CORE, CAP_CORE_3, NESTED, CORE_IMAGE, NESTED_IMAGE, NESTED_OLD_IMAGE } from '../spec/presets.js'
export { exact } from '../spec/exact.js'
