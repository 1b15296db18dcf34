/**
 * The end-user flow of DESIGN.md §1 in a real browser (Debian's /usr/bin/chromium, driven by
 * playwright-core; no browser is downloaded): Developers → API Keys → Add API Key → name →
 * Yes, Create Key → banner → copy the key → call the API; disable, enable, rotate, edit, revoke,
 * delete; failures that explain themselves; a 404 page; and the page on a 375 px phone.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningDemo } from '../src/demo.js'
import { CHROMIUM, type DemoInChromium, launchChromium, SCREENSHOTS, startDemoInChromium } from './chromium.js'

let demo: RunningDemo
let session: DemoInChromium
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
    session = await startDemoInChromium()
    ;({ demo, page, tmp } = session)
    await session.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: demo.url })
  })

  afterAll(() => session?.close())

  it('creates a key, copies it, and the key follows disable, enable, rotate, edit, revoke and delete', async () => {
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 500/.test(message.text())) pageErrors.push(message.text())
    })

    await page.goto('/')
    // The top navigation bar: its second item is the code icon, which opens Developers, with a visible label.
    const navLinks = page.getByRole('navigation', { name: 'Main' }).getByRole('link')
    await expect.poll(() => navLinks.count()).toBe(3)
    const codeIcon = navLinks.nth(1)
    expect(await codeIcon.getAttribute('aria-label')).toBe('Developers')
    expect(await codeIcon.locator('svg polyline').count()).toBe(2) // the `<>` glyph
    expect(await codeIcon.locator('.nav-label').isVisible()).toBe(true)
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point: the label is on screen, not only in the DOM
    expect(await codeIcon.innerText()).toBe('Developers')
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

    // No scope is pre-checked, and a key without one is not made without a word.
    await nameField.fill('CRM sync')
    const boxes = dialog.getByRole('checkbox')
    expect(await boxes.count()).toBe(3)
    for (let i = 0; i < 3; i++) expect(await boxes.nth(i).isChecked()).toBe(false)
    await dialog.getByRole('button', { name: 'Yes, Create Key' }).click()
    await expect
      .poll(() => dialog.locator('#create-scopes-error').textContent())
      .toMatch(/No scope is ticked: this key will reach only GET \/v1\/me/)
    expect(await dialog.isVisible()).toBe(true)
    expect(await dialog.getByRole('button', { name: 'Create Without Scopes' }).isVisible()).toBe(true)
    expect((await demo.keyward.list({ ownerId: 'demo-team' })).items).toEqual([])
    // Ticking a scope takes the question back; the budget and metadata fields go with the key.
    await dialog.getByRole('checkbox', { name: /messages:send/ }).check()
    await dialog.getByRole('checkbox', { name: /contacts:sync/ }).check()
    expect(await dialog.locator('#create-scopes-error').textContent()).toBe('')
    await dialog.getByLabel('Requests per minute').fill('1200')
    await dialog.getByLabel('Credits per day').fill('500')
    await dialog.getByLabel(/Metadata/).fill('{ "integration": "hubspot" }')
    await dialog.getByRole('button', { name: 'Yes, Create Key' }).click()
    expect(await dialog.locator('#create-rate-error').textContent()).toMatch(/from 1 to 600/)
    await dialog.getByLabel('Requests per minute').fill('120')
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
    const created = (await demo.keyward.list({ ownerId: 'demo-team' })).items[0]!
    expect(created).toMatchObject({
      name: 'CRM sync',
      scopes: ['messages:send', 'contacts:sync'],
      metadata: { integration: 'hubspot' },
      rateLimit: { limit: 120, windowMs: 60_000 },
      credits: { remaining: 500, refill: { amount: 500, intervalMs: 86_400_000 } },
    })
    expect(await callApi(key)).toBe(200)
    expect(
      await callApi(key, '/v1/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"to":"+15551234567","text":"Hi"}',
      }),
    ).toBe(202)

    // The list: name, redacted key (never the key), scopes, limits, last used, status.
    const row = rowOf('CRM sync')
    const rowText = (await row.textContent()) ?? ''
    expect(rowText).toContain(demo.keyward.redact(key))
    expect(await page.locator('#keys-region').innerHTML()).not.toContain(key)
    expect(rowText).toContain('messages:send')
    expect(rowText).toContain('120/min')
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
    await expect
      .poll(
        async () => {
          await page.reload()
          return rowOf('CRM sync').locator('.last-used').textContent()
        },
        { timeout: 10_000 },
      )
      .toBe('just now')

    // Rotate with 24 hours of grace: a new key shown once, both work during the grace.
    await rowOf('CRM sync').getByRole('button', { name: 'Rotate' }).click()
    const rotate = page.getByRole('dialog', { name: /Rotate/ })
    await rotate.waitFor()
    await rotate.getByLabel('Old key keeps working for').selectOption({ label: '24 hours' })
    await rotate.getByRole('button', { name: 'Yes, Rotate Key' }).click()
    await page.getByRole('status').filter({ hasText: 'rotated' }).waitFor()
    await page.getByRole('button', { name: 'Copy API key' }).click()
    await expect.poll(readClipboard).not.toBe(key)
    const rotated = await readClipboard()
    expect(rotated).toMatch(/^acme_live_/)
    expect(await callApi(rotated)).toBe(200)
    expect(await callApi(key)).toBe(200) // within the grace
    const rows = page.locator('#keys-region tbody tr')
    await expect.poll(() => rows.count()).toBe(2)
    // One countdown, the same right after rotating and after a reload (was "1 days", then "24 h").
    expect(await rows.nth(1).textContent()).toContain('Rotated · ends in 24 h')
    await page.reload()
    expect(await rows.nth(1).textContent()).toContain('Rotated · ends in 24 h')
    // The two rows share a name; each names the other, linked.
    const [newer, older] = [rows.nth(0), rows.nth(1)]
    expect(await newer.locator('.rotation').textContent()).toBe(`Replaces ${demo.keyward.redact(key)}`)
    expect(await older.locator('.rotation').textContent()).toBe(`Replaced by ${demo.keyward.redact(rotated)}`)
    const olderId = await older.getAttribute('data-key-id')
    await newer.locator('.rotation a').click()
    await page.waitForURL(`**/developers#key-${olderId}`)
    expect(await older.evaluate((el) => el.matches(':target'))).toBe(true)

    // Add a second integration, so the screenshot shows a realistic list; then edit it.
    await page.locator('#add-key').click()
    await dialog.getByLabel('API Key Name').fill('Greenhouse ATS')
    await dialog.getByRole('checkbox', { name: /contacts:sync/ }).check()
    await dialog.getByRole('button', { name: 'Yes, Create Key' }).click()
    await page.getByRole('status').filter({ hasText: 'Greenhouse ATS' }).waitFor()
    await page.locator('#dismiss-key').click()
    await rowOf('Greenhouse ATS').getByRole('button', { name: 'Edit' }).click()
    const editDialog = page.getByRole('dialog', { name: /Edit/ })
    await editDialog.waitFor()
    expect(await editDialog.getByLabel('API Key Name').inputValue()).toBe('Greenhouse ATS')
    expect(await editDialog.getByRole('checkbox', { name: /contacts:sync/ }).isChecked()).toBe(true)
    await editDialog.getByLabel('API Key Name').fill('Greenhouse ATS sync')
    await editDialog.getByRole('checkbox', { name: /workflows:trigger/ }).check()
    await editDialog.getByLabel('Requests per minute').fill('30')
    await editDialog.getByLabel('Expires').selectOption({ label: 'In 90 days' })
    await editDialog.getByRole('button', { name: 'Save Changes' }).click()
    await page.getByRole('status').filter({ hasText: 'saved' }).waitFor()
    const greenhouse = (await demo.keyward.list({ ownerId: 'demo-team' })).items.find((item) => item.name === 'Greenhouse ATS sync')!
    expect(greenhouse).toMatchObject({ scopes: ['contacts:sync', 'workflows:trigger'], rateLimit: { limit: 30, windowMs: 60_000 } })
    expect(greenhouse.expiresAt!.getTime() - Date.now()).toBeGreaterThan(89 * 86_400_000)
    expect(await rowOf('Greenhouse ATS sync').textContent()).toMatch(/Expires in 90 days/)
    await rowOf('Greenhouse ATS sync').getByRole('button', { name: 'Disable' }).click()
    await expect.poll(() => rowOf('Greenhouse ATS sync').locator('.status').textContent()).toBe('Disabled')

    mkdirSync(SCREENSHOTS, { recursive: true })
    await page.locator('#banner-close').click()
    await page.screenshot({ path: join(SCREENSHOTS, 'keys.png'), fullPage: true })

    // Revoke is the way to kill a key: it stops at once, and its record stays listed for review.
    await page.locator('#add-key').click()
    await dialog.getByLabel('API Key Name').fill('Temporary import')
    await dialog.getByRole('checkbox', { name: /contacts:sync/ }).check()
    await dialog.getByRole('button', { name: 'Yes, Create Key' }).click()
    await page.getByRole('status').filter({ hasText: 'Temporary import' }).waitFor()
    const temporary = (await page.locator('#new-key-value').textContent()) ?? ''
    await page.locator('#dismiss-key').click()
    await rowOf('Temporary import').getByRole('button', { name: 'Revoke' }).click()
    const revoke = page.getByRole('dialog', { name: /Revoke/ })
    await revoke.waitFor()
    expect(await revoke.textContent()).toMatch(/record stays in the list/)
    await revoke.getByRole('button', { name: 'Yes, Revoke Key' }).click()
    await page.getByRole('status').filter({ hasText: 'revoked' }).waitFor()
    await expect.poll(() => rowOf('Temporary import').locator('.status').textContent()).toBe('Revoked')
    expect(await rowOf('Temporary import').getByRole('button').allTextContents()).toEqual(['View usage', 'Delete'])
    const refused = await fetch(`${demo.url}/v1/me`, { headers: { authorization: `Bearer ${temporary}` } })
    expect(await refused.json()).toMatchObject({ status: 401, code: 'revoked' })

    // Delete is secondary: its dialog says what is lost and offers Revoke instead (not for a revoked key).
    await rowOf('CRM sync').getByRole('button', { name: 'Delete' }).click()
    const confirm = page.getByRole('dialog', { name: /Delete/ })
    await confirm.waitFor()
    expect(await confirm.textContent()).toMatch(/Nothing is left to review\. This cannot be undone\./)
    expect(await confirm.textContent()).toMatch(/revoke it instead/)
    expect(await confirm.getByRole('button', { name: 'Revoke Instead' }).isVisible()).toBe(true)
    await confirm.getByRole('button', { name: 'Cancel' }).click()
    await rowOf('Temporary import').getByRole('button', { name: 'Delete' }).click()
    await confirm.waitFor()
    expect(await confirm.getByRole('button', { name: 'Revoke Instead' }).isVisible()).toBe(false)
    await confirm.getByRole('button', { name: 'Yes, Delete Key' }).click()
    await page.getByRole('status').filter({ hasText: 'deleted' }).waitFor()
    await expect.poll(() => page.locator('#keys-region tbody tr').count()).toBe(3)
    expect(await page.locator('#keys-region').textContent()).not.toContain('Temporary import')

    expect(pageErrors).toEqual([])
  })

  it("shows the server's own explanation when a request fails (problem detail or title), not just a status", async () => {
    await page.goto('/developers')
    const target = '**/api/keys/*/disable'
    await page.route(target, (route) =>
      route.fulfill({
        status: 500,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'about:blank',
          title: 'Internal Server Error',
          status: 500,
          detail: 'The key store is being restarted.',
        }),
      }),
    )
    const row = page.locator('#keys-region tbody tr[data-status="active"]').first()
    await row.getByRole('button', { name: 'Disable' }).click()
    const alert = page.getByRole('alert').filter({ hasText: 'restarted' })
    await alert.waitFor()
    expect(await page.locator('#error-text').textContent()).toBe('The key store is being restarted.')
    await page.unroute(target)
    await page.route(target, (route) =>
      route.fulfill({ status: 500, contentType: 'application/problem+json', body: '{"title":"Internal Server Error","status":500}' }),
    )
    await row.getByRole('button', { name: 'Disable' }).click()
    await expect.poll(() => page.locator('#error-text').textContent()).toBe('Internal Server Error (500).')
    await page.unroute(target)
    await page.route(target, (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>Bad gateway</h1>' }))
    await row.getByRole('button', { name: 'Disable' }).click()
    await expect.poll(() => page.locator('#error-text').textContent()).toMatch(/^The server answered 502\b.*Try again in a moment\.$/)
    await page.unroute(target)
    expect(await row.locator('.status').textContent()).toBe('Active')
  })

  it('answers an unknown address with a page of its own, inside the app', async () => {
    const response = await page.goto('/nope')
    expect(response?.status()).toBe(404)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found')
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').count()).toBe(3)
    expect(await page.content()).not.toContain('Cannot GET')
  })

  it('is usable from the keyboard alone', async () => {
    await page.goto('/developers')
    await page.locator('#add-key').focus()
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog', { name: 'Add API Key' })
    await dialog.waitFor()
    await page.keyboard.type('Zapier workflows')
    await page.keyboard.press('Tab') // the first scope
    await page.keyboard.press('Tab')
    await page.keyboard.press('Tab') // workflows:trigger
    await page.keyboard.press('Space')
    expect(await dialog.getByRole('checkbox', { name: /workflows:trigger/ }).isChecked()).toBe(true)
    await page.keyboard.press('Enter') // submits the form
    await page.getByRole('status').filter({ hasText: 'Zapier workflows' }).waitFor()
    // Focus lands on the copy icon; Escape-free flow: Enter copies.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Copy API key')
    await page.keyboard.press('Enter')
    const key = await page.locator('#new-key-value').textContent()
    await expect.poll(readClipboard).toBe(key)
    // Escape closes a dialog without acting.
    await rowOf('Zapier workflows').getByRole('button', { name: 'Revoke' }).focus()
    await page.keyboard.press('Enter')
    await page.getByRole('dialog', { name: /Revoke/ }).waitFor()
    await page.keyboard.press('Escape')
    expect(await page.getByRole('dialog', { name: /Revoke/ }).isVisible()).toBe(false)
    expect(await callApi(key ?? '')).toBe(200)
  })

  it('fits a 375 px phone: no zoomed-out page, no sideways scroll, every action reachable, the icons labelled on focus', async () => {
    const phone = await launchChromium(join(tmp, 'phone-profile'), demo.url, 'phone')
    try {
      const small = await phone.newPage()
      small.setDefaultTimeout(10_000)
      await small.goto('/developers')
      // With the viewport honoured and nothing wider than the screen, the page is laid out at 375 px, not zoomed out.
      expect(await small.evaluate(() => [window.innerWidth, document.documentElement.scrollWidth])).toEqual([375, 375])
      const rows = small.locator('#keys-region tbody tr')
      expect(await rows.count()).toBeGreaterThanOrEqual(3)
      for (const button of await small.locator('#keys-region button').all()) {
        const box = await button.boundingBox()
        expect(box, (await button.getAttribute('aria-label')) ?? '').not.toBeNull()
        expect(box!.x).toBeGreaterThanOrEqual(0)
        expect(box!.x + box!.width).toBeLessThanOrEqual(375)
      }
      // Status and actions of each key are on screen, under labels.
      expect(await rows.first().locator('td[data-label="Status"]').isVisible()).toBe(true)

      // The `</>` icon: its label is hidden until hovered or focused from the keyboard.
      const label = small.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Developers' }).locator('.nav-label')
      const opacity = () => label.evaluate((el) => getComputedStyle(el).opacity)
      expect(await opacity()).toBe('0')
      await small.locator('.brand').focus()
      await small.keyboard.press('Tab')
      await small.keyboard.press('Tab')
      expect(await small.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Developers')
      expect(await opacity()).toBe('1')
      const tip = await label.boundingBox()
      expect(tip!.x).toBeGreaterThanOrEqual(0)
      expect(tip!.x + tip!.width).toBeLessThanOrEqual(375)
      await small.locator('#add-key').focus()

      mkdirSync(SCREENSHOTS, { recursive: true })
      await small.screenshot({ path: join(SCREENSHOTS, 'keys-375.png'), fullPage: true })

      // The create dialog fits too.
      await small.locator('#add-key').click()
      const dialog = small.getByRole('dialog', { name: 'Add API Key' })
      await dialog.waitFor()
      const box = await dialog.boundingBox()
      expect(box!.x).toBeGreaterThanOrEqual(0)
      expect(box!.x + box!.width).toBeLessThanOrEqual(375)
      expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBe(375)
    } finally {
      await phone.close()
    }
  })
})
