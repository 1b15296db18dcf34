import { sampleRecord } from '@keyward/core/testing'
import { POSTGRES_SCHEMA_VERSION } from '@keyward/postgres'
import { describe, expect, it } from 'vitest'
import { admin, freshStore, schemaAtVersion } from './helpers.js'

const T1 = new Date(Date.UTC(2026, 3, 1, 12))
const T2 = new Date(T1.getTime() + 60_000)
const T3 = new Date(T2.getTime() + 60_000)

describe('PostgresKeyStore last use', () => {
  // The contract itself (later use wins, cleared when unknown, property only when stored) is in the
  // conformance suite; these are what this store's SQL could get wrong.
  it('keeps the later of two entries for one key in one batch, whatever their order, with its address (or none)', async () => {
    const store = freshStore()
    try {
      const [a, b] = [sampleRecord(), sampleRecord()]
      await Promise.all([store.insert(a), store.insert(b)])
      await store.touch([
        { id: a.id, lastUsedAt: T3, from: '2001:db8::7' },
        { id: b.id, lastUsedAt: T1, from: '192.0.2.1' },
        { id: a.id, lastUsedAt: T2, from: '192.0.2.2' },
        { id: b.id, lastUsedAt: T2 },
      ])
      expect(await store.findById(a.id)).toEqual({ ...a, lastUsedAt: T3, lastUsedFrom: '2001:db8::7' })
      expect(await store.findById(b.id)).toStrictEqual({ ...b, lastUsedAt: T2 })
    } finally {
      await store.close()
    }
  })

  it('takes overlapping batches from many instances at once without a deadlock (rows are locked in id order)', async () => {
    // Instances flush last-used times on their own timers, each batch in its own order, over keys they
    // share: two UPDATEs that lock the same rows in different orders would deadlock, and a flush would fail.
    const store = freshStore({ max: 8 })
    const peer = freshStore({ namespace: store.namespace, max: 8 })
    try {
      const records = Array.from({ length: 400 }, () => sampleRecord())
      for (let i = 0; i < records.length; i += 100) await Promise.all(records.slice(i, i + 100).map((r) => store.insert(r)))
      const at = (round: number) => new Date(T1.getTime() + round * 1_000)
      const batch = (round: number, reversed: boolean) => {
        const ids = records.map((r) => r.id)
        return (reversed ? ids.reverse() : ids).map((id) => ({ id, lastUsedAt: at(round) }))
      }
      await Promise.all(Array.from({ length: 16 }, (_, round) => (round % 2 ? peer : store).touch(batch(round, round % 4 >= 2))))
      for (const record of records) expect((await store.findById(record.id))?.lastUsedAt).toEqual(at(15))
    } finally {
      await Promise.all([store.close(), peer.close()])
    }
  })

  it('stores the address of a record inserted with one (an import), and leaves the property off when it has none', async () => {
    const store = freshStore()
    try {
      const imported = sampleRecord({ ownerId: 'owner-import', lastUsedAt: T1, lastUsedFrom: '198.51.100.4' })
      const plain = sampleRecord({ ownerId: 'owner-import', lastUsedAt: T1 })
      await Promise.all([store.insert(imported), store.insert(plain)])
      expect(await store.findById(imported.id)).toStrictEqual(imported)
      const { items } = await store.list({ ownerId: 'owner-import', includeRevoked: true, limit: 10 })
      expect(items.find((item) => item.id === plain.id)).toStrictEqual(plain)
    } finally {
      await store.close()
    }
  })

  it('upgrades a version-3 schema to 4 in place: records kept without an address, then touched with one', async () => {
    const namespace = await schemaAtVersion(3)
    const record = sampleRecord()
    await admin.query(
      `INSERT INTO "${namespace}".keyward_keys (id, prefix, digest, algorithm, hint, name, scopes, metadata, created_at, updated_at, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)`,
      [record.id, record.prefix, record.digest, record.algorithm, record.hint, record.name, record.scopes, '{}', record.createdAt, T1],
    )
    const store = freshStore({ namespace })
    try {
      const found = await store.findById(record.id)
      expect(await store.schemaVersion()).toBe(POSTGRES_SCHEMA_VERSION)
      expect(POSTGRES_SCHEMA_VERSION).toBeGreaterThanOrEqual(4)
      expect(found).toMatchObject({ id: record.id, lastUsedAt: T1 })
      expect(found).not.toHaveProperty('lastUsedFrom')
      await store.touch([{ id: record.id, lastUsedAt: T2, from: '203.0.113.9' }])
      expect(await store.findById(record.id)).toMatchObject({ lastUsedAt: T2, lastUsedFrom: '203.0.113.9' })
    } finally {
      await store.close()
    }
  })
})
