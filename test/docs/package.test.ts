/**
 * The package as a user gets it: `npm pack` of this repository (its scripts skipped:
 * `dist/` is already built), installed with npm into an empty project, and used
 * from there through its documented imports only:
 * - the tarball holds the compiled modules and their declarations, and no tests,
 *   source maps or TypeScript sources;
 * - every entry of `exports` resolves, with its declarations; a deep import into
 *   `dist/` is refused; `sila-kernel` gives everything each subpath gives;
 * - every TypeScript example that imports `sila-kernel` — in README.md, docs/*.md
 *   and the entry modules' doc comments (index.ts, api/*.ts) — type-checks with
 *   `tsc` against the installed declarations and runs with Node, exactly as written;
 * - the installed `sila` command runs a short check, and finds a seeded bug.
 * npm resolves the package's dependencies from its cache, or from the registry for
 * what the cache lacks.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from '../cli/run.js'

/** A documented TypeScript example: where it is written, and its code. */
export interface Example {
  readonly source: string
  readonly code: string
}

/** The ```ts blocks of a Markdown text that import the package. */
export function markdownExamples(text: string, source: string): Example[] {
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)]
    .map((match, index) => ({ source: `${source} (block ${index + 1})`, code: match[1]! }))
    .filter((example) => /from 'sila-kernel[/']/.test(example.code))
}

/** The ```ts blocks of a TypeScript file's doc comments (` * ` prefixes removed) that import the package. */
export function docCommentExamples(text: string, source: string): Example[] {
  const comments = [...text.matchAll(/\/\*\*[\s\S]*?\*\//g)].map((match) => match[0].split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n'))
  return comments.flatMap((comment, index) => markdownExamples(comment, `${source} comment ${index + 1}`))
}

/** Every documented example, from the README, docs/ and the entry modules. */
function documentedExamples(): Example[] {
  const read = (file: string) => readFileSync(join(ROOT, file), 'utf8')
  const docs = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)
  const modules = ['index.ts', ...readdirSync(join(ROOT, 'api')).filter((name) => name.endsWith('.ts')).sort().map((name) => `api/${name}`)]
  return [
    ...['README.md', ...docs].flatMap((file) => markdownExamples(read(file), file)),
    ...modules.flatMap((file) => docCommentExamples(read(file), file)),
  ]
}

/**
 * The environment without the lower-case `npm_*` variables an enclosing `npm test`
 * sets (its prefix among them, which would steer the inner npm to this repository);
 * a user's own `NPM_CONFIG_*` settings stay.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/.test(name)))
}

function run(command: string, args: ReadonlyArray<string>, cwd: string, timeout = 180_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: cleanEnv(), timeout })
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  assert.is(result.status, 0, `${what} exited ${result.status}${result.error ? ` (${result.error.message})` : ''}:\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

interface Installed {
  readonly dir: string
  /** The files of the tarball, relative to the package root. */
  readonly files: ReadonlyArray<string>
  readonly project: string
}

let installed: Installed | null = null

/** Packs and installs once, for every test of this file. */
function install(): Installed {
  if (installed !== null) return installed
  const dir = mkdtempSync(join(tmpdir(), 'sila-package-'))
  const packed = JSON.parse(ok(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT), 'npm pack')) as Array<{ filename: string; files: Array<{ path: string }> }>
  const tarball = join(dir, packed[0]!.filename)
  const project = join(dir, 'project')
  mkdirSync(project)
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'uses-sila', private: true, type: 'module' }, null, 2)}\n`)
  ok(run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], project), 'npm install')
  installed = { dir, files: packed[0]!.files.map((file) => file.path), project }
  return installed
}

/** Runs an ES module in the project; its stdout. */
function node(project: string, name: string, code: string): string {
  writeFileSync(join(project, name), code)
  return ok(run(process.execPath, [name], project, 60_000), `node ${name}`)
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }> }
const SUBPATHS = Object.keys(manifest.exports).filter((key) => key !== '.' && key !== './package.json').map((key) => `sila-kernel/${key.slice(2)}`)

test.after(() => {
  if (installed !== null) rmSync(installed.dir, { recursive: true, force: true })
})

test('the examples are found: the README, docs/library.md, docs/own-kernel.md and the entry modules each have some', () => {
  const sources = documentedExamples().map((example) => example.source.split(' ')[0])
  for (const file of ['README.md', 'docs/library.md', 'docs/own-kernel.md', 'index.ts', 'api/model.ts', 'api/refinement.ts']) {
    assert.ok(sources.includes(file), `${file} has no example importing sila-kernel`)
  }
  assert.ok(SUBPATHS.length >= 7, SUBPATHS.join(' '))
})

test('the tarball ships the compiled modules and declarations of every entry point, and no tests, source maps or sources', () => {
  const { files } = install()
  for (const target of Object.values(manifest.exports)) {
    for (const file of typeof target === 'string' ? [target] : [target.types, target.default]) {
      assert.ok(files.includes(file.replace(/^\.\//, '')), `${file} is not in the tarball`)
    }
  }
  assert.ok(files.includes('dist/cli/main.js'), 'the sila command is missing')
  assert.ok(files.includes('dist/checker/check-worker.js'), 'the check workers are missing')
  const unwanted = files.filter((file) => file.startsWith('dist/test/') || file.endsWith('.map') || (file.endsWith('.ts') && !file.endsWith('.d.ts')) || file.startsWith('tools/') || file.startsWith('test/'))
  assert.equal(unwanted, [])
})

test('every entry point resolves in the installed package; sila-kernel gives all they give; dist/ is not importable', () => {
  const { project } = install()
  const output = node(project, 'entries.mjs', `
