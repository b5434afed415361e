/**
 * The HTML report in a real browser: headless Chromium (the one the
 * `@sparticuz/chromium` devDependency ships, Debian's as a fallback: ./_browser.ts)
 * driven by playwright-core. A check run
 * against a seeded bug gives a counterexample; its report must render with no
 * console message, no page error and no request but the page itself. A screenshot
 * is left in dist/test/report/screenshot.png for people to look at.
 *
 * Without Chromium this test fails, on purpose: `npm ci` brings one, and a
 * skipped browser test would pass unnoticed.
 * @module
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'
import { launchBrowser } from './_browser.js'
import { runSuite } from '../../properties/run.js'
import { SUITES } from '../../properties/registry.js'
import { loadTarget } from '../../checker/targets.js'
import { syscallText } from '../../checker/stepText.js'
import { checkReport, generatorName, writeReport } from '../../checker/report/index.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url))
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const MUTANT = 'copy-amplifies-rights'

/** What the page said or did that it should not have. */
interface Observed { readonly problems: string[]; readonly requests: string[] }

async function browser(): Promise<{ context: BrowserContext; profile: string }> {
  const { context, profile } = await launchBrowser()
  return { context, profile }
}

async function open(context: BrowserContext, file: string): Promise<{ page: Page; observed: Observed }> {
  const page = await context.newPage()
  const observed: Observed = { problems: [], requests: [] }
  page.on('console', (message) => observed.problems.push(`console.${message.type()}: ${message.text()}`))
  page.on('pageerror', (error) => observed.problems.push(`page error: ${error.message}`))
  page.on('requestfailed', (request) => observed.problems.push(`request failed: ${request.url()}`))
  page.on('request', (request) => observed.requests.push(request.url()))
  const url = pathToFileURL(file).href
  const response = await page.goto(url, { waitUntil: 'load' })
  assert.ok(response === null || response.ok(), `loaded ${url}`)
  return { page, observed }
}

function assertQuiet(observed: Observed, file: string): void {
  assert.equal(observed.problems, [], `no console message and no page error in ${file}`)
  assert.equal(observed.requests, [pathToFileURL(file).href], 'no request but the page itself')
}

test('the report of a check run with a seeded bug renders in headless Chromium: summary, charts, timeline, graph', async () => {
  const { context, profile } = await browser()
  try {
    const target = await loadTarget(`mutant:${MUTANT}`)
    const result = runSuite('invariants', { suites: ['invariants'], runs: 40, seed: 1, maxSteps: 60, target })
    const example = result.counterexample
    assert.ok(example !== null, 'the seeded bug is found')
    const executed = SUITES.invariants.executed(example.scenario)
    const failing = example.failure.step + executed.length - example.scenario.length
    const report = await checkReport({ results: [result], seed: 1, runs: 40, maxSteps: 60, targetName: `mutant:${MUTANT}`, target, generator: generatorName() })
    const file = writeReport(join(HERE, 'check-report'), report)
    const { page, observed } = await open(context, file)

    assert.match(await page.title(), /^sila check: 1 suite failed$/)
    assert.is(await page.locator('#status').textContent(), 'failed')
    const summaryRows = page.locator('#summary-table tbody tr')
    assert.is(await summaryRows.count(), 1)
    assert.match((await summaryRows.first().textContent())!, /^invariants.*FAILED/)
    assert.ok(await page.locator('#summary-table td.failed').isVisible())

    const charts = page.locator('#charts svg.chart')
    assert.is(await charts.count(), 3, 'syscall kinds, error codes, deep cases')
    assert.ok(await page.locator('#charts svg.chart rect.segment').count() > 10, 'bars drawn')
    const box = await charts.first().boundingBox()
    assert.ok(box !== null && box.width > 300 && box.height > 300, `the syscall chart is laid out (${JSON.stringify(box)})`)

    const steps = page.locator('#cx1 ol.timeline > li.step')
    assert.is(await steps.count(), executed.length, 'one entry per executed step')
    const failingStep = page.locator('#cx1 li.step.failing')
    assert.is(await failingStep.count(), 1)
    assert.is(await failingStep.getAttribute('data-step'), String(failing))
    assert.is(await failingStep.locator('code.syscall').textContent(), syscallText(executed[failing]))
    assert.match((await failingStep.textContent())!, new RegExp(`fails here: ${example.failure.invariant}`))
    assert.ok(await failingStep.isVisible())
    assert.ok(await page.locator('#cx1 ul.changes li').count() > 0, 'the state changes of the steps are listed')
    assert.match((await page.locator('#cx1 ul.changes li').first().textContent())!, /^\S+: .* → .*/)

    const graph = page.locator('#cx1 .graph-box svg')
    assert.is(await graph.count(), 1)
    assert.match((await graph.textContent())!, /container 0 "root"/)
    const graphBox = await graph.boundingBox()
    assert.ok(graphBox !== null && graphBox.width > 100 && graphBox.height > 100, 'the authority graph is laid out')

    // The page's script ran (the policy allows it by hash) and filters the timeline.
    assert.is(await page.locator('#shown-steps').textContent(), `${executed.length} of ${executed.length} steps shown`)
    await page.fill('#step-filter', 'no step says this')
    assert.is(await page.locator('#shown-steps').textContent(), `0 of ${executed.length} steps shown`)
    await page.fill('#step-filter', '')
    await page.check('#collapse-changes')
    assert.not.ok(await page.locator('#cx1 ul.changes').first().isVisible(), 'changes hidden')
    await page.uncheck('#collapse-changes')

    await page.screenshot({ path: join(HERE, 'screenshot.png'), fullPage: true })
    assertQuiet(observed, file)
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  }
})

