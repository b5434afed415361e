/**
 * `spec/`: the vocabulary the model and the impl share, and nothing else.
 * @module
 */
export * from './ids.js'
export * from './rights.js'
export * from './errors.js'
export * from './numbers.js'
export * from './limits.js'
export * from './images.js'
export * from './syscalls.js'
export * from './results.js'
export * from './boot.js'
export * from './trace.js'
export * from './decode.js'
