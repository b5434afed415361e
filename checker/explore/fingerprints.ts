/**
 * 64-bit fingerprints of canonical encodings and a set of them, as TLC keeps:
 * states are remembered by fingerprint only, so two distinct states could collide.
 * The chance that any pair among n states collides is about n² / 2^65, which the
 * report prints.
 * @module
 */

const TEXT_PAIR = new Uint32Array(2)

/** Two independent 32-bit hashes of a string (FNV-1a and a multiply-xorshift mix). */
export function fingerprint(text: string): [number, number] {
  fingerprintTextInto(text, TEXT_PAIR, 0)
  return [TEXT_PAIR[0]!, TEXT_PAIR[1]!]
}

/** {@link fingerprint} without allocating: its two hashes into `out` at `at` and `at + 1`. */
export function fingerprintTextInto(text: string, out: Uint32Array | Int32Array, at: number): void {
  let a = 0x811c9dc5
  let b = 0x9e3779b9
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    a = Math.imul(a ^ code, 0x01000193)
    b = Math.imul(b ^ code, 0x5bd1e995)
    b ^= b >>> 15
  }
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35)
  out[at] = a >>> 0
  out[at + 1] = (b ^ (b >>> 16)) >>> 0
}

const PAIR = new Uint32Array(2)

/**
 * The fingerprint of the first `length` bytes of a byte-packed state, read four at
 * a time through `words` (a Uint32Array over the same buffer, little-endian): the
 * bytes past `length` in the last word are masked out.
 */
export function fingerprintBytesInto(words: Uint32Array, length: number, out: Uint32Array): void {
  let a = 0x811c9dc5
  let b = 0x9e3779b9
  const whole = length >>> 2
  const rest = length & 3
  const count = rest === 0 ? whole : whole + 1
  for (let index = 0; index < count; index++) {
    const word = index < whole ? words[index]! | 0 : words[index]! & ((1 << (8 * rest)) - 1)
    a = Math.imul(a ^ word, 0x01000193)
    a ^= a >>> 13
    b = Math.imul(b ^ word, 0x5bd1e995)
    b ^= b >>> 15
  }
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b)
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35)
  out[0] = (a ^ (a >>> 13)) >>> 0
  out[1] = (b ^ (b >>> 16)) >>> 0
}

/**
 * The fingerprint of the first `count` words of `words` (the general engine's
 * canonical encodings): the even and the odd words go through two lanes of each
 * of the two hashes, so that the four multiply chains run side by side, and the
 * lanes and the count are mixed at the end.
 */
export function fingerprintWordsInto(words: Int32Array, count: number, out: Uint32Array): void {
  let a0 = 0x811c9dc5
  let a1 = 0x050c5d1f
  let b0 = 0x9e3779b9
  let b1 = 0x7f4a7c15
  let index = 0
  for (; index + 1 < count; index += 2) {
    const x = words[index]!
    const y = words[index + 1]!
    a0 = Math.imul(a0 ^ x, 0x01000193)
    a1 = Math.imul(a1 ^ y, 0x01000193)
    b0 = Math.imul(b0 ^ x, 0x5bd1e995)
    b1 = Math.imul(b1 ^ y, 0x5bd1e995)
    a0 ^= a0 >>> 13
    a1 ^= a1 >>> 13
    b0 ^= b0 >>> 15
    b1 ^= b1 >>> 15
  }
  if (index < count) {
    const x = words[index]!
    a0 = Math.imul(a0 ^ x, 0x01000193)
    a0 ^= a0 >>> 13
    b0 = Math.imul(b0 ^ x, 0x5bd1e995)
    b0 ^= b0 >>> 15
  }
  let a = Math.imul(a0 ^ count, 0x85ebca6b) ^ Math.imul(a1 ^ (a1 >>> 16), 0xcc9e2d51)
  let b = Math.imul(b0 ^ count, 0xc2b2ae35) ^ Math.imul(b1 ^ (b1 >>> 15), 0x1b873593)
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b)
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35)
  out[0] = (a ^ (a >>> 13)) >>> 0
  out[1] = (b ^ (b >>> 16)) >>> 0
}

export function fingerprintBytes(words: Uint32Array, length: number): [number, number] {
  fingerprintBytesInto(words, length, PAIR)
  return [PAIR[0]!, PAIR[1]!]
}

/**
 * Open-addressing set of 64-bit fingerprints, doubled when 70 % full. Each slot
 * is two adjacent words (high, low) of one typed array, so that a probe reads one
 * cache line; (0, 0) marks an empty slot, and the fingerprint (0, 0) itself is
 * kept aside in {@link hasZero}.
 */
export class FingerprintSet {
  private pairs: Uint32Array
  private hasZero = false
  size = 0

  constructor(capacity = 1 << 16) {
    this.pairs = new Uint32Array(2 * capacity)
  }

  /** Adds a fingerprint; true if it was not there. */
  add(high: number, low: number): boolean {
    if ((high | low) === 0) {
      if (this.hasZero) return false
      this.hasZero = true
      this.size++
      return true
    }
    if (this.size * 20 >= this.pairs.length * 7) this.grow()
    const pairs = this.pairs
    const mask = pairs.length - 2
    for (let at = ((high ^ Math.imul(low, 0x9e3779b1)) << 1) & mask; ; at = (at + 2) & mask) {
      const h = pairs[at]!
      const l = pairs[at + 1]!
      if ((h | l) === 0) {
        pairs[at] = high
        pairs[at + 1] = low
        this.size++
        return true
      }
      if (h === high >>> 0 && l === low >>> 0) return false
    }
  }

  has(high: number, low: number): boolean {
    if ((high | low) === 0) return this.hasZero
    const pairs = this.pairs
    const mask = pairs.length - 2
    for (let at = ((high ^ Math.imul(low, 0x9e3779b1)) << 1) & mask; ; at = (at + 2) & mask) {
      const h = pairs[at]!
      const l = pairs[at + 1]!
      if ((h | l) === 0) return false
      if (h === high >>> 0 && l === low >>> 0) return true
    }
  }

  private grow(): void {
    const old = this.pairs
    this.pairs = new Uint32Array(old.length * 2)
    this.size = this.hasZero ? 1 : 0
    for (let at = 0; at < old.length; at += 2) if ((old[at]! | old[at + 1]!) !== 0) this.add(old[at]!, old[at + 1]!)
  }

  /** Every fingerprint, as pairs (for merging swarm results). */
  *entries(): Generator<[number, number]> {
    if (this.hasZero) yield [0, 0]
    for (let at = 0; at < this.pairs.length; at += 2) if ((this.pairs[at]! | this.pairs[at + 1]!) !== 0) yield [this.pairs[at]!, this.pairs[at + 1]!]
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.pairs.byteLength
  }
}

/** Probability that some pair among `states` 64-bit fingerprints collides (birthday bound). */
export function collisionProbability(states: number): number {
  return Math.min(1, (states * states) / 2 ** 65)
}
