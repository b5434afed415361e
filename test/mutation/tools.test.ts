/**
 * The pieces of `npm run mutate` that decide verdicts without Stryker around them:
 * the native type checker (a mutant applied to its file's text, positions mapped
 * back past it, and real compile errors told from the ones a copy of a file always
 * has), the test shim that stops at the first failing test, and the oracle's plan
 * (every file and test it names exists).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from '../cli/run.js'

type Position = { line: number; column: number }
type Span = { start: Position; end: Position }
interface CheckerModule {
  applied(text: string, span: Span, replacement: string): string
  original(line: number, column: number, span: Span, replacement: string): Position | null
  NativeTypeChecker: new (logger: unknown) => { init(): Promise<void>; check(mutants: unknown[]): Promise<Record<string, { status: string; reason?: string }>> }
}
interface PlanModule {
  TESTS_OF: Record<string, string[]>
  COMPARISON: string[]
  stagesFor(file: string, options?: { retest?: boolean; ownTestsOnly?: boolean }): Array<{ kind: 'check' } | { kind: 'tests'; names: string[] }>
}
const tool = (name: string) => join(ROOT, 'tools/mutation', name)
const checker = (await import(tool('native-type-checker.mjs'))) as CheckerModule
const plan = (await import(tool('oracle-plan.mjs'))) as PlanModule

/** The position of character `offset` of `text`, zero-based as Stryker's. */
function positionOf(text: string, offset: number): Position {
  const before = text.slice(0, offset).split('\n')
  return { line: before.length - 1, column: before[before.length - 1]!.length }
}

test('a mutant applied to a text, and every position outside it mapped back to where it was', () => {
  let multiline = 0
  fc.assert(fc.property(
    fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n') }), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('\n')),
    fc.string({ unit: fc.constantFrom('x', '\n', ';') , maxLength: 6 }),
    fc.nat(), fc.nat(), fc.nat(),
    (text, replacement, a, b, at) => {
      const [from, to] = [a % (text.length + 1), b % (text.length + 1)].sort((x, y) => x - y) as [number, number]
      const span = { start: positionOf(text, from), end: positionOf(text, to) }
      const mutated = checker.applied(text, span, replacement)
      assert.is(mutated, text.slice(0, from) + replacement + text.slice(to))
      if (replacement.includes('\n') || text.slice(from, to).includes('\n')) multiline++
      const offset = at % (mutated.length + 1)
      const { line, column } = positionOf(mutated, offset)
      const back = checker.original(line, column, span, replacement)
      if (offset < from) assert.equal(back, positionOf(text, offset))
      else if (offset < from + replacement.length) assert.is(back, null)
      else assert.equal(back, positionOf(text, offset - replacement.length + (to - from)))
    },
  ), { numRuns: 2000, seed: 7 })
  console.log(`  mapping: ${multiline} of 2000 cases change the number of lines`)
  assert.ok(multiline > 200)
})

test('the native checker: a mutant that breaks a type is a compile error, one that does not passes, even in a file whose copy is a second class', async () => {
  const instance = new checker.NativeTypeChecker({ info() {}, debug() {}, warn() {} })
  await instance.init()
  const kernel = readFileSync(join(ROOT, 'impl/kernel.ts'), 'utf8')
  const mutant = (id: string, file: string, text: string, needle: string, replacement: string) => {
    const from = text.indexOf(needle)
    assert.ok(from >= 0, needle)
    return { id, fileName: join(ROOT, file), location: { start: positionOf(text, from), end: positionOf(text, from + needle.length) }, replacement, mutatorName: 'test' }
  }
  const results = await instance.check([
    // A name outside the union the boot namespaces are declared as.
    mutant('1', 'impl/kernel.ts', kernel, "['pid', 'mount'", "['pdi', 'mount'"),
    // The same two names the other way round: the same union.
    mutant('2', 'impl/kernel.ts', kernel, "['pid', 'mount'", "['mount', 'pid'"),
    // Another default capacity: types unchanged. kernel.ts declares the Kernel class,
    // so its copy has errors of its own (`this` is another class), subtracted.
    mutant('3', 'impl/kernel.ts', kernel, 'objects: 16', 'objects: 17'),
    mutant('4', 'impl/kernel.ts', kernel, 'return', 'const wrong: number = "text"; return'),
  ])
  assert.is(results['1']!.status, 'compileError')
  assert.match(results['1']!.reason!, /impl\/kernel\.ts\(\d+,\d+\) in the mutated copy: error TS\d+/)
  assert.is(results['2']!.status, 'passed')
  assert.is(results['3']!.status, 'passed')
  assert.is(results['4']!.status, 'compileError')
})

test('the test shim ends a run at the first failing test, with exit code 1, and runs them all when none fails', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sila-shim-'))
  try {
    const write = (failing: boolean) => writeFileSync(join(dir, 'a.test.mjs'), [
      "import { suite, test } from 'uvu'",
      "const s = suite('S')",
      "s.before(() => console.log('before'))",
      "s('one', () => console.log('ONE'))",
      `s('two', () => { ${failing ? "throw new Error('two fails')" : "console.log('TWO')"} })`,
      "s('three', () => console.log('THREE'))",
      's.run()',
      "test('plain', () => console.log('PLAIN'))",
      'test.run()',
    ].join('\n'))
    const run = () => spawnSync(process.execPath, ['--import', tool('test-preload.mjs'), join(ROOT, 'node_modules/uvu/bin.js'), dir], { encoding: 'utf8' })
    write(true)
    const failed = run()
    assert.is(failed.status, 1, failed.stderr)
    assert.match(failed.stdout, /ONE/)
    assert.match(failed.stdout, /✘ S › two/)
    assert.not.match(failed.stdout, /THREE|PLAIN/)
    write(false)
    const passed = run()
    assert.is(passed.status, 0, passed.stderr)
    assert.match(passed.stdout, /ONE[\s\S]*TWO[\s\S]*THREE[\s\S]*PLAIN[\s\S]*passed: 4/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("the oracle's plan names only source files and test files that exist, and every mutated file gets the check and the comparison tests", () => {
  const testFiles = readdirSync(join(ROOT, 'test'), { recursive: true }).map(String).filter((file) => file.endsWith('.test.ts')).map((file) => file.replace(/\\/g, '/').replace(/\.test\.ts$/, ''))
  const named = (pattern: string) => testFiles.filter((file) => new RegExp(`^(${pattern})$`).test(file))
  for (const [key, names] of Object.entries(plan.TESTS_OF)) {
    assert.ok(key.endsWith('/') ? existsSync(join(ROOT, key)) : existsSync(join(ROOT, `${key}.ts`)), `TESTS_OF names ${key}, which is not a source`)
    for (const name of names) assert.ok(named(name).length > 0, `TESTS_OF names the tests ${name}, which match no test file`)
  }
  for (const name of plan.COMPARISON) assert.ok(named(name).length > 0, name)
  const sources = ['impl', 'refinement'].flatMap((tree) => readdirSync(join(ROOT, tree), { recursive: true }).map(String).filter((file) => file.endsWith('.ts')).map((file) => `${tree}/${file.replace(/\\/g, '/').replace(/\.ts$/, '')}`))
  for (const source of sources) {
    const stages = plan.stagesFor(source)
    assert.ok(stages.some((stage) => stage.kind === 'check'), source)
    const tested = stages.flatMap((stage) => (stage.kind === 'tests' ? stage.names : []))
    for (const name of plan.COMPARISON) assert.ok(tested.includes(name), `${source}: the comparison tests ${name}`)
  }
})

test.run()
