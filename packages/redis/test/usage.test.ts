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
})
