/**
 * Key management, part 6: access rules on create and update (allowed IPs, roles, not-before, named
 * limits within caps) and the owner's key cap as 409 `limit_exceeded`.
 */
import { expect, it } from 'vitest'
import { expectJson, expectProblem, type ManagementContext } from './management-context.js'

const OUTSIDE = '198.51.100.7'
const INSIDE = '203.0.113.9'

export function accessRuleTests(ctx: ManagementContext): void {
  it('creates a key with allowedIps, roles and notBefore, answers them (dates as ISO), and verify follows them', async () => {
    const notBefore = new Date(Date.now() + 3_600_000).toISOString()
    const created = await ctx.call('POST', '/', {
      body: { name: 'Office only', allowedIps: ['203.0.113.0/24', '2001:DB8::/32'], roles: ['reader', 'sender'], notBefore },
    })
    expect(created.status).toBe(201)
    const { key, info } = created.json
    expectJson(created, 201, { key, info: await ctx.keyward.get(info.id) })
    expect(info).toMatchObject({
      allowedIps: ['203.0.113.0/24', '2001:db8::/32'],
      roles: ['reader', 'sender'],
      effectiveScopes: expect.arrayContaining(['contacts:read', 'messages:send']),
      notBefore,
      status: 'not_yet_valid',
    })
    expect(await ctx.keyward.verify(key, { source: INSIDE })).toMatchObject({ ok: false, code: 'not_yet_valid' })

    // notBefore as epoch milliseconds, in the past: the key works, from inside the list only.
    const patched = await ctx.call('PATCH', `/${info.id}`, { body: { notBefore: Date.now() - 1000 } })
    expectJson(patched, 200, await ctx.keyward.get(info.id))
    expect(patched.json.status).toBe('active')
    expect((await ctx.keyward.verify(key, { source: INSIDE, scopes: ['contacts:read'] })).ok).toBe(true)
    expect(await ctx.keyward.verify(key, { source: OUTSIDE })).toMatchObject({ ok: false, code: 'ip_not_allowed' })

    // Clearing the list and the roles, and notBefore as an ISO string; null clears it.
    const cleared = await ctx.call('PATCH', `/${info.id}`, { body: { allowedIps: null, roles: [], notBefore: null } })
    expectJson(cleared, 200, await ctx.keyward.get(info.id))
    expect(cleared.json).toMatchObject({ allowedIps: null, roles: [], notBefore: null, effectiveScopes: [] })
    expect((await ctx.keyward.verify(key, { source: OUTSIDE })).ok).toBe(true)
  })

  it('refuses a bad allow-list naming the field, never quoting the entry, and changes nothing', async () => {
    const { id } = await ctx.createKey('Allow-list', { allowedIps: ['10.0.0.0/8'] })
    const secretish = 'not-an-address-<script>'
    for (const [allowedIps, field] of [
      [['10.0.0.1', secretish], 'allowedIps[1]'],
      [['10.0.0.0/33'], 'allowedIps[0]'],
      [[42], 'allowedIps[0]'],
      ['10.0.0.1', 'allowedIps'],
    ] as const) {
      for (const response of [
        await ctx.call('POST', '/', { body: { name: 'Bad list', allowedIps } }),
        await ctx.call('PATCH', `/${id}`, { body: { allowedIps } }),
      ]) {
        expectProblem(response, 400, 'invalid_input', new RegExp(`^${field.replace(/[[\]]/g, '\\$&')}: `), { field })
        expect(response.text).not.toContain(secretish)
        expect(response.text).not.toContain('10.0.0.0/33')
      }
    }
    expect((await ctx.keyward.get(id))?.allowedIps).toEqual(['10.0.0.0/8'])
    const names = (await ctx.store.list({ ownerId: 'team-a', limit: 1000, includeRevoked: true })).items.map((record) => record.name)
    expect(names).not.toContain('Bad list')
  })

  it('accepts configured roles only, within allowedRoles; a key holding another role cannot be rotated here', async () => {
    const { id } = await ctx.createKey('Roles')
    const configured = 'roles[0]: must be one of the configured roles: "reader", "sender", "admin"'
    expectProblem(await ctx.call('POST', '/', { body: { name: 'Bad role', roles: ['owner'] } }), 400, 'invalid_input', configured, {
      field: 'roles[0]',
    })
    expectProblem(await ctx.call('PATCH', `/${id}`, { body: { roles: ['owner'] } }), 400, 'invalid_input', configured, {
      field: 'roles[0]',
    })
    expectProblem(
      await ctx.call('PATCH', `/${id}`, { body: { roles: 'reader' } }),
      400,
      'invalid_input',
      'roles: must be an array of role names',
      {
        field: 'roles',
      },
    )
    // With allowedScopes, roles are refused unless listed (the handler cannot see what a role grants).
    const scoped = await ctx.serve({ allowedScopes: ['messages:send'] })
    expectProblem(
      await ctx.call('POST', '/', { body: { name: 'Bad role', roles: ['admin'] }, port: scoped }),
      400,
      'invalid_input',
      'roles[0]: no roles can be granted here',
      { field: 'roles[0]' },
    )
    const listed = await ctx.serve({ allowedScopes: ['messages:send'], allowedRoles: ['sender'] })
    const sender = await ctx.call('POST', '/', { body: { name: 'Sender', roles: ['sender'] }, port: listed })
    expect(sender.json.info.roles).toEqual(['sender'])
    expectProblem(
      await ctx.call('PATCH', `/${id}`, { body: { roles: ['sender', 'admin'] }, port: listed }),
      400,
      'invalid_input',
      'roles[1]: "admin" is not a role you can grant here; allowed: sender',
      { field: 'roles[1]' },
    )
    const admin = await ctx.keyward.create({ name: 'Admin elsewhere', ownerId: 'team-a', roles: ['admin'] })
    const beyond = /^This key holds scopes you cannot grant here \(role admin\), so it cannot be rotated here\./
    expectProblem(await ctx.call('POST', `/${admin.info.id}/rotate`, { body: {}, port: listed }), 403, 'scope_not_allowed', beyond)
    // Narrowing its roles is allowed.
    expect((await ctx.call('PATCH', `/${admin.info.id}`, { body: { roles: ['sender'] }, port: listed })).json.roles).toEqual(['sender'])
    expect((await ctx.keyward.get(id))?.roles).toEqual([])
    const names = (await ctx.store.list({ ownerId: 'team-a', limit: 1000, includeRevoked: true })).items.map((record) => record.name)
    expect(names).not.toContain('Bad role')
  })

  it("answers 409 limit_exceeded at the owner's key cap, creating nothing, and creates again once a key is revoked", async () => {
    await ctx.keyward.owners.set('team-capped', { maxKeys: 2 })
    const first = await ctx.createKey('One', {}, 'team-capped')
    await ctx.createKey('Two', {}, 'team-capped')
    ctx.owner = 'team-capped'
    const refused = await ctx.call('POST', '/', { body: { name: 'Three' } })
    expectProblem(
      refused,
      409,
      'limit_exceeded',
      'You already have 2 live API keys, the most allowed. Revoke or delete one before creating another.',
    )
    expect(refused.text).not.toContain('team-capped')
    expect((await ctx.keyward.list({ ownerId: 'team-capped' })).items.map((item) => item.name).sort()).toEqual(['One', 'Two'])
    expect((await ctx.call('POST', `/${first.id}/revoke`)).status).toBe(200)
    expect((await ctx.call('POST', '/', { body: { name: 'Three' } })).status).toBe(201)
  })

  it('takes named rateLimits only within limits.maxRateLimits: capped names, no more, every key holding them', async () => {
    const { id } = await ctx.createKey('No named limits')
    expectProblem(
      await ctx.call('PATCH', `/${id}`, { body: { rateLimits: [{ name: 'tokens', limit: 1e9, windowMs: 1000 }] } }),
      400,
      'invalid_input',
      'Unknown field "rateLimits": expected name, scopes, roles, expiresAt, notBefore, allowedIps, metadata.',
      { field: 'rateLimits' },
    )
    const cap = { name: 'tokens', limit: 1000, windowMs: 60_000, algorithm: 'sliding' as const }
    const port = await ctx.serve({ limits: { maxRateLimits: [cap] } })
    const plain = await ctx.call('POST', '/', { body: { name: 'Capped tokens' }, port })
    expect(plain.json.info.rateLimits).toEqual([cap])
    const lower = await ctx.call('POST', '/', {
      body: { name: 'Fewer tokens', rateLimits: [{ name: 'tokens', limit: 2, windowMs: 60_000 }] },
      port,
    })
    expectJson(lower, 201, { key: lower.json.key, info: await ctx.keyward.get(lower.json.info.id) })
    expect(lower.json.info.rateLimits).toEqual([{ ...cap, limit: 2 }])
    const codes = []
    for (let i = 0; i < 2; i++) {
      const result = await ctx.keyward.verify(lower.json.key, { cost: { tokens: 2 } })
      codes.push(result.ok ? 'ok' : result.code)
    }
    expect(codes).toEqual(['ok', 'rate_limited'])
    const at = 'rateLimits[0]: at most 1000 per 60000 ms here (and no more on average), sliding'
    for (const [rateLimits, field, detail] of [
      [[{ name: 'tokens', limit: 1001, windowMs: 60_000 }], 'rateLimits[0]', at],
      [[{ name: 'tokens', limit: 10, windowMs: 60_000, algorithm: 'fixed' }], 'rateLimits[0]', at],
      [
        [{ name: 'images', limit: 1, windowMs: 1000 }],
        'rateLimits[0].name',
        'rateLimits[0].name: no limit of this name can be set here; expected "tokens"',
      ],
      [null, 'rateLimits', 'rateLimits: a key made here needs its limits (tokens)'],
    ] as const) {
      expectProblem(await ctx.call('POST', '/', { body: { name: 'Too many tokens', rateLimits }, port }), 400, 'invalid_input', detail, {
        field,
      })
      expectProblem(await ctx.call('PATCH', `/${lower.json.info.id}`, { body: { rateLimits }, port }), 400, 'invalid_input', detail, {
        field,
      })
    }
    expect((await ctx.keyward.get(lower.json.info.id))?.rateLimits).toEqual([{ ...cap, limit: 2 }])
  })
}
