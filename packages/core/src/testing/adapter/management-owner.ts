/**
 * Key management, part 7: `GET /owner` and `PUT /owner`, the caller's own owner settings. A tenant
 * reads them; it changes only what `editableOwnerSettings` grants, never its limits by default, and
 * never another owner's.
 */
import { expect, it } from 'vitest'
import { expectJson, expectProblem, type ManagementContext } from './management-context.js'

const LIMITS = [{ name: 'default', limit: 100, windowMs: 60_000 }]
const ALL = ['rateLimits', 'credits', 'maxKeys', 'scopes', 'allowedIps']

export function ownerSettingTests(ctx: ManagementContext): void {
  it('GET /owner answers the caller’s own settings, empty when none, read-only by default', async () => {
    ctx.owner = 'team-fresh'
    expectJson(await ctx.call('GET', '/owner', { origin: null }), 200, {
      id: 'team-fresh',
      rateLimits: [],
      credits: null,
      maxKeys: null,
      scopes: null,
      allowedIps: null,
      createdAt: null,
      updatedAt: null,
      editable: [],
    })
    await ctx.keyward.owners.set('team-owned', { rateLimits: LIMITS, maxKeys: 5, scopes: ['messages:*'] })
    await ctx.keyward.owners.set('team-other', { maxKeys: 50 })
    ctx.owner = 'team-owned'
    const own = await ctx.call('GET', '/owner', { origin: null })
    expectJson(own, 200, { ...(await ctx.keyward.owners.get('team-owned')), editable: [] })
    expect(own.json).toMatchObject({ id: 'team-owned', maxKeys: 5, rateLimits: LIMITS })
    expect(own.text).not.toContain('team-other')
    const options = await ctx.call('OPTIONS', '/owner', { origin: null })
    expect({ status: options.status, allow: options.headers.allow }).toEqual({ status: 204, allow: 'GET, HEAD, PUT' })
    expectProblem(await ctx.call('DELETE', '/owner'), 405, 'method_not_allowed', 'Use GET, HEAD, PUT here.', {
      headers: { allow: 'GET, HEAD, PUT' },
    })
  })

  it('refuses a tenant raising its own limits, key cap, scopes or credits (403), and changes nothing', async () => {
    await ctx.keyward.owners.set('team-tenant', { rateLimits: LIMITS, maxKeys: 5, scopes: ['messages:*'] })
    const before = await ctx.keyward.owners.get('team-tenant')
    ctx.owner = 'team-tenant'
    const current = (await ctx.call('GET', '/owner')).json
    const { id: _id, createdAt: _c, updatedAt: _u, editable: _e, ...settings } = current
    // Sent back unchanged: nothing to permit.
    expect((await ctx.call('PUT', '/owner', { body: settings })).status).toBe(200)
    for (const [raise, detail] of [
      [{ maxKeys: 1000 }, 'maxKeys'],
      [{ rateLimits: [{ name: 'default', limit: 1e9, windowMs: 1000 }] }, 'rateLimits'],
      [{ rateLimits: null, maxKeys: null }, 'rateLimits, maxKeys'],
      [{ scopes: ['*'] }, 'scopes'],
      [{ credits: { remaining: 1e9 } }, 'credits'],
      [{ allowedIps: ['0.0.0.0/0'] }, 'allowedIps'],
    ] as const) {
      const refused = await ctx.call('PUT', '/owner', { body: { ...settings, ...raise } })
      const they = detail.includes(',') ? 'they are' : 'it is'
      expectProblem(
        refused,
        403,
        'owner_settings_not_allowed',
        `You cannot change ${detail} here: ${they} set by the operator of this service.`,
      )
    }
    // Leaving a setting out clears it: also a change.
    expectProblem(
      await ctx.call('PUT', '/owner', { body: {} }),
      403,
      'owner_settings_not_allowed',
      'You cannot change rateLimits, maxKeys, scopes here: they are set by the operator of this service.',
    )
    // The owner comes from authorize only, and the body names no other.
    expectProblem(
      await ctx.call('PUT', '/owner', { body: { ...settings, ownerId: 'team-other' } }),
      400,
      'invalid_input',
      'Unknown field "ownerId": expected rateLimits, credits, maxKeys, scopes, allowedIps.',
      { field: 'ownerId' },
    )
    expect(await ctx.keyward.owners.get('team-tenant')).toMatchObject({ ...before, updatedAt: expect.any(Date) })
    expect(await ctx.keyward.owners.get('team-other')).toMatchObject({ maxKeys: 50 })
  })

  it('lets a request change what editableOwnerSettings grants: a tenant its allow-list, an operator everything', async () => {
    await ctx.keyward.owners.set('team-ips', { maxKeys: 3 })
    ctx.owner = 'team-ips'
    const tenant = await ctx.serve({ editableOwnerSettings: ['allowedIps'] })
    expect((await ctx.call('GET', '/owner', { port: tenant })).json.editable).toEqual(['allowedIps'])
    const narrowed = await ctx.call('PUT', '/owner', { body: { maxKeys: 3, allowedIps: ['203.0.113.0/24'] }, port: tenant })
    expectJson(narrowed, 200, { ...(await ctx.keyward.owners.get('team-ips')), editable: ['allowedIps'] })
    expect(narrowed.json).toMatchObject({ maxKeys: 3, allowedIps: ['203.0.113.0/24'] })
    // Every key of the owner follows the owner's list.
    const { key } = await ctx.createKey('Owner-listed', {}, 'team-ips')
    expect(await ctx.keyward.verify(key, { source: '198.51.100.7' })).toMatchObject({ ok: false, code: 'ip_not_allowed' })
    expect((await ctx.keyward.verify(key, { source: '203.0.113.9' })).ok).toBe(true)
    // An allowed change with a refused one: refused whole, naming what may be changed.
    expectProblem(
      await ctx.call('PUT', '/owner', { body: { maxKeys: 30, allowedIps: null }, port: tenant }),
      403,
      'owner_settings_not_allowed',
      'You cannot change maxKeys here: it is set by the operator of this service. You may change allowedIps.',
    )
    expect((await ctx.keyward.owners.get('team-ips'))?.allowedIps).toEqual(['203.0.113.0/24'])
    // Bad input is a 400 naming the field, without the entry.
    const bad = await ctx.call('PUT', '/owner', { body: { maxKeys: 3, allowedIps: ['nope-<b>'] }, port: tenant })
    expectProblem(bad, 400, 'invalid_input', /^allowedIps\[0\]: /, { field: 'allowedIps[0]' })
    expect(bad.text).not.toContain('nope-<b>')

    // Credits are a live balance: an owner that has them can be rewritten only by whoever may set them.
    await ctx.keyward.owners.set('team-ips', { maxKeys: 3, credits: { remaining: 10 } })
    expectProblem(
      await ctx.call('PUT', '/owner', { body: { maxKeys: 3, credits: { remaining: 10, refill: null }, allowedIps: null }, port: tenant }),
      403,
      'owner_settings_not_allowed',
      /^You cannot change credits here/,
    )

    // An operator (the callback decides from the request) may set everything; a throwing callback grants nothing.
    const operator = await ctx.serve({ editableOwnerSettings: () => ALL as never })
    const set = await ctx.call('PUT', '/owner', { body: { maxKeys: 30, credits: { remaining: 500 }, rateLimits: LIMITS }, port: operator })
    expectJson(set, 200, { ...(await ctx.keyward.owners.get('team-ips')), editable: ALL })
    expect(set.json).toMatchObject({ maxKeys: 30, credits: { remaining: 500 }, rateLimits: LIMITS, allowedIps: null })
    const broken = await ctx.serve({
      editableOwnerSettings: () => {
        throw new Error('no session')
      },
    })
    expectProblem(
      await ctx.call('PUT', '/owner', { body: { maxKeys: 31 }, port: broken }),
      403,
      'owner_settings_not_allowed',
      /^You cannot change/,
    )
    expect((await ctx.keyward.owners.get('team-ips'))?.maxKeys).toBe(30)
  })
}
