// A module resolution hook (registered by tools/mutation/test-preload.mjs): the
// bare specifier `uvu` (not `uvu/assert`) resolves to tools/mutation/uvu-first-failure.mjs.
const SHIM = new URL('./uvu-first-failure.mjs', import.meta.url).href

export async function resolve(specifier, context, next) {
  return specifier === 'uvu' ? { url: SHIM, shortCircuit: true } : next(specifier, context)
}
