/**
 * An oracle for versions, written from the semver 2.0.0 specification (§2, §9–§11)
 * and from the `semver` package's documented range rules, never by calling that
 * package: the floor tests and the ModuleManager's batch property compare the
 * pipeline's answers with these, so a mistake the code and its library share
 * cannot hide.
 *
 * - {@link precedence}: §11. Major, minor and patch compared numerically; a version
 *   with a pre-release is lower than the same core without one; pre-release
 *   identifiers compared one by one, numeric ones numerically, alphanumeric ones in
 *   ASCII order, numeric below alphanumeric, and a shorter list below a longer one it
 *   begins; build metadata (§10) ignored.
 * - {@link satisfies}: the ranges the tests generate (`*`, `=V`, `V`, `>V`, `>=V`,
 *   `<V`, `<=V`, `^V`, `~V`, and two of them separated by a space, meaning both) as
 *   the `semver` README defines them: `^1.2.3` is `>=1.2.3 <2.0.0-0` (`^0.2.3` is
 *   `>=0.2.3 <0.3.0-0`, `^0.0.3` is `>=0.0.3 <0.0.4-0`), `~1.2.3` is
 *   `>=1.2.3 <1.3.0-0`; and a version with a pre-release satisfies a range only if
 *   some comparator of it names a pre-release of the same major.minor.patch.
 * @module
 */

/** A parsed version: its core and pre-release identifiers (build metadata dropped, §10). */
export interface Version {
  readonly core: readonly [bigint, bigint, bigint]
  readonly prerelease: ReadonlyArray<string>
}

const NUMERIC = /^(0|[1-9][0-9]*)$/
const IDENTIFIER = /^[0-9A-Za-z-]+$/
const VERSION = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/

/** Parses a semver 2.0.0 version (§2, §9, §10); throws on anything else (a test's own mistake). */
export function parseVersion(text: string): Version {
  const match = VERSION.exec(text)
  if (match === null) throw new Error(`not a semver 2.0.0 version: ${JSON.stringify(text)}`)
  const prerelease = match[4] === undefined ? [] : match[4].split('.')
  for (const identifier of prerelease) {
    // §9: identifiers are non-empty, and numeric ones have no leading zeroes.
    if (!IDENTIFIER.test(identifier) || (/^[0-9]+$/.test(identifier) && !NUMERIC.test(identifier))) throw new Error(`bad pre-release identifier in ${text}`)
  }
  for (const identifier of match[5]?.split('.') ?? []) if (!IDENTIFIER.test(identifier)) throw new Error(`bad build identifier in ${text}`)
  return { core: [BigInt(match[1]!), BigInt(match[2]!), BigInt(match[3]!)], prerelease }
}

function sign(difference: bigint | number): -1 | 0 | 1 {
  return difference < 0 ? -1 : difference > 0 ? 1 : 0
}

/** §11.4: two pre-release identifiers. */
function compareIdentifiers(a: string, b: string): -1 | 0 | 1 {
  const aNumeric = NUMERIC.test(a)
  const bNumeric = NUMERIC.test(b)
  if (aNumeric && bNumeric) return sign(BigInt(a) - BigInt(b))
  if (aNumeric) return -1
  if (bNumeric) return 1
  return a < b ? -1 : a > b ? 1 : 0
}

/** Precedence of two parsed versions (§11): -1, 0 or 1. */
export function comparePrecedence(a: Version, b: Version): -1 | 0 | 1 {
  for (let part = 0; part < 3; part++) {
    const order = sign(a.core[part]! - b.core[part]!)
    if (order !== 0) return order
  }
  // §11.3: a pre-release is below its normal version.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return sign(b.prerelease.length - a.prerelease.length)
  const shared = Math.min(a.prerelease.length, b.prerelease.length)
  for (let index = 0; index < shared; index++) {
    const order = compareIdentifiers(a.prerelease[index]!, b.prerelease[index]!)
    if (order !== 0) return order
  }
  return sign(a.prerelease.length - b.prerelease.length)
}