const subpaths = ${JSON.stringify(SUBPATHS)}
const root = await import('sila-kernel')
const report = {}
for (const subpath of subpaths) {
  const module = await import(subpath)
  const names = Object.keys(module)
  report[subpath] = { count: names.length, missing: names.filter((name) => root[name] !== module[name]) }
}
let deep = 'imported'
try { await import('sila-kernel/dist/model/step.js') } catch (error) { deep = error.code }
const manifest = (await import('sila-kernel/package.json', { with: { type: 'json' } })).default
console.log(JSON.stringify({ report, deep, name: manifest.name }))
`)
  const { report, deep, name } = JSON.parse(output) as { report: Record<string, { count: number; missing: string[] }>; deep: string; name: string }
  for (const subpath of SUBPATHS) {
    assert.ok(report[subpath]!.count > 0, `${subpath} exports nothing`)
    assert.equal(report[subpath]!.missing, [], `sila-kernel lacks what ${subpath} exports`)
  }
  assert.is(deep, 'ERR_PACKAGE_PATH_NOT_EXPORTED')
  assert.is(name, 'sila-kernel')
})

test('every documented example type-checks against the installed declarations and runs as written', () => {
  const { project } = install()
  const examples = documentedExamples()
  const sources = join(project, 'examples')
  mkdirSync(sources, { recursive: true })
  const name = (example: Example) => example.source.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '')
  for (const example of examples) writeFileSync(join(sources, `${name(example)}.ts`), `// ${example.source}\n${example.code}`)
  writeFileSync(join(project, 'tsconfig.json'), `${JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true,
      rootDir: 'examples', outDir: 'out', types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
    },
    include: ['examples'],
  }, null, 2)}\n`)
  ok(run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.', '--pretty', 'false'], project), 'tsc over the documented examples')
  for (const example of examples) {
    const result = run(process.execPath, [join('out', `${name(example)}.js`)], project, 60_000)
    assert.is(result.status, 0, `${example.source} failed:\n${result.stdout}\n${result.stderr}`)
    assert.is(result.stderr, '', `${example.source} wrote to stderr`)
  }
})

test('the installed sila command runs a check', () => {
  const { project } = install()
  const sila = join(project, 'node_modules', '.bin', 'sila')
  const version = ok(run(sila, ['--version'], project), 'sila --version')
  assert.match(version, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version)
  const checked = ok(run(sila, ['check', 'invariants', '--runs', '20', '--workers', '1', '--seed', '1'], project), 'sila check')
  assert.match(checked, /All suites passed/)
  // A seeded bug is a patched copy of the compiled kernel, outside the package: it must still find the dependencies.
  const mutant = run(sila, ['check', 'refinement', '--mutant', 'copy-amplifies-rights', '--runs', '100', '--workers', '1', '--seed', '1', '--counterexamples', 'cex'], project)
  assert.is(mutant.status, 1, `sila check --mutant exited ${mutant.status}:\n${mutant.stdout}\n${mutant.stderr}`)
  assert.match(mutant.stdout, /replay it: npx sila replay cex\/\S+ --mutant copy-amplifies-rights/)
})

test.run()
