// Marks the package's bin entries (package.json "bin") executable after a build.
// tsc writes new files without the execute bit, so on a fresh clone `npx sila`
// would find dist/cli/main.js and be refused by the shell ("Permission denied").
import { chmodSync, readFileSync } from 'node:fs'

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
for (const path of Object.values(manifest.bin ?? {})) chmodSync(new URL(`../${path}`, import.meta.url), 0o755)
