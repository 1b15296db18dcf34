/** Verification, part 2: the store failing, limits, credits, throttling, and clients behind a proxy. */
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { CountingStore } from './counting-store.js'
import { DETAIL, expectExactly, PEPPER, redacted, unauthorized } from './expected.js'
import { headerObject } from './raw-client.js'
import { bearer, type VerificationContext } from './verification-context.js'

export function limitTests(ctx: VerificationContext): void {
  it('fails closed with 503 and Retry-After when the store is unreachable; the handler never runs', async () => {
    const { key } = await ctx.keyward.create({ name: 'Never verified' })
    const before = ctx.probe.handled.length
    ctx.store.failing = true
    try {
      expectExactly(await ctx.get(bearer(key)), {
        status: 503,
        challenge: 'Bearer realm="api"',
        headers: { 'retry-after': '1' },
        body: {
          type: 'about:blank',
          title: 'Service Unavailable',
          status: 503,
          code: 'store_unavailable',
          detail: DETAIL.store_unavailable,
        },
      })
      expect((await ctx.send(ctx.port, 'POST', '/v1/messages', bearer(key))).status).toBe(503)
    } finally {
      ctx.store.failing = false
    }
    expect(ctx.probe.handled.length).toBe(before)
    expect((await ctx.get(bearer(key))).status).toBe(200)
  })

  it("answers 429 with Retry-After and RateLimit headers past a key's rate limit, and reports the window on success", async () => {
    const { key } = await ctx.keyward.create({ name: 'Limited', rateLimit: { limit: 2, windowMs: 60_000 } })
    const first = await ctx.get(bearer(key))
    // On success the reset is measured on the wall ctx.clock (this suite's ctx.keyward runs on a fake one).
    expect([first.status, headerObject(first)['ratelimit-policy'], headerObject(first)['ratelimit']]).toEqual([
      200,
      '"default";q=2;w=60',
      expect.stringMatching(/^"default";r=1;t=\d+$/),
    ])
    expect((await ctx.get(bearer(key))).status).toBe(200)
    const retry = String(Math.ceil((60_000 - (ctx.clock % 60_000)) / 1000))
    expectExactly(await ctx.get(bearer(key)), {
      status: 429,
      challenge: 'Bearer realm="api"',
      headers: { 'retry-after': retry, 'ratelimit-policy': '"default";q=2;w=60', ratelimit: `"default";r=0;t=${retry}` },
      body: {
        type: 'about:blank',
        title: 'Too Many Requests',
        status: 429,
        code: 'rate_limited',
        detail: DETAIL.rate_limited,
        key: redacted(key),
      },
    })
  })

  it('answers 429 without Retry-After when credits never refill, and until the next refill when they do', async () => {
    const { key: once } = await ctx.keyward.create({ name: 'One credit', credits: { remaining: 1 } })
    expect((await ctx.get(bearer(once))).status).toBe(200)
    expectExactly(await ctx.get(bearer(once)), {
      status: 429,
      challenge: 'Bearer realm="api"',
      body: {
        type: 'about:blank',
        title: 'Too Many Requests',
        status: 429,
        code: 'usage_exceeded',
        detail: DETAIL.credits_gone,
        creditsRemaining: 0,
        key: redacted(once),
      },
    })
    const { key: daily } = await ctx.keyward.create({
      name: 'Daily',
      credits: { remaining: 1, refill: { amount: 1, intervalMs: 86_400_000 } },
    })
    expect((await ctx.get(bearer(daily))).status).toBe(200)
    ctx.clock += 3_600_000
    expectExactly(await ctx.get(bearer(daily)), {
      status: 429,
      challenge: 'Bearer realm="api"',
      headers: { 'retry-after': String(23 * 3600) },
      body: {
        type: 'about:blank',
        title: 'Too Many Requests',
        status: 429,
        code: 'usage_exceeded',
        detail: DETAIL.usage_exceeded,
        creditsRemaining: 0,
        key: redacted(daily),
      },
    })
  })

  it('answers 429 with Retry-After to a client past its failed-attempt limit, before any store call', async () => {
    const counting = new CountingStore(new MemoryKeyStore())
    const throttled = createKeyward({
      prefix: 'acme_live',
      store: counting,
      pepper: PEPPER,
      now: () => ctx.clock,
      throttle: { perSource: { limit: 3, windowMs: 3_600_000 } },
    })
    const valid = (await throttled.create({ name: 'Valid' })).key
    const server = await ctx.adapter.start(throttled, {}, ctx.probe)
    ctx.servers.push(server)
    for (let i = 0; i < 3; i++) expect((await ctx.get(bearer(ctx.foreignKey), server.port)).status).toBe(401)
    const calls = counting.calls
    const retry = String(Math.ceil((3_600_000 - (ctx.clock % 3_600_000)) / 1000))
    for (const key of [valid, ctx.foreignKey])
      expectExactly(await ctx.get(bearer(key), server.port), {
        status: 429,
        challenge: 'Bearer realm="api"',
        headers: { 'retry-after': retry },
        body: {
          type: 'about:blank',
          title: 'Too Many Requests',
          status: 429,
          code: 'rate_limited',
          detail: DETAIL.rate_limited,
          key: redacted(key),
        },
      })
    expect(counting.calls).toBe(calls) // refused before any lookup, digest or counter
    await throttled.close()
  })

  describe('behind a proxy', () => {
    const attacker = '203.0.113.66'
    const victim = '198.51.100.20'
    /** What one trusted proxy sends on: whatever the client wrote, then the address it saw. */
    const via = (client: string, written?: string): [string, string][] => [
      ['X-Forwarded-For', written === undefined ? client : `${written}, ${client}`],
    ]
    let failedSources: (string | undefined)[] = []
    let throttledPort = 0
    let valid = ''

    beforeAll(async () => {
      const throttled = createKeyward({
        prefix: 'acme_live',
        store: new MemoryKeyStore(),
        pepper: PEPPER,
        now: () => ctx.clock,
        throttle: { perSource: { limit: 3, windowMs: 3_600_000 } },
        hooks: { onEvent: (event) => void (event.type === 'key.verify_failed' && failedSources.push(event.source)) },
      })
      valid = (await throttled.create({ name: 'Victim integration' })).key
      const server = await ctx.adapter.start(throttled, {}, ctx.probe, 'one-hop')
      ctx.servers.push(server, { port: 0, close: () => throttled.close() })
      throttledPort = server.port
    })

    it('one trusted hop: a client is throttled under the address the proxy saw, whatever X-Forwarded-For it writes', async () => {
      failedSources = []
      // Every guess claims another address, the victim's among them: all count against the attacker.
      for (const claimed of ['192.0.2.1', victim, '192.0.2.3'])
        expectExactly(
          await ctx.get([...bearer(ctx.foreignKey), ...via(attacker, claimed)], throttledPort),
          unauthorized('invalid', redacted(ctx.foreignKey)),
        )
      for (const claimed of ['192.0.2.4', victim, '10.0.0.1, 192.0.2.5'])
        expect((await ctx.get([...bearer(valid), ...via(attacker, claimed)], throttledPort)).status).toBe(429)
      // The address the attacker named is not locked out, valid key or not.
      expect((await ctx.get([...bearer(valid), ...via(victim)], throttledPort)).status).toBe(200)
      expect((await ctx.get([...bearer(ctx.foreignKey), ...via(victim)], throttledPort)).status).toBe(401)
      expect(new Set(failedSources)).toEqual(new Set([attacker, victim]))
    })

    it('one trusted hop: an IPv6 client is throttled by its /64, an IPv4-mapped one as its IPv4 address', async () => {
      const guess = (client: string) =>
        ctx.get([...bearer(ctx.foreignKey), ...via(client, '192.0.2.9')], throttledPort).then((r) => r.status)
      expect([await guess('2001:db8:7:7::1'), await guess('2001:db8:7:7:ffff::2'), await guess('2001:DB8:7:7::3')]).toEqual([401, 401, 401])
      expect(await guess('2001:db8:7:7:1234::4')).toBe(429)
      expect(await guess('2001:db8:7:8::1')).toBe(401)
      expect([await guess('::ffff:203.0.113.70'), await guess('203.0.113.70'), await guess('::ffff:203.0.113.70')]).toEqual([401, 401, 401])
      expect(await guess('203.0.113.70')).toBe(429)
    })

    it('warns once per app, with console.warn, when the framework trusts every proxy', async () => {
      const warnings = () => ctx.logs.filter((line) => line.startsWith('[keyward]') && line.includes('X-Forwarded-For'))
      const before = warnings().length
      const oneHop = await ctx.serve({}, 'one-hop')
      for (const p of [oneHop, ctx.port]) expect((await ctx.get(bearer(ctx.keys.plain), p)).status).toBe(200)
      expect(warnings()).toHaveLength(before)
      for (let app = 0; app < 2; app++) {
        const every = await ctx.serve({}, 'every')
        for (let i = 0; i < 3; i++)
          expect((await ctx.get([...bearer(ctx.keys.plain), ...via('127.0.0.1', '192.0.2.1')], every)).status).toBe(200)
        expect(warnings()).toHaveLength(before + app + 1)
      }
      expect(warnings().at(-1)).toMatch(/throttl/)
    })
  })
}
