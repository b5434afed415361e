// Preloaded into Stryker's main process (`node --import`): Stryker's core rewrites
// the sandbox's tsconfig.json with the TypeScript compiler API, which TypeScript 7
// (the project's, hoisted to the root) does not have. Imports of 'typescript' from
// Stryker's packages get this workspace's TypeScript 5.9 instead. (The type check
// of mutants uses the project's TypeScript 7: tools/mutation/native-type-checker.mjs.)
import { realpathSync } from 'node:fs'
import { register } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

// The real path: loaded through a symbolic link, Node's CommonJS translation gives an empty module.
const TYPESCRIPT_5 = pathToFileURL(realpathSync(fileURLToPath(new URL('./node_modules/typescript/lib/typescript.js', import.meta.url)))).href

/** Module resolution hook (runs on Node's loader thread). */
export async function resolve(specifier, context, next) {
  if (specifier === 'typescript' && context.parentURL?.includes('/node_modules/@stryker-mutator/') === true) {
    return { url: TYPESCRIPT_5, format: 'commonjs', shortCircuit: true }
  }
  return next(specifier, context)
}

if (typeof process !== 'undefined' && process.env.SILA_TYPESCRIPT5_HOOKS !== 'registered') {
  process.env.SILA_TYPESCRIPT5_HOOKS = 'registered'
  register(import.meta.url)
}