test('--report on check, explore, replay and mutants writes one self-contained page each, and each renders cleanly', async () => {
  const work = mkdtempSync(join(tmpdir(), 'sila-report-cli-'))
  const { context, profile } = await browser()
  try {
    const sila = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 })
    const runs = [
      { name: 'check', expect: 1, args: ['check', 'invariants', '--mutant', MUTANT, '--runs', '40', '--seed', '1', '--workers', '1'], title: /^sila check: 1 suite failed$/, timeline: true },
      { name: 'explore', expect: 1, args: ['explore', '--mutant', 'revoke-misses-messages'], title: /^sila explore cap-core: CAP-3 violated$/, timeline: true },
      { name: 'replay', expect: 0, args: ['replay', join(ROOT, 'examples', 'ipc-transfer.trace.json')], title: /^sila replay: ok$/, timeline: true },
      { name: 'mutants', expect: 0, args: ['mutants', MUTANT, '--runs', '20', '--workers', '1'], title: /^sila mutants: 1 of 1 killed$/, timeline: false },
    ]
    for (const run of runs) {
      const directory = join(work, `${run.name}-report`)
      const done = sila(...run.args, '--report', directory)
      assert.is(done.status, run.expect, `sila ${run.args.join(' ')}: ${done.stderr}`)
      const file = join(directory, 'index.html')
      assert.ok(existsSync(file), `${run.name} wrote ${file}; its output:\n${done.stdout}\n${done.stderr}`)
      assert.match(done.stdout, new RegExp(`^report: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'))
      const text = readFileSync(file, 'utf8')
      assert.not.match(text, /\b(?:src|href)="(?!#|data:)/, `${run.name}: no reference to another file`)
      const { page, observed } = await open(context, file)
      assert.match(await page.title(), run.title)
      assert.ok(await page.locator('#summary-table').isVisible())
      assert.ok(await page.locator('svg.chart').count() >= 1)
      assert.is(await page.locator('li.step').count() > 0, run.timeline, `${run.name}: a timeline exactly when there is a trace`)
      assert.ok(await page.locator('.graph-box svg').count() >= 1, `${run.name}: an authority graph`)
      assertQuiet(observed, file)
      await page.close()
    }
    for (const command of ['check', 'explore', 'replay', 'mutants']) assert.match(sila(command, '--help').stdout, /^ +--report DIR +write an HTML report/m, `sila ${command} --help documents --report DIR`)
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
    rmSync(work, { recursive: true, force: true })
  }
})

test.run()
