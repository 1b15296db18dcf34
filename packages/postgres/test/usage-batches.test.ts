import type { UsageIncrement } from '@keyward/core/store'
import type { PostgresKeyStore } from '@keyward/postgres'
import { describe, expect, it } from 'vitest'
import { admin, freshSchema, freshStore, schemaAtVersion } from './helpers.js'

const T0 = Date.UTC(2026, 2, 4, 5, 6)
const DAY = 86_400_000

const usage = (keyId: string, count: number, minute = T0): UsageIncrement => ({
  keyId,
  ownerId: null,
  prefix: 'pg_test',
  minute,
  outcome: 'ok',
  count,
})

/** Day totals by key id. */
async function dayCounts(store: PostgresKeyStore): Promise<Record<string, number>> {
  const rows = await store.readUsage({ prefix: 'pg_test', granularity: 'day', from: T0 - DAY, to: T0 + DAY })
  return Object.fromEntries(rows.map((row) => [row.keyId, row.count]))
}

const batchIds = async (namespace: string): Promise<{ id: string; minute: string }[]> =>
  (await admin.query(`SELECT id, minute::text AS minute FROM "${namespace}".keyward_keys_usage_batches ORDER BY id`)).rows

describe('PostgresKeyStore usage batches (addUsage with a batch id)', () => {
  it('records the id with the batch’s earliest minute and forgets it with that minute’s buckets (pruneUsage)', async () => {
    const namespace = freshSchema()
    const store = freshStore({ namespace })
    try {
      const batch = [usage('K1', 1, T0 + 120_000), usage('K1', 2, T0 + 60_000)]
      await store.addUsage(batch, 'b1')
      await store.addUsage(batch, 'b1')
      expect(await batchIds(namespace)).toEqual([{ id: 'b1', minute: String(T0 + 60_000) }])
      await store.pruneUsage({ minute: T0 + 60_000, hour: 0, day: 0 })
      await store.addUsage(batch, 'b1')
      expect(await dayCounts(store)).toEqual({ K1: 3 })
      await store.pruneUsage({ minute: T0 + 60_001, hour: 0, day: 0 })
      expect(await batchIds(namespace)).toEqual([])
      // Forgotten: the same id applies again (the core never retries a batch that long).
      await store.addUsage(batch, 'b1')
      expect(await dayCounts(store)).toEqual({ K1: 6 })
    } finally {
      await store.close()
    }
  })

  it('a batch that fails adds none of its rows and records no id, so its retry still counts', async () => {
    const namespace = freshSchema()
    const store = freshStore({ namespace })
    try {
      const big = 2 ** 62
      await store.addUsage([usage('K1', big)])
      // K1's buckets overflow bigint: the whole statement fails, K2's rows included.
      await expect(store.addUsage([usage('K1', big), usage('K2', 1)], 'b1')).rejects.toThrow()
      expect(await batchIds(namespace)).toEqual([])
      expect(await dayCounts(store)).toEqual({ K1: big })
      await store.addUsage([usage('K2', 1)], 'b1')
      await store.addUsage([usage('K2', 1)], 'b1')
      expect(await dayCounts(store)).toEqual({ K1: big, K2: 1 })
    } finally {
      await store.close()
    }
  })

  it('upgrades a version-4 schema to 5 in place: usage kept, then batches apply once', async () => {
    const namespace = await schemaAtVersion(4)
    await admin.query(
      `INSERT INTO "${namespace}".keyward_keys_usage (prefix, granularity, start, key_id, owner_id, outcome, count)
       VALUES ('pg_test', 'day', $1, 'K1', '', 'ok', 7)`,
      [new Date(Date.UTC(2026, 2, 4))],
    )
    const store = freshStore({ namespace })
    try {
      await store.addUsage([usage('K1', 1)], 'b1')
      await store.addUsage([usage('K1', 1)], 'b1')
      expect(await store.schemaVersion()).toBeGreaterThanOrEqual(5)
      expect(await dayCounts(store)).toEqual({ K1: 8 })
    } finally {
      await store.close()
    }
  })
})