/** Precedence of two version strings: -1, 0 or 1. */
export function precedence(a: string, b: string): -1 | 0 | 1 {
  return comparePrecedence(parseVersion(a), parseVersion(b))
}

/** A rollback floor is met iff the version's precedence is not below the floor's. */
export function meetsFloor(version: string, floor: string): boolean {
  return precedence(version, floor) >= 0
}

/** The highest of `versions` by precedence, or null for none. */
export function highest(versions: ReadonlyArray<string>): string | null {
  let best: string | null = null
  for (const version of versions) if (best === null || precedence(version, best) > 0) best = version
  return best
}

/** One comparator of a range: an operator and a version. */
interface Comparator {
  readonly operator: '=' | '>' | '>=' | '<' | '<='
  readonly version: Version
}

function coreText(core: readonly [bigint, bigint, bigint]): string {
  return core.join('.')
}

/** One term of a range, desugared into comparators (`*` gives none). */
function desugar(term: string): Comparator[] {
  if (term === '*') return []
  const match = /^(>=|<=|>|<|=|\^|~)?(.+)$/.exec(term)
  if (match === null) throw new Error(`a range term the oracle does not know: ${term}`)
  const operator = match[1] ?? '='
  const version = parseVersion(match[2]!)
  const [major, minor, patch] = version.core
  const upper = (text: string): Comparator => ({ operator: '<', version: parseVersion(text) })
  switch (operator) {
    case '^':
      return [{ operator: '>=', version }, upper(major! > 0n ? `${major! + 1n}.0.0-0` : minor! > 0n ? `0.${minor! + 1n}.0-0` : `0.0.${patch! + 1n}-0`)]
    case '~':
      return [{ operator: '>=', version }, upper(`${coreText([major!, minor! + 1n, 0n])}-0`)]
    default:
      return [{ operator: operator as Comparator['operator'], version }]
  }
}

function holds(comparator: Comparator, version: Version): boolean {
  const order = comparePrecedence(version, comparator.version)
  switch (comparator.operator) {
    case '=': return order === 0
    case '>': return order > 0
    case '>=': return order >= 0
    case '<': return order < 0
    case '<=': return order <= 0
  }
}

/** Whether `version` satisfies `range` (the grammar above; undefined means `*`). */
export function satisfies(version: string, range: string | undefined): boolean {
  const parsed = parseVersion(version)
  const comparators = (range ?? '*').trim().split(/\s+/).flatMap(desugar)
  if (!comparators.every((comparator) => holds(comparator, parsed))) return false
  if (parsed.prerelease.length === 0) return true
  // A pre-release only where the range itself names one of the same core.
  return comparators.some((comparator) => comparator.version.prerelease.length > 0 && comparePrecedence(
    { core: comparator.version.core, prerelease: [] }, { core: parsed.core, prerelease: [] }) === 0)
}

/**
 * Precedence examples from the semver 2.0.0 text (§11 and its lists), each list in
 * ascending order; the tests check {@link precedence} against them before trusting it.
 */
export const SPEC_ORDERS: ReadonlyArray<ReadonlyArray<string>> = [
  ['1.0.0', '2.0.0', '2.1.0', '2.1.1'],
  ['1.0.0-alpha', '1.0.0'],
  ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'],
  ['1.9.0', '1.10.0', '1.11.0'],
  ['0.0.0', '0.0.1', '0.1.0', '1.0.0'],
]

/** Pairs the semver text says have the same precedence (§10: build metadata does not count). */
export const SPEC_EQUAL: ReadonlyArray<readonly [string, string]> = [
  ['1.0.0-alpha+001', '1.0.0-alpha'],
  ['1.0.0+20130313144700', '1.0.0'],
  ['1.0.0-beta+exp.sha.5114f85', '1.0.0-beta'],
  ['1.0.0+21AF26D3----117B344092BD', '1.0.0+b1'],
]
