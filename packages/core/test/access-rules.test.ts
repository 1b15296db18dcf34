import { createKeyward, InvalidInputError, type KeyStore, type KeywardEvent, MemoryKeyStore } from '@keyward/core'
import { LimitExceededError } from '@keyward/core/store'
import { describe, expect, it } from 'vitest'
import { countingStore } from './helpers.js'

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0)

function setup(options: { store?: KeyStore; roles?: Record<string, string[]>; events?: KeywardEvent[] } = {}) {
  let now = T0
  const store = options.store ?? new MemoryKeyStore()
  const keyward = createKeyward({
    prefix: 'acme_test',
    store,
    pepper: false,
    throttle: false,
    lastUsed: false,
    now: () => now,
    ...(options.roles && { roles: options.roles }),
    ...(options.events && { hooks: { onEvent: (event: KeywardEvent) => options.events!.push(event) } }),
  })
  return { keyward, store, advance: (ms: number) => (now += ms) }
}

describe('IP allow-lists', () => {
  it('admits only listed addresses and ranges, IPv4-mapped forms included, and decides only after the digest matched', async () => {
    const { keyward } = setup()
    const { key, info } = await keyward.create({ name: 'CRM', allowedIps: ['203.0.113.0/24', '2001:db8::/32'] })
    expect(info.allowedIps).toEqual(['203.0.113.0/24', '2001:db8::/32'])
    for (const source of ['203.0.113.9', '::ffff:203.0.113.9', '2001:db8:1::7'])
      expect((await keyward.verify(key, { source })).ok, source).toBe(true)
    for (const source of ['198.51.100.1', '2001:db9::1', 'not an address', undefined])
      expect(await keyward.verify(key, { ...(source !== undefined && { source }) })).toMatchObject({
        ok: false,
        code: 'ip_not_allowed',
        keyId: info.id,
      })
    // A wrong secret from a refused address learns nothing about the rule: plain `invalid`.
    const wrong = `${key.slice(0, -10)}AAAAAAAAAA`
    expect(keyward.looksLikeKey(wrong) ? (await keyward.verify(wrong, { source: '198.51.100.1' })).ok : false).toBe(false)
    const guessed = await keyward.verify(wrong, { source: '198.51.100.1' })
    expect(guessed.ok || guessed.code).not.toBe('ip_not_allowed')
  })

  it('applies a changed list at once, and requires both the key and its owner to allow the address', async () => {
    const { keyward } = setup()
    const { key, info } = await keyward.create({ name: 'CRM', ownerId: 'team-1', allowedIps: ['10.0.0.0/8'] })
    expect((await keyward.verify(key, { source: '10.1.2.3' })).ok).toBe(true)
    await keyward.update(info.id, { allowedIps: ['192.0.2.1'] })
    expect(await keyward.verify(key, { source: '10.1.2.3' })).toMatchObject({ code: 'ip_not_allowed' })
    await keyward.update(info.id, { allowedIps: null })
    expect((await keyward.verify(key, { source: '10.1.2.3' })).ok).toBe(true)
    await keyward.owners.set('team-1', { allowedIps: ['172.16.0.0/12'] })
    expect(await keyward.verify(key, { source: '10.1.2.3' })).toMatchObject({ code: 'ip_not_allowed' })
    expect((await keyward.verify(key, { source: '172.16.9.9' })).ok).toBe(true)
  })

  it('refuses a bad entry without echoing it, and stores nothing', async () => {
    const { keyward, store } = setup()
    for (const allowedIps of [['10.0.0.0/33'], ['acme_test_not_an_ip'], 'x', [1]]) {
      const error = await keyward.create({ name: 'bad', allowedIps: allowedIps as string[] }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(InvalidInputError)
      expect((error as Error).message).not.toContain('acme_test_not_an_ip')
    }
    expect((store as MemoryKeyStore).size).toBe(0)
  })

  it('fails closed on a tampered stored list (someone who can write one row)', async () => {
    const { keyward, store } = setup()
    const { key, info } = await keyward.create({ name: 'CRM', allowedIps: ['10.0.0.0/8'] })
    await store.update(info.id, { allowedIps: ['not-an-address/99'] })
    const other = createKeyward({ prefix: 'acme_test', store, pepper: false, throttle: false, lastUsed: false })
    expect(await other.verify(key, { source: '10.0.0.1' })).toMatchObject({ ok: false, code: 'store_unavailable' })
  })
})

describe('notBefore', () => {
  it('answers not_yet_valid before the time and works from it on', async () => {
    const { keyward, advance } = setup()
    const { key, info } = await keyward.create({ name: 'launch', notBefore: T0 + 60_000 })
    expect(info.status).toBe('not_yet_valid')
    expect(await keyward.verify(key)).toMatchObject({ ok: false, code: 'not_yet_valid', keyId: info.id })
    const guessed = await keyward.verify(`${key.slice(0, -12)}${'B'.repeat(12)}`)
    expect(guessed.ok || guessed.code).not.toBe('not_yet_valid')
    advance(60_000)
    expect((await keyward.verify(key)).ok).toBe(true)
    expect((await keyward.get(info.id))?.status).toBe('active')
  })
})

describe('roles and scope requirements', () => {
  const roles = { reader: ['contacts:read'], sender: ['messages:send'] }

  it('grants what the roles allow, anyOf and allOf included, and follows the configuration with no store write', async () => {
    const { keyward, store } = setup({ roles })
    const { key, info } = await keyward.create({ name: 'CRM', scopes: ['workflows:run'], roles: ['reader'] })
    expect(info.roles).toEqual(['reader'])
    expect(info.effectiveScopes).toEqual(['workflows:run', 'contacts:read'])
    expect((await keyward.verify(key, { scopes: ['contacts:read', 'workflows:run'] })).ok).toBe(true)
    expect((await keyward.verify(key, { scopes: { anyOf: ['messages:send', 'contacts:read'] } })).ok).toBe(true)
    expect(await keyward.verify(key, { scopes: { allOf: ['messages:send', 'contacts:read'] } })).toMatchObject({
      code: 'insufficient_scope',
      missingScopes: ['messages:send'],
    })
    const revision = (await store.findById(info.id))!.revision
    // Another deployment of the same app, where "reader" also sends messages: the key follows at once.
    const wider = createKeyward({
      prefix: 'acme_test',
      store,
      pepper: false,
      throttle: false,
      lastUsed: false,
      roles: { reader: ['contacts:read', 'messages:send'] },
    })
    expect((await wider.verify(key, { scopes: ['messages:send'] })).ok).toBe(true)
    expect((await store.findById(info.id))!.revision).toBe(revision)
  })

  it('refuses a role that is not configured', async () => {
    const { keyward } = setup({ roles })
    await expect(keyward.create({ name: 'CRM', roles: ['admin'] })).rejects.toMatchObject({ code: 'invalid_input', field: 'roles[0]' })
    expect(() => createKeyward({ prefix: 'acme_test', store: new MemoryKeyStore(), pepper: false, roles: { Admin: ['*'] } })).toThrow(
      TypeError,
    )
    expect(() =>
      createKeyward({ prefix: 'acme_test', store: new MemoryKeyStore(), pepper: false, roles: { admin: ['NOT A SCOPE'] } }),
    ).toThrow(TypeError)
  })

  it("never lets a key exceed its owner's scopes", async () => {
    const { keyward } = setup({ roles })
    const { key } = await keyward.create({ name: 'CRM', ownerId: 'team-1', scopes: ['contacts:*', 'messages:send'] })
    await keyward.owners.set('team-1', { scopes: ['contacts:read'] })
    const result = await keyward.verify(key, { scopes: ['contacts:read'] })
    expect(result.ok && result.key.effectiveScopes).toEqual(['contacts:read'])
    for (const scope of ['contacts:write', 'messages:send'])
      expect(await keyward.verify(key, { scopes: [scope] })).toMatchObject({ code: 'insufficient_scope' })
  })
})

describe('owners', () => {
  it('caps live keys per owner: LimitExceededError, nothing stored; revoked keys free a place; rotation is not a new key', async () => {
    const { keyward, store } = setup()
    await keyward.owners.set('team-1', { maxKeys: 2 })
    const first = await keyward.create({ name: 'a', ownerId: 'team-1' })
    await keyward.create({ name: 'b', ownerId: 'team-1' })
    const size = (store as MemoryKeyStore).size
    const error = await keyward.create({ name: 'c', ownerId: 'team-1' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LimitExceededError)
    expect(error).toMatchObject({ code: 'limit_exceeded', ownerId: 'team-1', maxKeys: 2 })
    expect((store as MemoryKeyStore).size).toBe(size)
    await keyward.rotate(first.info.id, { gracePeriodMs: 60_000 })
    await keyward.revoke(first.info.id)
    await expect(keyward.create({ name: 'c', ownerId: 'team-1' })).rejects.toBeInstanceOf(LimitExceededError)
    await keyward.create({ name: 'other owner', ownerId: 'team-2' })
  })

  it("spends the owner's credits with the key's, neither when one refuses", async () => {
    const { keyward, store } = setup()
    await keyward.owners.set('team-1', { credits: { remaining: 3 } })
    const a = await keyward.create({ name: 'a', ownerId: 'team-1', credits: { remaining: 100 } })
    const b = await keyward.create({ name: 'b', ownerId: 'team-1' })
    const results = await Promise.all([a, b, a, b, a, b].map((k) => keyward.verify(k.key)))
    expect(results.filter((r) => r.ok)).toHaveLength(3)
    expect(results.filter((r) => !r.ok && r.code === 'usage_exceeded')).toHaveLength(3)
    const spentOnA = [0, 2, 4].filter((i) => results[i]!.ok).length
    expect((await store.findById(a.info.id))!.credits!.remaining).toBe(100 - spentOnA)
    expect((await keyward.owners.get('team-1'))?.credits?.remaining).toBe(0)
  })

  it('records owner changes in the audit log and as events, and validates settings before writing', async () => {
    const events: KeywardEvent[] = []
    const { keyward } = setup({ events })
    const settings = await keyward.owners.set('team-1', { maxKeys: 5, allowedIps: ['10.0.0.0/8'] }, { actor: { id: 'admin-7' } })
    expect(settings).toMatchObject({ id: 'team-1', maxKeys: 5, allowedIps: ['10.0.0.0/8'], scopes: null, rateLimits: [], credits: null })
    expect(events).toContainEqual(expect.objectContaining({ type: 'owner.updated', ownerId: 'team-1', actor: { id: 'admin-7' } }))
    const { items } = await keyward.auditLog({ ownerId: 'team-1' })
    expect(items[0]).toMatchObject({
      action: 'owner.updated',
      ownerId: 'team-1',
      actor: { id: 'admin-7' },
      fields: ['maxKeys', 'allowedIps'],
    })
    for (const bad of [{ maxKeys: -1 }, { maxKeys: 1.5 }, { rateLimits: [{ name: 'Bad Name', limit: 1, windowMs: 1 }] }, { colour: 'red' }])
      await expect(keyward.owners.set('team-1', bad as never)).rejects.toBeInstanceOf(InvalidInputError)
    expect(await keyward.owners.get('team-1')).toEqual(settings)
    expect(await keyward.owners.get('team-2')).toBeNull()
  })

  it("reaches another instance at once through the store's change channel", async () => {
    const { keyward, store } = setup()
    const other = createKeyward({ prefix: 'acme_test', store, pepper: false, throttle: false, lastUsed: false })
    const { key } = await keyward.create({ name: 'a', ownerId: 'team-1' })
    expect((await other.verify(key, { source: '10.0.0.1' })).ok).toBe(true)
    await keyward.owners.set('team-1', { allowedIps: ['192.0.2.0/24'] })
    expect(await other.verify(key, { source: '10.0.0.1' })).toMatchObject({ code: 'ip_not_allowed' })
    await other.close()
  })
})

describe('named limits and costs', () => {
  it('spends units per limit name, reports every policy, and weighs the previous window for sliding limits', async () => {
    const { keyward, advance } = setup()
    const { key } = await keyward.create({
      name: 'llm',
      rateLimits: [
        { name: 'requests', limit: 10, windowMs: 60_000 },
        { name: 'tokens', limit: 1_000, windowMs: 60_000, algorithm: 'sliding' },
      ],
    })
    const first = await keyward.verify(key, { cost: { tokens: 400 } })
    expect(first.ok && first.rateLimits?.map((s) => [s.policy, s.remaining])).toEqual([
      ['requests', 9],
      ['tokens', 600],
    ])
    await keyward.verify(key, { cost: { tokens: 400 } })
    expect(await keyward.verify(key, { cost: { tokens: 400 } })).toMatchObject({ code: 'rate_limited', rateLimit: { policy: 'tokens' } })
    // Next window, a quarter in: 3/4 of the 800 still count (600), so 400 fit but 401 do not.
    advance(60_000 + 15_000 - (T0 % 60_000))
    expect(await keyward.verify(key, { cost: { tokens: 401 } })).toMatchObject({ code: 'rate_limited' })
    expect((await keyward.verify(key, { cost: { tokens: 400 } })).ok).toBe(true)
  })

  it('refuses a cost in the wrong shape with a TypeError', async () => {
    const { keyward } = setup()
    const { key } = await keyward.create({ name: 'llm' })
    for (const cost of [1.5, -1, { 'Bad Name': 1 }, { tokens: -1 }, { tokens: 0.5 }, null])
      await expect(keyward.verify(key, { cost: cost as never })).rejects.toBeInstanceOf(TypeError)
  })

  it('keeps a single limit and key credits on a store without charge(), and refuses what it cannot keep', async () => {
    const memory = new MemoryKeyStore()
    const {
      charge: _charge,
      getOwner: _get,
      putOwner: _put,
      ...rest
    } = Object.fromEntries(
      ['insert', 'findById', 'update', 'delete', 'list', 'touch', 'incrementCounter', 'spendCredits', 'charge', 'getOwner', 'putOwner'].map(
        (m) => [m, (memory as unknown as Record<string, (...args: unknown[]) => unknown>)[m]!.bind(memory)],
      ),
    )
    const { keyward } = setup({ store: rest as unknown as KeyStore })
    const { key } = await keyward.create({ name: 'old store', rateLimit: { limit: 2, windowMs: 60_000 }, credits: { remaining: 5 } })
    const results = await Promise.all([1, 2, 3].map(() => keyward.verify(key)))
    expect(results.map((r) => r.ok)).toEqual([true, true, false])
    await expect(keyward.create({ name: 'named', rateLimits: [{ name: 'tokens', limit: 1, windowMs: 1000 }] })).rejects.toBeInstanceOf(
      InvalidInputError,
    )
    await expect(keyward.owners.set('team-1', { maxKeys: 1 })).rejects.toBeInstanceOf(InvalidInputError)
  })
})

describe('store round trips on the verify path', () => {
  it('adds one atomic charge per verify only when an owner has limits or credits, and none for rules checked in memory', async () => {
    const { store, calls } = countingStore()
    const { keyward } = setup({ store, roles: { reader: ['contacts:read'] } })
    await keyward.owners.set('quiet', { scopes: ['contacts:*'], allowedIps: ['10.0.0.0/8'], maxKeys: 10 })
    await keyward.owners.set('limited', { rateLimits: [{ name: 'default', limit: 1000, windowMs: 60_000 }], credits: { remaining: 1000 } })
    const quiet = await keyward.create({ name: 'q', ownerId: 'quiet', roles: ['reader'], allowedIps: ['10.1.0.0/16'], notBefore: T0 - 1 })
    const limited = await keyward.create({ name: 'l', ownerId: 'limited', credits: { remaining: 1000 } })
    for (const k of [quiet, limited]) await keyward.verify(k.key, { source: '10.1.2.3' }) // warm the caches
    for (const name of Object.keys(calls)) delete calls[name]
    for (let i = 0; i < 10; i++) expect((await keyward.verify(quiet.key, { source: '10.1.2.3', scopes: ['contacts:read'] })).ok).toBe(true)
    expect(calls).toEqual({})
    for (let i = 0; i < 10; i++) expect((await keyward.verify(limited.key, { source: '10.1.2.3' })).ok).toBe(true)
    // Key credits, the owner's limit and the owner's credits: one charge() each time, nothing else.
    expect(calls).toEqual({ charge: 10 })
  })
})

describe('rotation and named limits', () => {
  it('does not multiply a named limit by rotating: the successor carries the window, the old key spends from it', async () => {
    const { keyward } = setup()
    const hour = 3_600_000
    const old = await keyward.create({ name: 'llm', rateLimits: [{ name: 'tokens', limit: 1_000, windowMs: hour }] })
    expect((await keyward.verify(old.key, { cost: { tokens: 800 } })).ok).toBe(true)
    const next = await keyward.rotate(old.info.id, { gracePeriodMs: 60_000 })
    expect(next.info.rateLimits).toEqual([{ name: 'tokens', limit: 1_000, windowMs: hour }])
    expect(await keyward.verify(next.key, { cost: { tokens: 300 } })).toMatchObject({ code: 'rate_limited' })
    expect((await keyward.verify(old.key, { cost: { tokens: 150 } })).ok).toBe(true)
    expect(await keyward.verify(next.key, { cost: { tokens: 100 } })).toMatchObject({ code: 'rate_limited', rateLimit: { remaining: 50 } })
  })
})
