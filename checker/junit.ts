/**
 * JUnit XML for CI dashboards: one test case per suite, with the seed (the one
 * `sila check --seed` takes: with the suite's name and the failure's path it
 * reruns the case), the suite's own fast-check seed, the shard, and the
 * counterexample's replay path as properties.
 * @module
 */
import type { CheckResults } from './results.js'

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** `durations` are each suite's wall time in ms (the results file keeps no timing). */
export function junitXml(results: CheckResults, durations: ReadonlyMap<string, number>): string {
  const failures = results.suites.filter((s) => s.failure !== null).length
  const seconds = results.suites.reduce((n, s) => n + (durations.get(s.suite) ?? 0), 0) / 1000
  const cases = results.suites.map((suite) => {
    // seed is what `sila check SUITE --seed S --path P` takes (the run's); fastCheckSeed is the suite's own, which fast-check's path is relative to.
    const properties = [`<property name="seed" value="${results.seed}"/>`, `<property name="fastCheckSeed" value="${suite.seed}"/>`, `<property name="runs" value="${suite.runs}"/>`,
      ...(results.shard === null ? [] : [`<property name="shard" value="${results.shard.index}/${results.shard.count}"/>`]),
      ...(suite.failure === null ? [] : [`<property name="path" value="${escapeXml(suite.failure.path)}"/>`, `<property name="counterexample" value="${escapeXml(suite.failure.file ?? '')}"/>`])]
    const failure = suite.failure === null ? '' : `\n      <failure message="${escapeXml(`${suite.failure.invariant}: ${suite.failure.message}`)}">shrunk to ${suite.failure.shrunkLength} steps; replay with: npx sila replay ${escapeXml(suite.failure.file ?? '')}</failure>`
    return `    <testcase classname="sila.check" name="${suite.suite}" time="${((durations.get(suite.suite) ?? 0) / 1000).toFixed(3)}">\n      <properties>${properties.join('')}</properties>${failure}\n    </testcase>`
  })
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="sila check" tests="${results.suites.length}" failures="${failures}" time="${seconds.toFixed(3)}">\n  <testsuite name="sila check" tests="${results.suites.length}" failures="${failures}" time="${seconds.toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`
}
