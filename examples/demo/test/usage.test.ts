/**
 * A key's usage chart and activity tab in a real browser: an integration calls the protected API
 * (accepted, refused when out of credits, refused while disabled), then the page draws those calls
 * with Chart.js, stacked by outcome, and lists the key's audit log with who changed it and from
 * where, on a desktop and on a 375 px phone.
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
let tmp: string
const NAME = 'Webhook relay <prod>'

async function callApi(key: string, path = '/v1/me', body?: unknown): Promise<number> {
  const response = await fetch(`${demo.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  await response.arrayBuffer()
  return response.status
}

/** What the chart on `target` holds: its labels and, per outcome, the sum of its bars; and how many pixels it painted. */
function chartOf(target: Page) {
  return target.locator('#usage-chart').evaluate((canvas: HTMLCanvasElement) => {
    // biome-ignore lint/suspicious/noExplicitAny: Chart.js's browser build is a global of the page
    const chart = (window as any).Chart.getChart(canvas)
    const sums: Record<string, number> = {}
    for (const set of chart.data.datasets as { outcome: string; data: number[] }[]) {
      const sum = set.data.reduce((a, b) => a + b, 0)
      if (sum > 0) sums[set.outcome] = sum
    }
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height)
    let green = 0
    for (let i = 0; i < data.length; i += 4) if (data[i] === 16 && data[i + 1] === 185 && data[i + 2] === 129) green++
    return { labels: chart.data.labels.length as number, sums, totals: JSON.parse(canvas.dataset.totals ?? '{}'), green }
  })
}

