import { createKeyward, type Keyward, type KeyStore } from '@keyward/core'
import { type ApiKeyRecord, type Charge, LimitExceededError, type OwnerRecord } from '@keyward/core/store'
import { expect, it } from 'vitest'

function randomSuffix(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('')
}

const T0 = Date.UTC(2026, 0, 1, 0, 0, 30) // 30 s into a minute window
const MINUTE = 60_000

/** A complete owner for tests; override any field. */
export function sampleOwner(overrides: Partial<OwnerRecord> = {}): OwnerRecord {
  const createdAt = new Date(Date.UTC(2026, 0, 1, 9, 0, 0, 7))
  return {
    id: `owner-${randomSuffix()}`,
    rateLimits: [],
    credits: null,
    maxKeys: null,
    scopes: null,
    allowedIps: null,
    createdAt,
    updatedAt: createdAt,
    revision: 0,
    ...overrides,
  }
}

function counter(name: string, limit: number, amount = 1, algorithm: 'fixed' | 'sliding' = 'fixed'): Charge {
  return { type: 'counter', name, amount, limit, windowMs: MINUTE, algorithm }
}
const peek = (name: string, limit = 1_000_000): Charge => counter(name, limit, 0)

/**
 * Conformance tests for access rules: the atomic multi-counter `charge`, owners (`getOwner`,
 * `putOwner`) and the live-key cap on `insert`. Registered by `runKeyStoreConformance`; each test
 * returns early for a store without the capability it needs.
 */
