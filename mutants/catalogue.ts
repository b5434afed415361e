/**
 * The seeded bugs (tooling.md §6): each a one-line variant of the impl (or of the
 * abstraction, the model's *view* of it), described by the file it changes and
 * the exact text it replaces. The impl itself carries no flag for any of them:
 * `materialize.ts` writes each variant into a copy of the compiled kernel.
 * @module
 */

/** Which invariant family a mutant attacks (the catalogue covers every one). */
export type MutantFamily =
  | 'rights-and-cdt' | 'revoke-and-destroy' | 'accounting-and-quotas' | 'namespaces' | 'mappings'
  | 'ipc' | 'spawn-and-images' | 'scheduler' | 'view'

export interface Mutant {
  readonly name: string
  readonly family: MutantFamily
  /** One line: the mistake. */
  readonly description: string
  /** The real-world bug it is modelled on, where there is one. */
  readonly reference?: string
  /** The compiled file changed, relative to `dist/` (for example `impl/objects/caps.js`). */
  readonly file: string
  /** Text that must occur exactly once in that file… */
  readonly find: string
  /** …and what it becomes. */
  readonly replace: string
}

export const MUTANTS: ReadonlyArray<Mutant> = [
  {
    name: 'copy-amplifies-rights',
    family: 'rights-and-cdt',
    description: 'cap_copy does not check that the requested rights are within the source cap\'s',
    reference: 'seLe4n audit H-01: mint grants the requested rights instead of requested ∩ source',
    file: 'impl/objects/caps.js',
    find: 'const within = ensureRightsWithin(requested, k.caps.rights[source]);',
    replace: 'const within = 0;',
  },
  {
    name: 'rebadge-allowed',
    family: 'rights-and-cdt',
    description: 'cap_copy lets a badged endpoint cap be badged again',
    reference: 'seL4 mint: a badge is set once (research bug catalogue #2)',
    file: 'impl/objects/caps.js',
    find: 'if (badge !== undefined && k.caps.badge[source] !== 0)',
    replace: 'if (badge !== undefined && k.caps.badge[source] !== 0 && false)',
  },
]
