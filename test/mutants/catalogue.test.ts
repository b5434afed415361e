import { test } from 'uvu'
import * as assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MUTANTS, type MutantFamily } from '../../mutants/catalogue.js'
import { patchText } from '../../mutants/materialize.js'

/** The compiled tree the catalogue patches (`dist/`). */
const DIST = fileURLToPath(new URL('../../', import.meta.url))
const FAMILIES: ReadonlyArray<MutantFamily> = [
  'rights-and-cdt', 'revoke-and-destroy', 'accounting-and-quotas', 'namespaces', 'mappings', 'ipc', 'spawn-and-images', 'scheduler', 'view',
]

test('the catalogue has at least 30 mutants with unique names and one-line descriptions', () => {
  assert.ok(MUTANTS.length >= 30, `only ${MUTANTS.length} mutants`)
  const names = MUTANTS.map((mutant) => mutant.name)
  assert.equal(new Set(names).size, names.length, 'duplicate mutant names')
  for (const mutant of MUTANTS) {
    assert.match(mutant.name, /^[a-z0-9]+(-[a-z0-9]+)*$/, mutant.name)
    assert.ok(mutant.description.length > 0 && !mutant.description.includes('\n'), `${mutant.name}: description is one line`)
    assert.ok(mutant.find !== mutant.replace, `${mutant.name}: find and replace are the same`)
  }
})

test('every family has at least two mutants (the view at least one)', () => {
  for (const family of FAMILIES) {
    const count = MUTANTS.filter((mutant) => mutant.family === family).length
    assert.ok(count >= (family === 'view' ? 1 : 2), `${family}: ${count} mutants`)
  }
  for (const mutant of MUTANTS) assert.ok(FAMILIES.includes(mutant.family), `${mutant.name}: unknown family ${mutant.family}`)
})

test('view mutants patch the abstraction, the others the compiled impl', () => {
  for (const mutant of MUTANTS) {
    if (mutant.family === 'view') assert.equal(mutant.file, 'refinement/abstraction.js', mutant.name)
    else assert.match(mutant.file, /^impl\/.+\.js$/, mutant.name)
  }
})

test('every mutant\'s text occurs exactly once in its compiled file, and patching changes it', () => {
  for (const mutant of MUTANTS) {
    const text = readFileSync(join(DIST, mutant.file), 'utf8')
    const patched = patchText(mutant, text)
    assert.notEqual(patched, text, `${mutant.name}: patch changes nothing`)
  }
})

test('every patched file is still valid JavaScript', () => {
  const directory = mkdtempSync(join(tmpdir(), 'sila-mutant-syntax-'))
  try {
    for (const mutant of MUTANTS) {
      const file = join(directory, `${mutant.name}.mjs`)
      writeFileSync(file, patchText(mutant, readFileSync(join(DIST, mutant.file), 'utf8')))
      const checked = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' })
      assert.equal(checked.status, 0, `${mutant.name}: ${checked.stderr}`)
    }
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
})

test.run()
