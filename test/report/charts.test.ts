import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { barChart, chartValue, formatCount, niceCeiling, segmentWidths, ticks, CHART } from '../../checker/report/charts.js'

test('niceCeiling rounds up to 1, 2 or 5 times a power of ten', () => {
  assert.equal([0, 1, 7, 10, 11, 25, 250, 0.0095, -3, Number.NaN].map(niceCeiling), [1, 1, 10, 10, 20, 50, 500, 0.01, 1, 1])
})

test('ticks run from 0 to a round top in round steps; counts get whole-number ticks', () => {
  assert.equal(ticks(10), [0, 5, 10])
  assert.equal(ticks(19), [0, 5, 10, 15, 20])
  assert.equal(ticks(0), [0, 0.5, 1])
  assert.equal(ticks(0, 4, true), [0, 1])
  assert.equal(ticks(2, 4, true), [0, 1, 2])
  assert.equal(ticks(0.0095), [0, 0.005, 0.01])
  for (const max of [1, 3, 17, 99, 1234, 0.3]) {
    const found = ticks(max)
    assert.ok(found[found.length - 1]! >= max, `the top tick covers ${max}`)
    assert.ok(found.length <= 6)
  }
})

test('segment widths are proportional to the values; bad values count as 0', () => {
  assert.equal(segmentWidths([5, 5], 10, 200), [100, 100])
  assert.equal(segmentWidths([1, -4, Number.NaN, Infinity], 4, 100), [25, 0, 0, 0])
  assert.equal(segmentWidths([3], 0, 100), [0])
  assert.is(chartValue(-1), 0)
  assert.is(formatCount(1234), '1,234')
  assert.is(formatCount(0.0123456), '0.0123')
})

function attributes(svg: string, element: string): Array<Record<string, string>> {
  return [...svg.matchAll(new RegExp(`<${element}\\b([^>]*)>`, 'g'))].map((m) => Object.fromEntries([...m[1]!.matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])))
}

test('a stacked bar chart: one segment per non-zero value, lengths to scale, labels escaped', () => {
  const svg = barChart({
    title: 'Kinds <by> "runs"', width: 500, unit: 'runs',
    series: [{ name: 'ok', color: '#0a0' }, { name: 'failed', color: '#a00' }],
    bars: [{ label: 'cap_copy', values: [6, 2] }, { label: '<script>', values: [0, 4] }, { label: 'never', values: [0, 0] }],
  }).text
  assert.ok(svg.startsWith('<svg class="chart"'))
  assert.match(svg, /aria-label="Kinds &lt;by&gt; &quot;runs&quot;"/)
  assert.match(svg, />&lt;script&gt;</)
  assert.not.match(svg, /<script/)
  const segments = attributes(svg, 'rect').filter((r) => r.class === 'segment')
  assert.is(segments.length, 3, 'zero values draw nothing')
  const [ok, failed, second] = segments.map((r) => Number(r.width))
  assert.ok(Math.abs(ok! / failed! - 3) < 0.01, 'six runs are three times two runs')
  assert.ok(Math.abs(second! / failed! - 2) < 0.01)
  assert.is(Number(segments[1]!.x), Number(segments[0]!.x) + ok!, 'the second series stacks after the first')
  assert.equal(segments.map((r) => r.fill), ['#0a0', '#a00', '#a00'])
  assert.match(svg, /<g class="bar zero"><title>never: ok 0 runs, failed 0 runs<\/title>/)
  assert.match(svg, /<title>cap_copy: ok 6 runs, failed 2 runs<\/title>/)
  assert.match(svg, /class="legend"/)
  const root = attributes(svg, 'svg')[0]!
  assert.is(root.width, '500')
  assert.is(Number(root.height), CHART.top + CHART.legendHeight + 3 * CHART.rowHeight + CHART.bottom)
})

test('a chart with no bars says so; one series has no legend', () => {
  const empty = barChart({ title: 'nothing', series: [{ name: 'n', color: '#000' }], bars: [] }).text
  assert.match(empty, />no data</)
  assert.not.match(empty, /class="legend"/)
  assert.not.match(empty, /class="segment"/)
})

test.run()
