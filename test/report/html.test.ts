import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { escapeHtml, html, join, raw, Html, coordinate } from '../../checker/report/html.js'
import { CONTENT_SECURITY_POLICY, renderReport, type Report } from '../../checker/report/page.js'
import { buildTimeline } from '../../checker/report/timeline.js'
import { PROPERTY_BOOT, IMAGE_POOL } from '../../properties/pool.js'

test('escapeHtml escapes the five characters that matter in text and in quoted attributes', () => {
  assert.is(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;')
  assert.is(escapeHtml('plain text, ünïcode ≤ →'), 'plain text, ünïcode ≤ →')
  assert.is(escapeHtml(''), '')
})

test('html escapes every interpolated value, once, and inserts markup as is', () => {
  const hostile = '"><script>alert(1)</script>'
  const fragment = html`<td title="${hostile}">${hostile}</td>`
  assert.ok(fragment instanceof Html)
  assert.is(fragment.text, '<td title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</td>')
  const nested = html`<p>${fragment}</p>`
  assert.is(nested.text, `<p>${fragment.text}</p>`, 'markup made by html is not escaped again')
  assert.is(html`${['<a>', html`<b>`, 3, null, undefined, false]}`.text, '&lt;a&gt;<b>3')
  assert.is(html`${Number.NaN}|${Infinity}|${-0.5}`.text, 'NaN|Infinity|-0.5')
  assert.is(raw('<i>').text, '<i>')
  assert.is(join(['<a>', html`<b/>`], ', ').text, '&lt;a&gt;, <b/>')
  assert.is(join(['x', 'y'], html`<br>`).text, 'x<br>y')
})

test('coordinate gives finite numbers with at most two decimals', () => {
  assert.is(coordinate(1 / 3), '0.33')
  assert.is(coordinate(12), '12')
  assert.is(coordinate(Number.NaN), '0')
  assert.is(coordinate(-Infinity), '0')
})

function hostileReport(): Report {
  const evil = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'
  const timeline = buildTimeline({ boot: PROPERTY_BOOT, images: IMAGE_POOL, steps: [{ syscall: { kind: evil, caller: 0 } }, { syscall: { kind: 'ep_create', caller: 0, depth: 2, dst: 3 } }] })
  return {
    command: 'check', title: `title ${evil}`, status: 'failed', headline: evil, facts: [[evil, evil]],
    summary: { caption: evil, columns: [{ header: evil }], rows: [[evil], [{ text: evil, status: 'failed', title: evil }]] },
    chartsTitle: evil, charts: [{ svg: html`<svg class="chart"></svg>`, note: evil }], chartsNote: evil,
    counterexamples: [{ title: evil, message: evil, failed: true, invariant: evil, facts: [[evil, evil]], timeline, graph: html`<svg class="graph"></svg>` }],
    graph: { svg: html`<svg></svg>`, caption: evil }, generator: evil,
  }
}

test('the page escapes every value it is given: no markup from the data survives', () => {
  const page = renderReport(hostileReport())
  assert.not.match(page, /<img/)
  assert.not.match(page.replace(/"[^"]*"/g, "\"\""), /<[^>]*\sonerror=/, "no event handler attribute in any tag (outside quoted, escaped values)")
  assert.is(page.match(/<script>/g)?.length, 1, 'only the page\'s own script element')
  assert.is(page.match(/<\/script>/g)?.length, 1)
  assert.match(page, /&lt;\/script&gt;&lt;script&gt;alert\(&quot;x&quot;\)/)
  assert.match(page, /<li class="step[^"]*" id="cx1-step-0"/, 'the malformed step is on the timeline')
})

test("the page's policy forbids every fetch and allows only its own script, by hash", () => {
  const page = renderReport(hostileReport())
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/)
  assert.not.match(CONTENT_SECURITY_POLICY, /script-src[^;]*unsafe-inline/)
  const script = /<script>([\s\S]*)<\/script>/.exec(page)![1]!
  const hash = createHash('sha256').update(script).digest('base64')
  assert.ok(CONTENT_SECURITY_POLICY.includes(`'sha256-${hash}'`), 'the hash in the policy is the script\'s')
  assert.ok(page.includes(escapeHtml(CONTENT_SECURITY_POLICY)))
  assert.not.match(page, /\b(?:src|href)="(?!#|data:)/, 'no reference to another file or address')
})

test.run()
