import { createKeyward } from '@keyward/core'
import { describe, expect, it } from 'vitest'
import { commandStats, resetStats } from '../../../scripts/redis-cluster.mjs'
import { clusterStore, ownCluster } from './cluster-helpers.js'

const KEYS = 10_000
const cluster = ownCluster()

/** `fn` over `items`, `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let at = 0; at < items.length; at += width) out.push(...(await Promise.all(items.slice(at, at + width).map(fn))))
  return out
}

describe('RedisKeyStore on a 3-master Redis Cluster: sharding', () => {
  it(`spreads the store commands of ${KEYS.toLocaleString('en')} rate-limited verifies of as many keys over the masters, each taking 25-42 %`, async () => {
    const handle = await cluster()
    const options = { prefix: 'shard_test', pepper: false, throttle: false, lastUsed: false, usage: false } as const
    const writer = clusterStore(handle)
    const creator = createKeyward({ ...options, store: writer })
    const keys = await inBatches(
      Array.from({ length: KEYS }, (_, i) => i),
      500,
      async (i) => {
        const { key } = await creator.create({ name: `k${i}`, rateLimit: { limit: 100, windowMs: 3_600_000 } })
        return key
      },
    )
    await creator.close()
    await writer.close()
    // A fresh instance (empty cache) on a Cluster client of its own: each verify reads its key and charges its limit.
    const store = clusterStore(handle, { namespace: writer.namespace })
    const keyward = createKeyward({ ...options, store })
    try {
      await store.findById('AAAAAAAAAAAA') // connected and schema checked before the count starts
      resetStats(handle.nodes)
      const verdicts = await inBatches(keys, 500, (key) => keyward.verify(key))
      expect(verdicts.filter((v) => v.ok && v.rateLimit?.remaining === 99)).toHaveLength(KEYS)
      // Counted as Redis counts them: the commands scripts run included (INCRBY, PTTL, … of a charge).
      const stats = handle.nodes.map(({ port }) => commandStats(port))
      const totals = stats.map((s) => s.total)
      const sum = totals.reduce((a, b) => a + b, 0)
      const shares = totals.map((total) => total / sum)
      console.log(
        `commands per master after ${KEYS} verifies: ${handle.nodes
          .map(({ port }, i) => `:${port} ${totals[i]} (${(shares[i]! * 100).toFixed(1)} %; hgetall ${stats[i]!.byCommand.hgetall})`)
          .join(', ')}; total ${sum}`,
      )
      expect(sum).toBeGreaterThanOrEqual(2 * KEYS)
      for (const share of shares) {
        expect(share).toBeGreaterThanOrEqual(0.25)
        expect(share).toBeLessThanOrEqual(0.42)
      }
    } finally {
      await keyward.close()
      await store.close()
    }
  }, 120_000)
})
