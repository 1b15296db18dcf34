import { runUsageExactness } from '@keyward/core/testing'
import type { RedisKeyStore } from '@keyward/redis'
import { afterAll, describe, expect, it } from 'vitest'
import { freshPrefix, freshStore } from './helpers.js'

describe('RedisKeyStore usage', () => {
  // One fresh namespace; each instance (two verifying, then a reader) on a connection of its own.
  const namespace = freshPrefix()
  const opened: RedisKeyStore[] = []
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()))
  })
  runUsageExactness('RedisKeyStore', {
    open: () => {
      const store = freshStore({ namespace })
      opened.push(store)
      return store
    },
  })

  it('does not fail a usage write Redis answered while the event loop was busy past the deadline (the retry would count it twice)', async () => {
    const store = freshStore({ requestTimeoutMs: 100, managementTimeoutMs: 100 })
    try {
      const minute = Date.UTC(2026, 6, 1, 10)
      const increment = { keyId: 'busy-loop', ownerId: null, prefix: 'kw_busy', minute, outcome: 'ok' as const, count: 3 }
      await store.addUsage([{ ...increment, count: 1 }]) // connected, schema checked
      const write = store.addUsage([increment]) // sent now; its reply waits in the socket
      const until = Date.now() + 400
      while (Date.now() < until); // a busy event loop: the deadline passes before the reply is read
      await expect(write).resolves.toBeUndefined()
      const rows = await store.readUsage({ prefix: 'kw_busy', granularity: 'minute', from: minute, to: minute + 60_000 })
      expect(rows).toEqual([{ keyId: 'busy-loop', ownerId: null, start: minute, outcome: 'ok', count: 4 }])
    } finally {
      await store.close()
    }
  })

  it('resumes a batch cut off after some of its 500-increment chunks without counting those twice, and forgets ids on prune', async () => {
    const store = freshStore()
    const peer = freshStore({ namespace: store.namespace })
    try {
      const minute = Date.UTC(2026, 6, 1, 10)
      const prefix = 'kw_chunks'
      const increments = Array.from({ length: 1_234 }, (_, i) => ({
        keyId: `key${i}`,
        ownerId: null,
        prefix,
        minute: minute + (i % 3) * 60_000,
        outcome: 'ok' as const,
        count: 1,
      }))
      const total = async (): Promise<number> => {
        const rows = await store.readUsage({ prefix, granularity: 'day', from: minute - 86_400_000, to: minute + 86_400_000 })
        return rows.reduce((sum, row) => sum + row.count, 0)
      }
      // The first chunk of 'b1' went through (its reply lost), then the whole batch is retried on another connection.
      await store.addUsage(increments.slice(0, 500), 'b1')
      expect(await total()).toBe(500)
      await peer.addUsage(increments, 'b1')
      expect(await total()).toBe(1_234)
      await Promise.all([store.addUsage(increments, 'b1'), peer.addUsage(increments, 'b1')])
      expect(await total()).toBe(1_234)

      // An id is kept while its earliest minute is not before the minute cutoff, then forgotten.
      await store.pruneUsage({ minute, hour: 0, day: 0 })
      await store.addUsage(increments.slice(0, 10), 'b1')
      expect(await total()).toBe(1_234)
      await store.pruneUsage({ minute: minute + 1, hour: 0, day: 0 })
      await store.addUsage(increments.slice(0, 10), 'b1')
      expect(await total()).toBe(1_244)
    } finally {
      await Promise.all([store.close(), peer.close()])
    }
  })
})
