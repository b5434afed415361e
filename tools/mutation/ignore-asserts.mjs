// A Stryker ignorer plugin: no mutants inside a call of the impl's `assert`
// (impl/assert.ts). An assertion is the impl's check of its own consistency: on
// a kernel that agrees with the model, removing it (its condition made `true`)
// or changing its message is not observable, so every such mutant would survive
// as an equivalent one. docs/decisions.md, "Mutation testing".
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin'

const assertCalls = {
  shouldIgnore(path) {
    const node = path.node
    if (node.type === 'CallExpression' && node.callee.type === 'Identifier' && node.callee.name === 'assert') {
      return "the impl's own consistency assertion: unobservable on a kernel that agrees with the model"
    }
    return undefined
  },
}

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, 'assert-calls', assertCalls)]
