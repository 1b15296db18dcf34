/** Key management, part 1: the lifecycle of a key, for one owner, and other owners' keys. */
import { describe, expect, it } from 'vitest'
import type { ConformanceAdapter } from './harness.js'
import { requestChecks } from './management-checks.js'
import { DETAILS, expectJson, expectProblem, managementContext, type ManagementContext } from './management-context.js'
import { failureTests } from './management-failures.js'
import { limitCapTests } from './management-limits.js'
import { ownerSettingTests } from './management-owner.js'
import { accessRuleTests } from './management-rules.js'
import { viewTests } from './management-views.js'

export function managementTests(adapter: ConformanceAdapter): void {
  const ctx = managementContext(adapter)
  describe('lifecycle for one owner', () => lifecycleTests(ctx))
  describe('owners', () => ownerTests(ctx))
  describe('request checks', () => requestChecks(ctx))
  describe('limits within caps', () => limitCapTests(ctx))
  describe('failures', () => failureTests(ctx))
  describe('activity and usage views', () => viewTests(ctx))
  describe('access rules', () => accessRuleTests(ctx))
  describe('owner settings', () => ownerSettingTests(ctx))
}

function lifecycleTests(ctx: ManagementContext): void {
  it('creates a key (201, shown once), lists it without the secret, and the key verifies', async () => {
    const created = await ctx.call('POST', '/', { body: { name: '  HubSpot CRM sync ', scopes: ['contacts:sync'] } })
    expect(created.status).toBe(201)
    expect(created.json.key).toMatch(/^acme_test_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/)
    const { key, info } = created.json
    expect(info).toMatchObject({ name: 'HubSpot CRM sync', ownerId: 'team-a', scopes: ['contacts:sync'], status: 'active' })
    expect(info).not.toHaveProperty('digest')
    expectJson(created, 201, { key, info: await ctx.keyward.get(info.id) })
    expect((await ctx.keyward.verify(key, { scopes: ['contacts:sync'] })).ok).toBe(true)

    const list = await ctx.call('GET', '/', { origin: null })
    expectJson(list, 200, await ctx.keyward.list({ ownerId: 'team-a' }))
    expect(list.text).not.toContain(key.slice(-20))
    expect(list.json.items.map((item: { id: string }) => item.id)).toContain(info.id)
    expect(list.json.items.every((item: { ownerId: string }) => item.ownerId === 'team-a')).toBe(true)

    const one = await ctx.call('GET', `/${info.id}`, { origin: null })
    expectJson(one, 200, await ctx.keyward.get(info.id))
    expect(one.json.redacted).toBe(ctx.keyward.redact(key))
    // HEAD: the headers of GET, no body.
    const head = await ctx.call('HEAD', `/${info.id}`, { origin: null })
    expect({ status: head.status, headers: head.headers, text: head.text }).toEqual({ status: 200, headers: one.headers, text: '' })
    const options = await ctx.call('OPTIONS', `/${info.id}`, { origin: null })
    expect({ status: options.status, headers: options.headers, text: options.text }).toEqual({
      status: 204,
      headers: { allow: 'GET, HEAD, PATCH, DELETE', 'cache-control': 'no-store' },
      text: '',
    })
  })

  it('pages the list with limit and cursor, and lists revoked keys only when asked', async () => {
    for (const name of ['Page 1', 'Page 2', 'Page 3']) await ctx.createKey(name, {}, 'team-paged')
    ctx.owner = 'team-paged'
    const first = await ctx.call('GET', '/?limit=2')
    expectJson(first, 200, await ctx.keyward.list({ ownerId: 'team-paged', limit: 2 }))
    expect(first.json.items).toHaveLength(2)
    const rest = await ctx.call('GET', `/?limit=2&cursor=${encodeURIComponent(first.json.nextCursor)}`)
    expect(rest.json.items.map((item: { name: string }) => item.name)).toHaveLength(1)
    expectProblem(await ctx.call('GET', '/?cursor=a&cursor=b'), 400, 'invalid_input', 'cursor: must be a single string', {
      field: 'cursor',
    })
  })

  it('accepts expiresAt as an ISO string and updates name, scopes and expiry with PATCH', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString()
    const { id, key } = await ctx.createKey('Zapier', { expiresAt })
    expect((await ctx.call('GET', `/${id}`)).json.expiresAt).toBe(expiresAt)
    const patched = await ctx.call('PATCH', `/${id}`, {
      body: { name: 'Zapier workflows', scopes: ['workflows:trigger'], expiresAt: null },
    })
    expectJson(patched, 200, await ctx.keyward.get(id))
    expect(patched.json).toMatchObject({ id, name: 'Zapier workflows', scopes: ['workflows:trigger'], expiresAt: null })
    expect(patched.text).not.toContain(key)
  })

  it('disables, enables and revokes; the key follows', async () => {
    const { id, key } = await ctx.createKey()
    const disabled = await ctx.call('POST', `/${id}/disable`)
    expectJson(disabled, 200, await ctx.keyward.get(id))
    expect(disabled.json.status).toBe('disabled')
    expect(await ctx.keyward.verify(key)).toMatchObject({ ok: false, code: 'disabled' })
    expect((await ctx.call('POST', `/${id}/enable`)).json.status).toBe('active')
    expect((await ctx.keyward.verify(key)).ok).toBe(true)
    expect((await ctx.call('POST', `/${id}/revoke`)).json.status).toBe('revoked')
    expect(await ctx.keyward.verify(key)).toMatchObject({ ok: false, code: 'revoked' })
    // Revoked keys leave the list unless asked for.
    expect((await ctx.call('GET', '/')).json.items.map((i: { id: string }) => i.id)).not.toContain(id)
    expect((await ctx.call('GET', '/?includeRevoked=true')).json.items.map((i: { id: string }) => i.id)).toContain(id)
    // And cannot come back.
    expectProblem(await ctx.call('POST', `/${id}/enable`), 409, 'invalid_state')
  })

  it('rotates with a grace period: a new key, the old one valid until the grace ends', async () => {
    const { id, key } = await ctx.createKey('Rotating', { scopes: ['messages:send'] })
    const before = Date.now()
    const rotated = await ctx.call('POST', `/${id}/rotate`, { body: { gracePeriodMs: 3_600_000 } })
    const { key: next, info, previous } = rotated.json
    expectJson(rotated, 200, { key: next, info: await ctx.keyward.get(info.id), previous: await ctx.keyward.get(id) })
    expect(next).not.toBe(key)
    expect(info).toMatchObject({ name: 'Rotating', ownerId: 'team-a', scopes: ['messages:send'], rotatedFromId: id })
    expect(previous).toMatchObject({ id, rotatedToId: info.id })
    const graceEnd = Date.parse(previous.expiresAt)
    expect(graceEnd).toBeGreaterThanOrEqual(before + 3_600_000)
    expect(graceEnd).toBeLessThan(Date.now() + 3_600_000 + 1000)
    expect((await ctx.keyward.verify(next)).ok).toBe(true)
    expect((await ctx.keyward.verify(key)).ok).toBe(true)
    expect(rotated.text.split(next).length).toBe(2) // the new key once, the old one never
    expect(rotated.text).not.toContain(key)
    // A second rotation of the same key conflicts.
    expectProblem(await ctx.call('POST', `/${id}/rotate`, { body: { gracePeriodMs: 0 } }), 409, 'conflict')
  })

  it('deletes (204, empty body) and the key stops working', async () => {
    const { id, key } = await ctx.createKey('Temporary')
    const deleted = await ctx.call('DELETE', `/${id}`)
    expect({ status: deleted.status, headers: deleted.headers, text: deleted.text }).toEqual({
      status: 204,
      headers: { 'cache-control': 'no-store' },
      text: '',
    })
    expect(await ctx.keyward.verify(key)).toMatchObject({ ok: false, code: 'invalid' })
    expectProblem(await ctx.call('DELETE', `/${id}`), 404, 'not_found', `No API key with the id "${id}".`)
  })

  it('never lets a tenant set rate limits or credits (no budget to raise), nor rotate one into more', async () => {
    const { id } = await ctx.createKey('Budget')
    for (const field of ['rateLimit', 'credits'] as const) {
      for (const value of field === 'rateLimit' ? [{ limit: 1_000_000, windowMs: 1000 }, null] : [{ remaining: 1_000_000 }, null]) {
        const expected = 'Unknown field "' + field + '": expected name, scopes, roles, expiresAt, notBefore, allowedIps, metadata.'
        expectProblem(await ctx.call('POST', '/', { body: { name: 'More', [field]: value } }), 400, 'invalid_input', expected, { field })
        expectProblem(await ctx.call('PATCH', `/${id}`, { body: { [field]: value } }), 400, 'invalid_input', expected, { field })
        expectProblem(
          await ctx.call('POST', `/${id}/rotate`, { body: { [field]: value } }),
          400,
          'invalid_input',
          `Unknown field "${field}": expected gracePeriodMs, expiresAt.`,
          { field },
        )
      }
    }
    expect(await ctx.keyward.get(id)).toMatchObject({ rateLimit: null, credits: null, rotatedToId: null })
    const names = (await ctx.store.list({ ownerId: 'team-a', limit: 1000, includeRevoked: true })).items.map((record) => record.name)
    expect(names).not.toContain('More')
  })

  it('takes metadata on create and update, bounded and checked as core checks it', async () => {
    const created = await ctx.call('POST', '/', { body: { name: 'With metadata', metadata: { integration: 'hubspot', region: 'eu' } } })
    expect(created.status).toBe(201)
    const { id } = created.json.info
    expectJson(created, 201, { key: created.json.key, info: await ctx.keyward.get(id) })
    expect(created.json.info.metadata).toEqual({ integration: 'hubspot', region: 'eu' })
    const patched = await ctx.call('PATCH', `/${id}`, { body: { metadata: { integration: 'salesforce' } } })
    expectJson(patched, 200, await ctx.keyward.get(id))
    expect(patched.json.metadata).toEqual({ integration: 'salesforce' })
    // Not an object, too large (core allows 8 KiB), or not JSON-shaped: 400 with the field, nothing changed.
    for (const [metadata, field] of [
      [[1, 2], 'metadata'],
      ['hubspot', 'metadata'],
      [{ blob: 'x'.repeat(9000) }, 'metadata'],
    ] as const) {
      expectProblem(await ctx.call('PATCH', `/${id}`, { body: { metadata } }), 400, 'invalid_input', /^metadata/, { field })
      expectProblem(await ctx.call('POST', '/', { body: { name: 'Bad metadata', metadata } }), 400, 'invalid_input', /^metadata/, {
        field,
      })
    }
    expect((await ctx.keyward.get(id))?.metadata).toEqual({ integration: 'salesforce' })
  })
}

