import Database from 'better-sqlite3'
import { sqliteRecordToRow } from '@keyward/core/store'
import { sampleRecord } from '@keyward/core/testing'
import { SQLITE_SCHEMA_VERSION, SqliteKeyStore, sqliteMigrationSql } from '@keyward/sqlite'
import { describe, expect, it } from 'vitest'
import { eventually, sleep } from '../../../test/eventually.js'
import { dbPath, tempDir } from './helpers.js'

const dir = tempDir()
const MINUTE = 60_000
const owner = (id: string, credits: { remaining: number; refill: null } | null = null) => {
  const at = new Date(Date.UTC(2026, 0, 1))
  return { id, rateLimits: [], credits, maxKeys: null, scopes: null, allowedIps: null, createdAt: at, updatedAt: at, revision: 0 }
}

describe('SqliteKeyStore access rules', () => {
  it('upgrades a version-5 file to the latest: its keys read back without rules, its counters keep counting, owners can be stored', async () => {
    const file = dbPath(dir)
    const db = new Database(file)
    db.exec(sqliteMigrationSql().replace(/-- 6:[\s\S]*(?=COMMIT;)/, ''))
    const record = sampleRecord()
    const newer = ['rate_limits', 'not_before', 'roles', 'allowed_ips', 'imported_at', 'legacy_hash']
    const old = Object.fromEntries(Object.entries(sqliteRecordToRow(record)).filter(([column]) => !newer.includes(column)))
    db.prepare(`INSERT INTO keyward_keys (${Object.keys(old)}) VALUES (${Object.keys(old).map((c) => `@${c}`)})`).run(old)
    db.exec(`INSERT INTO keyward_keys_counters (slot, count, reset_at) VALUES ('old@60000:0', 4, 60000)`)
    db.close()
    const store = new SqliteKeyStore({ connection: file })
    expect(store.schemaVersion).toBe(SQLITE_SCHEMA_VERSION)
    expect(await store.findById(record.id)).toStrictEqual({ ...record, rateLimits: null, notBefore: null, roles: [], allowedIps: null })
    expect(await store.incrementCounter('old', 1, MINUTE, 30_000)).toEqual({ count: 5, resetAt: MINUTE })
    expect(await store.putOwner(owner('o1'))).toMatchObject({ id: 'o1', revision: 1 })
    const patched = await store.update(record.id, { roles: ['reader'], notBefore: new Date(5), allowedIps: ['10.0.0.0/8'] })
    expect(patched).toMatchObject({ roles: ['reader'], notBefore: new Date(5), allowedIps: ['10.0.0.0/8'], revision: 1 })
    await store.close()
  })

  it('keeps a window’s counts until one window after it ends, through the sweep, for sliding limits', async () => {
    const store = new SqliteKeyStore(':memory:')
    const start = Date.UTC(2026, 0, 1, 0, 1, 0)
    const sliding = (amount: number) => [
      { type: 'counter' as const, name: 'api', amount, limit: 100, windowMs: MINUTE, algorithm: 'sliding' as const },
    ]
    expect((await store.charge(sliding(80), start - 1)).ok).toBe(true)
    // 1,000 counter writes in the next window run the sweep at least once.
    const quarter = start + MINUTE / 4
    for (let i = 0; i < 1000; i++) await store.incrementCounter(`other${i}`, 1, 1000, quarter)
    await sleep(20)
    expect((await store.charge(sliding(0), quarter)).states[0]).toMatchObject({ count: 60 })
    // A window later, the old counts are gone.
    for (let i = 0; i < 1000; i++) await store.incrementCounter(`other${i}`, 1, 1000, start + MINUTE)
    await sleep(20)
    expect(store.db.prepare(`SELECT count(*) AS n FROM keyward_keys_counters WHERE slot LIKE 'api@%'`).get()).toEqual({ n: 0 })
    await store.close()
  })

  it('tells other connections about owner changes (putOwner, a hand edit), but not about spent owner credits', async () => {
    const file = dbPath(dir)
    const store = new SqliteKeyStore({ connection: file })
    const watcher = new SqliteKeyStore({ connection: file, pollIntervalMs: 20 })
    const seen: string[] = []
    const unsubscribe = await watcher.subscribe((change) => seen.push(change.id))
    await store.putOwner(owner('acme', { remaining: 10, refill: null }))
    await eventually(
      'putOwner notification',
      async () => seen,
      (ids) => ids.includes('owner:acme'),
      1_000,
    )
    seen.length = 0
    const charged = await store.charge([{ type: 'credits', holder: 'owner', id: 'acme', cost: 3 }], Date.now())
    expect(charged.states[0]).toMatchObject({ ok: true, remaining: 7 })
    await sleep(150)
    expect(seen).toEqual([])
    store.db.prepare(`UPDATE keyward_keys_owners SET max_keys = 2 WHERE id = 'acme'`).run()
    await eventually(
      'hand-edit notification',
      async () => seen,
      (ids) => ids.includes('owner:acme'),
      1_000,
    )
    expect(await watcher.getOwner('acme')).toMatchObject({ maxKeys: 2, credits: { remaining: 7 } })
    await unsubscribe()
    await Promise.all([store.close(), watcher.close()])
  })
})
