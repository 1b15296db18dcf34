import { createHash } from 'node:crypto'
import { createKeyward } from '@keyward/core'
import type { ApiKeyRecord, AuditRecord } from '@keyward/core/store'
import { sampleRecord } from '@keyward/core/testing'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { freshStore, layoutOf, REDIS_URL } from './helpers.js'

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0, 7)
const admin = new Redis(REDIS_URL)
afterAll(() => admin.disconnect())

const imported = (overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord =>
  sampleRecord({ importedAt: new Date(T0), algorithm: 'legacy-sha256', pepperId: null, ...overrides })

const auditOf = (record: ApiKeyRecord, n: number): AuditRecord => ({
  id: `audit-${record.id}-${n}`,
  at: new Date(T0 + n),
  action: 'key.imported',
  prefix: record.prefix,
  keyId: record.id,
  ownerId: record.ownerId,
  actor: { id: 'migrator' },
  fields: ['name'],
})

describe('RedisKeyStore imported records', () => {
  it('keeps importedAt, legacyHash and the legacy algorithms, patches them, and reads older records with both null', async () => {
    const store = freshStore()
    const bcrypt = imported({ legacyHash: '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy' })
    const prefixed = imported({ algorithm: 'legacy-prefixed-api-key', ownerId: 'owner-2' })
    await store.insert(bcrypt)
    await store.insert(prefixed)
    expect(await store.findById(bcrypt.id)).toEqual(bcrypt)
    expect(await store.findById(prefixed.id)).toEqual(prefixed)
    expect((await store.list({ ownerId: 'owner-2', includeRevoked: false, limit: 10 })).items).toEqual([prefixed])
    // The upgrade on first use: a native digest replaces the legacy one and its hash.
    const upgraded = await store.update(bcrypt.id, { digest: 'cd'.repeat(32), algorithm: 'hmac-sha256', pepperId: 'p1', legacyHash: null })
    expect(upgraded).toEqual({
      ...bcrypt,
      digest: 'cd'.repeat(32),
      algorithm: 'hmac-sha256',
      pepperId: 'p1',
      legacyHash: null,
      revision: 1,
    })
    expect(await admin.hexists(layoutOf(store.namespace).record(bcrypt.id), 'legacyHash')).toBe(0)
    // A record of an older release has neither field.
    await admin.hdel(layoutOf(store.namespace).record(prefixed.id), 'importedAt', 'legacyHash')
    expect(await store.findById(prefixed.id)).toEqual({ ...prefixed, importedAt: null })
    await store.close()
  })

  it('imports a SHA-256 digest through keyward.import, verifies it and re-digests it under the pepper', async () => {
    const store = freshStore()
    const options = { prefix: 'acme_live', store, pepper: 'redis-import-pepper-0123456789-0123456789', legacy: { prefixes: ['ba_'] } }
    const keyward = createKeyward({ ...options, throttle: false, lastUsed: false })
    const key = `ba_${'Qz81m'.repeat(8)}`
    const value = createHash('sha256').update(key).digest('base64url')
    const { info } = await keyward.import({ name: 'CRM', digest: { algorithm: 'sha256-base64url', value } })
    expect((await store.findById(info.id))?.algorithm).toBe('legacy-sha256')
    expect(await keyward.verify(key)).toMatchObject({ ok: true, key: { id: info.id } })
    await expect.poll(async () => (await store.findById(info.id))?.algorithm).toBe('hmac-sha256')
    expect(await createKeyward(options).migrationStatus()).toMatchObject({ imported: 1, upgraded: 1, legacy: 0 })
    // importMany goes through insertMany: the key imported before is a duplicate, the new one is audited.
    const other = `ba_${'Wp40c'.repeat(8)}`
    const batch = [key, other].map((k, n) => ({
      name: `batch ${n}`,
      digest: { algorithm: 'sha256-hex' as const, value: createHash('sha256').update(k).digest('hex') },
    }))
    const many = await keyward.importMany(batch)
    expect(many).toMatchObject({ imported: [{ name: 'batch 1' }], duplicates: [info.id], failed: [] })
    expect(await keyward.verify(other)).toMatchObject({ ok: true, key: { id: many.imported[0]!.id } })
    expect((await keyward.auditLog({ keyId: many.imported[0]!.id })).items).toMatchObject([{ action: 'key.imported' }])
    await keyward.close()
    await store.close()
  })
})

describe('RedisKeyStore.insertMany', () => {
  it('inserts the new records with their indexes, audit entries and change messages, and reports the ids that existed', async () => {
    const store = freshStore()
    const existing = imported({ name: 'before' })
    await store.insert(existing)
    const live = imported({ ownerId: 'owner-9', name: 'Zürich 🔑 "quoted" \\ back', metadata: { emoji: '🔑', escaped: '\\u0041' } })
    const revoked = imported({ ownerId: 'owner-9', revokedAt: new Date(T0), createdAt: new Date(T0 - 5) })
    const changed: string[] = []
    const stop = await store.subscribe((change) => changed.push(change.id))
    const result = await store.insertMany([existing, live, { ...live, name: 'again' }, revoked, { ...existing, name: 'after' }], {
      audit: [auditOf(existing, 1), auditOf(live, 2), auditOf(revoked, 3), auditOf(revoked, 4)],
    })
    expect(result).toEqual({ inserted: [live.id, revoked.id], duplicates: [existing.id, live.id, existing.id] })
    expect(await store.findById(existing.id)).toEqual(existing)
    expect(await store.findById(live.id)).toEqual(live)
    expect((await store.list({ ownerId: 'owner-9', includeRevoked: false, limit: 10 })).items).toEqual([live])
    expect((await store.list({ ownerId: 'owner-9', includeRevoked: true, limit: 10 })).items).toEqual([live, revoked])
    expect((await store.list({ prefix: 'conf_test', includeRevoked: true, limit: 10 })).items).toHaveLength(3)
    const audit = await store.listAudit({ prefix: 'conf_test', limit: 10 })
    expect(audit.items).toEqual([auditOf(revoked, 4), auditOf(revoked, 3), auditOf(live, 2)])
    expect((await store.listAudit({ prefix: 'conf_test', ownerId: 'owner-9', actorId: 'migrator', limit: 10 })).items).toHaveLength(3)
    await expect.poll(() => changed.sort()).toEqual([live.id, revoked.id].sort())
    await stop()
    await store.close()
  })

  it('inserts each id exactly once when two instances import overlapping sets at the same time', async () => {
    const [one, two] = [freshStore(), freshStore()]
    const peer = freshStore({ namespace: one.namespace })
    const records = Array.from({ length: 3_000 }, (_, n) => imported({ createdAt: new Date(T0 + n) }))
    const [first, second] = await Promise.all([peer.insertMany(records.slice(0, 2_000)), one.insertMany(records.slice(1_000))])
    expect([...first.inserted, ...second.inserted].sort()).toEqual(records.map((r) => r.id).sort())
    expect(first.duplicates.length + second.duplicates.length).toBe(1_000)
    expect(await two.findById(records[0]!.id)).toBeNull()
    for (const s of [one, two, peer]) await s.close()
  })

  // 20,000 here (a test shares the machine with the suite); the 100,000-key figure is `pnpm bench:import`.
  it('inserts 20,000 records in chunks of 1,000, indexes and all, within 30 seconds', { timeout: 120_000 }, async () => {
    const store = freshStore()
    const records = Array.from({ length: 20_000 }, (_, n) =>
      imported({ createdAt: new Date(T0 + n), ownerId: `owner-${n % 100}`, legacyHash: `$2b$10$${n}` }),
    )
    const audit = records.map((record) => auditOf(record, 0))
    const started = performance.now()
    let inserted = 0
    for (let at = 0; at < records.length; at += 1_000) {
      const chunk = records.slice(at, at + 1_000)
      inserted += (await store.insertMany(chunk, { audit: audit.slice(at, at + 1_000) })).inserted.length
    }
    const seconds = (performance.now() - started) / 1_000
    expect(inserted).toBe(20_000)
    expect(seconds).toBeLessThan(30)
    expect(await store.findById(records[14_321]!.id)).toEqual(records[14_321])
    expect((await store.list({ ownerId: 'owner-7', includeRevoked: false, limit: 2_000 })).items).toHaveLength(200)
    await store.close()
  })
})
