/**
 * `sila-kernel/properties`: your own properties of your own system, checked by
 * `sila check --props FILE`, `sila explore --props FILE` and
 * `sila audit STATE --props FILE`. A property is a name, a sentence, and a test of
 * one model state ({@link defineProperty}); a `sila-props/1` JSON file
 * ({@link PropsFileCodec}) states the common kinds by the names of the declared
 * system ({@link resolveProps} against {@link bootNamed}).
 *
 * ```ts
 * import { bootNamed, defineProperty, resolveProps } from 'sila-kernel/properties'
 * import { CAP_CORE } from 'sila-kernel/spec'
 *
 * const system = bootNamed(CAP_CORE.boot, CAP_CORE.images)
 * const [fromJson] = resolveProps({
 *   format: 'sila-props/1',
 *   properties: [{ name: 'init-runs', says: 'init is always running', kind: 'bound', measure: 'running', container: 'root', max: 5 }],
 * }, 'inline', system)
 * const inCode = defineProperty('some-cap', (state) => (state.ksCaps.size === 0 ? 'no cap is left' : null), { says: 'some cap always exists' })
 * for (const property of [fromJson!, inCode]) console.log(property.name, property.test(system.state) ?? 'holds at boot')
 * ```
 * @module sila-kernel/properties
 */
export { CheckAnswerError, defineProperty } from '../properties/user/define.js'
export type { UserProperty, CheckAnswer, DefineOptions } from '../properties/user/define.js'
export type { Witness } from '../properties/user/evaluate.js'
export { resolveProps } from '../properties/user/resolve.js'
export type { SystemNames } from '../properties/user/resolve.js'
export { PropsFileCodec, PROPS_FORMAT } from '../spec/props.js'
export type { PropsFile, PropertyDecl, PropertyKind } from '../spec/props.js'
export { bootNamed } from '../model/boot.js'
