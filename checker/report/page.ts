/**
 * The HTML report page: one self-contained document (inline CSS and JS, inline SVG,
 * no external file, no network: its Content-Security-Policy forbids any fetch, and
 * runs no script but the page's own, by hash) with
 * the summary, the coverage charts, each counterexample as a step timeline with the
 * state changes of every step, and the authority graph. Pure: a {@link Report} in,
 * the page's text out; every value from the data is escaped.
 * @module
 */
import { createHash } from 'node:crypto'
import { html, join, raw, type Html } from './html.js'
import type { Timeline, TimelineStep } from './timeline.js'

export type Status = 'passed' | 'failed' | 'info'

/** A table cell: text, optionally marked with a status (coloured) and a tooltip. */
export interface Cell {
  readonly text: string
  readonly status?: Status
  readonly title?: string
  readonly mono?: boolean
}

export interface Table {
  readonly caption?: string
  readonly columns: ReadonlyArray<{ readonly header: string; readonly align?: 'left' | 'right' | 'center' }>
  readonly rows: ReadonlyArray<ReadonlyArray<string | Cell>>
}

export interface ChartSection {
  readonly svg: Html
  readonly note?: string
}

export interface CounterexampleSection {
  /** The section's heading (`Counterexample: invariants`, `Trace`). */
  readonly title: string
  /** What failed (shown in red), or what the trace shows. */
  readonly message: string
  readonly failed: boolean
  /** The invariant (or REF-1, NI-1, ROBUST) the failure names, shown at the failing step. */
  readonly invariant: string | null
  readonly facts: ReadonlyArray<readonly [string, string]>
  readonly timeline: Timeline
  readonly graph: Html
}

export interface Report {
  readonly command: 'check' | 'explore' | 'replay' | 'mutants'
  /** The page's title (and first heading). */
  readonly title: string
  readonly status: Status
  /** One line under the title. */
  readonly headline: string
  readonly facts: ReadonlyArray<readonly [string, string]>
  readonly summary: Table
  readonly tables?: ReadonlyArray<Table>
  /** Title of the charts section (`Coverage`, `Kills`). */
  readonly chartsTitle: string
  readonly charts: ReadonlyArray<ChartSection>
  readonly chartsNote?: string
  readonly counterexamples: ReadonlyArray<CounterexampleSection>
  /** The authority graph shown when there is no counterexample (of the boot state). */
  readonly graph: { readonly svg: Html; readonly caption: string } | null
  /** What made the page (`sila 0.1.0`). */
  readonly generator: string
}

