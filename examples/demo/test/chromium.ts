/**
 * What the browser tests share: Debian's /usr/bin/chromium driven by playwright-core (no browser is
 * downloaded), each context on its own fresh profile folder, and where screenshots go.
 */
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext } from 'playwright-core'

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
