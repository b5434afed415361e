// The model's mutants (node tools/mutation/mutate.mjs --model; docs/decisions.md,
// "Mutation testing of the model"): stryker.config.json, with model/ mutated
// instead and the reports apart. Not mutated: model/check-catalogue.ts and
// model/check-log.ts, the coverage table's bookkeeping (which checks a handler
// makes), not the kernel's behaviour. Type checks are also off in mutants/,
// whose model mutants import the instrumented model's widened types.
import { readFileSync } from 'node:fs'

const { _comment: _, ...base } = JSON.parse(readFileSync(new URL('./stryker.config.json', import.meta.url), 'utf8'))

export default {
  ...base,
  mutate: ['model/**/*.ts', '!model/check-catalogue.ts', '!model/check-log.ts'],
  disableTypeChecks: '{model,mutants}/**/*.ts',
  incrementalFile: 'reports/mutation-model/stryker-incremental.json',
  jsonReporter: { fileName: 'reports/mutation-model/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation-model/index.html' },
}
