/** Key management, part 3: who changed a key (the audit log through the API) and its usage chart data. */
import { expect, it } from 'vitest'
import { expectProblem, type ManagementContext } from './management-context.js'

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])

export function viewTests(ctx: ManagementContext): void {
  it("records who changed a key (actor, address, browser) and pages the key's activity, newest first", async () => {
    const port = await ctx.serve({ authorize: () => ({ ownerId: 'team-views', actorId: 'user-7' }) })
    const headers: [string, string][] = [['User-Agent', 'KeywardConformance/1.0 (+https://example.test)']]
    const created = await ctx.call('POST', '/', { port, headers, body: { name: 'Audited CRM', scopes: ['contacts:sync'] } })
    const id = created.json.info.id as string
    await ctx.call('PATCH', `/${id}`, { port, headers, body: { name: 'Audited CRM (renamed)' } })
    await ctx.call('POST', `/${id}/disable`, { port, headers })
    const page = await ctx.call('GET', `/${id}/activity?limit=2`, { port, origin: null })
    expect(page.status).toBe(200)
    expect(page.json.items.map((e: { action: string }) => e.action)).toEqual(['key.disabled', 'key.updated'])
    const [disabled, updated] = page.json.items
    expect(updated).toMatchObject({ keyId: id, ownerId: 'team-views', fields: ['name'] })
    expect(disabled.fields).toEqual(['disabledAt'])
    for (const entry of page.json.items) {
      expect(entry.actor).toMatchObject({ id: 'user-7', userAgent: 'KeywardConformance/1.0 (+https://example.test)' })
      // Node frameworks fill the address from their own `ip`; a Web `Request` carries none.
      if (entry.actor.ip !== undefined) expect(LOOPBACK.has(entry.actor.ip)).toBe(true)
    }
    const rest = await ctx.call('GET', `/${id}/activity?cursor=${encodeURIComponent(page.json.nextCursor)}`, { port, origin: null })
    expect(rest.json.items.map((e: { action: string }) => e.action)).toEqual(['key.created'])
    expect(rest.json.nextCursor).toBeUndefined()
    expect(await ctx.keyward.auditLog({ keyId: id })).toEqual({
      items: [...page.json.items, ...rest.json.items].map((e) => ({ ...e, at: new Date(e.at) })),
    })
  })

  it("serves a key's usage for the last 24 hours by hour and 30 days by day, with its last use", async () => {
    const { id, key } = await ctx.createKey('Charted')
    await ctx.keyward.verify(key, { source: '203.0.113.9' })
    await ctx.keyward.verify(key, { scopes: ['admin:all'] })
    const day = await ctx.call('GET', `/${id}/usage`, { origin: null })
    expect(day.status).toBe(200)
    expect(day.json).toMatchObject({ range: '24h', granularity: 'hour' })
    expect(day.json.buckets).toHaveLength(24)
    expect(day.json.buckets.at(-1).counts).toEqual({ ok: 1, insufficient_scope: 1 })
    const month = await ctx.call('GET', `/${id}/usage?range=30d`, { origin: null })
    expect(month.json.buckets).toHaveLength(30)
    expect(month.json.buckets.at(-1).counts).toEqual({ ok: 1, insufficient_scope: 1 })
    expect(Date.parse(month.json.buckets[1].start) - Date.parse(month.json.buckets[0].start)).toBe(86_400_000)
  })

  it("refuses another owner's key and a bad range, and allows only GET and HEAD on views", async () => {
    const { id } = await ctx.createKey('Private', {}, 'team-other')
    const notFound = await ctx.call('GET', `/${id}/activity`, { origin: null })
    expect(notFound.status).toBe(404)
    const { id: own } = await ctx.createKey('Own')
    expectProblem(
      await ctx.call('GET', `/${own}/usage?range=1y`, { origin: null }),
      400,
      'invalid_input',
      'range: must be "24h" or "30d"',
      {
        field: 'range',
      },
    )
    const post = await ctx.call('POST', `/${own}/usage`)
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('GET, HEAD')
  })
}
