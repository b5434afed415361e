// counter@2.0.0: the module layer of the update walkthrough's V2 image.
// The kernel verifies and maps these bytes; the behaviour that runs is the host
// runtime's V2 handler (pipeline/update/server.ts), which this file restates.
// State format: { total, ops } (ops: the additions V2 itself applied).
export function migrate(v1) { return { total: v1.count, ops: 0 } }
export function add(state, n) { return { total: state.total + n, ops: state.ops + 1 } }
