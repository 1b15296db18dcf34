import { sampleRecord } from '@keyward/core/testing'
import { KeyStoreSchemaError, REDIS_SCHEMA_VERSION } from '@keyward/redis'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { freshPrefix, freshStore, REDIS_URL } from './helpers.js'

describe('RedisKeyStore schema marker', () => {
  it('writes its version on first use and refuses data written by a newer version', async () => {
    const prefix = freshPrefix()
    const store = freshStore({ namespace: prefix })
    expect(await store.findById('AAAAAAAAAAAA')).toBeNull()
    const admin = new Redis(REDIS_URL)
    expect(await admin.get(`${prefix}schema`)).toBe('2')
    await admin.set(`${prefix}schema`, '3')
    admin.disconnect()
    const newer = freshStore({ namespace: prefix })
    await expect(newer.findById('AAAAAAAAAAAA')).rejects.toMatchObject({ code: 'schema_too_new' })
    await Promise.all([store.close(), newer.close()])
  })

  it('upgrades data of version 1 in place: its records are then listed by deployment prefix', async () => {
    const prefix = freshPrefix()
    const writer = freshStore({ namespace: prefix })
    const base = Date.UTC(2026, 6, 1)
    const records = Array.from({ length: 1_203 }, (_, i) =>
      sampleRecord({
        prefix: i % 2 ? 'acme_live' : 'acme_test',
        ownerId: i % 3 ? 'owner-a' : null,
        revokedAt: i % 5 ? null : new Date(base),
        createdAt: new Date(base + i),
      }),
    )
    for (const record of records) await writer.insert(record)
    await writer.close()
    // What version 1 left behind: the records and the global indexes, no per-prefix index.
    const admin = new Redis(REDIS_URL)
    const byPrefix = await admin.keys(`${prefix}idx:p:*`)
    expect(byPrefix.length).toBeGreaterThan(0)
    await admin.del(...byPrefix)
    await admin.set(`${prefix}schema`, '1')
    const store = freshStore({ namespace: prefix })
    const live = await store.list({ prefix: 'acme_live', ownerId: 'owner-a', includeRevoked: false, limit: 1_000 })
    const expected = records
      .filter((r) => r.prefix === 'acme_live' && r.ownerId === 'owner-a' && r.revokedAt === null)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map((r) => r.id)
    expect(live.items.map((r) => r.id)).toEqual(expected)
    expect((await store.list({ prefix: 'acme_test', includeRevoked: true, limit: 1_000 })).items).toHaveLength(602)
    expect(await admin.get(`${prefix}schema`)).toBe('2')
    admin.disconnect()
    await store.close()
  }, 30_000)

  it('rejects commands after close instead of queueing them', async () => {
    const store = freshStore()
    await store.close()
    await expect(store.findById('AAAAAAAAAAAA')).rejects.toThrow()
  })

  it('with migrate: false, refuses data of no or an older version until migrate() brings it up', async () => {
    const prefix = freshPrefix()
    const store = freshStore({ namespace: prefix, migrate: false })
    expect(await store.schemaVersion()).toBe(0)
    await expect(store.findById('AAAAAAAAAAAA')).rejects.toBeInstanceOf(KeyStoreSchemaError)
    await expect(store.insert(sampleRecord())).rejects.toMatchObject({ code: 'schema_missing', databaseVersion: 0 })
    const admin = new Redis(REDIS_URL)
    await admin.set(`${prefix}schema`, '1')
    await expect(store.findById('AAAAAAAAAAAA')).rejects.toMatchObject({ code: 'schema_outdated', databaseVersion: 1 })
    await store.migrate()
    expect(await store.schemaVersion()).toBe(REDIS_SCHEMA_VERSION)
    expect(await admin.get(`${prefix}schema`)).toBe(String(REDIS_SCHEMA_VERSION))
    admin.disconnect()
    expect(await store.findById('AAAAAAAAAAAA')).toBeNull()
    await store.close()
  })
})
