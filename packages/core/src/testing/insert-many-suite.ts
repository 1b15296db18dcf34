import type { KeyStore } from '@keyward/core'
import type { ApiKeyRecord, AuditRecord } from '@keyward/core/store'
import { expect, it } from 'vitest'

const PREFIX = 'conf_test'
const OWNER = 'owner-insert-many'
const T0 = Date.UTC(2026, 4, 1, 12)

let audits = 0
/** An import's audit entry for key `keyId`. */
const imported = (keyId: string): AuditRecord => ({
  id: `insert-many-audit-${++audits}-${keyId}`,
  at: new Date(T0 + audits),
  action: 'key.imported',
  prefix: PREFIX,
  keyId,
  ownerId: OWNER,
  actor: { id: 'importer' },
  fields: ['name'],
})

/** Every record of the owner, by id. */
async function stored(store: KeyStore): Promise<Map<string, ApiKeyRecord>> {
  const byId = new Map<string, ApiKeyRecord>()
  let cursor: string | undefined
  do {
    const page = await store.list({ ownerId: OWNER, includeRevoked: true, limit: 1000, ...(cursor && { cursor }) })
    for (const r of page.items) byId.set(r.id, r)
    cursor = page.nextCursor
  } while (cursor !== undefined)
  return byId
}

/** The ids of every audit entry of the prefix (empty for stores without an audit log). */
async function auditIds(store: KeyStore): Promise<string[]> {
  if (typeof store.listAudit !== 'function') return []
  const ids: string[] = []
  let cursor: string | undefined
  do {
    const page = await store.listAudit({ prefix: PREFIX, limit: 1000, ...(cursor && { cursor }) })
    ids.push(...page.items.map((e) => e.id))
    cursor = page.nextCursor
  } while (cursor !== undefined)
  return ids.sort()
}

/**
 * Conformance tests of `insertMany` (fast imports), for stores that have it. Registered by
 * `runKeyStoreConformance` inside its describe block.
 */
export function insertManyConformance(
  fresh: () => Promise<KeyStore>,
  sampleRecord: (overrides?: Partial<ApiKeyRecord>) => ApiKeyRecord,
  timeoutMs = 30_000,
): void {
  it(
    'inserts 1,000 records in one insertMany call, reports existing ids as duplicates and changes nothing for them (insertMany)',
    async () => {
      const store = await fresh()
      if (typeof store.insertMany !== 'function') return
      expect(await store.insertMany([])).toEqual({ inserted: [], duplicates: [] })
      const existing = sampleRecord({ ownerId: OWNER, name: 'made here' })
      await store.insert(existing)
      const records = Array.from({ length: 1000 }, (_, i) =>
        sampleRecord({
          ownerId: OWNER,
          name: `imported ${i}`,
          createdAt: new Date(T0 - i * 1000),
          updatedAt: new Date(T0),
          importedAt: new Date(T0),
          algorithm: i % 2 ? 'legacy-sha256' : 'hmac-sha256',
          legacyHash: i % 3 ? null : `$2b$10$${String(i).padStart(53, 'x')}`,
          scopes: [`s:${i}`],
        }),
      )
      const batch = [...records.slice(0, 500), { ...existing, name: 'impostor' }, ...records.slice(500)]
      const audit = [...batch.map((r) => imported(r.id)), imported('ZZZZZZZZZZZZ')]
      const first = await store.insertMany(batch, { audit })
      expect(first).toEqual({ inserted: records.map((r) => r.id), duplicates: [existing.id] })
      const after = await stored(store)
      expect(after.size).toBe(1001)
      for (const r of records) expect(after.get(r.id)).toEqual(r)
      expect(after.get(existing.id)).toEqual(existing)
      const expectedAudit = audit.filter((e) => e.keyId !== existing.id && e.keyId !== 'ZZZZZZZZZZZZ').map((e) => e.id)
      const appended = await auditIds(store)
      if (typeof store.listAudit === 'function') expect(appended).toEqual(expectedAudit.sort())

      // A re-run of the same import: every id exists, nothing changes, no entry is appended.
      const again = await store.insertMany(
        batch.map((r) => ({ ...r, name: 'second run' })),
        { audit: batch.map((r) => imported(r.id)) },
      )
      expect(again).toEqual({ inserted: [], duplicates: batch.map((r) => r.id) })
      expect(await stored(store)).toEqual(after)
      expect(await auditIds(store)).toEqual(appended)
    },
    timeoutMs,
  )

  it('counts an id repeated in one call as a duplicate, and inserts nothing when an audit entry cannot be appended (insertMany)', async () => {
    const store = await fresh()
    if (typeof store.insertMany !== 'function') return
    const twice = sampleRecord({ ownerId: OWNER, name: 'first copy' })
    const other = sampleRecord({ ownerId: OWNER })
    expect(await store.insertMany([twice, { ...twice, name: 'second copy' }, other])).toEqual({
      inserted: [twice.id, other.id],
      duplicates: [twice.id],
    })
    expect(await store.findById(twice.id)).toEqual(twice)
    if (typeof store.listAudit !== 'function' || typeof store.appendAudit !== 'function') return
    // One transaction per call: an audit id already taken fails the call, and no record of it is kept.
    const taken = imported(other.id)
    await store.appendAudit([taken])
    const fresh1 = sampleRecord({ ownerId: OWNER })
    const fresh2 = sampleRecord({ ownerId: OWNER })
    await expect(store.insertMany([fresh1, fresh2], { audit: [imported(fresh1.id), { ...taken, keyId: fresh2.id }] })).rejects.toThrow()
    expect(await store.findById(fresh1.id)).toBeNull()
    expect(await store.findById(fresh2.id)).toBeNull()
    expect(await auditIds(store)).toEqual([taken.id])
  })
}
