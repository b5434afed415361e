#!/usr/bin/env node
// A wider differential run than the tests' (test/checker/general.test.ts): the
// general engine against the model engine, level by level (distinct states and
// transitions after each depth) and by first violation and its length, on
// generated declared systems (test/checker/systems.ts's rich shapes, as
// `explore --boot` searches them). Needs the build (dist/, tests included).
//
//   node scripts/engines-sweep.mjs [SEED [RUNS [DEPTH]]]     (default 1 50 4)
//
// Prints each system that differs, then a summary; exits 1 if any differs.
import { eachDeclaredSystem } from '../dist/test/checker/systems.js'
import { exploreGeneral } from '../dist/checker/explore/general.js'
import { explore } from '../dist/checker/explore/search.js'

const [seed, runs, depth] = [Number(process.argv[2] ?? 1), Number(process.argv[3] ?? 50), Number(process.argv[4] ?? 4)]
const started = Date.now()
let states = 0
let violations = 0
let differing = 0
/** One search's levels and first violation, as text. */
const summary = (search, preset) => {
  const levels = []
  const result = search({ preset, depthMax: depth, onLevel: (level) => levels.push(`${level.distinct}/${level.generated}`) })
  const violation = result.violation === null ? 'none' : `${result.violation.invariant} at ${result.violation.path.length}`
  return { text: `levels ${levels.join(' ')}, total ${result.distinct}/${result.generated}, violation ${violation}`, result }
}
const systems = eachDeclaredSystem(runs, seed, (preset) => {
  const general = summary(exploreGeneral, preset)
  const model = summary(explore, preset)
  states += model.result.distinct
  if (model.result.violation !== null) violations++
  if (general.text !== model.text) {
    differing++
    console.log(`${preset.name} differs:\n  general: ${general.text}\n  model:   ${model.text}`)
  }
})
console.log(`seed ${seed}: ${systems} systems to depth ${depth}, ${states.toLocaleString('en')} states, ${violations} with a violation, ${differing} differing (${((Date.now() - started) / 1000).toFixed(1)} s)`)
process.exitCode = differing === 0 ? 0 : 1