describe("a key's usage and activity in Chromium", () => {
  beforeAll(async () => {
    session = await startDemoInChromium()
    ;({ demo, page, tmp } = session)
  })

  afterAll(() => session?.close())

  it('charts the calls by outcome for 24 hours and 30 days, and pages the audit log with who and from where', async () => {
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto('/developers')
    await page.locator('#add-key').click()
    const create = page.getByRole('dialog', { name: 'Add API Key' })
    await create.getByLabel('API Key Name').fill('Webhook relay')
    await create.getByRole('checkbox', { name: /messages:send/ }).check()
    await create.getByLabel('Credits per day').fill('6')
    await create.getByRole('button', { name: 'Yes, Create Key' }).click()
    await page.getByRole('status').filter({ hasText: 'created' }).waitFor()
    const key = (await page.locator('#new-key-value').textContent()) ?? ''
    await page.locator('#dismiss-key').click()
    const { id } = (await demo.keyward.identify(key))!

    // An on-call engineer toggles it from a script: eight entries by another actor, so the log needs a second page.
    const ops = { actor: { id: 'ops-oncall', ip: '203.0.113.7', userAgent: 'curl/8.5.0' } }
    // (A few milliseconds apart: entries of the same millisecond have no order of their own.)
    for (let i = 0; i < 4; i++) {
      for (const change of [demo.keyward.disable, demo.keyward.enable]) {
        await change.call(demo.keyward, id, ops)
        await new Promise((resolve) => setTimeout(resolve, 3))
      }
    }
    // Six accepted calls (the sixth is for a scope the key lacks: 403 from the route, but the key verified), then out of credits.
    for (let i = 0; i < 3; i++) expect(await callApi(key)).toBe(200)
    for (let i = 0; i < 2; i++) expect(await callApi(key, '/v1/messages', { to: '+15551234567', text: 'Hi' })).toBe(202)
    expect(await callApi(key, '/v1/contacts/sync', { contacts: [] })).toBe(403)
    expect(await callApi(key)).toBe(429)
    // Disabled from the page: two refused calls; then enabled and renamed.
    const row = page.locator('#keys-region tbody tr').first()
    await row.getByRole('button', { name: 'Disable' }).click()
    await expect.poll(() => row.locator('.status').textContent()).toBe('Disabled')
    for (let i = 0; i < 2; i++) expect(await callApi(key)).toBe(401)
    await row.getByRole('button', { name: 'Enable' }).click()
    await expect.poll(() => row.locator('.status').textContent()).toBe('Active')
    await row.getByRole('button', { name: 'Edit' }).click()
    const edit = page.getByRole('dialog', { name: /Edit/ })
    await edit.getByLabel('API Key Name').fill(NAME)
    await edit.getByRole('button', { name: 'Save Changes' }).click()
    await page.getByRole('status').filter({ hasText: 'saved' }).waitFor()
    await expect.poll(async () => (await demo.keyward.get(id))?.lastUsedAt ?? null, { timeout: 10_000 }).not.toBeNull()

    // Usage: the chart of the last 24 hours, its totals by outcome, and the last use.
    await page.locator(`tr[data-key-id="${id}"]`).getByRole('button', { name: 'Usage' }).click()
    const details = page.getByRole('dialog', { name: NAME })
    await details.waitFor()
    // The name is text, never markup.
    expect(await page.locator('#details-title').evaluate((el) => [el.textContent, el.childElementCount])).toEqual([NAME, 0])
    await page.locator('#usage-chart[data-loaded="true"]').waitFor()
    const expected = { ok: 6, usage_exceeded: 1, disabled: 2 }
    const day = await chartOf(page)
    expect(day).toMatchObject({ labels: 24, sums: expected, totals: expected })
    expect(day.green).toBeGreaterThan(50) // the OK bars are painted
    expect(await page.locator('#last-used').textContent()).toMatch(/^Last used \w{3} \d+, \d+:\d\d [AP]M from 127\.0\.0\.1$/)
    expect(await page.locator('#usage-summary').textContent()).toBe('9 requests in the last 24 hours: 6 OK, 3 refused.')
    mkdirSync(SCREENSHOTS, { recursive: true })
    await page.screenshot({ path: join(SCREENSHOTS, 'usage.png') })

    await details.getByRole('button', { name: '30 days' }).click()
    await page.locator('#usage-chart[data-range="30d"]').waitFor()
    expect(await details.getByRole('button', { name: '30 days' }).getAttribute('aria-pressed')).toBe('true')
    expect(await chartOf(page)).toMatchObject({ labels: 30, sums: expected, totals: expected })

    // Activity: newest first, in words, with who and from where; "Load more" follows the cursor.
    await details.getByRole('tab', { name: 'Activity' }).click()
    const rows = page.locator('#activity-rows tr')
    await expect.poll(() => rows.count()).toBe(10)
    const cells = (i: number) => rows.nth(i).locator('td').allTextContents()
    expect((await cells(0)).slice(1, 3)).toEqual(['Renamed', 'demo-team'])
    expect((await cells(0))[3]).toMatch(/^127\.0\.0\.1(HeadlessChrome|Chrome) \d+$/)
    expect((await cells(1)).slice(1, 3)).toEqual(['Enabled', 'demo-team'])
    expect((await cells(2)).slice(1, 3)).toEqual(['Disabled', 'demo-team'])
    expect((await cells(3)).slice(1)).toEqual(['Enabled', 'ops-oncall', '203.0.113.7curl 8'])
    expect((await cells(4)).slice(1, 3)).toEqual(['Disabled', 'ops-oncall'])
    await page.screenshot({ path: join(SCREENSHOTS, 'activity.png') })
    await details.getByRole('button', { name: 'Load more' }).click()
    await expect.poll(() => rows.count()).toBe(12)
    expect((await cells(11)).slice(1, 3)).toEqual(['Created', 'demo-team'])
    expect(await details.getByRole('button', { name: 'Load more' }).isVisible()).toBe(false)
    expect(pageErrors).toEqual([])
  })

  it('fits a 375 px phone: the chart resizes, the activity rows wrap within the dialog', async () => {
    const phone = await launchChromium(join(tmp, 'phone-profile'), demo.url, 'phone')
    try {
      const small = await phone.newPage()
      small.setDefaultTimeout(10_000)
      await small.goto('/developers')
      await small.locator('#keys-region tbody tr').first().getByRole('button', { name: 'Usage' }).click()
      await small.locator('#usage-chart[data-loaded="true"]').waitFor()
      const dialog = (await small.locator('#details-dialog').boundingBox())!
      const chart = (await small.locator('#usage-chart').boundingBox())!
      expect(dialog.x).toBeGreaterThanOrEqual(0)
      expect(dialog.x + dialog.width).toBeLessThanOrEqual(375)
      expect(chart.x).toBeGreaterThanOrEqual(dialog.x)
      expect(chart.x + chart.width).toBeLessThanOrEqual(dialog.x + dialog.width)
      expect(chart.width).toBeGreaterThan(250)
      expect((await chartOf(small)).sums).toEqual({ ok: 6, usage_exceeded: 1, disabled: 2 })
      expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBe(375)
      await small.screenshot({ path: join(SCREENSHOTS, 'usage-375.png') })

      await small.getByRole('tab', { name: 'Activity' }).click()
      const rows = small.locator('#activity-rows tr')
      await expect.poll(() => rows.count()).toBe(10)
      for (const row of await rows.all()) {
        const box = (await row.boundingBox())!
        expect(box.x + box.width).toBeLessThanOrEqual(dialog.x + dialog.width)
      }
      await small.screenshot({ path: join(SCREENSHOTS, 'activity-375.png') })
    } finally {
      await phone.close()
    }
  })
})
