/**
 * Verification, part 3: access rules over HTTP (DESIGN.md §13). IP allow-lists (the same client
 * address as throttling, through a trusted proxy only), `notBefore`, roles, `{ anyOf }`, an owner's
 * scopes, and every named limit in the `RateLimit` headers.
 */
import { expect, it } from 'vitest'
import { expectExactly, forbidden, forbiddenAny, ipNotAllowed, json, redacted, unauthorized } from './expected.js'
import { headerObject } from './raw-client.js'
import { bearer, type VerificationContext } from './verification-context.js'

const CONTACTS = ['contacts:read', 'contacts:write']

export function ruleTests(ctx: VerificationContext): void {
  /** The source and code of the last failed verification (what throttling counted). */
  const lastFailure = () => {
    const event = ctx.events.filter((e) => e.type === 'key.verify_failed').at(-1)
    return { source: event?.source, code: event?.code }
  }
  const keyWith = async (input: Omit<Parameters<VerificationContext['keyward']['create']>[0], 'name'>) =>
    (await ctx.keyward.create({ name: 'Access rules', ...input })).key

  it('allowedIps: the loopback client passes in any form of the list; elsewhere is a 403 ip_not_allowed, handler not run', async () => {
    for (const allowedIps of [
      ['127.0.0.1'],
      ['::ffff:127.0.0.1'],
      ['127.0.0.0/8'],
      ['::ffff:127.0.0.0/104'],
      ['10.0.0.0/8', '127.0.0.1'],
    ]) {
      const key = await keyWith({ allowedIps })
      expect((await ctx.get(bearer(key))).status, JSON.stringify(allowedIps)).toBe(200)
      expect((await ctx.send(ctx.port, 'POST', '/v1/messages', bearer(key))).status).toBe(403) // scope, not address
    }
    const before = ctx.probe.handled.length
    for (const allowedIps of [['203.0.113.0/24'], ['::1'], ['::ffff:10.0.0.1']]) {
      const key = await keyWith({ allowedIps, scopes: ['messages:send'] })
      expectExactly(await ctx.get(bearer(key)), ipNotAllowed(redacted(key)))
      expectExactly(await ctx.send(ctx.port, 'POST', '/v1/messages', bearer(key)), ipNotAllowed(redacted(key)))
      expect(lastFailure()).toEqual({ source: '127.0.0.1', code: 'ip_not_allowed' })
    }
    expect(ctx.probe.handled.length).toBe(before)
  })

  it("an owner's allow-list applies to every key of the owner", async () => {
    await ctx.keyward.owners.set('team-ip', { allowedIps: ['203.0.113.0/24'] })
    const key = await keyWith({ ownerId: 'team-ip' })
    expectExactly(await ctx.get(bearer(key)), ipNotAllowed(redacted(key)))
    await ctx.keyward.owners.set('team-ip', { allowedIps: ['203.0.113.0/24', '127.0.0.1'] })
    expect((await ctx.get(bearer(key))).status).toBe(200)
  })

  it('the allow-list never believes X-Forwarded-For from an untrusted peer', async () => {
    const key = await keyWith({ allowedIps: ['198.51.100.0/24'] })
    for (const written of ['198.51.100.20', '127.0.0.1, 198.51.100.20'])
      expectExactly(await ctx.get([...bearer(key), ['X-Forwarded-For', written]]), ipNotAllowed(redacted(key)))
    expect(lastFailure().source).toBe('127.0.0.1')
  })

  it('one trusted hop: the allow-list sees the address the proxy saw, as throttling does (IPv4, IPv6, IPv4-mapped)', async () => {
    const proxied = await ctx.serve({}, 'one-hop')
    const via = (key: string, forwarded: string) => ctx.get([...bearer(key), ['X-Forwarded-For', forwarded]], proxied)
    const v4 = await keyWith({ allowedIps: ['198.51.100.0/24'] })
    expect((await via(v4, '198.51.100.20')).status).toBe(200)
    // The client wrote an allowed address; the proxy saw another.
    expectExactly(await via(v4, '198.51.100.20, 203.0.113.66'), ipNotAllowed(redacted(v4)))
    expect(lastFailure()).toEqual({ source: '203.0.113.66', code: 'ip_not_allowed' })
    // The proxy itself (loopback) is not the client.
    expectExactly(await via(v4, '203.0.113.66'), ipNotAllowed(redacted(v4)))

    const v6 = await keyWith({ allowedIps: ['2001:db8:7::/48'] })
    for (const client of ['2001:db8:7:7::1', '2001:DB8:7:0:0:0:0:9', '2001:db8:7:ffff:1:2:3:4'])
      expect((await via(v6, client)).status, client).toBe(200)
    expectExactly(await via(v6, '2001:db8:8::1'), ipNotAllowed(redacted(v6)))
    // The whole address reaches the allow-list (not the /64 throttling counts), in RFC 5952 form.
    expect(lastFailure()).toEqual({ source: '2001:db8:8::1', code: 'ip_not_allowed' })
    const host = await keyWith({ allowedIps: ['2001:db8:7:7::1'] })
    expect((await via(host, '2001:db8:7:7::1')).status).toBe(200)
    expectExactly(await via(host, '2001:db8:7:7::2'), ipNotAllowed(redacted(host)))

    const mapped = await keyWith({ allowedIps: ['203.0.113.70'] })
    expect((await via(mapped, '::ffff:203.0.113.70')).status).toBe(200)
    const mappedEntry = await keyWith({ allowedIps: ['::ffff:203.0.113.0/120'] })
    expect((await via(mappedEntry, '203.0.113.70')).status).toBe(200)
  })

  it('notBefore: 401 not_yet_valid until then, 200 after', async () => {
    const key = await keyWith({ notBefore: ctx.clock + 120_000 })
    expectExactly(await ctx.get(bearer(key)), unauthorized('not_yet_valid', redacted(key)))
    ctx.clock += 120_000
    expect((await ctx.get(bearer(key))).status).toBe(200)
  })

  it("a role's scopes count in requireScopes and in the middleware's scopes", async () => {
    const sender = await keyWith({ roles: ['sender'] })
    expect(json(await ctx.send(ctx.port, 'POST', '/v1/messages', bearer(sender)))).toEqual({ sent: true })
    expectExactly(await ctx.send(ctx.port, 'POST', '/v1/workflows', bearer(sender)), forbidden('workflows:run', redacted(sender)))
    const reader = await keyWith({ roles: ['reader'] })
    expect(json(await ctx.send(ctx.port, 'POST', '/v1/contacts', bearer(reader)))).toEqual({ listed: true })
    const guarded = await ctx.serve({ scopes: ['contacts:read'] })
    expect((await ctx.get(bearer(reader), guarded)).status).toBe(200)
  })

  it('requireScopes({ anyOf }) passes with one of them and fails naming both; the middleware option alike', async () => {
    const writer = await keyWith({ scopes: ['contacts:write'] })
    expect(json(await ctx.send(ctx.port, 'POST', '/v1/contacts', bearer(writer)))).toEqual({ listed: true })
    expect((await ctx.send(ctx.port, 'POST', '/v1/contacts', bearer(ctx.keys.full))).status).toBe(200) // contacts:*
    const refusal = forbiddenAny(CONTACTS, redacted(ctx.keys.plain))
    expectExactly(await ctx.send(ctx.port, 'POST', '/v1/contacts', bearer(ctx.keys.plain)), refusal)
    // Required by the middleware itself: verify refuses, with the same bytes.
    const anyOf = await ctx.serve({ scopes: { anyOf: CONTACTS } })
    expect((await ctx.get(bearer(writer), anyOf)).status).toBe(200)
    expectExactly(await ctx.get(bearer(ctx.keys.plain), anyOf), refusal)
    const allOf = await ctx.serve({ scopes: { allOf: CONTACTS } })
    expectExactly(await ctx.get(bearer(writer), allOf), forbidden('contacts:read', redacted(writer)))
  })

  it("an owner's scopes bound what its keys may do, whatever scopes the key has", async () => {
    await ctx.keyward.owners.set('team-scoped', { scopes: ['contacts:read'] })
    const key = await keyWith({ ownerId: 'team-scoped', scopes: ['messages:send', 'contacts:*'] })
    expectExactly(await ctx.send(ctx.port, 'POST', '/v1/messages', bearer(key)), forbidden('messages:send', redacted(key)))
    expect(json(await ctx.send(ctx.port, 'POST', '/v1/contacts', bearer(key)))).toEqual({ listed: true })
    const guarded = await ctx.serve({ scopes: ['messages:send'] })
    expectExactly(await ctx.get(bearer(key), guarded), forbidden('messages:send', redacted(key)))
  })

  it('names every policy in RateLimit-Policy and RateLimit, on success and on the 429', async () => {
    const key = await keyWith({
      rateLimit: { limit: 2, windowMs: 60_000 },
      rateLimits: [{ name: 'tokens', limit: 10, windowMs: 3_600_000 }],
    })
    const minute = String(Math.ceil((60_000 - (ctx.clock % 60_000)) / 1000))
    const hour = String(Math.ceil((3_600_000 - (ctx.clock % 3_600_000)) / 1000))
    const policy = '"default";q=2;w=60, "tokens";q=10;w=3600'
    const first = headerObject(await ctx.get(bearer(key)))
    expect([first['ratelimit-policy'], first.ratelimit]).toEqual([policy, `"default";r=1;t=${minute}, "tokens";r=9;t=${hour}`])
    expect((await ctx.get(bearer(key))).status).toBe(200)
    const refused = await ctx.get(bearer(key))
    // All or nothing: the refused request spent no token either.
    expectExactly(refused, {
      status: 429,
      challenge: 'Bearer realm="api"',
      headers: { 'retry-after': minute, 'ratelimit-policy': policy, ratelimit: `"default";r=0;t=${minute}, "tokens";r=8;t=${hour}` },
      body: {
        type: 'about:blank',
        title: 'Too Many Requests',
        status: 429,
        code: 'rate_limited',
        detail: 'Too many requests. Retry after the time given in the Retry-After header.',
        key: redacted(key),
      },
    })
  })

  it("an owner's limits appear beside the key's, as owner.<name>", async () => {
    await ctx.keyward.owners.set('team-limited', { rateLimits: [{ name: 'default', limit: 100, windowMs: 60_000 }] })
    const key = await keyWith({ ownerId: 'team-limited', rateLimit: { limit: 5, windowMs: 60_000 } })
    const minute = String(Math.ceil((60_000 - (ctx.clock % 60_000)) / 1000))
    const headers = headerObject(await ctx.get(bearer(key)))
    expect([headers['ratelimit-policy'], headers.ratelimit]).toEqual([
      '"default";q=5;w=60, "owner.default";q=100;w=60',
      `"default";r=4;t=${minute}, "owner.default";r=99;t=${minute}`,
    ])
  })
}
