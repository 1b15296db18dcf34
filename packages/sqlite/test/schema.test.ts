import Database from 'better-sqlite3'
import { KeyStoreSchemaError, SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION, SqliteKeyStore, sqliteMigrationSql } from '@keyward/sqlite'
import { sqliteRecordToRow } from '@keyward/core/store'
import { sampleRecord } from '@keyward/core/testing'
import { describe, expect, it } from 'vitest'
import { eventually } from '../../../test/eventually.js'
import { dbPath, tempDir } from './helpers.js'

const dir = tempDir()
const DAY0 = Date.UTC(2026, 2, 4)

describe('SqliteKeyStore schema', () => {
  it('migrates a new file in WAL mode, and opening it again is a no-op', async () => {
    const file = dbPath(dir)
    const first = new SqliteKeyStore(file)
    expect(first.schemaVersion).toBe(SQLITE_SCHEMA_VERSION)
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal')
    const record = sampleRecord()
    await first.insert(record)
    await first.close()
    const second = new SqliteKeyStore({ connection: file, migrate: false })
    expect(await second.findById(record.id)).toEqual(record)
    await second.close()
  })

  it('refuses a missing schema with migrate: false, and accepts one applied by hand from sqliteMigrationSql()', () => {
    const file = dbPath(dir)
    const error = (() => {
      try {
        new SqliteKeyStore({ connection: file, migrate: false })
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(KeyStoreSchemaError)
    expect(error).toMatchObject({ code: 'schema_missing', databaseVersion: 0 })
    const db = new Database(file)
    db.exec(sqliteMigrationSql())
    const store = new SqliteKeyStore({ connection: db, migrate: false })
    expect(store.schemaVersion).toBe(SQLITE_SCHEMA_VERSION)
    void store.close()
    db.close()
  })

  it('refuses a schema newer than it knows, with a clear message', () => {
    const file = dbPath(dir)
    new SqliteKeyStore(file).close()
    const db = new Database(file)
    db.prepare('INSERT INTO keyward_keys_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      SQLITE_SCHEMA_VERSION + 1,
      'future',
      Date.now(),
    )
    db.close()
    expect(() => new SqliteKeyStore(file)).toThrow(/newer than this package supports/)
    expect(() => new SqliteKeyStore(file)).toThrow(expect.objectContaining({ code: 'schema_too_new' }))
  })

  it('upgrades a version-1 file in place: records kept, and then a hand-made change notifies', async () => {
    const file = dbPath(dir)
    const v1 = SQLITE_MIGRATIONS[0]!
    const db = new Database(file)
    db.exec('CREATE TABLE keyward_keys_migrations (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL);')
    db.exec(v1.sql('keyward_keys'))
    db.prepare('INSERT INTO keyward_keys_migrations (version, name, applied_at) VALUES (1, ?, ?)').run(v1.name, Date.now())
    db.close()
    expect(() => new SqliteKeyStore({ connection: file, migrate: false })).toThrow(expect.objectContaining({ code: 'schema_outdated' }))
    const record = sampleRecord()
    const raw = new Database(file)
    raw
      .prepare(
        `INSERT INTO keyward_keys (id, prefix, digest, algorithm, hint, name, scopes, metadata, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.id,
        record.prefix,
        record.digest,
        record.algorithm,
        record.hint,
        record.name,
        JSON.stringify(record.scopes),
        JSON.stringify(record.metadata),
        record.createdAt.getTime(),
        record.createdAt.getTime(),
      )
    const store = new SqliteKeyStore({ connection: file, pollIntervalMs: 20 })
    expect(store.schemaVersion).toBe(SQLITE_SCHEMA_VERSION)
    expect(await store.findById(record.id)).toMatchObject({ id: record.id, name: record.name })
    const seen: string[] = []
    const unsubscribe = await store.subscribe((change) => seen.push(change.id))
    raw.prepare('UPDATE keyward_keys SET revoked_at = ? WHERE id = ?').run(Date.now(), record.id)
    await eventually(
      'notification',
      async () => seen,
      (ids) => ids.includes(record.id),
      1_000,
    )
    await unsubscribe()
    raw.close()
    await store.close()
  })

  it('upgrades a version-2 file to the latest (usage, audit, notifications, leases; last-use address); an audited change still notifies', async () => {
    expect(SQLITE_MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(SQLITE_SCHEMA_VERSION).toBe(7)
    const file = dbPath(dir)
    const db = new Database(file)
    db.exec('CREATE TABLE keyward_keys_migrations (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL);')
    for (const m of SQLITE_MIGRATIONS.slice(0, 2)) {
      db.exec(m.sql('keyward_keys'))
      db.prepare('INSERT INTO keyward_keys_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now())
    }
    db.close()
    expect(() => new SqliteKeyStore({ connection: file, migrate: false })).toThrow(
      expect.objectContaining({ code: 'schema_outdated', databaseVersion: 2 }),
    )
    const record = sampleRecord()
    const store = new SqliteKeyStore({ connection: file, pollIntervalMs: 20 })
    expect(store.schemaVersion).toBe(7)
    const watcher = new SqliteKeyStore({ connection: file, pollIntervalMs: 20 })
    const seen: string[] = []
    const unsubscribe = await watcher.subscribe((change) => seen.push(change.id))
    const at = new Date()
    const entry = {
      at,
      action: 'key.created',
      prefix: record.prefix,
      keyId: record.id,
      ownerId: null,
      actor: { id: 'u1' },
      fields: null,
    } as const
    await store.insert(record, { audit: { id: 'audit1', ...entry } })
    await store.update(record.id, { name: 'renamed' }, { audit: { id: 'audit2', ...entry, action: 'key.updated', fields: ['name'] } })
    await eventually(
      'notifications',
      async () => seen,
      (ids) => ids.filter((id) => id === record.id).length >= 2,
      1_000,
    )
    const page = await watcher.listAudit({ prefix: record.prefix, keyId: record.id, limit: 10 })
    expect(page.items.map((e) => [e.id, e.action, e.actor])).toEqual([
      ['audit2', 'key.updated', { id: 'u1' }],
      ['audit1', 'key.created', { id: 'u1' }],
    ])
    await unsubscribe()
    await Promise.all([store.close(), watcher.close()])
  })

  it('upgrades a version-3 file to the latest in place: its keys keep their data and gain no address until a later use', async () => {
    const file = dbPath(dir)
    const db = new Database(file)
    db.exec(sqliteMigrationSql().replace(/-- 4:[\s\S]*(?=COMMIT;)/, ''))
    const record = sampleRecord({ lastUsedAt: new Date(Date.UTC(2026, 1, 2)) })
    const newer = ['last_used_from', 'rate_limits', 'not_before', 'roles', 'allowed_ips', 'imported_at', 'legacy_hash']
    const old = Object.fromEntries(Object.entries(sqliteRecordToRow(record)).filter(([column]) => !newer.includes(column)))
    db.prepare(`INSERT INTO keyward_keys (${Object.keys(old)}) VALUES (${Object.keys(old).map((c) => `@${c}`)})`).run(old)
    db.close()
    const store = new SqliteKeyStore({ connection: file })
    expect(store.schemaVersion).toBe(7)
    expect(await store.findById(record.id)).toStrictEqual(record)
    await store.touch([{ id: record.id, lastUsedAt: new Date(Date.UTC(2026, 1, 3)), from: '192.0.2.44' }])
    expect(await store.findById(record.id)).toEqual({ ...record, lastUsedAt: new Date(Date.UTC(2026, 1, 3)), lastUsedFrom: '192.0.2.44' })
    await store.close()
  })

  it('upgrades a version-4 file to the latest: its usage counts stay, a retried usage batch counts once, and its id is pruned', async () => {
    const file = dbPath(dir)
    const db = new Database(file)
    db.exec(sqliteMigrationSql().replace(/-- 5:[\s\S]*(?=COMMIT;)/, ''))
    db.exec(`INSERT INTO keyward_keys_usage VALUES ('kw', 'day', ${DAY0}, 'AAAAAAAAAAAA', '', 'ok', 3)`)
    db.close()
    const store = new SqliteKeyStore({ connection: file })
    expect(store.schemaVersion).toBe(7)
    const batch = [{ keyId: 'AAAAAAAAAAAA', ownerId: null, prefix: 'kw', minute: DAY0 + 60_000, outcome: 'ok' as const, count: 2 }]
    await store.addUsage(batch, 'b1')
    await store.addUsage(batch, 'b1')
    const day = () => store.readUsage({ prefix: 'kw', granularity: 'day', from: DAY0, to: DAY0 + 1 }).then((rows) => rows[0]?.count)
    expect(await day()).toBe(5)
    const ids = () => store.db.prepare('SELECT id, minute FROM keyward_keys_usage_batches').all()
    expect(ids()).toEqual([{ id: 'b1', minute: DAY0 + 60_000 }])
    await store.pruneUsage({ minute: DAY0 + 60_000, hour: 0, day: 0 })
    expect(ids()).toEqual([{ id: 'b1', minute: DAY0 + 60_000 }]) // not before the cutoff
    await store.pruneUsage({ minute: DAY0 + 120_000, hour: 0, day: 0 })
    expect(ids()).toEqual([])
    await store.addUsage(batch, 'b1') // forgotten: applies again
    expect(await day()).toBe(7)
    await store.close()
  })

  it('upgrades a version-6 file to 7: old keys read back importedAt and legacyHash null; a hand-made change of legacy_hash notifies', async () => {
    const file = dbPath(dir)
    const db = new Database(file)
    db.exec(sqliteMigrationSql().replace(/-- 7:[\s\S]*(?=COMMIT;)/, ''))
    const record = sampleRecord()
    const old = Object.fromEntries(Object.entries(sqliteRecordToRow(record)).filter(([c]) => c !== 'imported_at' && c !== 'legacy_hash'))
    db.prepare(`INSERT INTO keyward_keys (${Object.keys(old)}) VALUES (${Object.keys(old).map((c) => `@${c}`)})`).run(old)
    db.close()
    const store = new SqliteKeyStore({ connection: file, pollIntervalMs: 20 })
    expect(store.schemaVersion).toBe(7)
    expect(await store.findById(record.id)).toStrictEqual(record)
    const imported = sampleRecord({ algorithm: 'legacy-prefixed-api-key', importedAt: new Date(DAY0), legacyHash: '$2b$10$abc' })
    await store.insert(imported)
    expect(await store.findById(imported.id)).toStrictEqual(imported)
    const seen: string[] = []
    const unsubscribe = await store.subscribe((change) => seen.push(change.id))
    const raw = new Database(file)
    raw.prepare('UPDATE keyward_keys SET legacy_hash = NULL WHERE id = ?').run(imported.id)
    raw.close()
    await eventually(
      'notification',
      async () => seen,
      (ids) => ids.includes(imported.id),
      1_000,
    )
    expect(await store.update(imported.id, { legacyHash: 'x' })).toMatchObject({ legacyHash: 'x', importedAt: new Date(DAY0), revision: 1 })
    await unsubscribe()
    await store.close()
  })

  it('keeps tables apart by name and validates the name', async () => {
    const file = dbPath(dir)
    const a = new SqliteKeyStore({ connection: file, table: 'keys_a' })
    const b = new SqliteKeyStore({ connection: file, table: 'keys_b' })
    await a.insert(sampleRecord({ id: 'AAAAAAAAAAAA' }))
    expect(await b.findById('AAAAAAAAAAAA')).toBeNull()
    await Promise.all([a.close(), b.close()])
    expect(() => new SqliteKeyStore({ connection: file, table: 'x"; drop' })).toThrow(TypeError)
  })

  it('rejects (never throws synchronously) once closed', async () => {
    const store = new SqliteKeyStore(':memory:')
    await store.close()
    await expect(store.findById('AAAAAAAAAAAA')).rejects.toThrow()
  })
})
