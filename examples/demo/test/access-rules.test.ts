/**
 * Access rules on the API Keys page in Chromium (issue 16): a key's allow-list (the protected API
 * refuses the test client with 403 ip_not_allowed until the list includes it), its roles, its
 * not-before, all shown in the row and the key's details; and the team panel, where the demo's
 * operator sets the key cap and the shared limit, and creating past the cap shows the 409 message.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningDemo } from '../src/demo.js'
import { type DemoInChromium, launchChromium, SCREENSHOTS, startDemoInChromium } from './chromium.js'

let demo: RunningDemo
let session: DemoInChromium
let page: Page

/** Call the protected API as an integration does: the status and the problem code, if any. */
async function callApi(key: string, path = '/v1/messages'): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${demo.url}${path}`, {
    method: path === '/v1/me' ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(path !== '/v1/me' && { body: JSON.stringify({ to: '+15551234567', text: 'Hi' }) }),
  })
  const body = (await response.json()) as { code?: string }
  return { status: response.status, ...(body.code !== undefined && { code: body.code }) }
}

const rowOf = (name: string) => page.locator('#keys-region tbody tr', { has: page.getByText(name, { exact: true }) }).first()

/** Create a key through the page, with `scope` ticked (none: confirm), and return it. */
async function createKey(name: string, scope?: string): Promise<string> {
  await page.locator('#add-key').click()
  const dialog = page.getByRole('dialog', { name: 'Add API Key' })
  await dialog.getByLabel('API Key Name').fill(name)
  if (scope !== undefined) await dialog.getByRole('checkbox', { name: new RegExp(scope) }).check()
  await dialog.getByRole('button', { name: 'Yes, Create Key' }).click()
  if (scope === undefined) await dialog.getByRole('button', { name: 'Create Without Scopes' }).click()
  await page.locator('#new-key:not([hidden])').waitFor()
  const key = (await page.locator('#new-key-value').textContent()) ?? ''
  await page.locator('#dismiss-key').click()
  return key
}

/** Open a row's Access dialog, set its fields, and save. */
async function saveAccess(name: string, fields: { ips?: string; roles?: string[]; start?: string }): Promise<void> {
  await rowOf(name)
    .getByRole('button', { name: `Access rules of ${name}` })
    .click()
  const dialog = page.getByRole('dialog', { name: `Access rules of "${name}"` })
  await dialog.waitFor()
  if (fields.ips !== undefined) await dialog.getByLabel(/Allowed addresses/).fill(fields.ips)
  for (const role of ['sender', 'syncer']) {
    if (fields.roles === undefined) break
    await dialog.getByRole('checkbox', { name: new RegExp(role) }).setChecked(fields.roles.includes(role))
  }
  if (fields.start !== undefined) await dialog.getByLabel(/Works from/).fill(fields.start)
  await dialog.getByRole('button', { name: 'Save Access Rules' }).click()
}

describe('access rules and team limits in Chromium', () => {
  beforeAll(async () => {
    session = await startDemoInChromium()
    ;({ demo, page } = session)
  })
  afterAll(() => session?.close())

  it('an allow-list that excludes the client is refused with 403 ip_not_allowed, then works once it includes it', async () => {
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto('/developers')
    const key = await createKey('Office sync', 'messages:send')
    expect(await callApi(key)).toEqual({ status: 202 })

    // A bad line is refused inline, by its line number; nothing is saved.
    await saveAccess('Office sync', { ips: '203.0.113.0/24\nnot-an-address' })
    const dialog = page.getByRole('dialog', { name: 'Access rules of "Office sync"' })
    await expect.poll(() => dialog.locator('#access-ips-error').textContent()).toMatch(/^Line 2: /)
    expect(await dialog.getByLabel(/Allowed addresses/).getAttribute('aria-invalid')).toBe('true')
    expect(await dialog.locator('#access-ips-error').textContent()).not.toContain('not-an-address')
    expect((await demo.keyward.list({ ownerId: 'demo-team' })).items[0]?.allowedIps).toBeNull()

    // Only an address range the test client is not in: refused after the key matched.
    await dialog.getByLabel(/Allowed addresses/).fill('203.0.113.0/24')
    await dialog.getByRole('button', { name: 'Save Access Rules' }).click()
    await page.getByRole('status').filter({ hasText: 'Access rules of "Office sync" saved' }).waitFor()
    await expect.poll(() => rowOf('Office sync').locator('.access-ips').textContent()).toBe('Only from 203.0.113.0/24')
    expect(await callApi(key)).toEqual({ status: 403, code: 'ip_not_allowed' })

    // Including loopback (the client, over IPv4 or IPv6) lets it through again.
    await saveAccess('Office sync', { ips: '203.0.113.0/24\n127.0.0.1\n::1' })
    await expect.poll(() => rowOf('Office sync').locator('.access-ips').textContent()).toBe('Only from 3 addresses')
    expect(await callApi(key)).toEqual({ status: 202 })

    // The key's details list its rules.
    await rowOf('Office sync').getByRole('button', { name: 'Usage and activity of Office sync' }).click()
    await expect.poll(() => page.locator('#details-access').textContent()).toContain('203.0.113.0/24, 127.0.0.1, ::1')
    await page.screenshot({ path: join(SCREENSHOTS, 'access-details.png') })
    await page
      .getByRole('dialog', { name: /Office sync/ })
      .getByRole('button', { name: 'Close' })
      .click()
    expect(errors).toEqual([])
  })

  it('a role grants its scopes on top of the key’s own, and a not-before holds the key back', async () => {
    await page.goto('/developers')
    const key = await createKey('Roles only')
    expect(await callApi(key)).toEqual({ status: 403, code: 'insufficient_scope' })
    await saveAccess('Roles only', { roles: ['sender'] })
    await expect.poll(() => rowOf('Roles only').locator('.access-roles').textContent()).toBe('Roles: sender ')
    expect(await callApi(key)).toEqual({ status: 202 })
    expect(await callApi(key, '/v1/contacts/sync')).toEqual({ status: 403, code: 'insufficient_scope' })

    // Starting tomorrow: the row says so, and the API answers 401 not_yet_valid until then.
    const tomorrow = new Date(Date.now() + 86_400_000)
    const pad = (n: number) => String(n).padStart(2, '0')
    const local = `${tomorrow.getFullYear()}-${pad(tomorrow.getMonth() + 1)}-${pad(tomorrow.getDate())}T09:00`
    await saveAccess('Roles only', { start: local })
    await expect.poll(() => rowOf('Roles only').locator('.status').textContent()).toBe('Not yet valid')
    expect(await rowOf('Roles only').locator('.access-start').textContent()).toMatch(/^Starts /)
    expect(await callApi(key)).toEqual({ status: 401, code: 'not_yet_valid' })
    await rowOf('Roles only').getByRole('button', { name: 'Access rules of Roles only' }).focus()
    mkdirSync(SCREENSHOTS, { recursive: true })
    await page.screenshot({ path: join(SCREENSHOTS, 'access.png'), fullPage: true })
  })

  it('the operator sets the team’s key cap and shared limit; creating past the cap shows the 409 message', async () => {
    await page.goto('/developers')
    await expect.poll(() => page.locator('#team-keys').textContent()).toBe('2 (no cap)')
    expect(await page.locator('#team-rate').textContent()).toBe('None: each key has only its own')
    await page.getByRole('button', { name: 'Edit Team Limits' }).click()
    const dialog = page.getByRole('dialog', { name: 'Team limits' })
    await dialog.getByLabel('Most live keys').fill('2')
    await dialog.getByLabel('Shared requests per minute').fill('0')
    await dialog.getByRole('button', { name: 'Save Team Limits' }).click()
    expect(await dialog.locator('#team-rate-error').textContent()).toMatch(/1 or more/)
    await dialog.getByLabel('Shared requests per minute').fill('1000')
    await dialog.getByRole('button', { name: 'Save Team Limits' }).click()
    await expect.poll(() => page.locator('#team-keys').textContent()).toBe('2 of 2 allowed')
    expect(await page.locator('#team-rate').textContent()).toBe('1,000 requests/min across all keys')
    expect(await demo.keyward.owners.get('demo-team')).toMatchObject({
      maxKeys: 2,
      rateLimits: [{ name: 'default', limit: 1000, windowMs: 60_000 }],
    })

    await page.locator('#add-key').click()
    const create = page.getByRole('dialog', { name: 'Add API Key' })
    await create.getByLabel('API Key Name').fill('One too many')
    await create.getByRole('checkbox', { name: /messages:send/ }).check()
    await create.getByRole('button', { name: 'Yes, Create Key' }).click()
    await expect
      .poll(() => create.locator('#create-error').textContent())
      .toBe('You already have 2 live API keys, the most allowed. Revoke or delete one before creating another.')
    await page.screenshot({ path: join(SCREENSHOTS, 'team-cap.png') })
    await create.getByRole('button', { name: 'Cancel' }).click()
    expect((await demo.keyward.list({ ownerId: 'demo-team' })).items).toHaveLength(2)
  })

  it('fits a 375 px phone: the team panel and the Access dialog', async () => {
    const phone = await launchChromium(join(session.tmp, 'phone-access'), demo.url, 'phone')
    try {
      const small = await phone.newPage()
      small.setDefaultTimeout(10_000)
      await small.goto('/developers')
      await small.locator('#team-keys', { hasText: '2 of 2 allowed' }).waitFor()
      await small.getByRole('button', { name: 'Access rules of Office sync' }).click()
      const dialog = small.getByRole('dialog', { name: 'Access rules of "Office sync"' })
      await dialog.waitFor()
      const box = await dialog.boundingBox()
      expect(box!.x).toBeGreaterThanOrEqual(0)
      expect(box!.x + box!.width).toBeLessThanOrEqual(375)
      expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBe(375)
      await small.screenshot({ path: join(SCREENSHOTS, 'access-375.png') })
    } finally {
      await phone.close()
    }
  })
})
