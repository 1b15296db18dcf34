/**
 * The end-user flow of DESIGN.md §1 in a real browser (Debian's /usr/bin/chromium, driven by
 * playwright-core; no browser is downloaded): Developers → API Keys → Add API Key → name →
 * Yes, Create Key → banner → copy the key → call the API; disable, enable, rotate, delete.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemo, type RunningDemo } from '../src/demo.js'

const CHROMIUM = '/usr/bin/chromium'
// The committed screenshot is refreshed with KEYWARD_UPDATE_SCREENSHOTS=1; other runs leave the tree clean.
const SCREENSHOTS =
  process.env.KEYWARD_UPDATE_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../screenshots/', import.meta.url))
    : join(tmpdir(), 'keyward-demo-screenshots')

let demo: RunningDemo
let context: BrowserContext
let page: Page
let tmp: string

/** Call the protected API the way an integration would. */
async function callApi(key: string, path = '/v1/me', init: RequestInit = {}): Promise<number> {
  const response = await fetch(`${demo.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...init.headers } })
  await response.arrayBuffer()
  return response.status
}

/** The row of the key list for `name` (the newest first, as listed). */
const rowOf = (name: string) => page.locator('#keys-region tbody tr', { has: page.getByText(name, { exact: true }) }).first()

/** With KEYWARD_DEMO_ALL_SCREENSHOTS=1, also save the dialog and the new-key panel (not committed). */
async function extraScreenshot(name: string): Promise<void> {
  if (process.env.KEYWARD_DEMO_ALL_SCREENSHOTS !== '1') return
  mkdirSync(join(tmpdir(), 'keyward-demo-screenshots'), { recursive: true })
  await page.screenshot({ path: join(tmpdir(), 'keyward-demo-screenshots', `${name}.png`) })
}

async function readClipboard(): Promise<string> {
  return page.evaluate(() => navigator.clipboard.readText())
}

describe('the API Keys page in Chromium', () => {
  it("has Debian's Chromium to drive (apt-get install chromium; .ci/run installs it)", () => {
    expect(existsSync(CHROMIUM)).toBe(true)
  })

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'keyward-demo-'))
    demo = await startDemo({ port: 0, dataDir: join(tmp, 'data') })
    // A persistent context on a fresh profile folder: the launch never touches a real profile.
    context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 800 },
      baseURL: demo.url,
    })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: demo.url })
    page = await context.newPage()
    page.setDefaultTimeout(10_000)
  })

  afterAll(async () => {
    await context?.close()
    await demo?.close()
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  })

  it('creates a key, copies it, and the key follows disable, enable, rotate and delete', async () => {
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text())
    })

    await page.goto('/')
    // The top navigation bar: its second icon is the code icon, which opens Developers.
    const navLinks = page.getByRole('navigation', { name: 'Main' }).getByRole('link')
    await expect.poll(() => navLinks.count()).toBe(3)
    const codeIcon = navLinks.nth(1)
    expect(await codeIcon.getAttribute('aria-label')).toBe('Developers')
    expect(await codeIcon.locator('svg polyline').count()).toBe(2) // the `<>` glyph
    await codeIcon.click()
    await page.waitForURL('**/developers')
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Developers')
    expect(await page.getByRole('link', { name: 'API Keys' }).getAttribute('aria-current')).toBe('page')

    // The empty screen offers Add API Key too.
    await expect.poll(() => page.getByRole('heading', { name: 'No API keys yet' }).isVisible()).toBe(true)
    expect(await page.getByRole('button', { name: 'Add API Key' }).count()).toBe(2)

    // Add API Key (top left) → the dialog; an empty name is refused with a message.
    await page.locator('#add-key').click()
    const dialog = page.getByRole('dialog', { name: 'Add API Key' })
    await dialog.waitFor()
    const nameField = dialog.getByLabel('API Key Name')
    expect(await nameField.evaluate((el) => el === document.activeElement)).toBe(true)
    await dialog.getByRole('button', { name: 'Yes, Create Key' }).click()
    expect(await nameField.getAttribute('aria-invalid')).toBe('true')
    expect(await dialog.locator('#key-name-error').textContent()).toMatch(/name/i)
    expect(await dialog.isVisible()).toBe(true)

    await nameField.fill('CRM sync')
    await extraScreenshot('dialog')
    await dialog.getByRole('button', { name: 'Yes, Create Key' }).click()
    const banner = page.getByRole('status').filter({ hasText: 'created' })
    await banner.waitFor()
    expect(await banner.textContent()).toContain('API key "CRM sync" created')
    expect(await dialog.isVisible()).toBe(false)

    // The key is shown once, with a warning and a curl line; copy it through the copy icon.
    const shown = (await page.locator('#new-key-value').textContent()) ?? ''
    expect(shown).toMatch(/^acme_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/)
    expect(await page.locator('#new-key').textContent()).toMatch(/Store it like a password/)
    expect(await page.locator('#curl-line').textContent()).toBe(`curl -H "Authorization: Bearer ${shown}" ${demo.url}/v1/me`)
    await page.getByRole('button', { name: 'Copy API key' }).click()
    await expect.poll(readClipboard).toBe(shown)
    await extraScreenshot('new-key')
    const key = await readClipboard()
    expect(await callApi(key)).toBe(200)
    expect(
      await callApi(key, '/v1/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"to":"+15551234567","text":"Hi"}',
      }),
    ).toBe(202)

    // The list: name, redacted key (never the key), scopes, created, last used, status.
    const row = rowOf('CRM sync')
    const rowText = (await row.textContent()) ?? ''
    expect(rowText).toContain(demo.keyward.redact(key))
    expect(await page.locator('#keys-region').innerHTML()).not.toContain(key)
    expect(rowText).toContain('messages:send')
    expect(rowText).toContain('Active')
    await page.locator('#dismiss-key').click()
    expect(await page.locator('#new-key').isVisible()).toBe(false)
    expect(await page.content()).not.toContain(key)

    // Disable → 401; enable → 200.
    await row.getByRole('button', { name: 'Disable' }).click()
    await expect.poll(() => row.locator('.status').textContent()).toBe('Disabled')
    expect(await callApi(key)).toBe(401)
    await row.getByRole('button', { name: 'Enable' }).click()
    await expect.poll(() => row.locator('.status').textContent()).toBe('Active')
    expect(await callApi(key)).toBe(200)
    // Last used shows up once the batched write lands.
    await page.reload()
    await expect
      .poll(
        async () => {
          await page.reload()
          return rowOf('CRM sync').locator('td').nth(4).textContent()
        },
        { timeout: 10_000 },
      )
      .toBe('just now')

    // Rotate with a grace period: a new key shown once, both work during the grace.
    await rowOf('CRM sync').getByRole('button', { name: 'Rotate' }).click()
    const rotate = page.getByRole('dialog', { name: /Rotate/ })
    await rotate.waitFor()
    await rotate.getByLabel('Old key keeps working for').selectOption({ label: '1 hour' })
    await rotate.getByRole('button', { name: 'Yes, Rotate Key' }).click()
    await page.getByRole('status').filter({ hasText: 'rotated' }).waitFor()
    await page.getByRole('button', { name: 'Copy API key' }).click()
    await expect.poll(readClipboard).not.toBe(key)
    const rotated = await readClipboard()
    expect(rotated).toMatch(/^acme_live_/)
    expect(await callApi(rotated)).toBe(200)
    expect(await callApi(key)).toBe(200) // within the hour of grace
    const rows = page.locator('#keys-region tbody tr')
    await expect.poll(() => rows.count()).toBe(2)
    expect(await rows.nth(1).textContent()).toMatch(/Rotated · ends in (60 min|1 h)/)

    // Add a second integration, so the screenshot shows a realistic list.
    await page.locator('#add-key').click()
    await dialog.getByLabel('API Key Name').fill('Greenhouse ATS')
    await dialog.getByRole('checkbox', { name: /messages:send/ }).uncheck()
    await dialog.getByRole('button', { name: 'Yes, Create Key' }).click()
    await page.getByRole('status').filter({ hasText: 'Greenhouse ATS' }).waitFor()
    await page.locator('#dismiss-key').click()
    await rowOf('Greenhouse ATS').getByRole('button', { name: 'Disable' }).click()
    await expect.poll(() => rowOf('Greenhouse ATS').locator('.status').textContent()).toBe('Disabled')

    mkdirSync(SCREENSHOTS, { recursive: true })
    await page.locator('#banner-close').click()
    await page.screenshot({ path: join(SCREENSHOTS, 'keys.png'), fullPage: true })

    // Delete the new key, with confirmation → 401.
    const newRow = page.locator('#keys-region tbody tr').filter({ hasText: 'CRM sync' }).filter({ hasNotText: 'Rotated' })
    await newRow.getByRole('button', { name: 'Delete' }).click()
    const confirm = page.getByRole('dialog', { name: /Delete/ })
    await confirm.waitFor()
    expect(await confirm.textContent()).toMatch(/cannot be undone/)
    await confirm.getByRole('button', { name: 'Yes, Delete Key' }).click()
    await page.getByRole('status').filter({ hasText: 'deleted' }).waitFor()
    expect(await callApi(rotated)).toBe(401)
    await expect.poll(() => page.locator('#keys-region tbody tr').count()).toBe(2)

    expect(pageErrors).toEqual([])
  })

  it('is usable from the keyboard alone', async () => {
    await page.goto('/developers')
    await page.locator('#add-key').focus()
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog', { name: 'Add API Key' })
    await dialog.waitFor()
    await page.keyboard.type('Zapier workflows')
    await page.keyboard.press('Enter') // submits the form
    await page.getByRole('status').filter({ hasText: 'Zapier workflows' }).waitFor()
    // Focus lands on the copy icon; Escape-free flow: Enter copies.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Copy API key')
    await page.keyboard.press('Enter')
    const key = await page.locator('#new-key-value').textContent()
    await expect.poll(readClipboard).toBe(key)
    // Escape closes a dialog without acting.
    await rowOf('Zapier workflows').getByRole('button', { name: 'Delete' }).focus()
    await page.keyboard.press('Enter')
    await page.getByRole('dialog', { name: /Delete/ }).waitFor()
    await page.keyboard.press('Escape')
    expect(await page.getByRole('dialog', { name: /Delete/ }).isVisible()).toBe(false)
    expect(await callApi(key ?? '')).toBe(200)
  })
})
