/** Key management, part 2: what a request must be (a session, an allowed Origin, valid JSON, allowed scopes). */
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import { expect, it } from 'vitest'
import { DETAILS, expectProblem, MANAGEMENT_PEPPER, type ManagementContext } from './management-context.js'

export function requestChecks(ctx: ManagementContext): void {
  it('refuses requests that carry an API key, valid or not, before authorize', async () => {
    const { key } = await ctx.createKey('A key')
    ctx.authorized.length = 0
    const variants: [string, string][][] = [
      [['Authorization', `Bearer ${key}`]],
      [['X-API-Key', key]],
      [['Authorization', 'Bearer something']],
      [['X-Api-Key', 'x']],
      [['x-api-key', '']],
      [
        ['Authorization', 'Basic dTpw'],
        ['Authorization', 'Bearer k'],
      ],
    ]
    for (const headers of variants) {
      const get = await ctx.call('GET', '/', { headers })
      expectProblem(get, 403, 'api_key_not_accepted', DETAILS.apiKey)
      expectProblem(await ctx.call('POST', '/', { headers, body: { name: 'Via key' } }), 403, 'api_key_not_accepted', DETAILS.apiKey)
    }
    expect(ctx.authorized).toEqual([])
    // Another Authorization scheme (a session) is not a key.
    expect((await ctx.call('GET', '/', { headers: [['Authorization', 'Basic dTpw']] })).status).toBe(200)
  })

  it('lets apiKeyHeaders narrow what counts as a key, for bearer sessions', async () => {
    const port = await ctx.serve({ apiKeyHeaders: ['x-api-key'] })
    expect((await ctx.call('GET', '/', { headers: [['Authorization', 'Bearer session-token']], port })).status).toBe(200)
    expectProblem(await ctx.call('GET', '/', { headers: [['X-API-Key', 'k']], port }), 403, 'api_key_not_accepted', DETAILS.apiKey)
  })

  it('accepts a state-changing request only from an Origin in allowedOrigins', async () => {
    const { id } = await ctx.createKey('Origin checks')
    expectProblem(await ctx.call('POST', '/', { body: { name: 'No origin' }, origin: null }), 403, 'origin_not_allowed', DETAILS.noOrigin)
    for (const origin of [
      'https://evil.example',
      'null',
      'https://app.acme.test.evil.example',
      'http://app.acme.test',
      'https://app.acme.test:8443',
    ])
      expectProblem(await ctx.call('POST', '/', { body: { name: 'Evil' }, origin }), 403, 'origin_not_allowed', DETAILS.otherOrigin)
    expectProblem(
      await ctx.call('POST', `/${id}/disable`, { origin: 'http://127.0.0.1:1' }),
      403,
      'origin_not_allowed',
      DETAILS.otherOrigin,
    )
    expectProblem(
      await ctx.call('PATCH', `/${id}`, { body: { name: 'x' }, origin: 'http://evil.example' }),
      403,
      'origin_not_allowed',
      DETAILS.otherOrigin,
    )
    expectProblem(await ctx.call('DELETE', `/${id}`, { origin: null }), 403, 'origin_not_allowed', DETAILS.noOrigin)
    expect(await ctx.keyward.get(id)).toMatchObject({ name: 'Origin checks', status: 'active' })
    // Reads need no Origin.
    expect((await ctx.call('GET', '/', { origin: null })).status).toBe(200)

    const port = await ctx.serve({ allowedOrigins: ['https://dashboard.acme.test', 'http://localhost:3000'] })
    expect((await ctx.call('POST', `/${id}/disable`, { origin: 'https://dashboard.acme.test', port })).status).toBe(200)
    expect((await ctx.call('POST', `/${id}/enable`, { origin: 'http://localhost:3000', port })).status).toBe(200)
    expectProblem(
      await ctx.call('POST', `/${id}/disable`, { origin: 'https://other.acme.test', port }),
      403,
      'origin_not_allowed',
      DETAILS.otherOrigin,
    )
    // The server's own address is not allowed unless listed.
    expectProblem(
      await ctx.call('POST', `/${id}/disable`, { origin: `http://127.0.0.1:${port}`, port }),
      403,
      'origin_not_allowed',
      DETAILS.otherOrigin,
    )
    expect((await ctx.keyward.get(id))?.status).toBe('active')
  })

  it("refuses a DNS-rebinding page whose Host and Origin agree on the attacker's name: nothing is created", async () => {
    const rebound: [string, string][] = [['Host', `evil.example:${ctx.port}`]]
    const origin = `http://evil.example:${ctx.port}`
    const created = await ctx.call('POST', '/', { body: { name: 'Rebound', scopes: ['*'] }, origin, headers: rebound })
    expectProblem(created, 403, 'origin_not_allowed', DETAILS.otherOrigin)
    const { id } = await ctx.createKey('Rebinding target')
    for (const [method, suffix] of [
      ['POST', '/rotate'],
      ['POST', '/disable'],
      ['DELETE', ''],
    ] as const)
      expectProblem(await ctx.call(method, `/${id}${suffix}`, { origin, headers: rebound }), 403, 'origin_not_allowed', DETAILS.otherOrigin)
    expect(await ctx.keyward.get(id)).toMatchObject({ status: 'active', rotatedToId: null })
    const names = (await ctx.store.list({ ownerId: 'team-a', limit: 1000, includeRevoked: true })).items.map((record) => record.name)
    expect(names).not.toContain('Rebound')
  })

  it('maps invalid input to 400 with the field at fault', async () => {
    const cases: [unknown, string][] = [
      [{}, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(101) }, 'name'],
      [{ name: 'Bad\u0007bell' }, 'name'],
      [{ name: 'Scopes', scopes: ['Messages:Send'] }, 'scopes[0]'],
      [{ name: 'Scopes', scopes: 'messages:send' }, 'scopes'],
      [{ name: 'Past', expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
      [{ name: 'Garbage date', expiresAt: 'tomorrow-ish' }, 'expiresAt'],
      [{ name: 'Extra', metadata: 'notes' }, 'metadata'],
      [{ name: 'Extra', owner: 'team-b' }, 'owner'],
    ]
    for (const [body, field] of cases) expectProblem(await ctx.call('POST', '/', { body }), 400, 'invalid_input', undefined, { field })
    for (const body of [[1, 2], 'name', 7])
      expectProblem(await ctx.call('POST', '/', { body }), 400, 'invalid_input', DETAILS.notObject, { field: 'body' })
    const { id } = await ctx.createKey('Grace')
    expectProblem(await ctx.call('POST', `/${id}/rotate`, { body: { gracePeriodMs: -5 } }), 400, 'invalid_input', undefined, {
      field: 'gracePeriodMs',
    })
    expectProblem(
      await ctx.call('POST', `/${id}/disable`, { body: { reason: 'x' } }),
      400,
      'invalid_input',
      'Unknown field "reason": this action takes no fields.',
      { field: 'reason' },
    )
    expectProblem(await ctx.call('GET', '/?limit=1000'), 400, 'invalid_input', undefined, { field: 'limit' })
  })

  it('never echoes a key, not even one pasted where it does not belong', async () => {
    const { key } = await ctx.createKey('Leaky')
    const asName = await ctx.call('POST', '/', { body: { name: key } })
    expectProblem(asName, 400, 'invalid_input', 'name: looks like an API key; use a description such as "CRM sync"', { field: 'name' })
    const asField = await ctx.call('POST', '/', { body: { name: 'x', [key]: 1 } })
    expectProblem(asField, 400, 'invalid_input', undefined, { field: ctx.keyward.redact(key) })
    expect(asField.text).not.toContain(key)
    const asScope = await ctx.call('POST', '/', { body: { name: 'x', scopes: [key] } })
    expectProblem(asScope, 400, 'invalid_input', undefined, { field: 'scopes[0]' })
    expect(asScope.text).not.toContain(key)
  })

  it('refuses bodies that are not JSON, too large or malformed', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain'])
      expectProblem(
        await ctx.call('POST', '/', { raw: 'name=x', headers: [['Content-Type', type]] }),
        415,
        'unsupported_media_type',
        DETAILS.unsupported,
      )
    const malformed = await ctx.call('POST', '/', { raw: '{"name":', headers: [['Content-Type', 'application/json']] })
    expectProblem(malformed, 400, 'invalid_input', DETAILS.notJson, { field: 'body' })
    expectProblem(await ctx.call('POST', '/', { body: { name: 'x'.repeat(20_000) } }), 413, 'body_too_large', DETAILS.tooLarge)
    // A chunked body is read (and limited) the same way.
    const chunked = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n0\r\n\r\n`
    const body = JSON.stringify({ name: 'Chunked' })
    const headers: [string, string][] = [
      ['Content-Type', 'application/json'],
      ['Transfer-Encoding', 'chunked'],
    ]
    expect((await ctx.call('POST', '/', { raw: chunked(body), headers })).status).toBe(201)
    expectProblem(
      await ctx.call('POST', '/', { raw: chunked(JSON.stringify({ name: 'x'.repeat(20_000) })), headers }),
      413,
      'body_too_large',
      DETAILS.tooLarge,
    )
    // A vendor JSON type is JSON.
    expect(
      (await ctx.call('POST', '/', { raw: body, headers: [['Content-Type', 'application/merge-patch+json; charset=utf-8']] })).status,
    ).toBe(201)
  })

  it('restricts scopes to allowedScopes', async () => {
    const port = await ctx.serve({ allowedScopes: ['messages:send', 'contacts:*'] })
    expect(
      (await ctx.call('POST', '/', { body: { name: 'ok', scopes: ['messages:send', 'contacts:sync', 'contacts:*'] }, port })).status,
    ).toBe(201)
    for (const scope of ['*', 'workflows:trigger', 'messages:*']) {
      const refused = await ctx.call('POST', '/', { body: { name: 'too much', scopes: ['messages:send', scope] }, port })
      expectProblem(
        refused,
        400,
        'invalid_input',
        `scopes[1]: "${scope}" is not a scope you can grant here; allowed: messages:send, contacts:*`,
        { field: 'scopes[1]' },
      )
    }
  })

  it('refuses to rotate, enable or update a key whose scopes exceed allowedScopes, and lets it be narrowed', async () => {
    const port = await ctx.serve({ allowedScopes: ['messages:send', 'contacts:*'] })
    // Keys made elsewhere (the CLI, another page) with more than this page may grant.
    for (const scopes of [['*'], ['messages:send', 'workflows:trigger'], ['contacts:*', 'messages:*']]) {
      const { key, info } = await ctx.keyward.create({ name: 'Made elsewhere', ownerId: 'team-a', scopes })
      const rotate = await ctx.call('POST', `/${info.id}/rotate`, { body: { gracePeriodMs: 0 }, port })
      expectProblem(rotate, 403, 'scope_not_allowed', /cannot be rotated here/)
      expect(rotate.text).not.toMatch(/acme_test_\w{12}_/)
      expectProblem(
        await ctx.call('PATCH', `/${info.id}`, { body: { name: 'Renamed' }, port }),
        403,
        'scope_not_allowed',
        /cannot be updated here/,
      )
      expectProblem(
        await ctx.call('PATCH', `/${info.id}`, { body: { expiresAt: null }, port }),
        403,
        'scope_not_allowed',
        /cannot be updated here/,
      )
      expect((await ctx.call('POST', `/${info.id}/disable`, { port })).status).toBe(200)
      expectProblem(await ctx.call('POST', `/${info.id}/enable`, { port }), 403, 'scope_not_allowed', /cannot be enabled here/)
      expect(await ctx.keyward.get(info.id)).toMatchObject({ name: 'Made elsewhere', status: 'disabled', scopes, rotatedToId: null })
      expect(await ctx.keyward.verify(key)).toMatchObject({ ok: false, code: 'disabled' })
      // Narrowed to what this page grants, it is an ordinary key again.
      expect((await ctx.call('PATCH', `/${info.id}`, { body: { scopes: ['messages:send'] }, port })).status).toBe(200)
      expect((await ctx.call('POST', `/${info.id}/enable`, { port })).status).toBe(200)
      const rotated = await ctx.call('POST', `/${info.id}/rotate`, { body: { gracePeriodMs: 0 }, port })
      expect(rotated.status).toBe(200)
      expect(rotated.json.info.scopes).toEqual(['messages:send'])
      // Reading, revoking and deleting stay possible for an over-scoped key.
      const other = await ctx.keyward.create({ name: 'Also elsewhere', ownerId: 'team-a', scopes })
      expect((await ctx.call('GET', `/${other.info.id}`, { port })).status).toBe(200)
      expect((await ctx.call('POST', `/${other.info.id}/revoke`, { port })).status).toBe(200)
      expect((await ctx.call('DELETE', `/${other.info.id}`, { port })).status).toBe(204)
    }
  })

  it('never quotes a key, or a secret, given where a key id belongs', async () => {
    const { key } = await ctx.createKey('Pasted into the URL')
    const elsewhere = createKeyward({ prefix: 'other_live', store: new MemoryKeyStore() })
    const foreign = await elsewhere.create({ name: 'Another deployment' })
    const long = createKeyward({ prefix: 'acme_production_eu', store: ctx.store, pepper: MANAGEMENT_PEPPER, cache: false })
    const longKey = (await long.create({ name: 'Long prefix', ownerId: 'team-a' })).key
    const secretOf = (k: string) => k.slice(-38)
    for (const pasted of [key, foreign.key, longKey, secretOf(key), `${key}x`]) {
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['PATCH', '', { name: 'x' }],
        ['POST', '/rotate', {}],
        ['DELETE', '', undefined],
      ] as const) {
        const response = await ctx.call(method, `/${encodeURIComponent(pasted)}${suffix}`, { body })
        expectProblem(response, 404, 'not_found', 'No API key with the id given.')
      }
    }
    await Promise.all([long.close(), elsewhere.close()])
  })

  it('answers 405 with Allow for a wrong method, and leaves other paths to the framework', async () => {
    expectProblem(await ctx.call('PUT', '/'), 405, 'method_not_allowed', 'Use GET, HEAD, POST here.', {
      headers: { allow: 'GET, HEAD, POST' },
    })
    expectProblem(await ctx.call('GET', '/abc/disable'), 405, 'method_not_allowed', 'Use POST here.', { headers: { allow: 'POST' } })
    expectProblem(await ctx.call('PUT', '/abc'), 405, 'method_not_allowed', 'Use GET, HEAD, PATCH, DELETE here.', {
      headers: { allow: 'GET, HEAD, PATCH, DELETE' },
    })
    const unknown = await ctx.call('GET', '/abc/def/ghi')
    expect(unknown.status).toBe(404)
    expect(unknown.headers['content-type']).not.toBe('application/problem+json') // the framework's own 404
  })
}
