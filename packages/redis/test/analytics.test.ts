import { sampleRecord } from '@keyward/core/testing'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { freshStore, layoutOf, REDIS_URL } from './helpers.js'

const T0 = Date.UTC(2026, 2, 4, 5, 6)
const LATER = Date.UTC(2100, 0, 1)

describe('RedisKeyStore usage, audit and ledger keys', () => {
  it('keeps them under its namespace and leaves no bucket, entry or index behind once everything is pruned', async () => {
    const store = freshStore()
    const ns = store.namespace
    const marker = `probe${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
    const prefix = `kw_${marker}`
    const admin = new Redis(REDIS_URL)
    try {
      const record = sampleRecord({ prefix, ownerId: `owner-${marker}` })
      const audit = (id: string, at: number) => ({
        id,
        at: new Date(at),
        action: 'key.updated' as const,
        prefix,
        keyId: record.id,
        ownerId: record.ownerId,
        actor: { id: `actor-${marker}` },
        fields: ['name'],
      })
      await store.insert(record, { audit: audit(`a1${marker}`, T0) })
      await store.update(record.id, { name: 'renamed' }, { audit: audit(`a2${marker}`, T0 + 1) })
      await store.appendAudit([audit(`a3${marker}`, T0 + 2)])
      await store.addUsage([{ keyId: record.id, ownerId: record.ownerId, prefix, minute: T0, outcome: 'ok', count: 2 }], `b${marker}`)
      const entry = { type: 'key.unused', keyId: record.id, payload: '{}', createdAt: T0 }
      await store.recordNotifications([
        { ...entry, id: `n1:${marker}`, pending: true },
        { ...entry, id: `n2:${marker}`, pending: false },
      ])
      await store.claimNotifications('me', T0, 1_000, 10)
      await store.settleNotification(`n1:${marker}`, { delivered: false, nextAttemptAt: T0 + 10, error: 'HTTP 500' })
      await store.settleNotification(`n1:${marker}`, { delivered: true })
      await store.acquireLease('maint', 'me', 1_000, T0)

      // Everything that names the deployment prefix, key or owner lives under the namespace.
      const named = await admin.keys(`*${marker}*`)
      expect(named.length).toBeGreaterThan(8)
      expect(named.filter((key) => !key.startsWith(ns))).toEqual([])
      const before = await admin.keys(`${ns}*`)
      const at = layoutOf(ns)
      const slot = at.keySlot(record.id)
      expect(before).toEqual(
        expect.arrayContaining([
          at.control('audit'),
          at.control('ntf'),
          at.control('ntf:done'),
          at.control('u:prefixes'),
          `${slot}u:batches`,
        ]),
      )

      await store.pruneUsage({ minute: LATER, hour: LATER, day: LATER })
      await store.pruneAudit(LATER)
      await store.pruneNotifications(LATER)
      // Left: the record with its list indexes, the owner's index state, the lease, the marker, and which keys had usage.
      const owner = at.ownerSlot(record.ownerId!)
      const left = (await admin.keys(`${ns}*`)).filter((key) => !key.includes('idx:')).sort()
      expect(left).toEqual(
        [
          at.record(record.id),
          `${owner}rev`,
          `${owner}cap`,
          at.control('lease:maint'),
          at.control('schema'),
          at.control('u:prefixes'),
          at.control(`u:keys:${prefix}`),
        ].sort(),
      )
      expect(await store.listAudit({ prefix, limit: 10 })).toEqual({ items: [] })
      // A pruned notification id may be recorded again.
      expect(await store.recordNotifications([{ ...entry, id: `n1:${marker}`, pending: true }])).toEqual([`n1:${marker}`])
    } finally {
      admin.disconnect()
      await store.close()
    }
  })

  it('refuses a change whose audit id is taken with an error naming the id, not as an unavailable store', async () => {
    const store = freshStore()
    try {
      const record = sampleRecord()
      const audit = {
        id: 'takenid',
        at: new Date(T0),
        action: 'key.created' as const,
        prefix: record.prefix,
        keyId: record.id,
        ownerId: null,
        actor: null,
        fields: null,
      }
      await store.appendAudit([audit])
      const refused = await store.insert(record, { audit }).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(Error)
      expect(refused).not.toMatchObject({ code: 'store_unavailable' })
      expect(String((refused as Error).message)).toContain('takenid')
      expect(await store.findById(record.id)).toBeNull()
      await expect(
        store.appendAudit([
          { ...audit, id: 'fresh1' },
          { ...audit, id: 'fresh1' },
        ]),
      ).rejects.toThrow('fresh1')
      expect((await store.listAudit({ prefix: record.prefix, limit: 10 })).items.map((e) => e.id)).toEqual(['takenid'])
    } finally {
      await store.close()
    }
  })
})
