// counter@1.0.0: the module layer of the update walkthrough's V1 image.
// The kernel verifies and maps these bytes; the behaviour that runs is the host
// runtime's V1 handler (pipeline/update/server.ts), which this file restates.
// State format: { count }.
export const initial = { count: 0 }
export function add(state, n) { return { count: state.count + n } }
export function snapshot(state) { return state }
