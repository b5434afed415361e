/**
 * Declared systems for the differential tests (general.test.ts and the other
 * checker tests): the generated shapes of properties/systems.ts, as presets
 * searched either with the `nested` preset's alphabet ({@link generatedPreset})
 * or as `explore --boot` searches a declared system
 * ({@link generatedDeclaredPreset}, on the "rich" shapes of {@link richSystemArb},
 * which reach every kind of that alphabet).
 */
import fc from 'fast-check'
import type { Preset } from '../../spec/presets.js'
import type { BootConfig } from '../../spec/boot.js'
import { declaredPreset } from '../../cli/boot-file.js'
import { withForgedImages } from '../../checker/explore/forged-images.js'
import { IMAGES, type SystemShape, bootConfigOf, richSystemArb } from '../../properties/systems.js'

export { IMAGES, type SystemShape, bootConfigOf, richSystemArb, systemArb } from '../../properties/systems.js'

/** A generated configuration as a preset the engines explore: its declared processes act (creation indexes 1..n), over the images of {@link IMAGES}. */
export function generatedPreset(config: BootConfig, label: string): Preset {
  const processes = config.system?.processes?.length ?? 0
  return { name: 'nested', description: label, boot: config, images: IMAGES, actors: Array.from({ length: processes }, (_, index) => index + 1) }
}

/**
 * A generated configuration as `sila explore --boot` takes a declared system
 * (cli/boot-file.ts `declaredPreset`): the alphabet of declared systems
 * (checker/explore/actions.ts `declaredActions`: copies, sends, receives, maps,
 * kills, spawns of the pool, services, ports and mount paths through the
 * namespace tables two actors share), the first
 * spawned process acting too when a process holds a container, and a pool of the
 * processes' images and the shape's extra ones, with the images `explore --boot`
 * forges beside them (checker/explore/forged-images.ts).
 */
export function generatedDeclaredPreset(config: BootConfig, shape: SystemShape, label: string): Preset {
  const digests = new Set([...(config.system?.processes ?? []).map((process) => process.image), ...shape.pool])
  return withForgedImages(declaredPreset('generated', label, config, IMAGES.filter((image) => digests.has(image.digest))))
}

/**
 * A property over the rich shapes ({@link richSystemArb}) that boot, each as
 * `explore --boot` searches it ({@link generatedDeclaredPreset}, described as
 * `generated declared system N`, N counting those booted before): `body` runs
 * on each, and the count of those booted is returned.
 */
export function eachDeclaredSystem(runs: number, seed: number, body: (preset: Preset, config: BootConfig) => void): number {
  let systems = 0
  fc.assert(fc.property(richSystemArb, (shape) => {
    const config = bootConfigOf(shape)
    if (typeof config === 'string') return
    body(generatedDeclaredPreset(config, shape, `generated declared system ${systems}`), config)
    systems++
  }), { numRuns: runs, seed })
  return systems
}
