/** Verification, part 1: which credential a request carries, and what a key's failure or scopes answer. */
import { expect, it } from 'vitest'
import { badRequest, CONFLICT, expectExactly, forbidden, json, missing, redacted, unauthorized } from './expected.js'
import { bearer, type VerificationContext } from './verification-context.js'

export function credentialTests(ctx: VerificationContext): void {
  it('refuses a request without credentials: 401 with a Bearer challenge and a problem body', async () => {
    const before = ctx.probe.handled.length
    expectExactly(await ctx.get(), missing())
    // Another scheme is not ours: still "no credentials".
    expectExactly(await ctx.get([['Authorization', 'Basic dXNlcjpwYXNz']]), missing())
    expect(ctx.probe.handled.length).toBe(before)
    expect(json(await ctx.send(ctx.port, 'GET', '/health'))).toEqual({ ok: true })
  })

  it('lets a valid key through in either header and any scheme casing, and exposes its public view', async () => {
    const id = ctx.keys.full.split('_')[2]
    for (const headers of [
      bearer(ctx.keys.full),
      [['authorization', `bearer ${ctx.keys.full}`]],
      [['AUTHORIZATION', `BEARER \t${ctx.keys.full}  `]],
      [['X-API-Key', ctx.keys.full]],
      [
        ['x-api-key', ctx.keys.full],
        ['Authorization', `Bearer ${ctx.keys.full}`],
      ], // the same key twice is one credential
    ] as [string, string][][]) {
      const response = await ctx.get(headers)
      expect(response.status, JSON.stringify(headers[0]![0])).toBe(200)
      expect(json(response)).toEqual({ id })
    }
  })

  it('says why a key fails, echoing it only redacted', async () => {
    expectExactly(await ctx.get(bearer(ctx.keys.full.slice(0, -3))), unauthorized('malformed'))
    const typo = ctx.keys.full.slice(0, 30) + (ctx.keys.full[30] === 'a' ? 'b' : 'a') + ctx.keys.full.slice(31)
    expectExactly(await ctx.get(bearer(typo)), unauthorized('malformed', redacted(typo)))
    expectExactly(await ctx.get([['X-API-Key', 'sk_live_1234']]), unauthorized('malformed'))
    expectExactly(await ctx.get(bearer(ctx.foreignKey)), unauthorized('invalid', redacted(ctx.foreignKey)))
    // Another deployment's key is not echoed: the redacted form is only for this deployment's ctx.keys.
    expectExactly(await ctx.get(bearer(ctx.otherPrefixKey)), unauthorized('other_prefix'))
    expectExactly(await ctx.get(bearer(ctx.keys.disabled)), unauthorized('disabled', redacted(ctx.keys.disabled)))
    expectExactly(await ctx.get(bearer(ctx.keys.revoked)), unauthorized('revoked', redacted(ctx.keys.revoked)))
    expect((await ctx.get(bearer(ctx.keys.expiring))).status).toBe(200)
    ctx.clock += 61_000
    expectExactly(await ctx.get(bearer(ctx.keys.expiring)), unauthorized('expired', redacted(ctx.keys.expiring)))
  })

  it('refuses a credential malformed as a request with 400 invalid_request (RFC 6750 §3.1), before any store call', async () => {
    const before = ctx.store.calls
    for (const value of [
      'Bearer',
      'Bearer ',
      'bearer \t ',
      `Bearer ${ctx.keys.full} ${ctx.keys.full}`,
      `Bearer ${ctx.keys.full}!`,
      `Bearer ${ctx.keys.full.slice(0, 20)}\u00e9`,
    ])
      expectExactly(await ctx.get([['Authorization', value]]), badRequest('malformed_bearer'))
    for (const value of ['', `${ctx.keys.full.slice(0, 20)} ${ctx.keys.full.slice(20)}`, `${ctx.keys.full}\u00a0`])
      expectExactly(await ctx.get([['X-API-Key', value]]), badRequest('malformed_x_api_key'))
    // Next to a good key, a malformed credential still makes a bad request.
    expectExactly(
      await ctx.get([
        ['X-API-Key', ctx.keys.full],
        ['Authorization', 'Bearer '],
      ]),
      badRequest('malformed_bearer'),
    )
    expect(ctx.store.calls).toBe(before)
    // A well-formed token that fails the checksum stays a 401 invalid_token.
    expectExactly(await ctx.get(bearer('sk_live_1234')), unauthorized('malformed'))
  })

  it('refuses two different credentials with 400 invalid_request, before any store call', async () => {
    const before = ctx.store.calls
    expectExactly(await ctx.get([...bearer(ctx.keys.full), ['X-API-Key', ctx.keys.plain]]), CONFLICT)
    // A repeated Authorization header: Node keeps only one in req.headers, rawHeaders has both.
    expectExactly(await ctx.get([...bearer(ctx.keys.full), ...bearer(ctx.keys.plain)]), CONFLICT)
    expectExactly(
      await ctx.get([
        ['X-API-Key', ctx.keys.full],
        ['X-API-Key', 'garbage'],
      ]),
      CONFLICT,
    )
    expect(ctx.store.calls).toBe(before)
  })

  it('answers 403 insufficient_scope with the scope needed, from requireScopes and from the scopes option', async () => {
    const ok = await ctx.send(ctx.port, 'POST', '/v1/messages', bearer(ctx.keys.full))
    expect([ok.status, json(ok)]).toEqual([200, { sent: true }])
    const before = ctx.probe.handled.filter((route) => route === 'messages').length
    expectExactly(
      await ctx.send(ctx.port, 'POST', '/v1/messages', bearer(ctx.keys.plain)),
      forbidden('messages:send', redacted(ctx.keys.plain)),
    )
    expect(ctx.probe.handled.filter((route) => route === 'messages').length).toBe(before)
    // requireScopes without a verified key: 401, fail closed.
    expectExactly(await ctx.send(ctx.port, 'POST', '/v1/messages'), missing())

    const scoped = await ctx.serve({ scopes: ['contacts:sync'], realm: 'acme' })
    expect((await ctx.get(bearer(ctx.keys.full), scoped)).status).toBe(200) // contacts:* grants contacts:sync
    expectExactly(await ctx.get(bearer(ctx.keys.plain), scoped), forbidden('contacts:sync', redacted(ctx.keys.plain), 'acme'))
    expectExactly(await ctx.get([], scoped), missing('acme'))
    expectExactly(
      await ctx.send(scoped, 'POST', '/v1/messages', bearer(ctx.keys.plain)),
      forbidden('contacts:sync', redacted(ctx.keys.plain), 'acme'),
    )
  })

  it('names every missing scope in a 403: scope="a b" and the body, from requireScopes and from the scopes option', async () => {
    // requireScopes('workflows:run', 'messages:send'): the full key has only the second.
    expectExactly(
      await ctx.send(ctx.port, 'POST', '/v1/workflows', bearer(ctx.keys.plain)),
      forbidden(['workflows:run', 'messages:send'], redacted(ctx.keys.plain)),
    )
    expectExactly(
      await ctx.send(ctx.port, 'POST', '/v1/workflows', bearer(ctx.keys.full)),
      forbidden('workflows:run', redacted(ctx.keys.full)),
    )
    const scoped = await ctx.serve({ scopes: ['contacts:sync', 'workflows:run', 'messages:send'] })
    expectExactly(
      await ctx.get(bearer(ctx.keys.plain), scoped),
      forbidden(['contacts:sync', 'workflows:run', 'messages:send'], redacted(ctx.keys.plain)),
    )
    expectExactly(await ctx.get(bearer(ctx.keys.full), scoped), forbidden('workflows:run', redacted(ctx.keys.full)))
  })
}
