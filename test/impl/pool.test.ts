/**
 * One digest, one pool entry (kernel.md §4), as a user meets it: a trace whose
 * image pool names a digest twice is refused (exit 2) naming the place and the
 * digest, by every command that boots it; a trace written with one `signer` and
 * `signatureOk` per image still replays.
 */
import { test } from 'uvu'
import * as assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, STACK_LINE, sila } from '../cli/run.js'

const directory = mkdtempSync(join(tmpdir(), 'sila-pool-'))
test.after(() => rmSync(directory, { recursive: true, force: true }))

const example = JSON.parse(readFileSync(join(ROOT, 'examples/ipc-transfer.trace.json'), 'utf8')) as { images: Array<Record<string, unknown>> }

test('a trace whose pool names a digest twice is refused at boot by replay, export and audit, naming it', () => {
  const [image] = example.images
  const file = join(directory, 'twice.trace.json')
  writeFileSync(file, JSON.stringify({ ...example, images: [image, { ...image, signatures: [{ signer: 'attacker', verifies: true }] }] }))
  for (const args of [['replay', file], ['replay', file, '--model-only'], ['export', file, '--format', 'json'], ['audit', file]]) {
    const run = sila(...args)
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stdout}${run.stderr}`)
    assert.match(run.stderr, new RegExp(`\\$\\.images\\[1\\]: the image pool names ${String(image!['digest'])} a second time \\(first at \\$\\.images\\[0\\]\\)`), args.join(' '))
    assert.doesNotMatch(run.stderr, STACK_LINE)
  }
})

test('a trace written with one signer and signatureOk per image still replays', () => {
  const [image] = example.images
  const { signatures, ...rest } = image as { signatures: Array<{ signer: string; verifies: boolean }> }
  const file = join(directory, 'legacy.trace.json')
  writeFileSync(file, JSON.stringify({ ...example, images: [{ ...rest, signer: signatures[0]!.signer, signatureOk: signatures[0]!.verifies }] }))
  const run = sila('replay', file)
  assert.equal(run.status, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /recorded outcomes matched/)
})

test.run()
