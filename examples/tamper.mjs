#!/usr/bin/env node
// Flips one bit of one blob of an image directory (an OCI image layout), to see
// the kernel refuse what was signed and then changed. Usage:
//   node examples/tamper.mjs IMAGE_DIR [module|manifest|signature]
// module (the default) is the first layer; manifest and signature are the blobs
// index.json names. The byte flipped is the one in the middle of the blob.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const [dir, which = 'module'] = process.argv.slice(2)
if (dir === undefined || !['module', 'manifest', 'signature'].includes(which)) {
  console.error('usage: node examples/tamper.mjs IMAGE_DIR [module|manifest|signature]')
  process.exit(2)
}
const blob = (digest) => join(dir, 'blobs', ...digest.split(':'))
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'))
const [manifest, signature] = index.manifests
const digest = which === 'manifest' ? manifest?.digest
  : which === 'signature' ? signature?.digest
  : JSON.parse(readFileSync(blob(manifest.digest), 'utf8')).layers?.[0]?.digest
if (typeof digest !== 'string') {
  console.error(`${dir}: has no ${which} blob`)
  process.exit(2)
}
const file = blob(digest)
const bytes = readFileSync(file)
const at = Math.floor(bytes.length / 2)
bytes[at] ^= 0x01
writeFileSync(file, bytes)
console.log(`flipped the low bit of byte ${at} of ${file} (the ${which} blob, ${bytes.length} bytes)`)
