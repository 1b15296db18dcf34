import { MemoryKeyStore } from '@keyward/core'
import {
  type AuditRecord,
  type Charge,
  counterWindow,
  DuplicateKeyIdError,
  InvalidInputError,
  LimitExceededError,
  type NamedRateLimit,
  spendFromCredits,
} from '@keyward/core/store'
import { sampleOwner, sampleRecord } from '@keyward/core/testing'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { freshStore, layoutOf, REDIS_URL } from './helpers.js'

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0, 1)
const admin = new Redis(REDIS_URL)
afterAll(() => admin.disconnect())

/** A seeded PRNG (mulberry32), so a failing sequence can be replayed. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * n)
  }
}

describe('RedisKeyStore access rules', () => {
  it('reads records written before the rule fields existed with roles [] and the others null, and updates them', async () => {
    const store = freshStore()
    const record = sampleRecord({
      rateLimits: [{ name: 'tokens', limit: 5, windowMs: 1_000 }],
      notBefore: new Date(T0),
      roles: ['reader'],
      allowedIps: ['10.0.0.0/8'],
    })
    await store.insert(record)
    await admin.hdel(layoutOf(store.namespace).record(record.id), 'rateLimits', 'notBefore', 'roles', 'allowedIps')
    const old = { ...record, rateLimits: null, notBefore: null, roles: [], allowedIps: null }
    expect(await store.findById(record.id)).toEqual(old)
    expect((await store.list({ ownerId: record.ownerId!, includeRevoked: false, limit: 10 })).items).toEqual([old])
    const updated = await store.update(record.id, { roles: ['admin'], allowedIps: ['::1'], notBefore: new Date(T0 + 1) })
    expect(updated).toMatchObject({ roles: ['admin'], allowedIps: ['::1'], notBefore: new Date(T0 + 1), revision: 1 })
    expect(await store.update(record.id, { roles: [], allowedIps: null, notBefore: null })).toEqual({ ...old, revision: 2 })
    await store.close()
  })

  it('decides every charge as applyCharges does (MemoryKeyStore): windows, sliding estimates, refills, refusals', async () => {
    const store = freshStore()
    const memory = new MemoryKeyStore()
    const owner = sampleOwner({ credits: { remaining: 12, refill: { amount: 12, intervalMs: 13_000 }, refilledAt: T0 } })
    const key = sampleRecord({ ownerId: owner.id, credits: { remaining: 30, refill: { amount: 40, intervalMs: 9_000 } } })
    for (const s of [store, memory]) {
      await s.putOwner(owner)
      await s.insert(key)
    }
    const limits: NamedRateLimit[] = [
      { name: `${key.id}:a`, limit: 7, windowMs: 7_000, algorithm: 'sliding' },
      { name: `${key.id}:b`, limit: 30, windowMs: 60_000, algorithm: 'sliding' },
      { name: `${key.id}:c`, limit: 5, windowMs: 3_000, algorithm: 'fixed' },
    ]
    const seed = Date.now()
    const random = prng(seed)
    let now = T0 + 1_234
    let admitted = 0
    for (let step = 0; step < 400; step++) {
      now += random(1_500)
      const charges: Charge[] = limits
        .filter(() => random(3) > 0)
        .map(({ name, limit, windowMs, algorithm }) => ({
          type: 'counter',
          name,
          amount: random(4),
          limit,
          windowMs,
          algorithm: algorithm!,
        }))
      if (random(2)) charges.push({ type: 'credits', holder: 'key', id: key.id, cost: random(4) })
      if (random(2)) charges.push({ type: 'credits', holder: 'owner', id: owner.id, cost: random(3) })
      const expected = await memory.charge(charges, now)
      expect(await store.charge(charges, now), `seed ${seed}, step ${step}`).toEqual(expected)
      if (expected.ok) admitted++
    }
    // Both outcomes happened, so the comparison covered refusals as well as admissions.
    expect(admitted).toBeGreaterThan(40)
    expect(admitted).toBeLessThan(360)
    expect((await store.findById(key.id))?.credits).toEqual((await memory.findById(key.id))?.credits)
    expect((await store.getOwner(owner.id))?.credits).toEqual((await memory.getOwner(owner.id))?.credits)
    await store.close()
  })

  it('keeps a counter slot one window past its end for sliding limits, and incrementCounter never shortens that', async () => {
    const store = freshStore()
    const windowMs = 60_000
    const { start, resetAt } = counterWindow(Date.now(), windowMs)
    const now = start + 1
    const name = `ttl${now}`
    await store.charge([{ type: 'counter', name, amount: 1, limit: 10, windowMs, algorithm: 'sliding' }], now)
    const slot = layoutOf(store.namespace).counter(name, windowMs, start)
    const full = resetAt + windowMs - now + 1_000
    expect(await admin.pttl(slot)).toBeGreaterThan(full - 5_000)
    expect(await admin.pttl(slot)).toBeLessThanOrEqual(full)
    expect(await store.incrementCounter(name, 1, windowMs, now)).toEqual({ count: 2, resetAt })
    expect(await admin.pttl(slot)).toBeGreaterThan(full - 5_000)
    await store.close()
  })

  it('refuses a fractional or negative counter amount before touching Redis', async () => {
    const store = freshStore()
    const name = `bad${Date.now()}`
    const charge = (amount: number): Charge[] => [{ type: 'counter', name, amount, limit: 10, windowMs: 1_000, algorithm: 'fixed' }]
    await expect(store.charge(charge(1.5), T0)).rejects.toBeInstanceOf(InvalidInputError)
    await expect(store.charge(charge(-1), T0)).rejects.toMatchObject({ field: 'charges[0].amount' })
    expect((await store.charge(charge(0), T0)).states[0]).toMatchObject({ count: 0 })
    await store.close()
  })

  it('spends fractional credits exactly as spendFromCredits (numbers are not cut to integers)', async () => {
    const store = freshStore()
    const credits = { remaining: 0.3, refill: { amount: 2.5, intervalMs: 1_000 }, refilledAt: T0 }
    const record = sampleRecord({ credits })
    await store.insert(record)
    expect(await store.spendCredits(record.id, 0.1, T0 + 1)).toEqual(spendFromCredits(credits, 0.1, T0 + 1).spend)
    const after = spendFromCredits(credits, 0.1, T0 + 1).credits
    expect((await store.findById(record.id))?.credits).toEqual(after)
    expect(await store.spendCredits(record.id, 0.7, T0 + 2_500)).toEqual(spendFromCredits(after, 0.7, T0 + 2_500).spend)
    await store.close()
  })

  it('publishes owner:<id> to subscribers on other connections, and appends the audit entry with the owner', async () => {
    const store = freshStore()
    const peer = freshStore({ namespace: store.namespace })
    const seen: string[] = []
    const stop = await peer.subscribe((change) => seen.push(change.id))
    try {
      const owner = sampleOwner({ maxKeys: 3 })
      const entry: AuditRecord = {
        id: `audit-${owner.id}`,
        at: new Date(T0),
        action: 'owner.updated',
        prefix: 'rules_test',
        keyId: null,
        ownerId: owner.id,
        actor: { id: 'admin-1' },
        fields: ['maxKeys'],
      }
      await store.putOwner(owner, { audit: entry })
      const deadline = Date.now() + 2_000
      while (!seen.includes(`owner:${owner.id}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      expect(seen).toContain(`owner:${owner.id}`)
      expect((await store.listAudit({ prefix: 'rules_test', ownerId: owner.id, limit: 10 })).items).toEqual([entry])
      // The same audit id again: refused, and the owner is unchanged.
      await expect(store.putOwner({ ...owner, maxKeys: 9 }, { audit: entry })).rejects.toThrow(/audit entry/)
      expect(await peer.getOwner(owner.id)).toEqual({ ...owner, revision: 1 })
    } finally {
      await stop()
      await Promise.all([store.close(), peer.close()])
    }
  })

  it('frees a capped slot when a key is revoked or expires, and tells a duplicate id from a full owner', async () => {
    const store = freshStore()
    const ownerId = `owner-cap-${Date.now()}`
    const now = T0 + 1_000_000
    const cap = { maxKeys: 2, now }
    const [a, b] = [sampleRecord({ ownerId }), sampleRecord({ ownerId })]
    await store.insert(a, { cap })
    await store.insert(b, { cap })
    await expect(store.insert(sampleRecord({ ownerId }), { cap })).rejects.toBeInstanceOf(LimitExceededError)
    await expect(store.insert(sampleRecord({ id: a.id, ownerId }), { cap })).rejects.toBeInstanceOf(DuplicateKeyIdError)
    await store.update(a.id, { revokedAt: new Date(now) })
    await store.insert(sampleRecord({ ownerId }), { cap })
    await expect(store.insert(sampleRecord({ ownerId }), { cap })).rejects.toBeInstanceOf(LimitExceededError)
    await store.update(b.id, { expiresAt: new Date(now) })
    await store.insert(sampleRecord({ ownerId }), { cap })
    // Another owner, and a key without one, are not counted; a cap of 0 refuses at once.
    await store.insert(sampleRecord({ ownerId: `${ownerId}-other` }), { cap })
    await store.insert(sampleRecord({ ownerId: null }), { cap: { maxKeys: 0, now } })
    await expect(store.insert(sampleRecord({ ownerId: `${ownerId}-new` }), { cap: { maxKeys: 0, now } })).rejects.toMatchObject({
      code: 'limit_exceeded',
      maxKeys: 0,
    })
    await store.close()
  })
})
