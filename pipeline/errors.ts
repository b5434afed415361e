/**
 * Refusals of the image pipeline (pipeline.md §1, §2). Every reader throws an
 * {@link ImageError}: an {@link InputError} (so `sila` exits 2 and prints the file)
 * that also carries a stable reason code and, where one applies, the attack of The
 * Update Framework's threat model that the check defends against.
 * @module
 */
import { InputError } from '../spec/decode.js'

/** Why an image, key, signature or repository was refused: one stable code each. @public */
export type Refusal =
  /** Not JSON, fails its codec, or a binary header that cannot be parsed. */
  | 'malformed'
  /** A file the layout or repository refers to does not exist. */
  | 'missing'
  /** A digest or name that would leave the layout (`../`, `/`), or a blob that is not a regular file. */
  | 'unsafe-path'
  /** Bytes whose sha256 differs from the digest that names or pins them. */
  | 'digest-mismatch'
  /** A blob shorter than its descriptor says (truncated), or a compression header that disagrees with its payload. */
  | 'size-mismatch'
  /** A blob, header or inflated layer larger than declared or than the configured bound. */
  | 'too-large'
  /** A compression, signature or key algorithm that is not known. */
  | 'unknown-algorithm'
  /** No signature at all. */
  | 'unsigned'
  /** Signed, by a key that is not in the keyring. */
  | 'untrusted-key'
  /** Signed by a trusted key id, but the signature does not verify over these bytes. */
  | 'bad-signature'
  /** A version below the rollback floor of its name. */
  | 'rollback'
  /** Two statements that must agree do not (index annotations and manifest, a version already present with other content). */
  | 'inconsistent'
  /** A target that must not exist already does (an image directory, a key file). */
  | 'exists'
  /** A private key file that others than its owner may read. */
  | 'permissions'
  /** An output that cannot be written: permissions, a read-only or full file system, a parent that is a file. */
  | 'unwritable'

/** The attacks of TUF's threat model that the pipeline defends against, by name. @public */
export type Attack = 'arbitrary package' | 'rollback' | 'mix-and-match' | 'endless data'

/** A refused image, key, signature or repository: which file, why, and the attack it stops. @public */
export class ImageError extends InputError {
  constructor(file: string, readonly reason: Refusal, detail: string | ReadonlyArray<string>, readonly attack: Attack | null = null) {
    const lines = typeof detail === 'string' ? [detail] : [...detail]
    if (attack !== null && lines.length > 0) lines[lines.length - 1] = `${lines[lines.length - 1]} (refused as a${/^[aeiou]/.test(attack) ? 'n' : ''} ${attack} attack)`
    super(file, lines)
    this.name = 'ImageError'
  }
}

/** Runs `body`; an {@link InputError} that is not yet an {@link ImageError} becomes one with `reason`. */
export function refuseAs<A>(reason: Refusal, body: () => A): A {
  try {
    return body()
  } catch (error) {
    if (error instanceof InputError && !(error instanceof ImageError)) throw new ImageError(error.file, reason, error.problems)
    throw error
  }
}
