/**
 * What the browser tests share: Debian's /usr/bin/chromium driven by playwright-core (no browser is
 * downloaded), each context on its own fresh profile folder, and where screenshots go.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { startDemo, type RunningDemo } from '../src/demo.js'

export const CHROMIUM = '/usr/bin/chromium'

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
]

// The committed screenshots are refreshed with KEYWARD_UPDATE_SCREENSHOTS=1; other runs leave the tree clean.
export const SCREENSHOTS =
  process.env.KEYWARD_UPDATE_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../screenshots/', import.meta.url))
    : join(tmpdir(), 'keyward-demo-screenshots')

/** A headless Chromium on a fresh profile in `profileDir`: 1280 × 800, or a 375 px touch phone. */
export function launchChromium(profileDir: string, baseURL: string, device: 'desktop' | 'phone' = 'desktop'): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    baseURL,
    ...(device === 'desktop'
      ? { viewport: { width: 1280, height: 800 } }
      : { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true }),
  })
}

/** A demo server on a fresh data folder, and a desktop Chromium page on it. */
export interface DemoInChromium {
  demo: RunningDemo
  context: BrowserContext
  page: Page
  /** The run's temporary folder (data, profiles), removed by `close()`. */
  tmp: string
  close(): Promise<void>
}

/** Start the demo on a free port and a temporary folder, and open a 1280 px page on it. */
export async function startDemoInChromium(): Promise<DemoInChromium> {
  const tmp = mkdtempSync(join(tmpdir(), 'keyward-demo-'))
  const demo = await startDemo({ port: 0, dataDir: join(tmp, 'data') })
  // A persistent context on a fresh profile folder: the launch never touches a real profile.
  const context = await launchChromium(join(tmp, 'profile'), demo.url)
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  return {
    demo,
    context,
    page,
    tmp,
    async close() {
      await context.close()
      await demo.close()
      rmSync(tmp, { recursive: true, force: true })
    },
  }
}