const STYLE = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --bg: #f6f7f9; --ok: #1f7a3f; --ok-bg: #e3f4e8; --fail: #b42318; --fail-bg: #fde8e6; --info: #2b5ea7; --info-bg: #e7eefa; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header.top { background: #fff; border-bottom: 1px solid var(--line); padding: 16px 24px 10px; }
header.top h1 { margin: 0 0 4px; font-size: 20px; }
header.top .headline { margin: 0 0 8px; color: var(--muted); }
nav a { margin-right: 14px; color: var(--info); text-decoration: none; font-size: 13px; }
nav a:hover { text-decoration: underline; }
main { padding: 8px 24px 40px; max-width: 1400px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin: 16px 0; }
section h2 { margin: 0 0 10px; font-size: 16px; }
section h3 { margin: 14px 0 8px; font-size: 14px; }
.pill { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; vertical-align: 2px; margin-left: 8px; }
.pill.passed, td.passed, .badge.passed { background: var(--ok-bg); color: var(--ok); }
.pill.failed, td.failed, .badge.failed { background: var(--fail-bg); color: var(--fail); }
.pill.info, td.info, .badge.info { background: var(--info-bg); color: var(--info); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0 0 12px; font-size: 13px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-family: var(--mono); font-size: 12px; word-break: break-all; }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0 8px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f0f2f6; font-weight: 600; }
td.right, th.right { text-align: right; font-variant-numeric: tabular-nums; }
td.center, th.center { text-align: center; }
td.mono { font-family: var(--mono); font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 18px 28px; }
.chart-box { width: min-content; max-width: 100%; overflow-x: auto; }
.note { color: var(--muted); font-size: 12px; margin: 4px 0; }
svg.chart text, svg.graph text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; fill: var(--fg); }
svg.chart .chart-title { font-weight: 600; font-size: 12px; }
svg.chart .tick line { stroke: #e4e7ee; }
svg.chart .tick text, svg.chart .value { fill: var(--muted); font-size: 10px; }
svg.chart .label { font-family: var(--mono); font-size: 10.5px; }
svg.chart .bar.zero .label { fill: var(--fail); }
svg.chart .bar:hover .label { font-weight: 700; }
svg.graph .box-title { font-weight: 600; font-size: 11.5px; }
svg.graph .node text { font-size: 11px; }
svg.graph .node text.sub { font-size: 9.5px; fill: var(--muted); }
svg.graph .cap-label { font-family: var(--mono); font-size: 9.5px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg.graph .graph-legend text { font-size: 10px; fill: var(--muted); }
.audit-graph svg { max-width: none; height: auto; }
.graph-box { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; padding: 6px; background: #fcfcfd; }
.message { font-weight: 600; color: var(--fail); margin: 0 0 8px; }
.controls { display: flex; gap: 14px; align-items: center; margin: 6px 0 10px; font-size: 13px; flex-wrap: wrap; }
.controls input[type=search] { font: inherit; padding: 3px 8px; border: 1px solid var(--line); border-radius: 4px; width: 260px; }
ol.timeline { list-style: none; margin: 0; padding: 0 0 0 14px; border-left: 3px solid var(--line); }
ol.timeline > li.step { position: relative; margin: 0 0 8px; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
ol.timeline > li.step::before { content: ""; position: absolute; left: -22px; top: 11px; width: 11px; height: 11px; border-radius: 50%; background: #9aa5b8; border: 2px solid var(--bg); }
ol.timeline > li.step.refused::before { background: #d0a32b; }
ol.timeline > li.step.failing { border: 2px solid var(--fail); background: #fff8f7; }
ol.timeline > li.step.failing::before { background: var(--fail); }
ol.timeline > li.step.hidden { display: none; }
.step-head { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.step-no { font-weight: 700; min-width: 2.5em; }
.caller { color: var(--muted); font-size: 12px; }
code.syscall { font-family: var(--mono); font-size: 12px; background: #f0f2f6; padding: 1px 5px; border-radius: 3px; word-break: break-all; }
.badge { font-size: 11px; font-weight: 600; padding: 1px 7px; border-radius: 4px; }
.results { display: flex; gap: 22px; margin: 4px 0 2px; font-size: 12.5px; flex-wrap: wrap; }
.results .who { color: var(--muted); }
.results .ok { color: var(--ok); font-family: var(--mono); }
.results .err { color: #8a5a00; font-family: var(--mono); }
.results .differs { color: var(--fail); font-weight: 700; font-family: var(--mono); }
ul.changes { margin: 4px 0 0; padding: 0; list-style: none; font-family: var(--mono); font-size: 11.5px; }
ul.changes li { padding: 1px 0; word-break: break-all; }
ul.changes .path { color: #2b4a7a; }
ul.changes .before { color: var(--fail); text-decoration: line-through; text-decoration-color: #e7a3a0; }
ul.changes .after { color: var(--ok); }
body.collapsed ul.changes { display: none; }
.nochange { color: var(--muted); font-size: 12px; margin: 2px 0 0; }
.divergence { color: var(--fail); font-size: 12px; margin: 3px 0 0; font-family: var(--mono); }
footer { color: var(--muted); font-size: 12px; padding: 0 24px 24px; }
`

/** Filters the timeline, collapses the change lists; no data in it, so nothing to escape. */
const SCRIPT = `
(function () {
  'use strict';
  var steps = Array.prototype.slice.call(document.querySelectorAll('li.step'));
  var search = document.getElementById('step-filter');
  var changedOnly = document.getElementById('changed-only');
  var collapse = document.getElementById('collapse-changes');
  function apply() {
    var text = search ? search.value.trim().toLowerCase() : '';
    var onlyChanged = changedOnly ? changedOnly.checked : false;
    var shown = 0;
    steps.forEach(function (step) {
      var matches = text === '' || step.textContent.toLowerCase().indexOf(text) !== -1;
      var changed = step.getAttribute('data-changes') !== '0' || step.classList.contains('failing');
      var visible = matches && (!onlyChanged || changed);
      step.classList.toggle('hidden', !visible);
      if (visible) shown++;
    });
    var counter = document.getElementById('shown-steps');
    if (counter) counter.textContent = shown + ' of ' + steps.length + ' steps shown';
  }
  if (search) search.addEventListener('input', apply);
  if (changedOnly) changedOnly.addEventListener('change', apply);
  if (collapse) collapse.addEventListener('change', function () { document.body.classList.toggle('collapsed', collapse.checked); });
  apply();
})();
`

/** The Content-Security-Policy: nothing may be fetched, and only the page's own script (by its hash) runs. */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`

function cellOf(cell: string | Cell): Cell {
  return typeof cell === 'string' ? { text: cell } : cell
}

export function tableHtml(table: Table, id?: string): Html {
  const header = table.columns.map((c) => html`<th class="${c.align ?? 'left'}" scope="col">${c.header}</th>`)
  const rows = table.rows.map((row) => html`<tr>${row.map((raw, index) => {
    const cell = cellOf(raw)
    const classes = [table.columns[index]?.align ?? 'left', cell.status ?? '', cell.mono === true ? 'mono' : ''].filter((c) => c !== '').join(' ')
    return html`<td class="${classes}"${cell.title === undefined ? '' : html` title="${cell.title}"`}>${cell.text}</td>`
  })}</tr>`)
  return html`<table${id === undefined ? '' : html` id="${id}"`}>${table.caption === undefined ? '' : html`<caption>${table.caption}</caption>`}<thead><tr>${header}</tr></thead><tbody>${rows}</tbody></table>`
}

function renderFacts(facts: ReadonlyArray<readonly [string, string]>): Html {
  if (facts.length === 0) return html``
  return html`<dl class="facts">${facts.map(([key, value]) => html`<dt>${key}</dt><dd>${value}</dd>`)}</dl>`
}

function renderStep(step: TimelineStep, timeline: Timeline, invariant: string | null, prefix: string): Html {
  const badges: Html[] = []
  if (step.failing) badges.push(html`<span class="badge failed">✗ fails here${invariant === null ? '' : `: ${invariant}`}</span>`)
  for (const id of step.violated) if (!(step.failing && id === invariant)) badges.push(html`<span class="badge failed">violates ${id}</span>`)
  if (step.malformed) badges.push(html`<span class="badge info">malformed</span>`)
  if (step.mismatch !== null) badges.push(html`<span class="badge failed">recorded ${step.mismatch}</span>`)
  const kernel = step.kernel === null ? html`` : html`<span><span class="who">${timeline.kernelName ?? 'kernel'}:</span> <span class="${step.kernelAgrees === false ? 'differs' : step.modelOk ? 'ok' : 'err'}">${step.kernel}</span>${step.kernelAgrees === false ? html` <span class="badge failed">≠ model</span>` : html``}</span>`
  const changes = step.changes.length === 0
    ? html`<p class="nochange">no state change</p>`
    : html`<ul class="changes">${step.changes.map((c) => html`<li><span class="path">${c.path}</span>: <span class="before">${c.before}</span> → <span class="after">${c.after}</span></li>`)}${step.moreChanges > 0 ? html`<li>… and ${step.moreChanges} more</li>` : ''}</ul>`
  const divergence = step.divergence === null ? html`` : html`<p class="divergence">kernel state differs from the model's at ${step.divergence.path}: model ${step.divergence.model}, kernel ${step.divergence.kernel}</p>`
  const classes = ['step', step.failing ? 'failing' : '', step.modelOk ? '' : 'refused'].filter((c) => c !== '').join(' ')
  return html`<li class="${classes}" id="${prefix}-step-${step.index}" data-step="${step.index}" data-changes="${step.changes.length}"><div class="step-head"><span class="step-no">#${step.index}</span><span class="caller">caller ${step.caller}</span><code class="syscall">${step.syscall}</code>${badges}</div><div class="results"><span><span class="who">${timeline.modelName}:</span> <span class="${step.modelOk ? 'ok' : 'err'}">${step.model}</span></span>${kernel}</div>${divergence}${changes}</li>`
}

function renderCounterexample(example: CounterexampleSection, index: number, controls: boolean): Html {
  const prefix = `cx${index + 1}`
  const timeline = example.timeline
  const last = timeline.steps.length - 1
  return html`<section class="counterexample" id="${prefix}">
<h2>${example.title}</h2>
<p class="${example.failed ? 'message' : 'note'}">${example.failed ? '✗ ' : ''}${example.message}</p>
${renderFacts(example.facts)}
<h3>Step timeline (${timeline.steps.length} steps${timeline.failingStep === null ? '' : `, fails at step ${timeline.failingStep}`})</h3>
${timeline.bootViolated.length > 0 ? html`<p class="message">The boot state already violates ${timeline.bootViolated.join(', ')}.</p>` : ''}
${controls ? html`<div class="controls"><input type="search" id="step-filter" placeholder="filter steps (syscall, caller, path…)" aria-label="filter steps"><label><input type="checkbox" id="changed-only"> only steps that changed state</label><label><input type="checkbox" id="collapse-changes"> hide state changes</label><span id="shown-steps" class="note"></span></div>` : ''}
<ol class="timeline">${timeline.steps.map((step) => renderStep(step, timeline, example.invariant, prefix))}</ol>
<h3 id="${prefix}-graph">Authority graph ${last < 0 ? 'of the boot state' : `after step ${last} (the final state)`}</h3>
<div class="graph-box">${example.graph}</div>
</section>`
}

/** The whole page. */
export function renderReport(report: Report): string {
  const nav = [
    html`<a href="#summary">Summary</a>`, html`<a href="#charts">${report.chartsTitle}</a>`,
    ...report.counterexamples.map((example, index) => html`<a href="#cx${index + 1}">${example.title}</a>`),
    report.graph === null ? html`` : html`<a href="#graph">Authority graph</a>`,
  ]
  const statusText = report.status === 'passed' ? 'passed' : report.status === 'failed' ? 'failed' : 'report'
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${report.generator}">
<title>${report.title}</title>
<link rel="icon" href="data:,">
<style>${raw(STYLE)}</style>
</head>
<body data-command="${report.command}" data-status="${report.status}">
<header class="top">
<h1>${report.title}<span class="pill ${report.status}" id="status">${statusText}</span></h1>
<p class="headline">${report.headline}</p>
<nav>${join(nav)}</nav>
</header>
<main>
<section id="summary">
<h2>Summary</h2>
${renderFacts(report.facts)}
${tableHtml(report.summary, 'summary-table')}
${(report.tables ?? []).map((table) => tableHtml(table))}
</section>
<section id="charts">
<h2>${report.chartsTitle}</h2>
<div class="charts">${report.charts.map((chart) => html`<div class="chart-box">${chart.svg}${chart.note === undefined ? '' : html`<p class="note">${chart.note}</p>`}</div>`)}</div>
${report.chartsNote === undefined ? '' : html`<p class="note">${report.chartsNote}</p>`}
</section>
${report.counterexamples.map((example, index) => renderCounterexample(example, index, index === 0))}
${report.graph === null ? '' : html`<section id="graph"><h2>Authority graph</h2><p class="note">${report.graph.caption}</p><div class="graph-box">${report.graph.svg}</div></section>`}
</main>
<footer>Generated by ${report.generator}. Self-contained: no file or network access beyond this page.</footer>
<script>${raw(SCRIPT)}</script>
</body>
</html>
`
  return page.text
}
