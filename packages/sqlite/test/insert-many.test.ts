import { SqliteKeyStore } from '@keyward/sqlite'
import type { ApiKeyRecord, AuditRecord } from '@keyward/core/store'
import { sampleRecord } from '@keyward/core/testing'
import { describe, expect, it } from 'vitest'
import { dbPath, tempDir } from './helpers.js'

const dir = tempDir()
// 20,000 here (a test shares the machine with the suite); the 100,000-key figure is `pnpm bench:import`.
const TOTAL = 20_000
const CHUNK = 1_000
/** Loose: one transaction per key would still fit; this only catches a store gone badly wrong. */
const BUDGET_MS = 30_000
const T0 = Date.UTC(2026, 5, 1)

/** Record `i` of an import, as `keyward.import` makes it, with its audit entry. */
function imported(i: number): { record: ApiKeyRecord; audit: AuditRecord } {
  const record = sampleRecord({
    id: `imp${String(i).padStart(9, '0')}`,
    ownerId: `owner-${i % 500}`,
    name: `imported ${i}`,
    createdAt: new Date(T0 - i),
    updatedAt: new Date(T0),
    importedAt: new Date(T0),
    algorithm: 'legacy-sha256',
    pepperId: null,
  })
  const audit: AuditRecord = {
    id: `audit-${record.id}`,
    at: new Date(T0),
    action: 'key.imported',
    prefix: record.prefix,
    keyId: record.id,
    ownerId: record.ownerId,
    actor: { id: 'importer' },
    fields: ['name', 'ownerId'],
  }
  return { record, audit }
}

describe('SqliteKeyStore.insertMany', () => {
  it(`imports ${TOTAL.toLocaleString('en')} keys into a file in chunks of ${CHUNK.toLocaleString('en')} within ${BUDGET_MS / 1000} s, then skips them all on a re-run`, async () => {
    const store = new SqliteKeyStore(dbPath(dir))
    try {
      const chunks = Array.from({ length: TOTAL / CHUNK }, (_, c) => Array.from({ length: CHUNK }, (_, i) => imported(c * CHUNK + i)))
      const started = performance.now()
      let inserted = 0
      for (const chunk of chunks) {
        const result = await store.insertMany(
          chunk.map((x) => x.record),
          { audit: chunk.map((x) => x.audit) },
        )
        inserted += result.inserted.length
        expect(result.duplicates).toEqual([])
      }
      const elapsed = performance.now() - started
      console.log(`insertMany: ${TOTAL} keys in chunks of ${CHUNK} took ${Math.round(elapsed)} ms`)
      expect(inserted).toBe(TOTAL)
      expect(elapsed).toBeLessThan(BUDGET_MS)
      const count = (table: string) => (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
      expect([count('keyward_keys'), count('keyward_keys_audit')]).toEqual([TOTAL, TOTAL])
      const last = chunks.at(-1)!.at(-1)!
      expect(await store.findById(last.record.id)).toEqual(last.record)

      const rerun = performance.now()
      const again = await store.insertMany(chunks[7]!.map((x) => ({ ...x.record, name: 'again' })))
      console.log(`insertMany: a re-run of ${CHUNK} existing keys took ${Math.round(performance.now() - rerun)} ms`)
      expect(again).toEqual({ inserted: [], duplicates: chunks[7]!.map((x) => x.record.id) })
      expect(count('keyward_keys')).toBe(TOTAL)
    } finally {
      await store.close()
    }
  }, 120_000)
})
