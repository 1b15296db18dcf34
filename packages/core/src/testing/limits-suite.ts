import { createKeyward, type KeyStore } from '@keyward/core'
import type { ApiKeyRecord } from '@keyward/core/store'
import { expect, it } from 'vitest'

/** A unique counter name per run (CSPRNG, like everything random in this package). */
function randomSuffix(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * Conformance tests for the counter and credit capabilities (rate limits, credits, throttling).
 * Registered by `runKeyStoreConformance` inside its describe block.
 */
export function limitsConformance(
  fresh: () => Promise<KeyStore>,
  sample: (overrides?: Partial<ApiKeyRecord>) => ApiKeyRecord,
  openPeer?: (store: KeyStore) => KeyStore | Promise<KeyStore>,
  heavyTestTimeoutMs = 30_000,
): void {
  it(
    'counts atomically in fixed windows (incrementCounter)',
    async () => {
      const store = await fresh()
      if (typeof store.incrementCounter !== 'function') return
      const name = `conf:${randomSuffix()}`
      const windowMs = 60_000
      const t0 = Date.UTC(2026, 0, 1, 0, 0, 30) // 30 s into a window
      const results = await Promise.all(Array.from({ length: 200 }, () => store.incrementCounter!(name, 1, windowMs, t0)))
      expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
      for (const r of results) expect(r.resetAt).toBe(Date.UTC(2026, 0, 1, 0, 1, 0))
      expect(await store.incrementCounter(name, 0, windowMs, t0 + 29_999)).toEqual({ count: 200, resetAt: t0 + 30_000 })
      expect(await store.incrementCounter(name, 3, windowMs, t0 + 30_000)).toEqual({ count: 3, resetAt: t0 + 90_000 })
      expect(await store.incrementCounter(`${name}:other`, 0, windowMs, t0)).toEqual({ count: 0, resetAt: t0 + 30_000 })
    },
    heavyTestTimeoutMs,
  )

  it(
    'spends credits atomically, refilling on the interval (spendCredits)',
    async () => {
      const store = await fresh()
      if (typeof store.spendCredits !== 'function') return
      const t0 = Date.UTC(2026, 0, 1)
      const record = sample({ credits: { remaining: 100, refill: { amount: 50, intervalMs: 10_000 }, refilledAt: t0 } })
      await store.insert(record)
      const spends = await Promise.all(Array.from({ length: 150 }, () => store.spendCredits!(record.id, 1, t0 + 1)))
      expect(spends.filter((s) => s?.ok)).toHaveLength(100)
      expect(spends.filter((s) => s && !s.ok)).toHaveLength(50)
      for (const s of spends) expect(s?.nextRefillAt).toBe(t0 + 10_000)
      expect(await store.spendCredits(record.id, 1, t0 + 9_999)).toEqual({ ok: false, remaining: 0, nextRefillAt: t0 + 10_000 })
      expect(await store.spendCredits(record.id, 5, t0 + 25_000)).toEqual({ ok: true, remaining: 45, nextRefillAt: t0 + 30_000 })
      expect(await store.spendCredits(record.id, 46, t0 + 25_001)).toEqual({ ok: false, remaining: 45, nextRefillAt: t0 + 30_000 })
      expect((await store.findById(record.id))?.credits).toEqual({
        remaining: 45,
        refill: { amount: 50, intervalMs: 10_000 },
        refilledAt: t0 + 20_000,
      })
      const once = sample({ credits: { remaining: 2, refill: null } })
      await store.insert(once)
      expect(await store.spendCredits(once.id, 2, t0)).toEqual({ ok: true, remaining: 0, nextRefillAt: null })
      expect(await store.spendCredits(once.id, 1, t0 + 1e9)).toEqual({ ok: false, remaining: 0, nextRefillAt: null })
      const none = sample({ credits: null })
      await store.insert(none)
      expect(await store.spendCredits(none.id, 1, t0)).toBeNull()
      expect(await store.spendCredits('ZZZZZZZZZZZZ', 1, t0)).toBeNull()
    },
    heavyTestTimeoutMs,
  )

  it(
    'lets exactly the limit through among 1,000 concurrent verifies, for a rate limit and for credits, across two instances',
    async () => {
      const store = await fresh()
      if (typeof store.incrementCounter !== 'function' || typeof store.spendCredits !== 'function') return
      // A second instance on its own store object over the same data, when the suite can open one.
      const peer = openPeer ? await openPeer(store) : store
      const options = { prefix: 'conf_test', throttle: false, lastUsed: false } as const
      const instances = [createKeyward({ ...options, store }), createKeyward({ ...options, store: peer })]
      try {
        const limited = await instances[0]!.create({ name: 'limited', rateLimit: { limit: 100, windowMs: 3_600_000 } })
        const credited = await instances[0]!.create({ name: 'credited', credits: { remaining: 100 } })
        for (const [created, code] of [
          [limited, 'rate_limited'],
          [credited, 'usage_exceeded'],
        ] as const) {
          const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => instances[i % 2]!.verify(created.key)))
          expect(results.filter((r) => r.ok)).toHaveLength(100)
          expect(results.filter((r) => !r.ok && r.code === code)).toHaveLength(900)
        }
      } finally {
        for (const keyward of instances) await keyward.close()
        if (peer !== store) await peer.close?.()
      }
    },
    heavyTestTimeoutMs,
  )
}
