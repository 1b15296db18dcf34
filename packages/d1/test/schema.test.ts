import { sqliteRecordToRow } from '@keyward/core/store'
import { sampleRecord } from '@keyward/core/testing'
import { d1MigrationSql } from '@keyward/d1'
import { describe, expect, it } from 'vitest'
import { LATEST_VERSION } from '../src/schema.js'
import { execSql, remoteStore } from './remote.js'

/** The statements of migration 1 alone, as a table made by the previous release has them. */
function version1(table: string): string[] {
  const statements = d1MigrationSql(table).split(';\n')
  return statements.slice(0, statements.findIndex((sql) => sql.includes('VALUES (1,')) + 1)
}

describe('D1KeyStore schema', () => {
  it('is at version 6: migration 2 adds usage counts, the audit log, the notification ledger and leases, 3 the last-use address, 4 usage batch ids, 5 access rules and owners, 6 import time and legacy hash', async () => {
    expect(LATEST_VERSION).toBe(6)
    const store = await remoteStore('schema_new')
    expect(await store.schemaVersion()).toBe(0)
    await store.insert(sampleRecord(), {
      audit: {
        id: 'a1',
        at: new Date(),
        action: 'key.created',
        prefix: 'conf_test',
        keyId: null,
        ownerId: null,
        actor: null,
        fields: null,
      },
    })
    expect(await store.schemaVersion()).toBe(6)
    expect((await store.listAudit!({ prefix: 'conf_test', limit: 10 })).items.map((e) => e.id)).toEqual(['a1'])
  })

  it('upgrades a version-1 table in place, keeping its data; with migrate: false it refuses it as outdated', async () => {
    const table = 'schema_v1'
    await execSql(version1(table))
    const now = Date.UTC(2026, 0, 1)
    await execSql([`INSERT INTO "${table}_counters" (slot, count, reset_at) VALUES ('c@3600000:${now}', 7, ${now + 3_600_000})`])
    const record = sampleRecord({ lastUsedAt: new Date(now) })
    const newer = ['last_used_from', 'rate_limits', 'not_before', 'roles', 'allowed_ips', 'imported_at', 'legacy_hash']
    const row = Object.entries(sqliteRecordToRow(record)).filter(([column]) => !newer.includes(column))
    const sql = (v: unknown) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`)
    await execSql([`INSERT INTO "${table}" (${row.map(([c]) => c)}) VALUES (${row.map(([, v]) => sql(v))})`])
    const strict = await remoteStore(table, false)
    await expect(strict.findById('AAAAAAAAAAAA')).rejects.toMatchObject({ code: 'schema_outdated' })
    expect(await strict.schemaVersion()).toBe(1)
    const store = await remoteStore(table)
    expect(await store.incrementCounter!('c', 0, 3_600_000, now)).toEqual({ count: 7, resetAt: now + 3_600_000 })
    expect(await store.schemaVersion()).toBe(6)
    expect(await store.acquireLease!('maintenance', 'h1', 1_000, now)).toBe(true)
    expect(await strict.acquireLease!('maintenance', 'h2', 1_000, now)).toBe(false) // the schema is current now
    // The key of version 1 reads back as it was (no address, no roles, no rules), and keeps an address from its next use.
    expect(await store.findById(record.id)).toEqual(record) // toEqual tells a null lastUsedFrom from an absent one
    await store.touch([{ id: record.id, lastUsedAt: new Date(now + 1), from: '192.0.2.44' }])
    expect(await strict.findById(record.id)).toEqual({ ...record, lastUsedAt: new Date(now + 1), lastUsedFrom: '192.0.2.44' })
  })
})