function ownerTests(ctx: ManagementContext): void {
  it("answers 404 for another owner's key exactly as for an unknown one, and changes nothing", async () => {
    const theirs = await ctx.createKey('Their key', {}, 'team-b')
    const unknownId = theirs.id.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'))
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['PATCH', '', { name: 'Hijacked' }],
      ['POST', '/disable', undefined],
      ['POST', '/revoke', undefined],
      ['POST', '/rotate', { gracePeriodMs: 0 }],
      ['DELETE', '', undefined],
    ] as const) {
      expectProblem(await ctx.call(method, `/${theirs.id}${suffix}`, { body }), 404, 'not_found', `No API key with the id "${theirs.id}".`)
      expectProblem(await ctx.call(method, `/${unknownId}${suffix}`, { body }), 404, 'not_found', `No API key with the id "${unknownId}".`)
    }
    expect(await ctx.keyward.get(theirs.id)).toMatchObject({ name: 'Their key', status: 'active', rotatedToId: null })
    expect((await ctx.keyward.verify(theirs.key)).ok).toBe(true)
    expect((await ctx.call('GET', '/')).json.items.map((i: { id: string }) => i.id)).not.toContain(theirs.id)
  })

  it('refuses an ownerId in the body: the owner comes from authorize alone', async () => {
    expectProblem(
      await ctx.call('POST', '/', { body: { name: 'Sneaky', ownerId: 'team-b' } }),
      400,
      'invalid_input',
      'Unknown field "ownerId": expected name, scopes, roles, expiresAt, notBefore, allowedIps, metadata.',
      {
        field: 'ownerId',
      },
    )
  })

  it('answers 401 when authorize throws, rejects or returns no owner, and gives authorize the framework request', async () => {
    ctx.owner = new Error('no session')
    expectProblem(await ctx.call('GET', '/'), 401, 'unauthorized', DETAILS.unauthorized)
    expectProblem(await ctx.call('POST', '/', { body: { name: 'x' } }), 401, 'unauthorized', DETAILS.unauthorized)
    ctx.owner = ''
    expectProblem(await ctx.call('GET', '/'), 401, 'unauthorized', DETAILS.unauthorized)
    const refusals: ((request: unknown) => any)[] = [
      () => null,
      async () => Promise.reject(new Error('nope')),
      () => ({ ownerId: '' }),
      () => 42,
    ]
    for (const refusal of refusals) {
      const port = await ctx.serve({ authorize: refusal })
      const refused = await ctx.call('GET', '/', { port })
      expectProblem(refused, 401, 'unauthorized', DETAILS.unauthorized)
      expect(refused.text).not.toContain('nope')
    }
    // An actor object names the owner too.
    const port = await ctx.serve({ authorize: () => ({ ownerId: 'team-actor', actorId: 'user-1' }) })
    const created = await ctx.call('POST', '/', { body: { name: 'By an actor' }, port })
    expect(created.json.info.ownerId).toBe('team-actor')
    ctx.authorized.length = 0
    await ctx.call('GET', '/')
    expect(ctx.authorized).toHaveLength(1)
    expect(typeof ctx.authorized[0]).toBe('object')
  })
}
