import { runKeyStoreConformance, runUsageExactness } from '@keyward/core/testing'
import { MemoryKeyStore } from '@keyward/core'
import { describe, expect, it } from 'vitest'

runKeyStoreConformance('MemoryKeyStore', () => new MemoryKeyStore(), {
  dispose: (store) => store.close?.(),
})

describe('MemoryKeyStore counters', () => {
  const windowMs = 3_600_000
  const t0 = Date.UTC(2026, 0, 1, 0, 10) // 10 minutes into an hour window

  it('increments 200,000 distinct counters (one per IPv6 source) in well under a second, at a flat cost per counter', async () => {
    // Before, above 100,000 live counters every increment scanned them all: the second 100,000 took minutes.
    const store = new MemoryKeyStore()
    const halves: number[] = []
    const budgetMs = 3_000 // an idle machine needs ~0.3 s; the budget leaves room for a loaded CI box
    const started = performance.now()
    for (let half = 0; half < 2; half++) {
      const t = performance.now()
      for (let i = half * 100_000; i < (half + 1) * 100_000 && performance.now() - started < budgetMs; i++)
        await store.incrementCounter(`fail:source:2001:db8::${i.toString(16)}`, 1, windowMs, t0 + i)
      halves.push(performance.now() - t)
    }
    const elapsed = performance.now() - started
    expect(elapsed).toBeLessThan(budgetMs)
    expect(halves[1]).toBeLessThan(halves[0]! * 3 + 100)
    // Each counter kept its own count.
    expect(await store.incrementCounter('fail:source:2001:db8::0', 1, windowMs, t0 + 200_000)).toEqual({
      count: 2,
      resetAt: t0 + 50 * 60_000,
    })
    expect(await store.incrementCounter('fail:source:2001:db8::30d3f', 0, windowMs, t0 + 200_000)).toEqual({
      count: 1,
      resetAt: t0 + 50 * 60_000,
    })
  }, 10_000)

  it('forgets counters once their window has ended: counts start again at zero', async () => {
    const store = new MemoryKeyStore()
    const resetAt = t0 + 50 * 60_000
    for (let i = 0; i < 5; i++) await store.incrementCounter('fail:source:a', 1, windowMs, t0)
    await store.incrementCounter('fail:source:b', 2, 60_000, t0) // another window length, ending sooner
    expect(await store.incrementCounter('fail:source:b', 0, 60_000, t0 + 59_999)).toEqual({ count: 2, resetAt: t0 + 60_000 })
    expect(await store.incrementCounter('fail:source:b', 1, 60_000, t0 + 60_000)).toEqual({ count: 1, resetAt: t0 + 120_000 })
    expect(await store.incrementCounter('fail:source:a', 0, windowMs, resetAt - 1)).toEqual({ count: 5, resetAt })
    expect(await store.incrementCounter('fail:source:a', 1, windowMs, resetAt)).toEqual({ count: 1, resetAt: resetAt + windowMs })
  })
})

describe('MemoryKeyStore usage', () => {
  const shared = new MemoryKeyStore()
  runUsageExactness('MemoryKeyStore', { open: () => shared })
})