export function rulesConformance(
  fresh: () => Promise<KeyStore>,
  sample: (overrides?: Partial<ApiKeyRecord>) => ApiKeyRecord,
  openPeer?: (store: KeyStore) => KeyStore | Promise<KeyStore>,
  heavyTestTimeoutMs = 30_000,
): void {
  it('charges several counters all or nothing (charge)', async () => {
    const store = await fresh()
    if (typeof store.charge !== 'function') return
    const [a, b] = [`conf:${randomSuffix()}:a`, `conf:${randomSuffix()}:b`]
    expect(await store.charge([counter(a, 3), counter(b, 5, 2)], T0)).toEqual({
      ok: true,
      states: [
        { type: 'counter', ok: true, count: 1, resetAt: T0 + 30_000 },
        { type: 'counter', ok: true, count: 2, resetAt: T0 + 30_000 },
      ],
    })
    await store.charge([counter(a, 3), counter(b, 5, 2)], T0)
    // b would reach 6 > 5: refused, and a does not move either.
    expect(await store.charge([counter(a, 3), counter(b, 5, 2)], T0 + 1)).toEqual({
      ok: false,
      states: [
        { type: 'counter', ok: true, count: 2, resetAt: T0 + 30_000 },
        { type: 'counter', ok: false, count: 4, resetAt: T0 + 30_000 },
      ],
    })
    expect((await store.charge([peek(a), peek(b)], T0 + 2)).states.map((s) => s?.type === 'counter' && s.count)).toEqual([2, 4])
    // A new window starts from zero; a peek at a counter never charged creates nothing.
    expect((await store.charge([counter(a, 3)], T0 + 30_000)).states[0]).toEqual({
      type: 'counter',
      ok: true,
      count: 1,
      resetAt: T0 + 90_000,
    })
    expect((await store.charge([peek(`${a}:never`)], T0)).states[0]).toEqual({ type: 'counter', ok: true, count: 0, resetAt: T0 + 30_000 })
  })

  it('shares counter slots with incrementCounter (fixed windows)', async () => {
    const store = await fresh()
    if (typeof store.charge !== 'function' || typeof store.incrementCounter !== 'function') return
    const name = `conf:${randomSuffix()}`
    await store.incrementCounter(name, 7, MINUTE, T0)
    expect((await store.charge([counter(name, 10, 3)], T0)).states[0]).toMatchObject({ ok: true, count: 10 })
    expect(await store.incrementCounter(name, 0, MINUTE, T0)).toEqual({ count: 10, resetAt: T0 + 30_000 })
  })

  it('weighs the previous window for sliding limits', async () => {
    const store = await fresh()
    if (typeof store.charge !== 'function') return
    const name = `conf:${randomSuffix()}`
    const start = Date.UTC(2026, 0, 1, 0, 1, 0)
    // 80 in the window before; a quarter into this one, 3/4 of them still count: 60, so 40 fit.
    expect((await store.charge([counter(name, 100, 80, 'sliding')], start - 1)).ok).toBe(true)
    const quarter = start + MINUTE / 4
    const results = await Promise.all(Array.from({ length: 50 }, () => store.charge!([counter(name, 100, 1, 'sliding')], quarter)))
    expect(results.filter((r) => r.ok)).toHaveLength(40)
    expect((await store.charge([counter(name, 100, 0, 'sliding')], quarter)).states[0]).toEqual({
      type: 'counter',
      ok: true,
      count: 100,
      resetAt: start + MINUTE,
    })
    // Half way, 40 of the old 80 count: 40 + 40 = 80, so 20 more fit. A fixed limit would admit 60.
    const half = start + MINUTE / 2
    const later = await Promise.all(Array.from({ length: 30 }, () => store.charge!([counter(name, 100, 1, 'sliding')], half)))
    expect(later.filter((r) => r.ok)).toHaveLength(20)
  })

  it('spends key and owner credits together, refilling first, or neither (charge)', async () => {
    const store = await fresh()
    if (typeof store.charge !== 'function' || typeof store.putOwner !== 'function') return
    const owner = await store.putOwner!(
      sampleOwner({ credits: { remaining: 3, refill: { amount: 10, intervalMs: MINUTE }, refilledAt: T0 } }),
    )
    const key = sample({ ownerId: owner.id, credits: { remaining: 100, refill: null } })
    await store.insert(key)
    const charges = (cost: number): Charge[] => [
      { type: 'credits', holder: 'key', id: key.id, cost },
      { type: 'credits', holder: 'owner', id: owner.id, cost },
    ]
    expect(await store.charge(charges(2), T0 + 1)).toEqual({
      ok: true,
      states: [
        { type: 'credits', ok: true, remaining: 98, nextRefillAt: null },
        { type: 'credits', ok: true, remaining: 1, nextRefillAt: T0 + MINUTE },
      ],
    })
    expect(await store.charge(charges(2), T0 + 2)).toEqual({
      ok: false,
      states: [
        { type: 'credits', ok: true, remaining: 98, nextRefillAt: null },
        { type: 'credits', ok: false, remaining: 1, nextRefillAt: T0 + MINUTE },
      ],
    })
    expect((await store.findById(key.id))?.credits?.remaining).toBe(98)
    // After the owner's refill: 10 again.
    expect((await store.charge(charges(4), T0 + MINUTE + 5)).states[1]).toEqual({
      type: 'credits',
      ok: true,
      remaining: 6,
      nextRefillAt: T0 + 2 * MINUTE,
    })
    expect((await store.getOwner!(owner.id))?.credits).toEqual({
      remaining: 6,
      refill: { amount: 10, intervalMs: MINUTE },
      refilledAt: T0 + MINUTE,
    })
    // A holder without credits, or missing, admits and spends nothing.
    const free = sample({ credits: null })
    await store.insert(free)
    expect(
      await store.charge(
        [
          { type: 'credits', holder: 'key', id: free.id, cost: 1 },
          { type: 'credits', holder: 'owner', id: 'no-such-owner', cost: 1 },
          { type: 'credits', holder: 'key', id: 'ZZZZZZZZZZZZ', cost: 1 },
        ],
        T0,
      ),
    ).toEqual({ ok: true, states: [null, null, null] })
  })

  it(
    'admits exactly the limit of the tightest counter among 1,000 concurrent charges on two connections, moving nothing for a refusal',
    async () => {
      const store = await fresh()
      if (typeof store.charge !== 'function') return
      const peer = openPeer ? await openPeer(store) : store
      try {
        const [requests, tokens] = [`conf:${randomSuffix()}:requests`, `conf:${randomSuffix()}:tokens`]
        const charges = [counter(requests, 100), counter(tokens, 10_000, 150)]
        const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => (i % 2 ? peer : store).charge!(charges, T0)))
        expect(results.filter((r) => r.ok)).toHaveLength(66)
        const seen = await store.charge([peek(requests), peek(tokens)], T0)
        expect(seen.states.map((s) => s?.type === 'counter' && s.count)).toEqual([66, 9900])
        // Ten keys of one owner: the owner's 100 is the limit; no key counter moves for a refusal.
        const owner = `conf:${randomSuffix()}:owner`
        const keys = Array.from({ length: 10 }, (_, i) => `conf:${randomSuffix()}:key${i}`)
        const shared = await Promise.all(
          Array.from({ length: 1000 }, (_, i) => (i % 2 ? peer : store).charge!([counter(keys[i % 10]!, 1000), counter(owner, 100)], T0)),
        )
        expect(shared.filter((r) => r.ok)).toHaveLength(100)
        const keyCounts = await store.charge(
          keys.map((k) => peek(k)),
          T0,
        )
        expect(keyCounts.states.reduce((sum, s) => sum + (s?.type === 'counter' ? s.count : 0), 0)).toBe(100)
      } finally {
        if (peer !== store) await peer.close?.()
      }
    },
    heavyTestTimeoutMs,
  )

  it('stores owners: round trip, revision, createdAt kept, change published (getOwner, putOwner)', async () => {
    const store = await fresh()
    if (typeof store.putOwner !== 'function' || typeof store.getOwner !== 'function') return
    const changes: string[] = []
    const stop = await store.subscribe?.((change) => changes.push(change.id))
    try {
      const owner = sampleOwner({
        rateLimits: [
          { name: 'default', limit: 100, windowMs: MINUTE },
          { name: 'tokens', limit: 10_000, windowMs: MINUTE, algorithm: 'sliding' },
        ],
        credits: { remaining: 500, refill: { amount: 500, intervalMs: 86_400_000 }, refilledAt: T0 },
        maxKeys: 20,
        scopes: ['contacts:*', 'messages:send'],
        allowedIps: ['10.0.0.0/8', '2001:db8::/48'],
      })
      expect(await store.getOwner(owner.id)).toBeNull()
      const stored = await store.putOwner(owner)
      expect(stored).toEqual({ ...owner, revision: 1 })
      expect(await store.getOwner(owner.id)).toEqual(stored)
      const replaced = await store.putOwner({ ...sampleOwner({ id: owner.id }), createdAt: new Date(T0 + 99), maxKeys: 2 })
      expect(replaced).toMatchObject({ id: owner.id, maxKeys: 2, rateLimits: [], credits: null, scopes: null, revision: 2 })
      expect(replaced.createdAt).toEqual(owner.createdAt)
      expect(await store.getOwner(owner.id)).toEqual(replaced)
      if (stop) {
        const deadline = Date.now() + 2_000
        while (!changes.includes(`owner:${owner.id}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
        expect(changes).toContain(`owner:${owner.id}`)
      }
    } finally {
      await stop?.()
    }
  })

  it('caps the live keys of an owner in the insert itself (insert with cap)', async () => {
    const store = await fresh()
    if (typeof store.putOwner !== 'function') return
    const ownerId = `owner-${randomSuffix()}`
    const now = Date.UTC(2026, 5, 1)
    const cap = { maxKeys: 3, now }
    await store.insert(sample({ ownerId, revokedAt: new Date(now - 1) }), { cap })
    await store.insert(sample({ ownerId, expiresAt: new Date(now) }), { cap })
    for (let i = 0; i < 3; i++) await store.insert(sample({ ownerId }), { cap })
    const refused = sample({ ownerId })
    const error = await store.insert(refused, { cap }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LimitExceededError)
    expect(error).toMatchObject({ code: 'limit_exceeded', ownerId, maxKeys: 3 })
    expect(await store.findById(refused.id)).toBeNull()
    // Without a cap (a rotation's successor) the insert goes through.
    await store.insert(sample({ ownerId }))
  })

  it(
    'lets exactly maxKeys of 40 concurrent capped inserts through, on two connections',
    async () => {
      const store = await fresh()
      if (typeof store.putOwner !== 'function') return
      const peer = openPeer ? await openPeer(store) : store
      try {
        const ownerId = `owner-${randomSuffix()}`
        const cap = { maxKeys: 5, now: Date.UTC(2026, 5, 1) }
        const results = await Promise.allSettled(
          Array.from({ length: 40 }, (_, i) => (i % 2 ? peer : store).insert(sample({ ownerId }), { cap })),
        )
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5)
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LimitExceededError)
        const page = await store.list({ ownerId, includeRevoked: true, limit: 100 })
        expect(page.items).toHaveLength(5)
      } finally {
        if (peer !== store) await peer.close?.()
      }
    },
    heavyTestTimeoutMs,
  )

  it(
    "lets exactly an owner's shared limit through among 1,000 verifies over 10 keys on two instances, spending no key's budget on a refusal",
    async () => {
      const store = await fresh()
      if (typeof store.charge !== 'function' || typeof store.putOwner !== 'function') return
      await withTwoInstances(store, openPeer, async ([a, b]) => {
        const ownerId = `owner-${randomSuffix()}`
        await a.owners.set(ownerId, { rateLimits: [{ name: 'default', limit: 100, windowMs: 3_600_000 }] })
        const keys = await Promise.all(
          Array.from({ length: 10 }, (_, i) => a.create({ name: `k${i}`, ownerId, rateLimit: { limit: 60, windowMs: 3_600_000 } })),
        )
        const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => (i % 2 ? b : a).verify(keys[i % 10]!.key)))
        expect(results.filter((r) => r.ok)).toHaveLength(100)
        expect(results.filter((r) => !r.ok && r.code === 'rate_limited')).toHaveLength(900)
        // Each key's own window holds exactly its admitted requests: the 900 refusals spent nothing of it.
        const admitted = keys.map((k) => results.filter((r, i) => i % 10 === keys.indexOf(k) && r.ok).length)
        const peeks = await store.charge!(
          keys.map((k) => ({ type: 'counter', name: `rate:${k.info.id}`, amount: 0, limit: 60, windowMs: 3_600_000, algorithm: 'fixed' })),
          T0,
        )
        expect(peeks.states.map((s) => s?.type === 'counter' && s.count)).toEqual(admitted)
        // And the reverse: a key whose own limit refuses spends nothing of its owner's.
        const other = `owner-${randomSuffix()}`
        await a.owners.set(other, { rateLimits: [{ name: 'default', limit: 1000, windowMs: 3_600_000 }] })
        const tight = await a.create({ name: 'tight', ownerId: other, rateLimit: { limit: 5, windowMs: 3_600_000 } })
        const tries = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? b : a).verify(tight.key)))
        expect(tries.filter((r) => r.ok)).toHaveLength(5)
        const owner = await store.charge!(
          [{ type: 'counter', name: `owner:default:${other}`, amount: 0, limit: 1000, windowMs: 3_600_000, algorithm: 'fixed' }],
          T0,
        )
        expect(owner.states[0]).toMatchObject({ count: 5 })
      })
    },
    heavyTestTimeoutMs,
  )

  it(
    'lets exactly 66 of 1,000 verifies costing { tokens: 150 } through requests 100/min and tokens 10,000/min, on two instances',
    async () => {
      const store = await fresh()
      if (typeof store.charge !== 'function') return
      await withTwoInstances(store, openPeer, async ([a, b]) => {
        const hour = 3_600_000
        const { key, info } = await a.create({
          name: 'llm gateway',
          rateLimits: [
            { name: 'requests', limit: 100, windowMs: hour },
            { name: 'tokens', limit: 10_000, windowMs: hour },
          ],
        })
        const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => (i % 2 ? b : a).verify(key, { cost: { tokens: 150 } })))
        expect(results.filter((r) => r.ok)).toHaveLength(66)
        const refused = results.find((r) => !r.ok)
        expect(refused).toMatchObject({ code: 'rate_limited', rateLimit: { policy: 'tokens', limit: 10_000, remaining: 100 } })
        const seen = await store.charge!(
          ['requests', 'tokens'].map((name) => ({
            type: 'counter' as const,
            name: `rate:${info.id}:${name}`,
            amount: 0,
            limit: 1e9,
            windowMs: hour,
            algorithm: 'fixed' as const,
          })),
          T0,
        )
        expect(seen.states.map((s) => s?.type === 'counter' && s.count)).toEqual([66, 9900])
      })
    },
    heavyTestTimeoutMs,
  )
}

/** Two Keyward instances over `store` and, when the suite can open one, a peer connection to the same data. */
async function withTwoInstances(
  store: KeyStore,
  openPeer: ((store: KeyStore) => KeyStore | Promise<KeyStore>) | undefined,
  run: (instances: [Keyward, Keyward]) => Promise<void>,
): Promise<void> {
  const peer = openPeer ? await openPeer(store) : store
  // A fixed clock: every verify lands in one window, whatever the time of the run.
  const options = { prefix: 'conf_test', throttle: false, lastUsed: false, pepper: false, now: () => T0 } as const
  const instances: [Keyward, Keyward] = [createKeyward({ ...options, store }), createKeyward({ ...options, store: peer })]
  try {
    await run(instances)
  } finally {
    for (const keyward of instances) await keyward.close()
    if (peer !== store) await peer.close?.()
  }
}
