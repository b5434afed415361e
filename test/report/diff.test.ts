import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { boot } from '../../model/boot.js'
import { step } from '../../model/step.js'
import { ABSENT, stateChanges, valueText } from '../../checker/report/diff.js'
import { authorityGraphSvg } from '../../checker/report/graph.js'
import { authorityGraphHtml, prefixSvgIds } from '../../checker/report/authority.js'
import { buildTimeline } from '../../checker/report/timeline.js'
import { IMAGE_POOL, PROPERTY_BOOT } from '../../properties/pool.js'
import { modelTarget } from '../../refinement/model-target.js'
import type { RefinementTarget } from '../../refinement/target.js'

const booted = boot(PROPERTY_BOOT, IMAGE_POOL)
const init = booted.ksInit

test('the changes of a step: every changed path with its value before and after', () => {
  const after = step(booted, { kind: 'ep_create', caller: 0, depth: 2, dst: 3 }).state
  const { changes, more } = stateChanges(booted, after)
  assert.is(more, 0)
  const paths = changes.map((c) => c.path)
  const endpoint = booted.ksObjectNext
  assert.ok(paths.includes(`objects[${init}].slots[3]`), paths.join(' '))
  assert.ok(paths.includes(`objects[${endpoint}]`))
  const cap = changes.find((c) => c.path.startsWith('caps['))!
  assert.is(cap.before, ABSENT)
  assert.match(cap.after, /rights:\[read,write,grant\]/, 'rights by name, not as a mask')
  assert.equal(changes.find((c) => c.path === `objects[${init}].slots[3]`), { path: `objects[${init}].slots[3]`, before: 'null', after: String(cap.path.slice(5, -1)) })
  assert.not.ok(paths.some((p) => p.startsWith('gs') || p.includes('Next')), 'no ghost fields, no allocation counters')
})

test('no change, and a limit on the list', () => {
  assert.equal(stateChanges(booted, booted), { changes: [], more: 0 })
  const after = step(booted, { kind: 'ep_create', caller: 0, depth: 2, dst: 3 }).state
  const limited = stateChanges(booted, after, 1)
  assert.is(limited.changes.length, 1)
  assert.ok(limited.more >= 2)
  assert.is(valueText('x'.repeat(500)).length, 160)
  assert.is(valueText(new Map([[1, new Set(['a'])]])), '{1:{a}}')
})

test('the timeline runs the model and the kernel in lockstep and marks the failing step', () => {
  const timeline = buildTimeline({
    boot: PROPERTY_BOOT, images: IMAGE_POOL, target: modelTarget as unknown as RefinementTarget,
    steps: [{ syscall: { kind: 'ep_create', caller: 0, depth: 2, dst: 3 } }, { syscall: { kind: 'cap_copy', caller: 0, src: 3, dst: 3, rights: ['read'] } }],
  })
  assert.is(timeline.steps.length, 2)
  assert.equal(timeline.steps.map((s) => s.kernelAgrees), [true, true])
  assert.is(timeline.failingStep, null, 'nothing failed')
  assert.is(timeline.steps[1]!.model, 'SlotOccupied')
  assert.is(timeline.steps[1]!.error, 'SlotOccupied')
  const marked = buildTimeline({ boot: PROPERTY_BOOT, images: IMAGE_POOL, steps: [{ syscall: { kind: 'tick' } }, { syscall: { kind: 'tick' } }], failingStep: 1 })
  assert.equal(marked.steps.map((s) => s.failing), [false, true])
})

test('the fallback drawing: a node per object, a box per container, an arrow per holder and object', () => {
  const after = step(booted, { kind: 'ep_create', caller: 0, depth: 2, dst: 3 }).state
  const svg = authorityGraphSvg(after, 'g<1>', 'graph "one"').text
  assert.is(svg.match(/<g class="node /g)?.length, [...after.ksObjects.values()].filter((o) => o.kind !== 'container').length)
  assert.is(svg.match(/<g class="container"/g)?.length, 1)
  assert.is(svg.match(/<g class="cap slot"/g)?.length, new Set([...after.ksCaps.values()].map((c) => c.object)).size)
  assert.match(svg, /id="g-1--arrow-plain"/, 'marker ids are made safe')
  assert.match(svg, /aria-label="graph &quot;one&quot;"/)
})

test("Graphviz's SVG is inlined with its ids prefixed", async () => {
  assert.is(prefixSvgIds('<g id="node1"><use href="#node1"/><path fill="url(#grad)"/></g>', 'cx 1'), '<g id="cx-1-node1"><use href="#cx-1-node1"/><path fill="url(#cx-1-grad)"/></g>')
  const markup = (await authorityGraphHtml(booted, PROPERTY_BOOT, IMAGE_POOL, 'boot', 'boot <state>')).text
  assert.match(markup, /data-renderer="graphviz"/)
  assert.match(markup, /<svg /)
  assert.match(markup, /id="boot-graph0"/)
  assert.match(markup, /boot &lt;state&gt;/)
  assert.match(markup, /process 3 &quot;init&quot;/)
})

test.run()
