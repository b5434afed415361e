/**
 * Horizontal bar charts as inline SVG, no library: one row per bar, stacked
 * segments for several series (a syscall kind's runs that succeeded and runs that
 * failed), a value scale with round ticks, and a legend. Pure: data in, markup out.
 * @module
 */
import { coordinate, html, type Html } from './html.js'

/** One series of a chart: its name (the legend) and its colour (any CSS colour). */
export interface Series {
  readonly name: string
  readonly color: string
}

/** One bar: a label and one value per series, in the order of {@link ChartSpec.series}. */
export interface Bar {
  readonly label: string
  readonly values: ReadonlyArray<number>
}

export interface ChartSpec {
  /** Title of the chart (the SVG's accessible name). */
  readonly title: string
  readonly series: ReadonlyArray<Series>
  readonly bars: ReadonlyArray<Bar>
  /** Width of the whole chart in px (default 560). */
  readonly width?: number
  /** What the values count, for tooltips (`runs`, `steps`). */
  readonly unit?: string
}

/** Geometry shared by the chart and its tests. */
export const CHART = { rowHeight: 18, barHeight: 12, top: 26, bottom: 22, labelChar: 7, labelPad: 8, valuePad: 48, legendHeight: 18 } as const

/** A value as a chart counts it: finite and not negative, else 0. */
export function chartValue(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0
}

/** The smallest "nice" number (1, 2 or 5 times a power of ten) at least `value`; 1 for 0. */
export function niceCeiling(value: number): number {
  const v = chartValue(value)
  if (v === 0) return 1
  const power = 10 ** Math.floor(Math.log10(v))
  for (const step of [1, 2, 5, 10]) if (step * power >= v) return step * power
  return 10 * power
}

/** Ticks from 0 to the nice ceiling of `max`: at most `count` + 1 round values; whole numbers only for counts. */
export function ticks(max: number, count = 4, integer = false): number[] {
  const top = integer ? Math.max(1, Math.ceil(niceCeiling(max))) : niceCeiling(max)
  const step = integer ? Math.max(1, niceCeiling(top / count)) : niceCeiling(top / count)
  const found: number[] = []
  for (let at = 0; at <= top + step / 1e9; at += step) found.push(Math.round(at * 1e9) / 1e9)
  return found
}

/** The length in px of each segment of a bar, given the scale's top value and the bar area's width. */
export function segmentWidths(values: ReadonlyArray<number>, top: number, area: number): number[] {
  const scale = top > 0 ? area / top : 0
  return values.map((value) => chartValue(value) * scale)
}

function total(bar: Bar): number {
  return bar.values.reduce((sum, value) => sum + chartValue(value), 0)
}

/** A value as the chart prints it: whole numbers with separators, others to three significant digits. */
export function formatCount(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en') : String(Number(value.toPrecision(3)))
}

/** The chart as an `<svg>` element. An empty chart says so instead of drawing bars. */
export function barChart(spec: ChartSpec): Html {
  const width = spec.width ?? 560
  const labelWidth = Math.min(Math.round(width * 0.45), Math.max(40, ...spec.bars.map((bar) => [...bar.label].length * CHART.labelChar)) + CHART.labelPad)
  const area = Math.max(10, width - labelWidth - CHART.valuePad)
  const legend = spec.series.length > 1 ? CHART.legendHeight : 0
  const top = CHART.top + legend
  const height = top + Math.max(1, spec.bars.length) * CHART.rowHeight + CHART.bottom
  const max = Math.max(0, ...spec.bars.map(total))
  const scaleTicks = ticks(max, 4, spec.bars.every((bar) => bar.values.every((value) => Number.isInteger(chartValue(value)))))
  const scaleTop = scaleTicks[scaleTicks.length - 1]!
  const unit = spec.unit === undefined ? '' : ` ${spec.unit}`
  const legendItems = spec.series.length > 1
    ? spec.series.map((series, index) => html`<g class="legend" transform="translate(${coordinate(labelWidth + index * 120)},${CHART.top - 4})"><rect width="10" height="10" y="-9" rx="2" fill="${series.color}"/><text x="14" y="0">${series.name}</text></g>`)
    : []
  const grid = scaleTicks.map((tick) => {
    const x = labelWidth + (tick / scaleTop) * area
    return html`<g class="tick"><line x1="${coordinate(x)}" x2="${coordinate(x)}" y1="${top - 4}" y2="${height - CHART.bottom + 2}"/><text x="${coordinate(x)}" y="${height - 6}" text-anchor="middle">${formatCount(tick)}</text></g>`
  })
  const rows = spec.bars.map((bar, row) => {
    const y = top + row * CHART.rowHeight
    const widths = segmentWidths(bar.values, scaleTop, area)
    let x = labelWidth
    const segments = widths.map((w, index) => {
      const segment = w > 0 ? html`<rect class="segment" x="${coordinate(x)}" y="${y + (CHART.rowHeight - CHART.barHeight) / 2}" width="${coordinate(w)}" height="${CHART.barHeight}" fill="${spec.series[index]?.color ?? '#888'}"/>` : html``
      x += w
      return segment
    })
    const tooltip = `${bar.label}: ${spec.series.map((series, index) => `${series.name} ${formatCount(chartValue(bar.values[index] ?? 0))}${unit}`).join(', ')}`
    const zero = total(bar) === 0
    return html`<g class="bar${zero ? ' zero' : ''}"><title>${tooltip}</title><text class="label" x="${labelWidth - CHART.labelPad}" y="${y + CHART.rowHeight / 2 + 4}" text-anchor="end">${bar.label}</text>${segments}<text class="value" x="${coordinate(x + 4)}" y="${y + CHART.rowHeight / 2 + 4}">${formatCount(total(bar))}</text></g>`
  })
  const empty = spec.bars.length === 0 ? html`<text class="empty" x="${width / 2}" y="${top + 12}" text-anchor="middle">no data</text>` : html``
  return html`<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${spec.title}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><title>${spec.title}</title><text class="chart-title" x="0" y="14">${spec.title}</text>${legendItems}${grid}${rows}${empty}</svg>`
}
