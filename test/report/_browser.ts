/**
 * Where the browser tests find Chromium. In order:
 * 1. `SILA_CHROMIUM`, a path the user names;
 * 2. the binary shipped inside the `@sparticuz/chromium` registry package (a
 *    devDependency, so `npm ci` alone brings it: no install script, no download);
 *    it unpacks itself into the temporary directory on first use;
 * 3. Debian's `/usr/bin/chromium`, when the package's binary cannot run here
 *    (unless `SILA_CHROMIUM_PACKAGED_ONLY=1`, as in CI).
 * Playwright-core drives whichever is found; it downloads no browser of its own.
 * @module
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

const DEBIAN = '/usr/bin/chromium'
/** Flags for a headless run on a machine with no network and no GPU. */
const QUIET = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** A Chromium binary and the flags it needs, and where it came from (for messages). */
export interface Browser { readonly executable: string; readonly args: ReadonlyArray<string>; readonly source: string }

async function packaged(): Promise<Browser | null> {
  try {
    const { default: sparticuz } = await import('@sparticuz/chromium')
    const executable = await sparticuz.executablePath()
    // The package's own flags favour a serverless sandbox; `--single-process` makes
    // persistent contexts close badly, so it is left out.
    const args = sparticuz.args.filter((arg) => arg !== '--single-process')
    return existsSync(executable) ? { executable, args: [...args, ...QUIET], source: '@sparticuz/chromium' } : null
  } catch {
    return null
  }
}

/** The Chromium the browser tests use; fails with a message saying how to get one. */
export async function findChromium(): Promise<Browser> {
  const named = process.env.SILA_CHROMIUM
  if (named !== undefined) {
    if (!existsSync(named)) throw new Error(`SILA_CHROMIUM names ${named}, which does not exist`)
    return { executable: named, args: QUIET, source: 'SILA_CHROMIUM' }
  }
  const fromPackage = await packaged()
  if (fromPackage !== null) return fromPackage
  // CI sets this so that a broken package binary cannot hide behind Debian's.
  if (process.env.SILA_CHROMIUM_PACKAGED_ONLY === '1') throw new Error('@sparticuz/chromium could not unpack or run here, and SILA_CHROMIUM_PACKAGED_ONLY=1 forbids the fallback to /usr/bin/chromium')
  if (existsSync(DEBIAN)) return { executable: DEBIAN, args: QUIET, source: 'Debian' }
  throw new Error('no Chromium for the report tests: @sparticuz/chromium (a devDependency; run npm ci) could not unpack, and /usr/bin/chromium is absent (apt-get install chromium)')
}

/** A fresh persistent browser context in a profile of its own, and that profile's directory. */
export async function launchBrowser(): Promise<{ context: BrowserContext; profile: string; browser: Browser }> {
  const browser = await findChromium()
  const profile = mkdtempSync(join(tmpdir(), 'sila-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browser.executable, headless: true, viewport: { width: 1280, height: 900 }, args: [...browser.args],
  })
  return { context, profile, browser }
}
