/**
 * Key management, part 4: `limits`, the operator's caps within which a tenant may set rate limits
 * and credits. A tenant can lower a budget, never lift it past a cap, nor top up what a key has left.
 */
import { expect, it } from 'vitest'
import { expectJson, expectProblem, type ManagementContext } from './management-context.js'

const DAY = 86_400_000
const CAPS = {
  maxRateLimit: { limit: 100, windowMs: 60_000 },
  maxCredits: { remaining: 1000, refill: { amount: 1000, intervalMs: DAY } },
}
const RATE = 'at most 100 requests per 60000 ms here (and no more on average)'

export function limitCapTests(ctx: ManagementContext): void {
  it('with limits, caps every key made here: a key created without a limit gets the cap, and the cap binds', async () => {
    const port = await ctx.serve({ limits: CAPS })
    const created = await ctx.call('POST', '/', { body: { name: 'Capped by default' }, port })
    expect(created.status).toBe(201)
    const { key, info } = created.json
    expectJson(created, 201, { key, info: await ctx.keyward.get(info.id) })
    expect(info.rateLimit).toEqual({ limit: 100, windowMs: 60_000 })
    expect(info.credits).toMatchObject({ remaining: 1000, refill: { amount: 1000, intervalMs: DAY } })

    // A lower limit, asked for, is the one that binds.
    const small = await ctx.call('POST', '/', { body: { name: 'Two a minute', rateLimit: { limit: 2, windowMs: 60_000 } }, port })
    expect(small.json.info.rateLimit).toEqual({ limit: 2, windowMs: 60_000 })
    const codes = []
    for (let i = 0; i < 3; i++) {
      const result = await ctx.keyward.verify(small.json.key)
      codes.push(result.ok ? 'ok' : result.code)
    }
    expect(codes).toEqual(['ok', 'ok', 'rate_limited'])
    const few = await ctx.call('POST', '/', { body: { name: 'One credit', credits: { remaining: 1, refill: null } }, port })
    expect(few.json.info.credits).toEqual({ remaining: 1, refill: null })
    expect((await ctx.keyward.verify(few.json.key)).ok).toBe(true)
    expect(await ctx.keyward.verify(few.json.key)).toMatchObject({ ok: false, code: 'usage_exceeded' })
  })

  it('with limits, refuses a rate limit or credits beyond the caps (or none at all) and creates nothing', async () => {
    const port = await ctx.serve({ limits: CAPS })
    const cases: [Record<string, unknown>, string, string][] = [
      [{ rateLimit: { limit: 101, windowMs: 60_000 } }, 'rateLimit', `rateLimit: ${RATE}`],
      [{ rateLimit: { limit: 100, windowMs: 1000 } }, 'rateLimit', `rateLimit: ${RATE}`],
      [{ rateLimit: { limit: 200, windowMs: 3_600_000 } }, 'rateLimit', `rateLimit: ${RATE}`],
      [{ rateLimit: null }, 'rateLimit', `rateLimit: a key made here needs a rate limit, ${RATE}`],
      [{ rateLimit: { limit: 0, windowMs: 1000 } }, 'rateLimit.limit', 'rateLimit.limit: must be an integer from 1 to 9007199254740991'],
      [{ credits: { remaining: 1001 } }, 'credits.remaining', 'credits.remaining: at most 1000 here'],
      [{ credits: null }, 'credits', 'credits: a key made here needs credits, at most 1000'],
      [
        { credits: { remaining: 10, refill: { amount: 1000, intervalMs: 3_600_000 } } },
        'credits.refill',
        'credits.refill: at most 1000 every 86400000 ms here (and no more on average)',
      ],
      [
        { credits: { remaining: 10, refill: { amount: 2000, intervalMs: 2 * DAY } } },
        'credits.refill',
        'credits.refill: at most 1000 every 86400000 ms here (and no more on average)',
      ],
    ]
    for (const [extra, field, detail] of cases)
      expectProblem(await ctx.call('POST', '/', { body: { name: 'Too much', ...extra }, port }), 400, 'invalid_input', detail, { field })
    // No refill allowed when the cap has none.
    const noRefill = await ctx.serve({ limits: { maxCredits: { remaining: 50 } } })
    expectProblem(
      await ctx.call('POST', '/', {
        body: { name: 'Too much', credits: { remaining: 5, refill: { amount: 5, intervalMs: DAY } } },
        port: noRefill,
      }),
      400,
      'invalid_input',
      'credits.refill: keys made here are not refilled; send null',
      { field: 'credits.refill' },
    )
    // A cap on credits alone still refuses rate limits, and rotation never takes a budget.
    expectProblem(
      await ctx.call('POST', '/', { body: { name: 'Too much', rateLimit: { limit: 1, windowMs: 1000 } }, port: noRefill }),
      400,
      'invalid_input',
      'Unknown field "rateLimit": expected name, scopes, roles, expiresAt, notBefore, allowedIps, metadata, credits.',
      { field: 'rateLimit' },
    )
    const names = (await ctx.store.list({ ownerId: 'team-a', limit: 1000, includeRevoked: true })).items.map((record) => record.name)
    expect(names).not.toContain('Too much')
  })

  it('with limits, an update lowers a budget or moves it within the cap, never tops up what a key has left', async () => {
    const port = await ctx.serve({ limits: CAPS })
    const { json } = await ctx.call('POST', '/', { body: { name: 'Budget', credits: { remaining: 10, refill: null } }, port })
    const { id, key } = { id: json.info.id as string, key: json.key as string }
    const lowered = await ctx.call('PATCH', `/${id}`, {
      body: { rateLimit: { limit: 10, windowMs: 60_000 }, credits: { remaining: 5 } },
      port,
    })
    expectJson(lowered, 200, await ctx.keyward.get(id))
    expect(lowered.json).toMatchObject({ rateLimit: { limit: 10, windowMs: 60_000 }, credits: { remaining: 5, refill: null } })
    // Back up to the cap is allowed for the rate; past it is not.
    expect((await ctx.call('PATCH', `/${id}`, { body: { rateLimit: CAPS.maxRateLimit }, port })).status).toBe(200)
    expectProblem(
      await ctx.call('PATCH', `/${id}`, { body: { rateLimit: { limit: 1000, windowMs: 60_000 } }, port }),
      400,
      'invalid_input',
      `rateLimit: ${RATE}`,
      { field: 'rateLimit' },
    )
    expectProblem(await ctx.call('PATCH', `/${id}`, { body: { rateLimit: null }, port }), 400, 'invalid_input', /needs a rate limit/, {
      field: 'rateLimit',
    })
    // Spend one, then try to top up: refused, with what is left.
    expect((await ctx.keyward.verify(key)).ok).toBe(true)
    expectProblem(
      await ctx.call('PATCH', `/${id}`, { body: { credits: { remaining: 5 } }, port }),
      400,
      'invalid_input',
      'credits.remaining: can only be lowered here; this key has 4 left',
      { field: 'credits.remaining' },
    )
    expectProblem(await ctx.call('PATCH', `/${id}`, { body: { credits: null }, port }), 400, 'invalid_input', /needs credits/, {
      field: 'credits',
    })
    expect(await ctx.keyward.get(id)).toMatchObject({ rateLimit: CAPS.maxRateLimit, credits: { remaining: 4, refill: null } })
    expectProblem(
      await ctx.call('POST', `/${id}/rotate`, { body: { credits: { remaining: 1 } }, port }),
      400,
      'invalid_input',
      'Unknown field "credits": expected gracePeriodMs, expiresAt.',
      { field: 'credits' },
    )
  })
}
