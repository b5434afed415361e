/**
 * Rights: the five rights a capability can carry (kernel.md §2), as names in
 * syscalls and traces and as a 5-bit mask inside the kernels.
 * @module
 */
import * as t from 'io-ts'

/** The right names, in bit order. @public */
export const RIGHT_NAMES = ['read', 'write', 'execute', 'grant', 'control'] as const
/** One right's name. @public */
export type RightName = (typeof RIGHT_NAMES)[number]

/** Bit of each right in a {@link RightsMask}. @public */
export const R_READ = 1
export const R_WRITE = 2
export const R_EXECUTE = 4
export const R_GRANT = 8
export const R_CONTROL = 16
/** All five rights. */
export const R_ALL = 31

/** A set of rights as a 5-bit mask. @public */
export type RightsMask = number

/** Codec for a right's name. */
export const RightNameCodec = t.keyof({ read: null, write: null, execute: null, grant: null, control: null })
/** Codec for a list of right names (duplicates are harmless: it is a set). */
export const RightsCodec = t.array(RightNameCodec)
/** Rights as they appear in syscalls and traces. */
export type Rights = t.TypeOf<typeof RightsCodec>

/** The mask of a list of right names. */
export function rightsMask(names: ReadonlyArray<RightName>): RightsMask {
  let mask = 0
  for (const name of names) mask |= 1 << RIGHT_NAMES.indexOf(name)
  return mask
}

/** The names of a mask, in canonical order. */
export function rightsNames(mask: RightsMask): RightName[] {
  return RIGHT_NAMES.filter((_, bit) => (mask & (1 << bit)) !== 0)
}

/** `inner ⊆ outer`. */
export function isSubset(inner: RightsMask, outer: RightsMask): boolean {
  return (inner & ~outer) === 0
}

/** `mask` holds every right of `needed`. */
export function hasRights(mask: RightsMask, needed: RightsMask): boolean {
  return (mask & needed) === needed
}
