/**
 * `sila explore --boot FILE`: a declared system's processes run images of the
 * presets or the property pool, and a declaration the kernel cannot honour is
 * refused naming the file and the JSON path (found by the decoder fuzzing).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NESTED } from '../../spec/presets.js'
import { sila, STACK_LINE } from './run.js'

const directory = mkdtempSync(join(tmpdir(), 'sila-explore-boot-'))
test.after(() => rmSync(directory, { recursive: true, force: true }))

test('a boot file whose declared processes run a preset image explores', () => {
  const file = join(directory, 'nested.json')
  writeFileSync(file, JSON.stringify(NESTED.boot))
  const run = sila('explore', '--boot', file, '--depth', '2')
  assert.is(run.status, 0, run.stderr)
  assert.match(run.stdout, /No invariant violated within the bounds\./)
  assert.match(run.stdout, /process_spawn \d+/)
})

test('a declared process in a container that does not exist: refused with the file and the path, exit 2', () => {
  const config = JSON.parse(JSON.stringify(NESTED.boot)) as { system: { processes: Array<{ container: string }> } }
  config.system.processes[0]!.container = 'nowhere'
  const file = join(directory, 'bad.json')
  writeFileSync(file, JSON.stringify(config))
  const run = sila('explore', '--boot', file, '--depth', '2')
  assert.is(run.status, 2)
  assert.match(run.stderr, /bad\.json: \$\.system\.processes\[0\]\.container: no declared object named "nowhere"/)
  assert.not.match(run.stderr, STACK_LINE)
})

test.run()
